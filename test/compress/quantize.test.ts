// Post-training quantization, mixed precision, the quantized file format and quantization-aware fine-tuning, on
// a 784-128-10 MLP trained once (3 epochs) on the mnist digits and shared by the tests. The bars that fit
// a test: int8 accuracy within 0.5 points of f32 and a model file at least 3.5x smaller (speed is in
// bench/quant.js, never asserted here).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  adam,
  dense,
  dropout,
  init,
  loadModel,
  saveModel,
  sequential,
  sgd,
  type Matrix,
  type Sequential,
} from '../../src/index.js';
import {
  fakeQuantize,
  fineTuneQuantized,
  loadQuantized,
  quantizeModel,
  type QuantizedModel,
  saveQuantized,
} from '../../src/compress/index.js';
import { asVersion1, reseal } from '../helpers/files.js';
import { expectClose } from '../helpers/check.js';
import type { ErrorCode } from '../../src/errors.js';
import { expectSimdnetError } from '../helpers/errors.js';
import * as ref from '../../src/reference/quant.js';

let data: ReturnType<typeof loadMnist>;
let model: Sequential;
let f32Acc: number;
let calib: Matrix;

function mlp(seed: number): Sequential {
  const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  return m;
}

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
  data = loadMnist({ seed: 1 });
  model = mlp(1);
  await model.fit(data.train.x, data.train.y, { epochs: 3, batchSize: 64, seed: 1 });
  f32Acc = model.evaluate(data.test.x, data.test.y).accuracy!;
  calib = { data: data.train.x.data.slice(0, 500 * 784), rows: 500, cols: 784 };
});

const expectError = expectSimdnetError;

const maxAbsDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Bitwise equality of two typed arrays (fast on large arrays, unlike toEqual). */
function expectSameBits(a: ArrayBufferView, b: ArrayBufferView, what: string): void {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  expect(x.equals(y), `${what}: not bit-identical`).toBe(true);
}

