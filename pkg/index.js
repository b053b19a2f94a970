// The `latchkey` package: createClient and the module that holds the kernel.
// createClient returns at once; every call waits for the WebAssembly module.
// Outside a browser nothing runs at import time, so importing (SSR, Node)
// is safe; there, calls reject with a `usage` error and the session reads as
// signed out.
import { initSync, version as kernelVersion } from './dist/latchkey.js';
import { makeClient } from './client.js';
import { LatchkeyError, network, usage } from './errors.js';

export { LatchkeyError };

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
let loading;

function loadKernel() {
  if (!inBrowser) return Promise.reject(usage('Latchkey runs in a browser: call its methods from client-side code only'));
  // Loaded here rather than by the glue's async init, which bundlers would
  // then keep: compiled while it downloads, or as a whole when the server
  // labels it other than application/wasm; instantiated by initSync.
  loading ??= fetch(new URL('./dist/latchkey_bg.wasm', import.meta.url)).then((response) => {
    if (!response.ok) throw new Error(`failed to fetch Wasm: ${response.status} ${response.url}`);
    return WebAssembly.compileStreaming(response.clone())
      .catch(() => response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes)));
  }).then((module) => { initSync({ module }); }, (error) => {
    // A failed download is not remembered: the next attempt fetches again.
    loading = undefined;
    throw network(navigator.onLine === false ? 'offline' : 'unreachable', `The SDK's WebAssembly module could not be loaded (${error.message})`);
  });
  return loading;
}

// The download starts at the first call or client's start (client.js starts
// it once a page's start-up refresh is answered, so that compiling the
// module does not compete with that request), not at import.

/** Resolves once the WebAssembly module is instantiated (browser only). */
export function ready() {
  return loadKernel().then(() => undefined);
}

/** The SDK version baked into the WebAssembly module. */
export async function version() {
  await loadKernel();
  return kernelVersion();
}

const clients = new Map();

/**
 * Creates the client for `publicToken`, or returns the one this page
 * already has for it (one session, one refresh loop per token and page).
 */
export function createClient(publicToken, options = {}) {
  let client = clients.get(publicToken);
  if (!client) {
    client = makeClient(publicToken, options, loadKernel, () => clients.delete(publicToken));
    clients.set(publicToken, client);
  }
  return client;
}
