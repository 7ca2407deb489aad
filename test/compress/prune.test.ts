// Pruning end to end on the mnist digits (one 784-300-100-10 model trained once, reloaded per test) and the
// utilities' contracts on small models: exact magnitude selection, masks held through training, neuron surgery,
// the sparse model and its file, and every rejected call leaving the model as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  SimdnetError,
  activation,
  adam,
  dense,
  dropout,
  init,
  loadModel,
  saveModel,
  sequential,
  type Sequential,
} from '../../src/index.js';
import {
  SparseModel,
  pruneIteratively,
  pruneMagnitude,
  pruneNeurons,
  pruningSession,
  sparsityOf,
  startPruning,
} from '../../src/compress/index.js';
import { asVersion1, reseal } from '../helpers/files.js';
import { randArray } from '../helpers/check.js';
import type { ErrorCode } from '../../src/errors.js';
import { expectSimdnetError } from '../helpers/errors.js';

let data: ReturnType<typeof loadMnist>;
let baseBytes: Uint8Array;
let baseAcc: number;

/** A fresh copy of the trained 784-300-100-10 model. */
const base = (): Sequential => loadModel(baseBytes);

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
  data = loadMnist({ seed: 1 });
  const m = sequential(
    [
      dense(300, { activation: 'relu', inputDim: 784 }),
      dense(100, { activation: 'relu' }),
      dense(10, { activation: 'softmax' }),
    ],
    { seed: 1 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  await m.fit(data.train.x, data.train.y, { epochs: 8, batchSize: 64, seed: 1 });
  baseAcc = m.evaluate(data.test.x, data.test.y).accuracy!;
  baseBytes = saveModel(m);
  m.dispose();
}, 120_000);

/** A small model with known weights. */
function small(options: { frozen?: boolean; backend?: 'js' | 'wasm' } = {}): Sequential {
  const m = sequential(
    [
      dense(8, { activation: 'relu', inputDim: 5, name: 'h1', trainable: !options.frozen }),
      dropout(0.1, { name: 'drop' }),
      dense(6, { activation: 'tanh', name: 'h2' }),
      dense(3, { activation: 'softmax', name: 'out' }),
    ],
    { seed: 4, backend: options.backend ?? 'wasm' },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-2 }), metrics: ['accuracy'] });
  m.build(5);
  return m;
}

function toyData(rows: number, seed: number): { x: { data: Float32Array; shape: [number, number] }; y: Int32Array } {
  const x = randArray(rows * 5, seed);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) y[r] = x[r * 5] + x[r * 5 + 1] > 0.3 ? 0 : x[r * 5 + 2] > 0 ? 1 : 2;
  return { x: { data: x, shape: [rows, 5] }, y };
}

const flat = (m: Sequential): Float32Array[] => m.getWeights().map((w) => w.data);

/** Expects fn to throw a SimdnetError with this code and a message matching `msg`, and the model unchanged. */
function rejects(m: Sequential, fn: () => unknown, code: ErrorCode, msg: RegExp): void {
  const before = flat(m);
  expectSimdnetError(fn, code, msg);
  expect(flat(m)).toEqual(before);
}

