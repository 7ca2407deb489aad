// The permute layer end to end: options and shapes refused naming the layer, outputs and gradients of a model that
// permutes at rank 2, 3 and 4 (first, in the middle, identity) against the f64 reference of test/helpers/net-ref.ts,
// save/load, the quantized plan (permute runs as a record op), and the CLI grammar.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLayerJson, parseLayerList, describeLayers } from '../../src/cli/layers.js';
import { quantizeModel } from '../../src/compress/index.js';
import {
  conv2d,
  dense,
  flatten,
  init,
  loadModel,
  permute,
  reshape,
  saveModel,
  sequential,
  type LayerSpec,
  type Sequential,
} from '../../src/index.js';
import { validateSpec } from '../../src/layers/index.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';
import { expectForwardAndStepMatchReference } from '../helpers/step-check.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

/** NCHW in, permuted at ranks 3, 2 and 4, an identity view, a permute after a dense layer; smooth activations. */
function zoo(): LayerSpec[] {
  return [
    permute([2, 3, 1], { inputShape: [3, 5, 4] }), // [c, h, w] → [h, w, c]; first, so no input gradient
    conv2d(4, 3, { padding: 'same', activation: 'tanh' }), // [5, 4, 4]
    permute([3, 1, 2]), // [4, 5, 4]: channels first again
    reshape([4, 20]),
    permute([2, 1]), // [20, 4]
    permute([1, 2]), // the identity: a view
    reshape([2, 2, 5, 4]),
    permute([4, 2, 1, 3]), // [4, 2, 2, 5]
    flatten(),
    dense(6, { activation: 'tanh' }),
    reshape([2, 3]),
    permute([2, 1]), // [3, 2]
    flatten(),
    dense(3, { activation: 'softmax' }),
  ];
}

const IN = [3, 5, 4];
const COLS = 60;

