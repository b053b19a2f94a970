// One client's orchestration: every flow (validate, send, wait, hand the
// answer to the kernel, send again) written once, with async/await, around
// the WebAssembly kernel's decisions. The kernel owns the session state and
// decides; host.js does the browser mechanics; this module connects them
// and shapes the public API.
import * as kernel from './dist/latchkey.js';
import {
  AT_BUSY_FOR, AT_FROM_CACHE, AT_LEADING, AT_REFRESH_DURATION, AT_SESSION, AT_TIMER, EFFECT_ACCEPTED,
  EFFECT_BUSY, EFFECT_CLEAR_COOKIES, EFFECT_NOTIFY_CACHE, EFFECT_NOTIFY_SESSION, EFFECT_NOTIFY_USER,
  EFFECT_PUBLISH, EFFECT_REFRESH, EFFECT_STEAL, EFFECT_TIMER, EFFECT_WAKE_LEADER, EFFECT_WRITE_COOKIES,
  EVENT_BUSY, EVENT_CLOSE, EVENT_HIDDEN, EVENT_LEADER, EVENT_LOST, EVENT_ONLINE, EVENT_REFRESH_BEGAN,
  EVENT_REFRESH_DROPPED, EVENT_RESTORED, EVENT_SIGNED_OUT, EVENT_STARTED, EVENT_TIMER, EVENT_USER,
  EVENT_VISIBLE, EVENT_WAKE, FLAG_IN_PATH, FLAG_OPTION_ONLY, FLAG_PAGE_DEFAULT, KEY_LEASE, KEY_PKCE,
  KEY_STATE, OAUTH_PROVIDERS, PKCE_CREATE, PKCE_DISCARD, PKCE_SEND, TEXT_JWT, TEXT_TOKEN, URL_SIGN_IN,
  fingerprint,
} from './contract.js';
import { authOf, classOf, endsSession, reply } from './answers.js';
import { objectKey, readSnapshot, writeSnapshot } from './cache.js';
import { usage } from './errors.js';
import { createHost, pkcePair, readCookie, storage } from './host.js';
import { check, clientOptions, isObject, optionsObject, refuse } from './validate.js';
import { browserSupportsAutofill, ceremony, credentialJson, requireWebAuthn } from './webauthn.js';

const NO_SESSION = 'There is no session: sign in first';
const DESTROYED = 'This client was destroyed';
const SIGNED_OUT = { session: null, user: null, fromCache: false };
const orNaN = (n) => (typeof n === 'number' ? n : NaN);
const orNull = (n) => (Number.isNaN(n) ? null : n);

// The method table, read from the kernel once per page.
let table;
function row(op) {
  table ??= new Map(kernel.table().split('\n').map((line) => {
    const [name, verb, path, signedInPath, answer, pkce, ...fields] = line.split(' ');
    return [name, {
      verb,
      path,
      signedInPath: signedInPath === '-' ? null : signedInPath,
      answer: answer[0],
      needsSession: answer.endsWith('!'),
      pkce: pkce === '-' ? null : pkce.split('.'),
      fields: fields.map((f) => [f.slice(0, -3), f[f.length - 2], +f[f.length - 1]]),
    }];
  }));
  return table.get(op);
}

/**
 * Builds a client. `loadKernel` resolves once the WebAssembly module is
 * instantiated; `forget` is called by destroy().
 */
