// A fake browser for the unit tier: the page globals the package touches
// (window, document with its cookie jar, location, history, localStorage,
// BroadcastChannel, navigator with Web Locks and WebAuthn, fetch,
// performance.now, Date.now, timers), installed on globalThis per test and
// torn down after it. Everything else (the package modules, the kernel,
// crypto, TextEncoder, atob/btoa, AbortController) is the real thing.
//
// Several tabs of one origin can live in one process: they share the cookie
// jar, localStorage, the BroadcastChannel bus and the lock manager, and each
// has its own window, document, location, history and navigator. Which tab a
// global means is carried by an AsyncLocalStorage context: code started in a
// tab (`tab.run`), and every timer, event, message, lock grant and fetch
// continuation it leads to, sees that tab's globals. Outside any tab the
// globals are the first tab's.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { initSync } from '../../pkg/dist/latchkey.js';

const realSetImmediate = setImmediate;
const realDateNow = Date.now;

// ---- the kernel

let instantiated = false;

/** Instantiates the real kernel (once per process): a `loadKernel` for makeClient. */
export function loadKernel() {
  if (!instantiated) {
    const bytes = readFileSync(new URL('../../pkg/dist/latchkey_bg.wasm', import.meta.url));
    initSync({ module: new WebAssembly.Module(bytes) });
    instantiated = true;
  }
  return Promise.resolve();
}

/** A `loadKernel` that waits until `release()`: what a page sees while the module downloads. */
export function heldKernel() {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  let calls = 0;
  return {
    load: () => { calls += 1; return gate.then(loadKernel); },
    release: () => release(),
    get calls() { return calls; },
  };
}

// ---- waiting

/**
 * Lets every queued promise job, immediate, event and message run (the
 * fake timers run only when the clock is advanced).
 */
export async function flush(turns = 30) {
  for (let i = 0; i < turns; i += 1) await new Promise((resolve) => realSetImmediate(resolve));
}

/** A promise with its resolve and reject outside. */
function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

// ---- the tab context behind the globals

const als = new AsyncLocalStorage();
let active = null;
const currentTab = () => {
  const tab = als.getStore();
  return tab && tab.world === active ? tab : active?.tabs[0];
};

const DOM_ERROR = (name, message) => new DOMException(message, name);

/**
 * Runs `fn` as a task of `tab` (events, messages and lock callbacks come
 * as tasks in a browser); a frozen tab gets it once it is given its held
 * tasks.
 */
function task(tab, fn) {
  realSetImmediate(() => {
    if (tab.world.closed) return;
    if (tab.frozen) tab.held.push(fn);
    else als.run(tab, fn);
  });
}

// ---- time

function createClock(wallStart) {
  const timers = new Map();
  let next = 1;
  const clock = {
    mono: 0,
    wallStart,
    wall: () => wallStart + clock.mono,
    setTimeout(fn, ms = 0, ...args) {
      const id = next;
      next += 1;
      const delay = Math.max(0, Number(ms) || 0);
      // Code outside any tab is the first tab's, as its globals are.
      timers.set(id, { at: clock.mono + delay, fn, args, tab: currentTab() });
      return id;
    },
    clearTimeout(id) { timers.delete(id); },
    /** Timers pending (of `tab`, when given). */
    pending(tab) {
      return [...timers.values()].filter((t) => !tab || t.tab === tab).length;
    },
    /** The ids of `tab`'s timers due now, earliest first. */
    due(tab) {
      return [...timers].filter(([, t]) => t.tab === tab && t.at <= clock.mono).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]).map(([id]) => id);
    },
    /** Runs timer `id` now if it is still pending, then lets what it started run. */
    async fire(id) {
      const t = timers.get(id);
      if (!t) return;
      timers.delete(id);
      const run = () => t.fn(...t.args);
      if (t.tab) als.run(t.tab, run); else run();
      await flush();
    },
    /** Moves time forward by `ms`, running each timer due on the way at its moment. */
    async advance(ms) {
      const target = clock.mono + ms;
      for (;;) {
        await flush();
        let due = null;
        for (const [id, t] of timers) {
          if (t.at <= target && !t.tab?.frozen && (!due || t.at < due[1].at)) due = [id, t];
        }
        if (!due) break;
        const [id, t] = due;
        timers.delete(id);
        clock.mono = Math.max(clock.mono, t.at);
        const fire = () => t.fn(...t.args);
        if (t.tab) als.run(t.tab, fire); else fire();
      }
      clock.mono = target;
      await flush();
    },
  };
  return clock;
}

