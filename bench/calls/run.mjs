// bench/calls: what an SDK call costs over a bare `fetch` of the same
// endpoint from the same page. CALLS `passwords.strengthCheck({password})`
// through the SDK and CALLS bare fetches of POST /sdk/v1/passwords/strength_check,
// interleaved in pairs (the order inside a pair alternating), each timed in
// the page with performance.now() from the call to the resolved result;
// in 10 rounds that alternate between the Latchkey and the Stytch page.
// The bare fetch sends what the SDK sends: the body the SDK's own request
// carried, and headers built per call the way pkg/host.js builds them
// (Basic auth, X-SDK-Client with a fresh event id and timestamp,
// X-SDK-Parent-Host, Content-Type, credentials: 'include'), then reads the
// JSON and unwraps `data`, as the SDK does. It has no abort timer.
// A second, instrumented pass splits each call into the caller's own time
// before fetch() is called and after the response body has arrived.
// The same is done with Stytch's headless client in its own page.
// Usage: node bench/calls/run.mjs [--calls 200]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, buildBundles, launchBrowser, machine, offServer, startServer, stats, STYTCH_OPTIONS_SOURCE, writeResult,
} from '../startup/lib.mjs';

const i = process.argv.indexOf('--calls');
const CALLS = i > 0 ? Number(process.argv[i + 1]) : 200;
const WARMUP = 20;
const PASSWORD = 'correct-Horse-battery-staple-9';
const OUT = join(ROOT, 'target', 'bench', 'calls');

// Shared by both pages: the bare fetch, and timing helpers.
const PAGE_SCRIPT = `
  const q = new URLSearchParams(location.search);
  const token = q.get('token');
  const uuid = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  };
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  const appSessionId = 'app-session-id-' + uuid();
  const persistentId = 'persistent-id-' + uuid();
  // What pkg/host.js send() does for a signed-out call, minus the abort timer.
  window.bare = async (url, body) => {
    const client = {
      event_id: 'event-id-' + uuid(), app_session_id: appSessionId, persistent_id: persistentId,
      client_sent_at: new Date().toISOString(), timezone, app: { identifier: location.hostname },
      sdk: { identifier: 'latchkey', version: '0.1.0' },
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: 'Basic ' + btoa(token + ':' + token),
        'X-SDK-Client': btoa(JSON.stringify(client)),
        'X-SDK-Parent-Host': location.origin,
        'Content-Type': 'application/json',
      },
      credentials: 'include',
      body,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.error_type);
    return json.data;
  };
  // Captures the SDK's own request once (URL and body), passing it through.
  window.captureOnce = async (run) => {
    const realFetch = window.fetch;
    let seen;
    window.fetch = function (input, init) { seen ??= { url: String(input?.url ?? input), body: init?.body ?? null }; return realFetch.call(this, input, init); };
    try { await run(); } finally { window.fetch = realFetch; }
    return seen;
  };
  window.time = async (run) => { const t0 = performance.now(); await run(); return performance.now() - t0; };
  // Instrumented: caller's time before fetch() and after the body arrived.
  window.split = async (run) => {
    const realFetch = window.fetch;
    let called; let bodyAt;
    window.fetch = function (input, init) {
      called ??= performance.now();
      return realFetch.call(this, input, init).then((r) => {
        const read = (method) => { const f = r[method].bind(r); r[method] = () => f().then((v) => { bodyAt = performance.now(); return v; }); };
        read('text'); read('json');
        return r;
      });
    };
    const t0 = performance.now();
    try { await run(); } finally { window.fetch = realFetch; }
    const t1 = performance.now();
    return { total: t1 - t0, before: called - t0, after: t1 - bodyAt };
  };`;

const PAGES = {
  latchkey: `
    import { createClient } from './latchkey.js';
    ${PAGE_SCRIPT}
    window.client = createClient(token, { baseUrl: location.origin });
    window.sdkCall = (password) => window.client.passwords.strengthCheck({ password });`,
  stytch: `
    import { createStytchClient } from './stytch.js';
    ${PAGE_SCRIPT}
    window.client = createStytchClient(token, ${STYTCH_OPTIONS_SOURCE});
    window.sdkCall = (password) => window.client.passwords.strengthCheck({ password });`,
};
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const { stytchVersion } = await buildBundles(OUT);
for (const [name, script] of Object.entries(PAGES)) {
  writeFileSync(join(OUT, `${name}.html`), `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>calls: ${name}</title>
<script type="module">${script}\n</script></head><body></body></html>\n`);
}

