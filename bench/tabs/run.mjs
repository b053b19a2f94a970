// bench/tabs: N = 1, 2, 4, 8 pages of one signed-in Chromium context, each
// with a client refreshing every INTERVAL ms; after a warm-up, count the
// `POST /sdk/v1/sessions/authenticate` requests during K intervals, at the
// server (a dev fault rule with delay 0 counts them down) and in the browser
// (the context's request events, which see every page). Goal: 1 per
// interval at every N. Beside it, the same run with Stytch's headless
// client, whose 3-minute refresh interval is a public static property of its
// SessionManager class (`REFRESH_INTERVAL_MS`; its source: "When testing -
// it's often more useful to set to a shorter duration"): set to INTERVAL on
// each page right after createStytchClient, nothing else changed.
//
// Usage: node bench/tabs/run.mjs [--interval 2000] [--intervals 10] [--tabs 1,2,4,8]
//        node bench/tabs/run.mjs --stytch-default-interval [--tabs 4] [--intervals 1]
//          Stytch untouched (its own 180 s interval), for as many intervals:
//          a long run (about 3.5 minutes per interval), not part of `make bench`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, STRONG_PASSWORD, buildBundles, launchBrowser, machine, offServer, serverCounter, startServer, STYTCH_OPTIONS_SOURCE, writeResult,
} from '../startup/lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const STYTCH_DEFAULT = process.argv.includes('--stytch-default-interval');
const INTERVAL = STYTCH_DEFAULT ? 180_000 : Number(arg('interval', 2000));
const INTERVALS = Number(arg('intervals', STYTCH_DEFAULT ? 1 : 10));
const TABS = arg('tabs', STYTCH_DEFAULT ? '4' : '1,2,4,8').split(',').map(Number);
// The long run (Stytch's own 180 s) has no warm-up and no alignment: it
// counts from the moment every tab has confirmed its session, for the
// intervals asked plus 15 s, and records when each refresh came.
const WARMUP_INTERVALS = STYTCH_DEFAULT ? 0 : 2;
const MARGIN = STYTCH_DEFAULT ? 15_000 : 0;
const REFRESH = '/sdk/v1/sessions/authenticate';
const OUT = join(ROOT, 'target', 'bench', 'tabs');

