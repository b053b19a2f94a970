// Passkeys and security keys (webauthn.*): real ceremonies in headless
// Chromium with DevTools virtual authenticators, verified by the real server.
// The page is http://localhost:<port> (WebAuthn needs a domain; localhost may
// be http), so the relying party is `localhost`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import { SECURITY_KEY, virtualAuthenticator } from '../support/authenticator.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, events, quietPeriod, waitFor, observable,
  assertSignedInOnce, twoSignedInTabs, recordApi, answered, basic, STRONG_PASSWORD,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

// A ceremony the browser never settles waits for the options' 5-minute
// timeout: a test fails well before that instead of hanging.
const CEREMONY = { timeout: 30_000 };
const B64URL = /^[A-Za-z0-9_-]+$/;
const body = (entry) => (entry.body === null ? null : JSON.parse(entry.body));
/** The credential the SDK sent in a finish call (a JSON string inside the JSON body). */
const credentialOf = (entry) => JSON.parse(body(entry).public_key_credential);
const clientData = (credential) => JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString());
const paths = (log) => log.map((e) => `${e.method} ${e.path}`);
const userAgent = (page) => page.evaluate(() => navigator.userAgent);

/** Registers a passkey for the signed-in user of `page`; returns the response. */
const registerPasskey = (page) => mustInPage(page, (c) => c.webauthn.register({ is_passkey: true, session_duration_minutes: 60 }));
const signOut = (page) => mustInPage(page, (c) => c.session.revoke());
const passkeySignIn = (page, minutes = 60) => inPage(page, (c, m) => c.webauthn.authenticate({ is_passkey: true, session_duration_minutes: m }), minutes);

