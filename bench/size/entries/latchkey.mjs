// The same use of Latchkey, through the package's entry (which pulls its JS
// glue and the browser host; the wasm file is counted separately).
import { createClient } from '../../../pkg/index.js';
const client = createClient('public-token-test-00000000-0000-0000-0000-000000000000');
client.session.onChange((session) => globalThis.console.log(session));
globalThis.client = client;
