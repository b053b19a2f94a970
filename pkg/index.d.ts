// Types of the `latchkey` package. Field names follow the wire protocol
// (snake_case), as Stytch's headless client does, so apps can switch.

/** Any JSON value (metadata, custom claims, provider parameters). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---------------------------------------------------------------- objects

export interface Name {
  first_name?: string;
  middle_name?: string;
  last_name?: string;
}

export interface UserEmail {
  email_id: string;
  email: string;
  verified: boolean;
}

export interface UserPhoneNumber {
  phone_id: string;
  phone_number: string;
  verified: boolean;
}

export interface UserProvider {
  provider_type: string;
  provider_subject: string;
  profile_picture_url: string;
  locale: string;
  oauth_user_registration_id: string;
}

export interface UserPassword {
  password_id: string;
  requires_reset: boolean;
}

export interface UserTotp {
  totp_id: string;
  verified: boolean;
}

export interface UserWebAuthnRegistration {
  webauthn_registration_id: string;
  domain: string;
  user_agent: string;
  verified: boolean;
  authenticator_type: string;
  name: string;
}

export interface UserCryptoWallet {
  crypto_wallet_id: string;
  crypto_wallet_address: string;
  crypto_wallet_type: string;
  verified: boolean;
}

export interface UserBiometricRegistration {
  biometric_registration_id: string;
  verified: boolean;
}

export interface User {
  user_id: string;
  created_at: string;
  status: 'active' | 'pending';
  name: Name;
  emails: UserEmail[];
  phone_numbers: UserPhoneNumber[];
  providers: UserProvider[];
  password: UserPassword | null;
  totps: UserTotp[];
  webauthn_registrations: UserWebAuthnRegistration[];
  crypto_wallets: UserCryptoWallet[];
  biometric_registrations: UserBiometricRegistration[];
  trusted_metadata: { [key: string]: JsonValue };
  untrusted_metadata: { [key: string]: JsonValue };
  roles: string[];
  is_locked: boolean;
  external_id: string | null;
  lock_created_at: string | null;
  lock_expires_at: string | null;
}

export type FactorType = 'magic_link' | 'otp' | 'oauth' | 'password' | 'webauthn' | 'totp' | 'recovery_codes';

export interface OAuthFactor {
  id: string;
  provider_subject: string;
  email_id?: string;
}

export interface AuthenticationFactor {
  type: FactorType;
  /** email, sms, whatsapp, knowledge (password), oauth_google, oauth_github, … */
  delivery_method: string;
  last_authenticated_at: string;
  created_at: string;
  updated_at: string;
  email_factor?: { email_id: string; email_address: string };
  phone_number_factor?: { phone_id: string; phone_number: string };
  /** After a passkey or security key (`delivery_method: 'webauthn_registration'`). */
  webauthn_factor?: { webauthn_registration_id: string; domain: string; user_agent?: string };
  /** After an authenticator-app code (`delivery_method: 'authenticator_app'`). */
  authenticator_app_factor?: { totp_id: string };
  /** After a TOTP recovery code (`delivery_method: 'recovery_code'`). */
  recovery_code_factor?: { totp_recovery_code_id: string };
  /** `google_oauth_factor`, `github_oauth_factor`, … */
  [providerFactor: `${string}_oauth_factor`]: OAuthFactor | undefined;
}

export interface Session {
  session_id: string;
  user_id: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  attributes: { ip_address: string; user_agent: string };
  authentication_factors: AuthenticationFactor[];
  custom_claims: { [key: string]: JsonValue };
  roles: string[];
}

export interface SessionTokens {
  session_token: string;
  session_jwt: string;
}

// ---------------------------------------------------------------- errors

interface ErrorBase extends Error {
  readonly name: 'LatchkeyError';
  /** Whether the same call may succeed if simply tried again later. */
  readonly retryable: boolean;
}

