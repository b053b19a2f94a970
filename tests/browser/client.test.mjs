// The client itself: creation, validation before the network, typed errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import { startSdkServer, openClient, inPage } from './sdk.mjs';

let server;
let browser;
let context;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
  context = await browser.newContext();
});
after(async () => { await browser?.close(); await server?.stop(); });

test('a new client is ready and signed out', async () => {
  const page = await openClient(context, server);
  const state = await page.evaluate(() => ({
    session: window.client.session.getSync(),
    user: window.client.user.getSync(),
    info: window.client.session.getInfo(),
    tokens: window.client.session.getTokens(),
  }));
  assert.deepEqual(state, { session: null, user: null, info: { session: null, fromCache: false }, tokens: null });
  await page.close();
});

test('the same public token on one page gives the same client', async () => {
  const page = await openClient(context, server);
  const same = await page.evaluate((pk) => window.latchkey.createClient(pk) === window.client, server.publicToken);
  assert.equal(same, true);
  await page.close();
});

test('invalid input is refused before any request, naming the field', async () => {
  const page = await openClient(context, server);
  const requests = [];
  page.on('request', (r) => { if (r.url().includes('/sdk/v1/passwords')) requests.push(r.url()); });
  const cases = [
    [(c) => c.passwords.authenticate({ email: 'not-an-email', password: 'x', session_duration_minutes: 60 }), 'email'],
    [(c) => c.passwords.authenticate({ email: 'a@b.co', password: '', session_duration_minutes: 60 }), 'password'],
    [(c) => c.passwords.authenticate({ email: 'a@b.co', password: 'x', session_duration_minutes: 4 }), 'session_duration_minutes'],
    [(c) => c.passwords.authenticate({ email: 'a@b.co', password: 'x', session_duration_minutes: NaN }), 'session_duration_minutes'],
    [(c) => c.passwords.authenticate({ email: 'a@b.co', password: 'x', session_duration_minutes: 60, sesion: 1 }), 'sesion'],
    [(c) => c.otps.sms.loginOrCreate('555-0123'), 'phone_number'],
    [(c) => c.oauth.google.start({ login_redirect_url: '/relative' }), 'login_redirect_url'],
  ];
  for (const [call, field] of cases) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'validation', `${call}`);
    assert.equal(error.field, field, `${call}`);
    assert.equal(error.retryable, false);
    assert.equal(error.isLatchkeyError, true);
    assert.ok(error.message.length > 5);
  }
  assert.deepEqual(requests, [], 'no request was sent');
  await page.close();
});

test('invalid client options reject ready and every call with a validation error', async () => {
  const page = await openClient(context, server);
  const outcome = await page.evaluate(async () => {
    const bad = window.latchkey.createClient('public-token-test-other', { baseUrl: 'localhost:8787' });
    const ready = await bad.ready.then(() => 'resolved', (e) => ({ kind: e.kind, field: e.field }));
    const call = await bad.session.authenticate().then(() => 'resolved', (e) => ({ kind: e.kind, field: e.field }));
    return { ready, call, session: bad.session.getSync() };
  });
  assert.deepEqual(outcome, {
    ready: { kind: 'validation', field: 'baseUrl' },
    call: { kind: 'validation', field: 'baseUrl' },
    session: null,
  });
  await page.close();
});

test('an unreachable API is a retryable network error', async () => {
  const page = await openClient(context, server, { baseUrl: 'http://127.0.0.1:9', requestTimeoutMs: 2000 });
  const { error } = await inPage(page, (c) => c.passwords.strengthCheck({ password: 'correct horse battery staple' }));
  assert.equal(error.kind, 'network');
  assert.equal(error.reason, 'unreachable');
  assert.equal(error.retryable, true);
  await page.close();
});

test('a slow API times out with a network error', async () => {
  const page = await openClient(context, server, { requestTimeoutMs: 1000 });
  await server.fault({ path_prefix: '/sdk/v1/passwords/strength_check', count: 1, delay_ms: 3000 });
  const started = Date.now();
  const { error } = await inPage(page, (c) => c.passwords.strengthCheck({ password: 'correct horse battery staple' }));
  assert.equal(error.kind, 'network');
  assert.equal(error.reason, 'timeout');
  assert.ok(Date.now() - started < 2900, 'aborted at the timeout, not at the answer');
  await page.close();
});

test('session calls without a session are usage errors', async () => {
  const page = await openClient(context, server);
  const { error } = await inPage(page, (c) => c.session.authenticate());
  assert.equal(error.kind, 'usage');
  const revoked = await inPage(page, (c) => c.session.revoke());
  assert.deepEqual(revoked, { value: {} }, 'revoking nothing succeeds');
  await page.close();
});

test('a module that failed to download is fetched again by the next call', async () => {
  const page = await context.newPage();
  let blocked = true;
  await page.route('**/latchkey_bg.wasm', (route) => (blocked ? route.abort('failed') : route.continue()));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.latchkey);
  const first = await page.evaluate(async ({ publicToken, baseUrl }) => {
    window.client = window.latchkey.createClient(publicToken, { baseUrl });
    const ready = await window.client.ready.then(() => 'resolved', (e) => ({ kind: e.kind, reason: e.reason, retryable: e.retryable }));
    const call = await window.client.passwords.strengthCheck({ password: 'x' }).then(() => 'resolved', (e) => ({ kind: e.kind, retryable: e.retryable }));
    return { ready, call };
  }, { publicToken: server.publicToken, baseUrl: server.url });
  assert.deepEqual(first, {
    ready: { kind: 'network', reason: 'unreachable', retryable: true },
    call: { kind: 'network', retryable: true },
  });
  blocked = false;
  const second = await page.evaluate(() => window.client.passwords.strengthCheck({ password: 'correct horse battery staple' })
    .then((r) => typeof r.score, (e) => `rejected: ${e.kind} ${e.message}`));
  assert.equal(second, 'number', 'the same client works once the module loads');
  await page.close();
});
