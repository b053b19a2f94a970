// The PKCE bootstrap step of redirect flows: the project's settings are
// fetched once (and again after a failure); a start that must use PKCE
// keeps a verifier and sends its challenge; the finishing call sends the
// verifier and spends it, unless the request never reached the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { browser } from './platform.mjs';
import { BASE, PUBLIC_TOKEN, apiError, authAnswer, ok, openClient } from './fixtures.mjs';

const BOOTSTRAP = `GET /sdk/v1/projects/bootstrap/${PUBLIC_TOKEN}`;
const SEND = 'POST /sdk/v1/magic_links/email/login_or_create';
const AUTHENTICATE = 'POST /sdk/v1/magic_links/authenticate';
const VERIFIER = `latchkey:${PUBLIC_TOKEN}:pkce:magic_links`;

const settings = (overrides = {}) => ok({
  project_name: 'Test project',
  disable_sdk_watermark: false,
  cname_domain: '',
  email_domains: [],
  captcha_settings: { enabled: false },
  pkce_required_for_email_magic_links: true,
  pkce_required_for_password_resets: false,
  pkce_required_for_oauth: true,
  pkce_required_for_sso: false,
  password_config: null,
  rbac_policy: null,
  vertical: 'CONSUMER',
  ...overrides,
});

const challengeOf = (verifier) => createHash('sha256').update(verifier).digest('base64url');

async function page(t, { url, bootstrap = settings() } = {}) {
  const world = browser(t, url ? { url } : {});
  world.net.on(BOOTSTRAP, bootstrap);
  world.net.on(SEND, ok());
  const opened = openClient(world);
  await opened.client.ready;
  return { world, ...opened };
}

test('a magic-link send fetches the bootstrap once and sends base64url(SHA-256(verifier)), keeping the verifier', async (t) => {
  const { world, client } = await page(t, { url: 'http://localhost:5173/app/login?next=%2Fhome#top' });
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  const bootstrap = world.net.requests(BOOTSTRAP);
  assert.equal(bootstrap.length, 1);
  assert.equal(bootstrap[0].hasBody, false, 'a GET without a body');
  const [send] = world.net.requests(SEND);
  const verifier = world.store.get(VERIFIER);
  assert.match(verifier, /^[0-9a-f]{64}$/, '32 random bytes, hex');
  assert.deepEqual(send.json, {
    email: 'ada@example.com',
    login_magic_link_url: 'http://localhost:5173/app/login',
    signup_magic_link_url: 'http://localhost:5173/app/login',
    code_challenge: challengeOf(verifier),
  });
  // A second send: a new verifier, and the settings from the first bootstrap.
  await client.magicLinks.email.loginOrCreate('ada@example.com', { login_magic_link_url: 'https://app.example/in' });
  assert.equal(world.net.requests(BOOTSTRAP).length, 1);
  const second = world.net.requests(SEND)[1].json;
  assert.notEqual(world.store.get(VERIFIER), verifier, 'a new flow, a new verifier');
  assert.equal(second.code_challenge, challengeOf(world.store.get(VERIFIER)));
  assert.equal(second.login_magic_link_url, 'https://app.example/in');
});

test('the authenticate call sends the verifier and spends it; a server refusal spends it too', async (t) => {
  const { world, client } = await page(t);
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  const verifier = world.store.get(VERIFIER);
  world.net.on(AUTHENTICATE, apiError(400, 'pkce_mismatch'));
  await assert.rejects(client.magicLinks.authenticate('link-token', { session_duration_minutes: 60 }), { kind: 'api', error_type: 'pkce_mismatch' });
  assert.deepEqual(world.net.requests(AUTHENTICATE)[0].json, { token: 'link-token', session_duration_minutes: 60, code_verifier: verifier });
  assert.equal(world.store.get(VERIFIER), undefined, 'the server saw it: spent');

  await client.magicLinks.email.loginOrCreate('ada@example.com');
  const next = world.store.get(VERIFIER);
  world.net.on(AUTHENTICATE, authAnswer(world));
  await client.magicLinks.authenticate('link-token-2', { session_duration_minutes: 30 });
  assert.deepEqual(world.net.requests(AUTHENTICATE)[1].json, { token: 'link-token-2', session_duration_minutes: 30, code_verifier: next });
  assert.equal(world.store.has(VERIFIER), false);
  assert.notEqual(client.session.getSync(), null);
});

test('a verifier is kept when the authenticate request never reached the server, so trying again works', async (t) => {
  const { world, client } = await page(t);
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  const verifier = world.store.get(VERIFIER);
  world.net.on(AUTHENTICATE, { fail: true });
  await assert.rejects(client.magicLinks.authenticate('link-token', { session_duration_minutes: 60 }), { kind: 'network', reason: 'unreachable' });
  assert.equal(world.store.get(VERIFIER), verifier);
  world.net.on(AUTHENTICATE, authAnswer(world));
  await client.magicLinks.authenticate('link-token', { session_duration_minutes: 60 });
  assert.equal(world.net.requests(AUTHENTICATE)[1].json.code_verifier, verifier);
  assert.equal(world.store.has(VERIFIER), false);
});

test('without a kept verifier the authenticate call sends none', async (t) => {
  const { world, client } = await page(t);
  world.net.on(AUTHENTICATE, authAnswer(world));
  await client.magicLinks.authenticate('link-token', { session_duration_minutes: 60 });
  assert.deepEqual(world.net.requests(AUTHENTICATE)[0].json, { token: 'link-token', session_duration_minutes: 60 });
  assert.deepEqual(world.net.requests(BOOTSTRAP), [], 'finishing needs no settings');
});

