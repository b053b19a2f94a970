// Shared by bench/startup, bench/tabs and bench/calls: the release server,
// Chromium, the machine's description, statistics, the browser bundles of
// Latchkey and of Stytch's headless client, and the results files.
// Benchmarks report; nothing here fails on a number.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results');
export const INCUMBENTS = join(ROOT, 'bench', 'size', 'incumbents');
export const STRONG_PASSWORD = 'vivid-Quokka-marches-47-Lanterns!';

// The release server unless the caller names another binary (the test
// harness defaults to the debug build).
process.env.LATCHKEY_SERVER_BIN ??= join(ROOT, 'target', 'release', 'latchkey-server');
if (!existsSync(process.env.LATCHKEY_SERVER_BIN)) {
  throw new Error(`${process.env.LATCHKEY_SERVER_BIN} is missing: run \`make bench\` (or \`cargo build --release -p latchkey-server\`)`);
}
if (!existsSync(join(ROOT, 'pkg', 'dist', 'latchkey_bg.wasm'))) {
  throw new Error('pkg/dist is missing: run `make pkg` first');
}
const harness = await import('../../tests/support/harness.mjs');
export const { startServer } = harness;

/**
 * Headless Debian Chromium with the tests' switches, and every host name but
 * localhost unresolvable, so no SDK can reach the internet and skew a figure.
 * (Not Playwright's request routing: routing disables the HTTP cache.)
 */
export function launchBrowser() {
  return harness.launchBrowser({ args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'] });
}

/** nproc, CPU model, RAM, load, Node and (given a browser) Chromium. */
export function machine(browser) {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    nproc: os.availableParallelism(),
    cpu,
    ram_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadavg_1m: Number(os.loadavg()[0].toFixed(2)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    chromium: browser ? browser.version() : undefined,
    server: process.env.LATCHKEY_SERVER_BIN.replace(`${ROOT}/`, ''),
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);

/** n, median, p95, min, max, mean (ms, 3 decimals) of the defined values. */
export function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  const mean = v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  return {
    n: v.length,
    median: round(percentile(v, 50)),
    p95: round(percentile(v, 95)),
    min: round(v[0] ?? null),
    max: round(v.at(-1) ?? null),
    mean: round(mean),
  };
}

export const fmt = (x, width = 8) => (x === null || x === undefined ? '—' : x.toFixed(1)).padStart(width);

/** Writes bench/results/<name>.json and says so. */
export function writeResult(name, data) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  // The load average at the end beside the one in `machine` (at the start):
  // anything else running on the machine shows up here.
  const end = { loadavg_1m_at_end: Number(os.loadavg()[0].toFixed(2)) };
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...data, ...end }, null, 2)}\n`);
  console.log(`\nwritten: ${file.replace(`${ROOT}/`, '')}`);
}

/** The incumbents' pinned packages (bench/size owns the list). */
export function ensureIncumbents() {
  if (!existsSync(join(INCUMBENTS, 'node_modules', '@stytch', 'vanilla-js'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: INCUMBENTS, stdio: 'inherit' });
  }
  return JSON.parse(readFileSync(join(INCUMBENTS, 'node_modules', '@stytch', 'vanilla-js', 'package.json'), 'utf8')).version;
}

/**
 * Browser bundles in `outDir`, built like bench/size builds them (esbuild
 * --bundle --minify --format=esm, browser, production conditions):
 *   latchkey.js + dist/latchkey_bg.wasm  the package as an app bundler ships it
 *   stytch.js                            @stytch/vanilla-js/headless
 * Each exposes its SDK as `window.sdk` and signals `sdk-loaded`.
 */
export async function buildBundles(outDir) {
  const stytchVersion = ensureIncumbents();
  const { build } = await import('esbuild');
  mkdirSync(join(outDir, 'dist'), { recursive: true });
  const common = {
    bundle: true, minify: true, format: 'esm', platform: 'browser', logLevel: 'error',
    conditions: ['production'], define: { 'process.env.NODE_ENV': '"production"' },
    nodePaths: [join(INCUMBENTS, 'node_modules')],
  };
  await build({
    ...common,
    stdin: { contents: `export * from ${JSON.stringify(join(ROOT, 'pkg', 'index.js'))};`, resolveDir: ROOT, loader: 'js' },
    outfile: join(outDir, 'latchkey.js'),
  });
  // index.js finds the wasm at new URL('./dist/latchkey_bg.wasm', import.meta.url).
  copyFileSync(join(ROOT, 'pkg', 'dist', 'latchkey_bg.wasm'), join(outDir, 'dist', 'latchkey_bg.wasm'));
  await build({
    ...common,
    stdin: { contents: "export { createStytchClient } from '@stytch/vanilla-js/headless';", resolveDir: INCUMBENTS, loader: 'js' },
    outfile: join(outDir, 'stytch.js'),
  });
  return { stytchVersion };
}

/**
 * Stytch's `customBaseUrl` keeps only the hostname and forces https
 * (core/src/utils/getHttpsUrl), so it cannot name http://localhost:PORT.
 * Its config also reads `endpoints.testAPIURL` / `liveAPIURL` (the URLs it
 * otherwise defaults to https://test.stytch.com / api.stytch.com): that is
 * how these benchmarks point it at the local server. Nothing else changes.
 * As page source: the benchmarks' pages are served by that server, so the
 * options name the page's own origin.
 */
export const STYTCH_OPTIONS_SOURCE = '{"endpoints":{"testAPIURL":location.origin,"liveAPIURL":location.origin}}';

/** Records the requests of `context` that left the local server (they fail: see launchBrowser). */
export function offServer(context, server, into = []) {
  context.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin !== server.url && /^https?:$/.test(url.protocol)) into.push(r.url());
  });
  return into;
}

/**
 * A server-side counter of requests under `pathPrefix`: a dev fault rule
 * with delay 0 and no status (so it changes nothing but adds up to ~1 ms of
 * timer latency) whose `remaining` the server counts down on every match.
 */
export async function serverCounter(server, pathPrefix, count = 10_000) {
  const arm = async () => {
    await server.clearFaults();
    await server.fault({ path_prefix: pathPrefix, count, delay_ms: 0 });
  };
  await arm();
  return {
    async read() {
      const response = await fetch(`${server.url}/dev/faults`);
      const body = await response.json();
      const rules = Array.isArray(body) ? body : body.rules ?? body.faults ?? [];
      const rule = rules.find((r) => r.path_prefix === pathPrefix);
      return count - (rule?.remaining ?? 0);
    },
    reset: arm,
  };
}
