// The seam from the JavaScript side, against the real kernel: the method
// table the kernel hands out is the one contract.js names, every public
// method runs on a row of it (driven once each), every field kind has a rule,
// and the numbers both sides compute (fingerprints, PKCE actions, URL
// sign-in ops, the snapshot layout) agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kernel from '../../pkg/dist/latchkey.js';
import {
  FINGERPRINT_VECTORS, FLAG_IN_PATH, KINDS, OAUTH_PROVIDERS, OPS, PKCE_CREATE, PKCE_DISCARD, PKCE_NOTHING, PKCE_SEND,
  AT_HASH, AT_LEN, AT_SIGNED_IN, EVENT_CLOSE, URL_SIGN_IN, fingerprint,
} from '../../pkg/contract.js';
import { RULES } from '../../pkg/validate.js';
import { browser, flush, loadKernel } from './platform.mjs';
import { PUBLIC_TOKEN, authAnswer, ok, openClient, refreshAnswer, sessionTokenOf, user } from './fixtures.mjs';

await loadKernel();

/** The kernel's table as the page reads it. */
const rows = kernel.table().split('\n').map((line) => {
  const [op, verb, path, signedInPath, answer, pkce, ...fields] = line.split(' ');
  return { op, verb, path, signedInPath, answer, pkce, fields: fields.map((f) => ({ name: f.slice(0, -3), kind: f.at(-2), flags: +f.at(-1) })) };
});

test('the kernel\'s table has exactly the ops contract.js lists, in order', () => {
  assert.deepEqual(rows.map((r) => r.op), OPS);
});

test('every field kind has a rule in validate.js, and every field of the table a kind', () => {
  assert.deepEqual(Object.keys(RULES).sort(), [...KINDS].sort());
  for (const kind of KINDS) assert.equal(typeof RULES[kind], 'function', kind);
  for (const row of rows) {
    for (const field of row.fields) {
      assert.ok(KINDS.includes(field.kind), `${row.op}.${field.name}: kind ${field.kind}`);
      assert.ok(field.flags >= 0 && field.flags < 16, `${row.op}.${field.name}: flags ${field.flags}`);
    }
  }
});

test('fingerprints: contract.js gives the vectors, and the kernel gives the same for a cookie token', () => {
  for (let i = 0; i < FINGERPRINT_VECTORS.length; i += 2) {
    const [text, expected] = [FINGERPRINT_VECTORS[i], FINGERPRINT_VECTORS[i + 1]];
    assert.equal(String(fingerprint(text)), expected, JSON.stringify(text));
    assert.ok(fingerprint(text) < 2 ** 53);
    if (!text) continue;
    // The kernel fingerprints the session cookie it starts from.
    const handle = kernel.open([3, 0, 180000, 20000, 0, 0, 0, 0, 1_700_000_000_000],
      ['stytch_session', 'stytch_session_jwt', '/', '', 'localhost', text, ''].join('\n'), []);
    const numbers = kernel.numbers(handle, 0);
    assert.equal(numbers.length, AT_LEN);
    assert.equal(numbers[AT_SIGNED_IN], 1);
    assert.equal(String(numbers[AT_HASH]), expected, JSON.stringify(text));
    kernel.event(handle, EVENT_CLOSE, 0, 0, 0);
  }
});

test('the kernel\'s PKCE actions and URL sign-in ops are the ones the page acts on', () => {
  assert.equal(kernel.pkce(true, true, false), PKCE_CREATE);
  assert.equal(kernel.pkce(true, true, true), PKCE_CREATE);
  assert.equal(kernel.pkce(true, false, true), PKCE_DISCARD);
  assert.equal(kernel.pkce(false, false, true), PKCE_SEND);
  assert.equal(kernel.pkce(false, true, false), PKCE_NOTHING);
  for (const [type, op] of Object.entries(URL_SIGN_IN)) {
    assert.equal(kernel.urlSignIn(type), op);
    assert.ok(OPS.includes(op));
  }
  for (const type of ['reset_password', 'discovery', 'otp', '']) assert.equal(kernel.urlSignIn(type) ?? null, null, type);
});

