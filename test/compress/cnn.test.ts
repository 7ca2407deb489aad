// Compression of convolutional models, on the one execution plan: a LeNet-like CNN (conv 5x5x8 relu, maxpool 2,
// conv 5x5x16 relu, maxpool 2, flatten, dense 10 softmax) and a batch-norm variant trained briefly on 2,000 mnist
// digits, then quantized (static, dynamic, mixed, f16), pruned (magnitude, whole filters) and run sparse; one
// evaluate across the three model kinds. Speed is measured in bench/quant.js and bench/prune.js, never here.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  activation,
  adam,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  init,
  loadModel,
  maxPooling2d,
  saveModel,
  sequential,
  type LayerSpec,
  type Matrix,
  type Sequential,
} from '../../src/index.js';
import {
  fakeQuantize,
  loadQuantized,
  pruneMagnitude,
  pruneNeurons,
  quantizeModel,
  saveQuantized,
  SparseModel,
  sparsityOf,
  startPruning,
  type InferenceModel,
} from '../../src/compress/index.js';
import { foldBatchNorm } from '../../src/compress/quantize.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';
import { reseal } from '../helpers/files.js';
import * as ref from '../../src/reference/index.js';

let data: ReturnType<typeof loadMnist>;
let calib: Matrix;
let lenetBytes: Uint8Array;
let bnBytes: Uint8Array;
let lenetAcc: number;

const lenet = (): LayerSpec[] => [
  conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1], name: 'c1' }),
  maxPooling2d(2, { name: 'p1' }),
  conv2d(16, 5, { activation: 'relu', name: 'c2' }),
  maxPooling2d(2, { name: 'p2' }),
  flatten({ name: 'flat' }),
  dense(10, { activation: 'softmax', name: 'out' }),
];

/** conv (linear, no bias) → batch norm → relu: the pattern quantization folds and fuses. */
const withNorm = (): LayerSpec[] => [
  conv2d(8, 5, { useBias: false, inputShape: [28, 28, 1], name: 'c1' }),
  batchNormalization({ name: 'bn1' }),
  activation('relu', { name: 'r1' }),
  maxPooling2d(2, { name: 'p1' }),
  conv2d(16, 5, { activation: 'relu', name: 'c2' }),
  maxPooling2d(2, { name: 'p2' }),
  flatten({ name: 'flat' }),
  dropout(0.1, { name: 'drop' }),
  dense(10, { activation: 'softmax', name: 'out' }),
];

async function trained(layers: LayerSpec[], seed: number): Promise<Sequential> {
  const m = sequential(layers, { seed });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
  await m.fit(data.train.x, data.train.y, { epochs: 2, batchSize: 32, seed });
  return m;
}

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
  data = loadMnist({ seed: 2, train: 2000, test: 500 });
  calib = { data: data.train.x.data.slice(0, 300 * 784), rows: 300, cols: 784 };
  const a = await trained(lenet(), 1);
  lenetAcc = a.evaluate(data.test.x, data.test.y).accuracy!;
  lenetBytes = saveModel(a);
  a.dispose();
  const b = await trained(withNorm(), 2);
  bnBytes = saveModel(b);
  b.dispose();
}, 120_000);

const maxAbsDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const agreement = (a: Int32Array, b: Int32Array): number =>
  a.reduce((s, c, i) => s + (c === b[i] ? 1 : 0), 0) / a.length;

function expectSameBits(a: ArrayBufferView, b: ArrayBufferView, what: string): void {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  expect(x.equals(y), `${what}: not bit-identical`).toBe(true);
}

const rows = (n: number): Matrix => ({ data: data.test.x.data.subarray(0, n * 784), rows: n, cols: 784 });

