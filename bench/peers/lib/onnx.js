// A minimal ONNX writer: just enough protobuf (varints, length-delimited fields, raw f32 bytes) to encode a
// ModelProto holding a GraphProto of NodeProtos with TensorProto initializers. Field numbers follow onnx.proto
// (ModelProto.ir_version = 1, graph = 7, opset_import = 8; GraphProto.node = 1, initializer = 5, input = 11, ...).
// onnxruntime-web only runs inference, so the benchmark builds its model file here from simdnet's weights.
import { hwcRowsToChw, hwioToOihw } from './cnn.js';

const enc = new TextEncoder();

/** Protobuf wire types. */
const VARINT = 0;
const LEN = 2;

/** Appends the varint encoding of a non-negative integer (up to 2^53) to `out`. */
function varint(out, v) {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint needs a safe non-negative integer, got ${v}`);
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * A message under construction: a list of byte chunks. Fields are written in the order they are added, which
 * protobuf allows (readers accept any order; repeated fields keep theirs).
 */
export class Message {
  constructor() {
    /** @type {Array<number[] | Uint8Array>} */
    this.chunks = [];
  }

  #key(field, wire) {
    const b = [];
    varint(b, field * 8 + wire);
    this.chunks.push(b);
  }

  /** An int32/int64/enum/bool field (non-negative values only: all this writer needs). */
  int(field, v) {
    this.#key(field, VARINT);
    const b = [];
    varint(b, v);
    this.chunks.push(b);
    return this;
  }

  /** A bytes field. */
  bytes(field, u8) {
    this.#key(field, LEN);
    const b = [];
    varint(b, u8.length);
    this.chunks.push(b, u8);
    return this;
  }

  /** A string field (UTF-8). */
  string(field, s) {
    return this.bytes(field, enc.encode(s));
  }

  /** An embedded message field. */
  message(field, m) {
    return this.bytes(field, m.finish());
  }

  /** A float (fixed32) field. */
  float(field, v) {
    this.#key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(b);
    return this;
  }

  /** The encoded bytes. */
  finish() {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT and TypeProto elem_type
const ATTR_INT = 2; // AttributeProto.AttributeType.INT
const ATTR_INTS = 7; // AttributeProto.AttributeType.INTS

/** TensorProto: f32 initializer with dims, stored as little-endian raw_data. */
export function tensor(name, dims, data) {
  if (data.length !== dims.reduce((a, b) => a * b, 1))
    throw new RangeError(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  const m = new Message();
  for (const d of dims) m.int(1, d);
  m.int(2, FLOAT);
  m.string(8, name);
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  // raw_data is little-endian; copy so the bytes do not alias a larger buffer.
  m.bytes(9, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  return m;
}

/** ValueInfoProto for an f32 tensor; a string dim is symbolic (dim_param), a number fixed (dim_value). */
export function valueInfo(name, dims) {
  const shape = new Message();
  for (const d of dims) {
    const dim = new Message();
    if (typeof d === 'string') dim.string(2, d);
    else dim.int(1, d);
    shape.message(1, dim);
  }
  const tt = new Message().int(1, FLOAT).message(2, shape);
  const type = new Message().message(1, tt);
  return new Message().string(1, name).message(2, type);
}

/**
 * NodeProto; `attrs` are integer attributes (a number: INT, what Softmax/Flatten need) or integer lists (an array:
 * INTS, unpacked, what Conv/MaxPool's kernel_shape and strides need).
 */
export function node(opType, inputs, outputs, name, attrs = {}) {
  const m = new Message();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name);
  m.string(4, opType);
  for (const [k, v] of Object.entries(attrs)) {
    const a = new Message().string(1, k);
    if (Array.isArray(v)) {
      for (const e of v) a.int(8, e);
      a.int(20, ATTR_INTS);
    } else a.int(3, v).int(20, ATTR_INT);
    m.message(5, a);
  }
  return m;
}

/** ModelProto around one graph; IR version 8 with the default-domain opset 17. */
export function model({ nodes, initializers, inputs, outputs, name = 'graph' }) {
  const g = new Message();
  for (const n of nodes) g.message(1, n);
  g.string(2, name);
  for (const t of initializers) g.message(5, t);
  for (const i of inputs) g.message(11, i);
  for (const o of outputs) g.message(12, o);
  const opset = new Message().string(1, '').int(2, 17);
  return new Message().int(1, 8).string(2, 'simdnet-bench-peers').message(7, g).message(8, opset).finish();
}

/**
 * A dense MLP as ONNX: per layer Gemm(x, W (in×out), b), then Relu between layers and Softmax at the end.
 * `weights` is simdnet's getWeights() list: kernel, bias, kernel, bias, ...; input "x" (N × in), output "y".
 */
export function mlpModel(weights) {
  const nodes = [];
  const initializers = [];
  let x = 'x';
  const L = weights.length / 2;
  for (let l = 0; l < L; l++) {
    const W = weights[2 * l];
    const b = weights[2 * l + 1];
    initializers.push(tensor(`W${l}`, W.shape, W.data), tensor(`b${l}`, b.shape, b.data));
    const z = `z${l}`;
    nodes.push(node('Gemm', [x, `W${l}`, `b${l}`], [z], `gemm${l}`));
    const a = l === L - 1 ? 'y' : `h${l}`;
    nodes.push(l === L - 1 ? node('Softmax', [z], [a], 'softmax', { axis: 1 }) : node('Relu', [z], [a], `relu${l}`));
    x = a;
  }
  const nIn = weights[0].shape[0];
  const nOut = weights[weights.length - 1].shape[0];
  return model({
    nodes,
    initializers,
    inputs: [valueInfo('x', ['N', nIn])],
    outputs: [valueInfo('y', ['N', nOut])],
    name: 'mlp',
  });
}

/**
 * The benchmark CNN (lib/cnn.js) as ONNX, computing the same function from the same weights: Conv (kernel
 * HWIO → OIHW) + Relu + MaxPool twice, Flatten, Gemm, Softmax. ONNX's Conv takes NCHW; with one input channel an
 * NHWC batch (N, 28, 28, 1) has the same bytes as NCHW (N, 1, 28, 28), so input "x" is declared NCHW and fed the
 * benchmark's data as is (no transpose, no copy). The pooled activation is then flattened in (c, h, w) order, so
 * the dense kernel's rows are re-ordered from Keras' (h, w, c) to match: the same products, summed per output.
 */
export function cnnModel(weights) {
  const [K1, b1, K2, b2, Wd, bd] = weights;
  if (K1.shape[2] !== 1) throw new RangeError('cnnModel feeds NHWC data as NCHW, which needs one input channel');
  const pooled = [4, 4, K2.shape[3]]; // (h, w, c) after the second pool
  const initializers = [
    tensor('W1', [K1.shape[3], K1.shape[2], K1.shape[0], K1.shape[1]], hwioToOihw(K1.data, K1.shape)),
    tensor('b1', b1.shape, b1.data),
    tensor('W2', [K2.shape[3], K2.shape[2], K2.shape[0], K2.shape[1]], hwioToOihw(K2.data, K2.shape)),
    tensor('b2', b2.shape, b2.data),
    tensor('Wd', Wd.shape, hwcRowsToChw(Wd.data, pooled, Wd.shape[1])),
    tensor('bd', bd.shape, bd.data),
  ];
  const pool = { kernel_shape: [2, 2], strides: [2, 2] };
  const nodes = [
    node('Conv', ['x', 'W1', 'b1'], ['c1'], 'conv1', { kernel_shape: [K1.shape[0], K1.shape[1]] }),
    node('Relu', ['c1'], ['r1'], 'relu1'),
    node('MaxPool', ['r1'], ['p1'], 'pool1', pool),
    node('Conv', ['p1', 'W2', 'b2'], ['c2'], 'conv2', { kernel_shape: [K2.shape[0], K2.shape[1]] }),
    node('Relu', ['c2'], ['r2'], 'relu2'),
    node('MaxPool', ['r2'], ['p2'], 'pool2', pool),
    node('Flatten', ['p2'], ['f'], 'flatten', { axis: 1 }),
    node('Gemm', ['f', 'Wd', 'bd'], ['z'], 'dense'),
    node('Softmax', ['z'], ['y'], 'softmax', { axis: 1 }),
  ];
  return model({
    nodes,
    initializers,
    inputs: [valueInfo('x', ['N', 1, 28, 28])],
    outputs: [valueInfo('y', ['N', Wd.shape[1]])],
    name: 'cnn',
  });
}

/** A single MatMul graph: C (n×n) = A (n×n) · B (n×n), both inputs fed at run time. */
export function matmulModel(n) {
  return model({
    nodes: [node('MatMul', ['A', 'B'], ['C'], 'matmul')],
    initializers: [],
    inputs: [valueInfo('A', [n, n]), valueInfo('B', [n, n])],
    outputs: [valueInfo('C', [n, n])],
    name: 'matmul',
  });
}
