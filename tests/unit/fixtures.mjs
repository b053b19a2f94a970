// What the fake auth API answers (shaped as /work/shared/protocol.md says
// the Stytch-compatible API answers), and a client of the real package over
// the fake browser.
import { makeClient } from '../../pkg/client.js';
import { loadKernel } from './platform.mjs';

export const PUBLIC_TOKEN = 'public-token-test-5f0c9d7e-1111-4222-8333-944455556666';
export const BASE = 'http://localhost:8787';
export const SDK = `${BASE}/sdk/v1`;
export const REFRESH = 'POST /sdk/v1/sessions/authenticate';
export const PASSWORD = 'POST /sdk/v1/passwords/authenticate';
export const STATE_KEY = `latchkey:${PUBLIC_TOKEN}:state`;
export const LOCK = `latchkey:${PUBLIC_TOKEN}:refresh`;

const b64url = (text) => Buffer.from(text).toString('base64url');
let serial = 0;
const next = () => { serial += 1; return serial; };

export function user(overrides = {}) {
  return {
    user_id: 'user-test-0b8e1c52-7f3a-4d2e-9c41-5a6b7c8d9e0f',
    created_at: '2023-11-01T10:00:00Z',
    status: 'active',
    name: { first_name: 'Ada', middle_name: '', last_name: 'Lovelace' },
    emails: [{ email_id: 'email-test-1', email: 'ada@example.com', verified: true }],
    phone_numbers: [],
    providers: [],
    password: { password_id: 'password-test-1', requires_reset: false },
    totps: [],
    webauthn_registrations: [],
    crypto_wallets: [],
    biometric_registrations: [],
    trusted_metadata: {},
    untrusted_metadata: {},
    roles: [],
    is_locked: false,
    ...overrides,
  };
}

/** A session object expiring `expiresAt` (device ms, which the fake server shares). */
export function session(expiresAt, overrides = {}) {
  return {
    session_id: 'session-test-4c1d2e3f-aaaa-4bbb-8ccc-ddddeeeeffff',
    user_id: user().user_id,
    started_at: new Date(expiresAt - 3_600_000).toISOString(),
    last_accessed_at: new Date(expiresAt - 3_600_000).toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
    attributes: { ip_address: '127.0.0.1', user_agent: 'FakeBrowser/1.0' },
    authentication_factors: [{ type: 'password', delivery_method: 'knowledge', last_authenticated_at: '2023-11-14T22:13:20Z' }],
    custom_claims: {},
    roles: [],
    ...overrides,
  };
}

/** A session JWT (unsigned: the SDK only reads `iat`) issued at `iatMs`. */
export function jwt(iatMs, sub = user().user_id) {
  const iat = Math.floor(iatMs / 1000);
  return `${b64url(JSON.stringify({ alg: 'RS256', kid: 'jwk-test-1', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub, iat, nbf: iat, exp: iat + 300, n: next() }))}.c2lnbmF0dXJl`;
}

export const newToken = () => `session-token-test-${String(next()).padStart(4, '0')}-${'x'.repeat(20)}`;

/**
 * An authenticate-type answer: `token` (a new one by default), a fresh JWT,
 * a session expiring in `minutes` from the world's now.
 */
export function authAnswer(world, { token = newToken(), minutes = 60, sessionFields = {}, userFields = {}, extra = {} } = {}) {
  const now = world.clock.wall();
  const u = user(userFields);
  return {
    status: 200,
    body: {
      data: {
        request_id: `request-id-test-${next()}`,
        status_code: 200,
        user_id: u.user_id,
        user: u,
        session: session(now + minutes * 60_000, sessionFields),
        session_token: token,
        session_jwt: jwt(now),
        ...extra,
      },
    },
  };
}

/** A refresh answer for the token the request carries (Basic public_token:session_token). */
export function refreshAnswer(world, options = {}) {
  return (request) => authAnswer(world, { token: sessionTokenOf(request), ...options });
}

/** The session token in a request's Basic header (the public token when signed out). */
export function sessionTokenOf(request) {
  const basic = Buffer.from(request.headers.Authorization.replace(/^Basic /, ''), 'base64').toString();
  return basic.slice(basic.indexOf(':') + 1);
}

/** A `{data}` answer. */
export const ok = (data = {}) => ({ status: 200, body: { data: { request_id: `request-id-test-${next()}`, status_code: 200, ...data } } });

/** An error answer with the five fields of the protocol. */
export function apiError(status, errorType, message = `${errorType} happened`) {
  return {
    status,
    body: {
      status_code: status,
      request_id: `request-id-test-${next()}`,
      error_type: errorType,
      error_message: message,
      error_url: `https://stytch.com/docs/api/errors/${status}#${errorType}`,
    },
  };
}

/**
 * A client of the real package in `tab` (the world's first by default),
 * recording its notifications. `call(fn)` runs `fn(client)` as code of
 * that tab.
 */
export function openClient(world, { options = {}, load = loadKernel, tab = world.tab, token = PUBLIC_TOKEN } = {}) {
  const forgotten = [];
  const client = tab.run(() => makeClient(token, { baseUrl: BASE, ...options }, load, () => forgotten.push(token)));
  const events = { session: [], user: [], state: [] };
  client.session.onChange((s) => events.session.push(s));
  client.user.onChange((u) => events.user.push(u));
  client.onStateChange((s) => events.state.push(s));
  return { client, events, forgotten, tab, call: (fn) => tab.run(() => fn(client)) };
}

/** Signs `client` in with a password and the answer `answer` (an authAnswer by default). */
export async function signIn(world, opened, answer = authAnswer(world)) {
  world.net.on(PASSWORD, answer);
  const data = await opened.call((c) => c.passwords.authenticate({ email: 'ada@example.com', password: 'correct horse', session_duration_minutes: 60 }));
  world.net.off(PASSWORD);
  return { data, answer: answer.body.data };
}

/** The named cookie's value in the shared jar. */
export const cookie = (world, name = 'stytch_session') => world.jar.get(name);
