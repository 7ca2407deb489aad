import { describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import {
  asF32,
  centralDiff,
  compareBoth,
  GRID_M,
  GRID_N,
  runBoth,
  SIZES,
  withSpecials,
} from '../helpers/elem-kernels.js';
import * as ref from '../../src/reference/losses.js';
import type { KernelName } from '../../src/runtime/abi.js';

// Shapes: the (m,n) grid, flat rows over the vector-edge sizes, and realistic batches.
const SHAPES: [number, number][] = [];
for (const m of GRID_M) for (const n of GRID_N) SHAPES.push([m, n]);
for (const n of SIZES) SHAPES.push([1, n]);
SHAPES.push([128, 10], [64, 1], [3, 1000]);

/** Targets: one-hot rows (or 0/1 per element when n == 1). */
function oneHot(m: number, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const t = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    if (n === 1) t[i] = r() < 0.5 ? 0 : 1;
    else t[i * n + Math.floor(r() * n)] = 1;
  }
  return t;
}
/** Soft labels: positive rows summing to 1. */
function softLabels(m: number, n: number, seed: number): Float32Array {
  const t = randArray(m * n, seed, 0.01, 1);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += t[i * n + j];
    for (let j = 0; j < n; j++) t[i * n + j] /= s;
  }
  return t;
}
/** Probabilities: row-wise softmax of random logits, with some entries pushed past the clamp. */
function probs(m: number, n: number, seed: number, specials: number[] = []): Float32Array {
  const p = new Float32Array(m * n);
  ref.softmax_ce_forward(p, randArray(m * n, seed, -4, 4), new Float32Array(m * n), null, m, n);
  const r = rng(seed + 1);
  for (let j = 0; j < Math.min(specials.length, Math.floor((m * n) / 3)); j++) {
    p[Math.floor(r() * m * n)] = specials[j];
  }
  return p;
}

// Forward: per-element terms in f32 (a few ulp each), summed in f64: rtol 1e-5 leaves room for the cancellation
// in max(z,0) − z·t of bce_logits. Backward: a few roundings per element.
const FWD: [number, number] = [1e-7, 1e-5];

describe('losses wasm vs twin', () => {
  it.each(SHAPES)('mse m=%i n=%i', (m, n) => {
    const y = withSpecials(m * n, m + n, [0, -0, 1e-30, 1e3, -1e3], -2, 2);
    const t = randArray(m * n, 2 * m + n, -2, 2);
    compareBoth('mse_forward', [y, t, 0, m, n], ...FWD, `${m}x${n}`);
    compareBoth('mse_backward', [new Float32Array(m * n).fill(5), y, t, 0, m, n], 0, 3e-7, `${m}x${n}`);
  });

  it.each(SHAPES)('bce m=%i n=%i', (m, n) => {
    const len = m * n;
    // p past the clamp on both sides: 0, 1, 1e-9, 1 − 1e-9 (rounds to 1), −0.5, 1.5.
    const p = withSpecials(len, 3 * m + n, [0, 1, 1e-9, 1 - 1e-9, -0.5, 1.5, -0, 1e-7, 0.5], 0.001, 0.999);
    const t = withSpecials(len, 5 * m + n, [0, 1, 0, 1], 0, 1);
    compareBoth('bce_forward', [p, t, 0, m, n], ...FWD, `${m}x${n}`);
    compareBoth('bce_backward', [new Float32Array(len).fill(5), p, t, 0, m, n], 1e-9 / len, 2e-6, `${m}x${n}`);
  });

  it.each(SHAPES)('bce_logits m=%i n=%i', (m, n) => {
    const len = m * n;
    const z = withSpecials(len, 7 * m + n, [0, -0, 100, -100, 1e30, -1e30, 88, -88, 1e-30, 20, -20], -8, 8);
    const t = withSpecials(len, 11 * m + n, [0, 1, 0, 1], 0, 1);
    compareBoth('bce_logits_forward', [z, t, 0, m, n], ...FWD, `${m}x${n}`);
    // sigmoid(z) − t cancels: the error is a few ulp of sigmoid(z), hence the absolute part.
    compareBoth('bce_logits_backward', [new Float32Array(len).fill(5), z, t, 0, m, n], 4e-7 / len, 1e-6, `${m}x${n}`);
  });

  it.each(SHAPES)('softmax_ce m=%i n=%i', (m, n) => {
    const len = m * n;
    const z = randArray(len, 13 * m + n, -6, 6);
    for (const t of [oneHot(m, n, m + 3 * n), softLabels(m, n, 2 * m + n)]) {
      // p is compared with the exp tolerance of softmax, the loss with FWD.
      compareBoth('softmax_ce_forward', [new Float32Array(len).fill(4), z, t, 0, m, n], 1e-7, 2e-6, `${m}x${n}`);
      const p = runBoth('softmax_ce_forward', [new Float32Array(len), z, t, 0, m, n]).wasm[0] as Float32Array;
      compareBoth('softmax_ce_backward', [new Float32Array(len).fill(5), p, t, 0, m, n], 0, 3e-7, `${m}x${n}`);
    }
  });

  it.each(SHAPES)('ce m=%i n=%i', (m, n) => {
    const len = m * n;
    const p = probs(m, n, 17 * m + n, [0, 1, 1e-9, -0, 1.5, -0.5, 1e-7]);
    for (const t of [oneHot(m, n, m + 5 * n), softLabels(m, n, 3 * m + n)]) {
      compareBoth('ce_forward', [p, t, 0, m, n], ...FWD, `${m}x${n}`);
      compareBoth('ce_backward', [new Float32Array(len).fill(5), p, t, 0, m, n], 0, 2e-6, `${m}x${n}`);
    }
  });
});

