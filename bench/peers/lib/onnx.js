// A minimal ONNX writer: just enough protobuf (varints, length-delimited fields, raw f32 bytes) to encode a
// ModelProto holding a GraphProto of NodeProtos with TensorProto initializers. Field numbers follow onnx.proto
// (ModelProto.ir_version = 1, graph = 7, opset_import = 8; GraphProto.node = 1, initializer = 5, input = 11, ...).
// onnxruntime-web only runs inference, so the benchmark builds its model file here from simdnet's weights.

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

/** TensorProto: f32 initializer with dims, stored as little-endian raw_data. */
export function tensor(name, dims, data) {
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new RangeError(`tensor ${name}: ${data.length} values for dims [${dims}]`);
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

/** NodeProto; `attrs` are integer attributes only (what Gemm/Softmax need). */
export function node(opType, inputs, outputs, name, attrs = {}) {
  const m = new Message();
  for (const i of inputs) m.string(1, i);
  for (const o of outputs) m.string(2, o);
  m.string(3, name);
  m.string(4, opType);
  for (const [k, v] of Object.entries(attrs)) {
    m.message(5, new Message().string(1, k).int(3, v).int(20, ATTR_INT));
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
  return model({ nodes, initializers, inputs: [valueInfo('x', ['N', nIn])], outputs: [valueInfo('y', ['N', nOut])], name: 'mlp' });
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