/** Error types of the protocol; unknown ones arrive as their raw string. */
export type ApiErrorType =
  | 'unauthorized_credentials' | 'session_not_found' | 'unable_to_auth_magic_link' | 'magic_link_not_found'
  | 'email_not_found' | 'user_not_found' | 'invalid_user_id' | 'bad_request' | 'attribute_mismatch'
  | 'too_many_requests' | 'internal_server_error' | 'invalid_email' | 'invalid_phone_number'
  | 'weak_password' | 'breached_password' | 'duplicate_email' | 'too_many_session_arguments'
  | 'invalid_session_duration_minutes' | 'pkce_mismatch' | 'otp_code_not_found' | 'oauth_token_not_found'
  | 'unable_to_auth_otp_code' | 'reset_password' | 'bad_domain_for_stytch_sdk' | 'user_unauthenticated'
  | 'invalid_secret_authentication' | 'invalid_response'
  // passkeys and security keys (webauthn.*)
  | 'invalid_domain' | 'invalid_authenticator_type' | 'invalid_public_key_credential' | 'duplicate_webauthn_registration'
  | 'empty_webauthn_registration_name' | 'no_pending_webauthn_registration' | 'unable_to_register_webauthn_registration'
  | 'unable_to_auth_webauthn_registration' | 'no_active_webauthn_registrations' | 'webauthn_registration_not_found'
  // authenticator apps and recovery codes (totps.*)
  | 'active_totp_exists' | 'invalid_totp_code' | 'invalid_recovery_code' | 'recovery_code_used_as_totp_code'
  | 'totp_code_used_as_recovery_code' | 'unable_to_authenticate_totp' | 'totp_code_already_authenticated'
  | 'unable_to_authenticate_recovery_code' | 'expired_totp' | 'totp_not_found'
  // factor deletion (user.delete*)
  | 'cannot_delete_last_primary_factor' | 'phone_number_not_found' | 'oauth_user_registration_not_found'
  | (string & {});

/** The API answered with an error (or with a body that could not be read: `invalid_response`). */
export interface LatchkeyApiError extends ErrorBase {
  readonly kind: 'api';
  readonly status_code: number;
  readonly request_id: string;
  readonly error_type: ApiErrorType;
  readonly error_message: string;
  readonly error_url: string;
}

/** No answer came back. */
export interface LatchkeyNetworkError extends ErrorBase {
  readonly kind: 'network';
  readonly reason: 'offline' | 'unreachable' | 'timeout';
}

/** The input was refused before any request was sent. */
export interface LatchkeyValidationError extends ErrorBase {
  readonly kind: 'validation';
  /** The option or argument at fault, e.g. `email` or `cookieOptions.path`. */
  readonly field: string;
}

/** The SDK was used in a way it cannot serve (outside a browser, after destroy, no session). */
export interface LatchkeyUsageError extends ErrorBase {
  readonly kind: 'usage';
}

/** A WebAuthn ceremony (`navigator.credentials`) did not produce a credential. */
export interface LatchkeyWebAuthnError extends ErrorBase {
  readonly kind: 'webauthn';
  /**
   * `cancelled`: the person dismissed the prompt or it timed out (retryable);
   * `unsupported`: this browser has no WebAuthn; `already_registered`: the
   * authenticator already holds a credential of this user; `failed`: anything
   * else the browser refused (e.g. a domain that is not the page's).
   */
  readonly reason: 'cancelled' | 'unsupported' | 'already_registered' | 'failed';
  /** The browser's DOMException name, e.g. `NotAllowedError`. */
  readonly exception: string;
}

export type LatchkeyError = LatchkeyApiError | LatchkeyNetworkError | LatchkeyValidationError | LatchkeyUsageError | LatchkeyWebAuthnError;

/** Every promise of the SDK rejects with an instance of this class; `instanceof` narrows to the union. */
export declare const LatchkeyError: {
  readonly prototype: LatchkeyError;
  [Symbol.hasInstance](value: unknown): value is LatchkeyError;
};

// ---------------------------------------------------------------- options

