// The CNN workload's pieces that need no library: the seeded initial weights, the layout conversions, and the
// f64 reference itself (its gradients against central finite differences of its own loss), so the oracle the
// adapters are held to is right.
import { describe, expect, it } from 'vitest';
import {
  CNN_TRAIN_FLOPS,
  CNN_WEIGHTS,
  cnnLoss64,
  cnnStep64,
  hwcRowsToChw,
  hwioToOihw,
  initialCnnWeights,
  referenceCnn,
} from '../lib/cnn.js';
import { rng } from '../lib/common.js';
import { cnnFixture } from './cnnFixture.js';

describe('CNN weights and layouts', () => {
  it('makes Glorot-uniform kernels and zero biases, the same for the same seed', () => {
    const w = initialCnnWeights(1);
    expect(w.map((t) => t.shape)).toEqual(CNN_WEIGHTS.map((t) => t.shape));
    expect(w.map((t) => t.name)).toEqual(CNN_WEIGHTS.map((t) => t.name));
    const limits = [Math.sqrt(6 / (25 + 200)), 0, Math.sqrt(6 / (200 + 400)), 0, Math.sqrt(6 / 266), 0];
    w.forEach((t, i) => {
      const mx = Math.max(...t.data.map(Math.abs));
      if (limits[i] === 0) expect(mx).toBe(0);
      else {
        expect(mx).toBeLessThanOrEqual(limits[i]);
        expect(mx).toBeGreaterThan(limits[i] * 0.9);
      }
    });
    expect(initialCnnWeights(1)[2].data).toEqual(w[2].data);
    expect(initialCnnWeights(2)[2].data).not.toEqual(w[2].data);
  });

  it('converts HWIO to OIHW and (h, w, c)-ordered dense rows to (c, h, w) order', () => {
    // k[y][x][i][o] = 1000y + 100x + 10i + o
    const shape = [2, 3, 2, 4];
    const k = new Float32Array(48);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++)
        for (let i = 0; i < 2; i++)
          for (let o = 0; o < 4; o++) k[((y * 3 + x) * 2 + i) * 4 + o] = 1000 * y + 100 * x + 10 * i + o;
    const t = hwioToOihw(k, shape);
    expect(t[((3 * 2 + 1) * 2 + 1) * 3 + 2]).toBe(1000 + 200 + 10 + 3); // [o=3][i=1][y=1][x=2]
    expect(t[0]).toBe(0);
    // rows r(y, x, c) of a (2·2·3) × 2 kernel hold 100y + 10x + c (+ 0.5 in column 1)
    const d = new Float32Array(24);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 2; x++)
        for (let c = 0; c < 3; c++)
          for (let j = 0; j < 2; j++) d[((y * 2 + x) * 3 + c) * 2 + j] = 100 * y + 10 * x + c + 0.5 * j;
    const r = hwcRowsToChw(d, [2, 2, 3], 2);
    expect(r[((2 * 2 + 1) * 2 + 0) * 2 + 1]).toBe(100 + 0 + 2 + 0.5); // row (c=2, y=1, x=0), column 1
  });

  it('counts the nominal flops of a training sample', () => {
    const fwd = 2 * (24 * 24 * 8 * 25 + 8 * 8 * 16 * 200 + 2560);
    expect(CNN_TRAIN_FLOPS).toBe(2 * fwd + 2 * (8 * 8 * 16 * 200 + 2560));
  });
});

describe('f64 reference CNN', () => {
  it('gives probabilities that sum to one', () => {
    const { w, x } = cnnFixture(3, 1);
    const p = referenceCnn(w, x, 3);
    for (let r = 0; r < 3; r++) expect(p.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('has gradients equal to central finite differences of its loss', () => {
    const rows = 3;
    const { w, x, y } = cnnFixture(rows, 2);
    const w64 = w.map((t) => ({ ...t, data: Float64Array.from(t.data) }));
    const { loss, grads } = cnnStep64(w64, x, y, rows, 0.01);
    expect(loss).toBeCloseTo(cnnLoss64(w64, x, y, rows), 12);
    const r = rng(9);
    const eps = 1e-6;
    let worst = 0;
    for (let t = 0; t < w64.length; t++) {
      for (let s = 0; s < 12; s++) {
        const i = Math.floor(r() * w64[t].data.length);
        const v = w64[t].data[i];
        w64[t].data[i] = v + eps;
        const up = cnnLoss64(w64, x, y, rows);
        w64[t].data[i] = v - eps;
        const down = cnnLoss64(w64, x, y, rows);
        w64[t].data[i] = v;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[t][i]) / (1e-4 + Math.abs(fd)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('steps every weight by −lr·gradient', () => {
    const { w, x, y } = cnnFixture(2, 3);
    const { grads, weights } = cnnStep64(w, x, y, 2, 0.5);
    weights.forEach((t, k) => t.data.forEach((v, i) => expect(v).toBeCloseTo(w[k].data[i] - 0.5 * grads[k][i], 12)));
  });
});
