// The whole app, for the browser (client.tsx) and for Node (server.tsx): the
// example app (App.tsx, RequireSession.tsx and SignIn.tsx are copied in from
// examples/react by the test) beside probes that record what they render.
// The entries wrap it in StrictMode: React double-mounts only the subtree
// under a StrictMode that is itself placed by the mount, not one inside.
import type { LatchkeyClient } from 'latchkey';
import { LatchkeyProvider } from 'latchkey/react';
import { App } from './App';
import { ClientProbe, SessionProbe, StaticProbe, UserProbe } from './Probes';

export function Root({ client }: { client: LatchkeyClient }) {
  return (
    <LatchkeyProvider client={client}>
      <SessionProbe />
      <UserProbe />
      <ClientProbe />
      <StaticProbe />
      <App />
    </LatchkeyProvider>
  );
}
