// bench/startup: headless Chromium loads a page from the local server that
// creates a client while a session cookie (and the SDK's cached state) is
// present. On the page's clock (navigation start = 0) it marks:
//   (a) ready     — Latchkey: `client.ready` resolved (wasm instantiated,
//                   state restored into the core); Stytch: its module
//                   evaluated and createStytchClient returned (no wasm)
//   (b) restored  — the first moment `session.getSync()` returns the session
//   (c) confirmed — `session.getInfo().fromCache` turned false after the
//                   start-up `sessions/authenticate` was answered
// Median and p95 over N loads with a warm HTTP cache (one context, the page
// loaded before) and N cold ones (a new context each: empty HTTP and code
// caches, the same cookies and localStorage). Three pages, loads interleaved:
//   latchkey-pkg     the package as published (pkg/index.js and the modules
//                    it imports, dist/latchkey_bg.wasm: unbundled ESM)
//   latchkey-bundle  the same package bundled and minified by esbuild
//   stytch           @stytch/vanilla-js/headless bundled the same way
// Usage: node bench/startup/run.mjs [--loads 30]
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, STRONG_PASSWORD, buildBundles, fmt, offServer, launchBrowser, machine, startServer, stats, STYTCH_OPTIONS_SOURCE, writeResult,
} from './lib.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const LOADS = arg('loads', 30);
const OUT = join(ROOT, 'target', 'bench', 'startup');

// ---------------------------------------------------------------- pages
const latchkeySetup = (module) => `
  import { createClient } from '${module}';
  const { marks, mark } = window.bench;
  marks.module = performance.now();
  const client = createClient(new URLSearchParams(location.search).get('token'), { baseUrl: location.origin });
  window.client = client;
  marks.created = performance.now();
  if (client.session.getSync()) mark('restored');
  else client.session.onChange((s) => { if (s) mark('restored'); });
  client.ready.then(() => { mark('ready'); }, (e) => window.bench.errors.push('ready: ' + (e?.message ?? e)));
  window.bench.confirmed = () => { const info = client.session.getInfo(); return !!info.session && !info.fromCache; };`;

const stytchSetup = `
  import { createStytchClient } from './stytch.js';
  const { marks, mark } = window.bench;
  marks.module = performance.now();
  const client = createStytchClient(new URLSearchParams(location.search).get('token'), ${STYTCH_OPTIONS_SOURCE});
  window.client = client;
  marks.created = performance.now();
  mark('ready', marks.created);
  if (client.session.getSync()) mark('restored');
  else client.session.onChange((s) => { if (s) mark('restored'); });
  window.bench.confirmed = () => { const info = client.session.getInfo(); return !!info.session && !info.fromCache; };`;

const VARIANTS = {
  'latchkey-pkg': latchkeySetup('/pkg/index.js'),
  'latchkey-bundle': latchkeySetup('./latchkey.js'),
  stytch: stytchSetup,
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const { stytchVersion } = await buildBundles(OUT);
// The package's own file list: what npm would install.
const packaged = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8')).files.filter((f) => /\.(js|wasm)$/.test(f));
for (const file of packaged) {
  cpSync(join(ROOT, 'pkg', file), join(OUT, 'pkg', file), { recursive: true });
}
const template = readFileSync(join(import.meta.dirname, 'page.html'), 'utf8');
for (const [name, setup] of Object.entries(VARIANTS)) {
  writeFileSync(join(OUT, `${name}.html`), template.replaceAll('%SDK%', name).replace('%SETUP%', setup.trim()));
}
// The server sends Last-Modified and an ETag, no Cache-Control, so Chromium's
// freshness is heuristic (10% of the file's age). Every file is dated a day
// back, as a deployed build would be, so the warm cache does not depend on
// how many seconds ago this script wrote them: same conditions for all pages.
const dayAgo = new Date(Date.now() - 86_400_000);
for (const entry of readdirSync(OUT, { recursive: true, withFileTypes: true })) {
  if (entry.isFile()) utimesSync(join(entry.parentPath, entry.name), dayAgo, dayAgo);
}

// ---------------------------------------------------------------- run
const server = await startServer({ serve: { '/': OUT } });
const browser = await launchBrowser();
const info = machine(browser);
const pageUrl = (name, run) => `${server.url}/${name}.html?token=${encodeURIComponent(server.publicToken)}&run=${run}`;
const refused = [];

/**
 * Where each script and wasm of a page came from, through the DevTools
 * protocol (Playwright has its Network domain on anyway; Resource Timing's
 * transferSize does not tell Blink's memory cache apart from the network).
 */
async function watchCache(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let seen = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (/\.(js|wasm)$/.test(new URL(e.request.url).pathname)) seen.set(e.requestId, { path: new URL(e.request.url).pathname, cache: 'network' });
  });
  cdp.on('Network.requestServedFromCache', (e) => { if (seen.has(e.requestId)) seen.get(e.requestId).cache = 'memory'; });
  cdp.on('Network.responseReceived', (e) => {
    const r = seen.get(e.requestId);
    if (!r || r.cache === 'memory') return;
    if (e.response.fromDiskCache) r.cache = 'disk';
    else if (e.response.status === 304) r.cache = 'revalidated';
  });
  return () => { const list = [...seen.values()]; seen = new Map(); return list; };
}