describe('pruning the 784-300-100-10 MNIST model', () => {
  it('90% of the weights removed (iterative, global, retrained at lr/10) loses at most 0.5 points; the sparse model agrees and its file is 6x smaller', async () => {
    const m = base();
    const { train, test } = data;
    const r = await pruneIteratively(m, train.x, train.y, {
      sparsity: 0.9,
      steps: 3,
      scope: 'global',
      epochs: 2,
      batchSize: 64,
      seed: 5,
      validationData: [test.x, test.y],
    });
    expect(r.rounds.map((x) => +x.target.toFixed(3))).toEqual([0.536, 0.785, 0.9]);
    expect(r.rounds.map((x) => +x.sparsity.toFixed(3))).toEqual([0.536, 0.785, 0.9]);
    expect(r.session).toBeUndefined();
    expect(pruningSession(m)).toBeUndefined();
    expect(m.optimizer!.learningRate).toBe(1e-3); // restored after fine-tuning at 1e-4
    // The masks held through fine-tuning: still 90% zeros after the last round's epochs.
    expect(r.sparsity.sparsity).toBeGreaterThanOrEqual(0.9);
    expect(sparsityOf(m).zeros).toBe(r.sparsity.zeros);
    const acc = m.evaluate(test.x, test.y).accuracy!;
    expect(acc).toBeGreaterThanOrEqual(baseAcc - 0.005);
    expect(r.rounds[2].tuned!.accuracy).toBe(acc);

    const sp = SparseModel.fromModel(m);
    expect(sp.nonzeros.sparsity).toBeCloseTo(r.sparsity.sparsity, 6);
    expect(sp.layers[0].storage).toBe('csr');
    expect(sp.evaluate(test.x, test.y).accuracy).toBe(acc);
    const p = sp.predict(test.x);
    const q = m.predict(test.x);
    let maxDiff = 0;
    for (let i = 0; i < p.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p.data[i] - q.data[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Array.from(sp.predictClasses(test.x))).toEqual(Array.from(m.predictClasses(test.x)));
    const file = sp.save();
    expect(file.length * 6).toBeLessThan(saveModel(m).length);
    const back = SparseModel.load(file);
    expect(back.predict(test.x).data).toEqual(p.data);
    back.dispose();
    sp.dispose();
    m.dispose();
  }, 120_000);

  it('neuron pruning removes half the hidden units (784-150-50-10) and loses at most 1 point after one epoch of fine-tuning', async () => {
    const m = base();
    const { train, test } = data;
    const before = flat(m);
    const s = pruneNeurons(m, { fraction: 0.5 });
    expect(flat(m)).toEqual(before); // the original is untouched
    expect(s.layers.map((l) => (l.type === 'dense' ? l.units : 0))).toEqual([150, 50, 10]);
    expect(s.tensors().map((t) => t.shape)).toEqual([[784, 150], [150], [150, 50], [50], [50, 10], [10]]);
    expect(s.countParams().total).toBe(784 * 150 + 150 + 150 * 50 + 50 + 50 * 10 + 10);
    expect(s.metadata.neuronPruning).toMatchObject({
      score: 'weight',
      layers: { [m.layers[0].name]: { before: 300, after: 150 } },
    });
    expect(s.trainedSteps).toBe(m.trainedSteps);
    await s.fit(train.x, train.y, { epochs: 1, batchSize: 64, seed: 2 });
    expect(s.evaluate(test.x, test.y).accuracy!).toBeGreaterThanOrEqual(baseAcc - 0.01);
    s.dispose();
    m.dispose();
  }, 60_000);

  it('the kept units compute exactly what they did: dropping units whose outgoing weights are zero changes nothing', () => {
    const m = base();
    const w = m.getWeights();
    // Zero the outgoing rows of 100 first-layer units: they are then the least important by weight.
    for (let u = 0; u < 100; u++) w[2].data.fill(0, u * 100, (u + 1) * 100);
    m.setWeights(w);
    const s = pruneNeurons(m, { count: 100, layers: [0] });
    const x = { data: data.test.x.data.subarray(0, 50 * 784), shape: [50, 784] as [number, number] };
    const a = m.predict(x).data;
    const b = s.predict(x).data;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    expect(s.tensors()[0].shape).toEqual([784, 200]);
    s.dispose();
    m.dispose();
  });

  it("data-driven scores and bias compensation: mean outputs are kept when removing a layer's units", () => {
    const m = base();
    const x = { data: data.train.x.data.subarray(0, 300 * 784), shape: [300, 784] as [number, number] };
    const s = pruneNeurons(m, { fraction: 0.3, layers: [m.layers[1].name], score: 'contribution', data: x });
    expect(s.metadata.neuronPruning).toMatchObject({ score: 'contribution', compensateBias: true });
    // With the removed units' means folded into the output bias, the mean logit shift over the data is ~0:
    // compare the output layer's mean pre-softmax input through features of the last hidden layer.
    const mean = (mm: Sequential): Float64Array => {
      const f = mm.features(x, 1);
      const w = mm.getWeights();
      const out = new Float64Array(10);
      for (let r = 0; r < f.rows; r++) {
        for (let o = 0; o < 10; o++) {
          let z = w[5].data[o];
          for (let u = 0; u < f.cols; u++) z += f.data[r * f.cols + u] * w[4].data[u * 10 + o];
          out[o] += z / f.rows;
        }
      }
      return out;
    };
    const a = mean(m);
    const b = mean(s);
    for (let o = 0; o < 10; o++) expect(b[o]).toBeCloseTo(a[o], 3);
    // One layer at a time, the data-driven score with compensation loses less before fine-tuning than 'weight'.
    const acc = (o: Parameters<typeof pruneNeurons>[1]): number => {
      const t = pruneNeurons(m, o);
      const r = t.evaluate(data.test.x, data.test.y).accuracy!;
      t.dispose();
      return r;
    };
    const byWeight = acc({ fraction: 0.5, layers: [0] });
    const byContribution = acc({ fraction: 0.5, layers: [0], score: 'contribution', data: x });
    expect(byContribution).toBeGreaterThan(byWeight);
    expect(byContribution).toBeGreaterThan(baseAcc - 0.1);
    s.dispose();
    m.dispose();
  });
});

describe('pruneMagnitude', () => {
  it('per layer: exactly round(s · size) of the smallest |w| in each kernel; biases untouched', () => {
    const m = small();
    const w0 = m.getWeights();
    const r = pruneMagnitude(m, { sparsity: 0.5 });
    const w1 = m.getWeights();
    expect(r.layers.map((l) => [l.name, l.zeros])).toEqual([
      ['h1', 20],
      ['h2', 24],
      ['out', 9],
    ]);
    for (const [i, t] of [0, 2, 4].entries()) {
      const before = w0[t].data;
      const after = w1[t].data;
      const thr = Array.from(before, Math.abs).sort((a, b) => a - b)[r.layers[i].zeros - 1];
      for (let j = 0; j < before.length; j++) {
        if (Math.abs(before[j]) <= thr) expect(after[j]).toBe(0);
        else expect(after[j]).toBe(before[j]);
      }
    }
    for (const t of [1, 3, 5]) expect(w1[t].data).toEqual(w0[t].data);
    m.dispose();
  });

  it('global: one threshold over the chosen kernels; a per-layer map prunes only the named layers', () => {
    const m = small();
    const w0 = m.getWeights();
    const r = pruneMagnitude(m, { sparsity: 0.6, scope: 'global', layers: ['h1', 'out'] });
    expect(r.zeros).toBe(Math.round(0.6 * (40 + 18)));
    const all = [...w0[0].data, ...w0[4].data].map(Math.abs).sort((a, b) => a - b);
    const thr = all[r.zeros - 1];
    const w1 = m.getWeights();
    for (const t of [0, 4])
      for (let j = 0; j < w0[t].data.length; j++) expect(w1[t].data[j] === 0).toBe(Math.abs(w0[t].data[j]) <= thr);
    expect(w1[2].data).toEqual(w0[2].data);
    const r2 = pruneMagnitude(m, { sparsity: { h2: 0.25 } });
    expect(r2.layers).toHaveLength(1);
    expect(r2.layers[0]).toMatchObject({ name: 'h2', zeros: 12 });
    // Pruning never revives: asking h1 for less than it has keeps its zeros.
    const z = sparsityOf(m, ['h1']).zeros;
    expect(pruneMagnitude(m, { sparsity: 0.1, layers: ['h1'] }).zeros).toBe(z);
    m.dispose();
  });

  it('rejects sparsity outside [0, 1), unknown or weightless layers, bad scope, an unbuilt model: model unchanged', () => {
    const m = small();
    rejects(m, () => pruneMagnitude(m, { sparsity: 1 }), 'RANGE', /100% .*remove all/);
    rejects(m, () => pruneMagnitude(m, { sparsity: 1.5 }), 'RANGE', /150%/);
    rejects(m, () => pruneMagnitude(m, { sparsity: -0.1 }), 'RANGE', /\[0, 1\)/);
    rejects(m, () => pruneMagnitude(m, { sparsity: NaN }), 'RANGE', /sparsity/);
    rejects(m, () => pruneMagnitude(m, { sparsity: { h1: 0.5, h2: 1 } }), 'RANGE', /'h2'/);
    rejects(
      m,
      () => pruneMagnitude(m, { sparsity: 0.5, layers: ['nope'] }),
      'RANGE',
      /no layer "nope".*h1, drop, h2, out/,
    );
    rejects(
      m,
      () => pruneMagnitude(m, { sparsity: 0.5, layers: ['drop'] }),
      'RANGE',
      /dropout layer and has no weights/,
    );
    rejects(m, () => pruneMagnitude(m, { sparsity: 0.5, layers: [9] }), 'RANGE', /no layer 9/);
    rejects(m, () => pruneMagnitude(m, { sparsity: 0.5, scope: 'all' as never }), 'RANGE', /scope/);
    rejects(m, () => pruneMagnitude(m, { sparsity: { h1: 0.5 }, scope: 'global' }), 'RANGE', /per-layer.*'layer'/);
    const u = sequential([dense(3, { activation: 'relu' }), dense(2)]);
    expect(() => pruneMagnitude(u, { sparsity: 0.5 })).toThrow(/not built/);
    m.dispose();
  });

  it('a frozen layer: naming it is an error; by default it is skipped', () => {
    const m = small({ frozen: true });
    rejects(m, () => pruneMagnitude(m, { sparsity: 0.5, layers: ['h1'] }), 'STATE', /'h1' is frozen.*setTrainable/);
    const h1 = m.getWeights()[0].data;
    const r = pruneMagnitude(m, { sparsity: 0.5 });
    expect(r.layers.map((l) => l.name)).toEqual(['h2', 'out']);
    expect(m.getWeights()[0].data).toEqual(h1);
    m.setTrainable(['h2', 'out'], false);
    rejects(m, () => pruneMagnitude(m, { sparsity: 0.5 }), 'STATE', /every dense\/conv2d layer is frozen/);
    m.dispose();
  });
});

describe('PruningSession', () => {
  it('keeps pruned weights at zero through fit (also across a setTrainable re-layout); after end() they move again', async () => {
    const m = small();
    const { x, y } = toyData(200, 3);
    pruneMagnitude(m, { sparsity: 0.7 });
    const zeros = sparsityOf(m).zeros;
    const s = startPruning(m);
    expect(pruningSession(m)).toBe(s);
    expect(() => startPruning(m)).toThrow(/already active/);
    await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 1 });
    expect(sparsityOf(m).zeros).toBe(zeros);
    m.setTrainable('h2', false); // new slab layout: the session finds the kernels again by name
    await m.fit(x, y, { epochs: 1, batchSize: 16, seed: 2 });
    m.setTrainable('h2', true);
    await m.fit(x, y, { epochs: 1, batchSize: 16, seed: 3 });
    expect(sparsityOf(m).zeros).toBe(zeros);
    // Pruning further through the session: the masks follow.
    const r = s.prune({ sparsity: 0.8 });
    await m.fit(x, y, { epochs: 1, batchSize: 16, seed: 4 });
    expect(sparsityOf(m).zeros).toBe(r.zeros);
    expect(r.zeros).toBeGreaterThan(zeros);
    s.end();
    expect(s.active).toBe(false);
    expect(m.trainHooks).toHaveLength(0);
    expect(() => s.prune({ sparsity: 0.9 })).toThrow(/ended/);
    await m.fit(x, y, { epochs: 1, batchSize: 16, seed: 5 });
    expect(sparsityOf(m).zeros).toBeLessThan(r.zeros / 10); // without masks Adam moves them off zero
    m.dispose();
  });

  it('apply() re-zeroes after setWeights; the js backend masks the same way', async () => {
    for (const backend of ['wasm', 'js'] as const) {
      const m = small({ backend });
      pruneMagnitude(m, { sparsity: 0.5 });
      const s = startPruning(m);
      const w = m.getWeights();
      const dirty = m.getWeights();
      for (const t of dirty) t.data.fill(0.5);
      m.setWeights(dirty);
      s.apply();
      const after = m.getWeights();
      for (const t of [0, 2, 4])
        for (let j = 0; j < w[t].data.length; j++) expect(after[t].data[j]).toBe(w[t].data[j] === 0 ? 0 : 0.5);
      s.end();
      m.dispose();
    }
  });
});

