// File checksums by the CRC-32 kernel (assembly/crc32.ts) of the engine a loaded model will use. Cold JavaScript
// in a new process takes several ms over an MNIST-sized model; the kernel, well under one.
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import { jsChecksum, type ByteSource, type Checksum } from './container.js';

/** Bytes staged per kernel call: few enough fresh pages of memory to touch (each first touch is a page fault). */
const WINDOW = 32 * 1024;

/**
 * CRC-32 of a file's first n bytes on engine `e`, staged through a small window of its memory. Staging the whole
 * file at once would touch as many fresh pages as the file has; and the kernel, called once per window, gets
 * moved by V8 to its optimizing tier after the first few calls (V8 tiers a wasm function up between calls only).
 */
export function kernelChecksum(e: Engine): Checksum {
  return (src: ByteSource, n: number): number => {
    if (n === 0) return 0;
    const size = Math.min(WINDOW, n);
    const p = e.arena.alloc(size);
    let crc = 0;
    try {
      for (let pos = 0; pos < n; pos += size) {
        const len = Math.min(size, n - pos);
        src.read(new Uint8Array(e.memory.buffer, p, len), pos);
        crc = e.k.crc32_update(crc, p, len) >>> 0;
      }
    } finally {
      e.free(p);
    }
    return crc;
  };
}

/**
 * CRC-32 continuing `crc` over n bytes at ptr in the engine's memory, in pieces: V8 moves a hot wasm function to
 * its optimizing tier between calls, never during one, so a single call over a large model would run entirely in
 * the baseline tier on a cold start.
 */
export function crcInMemory(e: Engine, ptr: number, n: number, crc: number): number {
  for (let off = 0; off < n; off += WINDOW) crc = e.k.crc32_update(crc, ptr + off, Math.min(WINDOW, n - off)) >>> 0;
  return crc;
}

/** The checksum for a loader: the wasm kernel when the model will live on a loaded wasm engine, else the JS loop. */
export function checksumFor(options: { engine?: Engine; backend?: Backend }): Checksum {
  let e = options.engine;
  if (!e && (options.backend ?? 'wasm') === 'wasm') {
    try {
      e = getEngine('wasm');
    } catch {
      e = undefined; // not loaded: building the model reports that after the checks
    }
  }
  return e && e.backend === 'wasm' ? kernelChecksum(e) : jsChecksum;
}
