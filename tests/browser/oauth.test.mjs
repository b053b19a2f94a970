// OAuth end to end through the server's development identity provider:
// oauth.<provider>.start() navigates there, the test fills the identity and
// clicks Allow, the IdP redirects back with a token, authenticateByUrl signs in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, uniqueEmail, recordRequests, quietPeriod,
  assertSignedInOnce, observable, landOn, waitFor,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

/**
 * From a page with a client: starts the provider's flow, consents on the IdP
 * page as `identity` (or cancels), and waits to be back on the app.
 * Returns the URL the IdP sent the browser to.
 */
async function throughIdp(page, provider, { email, first_name = 'Ada', last_name = 'Lovelace', decision = 'allow', options } = {}) {
  await page.evaluate(({ provider, options }) => {
    // sessionStorage survives the navigation within this tab and origin.
    window.client.oauth[provider].start(options).then(
      (r) => sessionStorage.setItem('startResolved', JSON.stringify(r)),
      (e) => sessionStorage.setItem('startResolved', JSON.stringify({ error: e.message })),
    );
  }, { provider, options });
  await page.waitForURL((url) => url.pathname === `/idp/${provider}/authorize`);
  await page.fill('#email', email);
  await page.fill('#first_name', first_name);
  await page.fill('#last_name', last_name);
  await page.click(`#${decision}`);
  await page.waitForURL((url) => url.searchParams.get('stytch_token_type') === 'oauth');
  await page.waitForFunction(() => window.latchkey);
  return { returnedTo: page.url() };
}

test('oauth.google.start → the development IdP → Allow → back with a token → authenticateByUrl signs in every tab once', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  const email = uniqueEmail('oauth');
  const startUrls = [];
  page.on('request', (r) => { if (r.url().includes('/v1/public/oauth/google/start')) startUrls.push(new URL(r.url())); });
  const { returnedTo } = await throughIdp(page, 'google', { email });
  assert.equal(startUrls.length, 1, 'one navigation to the start URL');
  const q = startUrls[0].searchParams;
  assert.equal(q.get('public_token'), server.publicToken);
  assert.equal(q.get('login_redirect_url'), `${server.url}/`);
  assert.equal(q.get('signup_redirect_url'), `${server.url}/`);
  assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/, 'PKCE is always used for OAuth');
  assert.ok(returnedTo.startsWith(`${server.url}/?stytch_token_type=oauth&token=`), returnedTo);
  const resolved = JSON.parse(await page.evaluate(() => sessionStorage.getItem('startResolved')));
  assert.deepEqual(resolved, { url: startUrls[0].href }, 'start() resolved with the URL it navigated to');
  const token = new URL(returnedTo).searchParams.get('token');

  await landOn(page, server, null);
  assert.deepEqual(await page.evaluate(() => window.client.parseAuthenticateUrl()), { handled: true, tokenType: 'oauth', token });
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.handled, true);
  assert.equal(result.tokenType, 'oauth');
  const data = result.data;
  assert.equal(data.provider_type.toLowerCase(), 'google');
  assert.equal(typeof data.provider_subject, 'string');
  assert.ok(data.provider_subject.length > 0);
  const pv = data.provider_values;
  assert.match(pv.access_token, /^dev-access-/);
  assert.match(pv.refresh_token, /^dev-refresh-/);
  assert.equal(pv.id_token.split('.').length, 3, 'an id_token');
  assert.ok(Array.isArray(pv.scopes) && pv.scopes.length > 0, 'scopes');
  const factor = data.session.authentication_factors[0];
  assert.equal(factor.type, 'oauth');
  assert.equal(factor.delivery_method, 'oauth_google');
  assert.equal(factor.google_oauth_factor.provider_subject, data.provider_subject);
  assert.equal(data.user.emails[0].email, email);
  assert.equal(data.user.name.first_name, 'Ada');
  assert.ok(data.user.providers.some((p) => p.provider_subject === data.provider_subject));

  const log = await page.evaluate(() => window.fetchLog);
  const call = log.find((f) => f.url.includes('/sdk/v1/oauth/authenticate'));
  assert.equal(call.href, `${server.url}/`, 'the token left the address bar before the request');
  assert.match(JSON.parse(call.body).code_verifier, /^[0-9a-f]{64}$/);
  await assertSignedInOnce(context, server, [page, other], data);
  await context.close();
});

