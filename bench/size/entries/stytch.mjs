// What an app needs from Stytch's headless client to do what Latchkey does.
import { createStytchClient } from '@stytch/vanilla-js/headless';
const client = createStytchClient('public-token-test-00000000-0000-0000-0000-000000000000');
client.session.onChange((session) => globalThis.console.log(session));
globalThis.client = client;
