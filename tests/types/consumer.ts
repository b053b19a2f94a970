// A TypeScript app using the package, compiled with --strict in `make test`:
// the public types must be precise enough for this to type-check (and wrong
// uses, marked @ts-expect-error, must not). Every export, method, option
// object and response type of pkg/index.d.ts is used here at least once.
import {
  createClient, ready, version, LatchkeyError,
  type AuthenticateByUrlResult, type AuthenticateResponse, type AuthenticationFactor, type ApiErrorType,
  type BaseResponse, type ClientOptions, type CookieOptions, type FactorType, type JsonValue, type LatchkeyApiError,
  type LatchkeyClient, type LatchkeyNetworkError, type LatchkeyUsageError, type LatchkeyValidationError, type Locale,
  type MagicLinkSendOptions, type MagicLinksAuthenticateResponse, type MagicLinksLoginOrCreateResponse,
  type MagicLinksSendResponse, type Name, type OAuthAuthenticateResponse, type OAuthFactor, type OAuthProviderMethods,
  type OAuthProviderName, type OAuthProviderValues, type OAuthStartOptions, type OtpEmailMethods, type OtpEmailOptions,
  type OtpPhoneMethods, type OtpPhoneOptions, type OtpsAuthenticateResponse, type OtpsLoginOrCreateResponse,
  type OtpsSendResponse, type ParsedAuthenticateUrl, type PasswordCredentials, type PasswordsCreateResponse,
  type ResetByEmailOptions, type ResetByEmailStartOptions, type ResetByExistingPasswordOptions,
  type ResetBySessionOptions, type RevokeOptions, type Session, type SessionAuthenticateOptions,
  type SessionDurationOptions, type SessionTokens, type StrengthCheckOptions, type StrengthCheckResponse,
  type Unsubscribe, type User, type UserBiometricRegistration, type UserCryptoWallet, type UserEmail, type UserPassword,
  type UserPhoneNumber, type UserProvider, type UserTotp, type UserUpdateOptions, type UserUpdateResponse,
  type UserWebAuthnRegistration, type LatchkeyWebAuthnError,
} from 'latchkey';

// ---------------------------------------------------------------- type-level checks

/** True exactly when A and B are the same type. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** True when T is `any` (the public types must never be). */
type IsAny<T> = 0 extends 1 & T ? true : false;
type Result<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
function check<T extends true>(): T | void { return undefined; }
function use(...values: unknown[]): void { void values; }

// ---------------------------------------------------------------- module exports

const cookieOptions: CookieOptions = {
  opaqueTokenCookieName: 'app_session',
  jwtCookieName: 'app_session_jwt',
  path: '/',
  domain: 'example.com',
  availableToSubdomains: true,
};
const options: ClientOptions = {
  baseUrl: 'http://localhost:8787',
  cookieOptions,
  keepSessionAlive: true,
  refreshIntervalMs: 60_000,
  requestTimeoutMs: 10_000,
};
const client: LatchkeyClient = createClient('public-token-test-123', options);
const same: LatchkeyClient = createClient('public-token-test-123');
const loaded: Promise<void> = ready();
const sdkVersion: Promise<string> = version();
const clientReady: Promise<void> = client.ready;
const publicToken: string = client.publicToken;
use(same, loaded, sdkVersion, clientReady, publicToken);

// ---------------------------------------------------------------- session and user state

const session: Session | null = client.session.getSync();
const info: { session: Session | null; fromCache: boolean } = client.session.getInfo();
const tokens: SessionTokens | null = client.session.getTokens();
const user: User | null = client.user.getSync();
const userInfo: { user: User | null; fromCache: boolean } = client.user.getInfo();
use(info, userInfo);

const offSession: Unsubscribe = client.session.onChange((s) => {
  const expires: string | undefined = s?.expires_at;
  use(expires);
});
const offUser: Unsubscribe = client.user.onChange((u) => {
  const first: string | undefined = u?.name.first_name;
  use(first);
});
const offState: () => void = client.onStateChange(({ session: s, user: u }) => {
  const both: [Session | null, User | null] = [s, u];
  use(both);
});
offSession();
offUser();
offState();

