// Losses by name (MAE, Huber, sparse categorical cross-entropy) and row weights (sampleWeight, classWeight)
// through compile() and fit(), on both backends.
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, dense, init, loadModel, saveModel, sequential, sgd, type Sequential } from '../../src/index.js';
import { expectClose, rng } from '../helpers/check.js';
import { expectSimdnetError, expectSimdnetErrorAsync } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

/** Three Gaussian blobs in 2-D: labels 0..2, and their one-hot form. */
function blobs(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(2 * n);
  const labels = new Float32Array(n);
  const onehot = new Float32Array(3 * n);
  const centers = [
    [-1, -1],
    [1, -1],
    [0, 1],
  ];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    onehot[3 * i + c] = 1;
    x[2 * i] = centers[c][0] + 0.5 * (r() - 0.5);
    x[2 * i + 1] = centers[c][1] + 0.5 * (r() - 0.5);
  }
  return {
    x: { data: x, shape: [n, 2] as [number, number] },
    labels,
    onehot: { data: onehot, shape: [n, 3] as [number, number] },
  };
}

const classifier = (backend: 'wasm' | 'js' = 'wasm'): Sequential =>
  sequential([dense(8, { activation: 'tanh', inputDim: 2 }), dense(3, { activation: 'softmax' })], {
    seed: 4,
    backend,
  });

const regressor = (): Sequential => sequential([dense(8, { activation: 'tanh', inputDim: 1 }), dense(1)], { seed: 2 });

function line(n: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: n }, () => 2 * r() - 1);
  const y = Float32Array.from(x, (v, i) => 0.5 * v + (i % 10 === 0 ? 4 : 0)); // every 10th row an outlier
  return { x: { data: x, shape: [n, 1] as [number, number] }, y: { data: y, shape: [n, 1] as [number, number] } };
}

