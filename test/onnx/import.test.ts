// importOnnx: in-memory graphs for each op and mapping rule, checked against ONNX Runtime Web on the same bytes,
// on both backends; the refusals (code, and a message naming the node and op); then the real exporters' files in
// test/onnx/fixtures against the framework's own outputs, fine-tuned, transferred, quantized and pruned.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pruneMagnitude, quantizeModel, sparsityOf } from '../../src/compress/index.js';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  type SimdnetError,
  activation,
  adam,
  createEngine,
  dense,
  init,
  loadModel,
  saveModel,
  transfer,
  type Sequential,
} from '../../src/index.js';
import type { Backend } from '../../src/runtime/engine.js';
import { decodeModel, encodeModel } from '../../src/onnx/codec.js';
import { Reader, Wire, Writer } from '../../src/onnx/proto.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnx, type OnnxImportInfo } from '../../src/onnx/import.js';
import { AttrType, DataType, type OnnxModel } from '../../src/onnx/types.js';
import { expectSimdnetError } from '../helpers/errors.js';
import {
  ChainBuilder,
  f,
  floatTensor,
  int64Tensor,
  lcg,
  maxAbsDiff,
  node,
  onnxModel,
  ortRun,
  randomTensor,
  valueInfo,
} from './graph-builder.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

const size = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** The sample dims of a graph's input (its first dim is the batch). */
function sampleDims(m: OnnxModel): number[] {
  return m.graph.input[0].shape!.slice(1).map((d) => d.value!);
}

/**
 * Imports `m` on both backends (once from the object, once from its encoded bytes) and checks predictions on
 * random rows against ONNX Runtime on the same bytes. Returns the wasm model (the caller disposes it).
 */
async function agrees(
  m: OnnxModel,
  opts: { rows?: number; tol?: number; seed?: number; scale?: number } = {},
): Promise<Sequential> {
  const rows = opts.rows ?? 5;
  const sample = sampleDims(m);
  const r = lcg(opts.seed ?? 7, opts.scale ?? 1);
  const x = Float32Array.from({ length: rows * size(sample) }, () => r());
  const bytes = encodeModel(m);
  const want = await ortRun(bytes, x, [rows, ...sample]);
  const js = importOnnx(m, { backend: 'js' });
  const wasm = importOnnx(bytes, { backend: 'wasm' });
  for (const model of [js, wasm]) {
    const got = model.predict({ data: x, shape: [rows, size(sample)] });
    expect(got.rows).toBe(rows);
    expect(maxAbsDiff(got.data, want), `${model.backend} vs ONNX Runtime`).toBeLessThanOrEqual(opts.tol ?? 2e-5);
  }
  js.dispose();
  return wasm;
}

const types = (m: Sequential): string[] => m.layers.map((l) => l.type);
const acts = (m: Sequential): Array<string | undefined> =>
  m.layers.map((l) => ('activation' in l ? l.activation : undefined));

/** Expects importOnnx to refuse `m` with `code`, the message naming `label` (e.g. "'bad' (Erf)") and matching `more`. */
function refuses(m: OnnxModel, code: 'UNSUPPORTED' | 'FORMAT' | 'NONFINITE', label: string, more?: RegExp): void {
  const err = expectSimdnetError(() => importOnnx(m, { backend: 'js' }), code, label);
  if (more) expect(err.message).toMatch(more);
}

/** Gemm with transB=1 (PyTorch's Linear) from `inputs` to `units`. */
function linear(b: ChainBuilder, inputs: number, units: number, seed: number, name?: string): void {
  const id = name ?? `fc${seed}`;
  b.add(
    'Gemm',
    [
      b.init(randomTensor(`${id}.weight`, [units, inputs], seed)),
      b.init(randomTensor(`${id}.bias`, [units], seed + 100)),
    ],
    { alpha: f(1), beta: f(1), transB: 1 },
    id,
  );
}

/** Conv (OIHW weight, bias) with `attrs`. */
function convNode(
  b: ChainBuilder,
  c: number,
  filters: number,
  k: number,
  seed: number,
  attrs: Record<string, number | number[] | string> = {},
  name?: string,
): void {
  const id = name ?? `conv${seed}`;
  b.add(
    'Conv',
    [
      b.init(randomTensor(`${id}.weight`, [filters, c, k, k], seed)),
      b.init(randomTensor(`${id}.bias`, [filters], seed + 100)),
    ],
    { kernel_shape: [k, k], ...attrs },
    id,
  );
}

describe('dense graphs', () => {
  it('Gemm (transB 1 and 0) with Relu, Tanh, Sigmoid, LeakyRelu and Softmax: dense layers with fused activations', async () => {
    const b = new ChainBuilder(['batch', 6]);
    linear(b, 6, 8, 1);
    b.add('Relu');
    b.add('Gemm', [b.init(randomTensor('w2', [8, 7], 2)), b.init(randomTensor('b2', [7], 3))], {}, 'fc2'); // transB 0
    b.add('Tanh');
    linear(b, 7, 5, 4);
    b.add('Sigmoid');
    linear(b, 5, 5, 5);
    b.add('LeakyRelu', [], { alpha: f(0.2) });
    linear(b, 5, 3, 6);
    b.add('Softmax', [], { axis: -1 });
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['dense', 'dense', 'dense', 'dense', 'dense']);
    expect(acts(m)).toEqual(['relu', 'tanh', 'sigmoid', 'leakyRelu', 'softmax']);
    expect((m.layers[3] as { alpha: number }).alpha).toBe(0.2); // the float32 attribute read back as written
    expect(m.inputShape).toEqual([6]);
    m.dispose();
  });

  it('Gemm alpha and beta scale the kernel and the bias; C may be [1, M] or a scalar', async () => {
    const b = new ChainBuilder(['N', 4]);
    b.add('Gemm', [b.init(randomTensor('w1', [3, 4], 1)), b.init(randomTensor('c1', [1, 3], 2))], {
      alpha: f(0.5),
      beta: f(2),
      transB: 1,
    });
    b.add('Gemm', [b.init(randomTensor('w2', [3, 2], 3)), b.init(floatTensor('c2', [], [0.25]))], { alpha: f(1.5) });
    (await agrees(b.finish())).dispose();
  });

  it('skl2onnx style: MatMul + Add (bias over the rows, either order) → dense with bias; MatMul alone → no bias', async () => {
    const b = new ChainBuilder(['N', 5], 'float_input');
    b.add('MatMul', [b.init(randomTensor('coefficient', [5, 6], 1))]);
    b.add('Add', [b.init(randomTensor('intercepts', [1, 6], 2))]);
    b.add('Relu');
    b.add('MatMul', [b.init(randomTensor('coefficient1', [6, 4], 3))]);
    // Add(bias, x): the data second.
    b.nodes.push(node('Add', [b.init(randomTensor('intercepts1', [4], 4)), b.tensor], ['add_b_out'], {}, 'add_b'));
    const m0 = b.finish();
    m0.graph.node.push(node('Softmax', ['add_b_out'], ['probabilities'], { axis: 1 }, 'softmax'));
    m0.graph.output[0] = valueInfo('probabilities', ['N', 4]);
    const m = await agrees(m0);
    expect(types(m)).toEqual(['dense', 'dense']);
    expect(acts(m)).toEqual(['relu', 'softmax']);
    expect(m.layers.map((l) => (l as { useBias: boolean }).useBias)).toEqual([true, true]);
    m.dispose();

    const plain = new ChainBuilder(['N', 3]);
    plain.add('MatMul', [plain.init(randomTensor('w', [3, 2], 5))]);
    const p = await agrees(plain.finish());
    expect((p.layers[0] as { useBias: boolean }).useBias).toBe(false);
    p.dispose();
  });

  it('an activation that cannot fuse (after dropout, after another activation) is an activation layer', async () => {
    const b = new ChainBuilder(['N', 4]);
    linear(b, 4, 6, 1);
    b.add('Dropout', [
      b.init(floatTensor('ratio', [], [0.3])),
      b.init({ name: 'training_mode', dims: [], dataType: DataType.BOOL, int32Data: [0] }),
    ]);
    b.add('Relu');
    linear(b, 6, 3, 2);
    b.add('Tanh');
    b.add('Sigmoid');
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['dense', 'dropout', 'activation', 'dense', 'activation']);
    expect(acts(m)).toEqual(['linear', undefined, 'relu', 'tanh', 'sigmoid']);
    expect((m.layers[1] as { rate: number }).rate).toBe(0.3);
    m.dispose();
  });

  it('Dropout before opset 12 (ratio attribute) and Identity nodes, also between an initializer and its Gemm', async () => {
    const b = new ChainBuilder(['N', 4]);
    b.nodes.push(node('Identity', ['w_raw'], ['w_id'], {}, 'shared_weight'));
    b.init(randomTensor('w_raw', [5, 4], 1));
    b.add('Gemm', ['w_id', b.init(randomTensor('bias', [5], 2))], { transB: 1 }, 'fc');
    b.add('Identity');
    b.add('Relu');
    b.add('Dropout', [], { ratio: f(0.5) });
    linear(b, 5, 2, 3);
    const m = await agrees(b.finish({ opset: 10 }));
    expect(types(m)).toEqual(['dense', 'dropout', 'dense']);
    expect(acts(m)).toEqual(['relu', undefined, 'linear']);
    m.dispose();
  });

  it('Softmax axis: opset 11 defaults to 1, opset 13 to -1; another axis or a 4-D input is refused', async () => {
    for (const opset of [11, 13]) {
      const b = new ChainBuilder(['N', 4]);
      linear(b, 4, 3, 1);
      b.add('Softmax', [], {}, 'sm');
      (await agrees(b.finish({ opset }))).dispose();
    }
    const bad = new ChainBuilder(['N', 4]);
    linear(bad, 4, 3, 1);
    bad.add('Softmax', [], { axis: 0 }, 'sm');
    refuses(bad.finish(), 'UNSUPPORTED', "'sm' (Softmax)", /only the last axis/);
    const map = new ChainBuilder(['N', 1, 4, 4]);
    convNode(map, 1, 2, 3, 1);
    map.add('Softmax', [], { axis: 1 }, 'sm4');
    refuses(map.finish(), 'UNSUPPORTED', "'sm4' (Softmax)", /4-D/);
  });

  it('refuses Dropout in training mode, a used mask, and a ratio outside [0, 1)', () => {
    const train = new ChainBuilder(['N', 4]);
    train.add(
      'Dropout',
      [
        train.init(floatTensor('r', [], [0.5])),
        train.init({ name: 't', dims: [], dataType: DataType.BOOL, int32Data: [1] }),
      ],
      {},
      'drop',
    );
    refuses(train.finish(), 'UNSUPPORTED', "'drop' (Dropout)", /training_mode/);

    const mask = new ChainBuilder(['N', 4]);
    const d = mask.add('Dropout', [], {}, 'drop');
    d.output.push('mask');
    mask.nodes.push(node('Cast', ['mask'], ['mask_f'], { to: 1 }, 'cast'));
    const masked = mask.finish();
    masked.graph.output.push(valueInfo('mask_f', ['N', 4]));
    expectSimdnetError(
      () => importOnnx(masked, { output: 'mask_f' }),
      'UNSUPPORTED',
      /'drop' \(Dropout\).*extra output 'mask'/,
    );
    // A mask only a left-out output reads is dead, like the rest of that branch.
    importOnnx(masked, { output: 'drop_out', backend: 'js' }).dispose();

    const ratio = new ChainBuilder(['N', 4]);
    ratio.add('Dropout', [ratio.init(floatTensor('r', [], [1]))], {}, 'drop');
    refuses(ratio.finish(), 'UNSUPPORTED', "'drop' (Dropout)", /ratio 1/);
  });
});

