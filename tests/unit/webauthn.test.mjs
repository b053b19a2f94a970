// Passkeys and WebAuthn: the two requests around each ceremony (protocol
// §2.1–2.2), the options decoded from standard base64 or base64url, the
// credential sent as base64url JSON, the primary or secondary start by
// session, the autofill flow's early nulls, and the ceremony's failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush } from './platform.mjs';
import { authAnswer, ok, openClient, signIn, user } from './fixtures.mjs';

const REGISTER_START = 'POST /sdk/v1/webauthn/register/start';
const REGISTER = 'POST /sdk/v1/webauthn/register';
const PRIMARY = 'POST /sdk/v1/webauthn/authenticate/start/primary';
const SECONDARY = 'POST /sdk/v1/webauthn/authenticate/start/secondary';
const AUTHENTICATE = 'POST /sdk/v1/webauthn/authenticate';

// Bytes whose base64 has '+', '/' and padding, so the two alphabets differ.
const CHALLENGE = Uint8Array.from([251, 255, 191, 0, 62, 63, 1, 2, 3, 4, 5, 250, 254]);
const USER_HANDLE = new TextEncoder().encode(user().user_id);
const CREDENTIAL_ID = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 3);
const std = (bytes) => Buffer.from(bytes).toString('base64');
const url64 = (bytes) => Buffer.from(bytes).toString('base64url');
const buffer = (bytes) => Uint8Array.from(bytes).buffer;
const bytesOf = (view) => [...new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength)];

/** A fake platform authenticator behind navigator.credentials, recording what it is asked. */
function authenticator() {
  const fake = {
    calls: [],
    failure: null,
    userHandle: USER_HANDLE,
    async create(options) {
      fake.calls.push(['create', options]);
      if (fake.failure) throw fake.failure;
      return {
        type: 'public-key',
        id: url64(CREDENTIAL_ID),
        rawId: buffer(CREDENTIAL_ID),
        authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: buffer(new TextEncoder().encode('{"type":"webauthn.create"}')),
          attestationObject: buffer([0xa3, 0x63, 0x66, 0x6d, 0x74, 0xfb, 0xff]),
          getTransports: () => ['internal'],
        },
        getClientExtensionResults: () => ({ credProps: { rk: true }, largeBlob: { supported: false } }),
      };
    },
    async get(options) {
      fake.calls.push(['get', options]);
      if (fake.failure) throw fake.failure;
      return {
        type: 'public-key',
        id: url64(CREDENTIAL_ID),
        rawId: buffer(CREDENTIAL_ID),
        authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: buffer(new TextEncoder().encode('{"type":"webauthn.get"}')),
          authenticatorData: buffer([73, 150, 13, 229, 5, 0, 0, 0, 2]),
          signature: buffer([0x30, 0x45, 0x02, 0x21, 0xff, 0xfe]),
          userHandle: fake.userHandle && buffer(fake.userHandle),
        },
        getClientExtensionResults: () => ({}),
      };
    },
  };
  return fake;
}

const creationOptions = (encode) => JSON.stringify({
  rp: { id: 'localhost', name: 'Test project' },
  user: { id: encode(USER_HANDLE), name: 'ada@example.com', displayName: 'Ada' },
  challenge: encode(CHALLENGE),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
  timeout: 60000,
  excludeCredentials: [{ type: 'public-key', id: encode(CREDENTIAL_ID), transports: ['internal'] }],
  authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  attestation: 'none',
});

const requestOptions = (encode) => JSON.stringify({
  challenge: encode(CHALLENGE),
  timeout: 60000,
  rpId: 'localhost',
  allowCredentials: [{ type: 'public-key', id: encode(CREDENTIAL_ID) }],
  userVerification: 'preferred',
});

async function page(t, { signedIn = false, autofill = true, webauthn = true } = {}) {
  const fake = authenticator();
  const world = browser(t, { webauthn: webauthn ? { autofill } : null, credentials: webauthn ? fake : null });
  const opened = openClient(world);
  await opened.client.ready;
  if (signedIn) await signIn(world, opened);
  return { world, fake, ...opened };
}

