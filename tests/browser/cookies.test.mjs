// The session cookies: names, attributes, expiry, options, and removal of
// every variant on sign-out. Pages on http://localhost and on made-up
// subdomains (*.latchkey.test, resolved to 127.0.0.1 by Chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, cookieMap, snapshot,
  serverClockOffset, waitFor,
} from './sdk.mjs';

const NAMES = ['stytch_session', 'stytch_session_jwt'];
let server;
let browser;
before(async () => {
  // The server answers only to the names it is told it is reached as (Host allow-list).
  const hosts = ['app.latchkey.test', 'deep.app.latchkey.test', 'other.latchkey.test'].flatMap((h) => ['--public-host', h]);
  server = await startSdkServer({ args: ['--authorized-origin', 'http://localhost:*', '--authorized-origin', 'http://app.latchkey.test:*', '--authorized-origin', 'http://other.latchkey.test:*', ...hosts] });
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.latchkey.test 127.0.0.1'] });
});
after(async () => { await browser?.close(); await server?.stop(); });

const appOrigin = () => `http://app.latchkey.test:${server.port}`;
const otherOrigin = () => `http://other.latchkey.test:${server.port}`;

/** Every cookie of the context (all hosts), for "nothing is left" checks. */
const allCookies = (context) => context.cookies();

test('sign-in writes stytch_session and stytch_session_jwt: Path=/, SameSite=Lax, not Secure on http://localhost, expiring at expires_at', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { response } = await signUp(page);
  const offset = await serverClockOffset(server);
  const jar = await cookieMap(context, server.url);
  assert.deepEqual(Object.keys(jar).sort(), NAMES);
  const expectedExpiry = Date.parse(response.session.expires_at) / 1000 - offset;
  for (const name of NAMES) {
    const c = jar[name];
    assert.equal(c.path, '/', `${name} path`);
    assert.equal(c.domain, 'localhost', `${name} is host-only`);
    assert.equal(c.sameSite, 'Lax', `${name} SameSite`);
    assert.equal(c.secure, false, `${name} not Secure on http://localhost`);
    assert.equal(c.httpOnly, false, `${name} written from JS`);
    assert.ok(Math.abs(c.expires - expectedExpiry) <= 3, `${name} expires ${c.expires}, session expires ${expectedExpiry}`);
  }
  assert.equal(jar.stytch_session.value, response.session_token);
  assert.equal(jar.stytch_session_jwt.value, response.session_jwt);
  const { tokens } = await snapshot(page);
  assert.deepEqual(tokens, { session_token: response.session_token, session_jwt: response.session_jwt });
  await context.close();
});

test('sign-out removes both cookies', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  await signUp(page);
  assert.equal((await allCookies(context)).length, 2);
  await mustInPage(page, (c) => c.session.revoke());
  assert.deepEqual(await allCookies(context), []);
  assert.equal(await page.evaluate(() => document.cookie), '');
  await context.close();
});

test('cookieOptions: custom names and path are written, read back on reload, and removed on sign-out', async () => {
  const context = await browser.newContext();
  const cookieOptions = { opaqueTokenCookieName: 'app_session', jwtCookieName: 'app_session_jwt', path: '/app' };
  const page = await openClient(context, server, { cookieOptions }, { path: '/app/' });
  const { response } = await signUp(page);
  const cookies = await allCookies(context);
  assert.deepEqual(cookies.map((c) => c.name).sort(), ['app_session', 'app_session_jwt']);
  for (const c of cookies) {
    assert.equal(c.path, '/app');
    assert.equal(c.sameSite, 'Lax');
    assert.equal(c.secure, false);
  }
  assert.equal(cookies.find((c) => c.name === 'app_session').value, response.session_token);

  // A reload finds the session under the custom cookie name at once.
  await page.reload();
  await page.waitForFunction(() => window.latchkey);
  const info = await page.evaluate(({ pk, url, cookieOptions }) => {
    window.client = window.latchkey.createClient(pk, { baseUrl: url, cookieOptions });
    window.events = { session: [], user: [], state: [] };
    return window.client.session.getInfo();
  }, { pk: server.publicToken, url: server.url, cookieOptions });
  assert.equal(info.fromCache, true);
  assert.equal(info.session?.session_id, response.session.session_id);
  await page.evaluate(() => window.client.ready);

  await mustInPage(page, (c) => c.session.revoke());
  assert.deepEqual(await allCookies(context), []);
  await context.close();
});

test('availableToSubdomains writes Domain=<page host>, a subdomain reads it, and sign-out removes it and the host-only variant', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server, { baseUrl: appOrigin(), cookieOptions: { availableToSubdomains: true } }, { origin: appOrigin() });
  const { response } = await signUp(page);
  const cookies = await allCookies(context);
  assert.deepEqual(cookies.map((c) => c.name).sort(), NAMES);
  for (const c of cookies) {
    assert.equal(c.domain, '.app.latchkey.test', `${c.name} domain`);
    assert.equal(c.path, '/');
    assert.equal(c.sameSite, 'Lax');
    assert.equal(c.secure, false, 'not Secure: the page is plain http');
  }
  const sub = await context.newPage();
  await sub.goto(`http://deep.app.latchkey.test:${server.port}/`);
  const seen = await sub.evaluate(() => document.cookie);
  assert.ok(seen.includes(`stytch_session=${response.session_token}`), 'the subdomain reads the session cookie');
  await sub.close();

  // A host-only variant, as a client without the option would have written it.
  await context.addCookies([{ name: 'stytch_session', value: 'stale', url: `${appOrigin()}/` }]);
  assert.equal((await allCookies(context)).length, 3);
  await mustInPage(page, (c) => c.session.revoke());
  assert.deepEqual(await allCookies(context), [], 'every variant is gone');
  await context.close();
});

test('cookieOptions.domain writes the cookies for the parent domain, shared with a sibling host', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server, { baseUrl: appOrigin(), cookieOptions: { domain: 'latchkey.test' } }, { origin: appOrigin() });
  const { response } = await signUp(page);
  const cookies = await allCookies(context);
  assert.deepEqual(cookies.map((c) => c.name).sort(), NAMES);
  for (const c of cookies) assert.equal(c.domain, '.latchkey.test', `${c.name} domain`);

  // A sibling host with the same options starts signed in from the cookie.
  const other = await openClient(context, server, { baseUrl: otherOrigin(), cookieOptions: { domain: 'latchkey.test' } }, { origin: otherOrigin() });
  await waitFor(async () => (await snapshot(other)).session?.session_id === response.session.session_id, { message: 'the sibling host to restore the session' });

  await mustInPage(page, (c) => c.session.revoke());
  assert.deepEqual(await allCookies(context), []);
  await context.close();
});

test('a failed sign-in writes no cookie', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { error } = await inPage(page, (c) => c.passwords.authenticate({ email: 'nobody@example.com', password: 'wrong-Password-123', session_duration_minutes: 60 }));
  assert.equal(error?.kind, 'api');
  assert.deepEqual(await allCookies(context), []);
  await context.close();
});