describe('loss backward in place (gradient written over its input)', () => {
  it.each([
    [1, 5],
    [7, 10],
    [3, 17],
  ])('m=%i n=%i', (m, n) => {
    const len = m * n;
    const t = oneHot(m, n, len);
    const x = randArray(len, len + 1, 0.01, 0.99);
    const cases: [KernelName, number][] = [
      ['mse_backward', 3e-7],
      ['bce_backward', 2e-6],
      ['bce_logits_backward', 1e-6],
      ['softmax_ce_backward', 3e-7],
      ['ce_backward', 2e-6],
    ];
    for (const [name, rtol] of cases) compareBoth(name, [x, { same: 0 }, t, 0, m, n], 4e-7 / len, rtol, 'in place');
  });
});

describe('vector log / log1p accuracy, seen through single-element losses', () => {
  // One entry carries the loss, so the returned mean is the per-element log itself. Max over random probes:
  // log 2.1 ulp, log1p(−p) 2.2 ulp, softplus log1p(e^z) 3.1 ulp; ulp/|v| is in [2^-24, 2^-23], hence the rtols.
  const r = rng(2024);
  const ps = Array.from({ length: 3000 }, () => Math.fround(10 ** (-6.99 * r())));
  const zs = Array.from({ length: 3000 }, () => Math.fround(-30 + 60 * r()));
  it('ce_forward = −log p (SIMD body and scalar tail)', () => {
    const got: number[] = [];
    const got1: number[] = [];
    for (const p of ps) {
      got.push(
        runBoth('ce_forward', [Float32Array.from([p, 0.5, 0.5, 0.5]), Float32Array.from([1, 0, 0, 0]), 0, 1, 4])
          .wasmRet as number,
      );
      got1.push(runBoth('ce_forward', [Float32Array.from([p]), Float32Array.from([1]), 0, 1, 1]).wasmRet as number);
    }
    const want = ps.map((p) => -Math.log(Math.min(p, ref.CE_ONE_M_EPS)));
    expectClose(got, want, 0, 4e-7, 'log (body)');
    expectClose(got1, want, 0, 4e-7, 'log (tail)');
  });
  it('bce_forward with t = 0 is −log1p(−p), accurate for small p', () => {
    const got = ps.map(
      (p) => runBoth('bce_forward', [new Float32Array(4).fill(p), new Float32Array(4), 0, 1, 4]).wasmRet as number,
    );
    expectClose(
      got,
      ps.map((p) => -Math.log1p(-Math.min(p, ref.CE_ONE_M_EPS))),
      0,
      4e-7,
      'log1p',
    );
  });
  it('bce_logits_forward with t = 0 is softplus(z) = max(z,0) + log1p(e^−|z|)', () => {
    const got = zs.map(
      (z) =>
        runBoth('bce_logits_forward', [new Float32Array(4).fill(z), new Float32Array(4), 0, 1, 4]).wasmRet as number,
    );
    expectClose(
      got,
      zs.map((z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))),
      0,
      5e-7,
      'softplus',
    );
  });
});

