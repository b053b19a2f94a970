// bench/size: the release package's bytes (wasm after wasm-opt, JS minified;
// raw, gzip -9, brotli) beside the incumbents' headless SDKs bundled the same
// way (esbuild --bundle --minify --format=esm, browser, production), and what
// importing latchkey/react adds (React left out). Reports; never fails on a
// number. Usage: node bench/size/run.mjs [--no-build]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HERE = import.meta.dirname;
// wasm-opt comes from the npm package binaryen (see the Makefile); cargo's bin for twiggy.
process.env.PATH = [join(ROOT, 'node_modules', '.bin'), join(process.env.HOME ?? '', '.cargo', 'bin'), process.env.PATH].join(':');
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });

if (!process.argv.includes('--no-build')) run('make', ['pkg']);
if (!existsSync(join(HERE, 'incumbents', 'node_modules'))) {
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: join(HERE, 'incumbents') });
}

const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

async function bundle(entry, external = []) {
  const result = await build({
    entryPoints: [join(HERE, 'entries', entry)], external,
    bundle: true, minify: true, format: 'esm', platform: 'browser', write: false,
    conditions: ['production'], define: { 'process.env.NODE_ENV': '"production"' },
    nodePaths: [join(HERE, 'incumbents', 'node_modules')], logLevel: 'error',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

const wasm = sizes(readFileSync(join(ROOT, 'pkg', 'dist', 'latchkey_bg.wasm')));
const coreJs = await bundle('latchkey.mjs');
const js = sizes(coreJs);
const ours = { wasm, js, total: { raw: wasm.raw + js.raw, gzip: wasm.gzip + js.gzip, brotli: wasm.brotli + js.brotli } };

// latchkey/react: the core entry's bundle plus the bindings, minus the core
// entry's bundle (compressed sizes do not add up, so both are measured).
const withReact = sizes(await bundle('latchkey-react.mjs', ['react']));
const react = {
  js: withReact,
  adds: Object.fromEntries(Object.keys(js).map((k) => [k, withReact[k] - js[k]])),
  // The core entry must not grow for apps that do not import the bindings.
  coreHasReact: /from\s*"react"|useSyncExternalStore/.test(coreJs.toString()),
};

const incumbents = {};
for (const [name, entry] of [
  ['@stytch/vanilla-js/headless', 'stytch.mjs'],
  ['@supabase/auth-js', 'supabase.mjs'],
  ['firebase/auth', 'firebase.mjs'],
]) {
  incumbents[name] = sizes(await bundle(entry));
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('\nLatchkey (release package)        raw        gzip       brotli');
for (const [part, s] of Object.entries(ours)) {
  console.log(`  ${part.padEnd(30)} ${kb(s.raw).padStart(10)} ${kb(s.gzip).padStart(10)} ${kb(s.brotli).padStart(10)}`);
}
console.log('\nlatchkey/react (React itself excluded)   raw        gzip       brotli');
console.log(`  ${'JS with the bindings'.padEnd(30)} ${kb(react.js.raw).padStart(10)} ${kb(react.js.gzip).padStart(10)} ${kb(react.js.brotli).padStart(10)}`);
console.log(`  ${'added by latchkey/react'.padEnd(30)} ${`${react.adds.raw} B`.padStart(10)} ${`${react.adds.gzip} B`.padStart(10)} ${`${react.adds.brotli} B`.padStart(10)}`);
console.log(`  core entry without it: ${react.coreHasReact ? 'CONTAINS the bindings' : 'no trace of the bindings'}`);
console.log('\nIncumbents (esbuild --bundle --minify --format=esm)   gzip      ours/theirs');
for (const [name, s] of Object.entries(incumbents)) {
  console.log(`  ${name.padEnd(32)} ${kb(s.gzip).padStart(10)}   ${(ours.total.gzip / s.gzip).toFixed(2)}x`);
}

// Top contributors: the same release wasm, with names kept through wasm-opt.
function topContributors(count) {
  try { execFileSync('twiggy', ['--version'], { stdio: 'ignore' }); } catch { run('cargo', ['install', 'twiggy', '--version', '0.8.0']); }
  const profile = join(ROOT, 'target', 'size-profile');
  run('wasm-bindgen', ['--target', 'web', '--keep-debug', '--out-dir', profile,
    join(ROOT, 'target', 'wasm32-unknown-unknown', 'wasm-release', 'latchkey.wasm')], { stdio: 'ignore' });
  run('wasm-opt', ['-Oz', '-g', join(profile, 'latchkey_bg.wasm'), '-o', join(profile, 'named.wasm')], { stdio: 'ignore' });
  const csv = execFileSync('twiggy', ['top', '-n', '200', '-f', 'csv', join(profile, 'named.wasm')], { encoding: 'utf8' });
  return csv.trim().split('\n').slice(1)
    .map((line) => {
      const match = /^(.*),(\d+),([\d.]+),([\d.]*),([\d.]*)$/.exec(line);
      return match && { item: match[1].replace(/^"|"$/g, '').replace(/::h[0-9a-f]{16}$/, ''), bytes: Number(match[2]) };
    })
    .filter((row) => row && !/names|custom section|^Σ|more\.$/.test(row.item))
    .slice(0, count);
}
const contributors = topContributors(15);
console.log('\nTop 15 wasm contributors (shallow bytes, before gzip)');
for (const { item, bytes } of contributors) console.log(`  ${String(bytes).padStart(6)}  ${item.slice(0, 100)}`);

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(join(ROOT, 'bench', 'results', 'size.json'), JSON.stringify({
  date: new Date().toISOString(), ours, react, incumbents, contributors,
}, null, 2));
console.log(`\nwritten: bench/results/size.json`);
