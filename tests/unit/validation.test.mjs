// Input rules, through the public methods: every field kind's refusals
// (the cases of the Rust validation tests this package replaced:
// src/core/validate.rs, schema.rs and options.rs at 6495998), the values
// each kind lets through to the wire, unknown options, and createClient's
// options. A refused call sends nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browser, flush, loadKernel } from './platform.mjs';
import { BASE, PUBLIC_TOKEN, authAnswer, ok, openClient, refreshAnswer } from './fixtures.mjs';
import { RULES } from '../../pkg/validate.js';
import { makeClient } from '../../pkg/client.js';

const EMAIL = 'must be an email address like name@example.com';
const PHONE = 'must be a phone number in E.164 format, like +14155550123';
const BOOTSTRAP = `GET /sdk/v1/projects/bootstrap/${PUBLIC_TOKEN}`;

async function page(t, options = {}) {
  const world = browser(t);
  world.net.on(BOOTSTRAP, ok({ pkce_required_for_email_magic_links: false, pkce_required_for_password_resets: false }));
  const opened = openClient(world, { options });
  await opened.client.ready;
  return { world, ...opened };
}

/** The validation error `promise` rejects with: `[field, message]`. */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.kind, 'validation', `${e.kind}: ${e.message}`);
    assert.equal(e.retryable, false);
    return [e.field, e.message];
  }
  return assert.fail('the call was not refused');
}

test('emails', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/otps/email/login_or_create', ok({ method_id: 'email-test-1' }));
  const good = ['a@b.co', 'first.last+tag@sub.example.com', 'x_y-z@xn--bcher-kva.example', '名前@例え.jp'];
  for (const email of good) await client.otps.email.loginOrCreate(email);
  assert.deepEqual(world.net.log.map((r) => r.json.email), good, 'accepted as typed');
  const bad = ['', 'plain', '@example.com', 'a@', 'a@b', 'a@b.c', 'a b@c.com', 'a@b..com', '.a@b.com', 'a.@b.com', 'a..b@c.com',
    'a@-b.com', 'a@b-.com', 'a@b.123', 'a@@b.com', 'a@b.com\n', 'a"b@c.com', 'a@b_c.com', `${'a'.repeat(65)}@b.com`];
  for (const email of bad) assert.deepEqual(await refusal(client.otps.email.loginOrCreate(email)), ['email', EMAIL], JSON.stringify(email));
  assert.deepEqual(await refusal(client.otps.email.loginOrCreate(42)), ['email', 'must be a string']);
  assert.equal(world.net.log.length, good.length);
});

test('phone numbers', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/otps/sms/login_or_create', ok({ method_id: 'phone-number-test-1' }));
  world.net.on('POST /sdk/v1/otps/whatsapp/send/primary', ok({ method_id: 'phone-number-test-1' }));
  for (const phone of ['+14155550123', '+447700900123', '+3361234567']) await client.otps.sms.loginOrCreate(phone);
  await client.otps.whatsapp.send('+14155550123', { expiration_minutes: 10, locale: 'en' });
  assert.deepEqual(world.net.log.at(-1).json, { phone_number: '+14155550123', expiration_minutes: 10, locale: 'en' });
  for (const phone of ['', '14155550123', '+', '+0415555012', '+1 415 555 0123', '+1415555012345678', '+123456', '+1415555O123']) {
    assert.deepEqual(await refusal(client.otps.sms.loginOrCreate(phone)), ['phone_number', PHONE], phone);
  }
  assert.equal(world.net.log.length, 4);
});

