// The browser entry: renders the app (StrictMode on), or hydrates the
// server's HTML when the page has it. `?refresh=2000` sets the refresh
// interval. Exposes the client, the bindings' subscriptions and unmount.
import { StrictMode } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { createClient, type LatchkeyClient } from 'latchkey';
import { config } from './config';
import { Root } from './Root';

const refresh = new URLSearchParams(location.search).get('refresh');
const client = createClient(config.publicToken, {
  baseUrl: config.baseUrl,
  ...(refresh ? { refreshIntervalMs: Number(refresh) } : {}),
});

// The client as the bindings see it, with its three subscribe functions
// counting the subscriptions they hold (everything else is the client's own,
// through the prototype chain).
const listeners = { state: 0, session: 0, user: 0 };
function counted<T>(kind: keyof typeof listeners, subscribe: (callback: T) => () => void) {
  return (callback: T) => {
    const off = subscribe(callback);
    let on = true;
    listeners[kind] += 1;
    return () => {
      if (on) listeners[kind] -= 1;
      on = false;
      off();
    };
  };
}
const watched: LatchkeyClient = Object.create(client);
watched.onStateChange = counted('state', client.onStateChange);
watched.session = Object.create(client.session);
watched.session.onChange = counted('session', client.session.onChange);
watched.user = Object.create(client.user);
watched.user.onChange = counted('user', client.user.onChange);

const container = document.getElementById('root')!;
const recoverable: string[] = [];
const hydrating = container.hasChildNodes();
const app = <StrictMode><Root client={watched} /></StrictMode>;
const root = hydrating
  ? hydrateRoot(container, app, { onRecoverableError: (error) => { recoverable.push(String(error)); } })
  : createRoot(container);
if (!hydrating) root.render(app);

declare global {
  interface Window {
    app?: { client: LatchkeyClient; listeners: typeof listeners; hydrating: boolean; recoverable: string[]; unmount(): void };
  }
}
window.app = { client, listeners, hydrating, recoverable, unmount: () => root.unmount() };