export function makeClient(publicToken, rawOptions, loadKernel, forget) {
  const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
  let options;
  let optionsError = null;
  try { options = clientOptions(publicToken, rawOptions); } catch (e) { optionsError = e; }
  const listeners = { session: new Set(), user: new Set(), state: new Set() };
  const pending = new Set();
  const flights = new Map();
  const urlSignIns = new Map();
  // What the app sees (its objects change only with a notification), and
  // the latest objects of the kernel's state (what gets published).
  let state = SIGNED_OUT;
  let kept = { session: null, user: null };
  // Until the kernel runs: the tokens of a cookie that matches the cache.
  let early = null;
  let handle = 0;
  let host = null;
  let destroyed = false;
  let bootstrap;
  let leasing = false;
  // While the kernel starts, the app is told at the end what differs from
  // what it was shown before the module loaded.
  let opening = false;
  // The start-up refresh, while it may still be on its way.
  let confirming = null;
  // `| 1` gives a signed 32-bit number: `>>> 0` keeps it the u32 the kernel reads.
  const tab = ((crypto.getRandomValues?.(new Uint32Array(1))[0] ?? 1) | 1) >>> 0;
  const names = options?.cookies;

  const emit = (set, value) => {
    for (const callback of [...set]) {
      try { callback(value); } catch (error) { globalThis.reportError?.(error); }
    }
  };
  /**
   * Shows `next` to the app: each object keeps its identity unless its
   * content changed, and listeners hear only of what changed.
   */
  function show(next) {
    const before = state;
    const differs = (a, b) => JSON.stringify(a) !== JSON.stringify(b);
    const sessionChanged = differs(before.session, next.session);
    const userChanged = differs(before.user, next.user);
    state = {
      session: sessionChanged ? next.session : before.session,
      user: userChanged ? next.user : before.user,
      fromCache: next.fromCache,
    };
    if (sessionChanged) emit(listeners.session, state.session);
    if (userChanged) emit(listeners.user, state.user);
    if (sessionChanged || userChanged || before.fromCache !== next.fromCache) {
      emit(listeners.state, { session: state.session, user: state.user });
    }
  }
  const token = () => (handle ? kernel.text(handle, TEXT_TOKEN) : early?.token);
  const telemetry = () => (state.session ? { stytch_user_id: state.user?.user_id, stytch_session_id: state.session.session_id } : {});
  // A flow that was waiting (on a bootstrap, a digest, a WebAuthn start)
  // when destroy() rejected its call must not go on to act for it.
  const alive = () => { if (destroyed) throw usage(DESTROYED); };
  const send = (method, path, body, sessionToken = token()) => {
    alive();
    return host.send(method, `${options.baseUrl}${path}`, sessionToken, body, options.requestTimeoutMs, telemetry());
  };

  // ---- the kernel's events and effects

  const readCookies = () => kernel.cookie(handle, readCookie(names.opaqueTokenCookieName), readCookie(names.jwtCookieName));
  /**
   * Hands an event to the kernel (after it reads the cookies) and carries
   * out what it decides; `objects` came with the event and are kept when
   * the kernel accepts them.
   */
  function step(event, objects) {
    if (!handle) return;
    readCookies();
    const fx = event(performance.now(), Date.now());
    if (fx & EFFECT_ACCEPTED) kept = { ...kept, ...objects };
    run(fx);
  }

  /** The kernel's numbers (`AT_*`) and the app-visible objects of its state: none until the server confirmed them. */
  function current() {
    const n = kernel.numbers(handle, performance.now());
    const session = Number.isNaN(n[AT_SESSION]) ? null : kept.session;
    return { session, user: session && kept.user, numbers: n };
  }
  /** Shows the app the kernel's state. */
  function showKernel() {
    const { session, user, numbers: n } = current();
    show({ session, user, fromCache: !!n[AT_FROM_CACHE] });
  }
  const signal = (kind, value = 0, objects = undefined) => step((mono, wall) => kernel.event(handle, kind, mono, wall, value), objects);

  function run(fx) {
    const n = kernel.numbers(handle, performance.now());
    if (fx & EFFECT_WRITE_COOKIES) for (const c of kernel.cookies(handle, Date.now()).split('\n')) document.cookie = c;
    if (fx & EFFECT_CLEAR_COOKIES) for (const c of kernel.removals(handle).split('\n')) document.cookie = c;
    if (fx & EFFECT_PUBLISH) {
      const { session, user } = current();
      const text = writeSnapshot(n, session, user);
      storage.set(host.key(KEY_STATE), text);
      host.post(text);
    }
    if (fx & (EFFECT_NOTIFY_SESSION | EFFECT_NOTIFY_USER | EFFECT_NOTIFY_CACHE) && !opening) showKernel();
    if (fx & EFFECT_REFRESH) kernelRefresh();
    if (fx & EFFECT_TIMER) host.setTimer('timer', n[AT_TIMER]);
    if (fx & EFFECT_WAKE_LEADER) host.post('{"wake":1}');
    if (fx & EFFECT_STEAL) (host.hasLocks ? host.lead(true) : leaseTick(true));
    if (fx & EFFECT_BUSY) host.post(`{"busy":${n[AT_BUSY_FOR]}}`);
  }

  /** Another tab's message (BroadcastChannel) or state (storage event). */
  function received(text) {
    let message;
    try { message = JSON.parse(text); } catch { return; }
    if (message?.wake) return signal(EVENT_WAKE);
    if (Number.isFinite(message?.busy)) return signal(EVENT_BUSY, message.busy);
    const s = readSnapshot(text);
    if (s) step((mono, wall) => kernel.remote(handle, mono, wall, s.numbers), s.objects);
  }

  /** A tab that slept or is about to act on its timer may have missed messages: storage holds the truth. */
  const resync = () => {
    const stored = storage.get(host.key(KEY_STATE));
    if (stored) received(stored);
  };

  function onPage(kind, data) {
    if (kind === 'message' || kind === 'storage') received(data);
    else if (kind === 'timer') { resync(); signal(EVENT_TIMER); }
    else if (kind === 'leader') signal(EVENT_LEADER);
    else if (kind === 'lost') { signal(EVENT_LOST); lead(); }
    else if (kind === 'visible') { resync(); signal(EVENT_VISIBLE); }
    else if (kind === 'online') signal(EVENT_ONLINE);
    else if (kind === 'restored') { resync(); lead(); signal(EVENT_RESTORED); }
    // Leaving the lock lets another tab lead at once, and keeps this page
    // eligible for the back/forward cache.
    else if (kind === 'hidden') { release(); signal(EVENT_HIDDEN); }
    else if (kind === 'lease') leaseTick(false);
  }

  // ---- leadership: the Web Lock, or a storage lease where it is missing

  const leaseKey = () => host.key(KEY_LEASE);
  const storedLease = () => {
    try { return JSON.parse(storage.get(leaseKey())) ?? {}; } catch { return {}; }
  };
  function lead() {
    if (host.hasLocks) host.lead(false);
    else if (!leasing) { leasing = true; leaseTick(false); }
  }
  function leaseTick(takeOver) {
    if (!leasing) return;
    const current = storedLease();
    const [leads, until] = kernel.lease(tab, Date.now(), current.holder >>> 0, orNaN(current.until), takeOver);
    if (until) storage.set(leaseKey(), JSON.stringify({ holder: tab, until }));
    if (leads !== kernel.numbers(handle, 0)[AT_LEADING]) signal(leads ? EVENT_LEADER : EVENT_LOST);
    host.setTimer('lease', 2000);
  }
  function release() {
    host.release();
    if (leasing) {
      leasing = false;
      host.setTimer('lease', -1);
      if (storedLease().holder === tab) storage.remove(leaseKey());
    }
  }
  const stillLeads = () => (host.hasLocks ? host.stillLeads() : storedLease().holder === tab);

  // ---- refreshes: one request per token and duration, shared by whoever waits

  const flightKey = (sessionToken, duration) => `${sessionToken} ${duration ?? ''}`;
  /**
   * Sends a refresh (a leader's, `fenced`, only while it still leads: a
   * paused or frozen page may not have heard yet that another tab took the
   * lead over). It answers `{ dropped: true }` when the fence stopped it.
   */
  function fly(sessionToken, duration, fenced = false) {
    const body = JSON.stringify(duration === null ? {} : { session_duration_minutes: duration });
    const promise = (async () => {
      if (fenced && !(await stillLeads())) return { dropped: true };
      return send('POST', '/sdk/v1/sessions/authenticate', body, sessionToken);
    })();
    const flight = { promise, counted: false, answer: null };
    promise.then((answer) => { flight.answer = answer; });
    flights.set(flightKey(sessionToken, duration), flight);
    return flight;
  }
  /**
   * The kernel counts on `flight`: it hears its outcome, once (at once when
   * it is already known: the start-up refresh may answer before the module
   * is loaded).
   */
  function count(flight, sessionToken, duration) {
    flight.counted = true;
    const settle = (answer) => {
      flights.delete(flightKey(sessionToken, duration));
      if (answer.dropped) {
        signal(EVENT_REFRESH_DROPPED);
        signal(EVENT_LOST);
        lead();
        return;
      }
      let error;
      try {
        const auth = authOf(reply(answer));
        step((mono, wall) => kernel.answered(handle, mono, wall, sessionToken, false, 0, auth.token, auth.jwt,
          authNumbers(auth, answer, duration), random()), auth.objects);
        return;
      } catch (e) {
        error = e;
      }
      step((mono, wall) => kernel.answered(handle, mono, wall, sessionToken, true, classOf(error), '', '', [], random()));
    };
    if (flight.answer) settle(flight.answer);
    else flight.promise.then(settle);
  }
  const random = () => crypto.getRandomValues(new Uint32Array(1))[0];
  /** What the kernel reads of an authenticate-type answer (see `auth_data` in src/bindings.rs). */
  const authNumbers = (auth, answer, duration) => [auth.expires, auth.iat, orNaN(Date.parse(answer.date)), duration ?? NaN,
    objectKey(auth.objects.session), objectKey(auth.objects.user)];

  /** The kernel asked for a refresh (its schedule, or start-up): join one in flight or send it. */
  function kernelRefresh() {
    const sessionToken = kernel.text(handle, TEXT_TOKEN);
    const n = kernel.numbers(handle, 0);
    const duration = orNull(n[AT_REFRESH_DURATION]);
    const flight = flights.get(flightKey(sessionToken, duration)) ?? fly(sessionToken, duration, n[AT_LEADING] === 1);
    if (flight.counted) signal(EVENT_REFRESH_DROPPED);
    else count(flight, sessionToken, duration);
  }

  /** The answer of the refresh for `sessionToken` and `duration`, joining one in flight. */
  async function refreshed(sessionToken, duration) {
    for (;;) {
      let flight = flights.get(flightKey(sessionToken, duration));
      if (!flight?.counted) {
        signal(EVENT_REFRESH_BEGAN);
        flight ??= fly(sessionToken, duration);
        count(flight, sessionToken, duration);
      }
      const answer = await flight.promise;
      // A leader's refresh stopped by its fence: send one of our own.
      if (answer.dropped) continue;
      const data = reply(answer);
      authOf(data);
      delete data.__user;
      return data;
    }
  }

  // ---- start-up

  if (inBrowser && !optionsError) {
    host = createHost(publicToken, (kind, data) => onPage(kind, data));
    const cookie = readCookie(names.opaqueTokenCookieName);
    const cached = readSnapshot(storage.get(host.key(KEY_STATE)));
    const matches = cookie && cached?.hash === fingerprint(cookie);
    if (matches && cached.objects.session) {
      state = { ...cached.objects, fromCache: true };
      early = { token: cookie, jwt: readCookie(names.jwtCookieName) ?? '' };
    }
    // The confirming refresh leaves now, not once the module is ready: the
    // kernel will ask for it and join it (the duration is the one it will
    // re-send, so the two match).
    if (cookie) {
      confirming = fly(cookie, matches && options.keepSessionAlive ? cached.duration : null).promise;
      confirming.then((answer) => {
        // Answered before the module is ready: show it, as the kernel will
        // (a successful refresh of the cookie's session confirms it; a
        // failure waits for the kernel's decision).
        if (handle || destroyed) return;
        let auth;
        try { auth = authOf(reply(answer)); } catch { return; }
        if (auth.token !== cookie) return;
        early = { token: cookie, jwt: auth.jwt };
        show({ ...auth.objects, fromCache: false });
      });
    }
  }

  function open() {
    const cached = readSnapshot(storage.get(host.key(KEY_STATE)));
    handle = kernel.open(
      [tab, random(), options.refreshIntervalMs, options.requestTimeoutMs, +options.keepSessionAlive, +(location.protocol === 'https:'),
        +names.availableToSubdomains, performance.now(), Date.now()],
      [names.opaqueTokenCookieName, names.jwtCookieName, names.path, names.domain, location.hostname,
        readCookie(names.opaqueTokenCookieName) ?? '', readCookie(names.jwtCookieName) ?? ''].join('\n'),
      cached?.numbers ?? [],
    );
    const startEffects = kernel.event(handle, EVENT_STARTED, 0, 0, 0);
    if (startEffects & EFFECT_ACCEPTED) kept = cached.objects;
    early = null;
    host.attach();
    // The page showed the cache (or the start-up refresh's answer) before
    // the module was ready: the kernel starts, takes that answer if it has
    // come, and the app hears only of what it then sees differently.
    opening = true;
    try {
      run(startEffects);
    } finally {
      opening = false;
    }
    showKernel();
    lead();
  }

  let starting;
  const start = () => (starting ??= (async () => {
    if (optionsError) throw optionsError;
    // The module downloads and compiles once the start-up refresh is
    // answered (or after a quarter second): on a cold page compiling it
    // competes with that request for the CPU, and the refresh is what tells
    // the app its session is real.
    if (confirming) await Promise.race([confirming, new Promise((resolve) => { setTimeout(resolve, 250); })]);
    try {
      await loadKernel();
    } catch (e) {
      // A failed download is not final: the next call tries again.
      starting = undefined;
      throw e;
    }
    if (destroyed) throw usage(DESTROYED);
    if (!handle) open();
  })());
  const ready = start();
  ready.catch(() => { /* reported by every method call */ });

  // ---- calls

  /** Runs `flow` as a public call: after start-up, and rejected by destroy(). */
  const guard = (flow) => (...args) => new Promise((resolve, reject) => {
    const entry = { reject };
    pending.add(entry);
    start().then(() => {
      if (destroyed) throw usage(DESTROYED);
      return flow(...args);
    }).then(resolve, reject).finally(() => pending.delete(entry));
  });

  const pageUrl = () => location.origin + location.pathname;
  const bootstrapSettings = () => (bootstrap ??= call('project.bootstrap', { public_token: publicToken }).catch((e) => {
    bootstrap = undefined;
    throw e;
  }));

  /**
   * One call of the method table: checks the options, adds what the row
   * says (path values, defaults, PKCE), sends, and applies the answer.
   */
  async function call(op, given) {
    const r = row(op);
    const values = check(r.fields, given);
    const sessionToken = token();
    if (r.needsSession && !sessionToken) throw usage(NO_SESSION);
    let path = r.path;
    const body = {};
    let wire = false;
    for (const [name, , flags] of r.fields) {
      const value = values[name];
      if (flags & FLAG_IN_PATH) path = path.replace('{}', encodeURIComponent(value));
      else if (!(flags & FLAG_OPTION_ONLY)) {
        wire = true;
        if (value !== undefined) body[name] = value;
        else if (flags & FLAG_PAGE_DEFAULT) body[name] = pageUrl();
      }
    }
    let pkceKey;
    if (r.pkce) {
      const [phase, flow, setting] = r.pkce;
      const starts = phase === 'start';
      pkceKey = host.key(KEY_PKCE + flow);
      const required = starts && (!setting || (await bootstrapSettings())[setting] === true);
      alive();
      const kept = storage.get(pkceKey);
      const action = kernel.pkce(starts, required, kept !== null);
      if (action === PKCE_CREATE) {
        const pair = await pkcePair();
        alive();
        storage.set(pkceKey, pair.verifier);
        body.code_challenge = pair.challenge;
      } else if (action === PKCE_DISCARD) storage.remove(pkceKey);
      else if (action === PKCE_SEND) body.code_verifier = kept;
    }
    if (r.verb === 'GO') return { path, body };
    if (sessionToken && r.signedInPath) path = r.signedInPath;
    let text;
    try {
      text = wire ? JSON.stringify(body) : undefined;
    } catch {
      throw refuse('options', 'must be JSON-serialisable');
    }
    const answer = await send(r.verb, `/sdk/v1${path}`, text, sessionToken);
    // A finishing call spends the verifier, unless the server never saw it.
    if (r.pkce?.[0] === 'finish' && !answer.failure) storage.remove(pkceKey);
    const data = reply(answer);
    if (r.answer === 'S') {
      const auth = authOf(data);
      step((mono, wall) => kernel.answered(handle, mono, wall, undefined, false, 0, auth.token, auth.jwt,
        authNumbers(auth, answer, values.session_duration_minutes), 0), auth.objects);
    } else {
      let user = data.__user;
      if (r.answer === 'U' && !isObject(user)) {
        const { request_id: _r, status_code: _s, ...rest } = data;
        user = rest;
      }
      if (isObject(user)) signal(EVENT_USER, objectKey(user), { user });
      if (r.answer === 'U') return user;
    }
    // `__user` only refreshes the SDK's cached user; the app never sees it.
    delete data.__user;
    return data;
  }

  /** Refreshes now, or joins the refresh in flight for the same token and duration. */
  async function refreshNow(given) {
    const { session_duration_minutes: duration = null } = check(row('session.authenticate').fields, given);
    const sessionToken = token();
    if (!sessionToken) throw usage(NO_SESSION);
    return refreshed(sessionToken, duration);
  }

  async function authenticateByUrl(given, href) {
    const values = check(row('authenticate_by_url').fields, href === undefined ? given : { ...optionsObject(given), href });
    const target = values.href ?? location.href;
    if (urlSignIns.has(target)) return urlSignIns.get(target);
    const found = parseAuthenticateUrl(target);
    if (!found) return null;
    const url = new URL(target);
    const kept = url.search.slice(1).split('&').filter((p) => p && !/^(stytch_token_type|token)=/.test(p)).join('&');
    url.search = kept ? `?${kept}` : '';
    const stripped = url.href;
    // The token leaves the address bar before it is spent.
    if (location.href === target) history.replaceState(history.state, '', stripped);
    const { tokenType, token: urlToken } = found;
    const op = kernel.urlSignIn(tokenType);
    const outcome = op
      ? call(op, { token: urlToken, session_duration_minutes: values.session_duration_minutes }).then((data) => ({ handled: true, tokenType, data }))
      : Promise.resolve({ handled: false, tokenType, token: urlToken });
    // A second call for the same URL (a remount) shares the first one's outcome.
    urlSignIns.set(target, outcome).set(stripped, outcome);
    return outcome;
  }

  function parseAuthenticateUrl(href = inBrowser ? location.href : '') {
    let params;
    try { params = new URL(href, 'http://localhost').searchParams; } catch { return null; }
    const tokenType = params.get('stytch_token_type');
    const urlToken = params.get('token');
    if (!tokenType || !urlToken) return null;
    return { handled: tokenType in URL_SIGN_IN, tokenType, token: urlToken };
  }

  async function oauthStart(provider, given) {
    // Checked before call() keeps a verifier for a start that cannot happen.
    const params = optionsObject(given).provider_params;
    if (params && typeof params === 'object' && Object.entries(params).some(([name, value]) => !name || typeof value !== 'string')) {
      throw refuse('provider_params', 'must map names to string values');
    }
    const { path, body } = await call('oauth.start', { ...optionsObject(given), provider });
    const query = [['public_token', publicToken], ['login_redirect_url', body.login_redirect_url], ['signup_redirect_url', body.signup_redirect_url]];
    if (body.custom_scopes?.length) query.push(['custom_scopes', body.custom_scopes.join(' ')]);
    for (const [name, value] of Object.entries(body.provider_params ?? {})) query.push([`provider_${name}`, value]);
    query.push(['code_challenge', body.code_challenge]);
    const url = `${options.baseUrl}${path}?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
    location.assign(url);
    return { url };
  }

  async function revoke(given) {
    const { forceClear } = check(row('session.revoke').fields, given);
    if (!token()) return {};
    try {
      const data = await call('session.revoke', {});
      signal(EVENT_SIGNED_OUT);
      return data;
    } catch (e) {
      // A session the server no longer knows counts as revoked; with
      // forceClear the local session ends even when the server was not told.
      if (endsSession(e)) {
        signal(EVENT_SIGNED_OUT);
        return {};
      }
      if (forceClear) signal(EVENT_SIGNED_OUT);
      throw e;
    }
  }

  /** Adopts tokens obtained elsewhere and settles once the server confirmed them. */
  async function updateSession(given) {
    const { session_token: sessionToken, session_jwt: jwt = '' } = check(row('session.update_session').fields, given);
    step((mono, wall) => kernel.adopt(handle, mono, wall, sessionToken, jwt));
    // The kernel started the confirming refresh (without a duration: the
    // adopted session has none yet): wait for it.
    return refreshed(sessionToken, null);
  }

  async function register(given) {
    const v = check(row('webauthn.register').fields, given);
    if (!token()) throw usage(NO_SESSION);
    requireWebAuthn();
    // The start row orders the body; the options pass through but for the
    // two it names differently and the duration, which only the finish takes.
    const { is_passkey: passkey, session_duration_minutes: _, ...same } = v;
    const start = await call('webauthn.register.start', {
      ...same, domain: v.domain ?? location.hostname, return_passkey_credential_options: passkey, user_agent: navigator.userAgent,
    });
    alive();
    const credential = await ceremony(true, start.public_key_credential_creation_options);
    return call('webauthn.register.finish', { public_key_credential: credentialJson(credential), session_duration_minutes: v.session_duration_minutes });
  }

  async function authenticate(given) {
    const { signal: abortSignal, ...rest } = optionsObject(given);
    if (abortSignal !== undefined && !(abortSignal instanceof AbortSignal)) {
      throw refuse('signal', 'must be an AbortSignal');
    }
    const v = check(row('webauthn.authenticate').fields, rest);
    // Autofill is started on every sign-in page: a browser without it (and
    // so one without WebAuthn at all) answers null, as the types promise.
    if (v.conditional_mediation) {
      if (!(await browserSupportsAutofill())) return null;
      if (!v.disable_input_check && !document.querySelector("input[autocomplete*='webauthn']")) return null;
    }
    requireWebAuthn();
    const start = await call('webauthn.authenticate.start', { domain: v.domain ?? location.hostname, return_passkey_credential_options: v.is_passkey });
    alive();
    const credential = await ceremony(false, start.public_key_credential_request_options, {
      signal: abortSignal ?? new AbortController().signal,
      ...(v.conditional_mediation ? { mediation: 'conditional' } : {}),
    });
    return call('webauthn.authenticate.finish', { public_key_credential: credentialJson(credential), session_duration_minutes: v.session_duration_minutes });
  }

  // ---- the public surface

  const op = (name) => guard((given) => call(name, given));
  const withArg = (name, field) => guard((value, given) => call(name, { ...optionsObject(given), [field]: value }));
  const sender = (channel, field) => ({
    loginOrCreate: withArg(`otps.${channel}.login_or_create`, field),
    send: withArg(`otps.${channel}.send`, field),
  });
  const subscribe = (set) => (callback) => {
    set.add(callback);
    return () => set.delete(callback);
  };
  const oauth = { authenticate: withArg('oauth.authenticate', 'token') };
  for (const provider of OAUTH_PROVIDERS) oauth[provider] = { start: guard((given) => oauthStart(provider, given)) };
  const remove = (name, field) => guard((id) => call(name, { [field]: id }));

  return {
    publicToken,
    /** Resolves once the module is loaded and the state restored. */
    ready,
    session: {
      getSync: () => state.session,
      getInfo: () => ({ session: state.session, fromCache: state.fromCache }),
      getTokens: () => {
        if (!state.session) return null;
        if (!handle) return early && { session_token: early.token, session_jwt: early.jwt };
        // Another tab's refresh can reach this page before its cookie does,
        // so the JWT learnt then may be the previous one: the cookie, read
        // now, is the truth.
        readCookies();
        return { session_token: kernel.text(handle, TEXT_TOKEN), session_jwt: kernel.text(handle, TEXT_JWT) ?? '' };
      },
      onChange: subscribe(listeners.session),
      authenticate: guard(refreshNow),
      revoke: guard(revoke),
      updateSession: guard(updateSession),
    },
    user: {
      getSync: () => state.user,
      getInfo: () => ({ user: state.user, fromCache: state.fromCache }),
      get: op('user.get'),
      update: op('user.update'),
      onChange: subscribe(listeners.user),
      deleteEmail: remove('user.delete_email', 'email_id'),
      deletePhoneNumber: remove('user.delete_phone_number', 'phone_id'),
      deleteTOTP: remove('user.delete_totp', 'totp_id'),
      deleteOAuthRegistration: remove('user.delete_oauth_registration', 'oauth_user_registration_id'),
      deleteWebauthnRegistration: remove('user.delete_webauthn_registration', 'webauthn_registration_id'),
    },
    onStateChange: subscribe(listeners.state),
    magicLinks: {
      email: {
        loginOrCreate: withArg('magic_links.email.login_or_create', 'email'),
        send: withArg('magic_links.email.send', 'email'),
      },
      authenticate: withArg('magic_links.authenticate', 'token'),
    },
    otps: {
      sms: sender('sms', 'phone_number'),
      whatsapp: sender('whatsapp', 'phone_number'),
      email: sender('email', 'email'),
      authenticate: guard((code, methodId, given) => call('otps.authenticate', { ...optionsObject(given), token: code, method_id: methodId })),
    },
    passwords: {
      create: op('passwords.create'),
      authenticate: op('passwords.authenticate'),
      strengthCheck: op('passwords.strength_check'),
      resetByEmailStart: op('passwords.reset_by_email_start'),
      resetByEmail: op('passwords.reset_by_email'),
      resetByExistingPassword: op('passwords.reset_by_existing_password'),
      resetBySession: op('passwords.reset_by_session'),
    },
    oauth,
    webauthn: {
      register: guard(register),
      authenticate: guard(authenticate),
      update: guard((given) => call('webauthn.update', given)),
      browserSupportsAutofill,
    },
    totps: {
      create: op('totps.create'),
      authenticate: op('totps.authenticate'),
      recoveryCodes: guard(() => call('totps.recovery_codes', {})),
      recover: op('totps.recover'),
    },
    /** The sign-in token a redirect put in the URL, without consuming it. */
    parseAuthenticateUrl,
    /** Signs in with the token in the URL (removed from the address bar first). */
    authenticateByUrl: guard(authenticateByUrl),
    /** Stops timers and listeners; the next createClient for this token starts afresh. */
    destroy() {
      destroyed = true;
      if (host) {
        release();
        host.close();
      }
      if (handle) kernel.event(handle, EVENT_CLOSE, 0, 0, 0);
      handle = 0;
      forget();
      for (const set of Object.values(listeners)) set.clear();
      for (const entry of pending) entry.reject(usage(DESTROYED));
      pending.clear();
    },
  };
}
