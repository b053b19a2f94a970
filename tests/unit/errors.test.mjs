// Every way a call can fail, with the exact error the app receives: the
// network (offline, unreachable, timeout), answers the SDK cannot read,
// the API's error bodies and which of them are worth retrying, authenticate
// answers missing what a session needs, and calls that need a session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush } from './platform.mjs';
import { PASSWORD, REFRESH, apiError, authAnswer, openClient, signIn } from './fixtures.mjs';
import { LatchkeyError } from '../../pkg/errors.js';

const STRENGTH = 'POST /sdk/v1/passwords/strength_check';
const login = { email: 'ada@example.com', password: 'correct horse', session_duration_minutes: 60 };

/** The error as the app sees it: its own fields and its message. */
function shape(error) {
  assert.ok(error instanceof LatchkeyError, `a LatchkeyError, not ${error}`);
  assert.ok(error instanceof Error);
  return { ...error, message: error.message };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return shape(e);
  }
  return assert.fail('the call resolved');
}

async function page(t, options = {}) {
  const world = browser(t);
  const opened = openClient(world, { options });
  await opened.client.ready;
  await flush();
  return { world, ...opened };
}

const networkError = (reason, message) => ({ kind: 'network', reason, retryable: true, name: 'LatchkeyError', message });
const invalid = (status, message, retryable) => ({
  kind: 'api', name: 'LatchkeyError', retryable, message,
  status_code: status, request_id: '', error_type: 'invalid_response', error_message: message, error_url: '',
});

test('no answer: offline, unreachable, timeout', async (t) => {
  const { world, client } = await page(t, { requestTimeoutMs: 1000 });
  world.online = false;
  assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })), networkError('offline', 'The device is offline'));
  world.online = true;
  world.net.on(STRENGTH, { fail: true });
  assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })),
    networkError('unreachable', 'The auth API could not be reached (is baseUrl right, and is this page\'s origin authorized?)'));
  world.net.on(STRENGTH, { status: 200, body: { data: {} }, delay: 5000 });
  const slow = rejection(client.passwords.strengthCheck({ password: 'x' }));
  await world.clock.advance(999);
  await world.clock.advance(1);
  assert.deepEqual(await slow, networkError('timeout', 'The auth API did not answer in time'));
  // Under the timeout the same answer arrives.
  world.net.on(STRENGTH, { status: 200, body: { data: { score: 4 } }, delay: 900 });
  const fast = client.passwords.strengthCheck({ password: 'x' });
  await world.clock.advance(900);
  assert.equal((await fast).score, 4);
});

test('a 2xx the SDK cannot read: not JSON, not an object, no data object', async (t) => {
  const { world, client } = await page(t);
  for (const [body, message] of [
    ['<html>captive portal</html>', 'The response is not a JSON object'],
    ['[1,2]', 'The response is not a JSON object'],
    ['null', 'The response is not a JSON object'],
    ['{"request_id":"r"}', 'The response has no `data` object'],
    ['{"data":[]}', 'The response has no `data` object'],
    ['{"data":"ok"}', 'The response has no `data` object'],
  ]) {
    world.net.on(STRENGTH, { status: 200, body });
    assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })), invalid(200, message, true), body);
  }
  world.net.on(STRENGTH, { status: 201, body: '' });
  assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })), invalid(201, 'The response is not a JSON object', true));
});

test('an error answer without an error_type: its HTTP status, retryable only when the status says so', async (t) => {
  const { world, client } = await page(t);
  for (const [status, body, retryable] of [
    [502, '<html>Bad gateway</html>', true],
    [503, '{"message":"down"}', true],
    [404, 'Not Found', false],
    [400, '{"error_type":""}', false],
    [401, '{"error_type":7,"status_code":401}', false],
  ]) {
    world.net.on(STRENGTH, { status, body });
    assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })),
      invalid(status, `The server answered HTTP ${status} without an error description`, retryable), `${status} ${body}`);
  }
});