// ---- cookies

/** The cookie jar of the origin's host, as RFC 6265 keeps it (enough of it). */
function createJar(clock) {
  const cookies = new Map();
  const writes = [];
  const domainMatches = (host, domain) => host === domain || host.endsWith(`.${domain}`);
  const pathMatches = (requestPath, path) => requestPath === path
    || (requestPath.startsWith(path) && (path.endsWith('/') || requestPath[path.length] === '/'));
  const live = (c) => c.expires === null || c.expires > clock.wall();
  return {
    /** Every string written to document.cookie, in order. */
    writes,
    write(text, page) {
      writes.push(text);
      const [pair, ...attributes] = text.split(';');
      const at = pair.indexOf('=');
      if (at < 0) return;
      const cookie = {
        name: pair.slice(0, at).trim(),
        value: pair.slice(at + 1).trim(),
        domain: page.hostname,
        hostOnly: true,
        path: null,
        expires: null,
        secure: false,
        sameSite: null,
      };
      let maxAge = null;
      for (const attribute of attributes) {
        const eq = attribute.indexOf('=');
        const key = (eq < 0 ? attribute : attribute.slice(0, eq)).trim().toLowerCase();
        const value = eq < 0 ? '' : attribute.slice(eq + 1).trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'domain' && value) {
          const domain = value.replace(/^\./, '').toLowerCase();
          // A page cannot set a cookie for a domain it is not in.
          if (!domainMatches(page.hostname, domain)) return;
          cookie.domain = domain;
          cookie.hostOnly = false;
        } else if (key === 'expires') {
          const when = Date.parse(value);
          if (Number.isFinite(when)) cookie.expires = when;
        } else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
        else if (key === 'secure') cookie.secure = true;
        else if (key === 'samesite') cookie.sameSite = value;
      }
      // Max-Age wins over Expires; zero or less deletes.
      if (maxAge !== null) cookie.expires = maxAge <= 0 ? -Infinity : clock.wall() + maxAge * 1000;
      // Browsers refuse Secure cookies from plain-http pages other than localhost.
      if (cookie.secure && page.protocol !== 'https:' && page.hostname !== 'localhost') return;
      if (cookie.path === null) {
        const dir = page.pathname.slice(0, page.pathname.lastIndexOf('/'));
        cookie.path = dir || '/';
      }
      const key = `${cookie.name};${cookie.domain};${cookie.path};${cookie.hostOnly}`;
      cookies.delete(key);
      if (live(cookie)) cookies.set(key, cookie);
    },
    /** `document.cookie` for a page. */
    read(page) {
      return [...cookies.values()]
        .filter((c) => live(c) && pathMatches(page.pathname, c.path)
          && (c.hostOnly ? c.domain === page.hostname : domainMatches(page.hostname, c.domain))
          && (!c.secure || page.protocol === 'https:' || page.hostname === 'localhost'))
        .sort((a, b) => b.path.length - a.path.length)
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
    },
    /** Every live cookie with its attributes. */
    all: () => [...cookies.values()].filter(live),
    /** The value of the live cookie `name` (any domain and path), or undefined. */
    get(name) {
      return [...cookies.values()].find((c) => c.name === name && live(c))?.value;
    },
    clear() { cookies.clear(); },
  };
}

// ---- events