describe('losses by name', () => {
  it.each(['wasm', 'js'] as const)(
    'sparseCategoricalCrossentropy trains exactly as categoricalCrossentropy on one-hot labels (%s)',
    async (backend) => {
      const d = blobs(90, 1);
      const a = classifier(backend).compile({
        loss: 'sparseCategoricalCrossentropy',
        optimizer: adam({ learningRate: 0.05 }),
        metrics: ['accuracy'],
      });
      const b = classifier(backend).compile({
        loss: 'categoricalCrossentropy',
        optimizer: adam({ learningRate: 0.05 }),
        metrics: ['accuracy'],
      });
      const ha = await a.fit(d.x, d.labels, { epochs: 8, batchSize: 16, seed: 3 });
      const hb = await b.fit(d.x, d.onehot, { epochs: 8, batchSize: 16, seed: 3 });
      expectClose(ha.history.loss, hb.history.loss, 1e-6, 1e-5, 'loss');
      expect(ha.history.accuracy).toEqual(hb.history.accuracy);
      expect(ha.history.loss.at(-1)!).toBeLessThan(0.5 * ha.history.loss[0]);
      expect(a.evaluate(d.x, d.labels).accuracy).toBeGreaterThan(0.95);
      a.dispose();
      b.dispose();
    },
  );

  it('sparse labels are checked: out of range, fractional, a model without softmax — RANGE, model usable', async () => {
    const d = blobs(30, 2);
    const m = classifier().compile({ loss: 'sparseCategoricalCrossentropy' });
    await expectSimdnetErrorAsync(
      () =>
        m.fit(
          d.x,
          Float32Array.from(d.labels, (v, i) => (i === 7 ? 3 : v)),
        ),
      'RANGE',
      'row 7 is class 3',
    );
    await expectSimdnetErrorAsync(
      () =>
        m.fit(
          d.x,
          Float32Array.from(d.labels, (v, i) => (i === 2 ? 0.5 : v)),
        ),
      'RANGE',
      'row 2 is 0.5',
    );
    const lin = sequential([dense(3, { inputDim: 2 })], { seed: 1 });
    expectSimdnetError(() => lin.compile({ loss: 'sparseCategoricalCrossentropy' }), 'RANGE', 'ends in softmax');
    await m.fit(d.x, d.labels, { epochs: 1 });
    expect(Number.isFinite(m.evaluate(d.x, d.labels).loss)).toBe(true);
    m.dispose();
    lin.dispose();
  });

  it('mae and huber resist outliers that pull mse; Keras aliases give the same run', async () => {
    const d = line(200, 3);
    const clean = line(200, 3);
    clean.y.data.set(Float32Array.from(clean.x.data, (v) => 0.5 * v));
    const errs: Record<string, number> = {};
    for (const loss of ['mse', 'mae', 'meanAbsoluteError', 'huber'] as const) {
      const m = regressor().compile({ loss, optimizer: adam({ learningRate: 0.02 }) });
      const h = await m.fit(d.x, d.y, { epochs: 60, batchSize: 20, seed: 1 });
      expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]);
      const p = m.predict(clean.x).data;
      errs[loss] = p.reduce((s, v, i) => s + Math.abs(v - clean.y.data[i]), 0) / p.length;
      m.dispose();
    }
    expect(errs.mae).toBe(errs.meanAbsoluteError);
    // MSE is pulled up by the +4 outliers (~0.4 offset); MAE and Huber stay close to the clean line.
    expect(errs.mae).toBeLessThan(0.5 * errs.mse);
    expect(errs.huber).toBeLessThan(0.7 * errs.mse);
  });

  it('huber delta: loss matches the formula, is saved with the model, bad options are RANGE', async () => {
    const m = regressor().compile({
      loss: 'huber',
      lossOptions: { delta: 0.25 },
      optimizer: sgd({ learningRate: 0.01 }),
    });
    const x = { data: Float32Array.from([0.1, -0.5, 0.9]), shape: [3, 1] as [number, number] };
    const y = { data: Float32Array.from([3, -0.05, 0.2]), shape: [3, 1] as [number, number] };
    const p = m.predict(x).data;
    const want =
      Array.from(p, (v, i) => {
        const a = Math.abs(v - y.data[i]);
        return a <= 0.25 ? 0.5 * a * a : 0.25 * (a - 0.125);
      }).reduce((s, v) => s + v, 0) / 3;
    expectClose([m.evaluate(x, y).loss], [want], 1e-7, 1e-5, 'huber 0.25');
    const back = loadModel(saveModel(m));
    expect(back.compileSettings()?.lossOptions).toEqual({ delta: 0.25 });
    expectClose([back.evaluate(x, y).loss], [want], 1e-7, 1e-5, 'huber after load');
    expectSimdnetError(() => m.compile({ loss: 'huber', lossOptions: { delta: 0 } }), 'RANGE', 'delta must be');
    expectSimdnetError(() => m.compile({ loss: 'mse', lossOptions: { delta: 2 } }), 'RANGE', "for the 'huber' loss");
    expectSimdnetError(
      () => m.compile({ loss: 'huber', lossOptions: { dleta: 2 } as never }),
      'RANGE',
      "unknown lossOptions key 'dleta'",
    );
    expectSimdnetError(() => m.compile({ loss: 'hubber' as never }), 'RANGE', "unknown loss 'hubber'");
    expectClose([m.evaluate(x, y).loss], [want], 1e-7, 1e-5, 'still compiled as before');
    m.dispose();
    back.dispose();
  });
});

