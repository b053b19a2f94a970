// Helpers for SDK tests: a server serving the bare test page and the package,
// and pages with a client created on them.
import { join } from 'node:path';
import { ROOT, startServer } from '../support/harness.mjs';

export function startSdkServer(options = {}) {
  return startServer({ serve: { '/': join(ROOT, 'tests', 'browser', 'pages'), '/pkg': join(ROOT, 'pkg') }, ...options });
}

/** Opens the test page and creates `window.client` with `options` (baseUrl defaults to the server). */
export async function openClient(context, server, options = {}) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.latchkey);
  await page.evaluate(({ publicToken, options }) => {
    window.client = window.latchkey.createClient(publicToken, options);
    return window.client.ready;
  }, { publicToken: server.publicToken, options: { baseUrl: server.url, ...options } });
  return page;
}

/** Runs `fn(client, arg)` in the page; a rejection comes back as `{ error }` with its fields. */
export function inPage(page, fn, arg) {
  return page.evaluate(async ({ source, arg }) => {
    // eslint-disable-next-line no-new-func
    const run = new Function(`return (${source})`)();
    try {
      return { value: await run(window.client, arg) };
    } catch (e) {
      return { error: { ...e, name: e.name, message: e.message, isLatchkeyError: e instanceof window.latchkey.LatchkeyError } };
    }
  }, { source: fn.toString(), arg });
}
