// Signing in without a password, through the UI and the dev outbox panel as a
// person would: a magic link, an email code, an SMS code, and OAuth through
// the server's development identity provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startDemoServer, openDemo, expectView, chooseTab, field, outboxItem, signOut, factorTypes, assertNoPageErrors,
} from './demo.mjs';

let server;
let browser;
before(async () => { server = await startDemoServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('magic link: ask for it, open it from the outbox panel, signed in', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await expectView(page, 'signed-out');
  await field(page, 'Email address').fill('link@example.com');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByText('we sent a sign-in link to link@example.com').waitFor();
  const item = outboxItem(page, 'link@example.com');
  assert.equal(await item.locator('.badge').textContent(), 'Email');
  await item.getByRole('link', { name: 'Open link' }).click();
  await expectView(page, 'signed-in');
  assert.doesNotMatch(page.url(), /token=/);
  assert.deepEqual(await factorTypes(page), ['magic_link']);
  assert.match(await page.locator('#status-pill').textContent(), /link@example\.com/);

  // A used link explains itself in words.
  const used = await item.getByRole('link', { name: 'Open link' }).getAttribute('href');
  await signOut(page);
  await page.goto(used);
  const alert = page.locator('#signed-out-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /expired or was already used|not valid any more/);
  assertNoPageErrors(page);
  await context.close();
});

test('email code: the code from the outbox panel signs in; a wrong one is explained', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await chooseTab(page, 'Email code');
  await field(page, 'Email address').fill('code@example.com');
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByText('We sent a 6-digit code to code@example.com').waitFor();
  const code = (await outboxItem(page, 'code@example.com').locator('code.otp').textContent()).trim();
  assert.match(code, /^\d{6}$/);

  const wrong = code === '000000' ? '111111' : '000000';
  await field(page, '6-digit code').fill(wrong);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  const alert = page.locator('#email-code-verify [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /That code is not right/);

  await field(page, '6-digit code').fill(code);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expectView(page, 'signed-in');
  assert.deepEqual(await factorTypes(page), ['otp']);
  assert.match(await page.locator('#session-factors').textContent(), /One-time code by email/);
  assertNoPageErrors(page);
  await context.close();
});

test('SMS code: copy it in the outbox panel, paste it, signed in', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await openDemo(context, server.url);
  await chooseTab(page, 'Text message');
  await field(page, 'Phone number').fill('555 0123');
  await page.getByRole('button', { name: 'Text me a code' }).click();
  const alert = page.locator('#sms-send [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /international format/);

  await field(page, 'Phone number').fill('+15555550123');
  await page.getByRole('button', { name: 'Text me a code' }).click();
  await page.getByText('We sent a 6-digit code to +15555550123').waitFor();
  const item = outboxItem(page, '+15555550123');
  assert.equal(await item.locator('.badge').textContent(), 'Text');
  await item.getByRole('button', { name: /^Copy code/ }).click();
  await item.getByRole('button', { name: /^Copy code/ }).filter({ hasText: 'Copied' }).waitFor();
  await field(page, '6-digit code').focus();
  await page.keyboard.press('Control+V');
  assert.match(await field(page, '6-digit code').inputValue(), /^\d{6}$/);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#session-factors').textContent(), /One-time code by text message/);
  assert.match(await page.locator('#status-pill').textContent(), /\+15555550123/);
  assertNoPageErrors(page);
  await context.close();
});

test('OAuth: Google, GitHub and Microsoft through the development identity provider', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);

  // Google, with an identity typed on the provider's page.
  await page.getByRole('button', { name: 'Google' }).click();
  await page.waitForURL(/\/idp\/google\/authorize/);
  await page.locator('#email').fill('oauth@example.com');
  await page.locator('#first_name').fill('Olive');
  await page.locator('#allow').click();
  await expectView(page, 'signed-in');
  assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
  assert.equal(await page.locator('#welcome').textContent(), 'Welcome, Olive');
  assert.deepEqual(await factorTypes(page), ['oauth']);
  assert.match(await page.locator('#session-factors').textContent(), /OAuth \(Google\)/);
  await signOut(page);

  // GitHub, with a preset account.
  await page.getByRole('button', { name: 'GitHub' }).click();
  await page.waitForURL(/\/idp\/github\/authorize/);
  await page.locator('#preset-grace').click();
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#session-factors').textContent(), /OAuth \(GitHub\)/);
  assert.match(await page.locator('#user-facts').textContent(), /GitHub/);
  await signOut(page);

  // Microsoft, cancelled at the provider: back, signed out, told why.
  await page.getByRole('button', { name: 'Microsoft' }).click();
  await page.waitForURL(/\/idp\/microsoft\/authorize/);
  await page.locator('#cancel').click();
  await expectView(page, 'signed-out');
  await page.getByText('Sign-in was cancelled at the provider').waitFor();
  assert.equal(new URL(page.url()).search, '');

  // Microsoft, allowed.
  await page.getByRole('button', { name: 'Microsoft' }).click();
  await page.waitForURL(/\/idp\/microsoft\/authorize/);
  await page.locator('#preset-alan').click();
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#session-factors').textContent(), /OAuth \(Microsoft\)/);
  assertNoPageErrors(page);
  await context.close();
});
