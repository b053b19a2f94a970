// Helpers for SDK tests: a server serving the bare test page and the package,
// and pages with a client created on them.
import { join } from 'node:path';
import { ROOT, startServer, waitFor } from '../support/harness.mjs';

export { waitFor };

export function startSdkServer(options = {}) {
  return startServer({ serve: { '/': join(ROOT, 'tests', 'browser', 'pages'), '/pkg': join(ROOT, 'pkg') }, ...options });
}

/** Opens the test page and creates `window.client` with `options` (baseUrl defaults to the server). */
export async function openClient(context, server, options = {}, { path = '/', origin = server.url } = {}) {
  const page = await openPage(context, server, { path, origin });
  await createClientIn(page, server, options);
  return page;
}

/** Opens the test page (at `path`, on `origin`) without creating a client. */
export async function openPage(context, server, { path = '/', origin = server.url } = {}) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${origin}${path}`);
  await page.waitForFunction(() => window.latchkey);
  return page;
}

/**
 * Creates `window.client` in `page` and waits for `ready`; also records every
 * notification into `window.events` ({session, user, state}: arrays of the values).
 */
export async function createClientIn(page, server, options = {}) {
  await page.evaluate(({ publicToken, options }) => {
    window.client = window.latchkey.createClient(publicToken, options);
    window.events = { session: [], user: [], state: [] };
    window.unsubscribe = {
      session: window.client.session.onChange((s) => window.events.session.push(s)),
      user: window.client.user.onChange((u) => window.events.user.push(u)),
      state: window.client.onStateChange((s) => window.events.state.push(s)),
    };
    return window.client.ready;
  }, { publicToken: server.publicToken, options: { baseUrl: server.url, ...options } });
}

/** Runs `fn(client, arg)` in the page; a rejection comes back as `{ error }` with its fields. */
export function inPage(page, fn, arg) {
  return page.evaluate(async ({ source, arg }) => {
    // eslint-disable-next-line no-new-func
    const run = new Function(`return (${source})`)();
    try {
      return { value: await run(window.client, arg) };
    } catch (e) {
      return { error: { ...e, name: e.name, message: e.message, isLatchkeyError: e instanceof window.latchkey.LatchkeyError } };
    }
  }, { source: fn.toString(), arg });
}

/** Like inPage, but throws when the call rejected (for steps that must succeed). */
export async function mustInPage(page, fn, arg) {
  const { value, error } = await inPage(page, fn, arg);
  if (error) throw new Error(`${fn} failed: ${JSON.stringify(error)}`);
  return value;
}

/** The client's app-visible state and the counts of notifications so far. */
export function snapshot(page) {
  return page.evaluate(() => ({
    session: window.client.session.getSync(),
    user: window.client.user.getSync(),
    tokens: window.client.session.getTokens(),
    sessionInfo: window.client.session.getInfo(),
    userInfo: window.client.user.getInfo(),
    counts: { session: window.events.session.length, user: window.events.user.length, state: window.events.state.length },
  }));
}

/** The notifications recorded in the page so far. */
export function events(page) {
  return page.evaluate(() => window.events);
}

let counter = 0;
/** A fresh address for each call (users never collide across tests). */
export function uniqueEmail(tag = 'user') {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}

/** A fresh E.164 number (+1 555 01xx xxxx style, unique per call). */
export function uniquePhone() {
  counter += 1;
  return `+1555${String((Date.now() + counter) % 10_000_000).padStart(7, '0')}`;
}

/** A password zxcvbn scores 4 and no breach list holds. */
export const STRONG_PASSWORD = 'vivid-Quokka-marches-47-Lanterns!';

/**
 * Absence can only be observed over time: waits `ms` so that a duplicate
 * notification or an extra request would have arrived. Used only after the
 * awaited change itself has been observed.
 */
export function quietPeriod(ms = 250) {
  return new Promise((r) => setTimeout(r, ms));
}

/** The cookies the browser context holds for the server's URL, by name. */
export async function cookieMap(context, url) {
  const cookies = await context.cookies(url);
  return Object.fromEntries(cookies.map((c) => [c.name, c]));
}

/**
 * Records the requests (method, path, time, page, body) that `target` (a page
 * or a context) sends to paths containing `fragment`, and their responses.
 */
export function recordRequests(target, fragment, { method = 'POST' } = {}) {
  const log = [];
  target.on('request', (r) => {
    const url = new URL(r.url());
    if (!url.pathname.includes(fragment) || r.method() !== method) return;
    let page = null;
    try { page = r.frame().page(); } catch { /* a worker's request */ }
    const entry = { at: Date.now(), path: url.pathname, body: r.postData(), page, status: null, doneAt: null };
    log.push(entry);
    r.response().then((res) => { entry.status = res?.status() ?? 0; entry.doneAt = Date.now(); }, () => { entry.status = 0; entry.doneAt = Date.now(); });
  });
  return log;
}

/**
 * Records every request of any method that `target` (a page or a context)
 * sends to paths containing `fragment` (default: the frontend API): method,
 * path, body (`null`: none), the Authorization header, and once answered,
 * status and parsed JSON answer (`answer`, `null` if not JSON).
 */
export function recordApi(target, fragment = '/sdk/v1/') {
  const log = [];
  target.on('request', (r) => {
    const url = new URL(r.url());
    if (!url.pathname.includes(fragment) || r.method() === 'OPTIONS') return;
    const entry = { method: r.method(), path: url.pathname, body: r.postData(), authorization: r.headers().authorization ?? null, status: null, answer: null };
    log.push(entry);
    r.response().then(async (res) => {
      try { entry.answer = await res.json(); } catch { /* not JSON */ }
      entry.status = res?.status() ?? 0;
    }, () => { entry.status = 0; });
  });
  return log;
}

/** Waits until every request in a `recordApi` log has been answered (and its answer read). */
export const answered = (log) => waitFor(() => log.every((e) => e.status !== null), { message: 'every recorded request answered' });

/** The Authorization header the SDK sends: Basic base64(public_token ":" session_token or public_token). */
export const basic = (publicToken, secret = publicToken) => `Basic ${Buffer.from(`${publicToken}:${secret}`).toString('base64')}`;

/** Signs up a new password user in `page` and returns { email, password, response }. */
export async function signUp(page, { email = uniqueEmail(), password = STRONG_PASSWORD, minutes = 60 } = {}) {
  const response = await mustInPage(page, (c, a) => c.passwords.create({ email: a.email, password: a.password, session_duration_minutes: a.minutes }), { email, password, minutes });
  return { email, password, response };
}

/**
 * Two tabs of `context` with a client each, signed in by a sign-up in the
 * first once the second has seen it; returns { page, other, ...signUp's result }.
 */
export async function twoSignedInTabs(context, server) {
  const page = await openClient(context, server);
  const other = await openClient(context, server);
  const signedUp = await signUp(page);
  await waitFor(async () => (await snapshot(other)).session !== null, { timeoutMs: 1000, message: 'the other tab signed in' });
  return { page, other, ...signedUp };
}

/** Creates a password user through the backend API (no browser involved). */
export async function createUserViaBackend(server, { email = uniqueEmail('backend'), password = STRONG_PASSWORD, minutes = 60 } = {}) {
  const r = await server.v1('POST', '/passwords', { email, password, session_duration_minutes: minutes });
  if (r.status !== 200) throw new Error(`backend password create failed: ${JSON.stringify(r)}`);
  return { email, password, response: r.body };
}

/** The server clock's offset from real time, in seconds (moved by /dev/clock). */
export async function serverClockOffset(server) {
  const response = await fetch(`${server.url}/dev/clock`);
  return (await response.json()).offset_seconds;
}

/**
 * A successful sign-in reached every page exactly once: each holds the
 * response's session, user and tokens, got one notification of each kind
 * (counted from `baseline`, default 0), and the cookies hold the tokens.
 */
export async function assertSignedInOnce(context, server, pages, response, { baseline = 0 } = {}) {
  const assert = (await import('node:assert/strict')).default;
  for (const page of pages) {
    await waitFor(async () => (await snapshot(page)).session?.session_id === response.session.session_id, { timeoutMs: 1000, message: 'the sign-in to reach every tab' });
  }
  await quietPeriod();
  for (const [i, page] of pages.entries()) {
    const s = await snapshot(page);
    assert.equal(s.user?.user_id, response.user_id, `tab ${i} user`);
    assert.deepEqual(s.session, response.session, `tab ${i} session`);
    assert.deepEqual(s.tokens, { session_token: response.session_token, session_jwt: response.session_jwt }, `tab ${i} tokens`);
    assert.deepEqual(s.counts, { session: baseline + 1, user: baseline + 1, state: baseline + 1 }, `tab ${i} notified exactly once`);
  }
  const jar = await cookieMap(context, server.url);
  assert.equal(jar.stytch_session?.value, response.session_token, 'session cookie');
  assert.equal(jar.stytch_session_jwt?.value, response.session_jwt, 'JWT cookie');
}

/** Everything a failed call must leave as it was: state, counts, cookies, stored state. */
export async function observable(context, pages) {
  const states = [];
  for (const page of pages) states.push(await snapshot(page));
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).sort();
  return { states, cookies };
}

/**
 * Navigates `page` to `url` (same origin as the server; `null`: stay where a
 * redirect left it), creates the client there, with a fetch log.
 */
export async function landOn(page, server, url, options = {}) {
  if (url !== null) await page.goto(url);
  await page.waitForFunction(() => window.latchkey);
  await installFetchLog(page);
  await createClientIn(page, server, options);
}

/**
 * Records, for every fetch the page makes, its URL and the page's
 * location.href at that moment (window.fetchLog). Passes everything through.
 */
export function installFetchLog(page) {
  return page.evaluate(() => {
    window.fetchLog = [];
    const realFetch = window.fetch;
    window.fetch = function loggedFetch(input, init) {
      window.fetchLog.push({ url: String(input?.url ?? input), href: location.href, body: init?.body ?? null });
      return realFetch.call(this, input, init);
    };
  });
}
