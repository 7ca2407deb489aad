// The zeroPadding2d layer end to end: options and shapes refused naming the layer, outputs and gradients of a model
// that pads (first, in the middle, asymmetric, none) against the f64 reference of test/helpers/net-ref.ts, save/load,
// the quantized plan (zero padding runs as a record op), and the CLI grammar.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeLayers, parseLayerJson, parseLayerList } from '../../src/cli/layers.js';
import { quantizeModel } from '../../src/compress/index.js';
import {
  averagePooling2d,
  conv2d,
  dense,
  flatten,
  init,
  loadModel,
  saveModel,
  sequential,
  zeroPadding2d,
  type LayerSpec,
} from '../../src/index.js';
import { validateSpec } from '../../src/layers/index.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';
import { expectForwardAndStepMatchReference } from '../helpers/step-check.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

/** Padding first (no input gradient), before a stride-2 conv, asymmetric before a pool, and none (a view). */
function zoo(): LayerSpec[] {
  return [
    zeroPadding2d(1, { inputShape: [5, 4, 2] }), // [7, 6, 2]
    conv2d(3, 3, { strides: 2, activation: 'tanh' }), // [3, 2, 3]
    zeroPadding2d([
      [0, 2],
      [1, 0],
    ]), // [5, 3, 3]
    averagePooling2d(2, { strides: 1 }), // [4, 2, 3]
    zeroPadding2d([1, 2]), // [6, 6, 3]
    zeroPadding2d(0), // the identity: a view
    conv2d(2, 2, { strides: 2, activation: 'tanh' }), // [3, 3, 2]
    flatten(),
    dense(3, { activation: 'softmax' }),
  ];
}

const IN = [5, 4, 2];
const COLS = 40;

