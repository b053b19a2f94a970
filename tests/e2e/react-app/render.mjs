// Runs the server build in plain Node (no window, no document) and prints
// the HTML with what the process could see of browser globals.
import { render } from './dist-ssr/server.js';

const html = render();
process.stdout.write(JSON.stringify({ html, window: typeof window, document: typeof document, localStorage: typeof localStorage }));