// ---- every public method, once

const ID = 'id-test_1';
/** What the fake API answers for each row (routes built from the table itself). */
function answerFor(world, row) {
  if (row.op === 'session.authenticate') return refreshAnswer(world);
  if (row.answer.startsWith('S')) return () => authAnswer(world);
  if (row.answer.startsWith('U')) return ok(user());
  if (row.op === 'project.bootstrap') return ok({ pkce_required_for_email_magic_links: true, pkce_required_for_password_resets: true });
  if (row.op === 'webauthn.register.start') {
    return ok({ public_key_credential_creation_options: JSON.stringify({ challenge: 'AAAA', user: { id: 'AQID', name: 'a', displayName: 'A' }, rp: { name: 'x' }, pubKeyCredParams: [] }) });
  }
  if (row.op === 'webauthn.authenticate.start') return ok({ public_key_credential_request_options: JSON.stringify({ challenge: 'AAAA' }) });
  return ok({ method_id: 'method-test-1' });
}

const passkey = {
  async create() {
    return { type: 'public-key', id: 'AQ', rawId: new Uint8Array([1]).buffer, response: { clientDataJSON: new Uint8Array([1]).buffer, attestationObject: new Uint8Array([2]).buffer } };
  },
  async get() {
    return { type: 'public-key', id: 'AQ', rawId: new Uint8Array([1]).buffer, response: { clientDataJSON: new Uint8Array([1]).buffer, authenticatorData: new Uint8Array([2]).buffer, signature: new Uint8Array([3]).buffer, userHandle: null } };
  },
};

/** Each public method with a call that succeeds: signed out first, then signed in, revoke last. */
function drivers(c) {
  const d = { session_duration_minutes: 60 };
  const drive = {
    'passwords.strengthCheck': () => c.passwords.strengthCheck({ password: 'x' }),
    'magicLinks.email.send': () => c.magicLinks.email.send('a@b.co'),
  };
  for (const channel of ['sms', 'whatsapp', 'email']) {
    const to = channel === 'email' ? 'a@b.co' : '+14155550123';
    drive[`otps.${channel}.loginOrCreate`] = () => c.otps[channel].loginOrCreate(to);
    drive[`otps.${channel}.send`] = () => c.otps[channel].send(to);
  }
  // A passkey sign-in: signed in from here on.
  Object.assign(drive, {
    'webauthn.authenticate': () => c.webauthn.authenticate(d),
    'passwords.create': () => c.passwords.create({ email: 'a@b.co', password: 'pw', ...d }),
    'passwords.authenticate': () => c.passwords.authenticate({ email: 'a@b.co', password: 'pw', ...d }),
    'passwords.resetByEmailStart': () => c.passwords.resetByEmailStart({ email: 'a@b.co' }),
    'passwords.resetByEmail': () => c.passwords.resetByEmail({ token: 't', password: 'pw', ...d }),
    'passwords.resetByExistingPassword': () => c.passwords.resetByExistingPassword({ email: 'a@b.co', existing_password: 'a', new_password: 'b', ...d }),
    'passwords.resetBySession': () => c.passwords.resetBySession({ password: 'pw', ...d }),
    'magicLinks.email.loginOrCreate': () => c.magicLinks.email.loginOrCreate('a@b.co'),
    'magicLinks.authenticate': () => c.magicLinks.authenticate('t', d),
    'otps.authenticate': () => c.otps.authenticate('123456', 'method-test-1', d),
    'oauth.authenticate': () => c.oauth.authenticate('t', d),
    'webauthn.browserSupportsAutofill': () => c.webauthn.browserSupportsAutofill(),
    'authenticateByUrl': () => c.authenticateByUrl(d, 'http://localhost:5173/?stytch_token_type=magic_links&token=t'),
    'parseAuthenticateUrl': () => c.parseAuthenticateUrl(),
    'session.authenticate': () => c.session.authenticate(),
    'session.updateSession': () => c.session.updateSession({ session_token: 'session-token-test-adopted' }),
    'user.get': () => c.user.get(),
    'user.update': () => c.user.update({ name: { first_name: 'A' } }),
    'user.deleteEmail': () => c.user.deleteEmail(ID),
    'user.deletePhoneNumber': () => c.user.deletePhoneNumber(ID),
    'user.deleteTOTP': () => c.user.deleteTOTP(ID),
    'user.deleteOAuthRegistration': () => c.user.deleteOAuthRegistration(ID),
    'user.deleteWebauthnRegistration': () => c.user.deleteWebauthnRegistration(ID),
    'webauthn.register': () => c.webauthn.register(),
    'webauthn.update': () => c.webauthn.update({ webauthn_registration_id: ID, name: 'Laptop' }),
    'totps.create': () => c.totps.create(),
    'totps.authenticate': () => c.totps.authenticate({ totp_code: '123456', ...d }),
    'totps.recoveryCodes': () => c.totps.recoveryCodes(),
    'totps.recover': () => c.totps.recover({ recovery_code: 'r', ...d }),
  });
  for (const provider of OAUTH_PROVIDERS) drive[`oauth.${provider}.start`] = () => c.oauth[provider].start();
  drive['session.revoke'] = () => c.session.revoke();
  return drive;
}