describe('losses: documented special cases', () => {
  it('softmax_ce handles logits of ±1000 and ±1e30 (max-subtracted log-softmax, no clamp)', () => {
    const z = Float32Array.from([1000, 0, -1000, 1e30, -1e30, 0, 5, 5, 5]);
    const t = Float32Array.from([0, 1, 0, 0, 0, 1, 1, 0, 0]);
    const r = compareBoth('softmax_ce_forward', [new Float32Array(9), z, t, 0, 3, 3], 1e-7, 2e-6);
    // Row losses 1000, 1e30, log 3: the mean is dominated by the middle row but finite.
    expectClose([r.wasmRet as number], [(1000 + 1e30 + Math.log(3)) / 3], 0, 1e-6, 'loss');
    expect(Number.isFinite(r.wasmRet as number)).toBe(true);
  });

  it('bce and ce clamp probabilities at eps = 1e-7: p = 0 or 1 gives −log(1e-7), gradient 0 outside', () => {
    const p = Float32Array.from([0, 1, 0, 1, 0.5]);
    const t = Float32Array.from([1, 0, 0, 1, 1]);
    const r = runBoth('bce_forward', [p, t, 0, 1, 5]);
    const lo = ref.CE_EPS;
    const hi = ref.CE_ONE_M_EPS; // 1 − 2^-23 in f32
    const big = -Math.log(lo);
    const expected = (big - Math.log(1 - hi) - Math.log1p(-lo) - Math.log(hi) + Math.LN2) / 5;
    expectClose([r.wasmRet as number], [expected], 0, 1e-6, 'bce');
    const g = runBoth('bce_backward', [new Float32Array(5).fill(9), p, t, 0, 1, 5]).wasm[0] as Float32Array;
    expect(Array.from(g.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expectClose([g[4]], [-0.4], 0, 1e-6, 'bce grad inside');
    const c = runBoth('ce_forward', [Float32Array.from([0, 1, 0.25, 0.75]), Float32Array.from([1, 0, 1, 0]), 0, 2, 2]);
    expectClose([c.wasmRet as number], [(big + Math.log(4)) / 2], 0, 1e-6, 'ce');
  });

  it('NaN inputs give a NaN loss in wasm and twin', () => {
    const x = Float32Array.from([0.5, NaN, 0.25, 0.1, 0.3]);
    const t = Float32Array.from([1, 0, 0, 1, 0]);
    for (const name of ['mse_forward', 'bce_forward', 'bce_logits_forward', 'ce_forward'] as KernelName[]) {
      const r = runBoth(name, [x, t, 0, 1, 5]);
      expect(r.wasmRet, name).toBeNaN();
      expect(r.refRet, name).toBeNaN();
    }
    const r = runBoth('softmax_ce_forward', [new Float32Array(5), x, t, 0, 1, 5]);
    expect(r.wasmRet).toBeNaN();
    expect(r.refRet).toBeNaN();
  });
});

describe('loss twin gradients: backward vs f64 central differences (h = 1e-6)', () => {
  // The forward for the difference quotient is written out here in f64, independently of the twins (whose
  // result is rounded to f32, far too coarse for a difference quotient); the twins' own forward is checked
  // against it first. Backward twins run on Float64Array. |err| <= 1e-9 + 1e-6·|g|.
  const m = 4;
  const n = 5;
  const len = m * n;
  const clamp = (p: number): number => Math.min(Math.max(p, ref.CE_EPS), ref.CE_ONE_M_EPS);
  const f64: Record<string, (x: Float64Array, t: Float64Array) => number> = {
    mse: (y, t) => y.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / len,
    bce: (p, t) => -p.reduce((s, v, i) => s + t[i] * Math.log(clamp(v)) + (1 - t[i]) * Math.log(1 - clamp(v)), 0) / len,
    bce_logits: (z, t) => z.reduce((s, v, i) => s + Math.log(1 + Math.exp(v)) - v * t[i], 0) / len, // log(1 + e^z) − z·t
    softmax_ce: (z, t) => {
      let s = 0;
      for (let r = 0; r < m; r++) {
        const row = Array.from(z.subarray(r * n, r * n + n));
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        for (let j = 0; j < n; j++) s -= t[r * n + j] * (row[j] - lse);
      }
      return s / m;
    },
    ce: (p, t) => -p.reduce((s, v, i) => s + t[i] * Math.log(clamp(v)), 0) / m,
  };
  type Twin = (x: Float32Array, t: Float32Array, w: null, m: number, n: number) => number;
  const fwdTwin: Record<string, Twin> = {
    mse: ref.mse_forward,
    bce: ref.bce_forward,
    bce_logits: ref.bce_logits_forward,
    softmax_ce: (z, t, w, mm, nn) => ref.softmax_ce_forward(new Float32Array(len), z, t, w, mm, nn),
    ce: ref.ce_forward,
  };
  const bwdTwin: Record<string, (g: Float32Array, x: Float32Array, t: Float32Array) => void> = {
    mse: (g, y, t) => ref.mse_backward(g, y, t, null, m, n),
    bce: (g, p, t) => ref.bce_backward(g, p, t, null, m, n),
    bce_logits: (g, z, t) => ref.bce_logits_backward(g, z, t, null, m, n),
    softmax_ce: (g, z, t) => {
      const p = new Float64Array(len);
      ref.softmax_ce_forward(asF32(p), z, t, null, m, n);
      ref.softmax_ce_backward(g, asF32(p), t, null, m, n);
    },
    ce: (g, p, t) => ref.ce_backward(g, p, t, null, m, n),
  };
  const inputs: Record<string, [Float32Array, Float32Array]> = {
    mse: [randArray(len, 1, -2, 2), randArray(len, 2, -2, 2)],
    bce: [randArray(len, 3, 0.05, 0.95), randArray(len, 4, 0, 1)], // p inside the clamp
    bce_logits: [randArray(len, 5, -6, 6), randArray(len, 6, 0, 1)],
    softmax_ce: [randArray(len, 7, -3, 3), softLabels(m, n, 8)], // (p − t)/m needs target rows summing to 1
    ce: [randArray(len, 9, 0.05, 0.95), softLabels(m, n, 10)],
  };
  it.each(Object.keys(f64))('%s', (name) => {
    const [x0, t0] = inputs[name];
    const x = Float64Array.from(x0);
    const t = Float64Array.from(t0);
    const loss = f64[name](x, t);
    expectClose([fwdTwin[name](x0, t0, null, m, n)], [loss], 0, 1e-6, `${name} twin forward vs f64`);
    const g = new Float64Array(len).fill(7); // overwritten
    bwdTwin[name](asF32(g), asF32(x), asF32(t));
    const fd = Array.from(x, (_, i) => centralDiff((xx) => f64[name](xx, t), x, i, 1e-6));
    expectClose(g, fd, 1e-9, 1e-6, `${name} backward vs finite differences`);
  });
});

/** Class labels (m) as f32, in [0, n). */
function labels(m: number, n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: m }, () => Math.floor(r() * n));
}

