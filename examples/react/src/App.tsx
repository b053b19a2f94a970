// App.tsx
import { useLatchkey, useUser } from 'latchkey/react';
import { RequireSession } from './RequireSession';

function Account() {
  const client = useLatchkey();
  const { user, fromCache } = useUser();
  // forceClear: sign out on this device even if the server cannot be told.
  const signOut = () => client.session.revoke({ forceClear: true }).catch(() => {});
  return (
    <main>
      <p role="status">Signed in as {user?.emails[0]?.email}{fromCache && ' (checking…)'}</p>
      <button onClick={signOut}>Sign out</button>
    </main>
  );
}

export function App() {
  return (
    <RequireSession>
      <Account />
    </RequireSession>
  );
}
