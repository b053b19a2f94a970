// Passwords: create, authenticate, strength, duplicates, and the three
// resets (by email end to end through the outbox and authenticateByUrl, by
// existing password, by session).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, uniqueEmail, recordRequests, quietPeriod,
  assertSignedInOnce, observable, twoSignedInTabs, landOn, STRONG_PASSWORD, createUserViaBackend,
} from './sdk.mjs';

const NEW_PASSWORD = 'Amber-Heron-drifts-93-Quietly!';
const WEAK = 'abcd1234efgh';
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

/** Whether `password` signs `email` in, asked through the backend API. */
async function passwordWorks(email, password) {
  const r = await server.v1('POST', '/passwords/authenticate', { email, password });
  if (r.status === 200) return true;
  assert.equal(r.body.error_type, 'unauthorized_credentials', JSON.stringify(r.body));
  return false;
}

test('passwords.create signs a new user in on every tab once', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  const email = uniqueEmail('pw-create');
  const data = await mustInPage(page, (c, e) => c.passwords.create({ email: e, password: 'vivid-Quokka-marches-47-Lanterns!', session_duration_minutes: 60 }), email);
  assert.match(data.email_id, /^email-test-/);
  assert.equal(data.user.emails[0].email, email);
  assert.equal(data.user.emails[0].email_id, data.email_id);
  assert.notEqual(data.user.password, null);
  const factor = data.session.authentication_factors[0];
  assert.equal(factor.type, 'password');
  assert.equal(factor.delivery_method, 'knowledge');
  await assertSignedInOnce(context, server, [page, other], data);
  await context.close();
});

test('passwords.authenticate signs an existing user in on every tab once', async () => {
  const { email, password, response: created } = await createUserViaBackend(server);

  const context = await browser.newContext();
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  const data = await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 45 }), { email, password });
  assert.equal(data.user_id, created.user_id);
  assert.notEqual(data.session.session_id, created.session.session_id, 'a new session in a new browser');
  const minutes = (Date.parse(data.session.expires_at) - Date.parse(data.session.started_at)) / 60_000;
  assert.ok(Math.abs(minutes - 45) <= 1, `session of ${minutes} minutes`);
  await assertSignedInOnce(context, server, [page, other], data);
  await context.close();
});

test('a weak password: strengthCheck gives the feedback, create is refused with weak_password carrying it, nothing changes', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const email = uniqueEmail('pw-weak');
  const check = await mustInPage(page, (c, a) => c.passwords.strengthCheck(a), { email, password: WEAK });
  assert.equal(check.valid_password, false);
  assert.ok(check.score < 3, `score ${check.score}`);
  assert.equal(check.breached_password, false);
  assert.equal(check.strength_policy, 'zxcvbn');
  assert.equal(typeof check.breach_detection_on_create, 'boolean');
  assert.ok(check.feedback.warning.length > 0, 'a warning');
  assert.ok(check.feedback.suggestions.length > 0, 'suggestions');
  const strong = await mustInPage(page, (c) => c.passwords.strengthCheck({ password: 'vivid-Quokka-marches-47-Lanterns!' }));
  assert.equal(strong.valid_password, true);
  assert.deepEqual(strong.feedback.suggestions, []);

  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, a) => c.passwords.create({ ...a, session_duration_minutes: 60 }), { email, password: WEAK });
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'weak_password');
  assert.equal(error.status_code, 400);
  assert.ok(error.error_message.includes(check.feedback.warning), `the message carries the warning: ${error.error_message}`);
  assert.ok(error.error_message.includes(check.feedback.suggestions[0]), 'and the suggestion');
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('creating a password account for a taken email is duplicate_email and leaves the signed-in state untouched', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { email } = await signUp(page);
  const other = await browser.newContext();
  const otherPage = await openClient(other, server);
  const mine = await signUp(otherPage);
  const before = await observable(other, [otherPage]);
  const { error } = await inPage(otherPage, (c, e) => c.passwords.create({ email: e, password: 'another-Strong-phrase-for-99!', session_duration_minutes: 60 }), email);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'duplicate_email');
  assert.equal(error.status_code, 400);
  await quietPeriod();
  assert.deepEqual(await observable(other, [otherPage]), before, 'the other user stays signed in, unnotified');
  assert.equal((await snapshot(otherPage)).user.user_id, mine.response.user_id);
  await context.close();
  await other.close();
});

test('a wrong password is unauthorized_credentials and leaves the signed-in state untouched on every tab', async () => {
  const context = await browser.newContext();
  const { page, other, email } = await twoSignedInTabs(context, server);
  const before = await observable(context, [page, other]);
  const { error } = await inPage(page, (c, e) => c.passwords.authenticate({ email: e, password: 'not-the-Password-42', session_duration_minutes: 60 }), email);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unauthorized_credentials');
  assert.equal(error.status_code, 401);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page, other]), before);
  await context.close();
});

