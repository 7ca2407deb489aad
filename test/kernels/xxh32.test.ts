// xxh32_reset/update/digest (assembly/xxh32.ts), the file checksum from format version 2 on: wasm vs its twins vs
// published XXH32 values, over every length around the 16-byte stripe and the 64-byte loop, unaligned starts, any
// split into pieces, seeds; and io/crc32, the checksum version 1 files still carry. (test/io covers the formats.)
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/io/crc32.js';
import { XXH32_STATE_BYTES, xxh32 } from '../../src/io/xxh32.js';
import { xxh32_digest, xxh32_reset, xxh32_update } from '../../src/reference/xxh32.js';
import { jsKernels } from '../../src/runtime/backend-js.js';
import type { Kernels } from '../../src/runtime/abi.js';
import { rng } from '../helpers/check.js';
import { loadRaw } from '../helpers/wasm.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** XXH32 by kernels `k` over memory: `bytes` copied to an address `offset` past 16-aligned, fed in `pieces`. */
function hashOn(
  k: Kernels,
  memory: WebAssembly.Memory,
  alloc: (n: number) => number,
  bytes: Uint8Array,
  seed = 0,
  pieces = [bytes.length],
  offset = 0,
): number {
  const state = alloc(XXH32_STATE_BYTES);
  const p = alloc(bytes.length + offset + 1) + offset;
  new Uint8Array(memory.buffer, p, bytes.length).set(bytes);
  k.xxh32_reset(state, seed);
  let at = 0;
  for (const n of pieces) {
    k.xxh32_update(state, p + at, n);
    at += n;
  }
  return k.xxh32_digest(state) >>> 0;
}
const wasmHash = (bytes: Uint8Array, seed = 0, pieces = [bytes.length], offset = 0): number => {
  const w = loadRaw();
  return hashOn(w.k, w.memory, w.alloc, bytes, seed, pieces, offset);
};
/** The twins, fed in pieces. */
function twinHash(bytes: Uint8Array, seed = 0, pieces = [bytes.length]): number {
  const state = new Uint8Array(XXH32_STATE_BYTES);
  xxh32_reset(state, seed);
  let at = 0;
  for (const n of pieces) {
    xxh32_update(state, bytes.subarray(at, at + n), n);
    at += n;
  }
  return xxh32_digest(state) >>> 0;
}

// Published XXH32 values (seed 0) of the first n characters of "123456789ABCDEF" repeated, n = 0..39, 90, 105.
const TEXT = '123456789ABCDEF'.repeat(8);
const BY_LENGTH: [number, number][] = [
  [0, 0x02cc5d05],
  [1, 0xb6ecc8b2],
  [2, 0xd43589af],
  [3, 0xb6855437],
  [4, 0x01543429],
  [5, 0xb30d56b4],
  [6, 0xb7014066],
  [7, 0xdd8d554e],
  [8, 0x89f05aa5],
  [9, 0x937bad67],
  [10, 0xee4c2232],
  [11, 0x525ebf88],
  [12, 0x4c91c2e5],
  [13, 0x772609a4],
  [14, 0x0de40edc],
  [15, 0x576e3cf9],
  [16, 0x82d80129],
  [17, 0x04689504],
  [18, 0xb6786140],
  [19, 0xc33e9edc],
  [20, 0x8cc12eb4],
  [21, 0xf28177f6],
  [22, 0xcf887691],
  [23, 0x7b1af730],
  [24, 0x1f34766d],
  [25, 0x772d203c],
  [26, 0x30967301],
  [27, 0x02b595fa],
  [28, 0x0d09d9fe],
  [29, 0x0dacc797],
  [30, 0x2f375968],
  [31, 0xff6d43a9],
  [32, 0x852d687c],
  [33, 0xef78a638],
  [34, 0xb8939d98],
  [35, 0x83a9e3bc],
  [36, 0xb3b65d47],
  [37, 0x929b9cc4],
  [38, 0xe438dfb8],
  [39, 0xed8d024f],
  [90, 0xdfc3325c],
  [105, 0x1fb5b995],
];

