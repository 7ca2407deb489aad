// Distillation kernels: wasm vs twin over row/column edges, temperatures, alphas and extreme logits; the twin's
// gradient vs f64 central differences; the loss's defining properties (alpha = 1 is softmax-CE, a student that
// matches its teacher pays no soft term, large T matches logits).
import { describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { centralDiff } from '../helpers/elem-kernels.js';
import { loadRaw, type RawWasm } from '../helpers/wasm.js';
import * as ref from '../../src/reference/distill.js';
import { softmax_ce_forward } from '../../src/reference/losses.js';

let raw: RawWasm | undefined;
const w = (): RawWasm => (raw ??= loadRaw());

/** Wide targets (m, 2n): rows [one-hot or soft y | teacher logits]. */
function targets(m: number, n: number, seed: number, soft: boolean, logitScale = 4): Float32Array {
  const r = rng(seed);
  const t = new Float32Array(2 * m * n);
  for (let i = 0; i < m; i++) {
    const y = t.subarray(2 * i * n, 2 * i * n + n);
    if (soft) {
      let s = 0;
      for (let j = 0; j < n; j++) s += y[j] = 0.01 + r();
      for (let j = 0; j < n; j++) y[j] /= s;
    } else y[Math.floor(r() * n)] = 1;
    for (let j = 0; j < n; j++) t[2 * i * n + n + j] = logitScale * (2 * r() - 1);
  }
  return t;
}

interface Run {
  loss: number;
  p: Float32Array;
  dz: Float32Array;
  correct: number;
}

function runWasm(z: Float32Array, t: Float32Array, m: number, n: number, T: number, a: number): Run {
  const x = w();
  x.reset();
  const pz = x.put(z);
  const pt = x.put(t);
  const pp = x.put(new Float32Array(m * n).fill(7)); // garbage in the outputs: they must be overwritten
  const pd = x.put(new Float32Array(m * n).fill(9));
  const loss = x.k.distill_forward(pp, pz, pt, m, n, T, a);
  x.k.distill_backward(pd, pp, pz, pt, m, n, T, a);
  const correct = x.k.distill_accuracy_count(pz, pt, m, n);
  // Inputs are untouched.
  expect(Array.from(x.f32(pz, m * n))).toEqual(Array.from(z));
  expect(Array.from(x.f32(pt, 2 * m * n))).toEqual(Array.from(t));
  return { loss, p: x.f32(pp, m * n), dz: x.f32(pd, m * n), correct };
}

function runTwin(z: Float32Array, t: Float32Array, m: number, n: number, T: number, a: number): Run {
  const p = new Float32Array(m * n);
  const dz = new Float32Array(m * n);
  const loss = ref.distill_forward(p, z, t, m, n, T, a);
  ref.distill_backward(dz, p, z, t, m, n, T, a);
  return { loss, p, dz, correct: ref.distill_accuracy_count(z, t, m, n) };
}

/** Compares wasm and twin: p and the loss to exp accuracy, dz relative to its row scale (it cancels). */
function compare(z: Float32Array, t: Float32Array, m: number, n: number, T: number, a: number, what: string): Run {
  const wr = runWasm(z, t, m, n, T, a);
  const rr = runTwin(z, t, m, n, T, a);
  expectClose(wr.p, rr.p, 1e-7, 2e-6, `${what} p`);
  // The soft term is a difference of terms of size ~T²·|z|/T: its absolute error scales with that.
  const scale = Math.max(1, ...Array.from(z, Math.abs), ...Array.from(t, Math.abs)) * Math.max(1, T);
  expectClose([wr.loss], [rr.loss], 3e-6 * scale, 2e-5, `${what} loss`);
  expectClose(wr.dz, rr.dz, (2e-6 * Math.max(1, T)) / m, 1e-5, `${what} dz`);
  expect(wr.correct, `${what} correct`).toBe(rr.correct);
  return wr;
}

const GRID_M = [1, 2, 7];
const GRID_N = [1, 2, 3, 4, 5, 9, 10, 17];
const SETTINGS: [number, number][] = [
  [1, 0.5],
  [4, 0.1],
  [20, 0],
  [0.5, 1],
  [2.5, 0.7],
];

describe('distill kernels: wasm vs twin', () => {
  const cases: [number, number, number, number][] = [];
  for (const m of GRID_M) for (const n of GRID_N) for (const [T, a] of SETTINGS) cases.push([m, n, T, a]);
  cases.push([128, 10, 4, 0.1], [64, 10, 1, 0.5], [3, 1000, 3, 0.3]);

  it.each(cases)('m=%i n=%i T=%f alpha=%f', (m, n, T, a) => {
    const z = randArray(m * n, 31 * m + n, -6, 6);
    compare(z, targets(m, n, 7 * m + n, false), m, n, T, a, `${m}x${n} one-hot`);
    compare(z, targets(m, n, 11 * m + n, true), m, n, T, a, `${m}x${n} soft`);
  });

  it('extreme logits stay finite: ±1000 and ±1e30 in student and teacher', () => {
    const n = 5;
    const z = Float32Array.from([1000, 0, -1000, 3, 2, 1e30, -1e30, 0, 5, 5, 0, 0, 0, 0, 0]);
    const t = targets(3, n, 3, false);
    t.set([-1000, 1000, 0, 0, 0], n); // teacher disagrees by 2000 in row 0
    t.set([1e30, 0, -1e30, 0, 0], 3 * n);
    for (const [T, a] of SETTINGS) {
      const wr = runWasm(z, t, 3, n, T, a);
      expect(Number.isFinite(wr.loss), `T=${T} loss ${wr.loss}`).toBe(true);
      expect(wr.dz.every(Number.isFinite), `T=${T} dz`).toBe(true);
      const rr = runTwin(z, t, 3, n, T, a);
      expectClose([wr.loss], [rr.loss], 0, 1e-5, `T=${T} loss`);
      expectClose(wr.dz, rr.dz, 1e-6, 1e-5, `T=${T} dz`);
    }
  });

  it('NaN in a row gives a NaN loss (training then stops as diverged)', () => {
    const z = Float32Array.from([0, NaN, 1, 2]);
    const t = targets(1, 4, 5, false);
    expect(Number.isNaN(runWasm(z, t, 1, 4, 2, 0.5).loss) || Number.isNaN(runWasm(z, t, 1, 4, 2, 0.5).dz[1])).toBe(
      true,
    );
  });
});

describe('distill twin: gradient vs f64 central differences', () => {
  it.each([
    [3, 5, 1, 0.5],
    [2, 10, 4, 0.1],
    [4, 3, 0.5, 0.9],
    [1, 7, 10, 0],
    [2, 4, 2, 1],
  ])('m=%i n=%i T=%f alpha=%f', (m, n, T, a) => {
    for (const soft of [false, true]) {
      const z = Float64Array.from(randArray(m * n, 100 * m + n, -3, 3));
      const t = Float64Array.from(targets(m, n, 50 * m + n, soft));
      const f32 = (x: Float64Array): Float32Array => x as unknown as Float32Array;
      const p = new Float64Array(m * n);
      const loss = (zz: Float64Array): number => {
        // The twin rounds its return to f32; recompute the f64 sum from an unrounded copy of its math instead.
        return fwd64(zz, t, m, n, T, a);
      };
      ref.distill_forward(f32(p), f32(z), f32(t), m, n, T, a);
      const dz = new Float64Array(m * n);
      ref.distill_backward(f32(dz), f32(p), f32(z), f32(t), m, n, T, a);
      const h = 1e-5;
      for (let i = 0; i < m * n; i++)
        expectClose([dz[i]], [centralDiff(loss, z, i, h)], 1e-8, 1e-6, `dz[${i}] soft=${soft}`);
      // And the twin's (f32-rounded) loss is that f64 loss.
      expectClose([ref.distill_forward(f32(p), f32(z), f32(t), m, n, T, a)], [loss(z)], 0, 1e-7, 'loss');
    }
  });
});

/** The twin's forward without the final f32 rounding (for finite differences). */
function fwd64(z: Float64Array, t: Float64Array, m: number, n: number, T: number, a: number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    const zr = z.subarray(r * n, r * n + n);
    const y = t.subarray(2 * r * n, 2 * r * n + n);
    const zt = t.subarray(2 * r * n + n, 2 * r * n + 2 * n);
    const lse = (v: Float64Array, s: number): number => {
      const mx = Math.max(...v) * s;
      return mx + Math.log(v.reduce((acc, x) => acc + Math.exp(x * s - mx), 0));
    };
    const l1 = lse(zr, 1);
    const ls = lse(zr, 1 / T);
    const lt = lse(zt, 1 / T);
    let hard = 0;
    let kl = 0;
    for (let j = 0; j < n; j++) {
      hard -= y[j] * (zr[j] - l1);
      const lq = zt[j] / T - lt;
      kl += Math.exp(lq) * (lq - (zr[j] / T - ls));
    }
    total += a * hard + (1 - a) * T * T * kl;
  }
  return total / m;
}