// ---------------------------------------------------------------- pages
const PAGES = {
  latchkey: `
    import { createClient } from './latchkey.js';
    const q = new URLSearchParams(location.search);
    window.client = createClient(q.get('token'), { baseUrl: location.origin, refreshIntervalMs: Number(q.get('interval')) });`,
  stytch: `
    import { createStytchClient } from './stytch.js';
    const q = new URLSearchParams(location.search);
    window.client = createStytchClient(q.get('token'), ${STYTCH_OPTIONS_SOURCE});
    if (q.get('interval') !== 'default') window.client._sessionManager.constructor.REFRESH_INTERVAL_MS = Number(q.get('interval'));`,
};
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const { stytchVersion } = await buildBundles(OUT);
for (const [name, script] of Object.entries(PAGES)) {
  writeFileSync(join(OUT, `${name}.html`), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>tabs: ${name}</title>
<script type="module">${script}\n</script></head><body></body></html>\n`);
}

// ---------------------------------------------------------------- run
const server = await startServer({ serve: { '/': OUT } });
const browser = await launchBrowser();
const info = machine(browser);
const counter = await serverCounter(server, REFRESH);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const url = (sdk) => `${server.url}/${sdk}.html?token=${encodeURIComponent(server.publicToken)}&interval=${STYTCH_DEFAULT ? 'default' : INTERVAL}`;

async function openTab(context, sdk) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`${sdk}: ${e.message}`));
  await page.goto(url(sdk));
  await page.waitForFunction(() => window.client);
  return page;
}

/** Signed in, every tab confirmed: then INTERVALS intervals counted. */
async function measure(sdk, n) {
  const context = await browser.newContext();
  const offLocal = offServer(context, server);
  const requests = [];
  const pages = [];
  context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (!path.startsWith('/sdk/v1/')) return;
    let tab = -1;
    try { tab = pages.indexOf(r.frame().page()); } catch { /* a worker */ }
    requests.push({ at: Date.now(), path, method: r.method(), tab });
  });
  pages.push(await openTab(context, sdk));
  await pages[0].evaluate(async ({ email, password }) => {
    await window.client.ready;
    await window.client.passwords.create({ email, password, session_duration_minutes: 60 });
  }, { email: `tabs-${sdk}-${n}-${Date.now()}@example.com`, password: STRONG_PASSWORD });
  for (let i = 1; i < n; i += 1) pages.push(await openTab(context, sdk));
  for (const page of pages) {
    await page.waitForFunction(() => {
      const s = window.client.session.getInfo();
      return s.session && !s.fromCache;
    }, null, { timeout: 30_000 });
  }
  const visibility = await Promise.all(pages.map((p) => p.evaluate(() => document.visibilityState)));
  const startupRefreshes = requests.filter((r) => r.path === REFRESH && r.method === 'POST').length;
  await sleep(WARMUP_INTERVALS * INTERVAL);
  // Start half an interval after a refresh, so a periodic refresh cannot
  // fall on the window's edges (with one refresh per interval the count is
  // then exactly K; per-tab timers have their own phases).
  const lastRefresh = () => requests.filter((r) => r.path === REFRESH).at(-1)?.at ?? Date.now();
  if (!STYTCH_DEFAULT) {
    const since = Date.now();
    while (lastRefresh() < since && Date.now() - since < 2 * INTERVAL) await sleep(20);
    await sleep(Math.max(0, lastRefresh() + INTERVAL / 2 - Date.now()));
  }
  const start = Date.now();
  const serverBefore = await counter.read();
  await sleep(INTERVALS * INTERVAL + MARGIN);
  const serverAfter = await counter.read();
  const end = Date.now();
  const inWindow = requests.filter((r) => r.at >= start && r.at < end);
  const refreshes = inWindow.filter((r) => r.path === REFRESH && r.method === 'POST');
  const gaps = refreshes.slice(1).map((r, i) => r.at - refreshes[i].at).sort((a, b) => a - b);
  const perTab = pages.map((_, i) => refreshes.filter((r) => r.tab === i).length);
  // A count over a window is off by one per independent timer whose phase
  // puts a refresh just outside it; the spacing of each tab's own refreshes
  // is not: INTERVAL / (median gap) summed over the tabs that refreshed.
  const spacing = pages.map((_, i) => {
    const mine = refreshes.filter((r) => r.tab === i);
    const g = mine.slice(1).map((r, k) => r.at - mine[k].at).sort((a, b) => a - b);
    return g.length ? INTERVAL / g[Math.floor(g.length / 2)] : 0;
  });
  const otherApi = {};
  for (const r of inWindow.filter((x) => x.path !== REFRESH)) otherApi[`${r.method} ${r.path}`] = (otherApi[`${r.method} ${r.path}`] ?? 0) + 1;
  const stillSignedIn = await Promise.all(pages.map((p) => p.evaluate(() => !!window.client.session.getSync())));
  await context.close();
  return {
    tabs: n,
    window_ms: end - start,
    intervals: INTERVALS,
    refreshes_browser: refreshes.length,
    refreshes_server: serverAfter - serverBefore,
    per_interval: Number(((serverAfter - serverBefore) / INTERVALS).toFixed(2)),
    per_interval_browser: Number((refreshes.length / INTERVALS).toFixed(2)),
    per_interval_from_spacing: STYTCH_DEFAULT ? undefined : Number(spacing.reduce((a, b) => a + b, 0).toFixed(2)),
    one_timer_per_tab_model: n,
    per_tab: perTab,
    refresh_times_s: STYTCH_DEFAULT ? refreshes.map((r) => ({ tab: r.tab, at: Number(((r.at - start) / 1000).toFixed(1)) })) : undefined,
    gaps_ms: gaps.length ? { min: gaps[0], median: gaps[Math.floor(gaps.length / 2)], max: gaps.at(-1) } : null,
    startup_refreshes: startupRefreshes,
    other_api_requests_per_interval: Object.fromEntries(Object.entries(otherApi).map(([k, v]) => [k, Number((v / INTERVALS).toFixed(2))])),
    visibility,
    still_signed_in: stillSignedIn.every(Boolean),
    off_server_requests: offLocal.length,
  };
}

const sdks = STYTCH_DEFAULT ? ['stytch'] : ['latchkey', 'stytch'];
const results = Object.fromEntries(sdks.map((s) => [s, []]));
for (const n of TABS) {
  for (const sdk of sdks) {
    process.stdout.write(`tabs: ${sdk}, ${n} tab${n > 1 ? 's' : ''}, ${INTERVALS} × ${INTERVAL} ms … `);
    const r = await measure(sdk, n);
    results[sdk].push(r);
    console.log(`${r.per_interval} per interval (server ${r.refreshes_server}, browser ${r.refreshes_browser})`);
  }
}
await browser.close();
await server.stop();

// ---------------------------------------------------------------- report
const label = STYTCH_DEFAULT ? 'Stytch headless, its own 180 s interval (unchanged)' : `interval ${INTERVAL} ms`;
console.log(`\nRefreshes (POST ${REFRESH}) per interval, counted at the server over ${INTERVALS} intervals; ${label}`);
console.log(`machine: ${info.nproc} CPUs (${info.cpu}), ${info.ram_gib} GiB, Chromium ${info.chromium}`);
console.log(`${'tabs'.padStart(4)}  ${'one timer per tab'.padStart(17)}${sdks.map((s) => `${s.padStart(10)} ${'(spacing)'.padStart(9)}  per tab`.padEnd(46)).join('')}`);
for (const [i, n] of TABS.entries()) {
  const cells = sdks.map((s) => {
    const r = results[s][i];
    const spacing = r.per_interval_from_spacing === undefined ? '' : `(${r.per_interval_from_spacing})`;
    return `${String(r.per_interval).padStart(10)} ${spacing.padStart(9)}  ${r.per_tab.join(' ')}`.padEnd(46);
  });
  console.log(`${String(n).padStart(4)}  ${String(n).padStart(17)}${cells.join('')}`);
}
for (const s of sdks) {
  for (const r of results[s]) {
    const other = Object.entries(r.other_api_requests_per_interval).map(([k, v]) => `${k} ${v}`).join(', ');
    if (other) console.log(`  ${s} ${r.tabs} tabs, other API requests per interval: ${other}`);
    if (!r.still_signed_in) console.log(`  ${s} ${r.tabs} tabs: a tab was signed out during the run`);
    if (r.refreshes_server !== r.refreshes_browser) console.log(`  ${s} ${r.tabs} tabs: server counted ${r.refreshes_server}, browser ${r.refreshes_browser}`);
  }
}

writeResult(STYTCH_DEFAULT ? 'tabs-stytch-default-interval' : 'tabs', {
  machine: info,
  interval_ms: INTERVAL,
  intervals: INTERVALS,
  warmup_intervals: WARMUP_INTERVALS,
  versions: { stytch_vanilla_js: stytchVersion },
  what: {
    per_interval: `POST ${REFRESH} counted at the server (dev fault rule countdown, delay 0) during the window, divided by the intervals in it`,
    per_interval_browser: 'the same requests seen by the browser context (every page), as a cross-check',
    window: STYTCH_DEFAULT
      ? 'starts when every tab has confirmed its session; lasts the intervals plus 15 s; refresh_times_s are seconds from its start'
      : 'starts half an interval after a refresh, after every tab confirmed its session and a warm-up of 2 intervals',
    one_timer_per_tab_model: 'what a client with its own timer in every tab sends: N per interval',
    per_tab: 'refreshes in the window sent by each tab (browser side)',
    per_interval_from_spacing: 'sum over tabs of interval / median gap between that tab\'s own refreshes (not subject to the window\'s edges; below 1 per tab when a tab\'s refreshes come a little more than an interval apart)',
    startup_refreshes: 'refreshes before the window: sign-in plus each tab confirming its cached session at start',
    stytch: STYTCH_DEFAULT ? 'unmodified' : `SessionManager.REFRESH_INTERVAL_MS set to ${INTERVAL} on each page after createStytchClient`,
  },
  results,
});
