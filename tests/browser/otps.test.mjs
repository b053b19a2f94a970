// One-time codes by SMS, WhatsApp and email: request → code from the dev
// outbox → otps.authenticate. Wrong, expired and exhausted codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, snapshot, uniqueEmail, uniquePhone, quietPeriod,
  assertSignedInOnce, observable, twoSignedInTabs,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const CHANNELS = {
  sms: { address: uniquePhone, field: 'phone_number_factor', valueOf: (f) => f.phone_number },
  whatsapp: { address: uniquePhone, field: 'phone_number_factor', valueOf: (f) => f.phone_number },
  email: { address: () => uniqueEmail('otp'), field: 'email_factor', valueOf: (f) => f.email_address },
};

/** Sends a code through `channel` from `page`; returns { response, code, message }. */
async function requestCode(page, channel, address, { method = 'loginOrCreate', options } = {}) {
  const seen = (await server.outbox(address)).map((m) => m.id);
  const response = await mustInPage(page, (c, a) => c.otps[a.channel][a.method](a.address, a.options), { channel, address, method, options });
  const message = await server.nextMessage(address, { seen });
  assert.equal(message.channel, channel);
  assert.match(message.code, /^\d{6}$/);
  return { response, code: message.code, message };
}

for (const channel of Object.keys(CHANNELS)) {
  test(`otps.${channel}.loginOrCreate → code from the outbox → otps.authenticate signs in every tab once`, async () => {
    const { address, field, valueOf } = CHANNELS[channel];
    const context = await browser.newContext();
    const page = await openClient(context, server);
    const other = await openClient(context, server);
    const to = address();
    const { response, code } = await requestCode(page, channel, to);
    assert.equal(response.user_created, true);
    assert.match(response.user_id, /^user-test-/);
    assert.equal(typeof response.method_id, 'string');
    const data = await mustInPage(page, (c, a) => c.otps.authenticate(a.code, a.method_id, { session_duration_minutes: 60 }), { code, method_id: response.method_id });
    assert.equal(data.user_id, response.user_id);
    assert.equal(data.method_id, response.method_id);
    const factor = data.session.authentication_factors[0];
    assert.equal(factor.type, 'otp');
    assert.equal(factor.delivery_method, channel);
    assert.equal(valueOf(factor[field]), to);
    assert.equal(data.user.status, 'active');
    await assertSignedInOnce(context, server, [page, other], data);
    await context.close();
  });
}

test('otps.sms.send to an existing number (signed out) signs in the same user', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const phone = uniquePhone();
  const first = await requestCode(page, 'sms', phone);
  await mustInPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code: first.code, id: first.response.method_id });
  await mustInPage(page, (c) => c.session.revoke());
  const again = await requestCode(page, 'sms', phone, { method: 'send' });
  assert.equal(again.response.user_id, first.response.user_id);
  assert.equal(again.response.method_id, first.response.method_id);
  const data = await mustInPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code: again.code, id: again.response.method_id });
  assert.equal(data.user_id, first.response.user_id);
  await context.close();
});

test('a wrong code is unable_to_auth_otp_code (401), leaves the signed-in state untouched, and the right code still works', async () => {
  const context = await browser.newContext();
  const { page, other } = await twoSignedInTabs(context, server);
  const phone = uniquePhone();
  // A code for another person's number, requested from another browser.
  const stranger = await browser.newContext();
  const strangerPage = await openClient(stranger, server);
  const { response, code } = await requestCode(strangerPage, 'sms', phone);
  const wrong = code === '000000' ? '111111' : '000000';

  const before = await observable(context, [page, other]);
  const { error } = await inPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code: wrong, id: response.method_id });
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'unable_to_auth_otp_code');
  assert.equal(error.status_code, 401);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page, other]), before, 'state, notifications and cookies unchanged');

  const data = await mustInPage(strangerPage, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: response.method_id });
  assert.equal(data.user_id, response.user_id);
  await context.close();
  await stranger.close();
});

test('an expired code is otp_code_not_found (404) and signs nobody in', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const email = uniqueEmail('otp-expired');
  const { response, code } = await requestCode(page, 'email', email, { options: { expiration_minutes: 1 } });
  await server.advanceClock(61);
  const { error } = await inPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: response.method_id });
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'otp_code_not_found');
  assert.equal(error.status_code, 404);
  assert.equal((await snapshot(page)).session, null);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('after 5 wrong codes even the right code is refused (otp_code_not_found)', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const phone = uniquePhone();
  const { response, code } = await requestCode(page, 'whatsapp', phone);
  const wrong = code === '000000' ? '111111' : '000000';
  const errors = [];
  for (let i = 0; i < 5; i += 1) {
    const { error } = await inPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code: wrong, id: response.method_id });
    errors.push(error?.error_type);
  }
  assert.deepEqual(errors, Array(5).fill('unable_to_auth_otp_code'));
  const { error } = await inPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: response.method_id });
  assert.equal(error?.error_type, 'otp_code_not_found');
  assert.equal((await snapshot(page)).session, null);
  assert.deepEqual(await context.cookies(), []);
  await context.close();
});

test('a used code cannot sign in twice', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { response, code } = await requestCode(page, 'email', uniqueEmail('otp-reuse'));
  await mustInPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: response.method_id });
  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: response.method_id });
  assert.equal(error?.error_type, 'otp_code_not_found');
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  await context.close();
});