if (session) {
  const { session_id, user_id, started_at, last_accessed_at, expires_at, attributes, custom_claims, roles } = session;
  const ip: string = attributes.ip_address;
  const agent: string = attributes.user_agent;
  const claim: JsonValue | undefined = custom_claims['plan'];
  use(session_id, user_id, started_at, last_accessed_at, expires_at, ip, agent, claim, roles satisfies string[]);
  for (const factor of session.authentication_factors) {
    const f: AuthenticationFactor = factor;
    const type: FactorType = f.type;
    const method: string = f.delivery_method;
    const at: string = f.last_authenticated_at;
    const emailAddress: string | undefined = f.email_factor?.email_address;
    const phone: string | undefined = f.phone_number_factor?.phone_number;
    const google: OAuthFactor | undefined = f.google_oauth_factor;
    const subject: string | undefined = f['github_oauth_factor']?.provider_subject;
    const emailId: string | undefined = google?.email_id;
    use(type, method, at, emailAddress, phone, subject, emailId, google?.id);
  }
}
if (tokens) {
  const { session_token, session_jwt }: SessionTokens = tokens;
  use(session_token, session_jwt);
}
if (user) {
  const status: 'active' | 'pending' = user.status;
  const name: Name = user.name;
  const email: UserEmail | undefined = user.emails[0];
  const phone: UserPhoneNumber | undefined = user.phone_numbers[0];
  const provider: UserProvider | undefined = user.providers[0];
  const password: UserPassword | null = user.password;
  const totp: UserTotp | undefined = user.totps[0];
  const webauthn: UserWebAuthnRegistration | undefined = user.webauthn_registrations[0];
  const wallet: UserCryptoWallet | undefined = user.crypto_wallets[0];
  const biometric: UserBiometricRegistration | undefined = user.biometric_registrations[0];
  const trusted: JsonValue | undefined = user.trusted_metadata['tier'];
  const untrusted: JsonValue | undefined = user.untrusted_metadata['theme'];
  const locked: boolean = user.is_locked;
  const created: string = user.created_at;
  use(status, name.first_name, name.middle_name, name.last_name, email?.email, email?.email_id, email?.verified,
    phone?.phone_id, phone?.phone_number, phone?.verified, provider?.provider_type, provider?.provider_subject,
    provider?.profile_picture_url, provider?.locale, provider?.oauth_user_registration_id, password?.password_id,
    password?.requires_reset, totp?.totp_id, totp?.verified, webauthn?.webauthn_registration_id, webauthn?.domain,
    webauthn?.user_agent, webauthn?.verified, webauthn?.authenticator_type, webauthn?.name,
    wallet?.crypto_wallet_id, wallet?.crypto_wallet_address, wallet?.crypto_wallet_type, wallet?.verified,
    biometric?.biometric_registration_id, biometric?.verified, trusted, untrusted, locked, created, user.roles,
    user.user_id);
}

// ---------------------------------------------------------------- errors

/** One message per error variant: `kind` narrows the union. */
function describe(e: unknown): string {
  if (!(e instanceof LatchkeyError)) return 'not ours';
  const retry: boolean = e.retryable;
  const name: 'LatchkeyError' = e.name;
  const message: string = e.message;
  use(retry, name, message);
  switch (e.kind) {
    case 'api': {
      const api: LatchkeyApiError = e;
      const type: ApiErrorType = api.error_type;
      if (type === 'weak_password' || type === 'pkce_mismatch') return api.error_message;
      return `${api.status_code} ${api.request_id} ${type} ${api.error_url}`;
    }
    case 'network': {
      const network: LatchkeyNetworkError = e;
      const reason: 'offline' | 'unreachable' | 'timeout' = network.reason;
      return reason;
    }
    case 'validation': {
      const validation: LatchkeyValidationError = e;
      return validation.field;
    }
    case 'usage': {
      const usage: LatchkeyUsageError = e;
      return usage.message;
    }
    case 'webauthn': {
      const ceremony: LatchkeyWebAuthnError = e;
      return ceremony.reason;
    }
    default: {
      const never: never = e;
      return never;
    }
  }
}
const futureError: ApiErrorType = 'some_error_added_next_year';
use(describe, futureError);

// ---------------------------------------------------------------- every method, with its exact result type