describe('xxh32 kernels', () => {
  it('give the published XXH32 values (every length 0..39 around the 16-byte stripe, 90, 105; seeds; 100 KiB of 0xff)', () => {
    for (const [n, want] of BY_LENGTH) {
      const b = ascii(TEXT.slice(0, n));
      expect(wasmHash(b), `wasm n=${n}`).toBe(want);
      expect(twinHash(b), `twin n=${n}`).toBe(want);
      expect(xxh32(b), `io n=${n}`).toBe(want);
    }
    expect(xxh32(ascii('a'))).toBe(0x550d7456);
    expect(xxh32(ascii('abc'))).toBe(0x32d153ff);
    for (const [n, seed, want] of [
      [0, 1, 0x0b2cb792],
      [16, 1, 0x70ab0be4],
      [17, 1, 0xa0ef0a1d],
      [0, 0x7fffffff, 0xc89b854f],
      [16, 0x7fffffff, 0xc355753c],
      [39, 0x7fffffff, 0xf988dace],
    ]) {
      const b = ascii(TEXT.slice(0, n));
      expect(wasmHash(b, seed), `wasm n=${n} seed=${seed}`).toBe(want);
      expect(twinHash(b, seed), `twin n=${n} seed=${seed}`).toBe(want);
    }
    const ff = new Uint8Array(100 * 1024).fill(0xff);
    expect(wasmHash(ff)).toBe(0x81e25350);
    expect(xxh32(ff)).toBe(0x81e25350);
  });

  it('agree with the twins on random bytes of every length 0..150 and larger ones, at unaligned starts', () => {
    const r = rng(5);
    for (const n of [...Array.from({ length: 151 }, (_, i) => i), 255, 256, 257, 1023, 4099, 100_003]) {
      const bytes = Uint8Array.from({ length: n }, () => (r() * 256) | 0);
      const want = twinHash(bytes);
      expect(xxh32(bytes), `io n=${n}`).toBe(want);
      for (const off of [0, 1, 3, 8]) expect(wasmHash(bytes, 0, [n], off), `n=${n} offset=${off}`).toBe(want);
    }
  });

  it('stream: any split into pieces (empty ones, pieces shorter than a stripe, across the 64-byte loop) gives the one-shot hash', () => {
    const r = rng(9);
    const bytes = Uint8Array.from({ length: 3001 }, () => (r() * 256) | 0);
    const whole = xxh32(bytes);
    const splits = [
      [0, 3001],
      [1, 3000],
      [15, 1, 2985],
      [16, 2985],
      [3, 0, 5, 7, 1, 64, 63, 65, 2793],
      [1000, 1000, 1001],
      [2999, 2],
      [3001, 0],
    ];
    for (let i = 0; i < 20; i++) {
      const cuts: number[] = [];
      let left = 3001;
      while (left > 0) {
        const n = Math.min(left, Math.floor(r() * 40));
        cuts.push(n);
        left -= n;
      }
      splits.push(cuts);
    }
    for (const pieces of splits) {
      expect(wasmHash(bytes, 0, pieces, 1), `wasm ${pieces.slice(0, 6).join(',')}`).toBe(whole);
      expect(twinHash(bytes, 0, pieces), `twin ${pieces.slice(0, 6).join(',')}`).toBe(whole);
    }
  });

  it('digest leaves the state as it was, and reads exactly n bytes; the js backend adapter agrees', () => {
    const w = loadRaw();
    const b = ascii(TEXT.slice(0, 40));
    const state = w.alloc(XXH32_STATE_BYTES);
    const p = w.put(b);
    w.k.xxh32_reset(state, 0);
    w.k.xxh32_update(state, p, 20);
    expect(w.k.xxh32_digest(state) >>> 0).toBe(0x8cc12eb4);
    expect(w.k.xxh32_digest(state) >>> 0).toBe(0x8cc12eb4);
    w.k.xxh32_update(state, p + 20, 19);
    expect(w.k.xxh32_digest(state) >>> 0).toBe(0xed8d024f);

    const memory = new WebAssembly.Memory({ initial: 1 });
    let top = 64;
    const alloc = (n: number): number => {
      const at = top;
      top = (top + n + 15) & ~15;
      return at;
    };
    expect(hashOn(jsKernels(memory), memory, alloc, b.subarray(0, 39), 0, [7, 32], 3)).toBe(0xed8d024f);
  });
});

describe('io/crc32 (the checksum of version 1 files)', () => {
  it('gives the standard CRC-32 check values and chains over pieces', () => {
    expect(crc32(ascii(''))).toBe(0);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    const r = rng(3);
    const bytes = Uint8Array.from({ length: 1001 }, () => (r() * 256) | 0);
    for (const cut of [0, 1, 500, 1001])
      expect(crc32(bytes, cut, bytes.length, crc32(bytes, 0, cut))).toBe(crc32(bytes));
  });
});
