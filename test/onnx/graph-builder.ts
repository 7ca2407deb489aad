// Builds decoded ONNX models (src/onnx/types.ts) in memory for the importer's tests: nodes with inferred attribute
// types, float and int64 initializers, value infos with a dynamic batch. Float tensors are written as raw_data
// (as PyTorch writes them) unless asked for float_data.
import {
  AttrType,
  DataType,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../../src/onnx/types.js';

/** An attribute value: integers become INT(S), other numbers FLOAT(S), strings STRING; wrap with f() for a float. */
export type AttrValue = number | number[] | string | OnnxTensor | { float: number } | { floats: number[] };

/** Marks a number as a FLOAT attribute even when it is an integer (alpha: f(1)). */
export const f = (v: number): { float: number } => ({ float: v });
export const fs = (v: number[]): { floats: number[] } => ({ floats: v });

export function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: v };
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: AttrType.INT, i: v } : { name, type: AttrType.FLOAT, f: v };
  if (Array.isArray(v))
    return v.every(Number.isInteger)
      ? { name, type: AttrType.INTS, ints: v }
      : { name, type: AttrType.FLOATS, floats: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
  return { name, type: AttrType.TENSOR, t: v };
}

export function node(
  opType: string,
  input: string[],
  output: string[],
  attrs: Record<string, AttrValue> = {},
  name = '',
): OnnxNode {
  return { name, opType, domain: '', input, output, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
}

const size = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** A FLOAT tensor; `data` as values or a generator of the i-th value. */
export function floatTensor(
  name: string,
  dims: number[],
  data: ArrayLike<number> | ((i: number) => number),
  raw = true,
): OnnxTensor {
  const n = size(dims);
  const values =
    typeof data === 'function' ? Float32Array.from({ length: n }, (_, i) => data(i)) : Float32Array.from(data);
  if (values.length !== n) throw new Error(`floatTensor ${name}: ${values.length} values for dims [${dims}]`);
  if (!raw) return { name, dims: [...dims], dataType: DataType.FLOAT, floatData: [...values] };
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(0)) };
}

/** An INT64 tensor (int64_data). */
export function int64Tensor(name: string, dims: number[], values: number[]): OnnxTensor {
  return { name, dims: [...dims], dataType: DataType.INT64, int64Data: [...values] };
}

/** A value info: dims are fixed sizes, or strings for symbolic ones (the batch). */
export function valueInfo(
  name: string,
  dims: Array<number | string> | undefined,
  elemType: number = DataType.FLOAT,
): OnnxValueInfo {
  const vi: OnnxValueInfo = { name, elemType };
  if (dims) vi.shape = dims.map((d) => (typeof d === 'string' ? { param: d } : { value: d }));
  return vi;
}

export interface ModelParts {
  nodes: OnnxNode[];
  initializers?: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset?: number;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  name?: string;
}

export function onnxModel(p: ModelParts): OnnxModel {
  return {
    irVersion: p.irVersion ?? 8,
    opsetImport: [{ domain: '', version: p.opset ?? 13 }],
    producerName: p.producerName ?? 'graph-builder',
    producerVersion: p.producerVersion ?? '1',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: {
      name: p.name ?? 'test-graph',
      node: p.nodes,
      initializer: p.initializers ?? [],
      input: p.inputs,
      output: p.outputs,
      valueInfo: [],
    },
    metadataProps: [],
  };
}

/** A small deterministic generator (LCG) of values in [-scale, scale). */
export function lcg(seed: number, scale = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 * scale - scale;
  };
}

/** Values from lcg(seed, scale), one per element of dims. */
export function randomTensor(name: string, dims: number[], seed: number, scale = 0.5): OnnxTensor {
  const r = lcg(seed, scale);
  return floatTensor(name, dims, () => r());
}

/**
 * Builds a chain of nodes one after another: each `add` call names its node and wires the running tensor into
 * the given slot; initializers added alongside. `finish` makes the model with input `x` and output the last tensor.
 */
export class ChainBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private cur: string;
  private n = 0;

  constructor(
    private readonly inputDims: Array<number | string>,
    private readonly inputName = 'x',
  ) {
    this.cur = inputName;
  }

  /** The running tensor's name. */
  get tensor(): string {
    return this.cur;
  }

  init(t: OnnxTensor): string {
    this.initializers.push(t);
    return t.name;
  }

  /** Adds `opType` reading the running tensor first, then `others`; returns the node. */
  add(opType: string, others: string[] = [], attrs: Record<string, AttrValue> = {}, name?: string): OnnxNode {
    const id = name ?? `${opType.toLowerCase()}${this.n++}`;
    const out = `${id}_out`;
    const nd = node(opType, [this.cur, ...others], [out], attrs, id);
    this.nodes.push(nd);
    this.cur = out;
    return nd;
  }

  finish(opts: { opset?: number; outputDims?: Array<number | string>; irVersion?: number } = {}): OnnxModel {
    return onnxModel({
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: [valueInfo(this.inputName, this.inputDims)],
      outputs: [valueInfo(this.cur, opts.outputDims)],
      opset: opts.opset,
      irVersion: opts.irVersion,
    });
  }
}

/** Runs a model in ONNX Runtime Web (the reference): x is rows × the input's sample size, dims the full input dims. */
export async function ortRun(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    return Float32Array.from(out[session.outputNames[0]].data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The largest absolute difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
