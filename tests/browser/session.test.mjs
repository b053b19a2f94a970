// The session core in one tab: state getters, notifications, restore on
// reload, scheduled refresh, keepSessionAlive, revocation, transient
// failures and delays, shared refreshes, revoke, updateSession, the user.
// Each test uses a fresh browser context (its own cookies and storage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, openPage, inPage, mustInPage, signUp, snapshot, events, cookieMap,
  recordRequests, waitFor, quietPeriod, createUserViaBackend, serverClockOffset,
} from './sdk.mjs';

const REFRESH = '/sdk/v1/sessions/authenticate';
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

/** A fresh context with one page whose client uses `options`; closed by the caller. */
async function fresh(options = {}) {
  const context = await browser.newContext();
  const page = await openClient(context, server, options);
  return { context, page };
}

const stateKey = () => `latchkey:${server.publicToken}:state`;

test('after sign-in, session.getSync/getInfo/getTokens and user.getSync/getInfo reflect the response', async () => {
  const { context, page } = await fresh();
  const { response, email } = await signUp(page);
  const s = await snapshot(page);
  assert.deepEqual(s.session, response.session);
  assert.deepEqual(s.user, response.user);
  assert.deepEqual(s.sessionInfo, { session: response.session, fromCache: false });
  assert.deepEqual(s.userInfo, { user: response.user, fromCache: false });
  assert.deepEqual(s.tokens, { session_token: response.session_token, session_jwt: response.session_jwt });
  assert.equal(s.user.emails[0].email, email);
  assert.equal(s.session.user_id, s.user.user_id);
  assert.equal('__user' in response, false, 'the SDK keeps __user to itself');
  await context.close();
});

test('onChange, user.onChange and onStateChange fire exactly once per change, and unsubscribe stops them', async () => {
  const { context, page } = await fresh();
  const { response, email, password } = await signUp(page);
  await quietPeriod();
  let e = await events(page);
  assert.equal(e.session.length, 1, 'one session notification for the sign-in');
  assert.equal(e.user.length, 1, 'one user notification for the sign-in');
  assert.equal(e.state.length, 1, 'one state notification for the sign-in');
  assert.equal(e.session[0].session_id, response.session.session_id);
  assert.equal(e.user[0].user_id, response.user_id);
  assert.deepEqual(e.state[0], { session: response.session, user: response.user });

  await mustInPage(page, (c) => c.session.revoke());
  await quietPeriod();
  e = await events(page);
  assert.deepEqual([e.session.length, e.user.length, e.state.length], [2, 2, 2], 'one more of each for the sign-out');
  assert.equal(e.session[1], null);
  assert.equal(e.user[1], null);
  assert.deepEqual(e.state[1], { session: null, user: null });

  await page.evaluate(() => { for (const off of Object.values(window.unsubscribe)) off(); });
  await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 60 }), { email, password });
  assert.notEqual((await snapshot(page)).session, null);
  await quietPeriod();
  e = await events(page);
  assert.deepEqual([e.session.length, e.user.length, e.state.length], [2, 2, 2], 'no call after unsubscribe');
  await context.close();
});

test('reload restores the session at once (fromCache before ready) and confirms it with exactly one sessions/authenticate', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page);
  const refreshes = recordRequests(page, REFRESH);
  await page.reload();
  await page.waitForFunction(() => window.latchkey);
  const early = await page.evaluate(({ pk, url }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url });
    window.events = { session: [], user: [], state: [] };
    window.client.session.onChange((s) => window.events.session.push(s));
    const result = {
      session: window.client.session.getInfo(),
      user: window.client.user.getInfo(),
      tokens: window.client.session.getTokens(),
    };
    return result;
  }, { pk: server.publicToken, url: server.url });
  assert.equal(early.session.fromCache, true, 'restored from cache before ready');
  assert.equal(early.session.session?.session_id, response.session.session_id);
  assert.equal(early.user.fromCache, true);
  assert.equal(early.user.user?.user_id, response.user_id);
  assert.equal(early.tokens?.session_token, response.session_token);

  await page.evaluate(() => window.client.ready);
  await waitFor(() => refreshes.some((r) => r.status === 200), { message: 'the confirming sessions/authenticate' });
  await quietPeriod(500);
  assert.equal(refreshes.length, 1, 'exactly one confirmation');
  const s = await snapshot(page);
  assert.equal(s.session.session_id, response.session.session_id);
  await context.close();
});