describe('permute', () => {
  it('refuses dims that are not a permutation of the sample axes, naming the layer and the shapes', () => {
    expectSimdnetError(
      () => permute([1, 1], { name: 'p' }),
      'RANGE',
      "permute layer 'p': dims must be a permutation of 1..2 (sample axes, 1-based as Keras), got [1,1]",
    );
    expectSimdnetError(() => permute([0, 1], { name: 'p' }), 'RANGE', /permutation of 1\.\.2/);
    expectSimdnetError(() => permute([1.5, 2], { name: 'p' }), 'RANGE', /permutation of 1\.\.2/);
    expectSimdnetError(() => permute([2, 3], { name: 'p' }), 'RANGE', /permutation of 1\.\.2/);
    expectSimdnetError(() => permute([], { name: 'p' }), 'RANGE', /dims must list 1 to 4 sample axes/);
    expectSimdnetError(() => permute([1, 2, 3, 4, 5], { name: 'p' }), 'RANGE', /1 to 4 sample axes, got \[1,2,3,4,5\]/);
    expectSimdnetError(
      () => permute([2, 1], { name: 'p', inputShape: [2, 3, 4] }),
      'RANGE',
      "permute layer 'p': inputShape [2, 3, 4] has 3 axes but dims [2,1] permutes 2",
    );
    const m = sequential([permute([2, 1], { name: 'p2' }), flatten(), dense(2)]);
    expectSimdnetError(
      () => m.build([2, 3, 4]),
      'SHAPE',
      "layer 'p2' (permute) cannot take input [2, 3, 4]: dims [2,1] permute 2 axes, the input has 3",
    );
    // From a file: the record's parse, under the file loader's FORMAT code.
    expectSimdnetError(
      () => validateSpec({ type: 'permute', name: 'q', dims: [3, 1] }, 4),
      'FORMAT',
      "layer 4: permute layer 'q': dims must be a permutation",
    );
    expect(validateSpec({ type: 'permute', name: 'q', dims: [3, 1, 2], inputShape: [2, 3, 4] }, 1)).toEqual({
      type: 'permute',
      name: 'q',
      dims: [3, 1, 2],
      inputShape: [2, 3, 4],
    });
  });

  it('has Keras output shapes, no parameters, a summary line; the identity is a view', () => {
    const m = sequential(zoo(), { seed: 1 });
    m.build(IN);
    expect(m.inputShape).toEqual(IN);
    expect(m.outputShape).toEqual([3]);
    expect(m.layers[0]).toEqual({ type: 'permute', name: m.layers[0].name, dims: [2, 3, 1], inputShape: [3, 5, 4] });
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 3, 3, 4], [4], [80, 6], [6], [6, 3], [3]]);
    const s = m.summary();
    expect(s).toMatch(/\(permute\)\s+\[batch, 5, 4, 3\]\s+dims \[2, 3, 1\]\s+0/);
    expect(s).toMatch(/\(permute\)\s+\[batch, 4, 2, 2, 5\]\s+dims \[4, 2, 1, 3\]/);
    expect(s).toMatch(/input 3x5x4/);
    // permute([2, 3, 1]) on an NCHW sample gives the NHWC sample: value (c, h, w) lands at (h, w, c).
    const p = sequential([permute([2, 3, 1], { inputShape: [2, 3, 4] })]);
    p.build([2, 3, 4]);
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const y = p.predict({ data: x, shape: [1, 24] }).data;
    for (let c = 0; c < 2; c++)
      for (let h = 0; h < 3; h++)
        for (let w = 0; w < 4; w++) expect(y[(h * 4 + w) * 2 + c]).toBe(x[(c * 3 + h) * 4 + w]);
    p.dispose();
    m.dispose();
  });

  for (const backend of ['wasm', 'js'] as const) {
    it(`forward and one SGD step match the f64 reference (${backend})`, async () => {
      const m = sequential(zoo(), { seed: 11, backend });
      m.build(IN);
      const rows = 5;
      await expectForwardAndStepMatchReference(
        m,
        IN,
        randArray(rows * COLS, 21),
        Int32Array.from({ length: rows }, (_, i) => i % 3),
      );
      m.dispose();
    });
  }

  it('saves and loads: the same layers (dims, declared input) and bit-identical predictions', () => {
    const m = sequential(zoo(), { seed: 2 });
    m.build(IN);
    const x = { data: randArray(7 * COLS, 3), shape: [7, COLS] as [number, number] };
    const back = loadModel(saveModel(m));
    expect(back.layers).toEqual(m.layers);
    expect(back.inputShape).toEqual(IN);
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    expect(back.summary()).toBe(m.summary());
    back.dispose();
    m.dispose();
  });

  it('quantized: a permuted model predicts exactly as the same model fed permuted rows', () => {
    // A: NCHW rows through permute([2, 3, 1]); B: the same weights on the NHWC rows. The permute is a record op
    // that moves bits, so the two quantized plans (same weights, same calibration values) give the same outputs.
    const n = 9;
    const [c, h, w] = [3, 6, 5];
    const nchw = randArray(n * c * h * w, 8, -1, 1);
    const nhwc = new Float32Array(nchw.length);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < h; y++)
          for (let xx = 0; xx < w; xx++) nhwc[((i * h + y) * w + xx) * c + ch] = nchw[((i * c + ch) * h + y) * w + xx];
    }
    const body = (): LayerSpec[] => [
      conv2d(8, 3, { activation: 'relu' }),
      conv2d(6, 1, { activation: 'relu' }),
      permute([3, 1, 2]),
      flatten(),
      dense(4),
    ];
    const a = sequential([permute([2, 3, 1], { inputShape: [c, h, w] }), ...body()], { seed: 4 });
    a.build([c, h, w]);
    const b = sequential(body(), { seed: 4 });
    b.build([h, w, c]);
    b.setWeights(a.getWeights());
    a.trainedSteps = b.trainedSteps = 1; // quantizeModel refuses untrained models
    const rowsA = { data: nchw, shape: [n, c * h * w] as [number, number] };
    const rowsB = { data: nhwc, shape: [n, c * h * w] as [number, number] };
    const fa = a.predict(rowsA).data;
    expect(Array.from(fa)).toEqual(Array.from(b.predict(rowsB).data));
    const quantized = (m: Sequential, x: typeof rowsA, mode: 'static' | 'dynamic', plan?: 'f16') =>
      quantizeModel(m, plan ? { plan } : mode === 'static' ? { calibration: x } : { mode });
    for (const [mode, plan] of [['static'], ['dynamic'], ['dynamic', 'f16']] as const) {
      const qa = quantized(a, rowsA, mode, plan);
      const qb = quantized(b, rowsB, mode, plan);
      const pa = qa.predict(rowsA).data;
      expect(Array.from(pa), `${mode} ${plan ?? 'int8'}`).toEqual(Array.from(qb.predict(rowsB).data));
      // And close to the float model (int8 weights and activations).
      const range = Math.max(...fa.map(Math.abs));
      expectClose(pa, fa, 0.05 * range, 0, `${mode} ${plan ?? 'int8'} vs f32`);
      qa.dispose();
      qb.dispose();
    }
    a.dispose();
    b.dispose();
  });

  it('in the CLI grammar: permute:2x3x1, written back the same way, and in a layers file', () => {
    const specs = parseLayerList('permute:2x3x1,conv:4x3:relu,flatten,10:softmax');
    expect(specs[0]).toEqual({ type: 'permute', name: 'permute_1', dims: [2, 3, 1] });
    expect(describeLayers(specs)).toBe('permute:2x3x1,conv:4x3:relu,flatten,10:softmax');
    expect(parseLayerList(describeLayers(specs))).toEqual(specs);
    expectSimdnetError(
      () => parseLayerList('permute'),
      'FORMAT',
      /item 1 'permute': permute needs 1-based sample axes joined by x, such as permute:2x3x1/,
    );
    expectSimdnetError(
      () => parseLayerList('permute:2x2'),
      'FORMAT',
      /item 1 'permute:2x2': permute layer 'permute_1': dims must be a permutation of 1\.\.2/,
    );
    const json = parseLayerJson('[{"type": "permute", "dims": [2, 1], "inputShape": [3, 4]}, {"type": "flatten"}]');
    expect(json[0]).toEqual({ type: 'permute', name: 'permute_1', dims: [2, 1], inputShape: [3, 4] });
    expectSimdnetError(
      () => parseLayerJson('[{"type": "permute", "dims": [2, 1], "axes": 2}]'),
      'FORMAT',
      /a permute layer has no field "axes"/,
    );
  });
});
