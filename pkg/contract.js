// The seam contract, JavaScript side: every name and number the page and
// the WebAssembly kernel must agree on, and the page's own constants that
// other modules share. src/contract.rs holds the kernel's side; its tests
// read this file and fail when the two drift, so keep the simple
// `export const GROUP_NAME = …;` form (flat constants also let bundlers
// inline them).

/** Bits of what the kernel asks the page to carry out after an event. */
export const EFFECT_WRITE_COOKIES = 1;
export const EFFECT_CLEAR_COOKIES = 2;
export const EFFECT_PUBLISH = 4;
export const EFFECT_NOTIFY_SESSION = 8;
export const EFFECT_NOTIFY_USER = 16;
export const EFFECT_REFRESH = 32;
export const EFFECT_TIMER = 64;
export const EFFECT_WAKE_LEADER = 128;
export const EFFECT_STEAL = 256;
export const EFFECT_BUSY = 512;
export const EFFECT_NOTIFY_CACHE = 1024;
export const EFFECT_ACCEPTED = 2048;

/** What the page tells the kernel happened. */
export const EVENT_TIMER = 0;
export const EVENT_LEADER = 1;
export const EVENT_LOST = 2;
export const EVENT_VISIBLE = 3;
export const EVENT_ONLINE = 4;
export const EVENT_RESTORED = 5;
export const EVENT_HIDDEN = 6;
export const EVENT_WAKE = 7;
export const EVENT_REFRESH_BEGAN = 9;
export const EVENT_REFRESH_DROPPED = 10;
export const EVENT_SIGNED_OUT = 11;
export const EVENT_BUSY = 12;
export const EVENT_USER = 13;
export const EVENT_STARTED = 14;
export const EVENT_CLOSE = 15;

/**
 * Where each number sits in the kernel's arrays (`numbers`; up to SHARED,
 * those `open` and `remote` take): the shared snapshot, then this tab's state.
 */
export const AT_SEQ = 0;
export const AT_WRITER = 1;
export const AT_CLOCK = 2;
export const AT_SIGNED_IN = 3;
export const AT_EXPIRES_AT = 4;
export const AT_CONFIRMED_AT = 5;
export const AT_DURATION = 6;
export const AT_SESSION = 7;
export const AT_USER = 8;
export const AT_HASH = 9;
export const AT_SHARED = 10;
export const AT_FROM_CACHE = 10;
export const AT_LEADING = 11;
export const AT_BUSY_FOR = 12;
export const AT_REFRESH_DURATION = 13;
export const AT_TIMER = 14;
export const AT_LEN = 15;

/** The kernel's texts. */
export const TEXT_TOKEN = 1;
export const TEXT_JWT = 2;

/** Bits of the kernel's error classification. */
export const CLASS_RETRYABLE = 1;
export const CLASS_ENDS_SESSION = 2;

/** What to do with a redirect flow's PKCE verifier. */
export const PKCE_NOTHING = 0;
export const PKCE_CREATE = 1;
export const PKCE_DISCARD = 2;
export const PKCE_SEND = 3;

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
export const FLAG_REQUIRED = 1;
export const FLAG_PAGE_DEFAULT = 2;
export const FLAG_IN_PATH = 4;
export const FLAG_OPTION_ONLY = 8;

// ---- the page's own constants (not read by the kernel)

/** The version of the cached snapshot's format in localStorage. */
export const CACHE_VERSION = 2;

/** localStorage keys and lock/channel names: `latchkey:<public token>:<suffix>`. */
export const KEY_STATE = 'state';
export const KEY_LEASE = 'leader';
export const KEY_DEVICE = 'device';
export const KEY_PKCE = 'pkce:';
export const KEY_LOCK = 'refresh';
export const KEY_CHANNEL = 'channel';

/** The providers `client.oauth` has a namespace for. */
export const OAUTH_PROVIDERS = ['google', 'github', 'microsoft', 'apple', 'facebook', 'gitlab', 'discord', 'slack', 'linkedin', 'twitter'];

/** The cookie names and path when `cookieOptions` leaves them out. */
export const COOKIE_DEFAULTS = { opaqueTokenCookieName: 'stytch_session', jwtCookieName: 'stytch_session_jwt', path: '/' };

/** Why a request got no answer. */
export const FAILURE_OFFLINE = 'offline';
export const FAILURE_UNREACHABLE = 'unreachable';
export const FAILURE_TIMEOUT = 'timeout';

/** Text → fingerprint pairs both implementations must give. */
export const FINGERPRINT_VECTORS = ['', '4542716992070027', 'a', '8023708208598757', 'session-token-test-0123456789abcdef0123456789ab', '132027767913648', 'tok', '5702181314857140', 'é→', '7963000391004864'];

/**
 * A 53-bit fingerprint of a text (FNV-1a over its UTF-8 bytes from two
 * bases, 32 + 21 bits): the cached snapshot proves which session cookie it
 * belongs to with the token's fingerprint, and the kernel tells whether the
 * session or user object changed by theirs. src/contract.rs has the same
 * function.
 */
export function fingerprint(text) {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const byte of new TextEncoder().encode(text)) {
    a = Math.imul(a ^ byte, 0x01000193) >>> 0;
    b = Math.imul(b ^ byte, 0x01000193) >>> 0;
  }
  return a * 2 ** 21 + (b >>> 11);
}
