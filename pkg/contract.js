// The seam contract, JavaScript side: every name and number the page and
// the WebAssembly kernel must agree on, and the page's own constants that
// other modules share. src/contract.rs holds the kernel's side; its tests
// read this file and fail when the two drift, so keep the simple
// `export const NAME = …;` form.

/** Bits of what the kernel asks the page to carry out after an event. */
export const EFFECT = { WRITE_COOKIES: 1, CLEAR_COOKIES: 2, PUBLISH: 4, NOTIFY_SESSION: 8, NOTIFY_USER: 16, REFRESH: 32, TIMER: 64, WAKE_LEADER: 128, STEAL: 256, BUSY: 512, NOTIFY_CACHE: 1024, ACCEPTED: 2048 };

/** What the page tells the kernel happened. */
export const EVENT = { TIMER: 0, LEADER: 1, LOST: 2, VISIBLE: 3, ONLINE: 4, RESTORED: 5, HIDDEN: 6, WAKE: 7, REFRESH_BEGAN: 9, REFRESH_DROPPED: 10, SIGNED_OUT: 11 };

/** Where each number of a snapshot sits in the kernel's arrays. */
export const SNAPSHOT = { SEQ: 0, WRITER: 1, CLOCK: 2, SIGNED_IN: 3, EXPIRES_AT: 4, CONFIRMED_AT: 5, DURATION: 6, SESSION: 7, USER: 8, LEN: 9 };

/** The kernel's texts. */
export const TEXT = { HASH: 0, TOKEN: 1, JWT: 2 };

/** Bits of the kernel's error classification. */
export const CLASS = { RETRYABLE: 1, ENDS_SESSION: 2 };

/** What to do with a redirect flow's PKCE verifier. */
export const PKCE = { NOTHING: 0, CREATE: 1, DISCARD: 2, SEND: 3 };

/** The error type of a response the page cannot read. */
export const INVALID_RESPONSE = 'invalid_response';

/** Every method of the kernel's table, in its order. */
export const OPS = ['magic_links.email.login_or_create', 'magic_links.email.send', 'magic_links.authenticate', 'otps.sms.login_or_create', 'otps.sms.send', 'otps.whatsapp.login_or_create', 'otps.whatsapp.send', 'otps.email.login_or_create', 'otps.email.send', 'otps.authenticate', 'passwords.create', 'passwords.authenticate', 'passwords.strength_check', 'passwords.reset_by_email_start', 'passwords.reset_by_email', 'passwords.reset_by_existing_password', 'passwords.reset_by_session', 'oauth.authenticate', 'oauth.start', 'session.authenticate', 'session.revoke', 'session.update_session', 'user.get', 'user.update', 'user.delete_email', 'user.delete_phone_number', 'user.delete_totp', 'user.delete_oauth_registration', 'user.delete_webauthn_registration', 'webauthn.register', 'webauthn.register.start', 'webauthn.register.finish', 'webauthn.authenticate', 'webauthn.authenticate.start', 'webauthn.authenticate.finish', 'webauthn.update', 'totps.create', 'totps.authenticate', 'totps.recovery_codes', 'totps.recover', 'authenticate_by_url', 'project.bootstrap'];

/**
 * The token types a redirect brings that sign in, and the call for each:
 * parseAuthenticateUrl answers from this before the module is loaded; the
 * kernel's urlSignIn decides for authenticateByUrl.
 */
export const URL_SIGN_IN = { magic_links: 'magic_links.authenticate', oauth: 'oauth.authenticate' };

/** The field kinds of the table; validate.js has a rule for each. */
export const KINDS = 'eptscdlomunjabikv';

/** The field flags of the table's rows. */
export const FLAG = { REQUIRED: 1, PAGE_DEFAULT: 2, IN_PATH: 4, OPTION_ONLY: 8 };

// ---- the page's own constants (not read by the kernel)

/** The version of the cached snapshot's format in localStorage. */
export const SNAPSHOT_VERSION = 2;

/** localStorage keys and lock/channel names: `latchkey:<public token>:<suffix>`. */
export const KEY = { STATE: 'state', LEASE: 'leader', DEVICE: 'device', PKCE: 'pkce:', LOCK: 'refresh', CHANNEL: 'channel' };

/** The providers `client.oauth` has a namespace for. */
export const OAUTH_PROVIDERS = ['google', 'github', 'microsoft', 'apple', 'facebook', 'gitlab', 'discord', 'slack', 'linkedin', 'twitter'];

/** The cookie names and path when `cookieOptions` leaves them out. */
export const COOKIE_DEFAULTS = { opaqueTokenCookieName: 'stytch_session', jwtCookieName: 'stytch_session_jwt', path: '/' };

/** Why a request got no answer. */
export const FAILURE = { OFFLINE: 'offline', UNREACHABLE: 'unreachable', TIMEOUT: 'timeout' };

/** Token → fingerprint pairs both implementations must give. */
export const FINGERPRINT_VECTORS = ['', '811c9dc5050c5d1f', 'a', 'e40c292c70772d5a', 'session-token-test-0123456789abcdef0123456789ab', '03c0a0e1a7e582bb', 'tok', 'a210d45dbc45a383', 'é→', 'e252740d3796018b'];

/**
 * The cached snapshot proves which session cookie it belongs to by this
 * fingerprint of the token (FNV-1a over its UTF-8 bytes, from two bases, as
 * 16 hex digits); src/contract.rs has the same function.
 */
export function fingerprint(token) {
  let out = '';
  for (let hash of [0x811c9dc5, 0x050c5d1f]) {
    for (const byte of new TextEncoder().encode(token)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
    out += hash.toString(16).padStart(8, '0');
  }
  return out;
}
