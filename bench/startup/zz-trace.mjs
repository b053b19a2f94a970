// temporary: trace one warm load of a page and print main-thread tasks
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { ROOT, STRONG_PASSWORD, launchBrowser, startServer } from './lib.mjs';
const OUT = join(ROOT, 'target', 'bench', 'startup');
const name = process.argv[2] ?? 'latchkey-bundle';
const server = await startServer({ serve: { '/': OUT } });
const browser = await launchBrowser();
const url = (run) => `${server.url}/${name}.html?token=${encodeURIComponent(server.publicToken)}&run=${run}`;
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(url('setup'));
await page.waitForFunction(() => window.client);
await page.evaluate(async ({ email, password }) => {
  await window.client.ready;
  await window.client.passwords.create({ email, password, session_duration_minutes: 60 });
}, { email: `t${Date.now()}@example.com`, password: STRONG_PASSWORD });
for (let i = 0; i < 3; i++) { await page.goto(url('w' + i)); await page.waitForFunction(() => window.bench.marks.confirmed && window.bench.marks.ready, null, { polling: 50 }); await new Promise((r) => setTimeout(r, 300)); }
await browser.startTracing(page, { path: `/tmp/trace/${name}.json`, categories: ['devtools.timeline', 'v8', 'v8.wasm', 'disabled-by-default-devtools.timeline', 'blink', 'loading', 'toplevel'] });
await page.goto(url('traced'));
await page.waitForFunction(() => window.bench.marks.confirmed && window.bench.marks.ready, null, { polling: 50 });
const marks = await page.evaluate(() => ({ ...window.bench.marks, origin: performance.timeOrigin }));
await browser.stopTracing();
writeFileSync(`/tmp/trace/${name}.marks.json`, JSON.stringify(marks));
console.log(marks);
await browser.close(); await server.stop();