describe('int8 quantization of a CNN', () => {
  it('static and dynamic int8 stay within a point of the f32 CNN; outputs and classes close', () => {
    const m = loadModel(lenetBytes);
    expect(lenetAcc).toBeGreaterThan(0.85);
    const f32 = m.predict(data.test.x).data;
    const classes = m.predictClasses(data.test.x);
    for (const q of [quantizeModel(m, { calibration: calib }), quantizeModel(m, { mode: 'dynamic' })]) {
      expect(q.plan).toEqual(['int8', 'int8', 'int8']);
      expect(q.info().map((l) => `${l.type}:${l.kernelShape.join('x')}`)).toEqual([
        'conv2d:5x5x1x8',
        'conv2d:5x5x8x16',
        'dense:256x10',
      ]);
      const r = q.evaluate(data.test.x, data.test.y);
      expect(Math.abs(r.accuracy - lenetAcc), `${q.mode}: int8 ${r.accuracy} vs f32 ${lenetAcc}`).toBeLessThanOrEqual(
        0.01,
      );
      expect(maxAbsDiff(q.predict(data.test.x).data, f32)).toBeLessThan(0.1);
      expect(agreement(q.predictClasses(data.test.x), classes)).toBeGreaterThan(0.98);
      q.dispose();
    }
    m.dispose();
  });

  it('the int8 conv path equals its twin pipeline: im2col, per-tensor input quantization, q8_gemm, per-filter rescale', () => {
    // One int8 conv (8 channels in: the int8 patches path on wasm) feeding an f32 dense, static mode.
    const m = sequential(
      [
        conv2d(4, 3, { activation: 'relu', padding: 'same', strides: [2, 1], inputShape: [9, 7, 8] }),
        flatten(),
        dense(3),
      ],
      { seed: 5 },
    );
    m.build([9, 7, 8]);
    m.trainedSteps = 1;
    const n = 6;
    const x = { data: randArray(n * 9 * 7 * 8, 3, -2, 2), rows: n, cols: 9 * 7 * 8 };
    const q = quantizeModel(m, { calibration: x, plan: ['int8', 'f32'] });
    const L = q.parts.kernels[0];
    // The twins: quantize x, im2col (padding 0 stays 0), gemm on int8, rescale with ReLU.
    const [oh, ow, K] = [5, 7, 3 * 3 * 8];
    const qx = new Int8Array(x.data.length);
    ref.q8_quantize(qx, x.data, qx.length, Math.fround(1 / L.inScale!));
    const cols = new Float32Array(n * oh * ow * K);
    ref.im2col_nhwc(cols, Float32Array.from(qx), n, 9, 7, 8, 3, 3, 2, 1, 1, 1, oh, ow);
    const bp = new Int8Array(ref.q8_packed_size(K, 4));
    ref.q8_pack_b(bp, L.kernel as Int8Array, K, 4);
    const acc = new Int32Array(n * oh * ow * 4);
    ref.q8_gemm(acc, null, Int8Array.from(cols), bp, n * oh * ow, K, 4);
    const y = new Float32Array(n * oh * ow * 4);
    ref.q8_dequantize(
      y,
      acc,
      L.bias as Int32Array,
      Float32Array.from(L.wScale!, (s) => L.inScale! * s),
      null,
      n * oh * ow,
      4,
      1,
      1,
    );
    const [, , wd, bd] = m.getWeights();
    const out = new Float32Array(n * 3);
    const F = oh * ow * 4;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < 3; j++) {
        let s = bd.data[j];
        for (let t = 0; t < F; t++) s += y[r * F + t] * wd.data[t * 3 + j];
        out[r * 3 + j] = s;
      }
    }
    for (const backend of ['wasm', 'js'] as const) {
      const b = loadQuantized(saveQuantized(q), { backend });
      expectClose(b.predict(x).data, out, 1e-5, 1e-5, `${backend} int8 conv vs twins`);
      b.dispose();
    }
    q.dispose();
    m.dispose();
  });

  it('convs with 3 channels and 32 filters, or with 6 channels, compute in int8 (im2col_nhwc_i8 patches), the same on both backends', () => {
    const m = sequential(
      [
        conv2d(32, 3, { activation: 'relu', padding: 'same', inputShape: [8, 8, 3], name: 'k3' }),
        conv2d(6, 3, { activation: 'relu', name: 'k6a' }),
        conv2d(8, 3, { activation: 'relu', name: 'k6b' }),
        flatten(),
        dense(3, { activation: 'softmax', name: 'out' }),
      ],
      { seed: 6 },
    );
    m.build([8, 8, 3]);
    m.trainedSteps = 1;
    const x = { data: randArray(5 * 192, 12, 0, 1), rows: 5, cols: 192 };
    const f = m.predict(x).data;
    for (const mode of ['static', 'dynamic'] as const) {
      const q = quantizeModel(m, mode === 'static' ? { calibration: x } : { mode });
      expect(q.info().map((l) => `${l.name}:${l.compute}`)).toEqual(['k3:int8', 'k6a:int8', 'k6b:int8', 'out:int8']);
      const out = q.predict(x).data;
      expectClose(out, f, 0.05, 0, `${mode} int8 vs f32`);
      for (const backend of ['wasm', 'js'] as const) {
        const b = loadQuantized(saveQuantized(q), { backend });
        expectClose(b.predict(x).data, out, 1e-6, 1e-5, `${mode} ${backend}`);
        b.dispose();
      }
      q.dispose();
    }
    m.dispose();
  });

  it('a conv with fewer than 4 input channels (and fewer than 32 filters at 3) keeps int8 storage and runs dequantized on the f32 conv', () => {
    const m = loadModel(lenetBytes);
    const q = quantizeModel(m, { calibration: calib });
    expect(q.info().map((l) => `${l.name}:${l.precision}/${l.compute}`)).toEqual([
      'c1:int8/f32',
      'c2:int8/int8',
      'out:int8/int8',
    ]);
    expect(q.summary()).toContain('int8 (f32 compute)');
    // A one-conv model (c = 1): its output is the f32 conv of the dequantized kernel, bit for bit.
    const one = sequential([conv2d(4, 3, { activation: 'relu', inputShape: [9, 9, 1] }), flatten(), dense(2)], {
      seed: 4,
    });
    one.build([9, 9, 1]);
    one.trainedSteps = 1;
    const x = { data: randArray(3 * 81, 8), rows: 3, cols: 81 };
    const q1 = quantizeModel(one, { mode: 'dynamic', plan: ['int8', 'f32'] });
    const L = q1.parts.kernels[0];
    const w = one.getWeights();
    w[0].data = Float32Array.from(L.kernel as Int8Array, (v, j) => v * L.wScale![j % 4]);
    one.setWeights(w);
    expectSameBits(q1.predict(x).data, one.predict(x).data, 'dequantized c = 1 conv');
    for (const t of [q, q1, one, m]) t.dispose();
  });

  it('wasm (int8 patches) and js (f32 patches quantized) agree; save/load is bit-identical; the file is version 3 and ~3.8x smaller', () => {
    const m = loadModel(lenetBytes);
    const q = quantizeModel(m, { calibration: calib });
    const bytes = saveQuantized(q);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(4, true)).toBe(3);
    expect(saveModel(m).length / bytes.length).toBeGreaterThan(3); // weights 3.85x; the header is a larger part of a small file
    const back = loadQuantized(bytes);
    const js = loadQuantized(bytes, { backend: 'js' });
    const x = rows(100);
    expectSameBits(back.predict(x).data, q.predict(x).data, 'loaded vs saved');
    expect(maxAbsDiff(js.predict(x).data, q.predict(x).data)).toBeLessThan(1e-6);
    expectSameBits(js.predictClasses(x), q.predictClasses(x), 'js vs wasm classes');
    // Batches of 1 and 7 give what one batch gives (static scales do not depend on the batch).
    expectSameBits(q.predict(x, { batchSize: 1 }).data, q.predict(x).data, 'batch 1');
    expectSameBits(q.predict(x, { batchSize: 7 }).data, q.predict(x).data, 'batch 7');
    for (const t of [q, back, js]) t.dispose();
    m.dispose();
  });

  it("f16 conv kernels: half the size, outputs within 1e-3; 'mixed' keeps the first conv and the last dense in f32", () => {
    const m = loadModel(lenetBytes);
    const h = quantizeModel(m, { plan: 'f16' });
    expect(h.info().map((l) => l.precision)).toEqual(['f16', 'f16', 'f16']);
    const ratio = saveModel(m).length / saveQuantized(h).length;
    expect(ratio).toBeGreaterThan(1.8);
    const x = rows(200);
    expect(maxAbsDiff(h.predict(x).data, m.predict(x).data)).toBeLessThan(1e-3);
    const back = loadQuantized(saveQuantized(h));
    expectSameBits(back.predict(x).data, h.predict(x).data, 'f16 loaded');
    const mixed = quantizeModel(m, { calibration: calib, plan: 'mixed' });
    expect(mixed.plan).toEqual(['f32', 'int8', 'f32']);
    expect(Math.abs(mixed.evaluate(data.test.x, data.test.y).accuracy - lenetAcc)).toBeLessThanOrEqual(0.01);
    // The f32 plan runs every layer as its record: the float model's bits.
    const f = quantizeModel(m, { plan: 'f32' });
    expectSameBits(f.predict(x).data, m.predict(x).data, 'f32 plan vs Sequential');
    for (const t of [h, back, mixed, f]) t.dispose();
    m.dispose();
  });

  it('batch norm after a linear conv is folded (scale into the kernel columns, shift into the bias) and its ReLU fused', () => {
    const m = loadModel(bnBytes);
    const f = quantizeModel(m, { plan: 'f32' });
    const info = f.info();
    expect(info[0].foldedBatchNorm).toBe('bn1');
    expect(f.parts.kernels[0].bias).toBeDefined(); // the conv had none: the fold gives it one
    expect(f.parts.others).toEqual([]);
    const x = rows(200);
    expect(maxAbsDiff(f.predict(x).data, m.predict(x).data)).toBeLessThan(1e-5);
    // The fold itself: x·W' + b' = BN(x·W + b) per column.
    const w = randArray(6 * 3, 1);
    const b = randArray(3, 2);
    const bn = [randArray(3, 3, 0.5, 2), randArray(3, 4), randArray(3, 5), randArray(3, 6, 0.1, 3)];
    const { w: wf, b: bf } = foldBatchNorm(w, b, bn, 3, 1e-3);
    const xin = randArray(6, 7);
    for (let j = 0; j < 3; j++) {
      let y = b[j];
      let z = bf[j];
      for (let i = 0; i < 6; i++) {
        y += xin[i] * w[i * 3 + j];
        z += xin[i] * wf[i * 3 + j];
      }
      const want = ((y - bn[2][j]) * bn[0][j]) / Math.sqrt(bn[3][j] + 1e-3) + bn[1][j];
      expect(z).toBeCloseTo(want, 4);
    }
    for (const q of [quantizeModel(m, { calibration: calib }), quantizeModel(m, { mode: 'dynamic' })]) {
      const acc = m.evaluate(data.test.x, data.test.y).accuracy!;
      expect(Math.abs(q.evaluate(data.test.x, data.test.y).accuracy - acc), q.mode).toBeLessThanOrEqual(0.015);
      const back = loadQuantized(saveQuantized(q));
      expectSameBits(back.predict(x).data, q.predict(x).data, `${q.mode} loaded`);
      back.dispose();
      q.dispose();
    }
    f.dispose();
    m.dispose();
  });

  it('a batch norm that cannot fold (after pooling) runs as its record, stored f32', () => {
    const m = sequential(
      [
        conv2d(4, 3, { activation: 'relu', inputShape: [8, 8, 2] }),
        maxPooling2d(2),
        batchNormalization({ name: 'late' }),
        flatten(),
        dense(2, { activation: 'softmax' }),
      ],
      { seed: 3 },
    );
    m.build([8, 8, 2]);
    const w = m.getWeights();
    w[2].data.set([0.5, 1, 2, 0.25]); // gamma
    w[4].data.set([0.1, -0.2, 0.3, 0]); // moving mean
    m.setWeights(w);
    m.trainedSteps = 1;
    const x = { data: randArray(5 * 128, 9), rows: 5, cols: 128 };
    const q = quantizeModel(m, { calibration: x });
    expect(q.parts.others.map((o) => o.layer)).toEqual([2]);
    expect(maxAbsDiff(q.predict(x).data, m.predict(x).data)).toBeLessThan(0.05);
    const back = loadQuantized(saveQuantized(q), { backend: 'js' });
    expect(maxAbsDiff(back.predict(x).data, q.predict(x).data)).toBeLessThan(1e-6);
    for (const t of [q, back, m]) t.dispose();
  });

  it('quantization-aware fine-tuning fake-quantizes conv kernels per filter too', async () => {
    const m = loadModel(lenetBytes);
    const fq = fakeQuantize(m, { weightBits: 4 });
    expect(fq.layers).toEqual(['c1', 'c2', 'out']);
    const before = m.getWeights();
    const sub = { data: data.train.x.data.subarray(0, 64 * 784), rows: 64, cols: 784 };
    await m.fit(sub, data.train.labels!.subarray(0, 64), { epochs: 1, batchSize: 32, seed: 1 });
    fq.remove();
    // The master weights moved (an update happened) and are not on the 4-bit grid.
    expect(maxAbsDiff(m.getWeights()[0].data, before[0].data)).toBeGreaterThan(0);
    m.dispose();
  });

  it('the quantized file rejects a fold that is not a batch norm after a linear layer, and inconsistent conv tensors', () => {
    const m = loadModel(bnBytes);
    const bytes = saveQuantized(quantizeModel(m, { calibration: calib }));
    const edit = (f: (h: Record<string, unknown>) => void): Uint8Array => {
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      const hlen = dv.getUint32(8, true);
      const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
      f(h);
      const json = new TextEncoder().encode(JSON.stringify(h));
      const oldStart = Math.ceil((12 + hlen) / 4) * 4;
      const start = Math.ceil((12 + json.length) / 4) * 4;
      const out = new Uint8Array(start + bytes.length - oldStart);
      out.set(bytes.subarray(0, 12));
      new DataView(out.buffer).setUint32(8, json.length, true);
      out.set(json, 12);
      out.set(bytes.subarray(oldStart), start);
      return reseal(out);
    };
    expectSimdnetError(
      () => loadQuantized(edit((h) => ((h.kernels as { bn?: number }[])[0].bn = 2))),
      'FORMAT',
      /folds layer 2, which is not a batch norm/,
    );
    expectSimdnetError(
      () => loadQuantized(edit((h) => ((h.tensors as { shape: number[] }[])[0].shape = [5, 5, 2, 8]))),
      'FORMAT',
      /shape \[5,5,2,8\]/,
    );
    expectSimdnetError(() => loadQuantized(edit((h) => (h.inputShape = [28, 27, 1]))), 'FORMAT', /inputShape/);
    loadQuantized(edit(() => {})).dispose();
    m.dispose();
  });
});

