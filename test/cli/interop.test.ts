// `simdnet import` / `export`, and evaluate/predict/info/quantize reading .onnx files and TensorFlow.js model.json
// directly: spawned processes, the real exporters' fixtures, the exported graphs run in ONNX Runtime.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import { loadModel } from '../../src/io/format.js';
import { init } from '../../src/runtime/engine.js';
import { buildCli, runNode, scratch, type RunResult } from './helpers.js';

const FIX = join(import.meta.dirname, '../onnx/fixtures');
const TFJS = join(import.meta.dirname, '../tfjs/fixtures');

let bin: string;
let work: string;
const simdnet = (args: string[]): Promise<RunResult> => runNode(bin, args, work);

interface Expected {
  rows: number;
  output: number[][];
}
const expected = (path: string): Expected => JSON.parse(readFileSync(path, 'utf8')) as Expected;

/** The first `rows` MNIST test rows, as the fixtures' expected outputs were made from. */
function mnistRows(rows: number): Float32Array {
  return loadMnist().test.x.data.slice(0, rows * 784);
}

function maxAbsDiff(a: ArrayLike<number>, b: number[][]): number {
  const flat = b.flat();
  expect(a.length).toBe(flat.length);
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(a[i] - flat[i]));
  return m;
}

async function runOrt(path: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(path)));
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, shape) });
  return out[session.outputNames[0]].data as Float32Array;
}

function expectUserError(r: RunResult, code: number, message: RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  work = scratch({ 'garbage.onnx': new Uint8Array([8, 7, 18, 200, 1, 2, 3]) });
  await init();
}, 120_000);