test('minutes: session duration 5..527040, link expiry 5..10080, code expiry 1..10, TOTP expiry 5..1440', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/passwords/authenticate', () => authAnswer(world));
  world.net.on('POST /sdk/v1/magic_links/email/login_or_create', ok());
  world.net.on('POST /sdk/v1/otps/email/login_or_create', ok());
  const login = (minutes) => client.passwords.authenticate({ email: 'a@b.co', password: 'pw', session_duration_minutes: minutes });
  await login(5);
  await login(527_040);
  const duration = 'must be a whole number of minutes from 5 to 527040 (one year)';
  for (const minutes of [4, 527_041, -60, 60.5, '60', NaN, Infinity, true]) {
    assert.deepEqual(await refusal(login(minutes)), ['session_duration_minutes', duration], String(minutes));
  }
  await client.magicLinks.email.loginOrCreate('a@b.co', { login_expiration_minutes: 10_080, signup_expiration_minutes: 5 });
  assert.deepEqual(await refusal(client.magicLinks.email.loginOrCreate('a@b.co', { login_expiration_minutes: 10_081 })),
    ['login_expiration_minutes', 'must be a whole number of minutes from 5 to 10080']);
  await client.otps.email.loginOrCreate('a@b.co', { expiration_minutes: 10 });
  assert.deepEqual(await refusal(client.otps.email.loginOrCreate('a@b.co', { expiration_minutes: 11 })),
    ['expiration_minutes', 'must be a whole number of minutes from 1 to 10']);
  assert.deepEqual(await refusal(client.otps.email.loginOrCreate('a@b.co', { expiration_minutes: 0 })),
    ['expiration_minutes', 'must be a whole number of minutes from 1 to 10']);
  // TOTP expiry is checked before the session is (which this page lacks).
  assert.deepEqual(await refusal(client.totps.create({ expiration_minutes: 1441 })), ['expiration_minutes', 'must be a whole number of minutes from 5 to 1440']);
  assert.deepEqual(await refusal(client.totps.create({ expiration_minutes: 4 })), ['expiration_minutes', 'must be a whole number of minutes from 5 to 1440']);
  assert.deepEqual(world.net.log.map((r) => r.path), [
    '/sdk/v1/passwords/authenticate', '/sdk/v1/passwords/authenticate', `/sdk/v1/projects/bootstrap/${PUBLIC_TOKEN}`,
    '/sdk/v1/magic_links/email/login_or_create', '/sdk/v1/otps/email/login_or_create',
  ]);
});

test('redirect URLs, texts, codes and OAuth providers', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/magic_links/email/login_or_create', ok());
  for (const url of ['http://localhost:5173/authenticate', 'https://app.test/x?y=1#z']) {
    await client.magicLinks.email.loginOrCreate('a@b.co', { login_magic_link_url: url });
    assert.equal(world.net.log.at(-1).json.login_magic_link_url, url);
  }
  for (const url of ['', '/authenticate', 'javascript:alert(1)', 'https://app.test/a b', 'https://', 'ftp://app.test/', 'https://user:pw@app.test/']) {
    assert.deepEqual(await refusal(client.magicLinks.email.loginOrCreate('a@b.co', { signup_magic_link_url: url })),
      ['signup_magic_link_url', 'must be an absolute http(s) URL'], url);
  }
  const auth = (password) => client.passwords.authenticate({ email: 'a@b.co', password, session_duration_minutes: 60 });
  assert.deepEqual(await refusal(auth('  ')), ['password', 'must not be empty']);
  assert.deepEqual(await refusal(auth('')), ['password', 'must not be empty']);
  assert.deepEqual(await refusal(auth(12345678)), ['password', 'must be a string']);
  for (const code of ['12345', '12345a', '1234567', ' 123456']) {
    assert.deepEqual(await refusal(client.otps.authenticate(code, 'phone-number-test-1', { session_duration_minutes: 60 })), ['token', 'must be the 6-digit code'], code);
  }
  assert.deepEqual(await refusal(client.otps.authenticate('123456', '', { session_duration_minutes: 60 })), ['method_id', 'must not be empty']);
  assert.equal(RULES.v('github'), '');
  assert.match(RULES.v('myspace'), /^must be one of google/);
  assert.equal(world.net.requests('POST /sdk/v1/magic_links/email/login_or_create').length, 2);
  assert.equal(world.net.requests('POST /sdk/v1/passwords/authenticate').length, 0);
});

