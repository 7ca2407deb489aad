import { describe, expect, it } from 'vitest';
import { expectClose, randArray } from '../helpers/check.js';
import { asF32, centralDiff, compareBoth, runBoth, SIZES, withSpecials } from '../helpers/elem-kernels.js';
import * as ref from '../../src/reference/optim.js';

// Flat slabs: the vector-edge sizes plus a model-sized slab (~100k parameters).
const N = [...SIZES, 100_003];

describe('regularizers wasm vs twin', () => {
  it.each(N)('l1 / l2 forward n=%i (sums in f64)', (n) => {
    const w = withSpecials(n, n + 1, [0, -0, 1e-30, -1e-30, 1e3, -1e3], -2, 2);
    compareBoth('l1_forward', [w, n], 0, 2e-7, `n=${n}`);
    compareBoth('l2_forward', [w, n], 0, 2e-7, `n=${n}`);
  });

  it.each(N)('l1 / l2 backward n=%i accumulate into g', (n) => {
    const w = withSpecials(n, n + 2, [0, -0, NaN, 1e-40, -1e-40, 1e30], -2, 2);
    const g = randArray(n, n + 3, -1, 1); // pre-filled: must be added to
    compareBoth('l1_backward', [g, w, n, 0.01], 0, 1e-7, `n=${n}`);
    compareBoth('l2_backward', [g, w, n, 0.003], 1e-9, 1e-6, `n=${n}`);
  });

  it('l1_backward: sign(0) = sign(−0) = sign(NaN) = 0', () => {
    const w = Float32Array.from([0, -0, NaN, 2, -2, 0, -0, NaN, 3]);
    const r = compareBoth('l1_backward', [new Float32Array(9).fill(1), w, 9, 0.5], 0, 0);
    expect(Array.from(r.wasm[0] as Float32Array)).toEqual([1, 1, 1, 1.5, 0.5, 1, 1, 1, 1.5]);
  });
});

