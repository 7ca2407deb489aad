// The public model API: shapes, weights, determinism, errors that name the problem, and a model that stays usable.
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, dense, dropout, init, sequential, sgd, activation } from '../../src/index.js';
import { randArray } from '../helpers/check.js';
import { expectSimdnetErrorAsync } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
});

function blobs(n: number, seed: number) {
  // Three Gaussian-ish blobs in 4-D: an easy, real classification problem.
  const x = randArray(n * 4, seed, -0.5, 0.5);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    x[i * 4 + c] += 2;
  }
  return { x: { data: x, shape: [n, 4] as [number, number] }, labels };
}

const small = (seed = 7, backend: 'wasm' | 'js' = 'wasm') =>
  sequential([dense(8, { activation: 'relu', inputDim: 4 }), dense(3, { activation: 'softmax' })], { seed, backend });

const expectError = expectSimdnetErrorAsync;

describe('Sequential', () => {
  it('builds with Keras-shaped weights and a summary', () => {
    const m = small();
    const w = m.getWeights();
    expect(w.map((t) => t.shape)).toEqual([[4, 8], [8], [8, 3], [3]]);
    expect(w[1].data.every((v) => v === 0)).toBe(true); // biases start at zero
    expect(m.summary()).toMatch(/Total params: 67/);
    m.dispose();
  });

  it('the same seed gives the same initial and trained weights; another seed differs', async () => {
    const { x, labels } = blobs(90, 1);
    const run = async (seed: number) => {
      const m = small(seed);
      m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
      await m.fit(x, labels, { epochs: 3, batchSize: 16, seed });
      const w = m.getWeights();
      m.dispose();
      return w;
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    a.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(b[i].data)));
    expect(Array.from(a[0].data)).not.toEqual(Array.from(c[0].data));
  });

  it('learns blobs on both backends, and the backends agree closely', async () => {
    const { x, labels } = blobs(300, 2);
    const accs: number[] = [];
    const preds: Float32Array[] = [];
    for (const backend of ['wasm', 'js'] as const) {
      const m = small(11, backend);
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
      await m.fit(x, labels, { epochs: 10, batchSize: 32, seed: 3 });
      accs.push(m.evaluate(x, labels).accuracy!);
      preds.push(m.predict(x).data);
      // Compiled with the fused softmax + cross-entropy, predict still returns probabilities.
      const p = preds.at(-1)!;
      for (let r = 0; r < 300; r++) expect(p[3 * r] + p[3 * r + 1] + p[3 * r + 2]).toBeCloseTo(1, 5);
      m.dispose();
    }
    expect(accs[0]).toBeGreaterThan(0.95);
    expect(accs[1]).toBeGreaterThan(0.95);
    let maxDiff = 0;
    for (let i = 0; i < preds[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(preds[0][i] - preds[1][i]));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('setWeights round-trips and predict follows the weights', () => {
    const m = small();
    const w = m.getWeights();
    const x = [[1, 2, 3, 4]];
    const before = m.predict(x).data.slice();
    w[3].data[0] += 5; // push the bias of class 0
    m.setWeights(w);
    expect(m.getWeights()[3].data[0]).toBeCloseTo(w[3].data[0]);
    const after = m.predict(x).data;
    expect(after[0]).toBeGreaterThan(before[0]);
    m.dispose();
  });

  it('a frozen layer gets no updates; the trainable one does', async () => {
    const m = sequential(
      [dense(8, { activation: 'relu', inputDim: 4, trainable: false }), dense(3, { activation: 'softmax' })],
      { seed: 1 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.1 }) });
    const w0 = m.getWeights();
    const { x, labels } = blobs(60, 3);
    await m.fit(x, labels, { epochs: 2, batchSize: 10, seed: 1 });
    const w1 = m.getWeights();
    expect(Array.from(w1[0].data)).toEqual(Array.from(w0[0].data));
    expect(Array.from(w1[2].data)).not.toEqual(Array.from(w0[2].data));
    expect(m.countParams()).toEqual({ total: 67, trainable: 27 });
    m.dispose();
  });

  it('dropout is active in training only, and a standalone activation layer works', async () => {
    const m = sequential(
      [dense(16, { inputDim: 4 }), activation('tanh'), dropout(0.5), dense(3, { activation: 'softmax' })],
      { seed: 2 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['accuracy'] });
    const { x, labels } = blobs(150, 4);
    const a = m.predict(x).data.slice();
    const b = m.predict(x).data; // inference is deterministic: no dropout
    expect(Array.from(a)).toEqual(Array.from(b));
    await m.fit(x, labels, { epochs: 15, batchSize: 16, seed: 2 });
    expect(m.evaluate(x, labels).accuracy).toBeGreaterThan(0.9);
    m.dispose();
  });

  it('predict handles more rows than the batch size, and batch size 1', () => {
    const m = small();
    const x = randArray(1000 * 4, 9);
    const all = m.predict({ data: x, shape: [1000, 4] }, { batchSize: 64 }).data;
    const one = m.predict({ data: x.subarray(999 * 4), shape: [1, 4] }).data;
    expect(Array.from(one)).toEqual(Array.from(all.subarray(999 * 3)));
    const sums = Array.from({ length: 1000 }, (_, r) => all[3 * r] + all[3 * r + 1] + all[3 * r + 2]);
    sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
    expect(m.predictClasses({ data: x, shape: [1000, 4] }).length).toBe(1000);
    m.dispose();
  });
});

