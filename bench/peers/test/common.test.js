import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  maxAbsDiff,
  measure,
  randArray,
  readWeights,
  referenceMlp,
  rng,
  shuffle,
  sizesOf,
  summarize,
  writeWeights,
} from '../lib/common.js';

describe('seeded data', () => {
  it('repeats with the seed and stays in [-1, 1)', () => {
    const a = randArray(1000, 7);
    expect(randArray(1000, 7)).toEqual(a);
    expect(randArray(1000, 8)).not.toEqual(a);
    expect(a.every((v) => v >= -1 && v < 1)).toBe(true);
    const r = rng(1);
    expect(r()).not.toBe(r());
  });

  it('shuffles into a permutation, the same one for the same seed', () => {
    const a = shuffle(
      Array.from({ length: 50 }, (_, i) => i),
      3,
    );
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(
      shuffle(
        Array.from({ length: 50 }, (_, i) => i),
        3,
      ),
    ).toEqual(a);
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('statistics', () => {
  it('summarizes odd and even counts', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
  });

  it('finds the largest difference, NaN included', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 3])).toEqual({ max: 0.5, at: 1 });
    expect(maxAbsDiff([1, NaN], [1, 2]).max).toBeNaN();
    expect(maxAbsDiff([1], [1, 2]).max).toBe(Infinity);
  });

  it('counts argmax hits', () => {
    expect(accuracy(Float32Array.from([0.1, 0.9, 0.8, 0.2, 0.3, 0.7]), [1, 0, 0], 2)).toBeCloseTo(2 / 3);
  });

  it('measure warms up, then runs at least 5 repeats of whole calls, sync or async', async () => {
    let calls = 0;
    const m = await measure(() => calls++, { warmupMs: 5, repeats: 7, repeatMs: 1, budgetMs: 50 });
    expect(m.n).toBeGreaterThanOrEqual(5);
    expect(m.n).toBeLessThanOrEqual(7);
    expect(calls).toBeGreaterThan(m.n * m.callsPerRepeat);
    expect(m.min).toBeLessThanOrEqual(m.median);
    expect(m.median).toBeLessThanOrEqual(m.max);
    let done = 0;
    const a = await measure(
      async () => {
        await new Promise((r) => setTimeout(r, 1));
        done++;
      },
      { warmupMs: 5, repeats: 5, repeatMs: 1, budgetMs: 1 },
    );
    expect(a.n).toBe(5);
    expect(done).toBeGreaterThanOrEqual(5 + 1);
    expect(a.median).toBeGreaterThan(0.5); // each call awaited its timer
  });
});

describe('weights and the f64 reference', () => {
  const w = [
    { name: 'd0/kernel', shape: [2, 2], data: Float32Array.from([1, -1, 2, 1]) },
    { name: 'd0/bias', shape: [2], data: Float32Array.from([0.5, -3]) },
    { name: 'd1/kernel', shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) },
    { name: 'd1/bias', shape: [2], data: Float32Array.from([0, 0]) },
  ];

  it('round-trips through the weight files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-w-'));
    try {
      writeWeights(join(dir, 'w'), w);
      const r = readWeights(join(dir, 'w'));
      expect(r.map((t) => t.shape)).toEqual(w.map((t) => t.shape));
      r.forEach((t, i) => expect([...t.data]).toEqual([...w[i].data]));
      expect(sizesOf(r)).toEqual([2, 2, 2]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('computes relu then softmax (or a relu head) by hand', () => {
    // x = [1, 2]: z0 = [1·1 + 2·2 + 0.5, 1·(−1) + 2·1 − 3] = [5.5, −2] → relu [5.5, 0] → z1 = [5.5, 0]
    const p = referenceMlp(w, Float32Array.from([1, 2]), 1);
    const e = Math.exp(-5.5);
    expect(p[0]).toBeCloseTo(1 / (1 + e), 12);
    expect(p[1]).toBeCloseTo(e / (1 + e), 12);
    expect([...referenceMlp(w, Float32Array.from([1, 2, -1, -1]), 2, 'relu')]).toEqual([5.5, 0, 0, 0]);
  });
});