describe('pruning conv layers', () => {
  it('magnitude pruning reaches the asked sparsity per conv kernel; a session keeps the zeros through fit', async () => {
    const m = loadModel(lenetBytes);
    const rep = pruneMagnitude(m, { sparsity: { c1: 0.5, c2: 0.75 } });
    expect(rep.layers.map((l) => [l.name, l.size, l.zeros])).toEqual([
      ['c1', 200, 100],
      ['c2', 3200, 2400],
    ]);
    const session = startPruning(m);
    const sub = { data: data.train.x.data.subarray(0, 256 * 784), rows: 256, cols: 784 };
    await m.fit(sub, data.train.labels!.subarray(0, 256), { epochs: 1, batchSize: 64, seed: 1 });
    session.end();
    const after = sparsityOf(m, ['c1', 'c2']);
    expect(after.layers.map((l) => l.zeros)).toEqual([100, 2400]);
    expect(sparsityOf(m).layers.map((l) => l.name)).toEqual(['c1', 'c2', 'out']);
    expectSimdnetError(
      () => pruneMagnitude(m, { sparsity: 0.5, layers: ['p1'] }),
      'RANGE',
      /maxPooling2d layer and has no weights/,
    );
    m.dispose();
  });

  it('whole filters removed (L1 norm): a smaller model whose predictions equal the masked model, and it still trains', async () => {
    const m = loadModel(bnBytes);
    const small = pruneNeurons(m, { count: { c1: 3, c2: 6 } });
    expect(small.tensors().map((t) => `${t.name}:${t.shape.join('x')}`)).toEqual([
      'c1/kernel:5x5x1x5',
      'bn1/gamma:5',
      'bn1/beta:5',
      'bn1/movingMean:5',
      'bn1/movingVariance:5',
      'c2/kernel:5x5x5x10',
      'c2/bias:10',
      'out/kernel:160x10',
      'out/bias:10',
    ]);
    expect(small.countParams().total).toBeLessThan(0.7 * m.countParams().total);
    expect(small.metadata.neuronPruning).toMatchObject({
      score: 'weight',
      layers: { c1: { before: 8, after: 5 }, c2: { before: 16, after: 10 } },
    });
    // The masked model: the removed filters' kernel columns and bias zero, the batch norm's gamma and beta too.
    const masked = loadModel(bnBytes);
    const w = masked.getWeights();
    const byName = (n: string) => w.find((t) => t.name === n)!.data;
    /** Kept filters: the highest L1 norms of the filters, over the input channels still there (`rowKept`). */
    const keptOf = (
      layer: string,
      filters: number,
      removed: number,
      rowKept: (row: number) => boolean,
    ): Set<number> => {
      const k = byName(`${layer}/kernel`);
      const l1 = new Array<number>(filters).fill(0);
      k.forEach((v, i) => {
        if (rowKept(Math.floor(i / filters))) l1[i % filters] += Math.abs(v);
      });
      const order = l1.map((v, f) => [v, f]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      return new Set(order.slice(0, filters - removed).map((o) => o[1]));
    };
    const k1 = keptOf('c1', 8, 3, () => true);
    const k2 = keptOf('c2', 16, 6, (row) => k1.has(row % 8));
    byName('c1/kernel').forEach((_, i, a) => (a[i] = k1.has(i % 8) ? a[i] : 0));
    for (const p of ['bn1/gamma', 'bn1/beta']) byName(p).forEach((_, i, a) => (a[i] = k1.has(i) ? a[i] : 0));
    byName('c2/kernel').forEach((_, i, a) => (a[i] = k2.has(i % 16) ? a[i] : 0));
    byName('c2/bias').forEach((_, i, a) => (a[i] = k2.has(i) ? a[i] : 0));
    masked.setWeights(w);
    const x = rows(200);
    expectClose(small.predict(x).data, masked.predict(x).data, 1e-6, 1e-5, 'pruned vs masked');
    expectSameBits(small.predictClasses(x), masked.predictClasses(x), 'pruned vs masked classes');
    // It still trains (compiled as the original), and a quantized or sparse form of it runs.
    const sub = { data: data.train.x.data.subarray(0, 512 * 784), rows: 512, cols: 784 };
    const h = await small.fit(sub, data.train.labels!.subarray(0, 512), { epochs: 2, batchSize: 64, seed: 3 });
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0] * 1.05);
    const q = quantizeModel(small, { calibration: calib });
    expect(q.evaluate(data.test.x, data.test.y).accuracy).toBeGreaterThan(0.7);
    for (const t of [q, small, masked, m]) t.dispose();
  });

  it('data-driven filter scores and bias compensation; conv → global pooling → dense; refusals name the layer', () => {
    const m = loadModel(lenetBytes);
    const x = rows(200);
    for (const score of ['activation', 'contribution'] as const) {
      const s = pruneNeurons(m, { fraction: 0.25, layers: ['c1', 'c2'], score, data: x });
      expect(
        s
          .tensors()
          .filter((t) => t.name.endsWith('kernel'))
          .map((t) => t.shape),
      ).toEqual([
        [5, 5, 1, 6],
        [5, 5, 6, 12],
        [192, 10],
      ]);
      expect(agreement(s.predictClasses(x), m.predictClasses(x))).toBeGreaterThan(0.6);
      s.dispose();
    }
    const g = sequential(
      [
        conv2d(6, 3, { activation: 'relu', inputShape: [6, 6, 2], name: 'a' }),
        globalAveragePooling2d(),
        dense(3, { name: 'b' }),
      ],
      { seed: 1 },
    );
    g.build([6, 6, 2]);
    const gs = pruneNeurons(g, { count: 2 });
    expect(gs.tensors().map((t) => t.shape)).toEqual([[3, 3, 2, 4], [4], [4, 3], [3]]);
    gs.dispose();
    const soft = sequential(
      [
        conv2d(4, 3, { inputShape: [5, 5, 1], name: 'a' }),
        activation('softmax', { name: 'sm' }),
        flatten(),
        dense(2, { name: 'b' }),
      ],
      { seed: 1 },
    );
    soft.build([5, 5, 1]);
    expectSimdnetError(
      () => pruneNeurons(soft, { count: 1, layers: 'a' }),
      'UNSUPPORTED',
      /layer 'sm' \(activation softmax\) between 'a'/,
    );
    expectSimdnetError(() => pruneNeurons(soft, { count: 1 }), 'STATE', /no hidden dense\/conv2d layer/);
    expectSimdnetError(
      () => pruneNeurons(m, { count: 8, layers: 'c1' }),
      'RANGE',
      /removing 8 of the 8 filters of 'c1'/,
    );
    for (const t of [g, soft, m]) t.dispose();
  });
});

