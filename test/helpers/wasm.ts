// Test harness for raw kernels: one fresh module instance with a bump allocator and copy in/out helpers.
// Reads build/simdnet.wasm (or $SIMDNET_WASM, so parallel work can test its own build).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../src/runtime/abi.js';

const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('../../build/simdnet.wasm', import.meta.url));
let cachedModule: WebAssembly.Module | undefined;

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
  const k = instance.exports as unknown as Kernels;
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