describe('zeroPadding2d', () => {
  it('takes Keras padding forms and refuses others, naming the layer and the shapes', () => {
    expect(zeroPadding2d(2, { name: 'z' })).toEqual({
      type: 'zeroPadding2d',
      name: 'z',
      padding: [
        [2, 2],
        [2, 2],
      ],
    });
    expect(zeroPadding2d([1, 3], { name: 'z' }).padding).toEqual([
      [1, 1],
      [3, 3],
    ]);
    expect(
      zeroPadding2d(
        [
          [0, 1],
          [2, 3],
        ],
        { name: 'z' },
      ).padding,
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expectSimdnetError(
      () => zeroPadding2d(-1, { name: 'z' }),
      'RANGE',
      "zeroPadding2d layer 'z': padding must be an integer 0..4096, [rows, columns] or [[top, bottom], [left, right]] of them, got -1",
    );
    expectSimdnetError(() => zeroPadding2d(1.5, { name: 'z' }), 'RANGE', /got 1\.5/);
    expectSimdnetError(() => zeroPadding2d([1, 2, 3] as never, { name: 'z' }), 'RANGE', /got \[1,2,3\]/);
    expectSimdnetError(() => zeroPadding2d([[1, 2], [3]] as never, { name: 'z' }), 'RANGE', /got \[\[1,2\],\[3\]\]/);
    expectSimdnetError(() => zeroPadding2d(5000, { name: 'z' }), 'RANGE', /integer 0\.\.4096/);
    expectSimdnetError(
      () => zeroPadding2d(1, { name: 'z', inputShape: [4, 4] }),
      'RANGE',
      "zeroPadding2d layer 'z': inputShape [4, 4] must be [height, width, channels]",
    );
    const m = sequential([zeroPadding2d(1, { name: 'z2' }), flatten(), dense(2)]);
    expectSimdnetError(
      () => m.build([12]),
      'SHAPE',
      "layer 'z2' (zeroPadding2d) cannot take input [12]: it pads [height, width, channels] maps",
    );
    expectSimdnetError(
      () => validateSpec({ type: 'zeroPadding2d', name: 'q', padding: 'same' }, 4),
      'FORMAT',
      "layer 4: zeroPadding2d layer 'q': padding must be",
    );
    expect(
      validateSpec(
        {
          type: 'zeroPadding2d',
          name: 'q',
          padding: [
            [1, 0],
            [0, 2],
          ],
          inputShape: [2, 3, 4],
        },
        1,
      ),
    ).toEqual({
      type: 'zeroPadding2d',
      name: 'q',
      padding: [
        [1, 0],
        [0, 2],
      ],
      inputShape: [2, 3, 4],
    });
  });

  it('has Keras output shapes, no parameters, a summary line; zeros land around the map', () => {
    const m = sequential(zoo(), { seed: 1 });
    m.build(IN);
    expect(m.outputShape).toEqual([3]);
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 3, 2, 3], [3], [2, 2, 3, 2], [2], [18, 3], [3]]);
    const s = m.summary();
    expect(s).toMatch(/\(zeroPadding2d\)\s+\[batch, 7, 6, 2\]\s+padding \[\[1, 1\], \[1, 1\]\]\s+0/);
    expect(s).toMatch(/\(zeroPadding2d\)\s+\[batch, 5, 3, 3\]\s+padding \[\[0, 2\], \[1, 0\]\]/);
    m.dispose();
    const p = sequential([
      zeroPadding2d(
        [
          [1, 0],
          [0, 2],
        ],
        { inputShape: [2, 2, 1] },
      ),
    ]);
    p.build([2, 2, 1]);
    const y = p.predict({ data: Float32Array.from([1, 2, 3, 4]), shape: [1, 4] }).data;
    expect(Array.from(y)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
    p.dispose();
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

  it('saves and loads: the same layers (padding, declared input) and bit-identical predictions', () => {
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

  it('quantized: a padded model runs on the plan (static, dynamic, f16) close to the float model', () => {
    const m = sequential(
      [
        zeroPadding2d(1, { inputShape: [6, 5, 3] }),
        conv2d(8, 3, { strides: 2, activation: 'relu' }),
        zeroPadding2d([
          [0, 1],
          [1, 0],
        ]),
        conv2d(4, 2, { activation: 'relu' }),
        flatten(),
        dense(4),
      ],
      { seed: 4 },
    );
    m.build([6, 5, 3]);
    m.trainedSteps = 1; // quantizeModel refuses untrained models
    const rows = { data: randArray(9 * 90, 8, -1, 1), shape: [9, 90] as [number, number] };
    const f = m.predict(rows).data;
    const range = Math.max(...f.map(Math.abs));
    for (const [opts, what] of [
      [{ calibration: rows }, 'static'],
      [{ mode: 'dynamic' as const }, 'dynamic'],
      [{ plan: 'f16' as const }, 'f16'],
    ] as const) {
      const q = quantizeModel(m, opts);
      expectClose(q.predict(rows).data, f, 0.05 * range, 0, `${what} vs f32`);
      expect(q.predict(rows).data.length).toBe(36);
      q.dispose();
    }
    m.dispose();
  });

  it('in the CLI grammar: zeropad:1, zeropad:1x2, zeropad:0x1x2x3, written back the same way, and in a layers file', () => {
    const specs = parseLayerList('zeropad:1,conv:4x3/2:relu,zeropad:1x2,zeropad:0x1x2x3,flatten,10:softmax');
    expect(specs[0]).toMatchObject({
      type: 'zeroPadding2d',
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    expect(specs[2]).toMatchObject({
      padding: [
        [1, 1],
        [2, 2],
      ],
    });
    expect(specs[3]).toMatchObject({
      padding: [
        [0, 1],
        [2, 3],
      ],
    });
    expect(describeLayers(specs)).toBe('zeropad:1,conv:4x3/2:relu,zeropad:1x2,zeropad:0x1x2x3,flatten,10:softmax');
    expect(parseLayerList(describeLayers(specs))).toEqual(specs);
    expectSimdnetError(() => parseLayerList('zeropad'), 'FORMAT', /item 1 'zeropad': zeropad needs N, RxC or TxBxLxR/);
    expectSimdnetError(() => parseLayerList('zeropad:1x2x3'), 'FORMAT', /zeropad needs N, RxC or TxBxLxR/);
    const json = parseLayerJson(
      '[{"type": "zeroPadding2d", "padding": 1, "inputShape": [3, 4, 1]}, {"type": "flatten"}]',
    );
    expect(json[0]).toMatchObject({
      type: 'zeroPadding2d',
      padding: [
        [1, 1],
        [1, 1],
      ],
      inputShape: [3, 4, 1],
    });
    expectSimdnetError(
      () => parseLayerJson('[{"type": "zeroPadding2d", "padding": 1, "mode": "reflect"}]'),
      'FORMAT',
      /a zeroPadding2d layer has no field "mode"/,
    );
  });
});