test('getInfo().fromCache turns false once the restored session is confirmed, even when the session object did not change', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  // Start right after a second boundary so that sign-in, reload and the
  // confirming refresh share one server second: the confirmed session is
  // then byte-identical to the cached one.
  await waitFor(() => Date.now() % 1000 < 50, { intervalMs: 1 });
  const { response } = await signUp(page);
  const refreshes = recordRequests(page, '/sdk/v1/sessions/authenticate');
  await page.reload();
  await page.waitForFunction(() => window.latchkey);
  const early = await page.evaluate(({ pk, url }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url });
    window.events = { session: [], user: [], state: [] };
    return window.client.session.getInfo().fromCache;
  }, { pk: server.publicToken, url: server.url });
  assert.equal(early, true);
  await page.evaluate(() => window.client.ready);
  await waitFor(() => refreshes.some((r) => r.status === 200), { message: 'the confirming refresh' });
  const info = await waitFor(async () => {
    const s = await snapshot(page);
    return s.sessionInfo.fromCache === false ? s : null;
  }, { timeoutMs: 3000, message: 'fromCache to turn false after the confirming refresh' }).catch(async (e) => {
    const s = await snapshot(page);
    assert.equal(s.sessionInfo.fromCache, false, `${e.message}; session unchanged by the refresh: ${s.session.last_accessed_at === response.session.last_accessed_at}`);
  });
  assert.equal(info.userInfo.fromCache, false);
  await context.close();
});

test('without the session cookie at start-up, the cached state is dropped and nothing is sent', async () => {
  const { context, page } = await fresh();
  await signUp(page);
  assert.notEqual(await page.evaluate((k) => localStorage.getItem(k), stateKey()), null);
  await context.clearCookies();
  const refreshes = recordRequests(page, REFRESH);
  await page.reload();
  await page.waitForFunction(() => window.latchkey);
  const early = await page.evaluate(({ pk, url }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url });
    window.events = { session: [], user: [], state: [] };
    return { info: window.client.session.getInfo(), user: window.client.user.getSync() };
  }, { pk: server.publicToken, url: server.url });
  assert.deepEqual(early, { info: { session: null, fromCache: false }, user: null });
  await page.evaluate(() => window.client.ready);
  const stored = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null'), stateKey());
  assert.ok(stored === null || stored.auth == null, `cached auth dropped from storage: ${JSON.stringify(stored)}`);
  await quietPeriod();
  assert.equal(refreshes.length, 0);
  assert.equal((await snapshot(page)).session, null);
  await context.close();
});

test('the session refreshes on schedule (refreshIntervalMs 1000) and the JWT cookie changes', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  const signedInAt = Date.now();
  await waitFor(() => refreshes.filter((r) => r.status === 200).length >= 2, { timeoutMs: 8000, message: 'two refreshes' });
  const [first, second] = refreshes;
  assert.ok(first.at - signedInAt >= 700 && first.at - signedInAt <= 1800, `first refresh after ${first.at - signedInAt} ms`);
  assert.ok(second.at - first.at >= 800 && second.at - first.at <= 1800, `second refresh ${second.at - first.at} ms later`);
  assert.equal(first.body, '{}', 'a plain refresh sends no duration');
  const jar = await cookieMap(context, server.url);
  assert.notEqual(jar.stytch_session_jwt.value, response.session_jwt, 'the JWT was re-minted');
  assert.equal(jar.stytch_session.value, response.session_token, 'the opaque token stays');
  const s = await snapshot(page);
  assert.equal(s.tokens.session_jwt, jar.stytch_session_jwt.value);
  assert.equal(s.session.session_id, response.session.session_id);
  await context.close();
});

test('keepSessionAlive: a scheduled refresh re-sends the duration and extends expires_at', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000, keepSessionAlive: true });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page, { minutes: 30 });
  await server.advanceClock(600);
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 5000, message: 'a refresh' });
  assert.deepEqual(JSON.parse(refreshes[0].body), { session_duration_minutes: 30 });
  const before = Date.parse(response.session.expires_at);
  const after = Date.parse((await snapshot(page)).session.expires_at);
  assert.ok(after - before >= 595_000 && after - before <= 610_000, `expires_at moved by ${(after - before) / 1000} s, expected ~600 s`);
  await context.close();
});