describe('pruneIteratively', () => {
  it('rejects an uncompiled model, bad schedules and bad data before touching the weights', async () => {
    const m = small();
    const { x, y } = toyData(50, 1);
    const before = flat(m);
    const fails = async (p: Promise<unknown>, code: string, msg: RegExp): Promise<void> => {
      await expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(msg) });
      expect(flat(m)).toEqual(before);
      expect(pruningSession(m)).toBeUndefined();
    };
    await fails(pruneIteratively(m, x, y, { sparsity: 1 }), 'RANGE', /remove all/);
    await fails(pruneIteratively(m, x, y, { sparsity: 0.5, steps: 0 }), 'RANGE', /steps/);
    await fails(pruneIteratively(m, x, y, { sparsity: 0.5, schedule: [0.5, 0.3] }), 'RANGE', /must not decrease/);
    await fails(pruneIteratively(m, x, y, { sparsity: 0.5, learningRate: -1 }), 'RANGE', /learningRate/);
    await fails(pruneIteratively(m, x, y, { sparsity: 0.5, layers: ['zz'] }), 'RANGE', /no layer "zz"/);
    await fails(
      pruneIteratively(m, { data: x.data.subarray(0, 40), shape: [8, 5] }, y, { sparsity: 0.5 }),
      'SHAPE',
      /rows/,
    );
    const u = sequential([dense(3, { activation: 'relu', inputDim: 5 }), dense(2)]);
    u.build(5);
    await expect(pruneIteratively(u, x, y, { sparsity: 0.5 })).rejects.toMatchObject({
      code: 'STATE',
      message: expect.stringMatching(/compile/),
    });
    u.dispose();
    // keepSession: the masks stay for more fine-tuning.
    const r = await pruneIteratively(m, x, y, { schedule: [0.3, 0.6], epochs: 1, seed: 1, keepSession: true });
    expect(r.session?.active).toBe(true);
    expect(r.rounds).toHaveLength(2);
    r.session!.end();
    m.dispose();
  });
});

