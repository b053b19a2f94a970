// Browser primitives for the Rust shell (src/platform/browser.rs). Each is a
// thin wrapper: no decisions are made here, only calls the Rust side cannot
// express more cheaply through wasm-bindgen.

export function now() {
  return { mono: performance.now(), wall: Date.now() };
}

export function fillRandom(bytes) {
  crypto.getRandomValues(bytes);
}

export function pageInfo() {
  const l = globalThis.location;
  let timezone = '';
  try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { /* unknown */ }
  return { href: l.href, origin: l.origin, hostname: l.hostname, https: l.protocol === 'https:', timezone };
}

export function isOnline() {
  return navigator.onLine !== false;
}

/**
 * fetch with a timeout. Resolves {status, date, body}; rejects
 * with 'timeout' | 'offline' | 'unreachable'.
 */
export async function send(method, url, headers, body, timeoutMs) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const init = { method, headers: Object.fromEntries(headers), credentials: 'include', signal: abort.signal };
    if (body !== undefined) init.body = body;
    const response = await fetch(url, init);
    const text = await response.text();
    return { status: response.status, date: response.headers.get('date') || '', body: text };
  } catch (error) {
    throw abort.signal.aborted ? 'timeout' : navigator.onLine === false ? 'offline' : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export function readCookies() {
  return document.cookie;
}

export function writeCookie(cookie) {
  document.cookie = cookie;
}

// Storage can throw (disabled, quota, sandboxed iframes): the session then
// lives in memory for this page only, which is the best that can be done.
export function storageGet(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

export function storageSet(key, value) {
  try { localStorage.setItem(key, value); } catch { /* see above */ }
}

export function storageRemove(key) {
  try { localStorage.removeItem(key); } catch { /* see above */ }
}

export function replaceUrl(href) {
  history.replaceState(history.state, '', href);
}

export function navigate(url) {
  location.assign(url);
}

export function setTimer(callback, delayMs) {
  return setTimeout(callback, Math.max(0, delayMs));
}

export function clearTimer(id) {
  clearTimeout(id);
}

/**
 * Wires the page events a session cares about. `onEvent(kind, data)` gets
 * 'message' (BroadcastChannel text), 'storage' (new value of `storageKey`),
 * 'visible', 'online', 'pageshow', 'pagehide'. Returns a function that
 * unwires everything.
 */
export function listen(channelName, storageKey, onEvent) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(channelName) : null;
  const handlers = {
    storage: (e) => { if (e.key === storageKey && e.newValue !== null) onEvent('storage', e.newValue); },
    online: () => onEvent('online', ''),
    pageshow: (e) => onEvent('pageshow', e.persisted ? 'restored' : ''),
    pagehide: () => onEvent('pagehide', ''),
  };
  const onVisibility = () => { if (document.visibilityState === 'visible') onEvent('visible', ''); };
  if (channel) channel.onmessage = (e) => { if (typeof e.data === 'string') onEvent('message', e.data); };
  for (const [type, handler] of Object.entries(handlers)) addEventListener(type, handler);
  document.addEventListener('visibilitychange', onVisibility);
  return {
    post(text) { channel?.postMessage(text); },
    close() {
      channel?.close();
      for (const [type, handler] of Object.entries(handlers)) removeEventListener(type, handler);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}

/**
 * Asks for the Web Lock `name` and holds it until `release()` is called;
 * `onLeader()` runs once it is granted. Returns null where Web Locks are
 * missing, so the caller falls back to a storage lease.
 */
export function lead(name, onLeader) {
  if (!globalThis.navigator?.locks?.request) return null;
  const abort = new AbortController();
  let release = () => {};
  const held = new Promise((resolve) => { release = resolve; });
  navigator.locks
    .request(name, { signal: abort.signal }, () => { onLeader(); return held; })
    .catch(() => { /* aborted while waiting */ });
  return { release() { abort.abort(); release(); } };
}
