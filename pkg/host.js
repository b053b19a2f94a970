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
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${prefix}channel`) : null;
  let core = null;
  let timer;
  let leaseTimer;
  let lock = null;
  const deliver = (kind, data = '') => core?.event(kind, data);
  const listeners = {
    storage: (e) => { if (e.key === `${prefix}state` && e.newValue !== null) deliver('storage', e.newValue); },
    online: () => deliver('online'),
    pageshow: (e) => { if (e.persisted) deliver('restored'); },
    pagehide: () => deliver('hidden'),
  };
  const onVisibility = () => { if (document.visibilityState === 'visible') deliver('visible'); };

  return {
    attach(target) {
      core = target;
      if (channel) channel.onmessage = (e) => { if (typeof e.data === 'string') deliver('message', e.data); };
      for (const [type, listener] of Object.entries(listeners)) addEventListener(type, listener);
      document.addEventListener('visibilitychange', onVisibility);
    },
    monoNow: () => performance.now(),
    wallNow: () => Date.now(),
    fillRandom: (bytes) => crypto.getRandomValues(bytes),
    /** href, origin, hostname, protocol and time zone, one per line. */
    pageInfo: () => [location.href, location.origin, location.hostname, location.protocol, timezone].join('\n'),
    readCookies: () => document.cookie,
    writeCookie: (cookie) => { document.cookie = cookie; },
    get: storage.get,
    set: storage.set,
    remove: (key) => { try { localStorage.removeItem(key); } catch { /* see above */ } },
    replaceUrl: (href) => history.replaceState(history.state, '', href),
    navigate: (url) => location.assign(url),
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
    /** The single refresh timer; a negative delay cancels it. */
    setTimer(delayMs) {
      clearTimeout(timer);
      if (delayMs >= 0) timer = setTimeout(() => deliver('timer'), delayMs);
    },
    /** The fallback election's tick; a negative delay cancels it. */
    setLeaseTimer(delayMs) {
      clearTimeout(leaseTimer);
      if (delayMs >= 0) leaseTimer = setTimeout(() => deliver('lease'), delayMs);
    },
    post: (text) => channel?.postMessage(text),
    /** Asks for the Web Lock and holds it until release(); false without Web Locks. */
    lead() {
      if (!globalThis.navigator?.locks?.request) return false;
      if (lock) return true;
      const abort = new AbortController();
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      lock = { release() { abort.abort(); release(); } };
      navigator.locks
        .request(`${prefix}refresh`, { signal: abort.signal }, () => { deliver('leader'); return held; })
        .catch(() => { /* aborted while waiting */ });
      return true;
    },
    release() {
      lock?.release();
      lock = null;
    },
    settle: (id, ok, text) => app.settle(id, ok, text),
    changed: (session, user) => app.changed(session, user),
    close() {
      this.setTimer(-1);
      this.setLeaseTimer(-1);
      this.release();
      channel?.close();
      for (const [type, listener] of Object.entries(listeners)) removeEventListener(type, listener);
      document.removeEventListener('visibilitychange', onVisibility);
      core = null;
    },
  };
}
