import { GoTrueClient } from '@supabase/auth-js';
const client = new GoTrueClient({ url: 'http://localhost:9999' });
client.onAuthStateChange((event, session) => globalThis.console.log(event, session));
globalThis.client = client;