class FakeEventTarget {
  constructor() { this.listeners = new Map(); }
  addEventListener(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
  }
  removeEventListener(type, listener) { this.listeners.get(type)?.delete(listener); }
  dispatchEvent(event) {
    for (const listener of [...(this.listeners.get(event.type) ?? [])]) listener.call(this, event);
    return true;
  }
  /** How many listeners are attached (of `type`, when given). */
  listenerCount(type) {
    if (type) return this.listeners.get(type)?.size ?? 0;
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

// ---- the page address

class FakeLocation {
  constructor(tab, href) {
    this.tab = tab;
    this.url = new URL(href);
  }
  get href() { return this.url.href; }
  set href(value) { this.assign(value); }
  get origin() { return this.url.origin; }
  get protocol() { return this.url.protocol; }
  get host() { return this.url.host; }
  get hostname() { return this.url.hostname; }
  get port() { return this.url.port; }
  get pathname() { return this.url.pathname; }
  get search() { return this.url.search; }
  get hash() { return this.url.hash; }
  /** A navigation: recorded, not followed (the test plays the next page). */
  assign(value) {
    const url = new URL(String(value), this.url).href;
    this.tab.navigations.push(url);
    this.tab.world.journal.push(`navigate ${url}`);
  }
  replace(value) { this.assign(value); }
  toString() { return this.href; }
}

class FakeHistory {
  constructor(tab) {
    this.tab = tab;
    this.state = null;
    this.calls = [];
  }
  replaceState(state, title, url) {
    if (url !== undefined && url !== null) {
      const next = new URL(String(url), this.tab.location.url);
      if (next.origin !== this.tab.location.origin) throw DOM_ERROR('SecurityError', 'replaceState to another origin');
      this.tab.location.url = next;
    }
    this.state = state;
    this.calls.push({ state, title, url: this.tab.location.href });
    this.tab.world.journal.push(`replaceState ${this.tab.location.href}`);
  }
}

// ---- storage

class FakeStorage {
  constructor(tab) { this.tab = tab; }
  get map() { return this.tab.world.store; }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(key) {
    if (this.tab.storageBroken) throw DOM_ERROR('SecurityError', 'storage disabled');
    return this.map.has(String(key)) ? this.map.get(String(key)) : null;
  }
  setItem(key, value) {
    if (this.tab.storageBroken) throw DOM_ERROR('QuotaExceededError', 'storage full');
    const k = String(key);
    const old = this.getItem(k);
    const text = String(value);
    this.map.set(k, text);
    if (old !== text) this.tab.world.storageChanged(this.tab, k, old, text);
  }
  removeItem(key) {
    if (this.tab.storageBroken) throw DOM_ERROR('SecurityError', 'storage disabled');
    const k = String(key);
    const old = this.getItem(k);
    this.map.delete(k);
    if (old !== null) this.tab.world.storageChanged(this.tab, k, old, null);
  }
  clear() { for (const key of [...this.map.keys()]) this.removeItem(key); }
}

// ---- Web Locks

/** The origin's lock manager: exclusive locks, a queue, `signal` aborts, `steal`, `query`. */
function createLockManager(world) {
  const held = new Map();
  const queue = [];
  const abortError = (message) => DOM_ERROR('AbortError', message);
  let queryGate = null;
  function grant(entry) {
    held.set(entry.name, entry);
    task(entry.tab, () => {
      let result;
      try {
        result = Promise.resolve(entry.callback({ name: entry.name, mode: 'exclusive' }));
      } catch (e) {
        result = Promise.reject(e);
      }
      result.then((value) => finish(entry, () => entry.resolve(value)), (error) => finish(entry, () => entry.reject(error)));
    });
  }
  function finish(entry, settle) {
    if (held.get(entry.name) === entry) {
      held.delete(entry.name);
      settle();
      next(entry.name);
    } else if (!entry.stolen) settle();
  }
  function next(name) {
    if (held.has(name)) return;
    const at = queue.findIndex((e) => e.name === name);
    if (at < 0) return;
    const [entry] = queue.splice(at, 1);
    grant(entry);
  }
  const manager = {
    request(tab, name, options, callback) {
      if (typeof options === 'function') [options, callback] = [{}, options];
      return new Promise((resolve, reject) => {
        const entry = { name, tab, clientId: tab.clientId, callback, resolve, reject, stolen: false };
        const { signal, steal } = options ?? {};
        if (signal?.aborted) return reject(signal.reason ?? abortError('aborted'));
        if (steal) {
          const victim = held.get(name);
          if (victim) {
            victim.stolen = true;
            held.delete(name);
            if (victim.tab) task(victim.tab, () => victim.reject(abortError('The lock was stolen')));
          }
          grant(entry);
          return undefined;
        }
        queue.push(entry);
        signal?.addEventListener('abort', () => {
          const at = queue.indexOf(entry);
          if (at >= 0) {
            queue.splice(at, 1);
            reject(signal.reason ?? abortError('aborted'));
          }
        }, { once: true });
        next(name);
        return undefined;
      });
    },
    async query() {
      await queryGate;
      return {
        held: [...held.values()].map((e) => ({ name: e.name, mode: 'exclusive', clientId: e.clientId })),
        pending: queue.map((e) => ({ name: e.name, mode: 'exclusive', clientId: e.clientId })),
      };
    },
    /** Makes `query()` wait until the returned function is called (a slow browser). */
    holdQueries() {
      let release;
      queryGate = new Promise((resolve) => { release = resolve; });
      return () => { queryGate = null; release(); };
    },
    /** The clientId holding `name`, or null. */
    holder: (name) => held.get(name)?.clientId ?? null,
    /** The clientIds waiting for `name`. */
    waiting: (name) => queue.filter((e) => e.name === name).map((e) => e.clientId),
    /**
     * Takes `name` for `clientId` without telling the holder: what a page
     * that was frozen or paused when another tab stole its lock sees.
     */
    takeQuietly(name, clientId) {
      const victim = held.get(name);
      if (victim) victim.stolen = true;
      held.set(name, { name, clientId, tab: null, stolen: false });
    },
  };
  return manager;
}

// ---- BroadcastChannel

function createBroadcastChannelClass(world) {
  return class BroadcastChannel extends FakeEventTarget {
    constructor(name) {
      super();
      this.name = String(name);
      this.tab = als.getStore() ?? world.tabs[0];
      this.closed = false;
      this.onmessage = null;
      world.channels.add(this);
    }
    postMessage(data) {
      if (this.closed) throw DOM_ERROR('InvalidStateError', 'BroadcastChannel is closed');
      world.journal.push(`broadcast ${this.name}`);
      for (const other of world.channels) {
        if (other === this || other.closed || other.name !== this.name) continue;
        task(other.tab, () => {
          if (other.closed) return;
          const event = { type: 'message', data };
          other.onmessage?.(event);
          other.dispatchEvent(event);
        });
      }
    }
    close() {
      this.closed = true;
      world.channels.delete(this);
    }
  };
}

// ---- fetch and the scripted API

/**
 * The network: requests are recorded and answered by the routes a test
 * sets. A route answers with a spec `{ status, body, headers, delay }`,
 * `{ fail: true }` (a network failure), a function of the request giving
 * either, or a promise of either (an answer the test releases later).
 */
function createNetwork(world) {
  const routes = new Map();
  const net = {
    log: [],
    unrouted: [],
    /** Answers `'METHOD /path'` (the path without query) with `answer`. */
    on(route, answer) {
      routes.set(route, answer);
      return net;
    },
    off(route) { routes.delete(route); },
    /** The recorded requests, optionally only `'METHOD /path'` or those whose path starts with a prefix. */
    requests(route) {
      if (!route) return net.log;
      const [method, path] = route.includes(' ') ? route.split(' ') : [null, route];
      return net.log.filter((r) => (!method || r.method === method) && (r.path === path || (path.endsWith('*') && r.path.startsWith(path.slice(0, -1)))));
    },
    /**
     * Holds every request to `route` until the test answers it:
     * `gate.requests[i].answer(spec)`, or `gate.answerAll(spec)`.
     */
    gate(route) {
      const gate = {
        requests: [],
        answerAll(spec) { for (const r of gate.requests.filter((x) => !x.answered)) r.answer(spec); },
      };
      net.on(route, (request) => {
        const { promise, resolve } = deferred();
        const held = {
          request,
          answered: false,
          answer(spec) { held.answered = true; resolve(spec); },
        };
        gate.requests.push(held);
        return promise;
      });
      return gate;
    },
  };

  async function fetch(input, init = {}) {
    const url = String(input instanceof URL ? input.href : input?.url ?? input);
    // The package's own files (index.js loads the WebAssembly module this way).
    if (url.startsWith('file:')) {
      return new Response(readFileSync(new URL(url)), { headers: { 'content-type': 'application/wasm' } });
    }
    const tab = als.getStore() ?? world.tabs[0];
    const parsed = new URL(url);
    let json;
    try { json = init.body === undefined ? undefined : JSON.parse(init.body); } catch { json = Symbol.for('not json'); }
    const request = {
      method: init.method ?? 'GET',
      url,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      headers: { ...init.headers },
      body: init.body,
      json,
      credentials: init.credentials,
      hasBody: init.body !== undefined,
      tab,
      at: world.clock.mono,
    };
    net.log.push(request);
    world.journal.push(`fetch ${request.method} ${request.path}`);
    const signal = init.signal;
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (error) => { if (!done) { done = true; reject(error); } };
      const abort = () => fail(DOM_ERROR('AbortError', 'The operation was aborted.'));
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      if (!world.online) return fail(new TypeError('Failed to fetch'));
      const route = routes.get(`${request.method} ${request.path}`);
      if (route === undefined) {
        net.unrouted.push(`${request.method} ${request.path}`);
        return fail(new TypeError('Failed to fetch'));
      }
      Promise.resolve(typeof route === 'function' ? route(request) : route).then((spec) => {
        const deliver = () => {
          if (done) return;
          if (!spec || spec.fail) return fail(new TypeError('Failed to fetch'));
          const body = spec.body === undefined ? '' : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
          request.answer = body;
          done = true;
          const status = spec.status ?? 200;
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : body, {
            status,
            headers: { 'content-type': 'application/json', date: new Date(world.clock.wall()).toUTCString(), ...spec.headers },
          }));
        };
        if (spec?.delay) world.clock.setTimeout(deliver, spec.delay);
        else deliver();
      }, fail);
      return undefined;
    });
  }
  return { net, fetch };
}