describe('pruneNeurons contracts', () => {
  it('skips the output layer and shrinks hidden ones across dropout; the result predicts and trains', async () => {
    const m = small();
    const s = pruneNeurons(m, { count: { h1: 3, h2: 2 } });
    expect(s.layers.map((l) => (l.type === 'dense' ? l.units : l.type))).toEqual([5, 'dropout', 4, 3]);
    expect(s.tensors().map((t) => t.shape)).toEqual([[5, 5], [5], [5, 4], [4], [4, 3], [3]]);
    const { x, y } = toyData(64, 2);
    expect(s.predict(x).cols).toBe(3);
    await s.fit(x, y, { epochs: 1, batchSize: 16, seed: 1 }); // compiled with the same settings
    s.dispose();
    m.dispose();
  });

  it('rejects the output layer, removing all units, frozen layers, bad options: model unchanged', () => {
    const m = small({ frozen: true });
    rejects(m, () => pruneNeurons(m, { fraction: 0.5, layers: 'out' }), 'RANGE', /'out' is the output layer/);
    rejects(
      m,
      () => pruneNeurons(m, { count: 6, layers: 'h2' }),
      'RANGE',
      /removing 6 of the 6 units of 'h2' would leave none/,
    );
    rejects(m, () => pruneNeurons(m, { fraction: 0.99, layers: 'h2' }), 'RANGE', /would leave none/);
    rejects(m, () => pruneNeurons(m, { fraction: 1, layers: 'h2' }), 'RANGE', /fraction must be in \[0, 1\)/);
    rejects(m, () => pruneNeurons(m, { fraction: 0.5, layers: 'h1' }), 'STATE', /'h1' is frozen/);
    rejects(
      m,
      () => pruneNeurons(m, { fraction: 0.5, count: 1, layers: 'h2' }),
      'RANGE',
      /exactly one of fraction or count/,
    );
    rejects(m, () => pruneNeurons(m, { count: { zz: 1 }, layers: 'h2' }), 'RANGE', /'zz'/);
    rejects(
      m,
      () => pruneNeurons(m, { fraction: 0.5, layers: 'h2', score: 'activation' }),
      'RANGE',
      /needs input rows/,
    );
    rejects(m, () => pruneNeurons(m, { fraction: 0.5, layers: 'drop' }), 'RANGE', /no weights/);
    rejects(m, () => pruneNeurons(m, { fraction: 0.5, layers: 'h2', data: [[1, 2]] }), 'SHAPE', /data/);
    // Default selection skips the frozen h1.
    const s = pruneNeurons(m, { fraction: 0.5 });
    expect(s.layers.map((l) => (l.type === 'dense' ? l.units : l.type))).toEqual([8, 'dropout', 3, 3]);
    s.dispose();
    m.setTrainable('h2', false);
    rejects(m, () => pruneNeurons(m, { fraction: 0.5 }), 'STATE', /no hidden dense\/conv2d layer to prune/);
    m.dispose();
  });
});

