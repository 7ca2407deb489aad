// Test harness for raw kernels: one fresh module instance with a bump allocator and copy in/out helpers.
// Reads build/simdnet.wasm (or $SIMDNET_WASM, so parallel work can test its own build). With SIMDNET_RELAXED=1 (the
// `relaxed` vitest project, Node run with --experimental-wasm-relaxed-simd) the GEMM and conv kernels are the
// relaxed-SIMD (fused multiply-add) build carried in the file, on the same memory, so the sweeps check that path.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../src/runtime/abi.js';
import { RELAXED_KERNELS, relaxedBytes } from '../../src/runtime/relaxed.js';

const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('../../build/simdnet.wasm', import.meta.url));
let cachedModule: WebAssembly.Module | undefined;
let cachedRelaxed: WebAssembly.Module | undefined;
/** True when loadRaw() gives the relaxed-SIMD kernels (SIMDNET_RELAXED=1). */
export const relaxedRun = process.env.SIMDNET_RELAXED === '1';

/** The relaxed-SIMD module carried in the .wasm; throws where this runtime does not validate it. */
export function relaxedModuleSync(): WebAssembly.Module {
  cachedModule ??= new WebAssembly.Module(readFileSync(wasmPath));
  const bytes = relaxedBytes(cachedModule);
  if (!bytes) throw new Error(`${wasmPath} carries no simdnet.relaxed section (npm run asbuild)`);
  if (!WebAssembly.validate(bytes))
    throw new Error('this runtime does not validate relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd)');
  return (cachedRelaxed ??= new WebAssembly.Module(bytes));
}

export interface RawWasm {
  k: Kernels;
  memory: WebAssembly.Memory;
  /** Allocate `bytes` (16-byte aligned, zeroed); grows memory as needed. */
  alloc(bytes: number): number;
  /** Copy a typed array into fresh wasm memory; returns its pointer. */
  put(a: Float32Array | Int32Array | Int8Array | Uint8Array | Int16Array | Uint16Array): number;
  /** Fresh Float32Array copy of n floats at ptr. */
  f32(ptr: number, n: number): Float32Array;
  i32(ptr: number, n: number): Int32Array;
  /** Forget all allocations (memory is kept). */
  reset(): void;
}

export function loadRaw(): RawWasm {
  cachedModule ??= new WebAssembly.Module(readFileSync(wasmPath));
  const memory = new WebAssembly.Memory({ initial: 4 });
  const instance = new WebAssembly.Instance(cachedModule, { env: { memory } });
  let k = instance.exports as unknown as Kernels;
  if (relaxedRun) {
    const r = new WebAssembly.Instance(relaxedModuleSync(), { env: { memory } }).exports as Record<string, unknown>;
    k = { ...k, ...Object.fromEntries(RELAXED_KERNELS.map((name) => [name, r[name]])) };
  }
  const base = (k.heap_base() + 15) & ~15;
  let top = base;
  const alloc = (bytes: number): number => {
    const p = top;
    top = (top + bytes + 15) & ~15;
    const need = top - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    new Uint8Array(memory.buffer, p, bytes).fill(0);
    return p;
  };
  return {
    k,
    memory,
    alloc,
    put(a) {
      const p = alloc(a.byteLength);
      new Uint8Array(memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return p;
    },
    f32: (ptr, n) => new Float32Array(memory.buffer, ptr, n).slice(),
    i32: (ptr, n) => new Int32Array(memory.buffer, ptr, n).slice(),
    reset() {
      top = base;
    },
  };
}
