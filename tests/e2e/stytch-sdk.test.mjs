// Stytch's own browser SDK (@stytch/vanilla-js, headless, the pinned version
// bench/size installs) on a page served by latchkey-server configured as
// `make demo` configures it: the page signs in with an email magic link sent
// without any redirect URL, and the SDK must log nothing (no error, no
// warning, no failed request), its bootstrap and telemetry calls must
// succeed, and its RBAC client must find a policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SERVER_BIN, launchBrowser, waitFor } from '../support/harness.mjs';

const INCUMBENTS = join(ROOT, 'bench', 'size', 'incumbents');
const EMAIL = 'ada@example.com';

/** A port nobody listens on right now (the redirect defaults must name it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** @stytch/vanilla-js/headless bundled as an app ships it (esbuild, production build). */
async function bundleStytch(outfile) {
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: "export { createStytchClient } from '@stytch/vanilla-js/headless';", resolveDir: INCUMBENTS, loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', logLevel: 'error',
    conditions: ['production'], define: { 'process.env.NODE_ENV': '"production"' },
    nodePaths: [join(INCUMBENTS, 'node_modules')],
    outfile,
  });
}

// The page: creates the client once per load and, when it lands with a
// token in the URL, authenticates it. Stytch's options cannot name an
// http://localhost base URL except through `endpoints` (see bench/startup).
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stytch SDK against latchkey-server</title>
<link rel="icon" href="data:,">
<script type="module">
  import { createStytchClient } from './stytch.js';
  import config from './config.js';
  const client = createStytchClient(config.publicToken, {
    endpoints: { testAPIURL: location.origin, liveAPIURL: location.origin },
  });
  window.client = client;
  window.landed = client.authenticateByUrl({ session_duration_minutes: 60 })
    .then((result) => ({ result }), (error) => ({ error: { name: error.name, message: error.message } }));
</script></head><body></body></html>
`;

let dir;
let server;
let url;
let log = '';
let browser;
before(async () => {
  assert.ok(existsSync(join(INCUMBENTS, 'node_modules', '@stytch', 'vanilla-js')),
    'bench/size/incumbents is installed (make test installs it: `make incumbents`)');
  dir = mkdtempSync(join(tmpdir(), 'latchkey-stytch-sdk-'));
  const www = join(dir, 'www');
  await bundleStytch(join(www, 'stytch.js'));
  writeFileSync(join(www, 'index.html'), PAGE);
  const port = await freePort();
  url = `http://localhost:${port}`;
  // The Makefile's demo command line, with this page in place of www/.
  server = spawn(SERVER_BIN, [
    '--port', String(port), '--data-dir', join(dir, 'data'), '--serve', `/=${www}`,
    '--default-login-redirect-url', `${url}/`, '--default-signup-redirect-url', `${url}/`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (chunk) => { log += chunk; });
  server.stderr.on('data', (chunk) => { log += chunk; });
  await waitFor(() => log.includes(`listening on ${url}`) || server.exitCode !== null,
    { timeoutMs: 30_000, message: 'the server to listen' });
  assert.equal(server.exitCode, null, log);
  const credentials = JSON.parse(readFileSync(join(dir, 'data', 'credentials.json'), 'utf8'));
  writeFileSync(join(www, 'config.js'), `export default ${JSON.stringify({ publicToken: credentials.public_token })};\n`);
  // Nothing may leave this machine: a request to Stytch's own hosts fails
  // (and would be reported below as a failed request).
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost'] });
});
after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Stytch's headless SDK signs in by magic link against the server with nothing logged", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logged = [];
  const failed = [];
  const api = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') logged.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => logged.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  const refused = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/sdk/v1/')) api.push({ method: r.request().method(), path, status: r.status() });
    if (r.status() >= 400) refused.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });

  await page.goto(`${url}/`);
  assert.deepEqual(await page.evaluate(() => window.landed), { result: null }, 'no token in the URL yet');

  // The send names no redirect URL: the project's default (the page) is used.
  const sent = await page.evaluate((email) => window.client.magicLinks.email.loginOrCreate(email)
    .then((r) => ({ status_code: r.status_code }), (e) => ({ error: e.message })), EMAIL);
  assert.deepEqual(sent, { status_code: 200 });
  const outbox = await (await fetch(`${url}/dev/outbox?recipient=${encodeURIComponent(EMAIL)}`)).json();
  const link = outbox.messages[0].link;
  assert.ok(link.startsWith(`${url}/?stytch_token_type=magic_links&token=`), link);

  await page.goto(link);
  const landed = await page.evaluate(() => window.landed);
  assert.equal(landed.error, undefined, JSON.stringify(landed));
  assert.equal(landed.result.handled, true);
  assert.equal(landed.result.data.user.emails[0].email, EMAIL);
  assert.equal(new URL(page.url()).search, '', 'the SDK took the token out of the address bar');
  const state = await page.evaluate(() => ({ session: window.client.session.getSync(), user: window.client.user.getSync() }));
  assert.equal(state.user.emails[0].email, EMAIL);
  assert.equal(state.session.authentication_factors[0].type, 'magic_link');
  const cookies = (await context.cookies(url)).map((c) => c.name).sort();
  assert.deepEqual(cookies, ['stytch_session', 'stytch_session_jwt']);

  // The RBAC client found a policy (the predefined role grants nothing).
  assert.deepEqual(await page.evaluate(() => window.client.rbac.allPermissions()), {});
  // A refresh, as the SDK's timer would do it.
  const refreshed = await page.evaluate(() => window.client.session.authenticate().then((r) => r.status_code));
  assert.equal(refreshed, 200);

  // Telemetry is flushed every 0.8 s (a page left sooner loses its batch);
  // wait for the signed-in page's.
  await waitFor(() => api.some((r) => r.path === '/sdk/v1/events'),
    { timeoutMs: 5_000, message: 'a telemetry batch' });
  const events = await (await fetch(`${url}/dev/events`)).json();
  assert.ok(events.events.some((e) => e.event.event_name === 'sdk_instance_instantiated'), JSON.stringify(events));
  assert.ok(events.events.every((e) => e.telemetry.sdk.version === '@stytch/vanilla-js@6.3.0'));

  const bootstraps = api.filter((r) => r.path.startsWith('/sdk/v1/projects/bootstrap/'));
  assert.equal(bootstraps.length, 2, 'one bootstrap per page load');
  assert.deepEqual(api.filter((r) => r.status !== 200), [], 'every API call succeeded');
  assert.deepEqual(refused, [], 'no request was refused');
  assert.deepEqual(failed, [], 'no request failed');
  assert.deepEqual(logged, [], 'the SDK and the browser logged no error or warning');
  await context.close();
});
