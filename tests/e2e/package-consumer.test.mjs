// The package as a stranger gets it: `npm pack` of pkg/ (after `make pkg`),
// installed into a fresh Vite + TypeScript project, type-checked with
// --strict, built with `vite build`, served from its own origin, and used to
// sign in against the local server in Chromium. The app is the README's
// quickstart form, taken from pkg/README.md. The same installed files also load in a plain
// <script type="module"> without any bundler.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, launchBrowser, startServer, startStaticServer } from '../support/harness.mjs';
import { readmeBlock, replaceOnce } from './demo.mjs';

const run = promisify(execFile);
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let dir;
let api;
let site;
let browser;
let packed;

before(async () => {
  assert.ok(existsSync(join(ROOT, 'pkg', 'dist', 'latchkey_bg.wasm')), 'pkg/dist is missing: run `make pkg` first');
  dir = mkdtempSync(join(tmpdir(), 'latchkey-consumer-'));
  api = await startServer({ serve: {} });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await site?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('npm pack holds the package files and nothing else', async () => {
  const { stdout } = await run('npm', ['pack', join(ROOT, 'pkg'), '--pack-destination', dir, '--json'], { cwd: ROOT });
  [packed] = JSON.parse(stdout);
  assert.equal(packed.name, 'latchkey');
  assert.deepEqual(packed.files.map((f) => f.path).sort(), [
    'README.md', 'answers.js', 'cache.js', 'client.js', 'contract.js', 'dist/latchkey.js', 'dist/latchkey_bg.wasm', 'errors.js',
    'host.js', 'index.d.ts', 'index.js', 'package.json', 'react.d.ts', 'react.js', 'validate.js', 'webauthn.js',
  ]);
});

test('a fresh Vite + TypeScript app installs the tarball, type-checks, builds, and signs in with it', async () => {
  assert.ok(packed, 'packed by the previous test');
  const app = join(dir, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  const files = {
    'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'], skipLibCheck: false, isolatedModules: true,
      },
      include: ['src'],
    }),
    // The README's quickstart as written, with this server's token and URL.
    'index.html': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>consumer</title></head><body>
${replaceOnce(readmeBlock('<form id="sign-in">'), './main.ts', '/src/main.ts')}</body></html>`,
    'src/main.ts': replaceOnce(
      replaceOnce(readmeBlock('// main.ts'), "'public-token-test-…'", JSON.stringify(api.publicToken)),
      "'http://localhost:8787'", JSON.stringify(api.url),
    ),
    // No bundler: the installed files straight from node_modules.
    'plain.html': `<!doctype html><html><body><output id="version">loading</output>
<script type="module">
  import { version } from './node_modules/latchkey/index.js';
  version().then((v) => { document.getElementById('version').textContent = v; });
</script></body></html>`,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(app, name), text);

  await run('npm', ['install', join(dir, packed.filename), '--offline', '--no-audit', '--no-fund'], { cwd: app });
  assert.ok(existsSync(join(app, 'node_modules', 'latchkey', 'dist', 'latchkey_bg.wasm')));
  await run(process.execPath, [TSC, '-p', app], { cwd: app }).catch((e) => { throw new Error(`tsc --strict failed:\n${e.stdout}${e.stderr}`); });
  await run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], { cwd: app });
  const assets = readdirSync(join(app, 'dist', 'assets'));
  assert.ok(assets.some((f) => /^latchkey_bg-.*\.wasm$/.test(f)), `the wasm is an asset of the build: ${assets}`);

  // A user to sign in as, created by the host's backend.
  const created = await api.v1('POST', '/passwords', { email: 'vite@example.com', password: 'correct horse battery staple 42' });
  assert.equal(created.status, 200, JSON.stringify(created.body));

  site = await startStaticServer({ '/': join(app, 'dist'), '/plain': app });
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm = [];
  page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r); });
  await page.goto(site.url);
  const status = page.getByRole('status');
  await page.getByText('Signed out').waitFor();
  await page.getByLabel('Email').fill('vite@example.com');
  await page.getByLabel('Password').fill('nope, not this one');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong email or password.').waitFor();
  await page.getByLabel('Password').fill('correct horse battery staple 42');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as vite@example.com').waitFor();
  assert.equal(wasm.length, 1);
  assert.match(new URL(wasm[0].url()).pathname, /^\/assets\/latchkey_bg-.*\.wasm$/);
  assert.equal(wasm[0].headers()['content-type'], 'application/wasm');
  await page.reload();
  await page.getByText('Signed in as vite@example.com').waitFor();
  assert.equal(await status.count(), 1);

  await page.goto(`${site.url}/plain/plain.html`);
  await page.locator('#version', { hasText: packed.version }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
