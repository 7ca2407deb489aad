// The graph builder behind exportOnnx (./export.ts) and the float form of every layer type.
//
// Layout: a simdnet sample is channels last (NHWC); ONNX's Conv, pooling and BatchNormalization want channels at
// axis 1. Each value the builder tracks keeps its LOGICAL shape (simdnet's order) apart from the PHYSICAL order of
// its ONNX tensor (`perm`: physical axis p holds logical axis perm[p]; axis 0 is the batch). An op that needs an
// order asks for it and gets at most one Transpose from whatever order the tensor is in, so a run of NCHW ops pays
// one Transpose in and one out, a `permute` layer costs no node of its own (it only renames axes), and a permute
// straight before a conv cancels against the conv's Transpose.
import { SimdnetError } from '../errors.js';
import { geometry } from '../layers/conv2d.js';
import type { Activation } from '../layers/activations.js';
import type { Shape } from '../layers/index.js';
import type { BatchNormalizationSpec, Conv2dSpec, DenseSpec, LayerSpec, Pooling2dSpec } from '../layers/spec.js';
import { floatTensor, int32Tensor, int64Tensor, int8Tensor, makeNode, uint8Tensor, type AttrValue } from './codec.js';
import { DataType, type OnnxNode, type OnnxTensor } from './types.js';

/** A tensor in the graph being built. */
export interface Value {
  /** The ONNX tensor's name. */
  name: string;
  /** The sample shape in simdnet's order (channels last), without the batch. */
  shape: number[];
  /** Physical axis p of the tensor holds logical axis perm[p] (0 = batch); the identity is simdnet's order. */
  perm: number[];
  /** Quantized (between two int8 layers of a quantized model: uint8 holding q + 128) rather than float. */
  int8: boolean;
}

const identity = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

/** Channels at axis 1, the other sample axes after it in order: [0, r−1, 1, …, r−2]. */
export const channelsFirst = (rank: number): number[] =>
  rank <= 2 ? identity(rank) : [0, rank - 1, ...identity(rank).slice(1, rank - 1)];

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** The layer types exportOnnx writes. */
export const EXPORTED_TYPES: readonly string[] = [
  'dense',
  'conv2d',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'batchNormalization',
  'activation',
  'dropout',
  'flatten',
  'reshape',
  'permute',
  'zeroPadding2d',
];

/** Refuses a layer type, or an activation, that has no ONNX form here (before anything is built). */
export function checkExportable(layers: readonly LayerSpec[], where: string): void {
  for (const l of layers) {
    if (!EXPORTED_TYPES.includes(l.type)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where}: layer '${l.name}' is a ${String(l.type)} layer, which has no ONNX export (exported types: ${EXPORTED_TYPES.join(', ')})`,
      );
    }
    const act = (l as { activation?: unknown }).activation;
    if (act !== undefined && !ACTIVATION_OPS.has(act as Activation)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where}: layer '${l.name}' has activation '${String(act)}', which has no ONNX export (exported: ${[...ACTIVATION_OPS.keys()].join(', ')})`,
      );
    }
  }
  layers.forEach((l, i) => {
    if (l.type !== 'zeroPadding2d') return;
    const next = layers.slice(i + 1).find((n) => n.type !== 'dropout');
    if (next?.type !== 'maxPooling2d' || nonNegativeBefore(layers, i)) return;
    // ONNX Runtime (1.30) folds a Pad into the MaxPool that reads it and then pads with −∞, not zeros: for values
    // that can be negative the file would compute something else than the model. (Measured: up to 13 off.)
    throw new SimdnetError(
      'UNSUPPORTED',
      `${where}: layer '${l.name}' (zeroPadding2d) feeds max pooling '${next.name}' with values that can be negative; ` +
        'ONNX Runtime folds such a Pad into the MaxPool and pads with -Infinity instead of zeros, so the exported file would compute other numbers. ' +
        "Pad after a relu/sigmoid/softmax, or use the pooling layer's own padding",
    );
  });
}

/** True when the values entering layer i cannot be negative (the nearest layer before it that computes ends in relu/sigmoid/softmax). */
function nonNegativeBefore(layers: readonly LayerSpec[], i: number): boolean {
  const moves = new Set([
    'dropout',
    'flatten',
    'reshape',
    'permute',
    'zeroPadding2d',
    'maxPooling2d',
    'averagePooling2d',
    'globalAveragePooling2d',
  ]);
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j];
    if (moves.has(l.type)) continue; // these keep a non-negative input non-negative
    const act = (l as { activation?: Activation }).activation;
    return act === 'relu' || act === 'sigmoid' || act === 'softmax';
  }
  return false;
}