test('a full error body becomes an api error with its five fields; status_code comes from the body when it is an error status', async (t) => {
  const { world, client } = await page(t);
  const body = {
    status_code: 409, request_id: 'request-id-test-9', error_type: 'duplicate_email',
    error_message: 'A user with this email already exists.', error_url: 'https://stytch.com/docs/api/errors/400#duplicate_email',
    error_details: { ignored: true },
  };
  world.net.on(STRENGTH, { status: 400, body });
  assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })), {
    kind: 'api', name: 'LatchkeyError', retryable: false, message: body.error_message,
    status_code: 409, request_id: 'request-id-test-9', error_type: 'duplicate_email', error_message: body.error_message, error_url: body.error_url,
  });
  for (const bad of [200, 399, 600, '409', 409.5, null]) {
    world.net.on(STRENGTH, { status: 400, body: { ...body, status_code: bad } });
    assert.equal((await rejection(client.passwords.strengthCheck({ password: 'x' }))).status_code, 400, `body status ${bad}`);
  }
  // Missing text fields read as empty strings.
  world.net.on(STRENGTH, { status: 403, body: { error_type: 'bad_domain_for_stytch_sdk', error_message: 42 } });
  assert.deepEqual(await rejection(client.passwords.strengthCheck({ password: 'x' })), {
    kind: 'api', name: 'LatchkeyError', retryable: false, message: '',
    status_code: 403, request_id: '', error_type: 'bad_domain_for_stytch_sdk', error_message: '', error_url: '',
  });
});

test('500, 503, 429 and 408 are retryable; other 4xx are not', async (t) => {
  const { world, client } = await page(t);
  for (const [status, type, retryable] of [
    [500, 'internal_server_error', true], [503, 'service_unavailable', true], [429, 'too_many_requests', true], [408, 'request_timeout', true],
    [400, 'bad_request', false], [401, 'unauthorized_credentials', false], [403, 'bad_domain_for_stytch_sdk', false], [404, 'user_not_found', false],
  ]) {
    world.net.on(STRENGTH, apiError(status, type));
    const e = await rejection(client.passwords.strengthCheck({ password: 'x' }));
    assert.deepEqual([e.kind, e.status_code, e.error_type, e.retryable], ['api', status, type, retryable]);
  }
});

test('an authenticate answer missing session_token, session, session.expires_at or user signs nobody in', async (t) => {
  const { world, client, events } = await page(t);
  const cases = [
    ['session_token', (d) => { delete d.session_token; }],
    ['session_token', (d) => { d.session_token = ''; }],
    ['session_token', (d) => { d.session_token = 42; }],
    ['session', (d) => { delete d.session; }],
    ['session', (d) => { d.session = 'session'; }],
    ['session.expires_at', (d) => { delete d.session.expires_at; }],
    ['session.expires_at', (d) => { d.session.expires_at = 'tomorrow'; }],
    ['user', (d) => { delete d.user; }],
    ['user', (d) => { d.user = null; }],
  ];
  for (const [field, damage] of cases) {
    const answer = authAnswer(world);
    damage(answer.body.data);
    world.net.on(PASSWORD, answer);
    const message = `The authenticate response has no valid ${field}`;
    assert.deepEqual(await rejection(client.passwords.authenticate(login)), invalid(200, message, true), `${field}: ${damage}`);
  }
  assert.deepEqual(world.jar.writes, []);
  assert.equal(client.session.getSync(), null);
  assert.deepEqual(events, { session: [], user: [], state: [] });
});

test('an authenticate answer with __user instead of user signs in with it', async (t) => {
  const { world, client } = await page(t);
  const answer = authAnswer(world);
  answer.body.data.__user = answer.body.data.user;
  delete answer.body.data.user;
  world.net.on(PASSWORD, answer);
  const data = await client.passwords.authenticate(login);
  assert.equal('__user' in data, false);
  assert.deepEqual(client.user.getSync(), answer.body.data.__user);
});

test('an API error on a sign-in leaves the session that was there', async (t) => {
  const { world, client, events, ...opened } = await page(t);
  await signIn(world, { client, events, ...opened });
  const writes = world.jar.writes.length;
  world.net.on(PASSWORD, apiError(401, 'unauthorized_credentials'));
  const e = await rejection(client.passwords.authenticate(login));
  assert.equal(e.error_type, 'unauthorized_credentials');
  assert.notEqual(client.session.getSync(), null, 'a wrong password elsewhere is not a sign-out');
  assert.equal(world.jar.writes.length, writes);
  assert.equal(events.session.length, 1);
});

