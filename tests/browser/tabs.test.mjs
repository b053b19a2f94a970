// Across tabs: pages of one browser context share one session. One tab
// leads and refreshes for all (one request per interval at the server, not
// one per tab), sign-in and sign-out reach every tab within a second, and a
// closed leader hands over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, mustInPage, signUp, snapshot, events, cookieMap, recordRequests, waitFor, quietPeriod,
} from './sdk.mjs';

const REFRESH = '/sdk/v1/sessions/authenticate';
const INTERVAL = 1000;
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

async function openTabs(context, n, options = {}) {
  const pages = [];
  for (let i = 0; i < n; i += 1) pages.push(await openClient(context, server, options));
  return pages;
}

/** Sign-in in the first tab, then the others opened: each confirms once at start-up. */
async function signedInTabs(n) {
  const context = await browser.newContext();
  const refreshes = recordRequests(context, REFRESH);
  const first = await openClient(context, server, { refreshIntervalMs: INTERVAL });
  const { response } = await signUp(first);
  const rest = await openTabs(context, n - 1, { refreshIntervalMs: INTERVAL });
  const pages = [first, ...rest];
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session?.session_id === response.session.session_id, { message: 'every tab signed in' });
  }
  return { context, pages, refreshes, response };
}

/** Counts the refreshes sent during `ms` from now, and checks their spacing. */
async function refreshesDuring(refreshes, ms) {
  const start = Date.now();
  await quietPeriod(ms);
  const inWindow = refreshes.filter((r) => r.at >= start && r.at < start + ms);
  const gaps = inWindow.slice(1).map((r, i) => r.at - inWindow[i].at);
  return { start, inWindow, gaps };
}

/** Every refresh so far as [sent, answered] (ms from `start`), the sending tab and the status: for failure messages. */
function timeline(refreshes, pages, start) {
  const tab = (page) => { const i = pages.indexOf(page); return i < 0 ? 'closed' : `tab ${i}`; };
  return refreshes.map((r) => `${r.at - start}..${r.doneAt === null ? '?' : r.doneAt - start} ${tab(r.page)} ${r.status}`).join('; ');
}

async function assertOnePerInterval(refreshes, pages, intervals = 3) {
  const tabs = pages.length;
  const windowMs = intervals * INTERVAL;
  const { start, inWindow, gaps } = await refreshesDuring(refreshes, windowMs);
  const n = inWindow.length;
  const trace = `window 0..${windowMs} ms; refreshes: ${timeline(refreshes, pages, start)}`;
  assert.ok(n >= intervals - 1 && n <= intervals + 1, `${n} refreshes in ${windowMs} ms with ${tabs} tabs (expected ~${intervals}, one per interval; per-tab refreshing would give ~${intervals * tabs}); ${trace}`);
  assert.ok(gaps.every((g) => g >= 0.7 * INTERVAL), `refreshes spaced by an interval, got gaps ${gaps.join(', ')} ms; ${trace}`);
  assert.ok(inWindow.every((r) => r.status === 200 || r.status === null), `all succeeded; ${trace}`);
  return inWindow;
}

async function assertEveryTabHasCookieJwt(context, pages) {
  let seen;
  const tail = (jwt) => (jwt ? jwt.slice(-8) : String(jwt));
  await waitFor(async () => {
    const jwt = (await cookieMap(context, server.url)).stytch_session_jwt?.value;
    const tokens = await Promise.all(pages.map((p) => p.evaluate(() => window.client.session.getTokens()?.session_jwt)));
    seen = `cookie …${tail(jwt)}, tabs ${tokens.map((t) => `…${tail(t)}`).join(' ')}`;
    return tokens.every((t) => t === jwt);
  }, { timeoutMs: 1000, message: 'every tab to hold the current JWT' }).catch((e) => { throw new Error(`${e.message} (last seen: ${seen})`); });
}

test('two tabs make one refresh per interval at the server, not two', async () => {
  const { context, pages, refreshes } = await signedInTabs(2);
  assert.equal(refreshes.filter((r) => r.page === pages[1]).length >= 1, true, 'the second tab confirmed at start-up');
  await assertOnePerInterval(refreshes, pages);
  await assertEveryTabHasCookieJwt(context, pages);
  await context.close();
});

test('four tabs make one refresh per interval at the server, not four', async () => {
  const { context, pages, refreshes } = await signedInTabs(4);
  const startups = pages.slice(1).map((p) => refreshes.filter((r) => r.page === p).length);
  assert.ok(startups.every((n) => n >= 1), 'each later tab confirmed at start-up');
  await assertOnePerInterval(refreshes, pages);
  await assertEveryTabHasCookieJwt(context, pages);
  await context.close();
});

test('sign-in in one tab appears in the others within one second, with one onChange each', async () => {
  const context = await browser.newContext();
  const pages = await openTabs(context, 3);
  const { response } = await signUp(pages[0]);
  const signedInAt = Date.now();
  for (const page of pages.slice(1)) {
    await waitFor(async () => (await snapshot(page)).session?.session_id === response.session.session_id, { timeoutMs: 1000, message: 'the sign-in to reach another tab' });
  }
  assert.ok(Date.now() - signedInAt <= 1000, `reached every tab in ${Date.now() - signedInAt} ms`);
  await quietPeriod();
  for (const page of pages) {
    const e = await events(page);
    assert.equal(e.session.length, 1, 'one session notification per tab');
    assert.equal(e.user.length, 1, 'one user notification per tab');
    assert.equal(e.state.length, 1, 'one state notification per tab');
    const s = await snapshot(page);
    assert.deepEqual(s.user, response.user);
    assert.equal(s.tokens.session_token, response.session_token);
  }
  await context.close();
});

