// The only module that uses Node APIs to load the .wasm; imported dynamically by loader.ts for file: URLs.
import { readFile } from 'node:fs/promises';
import { SimdnetError } from '../errors.js';

/** Reads the first of `url`, ...fallbacks that exists. */
export async function readFileUrl(url: URL, fallbacks: URL[]): Promise<Uint8Array> {
  for (const u of [url, ...fallbacks]) {
    try {
      return await readFile(u);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SimdnetError('FORMAT', `could not read ${u.pathname}: ${String(err)}`);
      }
    }
  }
  throw new SimdnetError(
    'FORMAT',
    `simdnet.wasm not found at ${url.pathname}; run \`npm run build\` or pass the .wasm to init({ wasm })`,
  );
}
