// Shared plumbing for end-to-end tests: a real latchkey-server on a temporary
// SQLite directory, and headless Debian Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVER_BIN = process.env.LATCHKEY_SERVER_BIN ?? join(ROOT, 'target', 'debug', 'latchkey-server');

/**
 * Starts a server on a free port with a fresh data directory.
 * Returns { url, port, stop(), output() }; `extraArgs` are passed through.
 */
export async function startServer(extraArgs = [], { dataDir } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'latchkey-e2e-'));
  const args = ['--port', '0', '--data-dir', dir,
    '--serve', `/=${join(ROOT, 'www')}`, '--serve', `/pkg=${join(ROOT, 'pkg')}`, ...extraArgs];
  const child = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
    const onData = (chunk) => {
      log += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) { clearTimeout(timer); resolvePromise(match[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { log += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${log}`)); });
  });
  return {
    url,
    dataDir: dir,
    output: () => log,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}
