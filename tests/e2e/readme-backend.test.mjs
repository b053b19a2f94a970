// The README's backend example, run as written: verifying the
// `stytch_session_jwt` cookie of a browser that signed in on the demo,
// against the server's JWKS, with node:crypto alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../support/harness.mjs';
import { startDemoServer, openDemo, signUpWithPassword, readmeBlock, replaceOnce } from './demo.mjs';

let server;
let browser;
let dir;
let readme;
before(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  dir = mkdtempSync(join(tmpdir(), 'latchkey-readme-'));
  let code = readmeBlock('// verify-session.mjs');
  code = replaceOnce(code, "const BASE_URL = 'http://localhost:8787';", `const BASE_URL = ${JSON.stringify(server.url)};`);
  code = replaceOnce(code, "const PROJECT_ID = 'project-test-…';", `const PROJECT_ID = ${JSON.stringify(server.credentials.project_id)};`);
  writeFileSync(join(dir, 'verify-session.mjs'), code);
  readme = await import(pathToFileURL(join(dir, 'verify-session.mjs')).href);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the cookie of a signed-in browser verifies, and names the user and the session', async () => {
  const context = await browser.newContext();
  const page = await openDemo(context, server.url);
  await signUpWithPassword(page, 'backend@example.com', 'correct horse battery staple 42');
  const cookie = (await context.cookies(server.url)).map((c) => `${c.name}=${c.value}`).join('; ');
  const jwt = readme.sessionJwtOf({ headers: { cookie: `theme=dark; ${cookie}` } });
  assert.ok(jwt, cookie);

  const claims = await readme.verifySessionJwt(jwt);
  const userId = (await page.locator('#user-facts code').first().textContent()).trim();
  const sessionId = (await page.locator('#session-facts code').first().textContent()).trim();
  assert.equal(claims.sub, userId);
  assert.equal(claims['https://stytch.com/session'].id, sessionId);
  assert.equal(claims.exp - claims.iat, 300);
  await context.close();
});

test('a forged token, an unsigned one and garbage are refused', async () => {
  const { body } = await server.v1('POST', '/passwords', {
    email: 'forged@example.com', password: 'correct horse battery staple 42', session_duration_minutes: 60,
  });
  const jwt = body.session_jwt;
  assert.equal((await readme.verifySessionJwt(jwt)).sub, body.user_id);

  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'user-test-00000000-0000-0000-0000-000000000000' })).toString('base64url');
  await assert.rejects(readme.verifySessionJwt(`${header}.${forged}.${signature}`), /bad signature/);
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  await assert.rejects(readme.verifySessionJwt(`${none}.${payload}.`), /bad signature/);
  await assert.rejects(readme.verifySessionJwt('not a jwt'), Error);
  await assert.rejects(readme.verifySessionJwt(undefined), Error);
});