// ---- tabs and the world

class Tab {
  constructor(world, href, { name, locks = true, credentials = null } = {}) {
    this.world = world;
    this.name = name;
    this.clientId = `client-${name}`;
    this.navigations = [];
    this.storageBroken = false;
    this.frozen = false;
    this.held = [];
    this.visibilityState = 'visible';
    this.inputs = [];
    this.cookieView = null;
    this.location = new FakeLocation(this, href);
    this.history = new FakeHistory(this);
    this.localStorage = new FakeStorage(this);
    this.window = new FakeEventTarget();
    const tab = this;
    // Accessors, not copied values: defineProperties keeps them live.
    this.document = Object.defineProperties(new FakeEventTarget(), {
      cookie: {
        get: () => tab.cookieView ?? world.jar.read(tab.location),
        set: (text) => {
          world.journal.push(`cookie ${String(text).split(';')[0]}`);
          world.jar.write(String(text), tab.location);
        },
      },
      visibilityState: { get: () => tab.visibilityState },
      querySelector: {
        value: (selector) => {
          const m = /^input\[autocomplete\*='([^']+)'\]$/.exec(selector);
          if (!m) throw new Error(`the fake document does not know the selector ${selector}`);
          return tab.inputs.find((i) => (i.autocomplete ?? '').includes(m[1])) ?? null;
        },
      },
    });
    const lockManager = world.locks;
    this.navigator = {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) FakeBrowser/1.0',
      get onLine() { return world.online; },
      locks: locks ? { request: (...args) => lockManager.request(tab, ...args), query: () => lockManager.query() } : undefined,
      credentials,
    };
  }
  /**
   * A frozen tab (a paused or backgrounded page) runs no timer, and holds
   * the events, messages and lock callbacks that reach it.
   */
  freeze() { this.frozen = true; }
  /**
   * The page runs again, as a browser resumes one: the timers that came due
   * while it was frozen run first, then the tasks it held (in the order they
   * came), and only then anything those timers scheduled.
   */
  async wake() {
    this.frozen = false;
    for (const id of this.world.clock.due(this)) await this.world.clock.fire(id);
    for (const fn of this.held.splice(0)) task(this, fn);
    await flush();
  }
  /**
   * The page's `document.cookie` stops following the jar, as a renderer
   * that has not yet heard of another tab's cookie write (in Chromium that
   * write can land after the BroadcastChannel message sent just after it),
   * until `seeCookies()`.
   */
  lagCookies() { this.cookieView = this.world.jar.read(this.location); }
  seeCookies() { this.cookieView = null; }
  /** Runs `fn` as code of this tab (its globals, and whatever it starts). */
  run(fn) { return als.run(this, fn); }
  /** Listeners attached to this tab's window and document. */
  listenerCount() { return this.window.listenerCount() + this.document.listenerCount(); }
  /** Fires a page event: `visibilitychange`, `online`, `pageshow`, `pagehide`. */
  fire(type, init = {}) {
    const target = type === 'visibilitychange' ? this.document : this.window;
    this.run(() => target.dispatchEvent({ type, ...init }));
  }
}

