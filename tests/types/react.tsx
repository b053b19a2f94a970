// A React + TypeScript app using `latchkey/react`, compiled with --strict in
// `make test` beside consumer.ts: every export of pkg/react.d.ts is used, the
// hooks' results are exactly typed, and wrong uses (@ts-expect-error) fail.
import { StrictMode, type ReactElement, type ReactNode } from 'react';
import { createClient, type LatchkeyClient, type Session, type User } from 'latchkey';
import {
  LatchkeyProvider, useLatchkey, useSession, useUser,
  type LatchkeyProviderProps, type SessionState, type UserState,
} from 'latchkey/react';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
function check<T extends true>(): T | void { return undefined; }
function use(...values: unknown[]): void { void values; }

check<Equals<ReturnType<typeof useLatchkey>, LatchkeyClient>>();
check<Equals<ReturnType<typeof useSession>, SessionState>>();
check<Equals<ReturnType<typeof useUser>, UserState>>();
check<Equals<SessionState['session'], Session | null>>();
check<Equals<UserState['user'], User | null>>();
check<Equals<SessionState['fromCache'] | UserState['isInitialized'], boolean>>();
check<Equals<LatchkeyProviderProps['client'], LatchkeyClient>>();
check<Equals<IsAny<ReturnType<typeof useSession>['session']>, false>>();
check<Equals<IsAny<LatchkeyProviderProps['children']>, false>>();

const client = createClient('public-token-test-123', { baseUrl: 'http://localhost:8787' });

function Profile(): ReactNode {
  const { user, fromCache, isInitialized } = useUser();
  const email: string | undefined = user?.emails[0]?.email;
  return <p>{email ?? 'nobody'} {fromCache ? '(cached)' : ''} {isInitialized ? '' : '…'}</p>;
}

function RequireSession({ children }: { children: ReactNode }): ReactNode {
  const { session, isInitialized } = useSession();
  const expires: string | undefined = session?.expires_at;
  use(expires);
  if (session) return children;
  return isInitialized ? <SignOut /> : <p>Loading…</p>;
}

function SignOut(): ReactElement {
  const c = useLatchkey();
  return <button onClick={() => void c.session.revoke()}>Sign out</button>;
}

export const app: ReactElement = (
  <StrictMode>
    <LatchkeyProvider client={client}>
      <RequireSession>
        <Profile />
      </RequireSession>
    </LatchkeyProvider>
  </StrictMode>
);
export const direct: ReactElement = LatchkeyProvider({ client, children: null });

export function wrongUses(): ReactNode[] {
  const state = useSession();
  // @ts-expect-error the snapshot is read-only (it is shared between renders)
  state.fromCache = true;
  // @ts-expect-error useSession has no `user`
  use(state.user);
  return [
    // @ts-expect-error the provider needs a client
    <LatchkeyProvider><Profile /></LatchkeyProvider>,
    // @ts-expect-error a public token is not a client
    <LatchkeyProvider client="public-token-test-123"><Profile /></LatchkeyProvider>,
  ];
}
