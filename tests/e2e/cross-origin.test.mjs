// The app and the API on different origins: the demo hosted by a plain static
// server (the app's origin) talks to latchkey-server (the API's origin) with
// CORS and credentials, the API refuses an origin it was not told about, and
// its dev outbox stays readable from its own origin only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, launchBrowser, startServer, startStaticServer } from '../support/harness.mjs';
import {
  copyDemo, writeDemoConfig, cleanup, openDemo, expectView, chooseTab, field, signUpWithPassword, signOut,
  assertNoPageErrors,
} from './demo.mjs';

let www;
let app;
let api;
let browser;
before(async () => {
  www = copyDemo();
  // The app at http://127.0.0.1:<port>; the API at http://localhost:<other port>,
  // which authorizes that one origin only.
  app = await startStaticServer({ '/': www, '/pkg': join(ROOT, 'pkg') }, { host: '127.0.0.1' });
  api = await startServer({ serve: {}, args: ['--authorized-origin', app.url] });
  writeDemoConfig(www, { publicToken: api.publicToken, baseUrl: api.url });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await api?.stop();
  await app?.stop();
  if (www) cleanup(www);
});

test('the app on its own origin signs up, signs out and signs in by magic link against the API on another', async () => {
  assert.notEqual(new URL(app.url).origin, new URL(api.url).origin);
  const context = await browser.newContext();
  const page = await openDemo(context, app.url);
  const apiResponses = [];
  page.on('response', (r) => { if (r.url().startsWith(`${api.url}/sdk/v1/`)) apiResponses.push(r); });

  await signUpWithPassword(page, 'cors@example.com', 'correct horse battery staple 42');
  const created = apiResponses.find((r) => new URL(r.url()).pathname === '/sdk/v1/passwords');
  assert.ok(created, 'the sign-up went to the API origin');
  assert.equal(created.status(), 200);
  const headers = await created.allHeaders();
  assert.equal(headers['access-control-allow-origin'], app.url);
  assert.equal(headers['access-control-allow-credentials'], 'true');
  assert.equal((await created.request().allHeaders()).origin, app.url);
  // The session cookies live on the app's origin.
  const cookies = (await context.cookies(app.url)).map((c) => c.name).sort();
  assert.deepEqual(cookies, ['stytch_session', 'stytch_session_jwt']);

  await signOut(page);
  await chooseTab(page, 'Email link');
  // The link comes back to the app. The dev outbox answers its own origin
  // only (it holds live links and codes), so the app's panel cannot read it:
  // the person reads it on the API's origin, here the harness does.
  const seen = (await api.outbox('cors@example.com')).map((m) => m.id);
  await field(page, 'Email address').fill('cors@example.com');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const message = await api.nextMessage('cors@example.com', { seen });
  assert.ok(message.link.startsWith(`${app.url}/`), message.link);
  assert.equal(await page.locator('#outbox-list > li').count(), 0, 'the panel read nothing across origins');
  await page.goto(message.link);
  await expectView(page, 'signed-in');
  assert.match(await page.locator('#status-pill').textContent(), /cors@example\.com/);
  assertNoPageErrors(page);
  await context.close();
});

test('an origin the API does not authorize is refused with bad_domain_for_stytch_sdk', async () => {
  // The same app, reached as http://localhost:<port>: another origin.
  const stranger = app.url.replace('127.0.0.1', 'localhost');
  // What the API answers that origin (a browser sends Origin itself).
  const response = await fetch(`${api.url}/sdk/v1/magic_links/email/login_or_create`, {
    method: 'POST',
    headers: {
      origin: stranger,
      authorization: `Basic ${Buffer.from(`${api.publicToken}:${api.publicToken}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ email: 'stranger@example.com' }),
  });
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error_type, 'bad_domain_for_stytch_sdk');
  assert.equal(response.headers.get('access-control-allow-origin'), null, 'no credentialed CORS for it');

  // In the browser, nothing gets through and the person is told so in words.
  // (The browser refuses the API's answer, which carries no CORS headers for
  // this origin, so the SDK sees no response: a `network` error, not the 403.)
  const context = await browser.newContext();
  const page = await openDemo(context, stranger);
  await expectView(page, 'signed-out');
  await field(page, 'Email address').fill('stranger@example.com');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const alert = page.locator('#magic-form [role="alert"]');
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, /authorized origins/);
  assert.doesNotMatch(text, /[{}]/);
  assert.deepEqual(await api.outbox('stranger@example.com'), [], 'nothing was sent');
  await context.close();
});
