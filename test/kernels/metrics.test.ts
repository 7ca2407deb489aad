// confusion_counts / confusion_counts_binary / regression_sums (assembly/metrics.ts) against their twins and by hand.
import { describe, expect, it } from 'vitest';
import { randArray, rng } from '../helpers/check.js';
import { compareBoth, GRID_M, GRID_N, runBoth, SIZES, withSpecials } from '../helpers/elem-kernels.js';

describe('confusion_counts', () => {
  const grid: [number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) grid.push([m, n]);
  grid.push([100, 10], [3, 1000], [257, 4]);

  it.each(grid)('m=%i n=%i against the twin, accumulating over a non-zero matrix', (m, n) => {
    const y = randArray(m * n, m * 5 + n);
    const t = new Float32Array(m * n);
    const r = rng(m * 7 + n);
    for (let i = 0; i < m; i++) t[i * n + Math.floor(r() * n)] = 1;
    const cm = Int32Array.from({ length: n * n }, (_, i) => i % 3); // accumulates onto what is there
    const b = compareBoth('confusion_counts', [cm, y, t, m, n], 0, 0, `${m}x${n}`);
    const got = b.wasm[0] as Int32Array;
    let added = 0;
    for (let i = 0; i < n * n; i++) added += got[i] - cm[i];
    expect(added).toBe(m);
  });

  it('puts each row at [true, predicted]; ties and NaN as argmax_rows', () => {
    // 3 classes, 5 rows: outputs' argmax 2, 0 (tie 0/1), 1 (NaN ignored), 0 (all NaN), 2.
    const y = Float32Array.from([0.1, 0.2, 0.7, 0.5, 0.5, 0, NaN, 0.9, 0.1, NaN, NaN, NaN, 0, 0, 1]);
    const t = Float32Array.from([0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0]);
    const r = runBoth('confusion_counts', [new Int32Array(9), y, t, 5, 3]);
    expect(Array.from(r.wasm[0] as Int32Array)).toEqual([1, 0, 1, 1, 1, 0, 0, 0, 1]);
    expect(Array.from(r.ref[0] as Int32Array)).toEqual([1, 0, 1, 1, 1, 0, 0, 0, 1]);
  });
});

describe('confusion_counts_binary', () => {
  it.each(SIZES)('m=%i against the twin at thresholds 0.5, 0.3, 0', (m) => {
    const y = withSpecials(m, m + 3, [0.5, NaN, 0, 1, -0], 0, 1);
    const t = Float32Array.from({ length: m }, (_, i) => (i % 3 === 0 ? 1 : 0));
    for (const th of [0.5, 0.3, 0]) {
      const b = compareBoth('confusion_counts_binary', [Int32Array.from([5, 6, 7, 8]), y, t, m, th], 0, 0, `th ${th}`);
      const cm = b.wasm[0] as Int32Array;
      expect(cm[0] + cm[1] + cm[2] + cm[3] - 26).toBe(m);
    }
  });

  it('counts [t >= 0.5, y >= threshold]', () => {
    const y = Float32Array.from([0.9, 0.2, 0.5, 0.49, NaN, 0.7]);
    const t = Float32Array.from([1, 1, 0, 0, 1, 0]);
    const r = runBoth('confusion_counts_binary', [new Int32Array(4), y, t, 6, 0.5]);
    // [tn, fp, fn, tp]: tn = row 3; fp = rows 2, 5; fn = rows 1, 4 (NaN is below); tp = row 0.
    expect(Array.from(r.wasm[0] as Int32Array)).toEqual([1, 2, 2, 1]);
  });
});

describe('regression_sums', () => {
  const grid: [number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) grid.push([m, n]);
  grid.push([300, 1], [64, 3]);

  it.each(grid)('m=%i n=%i against the twin and an f64 sum', (m, n) => {
    const y = randArray(m * n, m + 11 * n, -100, 100);
    const t = randArray(m * n, m + 13 * n, -100, 100);
    const b = compareBoth('regression_sums', [new Float32Array(2 * n).fill(9), y, t, m, n], 0, 1e-6, `${m}x${n}`);
    const acc = b.wasm[0] as Float32Array;
    for (let j = 0; j < n; j++) {
      let se = 0;
      let ae = 0;
      for (let r = 0; r < m; r++) {
        const d = y[r * n + j] - t[r * n + j];
        se += d * d;
        ae += Math.abs(d);
      }
      expect(Math.abs(acc[j] - se)).toBeLessThanOrEqual(se * 1e-7 + 1e-30);
      expect(Math.abs(acc[n + j] - ae)).toBeLessThanOrEqual(ae * 1e-7 + 1e-30);
    }
  });
});

describe('center_scale_cols', () => {
  const grid: [number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) grid.push([m, n]);
  grid.push([10, 64], [3, 785]);

  it.each(grid)('m=%i n=%i against the twin, bit for bit, out of place and in place', (m, n) => {
    const x = withSpecials(m * n, m * 3 + n, [0, -0, 1e30, -1e30, 1e-40], -1000, 1000);
    const center = randArray(n, n + 1, -500, 500);
    const scale = randArray(n, n + 2, 0.001, 10);
    compareBoth('center_scale_cols', [new Float32Array(m * n).fill(7), x, center, scale, m, n], 0, 0, `${m}x${n}`);
    const inPlace = runBoth('center_scale_cols', [x, { same: 0 }, center, scale, m, n]);
    expect(Array.from(inPlace.wasm[0] as Float32Array)).toEqual(Array.from(inPlace.ref[0] as Float32Array));
    // What a Standardizer computes: (x − mean) / std, rounded once per step in f32.
    const j = n - 1;
    expect((inPlace.wasm[0] as Float32Array)[j]).toBe(Math.fround(Math.fround(x[j] - center[j]) * scale[j]));
  });
});
