// `latchkey/react`: React bindings over the client's public API. Plain JS
// (no JSX, no build step) that imports `react` only, so an app that never
// imports this file never needs React, and server rendering needs no DOM.
//
// The app owns the client (createClient, once per page and token): the
// provider only hands it down, and never creates or destroys one, so
// StrictMode's double mount cannot start a second refresh loop or take a
// second Web Lock. Hooks subscribe in useSyncExternalStore's subscribe and
// unsubscribe in its cleanup, through one shared subscription per client.
//
// No 'use client' directive: a client cannot pass from a server component to
// a client one as a prop (it is not serialisable), so the provider is always
// rendered from the app's own client module; and Vite 8 warns about the
// directive in every build.
import { createContext, createElement, useContext, useSyncExternalStore } from 'react';

const Latchkey = createContext(null);
Latchkey.displayName = 'Latchkey';

// What the server renders and what hydration starts from: signed out and not
// initialized, whatever the browser later finds in its cache. Constants, so
// every render on the server and the hydration render see the same object.
const SERVER_SESSION = Object.freeze({ session: null, fromCache: false, isInitialized: false });
const SERVER_USER = Object.freeze({ user: null, fromCache: false, isInitialized: false });
const serverSession = () => SERVER_SESSION;
const serverUser = () => SERVER_USER;

const isClient = (value) => typeof value === 'object' && value !== null
  && typeof value.onStateChange === 'function'
  && typeof value.session?.getInfo === 'function'
  && typeof value.user?.getInfo === 'function'
  && typeof value.ready?.then === 'function';

const stores = new WeakMap();

function storeOf(client) {
  let store = stores.get(client);
  if (!store) stores.set(client, (store = makeStore(client)));
  return store;
}

function makeStore(client) {
  const listeners = new Set();
  let detach = null;
  let initialized = false;

  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const settled = () => {
    initialized = true;
    notify();
  };
  client.ready.then(settled, settled);

  // One hook's snapshot, rebuilt only when its value, fromCache or
  // isInitialized changed: React compares snapshots by identity, re-renders
  // on a new one, and loops on one made at every call. A value handed out
  // anew with the same content (today every session refresh brings a new
  // user object too) keeps the snapshot, so useUser() does not re-render.
  // It starts as the server's snapshot: a signed-out page whose module is
  // not ready yet reads equal to it, and hydration has nothing to redo.
  const snapshots = (name, initial, read) => {
    let snapshot = initial;
    let last = initial[name];
    return () => {
      const info = read();
      const fromCache = info.fromCache === true;
      let changed = fromCache !== snapshot.fromCache || initialized !== snapshot.isInitialized;
      if (info[name] !== last) {
        last = info[name];
        changed ||= JSON.stringify(last) !== JSON.stringify(snapshot[name]);
      }
      if (changed) snapshot = Object.freeze({ [name]: last, fromCache, isInitialized: initialized });
      return snapshot;
    };
  };

  return {
    // Stable for the client's lifetime: React resubscribes when it changes.
    subscribe(listener) {
      listeners.add(listener);
      detach ??= client.onStateChange(notify);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && detach) {
          detach();
          detach = null;
        }
      };
    },
    session: snapshots('session', SERVER_SESSION, () => client.session.getInfo()),
    user: snapshots('user', SERVER_USER, () => client.user.getInfo()),
  };
}

const describe = (value) => (value === null ? 'null' : typeof value === 'object' ? 'an object that is not a Latchkey client' : typeof value);

/** Makes `client` (from createClient) available to the hooks below it. */
export function LatchkeyProvider(props) {
  const client = props?.client;
  if (!isClient(client)) {
    throw new TypeError(`<LatchkeyProvider> needs a \`client\` prop: the client that createClient(publicToken, options) returns (got ${describe(client)})`);
  }
  // Follow client.ready from the first render on, so that hooks mounted
  // later (another route) know at once whether it has settled.
  storeOf(client);
  return createElement(Latchkey.Provider, { value: client }, props.children);
}

function clientFor(hook) {
  const client = useContext(Latchkey);
  if (!client) {
    throw new Error(`${hook}() must be called inside <LatchkeyProvider client={client}>: render the provider above this component, with the client from createClient(publicToken, options)`);
  }
  return client;
}

/** The client of the nearest <LatchkeyProvider>. */
export function useLatchkey() {
  return clientFor('useLatchkey');
}

/** `{ session, fromCache, isInitialized }`; re-renders when one of them changes. */
export function useSession() {
  const store = storeOf(clientFor('useSession'));
  return useSyncExternalStore(store.subscribe, store.session, serverSession);
}

/** `{ user, fromCache, isInitialized }`; re-renders when one of them changes. */
export function useUser() {
  const store = storeOf(clientFor('useUser'));
  return useSyncExternalStore(store.subscribe, store.user, serverUser);
}
