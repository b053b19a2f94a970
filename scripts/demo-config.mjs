// Writes www/config.js (gitignored) for the demo from the local server's
// credentials: only the public token, which is public by design.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [server, dataDir] = process.argv.slice(2);
const credentials = JSON.parse(execFileSync(server, ['--data-dir', dataDir, '--print-credentials'], { encoding: 'utf8' }));
writeFileSync(new URL('../www/config.js', import.meta.url),
  `export default ${JSON.stringify({ publicToken: credentials.public_token })};\n`);
console.log(`public token: ${credentials.public_token}`);