export interface CookieOptions {
  /** Default `stytch_session`. */
  opaqueTokenCookieName?: string;
  /** Default `stytch_session_jwt`. */
  jwtCookieName?: string;
  /** Default `/`. */
  path?: string;
  /** The cookies' `Domain`; with `availableToSubdomains` and no domain, the page's host. */
  domain?: string;
  availableToSubdomains?: boolean;
}

export interface ClientOptions {
  /** Default `https://test.stytch.com` for test tokens, `https://api.stytch.com` otherwise. */
  baseUrl?: string;
  cookieOptions?: CookieOptions;
  /** Extend the session on every refresh by the last `session_duration_minutes`. */
  keepSessionAlive?: boolean;
  /** Milliseconds between refreshes, 1000 to 270000; default 180000 (3 minutes). */
  refreshIntervalMs?: number;
  /** Milliseconds before a request is aborted, 1000 to 120000; default 20000. */
  requestTimeoutMs?: number;
}

export interface SessionDurationOptions {
  /** 5 to 527040 (one year). */
  session_duration_minutes: number;
}

export type Locale = 'en' | 'es' | 'pt-br' | 'fr' | (string & {});

export interface MagicLinkSendOptions {
  /** Where the link of an existing user leads; default: the current page. */
  login_magic_link_url?: string;
  /** Where the link of a new user leads; default: the current page. */
  signup_magic_link_url?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
  login_template_id?: string;
  signup_template_id?: string;
  locale?: Locale;
}

export interface OtpPhoneOptions {
  /** 1 to 10; default 2. */
  expiration_minutes?: number;
  locale?: Locale;
}

export interface OtpEmailOptions extends OtpPhoneOptions {
  login_template_id?: string;
  signup_template_id?: string;
}

export interface PasswordCredentials extends SessionDurationOptions {
  email: string;
  password: string;
}

export interface StrengthCheckOptions {
  email?: string;
  password: string;
}

export interface ResetByEmailStartOptions {
  email: string;
  login_redirect_url?: string;
  reset_password_redirect_url?: string;
  login_expiration_minutes?: number;
  reset_password_expiration_minutes?: number;
  reset_password_template_id?: string;
  locale?: Locale;
}

export interface ResetByEmailOptions extends SessionDurationOptions {
  /** The `token` of the reset link. */
  token: string;
  password: string;
}

export interface ResetByExistingPasswordOptions extends SessionDurationOptions {
  email: string;
  existing_password: string;
  new_password: string;
}

export interface ResetBySessionOptions extends SessionDurationOptions {
  password: string;
}

export interface OAuthStartOptions {
  /** Default: the current page. */
  login_redirect_url?: string;
  /** Default: the current page. */
  signup_redirect_url?: string;
  custom_scopes?: string[];
  /** Sent to the provider as `provider_<name>=<value>`. */
  provider_params?: { [name: string]: string };
}

export type OAuthProviderName =
  | 'google' | 'github' | 'microsoft' | 'apple' | 'facebook' | 'gitlab' | 'discord' | 'slack' | 'linkedin' | 'twitter';

export interface SessionAuthenticateOptions {
  /** Extends the session to this many minutes from now; omitted, the expiry is kept. */
  session_duration_minutes?: number;
}

export interface RevokeOptions {
  /** Clear the session here even when the server cannot be told. */
  forceClear?: boolean;
}

export interface WebAuthnRegisterOptions {
  /** The relying party: default the page's hostname. */
  domain?: string;
  authenticator_type?: 'platform' | 'cross-platform';
  /** A passkey: a discoverable credential with user verification preferred. */
  is_passkey?: boolean;
  /** When given, the session the registration extends lasts this long. */
  session_duration_minutes?: number;
  override_id?: string;
  override_name?: string;
  override_display_name?: string;
  /** Ask the server for base64url instead of standard base64 in the options. */
  use_base64_url_encoding?: boolean;
}