describe('reshapes', () => {
  it('Flatten of a 1-channel NCHW input makes the model take the flat rows ([H·W])', async () => {
    const b = new ChainBuilder(['batch', 1, 4, 4], 'input');
    b.add('Flatten', [], { axis: 1 });
    linear(b, 16, 3, 1);
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['dense']);
    expect(m.inputShape).toEqual([16]);
    m.dispose();
  });

  it('Reshape with a constant shape ([-1, K] from a Constant node, [0, -1] from an initializer) after a conv stack', async () => {
    for (const [k, shape] of [
      ['constant', [-1, 18]],
      ['initializer', [0, -1]],
    ] as const) {
      const b = new ChainBuilder(['N', 2, 5, 5]);
      convNode(b, 2, 2, 3, 1);
      b.add('Relu');
      if (k === 'constant') {
        b.nodes.push(node('Constant', [], ['shape'], { value: int64Tensor('', [2], [...shape]) }, 'shape_const'));
        b.add('Reshape', ['shape'], {}, 'reshape');
      } else {
        b.add('Reshape', [b.init(int64Tensor('shape', [2], [...shape]))], {}, 'reshape');
      }
      linear(b, 18, 4, 2);
      const m = await agrees(b.finish());
      // The NCHW flattening is absorbed into the dense layer's rows: no layer beyond the input's permute.
      expect(types(m)).toEqual(['permute', 'conv2d', 'flatten', 'dense']);
      m.dispose();
    }
  });

  it("PyTorch opset 9's x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape is a flatten", async () => {
    const b = new ChainBuilder(['N', 1, 4, 4], 'input');
    convNode(b, 1, 3, 3, 1, { pads: [1, 1, 1, 1] });
    const x = b.tensor;
    b.nodes.push(
      node('Shape', [x], ['s'], {}, 'shape'),
      node('Constant', [], ['zero'], { value: int64Tensor('', [], [0]) }, 'c0'),
      node('Gather', ['s', 'zero'], ['n'], { axis: 0 }, 'gather'),
      node('Unsqueeze', ['n'], ['n1'], { axes: [0] }, 'unsq'),
      node('Constant', [], ['minus1'], { value: int64Tensor('', [1], [-1]) }, 'c1'),
      node('Concat', ['n1', 'minus1'], ['target'], { axis: 0 }, 'concat'),
    );
    b.add('Reshape', ['target'], {}, 'view');
    linear(b, 48, 5, 2);
    const m = await agrees(b.finish({ opset: 9 }));
    expect(types(m)).toEqual(['conv2d', 'flatten', 'dense']);
    m.dispose();
  });

  it('with a fixed batch in the file, a Reshape may spell it out ([2, -1] for batch 2); the model still runs any batch', async () => {
    const b = new ChainBuilder([2, 1, 3, 3]);
    convNode(b, 1, 2, 2, 1);
    b.add('Reshape', [b.init(int64Tensor('shape', [2], [2, -1]))], {}, 'fixed');
    linear(b, 8, 3, 2);
    const m = b.finish();
    (await agrees(m, { rows: 2 })).dispose();
    const model = importOnnx(m, { backend: 'js' });
    expect(model.predict({ data: new Float32Array(5 * 9), shape: [5, 9] }).rows).toBe(5);
    model.dispose();
  });

  it('a Reshape that does not keep the batch first, or computes with the batch size, is refused', () => {
    const b = new ChainBuilder(['N', 6]);
    b.add('Reshape', [b.init(int64Tensor('shape', [2], [3, -1]))], {}, 'bad_reshape');
    refuses(b.finish(), 'UNSUPPORTED', "'bad_reshape' (Reshape)", /batch/);

    const c = new ChainBuilder(['N', 6]);
    c.nodes.push(node('Shape', ['x'], ['s'], {}, 'shape'), node('Mul', ['s', 'two'], ['s2'], {}, 'double'));
    c.init(int64Tensor('two', [1], [2]));
    c.add('Reshape', ['s2'], {}, 'reshape');
    refuses(c.finish(), 'UNSUPPORTED', "'double' (Mul)", /batch size/);

    const fl = new ChainBuilder(['N', 2, 3]);
    fl.add('Flatten', [], { axis: 2 }, 'flat2');
    refuses(fl.finish(), 'UNSUPPORTED', "'flat2' (Flatten)", /only axis 1/);
  });

  it('a vector reshaped to an NCHW map feeds a Conv (1 channel: a reshape; 2 channels: reshape + permute)', async () => {
    for (const c of [1, 2]) {
      const b = new ChainBuilder(['N', 2 * c * 9]);
      linear(b, 2 * c * 9, c * 16, 1);
      b.add('Reshape', [b.init(int64Tensor('shape', [4], [-1, c, 4, 4]))], {}, 'to_map');
      convNode(b, c, 2, 3, 2);
      b.add('Flatten');
      linear(b, 8, 2, 3);
      const m = await agrees(b.finish());
      expect(types(m)).toEqual(
        c === 1
          ? ['dense', 'reshape', 'conv2d', 'flatten', 'dense']
          : ['dense', 'reshape', 'permute', 'conv2d', 'flatten', 'dense'],
      );
      m.dispose();
    }
  });

  it('another Transpose (batch first) is a permute layer; one that moves the batch, or of more than 4 sample axes, is refused', async () => {
    const b = new ChainBuilder(['N', 4, 3]);
    b.add('Transpose', [], { perm: [0, 2, 1] }, 't');
    b.add('Flatten');
    linear(b, 12, 2, 1);
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['permute', 'flatten', 'dense']);
    expect((m.layers[0] as { dims: number[] }).dims).toEqual([2, 1]);
    m.dispose();
    const batch = new ChainBuilder(['N', 4, 3]);
    batch.add('Transpose', [], { perm: [1, 0, 2] }, 'tb');
    refuses(batch.finish(), 'UNSUPPORTED', "'tb' (Transpose)", /batch/);
    const big = new ChainBuilder(['N', 2, 2, 2, 2, 2]);
    big.add('Transpose', [], { perm: [0, 5, 4, 3, 2, 1] }, 't5');
    refuses(big.finish(), 'UNSUPPORTED', "'t5' (Transpose)", /at most 4 sample axes/);
  });

  it('Squeeze and Unsqueeze of non-batch axes (opset 11 attributes, opset 13 inputs)', async () => {
    for (const opset of [11, 13]) {
      const b = new ChainBuilder(['N', 3, 4, 4]);
      convNode(b, 3, 5, 3, 1);
      b.add('GlobalAveragePool');
      if (opset < 13) b.add('Squeeze', [], { axes: [2, 3] });
      else b.add('Squeeze', [b.init(int64Tensor('axes', [2], [-1, -2]))]);
      if (opset < 13) b.add('Unsqueeze', [], { axes: [2] });
      else b.add('Unsqueeze', [b.init(int64Tensor('axes2', [1], [2]))]);
      b.add('Flatten');
      linear(b, 5, 2, 2);
      const m = await agrees(b.finish({ opset }));
      expect(types(m)).toEqual(['permute', 'conv2d', 'globalAveragePooling2d', 'dense']);
      m.dispose();
    }
    const bad = new ChainBuilder(['N', 4]);
    bad.add('Unsqueeze', [], { axes: [0] }, 'unsq0');
    refuses(bad.finish({ opset: 11 }), 'UNSUPPORTED', "'unsq0' (Unsqueeze)", /batch/);
  });
});

