// A new user with a password: sign up (watching the strength meter), sign
// out, sign in again, reload, edit the name, forget the password and reset it
// through the emailed link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startDemoServer, openDemo, expectView, chooseTab, field, outboxItem, signUpWithPassword, signInWithPassword,
  signOut, factorTypes, screenshot, assertNoPageErrors,
} from './demo.mjs';

const PASSWORD = 'correct horse battery staple 42';
let server;
let browser;
before(async () => { server = await startDemoServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('sign up with a password, sign out, sign in again, and stay signed in across a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await openDemo(context, server.url);
  await expectView(page, 'signed-out');
  await screenshot(page, 'demo-signed-out');

  // The strength meter follows what is typed.
  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Create account' }).check();
  const strength = page.locator('#signup-strength');
  await field(page, 'Email address').fill('ada@example.com');
  await field(page, 'Password').fill('password');
  await page.locator('#signup-strength[data-valid="false"]').waitFor();
  assert.match(await strength.textContent(), /not strong enough/);
  await field(page, 'Password').fill(PASSWORD);
  await page.locator('#signup-strength[data-valid="true"]').waitFor();
  assert.match(await strength.textContent(), /good to go/);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#status-pill').textContent(), /Signed in as ada@example\.com/);
  assert.deepEqual(await factorTypes(page), ['password']);
  // The decoded JWT is this user's.
  const claims = await page.locator('#jwt-claims').textContent();
  assert.match(claims, /"sub": "user-test-/);
  assert.match(claims, /"alg": "RS256"/);
  // The countdown to the next refresh runs (default interval: 3 minutes).
  assert.match(await page.locator('#next-refresh').textContent(), /^in [23]:\d\d \(every 3:00\)$/);
  await screenshot(page, 'demo-signed-in');

  await signOut(page);
  // A wrong password is a sentence, not an error object.
  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Sign in' }).check();
  await field(page, 'Email address').fill('ada@example.com');
  await field(page, 'Password').fill('not my password at all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const alert = page.locator('#password-form [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /^That email and password do not match\./);
  assert.doesNotMatch(await alert.textContent(), /[{}]/);

  await signInWithPassword(page, 'ada@example.com', PASSWORD);
  await page.reload();
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#status-pill').textContent(), /ada@example\.com/);
  assertNoPageErrors(page);
  await context.close();
});

test('signing up twice with one email says the account exists', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'twice@example.com', PASSWORD);
  await signOut(page);
  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Create account' }).check();
  await field(page, 'Email address').fill('twice@example.com');
  await field(page, 'Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const alert = page.locator('#password-form [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /already exists/);
  await context.close();
});

test('the name is edited with user.update and survives a reload', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'grace@example.com', PASSWORD);
  await page.getByLabel('First name').fill('Grace');
  await page.getByLabel('Last name').fill('Hopper');
  await page.getByRole('button', { name: 'Save name' }).click();
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.locator('#welcome').textContent(), 'Welcome, Grace');
  await page.reload();
  await expectView(page, 'signed-in');
  assert.equal(await page.getByLabel('Last name').inputValue(), 'Hopper');
  // The backend sees the same name.
  const userId = (await page.locator('#user-facts code').first().textContent()).trim();
  const { body } = await server.v1('GET', `/users/${userId}`);
  assert.deepEqual([body.name.first_name, body.name.last_name], ['Grace', 'Hopper']);
  await context.close();
});

test('forgot password: the emailed link opens the reset page, and the new password works', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'alan@example.com', PASSWORD);
  await signOut(page);

  await chooseTab(page, 'Password');
  await page.getByRole('button', { name: 'Forgot your password?' }).click();
  assert.equal(await field(page, 'Email address').inputValue(), '');
  await field(page, 'Email address').fill('alan@example.com');
  await page.getByRole('button', { name: 'Email me a reset link' }).click();
  await page.getByText('a reset link is on its way').waitFor();
  await outboxItem(page, 'alan@example.com').getByRole('link', { name: 'Open link' }).click();
  await expectView(page, 'reset');
  assert.doesNotMatch(page.url(), /token=/, 'the token left the address bar');

  const NEW = 'purple elephants juggle quietly 7';
  await field(page, 'New password').fill(NEW);
  await page.locator('#reset-strength[data-valid="true"]').waitFor();
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expectView(page, 'signed-in');
  await signOut(page);

  await chooseTab(page, 'Password');
  await page.getByRole('radio', { name: 'Sign in' }).check();
  await field(page, 'Email address').fill('alan@example.com');
  await field(page, 'Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#password-form [role="alert"]').waitFor();
  await signInWithPassword(page, 'alan@example.com', NEW);
  assertNoPageErrors(page);
  await context.close();
});