describe('one evaluate across float, quantized and sparse models', () => {
  it('the same data gives the same loss and accuracy for the float CNN, its f32 plan and its sparse form; int8 close', () => {
    const m = loadModel(lenetBytes);
    pruneMagnitude(m, { sparsity: 0.6 });
    const f = m.evaluate(data.test.x, data.test.y);
    const plan32 = quantizeModel(m, { plan: 'f32' });
    const sparse = SparseModel.fromModel(m, { minSparsity: 0 });
    expect(sparse.layers.map((l) => `${l.name}:${l.storage ?? l.type}`)).toEqual([
      'c1:dense',
      'p1:maxPooling2d',
      'c2:dense',
      'p2:maxPooling2d',
      'flat:flatten',
      'out:csr',
    ]);
    expect(sparse.nonzeros.sparsity).toBeCloseTo(0.6, 2);
    for (const [name, r] of [
      ['f32 plan', plan32.evaluate(data.test.x, data.test.y)],
      ['sparse', sparse.evaluate(data.test.x, data.test.labels!)],
    ] as const) {
      expect(r.accuracy, name).toBe(f.accuracy);
      expect(r.loss!, name).toBeCloseTo(f.loss, 5);
    }
    const q = quantizeModel(m, { calibration: calib });
    const r = q.evaluate(data.test.x, data.test.y);
    expect(Math.abs(r.accuracy - f.accuracy!)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(r.loss! - f.loss)).toBeLessThan(0.02);
    // The three kinds answer one interface (checked by the compiler here), with the same results.
    const kinds: InferenceModel[] = [m, plan32, sparse];
    for (const k of kinds) expect(k.evaluate(data.test.x, data.test.y).accuracy).toBe(f.accuracy);
    expect(kinds.map((k) => [k.inputShape, k.outputDim])).toEqual(new Array(3).fill([[28, 28, 1], 10]));
    // Without a loss (a model never compiled) evaluate reports accuracy alone, the same for all three.
    const raw = loadModel(lenetBytes);
    const plain = sequential(lenet(), { seed: 1 });
    plain.build([28, 28, 1]);
    plain.setWeights(raw.getWeights());
    const bare = SparseModel.fromModel(plain);
    expect(Object.keys(bare.evaluate(data.test.x, data.test.y))).toEqual(['accuracy']);
    expect(bare.evaluate(data.test.x, data.test.y, { loss: 'categoricalCrossentropy' }).loss).toBeCloseTo(
      raw.evaluate(data.test.x, data.test.y).loss,
      5,
    );
    // The sparse file of a CNN is version 3 and round-trips bit-identically, on either backend.
    const bytes = sparse.save();
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(4, true)).toBe(3);
    const back = SparseModel.load(bytes);
    const x = rows(100);
    expectSameBits(back.predict(x).data, sparse.predict(x).data, 'sparse loaded');
    expect(back.evaluate(data.test.x, data.test.y)).toEqual(sparse.evaluate(data.test.x, data.test.y));
    const js = SparseModel.load(bytes, { backend: 'js' });
    expect(maxAbsDiff(js.predict(x).data, sparse.predict(x).data)).toBeLessThan(1e-5);
    for (const t of [plan32, sparse, q, raw, plain, bare, back, js, m]) t.dispose();
  });
});
