import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

// `make demo` (in the repository root) keeps the local project's credentials
// here; only the public token is handed to the app, as an environment variable
// that a real project would set in its .env file instead.
if (!process.env.VITE_LATCHKEY_PUBLIC_TOKEN) {
  const file = new URL('../../.latchkey/credentials.json', import.meta.url);
  try {
    process.env.VITE_LATCHKEY_PUBLIC_TOKEN = JSON.parse(readFileSync(file, 'utf8')).public_token;
  } catch {
    throw new Error('No .latchkey/credentials.json: run `make demo` in the repository root first (or set VITE_LATCHKEY_PUBLIC_TOKEN)');
  }
}

// `latchkey` is linked from ../../pkg (the package as this repository builds
// it), outside this folder: Vite may serve its files (the .wasm), and its
// imports of react must find this app's copy (one React, or hooks fail).
export default defineConfig({
  server: { fs: { allow: ['.', '../../pkg'] } },
  resolve: { dedupe: ['react', 'react-dom'] },
});