describe('bad input gets a clear error and the model stays usable', () => {
  it('rejects wrong shapes, NaN, labels out of range, empty data, bad options', async () => {
    const m = small();
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const { x, labels } = blobs(30, 5);
    const w0 = m.getWeights();
    await expectError(() => m.fit([[1, 2, 3]], [0]), 'SHAPE', /3 values|expected 4|4 columns/);
    await expectError(() => m.fit([[1, 2, NaN, 4]], [0]), 'NONFINITE', /row 0/);
    await expectError(
      () =>
        m.fit(
          x,
          Int32Array.from(labels, (v) => v + 1),
        ),
      'RANGE',
      /3/,
    );
    await expectError(() => m.fit(x, labels.subarray(0, 10)), 'SHAPE', /rows/);
    await expectError(() => m.fit([], []), 'EMPTY', /empty/);
    await expectError(() => m.fit(x, labels, { batchSize: 0 }), 'RANGE', /batchSize/);
    await expectError(() => m.fit(x, labels, { validationSplit: 1.5 }), 'RANGE', /validationSplit/);
    await expectError(
      () => m.fit(x, [[0.5, 0.5, 2]].concat(Array(29).fill([1, 0, 0]))),
      'RANGE',
      /targets in \[0, 1\]/,
    );
    expect(() => m.predict([[1, 2, Infinity, 4]])).toThrow(/NaN|Inf/);
    // Float32Array inputs are used in place and checked by a kernel: same clear error, naming row and column.
    const f = new Float32Array(300 * 4).fill(0.5);
    f[290 * 4 + 1] = NaN;
    expect(() => m.predict({ data: f, shape: [300, 4] }, { batchSize: 64 })).toThrow(/x has NaN at row 290, col 1/);
    expect(() => m.predict({ data: f, shape: [300, 3] })).toThrow(/300|shape|values|3 columns|expected 4/);
    expect(() => m.setWeights(w0.slice(1))).toThrow(/4 tensors|got 3/);
    expect(() => m.setWeights([w0[0], w0[1], { shape: [3, 8], data: w0[2].data }, w0[3]])).toThrow(/shape/);
    const nanW = w0.map((t) => ({ ...t, data: t.data.slice() }));
    nanW[2].data[5] = NaN;
    expect(() => m.setWeights(nanW)).toThrow(/NaN\/Inf.*dense/);
    // Nothing changed, and training still works.
    m.getWeights().forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(w0[i].data)));
    const before = m.evaluate(x, labels).loss;
    await m.fit(x, labels, { epochs: 20, batchSize: 8, seed: 1 });
    expect(m.evaluate(x, labels).loss).toBeLessThan(0.8 * before);
    m.dispose();
  });

  it('rejects bad layer options and compile options', () => {
    expect(() => dense(0)).toThrow(/positive integer/);
    expect(() => dense(3, { activation: 'swish' as never })).toThrow(/unknown activation 'swish'/);
    expect(() => dropout(1)).toThrow(/\[0, 1\)/);
    const m = small();
    expect(() => m.compile({ loss: 'hinge' as never })).toThrow(/unknown loss 'hinge'/);
    expect(() => m.compile({ loss: 'mse', optimizer: 'adadelta' as never })).toThrow(/unknown optimizer/);
    expect(() => m.compile({ loss: 'mse', optimizer: sgd({ learningRate: -1 }) })).toThrow(/learningRate/);
    m.dispose();
  });

  it('a disposed model refuses every call', async () => {
    const m = small();
    m.dispose();
    expect(() => m.predict([[1, 2, 3, 4]])).toThrow(/disposed/);
    expect(() => m.getWeights()).toThrow(/disposed/);
    await expectError(() => m.fit([[1, 2, 3, 4]], [0]), 'DISPOSED', /disposed/);
    m.dispose(); // twice is fine
  });

  it('fit before compile says so', async () => {
    const m = small();
    await expectError(() => m.fit([[1, 2, 3, 4]], [0]), 'STATE', /compile/);
    m.dispose();
  });
});

describe('transfer-learning building blocks', () => {
  it('setTrainable freezes a layer after training started, keeps weights, and features() reads an inner layer', async () => {
    const { x, labels } = blobs(90, 8);
    const m = sequential(
      [dense(8, { activation: 'relu', inputDim: 4, name: 'body' }), dense(3, { activation: 'softmax', name: 'head' })],
      { seed: 3 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    await m.fit(x, labels, { epochs: 2, batchSize: 16, seed: 1 });
    const w0 = m.getWeights();
    const p0 = m.predict(x).data.slice();
    m.setTrainable('body', false);
    expect(m.countParams()).toEqual({ total: 67, trainable: 27 });
    // Same function after the re-layout.
    expect(Array.from(m.predict(x).data)).toEqual(Array.from(p0));
    await m.fit(x, labels, { epochs: 3, batchSize: 16, seed: 2 });
    const w1 = m.getWeights();
    expect(Array.from(w1[0].data)).toEqual(Array.from(w0[0].data)); // frozen body unchanged
    expect(Array.from(w1[2].data)).not.toEqual(Array.from(w0[2].data)); // head trained
    // features() of the body = relu(x·W + b), checked against a plain computation.
    const f = m.features(x, 'body');
    expect([f.rows, f.cols]).toEqual([90, 8]);
    const W = w1[0].data;
    const b = w1[1].data;
    for (const r of [0, 45, 89]) {
      for (let j = 0; j < 8; j++) {
        let z = b[j];
        for (let i = 0; i < 4; i++) z += x.data[r * 4 + i] * W[i * 8 + j];
        expect(f.data[r * 8 + j]).toBeCloseTo(Math.max(0, z), 5);
      }
    }
    expect(() => m.features(x, 'nope')).toThrow(/no layer "nope".*body, head/);
    expect(() => m.setTrainable(5, true)).toThrow(/no layer 5/);
    m.setTrainable(['body'], true);
    expect(m.countParams().trainable).toBe(67);
    m.dispose();
  });
});