/** Loads `name` in `page` and returns the marks and what the cache did. */
async function load(page, name, run) {
  page.takeCache ??= await watchCache(page);
  page.takeCache();
  // The page says when it has its three marks on the console: evaluating
  // anything in it before then (Playwright's waitForFunction injects its
  // script, ~10 ms of main thread) would slow the very load it measures.
  const marked = page.waitForEvent('console', { predicate: (m) => m.text() === 'bench:marked', timeout: 15_000 });
  await page.goto(pageUrl(name, run), { waitUntil: 'load' });
  await marked;
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const api = performance.getEntriesByType('resource').filter((r) => /\/sdk\/v1\//.test(r.name)).map((r) => new URL(r.name).pathname);
    return { marks: window.bench.marks, errors: window.bench.errors, document: nav?.responseEnd, api };
  }).then((result) => ({ ...result, resources: page.takeCache() }));
}

/** A context signed in through the SDK on its page; returns it, its page and its storage state. */
async function signedIn(name) {
  const context = await browser.newContext();
  offServer(context, server, refused);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`${name}: ${e.message}`));
  await page.goto(pageUrl(name, 'setup'));
  await page.waitForFunction(() => window.client);
  const email = `startup-${name}-${Date.now()}@example.com`;
  await page.evaluate(async ({ email, password }) => {
    await window.client.ready;
    await window.client.passwords.create({ email, password, session_duration_minutes: 60 });
  }, { email, password: STRONG_PASSWORD });
  await page.waitForFunction(() => window.client.session.getSync());
  return { context, page, state: await context.storageState() };
}

const samples = {};
const setups = {};
for (const name of Object.keys(VARIANTS)) {
  setups[name] = await signedIn(name);
  samples[name] = { warm: [], cold: [] };
}
// One more load each before measuring, so the warm cache has seen a signed-in load.
for (const name of Object.keys(VARIANTS)) await load(setups[name].page, name, 'warmup');

// The order of the pages turns each run, and every load, warm or cold,
// starts on a quiet machine: it waits for what the previous one left
// running (a context's teardown, the engine compiling a module's optimized
// tier in the background) to settle. Otherwise a load pays for its
// predecessor: the page that follows the heaviest one, or a cold load
// right after its own page's warm one.
const names = Object.keys(VARIANTS);
const settle = () => new Promise((resolve) => { setTimeout(resolve, 300); });
for (let run = 0; run < LOADS; run += 1) {
  for (const name of names.map((_, i) => names[(i + run) % names.length])) {
    await settle();
    samples[name].warm.push(await load(setups[name].page, name, `warm-${run}`));
    await settle();
    const context = await browser.newContext({ storageState: setups[name].state });
    offServer(context, server, refused);
    const page = await context.newPage();
    samples[name].cold.push(await load(page, name, `cold-${run}`));
    await context.close();
  }
  if (process.stdout.isTTY) process.stdout.write(`\rstartup: ${run + 1}/${LOADS} loads of each page, warm and cold`);
}
if (process.stdout.isTTY) process.stdout.write('\n');
console.log(`startup: ${LOADS} loads of each page, warm and cold`);
for (const { context } of Object.values(setups)) await context.close();
await browser.close();
await server.stop();

