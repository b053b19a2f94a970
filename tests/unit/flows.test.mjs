// The flow steps of the calls that are more than one request and an
// answer: revoke, updateSession, the user object (users/me and `__user`),
// TOTP and factor deletion request shapes, secondary paths while signed
// in, and the protocol's headers on every request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush } from './platform.mjs';
import { PUBLIC_TOKEN, REFRESH, STATE_KEY, apiError, authAnswer, ok, openClient, refreshAnswer, signIn, user } from './fixtures.mjs';

const REVOKE = 'POST /sdk/v1/sessions/revoke';

async function signedIn(t) {
  const world = browser(t);
  const opened = openClient(world);
  await opened.client.ready;
  await flush();
  const { answer } = await signIn(world, opened);
  return { world, ...opened, answer };
}

/** Whether the page holds no trace of a session: state, cookies, cache. */
function signedOut(world, client) {
  assert.equal(client.session.getSync(), null);
  assert.equal(client.user.getSync(), null);
  assert.equal(client.session.getTokens(), null);
  assert.equal(world.jar.get('stytch_session'), undefined);
  assert.equal(world.jar.get('stytch_session_jwt'), undefined);
  assert.equal(JSON.parse(world.store.get(STATE_KEY)).auth, null);
}

test('revoke: one request without a body, then the session is gone everywhere', async (t) => {
  const { world, client, events } = await signedIn(t);
  world.net.on(REVOKE, ok());
  const data = await client.session.revoke();
  assert.equal(data.status_code, 200);
  const [request] = world.net.requests(REVOKE);
  assert.equal(request.hasBody, false);
  signedOut(world, client);
  assert.deepEqual(events.session, [events.session[0], null]);
  assert.deepEqual(events.state.at(-1), { session: null, user: null });
});

test('revoke: an answer saying the session is already gone counts as revoked', async (t) => {
  for (const [status, type] of [[404, 'session_not_found'], [401, 'unauthorized_credentials']]) {
    await t.test(type, async (t) => {
      const { world, client } = await signedIn(t);
      world.net.on(REVOKE, apiError(status, type));
      assert.deepEqual(await client.session.revoke(), {});
      signedOut(world, client);
    });
  }
});

test('revoke: another failure keeps the session, unless forceClear; both reject with the failure', async (t) => {
  await t.test('without forceClear', async (t) => {
    const { world, client, events } = await signedIn(t);
    world.net.on(REVOKE, apiError(500, 'internal_server_error'));
    await assert.rejects(client.session.revoke(), { kind: 'api', error_type: 'internal_server_error', retryable: true });
    world.net.on(REVOKE, { fail: true });
    await assert.rejects(client.session.revoke({ forceClear: false }), { kind: 'network', reason: 'unreachable' });
    assert.notEqual(client.session.getSync(), null);
    assert.ok(world.jar.get('stytch_session'));
    assert.equal(events.session.length, 1);
  });
  await t.test('with forceClear', async (t) => {
    const { world, client } = await signedIn(t);
    world.net.on(REVOKE, { fail: true });
    await assert.rejects(client.session.revoke({ forceClear: true }), { kind: 'network', reason: 'unreachable' });
    signedOut(world, client);
  });
});

