// Each adapter against independent f64 oracles on small shapes: GEMM, inference from given weights, and one
// full-batch SGD step from given weights (so every library trains the same network the benchmark claims).
// Needs bench/peers' dependencies and a built simdnet (dist/, or SIMDNET_DIST); skipped without them.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randArray, referenceMlp } from '../lib/common.js';
import { entry } from '../lib/dist.js';
import { IMPLS } from '../lib/impls.js';

const ready =
  existsSync(new URL('../node_modules/@tensorflow/tfjs-core/package.json', import.meta.url)) &&
  existsSync(new URL(entry('.')));

const SIZES = [12, 7, 4];
function weights(seed) {
  const w = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    w.push({ name: `d${l}/kernel`, shape: [i, o], data: randArray(i * o, seed + l).map((v) => v * 0.6) });
    w.push({ name: `d${l}/bias`, shape: [o], data: randArray(o, seed + 10 + l).map((v) => v * 0.2) });
  }
  return w;
}

/** One full-batch SGD step of relu → softmax + mean categorical cross-entropy, in f64. */
function sgdStep(w, x, y, rows, lr) {
  const L = w.length / 2;
  const acts = [Float64Array.from(x)];
  for (let l = 0; l < L; l++) {
    const [k, n] = w[2 * l].shape;
    const a = acts[l];
    const z = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < n; j++) {
        let s = w[2 * l + 1].data[j];
        for (let i = 0; i < k; i++) s += a[r * k + i] * w[2 * l].data[i * n + j];
        z[r * n + j] = l < L - 1 ? Math.max(0, s) : s;
      }
    acts.push(z);
  }
  const n = SIZES[SIZES.length - 1];
  let d = new Float64Array(rows * n); // dL/dz of the last layer: (softmax − y) / rows
  const zL = acts[L];
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) mx = Math.max(mx, zL[r * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(zL[r * n + j] - mx);
    for (let j = 0; j < n; j++) d[r * n + j] = (Math.exp(zL[r * n + j] - mx) / s - y[r * n + j]) / rows;
  }
  const out = w.map((t) => ({ ...t, data: Float64Array.from(t.data) }));
  for (let l = L - 1; l >= 0; l--) {
    const [k, m] = w[2 * l].shape;
    const a = acts[l];
    const dPrev = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += d[r * m + j] * w[2 * l].data[i * m + j];
        dPrev[r * k + i] = l > 0 && a[r * k + i] > 0 ? s : 0; // relu' from the layer's output
      }
    for (let i = 0; i < k; i++)
      for (let j = 0; j < m; j++) {
        let g = 0;
        for (let r = 0; r < rows; r++) g += a[r * k + i] * d[r * m + j];
        out[2 * l].data[i * m + j] -= lr * g;
      }
    for (let j = 0; j < m; j++) {
      let g = 0;
      for (let r = 0; r < rows; r++) g += d[r * m + j];
      out[2 * l + 1].data[j] -= lr * g;
    }
    d = dPrev;
  }
  return out.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
}

const close = (got, want, tol, what) => {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, `${what}: max relative difference`).toBeLessThan(tol);
};

describe.skipIf(!ready).each(['simdnet-wasm', 'simdnet-js', 'tfjs-wasm', 'tfjs-cpu', 'ort-1t', 'brain.js'])(
  '%s adapter',
  (id) => {
    it('multiplies, infers and trains like the f64 oracles', async () => {
      const a = await IMPLS[id].load();
      expect(a.version).toMatch(/^\d+\.\d+\.\d+/);

      if (a.gemm) {
        for (const n of [9, 33]) {
          const A = randArray(n * n, 1);
          const B = randArray(n * n, 2);
          const g = await a.gemm(n, A, B);
          await g.run();
          const C = await g.output();
          const E = new Float64Array(n * n);
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) E[i * n + j] += A[i * n + k] * B[k * n + j];
          close(C, E, 1e-5, `gemm n=${n}`);
          await g.dispose();
        }
      }

      const w = weights(5);
      const x = randArray(5 * SIZES[0], 6);
      const inf = await a.inference({ sizes: SIZES, weights: w });
      for (const rows of [1, 5]) {
        const xm = { data: x.slice(0, rows * SIZES[0]), rows, cols: SIZES[0] };
        const p = inf.prepare(xm);
        await p.run();
        close(await p.output(), referenceMlp(w, xm.data, rows, inf.head ?? 'softmax'), 1e-5, `inference rows=${rows}`);
      }
      await inf.dispose();

      if (a.trainer) {
        const rows = 16;
        const tx = { data: randArray(rows * SIZES[0], 7), rows, cols: SIZES[0] };
        const labels = Array.from({ length: rows }, (_, r) => (r * 7) % SIZES[2]);
        const ty = { data: new Float32Array(rows * SIZES[2]), rows, cols: SIZES[2] };
        labels.forEach((c, r) => (ty.data[r * SIZES[2] + c] = 1));
        const t = await a.trainer({
          sizes: SIZES,
          weights: w,
          optimizer: { type: 'sgd', lr: 0.5, perSampleLr: 0.01 },
          batchSize: rows,
          x: tx,
          y: ty,
        });
        const before = Float32Array.from(await t.predict(tx));
        await t.epoch(0);
        const after = await t.predict(tx);
        if (id === 'brain.js') {
          // Per-sample updates with an MSE head: no batch oracle, but the step must move the outputs.
          expect(after.some((v, i) => Math.abs(v - before[i]) > 1e-6)).toBe(true);
        } else {
          // One full batch: shuffling cannot matter, so the step must equal the f64 one.
          close(
            after,
            referenceMlp(sgdStep(w, tx.data, ty.data, rows, 0.5), tx.data, rows),
            1e-4,
            'after one SGD step',
          );
          expect(after.some((v, i) => Math.abs(v - before[i]) > 1e-3)).toBe(true);
        }
        await t.dispose();
      }
    });
  },
);