describe('post-training int8 quantization on MNIST', () => {
  it('static and dynamic int8 stay within 0.5 points of f32 accuracy', () => {
    expect(f32Acc).toBeGreaterThan(0.9);
    for (const q of [
      quantizeModel(model, { mode: 'static', calibration: calib }),
      quantizeModel(model, { mode: 'dynamic' }),
    ]) {
      const r = q.evaluate(data.test.x, data.test.y);
      expect(Math.abs(r.accuracy - f32Acc), `${q.mode}: int8 ${r.accuracy} vs f32 ${f32Acc}`).toBeLessThanOrEqual(
        0.005,
      );
      expect(r.loss!).toBeGreaterThan(0);
      // Same loss, to about a percent, and the same class for nearly every digit.
      expect(Math.abs(r.loss! - model.evaluate(data.test.x, data.test.y).loss)).toBeLessThan(0.01);
      const ref32 = model.predictClasses(data.test.x);
      const agree = q.predictClasses(data.test.x).reduce((s, c, i) => s + (c === ref32[i] ? 1 : 0), 0);
      expect(agree / data.test.x.rows).toBeGreaterThan(0.99);
      q.dispose();
    }
  });

  it('the model file is at least 3.5x smaller, int8 weights on disk, and loads back bit-identical', () => {
    const q = quantizeModel(model, { calibration: calib });
    const bytes = saveQuantized(q);
    const plain = saveModel(model);
    expect(plain.length / bytes.length).toBeGreaterThan(3.5);
    // The header says what is stored: i8 kernels, f32 scales, i32 biases (static).
    const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
    expect(header.tensors.map((t: { name: string; dtype: string }) => `${t.name.split('/')[1]}:${t.dtype}`)).toEqual([
      'kernel:i8',
      'kernel_scale:f32',
      'bias:i32',
      'kernel:i8',
      'kernel_scale:f32',
      'bias:i32',
    ]);
    expect(header.mode).toBe('static');
    const back = loadQuantized(bytes);
    expect(back.plan).toEqual(['int8', 'int8']);
    expect(back.trainedSteps).toBe(model.trainedSteps);
    const a = q.predict(data.test.x);
    const b = back.predict(data.test.x);
    expectSameBits(b.data, a.data, 'loaded vs saved predictions');
    expect(back.evaluate(data.test.x, data.test.labels!).accuracy).toBe(q.evaluate(data.test.x, data.test.y).accuracy);
    q.dispose();
    back.dispose();
  });

  it('the int8 kernel equals the per-channel quantization of the f32 kernel (scale = column max-abs / 127)', () => {
    const q = quantizeModel(model, { calibration: calib });
    const [w0] = model.getWeights();
    const L = q.parts.kernels[0];
    const qk = new Int8Array(w0.data.length);
    const sc = new Float32Array(128);
    ref.q8_quantize_weights(qk, sc, w0.data, 784, 128, 127);
    expectSameBits(L.kernel, qk, 'int8 kernel');
    expect(Array.from(L.wScale!)).toEqual(Array.from(sc, (s) => (s > 0 ? s : 1)));
    // Calibrated input scale: the digits' max is 1, so 1/127.
    expect(L.inScale).toBe(Math.fround(1 / 127));
    // Dequantized weights are within half a step of the originals.
    for (let i = 0; i < qk.length; i += 97)
      expect(Math.abs(qk[i] * sc[i % 128] - w0.data[i])).toBeLessThanOrEqual(sc[i % 128] / 2 + 1e-9);
    q.dispose();
  });

  it('runs the same on the js backend (the twins) as on wasm: identical classes, probabilities within 1e-6', () => {
    const q = quantizeModel(model, { calibration: calib });
    const js = loadQuantized(saveQuantized(q), { backend: 'js' });
    expect(js.backend).toBe('js');
    const x = { data: data.test.x.data.subarray(0, 300 * 784), rows: 300, cols: 784 };
    const a = q.predict(x);
    const b = js.predict(x);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6); // int8 parts are exact; softmax's exp differs slightly
    expectSameBits(js.predictClasses(x), q.predictClasses(x), 'js vs wasm classes');
    q.dispose();
    js.dispose();
  });

  it('int8 outputs are close to the f32 model run on the dequantized weights (the only other error is activation rounding)', async () => {
    const q = quantizeModel(model, { calibration: calib });
    const deq = loadModel(saveModel(model));
    const w = deq.getWeights();
    for (const [t, L] of [
      [0, q.parts.kernels[0]],
      [2, q.parts.kernels[1]],
    ] as const) {
      w[t].data = Float32Array.from(L.kernel as Int8Array, (v, i) => v * L.wScale![i % L.n]);
    }
    deq.setWeights(w);
    const x = { data: data.test.x.data.subarray(0, 500 * 784), rows: 500, cols: 784 };
    expect(maxAbsDiff(q.predict(x).data, deq.predict(x).data)).toBeLessThan(0.05);
    expect(maxAbsDiff(q.predict(x).data, model.predict(x).data)).toBeLessThan(0.1);
    q.dispose();
    deq.dispose();
  });
});

/** The static all-int8 pipeline of a dense relu…softmax stack, step by step with the twins (dropout skipped). */
function simulateStatic(q: QuantizedModel, x: Float32Array, m: number): Float32Array {
  const dense = q.parts.kernels;
  let qin = new Int8Array(m * dense[0].k);
  ref.q8_quantize(qin, x, m * dense[0].k, Math.fround(1 / dense[0].inScale!));
  for (let l = 0; l < dense.length; l++) {
    const L = dense[l];
    const bp = new Int8Array(ref.q8_packed_size(L.k, L.n));
    ref.q8_pack_b(bp, L.kernel as Int8Array, L.k, L.n);
    const acc = new Int32Array(m * L.n);
    ref.q8_gemm(acc, null, qin, bp, m, L.k, L.n);
    const sIn = L.inScale!;
    if (l < dense.length - 1) {
      const sOut = dense[l + 1].inScale!;
      qin = new Int8Array(m * L.n);
      ref.q8_requantize(
        qin,
        acc,
        L.bias as Int32Array,
        Float32Array.from(L.wScale!, (s) => (sIn * s) / sOut),
        m,
        L.n,
        1,
      );
    } else {
      const y = new Float32Array(m * L.n);
      ref.q8_dequantize(
        y,
        acc,
        L.bias as Int32Array,
        Float32Array.from(L.wScale!, (s) => sIn * s),
        null,
        m,
        L.n,
        1,
        0,
      );
      for (let r = 0; r < m; r++) {
        const row = y.subarray(r * L.n, (r + 1) * L.n);
        const mx = Math.max(...row);
        const ex = Array.from(row, (v) => Math.exp(v - mx));
        const sum = ex.reduce((a, b) => a + b, 0);
        ex.forEach((v, j) => (row[j] = v / sum));
      }
      return y;
    }
  }
  throw new Error('unreachable');
}

