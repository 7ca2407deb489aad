// `npm start` runs this first: builds the package (npm run build) only when dist/ is missing a file it needs or
// is older than a source that goes into it, so a start right after a build (`npm ci` + prepack, or `npm run
// build`) starts at once. Sources: assembly/, src/, the build scripts and the configs they read.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outputs = [
  'dist/simdnet.wasm',
  'dist/bin/train-mnist.js',
  'dist/bin/simdnet.js',
  'dist/bundle/index.js',
  'dist/bundle/index.cjs',
];
const sources = [
  'assembly',
  'src',
  'scripts/bundle.js',
  'scripts/copy-wasm.js',
  'scripts/asbuild.js',
  'asconfig.json',
  'tsconfig.json',
];

/** The newest modification time under a file or directory (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

const missing = outputs.filter((f) => !existsSync(join(root, f)));
const oldestOut = Math.min(...outputs.map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0)));
const newestSrc = Math.max(...sources.map((s) => newest(join(root, s))));
const why =
  missing.length > 0 ? `${missing[0]} is missing` : newestSrc > oldestOut ? 'sources changed since the last build' : '';
if (why) {
  console.log(`simdnet: building (${why})`);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
