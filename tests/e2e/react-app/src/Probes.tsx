// Components that count their commits and record what they rendered, for
// the test to read on `window.probe`. They record in an effect (one per
// commit, two at a StrictMode mount), so server rendering records nothing
// and touches no browser global.
import { useEffect } from 'react';
import { useLatchkey, useSession, useUser } from 'latchkey/react';

export interface Seen { session: boolean; fromCache: boolean; isInitialized: boolean }
export interface Probe {
  commits: Record<string, number>;
  sessions: Seen[];
  users: Seen[];
}
declare global {
  interface Window { probe?: Probe }
}

const probe = (): Probe => (window.probe ??= { commits: {}, sessions: [], users: [] });
const committed = (name: string) => { probe().commits[name] = (probe().commits[name] ?? 0) + 1; };
const yesNo = (value: boolean) => (value ? 'yes' : 'no');

export function SessionProbe() {
  const { session, fromCache, isInitialized } = useSession();
  useEffect(() => {
    committed('session');
    probe().sessions.push({ session: session !== null, fromCache, isInitialized });
  });
  return <output data-probe="session">session: {session ? session.session_id : 'none'}, cached: {yesNo(fromCache)}, initialized: {yesNo(isInitialized)}</output>;
}

export function UserProbe() {
  const { user, fromCache, isInitialized } = useUser();
  useEffect(() => {
    committed('user');
    probe().users.push({ session: user !== null, fromCache, isInitialized });
  });
  return <output data-probe="user">user: {user ? user.emails[0]?.email : 'none'}, cached: {yesNo(fromCache)}, initialized: {yesNo(isInitialized)}</output>;
}

/** Uses the client only: a sign-in or refresh must not re-render it. */
export function ClientProbe() {
  const client = useLatchkey();
  useEffect(() => committed('client'));
  return <output data-probe="client">{client.publicToken.slice(0, 12)}</output>;
}

/** Uses no hook at all, inside the provider. */
export function StaticProbe() {
  useEffect(() => committed('static'));
  return null;
}