export interface WebAuthnAuthenticateOptions extends SessionDurationOptions {
  /** The relying party: default the page's hostname. */
  domain?: string;
  /** A passkey sign-in: no user needs to be known before the ceremony. */
  is_passkey?: boolean;
  /**
   * Passkey autofill on an `<input autocomplete="username webauthn">`: the
   * call waits for the person to pick a passkey there, and resolves `null`
   * (sending nothing) where the browser has no autofill or the page no such input.
   */
  conditional_mediation?: boolean;
  /** Skip the check for an `autocomplete*="webauthn"` input. */
  disable_input_check?: boolean;
  /** Aborts the ceremony. */
  signal?: AbortSignal;
}

export interface WebAuthnUpdateOptions {
  webauthn_registration_id: string;
  name: string;
}

export interface TotpCreateOptions {
  /** 5 to 1440: the authenticator app must confirm a code within this. */
  expiration_minutes?: number;
}

export interface TotpAuthenticateOptions extends SessionDurationOptions {
  /** The six digits the authenticator app shows. */
  totp_code: string;
}

export interface TotpRecoverOptions extends SessionDurationOptions {
  /** One of the codes given at creation, `xxxx-xxxx-xxxx`; each works once. */
  recovery_code: string;
}

export interface UserUpdateOptions {
  name?: Name;
  untrusted_metadata?: { [key: string]: JsonValue };
}

// ---------------------------------------------------------------- responses

export interface BaseResponse {
  request_id: string;
  status_code: number;
}

export interface AuthenticateResponse extends BaseResponse {
  user_id: string;
  user: User;
  session: Session;
  session_token: string;
  session_jwt: string;
}

export interface MagicLinksAuthenticateResponse extends AuthenticateResponse {
  method_id: string;
  /** Whether the user's other sessions were revoked by this sign-in. */
  reset_sessions: boolean;
}

export interface OtpsAuthenticateResponse extends AuthenticateResponse {
  method_id: string;
  reset_sessions: boolean;
}

export interface PasswordsCreateResponse extends AuthenticateResponse {
  email_id: string;
}

export interface OAuthProviderValues {
  access_token: string;
  refresh_token: string;
  id_token: string;
  scopes: string[];
  expires_at?: string;
}

export interface OAuthAuthenticateResponse extends AuthenticateResponse {
  provider_subject: string;
  provider_type: string;
  provider_values: OAuthProviderValues;
  oauth_user_registration_id: string;
  reset_sessions: boolean;
}

export interface MagicLinksSendResponse extends BaseResponse {
  user_id: string;
  email_id: string;
}

export interface MagicLinksLoginOrCreateResponse extends MagicLinksSendResponse {
  user_created: boolean;
}

export interface OtpsSendResponse extends BaseResponse {
  user_id: string;
  /** Pass to `otps.authenticate`. */
  method_id: string;
  /** Set for SMS and WhatsApp codes (equal to `method_id`). */
  phone_id?: string;
  /** Set for email codes (equal to `method_id`). */
  email_id?: string;
}

export interface OtpsLoginOrCreateResponse extends OtpsSendResponse {
  user_created: boolean;
}

export interface StrengthCheckResponse extends BaseResponse {
  valid_password: boolean;
  score: number;
  breached_password: boolean;
  strength_policy: 'zxcvbn' | 'luds';
  breach_detection_on_create: boolean;
  feedback: {
    warning: string;
    suggestions: string[];
    luds_requirements?: {
      has_lower_case: boolean;
      has_upper_case: boolean;
      has_digit: boolean;
      has_symbol: boolean;
      missing_complexity: number;
      missing_characters: number;
    };
  };
}

export interface UserUpdateResponse extends BaseResponse {
  user_id: string;
  user: User;
  emails: UserEmail[];
  phone_numbers: UserPhoneNumber[];
  crypto_wallets: UserCryptoWallet[];
}

export interface ResetByEmailStartResponse extends BaseResponse {
  user_id: string;
  email_id: string;
}

export interface WebAuthnAuthenticateResponse extends AuthenticateResponse {
  webauthn_registration_id: string;
}

