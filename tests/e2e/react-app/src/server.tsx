// The server entry (built with `vite build --ssr`, run by Node): renders the
// same app to a string with a client created on the server.
import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { createClient } from 'latchkey';
import { config } from './config';
import { Root } from './Root';

export function render(): string {
  const client = createClient(config.publicToken, { baseUrl: config.baseUrl });
  return renderToString(<StrictMode><Root client={client} /></StrictMode>);
}