async function everything(c: LatchkeyClient): Promise<void> {
  const duration: SessionDurationOptions = { session_duration_minutes: 60 };
  const locale: Locale = 'pt-br';
  const otherLocale: Locale = 'de';

  // session
  const refreshOptions: SessionAuthenticateOptions = { session_duration_minutes: 30 };
  const refreshed: AuthenticateResponse = await c.session.authenticate(refreshOptions);
  const plainRefresh: AuthenticateResponse = await c.session.authenticate();
  const revokeOptions: RevokeOptions = { forceClear: true };
  const revoked: BaseResponse | Record<string, never> = await c.session.revoke(revokeOptions);
  await c.session.revoke();
  const adopted: AuthenticateResponse = await c.session.updateSession({ session_token: 'tok' });
  await c.session.updateSession({ session_token: 'tok', session_jwt: 'a.b.c' });
  use(refreshed.session.session_id, refreshed.session_jwt, refreshed.session_token, refreshed.user.user_id,
    refreshed.user_id, refreshed.request_id, refreshed.status_code, plainRefresh, revoked, adopted);

  // user
  const me: User = await c.user.get();
  const update: UserUpdateOptions = { name: { first_name: 'Ada', last_name: 'Lovelace' }, untrusted_metadata: { theme: 'dark', n: 1, list: [true, null] } };
  const updated: UserUpdateResponse = await c.user.update(update);
  use(me, updated.user_id, updated.emails, updated.phone_numbers);

  // magic links
  const mlOptions: MagicLinkSendOptions = {
    login_magic_link_url: 'https://app.example/auth', signup_magic_link_url: 'https://app.example/welcome',
    login_expiration_minutes: 15, signup_expiration_minutes: 60, login_template_id: 't1', signup_template_id: 't2', locale,
  };
  const created: MagicLinksLoginOrCreateResponse = await c.magicLinks.email.loginOrCreate('ada@example.com', mlOptions);
  const sent: MagicLinksSendResponse = await c.magicLinks.email.send('ada@example.com');
  const mlAuth: MagicLinksAuthenticateResponse = await c.magicLinks.authenticate('token', duration);
  use(created.user_created, created.email_id, sent.user_id, sent.email_id, mlAuth.method_id, mlAuth.session);

  // one-time codes
  const phoneOptions: OtpPhoneOptions = { expiration_minutes: 5, locale: otherLocale };
  const emailOptions: OtpEmailOptions = { expiration_minutes: 5, login_template_id: 'a', signup_template_id: 'b' };
  const sms: OtpPhoneMethods = c.otps.sms;
  const whatsapp: OtpPhoneMethods = c.otps.whatsapp;
  const emailOtp: OtpEmailMethods = c.otps.email;
  const smsCreated: OtpsLoginOrCreateResponse = await sms.loginOrCreate('+15555550123', phoneOptions);
  const smsSent: OtpsSendResponse = await sms.send('+15555550123');
  const waCreated: OtpsLoginOrCreateResponse = await whatsapp.loginOrCreate('+15555550123');
  const waSent: OtpsSendResponse = await whatsapp.send('+15555550123', phoneOptions);
  const emailCreated: OtpsLoginOrCreateResponse = await emailOtp.loginOrCreate('ada@example.com', emailOptions);
  const emailSent: OtpsSendResponse = await emailOtp.send('ada@example.com', emailOptions);
  const otpAuth: OtpsAuthenticateResponse = await c.otps.authenticate('123456', smsCreated.method_id, duration);
  use(smsCreated.user_created, smsSent.method_id, waCreated.user_id, waSent, emailCreated, emailSent, otpAuth.method_id);

  // passwords
  const credentials: PasswordCredentials = { email: 'ada@example.com', password: 'pw', session_duration_minutes: 60 };
  const pwCreated: PasswordsCreateResponse = await c.passwords.create(credentials);
  const pwAuth: AuthenticateResponse = await c.passwords.authenticate(credentials);
  const strengthOptions: StrengthCheckOptions = { email: 'ada@example.com', password: 'pw' };
  const strength: StrengthCheckResponse = await c.passwords.strengthCheck(strengthOptions);
  await c.passwords.strengthCheck({ password: 'only the password' });
  const policy: 'zxcvbn' | 'luds' = strength.strength_policy;
  const luds = strength.feedback.luds_requirements;
  use(pwCreated.email_id, pwAuth, strength.valid_password, strength.score, strength.breached_password,
    strength.breach_detection_on_create, strength.feedback.warning, strength.feedback.suggestions, policy,
    luds?.has_lower_case, luds?.has_upper_case, luds?.has_digit, luds?.has_symbol, luds?.missing_complexity,
    luds?.missing_characters);
  const startOptions: ResetByEmailStartOptions = {
    email: 'ada@example.com', login_redirect_url: 'https://app.example/login',
    reset_password_redirect_url: 'https://app.example/reset', login_expiration_minutes: 10,
    reset_password_expiration_minutes: 30, reset_password_template_id: 'r', locale: 'fr',
  };
  const resetStarted: BaseResponse = await c.passwords.resetByEmailStart(startOptions);
  const byEmail: ResetByEmailOptions = { token: 't', password: 'new', session_duration_minutes: 60 };
  const byExisting: ResetByExistingPasswordOptions = { email: 'ada@example.com', existing_password: 'old', new_password: 'new', session_duration_minutes: 60 };
  const bySession: ResetBySessionOptions = { password: 'new', session_duration_minutes: 60 };
  const reset1: AuthenticateResponse = await c.passwords.resetByEmail(byEmail);
  const reset2: AuthenticateResponse = await c.passwords.resetByExistingPassword(byExisting);
  const reset3: AuthenticateResponse = await c.passwords.resetBySession(bySession);
  use(resetStarted, reset1, reset2, reset3);

  // OAuth: every provider, one mechanism
  const startOptionsOAuth: OAuthStartOptions = {
    login_redirect_url: 'https://app.example/cb', signup_redirect_url: 'https://app.example/cb',
    custom_scopes: ['repo', 'read:org'], provider_params: { prompt: 'consent' },
  };
  const providers: OAuthProviderName[] = ['google', 'github', 'microsoft', 'apple', 'facebook', 'gitlab', 'discord', 'slack', 'linkedin', 'twitter'];
  for (const p of providers) {
    const methods: OAuthProviderMethods = c.oauth[p];
    const started: { url: string } = await methods.start(startOptionsOAuth);
    use(started.url);
  }
  await c.oauth.google.start();
  const oauthAuth: OAuthAuthenticateResponse = await c.oauth.authenticate('token', duration);
  const values: OAuthProviderValues = oauthAuth.provider_values;
  const expiresAt: string | undefined = values.expires_at;
  use(oauthAuth.provider_subject, oauthAuth.provider_type, values.access_token, values.refresh_token, values.id_token,
    values.scopes, expiresAt);

  // sign-in from the URL
  const parsed: ParsedAuthenticateUrl | null = c.parseAuthenticateUrl();
  const parsedHref: ParsedAuthenticateUrl | null = c.parseAuthenticateUrl('https://app.example/?stytch_token_type=oauth&token=x');
  if (parsed) use(parsed.handled, parsed.tokenType, parsed.token, parsedHref);
  const byUrl: AuthenticateByUrlResult | null = await c.authenticateByUrl(duration);
  await c.authenticateByUrl(duration, 'https://app.example/?stytch_token_type=magic_links&token=x');
  if (byUrl === null) {
    // no token in the URL
  } else if (byUrl.handled) {
    if (byUrl.tokenType === 'magic_links') {
      const data: MagicLinksAuthenticateResponse = byUrl.data;
      use(data.method_id);
    } else {
      const data: OAuthAuthenticateResponse = byUrl.data;
      use(data.provider_values.access_token);
    }
  } else {
    const token: string = byUrl.token;
    const tokenType: string = byUrl.tokenType;
    if (tokenType === 'reset_password') await c.passwords.resetByEmail({ token, password: 'new', session_duration_minutes: 60 });
  }

  c.destroy();
}
use(everything);

