// The back/forward cache: a signed-in page must stay eligible for it (the SDK
// gives up its Web Lock on pagehide), and a page restored from it must be a
// working tab again: a refresh that came due while it was away is sent at
// once, exactly once, and changes made by other tabs meanwhile reach it.
// Playwright turns the cache off by default; these tests turn it back on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, mustInPage, signUp, snapshot, events, recordRequests, waitFor, quietPeriod,
} from './sdk.mjs';

const REFRESH = '/sdk/v1/sessions/authenticate';
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser({ ignoreDefaultArgs: ['--disable-back-forward-cache'] });
});
after(async () => { await browser?.close(); await server?.stop(); });

/** Notes in `page` whether its next pageshow comes from the back/forward cache. */
function watchRestore(page) {
  return page.evaluate(() => {
    window.restoredFromCache = null;
    addEventListener('pageshow', (e) => { window.restoredFromCache = e.persisted; });
  });
}

/** After going back: true when the page came from the cache, false when it was loaded again. */
async function cameFromCache(page) {
  await page.goBack({ waitUntil: 'commit' });
  // A reloaded page has no `restoredFromCache` at all; a restored one sets it on pageshow.
  await page.waitForFunction(() => window.restoredFromCache !== null && document.readyState === 'complete');
  return page.evaluate(() => window.restoredFromCache === true);
}

test('a signed-in page enters the back/forward cache, and on return sends the refresh that came due, once', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server, { refreshIntervalMs: 1500 });
  const { response } = await signUp(page);
  const refreshes = recordRequests(context, REFRESH);
  await watchRestore(page);
  await page.goto(`${server.url}/?elsewhere`);
  const goneAt = Date.now();
  await quietPeriod(2500);
  assert.equal(await cameFromCache(page), true, 'the page came back from the back/forward cache, not a reload');
  const backAt = Date.now();
  const sinceGone = () => refreshes.filter((r) => r.at > goneAt);
  await waitFor(() => sinceGone().some((r) => r.status === 200), { timeoutMs: 1000, message: 'a refresh right after the return' });
  const first = sinceGone()[0];
  assert.ok(first.at - backAt < 1000, `the refresh went out ${first.at - backAt} ms after the return`);
  await quietPeriod(700);
  const burst = sinceGone().filter((r) => r.at < first.at + 1000);
  assert.equal(burst.length, 1, `one refresh on return, saw ${burst.length}`);
  assert.equal((await snapshot(page)).session?.session_id, response.session.session_id);
  await context.close();
});

test('while a tab sits in the back/forward cache another tab keeps refreshing, and a sign-out there reaches it on return', async () => {
  const context = await browser.newContext();
  const away = await openClient(context, server, { refreshIntervalMs: 1000 });
  await signUp(away);
  const other = await openClient(context, server, { refreshIntervalMs: 1000 });
  await waitFor(async () => (await snapshot(other)).session !== null, { message: 'the second tab sees the session' });
  const refreshes = recordRequests(context, REFRESH);
  await watchRestore(away);
  await away.goto(`${server.url}/?elsewhere`);
  const leftAt = Date.now();
  await waitFor(() => refreshes.some((r) => r.at > leftAt && r.status === 200), { timeoutMs: 2500, message: 'the remaining tab refreshing while the other is away' });
  await mustInPage(other, (c) => c.session.revoke());
  assert.equal(await cameFromCache(away), true, 'came back from the back/forward cache (no message evicted it)');
  await waitFor(async () => (await snapshot(away)).session === null, { timeoutMs: 1000, message: 'the returning tab signed out within a second' });
  assert.equal((await events(away)).session.filter((s) => s === null).length, 1, 'one onChange(null) in the returning tab');
  await context.close();
});
