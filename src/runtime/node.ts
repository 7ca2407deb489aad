// File access for runtimes with node:fs (Node, Deno, Bun): reading the .wasm from a file: URL, and io/file.ts's
// model files. node:fs is imported on first use only, so browsers and workers load this module harmlessly.
import { SimdnetError } from '../errors.js';

/**
 * node:fs/promises, imported through a computed specifier: bundlers that target browsers then leave it alone
 * (no "externalized for browser compatibility" warnings, no webpack UnhandledSchemeError for `node:`), while
 * Node, Deno and Bun resolve it at run time.
 */
export async function nodeFs(): Promise<typeof import('node:fs/promises')> {
  const specifier = 'node:fs/promises';
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as typeof import('node:fs/promises');
}

/** A file URL as a path for messages (no node:url needed). */
function pathOf(u: URL): string {
  const p = decodeURIComponent(u.pathname);
  return /^\/[a-z]:\//i.test(p) ? p.slice(1) : p;
}

/** Reads the first of `url`, ...fallbacks that exists. */
export async function readFileUrl(url: URL, fallbacks: URL[]): Promise<Uint8Array> {
  const { readFile } = await nodeFs();
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
          `no permission to read ${pathOf(u)} (${String(err)}); grant read access to it ` +
            '(Deno: --allow-read=<that path>) or pass the .wasm yourself: init({ wasm: bytes | URL | WebAssembly.Module })',
        );
      }
      throw new SimdnetError('FORMAT', `could not read ${pathOf(u)}: ${String(err)}`);
    }
  }
  throw new SimdnetError('FORMAT', `simdnet.wasm not found at ${pathOf(url)}; run \`npm run build\` or pass the .wasm to init({ wasm })`);
}