test('a passkey: registered after a password sign-up (same session, both factors, cached user), then it alone signs in every tab once', CEREMONY, async () => {
  const context = await browser.newContext();
  const { page, other, response: signedUp } = await twoSignedInTabs(context, server);
  const authenticator = await virtualAuthenticator(page);
  const log = recordApi(context, '/sdk/v1/webauthn/');
  const ua = await userAgent(page);

  const registered = await registerPasskey(page);
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/register/start', 'POST /sdk/v1/webauthn/register']);
  const [start, finish] = log;
  // protocol.md §2.1, as observed from the official SDK: exactly these three fields.
  assert.deepEqual(body(start), { domain: 'localhost', return_passkey_credential_options: true, user_agent: ua });
  assert.equal(start.authorization, basic(server.publicToken, signedUp.session_token), 'keyed by the session');
  const creation = JSON.parse(start.answer.data.public_key_credential_creation_options);
  assert.equal(creation.authenticatorSelection.residentKey, 'required', 'a passkey is discoverable');
  assert.deepEqual(Object.keys(body(finish)).sort(), ['public_key_credential', 'session_duration_minutes']);
  assert.equal(body(finish).session_duration_minutes, 60);
  const credential = credentialOf(finish);
  assert.deepEqual(Object.keys(credential).sort(), ['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
  assert.equal(credential.type, 'public-key');
  assert.equal(credential.authenticatorAttachment, 'platform');
  assert.equal(credential.rawId, credential.id);
  assert.deepEqual(Object.keys(credential.response).sort(), ['attestationObject', 'clientDataJSON', 'transports']);
  for (const field of ['clientDataJSON', 'attestationObject']) assert.match(credential.response[field], B64URL, `${field} is unpadded base64url`);
  assert.deepEqual(credential.response.transports, ['internal']);
  const created = clientData(credential);
  assert.equal(created.type, 'webauthn.create');
  assert.equal(created.origin, server.url);
  // The challenge the browser signed is the server's (standard base64 there, base64url here).
  assert.equal(created.challenge, Buffer.from(creation.challenge, 'base64').toString('base64url'));

  // The answer: the registration, the same session extended with the webauthn factor, no __user.
  assert.match(registered.webauthn_registration_id, /^webauthn-registration-test-/);
  assert.equal('__user' in registered, false);
  assert.equal(registered.session.session_id, signedUp.session.session_id, 'the sign-up session, extended');
  assert.deepEqual(registered.session.authentication_factors.map((f) => f.type), ['password', 'webauthn']);
  const factor = registered.session.authentication_factors[1];
  assert.equal(factor.delivery_method, 'webauthn_registration');
  assert.deepEqual(factor.webauthn_factor, { webauthn_registration_id: registered.webauthn_registration_id, domain: 'localhost', user_agent: ua });
  const entry = registered.user.webauthn_registrations.find((r) => r.webauthn_registration_id === registered.webauthn_registration_id);
  assert.deepEqual(entry, {
    webauthn_registration_id: registered.webauthn_registration_id, domain: 'localhost', user_agent: ua,
    authenticator_type: '', verified: true, name: entry.name,
  });
  assert.match(entry.name, /\S/, 'a generated name');

  // The authenticator holds a discoverable credential whose user handle names the user.
  const [held] = await authenticator.credentials();
  assert.equal(held.isResidentCredential, true);
  assert.equal(held.rpId, 'localhost');
  assert.equal(Buffer.from(held.credentialId, 'base64').toString('base64url'), credential.id);
  assert.equal(Buffer.from(held.userHandle, 'base64').toString(), signedUp.user_id);

  // Every tab holds the new session and user, told once (sign-up was the first notification).
  for (const tab of [page, other]) {
    await waitFor(async () => (await snapshot(tab)).user?.webauthn_registrations.length === 1, { timeoutMs: 1000, message: 'the registration in every tab' });
  }
  await quietPeriod();
  for (const tab of [page, other]) {
    const s = await snapshot(tab);
    assert.deepEqual(s.session, registered.session);
    assert.deepEqual(s.user, registered.user);
    assert.deepEqual(s.counts, { session: 2, user: 2, state: 2 });
    assert.deepEqual((await events(tab)).user[1], registered.user, 'user.onChange got the user with the registration');
  }

  await signOut(page);
  await waitFor(async () => (await snapshot(other)).session === null, { timeoutMs: 1000, message: 'the other tab signed out' });
  log.length = 0;

  const { value: signedIn, error } = await passkeySignIn(page, 45);
  assert.equal(error, undefined, JSON.stringify(error));
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/primary', 'POST /sdk/v1/webauthn/authenticate']);
  // protocol.md §2.2: the start carries only these two fields; no session yet.
  assert.deepEqual(body(log[0]), { domain: 'localhost', return_passkey_credential_options: true });
  assert.equal(log[0].authorization, basic(server.publicToken), 'no session: the public token twice');
  const request = JSON.parse(log[0].answer.data.public_key_credential_request_options);
  assert.deepEqual(request.allowCredentials ?? [], [], 'no user is known: any discoverable credential');
  assert.deepEqual(Object.keys(body(log[1])).sort(), ['public_key_credential', 'session_duration_minutes']);
  assert.equal(body(log[1]).session_duration_minutes, 45);
  const assertion = credentialOf(log[1]);
  assert.equal(assertion.id, credential.id);
  assert.deepEqual(Object.keys(assertion.response).sort(), ['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);
  assert.equal(Buffer.from(assertion.response.userHandle, 'base64url').toString(), signedUp.user_id);
  assert.equal(clientData(assertion).type, 'webauthn.get');

  // A new session whose only factor is the passkey.
  assert.equal(signedIn.user_id, signedUp.user_id);
  assert.equal(signedIn.webauthn_registration_id, registered.webauthn_registration_id);
  assert.notEqual(signedIn.session.session_id, signedUp.session.session_id);
  assert.deepEqual(signedIn.session.authentication_factors.map((f) => [f.type, f.delivery_method, f.webauthn_factor?.webauthn_registration_id]),
    [['webauthn', 'webauthn_registration', registered.webauthn_registration_id]]);
  const minutes = (Date.parse(signedIn.session.expires_at) - Date.parse(signedIn.session.started_at)) / 60_000;
  assert.ok(Math.abs(minutes - 45) <= 1, `a session of ${minutes} minutes`);
  assert.equal('__user' in signedIn, false);
  // Sign-up, registration, sign-out: this is each tab's fourth notification.
  await assertSignedInOnce(context, server, [page, other], signedIn, { baseline: 3 });
  assert.equal((await authenticator.credentials())[0].signCount, 2, 'one assertion after the registration');
  await context.close();
});

test('signed in with a password, webauthn.authenticate uses /start/secondary and adds the factor to the same session', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  const { email, password } = await signUp(page);
  const registered = await registerPasskey(page);
  await signOut(page);
  const byPassword = await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 60 }), { email, password });
  assert.deepEqual(byPassword.session.authentication_factors.map((f) => f.type), ['password']);
  const before = (await snapshot(page)).counts;

  const log = recordApi(page, '/sdk/v1/webauthn/');
  const data = await mustInPage(page, (c) => c.webauthn.authenticate({ session_duration_minutes: 60 }));
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/secondary', 'POST /sdk/v1/webauthn/authenticate']);
  // Without is_passkey the option is absent from the wire, not `false`.
  assert.deepEqual(body(log[0]), { domain: 'localhost' });
  assert.equal(log[0].authorization, basic(server.publicToken, byPassword.session_token));
  // The session's user is known: the options name their credential.
  const request = JSON.parse(log[0].answer.data.public_key_credential_request_options);
  const [held] = await authenticator.credentials();
  assert.deepEqual(request.allowCredentials.map((c) => c.id), [held.credentialId]);
  assert.equal(request.rpId, 'localhost');

  assert.equal(data.session.session_id, byPassword.session.session_id, 'the same session, extended');
  assert.equal(data.session_token, byPassword.session_token);
  assert.deepEqual(data.session.authentication_factors.map((f) => f.type), ['password', 'webauthn']);
  assert.equal(data.session.authentication_factors[1].webauthn_factor.webauthn_registration_id, registered.webauthn_registration_id);
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.session, data.session);
  assert.equal(s.counts.session, before.session + 1, 'one session notification');
  await context.close();
});

