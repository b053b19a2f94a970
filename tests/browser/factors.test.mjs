// Deleting a user's factors (user.delete*): emails, phone numbers and OAuth
// providers added for real (a magic link, an SMS code, the server's
// development identity provider), deleted through the SDK; the last way to
// sign in is refused; ids that are not path-safe never leave the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from '../support/harness.mjs';
import {
  startSdkServer, openClient, inPage, mustInPage, signUp, snapshot, quietPeriod, waitFor, observable, landOn,
  twoSignedInTabs, recordApi, answered, uniqueEmail, uniquePhone,
} from './sdk.mjs';

let server;
let browser;
before(async () => {
  server = await startSdkServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const paths = (log) => log.map((e) => `${e.method} ${e.path}`);
const DELETES = {
  deleteEmail: 'emails',
  deletePhoneNumber: 'phone_numbers',
  deleteTOTP: 'totps',
  deleteOAuthRegistration: 'oauth',
  deleteWebauthnRegistration: 'webauthn_registrations',
};

/** The user as the backend sees it (the server's truth, not the page's cache). */
async function backendUser(userId) {
  const { status, body } = await server.v1('GET', `/users/${userId}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** Signed in, adds `email` to the user: magicLinks.email.send (secondary), then the emailed link. */
async function addEmail(page, email) {
  const seen = (await server.outbox(email)).map((m) => m.id);
  await mustInPage(page, (c, e) => c.magicLinks.email.send(e), email);
  const { link } = await server.nextMessage(email, { seen });
  const token = new URL(link).searchParams.get('token');
  return mustInPage(page, (c, t) => c.magicLinks.authenticate(t, { session_duration_minutes: 60 }), token);
}

/** Signed in, adds `phone` to the user: otps.sms.send (secondary), then the texted code. */
async function addPhone(page, phone) {
  const seen = (await server.outbox(phone)).map((m) => m.id);
  const sent = await mustInPage(page, (c, p) => c.otps.sms.send(p), phone);
  const { code } = await server.nextMessage(phone, { seen });
  return mustInPage(page, (c, a) => c.otps.authenticate(a.code, a.method_id, { session_duration_minutes: 60 }), { code, method_id: sent.method_id });
}

test('user.deleteEmail removes a second email: __user absorbed (user.onChange once on every tab, not in the result), the server agrees', async () => {
  const context = await browser.newContext();
  const { page, other, email, response: signedUp } = await twoSignedInTabs(context, server);
  const second = uniqueEmail('second');
  const added = await addEmail(page, second);
  const entry = added.user.emails.find((e) => e.email === second);
  assert.ok(entry, 'the link added the email');
  for (const tab of [page, other]) {
    await waitFor(async () => (await snapshot(tab)).user?.emails.length === 2, { timeoutMs: 1000, message: 'two emails in every tab' });
  }
  await quietPeriod();
  const before = await Promise.all([page, other].map(async (tab) => (await snapshot(tab)).counts));
  const log = recordApi(context);

  const deleted = await mustInPage(page, (c, id) => c.user.deleteEmail(id), entry.email_id);
  await answered(log);
  assert.deepEqual(paths(log), [`DELETE /sdk/v1/users/emails/${entry.email_id}`]);
  assert.equal(log[0].body, null, 'no body');
  assert.ok(log[0].answer.data.__user, 'the server sent __user');
  assert.equal('__user' in deleted, false, 'the app never sees it');
  assert.equal(deleted.user_id, signedUp.user_id);
  assert.deepEqual(deleted.user.emails.map((e) => e.email), [email]);
  for (const [i, tab] of [page, other].entries()) {
    await waitFor(async () => (await snapshot(tab)).user?.emails.length === 1, { timeoutMs: 1000, message: 'one email in every tab' });
    await quietPeriod();
    const s = await snapshot(tab);
    assert.deepEqual(s.user, deleted.user, `tab ${i} caches the server's user`);
    assert.deepEqual(s.counts, { ...before[i], user: before[i].user + 1, state: before[i].state + 1 }, `tab ${i}: user.onChange once, no session change`);
  }
  assert.deepEqual((await backendUser(signedUp.user_id)).emails.map((e) => e.email), [email]);
  await context.close();
});

test('deleting the last email is cannot_delete_last_primary_factor (400) and changes nothing', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { email, response: signedUp } = await signUp(page);
  await quietPeriod();
  const before = await observable(context, [page]);
  const { error } = await inPage(page, (c, id) => c.user.deleteEmail(id), signedUp.user.emails[0].email_id);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'cannot_delete_last_primary_factor');
  assert.equal(error.status_code, 400);
  assert.equal(error.retryable, false);
  await quietPeriod();
  assert.deepEqual(await observable(context, [page]), before);
  assert.deepEqual((await backendUser(signedUp.user_id)).emails.map((e) => e.email), [email]);
  await context.close();
});