describe('import and export', () => {
  it('imports a PyTorch CNN, saves it, and exports it back to ONNX that ONNX Runtime runs with the same outputs', async () => {
    const exp = expected(join(FIX, 'torch-cnn.expected.json'));
    const r = await simdnet(['import', join(FIX, 'torch-cnn.onnx'), '-o', 'cnn.simdnet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ONNX \(pytorch [\d.]+, opset 13\)/);
    expect(r.stdout).toMatch(/conv2d/);
    expect(r.stdout).toMatch(/wrote cnn\.simdnet/);
    const x = mnistRows(exp.rows);
    const model = loadModel(readFileSync(join(work, 'cnn.simdnet')));
    expect(model.name).toBe('torch-cnn');
    expect(maxAbsDiff(model.predict({ data: x, rows: exp.rows, cols: 784 }).data, exp.output)).toBeLessThanOrEqual(
      1e-5,
    );
    model.dispose();

    const e = await simdnet(['export', 'cnn.simdnet', '-o', 'out/cnn.onnx']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/float graph, input \[batch, 28, 28, 1\]/);
    // The imported model keeps PyTorch's input and output names.
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(work, 'out/cnn.onnx'))));
    expect(session.inputNames).toEqual(['input']);
    expect(
      maxAbsDiff(await runOrt(join(work, 'out/cnn.onnx'), x, [exp.rows, 28, 28, 1]), exp.output),
    ).toBeLessThanOrEqual(1e-5);
  });

  it('imports a TensorFlow.js model.json with its shard, named after its directory', async () => {
    const exp = expected(join(TFJS, 'tfjs-mlp/expected.json'));
    const r = await simdnet(['import', join(TFJS, 'tfjs-mlp/model.json'), '-o', 'mlp.simdnet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TensorFlow\.js layers model/);
    const model = loadModel(readFileSync(join(work, 'mlp.simdnet')));
    expect(model.name).toBe('tfjs-mlp');
    expect(
      maxAbsDiff(model.predict({ data: mnistRows(exp.rows), rows: exp.rows, cols: 784 }).data, exp.output),
    ).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('quantizes an .onnx file directly and exports the int8 model in both forms, which ONNX Runtime runs', async () => {
    const q = await simdnet(['quantize', join(FIX, 'sklearn-mlp.onnx'), '--mnist', '-o', 'skl.int8.simdnet']);
    expect(q.code, q.stderr).toBe(0);
    const e = await simdnet(['export', 'skl.int8.simdnet', '-o', 'skl.int8.onnx', '--opset', '17']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/int8 graph \(integer form\)/);
    const bytes = readFileSync(join(work, 'skl.int8.onnx'));
    expect(bytes.includes(Buffer.from('QuantizeLinear'))).toBe(true);
    const exp = expected(join(FIX, 'sklearn-mlp.expected.json'));
    const y = await runOrt(join(work, 'skl.int8.onnx'), mnistRows(exp.rows), [exp.rows, 784]);
    // int8 against the float model's probabilities: the same class on nearly every row.
    let agree = 0;
    for (let r = 0; r < exp.rows; r++) {
      const row = Array.from(y.subarray(r * 10, r * 10 + 10));
      if (row.indexOf(Math.max(...row)) === exp.output[r].indexOf(Math.max(...exp.output[r]))) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(exp.rows - 2);
    const qdq = await simdnet(['export', 'skl.int8.simdnet', '-o', 'skl.qdq.onnx', '--int8', 'qdq']);
    expect(qdq.code, qdq.stderr).toBe(0);
    expect(qdq.stdout).toMatch(/int8 graph \(qdq form\)/);
    const yq = await runOrt(join(work, 'skl.qdq.onnx'), mnistRows(exp.rows), [exp.rows, 784]);
    let close = 0;
    for (let i = 0; i < y.length; i++) if (Math.abs(yq[i] - y[i]) <= 1e-2) close++;
    expect(close).toBe(y.length);
  });
});

describe('evaluate, predict and info take .onnx and model.json directly', () => {
  it('evaluates a PyTorch CNN that ends in logits as a classifier on MNIST', async () => {
    const r = await simdnet(['evaluate', join(FIX, 'torch-cnn.onnx'), '--mnist']);
    expect(r.code, r.stderr).toBe(0);
    const acc = Number(/accuracy ([\d.]+)%/.exec(r.stdout)?.[1]);
    expect(acc).toBeGreaterThan(95);
  });

  it('predicts with a TensorFlow.js model and describes both kinds', async () => {
    const p = await simdnet(['predict', join(TFJS, 'tfjs-mlp/model.json'), '--mnist', '--limit', '3']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(4);
    const i = await simdnet(['info', join(FIX, 'sklearn-mlp.onnx')]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/sklearn-mlp\.onnx: ONNX \(/);
    const j = await simdnet(['info', join(TFJS, 'tfjs-mlp/model.json'), '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ source: 'TensorFlow.js layers model', inputs: 784, outputs: 10 });
  });
});

describe('mistakes: one line, non-zero exit', () => {
  it('a file that is not ONNX, a shard outside the model directory, a sparse model to export, --out over the model', async () => {
    expectUserError(await simdnet(['import', 'garbage.onnx']), 1, /garbage\.onnx: /);
    expectUserError(await simdnet(['info', 'garbage.onnx']), 1, /garbage\.onnx: /);
    // A scikit-learn classifier's label output is not what a model computes: the probabilities are.
    expectUserError(
      await simdnet(['import', join(FIX, 'sklearn-mlp-2out.onnx'), '--output', 'label', '-o', 'x.simdnet']),
      1,
      /label.*INT64/,
    );
    const two = await simdnet(['import', join(FIX, 'sklearn-mlp-2out.onnx'), '-o', 'skl2.simdnet']);
    expect(two.code, two.stderr).toBe(0);

    mkdirSync(join(work, 'evil'), { recursive: true });
    const json = JSON.parse(readFileSync(join(TFJS, 'tfjs-mlp/model.json'), 'utf8')) as {
      weightsManifest: Array<{ paths: string[] }>;
    };
    copyFileSync(
      join(TFJS, 'tfjs-mlp', json.weightsManifest[0].paths[0]),
      join(work, json.weightsManifest[0].paths[0]),
    );
    json.weightsManifest[0].paths = [`../${json.weightsManifest[0].paths[0]}`];
    writeFileSync(join(work, 'evil/model.json'), JSON.stringify(json));
    expectUserError(await simdnet(['import', 'evil/model.json']), 1, /outside the model's directory/);
    writeFileSync(join(work, 'evil/notjson.json'), '{ nope');
    expectUserError(await simdnet(['info', 'evil/notjson.json']), 1, /is not JSON/);

    const s = await simdnet([
      'prune',
      join(FIX, 'sklearn-mlp.onnx'),
      '--sparsity',
      '0.5',
      '--sparse',
      '-o',
      'skl.sparse.simdnet',
    ]);
    expect(s.code, s.stderr).toBe(0);
    expectUserError(
      await simdnet(['export', 'skl.sparse.simdnet']),
      1,
      /sparse model; export takes a float or quantized model/,
    );
    expectUserError(await simdnet(['export', 'cnn.simdnet', '-o', 'cnn.simdnet']), 2, /would overwrite/);
    expectUserError(await simdnet(['export', 'cnn.simdnet', '--opset', '9']), 2, /opset/);
    expectUserError(await simdnet(['export', 'cnn.simdnet', '--int8', 'qdq']), 2, /--int8 is for quantized models/);
  });
});