test('register: start with the protocol\'s body, create with decoded options, finish with the base64url credential', async (t) => {
  const { world, fake, client, events } = await page(t, { signedIn: true });
  world.net.on(REGISTER_START, ok({ user_id: user().user_id, public_key_credential_creation_options: creationOptions(std) }));
  const factor = { type: 'webauthn', delivery_method: 'webauthn_registration', last_authenticated_at: '2023-11-14T22:13:20Z' };
  const finish = authAnswer(world, {
    sessionFields: { authentication_factors: [factor] },
    extra: { webauthn_registration_id: 'webauthn-registration-test-1', __user: user({ webauthn_registrations: [{ webauthn_registration_id: 'webauthn-registration-test-1' }] }) },
  });
  world.net.on(REGISTER, finish);
  const result = await client.webauthn.register({ is_passkey: true, session_duration_minutes: 60 });

  assert.deepEqual(world.net.requests(REGISTER_START)[0].json, { domain: 'localhost', return_passkey_credential_options: true, user_agent: world.tab.navigator.userAgent });
  const [[kind, { publicKey }]] = fake.calls;
  assert.equal(kind, 'create');
  assert.deepEqual(bytesOf(publicKey.challenge), [...CHALLENGE]);
  assert.deepEqual(bytesOf(publicKey.user.id), [...USER_HANDLE]);
  assert.equal(publicKey.user.name, 'ada@example.com');
  assert.deepEqual(bytesOf(publicKey.excludeCredentials[0].id), [...CREDENTIAL_ID]);
  assert.deepEqual(publicKey.excludeCredentials[0].transports, ['internal']);
  assert.deepEqual(publicKey.authenticatorSelection, { residentKey: 'required', userVerification: 'preferred' });
  assert.deepEqual(publicKey.pubKeyCredParams.map((p) => p.alg), [-7, -257]);

  const body = world.net.requests(REGISTER)[0].json;
  assert.deepEqual(Object.keys(body).sort(), ['public_key_credential', 'session_duration_minutes']);
  assert.equal(body.session_duration_minutes, 60);
  assert.equal(typeof body.public_key_credential, 'string');
  assert.deepEqual(JSON.parse(body.public_key_credential), {
    type: 'public-key',
    id: url64(CREDENTIAL_ID),
    rawId: url64(CREDENTIAL_ID),
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: url64(new TextEncoder().encode('{"type":"webauthn.create"}')),
      attestationObject: url64([0xa3, 0x63, 0x66, 0x6d, 0x74, 0xfb, 0xff]),
      transports: ['internal'],
    },
    clientExtensionResults: { credProps: { rk: true } },
  });
  assert.doesNotMatch(body.public_key_credential, /[=+/]/, 'base64url without padding');

  assert.equal(result.webauthn_registration_id, 'webauthn-registration-test-1');
  assert.equal('__user' in result, false);
  assert.equal(client.session.getTokens().session_token, finish.body.data.session_token, 'the finish extends the session');
  assert.deepEqual(client.session.getSync().authentication_factors, [factor]);
  assert.equal(events.session.length, 2, 'the sign-in, then the session with its new factor');
});

test('register: every start option, options in base64url, and no duration on the finish when none was given', async (t) => {
  const { world, client } = await page(t, { signedIn: true });
  world.net.on(REGISTER_START, ok({ public_key_credential_creation_options: creationOptions(url64) }));
  world.net.on(REGISTER, authAnswer(world, { extra: { webauthn_registration_id: 'webauthn-registration-test-2' } }));
  await client.webauthn.register({
    domain: 'app.example.com', authenticator_type: 'cross-platform', is_passkey: false, override_id: 'o-id',
    override_name: 'o-name', override_display_name: 'O Name', use_base64_url_encoding: true,
  });
  assert.deepEqual(world.net.requests(REGISTER_START)[0].json, {
    domain: 'app.example.com', authenticator_type: 'cross-platform', return_passkey_credential_options: false, override_id: 'o-id',
    override_name: 'o-name', override_display_name: 'O Name', user_agent: world.tab.navigator.userAgent, use_base64_url_encoding: true,
  });
  assert.deepEqual(Object.keys(world.net.requests(REGISTER)[0].json), ['public_key_credential']);
});

test('register needs a session, and WebAuthn: refused before any request', async (t) => {
  const { world, client, fake } = await page(t);
  await assert.rejects(client.webauthn.register(), { kind: 'usage', message: 'There is no session: sign in first' });
  await assert.rejects(client.webauthn.register({ authenticator_type: 'usb' }), { kind: 'validation', field: 'authenticator_type' });
  assert.deepEqual(world.net.log, []);
  assert.deepEqual(fake.calls, []);
});

