// The browser side of one Latchkey client: every page primitive the Rust
// core uses (src/platform/browser.rs calls these methods), and the page's
// events delivered back to it. Nothing here decides anything.

// The SDK version reported in X-SDK-Client; kept equal to package.json by a test.
export const VERSION = '0.1.0';

let timezone = '';
try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { /* unknown */ }

/**
 * `core` receives `event(kind, data)` and `answer(id, status, date, body, failure)`;
 * `app` receives `settle(id, ok, text)` and `changed(sessionChanged, userChanged)`.
 */
export function createHost(publicToken, app) {
  const prefix = `latchkey:${publicToken}:`;
  const uuid = () => {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const storage = {
    // Storage can throw (disabled, quota, sandboxed iframes): the session
    // then lives in memory for this page only.
    get: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
    set: (key, value) => { try { localStorage.setItem(key, value); } catch { /* see above */ } },
  };
  let persistentId = storage.get(`${prefix}device`);
  if (!persistentId) storage.set(`${prefix}device`, (persistentId = `persistent-id-${uuid()}`));
  const appSessionId = `app-session-id-${uuid()}`;
  // The channel is closed while the page sits in the back/forward cache:
  // Chromium evicts a cached page that a message reaches, and the core
  // catches up from storage when the page is restored.
  let channel = null;
  const openChannel = () => {
    if (channel || typeof BroadcastChannel !== 'function') return;
    channel = new BroadcastChannel(`${prefix}channel`);
    channel.onmessage = (e) => { if (typeof e.data === 'string') deliver('message', e.data); };
  };
  const closeChannel = () => {
    channel?.close();
    channel = null;
  };
  openChannel();
  let core = null;
  const timers = {};
  let lock = null;
  const deliver = (kind, data = '') => core?.event(kind, data);
  const listeners = {
    storage: (e) => { if (e.key === `${prefix}state` && e.newValue !== null) deliver('storage', e.newValue); },
    online: () => deliver('online'),
    pageshow: (e) => {
      if (!e.persisted) return;
      openChannel();
      deliver('restored');
    },
    pagehide: () => {
      deliver('hidden');
      closeChannel();
    },
  };
  const onVisibility = () => { if (document.visibilityState === 'visible') deliver('visible'); };

  const setTimer = (delayMs, kind) => {
    clearTimeout(timers[kind]);
    if (delayMs >= 0) timers[kind] = setTimeout(() => deliver(kind), delayMs);
  };
  const release = () => {
    lock?.release();
    lock = null;
  };
  // The primitives behind `run`, in the order of `Op` in src/platform/browser.rs:
  // (number, text, text) in, a string or nothing out.
  const ops = [
    /* Get */ (_, key) => storage.get(key),
    /* Set */ (_, key, value) => storage.set(key, value),
    /* Remove */ (_, key) => { try { localStorage.removeItem(key); } catch { /* see storage */ } },
    /* Cookies */ () => document.cookie,
    /* WriteCookie */ (_, cookie) => { document.cookie = cookie; },
    /* Page: href, hostname, protocol */ (n) => [location.href, location.hostname, location.protocol][n],
    /* ReplaceUrl */ (_, href) => history.replaceState(history.state, '', href),
    /* Navigate */ (_, url) => location.assign(url),
    /* Post */ (_, text) => channel?.postMessage(text),
    /* Timer: the single refresh timer; a negative delay cancels it */ (delayMs) => setTimer(delayMs, 'timer'),
    /* LeaseTimer: the fallback election's tick */ (delayMs) => setTimer(delayMs, 'lease'),
    /* Lead: asks for the Web Lock and holds it until Release; nothing without Web Locks */ () => {
      if (!globalThis.navigator?.locks?.request) return;
      if (!lock) {
        const abort = new AbortController();
        let free;
        const held = new Promise((resolve) => { free = resolve; });
        lock = { release() { abort.abort(); free(); } };
        navigator.locks
          .request(`${prefix}refresh`, { signal: abort.signal }, () => { deliver('leader'); return held; })
          .catch(() => { /* aborted while waiting */ });
      }
      return '';
    },
    /* Release */ release,
    /* Close */ () => {
      setTimer(-1, 'timer');
      setTimer(-1, 'lease');
      release();
      closeChannel();
      for (const [type, listener] of Object.entries(listeners)) removeEventListener(type, listener);
      document.removeEventListener('visibilitychange', onVisibility);
      core = null;
    },
    /* Settle: call id, outcome text, "" when it succeeded */ (id, text, error) => app.settle(id, !error, text),
    /* Changed: 1 session, 2 user */ (bits) => app.changed(!!(bits & 1), !!(bits & 2)),
  ];

  return {
    attach(target) {
      core = target;
      for (const [type, listener] of Object.entries(listeners)) addEventListener(type, listener);
      document.addEventListener('visibilitychange', onVisibility);
    },
    run: (op, number, a, b) => ops[op](number, a, b),
    /** `performance.now()`, or `Date.now()` when `wall`. */
    now: (wall) => (wall ? Date.now() : performance.now()),
    fillRandom: (bytes) => crypto.getRandomValues(bytes),
    /**
     * fetch with the protocol's headers and a timeout; answers
     * core.answer(id, status, date, body, failure).
     */
    send(id, method, url, sessionToken, body, timeoutMs) {
      const abort = new AbortController();
      const deadline = setTimeout(() => abort.abort(), timeoutMs);
      const client = {
        event_id: `event-id-${uuid()}`,
        app_session_id: appSessionId,
        persistent_id: persistentId,
        client_sent_at: new Date().toISOString(),
        timezone,
        app: { identifier: location.hostname },
        sdk: { identifier: 'latchkey', version: VERSION },
      };
      const headers = {
        Authorization: `Basic ${btoa(`${publicToken}:${sessionToken ?? publicToken}`)}`,
        'X-SDK-Client': btoa(JSON.stringify(client)),
        'X-SDK-Parent-Host': location.origin,
      };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const init = { method, headers, credentials: 'include', signal: abort.signal };
      if (body !== undefined) init.body = body;
      fetch(url, init)
        .then(async (r) => [r.status, r.headers.get('date') || '', await r.text(), ''])
        .catch(() => [0, '', '', abort.signal.aborted ? 'timeout' : navigator.onLine === false ? 'offline' : 'unreachable'])
        .then((answer) => { clearTimeout(deadline); core?.answer(id, ...answer); });
    },
  };
}
