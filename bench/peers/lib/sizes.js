// Installed footprint: the bytes on disk of a library and everything npm installs with it (its dependency
// closure in bench/peers' lockfile, peers included, as npm 7+ installs them), and the .wasm it loads.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PEERS = new URL('..', import.meta.url).pathname;
const ROOT = new URL('../../..', import.meta.url).pathname;

/** Bytes of the files under dir, not descending into nested node_modules (those are packages of their own). */
function dirBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Lockfile key of `name` as required from the package at `from`, found the way Node walks node_modules up. */
function resolveKey(packages, from, name) {
  let base = from;
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/** The dependency closure of `roots` in <dir>/package-lock.json: package count and bytes on disk. */
export function closureSize(roots, dir = PEERS) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const packages = lock.packages;
  const seen = new Set();
  const queue = roots.map((r) => `node_modules/${r}`);
  while (queue.length > 0) {
    const key = queue.pop();
    if (seen.has(key) || !packages[key]) continue;
    seen.add(key);
    const e = packages[key];
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies };
    for (const d of Object.keys(deps)) {
      const k = resolveKey(packages, key, d);
      if (k) queue.push(k);
    }
  }
  let bytes = 0;
  for (const key of seen) bytes += dirBytes(join(dir, key));
  return {
    packages: seen.size,
    bytes,
    names: [...seen].map((k) => k.slice(k.lastIndexOf('node_modules/') + 13)).sort(),
  };
}

/**
 * simdnet's own install: the files `npm pack` would publish (zero runtime dependencies). With a private build
 * (`distDir` other than the repository's dist/), the same set counted by hand: that folder plus package.json,
 * README and LICENSE.
 */
export function simdnetSize(distDir) {
  if (distDir && resolve(distDir) !== resolve(ROOT, 'dist')) {
    let bytes = dirBytes(distDir);
    for (const f of readdirSync(ROOT))
      if (f === 'package.json' || /^(readme|license|licence)(\.|$)/i.test(f)) bytes += statSync(join(ROOT, f)).size;
    return { packages: 1, bytes, names: ['simdnet'], counted: 'private build' };
  }
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [p] = JSON.parse(out);
  return { packages: 1, bytes: p.unpackedSize, tarball: p.size, names: [p.name] };
}

export function fileBytes(path) {
  return statSync(path).size;
}

export const paths = { PEERS, ROOT };
