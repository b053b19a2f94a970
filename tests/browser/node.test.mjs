// Outside a browser (SSR, Node): importing the package and creating a client
// must not throw; the session reads as signed out and every call rejects
// with a typed `usage` error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../support/harness.mjs';

test('in Node, import and createClient do not throw; state is signed out; calls reject with a usage LatchkeyError', async () => {
  const latchkey = await import(pathToFileURL(join(ROOT, 'pkg', 'index.js')).href);
  const client = latchkey.createClient('public-token-test-00000000-0000-0000-0000-000000000000', { baseUrl: 'http://localhost:8787' });
  assert.equal(client.session.getSync(), null);
  assert.deepEqual(client.session.getInfo(), { session: null, fromCache: false });
  assert.equal(client.session.getTokens(), null);
  assert.equal(client.user.getSync(), null);
  assert.equal(client.parseAuthenticateUrl('http://x/?stytch_token_type=oauth&token=t').token, 't');
  const off = client.session.onChange(() => {});
  off();
  for (const call of [
    () => client.ready,
    () => latchkey.ready(),
    () => latchkey.version(),
    () => client.session.authenticate(),
    () => client.passwords.authenticate({ email: 'a@b.co', password: 'x', session_duration_minutes: 60 }),
    () => client.authenticateByUrl({ session_duration_minutes: 60 }),
  ]) {
    await assert.rejects(call(), (e) => {
      assert.ok(e instanceof latchkey.LatchkeyError, `${call}: a LatchkeyError`);
      assert.equal(e.kind, 'usage');
      assert.equal(e.retryable, false);
      assert.match(e.message, /browser/);
      return true;
    });
  }
  client.destroy();
});