/** The ONNX op of each activation (linear: none). */
const ACTIVATION_OPS = new Map<Activation, string | undefined>([
  ['linear', undefined],
  ['relu', 'Relu'],
  ['leakyRelu', 'LeakyRelu'],
  ['sigmoid', 'Sigmoid'],
  ['tanh', 'Tanh'],
  ['softmax', 'Softmax'],
]);

/** Nodes and initializers of one graph, with unique names and shared scalar constants. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** `reserved`: names taken up front (the graph's input and output). */
  constructor(reserved: readonly string[]) {
    for (const n of reserved) this.names.add(n);
  }

  /** `base`, or `base_2`, `base_3`, … when taken. */
  unique(base: string): string {
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  /** Adds an initializer made by `make(uniqueName)`; returns its name. */
  init(base: string, make: (name: string) => OnnxTensor): string {
    const t = make(this.unique(base));
    this.initializers.push(t);
    return t.name;
  }

  /** A scalar float constant, shared by every node that uses the same value. */
  scalarF32(v: number): string {
    return this.shared(`f32:${Object.is(v, -0) ? '-0' : String(Math.fround(v))}`, `const/f32/${Math.fround(v)}`, (n) =>
      floatTensor(n, [], [v]),
    );
  }

  /** The int8 scalar 0 (the kernels' zero point). */
  zeroI8(): string {
    return this.shared('i8:0', 'const/int8/0', (n) => int8Tensor(n, [], [0]));
  }

  /** The uint8 scalar 128: the zero point of activations stored as uint8 q + 128. */
  zeroPointU8(): string {
    return this.shared('u8:128', 'const/uint8/128', (n) => uint8Tensor(n, [], [128]));
  }

  private shared(key: string, base: string, make: (name: string) => OnnxTensor): string {
    let name = this.constants.get(key);
    if (name === undefined) {
      name = this.init(base, make);
      this.constants.set(key, name);
    }
    return name;
  }

  /**
   * Adds a node named `base` (made unique); its one output has the node's name. A layer's main node is named as the
   * layer (so an importer that names layers after nodes gets the names back), its helpers `<layer>/<Op>`.
   */
  node(opType: string, inputs: string[], base: string, attrs: Record<string, AttrValue> = {}): string {
    const name = this.unique(base);
    this.nodes.push(makeNode(opType, inputs, [name], name, attrs));
    return name;
  }

  /** `v` with its tensor in the physical order `target` (a Transpose when it is in another order). */
  arrange(v: Value, target: number[], base: string): Value {
    if (same(v.perm, target)) return v;
    // Output axis i takes the input's physical axis holding logical axis target[i].
    const perm = target.map((logical) => v.perm.indexOf(logical));
    return { ...v, name: this.node('Transpose', [v.name], `${base}/Transpose`, { perm }), perm: [...target] };
  }

  /** `v` in simdnet's order (for flatten, reshape, dense and the graph output). */
  natural(v: Value, base: string): Value {
    return this.arrange(v, identity(v.shape.length + 1), base);
  }

  /** `v` with its channels (last logical axis) at axis 1 (for Conv, pooling, BatchNormalization). */
  channelsFirst(v: Value, base: string): Value {
    return this.arrange(v, channelsFirst(v.shape.length + 1), base);
  }

  /** Renames the tensor `from` to `to` (the graph output): in the node that makes it and every node reading it. */
  rename(from: string, to: string): void {
    for (const n of this.nodes) {
      n.output = n.output.map((o) => (o === from ? to : o));
      n.input = n.input.map((i) => (i === from ? to : i));
    }
  }
}

// ---- tensors in ONNX layouts ----

/** A FLOAT16 tensor from half bits (little-endian raw_data). */
export function float16Tensor(name: string, dims: number[], bits: Uint16Array): OnnxTensor {
  const raw = new Uint8Array(bits.length * 2);
  for (let i = 0; i < bits.length; i++) {
    raw[2 * i] = bits[i] & 0xff;
    raw[2 * i + 1] = bits[i] >>> 8;
  }
  return { name, dims: [...dims], dataType: DataType.FLOAT16, rawData: raw };
}

type Elements = Float32Array | Int8Array | Uint16Array;

/** A conv2d kernel from simdnet's HWIO (kh, kw, c, f) to ONNX's OIHW (f, c, kh, kw). */
export function hwioToOihw<T extends Elements>(src: T, shape: readonly number[]): T {
  const [kh, kw, c, f] = shape;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ch = 0; ch < c; ch++) {
        const from = ((y * kw + x) * c + ch) * f;
        for (let o = 0; o < f; o++) out[((o * c + ch) * kh + y) * kw + x] = src[from + o];
      }
    }
  }
  return out;
}

