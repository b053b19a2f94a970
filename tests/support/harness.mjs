// Shared plumbing for the JS test tiers (tests/browser: the SDK in Chromium;
// tests/e2e: the demo app): a real latchkey-server on a temporary SQLite
// directory, its dev outbox and backend API, and headless Debian Chromium
// driven by playwright-core. Nothing here is a mock.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVER_BIN = process.env.LATCHKEY_SERVER_BIN ?? join(ROOT, 'target', 'debug', 'latchkey-server');

/**
 * Starts a server on a free port with a fresh data directory.
 * `serve` maps URL prefixes to directories (default: the demo and the package).
 * Fault injection and the movable clock are on; rate limits are relaxed so a
 * big suite is not throttled (the limiter itself is tested in server/tests).
 */
export async function startServer({
  serve = { '/': join(ROOT, 'www'), '/pkg': join(ROOT, 'pkg') },
  rateLimit = 'relaxed',
  args = [],
} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const argv = ['--port', '0', '--data-dir', dir, '--enable-dev-faults', '--rate-limit', rateLimit, ...args];
  for (const [prefix, path] of Object.entries(serve)) argv.push('--serve', `${prefix}=${path}`);
  const child = spawn(SERVER_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      log += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) { clearTimeout(timer); resolvePromise(match[1]); }
    });
    child.stderr.on('data', (chunk) => { log += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${log}`)); });
  });
  const credentials = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));
  const server = {
    url,
    port: Number(new URL(url).port),
    /** { project_id, public_token, secret } */
    credentials,
    publicToken: credentials.public_token,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    /** Calls the backend face (/v1) with the project secret, as a host backend would. */
    async v1(method, path, body) {
      const auth = Buffer.from(`${credentials.project_id}:${credentials.secret}`).toString('base64');
      const response = await fetch(`${url}/v1${path}`, {
        method,
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    /** The dev outbox, newest first, optionally for one recipient. */
    async outbox(recipient) {
      const query = recipient ? `?recipient=${encodeURIComponent(recipient)}` : '';
      const response = await fetch(`${url}/dev/outbox${query}`);
      return (await response.json()).messages;
    },
    /** Waits for a message to `recipient` newer than the `seen` ids. */
    async nextMessage(recipient, { seen = [], timeoutMs = 5_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const fresh = (await server.outbox(recipient)).find((m) => !seen.includes(m.id));
        if (fresh) return fresh;
        if (Date.now() > deadline) throw new Error(`no message for ${recipient} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Makes the next `count` requests under `path_prefix` fail and/or wait. */
    async fault(rule) {
      const response = await fetch(`${url}/dev/faults`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule),
      });
      if (!response.ok) throw new Error(`fault rejected: ${response.status} ${await response.text()}`);
    },
    async clearFaults() {
      await fetch(`${url}/dev/faults`, { method: 'DELETE' });
    },
    /** Moves the server's clock forward (expiry tests). */
    async advanceClock(seconds) {
      const response = await fetch(`${url}/dev/clock`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance_seconds: seconds }),
      });
      if (!response.ok) throw new Error(`clock rejected: ${response.status}`);
    },
  };
  return server;
}

/** Polls `check` (sync or async) until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor(check, { timeoutMs = 5_000, intervalMs = 25, message = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Headless Debian Chromium with CHROMIUM_ARGS, plus `args` (extra switches,
 * e.g. host resolver rules) and any other launch `options`.
 */
export async function launchBrowser({ args = [], ...options } = {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...args], ...options });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...contextArgs) => guardTokens(await newContext(...contextArgs));
  return browser;
}

/**
 * Every context of every browser test checks, when it closes, that no
 * session token or JWT the API handed out sits in any page's localStorage
 * or sessionStorage (the package keeps them in the cookies only). A
 * leaked token fails the test that closes the context.
 */
function guardTokens(context) {
  const tokens = new Set();
  context.on('response', async (response) => {
    if (!/\/v1\//.test(response.url()) || !response.headers()['content-type']?.includes('json')) return;
    try {
      const body = await response.json();
      for (const source of [body, body?.data]) {
        for (const key of ['session_token', 'session_jwt']) if (typeof source?.[key] === 'string' && source[key]) tokens.add(source[key]);
      }
    } catch { /* a body that is gone or not JSON holds no token */ }
  });
  const close = context.close.bind(context);
  context.close = async (...closeArgs) => {
    const leaks = [];
    for (const page of context.pages()) {
      let stored = [];
      try {
        stored = await page.evaluate(() => [...Object.values(localStorage), ...Object.values(sessionStorage)]);
      } catch { /* a crashed or blank page has no storage to read */ }
      for (const token of tokens) if (stored.some((value) => value.includes(token))) leaks.push(token.slice(0, 12));
    }
    await close(...closeArgs);
    if (leaks.length) throw new Error(`session tokens found in web storage: ${leaks.join(', ')}…`);
  };
  return context;
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

/**
 * A tiny static file server (an app hosted apart from the API, e.g. a Vite
 * build, on its own origin). `mounts` maps URL prefixes to directories, the
 * longest prefix winning; directories answer with their index.html. Binds
 * `host` (default 127.0.0.1) on `port` (default: a free one).
 */
export async function startStaticServer(mounts, { host = '127.0.0.1', port = 0 } = {}) {
  const { createServer } = await import('node:http');
  const { readFile, stat } = await import('node:fs/promises');
  const { extname, normalize, sep } = await import('node:path');
  const entries = Object.entries(mounts).sort(([a], [b]) => b.length - a.length);
  const http = createServer(async (request, response) => {
    try {
      const pathname = decodeURIComponent(new URL(request.url, 'http://x').pathname);
      const [prefix, dir] = entries.find(([p]) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`)) ?? [];
      if (!dir) throw Object.assign(new Error('no mount'), { code: 'ENOENT' });
      const rest = normalize(pathname.slice(prefix.length).replace(/^\/*/, ''));
      if (rest.startsWith('..')) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      let file = resolve(dir, rest);
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      if (!file.startsWith(resolve(dir) + sep) && file !== resolve(dir)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(error.code === 'ENOENT' || error.code === 'ENOTDIR' ? 404 : 500, { 'content-type': 'text/plain' });
      response.end(error.code === 'ENOENT' || error.code === 'ENOTDIR' ? 'not found' : 'error');
    }
  });
  await new Promise((r, reject) => { http.once('error', reject); http.listen(port, host, r); });
  const actual = http.address().port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    stop: () => new Promise((r) => { http.closeAllConnections?.(); http.close(() => r()); }),
  };
}