test('a failed bootstrap fails the send (nothing sent), and the next call fetches it again', async (t) => {
  const { world, client } = await page(t, { bootstrap: apiError(500, 'internal_server_error') });
  await assert.rejects(client.magicLinks.email.loginOrCreate('ada@example.com'), { kind: 'api', status_code: 500, retryable: true });
  assert.deepEqual(world.net.requests(SEND), []);
  world.net.on(BOOTSTRAP, { fail: true });
  await assert.rejects(client.magicLinks.email.loginOrCreate('ada@example.com'), { kind: 'network', reason: 'unreachable' });
  world.net.on(BOOTSTRAP, settings());
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  assert.equal(world.net.requests(BOOTSTRAP).length, 3);
  assert.equal(world.net.requests(SEND).length, 1);
  assert.ok(world.net.requests(SEND)[0].json.code_challenge);
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  assert.equal(world.net.requests(BOOTSTRAP).length, 3, 'a success is kept');
});

test('a project that does not require PKCE gets no challenge, and a stale verifier is discarded', async (t) => {
  const { world, client } = await page(t, { bootstrap: settings({ pkce_required_for_email_magic_links: false }) });
  world.store.set(VERIFIER, 'ab'.repeat(32));
  await client.magicLinks.email.loginOrCreate('ada@example.com');
  assert.equal('code_challenge' in world.net.requests(SEND)[0].json, false);
  assert.equal(world.store.has(VERIFIER), false);
});

test('a password reset keeps its own verifier, by its own setting', async (t) => {
  const { world, client } = await page(t, { bootstrap: settings({ pkce_required_for_email_magic_links: false, pkce_required_for_password_resets: true }) });
  world.net.on('POST /sdk/v1/passwords/email/reset/start', ok());
  world.net.on('POST /sdk/v1/passwords/email/reset', authAnswer(world));
  await client.passwords.resetByEmailStart({ email: 'ada@example.com' });
  const key = `latchkey:${PUBLIC_TOKEN}:pkce:reset_password`;
  const verifier = world.store.get(key);
  const [start] = world.net.requests('POST /sdk/v1/passwords/email/reset/start');
  assert.deepEqual(start.json, {
    email: 'ada@example.com',
    login_redirect_url: 'http://localhost:5173/app/login',
    reset_password_redirect_url: 'http://localhost:5173/app/login',
    code_challenge: challengeOf(verifier),
  });
  assert.equal(world.store.has(VERIFIER), false, 'the magic-link flow has none');
  await client.passwords.resetByEmail({ token: 'reset-token', password: 'a new correct horse', session_duration_minutes: 60 });
  assert.equal(world.net.requests('POST /sdk/v1/passwords/email/reset')[0].json.code_verifier, verifier);
  assert.equal(world.store.has(key), false);
});

test('OAuth start always uses PKCE (no bootstrap) and navigates to the exact start URL', async (t) => {
  const { world, client } = await page(t, { url: 'https://app.example.com/sign-in?from=nav#x' });
  const { url } = await client.oauth.github.start({ custom_scopes: ['read:user', 'repo'], provider_params: { prompt: 'consent', login_hint: 'ada lovelace' } });
  const verifier = world.store.get(`latchkey:${PUBLIC_TOKEN}:pkce:oauth`);
  assert.match(verifier, /^[0-9a-f]{64}$/);
  const here = encodeURIComponent('https://app.example.com/sign-in');
  assert.equal(url, `${BASE}/v1/public/oauth/github/start?public_token=${PUBLIC_TOKEN}&login_redirect_url=${here}&signup_redirect_url=${here}`
    + `&custom_scopes=read%3Auser%20repo&provider_prompt=consent&provider_login_hint=ada%20lovelace&code_challenge=${challengeOf(verifier)}`);
  assert.deepEqual(world.tab.navigations, [url]);
  assert.deepEqual(world.net.log, [], 'a navigation, not a fetch, and no bootstrap');
});

test('OAuth start with explicit redirect URLs and no scopes; oauth.authenticate then sends the verifier', async (t) => {
  const { world, client } = await page(t);
  await client.oauth.google.start({ login_redirect_url: 'https://app.example/in', signup_redirect_url: 'https://app.example/up' });
  const verifier = world.store.get(`latchkey:${PUBLIC_TOKEN}:pkce:oauth`);
  assert.equal(world.tab.navigations[0], `${BASE}/v1/public/oauth/google/start?public_token=${PUBLIC_TOKEN}`
    + `&login_redirect_url=${encodeURIComponent('https://app.example/in')}&signup_redirect_url=${encodeURIComponent('https://app.example/up')}`
    + `&code_challenge=${challengeOf(verifier)}`);
  world.net.on('POST /sdk/v1/oauth/authenticate', authAnswer(world));
  await client.oauth.authenticate('oauth-token', { session_duration_minutes: 60 });
  assert.deepEqual(world.net.requests('POST /sdk/v1/oauth/authenticate')[0].json, { token: 'oauth-token', session_duration_minutes: 60, code_verifier: verifier });
  assert.equal(world.store.has(`latchkey:${PUBLIC_TOKEN}:pkce:oauth`), false, 'spent');
});

test('OAuth start refuses provider params that are not strings, before navigating or keeping a verifier', async (t) => {
  const { world, client } = await page(t);
  await assert.rejects(client.oauth.google.start({ provider_params: { prompt: 1 } }), { kind: 'validation', field: 'provider_params' });
  assert.deepEqual(world.tab.navigations, []);
  assert.equal(world.store.has(`latchkey:${PUBLIC_TOKEN}:pkce:oauth`), false, 'no verifier for a start that never happened');
});