export interface WebAuthnUpdateResponse extends BaseResponse {
  webauthn_registration: UserWebAuthnRegistration;
}

export interface TotpCreateResponse extends BaseResponse {
  totp_id: string;
  /** The shared secret, base32: shown once, never again. */
  secret: string;
  /** A PNG of the `otpauth://` URI, as a `data:image/png;base64,…` URL. */
  qr_code: string;
  recovery_codes: string[];
  user_id: string;
}

export interface TotpAuthenticateResponse extends AuthenticateResponse {
  totp_id: string;
}

export interface TotpRecoveryCodesResponse extends BaseResponse {
  user_id: string;
  totps: { totp_id: string; verified: boolean; recovery_codes: string[] }[];
}

export interface DeleteFactorResponse extends BaseResponse {
  user_id: string;
  user: User;
}

export type AuthenticateByUrlResult =
  | { handled: true; tokenType: 'magic_links'; data: MagicLinksAuthenticateResponse }
  | { handled: true; tokenType: 'oauth'; data: OAuthAuthenticateResponse }
  | { handled: false; tokenType: string; token: string };

export interface ParsedAuthenticateUrl {
  /** Whether `authenticateByUrl` can consume it (magic links, OAuth). */
  handled: boolean;
  tokenType: string;
  token: string;
}

// ---------------------------------------------------------------- client

export type Unsubscribe = () => void;

export interface OtpPhoneMethods {
  loginOrCreate(phone_number: string, options?: OtpPhoneOptions): Promise<OtpsLoginOrCreateResponse>;
  send(phone_number: string, options?: OtpPhoneOptions): Promise<OtpsSendResponse>;
}

export interface OtpEmailMethods {
  loginOrCreate(email: string, options?: OtpEmailOptions): Promise<OtpsLoginOrCreateResponse>;
  send(email: string, options?: OtpEmailOptions): Promise<OtpsSendResponse>;
}

export interface OAuthProviderMethods {
  /** Navigates to the provider (PKCE included); resolves with the URL just before leaving. */
  start(options?: OAuthStartOptions): Promise<{ url: string }>;
}

export interface LatchkeyClient {
  readonly publicToken: string;
  /**
   * Resolves once the module is loaded and the session restored; rejects with
   * the options' validation error, or a retryable `network` error when the
   * module could not be downloaded (the next call tries again).
   */
  readonly ready: Promise<void>;

  session: {
    /** The current session, or null; restored from cache at once when the session cookie is present. */
    getSync(): Session | null;
    getInfo(): { session: Session | null; fromCache: boolean };
    /** The session's tokens as the cookies hold them now (a JWT another tab just refreshed included), or null. */
    getTokens(): SessionTokens | null;
    onChange(callback: (session: Session | null) => void): Unsubscribe;
    /** Refreshes now (shares a refresh already in flight); extends the session when given a duration. */
    authenticate(options?: SessionAuthenticateOptions): Promise<AuthenticateResponse>;
    revoke(options?: RevokeOptions): Promise<BaseResponse | Record<string, never>>;
    /** Adopts tokens obtained elsewhere; resolves once the server confirmed them. */
    updateSession(tokens: { session_token: string; session_jwt?: string }): Promise<AuthenticateResponse>;
  };

  user: {
    getSync(): User | null;
    getInfo(): { user: User | null; fromCache: boolean };
    get(): Promise<User>;
    update(options: UserUpdateOptions): Promise<UserUpdateResponse>;
    onChange(callback: (user: User | null) => void): Unsubscribe;
    deleteEmail(email_id: string): Promise<DeleteFactorResponse>;
    deletePhoneNumber(phone_id: string): Promise<DeleteFactorResponse>;
    deleteTOTP(totp_id: string): Promise<DeleteFactorResponse>;
    deleteOAuthRegistration(oauth_user_registration_id: string): Promise<DeleteFactorResponse>;
    deleteWebauthnRegistration(webauthn_registration_id: string): Promise<DeleteFactorResponse>;
  };

