// File access for runtimes with node:fs (Node, Deno, Bun): reading the .wasm from a file: URL, and io/file.ts's
// model files. node:fs is reached only on first use, so browsers and workers load this module harmlessly.
import { SimdnetError } from '../errors.js';

type Fs = typeof import('node:fs');

/**
 * node:fs, synchronously, where the runtime offers `process.getBuiltinModule` (Node ≥ 20.16, Deno 2, Bun); else
 * undefined. Preferred over a dynamic import of node:fs for cold start: it needs no trip through the ES module loader,
 * and Node's ES module wrapper of node:fs evaluates every export, `fs.promises` and its stream modules included
 * (several ms in a new process).
 */
export function syncFs(): Fs | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof p?.getBuiltinModule === 'function' ? (p.getBuiltinModule('node:fs') as Fs | undefined) : undefined;
}

/**
 * node:fs: syncFs(), or on older runtimes a dynamic import through a computed specifier, which bundlers that
 * target browsers leave alone (no "externalized for browser compatibility" warnings, no webpack
 * UnhandledSchemeError for `node:`) while Node, Deno and Bun resolve it at run time.
 */
export async function nodeFs(): Promise<Fs> {
  const fs = syncFs();
  if (fs) return fs;
  const specifier = 'node:fs';
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as Fs;
}

/** A file URL (or a path, as is) as a path for messages (no node:url needed). */
function pathOf(u: string | URL): string {
  if (typeof u === 'string') return u;
  const p = decodeURIComponent(u.pathname);
  return /^\/[a-z]:\//i.test(p) ? p.slice(1) : p;
}

/** Deno without --allow-read throws NotCapable (PermissionDenied before 2.0); Node's permission model, EACCES. */
function isPermissionError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return (
    e.name === 'NotCapable' ||
    e.name === 'PermissionDenied' ||
    e.code === 'EACCES' ||
    e.code === 'EPERM' ||
    e.code === 'ERR_ACCESS_DENIED'
  );
}

/** Reads a file (a path or a file: URL); undefined if there is none, a SimdnetError naming it if it cannot be read. */
export function readFileIfExists(fs: Fs, at: string | URL): Uint8Array | undefined {
  try {
    return fs.readFileSync(at);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (isPermissionError(err)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `no permission to read ${pathOf(at)} (${String(err)}); grant read access to it ` +
          '(Deno: --allow-read=<that path>) or pass the .wasm yourself: init({ wasm: bytes | URL | WebAssembly.Module })',
      );
    }
    throw new SimdnetError('FORMAT', `could not read ${pathOf(at)}: ${String(err)}`);
  }
}

/** Reads the first of `url`, ...fallbacks that exists (a small file: read synchronously, once, at init). */
export function readFileUrl(fs: Fs, url: URL, fallbacks: URL[]): Uint8Array {
  for (const u of [url, ...fallbacks]) {
    const bytes = readFileIfExists(fs, u);
    if (bytes) return bytes;
  }
  throw new SimdnetError(
    'FORMAT',
    `simdnet.wasm not found at ${pathOf(url)}; run \`npm run build\` or pass the .wasm to init({ wasm })`,
  );
}
