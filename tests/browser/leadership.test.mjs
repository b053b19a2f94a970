// Leadership survives a leader that stops running. One tab refreshes for
// all; when its JavaScript is paused (DevTools' Debugger.pause: what a
// frozen page or a debugger does) the others must notice the overdue
// refresh and take over, without two refreshes in one interval, and the
// paused tab must not refresh on top of them when it resumes. A leader whose
// renderer crashes (no pagehide) is replaced at the due time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import { startSdkServer, openClient, signUp, snapshot, recordRequests, waitFor, quietPeriod } from './sdk.mjs';

const REFRESH = '/sdk/v1/sessions/authenticate';
const INTERVAL = 2000;
let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

async function signedInTabs(context, n) {
  const pages = [await openClient(context, server, { refreshIntervalMs: INTERVAL })];
  const { response } = await signUp(pages[0]);
  while (pages.length < n) pages.push(await openClient(context, server, { refreshIntervalMs: INTERVAL }));
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session?.session_id === response.session.session_id, { message: 'every tab signed in' });
  }
  return pages;
}

/** The tab that sent the latest scheduled refresh: the leader. */
async function leaderOf(refreshes) {
  const start = Date.now();
  await waitFor(() => refreshes.some((r) => r.at > start && r.status === 200), { timeoutMs: 2 * INTERVAL + 1000, message: 'a scheduled refresh' });
  return refreshes.filter((r) => r.at > start).at(-1).page;
}

/** The gaps between the successive refreshes sent from `from` on. */
function gapsSince(refreshes, from) {
  const times = refreshes.filter((r) => r.at >= from).map((r) => r.at);
  return times.slice(1).map((t, i) => t - times[i]);
}

test('a paused leader is replaced: no gap over three intervals, never two refreshes in one, none from it when it resumes', async () => {
  const context = await browser.newContext();
  const refreshes = recordRequests(context, REFRESH);
  const pages = await signedInTabs(context, 4);
  const leader = await leaderOf(refreshes);
  const from = Date.now();
  const cdp = await context.newCDPSession(leader);
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');
  // Let a timer run into the pause so the page is really stopped mid-task.
  await quietPeriod(20000);
  const pausedUntil = Date.now();
  await cdp.send('Debugger.resume');
  await quietPeriod(3 * INTERVAL);
  await cdp.detach();
  const gaps = gapsSince(refreshes, from);
  const trace = JSON.stringify(refreshes.filter((r) => r.at >= from).map((r) => [r.at - from, pages.indexOf(r.page), r.status]));
  assert.ok(gaps.length >= 10, `refreshes went on while the leader was paused: ${trace}`);
  assert.ok(Math.max(...gaps) <= 3 * INTERVAL, `no gap longer than 3 intervals: ${gaps.join(', ')} ${trace}`);
  assert.ok(Math.min(...gaps) >= 0.7 * INTERVAL, `never two refreshes in one interval: ${gaps.join(', ')} ${trace}`);
  assert.ok(refreshes.filter((r) => r.at >= from && r.page === leader && r.at < pausedUntil).length === 0, 'none from the paused tab while paused');
  assert.ok(refreshes.filter((r) => r.at >= from).every((r) => r.status === 200), `all succeeded: ${trace}`);
  for (const page of pages) assert.notEqual((await snapshot(page)).session, null, 'nobody signed out');
  await context.close();
});

test('a leader whose renderer crashes (no pagehide) is replaced within a second of the due time', async () => {
  const context = await browser.newContext();
  const refreshes = recordRequests(context, REFRESH);
  const pages = await signedInTabs(context, 3);
  const leader = await leaderOf(refreshes);
  const last = refreshes.filter((r) => r.page === leader).at(-1);
  // Crash right after its refresh was answered: the next one is due an interval later.
  await waitFor(() => last.status === 200, { message: 'the leader\'s refresh answered' });
  const cdp = await context.newCDPSession(leader);
  cdp.send('Page.crash').catch(() => { /* the session dies with the renderer */ });
  await waitFor(() => refreshes.some((r) => r.at > last.at && r.page !== leader && r.status === 200), { timeoutMs: 3 * INTERVAL, message: 'another tab refreshing' });
  const next = refreshes.find((r) => r.at > last.at && r.page !== leader);
  assert.ok(next.at - last.doneAt <= INTERVAL + 1000, `replaced ${next.at - last.doneAt} ms after the last refresh (due after ${INTERVAL})`);
  const remaining = pages.filter((p) => p !== leader);
  for (const page of remaining) assert.notEqual((await snapshot(page)).session, null, 'the others stay signed in');
  const from = Date.now();
  await quietPeriod(3 * INTERVAL);
  const gaps = gapsSince(refreshes, from);
  assert.ok(gaps.every((g) => g >= 0.7 * INTERVAL && g <= INTERVAL + 1000), `one per interval afterwards: ${gaps.join(', ')}`);
  await context.close();
});