test('sign-out in one tab signs out the others within one second, with one onChange(null) each', async () => {
  const context = await browser.newContext();
  const pages = await openTabs(context, 3);
  await signUp(pages[0]);
  for (const page of pages) await waitFor(async () => (await snapshot(page)).session !== null, { timeoutMs: 1000, message: 'signed in everywhere' });
  await mustInPage(pages[1], (c) => c.session.revoke());
  const signedOutAt = Date.now();
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session === null, { timeoutMs: 1000, message: 'the sign-out to reach every tab' });
  }
  assert.ok(Date.now() - signedOutAt <= 1000, `reached every tab in ${Date.now() - signedOutAt} ms`);
  await quietPeriod();
  for (const page of pages) {
    const e = await events(page);
    assert.deepEqual(e.session.map((s) => s === null), [false, true], 'signed in once, signed out once');
    assert.equal(e.user.at(-1), null);
    const s = await snapshot(page);
    assert.deepEqual([s.session, s.user, s.tokens], [null, null, null]);
  }
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('closing the leader tab hands over: refreshes continue at one per interval', async () => {
  const { context, pages, refreshes } = await signedInTabs(3);
  const before = await assertOnePerInterval(refreshes, pages, 3);
  const leader = before.at(-1).page;
  assert.ok(pages.includes(leader), 'the refreshing tab is one of ours');
  // A refresh the closing leader had in flight may be repeated by the next
  // leader, which cannot know it will land: the window opens once it is gone.
  await leader.close();
  await quietPeriod(200);
  const remaining = pages.filter((p) => p !== leader);
  const after = await assertOnePerInterval(refreshes, remaining);
  assert.ok(after.every((r) => remaining.includes(r.page)), 'a remaining tab refreshes');
  await assertEveryTabHasCookieJwt(context, remaining);
  await context.close();
});

test('a session revoked through the backend signs out every tab at the next refresh', async () => {
  const { context, pages, refreshes, response } = await signedInTabs(3);
  const revokedAt = Date.now();
  await server.v1('POST', '/sessions/revoke', { session_id: response.session.session_id });
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session === null, { timeoutMs: 3 * INTERVAL, message: 'every tab signed out' });
  }
  await quietPeriod();
  const history = await Promise.all(pages.map(async (p) => (await events(p)).session.map((s) => (s ? 'session' : 'null'))));
  const trace = JSON.stringify({ history, refreshes: refreshes.map((r) => [r.at - revokedAt, pages.indexOf(r.page), r.status]) });
  for (const h of history) assert.deepEqual(h.filter((s) => s === 'null'), ['null'], `one onChange(null) per tab: ${trace}`);
  assert.deepEqual((await context.cookies()).map((c) => c.name), [], `cookies cleared: ${trace}`);
  const stored = await pages[0].evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null')?.auth ?? null, `latchkey:${server.publicToken}:state`);
  assert.equal(stored, null, `stored state cleared: ${trace}`);
  await context.close();
});

test('without the Web Locks API, the fallback election still gives one refresh per interval', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
  });
  const refreshes = recordRequests(context, REFRESH);
  const pages = await openTabs(context, 3, { refreshIntervalMs: INTERVAL });
  assert.equal(await pages[0].evaluate(() => navigator.locks), undefined);
  await signUp(pages[0]);
  for (const page of pages) await waitFor(async () => (await snapshot(page)).session !== null, { timeoutMs: 1000, message: 'signed in everywhere' });
  // The lease is claimed on one step and held from the next (2 s apart).
  await waitFor(() => refreshes.length >= 2, { timeoutMs: 8000, message: 'a leader to refresh' });
  await assertOnePerInterval(refreshes, pages);
  await assertEveryTabHasCookieJwt(context, pages);
  await context.close();
});

test('without BroadcastChannel, storage events carry sign-in, refreshed tokens and sign-out to every tab within a second', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => { delete window.BroadcastChannel; });
  const refreshes = recordRequests(context, REFRESH);
  const pages = await openTabs(context, 3, { refreshIntervalMs: INTERVAL });
  assert.equal(await pages[0].evaluate(() => typeof BroadcastChannel), 'undefined');
  const { response } = await signUp(pages[0]);
  for (const page of pages.slice(1)) {
    await waitFor(async () => (await snapshot(page)).session?.session_id === response.session.session_id, { timeoutMs: 1000, message: 'sign-in reaching another tab' });
  }
  await assertOnePerInterval(refreshes, pages);
  await assertEveryTabHasCookieJwt(context, pages);
  await mustInPage(pages[2], (c) => c.session.revoke());
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session === null, { timeoutMs: 1000, message: 'sign-out reaching every tab' });
    assert.equal((await events(page)).session.filter((s) => s === null).length, 1, 'one onChange(null) per tab');
  }
  await context.close();
});
