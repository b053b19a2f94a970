// Email magic links end to end: request → link in the dev outbox → land on
// the app → authenticateByUrl (or magicLinks.authenticate). PKCE is required
// by the server (its default), so every flow also proves the verifier
// travels from the send to the authenticate in the same browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, uniqueEmail, recordRequests, quietPeriod,
  assertSignedInOnce, observable, twoSignedInTabs, landOn,
} from './sdk.mjs';

const AUTH = '/sdk/v1/magic_links/authenticate';
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

/** Requests a link for `email` from `page` and returns { response, link, token, request }. */
async function requestLink(page, email, options = {}) {
  const sends = recordRequests(page, '/sdk/v1/magic_links/email/');
  const seen = (await server.outbox(email)).map((m) => m.id);
  const response = await mustInPage(page, (c, a) => c.magicLinks.email.loginOrCreate(a.email, a.options), { email, options });
  const message = await server.nextMessage(email, { seen });
  assert.ok(message.link, 'the email carries a link');
  const token = new URL(message.link).searchParams.get('token');
  return { response, link: message.link, token, request: JSON.parse(sends[0].body), message };
}

test('loginOrCreate → link from the outbox → authenticateByUrl signs in every tab once; the token leaves the URL before the request', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  const email = uniqueEmail('ml');
  const { response, link, request } = await requestLink(page, email);
  assert.equal(response.user_created, true);
  assert.match(response.user_id, /^user-test-/);
  assert.match(response.email_id, /^email-test-/);
  assert.match(request.code_challenge, /^[A-Za-z0-9_-]{43}$/, 'a PKCE challenge was sent');
  assert.equal(request.login_magic_link_url, `${server.url}/`, 'the link leads back to the current page by default');
  assert.ok(link.startsWith(`${server.url}/?stytch_token_type=magic_links&token=`), link);

  await landOn(page, server, link);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.handled, true);
  assert.equal(result.tokenType, 'magic_links');
  const data = result.data;
  assert.equal(data.user_id, response.user_id);
  assert.equal(data.method_id, response.email_id);
  assert.equal(data.session.authentication_factors[0].type, 'magic_link');
  assert.equal(data.session.authentication_factors[0].email_factor.email_address, email);
  assert.equal(data.user.status, 'active');
  assert.equal(data.user.emails[0].verified, true);

  const log = await page.evaluate(() => window.fetchLog);
  const call = log.find((f) => f.url.includes(AUTH));
  assert.ok(call, 'magic_links/authenticate was fetched');
  assert.equal(call.href, `${server.url}/`, 'the token was gone from location.href when the request started');
  assert.equal(await page.evaluate(() => location.href), `${server.url}/`);
  assert.match(JSON.parse(call.body).code_verifier, /^[0-9a-f]{64}$/, 'the verifier went with the authenticate');
  await assertSignedInOnce(context, server, [page, other], data);
  await context.close();
});

test('authenticateByUrl twice for the same URL makes one magic_links/authenticate request; both calls get the same result', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { link } = await requestLink(page, uniqueEmail('ml-double'));
  const auths = recordRequests(page, AUTH);
  await landOn(page, server, link);
  const [a, b] = await mustInPage(page, (c) => Promise.all([
    c.authenticateByUrl({ session_duration_minutes: 60 }),
    c.authenticateByUrl({ session_duration_minutes: 60 }),
  ]));
  await quietPeriod();
  assert.equal(auths.length, 1, 'one request');
  assert.equal(a.handled, true);
  assert.deepEqual(b, a, 'both calls resolve to the same result');
  assert.equal((await snapshot(page)).counts.session, 1, 'one notification');
  await context.close();
});

test('magicLinks.authenticate(token) signs in directly with the requested duration', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const email = uniqueEmail('ml-direct');
  const { response, token } = await requestLink(page, email);
  const data = await mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 30 }), token);
  assert.equal(data.user_id, response.user_id);
  assert.equal(data.method_id, response.email_id);
  const minutes = (Date.parse(data.session.expires_at) - Date.parse(data.session.started_at)) / 60_000;
  assert.ok(Math.abs(minutes - 30) <= 1, `session of ${minutes} minutes`);
  await assertSignedInOnce(context, server, [page], data);
  await context.close();
});

