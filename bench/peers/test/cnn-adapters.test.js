// Every CNN adapter against the f64 reference (lib/cnn.js): inference from given weights, and one SGD step
// (batch 32, lr 0.01 — the benchmark's) from the benchmark's own initial weights on the first 32 MNIST digits:
// the batch's loss, every weight after the step, and the step itself (after − before) must match.
// TensorFlow.js wasm cannot train the CNN (no Conv2DBackpropFilter kernel): the test holds it to that failure, so
// the benchmark's recorded error stays true. simdnet's CNN is checked once its build has conv2d().
// Needs bench/peers' dependencies and a built simdnet (dist/, or SIMDNET_DIST); skipped without them.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CNN, cnnStep64, initialCnnWeights, referenceCnn } from '../lib/cnn.js';
import { entry } from '../lib/dist.js';
import { IMPLS } from '../lib/impls.js';
import { cnnFixture } from './cnnFixture.js';

const ready =
  existsSync(new URL('../node_modules/@tensorflow/tfjs-core/package.json', import.meta.url)) &&
  existsSync(new URL(entry('.')));
const simdnetHasConv = ready && typeof (await import(entry('.'))).conv2d === 'function';

/** max |got − want| / (1 + |want|), as the MLP adapter test measures. */
const close = (got, want, tol, what) => {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, `${what}: max relative difference`).toBeLessThan(tol);
  return worst;
};

/** The step itself: max |Δgot − Δwant| over the largest |Δwant| of the tensor (a wrong or missing gradient fails). */
const sameStep = (before, got, want, tol, what) => {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - before[i] - (want[i] - before[i])));
    scale = Math.max(scale, Math.abs(want[i] - before[i]));
  }
  expect(scale, `${what}: the f64 step moves this tensor`).toBeGreaterThan(0);
  expect(worst / scale, `${what}: step error over the largest step`).toBeLessThan(tol);
  return worst / scale;
};

const ids = ['simdnet-wasm', 'simdnet-js', 'tfjs-wasm', 'tfjs-cpu', 'ort-1t', 'convnetjs', 'plain-js'];

describe.skipIf(!ready).each(ids)('%s CNN adapter', (id) => {
  const skip = id.startsWith('simdnet') && !simdnetHasConv;

  it.skipIf(skip)('infers like the f64 reference', async () => {
    const a = await IMPLS[id].load();
    const { w, x } = cnnFixture(5, 11);
    const inf = await a.cnnInference({ weights: w });
    for (const rows of [1, 5]) {
      const xm = { data: x.slice(0, rows * 784), rows, cols: 784 };
      const p = inf.prepare(xm);
      await p.run();
      close(await p.output(), referenceCnn(w, xm.data, rows), 1e-5, `inference rows=${rows}`);
    }
    await inf.dispose();
  });

  it.skipIf(skip)('takes the same SGD step as the f64 reference, or fails as recorded', async () => {
    const a = await IMPLS[id].load();
    if (!a.cnnTrainer) return; // ONNX Runtime Web: inference only
    const { loadMnist } = await import(entry('./mnist'));
    const { train } = loadMnist({ seed: 1 });
    const rows = CNN.batchSize;
    const x = { data: train.x.data.slice(0, rows * 784), rows, cols: 784 };
    const y = { data: train.y.data.slice(0, rows * 10), rows, cols: 10 };
    const w0 = initialCnnWeights(1);
    const t = await a.cnnTrainer({ weights: w0, lr: CNN.lr, batchSize: rows, x, y });
    if (id === 'tfjs-wasm') {
      await expect(t.epoch(0)).rejects.toThrow(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
      return;
    }
    const loss = await t.epoch(0);
    const ref = cnnStep64(w0, x.data, y.data, rows, CNN.lr);
    expect(Math.abs(loss - ref.loss) / ref.loss, 'loss of the batch').toBeLessThan(1e-4);
    const w1 = await t.weights();
    expect(w1.map((v) => v.shape)).toEqual(w0.map((v) => v.shape));
    w1.forEach((v, i) => {
      close(v.data, ref.weights[i].data, 1e-4, `${v.name} after one step`);
      sameStep(w0[i].data, v.data, ref.weights[i].data, 1e-3, v.name);
    });
    // Its predictions follow from those weights.
    close(
      await t.predict({ data: x.data.subarray(0, 3 * 784), rows: 3, cols: 784 }),
      referenceCnn(w1, x.data, 3),
      1e-5,
      'predict after the step',
    );
    await t.dispose();
  });
});
