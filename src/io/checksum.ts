// File checksums on the kernels of the engine a loaded model will use (assembly/xxh32.ts): cold JavaScript in a new
// process takes several ms over an MNIST-sized model; the kernel, a fraction of one. Version 1 files (CRC-32) are
// checked by the JS loop.
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import { jsChecksum, type ByteSource, type Checksum } from './container.js';
import { XXH32_STATE_BYTES } from './xxh32.js';

/** Bytes staged per kernel call: few enough fresh pages of memory to touch (each first touch is a page fault). */
const WINDOW = 32 * 1024;

/** An XXH32 in progress on engine e's kernels, its state in e's memory; dispose() when done. */
export class KernelHash {
  private readonly state: number;

  constructor(private readonly e: Engine) {
    this.state = e.arena.alloc(XXH32_STATE_BYTES);
    e.k.xxh32_reset(this.state, 0);
  }

  /** Feeds n bytes at ptr of the engine's memory. */
  update(ptr: number, n: number): void {
    this.e.k.xxh32_update(this.state, ptr, n);
  }

  /** Feeds src[pos, pos + n), staged through a small window of the engine's memory. */
  updateFrom(src: ByteSource, pos: number, n: number): void {
    if (n === 0) return;
    const size = Math.min(WINDOW, n);
    const p = this.e.arena.alloc(size);
    try {
      for (let off = 0; off < n; off += size) {
        const len = Math.min(size, n - off);
        src.read(new Uint8Array(this.e.memory.buffer, p, len), pos + off);
        this.update(p, len);
      }
    } finally {
      this.e.free(p);
    }
  }

  /** The XXH32 (unsigned) of everything fed. */
  digest(): number {
    return this.e.k.xxh32_digest(this.state) >>> 0;
  }

  dispose(): void {
    this.e.free(this.state);
  }
}

/** A file's checksum on engine `e`: XXH32 by its kernels, CRC-32 (version 1 files) by the JS loop. */
export function kernelChecksum(e: Engine): Checksum {
  return (src: ByteSource, n: number, kind): number => {
    if (kind !== 'xxh32') return jsChecksum(src, n, kind);
    const h = new KernelHash(e);
    try {
      h.updateFrom(src, 0, n);
      return h.digest();
    } finally {
      h.dispose();
    }
  };
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