test('authenticate signed out: the primary start, get with the decoded options and a live signal, then the finish signs in', async (t) => {
  const { world, fake, client, events } = await page(t);
  world.net.on(PRIMARY, ok({ user_id: '', public_key_credential_request_options: requestOptions(std) }));
  const finish = authAnswer(world, { extra: { webauthn_registration_id: 'webauthn-registration-test-1', __user: user() } });
  world.net.on(AUTHENTICATE, finish);
  const result = await client.webauthn.authenticate({ session_duration_minutes: 30, is_passkey: true });
  assert.deepEqual(world.net.requests(PRIMARY)[0].json, { domain: 'localhost', return_passkey_credential_options: true });
  const [[kind, options]] = fake.calls;
  assert.equal(kind, 'get');
  assert.deepEqual(Object.keys(options).sort(), ['publicKey', 'signal'], 'no mediation outside the autofill flow');
  assert.ok(options.signal instanceof AbortSignal && !options.signal.aborted);
  assert.deepEqual(bytesOf(options.publicKey.challenge), [...CHALLENGE]);
  assert.deepEqual(bytesOf(options.publicKey.allowCredentials[0].id), [...CREDENTIAL_ID]);
  assert.equal(options.publicKey.rpId, 'localhost');
  assert.equal(options.publicKey.userVerification, 'preferred');
  const body = world.net.requests(AUTHENTICATE)[0].json;
  assert.equal(body.session_duration_minutes, 30);
  assert.deepEqual(JSON.parse(body.public_key_credential), {
    type: 'public-key',
    id: url64(CREDENTIAL_ID),
    rawId: url64(CREDENTIAL_ID),
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: url64(new TextEncoder().encode('{"type":"webauthn.get"}')),
      authenticatorData: url64([73, 150, 13, 229, 5, 0, 0, 0, 2]),
      signature: url64([0x30, 0x45, 0x02, 0x21, 0xff, 0xfe]),
      userHandle: url64(USER_HANDLE),
    },
    clientExtensionResults: {},
  });
  assert.equal('__user' in result, false);
  assert.equal(client.session.getSync().session_id, finish.body.data.session.session_id);
  assert.equal(events.session.length, 1);
});

test('authenticate signed in: the secondary start; base64url options; a null userHandle; the app\'s signal', async (t) => {
  const { world, fake, client } = await page(t, { signedIn: true });
  fake.userHandle = null;
  world.net.on(SECONDARY, ok({ public_key_credential_request_options: requestOptions(url64) }));
  world.net.on(AUTHENTICATE, authAnswer(world));
  const controller = new AbortController();
  await client.webauthn.authenticate({ session_duration_minutes: 30, domain: 'app.example.com', signal: controller.signal });
  assert.deepEqual(world.net.requests(SECONDARY)[0].json, { domain: 'app.example.com' });
  assert.deepEqual(world.net.requests(PRIMARY), []);
  const [[, options]] = fake.calls;
  assert.equal(options.signal, controller.signal);
  assert.deepEqual(bytesOf(options.publicKey.challenge), [...CHALLENGE]);
  assert.deepEqual(bytesOf(options.publicKey.allowCredentials[0].id), [...CREDENTIAL_ID]);
  assert.equal(JSON.parse(world.net.requests(AUTHENTICATE)[0].json.public_key_credential).response.userHandle, null);
});

test('conditional mediation resolves null without autofill, or without a webauthn input; with one it asks for conditional mediation', async (t) => {
  await t.test('no autofill', async (t) => {
    const { world, fake, client } = await page(t, { autofill: false });
    assert.equal(await client.webauthn.browserSupportsAutofill(), false);
    assert.equal(await client.webauthn.authenticate({ session_duration_minutes: 30, conditional_mediation: true }), null);
    assert.equal(await client.webauthn.authenticate({ session_duration_minutes: 30, conditional_mediation: true, disable_input_check: true }), null);
    assert.deepEqual(world.net.log, []);
    assert.deepEqual(fake.calls, []);
  });
  await t.test('autofill without an input', async (t) => {
    const { world, fake, client } = await page(t, { autofill: true });
    world.tab.inputs.push({ autocomplete: 'username' });
    assert.equal(await client.webauthn.browserSupportsAutofill(), true);
    assert.equal(await client.webauthn.authenticate({ session_duration_minutes: 30, conditional_mediation: true }), null);
    assert.deepEqual(world.net.log, []);
    assert.deepEqual(fake.calls, []);
  });
  for (const [name, input, options] of [
    ['autofill with a webauthn input', { autocomplete: 'username webauthn' }, {}],
    ['autofill without an input, the check disabled', null, { disable_input_check: true }],
  ]) {
    await t.test(name, async (t) => {
      const { world, fake, client } = await page(t, { autofill: true });
      if (input) world.tab.inputs.push(input);
      world.net.on(PRIMARY, ok({ public_key_credential_request_options: requestOptions(std) }));
      world.net.on(AUTHENTICATE, authAnswer(world));
      await client.webauthn.authenticate({ session_duration_minutes: 30, conditional_mediation: true, ...options });
      assert.equal(fake.calls[0][1].mediation, 'conditional');
      assert.equal(world.net.requests(AUTHENTICATE).length, 1);
    });
  }
});

