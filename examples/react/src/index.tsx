// index.tsx
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from 'latchkey';
import { LatchkeyProvider } from 'latchkey/react';
import { App } from './App';

// Once, outside any component: the app owns the client for the page's life.
const client = createClient(import.meta.env.VITE_LATCHKEY_PUBLIC_TOKEN, { baseUrl: 'http://localhost:8787' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LatchkeyProvider client={client}>
      <App />
    </LatchkeyProvider>
  </StrictMode>,
);
