// Leadership in the orchestration: the Web Lock (or, without Web Locks,
// the storage lease) decides which tab refreshes; a follower's STEAL takes
// the lock from a leader that stopped refreshing; a leader that lost its lock
// without hearing it yet (a frozen page) does not send its scheduled
// refresh (the fence). Several tabs share one process: one fake origin, a
// client per tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush } from './platform.mjs';
import { LOCK, REFRESH, STATE_KEY, ok, openClient, refreshAnswer, signIn } from './fixtures.mjs';

const options = { refreshIntervalMs: 1000 };

async function tabs(t, count, worldOptions = {}) {
  const world = browser(t, worldOptions);
  const pages = [];
  for (let i = 0; i < count; i += 1) {
    const tab = i === 0 ? world.tab : world.openTab();
    const opened = openClient(world, { tab, options });
    await opened.call((c) => c.ready);
    await flush();
    pages.push(opened);
  }
  return { world, pages };
}

test('a leader whose lock was taken while it did not hear of it does not send its scheduled refresh', async (t) => {
  const { world, pages: [page] } = await tabs(t, 1);
  await signIn(world, page);
  assert.equal(world.locks.holder(LOCK), world.tab.clientId);
  world.locks.takeQuietly(LOCK, 'client-of-another-tab');
  world.net.on(REFRESH, refreshAnswer(world));
  await world.clock.advance(1000);
  assert.deepEqual(world.net.requests(REFRESH), [], 'the fence stopped it: the browser says another tab leads');
  // That other tab never refreshes: after the grace this tab takes the lock back and refreshes, once.
  while (world.net.requests(REFRESH).length === 0 && world.clock.mono < 60_000) await world.clock.advance(50);
  assert.equal(world.net.requests(REFRESH).length, 1);
  assert.equal(world.locks.holder(LOCK), world.tab.clientId);
  await world.clock.advance(950);
  assert.equal(world.net.requests(REFRESH).length, 1, 'the next one an interval later');
});

test('an app\'s refresh that joined a fenced refresh sends its own', async (t) => {
  const { world, pages: [page] } = await tabs(t, 1);
  await signIn(world, page);
  world.locks.takeQuietly(LOCK, 'client-of-another-tab');
  world.net.on(REFRESH, refreshAnswer(world));
  // The scheduled refresh waits at the fence (the browser is slow to answer) when the app asks.
  const answerQueries = world.locks.holdQueries();
  await world.clock.advance(1000);
  const explicit = page.client.session.authenticate();
  await flush();
  assert.equal(world.net.requests(REFRESH).length, 0, 'the app joined the refresh at the fence');
  answerQueries();
  const data = await explicit;
  assert.equal(world.net.requests(REFRESH).length, 1, 'the app\'s own, once the fence stopped the schedule\'s');
  assert.equal(data.session_token, world.jar.get('stytch_session'));
});

test('two tabs: a follower steals the lock from a frozen leader and refreshes; the thawed leader\'s overdue refresh is fenced', async (t) => {
  const { world, pages: [one, two] } = await tabs(t, 2);
  const [tab1, tab2] = world.tabs;
  assert.equal(world.locks.holder(LOCK), tab1.clientId, 'the first tab leads');
  assert.deepEqual(world.locks.waiting(LOCK), [tab2.clientId]);
  await signIn(world, one);
  await flush();
  assert.deepEqual(two.client.session.getSync(), one.client.session.getSync(), 'the follower has the session');
  assert.equal(two.events.session.length, 1);

  const gate = world.net.gate(REFRESH);
  tab1.freeze();
  // After the grace the follower gives a late leader, it steals the lock and refreshes.
  while (gate.requests.length === 0 && world.clock.mono < 60_000) await world.clock.advance(50);
  assert.equal(world.locks.holder(LOCK), tab2.clientId, 'STEAL took the lock');
  assert.equal(gate.requests.length, 1);
  assert.equal(gate.requests[0].request.tab, tab2, 'the new leader refreshed');

  // The old leader wakes: its overdue timer runs before it hears that its lock was stolen.
  await tab1.wake();
  await world.clock.advance(0);
  assert.equal(gate.requests.length, 1, 'no second refresh from the old leader');
  const answer = refreshAnswer(world)(gate.requests[0].request);
  gate.requests[0].answer(answer);
  await flush();
  assert.equal(world.jar.get('stytch_session_jwt'), answer.body.data.session_jwt);
  assert.equal(world.locks.holder(LOCK), tab2.clientId);
  assert.deepEqual(world.locks.waiting(LOCK), [tab1.clientId], 'the old leader queues again');
  // From now on, one refresh per interval, from the new leader.
  world.net.on(REFRESH, refreshAnswer(world));
  await world.clock.advance(3000);
  const later = world.net.requests(REFRESH).slice(1);
  assert.equal(later.length, 3);
  assert.ok(later.every((r) => r.tab === tab2));
});