describe('MAE, Huber, sparse CE and row weights: wasm vs twin', () => {
  it.each(SHAPES)('mae / huber m=%i n=%i, unweighted and weighted', (m, n) => {
    const len = m * n;
    const y = withSpecials(len, m + 3 * n, [0, -0, 1e-30, 1e3, -1e3, 0.5, -0.5], -3, 3);
    const t = withSpecials(len, 2 * m + 5 * n, [0, 0.5, -0.5], -3, 3);
    const w = randArray(m, m * n + 1, 0, 3);
    for (const wt of [0, w]) {
      compareBoth('mae_forward', [y, t, wt, m, n], ...FWD, `${m}x${n}`);
      compareBoth('mae_backward', [new Float32Array(len).fill(5), y, t, wt, m, n], 0, 3e-7, `${m}x${n}`);
      for (const delta of [1, 0.5, 7]) {
        compareBoth('huber_forward', [y, t, wt, m, n, delta], ...FWD, `${m}x${n} delta ${delta}`);
        compareBoth('huber_backward', [new Float32Array(len).fill(5), y, t, wt, m, n, delta], 0, 3e-7, `${m}x${n}`);
      }
    }
  });

  it.each(SHAPES)('sparse softmax CE and sparse accuracy m=%i n=%i', (m, n) => {
    const len = m * n;
    const z = randArray(len, 19 * m + n, -6, 6);
    const l = labels(m, n, m + 7 * n);
    const w = randArray(m, m + n, 0, 2);
    for (const wt of [0, w]) {
      compareBoth(
        'sparse_softmax_ce_forward',
        [new Float32Array(len).fill(4), z, l, wt, m, n],
        1e-7,
        2e-6,
        `${m}x${n}`,
      );
      const p = runBoth('sparse_softmax_ce_forward', [new Float32Array(len), z, l, wt, m, n]).wasm[0] as Float32Array;
      compareBoth('sparse_softmax_ce_backward', [new Float32Array(len).fill(5), p, l, wt, m, n], 0, 3e-7, `${m}x${n}`);
      compareBoth('sparse_softmax_ce_backward', [p, { same: 0 }, l, wt, m, n], 0, 3e-7, `${m}x${n} in place`);
    }
    const r = compareBoth('sparse_accuracy_count', [z, l, m, n], 0, 0, `${m}x${n}`);
    // Same count as accuracy_count against the one-hot form of the labels.
    const oh = new Float32Array(len);
    for (let i = 0; i < m; i++) oh[i * n + l[i]] = 1;
    expect(r.wasmRet).toBe(runBoth('accuracy_count', [z, oh, m, n]).wasmRet);
  });

  it.each(SHAPES)('weighted mse / bce / bce_logits / softmax_ce / ce m=%i n=%i', (m, n) => {
    const len = m * n;
    const w = randArray(m, 3 * m + n, 0, 2);
    w[0] = 0; // a zero weight silences its row
    const x = randArray(len, m + 11 * n, 0.02, 0.98);
    const t = oneHot(m, n, 2 * m + n);
    for (const [f, b] of [
      ['mse_forward', 'mse_backward'],
      ['bce_forward', 'bce_backward'],
      ['bce_logits_forward', 'bce_logits_backward'],
      ['ce_forward', 'ce_backward'],
    ] as [KernelName, KernelName][]) {
      compareBoth(f, [x, t, w, m, n], ...FWD, `${m}x${n}`);
      compareBoth(b, [new Float32Array(len).fill(5), x, t, w, m, n], 4e-7 / len, 2e-6, `${m}x${n}`);
    }
    compareBoth('softmax_ce_forward', [new Float32Array(len), x, t, w, m, n], 1e-7, 2e-6, `${m}x${n}`);
    compareBoth('softmax_ce_backward', [new Float32Array(len).fill(5), x, t, w, m, n], 0, 3e-7, `${m}x${n}`);
  });

  it('weights of 1 give the unweighted loss and gradient; weights scale each row', () => {
    const m = 5;
    const n = 7;
    const y = randArray(m * n, 1, -2, 2);
    const t = randArray(m * n, 2, -2, 2);
    const ones = new Float32Array(m).fill(1);
    for (const name of ['mse', 'mae', 'huber'] as const) {
      const extra = name === 'huber' ? [0.75] : [];
      const plain = runBoth(`${name}_forward`, [y, t, 0, m, n, ...extra]).wasmRet as number;
      expect(runBoth(`${name}_forward`, [y, t, ones, m, n, ...extra]).wasmRet, name).toBeCloseTo(plain, 6);
      // Row r weighted by r: Σ r·rowLoss / (m·n) from single-row calls.
      const w = Float32Array.from({ length: m }, (_, r) => r);
      let want = 0;
      for (let r = 0; r < m; r++) {
        const row = runBoth(`${name}_forward`, [
          y.subarray(r * n, r * n + n),
          t.subarray(r * n, r * n + n),
          0,
          1,
          n,
          ...extra,
        ]).wasmRet as number;
        want += (r * row) / m;
      }
      expectClose(
        [runBoth(`${name}_forward`, [y, t, w, m, n, ...extra]).wasmRet as number],
        [want],
        0,
        1e-6,
        `${name} weighted`,
      );
      const g0 = runBoth(`${name}_backward`, [new Float32Array(m * n), y, t, 0, m, n, ...extra])
        .wasm[0] as Float32Array;
      const g1 = runBoth(`${name}_backward`, [new Float32Array(m * n), y, t, w, m, n, ...extra])
        .wasm[0] as Float32Array;
      expectClose(
        g1,
        Float32Array.from(g0, (v, i) => v * Math.floor(i / n)),
        0,
        1e-6,
        `${name} weighted grad`,
      );
    }
  });

  it('a label that is not a class index gives NaN (forward) and no one-hot term (backward)', () => {
    const z = Float32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    for (const bad of [-1, 3, 1.5, NaN]) {
      const l = Float32Array.from([0, bad, 2, 1]);
      const r = runBoth('sparse_softmax_ce_forward', [new Float32Array(12), z, l, 0, 4, 3]);
      expect(r.wasmRet, String(bad)).toBeNaN();
      expect(r.refRet, String(bad)).toBeNaN();
      compareBoth('sparse_accuracy_count', [z, l, 4, 3], 0, 0, String(bad));
    }
  });
});

