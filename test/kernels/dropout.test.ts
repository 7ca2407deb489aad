import { describe, expect, it } from 'vitest';
import { randArray } from '../helpers/check.js';
import { compareBoth, runBoth, SIZES, withSpecials } from '../helpers/elem-kernels.js';
import { dropout_u } from '../../src/reference/dropout.js';

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
const RATES = [0, 0.1, 0.25, 0.5, 0.9, 1 / 3];
const SEEDS = [0, 1, 42, -7, 0x7fffffff, -0x80000000];

describe('dropout wasm vs twin', () => {
  it.each(SIZES)('masks and outputs are bit-identical, n=%i', (n) => {
    const x = withSpecials(n, n + 1, [0, -0, 1e30, -1e30, NaN, Infinity], -2, 2);
    for (const rate of RATES) {
      for (const seed of SEEDS) {
        const r = runBoth('dropout_forward', [
          new Float32Array(n).fill(3),
          new Float32Array(n).fill(3),
          x,
          n,
          rate,
          seed,
        ]);
        const what = `n=${n} rate=${rate} seed=${seed}`;
        expect(bits(r.wasm[1] as Float32Array), `${what} mask`).toEqual(bits(r.ref[1] as Float32Array));
        expect(bits(r.wasm[0] as Float32Array), `${what} y`).toEqual(bits(r.ref[0] as Float32Array));
      }
    }
  });

  it.each(SIZES)('dropout_backward n=%i (and in place)', (n) => {
    const dy = randArray(n, n + 2);
    const m = runBoth('dropout_forward', [new Float32Array(n), new Float32Array(n), dy, n, 0.3, 9])
      .wasm[1] as Float32Array;
    compareBoth('dropout_backward', [new Float32Array(n).fill(4), dy, m, n], 0, 0, `n=${n}`);
    compareBoth('dropout_backward', [dy, { same: 0 }, m, n], 0, 0, 'in place');
  });

  it('forward in place (y == x)', () => {
    const n = 1003;
    const x = randArray(n, 5);
    const r = runBoth('dropout_forward', [x, new Float32Array(n), { same: 0 }, n, 0.4, 3]);
    expect(bits(r.wasm[0] as Float32Array)).toEqual(bits(r.ref[0] as Float32Array));
  });
});

describe('dropout mask statistics', () => {
  const n = 100_000;
  const x = new Float32Array(n).fill(1);
  const mask = (rate: number, seed: number): Float32Array =>
    runBoth('dropout_forward', [new Float32Array(n), new Float32Array(n), x, n, rate, seed]).wasm[1] as Float32Array;

  it.each([0.1, 0.25, 0.5, 0.8])('kept fraction within 4 standard errors of 1 − rate (rate %f)', (rate) => {
    for (const seed of [1, 2, 3]) {
      const m = mask(rate, seed);
      const scale = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
      let kept = 0;
      for (const v of m) {
        if (v !== 0) {
          expect(v).toBe(scale);
          kept++;
        }
      }
      const p = 1 - rate;
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - p)).toBeLessThan(4 * se);
    }
  });

  it('rate 0 keeps everything with mask 1 and y = x exactly', () => {
    const xs = withSpecials(1001, 3, [NaN, -0, 1e30]);
    const r = runBoth('dropout_forward', [new Float32Array(1001), new Float32Array(1001), xs, 1001, 0, 77]);
    expect((r.wasm[1] as Float32Array).every((v) => v === 1)).toBe(true);
    expect(bits(r.wasm[0] as Float32Array)).toEqual(bits(xs));
  });

  it('same seed → same mask; different seed → different mask', () => {
    const a = mask(0.5, 123);
    expect(bits(mask(0.5, 123))).toEqual(bits(a));
    let differ = 0;
    const b = mask(0.5, 124);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) differ++;
    // Independent masks at rate 0.5 disagree on about half the entries.
    expect(Math.abs(differ / n - 0.5)).toBeLessThan(0.01);
  });

  it('u is uniform on [0, 1) in 24-bit steps and follows the documented hash', () => {
    // One hand-computed value: seed 0, i = 1 (h = 0x9E3779B9 mixed by the murmur3 finalizer).
    let h = 0x9e3779b9 | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    expect(dropout_u(0, 1)).toBe((h >>> 8) / 16777216);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = dropout_u(99, i);
      expect(u >= 0 && u < 1).toBe(true);
      buckets[Math.floor(u * 10)]++;
    }
    for (const c of buckets) expect(Math.abs(c - n / 10)).toBeLessThan(5 * Math.sqrt(n / 10));
  });
});
