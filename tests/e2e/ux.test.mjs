// How the demo treats a person: the keyboard alone is enough, buttons wait
// for their request, failures read as sentences, every input has a label,
// narrow screens work, and nothing is fetched from outside the local server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startStaticServer } from '../support/harness.mjs';
import {
  startDemoServer, openDemo, expectView, chooseTab, field, signUpWithPassword, screenshot, assertNoPageErrors,
  copyDemo, cleanup,
} from './demo.mjs';

const PASSWORD = 'correct horse battery staple 42';
let server;
let browser;
before(async () => { server = await startDemoServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`;
});

/** Presses Tab until `selector` has the focus (at most `max` times). */
async function tabTo(page, selector, max = 20) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} not reached with Tab (focus on ${await focused(page)})`);
}

test('signing up and out with the keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await expectView(page, 'signed-out');
  await tabTo(page, '#tab-magic');
  // Arrow keys move between the tabs; the selected tab's panel shows.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(page), 'button#tab-password');
  assert.equal(await page.locator('#tab-password').getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('#panel-password').isVisible(), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(page), 'button#tab-sms');
  await page.keyboard.press('End');
  assert.equal(await focused(page), 'button#tab-password');

  await tabTo(page, '#mode-signin');
  await page.keyboard.press('ArrowRight'); // radio group: "Create account"
  assert.equal(await page.locator('#mode-signup').isChecked(), true);
  await tabTo(page, '#password-email');
  await page.keyboard.type('keys@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expectView(page, 'signed-in');
  assert.equal(await focused(page), 'h1#welcome', 'the focus moves to the new view');

  await tabTo(page, '#sign-out');
  await page.keyboard.press('Enter');
  await expectView(page, 'signed-out');
  assert.equal(await focused(page), 'h1#signin-title');
  assertNoPageErrors(page);
  await context.close();
});

test('buttons are disabled while their request runs', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await server.fault({ path_prefix: '/sdk/v1/magic_links', count: 1, delay_ms: 1500 });
  await field(page, 'Email address').fill('slow@example.com');
  const send = page.locator('#magic-form button[type="submit"]');
  await send.click();
  assert.equal(await send.isDisabled(), true);
  assert.equal(await send.textContent(), 'Please wait…');
  assert.equal(await page.locator('#magic-form').getAttribute('aria-busy'), 'true');
  assert.equal(await page.getByRole('button', { name: 'Google' }).isDisabled(), true);
  await page.getByText('we sent a sign-in link to slow@example.com').waitFor();
  assert.equal(await send.isDisabled(), false);
  assert.equal(await send.textContent(), 'Email me a sign-in link');
  assert.equal(await page.getByRole('button', { name: 'Google' }).isDisabled(), false);
  await context.close();
});

test('server failures and refusals are sentences chosen by error type', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await chooseTab(page, 'Email code');
  const alert = page.locator('#email-code-send [role="alert"]');
  const send = async () => {
    await field(page, 'Email address').fill('faults@example.com');
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await alert.waitFor();
    return alert.textContent();
  };
  await server.fault({ path_prefix: '/sdk/v1/otps', count: 1, status: 500 });
  assert.match(await send(), /^Something went wrong on our side\. Please try again in a moment\. internal_server_error$/);
  await server.fault({ path_prefix: '/sdk/v1/otps', count: 1, status: 429 });
  assert.match(await send(), /^Too many attempts\./);
  await server.clearFaults();
  // The same form then works.
  await field(page, 'Email address').fill('faults@example.com');
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByText('We sent a 6-digit code to faults@example.com').waitFor();
  assert.equal(await alert.isVisible(), false);
  await context.close();
});

test('every input and button has an accessible name', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  const unnamed = () => page.evaluate(() => [...document.querySelectorAll('input, button, select, textarea, meter')]
    .filter((el) => el.type !== 'hidden' && !el.closest('[aria-hidden="true"]') && el.getAttribute('aria-hidden') !== 'true')
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || (el.tagName === 'BUTTON' && el.textContent.trim())))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(await unnamed(), []);
  await signUpWithPassword(page, 'labels@example.com', PASSWORD);
  assert.deepEqual(await unnamed(), []);
  await context.close();
});

test('a phone-sized screen: no sideways scrolling, signed out and signed in', async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const page = await openDemo(context, server.url);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(await overflow() <= 0, 'signed out fits');
  await screenshot(page, 'demo-mobile-signed-out');
  await signUpWithPassword(page, 'phone@example.com', PASSWORD);
  assert.ok(await overflow() <= 0, 'signed in fits');
  await screenshot(page, 'demo-mobile-signed-in');
  await context.close();
});

test('nothing is fetched from outside the local server', async () => {
  const context = await browser.newContext();
  const origins = new Set();
  context.on('request', (r) => { if (!r.url().startsWith('data:')) origins.add(new URL(r.url()).origin); });
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'local@example.com', PASSWORD);
  assert.deepEqual([...origins], [server.url]);
  await context.close();
});

test('without the package built, the page says what to do instead of spinning', async () => {
  const www = copyDemo();
  const bare = await startStaticServer({ '/': www }); // no /pkg
  try {
    const page = await browser.newPage();
    await page.goto(bare.url);
    await page.getByText('could not load the latchkey package from /pkg. Build it with make pkg').waitFor({ timeout: 5_000 });
    await page.close();
  } finally {
    await bare.stop();
    cleanup(www);
  }
});
