import { describe, expect, it } from 'vitest';
import { expectClose, randArray } from '../helpers/check.js';
import {
  asF32,
  centralDiff,
  compareBoth,
  GRID_M,
  GRID_N,
  NONFINITE,
  runBoth,
  SIZES,
  SPECIALS,
  withSpecials,
} from '../helpers/elem-kernels.js';
import * as ref from '../../src/reference/activations.js';
import type { KernelName } from '../../src/runtime/abi.js';

// Tolerances. exp-based kernels: measured <= 2.5 ulp against f64 (rtol 1e-6 is ~8 ulp); atol covers the
// kernels' flush of e^x to 0 below x = −87.33 where f64 still has a subnormal f32 (< 1.2e-38).
const EXP_TOL: [number, number] = [1e-37, 1e-6];
// Products of f32 values: a few roundings against f64.
const MUL_TOL: [number, number] = [0, 3e-7];

const ALL_SPECIALS = [...SPECIALS, ...NONFINITE];
/** Every special value once in the SIMD body and once in the scalar tail (15 values: 12 body + 3 tail). */
const specialArrays = (): Float32Array[] => {
  const a = Float32Array.from(ALL_SPECIALS);
  return [a, a.slice().reverse(), Float32Array.from([...ALL_SPECIALS.slice(3), ...ALL_SPECIALS.slice(0, 3)])];
};

type Unary = 'sigmoid_forward' | 'tanh_forward' | 'relu_forward';
const UNARY: [Unary, [number, number], number][] = [
  ['sigmoid_forward', EXP_TOL, 12],
  ['tanh_forward', EXP_TOL, 12],
  ['relu_forward', [0, 0], 3],
];

describe('elementwise forward wasm vs twin', () => {
  for (const [name, [atol, rtol], range] of UNARY) {
    it.each(SIZES)(`${name} n=%i`, (n) => {
      const x = withSpecials(n, n * 13 + 1, ALL_SPECIALS, -range, range);
      compareBoth(name, [new Float32Array(n).fill(7), x, n], atol, rtol, `n=${n}`);
    });
    it(`${name} special values (body and tail) and in place`, () => {
      for (const x of specialArrays()) {
        compareBoth(name, [new Float32Array(x.length), x, x.length], atol, rtol, 'specials');
        compareBoth(name, [x, { same: 0 }, x.length], atol, rtol, 'in place');
      }
    });
  }

  it.each(SIZES)('leaky_relu_forward n=%i', (n) => {
    const x = withSpecials(n, n + 5, ALL_SPECIALS, -3, 3);
    for (const alpha of [0.01, 0.2, 0, 1.5]) {
      compareBoth('leaky_relu_forward', [new Float32Array(n), x, n, alpha], 0, 0, `alpha=${alpha}`);
    }
    compareBoth('leaky_relu_forward', [x, { same: 0 }, n, 0.1], 0, 0, 'in place');
  });

  it('sigmoid saturates cleanly, tanh(±20) = ±1, NaN propagates, relu documented cases', () => {
    const x = Float32Array.from([100, -100, 1e30, -1e30, Infinity, -Infinity, 20, -20, 0, -0, NaN, 88.7, -88.7]);
    const n = x.length;
    const sig = runBoth('sigmoid_forward', [new Float32Array(n), x, n]).wasm[0] as Float32Array;
    expect(Array.from(sig.slice(0, 6))).toEqual([1, 0, 1, 0, 1, 0]);
    expect(sig[8]).toBe(0.5);
    expect(sig[10]).toBeNaN();
    const th = runBoth('tanh_forward', [new Float32Array(n), x, n]).wasm[0] as Float32Array;
    expect(Array.from(th.slice(0, 8))).toEqual([1, -1, 1, -1, 1, -1, 1, -1]);
    expect(Object.is(th[8], 0) && Object.is(th[9], -0)).toBe(true);
    expect(th[10]).toBeNaN();
    // relu = pmax(x, 0): NaN passes through (a diverged value stays visible), −0 stays −0, −Inf → 0.
    const r = runBoth('relu_forward', [new Float32Array(n), x, n]).wasm[0] as Float32Array;
    expect(r[10]).toBeNaN();
    expect(Object.is(r[9], -0)).toBe(true);
    expect(r[5]).toBe(0);
  });

  it('tanh is accurate near 0 (no cancellation in 1 − e^−2x)', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-1 - i / 8));
    const r = runBoth('tanh_forward', [new Float32Array(x.length), x, x.length]);
    expectClose(r.wasm[0] as Float32Array, r.ref[0] as Float32Array, 0, 4e-7, 'tanh small x');
  });
});

describe('elementwise backward wasm vs twin', () => {
  const cases: [KernelName, (n: number) => Float32Array, [number, number]][] = [
    ['sigmoid_backward', (n) => randArray(n, n + 3, 0, 1), MUL_TOL],
    ['tanh_backward', (n) => randArray(n, n + 3, -1, 1), [1e-7, 3e-7]],
    ['relu_backward', (n) => withSpecials(n, n + 3, [0, -0, NaN, 1e-40]), [0, 0]],
  ];
  for (const [name, makeY, [atol, rtol]] of cases) {
    it.each(SIZES)(`${name} n=%i`, (n) => {
      const dy = withSpecials(n, n * 7 + 2, [0, -0, 1e30, -1e30, 1e-30]);
      const y = makeY(n);
      compareBoth(name, [new Float32Array(n).fill(9), dy, y, n], atol, rtol, `n=${n}`);
      compareBoth(name, [dy, { same: 0 }, y, n], atol, rtol, 'in place dx == dy');
    });
  }
  it.each(SIZES)('leaky_relu_backward n=%i', (n) => {
    const dy = randArray(n, n + 11);
    const x = withSpecials(n, n + 12, [0, -0, NaN, -1e-40, 1e-40]);
    compareBoth('leaky_relu_backward', [new Float32Array(n), dy, x, n, 0.05], 0, 0, `n=${n}`);
    compareBoth('leaky_relu_backward', [dy, { same: 0 }, x, n, 0.3], 0, 0, 'in place');
  });
});