describe('convolutional graphs', () => {
  it('PyTorch LeNet style on 1 channel: Conv (same pads), BatchNormalization kept, Relu, MaxPool, AveragePool, Reshape, Gemm', async () => {
    const b = new ChainBuilder(['batch', 1, 12, 12], 'input');
    convNode(b, 1, 4, 5, 1, { pads: [2, 2, 2, 2], strides: [1, 1], dilations: [1, 1], group: 1 });
    const r = lcg(9, 0.5);
    const bn = (name: string, fn: () => number): string => b.init(floatTensor(name, [4], () => fn()));
    b.add(
      'BatchNormalization',
      [
        bn('bn.weight', () => 1 + r()),
        bn('bn.bias', r),
        bn('bn.running_mean', r),
        bn('bn.running_var', () => 0.5 + Math.abs(r())),
      ],
      { epsilon: f(1e-5), momentum: f(0.9) },
      'bn',
    );
    b.add('Relu');
    b.add('MaxPool', [], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 0 });
    convNode(b, 4, 6, 3, 2);
    b.add('Relu');
    b.add('Pad', [b.init(int64Tensor('pads', [8], [0, 0, 0, 0, 0, 0, 0, 0]))], { mode: 'constant' });
    b.add('AveragePool', [], { kernel_shape: [2, 2], strides: [2, 2] });
    b.add('Reshape', [b.init(int64Tensor('shape', [2], [-1, 24]))]);
    linear(b, 24, 10, 3);
    const m = await agrees(b.finish());
    expect(types(m)).toEqual([
      'conv2d',
      'batchNormalization',
      'activation',
      'maxPooling2d',
      'conv2d',
      'averagePooling2d',
      'flatten',
      'dense',
    ]);
    expect(m.inputShape).toEqual([12, 12, 1]);
    const bnSpec = m.layers[1] as { momentum: number; epsilon: number };
    expect(bnSpec.momentum).toBe(0.9); // ONNX momentum weighs the old value, as simdnet's
    expect(bnSpec.epsilon).toBe(1e-5);
    m.dispose();
  });

  it('a multi-channel NCHW input starts with permute([2, 3, 1]); the model takes the NCHW rows unchanged', async () => {
    const b = new ChainBuilder(['N', 3, 6, 6]);
    convNode(b, 3, 4, 3, 1, { pads: [1, 1, 1, 1] });
    b.add('Relu');
    b.add('MaxPool', [], { kernel_shape: [2, 2], strides: [2, 2] });
    b.add('Flatten');
    linear(b, 36, 5, 2);
    b.add('Softmax', [], { axis: 1 });
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['permute', 'conv2d', 'maxPooling2d', 'flatten', 'dense']);
    expect((m.layers[0] as { dims: number[] }).dims).toEqual([2, 3, 1]);
    expect(m.inputShape).toEqual([3, 6, 6]);
    m.dispose();
  });

  it('a Flatten that ends the graph after a multi-channel NCHW map permutes back to NCHW order first', async () => {
    const b = new ChainBuilder(['N', 1, 5, 5]);
    convNode(b, 1, 3, 3, 1);
    b.add('Flatten');
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['conv2d', 'permute', 'flatten']);
    expect((m.layers[1] as { dims: number[] }).dims).toEqual([3, 1, 2]);
    m.dispose();
  });

  it('tf2onnx style: NHWC input, Transpose to NCHW before the convs and back after, Reshape, MatMul + Add: no permute', async () => {
    const b = new ChainBuilder(['unk__1', 8, 8, 2], 'input_1');
    b.add('Transpose', [], { perm: [0, 3, 1, 2] }, 'to_nchw');
    convNode(b, 2, 4, 3, 1, { auto_pad: 'SAME_UPPER', strides: [2, 2] });
    b.add('Relu');
    convNode(b, 4, 3, 3, 2, { auto_pad: 'VALID' });
    b.add('Transpose', [], { perm: [0, 2, 3, 1] }, 'to_nhwc');
    b.add('Reshape', [b.init(int64Tensor('shape', [2], [-1, 12]))]);
    b.add('MatMul', [b.init(randomTensor('kernel', [12, 4], 3))]);
    b.add('Add', [b.init(randomTensor('bias', [4], 4))]);
    b.add('Softmax', [], { axis: -1 });
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['conv2d', 'conv2d', 'flatten', 'dense']);
    expect(acts(m)).toEqual(['relu', 'linear', undefined, 'softmax']);
    expect(m.inputShape).toEqual([8, 8, 2]);
    m.dispose();
  });

  it("padding: explicit pads equal to TensorFlow's 'same', SAME_UPPER, SAME_LOWER when even, VALID, strides", async () => {
    const cases: Array<Record<string, number | number[] | string>> = [
      { pads: [1, 1, 1, 1] },
      { pads: [0, 0, 1, 1], strides: [2, 2], kernel_shape: [2, 2] }, // 7 → 4 outputs: total 1 at the end
      { auto_pad: 'SAME_UPPER', strides: [2, 2] },
      { auto_pad: 'SAME_LOWER' },
      { auto_pad: 'VALID', strides: [2, 1] },
    ];
    for (const attrs of cases) {
      const b = new ChainBuilder(['N', 1, 7, 7]);
      const k = (attrs.kernel_shape as number[] | undefined)?.[0] ?? 3;
      convNode(b, 1, 2, k, 1, attrs);
      b.add('MaxPool', [], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
      b.add('AveragePool', [], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 0 });
      (await agrees(b.finish())).dispose();
    }
  });

  it('pads that are neither valid nor same become a zeroPadding2d before the Conv or pool (PyTorch stride 2, asymmetric, count_include_pad 1, after a ReLU)', async () => {
    const convThen = (
      attrs: Record<string, number | number[] | string>,
      then?: (b: ChainBuilder) => void,
    ): OnnxModel => {
      const b = new ChainBuilder(['N', 2, 7, 6]);
      convNode(b, 2, 3, 3, 1, attrs);
      then?.(b);
      return b.finish();
    };
    // PyTorch's Conv2d(padding=1, stride=2): windows start one pixel before TensorFlow's 'same'.
    let m = await agrees(convThen({ pads: [1, 1, 1, 1], strides: [2, 2] }));
    expect(types(m)).toEqual(['permute', 'zeroPadding2d', 'conv2d', 'permute']);
    expect(m.layers[1]).toMatchObject({
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    expect((m.layers[2] as { padding: string }).padding).toBe('valid');
    m.dispose();
    // Asymmetric pads (ONNX order [top, left, bottom, right]) and SAME_LOWER with an odd total.
    m = await agrees(convThen({ pads: [1, 0, 0, 2] }));
    expect(m.layers[1]).toMatchObject({
      type: 'zeroPadding2d',
      padding: [
        [1, 0],
        [0, 2],
      ],
    });
    m.dispose();
    (await agrees(convThen({ auto_pad: 'SAME_LOWER', strides: [2, 2] }))).dispose();
    // AveragePool counting its padding (PyTorch's default count_include_pad=True), and a MaxPool after a ReLU.
    m = await agrees(
      convThen({ pads: [1, 1, 1, 1], strides: [2, 2] }, (b) => {
        b.add('Relu');
        b.add('MaxPool', [], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
        b.add(
          'AveragePool',
          [],
          { kernel_shape: [2, 2], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 1 },
          'avg',
        );
      }),
    );
    expect(types(m)).toEqual([
      'permute',
      'zeroPadding2d',
      'conv2d',
      'zeroPadding2d',
      'maxPooling2d',
      'zeroPadding2d',
      'averagePooling2d',
      'permute',
    ]);
    expect(m.layers[5]).toMatchObject({
      name: 'avg_pad',
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    m.dispose();
  });

  it('refuses what the layers cannot represent: dilations, groups, 1-D and 3-D convs', () => {
    const conv = (
      attrs: Record<string, number | number[] | string>,
      c = 2,
      dims: number[] = [2, c, 3, 3],
    ): OnnxModel => {
      const b = new ChainBuilder(['N', c, 6, 6]);
      b.add('Conv', [b.init(randomTensor('w', dims, 1))], attrs, 'the_conv');
      return b.finish();
    };
    refuses(conv({ dilations: [2, 2] }), 'UNSUPPORTED', "'the_conv' (Conv)", /dilations/);
    refuses(conv({ group: 2 }, 2, [2, 1, 3, 3]), 'UNSUPPORTED', "'the_conv' (Conv)", /group 2/);
    refuses(conv({}, 2, [2, 2, 3]), 'UNSUPPORTED', "'the_conv' (Conv)", /2-D convolutions/);
    refuses(conv({ auto_pad: 'SAME_SIDEWAYS' }), 'FORMAT', "'the_conv' (Conv)", /auto_pad/);
    refuses(conv({ kernel_shape: [5, 5] }), 'FORMAT', "'the_conv' (Conv)", /kernel_shape/);
  });

  it('pooling: ceil_mode and end padding where they match valid/same, refused where they move windows (a MaxPool on values not known >= 0, count_include_pad 0)', async () => {
    const pool = (op: string, attrs: Record<string, number | number[] | string>, hw = 8): OnnxModel => {
      const b = new ChainBuilder(['N', 1, hw, hw]);
      b.add(op, [], attrs, 'pool');
      return b.finish();
    };
    (await agrees(pool('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }))).dispose();
    (await agrees(pool('MaxPool', { kernel_shape: [3, 3], strides: [1, 1], storage_order: 1 }))).dispose();
    (await agrees(pool('AveragePool', { kernel_shape: [2, 2], strides: [2, 2], count_include_pad: 1 }))).dispose();
    // A partial last window (ceil_mode, or PyTorch's opset-9 end padding) is 'same' when it starts inside the input.
    (await agrees(pool('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, 7))).dispose();
    (await agrees(pool('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, 8))).dispose();
    (await agrees(pool('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }, 7))).dispose();
    (
      await agrees(pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID', ceil_mode: 1 }, 8))
    ).dispose();
    (await agrees(pool('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }, 8))).dispose(); // never reached: 'valid'
    refuses(
      pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, 6),
      'UNSUPPORTED',
      "'pool' (MaxPool)",
      /ceil_mode 1/,
    );
    refuses(
      pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 6),
      'UNSUPPORTED',
      "'pool' (MaxPool)",
      /windows elsewhere/,
    );
    // count_include_pad 1 with pads: zeros, then 'valid'; without it, pads that move windows stay refused.
    const counted = await agrees(
      pool('AveragePool', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }),
    );
    expect(types(counted)).toEqual(['zeroPadding2d', 'averagePooling2d']);
    counted.dispose();
    refuses(
      pool('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 }, 6),
      'UNSUPPORTED',
      "'pool' (AveragePool)",
      /windows elsewhere/,
    );
    // A ceil_mode window these pads do not hold: refused, counted padding or not.
    refuses(
      pool(
        'AveragePool',
        { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 },
        6,
      ),
      'UNSUPPORTED',
      "'pool' (AveragePool)",
      /ceil_mode 1/,
    );
    refuses(
      pool('MaxPool', { kernel_shape: [2, 2], dilations: [2, 2] }),
      'UNSUPPORTED',
      "'pool' (MaxPool)",
      /dilations/,
    );
    refuses(pool('MaxPool', { kernel_shape: [2] }), 'UNSUPPORTED', "'pool' (MaxPool)", /2-D windows/);
    refuses(pool('GlobalMaxPool', {}), 'UNSUPPORTED', "'pool' (GlobalMaxPool)", /supported ops: Gemm/);
  });

  it('random window geometries: imported exactly as ONNX Runtime computes them, or refused', async () => {
    const pick = (() => {
      const r = lcg(2024, 1);
      return (n: number): number => Math.min(n - 1, Math.floor(((r() + 1) / 2) * n));
    })();
    let compared = 0;
    let refused = 0;
    for (let t = 0; t < 60; t++) {
      const op = ['Conv', 'MaxPool', 'AveragePool'][t % 3];
      const hw = 3 + pick(7);
      const k = 1 + pick(Math.min(4, hw));
      const stride = 1 + pick(3);
      const pads = Array.from({ length: 4 }, () => pick(Math.min(3, k)));
      const attrs: Record<string, number | number[] | string> = {
        kernel_shape: [k, k],
        strides: [stride, stride],
        pads,
      };
      if (op !== 'Conv') attrs.ceil_mode = pick(2);
      if (op === 'AveragePool') attrs.count_include_pad = pick(2);
      if (t % 7 === 0) {
        delete attrs.pads;
        attrs.auto_pad = ['SAME_UPPER', 'SAME_LOWER', 'VALID'][pick(3)];
      }
      const b = new ChainBuilder(['N', 1, hw, hw]);
      if (op === 'Conv') convNode(b, 1, 2, k, t, attrs, 'window');
      else b.add(op, [], attrs, 'window');
      const m = b.finish();
      let bytesOk = true;
      try {
        await ortRun(encodeModel(m), new Float32Array(hw * hw), [1, 1, hw, hw]);
      } catch {
        bytesOk = false; // e.g. ONNX Runtime requires pads smaller than the kernel
      }
      try {
        importOnnx(m, { backend: 'js' }).dispose();
      } catch (err) {
        expect((err as SimdnetError).code, JSON.stringify({ op, hw, ...attrs })).toBe('UNSUPPORTED');
        expect((err as Error).message).toContain("'window'");
        refused++;
        continue;
      }
      if (!bytesOk) continue;
      (await agrees(m, { rows: 2 })).dispose();
      compared++;
    }
    console.log(`window geometries: ${compared} matched ONNX Runtime, ${refused} refused`);
    expect(compared).toBeGreaterThan(10);
  });

  it('a zero Pad before a Conv becomes its padding; before anything else it is a zeroPadding2d layer', async () => {
    const b = new ChainBuilder(['N', 2, 6, 6]);
    b.add('Pad', [b.init(int64Tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]))], { mode: 'constant' }, 'pad');
    convNode(b, 2, 3, 3, 1);
    const m = await agrees(b.finish());
    expect((m.layers[1] as { padding: string }).padding).toBe('same');
    m.dispose();

    const p = new ChainBuilder(['N', 2, 6, 6]);
    p.add('Pad', [p.init(int64Tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]))], {}, 'pad');
    // A Relu between them: ONNX Runtime fuses a Pad straight before a MaxPool into the pool's own (−∞) pads, which
    // changes the values; ONNX says the zeros are there.
    p.add('Tanh');
    p.add('MaxPool', [], { kernel_shape: [2, 2] }, 'mp');
    const pm = await agrees(p.finish());
    expect(types(pm)).toEqual(['permute', 'zeroPadding2d', 'activation', 'maxPooling2d', 'permute']);
    expect(pm.layers[1]).toMatchObject({
      name: 'pad',
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    pm.dispose();
    // Asymmetric, at the end of the graph; and before a Conv with auto_pad (the Pad stays a layer).
    const e = new ChainBuilder(['N', 1, 4, 5]);
    e.add('Pad', [e.init(int64Tensor('pads', [8], [0, 0, 2, 0, 0, 0, 1, 3]))], {}, 'pad');
    const em = await agrees(e.finish());
    expect(em.layers.map((l) => l.type)).toEqual(['zeroPadding2d']);
    expect(em.layers[0]).toMatchObject({
      padding: [
        [2, 1],
        [0, 3],
      ],
    });
    em.dispose();
    const a = new ChainBuilder(['N', 1, 5, 5]);
    a.add('Pad', [a.init(int64Tensor('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1]))], {}, 'pad');
    convNode(a, 1, 2, 3, 1, { auto_pad: 'SAME_UPPER' });
    const am = await agrees(a.finish());
    expect(types(am)).toEqual(['zeroPadding2d', 'conv2d', 'permute']);
    am.dispose();
  });

  it('Conv without bias followed by Add of a per-channel constant: the conv bias', async () => {
    const b = new ChainBuilder(['N', 1, 5, 5]);
    b.add('Conv', [b.init(randomTensor('w', [3, 1, 3, 3], 1))], {}, 'conv');
    b.add('Add', [b.init(randomTensor('b', [1, 3, 1, 1], 2))], {}, 'bias');
    b.add('Relu');
    const m = await agrees(b.finish());
    expect(types(m)).toEqual(['conv2d', 'permute']);
    expect(acts(m)[0]).toBe('relu');
    expect((m.layers[0] as { useBias: boolean }).useBias).toBe(true);
    m.dispose();
  });

  it('GlobalAveragePool → Flatten → Gemm → Softmax; BatchNormalization on vectors, also after a flattened NCHW map', async () => {
    const b = new ChainBuilder(['N', 3, 5, 5]);
    convNode(b, 3, 4, 3, 1);
    b.add('Flatten');
    const r = lcg(3, 0.5);
    const t = (name: string, n: number, fn: () => number): string => b.init(floatTensor(name, [n], () => fn()));
    b.add(
      'BatchNormalization',
      [t('g1', 36, () => 1 + r()), t('b1', 36, r), t('m1', 36, r), t('v1', 36, () => 0.5 + Math.abs(r()))],
      { epsilon: f(1e-3) },
    );
    linear(b, 36, 6, 2);
    b.add(
      'BatchNormalization',
      [t('g2', 6, () => 1 + r()), t('b2', 6, r), t('m2', 6, r), t('v2', 6, () => 0.5 + Math.abs(r()))],
      {},
      'bn1d',
    );
    b.add('Relu');
    linear(b, 6, 3, 3);
    const m = await agrees(b.finish());
    expect(types(m)).toEqual([
      'permute',
      'conv2d',
      'flatten',
      'batchNormalization',
      'dense',
      'batchNormalization',
      'activation',
      'dense',
    ]);
    m.dispose();

    const g = new ChainBuilder(['N', 2, 4, 4]);
    convNode(g, 2, 5, 3, 1);
    g.add('GlobalAveragePool');
    g.add('Flatten');
    linear(g, 5, 3, 2);
    g.add('Softmax', [], { axis: 1 });
    const gm = await agrees(g.finish());
    expect(types(gm)).toEqual(['permute', 'conv2d', 'globalAveragePooling2d', 'dense']);
    gm.dispose();
  });

  it('ReduceMean over the spatial axes is a global average pooling (NCHW keepdims 1, NHWC keepdims 0, opset 18 axes input)', async () => {
    const nchw = new ChainBuilder(['N', 2, 5, 5]);
    convNode(nchw, 2, 3, 3, 1);
    nchw.add('ReduceMean', [], { axes: [2, 3], keepdims: 1 });
    nchw.add('Flatten');
    linear(nchw, 3, 2, 2);
    const a = await agrees(nchw.finish());
    expect(types(a)).toEqual(['permute', 'conv2d', 'globalAveragePooling2d', 'dense']);
    a.dispose();

    for (const opset of [13, 18]) {
      const nhwc = new ChainBuilder(['N', 5, 5, 2]);
      nhwc.add('Transpose', [], { perm: [0, 3, 1, 2] });
      convNode(nhwc, 2, 3, 3, 1, { auto_pad: 'SAME_UPPER' });
      nhwc.add('Relu');
      nhwc.add('Transpose', [], { perm: [0, 2, 3, 1] });
      if (opset < 18) nhwc.add('ReduceMean', [], { axes: [1, 2], keepdims: 0 });
      else nhwc.add('ReduceMean', [nhwc.init(int64Tensor('axes', [2], [-3, -2]))], { keepdims: 0 });
      nhwc.add('MatMul', [nhwc.init(randomTensor('k', [3, 2], 3))]);
      const b = await agrees(nhwc.finish({ opset }));
      expect(types(b)).toEqual(['conv2d', 'globalAveragePooling2d', 'dense']);
      b.dispose();
    }
    const bad = new ChainBuilder(['N', 2, 5, 5]);
    bad.add('ReduceMean', [], { axes: [1] }, 'mean_c');
    refuses(bad.finish(), 'UNSUPPORTED', "'mean_c' (ReduceMean)", /spatial axes/);
  });

  it('BatchNormalization refuses spatial 0, training mode and a bad epsilon', () => {
    const bn = (attrs: Record<string, number | number[] | string | { float: number }>, opset = 13): OnnxModel => {
      const b = new ChainBuilder(['N', 3]);
      const one = (n: string): string => b.init(floatTensor(n, [3], [1, 1, 1]));
      b.add('BatchNormalization', [one('s'), one('b'), one('m'), one('v')], attrs, 'bn');
      return b.finish({ opset });
    };
    refuses(bn({ spatial: 0 }, 7), 'UNSUPPORTED', "'bn' (BatchNormalization)", /spatial/);
    refuses(bn({ training_mode: 1 }, 15), 'UNSUPPORTED', "'bn' (BatchNormalization)", /training_mode/);
    refuses(bn({ epsilon: f(0) }), 'UNSUPPORTED', "'bn' (BatchNormalization)", /epsilon/);
  });
});

describe('graph structure', () => {
  const mlp = (): ChainBuilder => {
    const b = new ChainBuilder(['N', 4]);
    linear(b, 4, 3, 1, 'fc');
    return b;
  };

  it('refuses an unknown op, an op from another domain, and names an unnamed node by its index', () => {
    const b = mlp();
    b.add('Erf', [], {}, 'bad');
    refuses(b.finish(), 'UNSUPPORTED', "'bad' (Erf)", /supported ops: Gemm, MatMul/);
    const c = mlp();
    c.add('Elu', [], {}, '');
    refuses(c.finish(), 'UNSUPPORTED', '#1 (Elu)');
    const d = mlp();
    d.add('Relu', [], {}, 'custom');
    d.nodes[1].domain = 'com.microsoft';
    refuses(d.finish(), 'UNSUPPORTED', "'custom' (Relu)", /domain 'com.microsoft'/);
  });

  it('refuses branches and skip connections, a second input, a second output', () => {
    const b = mlp();
    const fcOut = b.tensor;
    b.add('Relu', [], {}, 'relu');
    b.add('Add', [fcOut], {}, 'skip');
    refuses(b.finish(), 'UNSUPPORTED', "'relu' (Relu)", /branches or skip connections/);

    const two = mlp().finish();
    two.graph.input.push(valueInfo('y', ['N', 4]));
    expectSimdnetError(() => importOnnx(two), 'UNSUPPORTED', /2 inputs \('x', 'y'\)/);

    // A second float output needs options.output (see 'graphs with several outputs').
    const outs = mlp().finish();
    outs.graph.output.push(valueInfo('x', ['N', 4]));
    expectSimdnetError(() => importOnnx(outs), 'UNSUPPORTED', /2 float outputs \('fc_out', 'x'\).*output: 'fc_out'/);
  });

  it('refuses a non-float input, an input without a shape, a dynamic non-batch dimension', () => {
    const m = mlp().finish();
    m.graph.input[0] = valueInfo('x', ['N', 4], DataType.DOUBLE);
    expectSimdnetError(() => importOnnx(m), 'UNSUPPORTED', /input 'x' has element type DOUBLE/);
    m.graph.input[0] = valueInfo('x', undefined);
    expectSimdnetError(() => importOnnx(m), 'UNSUPPORTED', /input 'x' has no shape/);
    m.graph.input[0] = valueInfo('x', ['N', 'features']);
    expectSimdnetError(() => importOnnx(m), 'UNSUPPORTED', /dimension 1 is 'features'/);
  });

  it('refuses a missing initializer and one of the wrong shape (FORMAT), NaN or Inf weights (NONFINITE, naming the initializer)', () => {
    const missing = mlp().finish();
    missing.graph.initializer = missing.graph.initializer.filter((t) => t.name !== 'fc.weight');
    refuses(missing, 'FORMAT', "'fc' (Gemm)", /B 'fc.weight' is neither an initializer nor the output of a node/);

    const wrong = mlp().finish();
    wrong.graph.initializer[0] = randomTensor('fc.weight', [3, 5], 1);
    refuses(wrong, 'FORMAT', "'fc' (Gemm)", /dims \[3, 5\].*4 features/);

    const nan = mlp().finish();
    nan.graph.initializer[1] = floatTensor('fc.bias', [3], [0, NaN, 0]);
    refuses(nan, 'NONFINITE', "'fc' (Gemm)", /'fc.bias' holds NaN/);

    const inf = new ChainBuilder(['N', 2]);
    inf.nodes.push(node('Constant', [], ['w'], { value: floatTensor('', [2, 2], [1, 2, Infinity, 4]) }, 'weights'));
    inf.add('MatMul', ['w'], {}, 'mm');
    refuses(inf.finish(), 'NONFINITE', "'mm' (MatMul)", /'w' holds Infinity/);
  });

  it('refuses finite weights a forward pass would overflow f32 with (FORMAT naming the initializer), leaving no model behind', async () => {
    // Every weight 3e38: a single product with an input of 1000 overflows.
    const huge = new ChainBuilder(['N', 4]);
    huge.add(
      'Gemm',
      [huge.init(floatTensor('fc.weight', [3, 4], () => 3e38)), huge.init(floatTensor('fc.bias', [3], () => 3e38))],
      { transB: 1 },
      'fc',
    );
    refuses(
      huge.finish(),
      'FORMAT',
      "initializer 'fc.weight' (B of node 'fc' (Gemm)) is too large",
      /layer 'fc' can reach .*\|x\| <= 1000/,
    );

    // A kernel of 1e30 is fine alone (4 · 1e30 · 1000 = 4e33), but the layer it feeds takes that to 4e33 · 3 · 1e10 = 1.2e44.
    const chained = new ChainBuilder(['N', 4]);
    chained.add('Gemm', [chained.init(floatTensor('big.weight', [3, 4], () => 1e30))], { transB: 1 }, 'big');
    chained.add('Relu');
    chained.add('MatMul', [chained.init(floatTensor('next.weight', [3, 2], () => 1e10))], {}, 'next');
    refuses(
      chained.finish(),
      'FORMAT',
      "initializer 'next.weight' (B of node 'next' (MatMul))",
      /layer 'next' can reach 1\.20e\+44/,
    );
    // Without the second layer the first one alone imports.
    const alone = new ChainBuilder(['N', 4]);
    alone.add('Gemm', [alone.init(floatTensor('big.weight', [3, 4], () => 1e30))], { transB: 1 }, 'big');
    importOnnx(alone.finish(), { backend: 'js' }).dispose();

    // Large only once converted: Gemm's alpha scales an ordinary kernel past the limit (named with the alpha).
    const alpha = new ChainBuilder(['N', 4]);
    alpha.add(
      'Gemm',
      [alpha.init(randomTensor('w', [3, 4], 1)), alpha.init(randomTensor('c', [3], 2))],
      { alpha: f(1e37), transB: 1 },
      'scaled',
    );
    refuses(alpha.finish(), 'FORMAT', "initializer 'w' (B of node 'scaled' (Gemm), times alpha 1e+37)");

    // A bias folded from an Add names the addend; a Constant node is a constant.
    const added = new ChainBuilder(['N', 4]);
    added.add('MatMul', [added.init(randomTensor('w', [4, 3], 1))], {}, 'mm');
    added.add('Add', [added.init(floatTensor('shift', [3], [0, 2e38, 0]))], {}, 'plus');
    refuses(
      added.finish(),
      'FORMAT',
      "initializer 'shift' (the addend of node 'plus' (Add)) is too large",
      /layer 'mm'/,
    );
    const constant = new ChainBuilder(['N', 2]);
    constant.nodes.push(node('Constant', [], ['w'], { value: floatTensor('', [2, 2], [1, 2, 3e38, 4]) }, 'weights'));
    constant.add('MatMul', ['w'], {}, 'mm');
    refuses(constant.finish(), 'FORMAT', "constant 'w' (B of node 'mm' (MatMul))");

    // A conv's OIHW weight (after its conversion to HWIO) and a batch norm's scale, by their initializers.
    const conv = new ChainBuilder(['N', 1, 4, 4]);
    conv.add(
      'Conv',
      [
        conv.init(floatTensor('conv.weight', [2, 1, 3, 3], (i) => (i === 13 ? 1e36 : 0.1))),
        conv.init(randomTensor('conv.bias', [2], 3)),
      ],
      { kernel_shape: [3, 3] },
      'conv',
    );
    refuses(conv.finish(), 'FORMAT', "initializer 'conv.weight' (weight of node 'conv' (Conv))");
    const bn = new ChainBuilder(['N', 1, 4, 4]);
    convNode(bn, 1, 2, 3, 1);
    const ch = (name: string, v: number[]): string => bn.init(floatTensor(name, [2], v));
    bn.add(
      'BatchNormalization',
      [ch('bn.scale', [1, 1e37]), ch('bn.B', [0, 0]), ch('bn.mean', [0, 0]), ch('bn.var', [1, 1])],
      {},
      'bn',
    );
    refuses(bn.finish(), 'FORMAT', "initializer 'bn.scale' (scale of node 'bn' (BatchNormalization)) is too large");

    // Refused before anything is allocated: the engine's memory is as it was, and the next import works on it.
    const engine = await createEngine('js');
    const before = engine.arena.used;
    expectSimdnetError(() => importOnnx(chained.finish(), { engine }), 'FORMAT', /next\.weight/);
    expect(engine.arena.used).toBe(before);
    const ok = importOnnx(mlp().finish(), { engine });
    expect(ok.predict({ data: new Float32Array(8).fill(0.5), shape: [2, 4] }).data.every(Number.isFinite)).toBe(true);
    ok.dispose();
    expect(engine.arena.used).toBe(before);
  });

  it('refuses a chain that does not reach the output, and a weight computed from the data', () => {
    const lost = mlp().finish();
    lost.graph.output[0] = valueInfo('nowhere', ['N', 3]);
    expectSimdnetError(() => importOnnx(lost), 'FORMAT', /graph output 'nowhere' is written by no node/);
    const constant = mlp().finish();
    constant.graph.node.push(node('Constant', [], ['c'], { value: floatTensor('v', [1, 3], [1, 2, 3]) }, 'const'));
    constant.graph.output[0] = valueInfo('c', ['N', 3]);
    expectSimdnetError(() => importOnnx(constant), 'FORMAT', /graph output 'c' does not depend on the input 'x'/);

    const b = new ChainBuilder(['N', 4]);
    b.nodes.push(node('Relu', ['x'], ['rx'], {}, 'side'));
    b.add('MatMul', ['rx'], {}, 'mm');
    refuses(b.finish(), 'UNSUPPORTED', /'x' is read by 2 nodes/.source);
  });

  it('accepts a batch given as a symbol, unknown, 0 or a fixed size; IR 3 files that list initializers as inputs', async () => {
    for (const batch of ['batch', undefined, 0, 1, 2] as const) {
      const m = mlp().finish();
      m.graph.input[0] = {
        name: 'x',
        elemType: DataType.FLOAT,
        shape: [
          batch === undefined ? {} : typeof batch === 'string' ? { param: batch } : { value: batch },
          { value: 4 },
        ],
      };
      const model = importOnnx(m, { backend: 'js' });
      expect(model.predict({ data: new Float32Array(12), shape: [3, 4] }).rows).toBe(3);
      model.dispose();
    }
    const old = mlp().finish({ irVersion: 3, opset: 8 });
    old.graph.input.push(valueInfo('fc.weight', [3, 4]), valueInfo('fc.bias', [3]));
    (await agrees(old)).dispose();
  });

  it('refuses an opset newer than the importer knows and a model without the default opset', () => {
    const m = mlp().finish();
    m.opsetImport = [{ domain: '', version: 99 }];
    expectSimdnetError(() => importOnnx(m), 'UNSUPPORTED', /opset 99/);
    m.opsetImport = [{ domain: 'ai.onnx.ml', version: 3 }];
    expectSimdnetError(() => importOnnx(m), 'FORMAT', /default operator set/);
  });

  it('remembers the input and output names, opset and producer in metadata.onnx; layer names follow the nodes', () => {
    const b = new ChainBuilder(['batch', 4], 'input');
    linear(b, 4, 3, 1, '/fc/Gemm');
    b.add('Softmax', [], {}, '');
    const m = b.finish({ opset: 17 });
    m.producerName = 'pytorch';
    m.producerVersion = '2.1.0';
    m.graph.node[1].output[0] = 'probabilities';
    m.graph.output[0] = valueInfo('probabilities', ['batch', 3]);
    const model = importOnnx(m, { backend: 'js', name: 'mine' });
    const info = model.metadata.onnx as OnnxImportInfo;
    expect(info).toMatchObject({
      inputName: 'input',
      outputName: 'probabilities',
      opset: 17,
      producerName: 'pytorch',
      producerVersion: '2.1.0',
    });
    expect(info.inputDims).toEqual(['batch', 4]);
    expect(model.name).toBe('mine');
    expect(model.layers[0].name).toBe('/fc/Gemm');
    model.dispose();

    // A Flatten's layer keeps its node's name; a layer a node only needs on the side gets a suffix.
    const c = new ChainBuilder(['N', 3, 4, 4]);
    convNode(c, 3, 2, 3, 1, {}, 'conv');
    c.add('Flatten', [], {}, 'flat');
    const named = importOnnx(c.finish(), { backend: 'js' });
    expect(named.layers.map((l) => l.name)).toEqual(['conv_permute', 'conv', 'flat_permute', 'flat']);
    expect(model.trainedSteps).toBeGreaterThan(0);
    model.dispose();
  });
});

// --- several outputs ------------------------------------------------------------------------------------------------

/** Runs `bytes` in ONNX Runtime and returns the output called `name` (ortRun reads the first output only). */
async function ortOutput(
  bytes: Uint8Array,
  x: Float32Array,
  dims: number[],
  name: string,
): Promise<{ type: string; data: number[] }> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    const t = out[name];
    return { type: t.type, data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  } finally {
    await session.release();
  }
}

/**
 * A small MLPClassifier as skl2onnx writes it with zipmap=False: Cast, MatMul + Add, Relu, MatMul + Add, Softmax,
 * Identity → `probabilities`, and the label branch that reads that output: ArgMax → ai.onnx.ml
 * ArrayFeatureExtractor over an integer `classes` initializer → Reshape([-1]) → Cast(INT64) → `label` (listed first).
 */
function sklearnClassifier(classes: number[] = [3, 5, 7]): OnnxModel {
  const k = classes.length;
  const nodes = [
    node('Cast', ['float_input'], ['cast_input'], { to: DataType.FLOAT }, 'Cast'),
    node('MatMul', ['cast_input', 'coefficient'], ['mul_result'], {}, 'MatMul'),
    node('Add', ['mul_result', 'intercepts'], ['add_result'], {}, 'Add'),
    node('Relu', ['add_result'], ['next_activations'], {}, 'Relu'),
    node('MatMul', ['next_activations', 'coefficient1'], ['mul_result1'], {}, 'MatMul1'),
    node('Add', ['mul_result1', 'intercepts1'], ['add_result1'], {}, 'Add1'),
    node('Softmax', ['add_result1'], ['out_activations_result'], {}, 'Relu1'),
    node('Identity', ['out_activations_result'], ['probabilities'], {}, 'Identity'),
    node('ArgMax', ['probabilities'], ['argmax_output'], { axis: 1 }, 'ArgMax'),
    {
      ...node(
        'ArrayFeatureExtractor',
        ['classes', 'argmax_output'],
        ['array_feature_extractor_result'],
        {},
        'ArrayFeatureExtractor',
      ),
      domain: 'ai.onnx.ml',
    },
    node('Reshape', ['array_feature_extractor_result', 'shape_tensor'], ['reshaped_result'], {}, 'Reshape'),
    node('Cast', ['reshaped_result'], ['label'], { to: DataType.INT64 }, 'Cast1'),
  ];
  const m = onnxModel({
    nodes,
    initializers: [
      randomTensor('coefficient', [6, 5], 31),
      randomTensor('intercepts', [1, 5], 32),
      randomTensor('coefficient1', [5, k], 33),
      randomTensor('intercepts1', [1, k], 34),
      { name: 'classes', dims: [k], dataType: DataType.INT32, int32Data: classes },
      int64Tensor('shape_tensor', [1], [-1]),
    ],
    inputs: [valueInfo('float_input', [0, 6])],
    outputs: [valueInfo('label', [0], DataType.INT64), valueInfo('probabilities', [0, k])],
    opset: 15,
    name: 'MLPClassifier',
  });
  m.graph.input[0].shape![0] = {}; // skl2onnx's batch: neither a size nor a name
  m.graph.output.forEach((o) => (o.shape![0] = {}));
  m.opsetImport.push({ domain: 'ai.onnx.ml', version: 1 });
  return m;
}

/** The .onnx bytes with `extra` fields appended to the graph (protobuf merges repeated fields): for what encodeModel does not write. */
function appendToGraph(bytes: Uint8Array, extra: (g: Writer) => void): Uint8Array {
  const r = new Reader(bytes);
  const w = new Writer();
  while (!r.done()) {
    const f = r.tag();
    if (r.wire === Wire.VARINT) w.int64(f, r.int64());
    else if (r.wire !== Wire.LEN) throw new Error(`unexpected wire type ${r.wire}`);
    else if (f !== 7) w.bytes(f, r.bytes());
    else {
      const graph = r.bytes();
      const more = new Writer();
      extra(more);
      w.bytes(7, Buffer.concat([graph, more.finish()]));
    }
  }
  return w.finish();
}

describe('graphs with several outputs', () => {
  const rowsOf = (n: number, cols: number, seed: number): Float32Array => {
    const r = lcg(seed);
    return Float32Array.from({ length: n * cols }, () => r());
  };

  it("an skl2onnx classifier (label + probabilities): the float output by default, the label branch left out; ONNX Runtime's label is the argmax", async () => {
    const m = sklearnClassifier();
    const bytes = encodeModel(m);
    const x = rowsOf(7, 6, 5);
    const probs = await ortOutput(bytes, x, [7, 6], 'probabilities');
    const label = await ortOutput(bytes, x, [7, 6], 'label');
    expect(label.type).toBe('int64');
    for (const backend of ['js', 'wasm'] as Backend[]) {
      const model = importOnnx(backend === 'js' ? m : bytes, { backend });
      expect(types(model)).toEqual(['dense', 'dense']);
      expect(acts(model)).toEqual(['relu', 'softmax']);
      const got = model.predict({ data: x, shape: [7, 6] });
      expect(maxAbsDiff(got.data, probs.data)).toBeLessThanOrEqual(2e-6);
      // The label ONNX Runtime computes is classes[argmax]: the imported model's classes map onto it.
      expect(Array.from(model.predictClasses({ data: x, shape: [7, 6] }), (c) => [3, 5, 7][c])).toEqual(label.data);
      const info = model.metadata.onnx as OnnxImportInfo;
      expect(info.outputName).toBe('probabilities');
      expect(info.droppedOutputs).toEqual(['label']);
      expect(info.outputDims).toEqual([null, 3]);
      model.dispose();
    }
    // Asking for it by name gives the same model; a single-output graph records nothing dropped.
    const named = importOnnx(m, { backend: 'js', output: 'probabilities' });
    expect(named.getWeights().map((w) => Array.from(w.data))).toEqual(
      importOnnx(m, { backend: 'js' })
        .getWeights()
        .map((w) => Array.from(w.data)),
    );
    named.dispose();
    const one = new ChainBuilder(['N', 2]);
    one.add('Relu');
    const single = importOnnx(one.finish(), { backend: 'js' });
    expect((single.metadata.onnx as OnnxImportInfo).droppedOutputs).toEqual([]);
    single.dispose();
  });

  it("refuses output: 'label' (INT64, not float), an output that is not in the graph, and a non-string option", () => {
    const m = sklearnClassifier();
    expectSimdnetError(
      () => importOnnx(m, { output: 'label' }),
      'UNSUPPORTED',
      /output 'label' has element type INT64; simdnet computes FLOAT outputs \(the graph's: 'probabilities'\)/,
    );
    expectSimdnetError(
      () => importOnnx(m, { output: 'proba' }),
      'RANGE',
      /output 'proba' is not an output of the ONNX graph \(outputs: 'label' \(INT64\), 'probabilities' \(FLOAT\)\)/,
    );
    expectSimdnetError(() => importOnnx(m, { output: 3 as unknown as string }), 'RANGE', /options.output/);
    // Only non-float outputs: nothing to import.
    const labels = sklearnClassifier();
    labels.graph.output = [labels.graph.output[0]];
    expectSimdnetError(() => importOnnx(labels), 'UNSUPPORTED', /no FLOAT output \(outputs: 'label' \(INT64\)\)/);
  });

  it('the dropped branch may hold ops, domains and tensors the importer does not read (string classes, TopK, a branch off a hidden layer)', async () => {
    const m = sklearnClassifier();
    // String class labels: a STRING initializer, as the decoder gives it (a count of strings, not the strings).
    const classes = m.graph.initializer.find((t) => t.name === 'classes')!;
    delete classes.int32Data;
    classes.dataType = 8; // STRING
    classes.stringCount = 3;
    // Another output off the hidden layer, through ops the importer has no mapping for.
    m.graph.node.push(
      node('TopK', ['next_activations', 'shape_tensor'], ['top_values', 'top_indices'], { axis: 1 }, 'TopK'),
    );
    m.graph.node.push(node('Erf', ['top_values'], ['erf_out'], {}, 'Erf'));
    m.graph.node.push(node('ArgMax', ['erf_out'], ['which'], { axis: 1 }, 'ArgMax2'));
    m.graph.output.push(valueInfo('which', ['N', 1], DataType.INT64));
    const model = importOnnx(m, { backend: 'js' });
    expect(types(model)).toEqual(['dense', 'dense']);
    expect((model.metadata.onnx as OnnxImportInfo).droppedOutputs).toEqual(['label', 'which']);
    model.dispose();
    // The same unsupported op on the imported chain is still refused, naming it.
    const live = sklearnClassifier();
    live.graph.node[3].opType = 'Erf';
    refuses(live, 'UNSUPPORTED', "'Relu' (Erf)");
  });

  it('two float outputs: refused without options.output, naming them; each imports with it, computing what ONNX Runtime gives for that output', async () => {
    const m = sklearnClassifier();
    // The hidden activations as an output of their own (another float output, in the middle of the chain).
    m.graph.output.push(valueInfo('next_activations', ['N', 5]));
    expectSimdnetError(
      () => importOnnx(m),
      'UNSUPPORTED',
      /2 float outputs \('probabilities', 'next_activations'\); simdnet imports one: choose it with importOnnx\(bytes, \{ output: 'probabilities' \}\)/,
    );
    const bytes = encodeModel(m);
    const x = rowsOf(4, 6, 9);
    for (const [output, layers, dropped] of [
      ['probabilities', ['dense', 'dense'], ['label', 'next_activations']],
      ['next_activations', ['dense'], ['label', 'probabilities']],
    ] as const) {
      const want = await ortOutput(bytes, x, [4, 6], output);
      for (const backend of ['js', 'wasm'] as Backend[]) {
        const model = importOnnx(bytes, { backend, output });
        expect(types(model)).toEqual(layers);
        expect(
          maxAbsDiff(model.predict({ data: x, shape: [4, 6] }).data, want.data),
          `${output} on ${backend}`,
        ).toBeLessThanOrEqual(2e-6);
        const info = model.metadata.onnx as OnnxImportInfo;
        expect(info.outputName).toBe(output);
        expect(info.droppedOutputs).toEqual(dropped);
        model.dispose();
      }
    }
  });

  it("a ZipMap output (skl2onnx's default) is refused with the zipmap: False option, from objects and from bytes", () => {
    const hint = /ZipMap.*options=\{id\(model\): \{'zipmap': False\}\}/;
    // skl2onnx's default: the probabilities go through ZipMap into a sequence of maps, next to output_label.
    const m = sklearnClassifier();
    m.graph.node.at(-1)!.output[0] = 'output_label';
    m.graph.node.push({
      ...node('ZipMap', ['probabilities'], ['output_probability'], { classlabels_int64s: [3, 5, 7] }, 'ZipMap'),
      domain: 'ai.onnx.ml',
    });
    m.graph.output = [valueInfo('output_label', [0], DataType.INT64), { name: 'output_probability', elemType: 0 }];
    expectSimdnetError(() => importOnnx(m), 'UNSUPPORTED', hint);
    expectSimdnetError(() => importOnnx(m, { output: 'output_probability' }), 'UNSUPPORTED', hint);
    // A ZipMap output next to a float output is simply left out.
    const both = sklearnClassifier();
    both.graph.node.push({
      ...node('ZipMap', ['probabilities'], ['output_probability'], { classlabels_int64s: [3, 5, 7] }, 'ZipMap'),
      domain: 'ai.onnx.ml',
    });
    both.graph.output.push({ name: 'output_probability', elemType: 0 });
    const model = importOnnx(both, { backend: 'js' });
    expect((model.metadata.onnx as OnnxImportInfo).droppedOutputs).toEqual(['label', 'output_probability']);
    model.dispose();

    // In a file the output is typed sequence(map(int64, tensor(float))), which the decoder reads as kind 'sequence';
    // the importer refuses it with the hint. The type is patched in place of a FLOAT type of the same length (14 bytes).
    m.graph.output[1] = valueInfo('output_probability', ['abcd']);
    const bytes = encodeModel(m);
    const tensorType = [
      0x0a,
      0x0c,
      0x08,
      0x01,
      0x12,
      0x08,
      0x0a,
      0x06,
      0x12,
      0x04,
      ...Array.from('abcd', (c) => c.charCodeAt(0)),
    ];
    const seqType = [0x22, 0x0c, 0x0a, 0x0a, 0x2a, 0x08, 0x08, 0x07, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x01];
    const at = Buffer.from(bytes).indexOf(Buffer.from(tensorType));
    expect(at).toBeGreaterThan(0);
    bytes.set(seqType, at);
    expect(decodeModel(bytes).graph.output[1]).toEqual({ name: 'output_probability', elemType: 0, kind: 'sequence' });
    expectSimdnetError(() => importOnnx(bytes), 'UNSUPPORTED', hint);
    expectSimdnetError(() => importOnnx(bytes, { output: 'output_probability' }), 'UNSUPPORTED', hint);
    // A sequence output no ZipMap writes: refused as a sequence, and listed as one when nothing else is float.
    const other = encodeModel({ ...m, graph: { ...m.graph, node: m.graph.node.filter((n) => n.opType !== 'ZipMap') } });
    const at2 = Buffer.from(other).indexOf(Buffer.from(tensorType));
    other.set(seqType, at2);
    expectSimdnetError(
      () => importOnnx(other, { output: 'output_probability' }),
      'UNSUPPORTED',
      /output 'output_probability' has a sequence type; simdnet computes FLOAT outputs/,
    );
    expectSimdnetError(
      () => importOnnx(other),
      'UNSUPPORTED',
      /no FLOAT output \(outputs: 'output_label' \(INT64\), 'output_probability' \(a sequence\)\)/,
    );
  });

  it('an skl2onnx classifier with STRING class labels, as a file: imports (zipmap False form), computing what ONNX Runtime gives; its ZipMap form is refused with the hint', async () => {
    const names = ['cat', 'dog', 'émeu'];
    // skl2onnx's string-label branch: ArgMax → ArrayFeatureExtractor over STRING classes → Reshape → label (STRING).
    const m = sklearnClassifier();
    m.graph.initializer = m.graph.initializer.filter((t) => t.name !== 'classes');
    const last = m.graph.node.at(-1)!;
    Object.assign(last, node('Identity', ['reshaped_result'], ['label'], {}, 'Identity1'));
    m.graph.output[0].elemType = 8; // STRING
    // encodeModel writes no strings: string_data is appended to the graph by hand, as onnx.helper writes it.
    const bytes = appendToGraph(encodeModel(m), (g) =>
      g.message(5, (t) => {
        t.int64(1, names.length);
        t.int64(2, 8);
        for (const n of names) t.string(6, n);
        t.string(8, 'classes');
      }),
    );
    const decoded = decodeModel(bytes);
    expect(decoded.graph.initializer.find((t) => t.name === 'classes')).toEqual({
      name: 'classes',
      dims: [3],
      dataType: 8,
      stringCount: 3,
    });
    // ONNX Runtime runs the file: string labels, float probabilities.
    const x = Float32Array.from({ length: 5 * 6 }, (_, i) => Math.sin(i * 1.3));
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const out = await session.run({ float_input: new ort.Tensor('float32', x, [5, 6]) });
    await session.release();
    expect(out.label.type).toBe('string');
    const probs = out.probabilities.data as Float32Array;
    for (const backend of ['js', 'wasm'] as Backend[]) {
      for (const source of [bytes, decoded]) {
        const model = importOnnx(source, { backend });
        expect(types(model)).toEqual(['dense', 'dense']);
        expect(maxAbsDiff(model.predict({ data: x, shape: [5, 6] }).data, probs)).toBeLessThanOrEqual(2e-6);
        expect(Array.from(model.predictClasses({ data: x, shape: [5, 6] }), (c) => names[c])).toEqual(out.label.data);
        const info = model.metadata.onnx as OnnxImportInfo;
        expect([info.outputName, info.droppedOutputs]).toEqual(['probabilities', ['label']]);
        model.dispose();
      }
    }
    expectSimdnetError(
      () => importOnnx(bytes, { output: 'label' }),
      'UNSUPPORTED',
      /output 'label' has element type STRING; simdnet computes FLOAT outputs/,
    );

    // skl2onnx's default (zipmap True): probabilities → ZipMap(classlabels_strings) → output_probability, typed
    // sequence(map(string, tensor(float))); output_label is the STRING label.
    const z = sklearnClassifier();
    z.graph.initializer = z.graph.initializer.filter((t) => t.name !== 'classes');
    Object.assign(z.graph.node.at(-1)!, node('Identity', ['reshaped_result'], ['output_label'], {}, 'Identity1'));
    const zipmap = { ...node('ZipMap', ['probabilities'], ['output_probability'], {}, 'ZipMap'), domain: 'ai.onnx.ml' };
    zipmap.attribute.push({ name: 'classlabels_strings', type: AttrType.STRINGS, strings: names });
    z.graph.node.push(zipmap);
    z.graph.output = [{ ...z.graph.output[0], name: 'output_label', elemType: 8 }];
    const zbytes = appendToGraph(encodeModel(z), (g) => {
      g.message(5, (t) => {
        t.int64(1, names.length);
        t.int64(2, 8);
        for (const n of names) t.string(6, n);
        t.string(8, 'classes');
      });
      g.message(12, (v) => {
        v.string(1, 'output_probability');
        v.message(2, (tp) =>
          tp.message(4, (sq) =>
            sq.message(1, (el) =>
              el.message(5, (mp) => {
                mp.int64(1, 8);
                mp.message(2, (vt) => vt.message(1, (tt) => tt.int64(1, DataType.FLOAT)));
              }),
            ),
          ),
        );
      });
    });
    expect(decodeModel(zbytes).graph.output.map((o) => [o.name, o.elemType, o.kind])).toEqual([
      ['output_label', 8, undefined],
      ['output_probability', 0, 'sequence'],
    ]);
    const hint =
      /ONNX graph output 'output_probability': a ZipMap output .*convert with options=\{id\(model\): \{'zipmap': False\}\}/;
    expectSimdnetError(() => importOnnx(zbytes), 'UNSUPPORTED', hint);
    expectSimdnetError(() => importOnnx(zbytes, { output: 'output_probability' }), 'UNSUPPORTED', hint);
  });

  it('a STRING initializer on the imported chain is refused, naming it', () => {
    const m = sklearnClassifier();
    const i = m.graph.initializer.findIndex((t) => t.name === 'intercepts');
    m.graph.initializer[i] = { name: 'intercepts', dims: [1, 5], dataType: 8, stringCount: 5 };
    expectSimdnetError(
      () => importOnnx(m, { backend: 'js' }),
      'FORMAT',
      /initializer 'intercepts' \(.* of node 'Add' \(Add\)\): data type STRING does not match/,
    );
    // And as a Constant node's value.
    const c = sklearnClassifier();
    c.graph.initializer = c.graph.initializer.filter((t) => t.name !== 'intercepts');
    c.graph.node.unshift(
      node(
        'Constant',
        [],
        ['intercepts'],
        { value: { name: 'v', dims: [1, 5], dataType: 8, stringCount: 5 } },
        'StrConst',
      ),
    );
    expectSimdnetError(
      () => importOnnx(c, { backend: 'js' }),
      'UNSUPPORTED',
      /'StrConst' \(Constant\).*a constant of data type STRING is not supported/,
    );
  });
});

// --- the real exporters' files -------------------------------------------------------------------------------------

interface Expected {
  producer: string;
  data: 'mnist' | 'inline';
  sampleShape: number[];
  rows?: number;
  input?: number[][];
  output: number[][];
  heldOut?: { rows: number; classes: number[]; accuracy: number };
}

const fixtureNames = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.slice(0, -5))
      .sort()
  : [];
const expected = (name: string): Expected =>
  JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as Expected;
const fixtureBytes = (name: string): Uint8Array => readFileSync(new URL(`${name}.onnx`, FIXTURES));

describe('fixtures from real exporters', () => {
  let mnist: ReturnType<typeof loadMnist>;
  beforeAll(() => {
    mnist = loadMnist();
  });

  it('an imported model saves and loads like any other (layers, weights, metadata.onnx)', () => {
    for (const name of fixtureNames.filter((n) => n === 'torch-cnn-rgb' || n === 'torch-cnn-nofold')) {
      const e = expected(name);
      const m = importOnnx(fixtureBytes(name));
      const back = loadModel(saveModel(m));
      expect(types(back)).toEqual(types(m));
      expect(back.metadata.onnx).toEqual(m.metadata.onnx);
      const x = rowsOf(e);
      expect(maxAbsDiff(back.predict(x).data, m.predict(x).data)).toBe(0);
      m.dispose();
      back.dispose();
    }
  });

  it('has the fixtures the issue lists', () => {
    for (const name of [
      'torch-mlp',
      'torch-mlp-op9',
      'torch-mlp2-op17',
      'torch-cnn',
      'torch-cnn-nofold',
      'torch-cnn-rgb',
      'sklearn-mlp',
      'sklearn-mlp-2out',
      'tf2onnx-cnn',
    ]) {
      expect(fixtureNames, name).toContain(name);
    }
  });

  const rowsOf = (e: Expected): { data: Float32Array; shape: [number, number] } => {
    const cols = size(e.sampleShape);
    if (e.data === 'inline') return { data: Float32Array.from(e.input!.flat()), shape: [e.input!.length, cols] };
    return { data: mnist.test.x.data.slice(0, e.rows! * cols), shape: [e.rows!, cols] };
  };

  it("sklearn-mlp-2out (label + probabilities): imports the probabilities as sklearn-mlp, bit for bit; ONNX Runtime's label is the imported model's class on every held-out row", async () => {
    const bytes = fixtureBytes('sklearn-mlp-2out');
    const file = decodeModel(bytes);
    expect(file.graph.output.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(file.graph.node.map((n) => n.opType)).toContain('ArrayFeatureExtractor');
    const two = importOnnx(bytes);
    const one = importOnnx(fixtureBytes('sklearn-mlp'));
    expect(types(two)).toEqual(types(one));
    expect(two.getWeights().map((w) => Array.from(w.data))).toEqual(one.getWeights().map((w) => Array.from(w.data)));
    expect(two.metadata.onnx).toMatchObject({ outputName: 'probabilities', droppedOutputs: ['label'], opset: 15 });
    const x = mnist.test.x;
    const label = await ortOutput(bytes, x.data, [x.rows, 784], 'label');
    expect(label.type).toBe('int64');
    expect(Array.from(two.predictClasses(x))).toEqual(label.data);
    expect(label.data).toEqual(expected('sklearn-mlp-2out').heldOut!.classes);
    expectSimdnetError(() => importOnnx(bytes, { output: 'label' }), 'UNSUPPORTED', /'label' has element type INT64/);
    two.dispose();
    one.dispose();
  });

  for (const name of fixtureNames) {
    it(`${name}: the framework's outputs to 1e-5 on both backends, the same held-out classes, and again after exportOnnx`, async () => {
      const e = expected(name);
      const bytes = fixtureBytes(name);
      const x = rowsOf(e);
      for (const backend of ['js', 'wasm'] as Backend[]) {
        const m = importOnnx(bytes, { backend });
        const err = maxAbsDiff(m.predict(x).data, e.output.flat());
        console.log(`${name} (${backend}): max abs error ${err.toExponential(2)}; layers ${types(m).join(', ')}`);
        expect(err).toBeLessThanOrEqual(1e-5);
        const meta = m.metadata.onnx as OnnxImportInfo;
        expect(meta.inputName).toBe(decodeModel(bytes).graph.input[0].name);
        if (backend === 'wasm' && e.heldOut) {
          // The whole held-out split (the js twins give the same outputs above, at a fraction of the speed).
          expect(e.heldOut.rows).toBe(mnist.test.x.rows);
          const classes = m.predictClasses(mnist.test.x);
          const differ = e.heldOut.classes.filter((c, i) => classes[i] !== c).length;
          expect(differ, 'held-out classes that differ').toBe(0);
          const acc = Array.from(classes).filter((c, i) => c === mnist.test.labels![i]).length / classes.length;
          expect(acc).toBeCloseTo(e.heldOut.accuracy, 10);
        }
        if (backend === 'wasm') {
          // Imported and exported again, ONNX Runtime computes the framework's outputs from the same rows.
          const out = exportOnnx(m);
          const dims = decodeModel(out)
            .graph.input[0].shape!.slice(1)
            .map((d) => d.value!);
          expect(size(dims)).toBe(x.shape[1]);
          const rt = await ortRun(out, x.data, [x.shape[0], ...dims]);
          expect(maxAbsDiff(rt, e.output.flat()), 'after exportOnnx, in ONNX Runtime').toBeLessThanOrEqual(1e-5);
        }
        m.dispose();
      }
    });
  }

  const mnistFixtures = fixtureNames.filter((n) => expected(n).data === 'mnist');
  for (const name of mnistFixtures) {
    it(`${name}: fine-tunes, transfers to a new head with the body frozen, quantizes and prunes`, async () => {
      const e = expected(name);
      const model = importOnnx(fixtureBytes(name));
      const train = { data: mnist.train.x.data.slice(0, 2000 * 784), shape: [2000, 784] as [number, number] };
      const labels = mnist.train.labels!.slice(0, 2000);
      const testAcc = (m: { predictClasses(x: typeof mnist.test.x): Int32Array }): number => {
        const c = m.predictClasses(mnist.test.x);
        return Array.from(c).filter((k, i) => k === mnist.test.labels![i]).length / c.length;
      };
      const floatAcc = testAcc(model);
      expect(floatAcc).toBeCloseTo(e.heldOut!.accuracy, 10);

      // Fine-tuning: a model that ends in logits gets a softmax on top (transfer keeps every layer, unfrozen).
      const last = model.layers[model.layers.length - 1];
      const endsInSoftmax = 'activation' in last && last.activation === 'softmax';
      const tuned = endsInSoftmax
        ? model
        : transfer(model, { keep: model.layers.length, head: [activation('softmax')], freeze: false, seed: 1 });
      tuned.compile({
        loss: 'categoricalCrossentropy',
        optimizer: adam({ learningRate: 2e-4 }),
        metrics: ['accuracy'],
      });
      const before = tuned.evaluate(train, labels).loss;
      const history = await tuned.fit(train, labels, { epochs: 2, batchSize: 64, seed: 1 });
      const after = tuned.evaluate(train, labels).loss;
      expect(history.history.loss.every(Number.isFinite)).toBe(true);
      expect(after).toBeLessThan(before);
      expect(testAcc(tuned)).toBeGreaterThan(e.heldOut!.accuracy - 0.03);
      if (tuned !== model) tuned.dispose();

      // Transfer: the imported body frozen, a new head; the body's weights do not move.
      const fresh = importOnnx(fixtureBytes(name));
      const t = transfer(fresh, { head: [dense(10, { activation: 'softmax', name: 'new_head' })], seed: 2 });
      const frozen = t.getWeights().filter((w) => !w.name.startsWith('new_head/'));
      t.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 3e-3 }), metrics: ['accuracy'] });
      await t.fit(mnist.train.x, mnist.train.labels!, { epochs: 3, batchSize: 64, seed: 2 });
      for (const w of frozen)
        expect(Array.from(t.getWeights().find((v) => v.name === w.name)!.data)).toEqual(Array.from(w.data));
      expect(testAcc(t)).toBeGreaterThan(0.8);
      t.dispose();

      // Quantized (static int8) within 1 % of the float accuracy.
      const q = quantizeModel(fresh, { calibration: { data: train.data.slice(0, 300 * 784), shape: [300, 784] } });
      const qAcc = testAcc(q);
      expect(Math.abs(qAcc - floatAcc)).toBeLessThanOrEqual(0.01);
      q.dispose();

      // Pruned: a third of each kernel's weights zeroed by magnitude, the model still classifies nearly as well.
      const report = pruneMagnitude(fresh, { sparsity: 0.3 });
      expect(report.sparsity).toBeGreaterThanOrEqual(0.299);
      expect(sparsityOf(fresh).sparsity).toBeCloseTo(report.sparsity, 10);
      const prunedAcc = testAcc(fresh);
      console.log(
        `${name}: float ${floatAcc.toFixed(4)}, int8 ${qAcc.toFixed(4)}, 30 % pruned ${prunedAcc.toFixed(4)}`,
      );
      expect(prunedAcc).toBeGreaterThan(floatAcc - 0.03);
      fresh.dispose();
      model.dispose();
    }, 60_000);
  }
});
