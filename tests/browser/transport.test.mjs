// What goes over the wire: credentials, the SDK headers, JSON bodies, the
// envelope unwrapped and `__user` absorbed into the cached user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, ROOT } from '../support/harness.mjs';
import { startSdkServer, openClient, mustInPage, signUp, snapshot } from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

/** The headers of every /sdk/v1 request `page` sends, in order. */
function captureHeaders(page) {
  const seen = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/sdk/v1/')) seen.push({ path: url.pathname, method: r.method(), headers: r.headers(), body: r.postData() });
  });
  return seen;
}

const basic = (header) => Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');

test('signed out, requests carry Basic public_token:public_token, X-SDK-Client and X-SDK-Parent-Host, and a JSON body', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const seen = captureHeaders(page);
  await mustInPage(page, (c) => c.passwords.strengthCheck({ password: 'vivid-Quokka-marches-47-Lanterns!' }));
  const request = seen.find((r) => r.path === '/sdk/v1/passwords/strength_check');
  assert.ok(request);
  assert.equal(request.method, 'POST');
  assert.equal(basic(request.headers.authorization), `${server.publicToken}:${server.publicToken}`);
  assert.equal(request.headers['x-sdk-parent-host'], server.url);
  assert.match(request.headers['content-type'], /^application\/json/);
  assert.deepEqual(JSON.parse(request.body), { password: 'vivid-Quokka-marches-47-Lanterns!' });
  const client = JSON.parse(Buffer.from(request.headers['x-sdk-client'], 'base64').toString('utf8'));
  for (const field of ['event_id', 'app_session_id', 'persistent_id', 'client_sent_at', 'timezone', 'app', 'sdk']) {
    assert.ok(field in client, `X-SDK-Client has ${field}`);
  }
  assert.equal(typeof client.app.identifier, 'string');
  assert.ok(client.app.identifier.length > 0, 'app.identifier names the app');
  assert.equal(client.sdk.identifier, 'latchkey');
  const packageVersion = JSON.parse(readFileSync(join(ROOT, 'pkg', 'package.json'), 'utf8')).version;
  assert.equal(client.sdk.version, packageVersion, 'host.js reports the package version');
  assert.ok(!Number.isNaN(Date.parse(client.client_sent_at)), 'client_sent_at is a date');
  await context.close();
});

test('signed in, requests carry Basic public_token:session_token; ids persist per device and per page load', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const seen = captureHeaders(page);
  const { response } = await signUp(page);
  await mustInPage(page, (c) => c.user.get());
  await mustInPage(page, (c) => c.session.authenticate());
  const get = seen.find((r) => r.path === '/sdk/v1/users/me');
  assert.equal(get.method, 'GET');
  assert.equal(basic(get.headers.authorization), `${server.publicToken}:${response.session_token}`);
  const refresh = seen.find((r) => r.path === '/sdk/v1/sessions/authenticate');
  assert.equal(basic(refresh.headers.authorization), `${server.publicToken}:${response.session_token}`);
  const ids = seen.map((r) => JSON.parse(Buffer.from(r.headers['x-sdk-client'], 'base64').toString('utf8')));
  assert.equal(new Set(ids.map((i) => i.event_id)).size, ids.length, 'a new event_id per request');
  assert.equal(new Set(ids.map((i) => i.app_session_id)).size, 1, 'one app_session_id per page load');
  assert.equal(new Set(ids.map((i) => i.persistent_id)).size, 1);
  // Signed in, the blob names the user and the session, as Stytch's client's does.
  const signUpBlob = ids[seen.findIndex((r) => r.path === '/sdk/v1/passwords')];
  assert.equal('stytch_user_id' in signUpBlob, false, 'signed out: no user id');
  assert.equal('stytch_session_id' in signUpBlob, false, 'signed out: no session id');
  const getBlob = ids[seen.indexOf(get)];
  assert.equal(getBlob.stytch_user_id, response.user_id);
  assert.equal(getBlob.stytch_session_id, response.session.session_id);
  assert.deepEqual(Object.keys(getBlob), ['event_id', 'app_session_id', 'persistent_id', 'client_sent_at', 'timezone',
    'stytch_user_id', 'stytch_session_id', 'app', 'sdk'], 'the keys in the order of Stytch\'s client');

  const second = await openClient(context, server);
  const seenThere = captureHeaders(second);
  await mustInPage(second, (c) => c.user.get());
  const there = JSON.parse(Buffer.from(seenThere[0].headers['x-sdk-client'], 'base64').toString('utf8'));
  assert.equal(there.persistent_id, ids[0].persistent_id, 'persistent_id is kept per device');
  assert.notEqual(there.app_session_id, ids[0].app_session_id, 'app_session_id is new per page load');
  await context.close();
});

test('__user in a response refreshes the cached user and is not handed to the app', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  await signUp(page);
  const answered = page.waitForResponse((r) => r.url().endsWith('/sdk/v1/users/me') && r.request().method() === 'PUT');
  const result = await mustInPage(page, (c) => c.user.update({ untrusted_metadata: { plan: 'team' } }));
  const raw = await (await answered).json();
  assert.ok(raw.data?.__user, 'the server sent __user');
  assert.equal('__user' in result, false);
  assert.equal('data' in result, false, 'the envelope is unwrapped');
  assert.deepEqual((await snapshot(page)).user.untrusted_metadata, { plan: 'team' });
  await context.close();
});