test('a USB security key without resident keys: registered as cross-platform, useless without a session, a second factor with one', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const key = await virtualAuthenticator(page, SECURITY_KEY);
  const { email, password, response: signedUp } = await signUp(page);
  const log = recordApi(page, '/sdk/v1/webauthn/');

  const registered = await mustInPage(page, (c) => c.webauthn.register({ authenticator_type: 'cross-platform' }));
  await answered(log);
  assert.deepEqual(body(log[0]), { domain: 'localhost', authenticator_type: 'cross-platform', user_agent: await userAgent(page) });
  const creation = JSON.parse(log[0].answer.data.public_key_credential_creation_options);
  assert.equal(creation.authenticatorSelection.authenticatorAttachment, 'cross-platform');
  assert.equal(creation.authenticatorSelection.residentKey, 'discouraged');
  // No session_duration_minutes given: absent from the finish body (the server then extends by its default, 60 minutes).
  assert.deepEqual(Object.keys(body(log[1])), ['public_key_credential']);
  assert.equal(registered.session.session_id, signedUp.session.session_id);
  const credential = credentialOf(log[1]);
  assert.equal(credential.authenticatorAttachment, 'cross-platform');
  assert.deepEqual(credential.response.transports, ['usb']);
  const [held] = await key.credentials();
  assert.equal(held.isResidentCredential, false, 'Chromium made a server-side credential');
  const entry = registered.user.webauthn_registrations[0];
  assert.equal(entry.authenticator_type, 'cross-platform');

  // Without a session the server cannot name the credential, and the key holds none it could discover.
  await signOut(page);
  log.length = 0;
  const { error } = await passkeySignIn(page);
  assert.equal(error?.kind, 'webauthn');
  assert.equal(error.reason, 'cancelled');
  assert.equal(error.exception, 'NotAllowedError');
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/primary'], 'nothing to finish');
  assert.equal((await snapshot(page)).session, null);

  // As a second factor after the password, it works.
  await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 60 }), { email, password });
  const second = await mustInPage(page, (c) => c.webauthn.authenticate({ session_duration_minutes: 60 }));
  assert.deepEqual(second.session.authentication_factors.map((f) => f.type), ['password', 'webauthn']);
  assert.equal(second.webauthn_registration_id, registered.webauthn_registration_id);
  await context.close();
});