test('by default a scheduled refresh does not extend expires_at', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page, { minutes: 30 });
  await server.advanceClock(600);
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 5000, message: 'a refresh' });
  assert.equal(refreshes[0].body, '{}');
  const s = await snapshot(page);
  assert.notEqual(s.tokens.session_jwt, response.session_jwt, 'the refresh took place');
  assert.equal(s.session.expires_at, response.session.expires_at);
  await context.close();
});

test('a session revoked through the backend API is cleared at the next refresh: state, cookies, onChange(null)', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const { response } = await signUp(page);
  const revoked = await server.v1('POST', '/sessions/revoke', { session_id: response.session.session_id });
  assert.equal(revoked.status, 200);
  await waitFor(async () => (await snapshot(page)).session === null, { timeoutMs: 5000, message: 'the session to be cleared' });
  await quietPeriod();
  const s = await snapshot(page);
  assert.equal(s.user, null);
  assert.equal(s.tokens, null);
  assert.deepEqual(await context.cookies(), []);
  const e = await events(page);
  assert.equal(e.session.at(-1), null);
  assert.equal(e.session.filter((x) => x === null).length, 1, 'onChange(null) exactly once');
  const stored = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null'), stateKey());
  assert.ok(stored === null || stored.auth == null, 'cleared from storage too');
  await context.close();
});

test('a 500 and a 429 injected on sessions/authenticate keep the session; retries back off and the session recovers', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  await server.fault({ path_prefix: REFRESH, count: 1, status: 500 });
  await server.fault({ path_prefix: REFRESH, count: 1, status: 429 });
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 12_000, message: 'a successful refresh after the failures' });
  const statuses = refreshes.slice(0, 3).map((r) => r.status);
  assert.deepEqual(statuses, [500, 429, 200]);
  const gap1 = refreshes[1].at - refreshes[0].at;
  const gap2 = refreshes[2].at - refreshes[1].at;
  assert.ok(gap1 >= 900 && gap1 <= 2600, `first retry after ${gap1} ms (expected 1–2 s)`);
  assert.ok(gap2 >= 1900 && gap2 <= 4600, `second retry after ${gap2} ms (expected 2–4 s)`);
  const s = await snapshot(page);
  assert.equal(s.session?.session_id, response.session.session_id, 'still signed in');
  assert.equal((await events(page)).session.includes(null), false, 'never signed out');
  assert.equal((await cookieMap(context, server.url)).stytch_session?.value, response.session_token);
  await context.close();
});

test('a 400 on refresh is not a sign-out: the session is kept and the refresh retried', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  await server.fault({ path_prefix: REFRESH, count: 1, status: 400 });
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 6000, message: 'a successful refresh' });
  assert.deepEqual(refreshes.slice(0, 2).map((r) => r.status), [400, 200]);
  assert.equal((await snapshot(page)).session?.session_id, response.session.session_id);
  assert.equal((await events(page)).session.includes(null), false);
  await context.close();
});

test('a delayed refresh (under the request timeout) succeeds with a single request', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000, requestTimeoutMs: 3000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  await server.fault({ path_prefix: REFRESH, count: 1, delay_ms: 2000 });
  await waitFor(() => refreshes[0]?.status, { timeoutMs: 8000, message: 'the delayed refresh to finish' });
  const [first] = refreshes;
  assert.equal(first.status, 200);
  assert.ok(first.doneAt - first.at >= 1900, `answered after ${first.doneAt - first.at} ms`);
  assert.equal(refreshes.filter((r) => r.at < first.doneAt).length, 1, 'no second request while the first was in flight');
  await waitFor(async () => (await snapshot(page)).tokens.session_jwt !== response.session_jwt, { message: 'the new JWT' });
  assert.equal((await events(page)).session.includes(null), false);
  await context.close();
});

