// RequireSession.tsx
import type { ReactNode } from 'react';
import { useSession } from 'latchkey/react';
import { SignIn } from './SignIn';

/** Shows `children` to a signed-in person, and the sign-in form to anyone else. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { session, isInitialized } = useSession();
  // A cached session counts at once, so a reload shows the page, not a
  // spinner; if the server then refuses it, `session` turns null.
  if (session) return children;
  // Not initialized yet (and on the server): null means "not known yet".
  if (!isInitialized) return <p role="status">Loading…</p>;
  return <SignIn />;
}
