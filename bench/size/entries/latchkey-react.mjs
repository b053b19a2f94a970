// latchkey.mjs's use of Latchkey, through React: the same client handed to
// latchkey/react's provider, and the three hooks. React itself is left out
// of the bundle (run.mjs marks it external): the app has it either way, so
// the difference from latchkey.mjs is what importing latchkey/react adds.
import { createClient } from '../../../pkg/index.js';
import { LatchkeyProvider, useLatchkey, useSession, useUser } from '../../../pkg/react.js';
const client = createClient('public-token-test-00000000-0000-0000-0000-000000000000');
client.session.onChange((session) => globalThis.console.log(session));
globalThis.client = client;
globalThis.bindings = { LatchkeyProvider, useLatchkey, useSession, useUser };
