// Passkeys (WebAuthn), authenticator apps (TOTP) and factor deletion, as a
// strict TypeScript app uses them: every type these families add to
// pkg/index.d.ts is used here, and wrong uses (@ts-expect-error) must not
// type-check.
import {
  createClient, LatchkeyError,
  type DeleteFactorResponse, type LatchkeyWebAuthnError, type TotpAuthenticateOptions, type TotpAuthenticateResponse,
  type TotpCreateOptions, type TotpCreateResponse, type TotpRecoverOptions, type TotpRecoveryCodesResponse,
  type WebAuthnAuthenticateOptions, type WebAuthnAuthenticateResponse, type WebAuthnRegisterOptions,
  type WebAuthnUpdateOptions, type WebAuthnUpdateResponse, type AuthenticationFactor, type ApiErrorType,
} from 'latchkey';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Result<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
function check<T extends true>(): T | void { return undefined; }

const client = createClient('public-token-test-00000000-0000-0000-0000-000000000000');

export async function passkeys(): Promise<void> {
  const register: WebAuthnRegisterOptions = { is_passkey: true, session_duration_minutes: 60, authenticator_type: 'platform' };
  const registered: WebAuthnAuthenticateResponse = await client.webauthn.register(register);
  check<Equals<Result<typeof client.webauthn.register>, WebAuthnAuthenticateResponse>>();
  const name: string = registered.user.webauthn_registrations[0]?.name ?? '';

  const controller = new AbortController();
  const options: WebAuthnAuthenticateOptions = {
    session_duration_minutes: 60, is_passkey: true, conditional_mediation: true, signal: controller.signal,
  };
  const signedIn = await client.webauthn.authenticate(options);
  // Autofill resolves null where the browser cannot offer passkeys.
  check<Equals<typeof signedIn, WebAuthnAuthenticateResponse | null>>();
  if (signedIn) {
    const factor: AuthenticationFactor | undefined = signedIn.session.authentication_factors[0];
    const id: string | undefined = factor?.webauthn_factor?.webauthn_registration_id;
    void id;
  }
  const update: WebAuthnUpdateOptions = { webauthn_registration_id: registered.webauthn_registration_id, name: `${name} (laptop)` };
  const renamed: WebAuthnUpdateResponse = await client.webauthn.update(update);
  const supported: boolean = await client.webauthn.browserSupportsAutofill();
  void renamed; void supported;

  // @ts-expect-error session_duration_minutes is required to sign in
  await client.webauthn.authenticate({ is_passkey: true });
  // @ts-expect-error an authenticator type is 'platform' or 'cross-platform'
  await client.webauthn.register({ authenticator_type: 'usb' });

  try {
    await client.webauthn.register();
  } catch (e) {
    if (e instanceof LatchkeyError && e.kind === 'webauthn') {
      const ceremony: LatchkeyWebAuthnError = e;
      const reason: 'cancelled' | 'unsupported' | 'already_registered' | 'failed' = ceremony.reason;
      const exception: string = ceremony.exception;
      void reason; void exception;
    }
  }
}

export async function authenticatorApp(): Promise<void> {
  const create: TotpCreateOptions = { expiration_minutes: 30 };
  const created: TotpCreateResponse = await client.totps.create(create);
  const qr: string = created.qr_code;
  const codes: string[] = created.recovery_codes;
  const authenticate: TotpAuthenticateOptions = { totp_code: '123456', session_duration_minutes: 60 };
  const confirmed: TotpAuthenticateResponse = await client.totps.authenticate(authenticate);
  const totpFactor: string | undefined = confirmed.session.authentication_factors
    .find((f) => f.type === 'totp')?.authenticator_app_factor?.totp_id;
  const listed: TotpRecoveryCodesResponse = await client.totps.recoveryCodes();
  const first: string | undefined = listed.totps[0]?.recovery_codes[0];
  const recover: TotpRecoverOptions = { recovery_code: first ?? codes[0] ?? '', session_duration_minutes: 60 };
  const recovered: TotpAuthenticateResponse = await client.totps.recover(recover);
  const recoveryFactor = recovered.session.authentication_factors.find((f) => f.type === 'recovery_codes');
  void qr; void totpFactor; void recoveryFactor?.recovery_code_factor?.totp_recovery_code_id;

  // @ts-expect-error the code is a string of digits
  await client.totps.authenticate({ totp_code: 123456, session_duration_minutes: 60 });
}

export async function deleteFactors(): Promise<void> {
  const user = client.user.getSync();
  if (!user) return;
  const results: DeleteFactorResponse[] = await Promise.all([
    client.user.deleteEmail(user.emails[1]?.email_id ?? ''),
    client.user.deletePhoneNumber(user.phone_numbers[0]?.phone_id ?? ''),
    client.user.deleteTOTP(user.totps[0]?.totp_id ?? ''),
    client.user.deleteOAuthRegistration(user.providers[0]?.oauth_user_registration_id ?? ''),
    client.user.deleteWebauthnRegistration(user.webauthn_registrations[0]?.webauthn_registration_id ?? ''),
  ]);
  const after: string = results[0]?.user.user_id ?? '';
  void after;
  try {
    await client.user.deleteEmail(user.emails[0]?.email_id ?? '');
  } catch (e) {
    // The refusals of these families are named in ApiErrorType (autocompleted, still open to new ones).
    if (e instanceof LatchkeyError && e.kind === 'api' && e.error_type === 'cannot_delete_last_primary_factor') {
      const type: ApiErrorType = e.error_type;
      void type;
    }
  }
  // @ts-expect-error an id is a string
  await client.user.deleteEmail(7);
}
