// The importer's view of a decoded ONNX graph: who produces and who reads each tensor, typed attribute access,
// the constants (initializers, Constant nodes) and the small integer arithmetic exporters write to compute a
// Reshape's shape from the batch size (Shape → Gather → Unsqueeze → Concat), and the error messages, which always
// name the node (its name, or #index when unnamed) and its op.
import { SimdnetError, type ErrorCode } from '../errors.js';
import { dataTypeName, tensorToFloat32, tensorToNumbers } from './codec.js';
import { AttrType, DataType, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './types.js';

/** What the importer maps, for the messages of a refusal. */
export const SUPPORTED_OPS =
  'Gemm, MatMul (+ Add as its bias), Conv, MaxPool, AveragePool, GlobalAveragePool, ReduceMean (over H and W), BatchNormalization, Relu, LeakyRelu, ' +
  'Tanh, Sigmoid, Softmax, Dropout, Identity, Cast (to FLOAT), Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Pad (zeros, before a Conv), ' +
  'and Constant / Shape / Gather / Unsqueeze / Squeeze / Concat / Cast / Slice computing shapes';

/** Ops that only compute constants or shapes: harmless when nothing reads them. */
export const CONST_OPS: ReadonlySet<string> = new Set([
  'Constant',
  'Shape',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Cast',
  'Slice',
  'Identity',
  'Mul',
  'Add',
  'Sub',
  'Div',
]);

/** The largest tensor (elements) the importer reads or lays out: far beyond any model simdnet runs. */
export const MAX_ELEMENTS = 2 ** 28;

/** A symbolic integer of shape arithmetic: a number, or the batch size ('N'), unknown until run time. */
export type Sym = number | 'N';

export interface IntValue {
  dims: number[];
  v: Sym[];
}

export interface FloatValue {
  /** The initializer or Constant node it came from, for messages. */
  source: string;
  dims: number[];
  data: Float32Array;
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** `'name' (Op)` or `#3 (Op)`. */
export function nodeLabel(n: OnnxNode, i: number): string {
  return `${n.name ? `'${n.name}'` : `#${i}`} (${n.opType})`;
}

export class GraphView {
  readonly nodes: OnnxNode[];
  readonly opset: number;
  readonly inits = new Map<string, OnnxTensor>();
  /** Tensor name → index of the node that writes it. */
  readonly producer = new Map<string, number>();
  /** Tensor name → the nodes (and input slots) that read it (live nodes only, once keepOnly has run). */
  readonly consumers = new Map<string, Array<{ node: number; slot: number }>>();
  /** The nodes the imported output depends on (all of them until keepOnly runs). */
  live: ReadonlySet<number> | undefined;
  /** Nodes evaluated as constants or shape arithmetic (so they are accounted for). */
  readonly evaluated = new Set<number>();
  /** ONNX sample shape (no batch) of each data tensor the chain walk has passed. */
  readonly shapes = new Map<string, number[]>();
  private readonly floatCache = new Map<string, FloatValue>();
  private readonly intCache = new Map<string, IntValue>();
  private readonly evaluating = new Set<string>();

  constructor(readonly model: OnnxModel) {
    const g = model.graph;
    if (typeof g !== 'object' || g === null) throw new SimdnetError('FORMAT', 'ONNX model has no graph');
    for (const [field, v] of Object.entries({
      node: g.node,
      initializer: g.initializer,
      input: g.input,
      output: g.output,
    })) {
      if (!Array.isArray(v)) throw new SimdnetError('FORMAT', `ONNX graph: '${field}' is not a list`);
    }
    this.nodes = g.node;
    this.opset = defaultOpset(model);
    for (const t of g.initializer) {
      if (typeof t?.name !== 'string' || t.name === '')
        throw new SimdnetError('FORMAT', 'ONNX graph: an initializer has no name');
      if (this.inits.has(t.name))
        throw new SimdnetError('FORMAT', `ONNX graph: two initializers are named '${t.name}'`);
      this.inits.set(t.name, t);
    }
    this.nodes.forEach((n, i) => {
      if (
        typeof n !== 'object' ||
        n === null ||
        typeof n.opType !== 'string' ||
        !Array.isArray(n.input) ||
        !Array.isArray(n.output) ||
        !Array.isArray(n.attribute)
      ) {
        throw new SimdnetError(
          'FORMAT',
          `ONNX node #${i} is malformed (it needs an op type, inputs, outputs and attributes)`,
        );
      }
      n.input.forEach((name, slot) => {
        if (typeof name !== 'string') this.fail('FORMAT', i, `input ${slot} is not a tensor name`);
        if (name === '') return; // an omitted optional input
        const list = this.consumers.get(name) ?? [];
        list.push({ node: i, slot });
        this.consumers.set(name, list);
      });
      for (const name of n.output) {
        if (typeof name !== 'string') this.fail('FORMAT', i, 'an output is not a tensor name');
        if (name === '') continue;
        const other = this.producer.get(name);
        if (other !== undefined)
          this.fail('FORMAT', i, `writes '${name}', which node ${nodeLabel(this.nodes[other], other)} also writes`);
        if (this.inits.has(name)) this.fail('FORMAT', i, `writes '${name}', which is also an initializer`);
        this.producer.set(name, i);
      }
    });
  }

  /**
   * Keeps only the nodes `output` depends on (dead-branch elimination): the others — a classifier's label branch,
   * say — are not mapped, need not be supported and no longer count as readers of the tensors they read.
   */
  keepOnly(output: string): void {
    const live = new Set<number>();
    const todo = [output];
    for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
      const p = this.producer.get(name);
      if (p === undefined || live.has(p)) continue;
      live.add(p);
      for (const x of this.nodes[p].input) if (x !== '') todo.push(x);
    }
    this.live = live;
    for (const [name, list] of this.consumers) {
      const kept = list.filter((c) => live.has(c.node));
      if (kept.length > 0) this.consumers.set(name, kept);
      else this.consumers.delete(name);
    }
  }

  /** True unless keepOnly dropped node i. */
  isLive(i: number): boolean {
    return this.live === undefined || this.live.has(i);
  }

  label(i: number): string {
    return nodeLabel(this.nodes[i], i);
  }

  fail(code: ErrorCode, i: number, why: string): never {
    throw new SimdnetError(code, `ONNX node ${this.label(i)}: ${why}`);
  }

  // --- attributes -------------------------------------------------------------------------------------------

  private attr(i: number, name: string): OnnxAttribute | undefined {
    const found = this.nodes[i].attribute.filter((a) => a?.name === name);
    if (found.length > 1) this.fail('FORMAT', i, `attribute '${name}' is given ${found.length} times`);
    return found[0];
  }

  private typed<T>(
    i: number,
    name: string,
    type: number,
    typeName: string,
    pick: (a: OnnxAttribute) => unknown,
    ok: (v: unknown) => boolean,
  ): T | undefined {
    const a = this.attr(i, name);
    if (!a) return undefined;
    const v = pick(a);
    if ((a.type !== type && a.type !== 0) || !ok(v)) this.fail('FORMAT', i, `attribute '${name}' must be ${typeName}`);
    return v as T;
  }

  attrInt(i: number, name: string, dflt: number): number;
  attrInt(i: number, name: string): number | undefined;
  attrInt(i: number, name: string, dflt?: number): number | undefined {
    return this.typed<number>(i, name, AttrType.INT, 'an INT', (a) => a.i, Number.isSafeInteger) ?? dflt;
  }

  /** A FLOAT attribute, as the shortest decimal that is the same float32 (0.1, not 0.10000000149011612). */
  attrFloat(i: number, name: string, dflt: number): number {
    const v = this.typed<number>(
      i,
      name,
      AttrType.FLOAT,
      'a FLOAT',
      (a) => a.f,
      (x) => typeof x === 'number',
    );
    return v === undefined ? dflt : shortestFloat32(v);
  }

  attrInts(i: number, name: string): number[] | undefined {
    return this.typed<number[]>(
      i,
      name,
      AttrType.INTS,
      'INTS',
      (a) => a.ints,
      (v) => Array.isArray(v) && v.every(Number.isSafeInteger),
    );
  }

  attrFloats(i: number, name: string): number[] | undefined {
    return this.typed<number[]>(
      i,
      name,
      AttrType.FLOATS,
      'FLOATS',
      (a) => a.floats,
      (v) => Array.isArray(v) && v.every((x) => typeof x === 'number'),
    );
  }

  attrString(i: number, name: string, dflt: string): string {
    return (
      this.typed<string>(
        i,
        name,
        AttrType.STRING,
        'a STRING',
        (a) => a.s,
        (v) => typeof v === 'string',
      ) ?? dflt
    );
  }

  attrTensor(i: number, name: string): OnnxTensor | undefined {
    return this.typed<OnnxTensor>(
      i,
      name,
      AttrType.TENSOR,
      'a TENSOR',
      (a) => a.t,
      (v) => typeof v === 'object' && v !== null,
    );
  }

  /** Refuses attributes the mapping does not know (they might change the meaning). */
  onlyAttrs(i: number, known: readonly string[]): void {
    for (const a of this.nodes[i].attribute) {
      if (!known.includes(a?.name)) {
        this.fail(
          'UNSUPPORTED',
          i,
          `attribute '${String(a?.name)}' is not supported (known: ${known.join(', ') || 'none'})`,
        );
      }
    }
  }

  /** The name of input `slot`, or undefined when omitted. */
  input(i: number, slot: number): string | undefined {
    const name = this.nodes[i].input[slot];
    return name === undefined || name === '' ? undefined : name;
  }

  // --- constants ----------------------------------------------------------------------------------------------

  /** True when `name` is an initializer or computed by constant nodes only (no data flows into it). */
  isConstant(name: string): boolean {
    if (this.inits.has(name)) return true;
    const p = this.producer.get(name);
    if (p === undefined) return false;
    const n = this.nodes[p];
    if (n.opType === 'Constant') return true;
    if (n.opType === 'Shape') return false; // depends on the data's shape: handled by intValue
    if (!CONST_OPS.has(n.opType) || this.evaluating.has(name)) return false;
    this.evaluating.add(name);
    try {
      return n.input.every((x) => x === '' || this.isConstant(x));
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** Reads a tensor's values as float32, refusing a count that does not match its dims. */
  private tensorFloats(t: OnnxTensor, where: string): Float32Array {
    return checkedValues(t, where, tensorToFloat32);
  }

  private tensorInts(t: OnnxTensor, where: string): number[] {
    return checkedValues(t, where, tensorToNumbers);
  }

  /**
   * The float constant behind input `slot` of node `user` (an initializer, a Constant node, or either through
   * Identity nodes): refused when it is data, missing, not FLOAT, or holds NaN/Inf.
   */
  floatInput(user: number, slot: number, what: string): FloatValue {
    const name = this.input(user, slot);
    if (name === undefined) this.fail('FORMAT', user, `${what} (input ${slot}) is missing`);
    const v = this.floatConst(name, user, what);
    const bad = v.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new SimdnetError(
        'NONFINITE',
        `ONNX node ${this.label(user)}: ${what} '${v.source}' holds ${v.data[bad]} at index ${bad} (weights must be finite)`,
      );
    }
    return v;
  }

  private floatConst(name: string, user: number, what: string): FloatValue {
    const cached = this.floatCache.get(name);
    if (cached) return cached;
    const init = this.inits.get(name);
    let v: FloatValue;
    if (init) {
      checkFloat(init, `initializer '${name}' (${what} of node ${this.label(user)})`);
      v = { source: name, dims: [...init.dims], data: this.tensorFloats(init, `initializer '${name}'`) };
    } else {
      const p = this.producer.get(name);
      if (p === undefined)
        this.fail('FORMAT', user, `${what} '${name}' is neither an initializer nor the output of a node`);
      const n = this.nodes[p];
      if (n.domain !== '' && n.domain !== 'ai.onnx' && n.domain !== undefined) {
        this.fail('UNSUPPORTED', p, `op domain '${n.domain}' is not supported (only the default ONNX domain)`);
      }
      if (n.opType === 'Constant') {
        this.evaluated.add(p);
        const t = this.constantTensor(p);
        if (t.floats) v = { source: name, dims: t.dims, data: t.floats };
        else this.fail('FORMAT', user, `${what} '${name}' (from Constant node ${this.label(p)}) is not FLOAT`);
      } else if (n.opType === 'Identity' && this.input(p, 0) !== undefined && this.isConstant(this.input(p, 0)!)) {
        this.evaluated.add(p);
        v = { ...this.floatConst(this.input(p, 0)!, user, what), source: name };
      } else {
        this.fail(
          'UNSUPPORTED',
          user,
          `${what} '${name}' must be a constant (an initializer or a Constant node); it is computed by node ${this.label(p)}`,
        );
      }
    }
    this.floatCache.set(name, v);
    return v;
  }

  /** A Constant node's value: float data or integers (value, value_float(s), value_int(s)). */
  private constantTensor(i: number): { dims: number[]; floats?: Float32Array; ints?: number[] } {
    const n = this.nodes[i];
    if (n.attribute.length !== 1)
      this.fail('FORMAT', i, `a Constant needs exactly one value attribute, it has ${n.attribute.length}`);
    const a = n.attribute[0];
    const where = `Constant node ${this.label(i)}`;
    switch (a?.name) {
      case 'value': {
        const t = this.attrTensor(i, 'value')!;
        if (t.dataType === DataType.FLOAT) return { dims: [...t.dims], floats: this.tensorFloats(t, where) };
        if (t.dataType === DataType.INT64 || t.dataType === DataType.INT32 || t.dataType === DataType.BOOL)
          return { dims: [...t.dims], ints: this.tensorInts(t, where) };
        return this.fail(
          'UNSUPPORTED',
          i,
          `a constant of data type ${dataTypeName(t.dataType)} is not supported (FLOAT, INT64, INT32, BOOL)`,
        );
      }
      case 'value_float':
        return { dims: [], floats: Float32Array.of(this.attrFloat(i, 'value_float', 0)) };
      case 'value_floats': {
        const v = this.attrFloats(i, 'value_floats')!;
        return { dims: [v.length], floats: Float32Array.from(v) };
      }
      case 'value_int':
        return { dims: [], ints: [this.attrInt(i, 'value_int')!] };
      case 'value_ints': {
        const v = this.attrInts(i, 'value_ints')!;
        return { dims: [v.length], ints: v };
      }
      default:
        return this.fail(
          'UNSUPPORTED',
          i,
          `a Constant given by '${String(a?.name)}' is not supported (value, value_float(s), value_int(s))`,
        );
    }
  }

  /** The integer constant (or shape arithmetic result) behind input `slot` of node `user`. */
  intInput(user: number, slot: number, what: string): IntValue {
    const name = this.input(user, slot);
    if (name === undefined) this.fail('FORMAT', user, `${what} (input ${slot}) is missing`);
    return this.intConst(name, user, what);
  }

  private intConst(name: string, user: number, what: string): IntValue {
    const cached = this.intCache.get(name);
    if (cached) return cached;
    if (this.evaluating.has(name))
      this.fail('FORMAT', user, `${what} '${name}' depends on itself (the graph has a cycle)`);
    this.evaluating.add(name);
    try {
      const v = this.computeInt(name, user, what);
      if (v.v.length > 64)
        this.fail('UNSUPPORTED', user, `${what} '${name}' has ${v.v.length} values; a shape has at most 64`);
      this.intCache.set(name, v);
      return v;
    } finally {
      this.evaluating.delete(name);
    }
  }

  private computeInt(name: string, user: number, what: string): IntValue {
    const init = this.inits.get(name);
    if (init) {
      if (init.dataType !== DataType.INT64 && init.dataType !== DataType.INT32 && init.dataType !== DataType.BOOL) {
        this.fail('FORMAT', user, `${what} '${name}' must be INT64, its data type is ${init.dataType}`);
      }
      if (product(init.dims) > 64)
        this.fail('UNSUPPORTED', user, `${what} '${name}' has ${product(init.dims)} values; a shape has at most 64`);
      return { dims: [...init.dims], v: this.tensorInts(init, `initializer '${name}'`) };
    }
    const p = this.producer.get(name);
    if (p === undefined)
      this.fail('FORMAT', user, `${what} '${name}' is neither an initializer nor the output of a node`);
    const n = this.nodes[p];
    if (n.domain !== '' && n.domain !== 'ai.onnx' && n.domain !== undefined) {
      this.fail('UNSUPPORTED', p, `op domain '${n.domain}' is not supported (only the default ONNX domain)`);
    }
    this.evaluated.add(p);
    const known = SHAPE_OP_ATTRS[n.opType];
    if (known) this.onlyAttrs(p, known);
    const sub = (slot: number, w: string): IntValue => this.intInput(p, slot, w);
    const scalarOrList = (x: IntValue): boolean => x.dims.length <= 1;
    switch (n.opType) {
      case 'Constant': {
        const t = this.constantTensor(p);
        if (!t.ints) this.fail('FORMAT', user, `${what} '${name}' (from Constant node ${this.label(p)}) is not INT64`);
        if (t.ints.length > 64)
          this.fail('UNSUPPORTED', user, `${what} '${name}' has ${t.ints.length} values; a shape has at most 64`);
        return { dims: t.dims, v: t.ints };
      }
      case 'Identity':
      case 'Cast':
        return sub(0, 'its input');
      case 'Shape': {
        const x = this.input(p, 0);
        const shape = x === undefined ? undefined : this.shapes.get(x);
        if (!shape)
          this.fail(
            'UNSUPPORTED',
            p,
            `the shape of '${String(x)}' is only supported for a tensor of the input-to-output chain, read before it is reshaped`,
          );
        const full: Sym[] = ['N', ...shape];
        const norm = (a: number): number => Math.min(Math.max(a < 0 ? a + full.length : a, 0), full.length);
        const start = norm(this.attrInt(p, 'start', 0));
        const end = norm(this.attrInt(p, 'end') ?? full.length);
        const v = full.slice(start, Math.max(start, end));
        return { dims: [v.length], v };
      }
      case 'Gather': {
        const data = sub(0, 'data');
        const idx = sub(1, 'indices');
        const axis = this.attrInt(p, 'axis', 0);
        if (data.dims.length !== 1 || (axis !== 0 && axis !== -1) || !scalarOrList(idx)) {
          this.fail('UNSUPPORTED', p, 'Gather is supported on a 1-D shape with scalar or 1-D indices only');
        }
        const v = idx.v.map((k) => {
          if (typeof k !== 'number' || k < -data.v.length || k >= data.v.length)
            this.fail('FORMAT', p, `index ${k} is out of range for ${data.v.length} values`);
          return data.v[k < 0 ? k + data.v.length : k];
        });
        return { dims: [...idx.dims], v };
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const data = sub(0, 'data');
        const axes =
          this.opset >= 13 ? (this.input(p, 1) === undefined ? undefined : sub(1, 'axes').v) : this.attrInts(p, 'axes');
        const out = n.opType === 'Unsqueeze' ? unsqueezeDims(data.dims, axes) : squeezeDims(data.dims, axes);
        if (!out)
          this.fail(
            'UNSUPPORTED',
            p,
            `${n.opType} of a ${data.dims.length}-D shape value with axes ${JSON.stringify(axes)} is not supported`,
          );
        return { dims: out, v: data.v };
      }
      case 'Concat': {
        const parts = n.input.map((_, k) => sub(k, `input ${k}`));
        const axis = this.attrInt(p, 'axis', 0);
        if ((axis !== 0 && axis !== -1) || !parts.every((x) => x.dims.length === 1))
          this.fail('UNSUPPORTED', p, 'Concat is supported on 1-D shape values only');
        const v = parts.flatMap((x) => x.v);
        return { dims: [v.length], v };
      }
      case 'Slice': {
        const data = sub(0, 'data');
        if (data.dims.length !== 1) this.fail('UNSUPPORTED', p, 'Slice is supported on 1-D shape values only');
        const one = (slot: number, attr: string): number | undefined => {
          const list =
            this.opset >= 10
              ? this.input(p, slot) === undefined
                ? undefined
                : sub(slot, attr).v
              : this.attrInts(p, attr);
          if (list === undefined) return undefined;
          if (list.length !== 1 || typeof list[0] !== 'number')
            this.fail('UNSUPPORTED', p, `Slice ${attr} must be one known number`);
          return list[0];
        };
        const starts = one(1, 'starts') ?? 0;
        const ends = one(2, 'ends') ?? data.v.length;
        const axis = one(3, 'axes') ?? 0;
        const step = one(4, 'steps') ?? 1;
        if ((axis !== 0 && axis !== -1) || step !== 1)
          this.fail('UNSUPPORTED', p, 'Slice is supported along axis 0 with step 1');
        const len = data.v.length;
        const clamp = (a: number): number => Math.min(Math.max(a < 0 ? a + len : a, 0), len);
        const v = data.v.slice(clamp(starts), Math.max(clamp(starts), clamp(ends)));
        return { dims: [v.length], v };
      }
      case 'Mul':
      case 'Add':
      case 'Sub':
      case 'Div': {
        const a = sub(0, 'A');
        const b = sub(1, 'B');
        const len = Math.max(a.v.length, b.v.length);
        if (
          !scalarOrList(a) ||
          !scalarOrList(b) ||
          (a.v.length !== len && a.v.length !== 1) ||
          (b.v.length !== len && b.v.length !== 1)
        ) {
          this.fail('UNSUPPORTED', p, `${n.opType} is supported on scalar or 1-D shape values only`);
        }
        const v = Array.from({ length: len }, (_, k) => {
          const x = a.v[a.v.length === 1 ? 0 : k];
          const y = b.v[b.v.length === 1 ? 0 : k];
          if (typeof x !== 'number' || typeof y !== 'number') {
            return this.fail(
              'UNSUPPORTED',
              p,
              `${n.opType} on the batch size is not supported (the batch must stay a dimension of its own)`,
            );
          }
          if (n.opType === 'Div' && y === 0) this.fail('FORMAT', p, 'divides by zero');
          const r =
            n.opType === 'Mul' ? x * y : n.opType === 'Add' ? x + y : n.opType === 'Sub' ? x - y : Math.trunc(x / y);
          if (!Number.isSafeInteger(r)) this.fail('UNSUPPORTED', p, `${n.opType} gives ${r}, beyond safe integers`);
          return r;
        });
        return { dims: a.dims.length >= b.dims.length ? [...a.dims] : [...b.dims], v };
      }
      default:
        return this.fail(
          'UNSUPPORTED',
          p,
          `computing ${what} '${name}' for node ${this.label(user)} with ${n.opType} is not supported (shapes may come from ${SUPPORTED_SHAPE_OPS})`,
        );
    }
  }
}

/** The attributes each shape op may carry (others would change its meaning, or make the node invalid). */
const SHAPE_OP_ATTRS: Record<string, readonly string[]> = {
  Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
  Identity: [],
  Cast: ['to', 'saturate'],
  Shape: ['start', 'end'],
  Gather: ['axis'],
  Unsqueeze: ['axes'],
  Squeeze: ['axes'],
  Concat: ['axis'],
  Slice: ['starts', 'ends', 'axes'],
  Mul: ['broadcast', 'axis'],
  Add: ['broadcast', 'axis'],
  Sub: ['broadcast', 'axis'],
  Div: ['broadcast', 'axis'],
};

const SUPPORTED_SHAPE_OPS =
  'initializers, Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Identity and Mul/Add/Sub/Div of known numbers';

/**
 * The shortest decimal with the same float32 value: ONNX keeps float attributes as float32, simdnet's specs as
 * numbers that the kernels round to float32 again, so this changes nothing computed and reads as written.
 */
export function shortestFloat32(v: number): number {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

/** Dims after inserting size-1 axes (axes in the output's rank), or undefined for a bad list. */
function unsqueezeDims(dims: number[], axes: Sym[] | undefined): number[] | undefined {
  if (!axes?.every((a) => typeof a === 'number')) return undefined;
  const rank = dims.length + axes.length;
  const norm = (axes as number[]).map((a) => (a < 0 ? a + rank : a));
  if (new Set(norm).size !== norm.length || norm.some((a) => a < 0 || a >= rank)) return undefined;
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : dims[k++]);
  return out;
}

function squeezeDims(dims: number[], axes: Sym[] | undefined): number[] | undefined {
  if (axes === undefined) return dims.filter((d) => d !== 1);
  if (!axes.every((a) => typeof a === 'number')) return undefined;
  const norm = (axes as number[]).map((a) => (a < 0 ? a + dims.length : a));
  if (norm.some((a) => a < 0 || a >= dims.length || dims[a] !== 1)) return undefined;
  return dims.filter((_, i) => !norm.includes(i));
}

/** Refuses dims that are not non-negative integers or describe an absurd number of elements. */
function checkDims(t: OnnxTensor, where: string): void {
  if (!Array.isArray(t.dims) || !t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SimdnetError('FORMAT', `${where}: dims ${JSON.stringify(t.dims)} are not a list of sizes`);
  }
  if (product(t.dims) > MAX_ELEMENTS) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${where}: dims [${t.dims.join(', ')}] hold more than ${MAX_ELEMENTS} values`,
    );
  }
}

function checkFloat(t: OnnxTensor, where: string): void {
  if (t.dataType !== DataType.FLOAT) {
    throw new SimdnetError(
      'FORMAT',
      `${where}: data type ${dataTypeName(t.dataType)} does not match the graph's FLOAT input (weights must be FLOAT)`,
    );
  }
}

/** The default domain's opset version (refuses a model that imports none). */
function defaultOpset(model: OnnxModel): number {
  const list = Array.isArray(model.opsetImport) ? model.opsetImport : [];
  const found = list.find((o) => o && (o.domain === '' || o.domain === 'ai.onnx' || o.domain === undefined));
  if (!found || !Number.isSafeInteger(found.version) || found.version < 1) {
    throw new SimdnetError('FORMAT', 'ONNX model imports no version of the default operator set (opset_import)');
  }
  return found.version;
}

/** A tensor's values read by `read`, its errors naming `where`, refusing a count that does not match its dims. */
function checkedValues<T extends ArrayLike<number>>(t: OnnxTensor, where: string, read: (t: OnnxTensor) => T): T {
  checkDims(t, where);
  let data: T;
  try {
    data = read(t);
  } catch (err) {
    if (err instanceof SimdnetError) throw new SimdnetError(err.code, `${where}: ${err.message}`);
    throw err;
  }
  if (data.length !== product(t.dims)) {
    throw new SimdnetError('FORMAT', `${where}: ${data.length} values for dims [${t.dims.join(', ')}]`);
  }
  return data;
}
