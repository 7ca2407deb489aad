import { describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { compareBoth, GRID_M, GRID_N, runBoth, SIZES, withSpecials } from '../helpers/elem-kernels.js';

const ALL = [0, -0, 1e-30, -1e-40, 1e30, -1e30, 3.4e38, NaN, Infinity, -Infinity];

describe('fill / scale / sums', () => {
  it.each(SIZES)('fill_f32 and scale_f32 n=%i (bit-identical)', (n) => {
    for (const value of [0, -0, 1.5, NaN, -Infinity, 1e-40]) {
      compareBoth('fill_f32', [randArray(n, n), n, value], 0, 0, `fill ${value}`);
    }
    const x = withSpecials(n, n + 1, ALL, -3, 3);
    for (const s of [2, -0.5, 0, 1e30, 0.1]) compareBoth('scale_f32', [x, n, s], 0, 0, `scale ${s}`);
  });

  it('fill_f32 / scale_f32 touch exactly n entries', () => {
    const x = new Float32Array(12).fill(1);
    const r = runBoth('fill_f32', [x, 7, 5]);
    expect(Array.from(r.wasm[0] as Float32Array)).toEqual([5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1]);
    const s = runBoth('scale_f32', [x, 5, 3]);
    expect(Array.from(s.wasm[0] as Float32Array)).toEqual([3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]);
  });

  it.each(SIZES)('sum_squares n=%i', (n) => {
    const x = withSpecials(n, n + 2, [0, -0, 1e-30, 1e10, -1e10], -2, 2);
    compareBoth('sum_squares', [x, n], 0, 1e-7, `n=${n}`);
  });

  it('sum_squares stays accurate over 1e6 elements and overflows to Inf like the twin', () => {
    const n = 1_000_000;
    const x = randArray(n, 3, -1, 1);
    let exact = 0;
    for (let i = 0; i < n; i++) exact += x[i] * x[i];
    // Rounded once to f32 at the end: within 1 ulp (a 4-lane f32 sum is off by 4.5e-5 here, a serial one 3.5e-4).
    const r = runBoth('sum_squares', [x, n]);
    expectClose([r.wasmRet as number], [exact], 0, 1.2e-7, 'sum_squares 1e6');
    const big = Float32Array.from([1e30, 1e30, 1, 2, 3]);
    expect(runBoth('sum_squares', [big, 5]).wasmRet).toBe(Infinity);
  });

  it.each(SIZES)('count_nonfinite n=%i', (n) => {
    const x = withSpecials(n, n + 4, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-40, -0]);
    const r = runBoth('count_nonfinite', [x, n]);
    let expected = 0;
    for (const v of x) if (!Number.isFinite(v)) expected++;
    expect(r.wasmRet).toBe(expected);
    expect(r.refRet).toBe(expected);
  });

  it('count_nonfinite counts every NaN payload and ±Inf, and nothing finite', () => {
    const x = new Float32Array(23);
    const u = new Uint32Array(x.buffer);
    const nonfinite = [0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff, 0x7fbfffff];
    const finite = [0x7f7fffff, 0xff7fffff, 0x00000001, 0x80000000];
    [...nonfinite, ...finite, ...nonfinite, ...finite, 0x7f800000].forEach((b, i) => (u[i] = b));
    const r = runBoth('count_nonfinite', [x, 23]);
    expect(r.wasmRet).toBe(15);
    expect(r.refRet).toBe(15);
  });

  it('count_nonfinite finds a lone NaN/Inf at every position: each lane of the 16-float step and the tail', () => {
    for (const n of [1, 15, 16, 17, 37]) {
      for (let at = 0; at < n; at++) {
        for (const bad of [NaN, -Infinity]) {
          const x = new Float32Array(n).fill(-3.4e38);
          x[at] = bad;
          expect(runBoth('count_nonfinite', [x, n]).wasmRet, `n=${n} at=${at} ${bad}`).toBe(1);
        }
      }
    }
  });
});

describe('gather_rows', () => {
  it.each(GRID_N.map((n) => [n]))('gather_rows n=%i', (n) => {
    const rows = 13;
    const x = randArray(rows * n, n + 5);
    const r = rng(n);
    for (const m of [1, 2, 7, 40]) {
      const idx = Int32Array.from({ length: m }, () => Math.floor(r() * rows));
      idx[0] = rows - 1;
      compareBoth('gather_rows', [new Float32Array(m * n).fill(-1), x, idx, m, n], 0, 0, `m=${m}`);
    }
  });
});

