// Authenticator apps (totps.*): the test plays the app with its own RFC 6238
// generator (checked first against the RFC's own vectors), reads the QR code
// the server drew, and drives the real server through the SDK in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import { base32Decode, freshStep, hotp, readQrCode, timeStep, totp } from '../support/totp.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, quietPeriod, waitFor, observable,
  twoSignedInTabs, recordApi, answered, basic,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const RECOVERY_CODE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;
const body = (entry) => (entry.body === null ? null : JSON.parse(entry.body));
const paths = (log) => log.map((e) => `${e.method} ${e.path}`);
const types = (session) => session.authentication_factors.map((f) => f.type);

/** The code an authenticator app shows now for `secret`, with enough of its 30 s left to be used. */
async function codeNow(secret) {
  await freshStep();
  return totp(secret);
}

/** A signed-up page with an authenticator app set up (created, not yet confirmed). */
async function withTotp(context, options) {
  const page = await openClient(context, server);
  const signedUp = await signUp(page);
  const created = await mustInPage(page, (c, o) => c.totps.create(o), options);
  return { page, created, ...signedUp };
}

const confirm = (page, code) => inPage(page, (c, totp_code) => c.totps.authenticate({ totp_code, session_duration_minutes: 60 }), code);

test('the test\'s own generator: RFC 4648 base32 and RFC 6238 Appendix B (SHA-1 rows)', () => {
  assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
  assert.equal(base32Decode('mzxw6ytb').toString(), 'fooba');
  // RFC 6238's SHA-1 seed is the ASCII "12345678901234567890"; its base32 form:
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(base32Decode(secret).toString(), '12345678901234567890');
  const vectors = [
    [59, '0000000000000001', '94287082'],
    [1111111109, '00000000023523EC', '07081804'],
    [1111111111, '00000000023523ED', '14050471'],
    [1234567890, '000000000273EF07', '89005924'],
    [2000000000, '0000000003F940AA', '69279037'],
    [20000000000, '0000000027BC86AA', '65353130'],
  ];
  for (const [unixSeconds, step, code] of vectors) {
    assert.equal(timeStep(unixSeconds), Number.parseInt(step, 16), `T at ${unixSeconds}`);
    assert.equal(totp(secret, { unixSeconds, digits: 8 }), code, `code at ${unixSeconds}`);
  }
  // The 6-digit codes apps show are the last six digits of the same value.
  assert.equal(totp(secret, { unixSeconds: 59 }), '287082');
  // RFC 4226 Appendix D, counter 0 and 9.
  assert.equal(hotp(Buffer.from('12345678901234567890'), 0), '755224');
  assert.equal(hotp(Buffer.from('12345678901234567890'), 9), '520489');
});