test('the other kinds: name, object, string list, boolean, id, authenticator type', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/passwords/authenticate', authAnswer(world));
  await client.passwords.authenticate({ email: 'a@b.co', password: 'pw', session_duration_minutes: 60 });
  world.net.on('PUT /sdk/v1/users/me', ok());
  await client.user.update({ name: { first_name: 'Ada', last_name: null }, untrusted_metadata: { any: [1] } });
  assert.deepEqual(world.net.log.at(-1).json, { name: { first_name: 'Ada', last_name: null }, untrusted_metadata: { any: [1] } });
  const NAME = 'must be {first_name?, middle_name?, last_name?} with string values';
  for (const name of [{ nick: 'x' }, { first_name: 1 }, 'Ada', ['Ada']]) {
    assert.deepEqual(await refusal(client.user.update({ name })), ['name', NAME], JSON.stringify(name));
  }
  for (const metadata of [[], 'x', 1]) {
    assert.deepEqual(await refusal(client.user.update({ untrusted_metadata: metadata })), ['untrusted_metadata', 'must be an object']);
  }
  assert.deepEqual(await refusal(client.oauth.google.start({ custom_scopes: ['a', 1] })), ['custom_scopes', 'must be an array of strings']);
  assert.deepEqual(await refusal(client.oauth.google.start({ custom_scopes: 'a b' })), ['custom_scopes', 'must be an array of strings']);
  assert.deepEqual(await refusal(client.oauth.google.start({ provider_params: [] })), ['provider_params', 'must be an object']);
  assert.deepEqual(await refusal(client.session.revoke({ forceClear: 'true' })), ['forceClear', 'must be true or false']);
  assert.deepEqual(await refusal(client.webauthn.authenticate({ session_duration_minutes: 60, is_passkey: 1 })), ['is_passkey', 'must be true or false']);
  for (const id of ['a/b', '../users', 'a b', '', 'id?x']) {
    assert.deepEqual(await refusal(client.user.deleteEmail(id)), ['email_id', 'must be an id (letters, digits, - and _)'], id);
  }
  assert.deepEqual(await refusal(client.user.deletePhoneNumber(undefined)), ['phone_id', 'is required']);
  assert.deepEqual(await refusal(client.webauthn.register({ authenticator_type: 'usb' })), ['authenticator_type', "must be 'platform' or 'cross-platform'"]);
  assert.equal(world.net.log.length, 2, 'the sign-in and the one update');
  assert.deepEqual(world.tab.navigations, []);
});

test('unknown, missing and mistyped options name their field; null reads as absent', async (t) => {
  const { world, client } = await page(t);
  world.net.on('POST /sdk/v1/passwords/authenticate', authAnswer(world));
  world.net.on('POST /sdk/v1/otps/email/login_or_create', ok());
  const login = (options) => client.passwords.authenticate(options);
  const good = { email: 'a@b.co', password: 'pw', session_duration_minutes: 60 };
  assert.deepEqual(await refusal(login({ password: 'pw', session_duration_minutes: 60 })), ['email', 'is required']);
  assert.deepEqual(await refusal(login({ ...good, email: null })), ['email', 'is required']);
  assert.deepEqual(await refusal(login({ ...good, sesion: 1 })), ['sesion', 'is not an option of this method']);
  assert.deepEqual(await refusal(login({ ...good, sesion: undefined })), ['sesion', 'is not an option of this method']);
  assert.deepEqual(await refusal(login({ ...good, email: 'nope' })), ['email', EMAIL]);
  for (const options of [[1], 'options', 42, true]) {
    assert.deepEqual(await refusal(login(options)), ['options', 'must be an object'], JSON.stringify(options));
  }
  assert.deepEqual(await refusal(client.otps.email.loginOrCreate('a@b.co', { locale: 5 })), ['locale', 'must be a string']);
  assert.deepEqual(await refusal(client.otps.email.loginOrCreate('a@b.co', 'en')), ['options', 'must be an object']);
  assert.deepEqual(world.net.log, []);
  // The body follows the table's order and leaves absent options out.
  await login({ session_duration_minutes: 60, password: 'pw', email: 'a@b.co' });
  assert.equal(world.net.log[0].body, '{"email":"a@b.co","password":"pw","session_duration_minutes":60}');
  await client.otps.email.loginOrCreate('a@b.co', { locale: null, expiration_minutes: undefined, login_template_id: 'tpl' });
  assert.equal(world.net.log[1].body, '{"email":"a@b.co","login_template_id":"tpl"}');
});

