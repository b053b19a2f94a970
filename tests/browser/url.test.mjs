// Sign-in from the URL: parseAuthenticateUrl, and authenticateByUrl's
// handling of URLs without a token, unknown token types, explicit hrefs,
// other query parameters and fragments, validation, and repeated calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, snapshot, uniqueEmail, recordRequests, quietPeriod, landOn,
  assertSignedInOnce,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

async function magicLink(page, email, options) {
  const seen = (await server.outbox(email)).map((m) => m.id);
  await mustInPage(page, (c, a) => c.magicLinks.email.loginOrCreate(a.email, a.options), { email, options });
  return (await server.nextMessage(email, { seen })).link;
}

test('parseAuthenticateUrl reads the token type and token without consuming anything', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const requests = recordRequests(context, '/sdk/v1/');
  const parsed = await page.evaluate(() => {
    const p = (href) => window.client.parseAuthenticateUrl(href);
    return {
      magic: p('http://localhost/?stytch_token_type=magic_links&token=abc'),
      oauth: p('http://localhost/cb?x=1&stytch_token_type=oauth&token=def#top'),
      reset: p('http://localhost/?stytch_token_type=reset_password&token=ghi'),
      other: p('http://localhost/?stytch_token_type=discovery&token=jkl'),
      noToken: p('http://localhost/?stytch_token_type=oauth&error=access_denied'),
      noType: p('http://localhost/?token=abc'),
      plain: p('http://localhost/'),
      current: p(),
    };
  });
  assert.deepEqual(parsed, {
    magic: { handled: true, tokenType: 'magic_links', token: 'abc' },
    oauth: { handled: true, tokenType: 'oauth', token: 'def' },
    reset: { handled: false, tokenType: 'reset_password', token: 'ghi' },
    other: { handled: false, tokenType: 'discovery', token: 'jkl' },
    noToken: null,
    noType: null,
    plain: null,
    current: null,
  });
  await quietPeriod(100);
  assert.equal(requests.length, 0);
  await context.close();
});

test('authenticateByUrl on a URL without a token resolves null, sends nothing and leaves the URL alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = recordRequests(context, '/sdk/v1/');
  await landOn(page, server, `${server.url}/?page=2#list`);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result, null);
  assert.equal(await page.evaluate(() => location.href), `${server.url}/?page=2#list`);
  await quietPeriod(100);
  assert.equal(requests.length, 0);
  await context.close();
});

test('an unknown token type is reported, not sent, and removed from the address bar', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = recordRequests(context, '/sdk/v1/');
  await landOn(page, server, `${server.url}/?stytch_token_type=discovery&token=jkl`);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.deepEqual(result, { handled: false, tokenType: 'discovery', token: 'jkl' });
  assert.equal(await page.evaluate(() => location.href), `${server.url}/`);
  await quietPeriod(100);
  assert.equal(requests.length, 0);
  await context.close();
});

test('stripping keeps the other query parameters and the fragment of the landing URL', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const back = `${server.url}/?tab=security&lang=en#welcome`;
  const link = await magicLink(page, uniqueEmail('url-keep'), { login_magic_link_url: back, signup_magic_link_url: back });
  assert.match(link, /^[^#]*stytch_token_type=magic_links&token=[^&#]+#welcome$/, link);
  await landOn(page, server, link);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.handled, true);
  assert.equal(await page.evaluate(() => location.href), back);
  const call = (await page.evaluate(() => window.fetchLog)).find((f) => f.url.includes('/magic_links/authenticate'));
  assert.equal(call.href, back, 'stripped before the request');
  await context.close();
});

test('authenticateByUrl with an explicit href signs in without touching the current address', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const link = await magicLink(page, uniqueEmail('url-href'));
  await page.evaluate(() => history.replaceState(null, '', '/somewhere?else=1'));
  const result = await mustInPage(page, (c, href) => c.authenticateByUrl({ session_duration_minutes: 60 }, href), link);
  assert.equal(result.handled, true);
  assert.equal(result.tokenType, 'magic_links');
  assert.equal(await page.evaluate(() => location.pathname + location.search), '/somewhere?else=1');
  await assertSignedInOnce(context, server, [page], result.data);
  await context.close();
});

test('a second authenticateByUrl after the first finished (a remount) shares its result without a request', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const link = await magicLink(page, uniqueEmail('url-remount'));
  const auths = recordRequests(page, '/sdk/v1/magic_links/authenticate');
  await landOn(page, server, link);
  const first = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  const second = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  const third = await mustInPage(page, (c, href) => c.authenticateByUrl({ session_duration_minutes: 60 }, href), link);
  await quietPeriod();
  assert.equal(auths.length, 1);
  assert.equal(first.handled, true);
  assert.deepEqual(second, first);
  assert.deepEqual(third, first);
  assert.equal((await snapshot(page)).counts.session, 1);
  await context.close();
});

test('authenticateByUrl validates its options before anything is sent', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = recordRequests(context, '/sdk/v1/magic_links/authenticate');
  await landOn(page, server, `${server.url}/?stytch_token_type=magic_links&token=abc`);
  for (const options of [{}, { session_duration_minutes: 4 }, { session_duration_minutes: 527041 }]) {
    const { error } = await inPage(page, (c, o) => c.authenticateByUrl(o), options);
    assert.equal(error?.kind, 'validation', JSON.stringify(options));
    assert.equal(error.field, 'session_duration_minutes');
  }
  await quietPeriod(100);
  assert.equal(requests.length, 0);
  await context.close();
});