test('concurrent session.authenticate() calls share one request and one result', async () => {
  const { context, page } = await fresh();
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  const results = await mustInPage(page, (c) => Promise.all([c.session.authenticate(), c.session.authenticate(), c.session.authenticate()]));
  await quietPeriod();
  assert.equal(refreshes.length, 1, 'one request for three calls');
  assert.equal(results.length, 3);
  for (const r of results) {
    assert.equal(r.session.session_id, response.session.session_id);
    assert.equal(r.session_jwt, results[0].session_jwt);
    assert.equal('__user' in r, false);
  }
  assert.equal((await snapshot(page)).tokens.session_jwt, results[0].session_jwt);
  await context.close();
});

test('session.authenticate({session_duration_minutes}) extends the session', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page, { minutes: 10 });
  const result = await mustInPage(page, (c) => c.session.authenticate({ session_duration_minutes: 120 }));
  const extended = Date.parse(result.session.expires_at) - Date.parse(response.session.expires_at);
  assert.ok(extended >= 109 * 60_000 && extended <= 111 * 60_000, `extended by ${extended / 60_000} min`);
  assert.equal((await snapshot(page)).session.expires_at, result.session.expires_at);
  await context.close();
});

test('session.revoke() ends the session at the server and clears state and cookies', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page);
  const result = await mustInPage(page, (c) => c.session.revoke());
  assert.equal(typeof result.request_id, 'string');
  const s = await snapshot(page);
  assert.deepEqual([s.session, s.user, s.tokens], [null, null, null]);
  assert.deepEqual(await context.cookies(), []);
  const sessions = await server.v1('GET', `/sessions?user_id=${encodeURIComponent(response.user_id)}`);
  assert.deepEqual(sessions.body.sessions, []);
  const reused = await server.v1('POST', '/sessions/authenticate', { session_token: response.session_token });
  assert.equal(reused.body.error_type, 'session_not_found');
  await context.close();
});

test('updateSession adopts a session token obtained through the backend', async () => {
  const { context, page } = await fresh();
  const { response } = await createUserViaBackend(server);
  const adopted = await mustInPage(page, (c, token) => c.session.updateSession({ session_token: token }), response.session_token);
  assert.equal(adopted.session.session_id, response.session.session_id);
  assert.equal(adopted.user_id, response.user_id);
  const s = await snapshot(page);
  assert.equal(s.session.session_id, response.session.session_id);
  assert.equal(s.user.user_id, response.user_id);
  assert.equal(s.tokens.session_token, response.session_token);
  const jar = await cookieMap(context, server.url);
  assert.equal(jar.stytch_session?.value, response.session_token);
  assert.equal(jar.stytch_session_jwt?.value, s.tokens.session_jwt);
  await quietPeriod();
  assert.equal((await events(page)).session.length, 1, 'one notification');
  await context.close();
});

test('user.update changes user.getSync() and fires user.onChange once', async () => {
  const { context, page } = await fresh();
  await signUp(page);
  const result = await mustInPage(page, (c) => c.user.update({ name: { first_name: 'Ada', last_name: 'Lovelace' }, untrusted_metadata: { theme: 'dark' } }));
  assert.equal(typeof result.user_id, 'string');
  assert.equal('__user' in result, false);
  await quietPeriod();
  const s = await snapshot(page);
  assert.equal(s.user.name.first_name, 'Ada');
  assert.equal(s.user.name.last_name, 'Lovelace');
  assert.deepEqual(s.user.untrusted_metadata, { theme: 'dark' });
  const e = await events(page);
  assert.equal(e.user.length, 2, 'sign-in + update');
  assert.equal(e.user[1].name.first_name, 'Ada');
  assert.equal(e.session.length, 1, 'the session did not change');
  assert.equal(e.state.length, 2);
  await context.close();
});

test('user.get picks up a change made through the backend and fires user.onChange once', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page);
  const put = await server.v1('PUT', `/users/${response.user_id}`, { name: { first_name: 'Grace' }, trusted_metadata: { plan: 'pro' } });
  assert.equal(put.status, 200);
  const user = await mustInPage(page, (c) => c.user.get());
  assert.equal(user.name.first_name, 'Grace');
  assert.deepEqual(user.trusted_metadata, { plan: 'pro' });
  await quietPeriod();
  assert.equal((await snapshot(page)).user.name.first_name, 'Grace');
  const e = await events(page);
  assert.equal(e.user.length, 2);
  assert.equal(e.user[1].name.first_name, 'Grace');
  assert.equal(e.session.length, 1);
  await context.close();
});