test('override_id/name/display_name and use_base64_url_encoding reach the server, shape the options (base64url), and the passkey still signs in', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  const { response: signedUp } = await signUp(page);
  const log = recordApi(page, '/sdk/v1/webauthn/');
  const options = {
    is_passkey: true, override_id: 'handle-for-ada', override_name: 'ada@work.example', override_display_name: 'Ada L.',
    use_base64_url_encoding: true, session_duration_minutes: 60,
  };
  const registered = await mustInPage(page, (c, o) => c.webauthn.register(o), options);
  await answered(log);
  assert.deepEqual(body(log[0]), {
    domain: 'localhost', return_passkey_credential_options: true, override_id: 'handle-for-ada', override_name: 'ada@work.example',
    override_display_name: 'Ada L.', user_agent: await userAgent(page), use_base64_url_encoding: true,
  });
  const creation = JSON.parse(log[0].answer.data.public_key_credential_creation_options);
  // base64url, which the SDK must decode as well as standard base64.
  assert.match(creation.challenge, B64URL);
  assert.equal(creation.user.id, Buffer.from('handle-for-ada').toString('base64url'));
  assert.deepEqual([creation.user.name, creation.user.displayName], ['ada@work.example', 'Ada L.']);
  const [held] = await authenticator.credentials();
  assert.equal(Buffer.from(held.userHandle, 'base64').toString(), 'handle-for-ada');
  assert.deepEqual([held.userName, held.userDisplayName], ['ada@work.example', 'Ada L.']);

  await signOut(page);
  const { value: signedIn, error } = await passkeySignIn(page);
  assert.equal(error, undefined, JSON.stringify(error));
  assert.equal(signedIn.user_id, signedUp.user_id, 'the server maps the overridden handle back to the user');
  assert.equal(signedIn.webauthn_registration_id, registered.webauthn_registration_id);
  await context.close();
});

test('webauthn.update renames a registration; the cached user learns it from user.get()', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  await virtualAuthenticator(page);
  await signUp(page);
  const registered = await registerPasskey(page);
  const id = registered.webauthn_registration_id;
  const oldName = registered.user.webauthn_registrations[0].name;
  await quietPeriod();
  const before = (await snapshot(page)).counts;
  const log = recordApi(page);

  const renamed = await mustInPage(page, (c, i) => c.webauthn.update({ webauthn_registration_id: i, name: '  Work laptop ' }), id);
  await answered(log);
  assert.deepEqual(paths(log), [`PUT /sdk/v1/webauthn/update/${id}`]);
  assert.deepEqual(body(log[0]), { name: '  Work laptop ' });
  assert.equal(renamed.webauthn_registration.webauthn_registration_id, id);
  assert.equal(renamed.webauthn_registration.name, 'Work laptop', 'trimmed by the server');
  // protocol.md §2.3: the SDK hands the answer back and keeps its cached user.
  await quietPeriod();
  let s = await snapshot(page);
  assert.equal(s.user.webauthn_registrations[0].name, oldName);
  assert.deepEqual(s.counts, before);

  const user = await mustInPage(page, (c) => c.user.get());
  assert.equal(user.webauthn_registrations[0].name, 'Work laptop');
  await quietPeriod();
  s = await snapshot(page);
  assert.equal(s.user.webauthn_registrations[0].name, 'Work laptop');
  assert.equal(s.counts.user, before.user + 1, 'user.onChange once');
  assert.equal(s.counts.session, before.session, 'the session did not change');
  await context.close();
});

test('user.deleteWebauthnRegistration removes it (user.onChange once, no __user); a later passkey sign-in is a typed api error', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  await signUp(page);
  const registered = await registerPasskey(page);
  const id = registered.webauthn_registration_id;
  await quietPeriod();
  const before = (await snapshot(page)).counts;
  const log = recordApi(page);

  const deleted = await mustInPage(page, (c, i) => c.user.deleteWebauthnRegistration(i), id);
  await answered(log);
  assert.deepEqual(paths(log), [`DELETE /sdk/v1/users/webauthn_registrations/${id}`]);
  assert.equal(log[0].body, null, 'a DELETE has no body');
  assert.equal('__user' in deleted, false);
  assert.deepEqual(deleted.user.webauthn_registrations, []);
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.user, deleted.user, 'the cached user is the server\'s');
  assert.equal(s.counts.user, before.user + 1);
  assert.equal(s.counts.session, before.session);

  // The authenticator still holds the credential; the server no longer knows it.
  assert.equal((await authenticator.credentials()).length, 1);
  await signOut(page);
  const after = await observable(context, [page]);
  const { error } = await passkeySignIn(page);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'webauthn_registration_not_found');
  assert.equal(error.status_code, 404);
  assert.equal(error.isLatchkeyError, true);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), after, 'still signed out, nothing written');

  // Deleting it again: the same typed error.
  await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 60 }), { email: registered.user.emails[0].email, password: STRONG_PASSWORD });
  const again = await inPage(page, (c, i) => c.user.deleteWebauthnRegistration(i), id);
  assert.equal(again.error?.error_type, 'webauthn_registration_not_found');
  await context.close();
});

