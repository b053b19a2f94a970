// The `latchkey` package: shapes the public API over the WebAssembly core.
// The module loads itself; createClient returns at once and every method
// waits for the module. Nothing here touches browser globals at import time,
// so importing (SSR, Node) is safe; outside a browser, methods reject with a
// `usage` error and the session reads as signed out.
import { initSync, Core, version as wasmVersion } from './dist/latchkey.js';
import { createHost } from './host.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
let loading;

function loadWasm() {
  if (!inBrowser) {
    return Promise.reject(new LatchkeyError({
      kind: 'usage', retryable: false,
      message: 'Latchkey runs in a browser: call its methods from client-side code only',
    }));
  }
  // Loaded here rather than by the glue's async init, which bundlers would
  // then keep (about 1 KB): compiled while it downloads, or as a whole when
  // the server labels it other than application/wasm; instantiated by initSync.
  loading ??= fetch(new URL('./dist/latchkey_bg.wasm', import.meta.url)).then((response) => {
    if (!response.ok) throw new Error(`failed to fetch Wasm: ${response.status} ${response.url}`);
    return WebAssembly.compileStreaming(response.clone())
      .catch(() => response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes)));
  }).then((module) => { initSync({ module }); }, (error) => {
    // A failed download is not remembered: the next attempt fetches again.
    loading = undefined;
    throw new LatchkeyError({
      kind: 'network', reason: navigator.onLine === false ? 'offline' : 'unreachable', retryable: true,
      message: `The SDK's WebAssembly module could not be loaded (${error.message})`,
    });
  });
  return loading;
}

/** Every error the SDK reports; `kind` tells the variant apart. */
export class LatchkeyError extends Error {
  constructor(fields) {
    super(fields.message);
    Object.assign(this, fields);
    this.name = 'LatchkeyError';
  }
}

const fromCore = (text) => new LatchkeyError(JSON.parse(text));
// `__user` only refreshes the SDK's cached user; the app never sees it.
const dropUser = (key, value) => (key === '__user' ? undefined : value);
const toError = (e) => (e instanceof LatchkeyError ? e : typeof e === 'string' ? fromCore(e)
  : new LatchkeyError({ kind: 'usage', retryable: false, message: String(e?.message ?? e) }));