/** The dotted names of every function on the client. */
function methodsOf(object, prefix = '') {
  return Object.entries(object).flatMap(([key, value]) => {
    if (typeof value === 'function') return [`${prefix}${key}`];
    if (value && typeof value === 'object' && !(value instanceof Promise)) return methodsOf(value, `${prefix}${key}.`);
    return [];
  });
}

test('every public method runs on its row of the table: driven once each, every row with a request is requested', async (t) => {
  const world = browser(t, { webauthn: { autofill: false }, credentials: passkey });
  for (const row of rows) {
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(row.verb)) continue;
    const value = row.fields.some((f) => f.flags & FLAG_IN_PATH) ? (row.op === 'project.bootstrap' ? PUBLIC_TOKEN : ID) : null;
    for (const path of [row.path, row.signedInPath].filter((p) => p !== '-')) {
      world.net.on(`${row.verb} /sdk/v1${value ? path.replace('{}', value) : path}`, answerFor(world, row));
    }
  }
  const { client } = openClient(world);
  await client.ready;
  await flush();
  const drive = drivers(client);
  const notCalls = ['ready', 'session.getSync', 'session.getInfo', 'session.getTokens', 'session.onChange', 'user.getSync', 'user.getInfo', 'user.onChange', 'onStateChange', 'destroy'];
  assert.deepEqual(methodsOf(client).filter((m) => !notCalls.includes(m)).sort(), Object.keys(drive).sort(), 'every public call has a driver here');
  for (const [name, call] of Object.entries(drive)) {
    try {
      await call();
    } catch (e) {
      assert.fail(`${name} rejected: ${e.kind ?? e.name}: ${e.message}`);
    }
  }
  // The adopted session (updateSession) was confirmed with its own token.
  assert.ok(world.net.requests('POST /sdk/v1/sessions/authenticate').some((r) => sessionTokenOf(r) === 'session-token-test-adopted'));
  const requested = new Set(world.net.log.map((r) => `${r.method} ${r.path}`));
  for (const row of rows) {
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(row.verb)) continue;
    const value = row.op === 'project.bootstrap' ? PUBLIC_TOKEN : ID;
    for (const path of [row.path, row.signedInPath].filter((p) => p !== '-')) {
      const route = `${row.verb} /sdk/v1${path.replace('{}', value)}`;
      // These ran signed out here (flows.test.mjs takes their signed-in paths).
      if (path === row.signedInPath) continue;
      assert.ok(requested.has(route), `${row.op}: ${route} was requested`);
    }
  }
  assert.deepEqual(world.tab.navigations.map((u) => new URL(u).pathname), OAUTH_PROVIDERS.map((p) => `/v1/public/oauth/${p}/start`));
});