/** Records the options of every navigator.credentials.get in the page (window.gets), passing them through. */
function recordGets(context) {
  return context.addInitScript(() => {
    window.gets = [];
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      window.gets.push({ mediation: options.mediation ?? null, signal: options.signal instanceof AbortSignal });
      return get(options);
    };
  });
}

const addUsernameField = (page) => page.evaluate(() => {
  const input = document.createElement('input');
  input.id = 'username';
  input.autocomplete = 'username webauthn';
  document.body.append(input);
});

test('autofill: browserSupportsAutofill() is Chromium\'s answer; conditional mediation is null without a webauthn input, and signs in with one', CEREMONY, async () => {
  const context = await browser.newContext();
  await recordGets(context);
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  await virtualAuthenticator(page);
  await signUp(page);
  const registered = await registerPasskey(page);
  await signOut(page);
  await quietPeriod();

  const supported = await page.evaluate(() => window.client.webauthn.browserSupportsAutofill());
  const native = await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable());
  assert.equal(supported, native);
  assert.equal(supported, true, 'this headless Chromium offers passkey autofill');

  // No <input autocomplete*="webauthn">: nothing to attach the autofill to.
  const log = recordApi(page);
  const none = await mustInPage(page, (c) => c.webauthn.authenticate({ conditional_mediation: true, is_passkey: true, session_duration_minutes: 60 }));
  assert.equal(none, null);
  await quietPeriod();
  assert.deepEqual(log, [], 'nothing sent');
  assert.deepEqual(await page.evaluate(() => window.gets), [], 'no ceremony');

  // With the field, the ceremony runs as conditional mediation. Chromium's
  // virtual authenticator (automatic presence) answers a conditional request
  // at once with its only discoverable credential, as if picked from the list.
  await addUsernameField(page);
  const counts = (await snapshot(page)).counts;
  const data = await mustInPage(page, (c) => c.webauthn.authenticate({ conditional_mediation: true, is_passkey: true, session_duration_minutes: 60 }));
  assert.deepEqual(await page.evaluate(() => window.gets), [{ mediation: 'conditional', signal: true }]);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/primary', 'POST /sdk/v1/webauthn/authenticate']);
  assert.deepEqual(data.session.authentication_factors.map((f) => f.type), ['webauthn']);
  assert.equal(data.webauthn_registration_id, registered.webauthn_registration_id);
  assert.deepEqual(counts, { session: 3, user: 3, state: 3 });
  await assertSignedInOnce(context, server, [page, other], data, { baseline: 3 });

  // disable_input_check: the app vouches for its own field.
  await signOut(page);
  await page.evaluate(() => document.getElementById('username').remove());
  const unchecked = await mustInPage(page, (c) => c.webauthn.authenticate({ conditional_mediation: true, disable_input_check: true, is_passkey: true, session_duration_minutes: 60 }));
  assert.deepEqual(unchecked.session.authentication_factors.map((f) => f.type), ['webauthn']);
  await context.close();
});

test('autofill waits for the person: the request is started, and aborting the signal rejects it as cancelled with nothing finished', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  await signUp(page);
  await registerPasskey(page);
  await signOut(page);
  await addUsernameField(page);
  // Without automatic presence nobody "touches" the authenticator: the
  // conditional request stays open, as while a person has not picked a passkey.
  await authenticator.setPresence(false);
  const before = await observable(context, [page]);
  const log = recordApi(page);
  await page.evaluate(() => {
    window.controller = new AbortController();
    window.pending = window.client.webauthn.authenticate({
      conditional_mediation: true, is_passkey: true, session_duration_minutes: 60, signal: window.controller.signal,
    }).then((value) => ({ value }), (e) => ({ error: { ...e, name: e.name, message: e.message } }));
  });
  await waitFor(() => log.length === 1, { message: 'the start request' });
  await quietPeriod(500);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/primary'], 'started, still waiting');
  assert.equal(await page.evaluate(() => Promise.race([window.pending, new Promise((r) => setTimeout(() => r('pending'), 100))])), 'pending');

  await page.evaluate(() => window.controller.abort());
  const { error } = await page.evaluate(() => window.pending);
  assert.equal(error?.kind, 'webauthn');
  assert.equal(error.reason, 'cancelled');
  assert.equal(error.exception, 'AbortError');
  assert.equal(error.retryable, true);
  await quietPeriod();
  assert.equal(log.length, 1, 'no finish request');
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});