test('a cancelled ceremony is a retryable webauthn error and nothing is finished', async (t) => {
  for (const [name, reason, retryable] of [['NotAllowedError', 'cancelled', true], ['AbortError', 'cancelled', true], ['InvalidStateError', 'already_registered', false], ['SecurityError', 'failed', false]]) {
    await t.test(name, async (t) => {
      const { world, fake, client } = await page(t, { signedIn: true });
      fake.failure = new DOMException('The operation either timed out or was not allowed.', name);
      world.net.on(SECONDARY, ok({ public_key_credential_request_options: requestOptions(std) }));
      world.net.on(REGISTER_START, ok({ public_key_credential_creation_options: creationOptions(std) }));
      // `name` stays the class's; the DOMException's name is kept as `exception`.
      const expected = { kind: 'webauthn', reason, exception: name, name: 'LatchkeyError', retryable, message: 'The operation either timed out or was not allowed.' };
      await assert.rejects(client.webauthn.authenticate({ session_duration_minutes: 30 }), expected);
      await assert.rejects(client.webauthn.register(), expected);
      assert.deepEqual(world.net.requests(AUTHENTICATE), []);
      assert.deepEqual(world.net.requests(REGISTER), []);
    });
  }
});

test('options that are not JSON are an unreadable answer, not a ceremony', async (t) => {
  const { world, fake, client } = await page(t);
  world.net.on(PRIMARY, ok({ public_key_credential_request_options: '{not json' }));
  await assert.rejects(client.webauthn.authenticate({ session_duration_minutes: 30 }), { kind: 'api', status_code: 200, error_type: 'invalid_response', retryable: true });
  assert.deepEqual(fake.calls, []);
});

test('without WebAuthn in the browser: reason unsupported, no request', async (t) => {
  const { world, client } = await page(t, { signedIn: true, webauthn: false });
  const unsupported = { kind: 'webauthn', reason: 'unsupported', retryable: false };
  await assert.rejects(client.webauthn.authenticate({ session_duration_minutes: 30 }), unsupported);
  await assert.rejects(client.webauthn.register(), unsupported);
  assert.equal(await client.webauthn.browserSupportsAutofill(), false);
  assert.deepEqual(world.net.requests('/sdk/v1/webauthn*'), []);
});

test('authenticate refuses a signal that is not an AbortSignal, and a missing duration, before any request', async (t) => {
  const { world, fake, client } = await page(t);
  await assert.rejects(client.webauthn.authenticate({ session_duration_minutes: 30, signal: {} }), { kind: 'validation', field: 'signal' });
  await assert.rejects(client.webauthn.authenticate({}), { kind: 'validation', field: 'session_duration_minutes' });
  await assert.rejects(client.webauthn.authenticate(), { kind: 'validation', field: 'session_duration_minutes' });
  assert.deepEqual(world.net.log, []);
  assert.deepEqual(fake.calls, []);
});

test('a client destroyed while the start is in flight does not prompt for a passkey', async (t) => {
  const { world, fake, client } = await page(t, { signedIn: true });
  let started;
  world.net.on(REGISTER_START, () => new Promise((resolve) => { started = resolve; }));
  const register = client.webauthn.register();
  await flush();
  client.destroy();
  await assert.rejects(register, { kind: 'usage' });
  started(ok({ public_key_credential_creation_options: creationOptions(std) }));
  await flush();
  assert.deepEqual(fake.calls, []);
});
