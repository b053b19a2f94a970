// Passkeys, an authenticator app and the list of sign-in methods in the
// demo, clicked as a person would: Chromium's virtual authenticator plays the
// device's passkey provider, the test's own RFC 6238 generator plays the
// authenticator app (reading the secret the page shows).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import { virtualAuthenticator } from '../support/authenticator.mjs';
import { freshStep, readQrCode, totp } from '../support/totp.mjs';
import {
  startDemoServer, openDemo, expectView, field, signUpWithPassword, signOut, factorTypes, assertNoPageErrors,
} from './demo.mjs';

const PASSWORD = 'correct horse battery staple 42';
let server;
let browser;
before(async () => { server = await startDemoServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** The kinds of the rows in the sign-in methods list. */
const methodKinds = (page) => page.locator('#methods-list li').evaluateAll((items) => items.map((li) => li.dataset.kind));

test('passkeys: add one after a password sign-up, sign out, sign in with the passkey button, and by autofill on the email field', async () => {
  const context = await browser.newContext();
  // Records each navigator.credentials.get the demo makes, and how it ended.
  await context.addInitScript(() => {
    window.gets = [];
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      const entry = { mediation: options.mediation ?? 'modal', outcome: 'pending' };
      window.gets.push(entry);
      return get(options).then(
        (credential) => { entry.outcome = 'credential'; return credential; },
        (error) => { entry.outcome = error.name; throw error; },
      );
    };
  });
  const page = await openDemo(context, server.url);
  const authenticator = await virtualAuthenticator(page);
  // The sign-in forms offer passkeys in the email fields' autofill.
  assert.equal(await page.locator('#magic-email').getAttribute('autocomplete'), 'username webauthn');
  await signUpWithPassword(page, 'passkey-user@example.com', PASSWORD);
  assert.deepEqual(await methodKinds(page), ['email']);

  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.locator('#methods-notice', { hasText: 'Passkey added' }).waitFor();
  assert.deepEqual(await methodKinds(page), ['email', 'passkey']);
  assert.deepEqual(await factorTypes(page), ['password', 'webauthn']);

  // Nobody touches the authenticator for now: the autofill request the
  // sign-in view starts waits, as it does until a person picks a passkey.
  await authenticator.setPresence(false);
  await page.evaluate(() => { window.gets.length = 0; });
  await signOut(page);
  await page.waitForFunction(() => window.gets.length === 1);
  // The browser hands the request to the authenticator asynchronously: give
  // it time to reach the (untouched) authenticator before presence returns.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await page.evaluate(() => window.gets), [{ mediation: 'conditional', outcome: 'pending' }]);
  await authenticator.setPresence(true);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expectView(page, 'signed-in');
  assert.deepEqual(await factorTypes(page), ['webauthn'], 'the passkey alone');
  // The button stopped the waiting autofill, then ran its own ceremony.
  assert.deepEqual(await page.evaluate(() => window.gets), [
    { mediation: 'conditional', outcome: 'AbortError' }, { mediation: 'modal', outcome: 'credential' },
  ]);
  assert.match(await page.locator('#status-pill').textContent(), /passkey-user@example\.com/);

  // With presence, Chromium's virtual authenticator answers the autofill
  // request at once, as if the person picked the passkey under the email field.
  const finished = page.waitForResponse((r) => r.url().endsWith('/sdk/v1/webauthn/authenticate') && r.status() === 200);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await finished;
  await expectView(page, 'signed-in');
  assert.deepEqual(await factorTypes(page), ['webauthn']);

  // Removing the passkey from the list: the device's passkey then signs nobody in.
  const row = page.locator('#methods-list li[data-kind="passkey"]');
  const name = (await row.locator('.muted').textContent()).trim();
  await page.getByRole('button', { name: `Remove passkey ${name}` }).click();
  await page.locator('#methods-notice', { hasText: `Removed passkey ${name}.` }).waitFor();
  assert.deepEqual(await methodKinds(page), ['email']);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'methods-title', 'focus moves to the card heading');
  await signOut(page);
  const alert = page.locator('#signed-out-error');
  await alert.waitFor();
  assert.match(await alert.textContent(), /That passkey is not registered any more/);
  assertNoPageErrors(page);
  await context.close();
});

test('authenticator app: set it up (QR code and key shown, code confirmed), recovery codes shown once, two factors; remove it; the last email cannot go', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'totp-user@example.com', PASSWORD);

  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const qr = page.getByRole('img', { name: 'QR code to scan with your authenticator app' });
  await qr.waitFor();
  assert.equal(await page.getByRole('button', { name: 'Set up an authenticator app' }).getAttribute('aria-expanded'), 'true');
  const secret = (await page.locator('#totp-secret').textContent()).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  // The QR code a phone would scan holds the same key.
  const uri = new URL(await readQrCode(page, await qr.getAttribute('src')));
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.match(decodeURIComponent(uri.pathname), /:totp-user@example\.com$/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'totp-code', 'focus on the code field');
  assert.deepEqual(await methodKinds(page), ['email', 'totp']);

  // A wrong code is a sentence under the field.
  await freshStep();
  const right = totp(secret);
  await field(page, '6-digit code from the app').fill(String((Number(right) + 1) % 1_000_000).padStart(6, '0'));
  await page.getByRole('button', { name: 'Confirm' }).click();
  const wrong = page.locator('#totp-form [role="alert"]');
  await wrong.waitFor();
  assert.match(await wrong.textContent(), /That code is not right/);

  await field(page, '6-digit code from the app').fill(right);
  await page.getByRole('button', { name: 'Confirm' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).locator('li');
  await page.locator('#recovery-panel').waitFor();
  assert.equal(await codes.count(), 10);
  for (const text of await codes.allTextContents()) assert.match(text.trim(), /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
  assert.equal(await page.locator('#totp-panel').isHidden(), true, 'the key is gone from the page');
  assert.equal(await page.locator('#totp-secret').textContent(), '');
  assert.deepEqual(await factorTypes(page), ['password', 'totp']);
  assert.equal(await page.locator('#methods-list li[data-kind="totp"] .muted').textContent(), 'Confirmed');
  assert.equal(await page.getByRole('button', { name: 'Set up an authenticator app' }).isHidden(), true, 'one app per account');
  await page.getByRole('button', { name: 'I have saved them' }).click();
  assert.equal(await page.locator('#recovery-panel').isHidden(), true);
  // Gone from the DOM, not merely hidden.
  assert.equal(await page.locator('#recovery-codes li').count(), 0, 'shown once');

  await page.getByRole('button', { name: 'Remove authenticator app' }).click();
  await page.locator('#methods-notice', { hasText: 'Removed authenticator app.' }).waitFor();
  assert.deepEqual(await methodKinds(page), ['email']);
  assert.equal(await page.getByRole('button', { name: 'Set up an authenticator app' }).isVisible(), true);

  await page.getByRole('button', { name: 'Remove email totp-user@example.com' }).click();
  const refused = page.locator('#methods-error');
  await refused.waitFor();
  assert.match(await refused.textContent(), /This is your last email, phone number or sign-in provider/);
  assert.match(await refused.textContent(), /cannot_delete_last_primary_factor/);
  assert.deepEqual(await methodKinds(page), ['email']);
  assertNoPageErrors(page);
  await context.close();
});
