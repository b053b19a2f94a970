// Errors as sentences for a person. The SDK rejects with a LatchkeyError whose
// `kind` is api | network | validation | usage | webauthn; API errors carry the
// protocol's `error_type`. A screen may pass `overrides` (by error_type,
// `field:<name>` for a validation error, `webauthn:<reason>` for a passkey
// ceremony) where the same error means something more specific there, e.g.
// `unauthorized_credentials` on the password form.

const API = {
  unauthorized_credentials: 'This app is not allowed to use the sign-in service (its public token was refused).',
  user_unauthenticated: 'Your session has ended. Please sign in again.',
  session_not_found: 'Your session has ended. Please sign in again.',
  invalid_secret_authentication: 'Your session has ended. Please sign in again.',
  unable_to_auth_magic_link: 'This sign-in link has expired or was already used. Ask for a new one.',
  magic_link_not_found: 'This sign-in link is not valid any more. Ask for a new one.',
  oauth_token_not_found: 'That sign-in did not complete. Please try again.',
  unable_to_auth_otp_code: 'That code is not right, or it has expired. Check the newest message, or send a new code.',
  otp_code_not_found: 'That code is not right, or it has expired. Check the newest message, or send a new code.',
  email_not_found: 'We could not find an account with that email address.',
  user_not_found: 'We could not find that account.',
  phone_number_not_found: 'We could not find an account with that phone number.',
  invalid_email: 'Please enter a valid email address, like name@example.com.',
  invalid_phone_number: 'Please enter the phone number in international format, like +15555550123.',
  weak_password: 'That password is too easy to guess. Try a longer one, such as a few unrelated words.',
  breached_password: 'That password has appeared in a data breach. Please choose a different one.',
  duplicate_email: 'An account with this email address already exists. Sign in instead.',
  duplicate_phone_number: 'An account with this phone number already exists.',
  reset_password: 'For your security, please choose a new password first: use "Forgot your password?".',
  pkce_mismatch: 'Open this link in the same browser you asked for it from, or ask for a new one.',
  attribute_mismatch: 'This link belongs to a different account.',
  too_many_requests: 'Too many attempts. Please wait a minute, then try again.',
  bad_domain_for_stytch_sdk: 'This website is not allowed to use the sign-in service: its address is not an authorized origin of the project.',
  invalid_redirect_url: 'This website is not allowed as a sign-in redirect.',
  invalid_session_duration_minutes: 'The app asked for a session length the service does not allow.',
  internal_server_error: 'Something went wrong on our side. Please try again in a moment.',
  invalid_response: 'The sign-in service sent an answer we could not read. Please try again.',
  // Passkeys
  invalid_domain: 'Passkeys cannot be used on this website: its address is not one the sign-in service allows.',
  webauthn_registration_not_found: 'That passkey is not registered any more. Sign in another way, then add it again.',
  no_active_webauthn_registrations: 'You have no passkey yet. Sign in another way, then add one.',
  unable_to_auth_webauthn_registration: 'That passkey could not be verified. Please try again, or sign in another way.',
  unable_to_register_webauthn_registration: 'That passkey could not be added. Please try again.',
  duplicate_webauthn_registration: 'That passkey is already registered.',
  no_pending_webauthn_registration: 'The passkey request expired. Please try again.',
  invalid_public_key_credential: 'Your browser sent a passkey answer the service could not read. Please try again.',
  empty_webauthn_registration_name: 'Please give the passkey a name.',
  // Authenticator apps (TOTP) and recovery codes
  active_totp_exists: 'You already have an authenticator app. Remove it first to set up another one.',
  unable_to_authenticate_totp: 'That code is not right. Check that the clock of the device with the app is correct, and enter the newest code.',
  totp_code_already_authenticated: 'That code was already used. Wait for the app to show the next one.',
  invalid_totp_code: 'Please enter the 6-digit code from your authenticator app.',
  recovery_code_used_as_totp_code: 'That is a recovery code. Please enter the 6-digit code from your authenticator app.',
  expired_totp: 'This setup has expired. Please start again.',
  totp_not_found: 'There is no authenticator app on this account (any more).',
  unable_to_authenticate_recovery_code: 'That recovery code is not right, or it was already used.',
  invalid_recovery_code: 'Please enter a recovery code like abcd-efgh-2345.',
  totp_code_used_as_recovery_code: 'That looks like a code from the app. Please enter one of your recovery codes.',
  // Removing sign-in methods
  cannot_delete_last_primary_factor: 'This is your last email, phone number or sign-in provider: add another way to sign in before removing it.',
  oauth_user_registration_not_found: 'That sign-in provider was already removed.',
};

// A passkey ceremony the browser ended (the error's `reason`).
const WEBAUTHN = {
  cancelled: 'The passkey request was cancelled or timed out. Try again when you are ready.',
  unsupported: 'This browser does not support passkeys. Please use another way to sign in.',
  already_registered: 'This device already holds a passkey for your account.',
  failed: 'Your browser could not use a passkey here. Please try again.',
};

const NETWORK = {
  offline: 'You seem to be offline. Check your connection, then try again.',
  // A browser reports a CORS refusal (an origin the project does not authorize) the same way.
  unreachable: 'We could not reach the sign-in service. Check that it is running, and that this site\'s address is one of the project\'s authorized origins.',
  timeout: 'The sign-in service took too long to answer. Please try again.',
};

const FIELDS = {
  email: 'Please enter a valid email address, like name@example.com.',
  phone_number: 'Please enter the phone number in international format: a plus sign, the country code, then the number (like +15555550123).',
  password: 'Please enter a password.',
  token: 'Please enter the code from the message.',
  method_id: 'Please send a code first.',
  totp_code: 'Please enter the 6-digit code from your authenticator app.',
};

/** A sentence for `error` (a LatchkeyError, or anything thrown). */
export function friendlyMessage(error, overrides = {}) {
  if (error?.kind === 'api') {
    const type = error.error_type;
    if (overrides[type]) return overrides[type];
    if (API[type]) return API[type];
    if (error.status_code >= 500) return API.internal_server_error;
    if (error.status_code === 429) return API.too_many_requests;
    return 'That did not work. Please check what you entered and try again.';
  }
  if (error?.kind === 'network') return NETWORK[error.reason] ?? NETWORK.unreachable;
  if (error?.kind === 'validation') {
    if (overrides[`field:${error.field}`]) return overrides[`field:${error.field}`];
    return FIELDS[error.field] ?? 'Please check what you entered and try again.';
  }
  if (error?.kind === 'webauthn') return overrides[`webauthn:${error.reason}`] ?? WEBAUTHN[error.reason] ?? WEBAUTHN.failed;
  if (error?.kind === 'usage') return 'The app could not do that right now. Please reload the page.';
  return 'Something unexpected happened. Please reload the page and try again.';
}

/** A short, stable code for the same error (shown small, for bug reports). */
export function errorCode(error) {
  if (error?.kind === 'api') return error.error_type;
  if (error?.kind === 'network') return `network: ${error.reason}`;
  if (error?.kind === 'validation') return `invalid: ${error.field}`;
  if (error?.kind === 'webauthn') return `webauthn: ${error.reason}`;
  return error?.kind ?? '';
}