test('reset by email end to end: link from the outbox, authenticateByUrl reports it without consuming it, resetByEmail signs in', async () => {
  const { email, response: created } = await createUserViaBackend(server);

  const context = await browser.newContext();
  const page = await openClient(context, server);
  const starts = recordRequests(page, '/sdk/v1/passwords/email/reset/start');
  const seen = (await server.outbox(email)).map((m) => m.id);
  const started = await mustInPage(page, (c, e) => c.passwords.resetByEmailStart({ email: e }), email);
  assert.equal(typeof started.request_id, 'string');
  const sent = JSON.parse(starts[0].body);
  assert.match(sent.code_challenge, /^[A-Za-z0-9_-]{43}$/, 'PKCE challenge sent');
  assert.equal(sent.reset_password_redirect_url, `${server.url}/`, 'defaults to the current page');
  const message = await server.nextMessage(email, { seen });
  assert.ok(message.link.startsWith(`${server.url}/?stytch_token_type=reset_password&token=`), message.link);
  const token = new URL(message.link).searchParams.get('token');

  const resets = recordRequests(context, '/sdk/v1/passwords/email/reset');
  await landOn(page, server, message.link);
  const other = await openClient(context, server);
  const parsed = await page.evaluate(() => window.client.parseAuthenticateUrl());
  assert.deepEqual(parsed, { handled: false, tokenType: 'reset_password', token });
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.deepEqual(result, { handled: false, tokenType: 'reset_password', token });
  await quietPeriod();
  assert.equal(resets.filter((r) => r.path === '/sdk/v1/passwords/email/reset').length, 0, 'not consumed by authenticateByUrl');
  assert.equal((await snapshot(page)).session, null);

  const data = await mustInPage(page, (c, a) => c.passwords.resetByEmail({ token: a.token, password: a.password, session_duration_minutes: 60 }), { token, password: NEW_PASSWORD });
  assert.equal(data.user_id, created.user_id);
  const log = await page.evaluate(() => window.fetchLog.filter((f) => f.url.endsWith('/passwords/email/reset')));
  assert.match(JSON.parse(log[0].body).code_verifier, /^[0-9a-f]{64}$/, 'the verifier went with the reset');
  await assertSignedInOnce(context, server, [page, other], data);
  assert.equal(await passwordWorks(email, NEW_PASSWORD), true, 'the new password works');
  assert.equal(await passwordWorks(email, STRONG_PASSWORD), false, 'the old one does not');
  await context.close();
});

test('reset by email: a link opened in another browser fails with pkce_mismatch and the password is unchanged', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { email } = await signUp(page);
  await mustInPage(page, (c) => c.session.revoke());
  const seen = (await server.outbox(email)).map((m) => m.id);
  await mustInPage(page, (c, e) => c.passwords.resetByEmailStart({ email: e }), email);
  const message = await server.nextMessage(email, { seen });
  const token = new URL(message.link).searchParams.get('token');

  const stranger = await browser.newContext();
  const elsewhere = await openClient(stranger, server);
  const { error } = await inPage(elsewhere, (c, a) => c.passwords.resetByEmail({ token: a.token, password: a.password, session_duration_minutes: 60 }), { token, password: NEW_PASSWORD });
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'pkce_mismatch');
  assert.deepEqual(await stranger.cookies(), []);
  assert.equal(await passwordWorks(email, STRONG_PASSWORD), true);
  await context.close();
  await stranger.close();
});

test('resetByExistingPassword changes the password and signs in', async () => {
  const { email, password, response: created } = await createUserViaBackend(server);
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const data = await mustInPage(page, (c, a) => c.passwords.resetByExistingPassword({ email: a.email, existing_password: a.password, new_password: a.next, session_duration_minutes: 60 }), { email, password, next: NEW_PASSWORD });
  assert.equal(data.user_id, created.user_id);
  await assertSignedInOnce(context, server, [page], data);
  assert.equal(await passwordWorks(email, NEW_PASSWORD), true);
  assert.equal(await passwordWorks(email, password), false);
  await context.close();
});

test('resetBySession changes the password of the signed-in user and keeps the session', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { email, password, response: created } = await signUp(page);
  const data = await mustInPage(page, (c, p) => c.passwords.resetBySession({ password: p, session_duration_minutes: 60 }), NEW_PASSWORD);
  assert.equal(data.user_id, created.user_id);
  assert.equal(data.session.session_id, created.session.session_id, 'the same session, extended');
  const s = await snapshot(page);
  assert.deepEqual(s.session, data.session);
  assert.equal(s.tokens.session_jwt, data.session_jwt);
  assert.equal(await passwordWorks(email, NEW_PASSWORD), true);
  assert.equal(await passwordWorks(email, password), false);
  await context.close();
});

test('resetBySession when signed out is refused for want of a session and nothing changes', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { error } = await inPage(page, (c) => c.passwords.resetBySession({ password: 'vivid-Quokka-marches-47-Lanterns!', session_duration_minutes: 60 }));
  assert.ok(error, 'refused');
  assert.ok(error.kind === 'usage' || (error.kind === 'api' && error.error_type === 'unauthorized_credentials'), JSON.stringify(error));
  assert.equal((await snapshot(page)).session, null);
  assert.equal((await snapshot(page)).counts.session, 0);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});
