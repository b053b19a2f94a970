// Errors as sentences for a person. The SDK rejects with a LatchkeyError whose
// `kind` is api | network | validation | usage; API errors carry the
// protocol's `error_type`. A screen may pass `overrides` (by error_type) where
// the same type means something more specific there, e.g.
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
  if (error?.kind === 'usage') return 'The app could not do that right now. Please reload the page.';
  return 'Something unexpected happened. Please reload the page and try again.';
}

/** A short, stable code for the same error (shown small, for bug reports). */
export function errorCode(error) {
  if (error?.kind === 'api') return error.error_type;
  if (error?.kind === 'network') return `network: ${error.reason}`;
  if (error?.kind === 'validation') return `invalid: ${error.field}`;
  return error?.kind ?? '';
}
