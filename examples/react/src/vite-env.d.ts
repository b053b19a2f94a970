/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Set by vite.config.js from ../../.latchkey/credentials.json. */
  readonly VITE_LATCHKEY_PUBLIC_TOKEN: string;
}
