// destroy() mid-flight: pending calls reject with a usage error, late
// answers change nothing, the page is left as if the client never ran
// (timers, listeners, channel, Web Lock), and the next createClient for the
// token starts afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush, heldKernel } from './platform.mjs';
import { LOCK, PASSWORD, PUBLIC_TOKEN, BASE, REFRESH, STATE_KEY, authAnswer, ok, openClient, refreshAnswer, signIn } from './fixtures.mjs';

const DESTROYED = { kind: 'usage', retryable: false, message: 'This client was destroyed' };

/** Everything a client leaves on the page. */
function traces(world, tab = world.tab) {
  return {
    timers: world.clock.pending(tab),
    listeners: tab.listenerCount(),
    channels: world.channels.size,
    lock: world.locks.holder(LOCK),
    waiting: world.locks.waiting(LOCK),
  };
}
const NONE = { timers: 0, listeners: 0, channels: 0, lock: null, waiting: [] };

test('a sign-in in flight rejects with a usage error; its late answer writes no cookie and calls no listener', async (t) => {
  const world = browser(t);
  const { client, events, forgotten } = openClient(world);
  await client.ready;
  await flush();
  assert.equal(world.locks.holder(LOCK), world.tab.clientId, 'the lone tab leads');
  const gate = world.net.gate(PASSWORD);
  const pending = client.passwords.authenticate({ email: 'ada@example.com', password: 'correct horse', session_duration_minutes: 60 });
  await flush();
  assert.equal(gate.requests.length, 1);
  const stored = world.store.get(STATE_KEY);
  client.destroy();
  await assert.rejects(pending, DESTROYED);
  assert.deepEqual(forgotten, [PUBLIC_TOKEN], 'the page forgets the client');
  gate.requests[0].answer(authAnswer(world));
  await flush();
  assert.deepEqual(world.jar.writes, []);
  assert.deepEqual(events, { session: [], user: [], state: [] });
  assert.equal(client.session.getSync(), null);
  assert.equal(world.store.get(STATE_KEY), stored);
  assert.deepEqual(traces(world), NONE);
});

test('a signed-in client stops its refresh timer, listeners, channel and lock; calls after destroy are usage errors', async (t) => {
  const world = browser(t);
  const opened = openClient(world, { options: { refreshIntervalMs: 1000 } });
  await opened.client.ready;
  await flush();
  await signIn(world, opened);
  const { client, events } = opened;
  const before = traces(world);
  assert.equal(before.timers, 1, 'the refresh timer');
  assert.ok(before.listeners >= 5, 'storage, online, pageshow, pagehide, visibilitychange');
  assert.equal(before.channels, 1);
  client.destroy();
  // The lock goes once its callback's promise settles, as in a browser.
  await flush();
  assert.deepEqual(traces(world), NONE);
  world.net.on(REFRESH, refreshAnswer(world));
  await world.clock.advance(10_000);
  assert.deepEqual(world.net.requests(REFRESH), [], 'no refresh after destroy');
  // Page events reach nobody.
  world.tab.fire('visibilitychange');
  world.tab.fire('online');
  await flush();
  assert.deepEqual(world.net.requests(REFRESH), []);
  for (const call of [() => client.user.get(), () => client.session.authenticate(), () => client.passwords.strengthCheck({ password: 'x' })]) {
    await assert.rejects(call(), DESTROYED);
  }
  assert.equal(events.session.length, 1, 'the sign-in only');
});

test('a refresh in flight at destroy: its answer is dropped', async (t) => {
  const world = browser(t);
  const opened = openClient(world, { options: { refreshIntervalMs: 1000 } });
  await opened.client.ready;
  await flush();
  await signIn(world, opened);
  const gate = world.net.gate(REFRESH);
  const explicit = opened.client.session.authenticate();
  await world.clock.advance(1000);
  assert.equal(gate.requests.length, 1);
  const writes = world.jar.writes.length;
  opened.client.destroy();
  await assert.rejects(explicit, DESTROYED);
  gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
  await flush();
  assert.equal(world.jar.writes.length, writes);
  assert.equal(opened.events.session.length, 1);
  assert.deepEqual(traces(world), NONE);
});

test('destroyed before the module loads: ready and calls reject, and the kernel never starts', async (t) => {
  const world = browser(t);
  const kernel = heldKernel();
  const { client } = openClient(world, { load: kernel.load });
  const call = client.passwords.strengthCheck({ password: 'x' });
  client.destroy();
  await assert.rejects(call, DESTROYED);
  kernel.release();
  await assert.rejects(client.ready, DESTROYED);
  await flush();
  assert.deepEqual(traces(world), NONE);
  assert.deepEqual(world.net.log, []);
  assert.equal(world.store.has(STATE_KEY), false, 'nothing published');
});

test('a call waiting on an earlier step sends nothing once destroyed', async (t) => {
  const world = browser(t);
  const { client } = openClient(world);
  await client.ready;
  let bootstrapped;
  world.net.on(`GET /sdk/v1/projects/bootstrap/${PUBLIC_TOKEN}`, () => new Promise((resolve) => { bootstrapped = resolve; }));
  world.net.on('POST /sdk/v1/magic_links/email/login_or_create', ok());
  const send = client.magicLinks.email.loginOrCreate('ada@example.com');
  await flush();
  client.destroy();
  await assert.rejects(send, DESTROYED);
  bootstrapped(ok({ pkce_required_for_email_magic_links: true }));
  await flush();
  assert.deepEqual(world.net.requests('POST /sdk/v1/magic_links/email/login_or_create'), [], 'the app was told the call ended');
});

test('createClient after destroy gives a new client that restores the session from the cookie and cache', async (t) => {
  const world = browser(t);
  // index.js decides at import whether it runs in a browser: import it inside the fake one.
  const latchkey = await import('../../pkg/index.js');
  const options = { baseUrl: BASE };
  const client = latchkey.createClient(PUBLIC_TOKEN, options);
  assert.equal(latchkey.createClient(PUBLIC_TOKEN, options), client, 'one client per token and page');
  await client.ready;
  const opened = { call: (fn) => fn(client) };
  const { answer } = await signIn(world, opened);
  client.destroy();
  const gate = world.net.gate(REFRESH);
  const again = latchkey.createClient(PUBLIC_TOKEN, options);
  assert.notEqual(again, client);
  assert.deepEqual(again.session.getInfo(), { session: answer.session, fromCache: true });
  await world.clock.advance(250);
  await again.ready;
  await flush();
  assert.equal(gate.requests.length, 1, 'one confirming refresh');
  gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
  await flush();
  assert.equal(again.session.getInfo().fromCache, false);
  again.destroy();
});