describe('mixed precision', () => {
  it('f16 weights: half the f32 size, predictions within 1e-3 of f32', () => {
    const q = quantizeModel(model, { plan: 'f16' });
    expect(q.plan).toEqual(['f16', 'f16']);
    const ratio = saveModel(model).length / saveQuantized(q).length;
    expect(ratio).toBeGreaterThan(1.9);
    expect(ratio).toBeLessThan(2.1);
    const x = { data: data.test.x.data.subarray(0, 500 * 784), rows: 500, cols: 784 };
    expect(maxAbsDiff(q.predict(x).data, model.predict(x).data)).toBeLessThan(1e-3);
    const back = loadQuantized(saveQuantized(q));
    expectSameBits(back.predict(x).data, q.predict(x).data, 'f16 loaded vs saved');
    q.dispose();
    back.dispose();
  });

  it('a per-layer plan: int8 body, f32 last layer (by array and by name); the f32 plan reproduces Sequential.predict', () => {
    const q = quantizeModel(model, { calibration: calib, plan: ['int8', 'f32'] });
    const names = model.layers.map((l) => l.name);
    const q2 = quantizeModel(model, { calibration: calib, plan: { [names[1]]: 'f32' } });
    expect(q.plan).toEqual(['int8', 'f32']);
    expect(q2.plan).toEqual(['int8', 'f32']);
    expect(q.info().map((l) => l.precision)).toEqual(['int8', 'f32']);
    expect(Math.abs(q.evaluate(data.test.x, data.test.y).accuracy - f32Acc)).toBeLessThanOrEqual(0.005);
    const back = loadQuantized(saveQuantized(q));
    expect(back.plan).toEqual(['int8', 'f32']);
    expectSameBits(
      back.predict(data.test.x).data,
      q2.predict(data.test.x).data,
      'plan by name vs loaded plan by array',
    );
    const f = quantizeModel(model, { plan: 'f32' });
    expectSameBits(f.predict(data.test.x).data, model.predict(data.test.x).data, 'f32 plan vs Sequential.predict');
    // 'mixed' keeps the first and last dense layers in f32: here that is both.
    expect(quantizeModel(model, { plan: 'mixed' }).plan).toEqual(['f32', 'f32']);
    for (const m of [q, q2, back, f]) m.dispose();
  });

  it('three dense layers with dropout: static int8 chains int8 between layers; mixed = f32, int8, f32', async () => {
    const m = sequential(
      [
        dense(64, { activation: 'relu', inputDim: 784 }),
        dropout(0.1),
        dense(32, { activation: 'relu' }),
        dense(10, { activation: 'softmax' }),
      ],
      { seed: 3 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
    await m.fit(data.train.x, data.train.y, { epochs: 2, batchSize: 64, seed: 3 });
    const acc = m.evaluate(data.test.x, data.test.y).accuracy!;
    // The static pipeline rebuilt from the stored parts with the twins: int8 → i32 → int8 → i32 → int8 → i32 → f32.
    const st = quantizeModel(m, { calibration: calib });
    const rows = 20;
    const x = { data: data.test.x.data.subarray(0, rows * 784), rows, cols: 784 };
    expectClose(st.predict(x).data, simulateStatic(st, x.data, rows), 1e-5, 0, 'static int8 vs twin pipeline');
    st.dispose();
    const mixed = quantizeModel(m, { calibration: calib, plan: 'mixed' });
    expect(mixed.plan).toEqual(['f32', 'int8', 'f32']);
    for (const q of [quantizeModel(m, { calibration: calib }), quantizeModel(m, { mode: 'dynamic' }), mixed]) {
      expect(Math.abs(q.evaluate(data.test.x, data.test.y).accuracy - acc), `${q.mode} ${q.plan}`).toBeLessThanOrEqual(
        0.01,
      );
      const back = loadQuantized(saveQuantized(q));
      expectSameBits(back.predictClasses(data.test.x), q.predictClasses(data.test.x), 'loaded classes');
      back.dispose();
      q.dispose();
    }
    m.dispose();
  });
});

describe('rejections leave the model as it was', () => {
  function unchanged(m: Sequential, fn: () => unknown, code: ErrorCode, msg: RegExp): void {
    const before = m.getWeights().map((w) => w.data.slice());
    const steps = m.trainedSteps;
    const meta = JSON.stringify(m.metadata);
    expectError(fn, code, msg);
    m.getWeights().forEach((w, i) => expectSameBits(w.data, before[i], `weights ${w.name}`));
    expect(m.trainedSteps).toBe(steps);
    expect(JSON.stringify(m.metadata)).toBe(meta);
  }

  it('an untrained model (also after a save/load round trip); a trained model loaded from a file is accepted', () => {
    const fresh = mlp(9);
    fresh.build(784);
    unchanged(fresh, () => quantizeModel(fresh, { mode: 'dynamic' }), 'STATE', /untrained \(0 training steps\)/);
    const loadedFresh = loadModel(saveModel(fresh));
    unchanged(loadedFresh, () => quantizeModel(loadedFresh, { mode: 'dynamic' }), 'STATE', /untrained/);
    const notBuilt = sequential([dense(3)]);
    expectError(() => quantizeModel(notBuilt), 'STATE', /not built/);
    const loaded = loadModel(saveModel(model));
    const q = quantizeModel(loaded, { calibration: calib });
    expect(q.trainedSteps).toBe(model.trainedSteps);
    for (const m of [fresh, loadedFresh, loaded, q]) m.dispose();
  });

  it('an already quantized model', () => {
    const q = quantizeModel(model, { mode: 'dynamic' });
    expectError(() => quantizeModel(q as unknown as Sequential), 'STATE', /already quantized/);
    expect(q.evaluate(data.test.x, data.test.y).accuracy).toBeGreaterThan(0.9);
    q.dispose();
  });

  it('a calibration set of the wrong width, with NaN, or missing in static mode; bad plans and bit widths', () => {
    const narrow = { data: new Float32Array(10 * 783), shape: [10, 783] as const };
    unchanged(
      model,
      () => quantizeModel(model, { calibration: narrow }),
      'SHAPE',
      /calibration has 783 columns, expected 784/,
    );
    const nan = data.train.x.data.slice(0, 20 * 784);
    nan[5 * 784 + 17] = NaN;
    unchanged(
      model,
      () => quantizeModel(model, { calibration: { data: nan, shape: [20, 784] } }),
      'NONFINITE',
      /calibration has NaN at row 5, col 17/,
    );
    unchanged(model, () => quantizeModel(model, { mode: 'static' }), 'EMPTY', /static mode needs a calibration set/);
    unchanged(model, () => quantizeModel(model, { mode: 'dynamic', calibration: narrow }), 'SHAPE', /783 columns/);
    unchanged(
      model,
      () => quantizeModel(model, { mode: 'fast' as never }),
      'RANGE',
      /mode must be 'static' or 'dynamic'/,
    );
    unchanged(
      model,
      () => quantizeModel(model, { plan: ['int8'] }),
      'RANGE',
      /plan has 1 entries, the model has 2 dense\/conv2d layers/,
    );
    unchanged(
      model,
      () => quantizeModel(model, { plan: { nope: 'int8' } }),
      'RANGE',
      /names 'nope', which is not a dense or conv2d layer/,
    );
    unchanged(
      model,
      () => quantizeModel(model, { plan: 'int4' as never }),
      'RANGE',
      /precision must be one of int8, f16, f32/,
    );
    unchanged(
      model,
      () => quantizeModel(model, { weightBits: 9 }),
      'RANGE',
      /weightBits must be an integer in \[2, 8\]/,
    );
  });

  it('predict input checks and dispose', () => {
    const q = quantizeModel(model, { calibration: calib });
    expectError(
      () => q.predict({ data: new Float32Array(10), rows: 1, cols: 10 }),
      'SHAPE',
      /x has 10 columns, expected 784/,
    );
    const bad = data.test.x.data.slice(0, 3 * 784);
    bad[2 * 784 + 5] = Infinity;
    expectError(() => q.predict({ data: bad, rows: 3, cols: 784 }), 'NONFINITE', /x has Infinity at row 2, col 5/);
    expectError(() => q.predict([[1, 2]]), 'SHAPE', /2 columns, expected 784/);
    expectError(() => q.evaluate(data.test.x, data.test.y.data.subarray(0, 50), {}), 'SHAPE', /rows/);
    expectError(() => q.predict(data.test.x, { batchSize: 0 }), 'RANGE', /batchSize/);
    // Small batches and a batch of one give the same classes as one big batch (static scales do not depend on it).
    const x = { data: data.test.x.data.subarray(0, 37 * 784), rows: 37, cols: 784 };
    expectSameBits(q.predict(x, { batchSize: 5 }).data, q.predict(x).data, 'batch 5');
    expectSameBits(q.predict(x, { batchSize: 1 }).data, q.predict(x).data, 'batch 1');
    q.dispose();
    expectError(() => q.predict(x), 'DISPOSED', /was disposed/);
    expectError(() => saveQuantized(q), 'DISPOSED', /was disposed/);
  });
});

describe('quantized file format', () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    const q = quantizeModel(model, { calibration: calib });
    bytes = saveQuantized(q);
    q.dispose();
  });

  /** Rewrites the header JSON (and fixes the checksum) to forge well-formed but inconsistent files. */
  function withHeader(edit: (h: Record<string, unknown>) => void): Uint8Array {
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const hlen = dv.getUint32(8, true);
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
    edit(h);
    const json = new TextEncoder().encode(JSON.stringify(h));
    const oldStart = Math.ceil((12 + hlen) / 4) * 4;
    const start = Math.ceil((12 + json.length) / 4) * 4;
    const out = new Uint8Array(start + bytes.length - oldStart);
    out.set(bytes.subarray(0, 12));
    new DataView(out.buffer).setUint32(8, json.length, true);
    out.set(json, 12);
    out.set(bytes.subarray(oldStart), start);
    reseal(out);
    return out;
  }

  it('rejects corrupt, truncated and foreign files with FORMAT errors that say why', () => {
    const flipped = bytes.slice();
    flipped[bytes.length >> 1] ^= 0x10;
    expectError(() => loadQuantized(flipped), 'FORMAT', /checksum mismatch/);
    expectError(() => loadQuantized(bytes.subarray(0, bytes.length - 100)), 'FORMAT', /checksum mismatch|truncated/);
    expectError(() => loadQuantized(bytes.subarray(0, 10)), 'FORMAT', /only 10 bytes/);
    expectError(
      () => loadQuantized(saveModel(model)),
      'FORMAT',
      /plain \(f32\) simdnet model file: read it with loadModel/,
    );
    expectError(() => loadQuantized(new Uint8Array(64).fill(7)), 'FORMAT', /wrong magic/);
    const v4 = bytes.slice();
    new DataView(v4.buffer).setUint16(4, 4, true);
    expectError(() => loadQuantized(reseal(v4)), 'FORMAT', /version 4 is not supported/);
    // Version 1 files (a CRC-32 trailer) still load, and the same.
    const old = loadQuantized(asVersion1(bytes));
    const now = loadQuantized(bytes);
    expectSameBits(old.predict(data.test.x).data, now.predict(data.test.x).data, 'version 1 vs 2');
    old.dispose();
    now.dispose();
    // The f32 loader refuses a quantized file too.
    expectError(() => loadModel(bytes), 'FORMAT', /magic/);
  });

  it('rejects well-formed files whose header does not fit the data', () => {
    expectError(
      () => loadQuantized(withHeader((h) => ((h.tensors as { shape: number[] }[])[0].shape = [784, 127]))),
      'FORMAT',
      /shape \[784,127\]/,
    );
    expectError(
      () => loadQuantized(withHeader((h) => ((h.tensors as { dtype: string }[])[0].dtype = 'f32'))),
      'FORMAT',
      /dtype 'f32', expected 'i8'/,
    );
    expectError(
      () => loadQuantized(withHeader((h) => ((h.dense as { precision: string }[])[1].precision = 'int4'))),
      'FORMAT',
      /precision "int4"/,
    );
    expectError(
      () => loadQuantized(withHeader((h) => ((h.dense as { inScale?: number }[])[0].inScale = -1))),
      'FORMAT',
      /input scale/,
    );
    expectError(
      () => loadQuantized(withHeader((h) => ((h.tensors as { offset: number }[])[5].offset = 10 ** 7))),
      'FORMAT',
      /outside the file/,
    );
    expectError(() => loadQuantized(withHeader((h) => (h.inputDim = 785))), 'FORMAT', /shape/);
    expectError(() => loadQuantized(withHeader((h) => (h.mode = 'sometimes'))), 'FORMAT', /bad mode/);
    // Untouched, it loads.
    const ok = loadQuantized(withHeader(() => {}));
    expect(ok.plan).toEqual(['int8', 'int8']);
    ok.dispose();
  });
});

