// Entry point of the `latchkey` package: loads the WebAssembly core on its
// own, so an app never has to call an init function.
import initWasm, * as wasm from './dist/latchkey.js';

const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
let loading;

/** Resolves once the WebAssembly module is instantiated (browser only). */
export function ready() {
  if (!inBrowser) {
    return Promise.reject(new Error('latchkey runs in a browser; no window here'));
  }
  loading ??= initWasm({ module_or_path: new URL('./dist/latchkey_bg.wasm', import.meta.url) });
  return loading.then(() => undefined);
}

/** The SDK version baked into the WebAssembly module. */
export async function version() {
  await ready();
  return wasm.version();
}