describe('SparseModel', () => {
  /** A pruned small model with a standalone activation, a layer without bias and a sigmoid output. */
  function pruned(backend: 'wasm' | 'js' = 'wasm'): Sequential {
    const m = sequential(
      [
        dense(12, { inputDim: 7, name: 'a' }),
        activation('leakyRelu', { alpha: 0.1, name: 'act' }),
        dropout(0.2, { name: 'd' }),
        dense(9, { activation: 'tanh', useBias: false, name: 'b' }),
        dense(1, { activation: 'sigmoid', name: 'c' }),
      ],
      { seed: 9, backend },
    );
    m.compile({ loss: 'binaryCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    m.build(7);
    pruneMagnitude(m, { sparsity: { a: 0.8, b: 0.6 } });
    return m;
  }

  it("matches the dense model on both backends (batch 1, 3, 4 and 37); evaluate equals the model's accuracy", () => {
    for (const backend of ['wasm', 'js'] as const) {
      const m = pruned(backend);
      const sp = SparseModel.fromModel(m);
      expect(sp.layers.map((l) => `${l.name}:${l.storage ?? l.type}`)).toEqual([
        'a:csr',
        'act:activation',
        'b:csr',
        'c:dense',
      ]);
      for (const rows of [1, 3, 4, 37]) {
        const x = { data: randArray(rows * 7, rows, -2, 2), shape: [rows, 7] as [number, number] };
        for (const bs of [1, 4, 256]) {
          const p = sp.predict(x, { batchSize: bs }).data;
          const q = m.predict(x).data;
          for (let i = 0; i < q.length; i++) expect(p[i]).toBeCloseTo(q[i], 5);
        }
      }
      const x = { data: randArray(40 * 7, 5), shape: [40, 7] as [number, number] };
      const y = Float32Array.from(m.predict(x).data, (v, i) => (i % 3 === 0 ? 1 - Math.round(v) : Math.round(v)));
      const e = sp.evaluate(x, { data: y, shape: [40, 1] });
      const f = m.evaluate(x, { data: y, shape: [40, 1] });
      expect(e.accuracy).toBe(f.accuracy);
      expect(e.loss).toBeCloseTo(f.loss, 4);
      expect(Array.from(sp.predictClasses(x))).toEqual(Array.from(m.predictClasses(x)));
      // The file round trip gives identical outputs (wasm file read on js and back).
      const back = SparseModel.load(sp.save(), { backend: backend === 'wasm' ? 'js' : 'wasm' });
      const p = back.predict(x).data;
      const q = sp.predict(x).data;
      for (let i = 0; i < q.length; i++) expect(p[i]).toBeCloseTo(q[i], 6);
      back.dispose();
      sp.dispose();
      m.dispose();
    }
  });

  it('minSparsity picks CSR or dense per layer; the model is independent of the Sequential afterwards', () => {
    const m = pruned();
    const x = { data: randArray(5 * 7, 1), shape: [5, 7] as [number, number] };
    const want = m.predict(x).data;
    const all = SparseModel.fromModel(m, { minSparsity: 0 });
    expect(all.layers.filter((l) => l.type === 'dense').map((l) => l.storage)).toEqual(['csr', 'csr', 'csr']);
    const none = SparseModel.fromModel(m, { minSparsity: 1 });
    expect(none.layers.filter((l) => l.type === 'dense').map((l) => l.storage)).toEqual(['dense', 'dense', 'dense']);
    expect(() => SparseModel.fromModel(m, { minSparsity: 2 })).toThrow(/minSparsity/);
    m.dispose();
    for (const s of [all, none]) {
      const p = s.predict(x).data;
      for (let i = 0; i < want.length; i++) expect(p[i]).toBeCloseTo(want[i], 5);
      s.dispose();
      expect(() => s.predict(x)).toThrow(/disposed/);
    }
  });

  it('rejects truncated, corrupt, foreign and inconsistent files, and bad inputs', () => {
    const m = pruned();
    const sp = SparseModel.fromModel(m);
    const good = sp.save();
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SimdnetError);
        return `${(e as SimdnetError).code}: ${(e as SimdnetError).message}`;
      }
      return 'no error';
    };
    expect(code(() => SparseModel.load(good.subarray(0, good.length - 9)))).toMatch(/FORMAT: .*(checksum|truncated)/);
    expect(code(() => SparseModel.load(good.subarray(0, 10)))).toMatch(/FORMAT: .*only 10 bytes/);
    const flip = good.slice();
    flip[good.length - 20] ^= 0x10;
    expect(code(() => SparseModel.load(flip))).toMatch(/FORMAT: .*checksum mismatch/);
    expect(code(() => SparseModel.load(saveModel(m)))).toMatch(/FORMAT: .*simdnet model file: read it with loadModel/);
    expect(code(() => SparseModel.load(new TextEncoder().encode('{"hello": "world", "padding": 1}')))).toMatch(
      /FORMAT: .*wrong magic/,
    );
    expect(code(() => SparseModel.load('SDSP' as never))).toMatch(/FORMAT: .*Uint8Array/);
    const newer = good.slice();
    newer[4] = 9;
    expect(code(() => SparseModel.load(newer))).toMatch(/FORMAT: .*version 9 is not supported/);
    // Version 1 files (a CRC-32 trailer) still load, and the same.
    const x = { data: randArray(3 * sp.inputDim, 8), shape: [3, sp.inputDim] as [number, number] };
    expect(Array.from(SparseModel.load(asVersion1(good)).predict(x).data)).toEqual(
      Array.from(SparseModel.load(good).predict(x).data),
    );
    // Structurally wrong but correctly checksummed: a column index past the layer's units, a bad row pointer.
    const dv = new DataView(good.buffer, good.byteOffset);
    const hlen = dv.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + hlen)));
    const a = header.layers[0];
    const dataStart = Math.ceil((12 + hlen) / 4) * 4;
    const colsAt = dataStart + 4 * (a.inputs + 1) + 4 * a.nnz;
    const badCol = good.slice();
    new DataView(badCol.buffer).setUint16(colsAt, 12, true);
    expect(code(() => SparseModel.load(reseal(badCol)))).toMatch(
      /FORMAT: .*column index 12 is out of range \(12 units\)/,
    );
    const badPtr = good.slice();
    new DataView(badPtr.buffer).setInt32(dataStart + 4, 1000, true);
    expect(code(() => SparseModel.load(reseal(badPtr)))).toMatch(/FORMAT: .*row pointers/);
    const nanVal = good.slice();
    new DataView(nanVal.buffer).setFloat32(dataStart + 4 * (a.inputs + 1), NaN, true);
    expect(code(() => SparseModel.load(reseal(nanVal)))).toMatch(/FORMAT: .*non-finite/);
    const extra = new Uint8Array(good.length + 4);
    extra.set(good.subarray(0, good.length - 4));
    expect(code(() => SparseModel.load(reseal(extra)))).toMatch(/FORMAT: .*unexpected bytes/);
    // A valid file still loads.
    SparseModel.load(good).dispose();
    expect(code(() => sp.predict({ data: new Float32Array(6), shape: [1, 6] }))).toMatch(/SHAPE/);
    expect(code(() => sp.predict({ data: new Float32Array([NaN, 0, 0, 0, 0, 0, 0]), shape: [1, 7] }))).toMatch(
      /NONFINITE/,
    );
    expect(
      code(() =>
        sp.evaluate({ data: new Float32Array(14), shape: [2, 7] }, { data: new Float32Array(3), shape: [3, 1] }),
      ),
    ).toMatch(/SHAPE: y has 3 rows but x has 2/);
    sp.dispose();
    m.dispose();
  });
});
