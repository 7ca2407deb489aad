// The whole journey for models no one here trained: a PyTorch CNN and MLP, a scikit-learn MLP and a TensorFlow.js
// layers model import, match their framework's outputs, fine-tune on new data (a head replaced, the body frozen,
// or every layer), and export back to ONNX that ONNX Runtime runs to simdnet's own numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, dense, transfer, type Sequential } from '../../src/index.js';
import type { Matrix } from '../../src/data/matrix.js';
import { loadMnist } from '../../src/data/mnist-node.js';
import { exportOnnx, importOnnx } from '../../src/onnx/index.js';
import { importTfjsLayers } from '../../src/tfjs/index.js';
import { init } from '../../src/runtime/engine.js';

const ONNX = join(import.meta.dirname, 'fixtures');
const TFJS = join(import.meta.dirname, '../tfjs/fixtures');

interface Expected {
  sampleShape: number[];
  rows: number;
  output: number[][];
  heldOut: { classes: number[]; accuracy: number };
}

let split: ReturnType<typeof loadMnist>;

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  await init();
  split = loadMnist();
});

function rows(m: Matrix, from: number, count: number): Matrix {
  return { data: m.data.subarray(from * m.cols, (from + count) * m.cols), rows: count, cols: m.cols };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function accuracy(model: Sequential): number {
  const c = model.predictClasses(split.test.x);
  let right = 0;
  for (let i = 0; i < c.length; i++) if (c[i] === split.test.labels![i]) right++;
  return right / c.length;
}

/** Runs an exported graph in ONNX Runtime on rows given in simdnet's layout, shaped as the graph's input says. */
async function ortPredict(bytes: Uint8Array, x: Matrix, sample: readonly number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data.slice(), [x.rows, ...sample]) });
  return out[s.outputNames[0]].data as Float32Array;
}

const MODELS: Array<{ name: string; load: () => Sequential; expected: string; mode: 'head' | 'all' }> = [
  {
    name: 'PyTorch CNN',
    load: () => importOnnx(readFileSync(join(ONNX, 'torch-cnn.onnx'))),
    expected: join(ONNX, 'torch-cnn.expected.json'),
    mode: 'head',
  },
  {
    name: 'PyTorch MLP',
    load: () => importOnnx(readFileSync(join(ONNX, 'torch-mlp.onnx'))),
    expected: join(ONNX, 'torch-mlp.expected.json'),
    mode: 'all',
  },
  {
    name: 'scikit-learn MLP',
    load: () => importOnnx(readFileSync(join(ONNX, 'sklearn-mlp.onnx'))),
    expected: join(ONNX, 'sklearn-mlp.expected.json'),
    mode: 'all',
  },
  {
    name: 'TensorFlow.js CNN',
    load: () =>
      importTfjsLayers(
        readFileSync(join(TFJS, 'tfjs-cnn/model.json'), 'utf8'),
        readFileSync(join(TFJS, 'tfjs-cnn/weights.bin')),
      ),
    expected: join(TFJS, 'tfjs-cnn/expected.json'),
    mode: 'head',
  },
];

describe('pretrained elsewhere: import, match, fine-tune, export, run in ONNX Runtime', () => {
  for (const spec of MODELS) {
    it(spec.name, async () => {
      const exp = JSON.parse(readFileSync(spec.expected, 'utf8')) as Expected;
      const imported = spec.load();
      // The framework's own outputs and held-out classes.
      expect(maxAbsDiff(imported.predict(rows(split.test.x, 0, exp.rows)).data, exp.output.flat())).toBeLessThanOrEqual(
        1e-5,
      );
      expect(Array.from(imported.predictClasses(split.test.x))).toEqual(exp.heldOut.classes);
      const before = accuracy(imported);
      expect(before).toBe(exp.heldOut.accuracy);

      // New data: 2,000 training digits the model has not been scored on. A CNN keeps its convolutional body frozen
      // under a new head; an MLP fine-tunes every layer at a small learning rate.
      const x = rows(split.train.x, 0, 2000);
      const y = split.train.labels!.subarray(0, 2000);
      const model =
        spec.mode === 'head' ? transfer(imported, { head: [dense(10, { activation: 'softmax' })], seed: 3 }) : imported;
      model.compile({
        loss: 'categoricalCrossentropy',
        optimizer: adam({ learningRate: spec.mode === 'head' ? 3e-3 : 1e-4 }),
      });
      const history = await model.fit(x, y, { epochs: spec.mode === 'head' ? 8 : 3, batchSize: 32, seed: 1 });
      const losses = history.history.loss;
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      expect(accuracy(model)).toBeGreaterThan(before - 0.02);

      // Out again: ONNX Runtime computes what simdnet's fine-tuned model computes.
      const bytes = exportOnnx(model);
      const test = rows(split.test.x, 0, 500);
      const ours = model.predict(test).data;
      expect(maxAbsDiff(await ortPredict(bytes, test, model.inputShape!), ours)).toBeLessThanOrEqual(1e-5);
      if (model !== imported) imported.dispose();
      model.dispose();
    });
  }
});