/** The ONNX dims of a kernel: dense (in, out) as stored; conv2d OIHW. */
export const kernelDims = (spec: DenseSpec | Conv2dSpec, shape: readonly number[]): number[] =>
  spec.type === 'dense' ? [...shape] : [shape[3], shape[2], shape[0], shape[1]];

/** Initializer of a float kernel in its ONNX layout. */
export function floatKernel(
  b: GraphBuilder,
  spec: DenseSpec | Conv2dSpec,
  shape: readonly number[],
  data: Float32Array,
): string {
  const dims = kernelDims(spec, shape);
  const values = spec.type === 'conv2d' ? hwioToOihw(data, shape) : data;
  return b.init(`${spec.name}/kernel`, (n) => floatTensor(n, dims, values));
}

/** Initializer of an int8 kernel in its ONNX layout. */
export function int8Kernel(
  b: GraphBuilder,
  spec: DenseSpec | Conv2dSpec,
  shape: readonly number[],
  data: Int8Array,
): string {
  const dims = kernelDims(spec, shape);
  const values = spec.type === 'conv2d' ? hwioToOihw(data, shape) : data;
  return b.init(`${spec.name}/kernel_int8`, (n) => int8Tensor(n, dims, values));
}

/** A per-channel constant shaped to broadcast over the channel axis of `v` ([c] when last, [c, 1, …] at axis 1). */
export function channelDims(v: Value, c: number): number[] {
  const rank = v.perm.length;
  const axis = v.perm.indexOf(rank - 1);
  return axis === rank - 1 ? [c] : [c, ...Array<number>(rank - 1 - axis).fill(1)];
}

export function int32Channel(b: GraphBuilder, base: string, v: Value, data: Int32Array): string {
  return b.init(base, (n) => int32Tensor(n, channelDims(v, data.length), data));
}

export function floatChannel(b: GraphBuilder, base: string, v: Value, data: Float32Array): string {
  return b.init(base, (n) => floatTensor(n, channelDims(v, data.length), data));
}

// ---- layers ----

/** Conv and pooling attributes for a window over an NHWC map: TF-style 'same' pads (begin = floor(total / 2)). */
export function windowAttrs(spec: Conv2dSpec | Pooling2dSpec, input: Shape): Record<string, AttrValue> {
  const window = spec.type === 'conv2d' ? spec.kernelSize : spec.poolSize;
  const g = geometry(spec.name, spec.type, input, window, spec.strides, spec.padding);
  const totalH = Math.max((g.oh - 1) * g.sh + g.kh - g.h, 0);
  const totalW = Math.max((g.ow - 1) * g.sw + g.kw - g.w, 0);
  const pads = spec.padding === 'same' ? [g.padT, g.padL, totalH - g.padT, totalW - g.padL] : [0, 0, 0, 0];
  return { kernel_shape: [g.kh, g.kw], strides: [g.sh, g.sw], pads };
}

/**
 * An activation over the last logical axis of `v`, in whatever order `v` is; its node is named `base` for an
 * activation layer (`main`), `<base>/<Op>` when it follows a layer's own op.
 */
export function activationNodes(
  b: GraphBuilder,
  v: Value,
  act: Activation,
  alpha: number,
  base: string,
  main = false,
): Value {
  const op = ACTIVATION_OPS.get(act);
  if (op === undefined) return v;
  const attrs: Record<string, AttrValue> = {};
  if (act === 'leakyRelu') attrs.alpha = { f: alpha };
  if (act === 'softmax') attrs.axis = v.perm.indexOf(v.perm.length - 1);
  return { ...v, name: b.node(op, [v.name], main ? base : `${base}/${op}`, attrs) };
}

/** Where a dense or conv2d layer's kernel and bias come from (names of initializers or node outputs). */
export interface KernelInputs {
  /** Dense (in, out); conv2d OIHW. */
  kernel: string;
  /** Per output channel, shaped for the op (Gemm's C: [out]; Conv's B: [f]). */
  bias?: string;
}

/** Gemm (W as (in, out), transB = 0) or Conv (OIHW, explicit pads), then the layer's activation. */
export function kernelLayer(
  b: GraphBuilder,
  spec: DenseSpec | Conv2dSpec,
  v: Value,
  input: Shape,
  w: KernelInputs,
): Value {
  const inputs = w.bias === undefined ? [v.name, w.kernel] : [v.name, w.kernel, w.bias];
  let out: Value;
  if (spec.type === 'dense') {
    const x = b.natural(v, spec.name);
    out = {
      name: b.node('Gemm', [x.name, ...inputs.slice(1)], spec.name),
      shape: [spec.units],
      perm: [0, 1],
      int8: false,
    };
  } else {
    const x = b.channelsFirst(v, spec.name);
    const g = geometry(spec.name, 'conv2d', input, spec.kernelSize, spec.strides, spec.padding);
    const name = b.node('Conv', [x.name, ...inputs.slice(1)], spec.name, windowAttrs(spec, input));
    out = { name, shape: [g.oh, g.ow, spec.filters], perm: channelsFirst(4), int8: false };
  }
  return activationNodes(b, out, spec.activation, spec.alpha, spec.name);
}

