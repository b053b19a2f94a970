// The demo page loads the WebAssembly module from the package and shows its version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, ROOT } from '../support/harness.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the demo shows the version of the loaded wasm module', async () => {
  const expected = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8')).version;
  const page = await browser.newPage();
  const wasmResponses = [];
  page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasmResponses.push(r); });
  await page.goto(server.url);
  const out = page.locator('#sdk-version[data-state]');
  await out.waitFor();
  assert.equal(await out.getAttribute('data-state'), 'ready');
  assert.equal(await out.textContent(), expected);
  assert.equal(wasmResponses.length, 1);
  assert.equal(wasmResponses[0].headers()['content-type'], 'application/wasm');
});