test('a browser without passkey autofill: browserSupportsAutofill() is false and conditional mediation resolves null, sending nothing', CEREMONY, async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => { delete PublicKeyCredential.isConditionalMediationAvailable; });
  const page = await openClient(context, server);
  await virtualAuthenticator(page);
  await addUsernameField(page);
  const log = recordApi(page);
  assert.equal(await page.evaluate(() => window.client.webauthn.browserSupportsAutofill()), false);
  const result = await mustInPage(page, (c) => c.webauthn.authenticate({ conditional_mediation: true, is_passkey: true, session_duration_minutes: 60 }));
  assert.equal(result, null);
  await quietPeriod();
  assert.deepEqual(log, []);
  await context.close();
});

test('cancelled ceremonies (user verification refused) are kind webauthn, reason cancelled, and change nothing', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page, { isUserVerified: false });
  await signUp(page);
  await quietPeriod();
  let before = await observable(context, [page]);
  const log = recordApi(page, '/sdk/v1/webauthn/');

  const refused = await inPage(page, (c) => c.webauthn.register({ is_passkey: true, session_duration_minutes: 60 }));
  assert.equal(refused.error?.kind, 'webauthn');
  assert.equal(refused.error.reason, 'cancelled');
  assert.equal(refused.error.exception, 'NotAllowedError');
  assert.equal(refused.error.retryable, true);
  assert.equal(refused.error.isLatchkeyError, true);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/register/start'], 'no finish');
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  assert.deepEqual(await authenticator.credentials(), []);

  // Verified, it registers; refused again, the sign-in is cancelled too.
  await authenticator.setUserVerified(true);
  await registerPasskey(page);
  await signOut(page);
  await authenticator.setUserVerified(false);
  before = await observable(context, [page]);
  log.length = 0;
  const { error } = await passkeySignIn(page);
  assert.equal(error?.kind, 'webauthn');
  assert.equal(error.reason, 'cancelled');
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/authenticate/start/primary']);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});

test('registering a second time on the same authenticator is reason already_registered (the server excluded the credential)', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  await signUp(page);
  await registerPasskey(page);
  const log = recordApi(page, '/sdk/v1/webauthn/');
  const { error } = await inPage(page, (c) => c.webauthn.register({ is_passkey: true, session_duration_minutes: 60 }));
  await answered(log);
  assert.equal(error?.kind, 'webauthn');
  assert.equal(error.reason, 'already_registered');
  assert.equal(error.exception, 'InvalidStateError');
  assert.equal(error.retryable, false);
  const creation = JSON.parse(log[0].answer.data.public_key_credential_creation_options);
  assert.equal(creation.excludeCredentials.length, 1);
  assert.deepEqual(paths(log), ['POST /sdk/v1/webauthn/register/start']);
  assert.equal((await authenticator.credentials()).length, 1);
  assert.equal((await snapshot(page)).user.webauthn_registrations.length, 1);
  await context.close();
});

test('a browser without WebAuthn: register and authenticate are reason unsupported before any request; autofill resolves null', CEREMONY, async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.PublicKeyCredential; });
  const page = await openClient(context, server);
  await signUp(page);
  await addUsernameField(page);
  const log = recordApi(page);
  for (const call of [
    (c) => c.webauthn.register({ is_passkey: true }),
    (c) => c.webauthn.authenticate({ session_duration_minutes: 60 }),
  ]) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'webauthn', call.toString());
    assert.equal(error.reason, 'unsupported');
    assert.equal(error.exception, 'NotSupportedError');
    assert.equal(error.retryable, false);
  }
  assert.equal(await page.evaluate(() => window.client.webauthn.browserSupportsAutofill()), false);
  // An app starts autofill on every sign-in page: where there is none, that is null, not an error.
  const autofill = await inPage(page, (c) => c.webauthn.authenticate({ conditional_mediation: true, is_passkey: true, session_duration_minutes: 60 }));
  assert.deepEqual(autofill, { value: null });
  await quietPeriod();
  assert.deepEqual(log, [], 'nothing sent');
  await context.close();
});

