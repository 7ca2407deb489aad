// Convolutional models end to end: shapes refused at build time, outputs and gradients against an f64 reference
// written from the layer definitions (test/helpers/net-ref.ts), training on a real (small) image task, save/load,
// freezing, features, on both backends.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  averagePooling2d,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  init,
  loadModel,
  maxPooling2d,
  reshape,
  saveModel,
  sequential,
  sgd,
  adam,
  earlyStopping,
  saliency,
  integratedGradients,
  transfer,
  type LayerSpec,
} from '../../src/index.js';
import { distill } from '../../src/compress/distill.js';
import { directDxWorkspaceFloats } from '../../src/layers/conv2d.js';
import { getEngine } from '../../src/runtime/engine.js';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';
import { refCrossEntropy, refForward } from '../helpers/net-ref.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

const BACKENDS = ['wasm', 'js'] as const;

/** One-hot rows of m labels over n classes. */
function oneHotRows(labels: ArrayLike<number>, n: number): Float32Array {
  const t = new Float32Array(labels.length * n);
  for (let i = 0; i < labels.length; i++) t[i * n + labels[i]] = 1;
  return t;
}

/** Every layer type with every option that changes the arithmetic; smooth activations (finite differences). */
function zoo(): LayerSpec[] {
  return [
    conv2d(4, 3, { padding: 'same', activation: 'tanh', inputShape: [7, 6, 2] }), // 4 channels on: the direct data gradient
    averagePooling2d(2, { padding: 'same' }),
    conv2d(4, [2, 3], { strides: [1, 2], activation: 'sigmoid' }),
    batchNormalization({ momentum: 0.9 }),
    maxPooling2d([2, 1], { strides: 1 }),
    reshape([-1, 4]),
    flatten(),
    dense(5, { activation: 'tanh' }),
    reshape([5, 1, 1]),
    conv2d(2, [2, 1], { padding: 'same', activation: 'tanh' }), // 1 input channel, not first: the c = 1 data gradient
    conv2d(6, 1, { activation: 'linear' }),
    globalAveragePooling2d(),
    dense(3, { activation: 'softmax' }),
  ];
}