test('session.authenticate answered with a session-ending error rejects and signs out; another error keeps the session', async (t) => {
  const { world, client, events, ...opened } = await page(t);
  await signIn(world, { client, events, ...opened });
  world.net.on(REFRESH, apiError(400, 'bad_request'));
  assert.equal((await rejection(client.session.authenticate())).error_type, 'bad_request');
  await flush();
  assert.notEqual(client.session.getSync(), null);
  world.net.on(REFRESH, apiError(404, 'session_not_found'));
  const e = await rejection(client.session.authenticate());
  assert.deepEqual([e.kind, e.status_code, e.error_type, e.retryable], ['api', 404, 'session_not_found', false]);
  await flush();
  assert.equal(client.session.getSync(), null);
  assert.deepEqual(events.session.at(-1), null);
  assert.equal(world.jar.get('stytch_session'), undefined, 'the cookies are removed');
  assert.equal(world.jar.get('stytch_session_jwt'), undefined);
});

test('calls that need a session are refused without one, and send nothing', async (t) => {
  const { world, client } = await page(t);
  const calls = {
    'session.authenticate': () => client.session.authenticate(),
    'user.get': () => client.user.get(),
    'user.update': () => client.user.update({ name: { first_name: 'A' } }),
    'user.deleteEmail': () => client.user.deleteEmail('email-test-1'),
    'user.deletePhoneNumber': () => client.user.deletePhoneNumber('phone-number-test-1'),
    'user.deleteTOTP': () => client.user.deleteTOTP('totp-test-1'),
    'user.deleteOAuthRegistration': () => client.user.deleteOAuthRegistration('oauth-user-registration-test-1'),
    'user.deleteWebauthnRegistration': () => client.user.deleteWebauthnRegistration('webauthn-registration-test-1'),
    'webauthn.update': () => client.webauthn.update({ webauthn_registration_id: 'webauthn-registration-test-1', name: 'Laptop' }),
    'totps.create': () => client.totps.create({ expiration_minutes: 60 }),
    'totps.authenticate': () => client.totps.authenticate({ totp_code: '123456', session_duration_minutes: 60 }),
    'totps.recoveryCodes': () => client.totps.recoveryCodes(),
    'totps.recover': () => client.totps.recover({ recovery_code: 'abcd-efgh-ijkl', session_duration_minutes: 60 }),
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.deepEqual(await rejection(call()), { kind: 'usage', name: 'LatchkeyError', retryable: false, message: 'There is no session: sign in first' }, name);
  }
  assert.deepEqual(world.net.log, []);
  // revoke without a session has nothing to do.
  assert.deepEqual(await client.session.revoke(), {});
  assert.deepEqual(world.net.log, []);
});

test('options that are not JSON-serialisable are refused before sending', async (t) => {
  const { world, client, ...opened } = await page(t);
  await signIn(world, { client, ...opened });
  const cyclic = {};
  cyclic.self = cyclic;
  for (const metadata of [cyclic, { big: 1n }]) {
    assert.deepEqual(await rejection(client.user.update({ untrusted_metadata: metadata })),
      { kind: 'validation', name: 'LatchkeyError', field: 'options', retryable: false, message: 'must be JSON-serialisable' });
  }
  assert.deepEqual(world.net.requests('PUT /sdk/v1/users/me'), []);
});

test('localStorage that throws (disabled, full) fails no call: the session lives in memory and cookies', async (t) => {
  const world = browser(t);
  world.tab.storageBroken = true;
  const { client, events } = openClient(world);
  await client.ready;
  world.net.on(PASSWORD, authAnswer(world));
  const data = await client.passwords.authenticate(login);
  assert.equal(world.jar.get('stytch_session'), data.session_token);
  assert.deepEqual(client.session.getSync(), data.session);
  assert.equal(events.session.length, 1);
  assert.equal(world.store.size, 0);
});
