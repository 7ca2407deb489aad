// A model that carries its preprocessing: a fitted scaler, one-hot columns and class names, applied by the model to
// the raw rows fit / evaluate / predict get, saved in every file kind and handed back by loadModel.
import { beforeAll, describe, expect, it } from 'vitest';
import { MinMaxScaler, Standardizer, adam, dense, init, loadModel, saveModel, sequential } from '../../src/index.js';
import { SparseModel, loadQuantized, pruneMagnitude, quantizeModel, saveQuantized } from '../../src/compress/index.js';
import { rng } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

/** Two classes told apart by column 1, on columns of wildly different scales (as real tables are). */
function table(n: number, seed: number) {
  const r = rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    x.push([1000 + 300 * r(), 0.002 * (c + r() * 0.9), 50 * r() - 25]);
    y.push(c);
  }
  return { x, y };
}

const net = (backend: 'wasm' | 'js' = 'wasm') =>
  sequential([dense(8, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], {
    seed: 2,
    backend,
  });

describe.each(['wasm', 'js'] as const)('setPreprocessing (%s)', (backend) => {
  it('predict on raw rows equals predict on rows the scaler transformed, for a model without it', () => {
    const { x } = table(50, 1);
    const scaler = new Standardizer().fit(x);
    const plain = net(backend);
    const withPrep = net(backend).setPreprocessing({ scaler, classes: ['no', 'yes'] });
    const a = withPrep.predict(x);
    const b = plain.predict(scaler.transform(x));
    for (let i = 0; i < a.data.length; i++) expect(Math.abs(a.data[i] - b.data[i])).toBeLessThan(2e-6);
    // A Float32Array of raw rows takes the staged path (scaled in place by the kernel): same numbers as arrays.
    const flat = Float32Array.from(x.flat());
    expect(Array.from(withPrep.predict({ data: flat, shape: [50, 3] }).data)).toEqual(Array.from(a.data));
    expect(withPrep.predictClasses(x, { names: true }).every((s) => s === 'no' || s === 'yes')).toBe(true);
    plain.dispose();
    withPrep.dispose();
  });
});

describe('a model with preprocessing', () => {
  it('trains on raw, badly scaled rows; saved and loaded it predicts the same, with class names', async () => {
    const tr = table(400, 2);
    const te = table(100, 3);
    const m = net().setPreprocessing({ scaler: new Standardizer().fit(tr.x), classes: ['low', 'high'] });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    await m.fit(tr.x, tr.y, { epochs: 30, batchSize: 32, seed: 1 });
    const acc = m.evaluate(te.x, te.y).accuracy!;
    expect(acc).toBeGreaterThan(0.9);
    const back = loadModel(saveModel(m));
    expect(back.preprocessing?.classes).toEqual(['low', 'high']);
    expect(back.preprocessing?.scaler).toBeInstanceOf(Standardizer);
    expect(Array.from(back.predict(te.x).data)).toEqual(Array.from(m.predict(te.x).data));
    const names = back.predictClasses(te.x, { names: true });
    const right = names.filter((s, i) => s === ['low', 'high'][te.y[i]]).length;
    expect(right / 100).toBeCloseTo(acc, 12);
    // Without its scaler the same weights are near chance: the preprocessing is what makes the answers right.
    back.setPreprocessing(null);
    expect(back.evaluate(te.x, te.y).accuracy!).toBeLessThan(0.75);
    // A quantized copy carries it too (metadata travels), and its file keeps it.
    const q = quantizeModel(m);
    const q2 = loadQuantized(saveQuantized(q));
    expect(q2.preprocessing?.classes).toEqual(['low', 'high']);
    expect(q2.evaluate(te.x, te.y).accuracy).toBeGreaterThan(0.9);
    expect(q2.predictClasses(te.x, { names: true })).toHaveLength(100);
    // So does a pruned, sparse copy.
    pruneMagnitude(m, { sparsity: 0.3 });
    const sp = SparseModel.load(SparseModel.fromModel(m).save());
    expect(sp.preprocessing?.scaler?.cols).toBe(3);
    expect(sp.evaluate(te.x, te.y).accuracy).toBeGreaterThan(0.85);
    for (const d of [m, back, q, q2, sp]) d.dispose();
  });

  it('encodes rows given as objects: numbers by name, one-hot categories; a min-max scaler after', () => {
    const m = sequential([dense(2, { inputDim: 4 })], { seed: 1 });
    const encoded = [
      [2, 0, 1, 0],
      [4, 1, 0, 0],
      [6, 0, 0, 1],
    ];
    const scaler = new MinMaxScaler().fit(encoded);
    m.setPreprocessing({ features: ['size', 'colour'], oneHot: { colour: ['blue', 'green', 'red'] }, scaler });
    const rows = [
      { colour: 'green', size: 2 },
      { size: '4', colour: 'blue' },
      { size: 6, colour: 'red', extra: 'ignored' },
    ];
    const plain = sequential([dense(2, { inputDim: 4 })], { seed: 1 });
    const want = plain.predict(scaler.transform(encoded));
    const got = m.predict(rows);
    for (let i = 0; i < 6; i++) expect(got.data[i]).toBeCloseTo(want.data[i], 6);
    expectSimdnetError(
      () => m.predict([{ size: 1, colour: 'pink' }]),
      'FORMAT',
      /row 0: 'colour' is "pink", not one of its categories \(blue, green, red\)/,
    );
    expectSimdnetError(() => m.predict([{ colour: 'red' }]), 'FORMAT', /row 0: 'size' is missing/);
    expect(m.predict(rows).rows).toBe(3); // still usable
    m.dispose();
    plain.dispose();
  });

  it('refuses what does not fit, leaving the model as it was', () => {
    const m = net();
    expectSimdnetError(
      () => m.setPreprocessing({ scaler: new Standardizer() }),
      'STATE',
      /not fitted: call scaler.fit\(trainX\)/,
    );
    expectSimdnetError(
      () =>
        m.setPreprocessing({
          scaler: new Standardizer().fit([
            [1, 2],
            [3, 4],
          ]),
        }),
      'SHAPE',
      /fitted on 2 columns, the model takes 3/,
    );
    expectSimdnetError(
      () => m.setPreprocessing({ classes: ['a', 'b', 'c'] }),
      'SHAPE',
      /3 class names for a model with 2 outputs/,
    );
    expectSimdnetError(
      () => m.setPreprocessing({ features: ['a', 'b'] }),
      'SHAPE',
      /encode into 2 values a row, the model takes 3/,
    );
    expectSimdnetError(() => m.predictClasses([[1, 2, 3]], { names: true }), 'STATE', /no class names/);
    expect(m.preprocessing).toBeUndefined();
    expect(m.metadata).toEqual({});
    m.dispose();
  });

  it('loadModel refuses a file whose preprocessing does not fit the model (FORMAT), and files without one load as before', () => {
    const m = net();
    m.build(3);
    m.metadata = { preprocessing: { version: 1, input: 'matrix', task: 'regression', inputs: 7 }, note: 'x' };
    expectSimdnetError(
      () => loadModel(saveModel(m)),
      'FORMAT',
      /preprocessing \(metadata\.preprocessing\) is for 7 inputs a row, the model takes 3/,
    );
    m.metadata = { preprocessing: 'standardize' }; // not a preprocessing object: free-form metadata, left alone
    const back = loadModel(saveModel(m));
    expect(back.preprocessing).toBeUndefined();
    expect(back.predict([[1, 2, 3]]).rows).toBe(1);
    back.dispose();
    m.dispose();
  });
});
