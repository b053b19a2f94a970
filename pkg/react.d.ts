// Types of `latchkey/react`. Names mirror @stytch/react's (StytchProvider,
// useStytch, useStytchSession, useStytchUser) so an app can switch.
import type { ReactElement, ReactNode } from 'react';
import type { LatchkeyClient, Session, User } from './index.js';

export interface LatchkeyProviderProps {
  /** The client from `createClient(publicToken, options)`; the app owns it (create it outside components). */
  client: LatchkeyClient;
  children?: ReactNode;
}

/**
 * What `useSession()` returns. On the server and in the hydration render:
 * `{ session: null, fromCache: false, isInitialized: false }`.
 */
export interface SessionState {
  /** The session, or null: at first the cached one (`fromCache: true`), then the confirmed one. */
  readonly session: Session | null;
  /** True while `session` comes from this browser's cache and the server has not confirmed it yet. */
  readonly fromCache: boolean;
  /**
   * True once `client.ready` has settled: the SDK has loaded and restored the
   * session, or could not start (invalid options, the module failed to
   * download). Until then a null `session` does not yet mean signed out.
   */
  readonly isInitialized: boolean;
}

/** What `useUser()` returns; the same rules as `SessionState`. */
export interface UserState {
  readonly user: User | null;
  readonly fromCache: boolean;
  readonly isInitialized: boolean;
}

/** Makes `client` available to the hooks below it. Throws a TypeError when `client` is not a Latchkey client. */
export declare function LatchkeyProvider(props: LatchkeyProviderProps): ReactElement;

/** The client of the nearest `<LatchkeyProvider>`; throws outside one. */
export declare function useLatchkey(): LatchkeyClient;

/** The session; re-renders the component when the session, `fromCache` or `isInitialized` changes (in any tab). */
export declare function useSession(): SessionState;

/** The user; re-renders the component when the user, `fromCache` or `isInitialized` changes (in any tab). */
export declare function useUser(): UserState;