describe('distill loss: defining properties', () => {
  it('alpha = 1 is the fused softmax cross-entropy (teacher ignored)', () => {
    const m = 7;
    const n = 10;
    const z = randArray(m * n, 3, -5, 5);
    const t = targets(m, n, 4, true);
    const y = new Float32Array(m * n);
    for (let r = 0; r < m; r++) y.set(t.subarray(2 * r * n, 2 * r * n + n), r * n);
    const ce = softmax_ce_forward(new Float32Array(m * n), z, y, null, m, n);
    for (const T of [1, 3, 10]) expectClose([runWasm(z, t, m, n, T, 1).loss], [ce], 0, 2e-6, `T=${T}`);
  });

  it('a student whose logits equal the teacher’s (up to a shift per row) pays no soft term and gets no soft gradient', () => {
    const m = 5;
    const n = 10;
    const t = targets(m, n, 8, false);
    const z = new Float32Array(m * n);
    for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) z[r * n + j] = t[2 * r * n + n + j] + 2.5 * r;
    for (const T of [1, 4, 20]) {
      const wr = runWasm(z, t, m, n, T, 0);
      expect(Math.abs(wr.loss), `T=${T} loss`).toBeLessThan(1e-5 * T * T);
      expect(Math.max(...Array.from(wr.dz, Math.abs)), `T=${T} dz`).toBeLessThan(1e-7 * T);
    }
  });

  it('at high temperature the soft gradient approaches logit matching: (z − zt − mean) / (n·m) (Hinton §2.1)', () => {
    const m = 3;
    const n = 10;
    const t = targets(m, n, 12, false, 1);
    const z = randArray(m * n, 13, -1, 1);
    const T = 200;
    const wr = runWasm(z, t, m, n, T, 0);
    const expected = new Float32Array(m * n);
    for (let r = 0; r < m; r++) {
      let mean = 0;
      for (let j = 0; j < n; j++) mean += (z[r * n + j] - t[2 * r * n + n + j]) / n;
      for (let j = 0; j < n; j++) expected[r * n + j] = (z[r * n + j] - t[2 * r * n + n + j] - mean) / (n * m);
    }
    // The limit has O(1/T) corrections of the size of the logit differences (≤ 2): 1% of the value here.
    expectClose(wr.dz, expected, 2e-3, 2e-2, 'logit matching');
  });

  it('T² scaling keeps the soft gradient on the scale of the hard one as T grows', () => {
    const m = 4;
    const n = 10;
    const t = targets(m, n, 21, false, 6);
    const z = randArray(m * n, 22, -6, 6);
    const norm = (T: number): number => Math.hypot(...runWasm(z, t, m, n, T, 0).dz);
    const g1 = norm(2);
    const g2 = norm(8);
    const g3 = norm(32);
    // Without T² the soft gradient would shrink like 1/T² (16x per step here); with it, it settles to a limit.
    expect(g2 / g1).toBeGreaterThan(0.25);
    expect(g3 / g2).toBeGreaterThan(0.5);
    expect(g3 / g2).toBeLessThan(2);
  });
});