test('a page opened signed out stays signed out and sends no refresh', async () => {
  const context = await browser.newContext();
  const page = await openPage(context, server);
  const refreshes = recordRequests(page, REFRESH);
  await page.evaluate(({ pk, url }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url, refreshIntervalMs: 1000 });
    window.events = { session: [], user: [], state: [] };
    return window.client.ready;
  }, { pk: server.publicToken, url: server.url });
  await quietPeriod(1200);
  assert.equal(refreshes.length, 0);
  assert.deepEqual((await snapshot(page)).sessionInfo, { session: null, fromCache: false });
  const { error } = await inPage(page, (c) => c.session.authenticate());
  assert.equal(error.kind, 'usage');
  await context.close();
});

test('a refresh answered unauthorized_credentials (401) clears the session', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  await signUp(page);
  await server.fault({ path_prefix: REFRESH, count: 1, status: 401, error_type: 'unauthorized_credentials' });
  await waitFor(async () => (await snapshot(page)).session === null, { timeoutMs: 4000, message: 'the session to be cleared' });
  assert.equal(refreshes[0].status, 401);
  assert.deepEqual(await context.cookies(), []);
  assert.equal((await events(page)).session.at(-1), null);
  await context.close();
});

test('going back online retries a failed refresh at once instead of waiting out the backoff', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const { response } = await signUp(page);
  const failures = [];
  page.on('requestfailed', (r) => { if (r.url().includes(REFRESH)) failures.push(Date.now()); });
  const refreshes = recordRequests(page, REFRESH);
  await context.setOffline(true);
  // After the second failure the next retry is at least 2 s away (2 s · 2^1, upper half).
  await waitFor(() => failures.length >= 2, { timeoutMs: 8000, message: 'two failed refreshes while offline' });
  const before = refreshes.length;
  await context.setOffline(false);
  const onlineAt = Date.now();
  await waitFor(() => refreshes.slice(before).some((r) => r.status === 200), { timeoutMs: 1500, message: 'a refresh right after going online' });
  const retry = refreshes.slice(before).find((r) => r.status === 200);
  assert.ok(retry.at - onlineAt < 1000, `retried ${retry.at - onlineAt} ms after going online`);
  assert.equal((await snapshot(page)).session?.session_id, response.session.session_id);
  assert.equal((await events(page)).session.includes(null), false, 'never signed out while offline');
  await context.close();
});

test('revoke() of a session the server already ended clears it here and resolves', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page);
  await server.v1('POST', '/sessions/revoke', { session_id: response.session.session_id });
  const result = await inPage(page, (c) => c.session.revoke());
  assert.equal(result.error, undefined, JSON.stringify(result.error));
  assert.equal((await snapshot(page)).session, null);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('revoke() when the server fails: the session stays without forceClear, and is cleared with it; both report the error', async () => {
  const { context, page } = await fresh();
  const { response } = await signUp(page);
  await server.fault({ path_prefix: '/sdk/v1/sessions/revoke', count: 2, status: 500 });
  const kept = await inPage(page, (c) => c.session.revoke());
  assert.equal(kept.error?.kind, 'api');
  assert.equal(kept.error.error_type, 'internal_server_error');
  assert.equal(kept.error.retryable, true);
  assert.equal((await snapshot(page)).session?.session_id, response.session.session_id, 'kept without forceClear');
  const forced = await inPage(page, (c) => c.session.revoke({ forceClear: true }));
  assert.equal(forced.error?.error_type, 'internal_server_error');
  assert.equal((await snapshot(page)).session, null, 'cleared with forceClear');
  assert.deepEqual(await context.cookies(), []);
  assert.deepEqual((await events(page)).session.map((s) => s === null), [false, true]);
  await context.close();
});

