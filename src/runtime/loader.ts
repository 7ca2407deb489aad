import { SimdnetError } from '../errors.js';
import { nodeFs, readFileIfExists, readFileUrl, syncFs } from './node.js';

/**
 * Where the .wasm comes from: nothing (found beside this module), a URL or path, its bytes, or an already compiled
 * `WebAssembly.Module` (edge platforms such as Cloudflare Workers forbid compiling at run time).
 */
export type WasmSource = string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;

// The smallest module using a v128 op: (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt) —
// validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this runtime runs WebAssembly SIMD128. */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Default location of the .wasm: beside the package's top-level module (dist/simdnet.wasm). Computed on use, not
 * at import: some bundled edge runtimes give modules no usable import.meta.url, and importing must still work there
 * (they pass the .wasm in). Bundlers (Vite, webpack, esbuild with a plugin) recognise this `new URL(…, import.meta.url)`
 * form and emit the .wasm as an asset.
 */
export function defaultWasmUrl(): URL {
  try {
    return new URL('../simdnet.wasm', import.meta.url);
  } catch (err) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `simdnet.wasm cannot be located in this runtime (import.meta.url is ${JSON.stringify(String(import.meta.url))}: ${String(err)}); ` +
        'pass it to init({ wasm }) as bytes, a URL, or a precompiled WebAssembly.Module',
    );
  }
}

/**
 * The same file as defaultWasmUrl(), as a plain path: import.meta.dirname (rolldown's CommonJS build has __dirname)
 * up one directory. Where node:fs reads it, this spares a new process the file: URL round trip (pathToFileURL in
 * the CommonJS build, URL parsing, fileURLToPath in readFileSync): ~0.5 ms of a cold start. Undefined where modules
 * have no directory (browsers, workers, remote modules).
 */
function defaultWasmPath(): string | undefined {
  const dir = import.meta.dirname as string | undefined;
  if (typeof dir !== 'string') return undefined;
  const cut = Math.max(dir.lastIndexOf('/'), dir.lastIndexOf('\\'));
  return cut < 0 ? undefined : `${dir.slice(0, cut + 1)}simdnet.wasm`;
}

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/**
 * Compiles the simdnet module from any WasmSource; rejects with a clear message when SIMD is missing.
 * Where node:fs is at hand synchronously (Node, Deno, Bun) a file is read and compiled synchronously: no thread
 * pool round trips at start-up, and these runtimes, unlike a browser's main thread, allow a synchronous compile.
 */
export async function compileWasm(source?: WasmSource): Promise<WebAssembly.Module> {
  const got = await readWasm(source);
  return got instanceof WebAssembly.Module ? got : compileBytes(got, syncFs() !== undefined);
}

/**
 * The module's bytes from any WasmSource (checks WebAssembly and SIMD first), or the module itself when it was
 * given precompiled (a compiled module's bytes cannot be had back). The thread pool derives its shared-memory
 * variant from these bytes.
 */
export async function readWasm(source?: WasmSource): Promise<Uint8Array | WebAssembly.Module> {
  if (typeof WebAssembly !== 'object') {
    throw new SimdnetError(
      'UNSUPPORTED',
      "this runtime has no WebAssembly; use the js backend: await init({ backend: 'js' })",
    );
  }
  if (!simdSupported()) {
    throw new SimdnetError(
      'UNSUPPORTED',
      'this runtime does not support WebAssembly SIMD (simd128), which simdnet.wasm needs; ' +
        "update the runtime, or use the js backend: await init({ backend: 'js' }) and models with { backend: 'js' }",
    );
  }
  if (source instanceof WebAssembly.Module) return source;
  const fs = syncFs();
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return toBytes(source);
  if (source === undefined && fs) {
    const path = defaultWasmPath();
    const bytes = path === undefined ? undefined : readFileIfExists(fs, path);
    if (bytes) return bytes;
    // Not there (running from src/, or inside a bundle of the user's own): the URL, which bundlers rewrite.
  }
  const url = source === undefined ? defaultWasmUrl() : toUrl(source);
  if (url.protocol === 'file:' && isNode) {
    // Node's fetch has no file: URLs: read the file (node:fs is reached only when this runs).
    // Running from src/ (tests, dev) rather than dist/: the build output sits in build/. Relative to the default
    // URL, not import.meta.url, so bundlers do not try to emit it as an asset.
    const fallbacks = source === undefined ? [new URL('../build/simdnet.wasm', url)] : [];
    return readFileUrl(await nodeFs(), url, fallbacks);
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    // A network failure or a blocked request (CSP, CORS, file: in a browser) surfaces as a bare TypeError.
    throw new SimdnetError('FORMAT', `could not fetch ${url.href}: ${String(err)}`);
  }
  if (!res.ok) throw new SimdnetError('FORMAT', `could not fetch ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function toUrl(s: string | URL): URL {
  if (s instanceof URL) return s;
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return new URL(s);
  if (isNode) {
    // A plain path: resolve against the working directory.
    const cwd = process.cwd().replace(/\\/g, '/');
    const abs = s.startsWith('/') || /^[a-z]:[\\/]/i.test(s) ? s : `${cwd}/${s}`;
    return new URL(`file://${abs.startsWith('/') ? '' : '/'}${abs.replace(/\\/g, '/')}`);
  }
  return new URL(s, (globalThis as { location?: { href: string } }).location?.href);
}

function toBytes(b: ArrayBuffer | ArrayBufferView): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export async function compileBytes(bytes: Uint8Array, sync: boolean): Promise<WebAssembly.Module> {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new SimdnetError('FORMAT', 'the given bytes are not a WebAssembly module (no \\0asm header)');
  }
  try {
    const b = bytes as Uint8Array<ArrayBuffer>;
    return sync ? new WebAssembly.Module(b) : await WebAssembly.compile(b);
  } catch (err) {
    throw new SimdnetError('FORMAT', `simdnet.wasm failed to compile: ${String(err)}`);
  }
}
