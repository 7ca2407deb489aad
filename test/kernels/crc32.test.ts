// crc32_bytes (assembly/crc32.ts): the model file checksum, wasm vs its twin vs the standard check values, over
// lengths 0..40 and larger, at unaligned starts. (test/io covers the file format rejecting a bad checksum.)
import { describe, expect, it } from 'vitest';
import { crc32_bytes } from '../../src/reference/crc32.js';
import { jsKernels } from '../../src/runtime/backend-js.js';
import { rng } from '../helpers/check.js';
import { loadRaw } from '../helpers/wasm.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function wasmCrc(bytes: Uint8Array, offset = 0): number {
  const w = loadRaw();
  const p = w.alloc(bytes.length + offset + 1) + offset; // an unaligned start when offset > 0
  new Uint8Array(w.memory.buffer, p, bytes.length).set(bytes);
  return w.k.crc32_bytes(p, bytes.length);
}

describe('crc32_bytes', () => {
  it('gives the standard CRC-32 check values', () => {
    for (const [s, crc] of [
      ['', 0],
      ['a', 0xe8b7be43],
      ['123456789', 0xcbf43926],
      ['The quick brown fox jumps over the lazy dog', 0x414fa339],
    ] as const) {
      expect(wasmCrc(ascii(s)) >>> 0, s).toBe(crc);
      expect(crc32_bytes(ascii(s), s.length) >>> 0, `twin ${s}`).toBe(crc);
    }
  });

  it('matches the twin for every length 0..40 and larger ones, at unaligned starts', () => {
    const r = rng(5);
    for (const n of [...Array.from({ length: 41 }, (_, i) => i), 255, 256, 257, 1023, 4099, 100_003]) {
      const bytes = Uint8Array.from({ length: n }, () => (r() * 256) | 0);
      for (const off of [0, 1, 3]) expect(wasmCrc(bytes, off), `n=${n} offset=${off}`).toBe(crc32_bytes(bytes, n));
    }
    // All-ones and all-zeros bytes (table edges).
    for (const fill of [0, 0xff]) {
      const b = new Uint8Array(1000).fill(fill);
      expect(wasmCrc(b)).toBe(crc32_bytes(b, 1000));
    }
  });

  it('reads exactly n bytes, and the js backend adapter agrees', () => {
    const b = ascii('123456789xyz');
    expect(crc32_bytes(b, 9) >>> 0).toBe(0xcbf43926);
    expect(wasmCrc(b.subarray(0, 9)) >>> 0).toBe(0xcbf43926);
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(memory.buffer, 100, b.length).set(b);
    expect(jsKernels(memory).crc32_bytes(100, 9) >>> 0).toBe(0xcbf43926);
  });
});