describe('regularizer twin gradients (f64 central differences, h = 1e-6)', () => {
  const n = 17;
  // Keep w away from 0 where |w| has its kink.
  const w = Float64Array.from(randArray(n, 4, -2, 2), (v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
  const lambda = 0.375; // exact in f32, so the twins' fround does not move it
  const g0 = Float64Array.from(randArray(n, 5));
  it('l1_backward = d/dw of lambda·Σ|w| (added to g)', () => {
    const g = g0.slice();
    ref.l1_backward(asF32(g), asF32(w), n, lambda);
    const fd = Array.from(w, (_, i) => centralDiff((x) => lambda * x.reduce((s, v) => s + Math.abs(v), 0), w, i, 1e-6));
    expectClose(
      g.map((v, i) => v - g0[i]),
      fd,
      1e-8,
      1e-7,
      'l1',
    );
    expectClose([ref.l1_forward(asF32(w), n)], [w.reduce((s, v) => s + Math.abs(v), 0)], 0, 1e-7, 'l1 forward');
  });
  it('l2_backward = d/dw of lambda·Σw² (added to g)', () => {
    const g = g0.slice();
    ref.l2_backward(asF32(g), asF32(w), n, lambda);
    const fd = Array.from(w, (_, i) => centralDiff((x) => lambda * x.reduce((s, v) => s + v * v, 0), w, i, 1e-6));
    expectClose(
      g.map((v, i) => v - g0[i]),
      fd,
      1e-8,
      1e-7,
      'l2',
    );
    expectClose([ref.l2_forward(asF32(w), n)], [w.reduce((s, v) => s + v * v, 0)], 0, 1e-7, 'l2 forward');
  });
});

// Hyper-parameters exactly representable in f32, so twin (f64 after fround), the scalar formulas below and the
// f32 kernel all see the same values.
const LR = 0.0625;
const MU = 0.875;
const WD = 0.03125;
const B1 = 0.875;
const B2 = 0.9990234375;
const EPS = 2 ** -20;

describe('optimizers wasm vs twin (3 steps, state carried)', () => {
  const steps = (n: number, seed: number): Float32Array[] => [1, 2, 3].map((s) => randArray(n, seed * 10 + s, -1, 1));
  // Each step rounds w, v, m to f32 in wasm and in the twin; differences stay at a few ulp of the values.
  const TOL: [number, number] = [1e-7, 2e-6];

  it.each(N)('sgd / momentum / nesterov n=%i', (n) => {
    const gs = steps(n, n);
    gs[0].set(withSpecials(Math.min(n, 9), 3, [0, -0, 1e-30, 1e10]).subarray(0, Math.min(n, 9)));
    for (const name of ['sgd_update', 'momentum_update', 'nesterov_update'] as const) {
      let w: Float32Array = withSpecials(n, n + 7, [0, -0, 1e-30, 1e3], -1, 1);
      let v: Float32Array = new Float32Array(n);
      for (const g of gs) {
        // Each step starts both implementations from the twin's state, so errors do not compound across steps.
        const args = name === 'sgd_update' ? [w, g, n, LR, WD] : [w, v, g, n, LR, MU, WD];
        const r = compareBoth(name, args, ...TOL, `n=${n}`);
        w = r.ref[0] as Float32Array;
        if (name !== 'sgd_update') v = r.ref[1] as Float32Array;
      }
    }
  });

  it.each(N)('adam / adamw n=%i with bias correction', (n) => {
    const gs = steps(n, n + 1);
    gs[1].set(withSpecials(Math.min(n, 9), 4, [0, -0, 1e-30, 1e10]).subarray(0, Math.min(n, 9)));
    for (const name of ['adam_update', 'adamw_update'] as const) {
      let w: Float32Array = withSpecials(n, n + 9, [0, -0, 1e-30, 1e3], -1, 1);
      let m: Float32Array = new Float32Array(n);
      let v: Float32Array = new Float32Array(n);
      gs.forEach((g, k) => {
        const t = k + 1;
        const bc1 = 1 - B1 ** t;
        const bc2 = 1 - B2 ** t;
        const r = compareBoth(name, [w, m, v, g, n, LR, B1, B2, EPS, WD, bc1, bc2], ...TOL, `n=${n} t=${t}`);
        [w, m, v] = r.ref.slice(0, 3) as Float32Array[];
      });
    }
  });
});

describe('optimizer twins and kernels vs hand-written scalar steps', () => {
  // One parameter, three steps, every formula spelled out in f64.
  const w0 = [0.5, -1.25, 2];
  const gs = [
    [0.1, -0.3, 0.05],
    [0.2, 0.1, -0.4],
    [-0.15, 0.05, 0.3],
  ];
  const expectedFor = (name: string): number[] => {
    return w0.map((wInit, i) => {
      let w = wInit;
      let v = 0;
      let m = 0;
      for (let k = 0; k < 3; k++) {
        const g = gs[k][i];
        const t = k + 1;
        if (name === 'sgd') w = w - LR * (g + WD * w);
        if (name === 'momentum') {
          v = MU * v + (g + WD * w);
          w = w - LR * v;
        }
        if (name === 'nesterov') {
          const gp = g + WD * w;
          v = MU * v + gp;
          w = w - LR * (gp + MU * v);
        }
        if (name === 'adam' || name === 'adamw') {
          const gp = name === 'adam' ? g + WD * w : g;
          m = B1 * m + (1 - B1) * gp;
          v = B2 * v + (1 - B2) * gp * gp;
          const mHat = m / (1 - B1 ** t);
          const vHat = v / (1 - B2 ** t);
          const decay = name === 'adamw' ? WD * w : 0;
          w = w - LR * (decay + mHat / (Math.sqrt(vHat) + EPS));
        }
      }
      return w;
    });
  };
  const run = (name: string, impl: 'twin' | 'wasm'): number[] => {
    const n = 3;
    const w = Float64Array.from(w0);
    const v = new Float64Array(n);
    const m = new Float64Array(n);
    const k = `${name}_update`;
    for (let s = 0; s < 3; s++) {
      const g = Float64Array.from(gs[s]);
      const t = s + 1;
      const bc1 = 1 - B1 ** t;
      const bc2 = 1 - B2 ** t;
      const rest = name === 'sgd' ? [LR, WD] : name.startsWith('adam') ? [LR, B1, B2, EPS, WD, bc1, bc2] : [LR, MU, WD];
      const bufs = name === 'sgd' ? [w, g] : name.startsWith('adam') ? [w, m, v, g] : [w, v, g];
      if (impl === 'twin') {
        (ref as unknown as Record<string, (...a: unknown[]) => void>)[k](...bufs, n, ...rest);
      } else {
        const out = compareBoth(k as never, [...bufs.map((b) => Float32Array.from(b)), n, ...rest], 1e-7, 2e-6);
        bufs.forEach((b, j) => b.set(out.wasm[j] as Float32Array));
      }
    }
    return Array.from(w);
  };
  for (const name of ['sgd', 'momentum', 'nesterov', 'adam', 'adamw']) {
    it(name, () => {
      const e = expectedFor(name);
      expectClose(run(name, 'twin'), e, 0, 1e-12, `${name} twin (f64)`);
      expectClose(run(name, 'wasm'), e, 1e-7, 1e-6, `${name} wasm (f32)`);
      // The steps moved w by much more than the tolerance: a wrong formula cannot pass.
      expect(Math.max(...e.map((v, i) => Math.abs(v - w0[i])))).toBeGreaterThan(1e-2);
    });
  }
});

describe('rms_update (rmsprop / adagrad): wasm vs twin (3 steps, state carried) and hand-written steps', () => {
  const RHO = 0.875;
  const TOL: [number, number] = [1e-7, 2e-6];
  it.each(N)('rmsprop / adagrad n=%i', (n) => {
    const gs = [1, 2, 3].map((s) => randArray(n, n * 10 + s, -1, 1));
    gs[0].set(withSpecials(Math.min(n, 9), 5, [0, -0, 1e-30, 1e10]).subarray(0, Math.min(n, 9)));
    for (const name of ['rmsprop', 'adagrad'] as const) {
      let w: Float32Array = withSpecials(n, n + 11, [0, -0, 1e-30, 1e3], -1, 1);
      let s: Float32Array = new Float32Array(n).fill(name === 'adagrad' ? 0.1 : 0);
      for (const g of gs) {
        const args = name === 'rmsprop' ? [w, s, g, n, LR, RHO, 1 - RHO, EPS, WD] : [w, s, g, n, LR, 1, 1, EPS, WD];
        const r = compareBoth('rms_update', args, ...TOL, `n=${n} ${name}`);
        [w, s] = r.ref.slice(0, 2) as Float32Array[];
      }
    }
  });

  it('three steps match the formulas written out in f64 (twin exact, wasm to f32)', () => {
    const w0 = [0.5, -1.25, 2];
    const gs = [
      [0.1, -0.3, 0.05],
      [0.2, 0.1, -0.4],
      [-0.15, 0.05, 0.3],
    ];
    for (const name of ['rmsprop', 'adagrad'] as const) {
      const want = w0.map((wi, i) => {
        let w = wi;
        let s = name === 'adagrad' ? 0.1 : 0;
        for (const gk of gs) {
          const g = gk[i] + WD * w;
          s = name === 'rmsprop' ? RHO * s + (1 - RHO) * g * g : s + g * g;
          w -= (LR * g) / Math.sqrt(s + EPS);
        }
        return w;
      });
      const w = Float64Array.from(w0);
      const s = new Float64Array(3).fill(name === 'adagrad' ? 0.1 : 0);
      const w32 = Float32Array.from(w0);
      const s32 = Float32Array.from(s);
      for (const gk of gs) {
        const g = Float64Array.from(gk);
        const hp = name === 'rmsprop' ? [RHO, 1 - RHO] : [1, 1];
        ref.rms_update(asF32(w), asF32(s), asF32(g), 3, LR, hp[0], hp[1], EPS, WD);
        const r = compareBoth('rms_update', [w32, s32, Float32Array.from(gk), 3, LR, ...hp, EPS, WD], 1e-7, 2e-6);
        w32.set(r.wasm[0] as Float32Array);
        s32.set(r.wasm[1] as Float32Array);
      }
      expectClose(w, want, 0, 1e-12, `${name} twin`);
      expectClose(w32, want, 1e-7, 1e-6, `${name} wasm`);
      expect(Math.max(...want.map((v, i) => Math.abs(v - w0[i])))).toBeGreaterThan(1e-2);
    }
  });

  it("Keras's RMSprop docstring: lr 0.1, var 10, loss var²/2 → 9.683772 after one step", () => {
    const r = runBoth('rms_update', [
      Float32Array.from([10]),
      new Float32Array(1),
      Float32Array.from([10]),
      1,
      0.1,
      0.9,
      1 - 0.9,
      1e-7,
      0,
    ]);
    expectClose([(r.wasm[0] as Float32Array)[0]], [9.683772], 0, 1e-7, 'wasm');
    expectClose([(r.ref[0] as Float32Array)[0]], [9.683772], 0, 1e-7, 'twin');
  });
});