describe('argmax / accuracy', () => {
  const grid: [number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) grid.push([m, n]);
  grid.push([100, 10], [3, 1000]);

  it.each(grid)('argmax_rows and accuracy_count m=%i n=%i', (m, n) => {
    const y = randArray(m * n, m * 3 + n);
    const t = new Float32Array(m * n);
    const r = rng(m + n);
    for (let i = 0; i < m; i++) t[i * n + Math.floor(r() * n)] = 1;
    // Force some hits so the count is not trivially 0.
    for (let i = 0; i < m; i += 2) {
      const j = Array.from(t.subarray(i * n, i * n + n)).indexOf(1);
      y[i * n + j] = 2;
    }
    compareBoth('argmax_rows', [new Int32Array(m).fill(-5), y, m, n], 0, 0, `${m}x${n}`);
    const a = runBoth('accuracy_count', [y, t, m, n]);
    expect(a.wasmRet).toBe(a.refRet);
    expect(a.wasmRet as number).toBeGreaterThanOrEqual(Math.ceil(m / 2));
  });

  it('argmax: first index on ties, NaN ignored, all-NaN row → 0, −Inf and −0 handled', () => {
    const n = 9;
    const rows = [
      [1, 3, 3, 0, 3, 0, 0, 0, 3], // tie → 1
      [0, 0, 0, 0, 0, 0, 0, 0, 5], // max in the tail → 8
      [NaN, 1, NaN, 2, NaN, 2, 0, 0, 0], // NaN ignored → 3
      [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN], // → 0
      [NaN, -Infinity, -Infinity, NaN, NaN, NaN, NaN, NaN, NaN], // → 1
      [-0, 0, -1, -1, -1, -1, -1, -1, -1], // −0 == 0: first → 0
      [-5, -4, -3, -2, -1, -1, -2, -3, Infinity], // +Inf in the tail → 8
      [7, 7, 7, 7, 7, 7, 7, 7, 7], // → 0
    ];
    const x = Float32Array.from(rows.flat());
    const r = compareBoth('argmax_rows', [new Int32Array(rows.length), x, rows.length, n], 0, 0);
    expect(Array.from(r.wasm[0] as Int32Array)).toEqual([1, 8, 3, 0, 1, 0, 8, 0]);
  });

  it.each(SIZES)('binary_accuracy_count n=%i', (n) => {
    const y = withSpecials(n, n + 6, [0.5, NaN, 0, 1, -0], 0, 1);
    const t = withSpecials(n, n + 7, [0.5, 0, 1, NaN], 0, 1);
    for (const th of [0.5, 0.3, 0]) {
      const r = runBoth('binary_accuracy_count', [y, t, n, th]);
      expect(r.wasmRet, `threshold ${th}`).toBe(r.refRet);
    }
    const exact = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.9 : 0.1));
    expect(runBoth('binary_accuracy_count', [exact, exact, n, 0.5]).wasmRet).toBe(n);
  });
});

describe('image_shift', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [3, 5],
    [4, 4],
    [7, 9],
    [28, 28],
    [5, 17],
  ];
  it.each(shapes)('image_shift h=%i w=%i against the twin', (h, w) => {
    const picks = [0, 1, -1, 2, -3, w - 1, -(w - 1), w, -w, w + 5, -(h + 2), h, 0x7fffffff, -0x80000000];
    const shifts: number[] = [];
    for (const dx of picks) for (const dy of [0, 1, -2, h - 1, -h, h + 3, -0x80000000, 0x7fffffff]) shifts.push(dx, dy);
    const count = shifts.length / 2;
    const x = randArray(count * h * w, h * 31 + w, 0.5, 1.5); // no zeros, so zero fill is visible
    compareBoth(
      'image_shift',
      [new Float32Array(count * h * w).fill(9), x, Int32Array.from(shifts), count, h, w],
      0,
      0,
      `${h}x${w}`,
    );
  });

  it('shifts by (dx, dy) = (1, −1) move content right and up; |shift| >= size gives zeros', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // two 3x3 images
    const r = runBoth('image_shift', [new Float32Array(18).fill(9), x, Int32Array.from([1, -1, 3, 0]), 2, 3, 3]);
    expect(Array.from(r.wasm[0] as Float32Array)).toEqual([0, 4, 5, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