test('user.deletePhoneNumber removes a phone number added by SMS code; a phone-only user cannot delete their only number', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const { response: signedUp } = await signUp(page);
  const phone = uniquePhone();
  const added = await addPhone(page, phone);
  const entry = added.user.phone_numbers.find((p) => p.phone_number === phone);
  assert.ok(entry, 'the code added the number');
  await quietPeriod();
  const before = (await snapshot(page)).counts;
  const log = recordApi(page);
  const deleted = await mustInPage(page, (c, id) => c.user.deletePhoneNumber(id), entry.phone_id);
  await answered(log);
  assert.deepEqual(paths(log), [`DELETE /sdk/v1/users/phone_numbers/${entry.phone_id}`]);
  assert.equal('__user' in deleted, false);
  assert.deepEqual(deleted.user.phone_numbers, []);
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.user, deleted.user);
  assert.equal(s.counts.user, before.user + 1);
  assert.deepEqual((await backendUser(signedUp.user_id)).phone_numbers, []);

  // A user who signs in by SMS alone keeps that number.
  const alone = await browser.newContext();
  const phonePage = await openClient(alone, server);
  const only = uniquePhone();
  const sent = await mustInPage(phonePage, (c, p) => c.otps.sms.loginOrCreate(p), only);
  const { code } = await server.nextMessage(only);
  const byPhone = await mustInPage(phonePage, (c, a) => c.otps.authenticate(a.code, a.id, { session_duration_minutes: 60 }), { code, id: sent.method_id });
  await quietPeriod();
  const unchanged = await observable(alone, [phonePage]);
  const { error } = await inPage(phonePage, (c, id) => c.user.deletePhoneNumber(id), byPhone.user.phone_numbers[0].phone_id);
  assert.equal(error?.error_type, 'cannot_delete_last_primary_factor');
  await quietPeriod();
  assert.deepEqual(await observable(alone, [phonePage]), unchanged);
  await alone.close();
  await context.close();
});

test('user.deleteOAuthRegistration removes a Google sign-in (the email stays, and then is the last way in)', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const email = uniqueEmail('oauth-delete');
  // Through the development identity provider, as a person would (see oauth.test.mjs).
  await page.evaluate(() => { window.client.oauth.google.start(); });
  await page.waitForURL((url) => url.pathname === '/idp/google/authorize');
  await page.fill('#email', email);
  await page.fill('#first_name', 'Ada');
  await page.fill('#last_name', 'Lovelace');
  await page.click('#allow');
  await page.waitForURL((url) => url.searchParams.get('stytch_token_type') === 'oauth');
  await landOn(page, server, null);
  const { data: signedIn } = await mustInPage(page, (c) => c.authenticateByUrl({ session_duration_minutes: 60 }));
  const [provider] = signedIn.user.providers;
  assert.equal(provider.provider_type.toLowerCase(), 'google');
  assert.match(provider.oauth_user_registration_id, /\S/);
  await quietPeriod();
  const before = (await snapshot(page)).counts;

  const log = recordApi(page);
  const deleted = await mustInPage(page, (c, id) => c.user.deleteOAuthRegistration(id), provider.oauth_user_registration_id);
  await answered(log);
  assert.deepEqual(paths(log), [`DELETE /sdk/v1/users/oauth/${provider.oauth_user_registration_id}`]);
  assert.equal('__user' in deleted, false);
  assert.deepEqual(deleted.user.providers, []);
  assert.deepEqual(deleted.user.emails.map((e) => e.email), [email]);
  await quietPeriod();
  const s = await snapshot(page);
  assert.deepEqual(s.user, deleted.user);
  assert.equal(s.counts.user, before.user + 1);
  assert.deepEqual((await backendUser(signedIn.user_id)).providers, []);

  const { error } = await inPage(page, (c, id) => c.user.deleteEmail(id), deleted.user.emails[0].email_id);
  assert.equal(error?.error_type, 'cannot_delete_last_primary_factor');
  const again = await inPage(page, (c, id) => c.user.deleteOAuthRegistration(id), provider.oauth_user_registration_id);
  assert.equal(again.error?.error_type, 'oauth_user_registration_not_found');
  assert.equal(again.error.status_code, 404);
  await context.close();
});

test('another user\'s factor is not found, as if it did not exist', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const mine = await signUp(page);
  const second = uniqueEmail('mine-second');
  await addEmail(page, second);
  const stranger = await browser.newContext();
  const strangerPage = await openClient(stranger, server);
  await signUp(strangerPage);
  const theirs = (await snapshot(page)).user.emails.find((e) => e.email === second).email_id;
  const { error } = await inPage(strangerPage, (c, id) => c.user.deleteEmail(id), theirs);
  assert.equal(error?.kind, 'api');
  assert.equal(error.error_type, 'email_not_found');
  assert.equal(error.status_code, 404);
  assert.equal((await backendUser(mine.response.user_id)).emails.length, 2, 'still there');
  await stranger.close();
  await context.close();
});

test('ids that are not path-safe are validation errors, and without a session every delete is a usage error, before any request', async () => {
  const context = await browser.newContext();
  const page = await openClient(context, server);
  const log = recordApi(page);
  for (const method of Object.keys(DELETES)) {
    const { error } = await inPage(page, (c, m) => c.user[m]('email-test-1'), method);
    assert.equal(error?.kind, 'usage', `${method}: ${JSON.stringify(error)}`);
  }
  await signUp(page);
  log.length = 0;
  const fields = {
    deleteEmail: 'email_id',
    deletePhoneNumber: 'phone_id',
    deleteTOTP: 'totp_id',
    deleteOAuthRegistration: 'oauth_user_registration_id',
    deleteWebauthnRegistration: 'webauthn_registration_id',
  };
  // Each would change the path the id is interpolated into (the SDK, like
  // Stytch's, does not encode it), or is no id at all.
  const bad = ['../me', 'a/b', 'id?x=1', 'id#frag', 'a b', '%2e%2e', '', 'ï', 7, null, undefined, { id: 'x' }];
  for (const method of Object.keys(DELETES)) {
    for (const id of bad) {
      const { error } = await page.evaluate(async ({ m, id, undef }) => {
        try { return { value: await window.client.user[m](undef ? undefined : id) }; } catch (e) { return { error: { ...e } }; }
      }, { m: method, id: id ?? null, undef: id === undefined });
      assert.equal(error?.kind, 'validation', `${method}(${JSON.stringify(id)}): ${JSON.stringify(error)}`);
      assert.equal(error.field, fields[method]);
    }
  }
  await quietPeriod();
  assert.deepEqual(log, [], 'nothing sent');
  await context.close();
});