test('password sign-up → totps.create() → totps.authenticate with the app\'s code: the same session with password and totp, the TOTP verified, every tab once', async () => {
  const context = await browser.newContext();
  const { page, other, email, response: signedUp } = await twoSignedInTabs(context, server);
  await quietPeriod();
  const log = recordApi(context, '/sdk/v1/totps');

  const created = await mustInPage(page, (c) => c.totps.create());
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/totps']);
  assert.deepEqual(body(log[0]), {});
  assert.equal(log[0].authorization, basic(server.publicToken, signedUp.session_token));
  assert.match(created.totp_id, /^totp-test-/);
  assert.equal(created.user_id, signedUp.user_id);
  assert.match(created.secret, /^[A-Z2-7]{32}$/, '160 bits in base32');
  assert.equal(base32Decode(created.secret).length, 20);
  assert.equal(created.recovery_codes.length, 10);
  for (const code of created.recovery_codes) assert.match(code, RECOVERY_CODE);
  assert.equal(new Set(created.recovery_codes).size, 10, 'all different');
  assert.equal('__user' in created, false);

  // The QR code is a PNG holding the otpauth:// URI an app needs.
  assert.ok(created.qr_code.startsWith('data:image/png;base64,'), created.qr_code.slice(0, 40));
  const png = Buffer.from(created.qr_code.slice('data:image/png;base64,'.length), 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const uri = new URL(await readQrCode(page, created.qr_code));
  // The project's name, from the bootstrap the SDK reads (asked as the page's origin).
  const bootstrap = await fetch(`${server.url}/sdk/v1/projects/bootstrap/${server.publicToken}`, {
    headers: { authorization: basic(server.publicToken), origin: server.url },
  });
  const project = (await bootstrap.json()).data.project_name;
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), `/${project.replaceAll(':', '-')}:${email}`);
  assert.equal(uri.searchParams.get('secret'), created.secret);
  assert.equal(uri.searchParams.get('issuer'), project.replaceAll(':', '-'));

  // __user refreshed the cached user: the unconfirmed TOTP, on every tab, told once.
  for (const tab of [page, other]) {
    await waitFor(async () => (await snapshot(tab)).user?.totps.length === 1, { timeoutMs: 1000, message: 'the TOTP in every tab' });
  }
  await quietPeriod();
  for (const tab of [page, other]) {
    const s = await snapshot(tab);
    assert.deepEqual(s.user.totps, [{ totp_id: created.totp_id, verified: false }]);
    assert.deepEqual(s.counts, { session: 1, user: 2, state: 2 }, 'a user notification, not a session one');
  }

  log.length = 0;
  const code = await codeNow(created.secret);
  const { value: data, error } = await confirm(page, code);
  assert.equal(error, undefined, JSON.stringify(error));
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/totps/authenticate']);
  // protocol.md §3: captcha and DFP fields are absent without captcha.
  assert.deepEqual(body(log[0]), { totp_code: code, session_duration_minutes: 60 });
  assert.equal(data.totp_id, created.totp_id);
  assert.equal(data.session.session_id, signedUp.session.session_id, 'the password session, extended');
  assert.equal(data.session_token, signedUp.session_token);
  assert.deepEqual(types(data.session), ['password', 'totp']);
  const factor = data.session.authentication_factors[1];
  assert.equal(factor.delivery_method, 'authenticator_app');
  assert.deepEqual(factor.authenticator_app_factor, { totp_id: created.totp_id });
  assert.deepEqual(data.user.totps, [{ totp_id: created.totp_id, verified: true }]);
  assert.equal('__user' in data, false);
  for (const tab of [page, other]) {
    await waitFor(async () => (await snapshot(tab)).session?.authentication_factors.length === 2, { timeoutMs: 1000, message: 'both factors in every tab' });
  }
  await quietPeriod();
  for (const tab of [page, other]) {
    const s = await snapshot(tab);
    assert.deepEqual(s.session, data.session);
    assert.deepEqual(s.user, data.user);
    assert.deepEqual(s.counts, { session: 2, user: 3, state: 3 });
  }
  const jar = await context.cookies(server.url);
  assert.equal(jar.find((c) => c.name === 'stytch_session')?.value, data.session_token);
  assert.equal(jar.find((c) => c.name === 'stytch_session_jwt')?.value, data.session_jwt);

  // A verified TOTP is the user's one: a second create is refused.
  const again = await inPage(page, (c) => c.totps.create({ expiration_minutes: 10 }));
  assert.equal(again.error?.kind, 'api');
  assert.equal(again.error.error_type, 'active_totp_exists');
  assert.equal(again.error.status_code, 400);
  await context.close();
});

test('a wrong code is unable_to_authenticate_totp: the session untouched, nobody notified; the right code still works', async () => {
  const context = await browser.newContext();
  const { page, created } = await withTotp(context);
  await quietPeriod();
  const before = await observable(context, [page]);
  const right = await codeNow(created.secret);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
  const { error } = await confirm(page, wrong);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unable_to_authenticate_totp');
  assert.equal(error.status_code, 401);
  assert.equal(error.isLatchkeyError, true);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  assert.equal((await confirm(page, right)).error, undefined);
  await context.close();
});