// Every method's promise resolves to exactly the documented type.
check<Equals<Result<LatchkeyClient['session']['authenticate']>, AuthenticateResponse>>();
check<Equals<Result<LatchkeyClient['session']['updateSession']>, AuthenticateResponse>>();
check<Equals<Result<LatchkeyClient['user']['get']>, User>>();
check<Equals<Result<LatchkeyClient['user']['update']>, UserUpdateResponse>>();
check<Equals<Result<LatchkeyClient['magicLinks']['email']['loginOrCreate']>, MagicLinksLoginOrCreateResponse>>();
check<Equals<Result<LatchkeyClient['magicLinks']['email']['send']>, MagicLinksSendResponse>>();
check<Equals<Result<LatchkeyClient['magicLinks']['authenticate']>, MagicLinksAuthenticateResponse>>();
check<Equals<Result<LatchkeyClient['otps']['sms']['loginOrCreate']>, OtpsLoginOrCreateResponse>>();
check<Equals<Result<LatchkeyClient['otps']['email']['send']>, OtpsSendResponse>>();
check<Equals<Result<LatchkeyClient['otps']['authenticate']>, OtpsAuthenticateResponse>>();
check<Equals<Result<LatchkeyClient['passwords']['create']>, PasswordsCreateResponse>>();
check<Equals<Result<LatchkeyClient['passwords']['strengthCheck']>, StrengthCheckResponse>>();
check<Equals<Result<LatchkeyClient['oauth']['authenticate']>, OAuthAuthenticateResponse>>();
check<Equals<Result<LatchkeyClient['oauth']['twitter']['start']>, { url: string }>>();
check<Equals<Result<LatchkeyClient['authenticateByUrl']>, AuthenticateByUrlResult | null>>();
check<Equals<LatchkeyError, LatchkeyApiError | LatchkeyNetworkError | LatchkeyValidationError | LatchkeyUsageError | LatchkeyWebAuthnError>>();
check<Equals<LatchkeyError['kind'], 'api' | 'network' | 'validation' | 'usage' | 'webauthn'>>();
check<Equals<keyof LatchkeyClient['oauth'], OAuthProviderName | 'authenticate'>>();