test('updateSession with a token the server does not know rejects with session_not_found and leaves nothing behind', async () => {
  const { context, page } = await fresh();
  const { error } = await inPage(page, (c) => c.session.updateSession({ session_token: 'A'.repeat(44) }));
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'session_not_found');
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual([s.session, s.user, s.tokens], [null, null, null]);
  assert.deepEqual(s.counts, { session: 0, user: 0, state: 0 });
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('with the server clock hours ahead of the device, cookies expire at the session expiry in device time and refreshes stay on schedule', async () => {
  await server.advanceClock(3 * 3600);
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page, { minutes: 60 });
  const jar = await cookieMap(context, server.url);
  const expected = Date.now() / 1000 + 3600;
  assert.ok(Math.abs(jar.stytch_session.expires - expected) <= 5, `cookie expires in ${Math.round(jar.stytch_session.expires - Date.now() / 1000)} s of device time, expected 3600`);
  const started = Date.now();
  await waitFor(() => refreshes.filter((r) => r.status === 200).length >= 2, { timeoutMs: 4000, message: 'two refreshes on schedule' });
  assert.ok(Date.now() - started <= 3500, 'on schedule');
  assert.equal((await snapshot(page)).session?.session_id, response.session.session_id);
  assert.equal((await events(page)).session.includes(null), false);
  await context.close();
});

test('keepSessionAlive: the cookie expiry follows the extended session, and the duration survives a reload', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000, keepSessionAlive: true });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page, { minutes: 30 });
  await server.advanceClock(300);
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 4000, message: 'a refresh' });
  const extended = await waitFor(async () => {
    const s = await snapshot(page);
    return s.session.expires_at !== response.session.expires_at ? s.session : null;
  }, { message: 'the extended session' });
  const offset = await serverClockOffset(server);
  const jar = await cookieMap(context, server.url);
  const expected = Date.parse(extended.expires_at) / 1000 - offset;
  assert.ok(Math.abs(jar.stytch_session.expires - expected) <= 3, `cookie expiry ${jar.stytch_session.expires} follows the session (${expected})`);

  const afterReload = recordRequests(page, REFRESH);
  await page.reload();
  await page.waitForFunction(() => window.latchkey);
  await page.evaluate(({ pk, url }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url, refreshIntervalMs: 1000, keepSessionAlive: true });
    window.events = { session: [], user: [], state: [] };
    return window.client.ready;
  }, { pk: server.publicToken, url: server.url });
  await waitFor(() => afterReload.length >= 1, { message: 'the confirming refresh' });
  assert.deepEqual(JSON.parse(afterReload[0].body), { session_duration_minutes: 30 }, 'the duration was kept across the reload');
  await context.close();
});

test('keepSessionAlive applies when another tab leads: the leader re-sends the duration chosen at sign-in', async () => {
  const context = await browser.newContext();
  const refreshes = recordRequests(context, REFRESH);
  const leader = await openClient(context, server, { refreshIntervalMs: 1000, keepSessionAlive: true });
  const signer = await openClient(context, server, { refreshIntervalMs: 1000, keepSessionAlive: true });
  await signUp(signer, { minutes: 45 });
  await waitFor(() => refreshes.some((r) => r.status === 200), { timeoutMs: 4000, message: 'a refresh' });
  const first = refreshes.find((r) => r.status === 200);
  assert.equal(first.page, leader, 'the first tab leads');
  assert.deepEqual(JSON.parse(first.body), { session_duration_minutes: 45 });
  await context.close();
});

test('destroy() stops the refresh timer and listeners; calls then reject with a usage error; a new client starts afresh', async () => {
  const { context, page } = await fresh({ refreshIntervalMs: 1000 });
  const refreshes = recordRequests(page, REFRESH);
  const { response } = await signUp(page);
  await page.evaluate(() => { window.old = window.client; window.client.destroy(); });
  await quietPeriod(1400);
  assert.equal(refreshes.length, 0, 'no refresh after destroy (one was due within 1 s)');
  const { error } = await inPage(page, () => window.old.user.get());
  assert.equal(error?.kind, 'usage');
  const restarted = await page.evaluate(({ pk, url }) => {
    const c = window.latchkey.createClient(pk, { baseUrl: url, refreshIntervalMs: 1000 });
    return { fresh: c !== window.old, info: c.session.getInfo() };
  }, { pk: server.publicToken, url: server.url });
  assert.equal(restarted.fresh, true);
  assert.equal(restarted.info.session?.session_id, response.session.session_id, 'restored from cookie and cache');
  await context.close();
});