test('updateSession adopts the tokens, confirms them with one refresh, and resolves with its answer', async (t) => {
  const world = browser(t);
  const { client, events } = openClient(world);
  await client.ready;
  await flush();
  const token = 'session-token-test-from-the-backend-aaaaaaaaaaaa';
  const gate = world.net.gate(REFRESH);
  const adopted = client.session.updateSession({ session_token: token, session_jwt: 'a.b.c' });
  await flush();
  assert.equal(gate.requests.length, 1);
  const { request } = gate.requests[0];
  assert.equal(request.headers.Authorization, `Basic ${btoa(`${PUBLIC_TOKEN}:${token}`)}`);
  assert.deepEqual(request.json, {}, 'no duration: the adopted session keeps its expiry');
  assert.equal(world.jar.get('stytch_session'), token, 'written at once, for the backend');
  assert.equal(client.session.getSync(), null, 'shown once confirmed');
  const answer = refreshAnswer(world, { extra: { __user: user() } })(request);
  gate.requests[0].answer(answer);
  const data = await adopted;
  assert.equal(data.session_token, token);
  assert.equal('__user' in data, false);
  assert.deepEqual(client.session.getSync(), answer.body.data.session);
  assert.equal(world.jar.get('stytch_session_jwt'), answer.body.data.session_jwt);
  assert.equal(events.session.length, 1);
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('updateSession with tokens the server refuses rejects with its error and leaves nothing', async (t) => {
  const { world, client, events, answer: first } = await signedIn(t);
  world.net.on(REFRESH, apiError(404, 'session_not_found'));
  await assert.rejects(client.session.updateSession({ session_token: 'session-token-test-unknown-bbbbbbbbbbbbbbbb' }),
    { kind: 'api', status_code: 404, error_type: 'session_not_found' });
  await flush();
  signedOut(world, client);
  assert.deepEqual(events.session, [first.session, null]);
  await assert.rejects(client.session.updateSession({}), { kind: 'validation', field: 'session_token' });
  assert.equal(world.net.requests(REFRESH).length, 1);
});

test('user.get takes the user from __user or from the bare answer, and tells the app once', async (t) => {
  const { world, client, events } = await signedIn(t);
  const renamed = user({ name: { first_name: 'Augusta', middle_name: 'Ada', last_name: 'King' } });
  world.net.on('GET /sdk/v1/users/me', ok(renamed));
  assert.deepEqual(await client.user.get(), renamed, 'the bare answer without request_id and status_code');
  const [request] = world.net.requests('GET /sdk/v1/users/me');
  assert.equal(request.hasBody, false);
  assert.deepEqual(client.user.getSync(), renamed);
  assert.deepEqual(events.user, [events.user[0], renamed]);
  // The same user again: no notification.
  await client.user.get();
  assert.equal(events.user.length, 2);
  const locked = user({ is_locked: true });
  // With both, __user is the user (the bare fields are the stale ones here).
  world.net.on('GET /sdk/v1/users/me', ok({ ...renamed, __user: locked }));
  assert.deepEqual(await client.user.get(), locked);
  assert.deepEqual(client.user.getSync(), locked);
  assert.equal(events.user.length, 3);
  assert.equal(events.session.length, 1, 'the session did not change');
});

test('__user in any answer refreshes the cached user and is not returned', async (t) => {
  const { world, client, events } = await signedIn(t);
  const updated = user({ untrusted_metadata: { theme: 'dark' } });
  world.net.on('PUT /sdk/v1/users/me', ok({ user_id: updated.user_id, __user: updated }));
  const data = await client.user.update({ untrusted_metadata: { theme: 'dark' } });
  assert.deepEqual(world.net.requests('PUT /sdk/v1/users/me')[0].json, { untrusted_metadata: { theme: 'dark' } });
  assert.equal('__user' in data, false);
  assert.equal(data.user_id, updated.user_id);
  assert.deepEqual(client.user.getSync(), updated);
  assert.deepEqual(events.user.at(-1), updated);
  assert.deepEqual(JSON.parse(world.store.get(STATE_KEY)).auth.user, updated, 'published to the other tabs');
});

test('signed in, sends that add a factor take the secondary path; signed out, the primary', async (t) => {
  const world = browser(t);
  const opened = openClient(world);
  const { client } = opened;
  await client.ready;
  world.net.on(`GET /sdk/v1/projects/bootstrap/${PUBLIC_TOKEN}`, ok({ pkce_required_for_email_magic_links: false }));
  for (const path of ['/magic_links/email/send', '/otps/sms/send', '/otps/whatsapp/send', '/otps/email/send']) {
    for (const which of ['primary', 'secondary']) world.net.on(`POST /sdk/v1${path}/${which}`, ok({ method_id: 'm' }));
  }
  const sends = () => Promise.all([
    client.magicLinks.email.send('ada@example.com'),
    client.otps.sms.send('+14155550123'),
    client.otps.whatsapp.send('+14155550123'),
    client.otps.email.send('ada@example.com'),
  ]);
  await sends();
  await signIn(world, opened);
  await sends();
  const paths = world.net.log.filter((r) => r.path.includes('/send/')).map((r) => r.path.replace('/sdk/v1', ''));
  assert.deepEqual(paths.sort(), [
    '/magic_links/email/send/primary', '/magic_links/email/send/secondary', '/otps/email/send/primary', '/otps/email/send/secondary',
    '/otps/sms/send/primary', '/otps/sms/send/secondary', '/otps/whatsapp/send/primary', '/otps/whatsapp/send/secondary',
  ]);
});

test('TOTP calls: paths and bodies (recovery_codes without one); authenticate and recover extend the session', async (t) => {
  const { world, client, events } = await signedIn(t);
  const withTotp = user({ totps: [{ totp_id: 'totp-test-1', verified: false }] });
  world.net.on('POST /sdk/v1/totps', ok({ totp_id: 'totp-test-1', secret: 'JBSWY3DPEHPK3PXP', qr_code: 'data:image/png;base64,AA', recovery_codes: ['ab12-cd34-ef56'], __user: withTotp }));
  const created = await client.totps.create({ expiration_minutes: 60 });
  assert.deepEqual(world.net.requests('POST /sdk/v1/totps')[0].json, { expiration_minutes: 60 });
  assert.equal('__user' in created, false);
  assert.equal(created.secret, 'JBSWY3DPEHPK3PXP');
  assert.deepEqual(client.user.getSync(), withTotp);

  const totpFactor = { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: '2023-11-14T22:13:20Z', authenticator_app_factor: { totp_id: 'totp-test-1' } };
  world.net.on('POST /sdk/v1/totps/authenticate', authAnswer(world, { sessionFields: { authentication_factors: [totpFactor] }, extra: { totp_id: 'totp-test-1' } }));
  await client.totps.authenticate({ totp_code: '123456', session_duration_minutes: 60 });
  assert.deepEqual(world.net.requests('POST /sdk/v1/totps/authenticate')[0].json, { totp_code: '123456', session_duration_minutes: 60 });
  assert.deepEqual(client.session.getSync().authentication_factors, [totpFactor]);

  world.net.on('POST /sdk/v1/totps/recovery_codes', ok({ user_id: withTotp.user_id, totps: [{ totp_id: 'totp-test-1', verified: true, recovery_codes: ['ab12-cd34-ef56'] }] }));
  const codes = await client.totps.recoveryCodes();
  const [codesRequest] = world.net.requests('POST /sdk/v1/totps/recovery_codes');
  assert.equal(codesRequest.hasBody, false);
  assert.equal(codesRequest.headers['Content-Type'], 'application/json');
  assert.deepEqual(codes.totps[0].recovery_codes, ['ab12-cd34-ef56']);
  assert.equal(codes.status_code, 200, 'returned as is');

  const recoveryFactor = { type: 'recovery_codes', delivery_method: 'recovery_code', last_authenticated_at: '2023-11-14T22:13:20Z', recovery_code_factor: { totp_recovery_code_id: 'r1' } };
  world.net.on('POST /sdk/v1/totps/recover', authAnswer(world, { sessionFields: { authentication_factors: [recoveryFactor] } }));
  await client.totps.recover({ recovery_code: 'ab12-cd34-ef56', session_duration_minutes: 30 });
  assert.deepEqual(world.net.requests('POST /sdk/v1/totps/recover')[0].json, { recovery_code: 'ab12-cd34-ef56', session_duration_minutes: 30 });
  assert.deepEqual(client.session.getSync().authentication_factors, [recoveryFactor]);
  assert.equal(events.session.length, 3);
});

test('factor deletions: DELETE with the raw id in the path and no body; __user becomes the cached user', async (t) => {
  const { world, client, events } = await signedIn(t);
  const calls = [
    ['deleteEmail', 'email-test-2', '/users/emails/email-test-2'],
    ['deletePhoneNumber', 'phone-number-test-1', '/users/phone_numbers/phone-number-test-1'],
    ['deleteTOTP', 'totp-test-1', '/users/totps/totp-test-1'],
    ['deleteOAuthRegistration', 'oauth-user-registration-test-1', '/users/oauth/oauth-user-registration-test-1'],
    ['deleteWebauthnRegistration', 'webauthn-registration-test_1', '/users/webauthn_registrations/webauthn-registration-test_1'],
  ];
  for (const [method, id, path] of calls) {
    const after = user({ untrusted_metadata: { deleted: id } });
    world.net.on(`DELETE /sdk/v1${path}`, ok({ user_id: after.user_id, user: after, __user: after }));
    const data = await client.user[method](id);
    const [request] = world.net.requests(`DELETE /sdk/v1${path}`);
    assert.equal(request.hasBody, false, method);
    assert.equal(request.headers['Content-Type'], 'application/json');
    assert.equal('__user' in data, false);
    assert.deepEqual(data.user, after);
    assert.deepEqual(client.user.getSync(), after, method);
  }
  assert.equal(events.user.length, 1 + calls.length);
});

test('webauthn.update: PUT to the update path with the name', async (t) => {
  const { world, client } = await signedIn(t);
  world.net.on('PUT /sdk/v1/webauthn/update/webauthn-registration-test-1', ok({ webauthn_registration: { webauthn_registration_id: 'webauthn-registration-test-1', name: 'Laptop' } }));
  const data = await client.webauthn.update({ webauthn_registration_id: 'webauthn-registration-test-1', name: 'Laptop' });
  assert.deepEqual(world.net.requests('PUT /sdk/v1/webauthn/update/webauthn-registration-test-1')[0].json, { name: 'Laptop' });
  assert.equal(data.webauthn_registration.name, 'Laptop');
});

test('every request carries the protocol\'s headers: Basic credentials by session, X-SDK-Client, X-SDK-Parent-Host, cookies included', async (t) => {
  const world = browser(t, { url: 'https://app.example.com/login' });
  const opened = openClient(world);
  await opened.client.ready;
  world.net.on('POST /sdk/v1/passwords/strength_check', ok({ score: 1 }));
  await opened.client.passwords.strengthCheck({ password: 'x' });
  const { answer } = await signIn(world, opened);
  await opened.client.passwords.strengthCheck({ password: 'x' });
  const [out, , signed] = world.net.log;
  assert.equal(out.headers.Authorization, `Basic ${btoa(`${PUBLIC_TOKEN}:${PUBLIC_TOKEN}`)}`);
  assert.equal(signed.headers.Authorization, `Basic ${btoa(`${PUBLIC_TOKEN}:${answer.session_token}`)}`);
  for (const r of world.net.log) {
    assert.equal(r.credentials, 'include');
    assert.equal(r.headers['Content-Type'], 'application/json');
    assert.equal(r.headers['X-SDK-Parent-Host'], 'https://app.example.com');
  }
  const client = (r) => JSON.parse(atob(r.headers['X-SDK-Client']));
  const [a, b] = [client(out), client(signed)];
  assert.deepEqual(Object.keys(a).sort(), ['app', 'app_session_id', 'client_sent_at', 'event_id', 'persistent_id', 'sdk', 'timezone']);
  assert.deepEqual(a.app, { identifier: 'app.example.com' });
  assert.deepEqual(a.sdk, { identifier: 'latchkey', version: '0.1.0' });
  assert.notEqual(a.event_id, b.event_id);
  assert.equal(a.app_session_id, b.app_session_id);
  assert.equal(a.persistent_id, b.persistent_id);
  assert.equal(world.store.get(`latchkey:${PUBLIC_TOKEN}:device`), a.persistent_id);
  assert.equal(b.stytch_session_id, answer.session.session_id);
  assert.equal(b.stytch_user_id, answer.user.user_id);
});