describe('Keras-documented values (tf.keras.losses docstrings)', () => {
  it('MeanAbsoluteError: 0.5, and 0.25 with sample_weight [0.7, 0.3]', () => {
    const t = Float32Array.from([0, 1, 0, 0]);
    const y = Float32Array.from([1, 1, 1, 0]);
    expectClose([runBoth('mae_forward', [y, t, 0, 2, 2]).wasmRet as number], [0.5], 0, 1e-7, 'mae');
    expectClose(
      [runBoth('mae_forward', [y, t, Float32Array.from([0.7, 0.3]), 2, 2]).wasmRet as number],
      [0.25],
      0,
      1e-6,
      'mae weighted',
    );
  });
  it('Huber: 0.155, and 0.09 with sample_weight [1, 0]', () => {
    const t = Float32Array.from([0, 1, 0, 0]);
    const y = Float32Array.from([0.6, 0.4, 0.4, 0.6]);
    expectClose([runBoth('huber_forward', [y, t, 0, 2, 2, 1]).wasmRet as number], [0.155], 0, 1e-6, 'huber');
    expectClose(
      [runBoth('huber_forward', [y, t, Float32Array.from([1, 0]), 2, 2, 1]).wasmRet as number],
      [0.09],
      0,
      1e-6,
      'huber weighted',
    );
  });
  it('SparseCategoricalCrossentropy: 1.177, and 0.814 with sample_weight [0.3, 0.7] (logits = log p)', () => {
    // Keras clips p to [1e-7, 1 − 1e-7]; the 0 here is never the label, so logits log(p) give the same loss.
    const z = Float32Array.from([0.05, 0.95, 0, 0.1, 0.8, 0.1].map(Math.log));
    const l = Float32Array.from([1, 2]);
    expectClose(
      [runBoth('sparse_softmax_ce_forward', [new Float32Array(6), z, l, 0, 2, 3]).wasmRet as number],
      [1.1769392],
      0,
      1e-6,
      'scce',
    );
    const r = runBoth('sparse_softmax_ce_forward', [new Float32Array(6), z, l, Float32Array.from([0.3, 0.7]), 2, 3]);
    expectClose([r.wasmRet as number], [0.8135988], 0, 1e-6, 'scce weighted');
  });
});