const GLOBALS = ['window', 'document', 'location', 'history', 'localStorage', 'navigator', 'BroadcastChannel', 'fetch',
  'setTimeout', 'clearTimeout', 'performance', 'reportError', 'PublicKeyCredential'];

/**
 * A fake browser origin. Options: `url` of the first tab, `wall` (device
 * time at start), `locks` (Web Locks present), `broadcastChannel`,
 * `webauthn` ({ autofill } to have PublicKeyCredential), `credentials`.
 */
export function createWorld(options = {}) {
  const {
    url = 'http://localhost:5173/app/login',
    wall = 1_700_000_000_000,
    locks = true,
    broadcastChannel = true,
    webauthn = null,
    credentials = null,
  } = options;
  const world = {
    online: true,
    closed: false,
    store: new Map(),
    channels: new Set(),
    tabs: [],
    journal: [],
    errors: [],
    webauthn,
  };
  world.clock = createClock(wall);
  world.jar = createJar(world.clock);
  world.locks = createLockManager(world);
  const { net, fetch } = createNetwork(world);
  world.net = net;
  world.storageChanged = (writer, key, oldValue, newValue) => {
    for (const tab of world.tabs) {
      if (tab === writer) continue;
      task(tab, () => {
        tab.window.dispatchEvent({ type: 'storage', key, oldValue, newValue, url: writer.location.href, storageArea: tab.localStorage });
      });
    }
  };
  /** Opens another tab of the same origin (shared cookies, storage, channel, locks). */
  world.openTab = (href = url, tabOptions = {}) => {
    const tab = new Tab(world, href, { name: String(world.tabs.length + 1), locks, credentials, ...tabOptions });
    world.tabs.push(tab);
    return tab;
  };
  world.tab = world.openTab(url);
  const BroadcastChannel = broadcastChannel ? createBroadcastChannelClass(world) : undefined;
  const PublicKeyCredential = webauthn ? Object.assign(function PublicKeyCredential() {}, {
    isConditionalMediationAvailable: async () => world.webauthn.autofill === true,
  }) : undefined;
  const fakes = {
    fetch,
    BroadcastChannel,
    PublicKeyCredential,
    setTimeout: (fn, ms, ...args) => world.clock.setTimeout(fn, ms, ...args),
    clearTimeout: (id) => world.clock.clearTimeout(id),
    performance: { now: () => world.clock.mono, timeOrigin: wall },
    reportError: (error) => world.errors.push(error),
  };
  const saved = new Map();

  world.install = () => {
    assert.equal(active, null, 'one fake browser at a time');
    active = world;
    for (const name of GLOBALS) {
      saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
      const perTab = ['window', 'document', 'location', 'history', 'localStorage', 'navigator'].includes(name);
      if (perTab) {
        Object.defineProperty(globalThis, name, { configurable: true, enumerable: true, get: () => currentTab()[name] });
      } else if (fakes[name] === undefined) {
        delete globalThis[name];
      } else {
        Object.defineProperty(globalThis, name, { configurable: true, enumerable: true, writable: true, value: fakes[name] });
      }
    }
    Date.now = () => world.clock.wall();
    return world;
  };

  /** Every session token and JWT the fake API handed out. */
  world.secrets = () => {
    const found = new Set();
    for (const r of net.log) {
      let data;
      try { data = JSON.parse(r.answer ?? '').data; } catch { continue; }
      if (typeof data?.session_token === 'string' && data.session_token) found.add(data.session_token);
      if (typeof data?.session_jwt === 'string' && data.session_jwt) found.add(data.session_jwt);
    }
    for (const text of world.jar.writes) {
      const value = text.split(';')[0].split('=').slice(1).join('=');
      if (value) found.add(value);
    }
    return found;
  };

  world.teardown = () => {
    world.closed = true;
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete globalThis[name];
    }
    saved.clear();
    Date.now = realDateNow;
    active = null;
    // Tokens live in cookies and in memory only, never in localStorage.
    for (const secret of world.secrets()) {
      for (const [key, value] of world.store) {
        assert.ok(!value.includes(secret), `localStorage ${key} holds a token or JWT: ${value}`);
      }
    }
    assert.deepEqual(net.unrouted, [], 'every request the SDK sent was one the test expected');
  };
  return world;
}

/** Creates and installs a fake browser for test `t`, torn down (and checked) after it. */
export function browser(t, options) {
  const world = createWorld(options).install();
  t.after(() => world.teardown());
  return world;
}