/** BatchNormalization in inference form over the last logical axis (axis 1 of the ONNX tensor). */
export function batchNormNodes(
  b: GraphBuilder,
  spec: BatchNormalizationSpec,
  v: Value,
  params: readonly Float32Array[],
): Value {
  const x = b.channelsFirst(v, spec.name);
  const names = (['gamma', 'beta', 'movingMean', 'movingVariance'] as const).map((p, i) =>
    b.init(`${spec.name}/${p}`, (n) => floatTensor(n, [params[i].length], params[i])),
  );
  const name = b.node('BatchNormalization', [x.name, ...names], spec.name, {
    epsilon: { f: spec.epsilon },
    momentum: { f: spec.momentum },
  });
  return { ...x, name };
}

/**
 * Every layer without a kernel, in float (or int8 for the views between two int8 layers): pooling, global average
 * pooling, batch norm, activations, dropout, flatten, reshape, permute, zero padding. `params` are the layer's tensors in
 * simdnet's order (batch norm: gamma, beta, moving mean, moving variance).
 */
export function plainLayer(
  b: GraphBuilder,
  spec: LayerSpec,
  v: Value,
  input: Shape,
  output: Shape,
  params: readonly Float32Array[],
): Value {
  const base = spec.name;
  switch (spec.type) {
    case 'dropout':
      // Identity at inference (ORT drops the node), written anyway so that an importer gets the layer and its rate
      // back. Opset 12+ form: the ratio as a scalar input, no training_mode (false). ONNX's Dropout takes float
      // types only, so between two int8 layers (uint8 values) there is no node.
      if (v.int8) return v;
      return { ...v, name: b.node('Dropout', [v.name, b.scalarF32(spec.rate)], base) };
    case 'activation':
      return activationNodes(b, v, spec.activation, spec.alpha, base, true);
    case 'flatten': {
      const x = b.natural(v, base);
      return { ...x, name: b.node('Flatten', [x.name], base, { axis: 1 }), shape: [...output], perm: [0, 1] };
    }
    case 'reshape': {
      const x = b.natural(v, base);
      const shape = b.init(`${base}/shape`, (n) => int64Tensor(n, [output.length + 1], [-1, ...output]));
      return {
        ...x,
        name: b.node('Reshape', [x.name, shape], base),
        shape: [...output],
        perm: identity(output.length + 1),
      };
    }
    case 'permute': {
      // No node: logical axis j of the output is logical axis dims[j − 1] of the input; the tensor stays put.
      const from = [0, ...spec.dims];
      return { ...v, shape: [...output], perm: v.perm.map((logical) => from.indexOf(logical)) };
    }
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const x = b.channelsFirst(v, base);
      const attrs = windowAttrs(spec, input);
      // simdnet's average leaves padding out of the count (count_include_pad = 0, ONNX's default; written anyway).
      if (spec.type === 'averagePooling2d') attrs.count_include_pad = 0;
      const op = spec.type === 'maxPooling2d' ? 'MaxPool' : 'AveragePool';
      return { ...x, name: b.node(op, [x.name], base, attrs), shape: [...output] };
    }
    case 'zeroPadding2d': {
      // Pad (mode constant, value 0) on H and W of the NCHW tensor; pads [begins..., ends...] as an int64 input.
      const x = b.channelsFirst(v, base);
      const [[t, bottom], [l, r]] = spec.padding;
      const pads = b.init(`${base}/pads`, (n) => int64Tensor(n, [8], [0, 0, t, l, 0, 0, bottom, r]));
      return { ...x, name: b.node('Pad', [x.name, pads], base, { mode: 'constant' }), shape: [...output] };
    }
    case 'globalAveragePooling2d': {
      const x = b.channelsFirst(v, base);
      const pooled = b.node('GlobalAveragePool', [x.name], base);
      return {
        ...x,
        name: b.node('Flatten', [pooled], `${base}/Flatten`, { axis: 1 }),
        shape: [...output],
        perm: [0, 1],
      };
    }
    case 'batchNormalization':
      return batchNormNodes(b, spec, v, params);
    default:
      throw new SimdnetError('UNSUPPORTED', `exportOnnx(): layer '${spec.name}' (${spec.type}) has no ONNX export`);
  }
}