test('oauth.github.start with custom scopes and provider params; oauth.authenticate(token) directly', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const startUrls = [];
  page.on('request', (r) => { if (r.url().includes('/v1/public/oauth/github/start')) startUrls.push(new URL(r.url())); });
  const { returnedTo } = await throughIdp(page, 'github', {
    email: uniqueEmail('oauth-gh'),
    options: { custom_scopes: ['repo', 'read:org'], provider_params: { login: 'ada' } },
  });
  const q = startUrls[0].searchParams;
  assert.equal(q.get('custom_scopes'), 'repo read:org');
  assert.equal(q.get('provider_login'), 'ada');
  const token = new URL(returnedTo).searchParams.get('token');
  await landOn(page, server, null);
  const data = await mustInPage(page, (c, t) => c.oauth.authenticate(t, { session_duration_minutes: 30 }), token);
  assert.equal(data.provider_type.toLowerCase(), 'github');
  assert.ok(data.provider_values.scopes.includes('repo'));
  assert.ok(data.provider_values.scopes.includes('read:org'));
  assert.equal(data.session.authentication_factors[0].delivery_method, 'oauth_github');
  await assertSignedInOnce(context, server, [page], data);
  await context.close();
});

test('OAuth PKCE: a token finished in another browser fails with a typed pkce_mismatch', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { returnedTo } = await throughIdp(page, 'google', { email: uniqueEmail('oauth-pkce') });

  const stranger = await browser.newContext();
  const elsewhere = await stranger.newPage();
  await landOn(elsewhere, server, returnedTo);
  const { error } = await inPage(elsewhere, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(error?.kind, 'api', JSON.stringify(error));
  assert.equal(error.error_type, 'pkce_mismatch');
  assert.equal(error.isLatchkeyError, true);
  assert.equal((await snapshot(elsewhere)).session, null);
  assert.deepEqual(await stranger.cookies(), []);

  // The browser that started the flow can still finish it.
  await landOn(page, server, returnedTo);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.tokenType, 'oauth');
  await context.close();
  await stranger.close();
});

test('Cancel at the IdP returns without a token: authenticateByUrl resolves null and nothing changes', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { returnedTo } = await throughIdp(page, 'google', { email: uniqueEmail('oauth-cancel'), decision: 'cancel' });
  const url = new URL(returnedTo);
  assert.equal(url.searchParams.get('error'), 'access_denied');
  assert.equal(url.searchParams.get('token'), null);
  const auths = recordRequests(page, '/sdk/v1/oauth/authenticate');
  await landOn(page, server, null);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result, null);
  await quietPeriod();
  assert.equal(auths.length, 0);
  assert.equal((await snapshot(page)).session, null);
  await context.close();
});

test('a reused OAuth token is oauth_token_not_found and leaves the signed-in state untouched', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { returnedTo } = await throughIdp(page, 'google', { email: uniqueEmail('oauth-reuse') });
  const token = new URL(returnedTo).searchParams.get('token');
  await landOn(page, server, null);
  await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, t) => c.oauth.authenticate(t, { session_duration_minutes: 60 }), token);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'oauth_token_not_found');
  assert.equal(error.status_code, 404);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});

test('OAuth for the email of a signed-in password user links the provider to the same user', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { email, response } = await signUp(page);
  const { returnedTo } = await throughIdp(page, 'gitlab', { email });
  assert.ok(returnedTo.includes('stytch_token_type=oauth&token='));
  await landOn(page, server, null);
  const result = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(result.data.user_id, response.user_id);
  await waitFor(async () => (await snapshot(page)).user?.providers.length === 1, { message: 'the provider on the cached user' });
  await context.close();
});