describe('sampleWeight and classWeight', () => {
  const weightsOf = (m: Sequential): number[] => m.getWeights().flatMap((t) => Array.from(t.data));

  it('rows of weight 0 do not count, whatever their targets, through shuffling and the validation split', async () => {
    const d = blobs(60, 5);
    const zero = Float32Array.from({ length: 60 }, (_, i) => (i % 4 === 1 ? 0 : 1 + (i % 3)));
    const garbage = Float32Array.from(d.labels, (v, i) => (i % 4 === 1 ? (v + 1) % 3 : v));
    const runs: number[][] = [];
    for (const labels of [d.labels, garbage]) {
      const m = classifier().compile({
        loss: 'sparseCategoricalCrossentropy',
        optimizer: adam({ learningRate: 0.02 }),
      });
      await m.fit(d.x, labels, { epochs: 3, batchSize: 7, seed: 9, sampleWeight: zero, validationSplit: 0.2 });
      runs.push(weightsOf(m));
      m.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    // And the weights matter: the same run unweighted ends elsewhere.
    const m = classifier().compile({ loss: 'sparseCategoricalCrossentropy', optimizer: adam({ learningRate: 0.02 }) });
    await m.fit(d.x, d.labels, { epochs: 3, batchSize: 7, seed: 9, validationSplit: 0.2 });
    expect(weightsOf(m)).not.toEqual(runs[0]);
    m.dispose();
  });

  it("the mean is Keras's Σ w·loss / batch size: weights of 2 double the loss and equal SGD at twice the rate", async () => {
    const d = line(40, 7);
    const a = regressor().compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.02 }) });
    const b = regressor().compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.04 }) });
    const ha = await a.fit(d.x, d.y, { epochs: 2, batchSize: 8, seed: 1, sampleWeight: new Array(40).fill(2) });
    const hb = await b.fit(d.x, d.y, { epochs: 2, batchSize: 8, seed: 1 });
    expectClose(weightsOf(a), weightsOf(b), 1e-6, 1e-5, 'weights');
    expectClose([ha.history.loss[0]], [2 * hb.history.loss[0]], 0, 1e-5, 'first epoch loss doubled');
    a.dispose();
    b.dispose();
  });

  it('classWeight equals the matching sampleWeight, one-hot, sparse and binary', async () => {
    const d = blobs(45, 6);
    const cw = { 0: 0.5, 2: 3 };
    const sw = Float32Array.from(d.labels, (c) => (c === 0 ? 0.5 : c === 2 ? 3 : 1));
    const runs: number[][] = [];
    for (const [loss, y, opt] of [
      ['sparseCategoricalCrossentropy', d.labels, { classWeight: cw }],
      ['sparseCategoricalCrossentropy', d.labels, { sampleWeight: sw }],
      ['categoricalCrossentropy', d.onehot, { classWeight: cw }],
    ] as const) {
      const m = classifier().compile({ loss, optimizer: adam({ learningRate: 0.02 }) });
      await m.fit(d.x, y, { epochs: 2, batchSize: 8, seed: 2, ...opt });
      runs.push(weightsOf(m));
      m.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    expectClose(runs[2], runs[0], 1e-6, 1e-5, 'one-hot vs sparse');
    // Binary: one sigmoid output, classes 0/1 from the 0/1 target.
    const bx = d.x;
    const by = Float32Array.from(d.labels, (c) => (c === 2 ? 1 : 0));
    const bin = (): Sequential =>
      sequential([dense(4, { activation: 'tanh', inputDim: 2 }), dense(1, { activation: 'sigmoid' })], { seed: 1 });
    const p = bin().compile({ loss: 'binaryCrossentropy', optimizer: sgd({ learningRate: 0.1 }) });
    const q = bin().compile({ loss: 'binaryCrossentropy', optimizer: sgd({ learningRate: 0.1 }) });
    await p.fit(bx, by, { epochs: 2, batchSize: 5, seed: 2, classWeight: { 1: 4 } });
    await q.fit(bx, by, { epochs: 2, batchSize: 5, seed: 2, sampleWeight: Array.from(by, (v) => (v === 1 ? 4 : 1)) });
    expect(weightsOf(p)).toEqual(weightsOf(q));
    p.dispose();
    q.dispose();
  });

  it('bad weights are refused before training; the model stays usable', async () => {
    const d = blobs(30, 3);
    const m = classifier().compile({ loss: 'sparseCategoricalCrossentropy' });
    const before = weightsOf(m);
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { sampleWeight: [1, 2] }),
      'SHAPE',
      'sampleWeight has 2 weights but x has 30 rows',
    );
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { sampleWeight: new Array(30).fill(1).map((v, i) => (i === 4 ? -1 : v)) }),
      'RANGE',
      'sampleWeight[4] is -1',
    );
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { sampleWeight: new Array(30).fill(NaN) }),
      'RANGE',
      'sampleWeight[0] is NaN',
    );
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { sampleWeight: 'heavy' as never }),
      'DTYPE',
      'sampleWeight must be',
    );
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { classWeight: { 3: 1 } }),
      'RANGE',
      "classWeight key '3'",
    );
    await expectSimdnetErrorAsync(
      () => m.fit(d.x, d.labels, { classWeight: { 1: Infinity } }),
      'RANGE',
      'classWeight[1] is Infinity',
    );
    const r = regressor().compile({ loss: 'mse' });
    await expectSimdnetErrorAsync(
      () => r.fit(line(10, 1).x, line(10, 1).y, { classWeight: { 0: 2 } }),
      'RANGE',
      'classWeight needs a classification loss',
    );
    expect(weightsOf(m)).toEqual(before);
    await m.fit(d.x, d.labels, { epochs: 1, sampleWeight: new Array(30).fill(1) });
    expect(Number.isFinite(m.evaluate(d.x, d.labels).loss)).toBe(true);
    m.dispose();
    r.dispose();
  });
});