test('invalid options are validation errors and register without a session a usage error, all before any request', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  await virtualAuthenticator(page);
  const log = recordApi(page);
  const signedOut = await inPage(page, (c) => c.webauthn.register({ is_passkey: true, session_duration_minutes: 60 }));
  assert.equal(signedOut.error?.kind, 'usage');
  assert.match(signedOut.error.message, /sign in/i);

  await signUp(page);
  log.length = 0;
  const cases = [
    [(c) => c.webauthn.register({ authenticator_type: 'usb' }), 'authenticator_type'],
    [(c) => c.webauthn.register({ is_passkey: 'yes' }), 'is_passkey'],
    [(c) => c.webauthn.register({ session_duration_minutes: 2 }), 'session_duration_minutes'],
    [(c) => c.webauthn.register({ passkey: true }), 'passkey'],
    [(c) => c.webauthn.register('passkey'), 'options'],
    [(c) => c.webauthn.authenticate({ is_passkey: true }), 'session_duration_minutes'],
    [(c) => c.webauthn.authenticate(), 'session_duration_minutes'],
    [(c) => c.webauthn.authenticate({ session_duration_minutes: 60, signal: 'stop' }), 'signal'],
    [(c) => c.webauthn.authenticate({ session_duration_minutes: 60, conditional_mediation: 1 }), 'conditional_mediation'],
    [(c) => c.webauthn.authenticate({ session_duration_minutes: 60, domain: 7 }), 'domain'],
    [(c) => c.webauthn.update({ webauthn_registration_id: 'webauthn-registration-test-1/../x', name: 'x' }), 'webauthn_registration_id'],
    [(c) => c.webauthn.update({ webauthn_registration_id: 'webauthn-registration-test-1', name: '   ' }), 'name'],
    [(c) => c.webauthn.update({ name: 'x' }), 'webauthn_registration_id'],
  ];
  for (const [call, field] of cases) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'validation', `${call}: ${JSON.stringify(error)}`);
    assert.equal(error.field, field, call.toString());
    assert.equal(error.retryable, false);
  }
  await quietPeriod();
  assert.deepEqual(log, [], 'nothing sent');
  await context.close();
});

test('the server\'s refusals are typed api errors: invalid_domain, no_active_webauthn_registrations, webauthn_registration_not_found, bad_request', CEREMONY, async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const authenticator = await virtualAuthenticator(page);
  await signUp(page);
  await quietPeriod();
  const before = await observable(context, [page]);
  const refusals = [
    // Not a host of an authorized origin: refused before any ceremony.
    [(c) => c.webauthn.register({ domain: 'example.com', is_passkey: true }), 'invalid_domain', 400],
    [(c) => c.webauthn.authenticate({ domain: 'example.com', session_duration_minutes: 60 }), 'invalid_domain', 400],
    // Signed in, but the user has no registration to ask for.
    [(c) => c.webauthn.authenticate({ session_duration_minutes: 60 }), 'no_active_webauthn_registrations', 404],
    [(c) => c.webauthn.update({ webauthn_registration_id: 'webauthn-registration-test-00000000-0000-0000-0000-000000000000', name: 'x' }), 'webauthn_registration_not_found', 404],
  ];
  for (const [call, type, status] of refusals) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'api', `${call}: ${JSON.stringify(error)}`);
    assert.equal(error.error_type, type, call.toString());
    assert.equal(error.status_code, status);
    assert.match(error.request_id, /^request-id-test-/);
    assert.equal(typeof error.error_message, 'string');
  }
  assert.deepEqual(await authenticator.credentials(), [], 'no ceremony ran');
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before, 'the session and user untouched, nobody notified');
  const registered = await registerPasskey(page);
  const long = await inPage(page, (c, i) => c.webauthn.update({ webauthn_registration_id: i, name: 'n'.repeat(257) }), registered.webauthn_registration_id);
  assert.equal(long.error?.kind, 'api');
  assert.equal(long.error.error_type, 'bad_request');
  assert.equal(long.error.status_code, 400);
  await context.close();
});
