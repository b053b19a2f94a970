// URL sign-in: the token a redirect put in the address bar is removed from
// it before it is spent, spent once however often the app asks (a remount,
// a double effect), and tokens the SDK does not sign in with are reported,
// not sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush, heldKernel } from './platform.mjs';
import { apiError, authAnswer, openClient } from './fixtures.mjs';

const AUTHENTICATE = 'POST /sdk/v1/magic_links/authenticate';
const LANDING = 'http://localhost:5173/app/callback?a=1&stytch_token_type=magic_links&token=link-token-1&b=two#section';
const STRIPPED = 'http://localhost:5173/app/callback?a=1&b=two#section';

async function landed(t, url = LANDING) {
  const world = browser(t, { url });
  const opened = openClient(world);
  await opened.client.ready;
  return { world, ...opened };
}

test('authenticateByUrl twice at once and once more later sends one request; every call gets the same outcome', async (t) => {
  const { world, client, events } = await landed(t);
  let answerIt;
  world.net.on(AUTHENTICATE, () => new Promise((resolve) => { answerIt = resolve; }));
  const first = client.authenticateByUrl({ session_duration_minutes: 60 });
  const second = client.authenticateByUrl({ session_duration_minutes: 60 });
  await flush();
  assert.equal(world.net.requests(AUTHENTICATE).length, 1);
  const answer = authAnswer(world);
  answerIt(answer);
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a, b, 'the same outcome object');
  assert.equal(a.handled, true);
  assert.equal(a.tokenType, 'magic_links');
  assert.equal(a.data.session_token, answer.body.data.session_token);
  assert.deepEqual(world.net.requests(AUTHENTICATE)[0].json, { token: 'link-token-1', session_duration_minutes: 60 });
  // A remount after it finished: the address bar no longer has the token, the call still answers.
  const later = await client.authenticateByUrl({ session_duration_minutes: 60 });
  assert.equal(later, a);
  assert.equal(await client.authenticateByUrl({ session_duration_minutes: 60 }, LANDING), a, 'the original URL too');
  assert.equal(world.net.requests(AUTHENTICATE).length, 1);
  assert.equal(events.session.length, 1);
});

test('the token leaves the address bar before the request; other parameters and the fragment stay', async (t) => {
  const { world, client } = await landed(t);
  world.net.on(AUTHENTICATE, authAnswer(world));
  await client.authenticateByUrl({ session_duration_minutes: 60 });
  assert.equal(world.tab.location.href, STRIPPED);
  const replaced = world.journal.indexOf(`replaceState ${STRIPPED}`);
  const sent = world.journal.indexOf(`fetch ${AUTHENTICATE}`);
  assert.ok(replaced >= 0 && sent >= 0 && replaced < sent, world.journal.join('\n'));
  assert.equal(world.tab.history.calls.length, 1);
});

test('a failed URL sign-in is not sent again: later calls get the same error', async (t) => {
  const { world, client } = await landed(t);
  world.net.on(AUTHENTICATE, apiError(401, 'unable_to_auth_magic_link'));
  const errors = await Promise.all([1, 2].map(() => client.authenticateByUrl({ session_duration_minutes: 60 }).catch((e) => e)));
  const third = await client.authenticateByUrl({ session_duration_minutes: 60 }).catch((e) => e);
  for (const e of [...errors, third]) assert.deepEqual([e.kind, e.error_type], ['api', 'unable_to_auth_magic_link']);
  assert.equal(world.net.requests(AUTHENTICATE).length, 1);
  assert.equal(world.tab.location.href, STRIPPED);
  assert.equal(client.session.getSync(), null);
});

test('an unknown token type is reported with its token, removed from the address bar, and not sent', async (t) => {
  const url = 'http://localhost:5173/reset?stytch_token_type=reset_password&token=reset-token-9';
  const { world, client } = await landed(t, url);
  const outcome = await client.authenticateByUrl({ session_duration_minutes: 60 });
  assert.deepEqual(outcome, { handled: false, tokenType: 'reset_password', token: 'reset-token-9' });
  assert.equal(world.tab.location.href, 'http://localhost:5173/reset');
  assert.deepEqual(world.net.log, []);
});