describe('quantization-aware fine-tuning', () => {
  it('training steps see fake-quantized weights (STE) and the master weights get the update', async () => {
    const m = loadModel(saveModel(model));
    // A vanishing learning rate: the step changes the master weights by ~1e-30, i.e. not at all in f32 for any
    // weight of normal size.
    m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 1e-30 }), metrics: ['accuracy'] });
    const x = { data: data.train.x.data.subarray(0, 64 * 784), rows: 64, cols: 784 };
    const y = { data: data.train.y.data.subarray(0, 64 * 10), rows: 64, cols: 10 };
    const before = m.getWeights();
    const fq = fakeQuantize(m, { weightBits: 2 });
    expect(fq.layers).toEqual(m.layers.map((l) => l.name));
    expectError(() => fakeQuantize(m), 'STATE', /already fake-quantized/);
    const h = await m.fit(x, y, { epochs: 1, batchSize: 64, shuffle: false, seed: 1 });
    fq.remove();
    expect(m.trainHooks.length).toBe(0);
    // The master weights come back (not their 2-bit forms).
    m.getWeights().forEach((w, i) => expect(maxAbsDiff(w.data, before[i].data), w.name).toBeLessThan(1e-20));
    // The step's loss is that of the 2-bit fake-quantized weights, not of the f32 ones.
    const fake = loadModel(saveModel(m));
    const wq = fake.getWeights();
    for (const t of [0, 2]) {
      const [k, n] = wq[t].shape;
      ref.q8_fake_quant(wq[t].data, new Float32Array(n), wq[t].data, k, n, 1);
    }
    fake.setWeights(wq);
    const lossFake = fake.evaluate(x, y).loss;
    expect(h.history.loss[0]).toBeCloseTo(lossFake, 4);
    expect(Math.abs(h.history.loss[0] - m.evaluate(x, y).loss)).toBeGreaterThan(0.05);
    m.dispose();
    fake.dispose();
  });

  it('recovers at least half of what 2-bit post-training quantization loses (1 epoch)', async () => {
    const m = loadModel(saveModel(model));
    const ptq = quantizeModel(m, { calibration: calib, weightBits: 2 });
    const ptqAcc = ptq.evaluate(data.test.x, data.test.y).accuracy;
    expect(f32Acc - ptqAcc).toBeGreaterThan(0.02); // a grid of {−s, 0, s} per column loses a lot
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-4 }), metrics: ['accuracy'] });
    const steps = m.trainedSteps;
    await fineTuneQuantized(m, data.train.x, data.train.y, { epochs: 1, batchSize: 64, seed: 2, weightBits: 2 });
    expect(m.trainHooks.length).toBe(0);
    expect(m.trainedSteps).toBe(steps + 125);
    const qat = quantizeModel(m, { calibration: calib, weightBits: 2 });
    const qatAcc = qat.evaluate(data.test.x, data.test.y).accuracy;
    // At least half of the points lost to 2-bit PTQ come back, and at least 2 of them.
    expect(qatAcc - ptqAcc, `f32 ${f32Acc}, PTQ ${ptqAcc} → QAT ${qatAcc}`).toBeGreaterThan(
      Math.max(0.02, 0.5 * (f32Acc - ptqAcc)),
    );
    for (const q of [m, ptq, qat]) q.dispose();
  });
});