test('a code works once: the same code again is totp_code_already_authenticated and changes nothing', async () => {
  const context = await browser.newContext();
  const { page, created } = await withTotp(context);
  const code = await codeNow(created.secret);
  const first = await confirm(page, code);
  assert.deepEqual(types(first.value.session), ['password', 'totp']);
  await quietPeriod();
  const before = await observable(context, [page]);
  const { error } = await confirm(page, code);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'totp_code_already_authenticated');
  assert.equal(error.status_code, 401);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});

test('recovery codes: recoveryCodes() issues ten new ones (the old ones retire); recover signs in once, a second use is refused', async () => {
  const context = await browser.newContext();
  const { page, created, email, password } = await withTotp(context);
  await confirm(page, await codeNow(created.secret));
  const log = recordApi(page, '/sdk/v1/totps');

  const listed = await mustInPage(page, (c) => c.totps.recoveryCodes());
  await answered(log);
  assert.deepEqual(paths(log), ['POST /sdk/v1/totps/recovery_codes']);
  assert.equal(log[0].body, null, 'no body at all');
  assert.equal(listed.user_id, created.user_id);
  assert.equal(listed.totps.length, 1);
  assert.equal(listed.totps[0].totp_id, created.totp_id);
  assert.equal(listed.totps[0].verified, true);
  const codes = listed.totps[0].recovery_codes;
  assert.equal(codes.length, 10);
  for (const code of codes) assert.match(code, RECOVERY_CODE);
  assert.equal(codes.filter((c) => created.recovery_codes.includes(c)).length, 0, 'a fresh set (a known difference from Stytch)');

  // The person lost their phone: password, then a recovery code.
  await mustInPage(page, (c) => c.session.revoke());
  const signedIn = await mustInPage(page, (c, a) => c.passwords.authenticate({ ...a, session_duration_minutes: 60 }), { email, password });
  const retired = await inPage(page, (c, recovery_code) => c.totps.recover({ recovery_code, session_duration_minutes: 60 }), created.recovery_codes[0]);
  assert.equal(retired.error?.error_type, 'unable_to_authenticate_recovery_code', 'the creation codes were retired');
  log.length = 0;
  const recovered = await mustInPage(page, (c, recovery_code) => c.totps.recover({ recovery_code, session_duration_minutes: 60 }), codes[3]);
  await answered(log);
  assert.deepEqual(body(log[0]), { recovery_code: codes[3], session_duration_minutes: 60 });
  assert.equal(recovered.totp_id, created.totp_id);
  assert.equal(recovered.session.session_id, signedIn.session.session_id);
  assert.deepEqual(types(recovered.session), ['password', 'recovery_codes']);
  const factor = recovered.session.authentication_factors[1];
  assert.equal(factor.delivery_method, 'recovery_code');
  assert.match(factor.recovery_code_factor.totp_recovery_code_id, /^totp-recovery-code-test-/);
  assert.equal('__user' in recovered, false);
  await quietPeriod();
  assert.deepEqual((await snapshot(page)).session, recovered.session);

  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, recovery_code) => c.totps.recover({ recovery_code, session_duration_minutes: 60 }), codes[3]);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unable_to_authenticate_recovery_code');
  assert.equal(error.status_code, 401);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  // Another code of the set still works.
  assert.equal((await inPage(page, (c, recovery_code) => c.totps.recover({ recovery_code, session_duration_minutes: 60 }), codes[4])).error, undefined);
  await context.close();
});

test('five wrong codes lock the TOTP: then even the right code is too_many_requests (429)', async () => {
  const context = await browser.newContext();
  const { page, created } = await withTotp(context);
  const right = await codeNow(created.secret);
  const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
  const errors = [];
  for (let i = 0; i < 5; i += 1) errors.push((await confirm(page, wrong)).error?.error_type);
  assert.deepEqual(errors, Array(5).fill('unable_to_authenticate_totp'));
  const { error } = await confirm(page, right);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'too_many_requests');
  assert.equal(error.status_code, 429);
  assert.deepEqual(types((await snapshot(page)).session), ['password']);
  await context.close();
});