describe('convolutional layers', () => {
  it('refuse a shape that does not fit when the model is built, naming the layer and both shapes', () => {
    const big = sequential([conv2d(4, 7, { inputShape: [5, 5, 1], name: 'c7' }), flatten(), dense(2)]);
    expectSimdnetError(
      () => big.build([5, 5, 1]),
      'SHAPE',
      /layer 'c7' \(conv2d\) cannot take input \[5, 5, 1\]: a 7x7 window .* output of -?\d+x-?\d+/,
    );
    const pool = sequential([
      conv2d(2, 3, { inputShape: [3, 3, 1] }),
      maxPooling2d(2, { name: 'p' }),
      flatten(),
      dense(2),
    ]);
    expectSimdnetError(
      () => pool.build([3, 3, 1]),
      'SHAPE',
      /layer 'p' \(maxPooling2d\) cannot take input \[1, 1, 2\]: a 2x2 window with 'valid' padding gives an output of 0x0/,
    );
    const noFlat = sequential([conv2d(2, 3, { inputShape: [4, 4, 1] }), dense(2, { name: 'd' })]);
    expectSimdnetError(
      () => noFlat.build([4, 4, 1]),
      'SHAPE',
      /layer 'd' \(dense\) cannot take input \[2, 2, 2\]: .*flatten\(\)/,
    );
    const noShape = sequential([conv2d(2, 3, { name: 'c' }), flatten(), dense(2)]);
    expectSimdnetError(() => noShape.build(16), 'SHAPE', /layer 'c' \(conv2d\) cannot take input \[16\]/);
    expectSimdnetError(() => reshape([3, 0]), 'RANGE', /targetShape/);
    expectSimdnetError(() => conv2d(2, 3, { padding: 'full' as 'same' }), 'RANGE', /padding/);
    expectSimdnetError(() => conv2d(2, 3, { inputShape: [4, 4] as never }), 'RANGE', /\[height, width, channels\]/);
    // A refused build leaves the model usable with a shape that fits.
    expect(sequential([conv2d(2, 3, { name: 'ok' }), flatten(), dense(2)]).build([5, 5, 1]).outputShape).toEqual([2]);
  });

  it('size the direct data-gradient workspace as the kernel asks', () => {
    const k = getEngine().k;
    for (const [kh, kw, c, f] of [
      [5, 5, 8, 16],
      [3, 3, 4, 7],
      [1, 7, 5, 1],
      [2, 3, 9, 33],
    ]) {
      const g = { h: 9, w: 9, c, kh, kw, sh: 1, sw: 1, padT: 0, padL: 0, oh: 1, ow: 1 };
      expect(directDxWorkspaceFloats(g, f) * 4).toBe(k.conv2d_backward_x_workspace_size(kh, kw, c, f));
    }
  });

  it('have Keras shapes, weights in HWIO layout, a summary and parameter counts', () => {
    const m = sequential(zoo(), { seed: 3 });
    m.build([7, 6, 2]);
    expect(m.inputShape).toEqual([7, 6, 2]);
    expect(m.inputDim).toBe(84);
    expect(m.outputShape).toEqual([3]);
    const w = m.getWeights();
    expect(w.map((t) => t.shape)).toEqual([
      [3, 3, 2, 4],
      [4],
      [2, 3, 4, 4],
      [4],
      [4],
      [4],
      [4],
      [4],
      [8, 5],
      [5],
      [2, 1, 1, 2],
      [2],
      [1, 1, 2, 6],
      [6],
      [6, 3],
      [3],
    ]);
    expect(w.map((t) => t.name.split('/')[1])).toEqual([
      'kernel',
      'bias',
      'kernel',
      'bias',
      'gamma',
      'beta',
      'movingMean',
      'movingVariance',
      'kernel',
      'bias',
      'kernel',
      'bias',
      'kernel',
      'bias',
      'kernel',
      'bias',
    ]);
    expect(Array.from(w[4].data)).toEqual([1, 1, 1, 1]); // gamma
    expect(Array.from(w[7].data)).toEqual([1, 1, 1, 1]); // moving variance
    const total = w.reduce((n, t) => n + t.data.length, 0);
    expect(m.countParams()).toEqual({ total, trainable: total - 8 });
    const s = m.summary();
    expect(s).toMatch(/\(conv2d\)\s+\[batch, 7, 6, 4\]\s+3x3 same tanh\s+76/);
    expect(s).toMatch(/\(maxPooling2d\)\s+\[batch, 2, 1, 4\]/);
    expect(s).toMatch(/input 7x6x2/);
    m.dispose();
  });

  for (const backend of BACKENDS) {
    it(`forward and one SGD step match the f64 reference (${backend})`, async () => {
      const m = sequential(zoo(), { seed: 11, backend });
      m.build([7, 6, 2]);
      const rows = 5;
      const x = randArray(rows * 84, 21);
      const labels = Int32Array.from({ length: rows }, (_, i) => i % 3);
      const t = oneHotRows(labels, 3);
      const before = m.getWeights().map((w) => Float64Array.from(w.data));
      // Inference (moving statistics) against the reference.
      const p = m.predict({ data: x, shape: [rows, 84] });
      expectClose(p.data, refForward(m.layers, before, [7, 6, 2], Float64Array.from(x), rows), 2e-6, 1e-4, 'predict');
      // One full-batch SGD step with lr 1: the weight change is minus the gradient of the batch loss.
      m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 1 }) });
      await m.fit({ data: x, shape: [rows, 84] }, labels, { epochs: 1, batchSize: rows, shuffle: false });
      const after = m.getWeights();
      const loss = (ws: Float64Array[]) =>
        refCrossEntropy(refForward(m.layers, ws, [7, 6, 2], Float64Array.from(x), rows, true), t, rows, 3);
      const h = 1e-6;
      const names = after.map((w) => w.name);
      before.forEach((w, i) => {
        if (/moving/.test(names[i])) return; // statistics, not trained
        const fd = new Float64Array(w.length);
        for (let j = 0; j < w.length; j++) {
          const plus = before.map((a) => a.slice());
          const minus = before.map((a) => a.slice());
          plus[i][j] += h;
          minus[i][j] -= h;
          fd[j] = (loss(plus) - loss(minus)) / (2 * h);
        }
        const step = Float64Array.from(w, (v, j) => v - after[i].data[j]);
        expectClose(step, fd, 3e-5, 2e-3, `gradient of ${names[i]}`);
      });
      // The moving statistics moved 10 % of the way to the batch's.
      const mm = after[names.indexOf(`${m.layers[3].name}/movingMean`)].data;
      expect(mm.some((v) => v !== 0)).toBe(true);
      m.dispose();
    });
  }

  it('train on a small image task, save/load bit-identically, freeze, and give features', async () => {
    // 10x10 images with one bright 3-pixel bar, horizontal (class 0), vertical (1) or diagonal (2), plus noise.
    const n = 600;
    const r = rng(5);
    const x = new Float32Array(n * 100);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const cls = i % 3;
      labels[i] = cls;
      const y0 = 1 + Math.floor(r() * 7);
      const x0 = 1 + Math.floor(r() * 7);
      for (let p = 0; p < 100; p++) x[i * 100 + p] = 0.3 * r();
      for (let s = 0; s < 3; s++) {
        const [yy, xx] = cls === 0 ? [y0, x0 + s - 1] : cls === 1 ? [y0 + s - 1, x0] : [y0 + s - 1, x0 + s - 1];
        x[i * 100 + yy * 10 + xx] = 1;
      }
    }
    const data = { data: x, shape: [n, 100] as [number, number] };
    const m = sequential(
      [
        conv2d(8, 3, { activation: 'relu', padding: 'same', inputShape: [10, 10, 1] }),
        maxPooling2d(2),
        conv2d(8, 3, { activation: 'relu' }),
        batchNormalization(),
        globalAveragePooling2d(),
        dropout(0.1),
        dense(3, { activation: 'softmax' }),
      ],
      { seed: 1 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const h = await m.fit(data, labels, { epochs: 25, batchSize: 32, seed: 2 });
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]);
    const acc = m.evaluate(data, labels).accuracy!;
    expect(acc).toBeGreaterThan(0.95);
    const p = m.predict(data);
    const back = loadModel(saveModel(m));
    expect(back.inputShape).toEqual([10, 10, 1]);
    expect(Array.from(back.predict(data).data)).toEqual(Array.from(p.data));
    expect(back.summary()).toBe(m.summary());
    // Freezing the body keeps its weights through training (batch norm then uses its moving statistics).
    back.setTrainable([0, 2, 3], false);
    expect(back.countParams().trainable).toBe(8 * 3 + 3);
    const frozen = back.getWeights().slice(0, 8);
    back.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
    await back.fit(data, labels, { epochs: 1, batchSize: 32 });
    back
      .getWeights()
      .slice(0, 8)
      .forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(frozen[i].data)));
    // Features of an inner layer: the pooled channels.
    const f = back.features(data, 4);
    expect([f.rows, f.cols]).toEqual([n, 8]);
    m.dispose();
    back.dispose();
  });

  it('saliency and integrated gradients match the f64 reference through conv, pooling and batch norm', () => {
    const m = sequential(zoo(), { seed: 4 });
    m.build([7, 6, 2]);
    const rows = 3;
    const x = randArray(rows * 84, 8);
    const weights = m.getWeights().map((w) => Float64Array.from(w.data));
    const classOf = Array.from(m.predictClasses({ data: x, shape: [rows, 84] }));
    const sal = saliency(m, { data: x, shape: [rows, 84] }, { space: 'output', absolute: false });
    const h = 1e-6;
    const fd = new Float64Array(rows * 84);
    for (let r = 0; r < rows; r++) {
      const row = Float64Array.from(x.subarray(r * 84, (r + 1) * 84));
      for (let j = 0; j < 84; j++) {
        const plus = row.slice();
        const minus = row.slice();
        plus[j] += h;
        minus[j] -= h;
        const f = (v: Float64Array) => refForward(m.layers, weights, [7, 6, 2], v, 1)[classOf[r]];
        fd[r * 84 + j] = (f(plus) - f(minus)) / (2 * h);
      }
    }
    expectClose(sal.data, fd, 1e-5, 2e-3, 'saliency');
    const ig = integratedGradients(m, { data: x, shape: [rows, 84] }, { steps: 128 });
    for (const d of ig.delta) expect(Math.abs(d)).toBeLessThan(2e-3); // completeness
    m.dispose();
  });

  it('every optimizer, L2, early stopping, transfer and distillation work on a CNN', async () => {
    const n = 240;
    const x = randArray(n * 64, 31, 0, 1);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (let i = 0; i < n; i++) if (labels[i] === 1) for (let p = 0; p < 8; p++) x[i * 64 + 3 * 8 + p] += 1.5; // a bright row
    const data = { data: x, shape: [n, 64] as [number, number] };
    const cnn = (seed: number, f = 6) =>
      sequential(
        [
          conv2d(f, 3, { activation: 'relu', inputShape: [8, 8, 1], kernelRegularizer: { l2: 1e-3 } }),
          maxPooling2d(2),
          flatten(),
          dense(2, { activation: 'softmax' }),
        ],
        { seed },
      );
    for (const optimizer of [
      sgd({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
      adam({ learningRate: 0.01 }),
      adam({ learningRate: 0.01, weightDecay: 1e-4, decoupled: true }),
    ]) {
      const m = cnn(3);
      m.compile({ loss: 'categoricalCrossentropy', optimizer, metrics: ['accuracy'] });
      const h = await m.fit(data, labels, {
        epochs: 8,
        batchSize: 16,
        seed: 1,
        callbacks: earlyStopping({ monitor: 'loss', patience: 2 }),
      });
      expect(h.history.loss.every(Number.isFinite)).toBe(true);
      expect(m.evaluate(data, labels).accuracy!, `${optimizer.type} ${JSON.stringify(h.history.loss)}`).toBeGreaterThan(
        0.9,
      );
      // The L2 term is in the loss: evaluate's loss minus the data loss is l2 · Σw² of the conv kernel.
      const w = m.getWeights()[0].data;
      const l2 = 1e-3 * w.reduce((a, v) => a + v * v, 0);
      const p = m.predict(data).data;
      let ce = 0;
      for (let i = 0; i < n; i++) ce -= Math.log(p[i * 2 + labels[i]]) / n;
      expect(m.evaluate(data, labels).loss).toBeCloseTo(ce + l2, 4);
      if (optimizer.type === 'adam' && !('decoupled' in optimizer && optimizer.decoupled)) {
        // Transfer: the conv body, frozen, with a new head; the body's weights stay as they were.
        const t = transfer(m, { head: [dense(2, { activation: 'softmax' })], seed: 9 });
        expect(t.layers.map((l) => l.type)).toEqual(['conv2d', 'maxPooling2d', 'flatten', 'dense']);
        expect(t.countParams().trainable).toBe(6 * 3 * 3 * 2 + 2);
        t.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
        await t.fit(data, labels, { epochs: 10, batchSize: 16, seed: 1 });
        expect(Array.from(t.getWeights()[0].data)).toEqual(Array.from(m.getWeights()[0].data));
        expect(t.evaluate(data, labels).accuracy!).toBeGreaterThan(0.9);
        // Distillation into a smaller CNN.
        const student = cnn(5, 2);
        student.compile({
          loss: 'categoricalCrossentropy',
          optimizer: adam({ learningRate: 0.01 }),
          metrics: ['accuracy'],
        });
        await distill(m, student, data, labels, { epochs: 10, batchSize: 16, seed: 1, temperature: 2, alpha: 0.5 });
        expect(student.evaluate(data, labels).accuracy!).toBeGreaterThan(0.9);
        t.dispose();
        student.dispose();
      }
      m.dispose();
    }
  });
});