// ---------------------------------------------------------------- report
const FIGURES = ['module', 'restored', 'ready', 'refresh_sent', 'refresh_answered', 'confirmed'];
const summary = {};
for (const [name, byCache] of Object.entries(samples)) {
  summary[name] = {};
  for (const [cache, loads] of Object.entries(byCache)) {
    const figures = {};
    for (const f of FIGURES) figures[f] = stats(loads.map((l) => l.marks[f]));
    figures.document = stats(loads.map((l) => l.document));
    const cacheUse = {};
    for (const l of loads) for (const r of l.resources) {
      cacheUse[r.path] ??= { memory: 0, disk: 0, revalidated: 0, network: 0 };
      cacheUse[r.path][r.cache] += 1;
    }
    const apiCalls = {};
    for (const l of loads) for (const p of l.api) apiCalls[p] = (apiCalls[p] ?? 0) + 1;
    summary[name][cache] = {
      figures,
      resource_cache_use: cacheUse,
      api_requests_per_load: Object.fromEntries(Object.entries(apiCalls).map(([p, n]) => [p, n / loads.length])),
      errors: loads.flatMap((l) => l.errors),
    };
  }
}

console.log(`\nStart-up with a session cookie: ms from navigation start, median / p95 over ${LOADS} loads`);
console.log(`machine: ${info.nproc} CPUs (${info.cpu}), ${info.ram_gib} GiB, Chromium ${info.chromium}`);
console.log(`${'page'.padEnd(17)}${'cache'.padEnd(6)}${'(a) ready'.padStart(19)}${'(b) restored'.padStart(19)}${'(c) confirmed'.padStart(19)}`);
for (const [name, byCache] of Object.entries(summary)) {
  for (const [cache, { figures }] of Object.entries(byCache)) {
    const cell = (s) => `${fmt(s.median)} /${fmt(s.p95)}`.padStart(19);
    console.log(`${name.padEnd(17)}${cache.padEnd(6)}${cell(figures.ready)}${cell(figures.restored)}${cell(figures.confirmed)}`);
  }
}
for (const [name, byCache] of Object.entries(summary)) {
  for (const [cache, s] of Object.entries(byCache)) {
    const use = Object.entries(s.resource_cache_use).map(([p, c]) => `${p.split('/').pop()} ${c.memory}/${c.disk}/${c.revalidated}/${c.network}`).join(', ');
    console.log(`  ${name} ${cache}: from memory cache/disk cache/revalidated (304)/network: ${use}`);
    if (s.errors.length) console.log(`  ${name} ${cache}: ${s.errors.length} page errors, first: ${s.errors[0]}`);
  }
}
if (refused.length) console.log(`requests that tried to leave the local server (unresolvable, so they failed): ${refused.length}, e.g. ${refused[0]}`);

writeResult('startup', {
  machine: info,
  loads: LOADS,
  versions: { stytch_vanilla_js: stytchVersion },
  what: {
    ready: 'Latchkey: client.ready resolved (wasm instantiated, core created, state restored into it). Stytch: createStytchClient returned (module evaluated; there is no wasm)',
    restored: 'first moment session.getSync() returned the session',
    confirmed: 'first moment session.getInfo().fromCache was false after the start-up sessions/authenticate answer (polled every task turn from the answer on)',
    module: 'the page module (after its imports) began to run',
    refresh_sent: 'the SDK called fetch for sessions/authenticate',
    refresh_answered: 'that fetch resolved (headers received)',
    document: 'navigation timing responseEnd of the HTML document',
    warm: 'same context and tab, the page loaded before; files dated a day back (heuristic freshness, no Cache-Control from the server)',
    cold: 'a new browser context per load (empty HTTP cache and code cache) with the signed-in cookies and localStorage',
  },
  summary,
  refused_requests: refused.length,
});
