// The session as a person sees it across tabs and over time: sign-in and
// sign-out reach the other tab, the refresh countdown follows the SDK's
// refreshes, and a session revoked by the backend ends in the UI at the next
// refresh. `?refresh=MS` sets the demo's refreshIntervalMs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, waitFor } from '../support/harness.mjs';
import {
  startDemoServer, openDemo, expectView, signUpWithPassword, signInWithPassword, view, assertNoPageErrors,
} from './demo.mjs';

const PASSWORD = 'correct horse battery staple 42';
let server;
let browser;
before(async () => { server = await startDemoServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const sessionId = async (page) => (await page.locator('#session-facts code').first().textContent()).trim();

test('sign-in in one tab appears in the other; sign-out in one signs the other out within a second', async () => {
  const context = await browser.newContext();
  const first = await openDemo(context, server.url);
  const second = await openDemo(context, server.url);
  await expectView(second, 'signed-out');

  await signUpWithPassword(first, 'tabs@example.com', PASSWORD);
  await expectView(second, 'signed-in', 2_000);
  assert.equal(await sessionId(second), await sessionId(first));
  assert.match(await second.locator('#status-pill').textContent(), /tabs@example\.com/);

  await first.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expectView(first, 'signed-out');
  const signedOutAt = Date.now();
  await waitFor(async () => (await view(second)) === 'signed-out', { timeoutMs: 1_000, message: 'the second tab to sign out' });
  assert.ok(Date.now() - signedOutAt < 1_000);

  // And the other way round, through "Sign out everywhere…" → "Revoke this session".
  await signInWithPassword(second, 'tabs@example.com', PASSWORD);
  await expectView(first, 'signed-in', 2_000);
  await second.getByRole('button', { name: 'Sign out everywhere…' }).click();
  const commands = await second.locator('#everywhere-commands').textContent();
  const userId = (await second.locator('#user-facts code').first().textContent()).trim();
  assert.ok(commands.includes(`/v1/sessions?user_id=${userId}`), commands);
  assert.ok(commands.includes('/v1/sessions/revoke'));
  await second.getByRole('button', { name: 'Revoke this session' }).click();
  await expectView(second, 'signed-out');
  await expectView(first, 'signed-out', 1_000);
  const { body } = await server.v1('GET', `/sessions?user_id=${userId}`);
  assert.deepEqual(body.sessions, [], 'the session is gone on the server too');
  assertNoPageErrors(first);
  assertNoPageErrors(second);
  await context.close();
});

test('the countdown follows the refreshes: each one brings a new JWT', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url, { query: '?refresh=2000' });
  await signUpWithPassword(page, 'countdown@example.com', PASSWORD);
  assert.match(await page.locator('#next-refresh').textContent(), /^(in 0:0[0-2] \(every 0:02\)|due now…)$/);
  const iat = async () => JSON.parse((await page.locator('#jwt-claims').textContent()).split('// claims\n')[1]).iat;
  const firstIat = await iat();
  // Two refreshes later (2 s apart) the JWT shown is a newer one (iat has whole seconds).
  await waitFor(async () => (await iat()) > firstIat, { timeoutMs: 6_000, message: 'a refreshed JWT' });
  assert.equal(await view(page), 'signed-in');
  assertNoPageErrors(page);
  await context.close();
});

test('a session revoked through the backend API signs the UI out at the next refresh', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url, { query: '?refresh=2000' });
  await signUpWithPassword(page, 'revoked@example.com', PASSWORD);
  const other = await openDemo(context, server.url, { query: '?refresh=2000' });
  await expectView(other, 'signed-in');

  const revoked = await server.v1('POST', '/sessions/revoke', { session_id: await sessionId(page) });
  assert.equal(revoked.status, 200);
  const at = Date.now();
  // One refresh interval (2 s), plus slack for the request.
  await expectView(page, 'signed-out', 4_000);
  await expectView(other, 'signed-out', 1_000);
  assert.ok(Date.now() - at < 4_000);
  await page.reload();
  await expectView(page, 'signed-out');
  assertNoPageErrors(page);
  await context.close();
});

test('an out-of-range ?refresh= is explained, not thrown', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url, { query: '?refresh=10' });
  await expectView(page, 'signed-out');
  assert.match(await page.locator('#signed-out-error').textContent(), /between 1000 and 270000/);
  await context.close();
});
