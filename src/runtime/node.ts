// The only module that uses Node APIs to load the .wasm (Node, and Deno through its node: compatibility);
// imported dynamically by loader.ts for file: URLs, so browsers and workers never load it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SimdnetError } from '../errors.js';

/** Reads the first of `url`, ...fallbacks that exists. */
export async function readFileUrl(url: URL, fallbacks: URL[]): Promise<Uint8Array> {
  for (const u of [url, ...fallbacks]) {
    try {
      return await readFile(u);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') continue;
      // Deno without --allow-read throws NotCapable (PermissionDenied before 2.0); Node's permission model, EACCES.
      if (e.name === 'NotCapable' || e.name === 'PermissionDenied' || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'ERR_ACCESS_DENIED') {
        throw new SimdnetError(
          'UNSUPPORTED',
          `no permission to read ${fileURLToPath(u)} (${String(err)}); grant read access to it ` +
            '(Deno: --allow-read=<that path>) or pass the .wasm yourself: init({ wasm: bytes | URL | WebAssembly.Module })',
        );
      }
      throw new SimdnetError('FORMAT', `could not read ${fileURLToPath(u)}: ${String(err)}`);
    }
  }
  throw new SimdnetError(
    'FORMAT',
    `simdnet.wasm not found at ${fileURLToPath(url)}; run \`npm run build\` or pass the .wasm to init({ wasm })`,
  );
}
