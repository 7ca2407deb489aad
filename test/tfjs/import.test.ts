// importTfjsLayers: the TF.js fixtures (trained and saved by tfjs-layers 4.22, scripts/fixtures/tfjs-fixtures.mjs)
// predict what TF.js predicted, on both backends, and fine-tune and quantize; in-memory model.json variations cover
// each mapping (Keras 2 / TF.js / Keras 3 spellings, layers, weight names, quantized weights, shards) and each
// refusal, by error code and message.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizeModel } from '../../src/compress/index.js';
import { loadMnist } from '../../src/data/mnist-node.js';
import { createEngine, init, type Sequential } from '../../src/index.js';
import { importTfjsLayers } from '../../src/tfjs/import.js';
import { halfToFloat } from '../../src/io/bounds.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

const fixtures = new URL('./fixtures/', import.meta.url);

interface Expected {
  sampleShape: number[];
  rows: number;
  output: number[][];
  heldOut: { rows: number; classes: number[]; accuracy: number };
}

/** A fixture's model.json text, its shards (the manifest's paths, in order) and expected.json. */
function fixture(name: string): { json: string; shards: Uint8Array[]; expected: Expected } {
  const dir = new URL(`${name}/`, fixtures);
  const json = readFileSync(new URL('model.json', dir), 'utf8');
  const paths = (JSON.parse(json) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest.flatMap(
    (g) => g.paths,
  );
  return {
    json,
    shards: paths.map((p) => readFileSync(new URL(p, dir))),
    expected: JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Expected,
  };
}

let mnist: ReturnType<typeof loadMnist>;

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
  mnist = loadMnist();
});

describe.each(['tfjs-mlp', 'tfjs-cnn'])('fixture %s', (name) => {
  it('predicts what TF.js predicted (≤ 1e-5) on both backends, and the same held-out classes', () => {
    const { json, shards, expected } = fixture(name);
    const x = mnist.test.x.data;
    for (const backend of ['wasm', 'js'] as const) {
      const model = importTfjsLayers(json, shards, { backend });
      expect(model.inputShape).toEqual(expected.sampleShape);
      const y = model.predict(x.subarray(0, expected.rows * 784));
      expectClose(y.data, expected.output.flat(), 1e-5, 0, `${name} ${backend} outputs`);
      const classes = model.predictClasses(x);
      expect(classes.length).toBe(expected.heldOut.rows);
      const differ = [...classes].flatMap((c, i) => (c === expected.heldOut.classes[i] ? [] : [i]));
      expect(differ, `${backend}: rows whose class differs from TF.js's`).toEqual([]);
      model.dispose();
    }
  });

  it('fine-tunes (loss falls, no NaN) and quantizes (int8 agrees with TF.js on ≥ 98% of held-out rows)', async () => {
    const { json, shards, expected } = fixture(name);
    const model = importTfjsLayers(json, shards);
    const rows = 1024;
    const xs = mnist.train.x.data.subarray(0, rows * 784);
    const ys = mnist.train.labels!.subarray(0, rows);
    model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const before = model.evaluate(xs, ys).loss;
    const history = await model.fit(xs, ys, { epochs: 2, batchSize: 64, seed: 1 });
    const after = model.evaluate(xs, ys).loss;
    expect(Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before);
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(model.getWeights().every((w) => w.data.every(Number.isFinite))).toBe(true);
    model.dispose();

    const fresh = importTfjsLayers(json, shards);
    const q = quantizeModel(fresh, { calibration: mnist.train.x.data.subarray(0, 256 * 784) });
    const classes = q.predictClasses(mnist.test.x.data);
    const same = classes.filter((c, i) => c === expected.heldOut.classes[i]).length;
    expect(same / classes.length).toBeGreaterThanOrEqual(0.98);
    fresh.dispose();
  });
});

// ---- In-memory models ----------------------------------------------------------------------------------------------

type Config = Record<string, unknown>;

/** A serialized Keras layer. */
const L = (className: string, config: Config): Config => ({ class_name: className, config });

/** A weight to store: values as float32, or quantized. */
interface W {
  name: string;
  shape: number[];
  values: ArrayLike<number>;
  quantization?: { dtype: 'uint8' | 'uint16'; scale: number; min: number } | { dtype: 'float16' };
  dtype?: string;
}

/** The bytes of one weight as tf.io lays them out (little-endian). */
function bytesOf(w: W): Uint8Array {
  const q = w.quantization;
  if (!q) return new Uint8Array(Float32Array.from(w.values).buffer);
  if (q.dtype === 'uint8') return Uint8Array.from(w.values);
  return new Uint8Array(Uint16Array.from(w.values).buffer);
}

/** model.json (Sequential) and its weight bytes. */
function sequentialModel(layers: Config[], weights: W[], extra: Config = {}): { json: Config; data: Uint8Array } {
  const parts = weights.map(bytesOf);
  const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  const json = {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'seq', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
    convertedBy: null,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: weights.map((w) => ({
          name: w.name,
          shape: w.shape,
          dtype: w.dtype ?? 'float32',
          ...(w.quantization ? { quantization: w.quantization } : {}),
        })),
      },
    ],
    ...extra,
  };
  return { json, data };
}

const f32 = (n: number, seed: number, lo = -1, hi = 1): Float32Array => randArray(n, seed, lo, hi);

/** y = x·W + b for rows of x (in f64, then compared at f32 tolerance). */
function denseRef(
  x: Float32Array,
  w: ArrayLike<number>,
  b: ArrayLike<number> | undefined,
  inDim: number,
  units: number,
): Float32Array {
  const rows = x.length / inDim;
  const y = new Float32Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let s = b ? b[u] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[i * units + u];
      y[r * units + u] = s;
    }
  }
  return y;
}

/** A 6 → 4 Dense model with the given first-layer config additions. */
function denseModel(
  config: Config = {},
  weights?: W[],
): { json: Config; data: Uint8Array; k: Float32Array; b: Float32Array } {
  const k = f32(24, 1);
  const b = f32(4, 2);
  const m = sequentialModel(
    [
      L('Dense', {
        units: 4,
        activation: 'linear',
        use_bias: true,
        name: 'dense_Dense1',
        trainable: true,
        batch_input_shape: [null, 6],
        ...config,
      }),
    ],
    weights ?? [
      { name: 'dense_Dense1/kernel', shape: [6, 4], values: k },
      { name: 'dense_Dense1/bias', shape: [4], values: b },
    ],
  );
  return { ...m, k, b };
}

