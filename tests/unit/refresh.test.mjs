// Joining a refresh in flight: one sessions/authenticate per token and
// duration, whoever asks for it (the app, the schedule, start-up), and every
// asker gets that request's outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush } from './platform.mjs';
import { REFRESH, authAnswer, openClient, refreshAnswer, signIn, user } from './fixtures.mjs';

/** A signed-in client whose refreshes are held at a gate; the schedule is every second. */
async function signedIn(t, options = {}) {
  const world = browser(t);
  const opened = openClient(world, { options: { refreshIntervalMs: 1000, ...options } });
  await opened.client.ready;
  await flush();
  const { answer } = await signIn(world, opened);
  const gate = world.net.gate(REFRESH);
  return { world, ...opened, signedIn: answer, gate };
}

test('concurrent session.authenticate() calls send one request and all get its result', async (t) => {
  const { world, client, gate, signedIn: first } = await signedIn(t);
  const calls = [client.session.authenticate(), client.session.authenticate(), client.session.authenticate()];
  await flush();
  assert.equal(gate.requests.length, 1, 'one request for three calls');
  assert.deepEqual(gate.requests[0].request.json, {}, 'no duration: the session expiry is left as it is');
  const answer = authAnswer(world, { token: first.session_token, extra: { __user: user({ name: { first_name: 'Augusta' } }) } });
  gate.requests[0].answer(answer);
  const results = await Promise.all(calls);
  const { __user: _hidden, ...expected } = answer.body.data;
  for (const result of results) assert.deepEqual(result, expected);
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('a refresh that falls due while an explicit one is in flight is not sent again', async (t) => {
  const { world, client, gate } = await signedIn(t);
  await world.clock.advance(500);
  const explicit = client.session.authenticate();
  await flush();
  assert.equal(gate.requests.length, 1);
  // The scheduled refresh was due at 1 s; wait well past it (under the 20 s request timeout).
  await world.clock.advance(5000);
  assert.equal(gate.requests.length, 1, 'the schedule joined the explicit refresh');
  gate.requests[0].answer(refreshAnswer(world)(gate.requests[0].request));
  await explicit;
  // The schedule is alive: the next refresh goes out an interval after the answer.
  await world.clock.advance(999);
  assert.equal(gate.requests.length, 1);
  await world.clock.advance(1);
  assert.equal(gate.requests.length, 2, 'the next scheduled refresh');
});

test('an explicit session.authenticate() joins the scheduled refresh in flight', async (t) => {
  const { world, client, gate } = await signedIn(t);
  await world.clock.advance(1000);
  assert.equal(gate.requests.length, 1, 'the scheduled refresh left');
  const explicit = client.session.authenticate();
  await flush();
  assert.equal(gate.requests.length, 1, 'joined, not sent again');
  const answer = refreshAnswer(world)(gate.requests[0].request);
  gate.requests[0].answer(answer);
  assert.equal((await explicit).session_jwt, answer.body.data.session_jwt);
});

test('a different session_duration_minutes is another request', async (t) => {
  const { world, client, gate } = await signedIn(t);
  await world.clock.advance(1000);
  assert.equal(gate.requests.length, 1);
  const longer = client.session.authenticate({ session_duration_minutes: 120 });
  const again = client.session.authenticate({ session_duration_minutes: 120 });
  const other = client.session.authenticate({ session_duration_minutes: 90 });
  await flush();
  assert.deepEqual(gate.requests.map((r) => r.request.json),
    [{}, { session_duration_minutes: 120 }, { session_duration_minutes: 90 }]);
  for (const r of gate.requests) r.answer(refreshAnswer(world)(r.request));
  await Promise.all([longer, again, other]);
  assert.equal(world.net.requests(REFRESH).length, 3);
});

test('a failed refresh rejects every caller that joined it with the same error', async (t) => {
  const { world, client, gate, events } = await signedIn(t);
  const calls = [client.session.authenticate(), client.session.authenticate()];
  await flush();
  assert.equal(gate.requests.length, 1);
  gate.requests[0].answer({ status: 503, body: { status_code: 503, request_id: 'r', error_type: 'service_unavailable', error_message: 'down', error_url: '' } });
  const errors = await Promise.all(calls.map((p) => p.then(() => assert.fail('resolved'), (e) => e)));
  for (const e of errors) assert.deepEqual({ kind: e.kind, status: e.status_code, type: e.error_type, retryable: e.retryable }, { kind: 'api', status: 503, type: 'service_unavailable', retryable: true });
  assert.notEqual(client.session.getSync(), null, 'a transient failure keeps the session');
  assert.equal(events.session.length, 1, 'no notification beyond the sign-in');
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('keepSessionAlive: the scheduled refresh re-sends the sign-in\'s duration; an explicit call without one is another request', async (t) => {
  const { world, client, gate } = await signedIn(t, { keepSessionAlive: true });
  await world.clock.advance(1000);
  assert.deepEqual(gate.requests.map((r) => r.request.json), [{ session_duration_minutes: 60 }]);
  const explicit = client.session.authenticate();
  await flush();
  // The app's call without a duration is not the same request as the schedule's.
  assert.deepEqual(gate.requests.map((r) => r.request.json), [{ session_duration_minutes: 60 }, {}]);
  for (const r of gate.requests) r.answer(refreshAnswer(world)(r.request));
  await explicit;
});