test('two tabs: one refresh per interval; sign-in and sign-out reach the other tab once', async (t) => {
  const { world, pages: [one, two] } = await tabs(t, 2);
  await signIn(world, two);
  await flush();
  assert.deepEqual(one.client.session.getSync(), two.client.session.getSync());
  assert.equal(one.events.session.length, 1);
  world.net.on(REFRESH, refreshAnswer(world));
  await world.clock.advance(5000);
  const refreshes = world.net.requests(REFRESH);
  assert.equal(refreshes.length, 5, 'not one per tab');
  assert.ok(refreshes.every((r) => r.tab === world.tabs[0]), 'from the leader');
  assert.equal(two.client.session.getTokens().session_jwt, world.jar.get('stytch_session_jwt'), 'the follower reads the refreshed JWT');
  world.net.on('POST /sdk/v1/sessions/revoke', ok());
  await two.call((c) => c.session.revoke());
  await flush();
  assert.equal(one.client.session.getSync(), null);
  assert.deepEqual(one.events.session.at(-1), null);
  assert.equal(one.events.session.filter((s) => s === null).length, 1);
  await world.clock.advance(5000);
  assert.equal(world.net.requests(REFRESH).length, 5, 'nobody refreshes a revoked session');
});

test('a follower that heard of a refresh before it could see the new cookie reads the new JWT from getTokens', async (t) => {
  const { world, pages: [, two] } = await tabs(t, 2);
  await signIn(world, two);
  await flush();
  const before = world.jar.get('stytch_session_jwt');
  world.net.on(REFRESH, refreshAnswer(world));
  world.tabs[1].lagCookies();
  await world.clock.advance(1000);
  assert.equal(world.net.requests(REFRESH).length, 1);
  assert.ok(world.net.requests(REFRESH).every((r) => r.tab === world.tabs[0]), 'the leader refreshed');
  const after = world.jar.get('stytch_session_jwt');
  assert.notEqual(after, before, 'the refresh wrote a new JWT');
  assert.equal(two.call((c) => c.session.getTokens().session_jwt), before, 'the follower cannot see the new cookie yet');
  world.tabs[1].seeCookies();
  // No event reaches the follower in between: only the cookie changed.
  assert.equal(two.call((c) => c.session.getTokens().session_jwt), after, 'the follower reads the refreshed JWT');
});

test('without Web Locks the storage lease elects one leader, and a follower takes the lease from a frozen one', async (t) => {
  const { world, pages: [one, two] } = await tabs(t, 2, { locks: false });
  const [tab1, tab2] = world.tabs;
  await world.clock.advance(2000);
  await signIn(world, one);
  world.net.on(REFRESH, refreshAnswer(world));
  await world.clock.advance(4000);
  const refreshes = world.net.requests(REFRESH);
  assert.equal(refreshes.length, 4);
  const leader = refreshes[0].tab;
  assert.ok(refreshes.every((r) => r.tab === leader));
  const follower = leader === tab1 ? tab2 : tab1;
  leader.freeze();
  await world.clock.advance(6000);
  const after = world.net.requests(REFRESH).slice(4);
  assert.ok(after.length >= 1, 'the follower took over');
  assert.ok(after.every((r) => r.tab === follower));
  assert.notEqual(two.client.session.getSync(), null);
});

test('every tab writes snapshots under a non-zero tab id', async (t) => {
  // A signed-in cache without a cookie: the client publishes "signed out" as itself.
  const world = browser(t);
  const cache = JSON.stringify({ v: 2, seq: 1, writer: 1, clock: 0, auth: { hash: 1, session: null, user: null, expires_at: null, confirmed_at: 0, duration: null } });
  const writers = [];
  for (let i = 0; i < 32; i += 1) {
    world.store.set(STATE_KEY, cache);
    const { client } = openClient(world);
    await client.ready;
    const stored = JSON.parse(world.store.get(STATE_KEY));
    assert.equal(stored.auth, null);
    writers.push(stored.writer);
    client.destroy();
  }
  assert.ok(writers.every((w) => Number.isInteger(w) && w > 0 && w % 2 === 1), `writers ${writers}`);
  assert.equal(new Set(writers).size, writers.length, 'each page its own id');
});