test('without a session every totps call is a usage error, and bad options validation errors, all before any request', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const log = recordApi(page);
  for (const call of [
    (c) => c.totps.create(),
    (c) => c.totps.authenticate({ totp_code: '123456', session_duration_minutes: 60 }),
    (c) => c.totps.recoveryCodes(),
    (c) => c.totps.recover({ recovery_code: 'abcd-efgh-2345', session_duration_minutes: 60 }),
  ]) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'usage', `${call}: ${JSON.stringify(error)}`);
    assert.match(error.message, /sign in/i);
  }
  await signUp(page);
  log.length = 0;
  for (const [call, field] of [
    [(c) => c.totps.create({ expiration_minutes: 4 }), 'expiration_minutes'],
    [(c) => c.totps.create({ expiration_minutes: 1441 }), 'expiration_minutes'],
    [(c) => c.totps.authenticate({ totp_code: 123456, session_duration_minutes: 60 }), 'totp_code'],
    [(c) => c.totps.authenticate({ totp_code: '12345', session_duration_minutes: 60 }), 'totp_code'],
    [(c) => c.totps.authenticate({ totp_code: '123456' }), 'session_duration_minutes'],
    [(c) => c.totps.recover({ session_duration_minutes: 60 }), 'recovery_code'],
    [(c) => c.totps.recover({ recovery_code: 'abcd-efgh-2345', session_duration_minutes: 60, remember: true }), 'remember'],
  ]) {
    const { error } = await inPage(page, call);
    assert.equal(error?.kind, 'validation', `${call}: ${JSON.stringify(error)}`);
    assert.equal(error.field, field, call.toString());
  }
  await quietPeriod();
  assert.deepEqual(log, [], 'nothing sent');
  await context.close();
});

test('user.deleteTOTP removes it with its recovery codes (user.onChange once, no __user); a new one can be set up', async () => {
  const context = await browser.newContext();
  const { page, created } = await withTotp(context, { expiration_minutes: 30 });
  await confirm(page, await codeNow(created.secret));
  await quietPeriod();
  const before = (await snapshot(page)).counts;
  const log = recordApi(page);

  const deleted = await mustInPage(page, (c, id) => c.user.deleteTOTP(id), created.totp_id);
  await answered(log);
  assert.deepEqual(paths(log), [`DELETE /sdk/v1/users/totps/${created.totp_id}`]);
  assert.equal(log[0].body, null);
  assert.equal('__user' in deleted, false);
  assert.deepEqual(deleted.user.totps, []);
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.user, deleted.user);
  assert.equal(s.counts.user, before.user + 1, 'user.onChange once');
  assert.equal(s.counts.session, before.session);

  const code = await inPage(page, (c) => c.totps.authenticate({ totp_code: '000000', session_duration_minutes: 60 }));
  assert.equal(code.error?.error_type, 'totp_not_found');
  assert.equal(code.error.status_code, 404);
  const recovery = await inPage(page, (c, recovery_code) => c.totps.recover({ recovery_code, session_duration_minutes: 60 }), created.recovery_codes[0]);
  assert.equal(recovery.error?.error_type, 'totp_not_found');
  const gone = await inPage(page, (c, id) => c.user.deleteTOTP(id), created.totp_id);
  assert.equal(gone.error?.error_type, 'totp_not_found');

  const fresh = await mustInPage(page, (c) => c.totps.create({ expiration_minutes: 5 }));
  assert.notEqual(fresh.totp_id, created.totp_id);
  assert.notEqual(fresh.secret, created.secret);
  assert.equal((await confirm(page, await codeNow(fresh.secret))).error, undefined);
  await context.close();
});