test('a link to an existing user (magicLinks.email.send) signs in; loginOrCreate then reports user_created false', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const email = uniqueEmail('ml-send');
  const first = await requestLink(page, email);
  await mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), first.token);
  await mustInPage(page, (c) => c.session.revoke());

  const again = await mustInPage(page, (c, e) => c.magicLinks.email.loginOrCreate(e), email);
  assert.equal(again.user_created, false);
  assert.equal(again.user_id, first.response.user_id);

  const sends = recordRequests(page, '/sdk/v1/magic_links/email/send/');
  const seen = (await server.outbox(email)).map((m) => m.id);
  const sent = await mustInPage(page, (c, e) => c.magicLinks.email.send(e), email);
  assert.equal(sends[0].path, '/sdk/v1/magic_links/email/send/primary', 'signed out: primary');
  assert.equal(sent.user_id, first.response.user_id);
  const message = await server.nextMessage(email, { seen });
  const token = new URL(message.link).searchParams.get('token');
  const data = await mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
  assert.equal(data.user_id, first.response.user_id);
  await context.close();
});

test('signed in, magicLinks.email.send adds a new email to the user (secondary) and user.onChange fires', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { response } = await signUp(page);
  const extra = uniqueEmail('ml-secondary');
  const sends = recordRequests(page, '/sdk/v1/magic_links/email/send/');
  const seen = (await server.outbox(extra)).map((m) => m.id);
  await mustInPage(page, (c, e) => c.magicLinks.email.send(e), extra);
  assert.equal(sends[0].path, '/sdk/v1/magic_links/email/send/secondary', 'signed in: secondary');
  const message = await server.nextMessage(extra, { seen });
  const token = new URL(message.link).searchParams.get('token');
  const data = await mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
  assert.equal(data.user_id, response.user_id);
  assert.equal(data.session.session_id, response.session.session_id, 'the same session, extended');
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.user.emails.map((e) => e.email).sort(), [response.user.emails[0].email, extra].sort());
  assert.equal(s.counts.user, 2, 'sign-up + the new email');
  await context.close();
});

test('a reused magic link is refused with unable_to_auth_magic_link and leaves the session untouched', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { token } = await requestLink(page, uniqueEmail('ml-reuse'));
  await mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unable_to_auth_magic_link');
  assert.equal(error.status_code, 401);
  assert.equal(error.retryable, false);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});

test('an unknown magic link token is magic_link_not_found (404)', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { error } = await inPage(page, (c) => c.magicLinks.authenticate('x'.repeat(44), { session_duration_minutes: 60 }));
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'magic_link_not_found');
  assert.equal(error.status_code, 404);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('an expired magic link is refused with unable_to_auth_magic_link', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { token } = await requestLink(page, uniqueEmail('ml-expired'), { signup_expiration_minutes: 5, login_expiration_minutes: 5 });
  await server.advanceClock(5 * 60 + 5);
  const { error } = await inPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unable_to_auth_magic_link');
  assert.equal((await snapshot(page)).session, null);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('PKCE: a link requested in one browser and opened in another fails with a typed pkce_mismatch, and still works where it was requested', async () => {
  const requester = await browser.newContext();
  const page = await openClient(requester, server);
  const { link, response } = await requestLink(page, uniqueEmail('ml-pkce'));

  const stranger = await browser.newContext();
  const elsewhere = await stranger.newPage();
  await landOn(elsewhere, server, link);
  const { error } = await inPage(elsewhere, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(error?.kind, 'api', JSON.stringify(error));
  assert.equal(error.error_type, 'pkce_mismatch');
  assert.equal(error.status_code, 400);
  assert.equal(error.isLatchkeyError, true);
  assert.equal((await snapshot(elsewhere)).session, null);
  assert.deepEqual(await stranger.cookies(), []);
  assert.equal(await elsewhere.evaluate(() => location.search), '', 'the token left the address bar anyway');

  // The mismatch did not spend the link: the browser holding the verifier can use it.
  await landOn(page, server, link);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.data.user_id, response.user_id);
  await requester.close();
  await stranger.close();
});

test('a failed magic link while signed in leaves the existing session untouched, with no notification', async () => {
  const context = await browser.newContext();
  const { page, other } = await twoSignedInTabs(context, server);
  const before = await observable(context, [page, other]);
  const { error } = await inPage(page, (c) => c.magicLinks.authenticate('y'.repeat(44), { session_duration_minutes: 60 }));
  assert.equal(error?.error_type, 'magic_link_not_found');
  await quietPeriod();
  assert.deepEqual(await observable(context, [page, other]), before);
  await context.close();
});