describe('new loss twin gradients vs f64 central differences (h = 1e-6)', () => {
  const m = 4;
  const n = 5;
  const len = m * n;
  const w = Float64Array.from([0.5, 2, 0, 1.25]);
  const huber = (d: number, delta: number): number =>
    Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
  // y kept away from t ± delta and from t (kinks) so the difference quotient is smooth.
  const t = Float64Array.from(randArray(len, 31, -1, 1));
  const y = Float64Array.from(t, (v, i) => v + (i % 2 === 0 ? 1 : -1) * (0.2 + 0.15 * (i % 5)));
  const cases: [string, (x: Float64Array) => number, (g: Float64Array, x: Float64Array) => void][] = [];
  for (const weighted of [false, true]) {
    const ww = weighted ? w : null;
    const wr = (i: number): number => (ww ? ww[Math.floor(i / n)] : 1);
    const tag = weighted ? ' weighted' : '';
    cases.push([
      `mae${tag}`,
      (x) => x.reduce((s, v, i) => s + wr(i) * Math.abs(v - t[i]), 0) / len,
      (g, x) => ref.mae_backward(asF32(g), asF32(x), asF32(t), ww && asF32(ww), m, n),
    ]);
    cases.push([
      `huber 0.5${tag}`,
      (x) => x.reduce((s, v, i) => s + wr(i) * huber(v - t[i], 0.5), 0) / len,
      (g, x) => ref.huber_backward(asF32(g), asF32(x), asF32(t), ww && asF32(ww), m, n, 0.5),
    ]);
    cases.push([
      `mse${tag}`,
      (x) => x.reduce((s, v, i) => s + wr(i) * (v - t[i]) ** 2, 0) / len,
      (g, x) => ref.mse_backward(asF32(g), asF32(x), asF32(t), ww && asF32(ww), m, n),
    ]);
    const l = Float64Array.from([3, 0, 4, 1]);
    cases.push([
      `sparse softmax CE${tag}`,
      (z) => {
        let s = 0;
        for (let r = 0; r < m; r++) {
          const row = Array.from(z.subarray(r * n, r * n + n));
          s += (ww ? ww[r] : 1) * (Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[l[r]]);
        }
        return s / m;
      },
      (g, z) => {
        const p = new Float64Array(len);
        ref.sparse_softmax_ce_forward(asF32(p), asF32(z), asF32(l), ww && asF32(ww), m, n);
        ref.sparse_softmax_ce_backward(asF32(g), asF32(p), asF32(l), ww && asF32(ww), m, n);
      },
    ]);
  }
  it.each(cases.map((c) => [c[0], c] as const))('%s', (_name, [name, f, back]) => {
    const x = y.slice();
    const g = new Float64Array(len).fill(7);
    back(g, x);
    const fd = Array.from(x, (_, i) => centralDiff(f, x, i, 1e-6));
    expectClose(g, fd, 1e-9, 1e-6, `${name} backward vs finite differences`);
    expect(Math.max(...Array.from(g, Math.abs))).toBeGreaterThan(1e-3); // a zero gradient cannot pass
  });
  it('twin forwards match the f64 formulas', () => {
    expectClose(
      [ref.mae_forward(asF32(y), asF32(t), asF32(w), m, n)],
      [y.reduce((s, v, i) => s + w[Math.floor(i / n)] * Math.abs(v - t[i]), 0) / len],
      0,
      1e-6,
      'mae',
    );
    expectClose(
      [ref.huber_forward(asF32(y), asF32(t), null, m, n, 0.5)],
      [y.reduce((s, v, i) => s + huber(v - t[i], 0.5), 0) / len],
      0,
      1e-6,
      'huber',
    );
  });
});
