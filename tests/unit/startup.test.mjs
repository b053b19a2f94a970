// Start-up: the session cookie is the source of truth. With the cookie the
// cached snapshot was written for, the cached session shows at once (before
// the module loads) and one sessions/authenticate confirms it; any other
// cache is not shown; without the cookie the cache is dropped and nothing is
// sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush, heldKernel } from './platform.mjs';
import { REFRESH, STATE_KEY, cookie, openClient, refreshAnswer, signIn } from './fixtures.mjs';
import { fingerprint } from '../../pkg/contract.js';

/** A page that signed in and was then left (destroyed, as an unload would): cookies and cache stay. */
async function signedInEarlier(world, options = {}) {
  const first = openClient(world, { options });
  await first.client.ready;
  const { answer } = await signIn(world, first);
  first.client.destroy();
  return answer;
}

/** The session and user of the cached snapshot in storage. */
const cached = (world) => JSON.parse(world.store.get(STATE_KEY)).auth;

test('a matching cache shows at once and the confirming refresh leaves before the module loads; the kernel joins it', async (t) => {
  const world = browser(t);
  const earlier = await signedInEarlier(world);
  const gate = world.net.gate(REFRESH);
  const kernel = heldKernel();
  const page = openClient(world, { load: kernel.load });
  const { client, events } = page;

  // Synchronously, before the module: the cache, marked as such, and the request.
  assert.deepEqual(client.session.getInfo(), { session: earlier.session, fromCache: true });
  assert.deepEqual(client.user.getInfo(), { user: earlier.user, fromCache: true });
  assert.deepEqual(client.session.getTokens(), { session_token: earlier.session_token, session_jwt: earlier.session_jwt });
  assert.equal(gate.requests.length, 1, 'the confirming refresh is sent by createClient itself');
  const { request } = gate.requests[0];
  assert.deepEqual(request.json, {});
  assert.equal(request.headers.Authorization, `Basic ${btoa(`${client.publicToken}:${earlier.session_token}`)}`);

  await flush();
  assert.equal(kernel.calls, 0, 'the module waits for the confirming answer (it would compete with it for the CPU)');

  // The server confirms the same session object before the module loads:
  // the page shows it at once; only fromCache changes.
  const answer = refreshAnswer(world)(request);
  answer.body.data.session = earlier.session;
  gate.requests[0].answer(answer);
  await flush();
  assert.deepEqual(client.session.getInfo(), { session: earlier.session, fromCache: false });
  assert.deepEqual(client.user.getInfo(), { user: earlier.user, fromCache: false });
  assert.deepEqual(events.state, [{ session: earlier.session, user: earlier.user }], 'onStateChange once for fromCache');
  assert.equal(events.session.length, 0, 'the session object did not change');
  assert.equal(client.session.getTokens().session_jwt, answer.body.data.session_jwt);

  // Then the module loads, takes that answer, writes the cookies, and the app hears nothing more.
  assert.equal(kernel.calls, 1);
  kernel.release();
  await client.ready;
  await flush();
  assert.deepEqual(client.session.getInfo(), { session: earlier.session, fromCache: false });
  assert.equal(events.state.length, 1, 'no second notification');
  assert.equal(events.session.length, 0);
  assert.equal(cookie(world, 'stytch_session_jwt'), answer.body.data.session_jwt);
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('without an answer within a quarter second the module loads anyway and joins the request in flight', async (t) => {
  const world = browser(t);
  const earlier = await signedInEarlier(world);
  const gate = world.net.gate(REFRESH);
  const kernel = heldKernel();
  const { client, events } = openClient(world, { load: kernel.load });
  await flush();
  assert.equal(kernel.calls, 0);
  await world.clock.advance(250);
  assert.equal(kernel.calls, 1);
  kernel.release();
  await client.ready;
  await flush();
  assert.equal(gate.requests.length, 1, 'the kernel joined the request in flight');
  assert.deepEqual(client.session.getInfo(), { session: earlier.session, fromCache: true }, 'unconfirmed yet');
  assert.deepEqual(events.state, []);
  gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
  await flush();
  assert.equal(client.session.getInfo().fromCache, false);
  assert.equal(events.state.length, 1);
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('a failed confirmation before the module loads changes nothing until the kernel decides', async (t) => {
  const world = browser(t);
  const earlier = await signedInEarlier(world);
  const gate = world.net.gate(REFRESH);
  const kernel = heldKernel();
  const { client, events } = openClient(world, { load: kernel.load });
  gate.requests[0].answer({ status: 404, body: { status_code: 404, request_id: 'r', error_type: 'session_not_found', error_message: 'gone', error_url: '' } });
  await flush();
  assert.deepEqual(client.session.getInfo(), { session: earlier.session, fromCache: true }, 'the page does not decide a sign-out');
  assert.deepEqual(events.state, []);
  kernel.release();
  await client.ready;
  await flush();
  assert.deepEqual(client.session.getInfo(), { session: null, fromCache: false }, 'the kernel ends the session');
  assert.equal(events.session.length, 1);
});

test('keepSessionAlive: the early refresh carries the cached duration, so the kernel\'s own request is the same one', async (t) => {
  const world = browser(t);
  await signedInEarlier(world, { keepSessionAlive: true });
  const gate = world.net.gate(REFRESH);
  const kernel = heldKernel();
  const { client } = openClient(world, { options: { keepSessionAlive: true }, load: kernel.load });
  assert.deepEqual(gate.requests.map((r) => r.request.json), [{ session_duration_minutes: 60 }]);
  await world.clock.advance(250);
  kernel.release();
  await client.ready;
  await flush();
  assert.equal(gate.requests.length, 1);
  gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
  await flush();
  assert.equal(client.session.getInfo().fromCache, false);
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('a cache written for another session token is not shown; the cookie\'s session is confirmed first', async (t) => {
  const world = browser(t);
  const earlier = await signedInEarlier(world);
  // The backend (or another SDK) replaced the cookie since the cache was written.
  world.jar.write('stytch_session=session-token-test-from-the-backend-0000000000; Path=/', world.tab.location);
  assert.notEqual(cached(world).hash, fingerprint('session-token-test-from-the-backend-0000000000'));
  const gate = world.net.gate(REFRESH);
  const kernel = heldKernel();
  const { client, events } = openClient(world, { load: kernel.load });
  assert.equal(client.session.getSync(), null);
  assert.equal(client.user.getSync(), null);
  assert.equal(client.session.getTokens(), null);
  assert.equal(gate.requests.length, 1, 'the cookie is confirmed at once all the same');
  assert.equal(gate.requests[0].request.headers.Authorization, `Basic ${btoa(`${client.publicToken}:session-token-test-from-the-backend-0000000000`)}`);
  await world.clock.advance(250);
  kernel.release();
  await client.ready;
  await flush();
  assert.equal(client.session.getSync(), null, 'still not the cached session');
  assert.equal(gate.requests.length, 1);
  const answer = refreshAnswer(world, { sessionFields: { session_id: 'session-test-other' } })(gate.requests[0].request);
  gate.requests[0].answer(answer);
  await flush();
  assert.equal(client.session.getSync().session_id, 'session-test-other');
  assert.notEqual(earlier.session.session_id, 'session-test-other');
  assert.equal(events.session.length, 1);
  assert.equal(cached(world).hash, fingerprint('session-token-test-from-the-backend-0000000000'));
});

test('without the session cookie the cache is dropped and nothing is sent', async (t) => {
  const world = browser(t);
  await signedInEarlier(world);
  world.jar.clear();
  assert.notEqual(cached(world), null);
  const kernel = heldKernel();
  const { client, events } = openClient(world, { load: kernel.load });
  assert.deepEqual(client.session.getInfo(), { session: null, fromCache: false });
  assert.equal(client.user.getSync(), null);
  kernel.release();
  await client.ready;
  await world.clock.advance(600_000);
  assert.equal(cached(world), null, 'the cache now says signed out');
  assert.deepEqual(world.net.requests(REFRESH), []);
  assert.deepEqual(events.state, []);
});

test('a damaged or foreign cache is ignored, and the cookie is confirmed', async (t) => {
  for (const text of ['{', '{"v":1,"seq":3,"writer":1,"clock":0,"auth":null}', '{"v":2,"seq":-1,"writer":1,"clock":0,"auth":null}', '[]']) {
    await t.test(text, async (t) => {
      const world = browser(t);
      world.store.set(STATE_KEY, text);
      world.jar.write('stytch_session=session-token-test-cookie-only-000000000000; Path=/', world.tab.location);
      const gate = world.net.gate(REFRESH);
      const { client } = openClient(world);
      assert.equal(client.session.getSync(), null);
      await world.clock.advance(250);
      await client.ready;
      await flush();
      assert.equal(gate.requests.length, 1);
      gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
      await flush();
      assert.notEqual(client.session.getSync(), null);
    });
  }
});