const server = await startServer({ serve: { '/': OUT }, rateLimit: 'off' });
const browser = await launchBrowser();
const info = machine(browser);

/**
 * Serves the page itself with COOP/COEP added (through the DevTools Fetch
 * domain, for the HTML document only: the API requests are not intercepted),
 * so it is cross-origin isolated and performance.now() ticks in 5 µs steps
 * instead of 100 µs. The server's own headers are kept.
 */
async function isolate(page) {
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Fetch.requestPaused', async (e) => {
    const { body, base64Encoded } = await cdp.send('Fetch.getResponseBody', { requestId: e.requestId });
    const responseHeaders = [...(e.responseHeaders ?? []),
      { name: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
      { name: 'Cross-Origin-Embedder-Policy', value: 'require-corp' }];
    await cdp.send('Fetch.fulfillRequest', {
      requestId: e.requestId, responseCode: e.responseStatusCode ?? 200, responseHeaders,
      body: base64Encoded ? body : Buffer.from(body).toString('base64'),
    });
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*.html*', requestStage: 'Response' }] });
}

/** Opens the SDK's page (cross-origin isolated) and captures the SDK's own request. */
async function open(sdk) {
  const context = await browser.newContext();
  const offLocal = offServer(context, server);
  const page = await context.newPage();
  await isolate(page);
  page.on('pageerror', (e) => console.error(`${sdk}: ${e.message}`));
  await page.goto(`${server.url}/${sdk}.html?token=${encodeURIComponent(server.publicToken)}`);
  await page.waitForFunction(() => window.sdkCall);
  if (sdk === 'latchkey') await page.evaluate(() => window.client.ready);
  await page.waitForTimeout(500); // let start-up requests (Stytch: bootstrap) settle
  const setup = await page.evaluate(async (password) => {
    const request = await window.captureOnce(() => window.sdkCall(password));
    const sameResult = JSON.stringify(Object.keys(await window.sdkCall(password)).sort())
      === JSON.stringify(Object.keys(await window.bare(request.url, request.body)).sort());
    window.request = request;
    return { isolated: window.crossOriginIsolated, request, sameResult };
  }, PASSWORD);
  return { context, page, offLocal, ...setup, sdk: [], bare: [], split: { sdk: [], bare: [] } };
}

/** `pairs` SDK/bare pairs (order alternating), then `pairs` instrumented ones; `keep`: record them. */
function round(page, pairs, keep) {
  return page.evaluate(async ({ password, pairs, keep }) => {
    const { url, body } = window.request;
    const out = { sdk: [], bare: [], split: { sdk: [], bare: [] } };
    for (let n = 0; n < pairs; n += 1) {
      const order = n % 2 === 0 ? ['sdk', 'bare'] : ['bare', 'sdk'];
      const pair = {};
      for (const way of order) {
        pair[way] = await window.time(() => (way === 'sdk' ? window.sdkCall(password) : window.bare(url, body)));
      }
      out.sdk.push(pair.sdk);
      out.bare.push(pair.bare);
    }
    for (let n = 0; n < pairs; n += 1) {
      out.split.sdk.push(await window.split(() => window.sdkCall(password)));
      out.split.bare.push(await window.split(() => window.bare(url, body)));
    }
    return keep ? out : null;
  }, { password: PASSWORD, pairs, keep });
}

// Rounds alternate between the two pages, so a change in the machine's load
// during the run reaches both SDKs alike.
const ROUNDS = 10;
const raw = {};
for (const sdk of Object.keys(PAGES)) raw[sdk] = await open(sdk);
for (const r of Object.values(raw)) await round(r.page, WARMUP, false);
for (let k = 0; k < ROUNDS; k += 1) {
  for (const r of Object.values(raw)) {
    const out = await round(r.page, Math.ceil(CALLS / ROUNDS), true);
    r.sdk.push(...out.sdk);
    r.bare.push(...out.bare);
    r.split.sdk.push(...out.split.sdk);
    r.split.bare.push(...out.split.bare);
  }
}
console.log(`calls: ${Object.keys(PAGES).join(', ')}: ${raw.latchkey.sdk.length} SDK calls and as many bare fetches each, in ${ROUNDS} alternating rounds`);
for (const r of Object.values(raw)) await r.context.close();
await browser.close();
await server.stop();

const summary = {};
for (const [sdk, r] of Object.entries(raw)) {
  const paired = r.sdk.map((t, k) => t - r.bare[k]);
  summary[sdk] = {
    cross_origin_isolated: r.isolated,
    request: { url: new URL(r.request.url).pathname, body: r.request.body },
    same_result_keys: r.sameResult,
    sdk_call: stats(r.sdk),
    bare_fetch: stats(r.bare),
    difference_of_medians: Number((stats(r.sdk).median - stats(r.bare).median).toFixed(3)),
    paired_difference: stats(paired),
    instrumented: {
      sdk_before_fetch: stats(r.split.sdk.map((s) => s.before)),
      sdk_after_body: stats(r.split.sdk.map((s) => s.after)),
      sdk_own: stats(r.split.sdk.map((s) => s.before + s.after)),
      bare_before_fetch: stats(r.split.bare.map((s) => s.before)),
      bare_after_body: stats(r.split.bare.map((s) => s.after)),
      bare_own: stats(r.split.bare.map((s) => s.before + s.after)),
    },
    off_server_requests: r.offLocal.length,
  };
}

const f3 = (x) => (x === null ? '—' : x.toFixed(3)).padStart(7);
console.log(`\npasswords.strengthCheck through the SDK vs a bare fetch of the same endpoint: ms, ${CALLS} each, interleaved`);
console.log(`machine: ${info.nproc} CPUs (${info.cpu}), ${info.ram_gib} GiB, Chromium ${info.chromium}`);
console.log(`${'sdk'.padEnd(10)}${'SDK median/p95'.padStart(18)}${'bare median/p95'.padStart(18)}${'Δ medians'.padStart(11)}${'paired Δ median/p95'.padStart(22)}${'own time SDK/bare (median)'.padStart(29)}`);
for (const [sdk, s] of Object.entries(summary)) {
  console.log(`${sdk.padEnd(10)}${`${f3(s.sdk_call.median)} /${f3(s.sdk_call.p95)}`.padStart(18)}${`${f3(s.bare_fetch.median)} /${f3(s.bare_fetch.p95)}`.padStart(18)}`
    + `${f3(s.difference_of_medians).padStart(11)}${`${f3(s.paired_difference.median)} /${f3(s.paired_difference.p95)}`.padStart(22)}`
    + `${`${f3(s.instrumented.sdk_own.median)} /${f3(s.instrumented.bare_own.median)}`.padStart(29)}`);
}
for (const [sdk, s] of Object.entries(summary)) {
  if (!s.cross_origin_isolated) console.log(`  ${sdk}: the page was not cross-origin isolated: times are in 0.1 ms steps`);
  if (!s.same_result_keys) console.log(`  ${sdk}: the SDK's result and the bare fetch's data have different keys`);
}

writeResult('calls', {
  machine: info,
  calls: CALLS,
  warmup_pairs: WARMUP,
  rounds: ROUNDS,
  versions: { stytch_vanilla_js: stytchVersion },
  what: {
    sdk_call: 'client.passwords.strengthCheck({password}) from call to resolved result, ms (page clock)',
    bare_fetch: 'fetch of the same URL with the SDK\'s body and host.js-style headers built per call, then response.json().data',
    paired_difference: 'per pair (the two calls run back to back), SDK minus bare',
    clock: 'performance.now() in a cross-origin-isolated page (COOP/COEP added to the HTML response through the DevTools Fetch domain): 5 µs steps',
    instrumented: 'a second pass with fetch wrapped: before = call to fetch() invoked; after = response body read to result; own = before + after (time in the caller, not the network)',
    stytch: 'its client in its own page; the bare fetch there is the same host.js-style request (its own request carries its own headers)',
  },
  summary,
});