// Non-finite numbers would become `null` in JSON and read as "absent":
// send them as text so the core refuses them as the wrong type.
const encode = (value) => JSON.stringify(value ?? {}, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** Resolves once the WebAssembly module is instantiated (browser only). */
export function ready() {
  return loadWasm().then(() => undefined);
}

/** The SDK version baked into the WebAssembly module. */
export async function version() {
  await loadWasm();
  return wasmVersion();
}

const clients = new Map();

/**
 * Creates the client for `publicToken`, or returns the one this page
 * already has for it (one session, one refresh loop per token and page).
 */
export function createClient(publicToken, options = {}) {
  let client = clients.get(publicToken);
  if (!client) {
    client = makeClient(publicToken, options);
    clients.set(publicToken, client);
  }
  return client;
}

// Before the module is ready, the cached state is read here directly, so a
// signed-in page can render signed in on its first paint. It mirrors the
// core's start-up rule: the cache counts only with the matching cookie.
function cachedState(publicToken, options) {
  try {
    const name = options?.cookieOptions?.opaqueTokenCookieName ?? 'stytch_session';
    const cookie = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
    const auth = JSON.parse(localStorage.getItem(`latchkey:${publicToken}:state`) ?? 'null')?.auth;
    if (auth?.session && auth.token === cookie) {
      return { session: auth.session, user: auth.user, session_token: auth.token, session_jwt: auth.jwt, from_cache: true };
    }
  } catch { /* storage unavailable: start signed out */ }
  return null;
}

const SIGNED_OUT = { session: null, user: null, session_token: null, session_jwt: null, from_cache: false };
const PROVIDERS = ['google', 'github', 'microsoft', 'apple', 'facebook', 'gitlab', 'discord', 'slack', 'linkedin', 'twitter'];

function makeClient(publicToken, options) {
  let core = null;
  let state = (inBrowser && cachedState(publicToken, options)) || SIGNED_OUT;
  const listeners = { session: new Set(), user: new Set(), state: new Set() };
  // Promises of calls in progress, by call id; the core settles them.
  const calls = new Map();
  let nextCall = 1;

  const emit = (set, value) => {
    for (const callback of [...set]) {
      try { callback(value); } catch (error) { globalThis.reportError?.(error); }
    }
  };
  const changed = (sessionChanged, userChanged) => {
    state = JSON.parse(core.state());
    if (sessionChanged) emit(listeners.session, state.session);
    if (userChanged) emit(listeners.user, state.user);
    if (sessionChanged || userChanged) emit(listeners.state, { session: state.session, user: state.user });
  };
  const settle = (id, ok, text) => {
    const call = calls.get(id);
    if (!call) return;
    calls.delete(id);
    if (ok) call.resolve(JSON.parse(text, dropUser));
    else call.reject(fromCore(text));
  };
  // Starting needs the module: when it could not be downloaded, the next
  // call tries again (a flaky network must not leave the client dead until
  // a reload); invalid options stay an error.
  let starting;
  const start = () => (starting ??= loadWasm().catch((error) => {
    if (error.kind === 'network') starting = undefined;
    throw error;
  }).then(() => {
    try {
      const host = createHost(publicToken, { settle, changed });
      core = new Core(publicToken, encode(options), host);
      host.attach(core);
    } catch (e) {
      state = SIGNED_OUT;
      throw toError(e);
    }
    const before = state;
    state = JSON.parse(core.state());
    const differs = (a, b) => JSON.stringify(a) !== JSON.stringify(b);
    const sessionChanged = differs(before.session, state.session);
    const userChanged = differs(before.user, state.user);
    if (sessionChanged || userChanged) changed(sessionChanged, userChanged);
  }));
  const started = start();
  started.catch(() => { /* reported by every method call */ });

  const call = async (op, args) => {
    try {
      await start();
    } catch (e) {
      throw toError(e);
    }
    if (!core) throw new LatchkeyError({ kind: 'usage', retryable: false, message: 'This client was destroyed' });
    let text;
    try {
      text = encode(args);
    } catch {
      throw new LatchkeyError({ kind: 'validation', field: 'options', retryable: false, message: 'must be JSON-serialisable' });
    }
    const id = nextCall++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      core.call(id, op, text);
    });
  };
  // The session and user objects change only with a notification (so their
  // identity is stable between changes); tokens rotate on every refresh and
  // the cache flag flips on confirmation without one, so those are read live.
  const live = () => (core ? JSON.parse(core.state()) : state);
  const subscribe = (set) => (callback) => {
    set.add(callback);
    return () => set.delete(callback);
  };
  const withArg = (op, name) => (value, opts) => call(op, { ...opts, [name]: value });
  const sender = (channel, field) => ({
    loginOrCreate: withArg(`otps.${channel}.login_or_create`, field),
    send: withArg(`otps.${channel}.send`, field),
  });

  const oauth = { authenticate: withArg('oauth.authenticate', 'token') };
  for (const provider of PROVIDERS) {
    oauth[provider] = { start: (opts) => call('oauth.start', { ...opts, provider }) };
  }

  return {
    publicToken,
    /** Resolves once the module is loaded and the state restored. */
    ready: started,
    session: {
      getSync: () => state.session,
      getInfo: () => ({ session: state.session, fromCache: live().from_cache }),
      getTokens: () => {
        const now = live();
        return now.session_token ? { session_token: now.session_token, session_jwt: now.session_jwt } : null;
      },
      onChange: subscribe(listeners.session),
      authenticate: (opts) => call('session.authenticate', opts),
      revoke: (opts) => call('session.revoke', opts),
      updateSession: (tokens) => call('session.updateSession', tokens),
    },
    user: {
      getSync: () => state.user,
      getInfo: () => ({ user: state.user, fromCache: live().from_cache }),
      get: () => call('user.get'),
      update: (opts) => call('user.update', opts),
      onChange: subscribe(listeners.user),
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
      authenticate: (code, methodId, opts) => call('otps.authenticate', { ...opts, token: code, method_id: methodId }),
    },
    passwords: {
      create: (opts) => call('passwords.create', opts),
      authenticate: (opts) => call('passwords.authenticate', opts),
      strengthCheck: (opts) => call('passwords.strength_check', opts),
      resetByEmailStart: (opts) => call('passwords.reset_by_email_start', opts),
      resetByEmail: (opts) => call('passwords.reset_by_email', opts),
      resetByExistingPassword: (opts) => call('passwords.reset_by_existing_password', opts),
      resetBySession: (opts) => call('passwords.reset_by_session', opts),
    },
    oauth,
    /** The sign-in token a redirect put in the URL, without consuming it. */
    parseAuthenticateUrl(href = inBrowser ? location.href : '') {
      let params;
      try { params = new URL(href, 'http://localhost').searchParams; } catch { return null; }
      const tokenType = params.get('stytch_token_type');
      const token = params.get('token');
      if (!tokenType || !token) return null;
      return { handled: tokenType === 'magic_links' || tokenType === 'oauth', tokenType, token };
    },
    /** Signs in with the token in the URL (removed from the address bar first). */
    authenticateByUrl: (opts, href) => call('authenticateByUrl', href === undefined ? opts : { ...opts, href }),
    /** Stops timers and listeners; the next createClient for this token starts afresh. */
    destroy() {
      core?.destroy();
      core?.free();
      core = null;
      clients.delete(publicToken);
      for (const set of Object.values(listeners)) set.clear();
    },
  };
}