/** The one Sequential an import makes, disposed after `fn`. */
function withModel(
  json: Config | string,
  data: Parameters<typeof importTfjsLayers>[1],
  fn: (m: Sequential) => void,
  options = {},
): void {
  const m = importTfjsLayers(json, data, options);
  try {
    fn(m);
  } finally {
    m.dispose();
  }
}

const refuses = (
  m: { json: Config; data: Uint8Array },
  code: Parameters<typeof expectSimdnetError>[1],
  message: string | RegExp,
): void => {
  expectSimdnetError(() => importTfjsLayers(m.json, m.data), code, message);
};

describe('mappings', () => {
  it('Dense: kernel (in, units) and bias by name, the activation, predictions x·W + b', () => {
    const { json, data, k, b } = denseModel({ activation: 'relu' });
    withModel(json, data, (m) => {
      expect(m.layers).toEqual([
        expect.objectContaining({
          type: 'dense',
          name: 'dense_Dense1',
          units: 4,
          activation: 'relu',
          useBias: true,
          trainable: true,
        }),
      ]);
      expect(m.inputShape).toEqual([6]);
      expect(m.name).toBe('seq');
      const x = f32(18, 3);
      expectClose(
        m.predict(x).data,
        denseRef(x, k, b, 6, 4).map((v) => Math.max(v, 0)),
        1e-6,
        1e-6,
      );
      expect(m.metadata.tfjs).toEqual({
        producer: 'TensorFlow.js tfjs-layers v4.22.0; tfjs-layers 4.22.0',
        modelName: 'seq',
        notes: [],
      });
    });
  });

  it('reads model.json text, an ArrayBuffer, a Node Buffer at an offset, and the options backend and name', () => {
    const { json, data, k, b } = denseModel();
    const x = f32(6, 4);
    const want = denseRef(x, k, b, 6, 4);
    const pooled = Buffer.concat([Buffer.alloc(13), Buffer.from(data)]).subarray(13);
    for (const d of [data, data.slice().buffer, pooled]) {
      withModel(JSON.stringify(json), d, (m) => expectClose(m.predict(x).data, want, 1e-6, 1e-6), {
        backend: 'js',
        name: 'mine',
      });
    }
    withModel(
      json,
      data,
      (m) => {
        expect(m.backend).toBe('js');
        expect(m.name).toBe('mine');
      },
      { backend: 'js', name: 'mine' },
    );
  });

  it('use_bias false, trainable false, L1L2 kernel regularizer; training-only options dropped with notes', () => {
    const { json, data } = denseModel(
      {
        use_bias: false,
        trainable: false,
        kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } },
        bias_regularizer: { class_name: 'L1L2', config: { l1: 0.1, l2: 0 } },
        kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2, axis: 0 } },
      },
      [{ name: 'dense_Dense1/kernel', shape: [6, 4], values: f32(24, 1) }],
    );
    withModel(json, data, (m) => {
      expect(m.layers[0]).toMatchObject({ useBias: false, trainable: false, kernelRegularizer: { l1: 0, l2: 0.01 } });
      const notes = (m.metadata.tfjs as { notes: string[] }).notes;
      expect(notes).toEqual([
        'layer \'dense_Dense1\' (Dense): bias_regularizer "L1L2" ignored (it only affects training)',
        'layer \'dense_Dense1\' (Dense): kernel_constraint "MaxNorm" ignored (it only affects training)',
      ]);
    });
    for (const [reg, want] of [
      [
        { class_name: 'L2', config: { l2: 0.5 } },
        { l1: 0, l2: 0.5 },
      ],
      [
        { class_name: 'L1', config: { l1: 0.25 } },
        { l1: 0.25, l2: 0 },
      ],
      [
        { className: 'L1L2', config: { l1: 0.5, l2: 0.125 } },
        { l1: 0.5, l2: 0.125 },
      ],
      ['l2', { l1: 0, l2: 0.01 }],
      [{ class_name: 'L1L2', config: { l1: 0, l2: 0 } }, undefined],
    ] as const) {
      const d = denseModel({ kernel_regularizer: reg });
      withModel(d.json, d.data, (m) =>
        expect((m.layers[0] as { kernelRegularizer?: object }).kernelRegularizer).toEqual(want),
      );
    }
    const other = denseModel({ kernel_regularizer: { class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } } });
    withModel(other.json, other.data, (m) => {
      expect(m.layers[0]).not.toHaveProperty('kernelRegularizer');
      expect((m.metadata.tfjs as { notes: string[] }).notes[0]).toContain(
        'kernel_regularizer "OrthogonalRegularizer" ignored',
      );
    });
  });

  it('Keras spellings: model_config wrapper, camelCase keys and values, input_shape, InputLayer batch_shape (Keras 3), legacy list config', () => {
    const k = f32(24, 1);
    const b = f32(4, 2);
    const weights: W[] = [
      { name: 'd/kernel', shape: [6, 4], values: k },
      { name: 'd/bias', shape: [4], values: b },
    ];
    const x = f32(12, 5);
    const want = denseRef(x, k, b, 6, 4).map((v) => 1 / (1 + Math.exp(-v)));
    const variants: Config[][] = [
      [L('Dense', { units: 4, activation: 'sigmoid', name: 'd', batch_input_shape: [null, 6] })],
      [
        {
          className: 'Dense',
          config: { units: 4, activation: 'sigmoid', useBias: true, name: 'd', batchInputShape: [null, 6] },
        },
      ],
      [L('Dense', { units: 4, activation: 'sigmoid', name: 'd', input_shape: [6] })],
      [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, 6], dtype: 'float32', sparse: false, name: 'input_layer' },
          registered_name: null,
        },
        {
          module: 'keras.layers',
          class_name: 'Dense',
          config: {
            units: 4,
            activation: 'sigmoid',
            name: 'd',
            dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
          },
          registered_name: null,
          build_config: { input_shape: [null, 6] },
        },
      ],
      [
        L('InputLayer', { batchInputShape: [null, 6], name: 'in' }),
        L('Dense', { units: 4, activation: 'sigmoid', name: 'd' }),
      ],
    ];
    for (const layers of variants) {
      const { json, data } = sequentialModel(layers, weights);
      withModel(json, data, (m) => {
        expect(m.layers.map((l) => l.name)).toEqual(['d']);
        expectClose(m.predict(x).data, want, 1e-6, 1e-6);
      });
    }
    // tensorflowjs_converter's Keras form: model_config inside modelTopology; Keras 2.2's list config.
    const { json, data } = sequentialModel([], weights);
    const wrapped = {
      ...json,
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: [L('Dense', { units: 4, activation: 'sigmoid', name: 'd', batch_input_shape: [null, 6] })],
        },
      },
    };
    withModel(wrapped, data, (m) => {
      expectClose(m.predict(x).data, want, 1e-6, 1e-6);
      expect((m.metadata.tfjs as { producer: string }).producer).toBe('TensorFlow.js tfjs-layers v4.22.0; 2.15.0');
    });
    // ModelArtifacts as tf.io.withSaveHandler hands them over: weightSpecs instead of a manifest.
    const artifacts = {
      modelTopology: json.modelTopology,
      weightSpecs: (json.weightsManifest as Array<{ weights: unknown }>)[0].weights,
      format: 'layers-model',
    };
    (artifacts.modelTopology as { config: { layers: Config[] } }).config.layers = variants[0];
    withModel(artifacts, data, (m) => expectClose(m.predict(x).data, want, 1e-6, 1e-6));
    withModel(artifacts, [data.slice(0, 7), data.slice(7)], (m) => expectClose(m.predict(x).data, want, 1e-6, 1e-6));
  });

  it('the first Dense kernel gives the input width when no input shape is declared', () => {
    const { json, data } = denseModel({ batch_input_shape: undefined });
    withModel(json, data, (m) => expect(m.inputShape).toEqual([6]));
  });

  it('a CNN: Conv2D, BatchNormalization, pooling, LeakyReLU, ReLU, Softmax, Flatten, Dropout, Reshape, GlobalAveragePooling2D', () => {
    const layers = [
      L('Conv2D', {
        filters: 3,
        kernel_size: [3, 2],
        strides: [1, 2],
        padding: 'same',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: 'tanh',
        use_bias: false,
        name: 'c1',
        batch_input_shape: [null, 6, 6, 2],
      }),
      L('BatchNormalization', { axis: [3], momentum: 0.9, epsilon: 0.01, center: false, scale: true, name: 'bn' }),
      L('MaxPooling2D', { pool_size: [2, 2], strides: null, padding: 'valid', name: 'mp' }),
      L('LeakyReLU', { alpha: 0.2, name: 'lr' }),
      L('AvgPool2D', { pool_size: 2, strides: 1, padding: 'same', name: 'ap' }),
      L('ReLU', { max_value: null, negative_slope: 0.1, threshold: 0, name: 'relu_slope' }),
      L('Convolution2D', { filters: 2, kernel_size: 1, name: 'c2' }),
      L('ReLU', { name: 'relu' }),
      L('GlobalAveragePooling2D', { data_format: 'channels_last', keepdims: false, name: 'gap' }),
      L('Reshape', { target_shape: [-1, 1], name: 'rs' }),
      L('Flatten', { name: 'fl' }),
      L('Dropout', { rate: 0.3, noise_shape: null, seed: null, name: 'do' }),
      L('Dense', { units: 3, name: 'out' }),
      L('Softmax', { axis: -1, name: 'sm' }),
    ];
    const weights: W[] = [
      { name: 'c1/kernel', shape: [3, 2, 2, 3], values: f32(36, 1) },
      { name: 'bn/gamma', shape: [3], values: f32(3, 2, 0.5, 2) },
      { name: 'c2/kernel', shape: [1, 1, 3, 2], values: f32(6, 3) },
      { name: 'c2/bias', shape: [2], values: f32(2, 4) },
      { name: 'out/kernel', shape: [2, 3], values: f32(6, 5) },
      { name: 'out/bias', shape: [3], values: f32(3, 6) },
      // tf.io lists non-trainable weights last: found by name, not position.
      { name: 'bn/moving_mean', shape: [3], values: f32(3, 7) },
      { name: 'bn/moving_variance', shape: [3], values: f32(3, 8, 0.5, 2) },
    ];
    const { json, data } = sequentialModel(layers, weights);
    withModel(json, data, (m) => {
      expect(m.layers.map((l) => [l.name, l.type])).toEqual([
        ['c1', 'conv2d'],
        ['bn', 'batchNormalization'],
        ['mp', 'maxPooling2d'],
        ['lr', 'activation'],
        ['ap', 'averagePooling2d'],
        ['relu_slope', 'activation'],
        ['c2', 'conv2d'],
        ['relu', 'activation'],
        ['gap', 'globalAveragePooling2d'],
        ['rs', 'reshape'],
        ['fl', 'flatten'],
        ['do', 'dropout'],
        ['out', 'dense'],
        ['sm', 'activation'],
      ]);
      expect(m.layers[0]).toMatchObject({
        filters: 3,
        kernelSize: [3, 2],
        strides: [1, 2],
        padding: 'same',
        activation: 'tanh',
        useBias: false,
      });
      expect(m.layers[1]).toMatchObject({ momentum: 0.9, epsilon: 0.01 });
      expect(m.layers[2]).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
      expect(m.layers[3]).toMatchObject({ activation: 'leakyRelu', alpha: 0.2 });
      expect(m.layers[4]).toMatchObject({ poolSize: [2, 2], strides: [1, 1], padding: 'same' });
      expect(m.layers[5]).toMatchObject({ activation: 'leakyRelu', alpha: 0.1 });
      expect(m.layers[6]).toMatchObject({
        kernelSize: [1, 1],
        strides: [1, 1],
        padding: 'valid',
        activation: 'linear',
      });
      expect(m.layers[7]).toMatchObject({ activation: 'relu' });
      expect(m.layers[9]).toMatchObject({ targetShape: [-1, 1] });
      expect(m.layers[11]).toMatchObject({ rate: 0.3 });
      expect(m.layers[13]).toMatchObject({ activation: 'softmax' });
      expect(m.outputShape).toEqual([3]);
      // getWeights() order is simdnet's (gamma, beta, mean, variance); center false gives beta = 0.
      const got = Object.fromEntries(m.getWeights().map((w) => [w.name, Array.from(w.data)]));
      expect(got['bn/beta']).toEqual([0, 0, 0]);
      expect(got['bn/gamma']).toEqual(Array.from(weights[1].values));
      expect(got['bn/movingMean']).toEqual(Array.from(weights[6].values));
      expect(got['bn/movingVariance']).toEqual(Array.from(weights[7].values));
      expect(got['c1/kernel']).toEqual(Array.from(weights[0].values));
      expect((m.metadata.tfjs as { notes: string[] }).notes).toEqual([
        "layer 'bn' (BatchNormalization): center false: beta = 0 (trainable in simdnet when fine-tuned)",
      ]);
      const y = m.predict(f32(3 * 72, 9, 0, 1));
      for (let r = 0; r < 3; r++) expect(y.data[r * 3] + y.data[r * 3 + 1] + y.data[r * 3 + 2]).toBeCloseTo(1, 6);
    });
  });

  it('BatchNormalization computes gamma·(x − mean)/√(var + ε) + beta with scale false (gamma = 1)', () => {
    const beta = f32(4, 1);
    const mean = f32(4, 2);
    const variance = f32(4, 3, 0.5, 2);
    const { json, data } = sequentialModel(
      [L('BatchNormalization', { axis: -1, epsilon: 0.001, scale: false, name: 'bn', batch_input_shape: [null, 4] })],
      [
        { name: 'bn/beta', shape: [4], values: beta },
        { name: 'bn/moving_mean', shape: [4], values: mean },
        { name: 'bn/moving_variance', shape: [4], values: variance },
      ],
    );
    const x = f32(8, 4);
    const want = x.map((v, i) => (v - mean[i % 4]) / Math.sqrt(variance[i % 4] + 0.001) + beta[i % 4]);
    withModel(json, data, (m) => expectClose(m.predict(x).data, want, 1e-6, 1e-5));
  });

  it('Permute: output axis i is input axis dims[i − 1] (1-based, as Keras)', () => {
    const { json, data } = sequentialModel(
      [L('Permute', { dims: [2, 1, 3], name: 'p', batch_input_shape: [null, 2, 3, 2] }), L('Flatten', { name: 'f' })],
      [],
    );
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    // y[j][i][c] = x[i][j][c] for x of shape [2, 3, 2].
    const want: number[] = [];
    for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) for (let c = 0; c < 2; c++) want.push(x[i * 6 + j * 2 + c]);
    withModel(json, data, (m) => {
      expect(m.layers[0]).toMatchObject({ type: 'permute', dims: [2, 1, 3] });
      expect(Array.from(m.predict(x).data)).toEqual(want);
    });
    refuses(
      sequentialModel([L('Permute', { dims: [1, 1], name: 'p', batch_input_shape: [null, 2, 3] })], []),
      'RANGE',
      "layer 'p' (Permute): permute layer 'p': dims must be a permutation of 1..2",
    );
  });

  it('ZeroPadding2D (channels_last): [[top, bottom], [left, right]], [rows, columns], n, and the default 1', () => {
    const { json, data } = sequentialModel(
      [
        L('ZeroPadding2D', {
          padding: [
            [1, 0],
            [0, 2],
          ],
          data_format: 'channels_last',
          name: 'zp',
          batch_input_shape: [null, 2, 2, 1],
        }),
        L('Flatten', { name: 'f' }),
      ],
      [],
    );
    withModel(json, data, (m) => {
      expect(m.layers[0]).toMatchObject({
        type: 'zeroPadding2d',
        name: 'zp',
        padding: [
          [1, 0],
          [0, 2],
        ],
      });
      expect(Array.from(m.predict(Float32Array.from([1, 2, 3, 4])).data)).toEqual([0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0]);
    });
    for (const [padding, want] of [
      [
        [1, 2],
        [
          [1, 1],
          [2, 2],
        ],
      ],
      [
        3,
        [
          [3, 3],
          [3, 3],
        ],
      ],
      [
        undefined,
        [
          [1, 1],
          [1, 1],
        ],
      ],
    ] as const) {
      const cfg: Record<string, unknown> = { name: 'zp', batch_input_shape: [null, 4, 4, 2] };
      if (padding !== undefined) cfg.padding = padding;
      const one = sequentialModel([L('ZeroPadding2D', cfg)], []);
      withModel(one.json, one.data, (m) => expect(m.layers[0]).toMatchObject({ padding: want }));
    }
    refuses(
      sequentialModel(
        [
          L('ZeroPadding2D', {
            padding: [1, 2],
            data_format: 'channels_first',
            name: 'zp',
            batch_input_shape: [null, 2, 4, 4],
          }),
        ],
        [],
      ),
      'UNSUPPORTED',
      "layer 'zp' (ZeroPadding2D): data_format 'channelsFirst' is not supported",
    );
  });

  it('weight names: layer/cell/weight (TF 2.2+) and Keras 3 layer/index', () => {
    const k = f32(24, 1);
    const b = f32(4, 2);
    const x = f32(6, 3);
    for (const [kn, bn] of [
      ['dense_Dense1/cell/kernel', 'dense_Dense1/cell/bias'],
      ['dense_Dense1/0', 'dense_Dense1/1'],
    ]) {
      const { json, data } = denseModel({}, [
        { name: bn, shape: [4], values: b },
        { name: kn, shape: [6, 4], values: k },
      ]);
      withModel(json, data, (m) => expectClose(m.predict(x).data, denseRef(x, k, b, 6, 4), 1e-6, 1e-6));
    }
  });

  it('layer names made valid and unique', () => {
    const { json, data } = sequentialModel(
      [
        L('Flatten', { name: 'block 1/flat', batch_input_shape: [null, 2, 2] }),
        L('Dropout', { rate: 0.1, name: 'block_1_flat' }),
        L('Activation', { activation: null, name: 'block_1/flat' }),
      ],
      [],
    );
    withModel(json, data, (m) =>
      expect(m.layers.map((l) => l.name)).toEqual(['block_1_flat', 'block_1_flat_2', 'block_1_flat_3']),
    );
  });

  it('quantized weights dequantized as tf.io does: uint8 and uint16 v·scale + min, float16 as IEEE half', () => {
    const k8 = Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256);
    const k16 = Uint16Array.from({ length: 4 }, (_, i) => i * 20000 + 7);
    const x = f32(12, 4);
    const { json, data } = denseModel({}, [
      {
        name: 'dense_Dense1/kernel',
        shape: [6, 4],
        values: k8,
        quantization: { dtype: 'uint8', scale: 0.01, min: -1.2 },
      },
      { name: 'dense_Dense1/bias', shape: [4], values: k16, quantization: { dtype: 'uint16', scale: 1e-5, min: -0.3 } },
    ]);
    const kd = Float32Array.from(k8, (v) => v * 0.01 - 1.2);
    const bd = Float32Array.from(k16, (v) => v * 1e-5 - 0.3);
    withModel(json, data, (m) => {
      expect(Array.from(m.getWeights()[0].data)).toEqual(Array.from(kd));
      expect(Array.from(m.getWeights()[1].data)).toEqual(Array.from(bd));
      expectClose(m.predict(x).data, denseRef(x, kd, bd, 6, 4), 1e-6, 1e-6);
    });
    // Halves: 1, −2, 65504 (largest), 2^-24 (smallest subnormal), 2^-14 (smallest normal), 0.333 (0x3555).
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3555];
    expect(halves.map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, 0.333251953125]);
    const h = denseModel({ use_bias: false, units: 1 }, [
      { name: 'dense_Dense1/kernel', shape: [6, 1], values: halves, quantization: { dtype: 'float16' } },
    ]);
    withModel(h.json, h.data, (m) =>
      expect(Array.from(m.getWeights()[0].data)).toEqual(halves.map((v) => Math.fround(halfToFloat(v)))),
    );
  });

  it('shards: as many buffers as the manifest paths, each group filling its own', () => {
    const { json, data, k, b } = denseModel();
    const x = f32(6, 7);
    const manifest = json.weightsManifest as Array<{ paths: string[]; weights: unknown[] }>;
    // One group over two shards cut mid-tensor (tf.io cuts at 4 MB, not at tensor edges).
    const two = { ...json, weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: manifest[0].weights }] };
    withModel(two, [data.slice(0, 50), data.slice(50).buffer], (m) =>
      expectClose(m.predict(x).data, denseRef(x, k, b, 6, 4), 1e-6, 1e-6),
    );
    // Two groups, one shard each.
    const groups = {
      ...json,
      weightsManifest: [
        { paths: ['k.bin'], weights: [manifest[0].weights[0]] },
        { paths: ['b.bin'], weights: [manifest[0].weights[1]] },
      ],
    };
    withModel(groups, [data.slice(0, 96), data.slice(96)], (m) =>
      expectClose(m.predict(x).data, denseRef(x, k, b, 6, 4), 1e-6, 1e-6),
    );
    expectSimdnetError(
      () => importTfjsLayers(groups, [data.slice(0, 90), data.slice(90)]),
      'FORMAT',
      'weight group 0: its tensors take 96 bytes, its 1 shard(s) hold 90',
    );
    expectSimdnetError(
      () => importTfjsLayers(two, [data]),
      'FORMAT',
      'got 1 weight shard(s), the manifest lists 2 (a.bin, b.bin)',
    );
  });

  it('a Functional model that is a chain (TF.js and Keras 3 forms) imports as the same Sequential', () => {
    const k1 = f32(12, 1);
    const b1 = f32(4, 2);
    const k2 = f32(8, 3);
    const weights: W[] = [
      { name: 'h/kernel', shape: [3, 4], values: k1 },
      { name: 'h/bias', shape: [4], values: b1 },
      { name: 'o/kernel', shape: [4, 2], values: k2 },
    ];
    const x = f32(9, 4);
    const want = denseRef(
      denseRef(x, k1, b1, 3, 4).map((v) => Math.max(v, 0)),
      k2,
      undefined,
      4,
      2,
    );
    const tfjsNode = (from: string) => [[[from, 0, 0, {}]]];
    const keras3Node = (from: string) => [
      {
        args: [
          {
            class_name: '__keras_tensor__',
            config: { shape: [null, 4], dtype: 'float32', keras_history: [from, 0, 0] },
          },
        ],
        kwargs: {},
      },
    ];
    for (const node of [tfjsNode, keras3Node]) {
      // Listed out of order: the chain is followed from input to output.
      const layers = [
        { name: 'o', class_name: 'Dense', config: { units: 2, use_bias: false, name: 'o' }, inbound_nodes: node('h') },
        {
          name: 'in',
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, 3], name: 'in' },
          inbound_nodes: [],
        },
        {
          name: 'h',
          class_name: 'Dense',
          config: { units: 4, activation: 'relu', name: 'h' },
          inbound_nodes: node('in'),
        },
      ];
      const { json, data } = sequentialModel([], weights);
      const fn = {
        ...json,
        modelTopology: {
          class_name: 'Functional',
          config: { name: 'fn', layers, input_layers: [['in', 0, 0]], output_layers: [['o', 0, 0]] },
        },
      };
      withModel(fn, data, (m) => {
        expect(m.layers.map((l) => l.name)).toEqual(['h', 'o']);
        expect(m.name).toBe('fn');
        expectClose(m.predict(x).data, want, 1e-6, 1e-6);
      });
    }
  });
});