test('createClient options: defaults by token, every option applied', async (t) => {
  await t.test('test and live tokens default to Stytch\'s hosts', async (t) => {
    const world = browser(t);
    world.net.on('POST /sdk/v1/passwords/strength_check', ok());
    for (const [token, host] of [['public-token-test-1', 'https://test.stytch.com'], ['public-token-live-1', 'https://api.stytch.com']]) {
      const { client } = openClient(world, { token, options: { baseUrl: undefined } });
      await client.passwords.strengthCheck({ password: 'x' });
      assert.equal(world.net.log.at(-1).url, `${host}/sdk/v1/passwords/strength_check`);
      client.destroy();
    }
  });
  await t.test('baseUrl without its trailing slash, cookie options, refresh interval, request timeout; null options ignored', async (t) => {
    const world = browser(t, { url: 'https://app.example.com/app/page' });
    const { client } = openClient(world, {
      options: {
        baseUrl: `${BASE}/`, keepSessionAlive: true, refreshIntervalMs: 2000, requestTimeoutMs: 5000, ignored: null,
        cookieOptions: { opaqueTokenCookieName: 'sess', jwtCookieName: 'sess_jwt', path: '/app', domain: 'example.com', availableToSubdomains: true },
      },
    });
    await client.ready;
    await flush();
    world.net.on('POST /sdk/v1/passwords/authenticate', authAnswer(world));
    await client.passwords.authenticate({ email: 'a@b.co', password: 'pw', session_duration_minutes: 60 });
    assert.equal(world.net.log[0].url, `${BASE}/sdk/v1/passwords/authenticate`);
    const written = world.jar.all().map((c) => [c.name, c.domain, c.path, c.hostOnly, c.secure]);
    assert.deepEqual(written.sort(), [['sess', 'example.com', '/app', false, true], ['sess_jwt', 'example.com', '/app', false, true]]);
    const gate = world.net.gate('POST /sdk/v1/sessions/authenticate');
    await world.clock.advance(1999);
    assert.equal(gate.requests.length, 0);
    await world.clock.advance(1);
    assert.deepEqual(gate.requests.map((r) => r.request.json), [{ session_duration_minutes: 60 }], 'keepSessionAlive re-sends the duration');
    // Unanswered, it times out after 5 s and is retried within the first backoff (1–2 s).
    await world.clock.advance(4999);
    assert.equal(gate.requests.length, 1);
    await world.clock.advance(2001);
    assert.equal(gate.requests.length, 2, 'the retry after the timeout');
    gate.requests[1].answer(refreshAnswer(world)(gate.requests[1].request));
    await flush();
    assert.notEqual(client.session.getSync(), null, 'a timed-out refresh keeps the session');
    world.net.on('POST /sdk/v1/sessions/revoke', ok());
    await client.session.revoke();
    assert.deepEqual(world.jar.all(), [], 'sign-out removes the cookies written with that domain and path');
  });
});

test('bad createClient options reject ready and every call, naming the field; nothing runs', async (t) => {
  const cases = [
    [{ baseUrl: 'localhost:8787' }, 'baseUrl'],
    [{ baseUrl: 'http://x.test/?a' }, 'baseUrl'],
    [{ keepSessionAlive: 'yes' }, 'keepSessionAlive'],
    [{ refreshIntervalMs: 999 }, 'refreshIntervalMs'],
    [{ refreshIntervalMs: 600000 }, 'refreshIntervalMs'],
    [{ refreshIntervalMs: 1500.5 }, 'refreshIntervalMs'],
    [{ refreshIntervalMs: 'NaN' }, 'refreshIntervalMs'],
    [{ requestTimeoutMs: '20s' }, 'requestTimeoutMs'],
    [{ cookieOptions: { path: 'app' } }, 'cookieOptions.path'],
    [{ cookieOptions: { opaqueTokenCookieName: 'a b' } }, 'cookieOptions.opaqueTokenCookieName'],
    [{ cookieOptions: { domain: 'x.test; Secure' } }, 'cookieOptions.domain'],
    [{ cookieOptions: { jwtCookieName: 'stytch_session' } }, 'cookieOptions.jwtCookieName'],
    [{ cookieOptions: { colour: 'red' } }, 'cookieOptions.colour'],
    [{ cookieOptions: [] }, 'cookieOptions'],
    [{ basUrl: 'http://localhost' }, 'basUrl'],
    [[], 'options'],
  ];
  const world = browser(t);
  for (const [options, field] of cases) {
    const client = makeClient(PUBLIC_TOKEN, options, loadKernel, () => {});
    assert.equal((await refusal(client.ready))[0], field, JSON.stringify(options));
    assert.equal((await refusal(client.passwords.strengthCheck({ password: 'x' })))[0], field);
    assert.equal(client.session.getSync(), null);
  }
  for (const token of ['', 'has space', 'a:b', 42]) {
    const client = makeClient(token, {}, loadKernel, () => {});
    assert.equal((await refusal(client.ready))[0], 'publicToken', JSON.stringify(token));
  }
  await flush();
  assert.deepEqual(world.net.log, []);
  assert.equal(world.tab.listenerCount(), 0, 'no client attached to the page');
  assert.equal(world.store.size, 0);
});