test('an OAuth redirect signs in with oauth.authenticate', async (t) => {
  const { world, client } = await landed(t, 'http://localhost:5173/?stytch_token_type=oauth&token=oauth-token-3');
  world.net.on('POST /sdk/v1/oauth/authenticate', authAnswer(world));
  const outcome = await client.authenticateByUrl({ session_duration_minutes: 30 });
  assert.equal(outcome.handled, true);
  assert.equal(outcome.tokenType, 'oauth');
  assert.deepEqual(world.net.requests('POST /sdk/v1/oauth/authenticate')[0].json, { token: 'oauth-token-3', session_duration_minutes: 30 });
  assert.equal(world.tab.location.href, 'http://localhost:5173/');
});

test('without a token in the URL: null, nothing sent, the address left alone', async (t) => {
  const { world, client } = await landed(t, 'http://localhost:5173/app?stytch_token_type=magic_links#token=in-the-fragment');
  assert.equal(await client.authenticateByUrl({ session_duration_minutes: 60 }), null);
  assert.deepEqual(world.tab.history.calls, []);
  assert.deepEqual(world.net.log, []);
});

test('an explicit href signs in without touching the address bar', async (t) => {
  const { world, client } = await landed(t, 'http://localhost:5173/app');
  world.net.on(AUTHENTICATE, authAnswer(world));
  const outcome = await client.authenticateByUrl({ session_duration_minutes: 60 }, LANDING);
  assert.equal(outcome.handled, true);
  assert.deepEqual(world.tab.history.calls, []);
  assert.equal(world.tab.location.href, 'http://localhost:5173/app');
});

test('options are checked before anything happens', async (t) => {
  const { world, client } = await landed(t);
  await assert.rejects(client.authenticateByUrl({}), { kind: 'validation', field: 'session_duration_minutes' });
  await assert.rejects(client.authenticateByUrl({ session_duration_minutes: 60, sesion: 1 }), { kind: 'validation', field: 'sesion' });
  await assert.rejects(client.authenticateByUrl({ session_duration_minutes: 60 }, 42), { kind: 'validation', field: 'href' });
  assert.equal(world.tab.location.href, LANDING);
  assert.deepEqual(world.net.log, []);
});

test('parseAuthenticateUrl answers before the module loads and consumes nothing', async (t) => {
  const world = browser(t, { url: LANDING });
  const kernel = heldKernel();
  const { client } = openClient(world, { load: kernel.load });
  assert.deepEqual(client.parseAuthenticateUrl(), { handled: true, tokenType: 'magic_links', token: 'link-token-1' });
  assert.deepEqual(client.parseAuthenticateUrl('https://x.test/?stytch_token_type=reset_password&token=r'), { handled: false, tokenType: 'reset_password', token: 'r' });
  assert.deepEqual(client.parseAuthenticateUrl('/relative?stytch_token_type=oauth&token=o'), { handled: true, tokenType: 'oauth', token: 'o' });
  assert.equal(client.parseAuthenticateUrl('https://x.test/?token=only'), null);
  assert.equal(client.parseAuthenticateUrl('https://x.test/?stytch_token_type=oauth'), null);
  assert.equal(world.tab.location.href, LANDING);
  assert.deepEqual(world.net.log, []);
  // A call made before the module loads waits for it, then signs in.
  world.net.on(AUTHENTICATE, authAnswer(world));
  const outcome = client.authenticateByUrl({ session_duration_minutes: 60 });
  await flush();
  assert.deepEqual(world.net.log, []);
  kernel.release();
  assert.equal((await outcome).handled, true);
  assert.equal(world.net.requests(AUTHENTICATE).length, 1);
});
