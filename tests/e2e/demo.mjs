// Helpers for the end-to-end tests of the demo app (www/): a real
// latchkey-server serving a copy of www/ with its own config.js (the file
// `make demo` writes), and the steps a person takes in the UI.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { ROOT, startServer } from '../support/harness.mjs';

export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');

/** A copy of www/ in a temporary directory, without any config.js of a developer's own. */
export function copyDemo() {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-www-'));
  cpSync(join(ROOT, 'www'), dir, { recursive: true, filter: (src) => !src.endsWith(`${sep}config.js`) });
  return dir;
}

/** Writes the demo's config.js (what the Makefile's demo target does). */
export function writeDemoConfig(dir, config) {
  writeFileSync(join(dir, 'config.js'), `export default ${JSON.stringify(config)};\n`);
}

/** A server serving the demo (with a config.js for this server) and the package. */
export async function startDemoServer() {
  const www = copyDemo();
  const server = await startServer({ serve: { '/': www, '/pkg': join(ROOT, 'pkg') } });
  writeDemoConfig(www, { publicToken: server.publicToken });
  const stop = server.stop;
  server.stop = async () => { await stop(); cleanup(www); };
  return server;
}

/** Fails the test on any uncaught error in the page. */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  return errors;
}

/** Opens the demo and waits until it settled on a view (not "loading"). */
export async function openDemo(context, url, { query = '' } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.errors = watchErrors(page);
  await page.goto(`${url}/${query}`);
  await settled(page);
  return page;
}

export async function settled(page) {
  await page.waitForFunction(() => document.body.dataset.view && document.body.dataset.view !== 'loading');
}

/** Waits until the page shows `view` (signed-in, signed-out, reset, setup). */
export async function expectView(page, view, timeout = 5_000) {
  await page.locator(`body[data-view="${view}"]`).waitFor({ timeout });
}

export const view = (page) => page.evaluate(() => document.body.dataset.view);

/** The newest outbox item for `recipient` in the page's outbox panel. */
export function outboxItem(page, recipient) {
  return page.locator('#outbox-list > li', { has: page.locator('.recipient', { hasText: recipient }) }).first();
}

export async function chooseTab(page, name) {
  await page.getByRole('tab', { name }).click();
}

/** The visible text box labelled `name` (hidden forms have the same labels). */
export const field = (page, name) => page.getByRole('textbox', { name, exact: true });

export async function signUpWithPassword(page, email, password) {
  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Create account' }).check();
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectView(page, 'signed-in');
}

export async function signInWithPassword(page, email, password) {
  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Sign in' }).check();
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectView(page, 'signed-in');
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectView(page, 'signed-out');
}

/** The factor types the session card lists. */
export function factorTypes(page) {
  return page.locator('#session-factors li').evaluateAll((items) => items.map((li) => li.dataset.factor));
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Asserts the page had no uncaught errors. */
export function assertNoPageErrors(page) {
  assert.deepEqual(page.errors.map((e) => e.message), []);
}

export function cleanup(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The fenced code block of `file` (default pkg/README.md) whose text contains
 * `marker`, so tests run the README's code as written.
 */
export function readmeBlock(marker, file = join(ROOT, 'pkg', 'README.md')) {
  const blocks = [...readFileSync(file, 'utf8').matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  const found = blocks.filter((b) => b.includes(marker));
  assert.equal(found.length, 1, `exactly one code block with ${marker} in ${file}`);
  return found[0];
}

/** `text` with `from` replaced by `to`, failing if `from` is not there. */
export function replaceOnce(text, from, to) {
  assert.ok(text.includes(from), `expected ${JSON.stringify(from)} in:\n${text}`);
  return text.replace(from, () => to);
}
