// The browser side of one Latchkey client: the page primitives (fetch,
// cookies, storage, BroadcastChannel, Web Locks or a storage lease, timers,
// page lifecycle events, WebAuthn encoding) and nothing that decides. Page
// events reach the client through `deliver(kind, data)`.
import {
  FAILURE_OFFLINE, FAILURE_TIMEOUT, FAILURE_UNREACHABLE, KEY_CHANNEL, KEY_DEVICE, KEY_LOCK, KEY_STATE,
} from './contract.js';

// The SDK version reported in X-SDK-Client; kept equal to package.json by a test.
export const VERSION = '0.1.0';

// Read at the first request, not at import: a cold page spends a while
// loading Intl's data, and the kernel's download starts at import.
let timezone;
const timeZone = () => {
  if (timezone === undefined) {
    try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { timezone = ''; }
  }
  return timezone;
};

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** A random UUID (v4), for the SDK's telemetry ids. */
const uuid = () => {
  const b = randomBytes(16);
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** base64url without padding, of bytes (ArrayBuffer or view). */
export const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** Bytes of standard base64 or base64url text, padded or not. */
export const fromBase64 = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=')), (c) => c.charCodeAt(0));

/** A PKCE pair: 32 random bytes as hex, and base64url(SHA-256(verifier)). */
export async function pkcePair() {
  const verifier = hex(randomBytes(32));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(digest) };
}

/** The value of cookie `name` in `document.cookie`, or undefined. */
export function readCookie(name) {
  for (const pair of document.cookie.split(';')) {
    const at = pair.indexOf('=');
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1) || undefined;
  }
  return undefined;
}

/** localStorage that reads as empty where it is unavailable (disabled, sandboxed, quota). */
export const storage = {
  get: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
  set: (key, value) => { try { localStorage.setItem(key, value); } catch { /* memory only */ } },
  remove: (key) => { try { localStorage.removeItem(key); } catch { /* see above */ } },
};

/**
 * The page primitives for `publicToken`; `deliver(kind, data)` receives
 * message, storage, visible, online, restored, hidden, timer, leader, lost
 * and lease.
 */
export function createHost(publicToken, deliver) {
  const key = (suffix) => `latchkey:${publicToken}:${suffix}`;
  let persistentId = storage.get(key(KEY_DEVICE));
  if (!persistentId) storage.set(key(KEY_DEVICE), (persistentId = `persistent-id-${uuid()}`));
  const appSessionId = `app-session-id-${uuid()}`;
  // The channel is closed while the page sits in the back/forward cache:
  // Chromium evicts a cached page that a message reaches, and the client
  // catches up from storage when the page is restored.
  let channel = null;
  const openChannel = () => {
    if (channel || typeof BroadcastChannel !== 'function') return;
    channel = new BroadcastChannel(key(KEY_CHANNEL));
    channel.onmessage = (e) => { if (typeof e.data === 'string') deliver('message', e.data); };
  };
  const closeChannel = () => {
    channel?.close();
    channel = null;
  };
  const timers = {};
  const setTimer = (kind, delayMs) => {
    clearTimeout(timers[kind]);
    if (delayMs >= 0) timers[kind] = setTimeout(() => deliver(kind), delayMs);
  };
  const listeners = {
    storage: (e) => { if (e.key === key(KEY_STATE) && e.newValue !== null) deliver('storage', e.newValue); },
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
    visibilitychange: () => { if (document.visibilityState === 'visible') deliver('visible'); },
  };
  const lockName = key(KEY_LOCK);
  const locks = globalThis.navigator?.locks;
  // The held lock: `free` ends it; `clientId` tells it apart in a query.
  let lock = null;
  let waiting = null;

  return {
    key,
    attach() {
      openChannel();
      for (const [type, listener] of Object.entries(listeners)) (type === 'visibilitychange' ? document : window).addEventListener(type, listener);
    },
    close() {
      for (const kind of Object.keys(timers)) setTimer(kind, -1);
      this.release();
      closeChannel();
      for (const [type, listener] of Object.entries(listeners)) (type === 'visibilitychange' ? document : window).removeEventListener(type, listener);
      deliver = () => {};
    },
    post: (text) => channel?.postMessage(text),
    /** Arms `kind`'s timer `delayMs` from now, replacing it; a negative delay cancels it. */
    setTimer,
    /** Whether the page has Web Locks; without, the client runs the storage lease. */
    hasLocks: typeof locks?.request === 'function',
    /**
     * Queues for the Web Lock (or, with `steal`, takes it from whoever holds
     * it); `leader` is delivered once it is held, `lost` when it is taken.
     */
    lead(steal) {
      if (lock && !steal) return;
      waiting?.abort();
      const abort = (waiting = steal ? null : new AbortController());
      let free;
      const held = new Promise((resolve) => { free = resolve; });
      const mine = { free, clientId: null };
      locks.request(lockName, steal ? { steal: true } : { signal: abort.signal }, async () => {
        if (waiting === abort) waiting = null;
        lock = mine;
        locks.query().then(({ held: all }) => { mine.clientId = all.find((l) => l.name === lockName)?.clientId ?? null; }, () => {});
        deliver('leader');
        return held;
      }).catch(() => {
        // Aborted while waiting, or stolen while held: queue again.
        if (lock === mine) {
          lock = null;
          deliver('lost');
        }
      });
    },
    release() {
      waiting?.abort();
      waiting = null;
      lock?.free();
      lock = null;
    },
    /**
     * Whether this page still holds the lock, asked of the browser itself:
     * a page that was paused or frozen may not have heard that another tab
     * took it over.
     */
    async stillLeads() {
      if (!lock) return false;
      if (!lock.clientId) return true;
      try {
        const { held } = await locks.query();
        return held.some((l) => l.name === lockName && l.clientId === lock?.clientId);
      } catch {
        return true;
      }
    },
    /**
     * fetch with the protocol's headers and a timeout. Never rejects:
     * answers `{ status, date, text }` or `{ failure }` (offline, unreachable, timeout).
     */
    async send(method, url, sessionToken, body, timeoutMs, telemetry) {
      const abort = new AbortController();
      const deadline = setTimeout(() => abort.abort(), timeoutMs);
      const client = {
        event_id: `event-id-${uuid()}`,
        app_session_id: appSessionId,
        persistent_id: persistentId,
        client_sent_at: new Date().toISOString(),
        timezone: timeZone(),
        ...telemetry,
        app: { identifier: location.hostname },
        sdk: { identifier: 'latchkey', version: VERSION },
      };
      const headers = {
        Authorization: `Basic ${btoa(`${publicToken}:${sessionToken ?? publicToken}`)}`,
        'Content-Type': 'application/json',
        'X-SDK-Client': btoa(JSON.stringify(client)),
        'X-SDK-Parent-Host': location.origin,
      };
      try {
        const response = await fetch(url, { method, headers, body, credentials: 'include', signal: abort.signal });
        return { status: response.status, date: response.headers.get('date'), text: await response.text() };
      } catch {
        return { failure: abort.signal.aborted ? FAILURE_TIMEOUT : navigator.onLine === false ? FAILURE_OFFLINE : FAILURE_UNREACHABLE };
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}