describe('refusals', () => {
  /** A one-layer model (input 4×4×2 maps) with the given layer, weights as given. */
  const one = (
    layer: Config,
    weights: W[] = [],
    input: unknown = [null, 4, 4, 2],
  ): { json: Config; data: Uint8Array } => {
    const cfg = layer.config as Config;
    return sequentialModel([{ ...layer, config: { ...cfg, batch_input_shape: input } }], weights);
  };

  it('layer options simdnet cannot run exactly', () => {
    const conv = (cfg: Config) =>
      one(L('Conv2D', { filters: 2, kernel_size: 3, name: 'c', ...cfg }), [
        { name: 'c/kernel', shape: [3, 3, 2, 2], values: f32(36, 1) },
        { name: 'c/bias', shape: [2], values: [0, 0] },
      ]);
    refuses(
      conv({ data_format: 'channels_first' }),
      'UNSUPPORTED',
      "layer 'c' (Conv2D): data_format 'channelsFirst' is not supported: simdnet runs channels_last (NHWC) maps only",
    );
    refuses(
      conv({ dilation_rate: [2, 2] }),
      'UNSUPPORTED',
      "layer 'c' (Conv2D): dilation_rate [2, 2] is not supported (1 only)",
    );
    refuses(conv({ groups: 2 }), 'UNSUPPORTED', "layer 'c' (Conv2D): groups 2 is not supported (1 only)");
    refuses(
      conv({ padding: 'causal' }),
      'UNSUPPORTED',
      "layer 'c' (Conv2D): padding 'causal' is not supported (valid, same)",
    );
    refuses(
      conv({ activation: 'elu' }),
      'UNSUPPORTED',
      "layer 'c' (Conv2D): activation 'elu' is not supported (linear, relu, sigmoid, tanh, softmax; leaky ReLU as a LeakyReLU layer)",
    );
    refuses(conv({ activation: 'relu6' }), 'UNSUPPORTED', "activation 'relu6' is not supported");
    refuses(conv({ activation: 'selu' }), 'UNSUPPORTED', "activation 'selu' is not supported");
    refuses(conv({ filters: 0 }), 'RANGE', "layer 'c' (Conv2D): conv2d filters");
    refuses(
      one(L('ReLU', { max_value: 6, name: 'r' })),
      'UNSUPPORTED',
      "layer 'r' (ReLU): max_value 6 is not supported (a ReLU without a cap only)",
    );
    refuses(
      one(L('ReLU', { threshold: 0.5, name: 'r' })),
      'UNSUPPORTED',
      "layer 'r' (ReLU): threshold 0.5 is not supported (0 only)",
    );
    refuses(
      one(L('Softmax', { axis: 1, name: 's' })),
      'UNSUPPORTED',
      "layer 's' (Softmax): axis 1 is not supported: simdnet's softmax runs over the last axis (-1, or 3 for an input of shape [4, 4, 2])",
    );
    refuses(
      one(L('BatchNormalization', { axis: 1, name: 'bn' })),
      'UNSUPPORTED',
      "layer 'bn' (BatchNormalization): axis 1 is not supported: simdnet's batch normalization runs over the last axis",
    );
    refuses(
      one(L('BatchNormalization', { renorm: true, name: 'bn' })),
      'UNSUPPORTED',
      "layer 'bn' (BatchNormalization): renorm is not supported",
    );
    refuses(
      one(L('BatchNormalization', { virtual_batch_size: 8, name: 'bn' })),
      'UNSUPPORTED',
      "layer 'bn' (BatchNormalization): virtual_batch_size 8 is not supported",
    );
    refuses(
      one(L('Dropout', { rate: 0.5, noise_shape: [null, 1, 1, 2], name: 'd' })),
      'UNSUPPORTED',
      "layer 'd' (Dropout): noise_shape [null,1,1,2] is not supported",
    );
    refuses(
      one(L('Dropout', { rate: 1.5, name: 'd' })),
      'RANGE',
      "layer 'd' (Dropout): dropout rate must be in [0, 1), got 1.5",
    );
    refuses(
      one(L('GlobalAveragePooling2D', { keepdims: true, name: 'g' })),
      'UNSUPPORTED',
      "layer 'g' (GlobalAveragePooling2D): keepdims true is not supported",
    );
    refuses(
      one(L('MaxPooling2D', { pool_size: 2, data_format: 'channels_first', name: 'p' })),
      'UNSUPPORTED',
      "layer 'p' (MaxPooling2D): data_format 'channelsFirst'",
    );
    refuses(
      one(L('Flatten', { data_format: 'channels_first', name: 'f' })),
      'UNSUPPORTED',
      "layer 'f' (Flatten): data_format 'channelsFirst'",
    );
    refuses(
      one(L('Dense', { units: 3, name: 'd' }), [
        { name: 'd/kernel', shape: [2, 3], values: f32(6, 1) },
        { name: 'd/bias', shape: [3], values: [0, 0, 0] },
      ]),
      'UNSUPPORTED',
      "layer 'd' (Dense): Dense on an input of shape [4, 4, 2] (Keras applies it to the last axis) is not supported",
    );
    refuses(
      one(L('Dense', { units: 3, name: 'd', lora_rank: 4 })),
      'UNSUPPORTED',
      "layer 'd' (Dense): lora_rank 4 is not supported",
    );
    refuses(
      one(L('Reshape', { target_shape: [5, 5], name: 'r' })),
      'SHAPE',
      "layer 'r' (Reshape): layer 'r' (reshape) cannot take input [4, 4, 2]: 32 values do not make [5, 5]",
    );
    refuses(one(L('MaxPooling2D', { pool_size: 8, name: 'p' })), 'SHAPE', "layer 'p' (MaxPooling2D):");
  });

  it('classes and topologies other than a chain of supported layers', () => {
    refuses(
      one(L('ELU', { alpha: 1, name: 'e' })),
      'UNSUPPORTED',
      "layer 'e' (ELU): class ELU is not supported (supported: InputLayer, Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Permute, ZeroPadding2D, Dropout, Activation, LeakyReLU, ReLU, Softmax, BatchNormalization)",
    );
    refuses(
      one(L('Conv1D', { filters: 2, kernel_size: 3, name: 'c' })),
      'UNSUPPORTED',
      "layer 'c' (Conv1D): class Conv1D is not supported",
    );
    refuses(
      one(L('Sequential', { name: 'inner', layers: [] })),
      'UNSUPPORTED',
      "layer 'inner' (Sequential): a model nested as a layer is not supported",
    );
    refuses(
      sequentialModel(
        [
          L('Flatten', { name: 'f', batch_input_shape: [null, 4] }),
          L('InputLayer', { batch_input_shape: [null, 4], name: 'i' }),
        ],
        [],
      ),
      'UNSUPPORTED',
      "layer 'i' (InputLayer) is not the first layer",
    );
    refuses(
      sequentialModel(
        [L('InputLayer', { batch_input_shape: [null, 4], sparse: true, name: 'i' }), L('Flatten', { name: 'f' })],
        [],
      ),
      'UNSUPPORTED',
      "layer 'i' (InputLayer): sparse inputs are not supported",
    );
    refuses(
      one(L('Flatten', { name: 'f' }), [], [null, null, 4]),
      'UNSUPPORTED',
      "layer 'f' (Flatten): input shape [null,null,4] has a dimension of variable size",
    );
    refuses(
      one(L('Flatten', { name: 'f' }), [], [null, 2 ** 14, 2 ** 14, 2]),
      'FORMAT',
      "layer 'f' (Flatten): input shape [null,16384,16384,2] must hold positive integers, at most 134217728 values in all",
    );
    refuses(
      sequentialModel([L('Flatten', { name: 'f' })], []),
      'FORMAT',
      "layer 'f' (Flatten): the model declares no input shape (batch_input_shape on the first layer, or an InputLayer)",
    );
    refuses(sequentialModel([], []), 'EMPTY', 'the Sequential model has no layers');
    const base = sequentialModel([], []);
    const topo = (t: Config) => ({ json: { ...base.json, modelTopology: t }, data: base.data });
    refuses(
      topo({ class_name: 'Foo', config: {} }),
      'UNSUPPORTED',
      'model class Foo is not supported (Sequential, or a Model/Functional that is a chain of layers)',
    );
    // A branch, a merge, a shared layer, two inputs.
    const node = (...from: string[]) => [from.map((f) => [f, 0, 0, {}])];
    const fn = (layers: Config[], inputs = [['in', 0, 0]], outputs = [['o', 0, 0]]) =>
      topo({ class_name: 'Model', config: { name: 'm', layers, input_layers: inputs, output_layers: outputs } });
    const input = {
      name: 'in',
      class_name: 'InputLayer',
      config: { batch_input_shape: [null, 3], name: 'in' },
      inbound_nodes: [],
    };
    const d = (name: string, nodes: unknown) => ({
      name,
      class_name: 'Dense',
      config: { units: 3, name },
      inbound_nodes: nodes,
    });
    refuses(
      fn([
        input,
        d('a', node('in')),
        d('b', node('in')),
        { name: 'o', class_name: 'Add', config: { name: 'o' }, inbound_nodes: node('a', 'b') },
      ]),
      'UNSUPPORTED',
      "layer 'o' (Add) takes 2 inputs: only layers of one input (a chain) are supported",
    );
    refuses(
      fn([
        input,
        d('a', node('in')),
        { name: 'o', class_name: 'Concatenate', config: { name: 'o' }, inbound_nodes: node('a', 'in') },
      ]),
      'UNSUPPORTED',
      "layer 'o' (Concatenate) takes 2 inputs: only layers of one input (a chain) are supported",
    );
    refuses(
      fn([input, { ...d('o', [...node('in'), ...node('o')]) }]),
      'UNSUPPORTED',
      "layer 'o' (Dense) is called 2 times (a shared layer): only a chain of layers is supported",
    );
    refuses(
      fn(
        [input, d('o', node('in'))],
        [
          ['in', 0, 0],
          ['o', 0, 0],
        ],
      ),
      'UNSUPPORTED',
      'a Model model with 2 inputs is not supported (one input, one output)',
    );
    refuses(
      fn([input, d('a', node('in')), d('o', node('in'))]),
      'UNSUPPORTED',
      "layer 'in' (InputLayer) feeds 2 layers (a, o): only a chain of layers (no branches) is supported",
    );
    refuses(
      fn([input, d('o', node('in')), d('z', node('o'))]),
      'UNSUPPORTED',
      "layers z are not on the path from 'in' to 'o'",
    );
  });

  it('files that are not a layers model', () => {
    const { json, data } = denseModel();
    expectSimdnetError(() => importTfjsLayers('{"modelTopology": ', data), 'FORMAT', 'model.json is not valid JSON');
    expectSimdnetError(() => importTfjsLayers('[1, 2]', data), 'FORMAT', 'model.json must be a JSON object, got [1,2]');
    expectSimdnetError(
      () => importTfjsLayers({ ...json, format: 'graph-model' }, data),
      'UNSUPPORTED',
      'model.json format "graph-model" is not supported: only \'layers-model\' (a graph model from tensorflowjs_converter',
    );
    expectSimdnetError(
      () => importTfjsLayers({ format: 'layers-model' }, data),
      'FORMAT',
      'model.json has no modelTopology object (got nothing)',
    );
    expectSimdnetError(
      () => importTfjsLayers({ ...json, weightsManifest: {} }, data),
      'FORMAT',
      'weightsManifest must be a list of groups ({ paths, weights }), got an object',
    );
    expectSimdnetError(
      () => importTfjsLayers(json, 'bytes' as never),
      'DTYPE',
      'weight data must be an ArrayBuffer or a Uint8Array, got string',
    );
  });

  it('weights that do not fit the layers or the data', () => {
    const k = f32(24, 1);
    const b = f32(4, 2);
    const kw = (extra: Partial<W> = {}): W => ({ name: 'dense_Dense1/kernel', shape: [6, 4], values: k, ...extra });
    const bw = (extra: Partial<W> = {}): W => ({ name: 'dense_Dense1/bias', shape: [4], values: b, ...extra });
    const with_ = (ws: W[]) => denseModel({}, ws);
    refuses(
      with_([kw()]),
      'FORMAT',
      "layer 'dense_Dense1' (Dense): its weight 'dense_Dense1/bias' is not in the weights manifest",
    );
    refuses(
      with_([kw(), bw(), { name: 'other/kernel', shape: [2], values: [1, 2] }]),
      'FORMAT',
      "the weights manifest has 1 weight(s) no layer takes: 'other/kernel'",
    );
    refuses(
      with_([kw({ shape: [4, 6] }), bw()]),
      'SHAPE',
      "layer 'dense_Dense1' (Dense): weight 'dense_Dense1/kernel' has shape [4, 6], the layer needs [6, 4] on input [6]",
    );
    refuses(
      with_([kw(), bw(), { name: 'dense_Dense1/kernel', shape: [1], values: [1] }]),
      'FORMAT',
      "weightsManifest names the weight 'dense_Dense1/kernel' twice",
    );
    refuses(
      with_([kw({ dtype: 'float64' }), bw()]),
      'DTYPE',
      'weight \'dense_Dense1/kernel\' has dtype "float64": layer weights must be float32',
    );
    refuses(with_([kw({ dtype: 'int32' }), bw()]), 'DTYPE', 'weight \'dense_Dense1/kernel\' has dtype "int32"');
    refuses(
      with_([kw({ quantization: { dtype: 'int4' } as never }), bw()]),
      'DTYPE',
      'weight \'dense_Dense1/kernel\': quantization dtype "int4" is not supported (uint8, uint16, float16)',
    );
    refuses(
      with_([kw({ values: new Uint8Array(24), quantization: { dtype: 'uint8' } as never }), bw()]),
      'FORMAT',
      "weight 'dense_Dense1/kernel': uint8 quantization needs finite numbers scale and min",
    );
    const nan = Float32Array.from(k);
    nan[5] = NaN;
    refuses(
      with_([kw(), bw({ values: [0, 1, Infinity, 2] })]),
      'NONFINITE',
      "weight 'dense_Dense1/bias' (layer 'dense_Dense1' (Dense)) holds Infinity at index 2: weights must be finite",
    );
    refuses(
      with_([kw({ values: nan }), bw()]),
      'NONFINITE',
      "weight 'dense_Dense1/kernel' (layer 'dense_Dense1' (Dense)) holds NaN at index 5",
    );
    refuses(
      with_([kw({ values: new Uint16Array(24).fill(0x7c00), quantization: { dtype: 'float16' } }), bw()]),
      'NONFINITE',
      "weight 'dense_Dense1/kernel' (layer 'dense_Dense1' (Dense)) holds Infinity at index 0",
    );
    const { json, data } = denseModel();
    expectSimdnetError(
      () => importTfjsLayers(json, data.subarray(0, 100)),
      'FORMAT',
      "the manifest's weights take 112 bytes, the weight data holds 100 (truncated?)",
    );
    expectSimdnetError(
      () => importTfjsLayers(json, new Uint8Array(120)),
      'FORMAT',
      "the manifest's weights take 112 bytes, the weight data holds 120",
    );
    expectSimdnetError(
      () => importTfjsLayers(json, undefined as never),
      'FORMAT',
      "the manifest's weights take 112 bytes and no weight data was given",
    );
    // A layer far larger than its weights: refused on the shapes, before anything is allocated.
    refuses(
      denseModel({ units: 4e9 }),
      'RANGE',
      "layer 'dense_Dense1' (Dense): output [4000000000] has more than 134217728 values per sample",
    );
    refuses(
      denseModel({ units: 4000 }),
      'SHAPE',
      "weight 'dense_Dense1/kernel' has shape [6, 4], the layer needs [6, 4000]",
    );
  });

  it('finite weights a forward pass would overflow f32 with: FORMAT naming the TF.js weight, nothing left allocated', async () => {
    // Every weight 3e38: one product with an input of 1000 overflows.
    const huge = denseModel({}, [
      { name: 'dense_Dense1/kernel', shape: [6, 4], values: new Float32Array(24).fill(3e38) },
      { name: 'dense_Dense1/bias', shape: [4], values: new Float32Array(4).fill(3e38) },
    ]);
    refuses(
      huge,
      'FORMAT',
      /^TF\.js weight 'dense_Dense1\/kernel' \(layer 'dense_Dense1' \(Dense\)\) is too large: layer 'dense_Dense1' can reach .* for inputs with \|x\| <= 1000/,
    );

    // A 1e30 kernel is fine alone (6 · 1e30 · 1000 = 6e33); the Dense it feeds takes that to 6e33 · 4 · 1e10 = 2.4e44.
    const first: W[] = [
      { name: 'd1/kernel', shape: [6, 4], values: new Float32Array(24).fill(1e30) },
      { name: 'd1/bias', shape: [4], values: new Float32Array(4) },
    ];
    const d1 = L('Dense', { units: 4, activation: 'relu', name: 'd1', batch_input_shape: [null, 6] });
    const chained = sequentialModel(
      [d1, L('Dense', { units: 2, name: 'd2' })],
      [
        ...first,
        { name: 'd2/kernel', shape: [4, 2], values: new Float32Array(8).fill(1e10) },
        { name: 'd2/bias', shape: [2], values: [0, 0] },
      ],
    );
    refuses(
      chained,
      'FORMAT',
      /TF\.js weight 'd2\/kernel' \(layer 'd2' \(Dense\)\) is too large: layer 'd2' can reach 2\.40e\+44/,
    );
    withModel(sequentialModel([d1], first).json, sequentialModel([d1], first).data, (m) =>
      expect(m.layers.length).toBe(1),
    );

    // Large only once dequantized: uint8 steps of 1e36 (255 · 1e36 is a finite f32).
    const q = denseModel({}, [
      {
        name: 'dense_Dense1/kernel',
        shape: [6, 4],
        values: new Uint8Array(24).fill(255),
        quantization: { dtype: 'uint8', scale: 1e36, min: 0 },
      },
      { name: 'dense_Dense1/bias', shape: [4], values: [0, 0, 0, 0] },
    ]);
    refuses(q, 'FORMAT', "TF.js weight 'dense_Dense1/kernel' (layer 'dense_Dense1' (Dense)) is too large");

    // A batch norm's beta by its name; a LeakyReLU slope (simdnet takes up to 1000) by its value.
    const bn = sequentialModel(
      [L('BatchNormalization', { axis: -1, epsilon: 0.001, scale: false, name: 'bn', batch_input_shape: [null, 4] })],
      [
        { name: 'bn/beta', shape: [4], values: [0, 0, 2e38, 0] },
        { name: 'bn/moving_mean', shape: [4], values: [0, 0, 0, 0] },
        { name: 'bn/moving_variance', shape: [4], values: [1, 1, 1, 1] },
      ],
    );
    refuses(bn, 'FORMAT', "TF.js weight 'bn/beta' (layer 'bn' (BatchNormalization)) is too large: layer 'bn'");
    const leaky = sequentialModel(
      [L('Dense', { units: 4, name: 'd', batch_input_shape: [null, 6] }), L('LeakyReLU', { alpha: 100, name: 'lr' })],
      [
        { name: 'd/kernel', shape: [6, 4], values: new Float32Array(24).fill(1e33) },
        { name: 'd/bias', shape: [4], values: [0, 0, 0, 0] },
      ],
    );
    // The dense layer reaches -6e36 (fine); the slope of 100 takes that to -6e38.
    refuses(leaky, 'FORMAT', "alpha 100 is too large: layer 'lr' can reach 6.00e+38");

    // Refused before anything is allocated: the engine's memory is as it was, and the next import works on it.
    const engine = await createEngine('js');
    const before = engine.arena.used;
    expectSimdnetError(() => importTfjsLayers(chained.json, chained.data, { engine }), 'FORMAT', "'d2/kernel'");
    expect(engine.arena.used).toBe(before);
    const ok = denseModel();
    withModel(
      ok.json,
      ok.data,
      (m) => expectClose(m.predict(f32(6, 5)).data, denseRef(f32(6, 5), ok.k, ok.b, 6, 4), 1e-6, 1e-6),
      { engine },
    );
    expect(engine.arena.used).toBe(before);
  });
});
