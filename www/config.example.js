// The demo's configuration. `make demo` writes www/config.js (ignored by git)
// from the local server's credentials; to do it by hand, copy this file to
// www/config.js and fill in the public token the server prints at start-up
// (`latchkey-server public_token: …`, also in <data-dir>/credentials.json).
// Only the public token belongs here: never the project secret.
export default {
  publicToken: 'public-token-test-00000000-0000-0000-0000-000000000000',
  // Where the auth API is; default: the origin that serves the demo.
  // baseUrl: 'http://localhost:8787',
};
