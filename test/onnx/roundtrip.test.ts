// export → import gives back the same model: the same layers, bit-identical weights and predictions, for every
// layer type, on both backends; and an imported model exports to a graph that imports to itself again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  activation,
  averagePooling2d,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  maxPooling2d,
  permute,
  reshape,
  sequential,
  type Backend,
  type LayerSpec,
  type Sequential,
} from '../../src/index.js';
import { exportOnnx, importOnnx } from '../../src/onnx/index.js';
import { init } from '../../src/runtime/engine.js';
import { rng } from '../helpers/check.js';

const FIX = join(import.meta.dirname, 'fixtures');
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

function randomRows(rows: number, cols: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows * cols }, () => r() * 2 - 1);
}

/** Trains one step so batch norm's moving statistics and every weight are non-trivial. */
async function trained(layers: LayerSpec[], input: number[], backend: Backend, seed: number): Promise<Sequential> {
  const m = sequential(layers, { backend, seed });
  m.build(input);
  const cols = input.reduce((a, b) => a * b, 1);
  const x = randomRows(32, cols, seed);
  const out = m.outputDim;
  const y = Int32Array.from({ length: 32 }, (_, i) => i % out);
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  await m.fit({ data: x, rows: 32, cols }, y, { epochs: 2, batchSize: 8, seed });
  return m;
}

/**
 * The layer specs without what a file does not carry: names (an imported model names layers after nodes), the
 * declared input (the model's input shape is compared on its own) and the initializer the weights came from.
 */
function shapeOf(m: Sequential): unknown[] {
  return m.layers.map((l) => {
    const {
      name: _n,
      inputShape: _s,
      inputDim: _d,
      kernelInitializer: _k,
      ...rest
    } = l as LayerSpec & { inputShape?: unknown; inputDim?: unknown; kernelInitializer?: unknown };
    return rest;
  });
}

const MODELS: Record<string, { layers: () => LayerSpec[]; input: number[] }> = {
  'a CNN with every image layer': {
    input: [12, 12, 3],
    layers: () => [
      conv2d(4, 3, { padding: 'same', activation: 'relu' }),
      batchNormalization(),
      maxPooling2d(2),
      conv2d(6, [3, 2], { strides: [2, 1], padding: 'valid', activation: 'leakyRelu', alpha: 0.2 }),
      averagePooling2d(2, { padding: 'same' }),
      activation('tanh'),
      flatten(),
      dropout(0.25),
      dense(8, { activation: 'sigmoid' }),
      batchNormalization(),
      dense(5, { activation: 'softmax' }),
    ],
  },
  'NCHW rows through permute, global pooling, reshape': {
    input: [3, 8, 8],
    layers: () => [
      permute([2, 3, 1]),
      conv2d(5, 3, { activation: 'relu' }),
      globalAveragePooling2d(),
      dense(12, { activation: 'linear' }),
      reshape([2, 2, 3]),
      conv2d(4, 1),
      flatten(),
      dense(3, { activation: 'softmax' }),
    ],
  },
  'an MLP': {
    input: [20],
    layers: () => [
      dense(16, { activation: 'relu' }),
      dropout(0.1),
      dense(8, { activation: 'tanh' }),
      dense(4, { activation: 'softmax' }),
    ],
  },
};

describe('export → import', () => {
  for (const backend of ['wasm', 'js'] as const) {
    for (const [what, spec] of Object.entries(MODELS)) {
      it(`${what} (${backend}): same layers, bit-identical weights and predictions`, async () => {
        const m = await trained(spec.layers(), spec.input, backend, 7);
        const bytes = exportOnnx(m);
        // Deterministic: the same model gives the same bytes.
        expect(exportOnnx(m)).toEqual(bytes);
        const back = importOnnx(bytes, { backend });
        expect(shapeOf(back)).toEqual(shapeOf(m));
        expect(back.inputShape).toEqual(m.inputShape);
        const w0 = m.getWeights();
        const w1 = back.getWeights();
        expect(w1.map((w) => w.shape)).toEqual(w0.map((w) => w.shape));
        for (let i = 0; i < w0.length; i++) expect(w1[i].data, w0[i].name).toEqual(w0[i].data);
        const cols = spec.input.reduce((a, b) => a * b, 1);
        const x = { data: randomRows(9, cols, 3), rows: 9, cols };
        expect(back.predict(x).data).toEqual(m.predict(x).data);
        // And again: an imported model exports to the same graph.
        expect(exportOnnx(back)).toEqual(exportOnnx(importOnnx(exportOnnx(back), { backend })));
        m.dispose();
        back.dispose();
      });
    }
  }
});

describe('imported models export to files that import to themselves', () => {
  for (const name of ['torch-cnn', 'torch-mlp', 'sklearn-mlp', 'torch-cnn-rgb-flat']) {
    it(name, () => {
      const a = importOnnx(new Uint8Array(readFileSync(join(FIX, `${name}.onnx`))));
      const bytes = exportOnnx(a);
      const b = importOnnx(bytes);
      expect(shapeOf(b)).toEqual(shapeOf(a));
      const wa = a.getWeights();
      const wb = b.getWeights();
      for (let i = 0; i < wa.length; i++) expect(wb[i].data, wa[i].name).toEqual(wa[i].data);
      expect(exportOnnx(b)).toEqual(bytes);
      a.dispose();
      b.dispose();
    });
  }
});

it('producer_version is the package version', () => {
  const m = sequential([dense(2, { inputDim: 3 })]);
  m.build(3);
  const text = Buffer.from(exportOnnx(m)).toString('latin1');
  expect(text).toContain(`simdnet`);
  expect(text).toContain(pkg.version);
  m.dispose();
});
