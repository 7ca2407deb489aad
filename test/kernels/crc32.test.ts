// crc32_update (assembly/crc32.ts): the file checksum, wasm vs its twin vs the standard check values, over lengths
// 0..40 and larger (around the 4-byte step), at unaligned starts, and chained over pieces. (test/io covers the file format rejecting a bad checksum.)
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/io/crc32.js';
import { crc32_update } from '../../src/reference/crc32.js';
import { jsKernels } from '../../src/runtime/backend-js.js';
import { rng } from '../helpers/check.js';
import { loadRaw } from '../helpers/wasm.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function wasmCrc(bytes: Uint8Array, offset = 0, crc = 0): number {
  const w = loadRaw();
  const p = w.alloc(bytes.length + offset + 1) + offset; // an unaligned start when offset > 0
  new Uint8Array(w.memory.buffer, p, bytes.length).set(bytes);
  return w.k.crc32_update(crc, p, bytes.length);
}
const crc32_bytes = (b: Uint8Array, n: number): number => crc32_update(0, b, n);

describe('crc32_update', () => {
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
    expect(jsKernels(memory).crc32_update(0, 100, 9) >>> 0).toBe(0xcbf43926);
  });

  it('chains: the CRC of a then b, continued from the CRC of a, is the CRC of both (any split, both sides)', () => {
    const r = rng(9);
    const bytes = Uint8Array.from({ length: 3001 }, () => (r() * 256) | 0);
    const whole = crc32(bytes);
    for (const cut of [0, 1, 3, 4, 5, 1000, 2999, 3001]) {
      const a = bytes.subarray(0, cut);
      const b = bytes.subarray(cut);
      expect(wasmCrc(b, 1, wasmCrc(a)) >>> 0, `wasm cut ${cut}`).toBe(whole);
      expect(crc32_update(crc32_update(0, a, a.length), b, b.length) >>> 0, `twin cut ${cut}`).toBe(whole);
      expect(crc32(bytes, cut, bytes.length, crc32(bytes, 0, cut)), `io/crc32 cut ${cut}`).toBe(whole);
    }
  });
});
