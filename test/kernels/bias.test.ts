import { describe, expect, it } from 'vitest';
import { randArray } from '../helpers/check.js';
import { asF32, centralDiff, compareBoth, GRID_M, GRID_N, SIZES } from '../helpers/elem-kernels.js';
import { bias_backward, bias_forward } from '../../src/reference/bias.js';

// Shapes: the usual (m,n) grid plus wide rows that reach the 16-column block of bias_backward.
const SHAPES: [number, number][] = [];
for (const m of GRID_M) for (const n of GRID_N) SHAPES.push([m, n]);
for (const n of SIZES) SHAPES.push([3, n]);
SHAPES.push([64, 33], [128, 512], [1, 4099]);

describe('bias wasm vs twin', () => {
  it.each(SHAPES)('bias_forward m=%i n=%i (accumulates into y)', (m, n) => {
    const y = randArray(m * n, 1 + m * 31 + n, -2, 2);
    const b = randArray(n, 2 + n);
    // One addition per element: bit-identical.
    compareBoth('bias_forward', [y, b, m, n], 0, 0, `${m}x${n}`);
  });

  it.each(SHAPES)('bias_backward m=%i n=%i (db += column sums)', (m, n) => {
    const db = randArray(n, 3 + n, -5, 5); // pre-filled: must be added to, not overwritten
    const dy = randArray(m * n, 4 + m * 7 + n);
    // f32 column sums vs f64: error grows like m·eps; m <= 128 here.
    compareBoth('bias_backward', [db, dy, m, n], 2e-6 * Math.sqrt(m), 1e-6, `${m}x${n}`);
  });

  it.each([8, 12, 13, 15, 24, 27, 28, 31])(
    'bias_backward n=%i: every column the f32 sum of its rows in order, then added to db (bit for bit)',
    (n) => {
      // 8..15 columns after the 16-column blocks run as 2 or 3 chains in one walk: the order per column is kept.
      const m = 301;
      const dy = randArray(m * n, 7 + n, -3, 3);
      const db = randArray(n, 8 + n);
      const expected = Float32Array.from(db, (d, j) => {
        let s = 0;
        for (let r = 0; r < m; r++) s = Math.fround(s + dy[r * n + j]);
        return Math.fround(d + s);
      });
      const { wasm } = compareBoth('bias_backward', [db, dy, m, n], 2e-6 * Math.sqrt(m), 1e-6, `${m}x${n}`);
      expect(Array.from(wasm[0] as Float32Array)).toEqual(Array.from(expected));
    },
  );

  it('bias_forward / bias_backward carry special values like the twin', () => {
    const specials = [0, -0, 1e30, -1e30, 1e-40, NaN, Infinity, -Infinity, 3, -3];
    const y = new Float32Array(specials.length * 5).map((_, i) => specials[i % specials.length]);
    const b = new Float32Array([1, -1, 1e30, -0, NaN]);
    // y is 10 rows of 5 columns with a NaN / Inf in most columns.
    compareBoth('bias_forward', [y, b, 10, 5], 0, 0, 'specials');
    compareBoth('bias_backward', [new Float32Array(5), y, 10, 5], 0, 1e-6, 'specials');
  });
});

describe('bias twin gradients (f64 central differences)', () => {
  it('bias_backward is the gradient of Σ dy ⊙ (y + b) with respect to b', () => {
    const m = 5;
    const n = 7;
    const dy = Float64Array.from(randArray(m * n, 9));
    const y0 = Float64Array.from(randArray(m * n, 10));
    const b = Float64Array.from(randArray(n, 11));
    const loss = (bb: Float64Array): number => {
      const y = y0.slice();
      bias_forward(asF32(y), asF32(bb), m, n);
      let s = 0;
      for (let i = 0; i < m * n; i++) s += dy[i] * y[i];
      return s;
    };
    const db = new Float64Array(n).fill(0.25); // starts non-zero: bias_backward accumulates
    bias_backward(asF32(db), asF32(dy), m, n);
    for (let j = 0; j < n; j++) {
      // Linear in b: the central difference is exact up to rounding.
      expect(db[j] - 0.25).toBeCloseTo(centralDiff(loss, b, j, 1e-3), 9);
    }
  });
});