describe('softmax wasm vs twin', () => {
  const grid: [number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) grid.push([m, n]);
  grid.push([4, 1000], [2, 4099], [64, 10]);

  it.each(grid)('softmax_forward m=%i n=%i', (m, n) => {
    const x = randArray(m * n, m * 100 + n, -8, 8);
    compareBoth('softmax_forward', [new Float32Array(m * n).fill(3), x, m, n], 1e-37, 2e-6, `${m}x${n}`);
    compareBoth('softmax_forward', [x, { same: 0 }, m, n], 1e-37, 2e-6, 'in place');
  });

  it('softmax_forward: large logits, −Inf, NaN and +Inf rows', () => {
    const rows = [
      [1000, 999, 998, -1000, 0],
      [-1000, -1000, -1000, -1000, -1000],
      [1e30, -1e30, 0, 5, 1e30],
      [-Infinity, 0, 1, -Infinity, 2],
      [0, NaN, 1, 2, 3],
      [Infinity, 0, 1, 2, 3],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [88, -88, 0, 87, -87],
    ];
    const x = Float32Array.from(rows.flat());
    const r = compareBoth('softmax_forward', [new Float32Array(x.length), x, rows.length, 5], 1e-37, 2e-6);
    const y = r.wasm[0] as Float32Array;
    expectClose(y.slice(0, 5), [0.66524096, 0.24472847, 0.09003057, 0, 0], 0, 2e-6, 'logits near 1000');
    expectClose(y.slice(5, 10), [0.2, 0.2, 0.2, 0.2, 0.2], 0, 1e-6, 'equal logits');
    expect(y[15]).toBe(0); // −Inf entry → exactly 0
    expect(y.slice(20, 30).every(Number.isNaN)).toBe(true); // NaN / +Inf rows are all NaN
  });

  it.each(grid)('softmax_backward m=%i n=%i', (m, n) => {
    const y = new Float32Array(m * n);
    ref.softmax_forward(y, randArray(m * n, m + n, -3, 3), m, n);
    const dy = randArray(m * n, 7 * m + n);
    compareBoth('softmax_backward', [new Float32Array(m * n).fill(1), dy, y, m, n], 2e-7, 2e-5, `${m}x${n}`);
    compareBoth('softmax_backward', [dy, { same: 0 }, y, m, n], 2e-7, 2e-5, 'in place');
  });
});

describe('activation twin gradients (f64 central differences, h = 1e-6, |err| <= 1e-8 + 1e-6·|g|)', () => {
  // The twins run on Float64Array here, so the forward is f64 and the difference quotient is clean.
  const n = 24;
  const check = (
    fwd: (y: Float64Array, x: Float64Array) => void,
    back: (dx: Float64Array, dy: Float64Array, x: Float64Array, y: Float64Array) => void,
    x: Float64Array,
    what: string,
  ): void => {
    const dy = Float64Array.from(randArray(n, 77));
    const loss = (xx: Float64Array): number => {
      const y = new Float64Array(n);
      fwd(y, xx);
      let s = 0;
      for (let i = 0; i < n; i++) s += dy[i] * y[i];
      return s;
    };
    const y = new Float64Array(n);
    fwd(y, x);
    const dx = new Float64Array(n).fill(123); // overwritten, not accumulated
    back(dx, dy, x, y);
    const fd = Array.from(x, (_, i) => centralDiff(loss, x, i, 1e-6));
    expectClose(dx, fd, 1e-8, 1e-6, what);
  };
  // Keep points away from the relu kink so the finite difference is not straddling it.
  const x = Float64Array.from(randArray(n, 5, -4, 4), (v) => (Math.abs(v) < 1e-2 ? v + 0.05 : v));

  it('sigmoid', () =>
    check(
      (y, xx) => ref.sigmoid_forward(asF32(y), asF32(xx), n),
      (dx, dy, _x, y) => ref.sigmoid_backward(asF32(dx), asF32(dy), asF32(y), n),
      x,
      'sigmoid',
    ));
  it('tanh', () =>
    check(
      (y, xx) => ref.tanh_forward(asF32(y), asF32(xx), n),
      (dx, dy, _x, y) => ref.tanh_backward(asF32(dx), asF32(dy), asF32(y), n),
      x,
      'tanh',
    ));
  it('relu', () =>
    check(
      (y, xx) => ref.relu_forward(asF32(y), asF32(xx), n),
      (dx, dy, _x, y) => ref.relu_backward(asF32(dx), asF32(dy), asF32(y), n),
      x,
      'relu',
    ));
  it('leaky relu', () =>
    check(
      (y, xx) => ref.leaky_relu_forward(asF32(y), asF32(xx), n, 0.125),
      (dx, dy, xx) => ref.leaky_relu_backward(asF32(dx), asF32(dy), asF32(xx), n, 0.125),
      x,
      'leaky relu',
    ));
  it('softmax (rows of 1, 3 and 24 columns)', () => {
    for (const [m, c] of [
      [24, 1],
      [8, 3],
      [1, 24],
    ] as const) {
      check(
        (y, xx) => ref.softmax_forward(asF32(y), asF32(xx), m, c),
        (dx, dy, _x, y) => ref.softmax_backward(asF32(dx), asF32(dy), asF32(y), m, c),
        x,
        `softmax ${m}x${c}`,
      );
    }
  });
});