  /** Called once per change of the session or the user. */
  onStateChange(callback: (state: { session: Session | null; user: User | null }) => void): Unsubscribe;

  magicLinks: {
    email: {
      loginOrCreate(email: string, options?: MagicLinkSendOptions): Promise<MagicLinksLoginOrCreateResponse>;
      /** To an existing user when signed out; adds the email to the user when signed in. */
      send(email: string, options?: MagicLinkSendOptions): Promise<MagicLinksSendResponse>;
    };
    authenticate(token: string, options: SessionDurationOptions): Promise<MagicLinksAuthenticateResponse>;
  };

  otps: {
    sms: OtpPhoneMethods;
    whatsapp: OtpPhoneMethods;
    email: OtpEmailMethods;
    authenticate(code: string, method_id: string, options: SessionDurationOptions): Promise<OtpsAuthenticateResponse>;
  };

  passwords: {
    create(options: PasswordCredentials): Promise<PasswordsCreateResponse>;
    authenticate(options: PasswordCredentials): Promise<AuthenticateResponse>;
    strengthCheck(options: StrengthCheckOptions): Promise<StrengthCheckResponse>;
    resetByEmailStart(options: ResetByEmailStartOptions): Promise<ResetByEmailStartResponse>;
    resetByEmail(options: ResetByEmailOptions): Promise<AuthenticateResponse>;
    resetByExistingPassword(options: ResetByExistingPasswordOptions): Promise<AuthenticateResponse>;
    resetBySession(options: ResetBySessionOptions): Promise<AuthenticateResponse>;
  };

  oauth: { [provider in OAuthProviderName]: OAuthProviderMethods } & {
    authenticate(token: string, options: SessionDurationOptions): Promise<OAuthAuthenticateResponse>;
  };

  webauthn: {
    /** Registers a passkey or security key for the signed-in user (two requests around `navigator.credentials.create`). */
    register(options?: WebAuthnRegisterOptions): Promise<WebAuthnAuthenticateResponse>;
    /** Signs in (or adds the factor to the session) with a passkey or security key. */
    authenticate(options: WebAuthnAuthenticateOptions): Promise<WebAuthnAuthenticateResponse | null>;
    /** Renames a registration. */
    update(options: WebAuthnUpdateOptions): Promise<WebAuthnUpdateResponse>;
    /** Whether this browser offers passkeys in autofill. */
    browserSupportsAutofill(): Promise<boolean>;
  };

  /** An authenticator app (TOTP) as a second factor; every call needs a session. */
  totps: {
    create(options?: TotpCreateOptions): Promise<TotpCreateResponse>;
    authenticate(options: TotpAuthenticateOptions): Promise<TotpAuthenticateResponse>;
    recoveryCodes(): Promise<TotpRecoveryCodesResponse>;
    recover(options: TotpRecoverOptions): Promise<TotpAuthenticateResponse>;
  };

  /** The sign-in token in the URL (default: the current one), without consuming it. */
  parseAuthenticateUrl(href?: string): ParsedAuthenticateUrl | null;
  /**
   * Signs in with the magic-link or OAuth token in the URL, removing it from
   * the address bar first. `null` when the URL has no token. A second call
   * for the same URL shares the first one's request.
   */
  authenticateByUrl(options: SessionDurationOptions, href?: string): Promise<AuthenticateByUrlResult | null>;

  /** Stops timers and listeners; a later createClient for this token starts afresh. */
  destroy(): void;
}

/**
 * Returns the client for `publicToken` (the same object for the same token
 * on one page). Never throws: invalid options reject `ready` and every call
 * with a `validation` error.
 */
export declare function createClient(publicToken: string, options?: ClientOptions): LatchkeyClient;

/** Resolves once the WebAssembly module is instantiated (browser only). */
export declare function ready(): Promise<void>;

/** The SDK version baked into the WebAssembly module. */
export declare function version(): Promise<string>;