// No `any` anywhere an app reads.
check<Equals<IsAny<User['trusted_metadata'][string]>, false>>();
check<Equals<IsAny<Session['custom_claims'][string]>, false>>();
check<Equals<IsAny<Result<LatchkeyClient['session']['revoke']>>, false>>();
check<Equals<IsAny<Parameters<Parameters<LatchkeyClient['onStateChange']>[0]>[0]>, false>>();
check<Equals<IsAny<AuthenticationFactor['email_factor']>, false>>();

// ---------------------------------------------------------------- wrong uses must not compile

async function wrongUses(c: LatchkeyClient): Promise<void> {
  // @ts-expect-error session_duration_minutes is required
  void c.passwords.authenticate({ email: 'a@b.co', password: 'x' });
  // @ts-expect-error unknown provider
  void c.oauth.myspace;
  // @ts-expect-error otps.authenticate needs the session duration
  void c.otps.authenticate('123456', 'phone-number-test-1');
  // @ts-expect-error magicLinks.authenticate needs the session duration
  void c.magicLinks.authenticate('token');
  // @ts-expect-error authenticateByUrl needs the session duration
  void c.authenticateByUrl();
  // @ts-expect-error strengthCheck needs the password
  void c.passwords.strengthCheck({ email: 'a@b.co' });
  // @ts-expect-error resetByEmail needs the token
  void c.passwords.resetByEmail({ password: 'x', session_duration_minutes: 60 });
  // @ts-expect-error the frontend cannot change emails through user.update
  void c.user.update({ emails: [] });
  // @ts-expect-error custom_scopes is a list
  void c.oauth.google.start({ custom_scopes: 'repo read:org' });
  // @ts-expect-error provider params are strings
  void c.oauth.google.start({ provider_params: { prompt: 1 } });
  // @ts-expect-error the session duration is a number
  void c.session.authenticate({ session_duration_minutes: '60' });
  // @ts-expect-error updateSession needs the session token
  void c.session.updateSession({ session_jwt: 'a.b.c' });
  // @ts-expect-error misspelled option
  createClient('public-token-test-123', { refreshInterval: 1000 });
  // @ts-expect-error the cookie path is a string
  createClient('public-token-test-123', { cookieOptions: { path: 1 } });
  // @ts-expect-error exactOptionalPropertyTypes: an optional option is left out, not undefined
  createClient('public-token-test-123', { baseUrl: undefined });
  // @ts-expect-error the session may be null
  const s: Session = c.session.getSync();
  // @ts-expect-error the tokens may be null
  const t: SessionTokens = c.session.getTokens();
  // @ts-expect-error user status is active or pending
  const st: User['status'] = 'deleted';
  // @ts-expect-error not a factor type
  const ft: FactorType = 'sms';
  use(s, t, st, ft);
  // @ts-expect-error session listeners receive a Session or null
  c.session.onChange((session: string) => use(session));
  try {
    await c.user.get();
  } catch (e) {
    if (e instanceof LatchkeyError) {
      // @ts-expect-error only validation errors name a field
      use(e.field);
      if (e.kind === 'network') {
        // @ts-expect-error network reasons are offline, unreachable or timeout
        use(e.reason === 'dns');
        // @ts-expect-error a network error has no status code
        use(e.status_code);
      }
    }
  }
  const result = await c.authenticateByUrl({ session_duration_minutes: 60 });
  if (result) {
    // @ts-expect-error data exists only once `handled` is narrowed to true
    use(result.data);
  }
  // @ts-expect-error LatchkeyError is not constructible by apps
  use(new LatchkeyError());
}
use(wrongUses);
