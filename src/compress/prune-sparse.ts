// Sparse inference for pruned models: dense kernels with enough zeros are stored as CSR by input row (u16
// column indices, f32 values) in the engine's memory and run by the sparse_csr_forward kernel, which skips
// zero weights and zero inputs alike; the other layers keep a dense kernel and run on the GEMM. The model saves
// to its own compact file (only the nonzeros), versioned and checksummed.
import { f32View, toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { toTargets } from '../data/preprocess.js';
import { SimdnetError, check } from '../errors.js';
import { checksumFor } from '../io/checksum.js';
import { openFile, SPARSE_FILE, writeFile, type Checksum, type Chunk } from '../io/container.js';
import { activationForward, checkActivation, type Activation } from '../layers/activations.js';
import type { DenseSpec, LayerSpec } from '../layers/spec.js';
import type { Sequential } from '../model/sequential.js';
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import { kernelIndex } from './prune.js';
import { requireDenseStack } from './support.js';

/**
 * The sparse model file, version 2 (version 1: the same with a CRC-32): the shared envelope of src/io/container.ts
 * with magic "SDSP" and
 *   header: { format: "simdnet-sparse", version, name, inputDim, metadata, layers: [
 *             { type: "dense", name, inputs, units, activation, alpha, useBias, storage: "csr" | "dense", nnz } |
 *             { type: "activation", name, activation, alpha } ] }
 *   data:   per dense layer, in order, each chunk 4-byte aligned: csr: rowptr (inputs + 1) i32, vals (nnz) f32,
 *           cols (nnz) u16; dense: kernel (inputs × units) f32 row-major; then the bias (units) f32 when useBias
 *
 * Readers reject, besides what the envelope catches, sizes that do not add up to the file, CSR structure that is
 * out of range (row pointers not increasing from 0 to nnz, column indices >= units) and non-finite values.
 */
export const SPARSE_FORMAT_VERSION = SPARSE_FILE.version;
/** CSR column indices are u16. */
const MAX_CSR_UNITS = 65536;

/** Options of {@link SparseModel.fromModel}. */
export interface SparseOptions {
  /**
   * A dense kernel is stored as CSR when at least this fraction of it is zero (default 0.5: below that the dense
   * GEMM is as fast and the CSR file no smaller). 0 stores every kernel as CSR.
   */
  minSparsity?: number;
}

/** Where a loaded sparse model computes. */
export interface SparseLoadOptions {
  backend?: Backend;
  engine?: Engine;
}

/** One layer of a sparse model as {@link SparseModel.layers} describes it. */
export interface SparseLayerInfo {
  type: 'dense' | 'activation';
  name: string;
  activation: Activation;
  /** Dense layers: how the kernel is stored, its shape and nonzeros. */
  storage?: 'csr' | 'dense';
  inputs?: number;
  units?: number;
  nnz?: number;
  sparsity?: number;
}

/** Host copy of one layer (what the file holds). */
type LayerData =
  | {
      type: 'dense';
      name: string;
      inputs: number;
      units: number;
      activation: Activation;
      alpha: number;
      storage: 'csr' | 'dense';
      /** csr */
      rowptr?: Int32Array;
      cols?: Uint16Array;
      vals?: Float32Array;
      /** dense */
      kernel?: Float32Array;
      bias: Float32Array | null;
    }
  | { type: 'activation'; name: string; activation: Activation; alpha: number };

/** A layer resident in the engine. */
type Op =
  | {
      type: 'dense';
      info: LayerData & { type: 'dense' };
      nnz: number;
      /** Pointers: csr rowptr/cols/vals, or the dense kernel w; bias b (0: none). */
      rowptr: number;
      cols: number;
      vals: number;
      w: number;
      b: number;
    }
  | { type: 'activation'; info: LayerData & { type: 'activation' } };

/**
 * An inference-only model whose pruned layers run as sparse × dense products. Build it from a pruned
 * {@link Sequential} with {@link SparseModel.fromModel}, or read a file written by {@link SparseModel.save}.
 * Holds its weights in an engine's memory: call dispose() to give them back.
 */
export class SparseModel {
  readonly name: string;
  readonly inputDim: number;
  readonly outputDim: number;
  /** Free-form data saved with the model. */
  metadata: Record<string, unknown>;
  private readonly engine: Engine;
  private readonly ops: Op[];
  private readonly owned: number[] = [];
  private readonly maxWidth: number;
  private readonly maxUnits: number;
  private cap = 0;
  private bufs: number[] = [];
  private disposed = false;

  private constructor(engine: Engine, name: string, inputDim: number, layers: LayerData[], metadata: Record<string, unknown>) {
    this.engine = engine;
    this.name = name;
    this.inputDim = inputDim;
    this.metadata = metadata;
    let width = inputDim;
    let maxWidth = inputDim;
    let maxUnits = 4;
    for (const l of layers) {
      if (l.type === 'dense') {
        width = l.units;
        maxWidth = Math.max(maxWidth, width);
        maxUnits = Math.max(maxUnits, width);
      }
    }
    this.outputDim = width;
    this.maxWidth = maxWidth;
    this.maxUnits = maxUnits;
    try {
      this.ops = layers.map((l) => this.upload(l));
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /**
   * Converts a built model (pruned or not) to sparse form: each dense kernel with at least `minSparsity` zeros
   * becomes CSR, the others stay dense; dropout layers are dropped (identity at inference). The model itself is
   * not changed and can be disposed afterwards. The sparse model lives on the same engine.
   */
  static fromModel(model: Sequential, options: SparseOptions = {}): SparseModel {
    const what = 'SparseModel.fromModel()';
    model.assertIdle(what);
    requireDenseStack(model.layers, what);
    check(typeof options === 'object' && options !== null, 'RANGE', `${what}: options must be an object`);
    check(model.built, 'STATE', `${what}: the model is not built yet (no weights)`);
    const minSparsity = options.minSparsity ?? 0.5;
    check(typeof minSparsity === 'number' && minSparsity >= 0 && minSparsity <= 1, 'RANGE', `${what}: minSparsity must be in [0, 1], got ${String(minSparsity)}`);
    const net = model.requireNet();
    const weights = model.getWeights();
    const names = weights.map((w) => w.name);
    const layers: LayerData[] = [];
    model.layers.forEach((l: LayerSpec, i) => {
      if (l.type === 'dropout') return;
      if (l.type === 'activation') {
        layers.push({ type: 'activation', name: l.name, activation: l.activation, alpha: l.alpha });
        return;
      }
      const d = l as DenseSpec;
      const w = weights[kernelIndex(model, i)].data;
      const k = net.dims[i];
      const n = d.units;
      const bIdx = names.indexOf(`${d.name}/bias`);
      const bias = bIdx >= 0 ? weights[bIdx].data : null;
      let nnz = 0;
      for (let j = 0; j < w.length; j++) if (w[j] !== 0) nnz++;
      const sparsity = w.length > 0 ? 1 - nnz / w.length : 0;
      const base = { type: 'dense' as const, name: d.name, inputs: k, units: n, activation: d.activation, alpha: d.alpha, bias };
      if (sparsity >= minSparsity && n <= MAX_CSR_UNITS) {
        layers.push({ ...base, storage: 'csr', ...toCsr(w, k, n, nnz) });
      } else {
        layers.push({ ...base, storage: 'dense', kernel: w });
      }
    });
    return new SparseModel(net.engine, model.name, net.inputs, layers, structuredClone(model.metadata));
  }

  /** Reads a file written by save() (see the format above); rejects anything truncated, corrupt or foreign. */
  static load(input: Uint8Array | ArrayBuffer, options: SparseLoadOptions = {}): SparseModel {
    const { name, inputDim, metadata, layers } = decode(input, checksumFor(options));
    const engine = options.engine ?? getEngine(options.backend ?? 'wasm');
    return new SparseModel(engine, name, inputDim, layers, metadata);
  }

  /** The layers: kind, activation and, for dense ones, storage, shape and nonzeros. */
  get layers(): SparseLayerInfo[] {
    return this.ops.map((op) => {
      const l = op.info;
      if (l.type === 'activation') return { type: 'activation', name: l.name, activation: l.activation };
      const nnz = (op as Op & { type: 'dense' }).nnz;
      const size = l.inputs * l.units;
      return { type: 'dense', name: l.name, activation: l.activation, storage: l.storage, inputs: l.inputs, units: l.units, nnz, sparsity: size > 0 ? 1 - nnz / size : 0 };
    });
  }

  /** Nonzero kernel weights over all dense layers, and the kernel size they come from. */
  get nonzeros(): { nnz: number; size: number; sparsity: number } {
    let nnz = 0;
    let size = 0;
    for (const l of this.layers) {
      if (l.type !== 'dense') continue;
      nnz += l.nnz!;
      size += l.inputs! * l.units!;
    }
    return { nnz, size, sparsity: size > 0 ? 1 - nnz / size : 0 };
  }

  /** Outputs for each row of x (probabilities after softmax/sigmoid), as a rows × outputs matrix. */
  predict(x: MatrixInput, options: { batchSize?: number } = {}): Matrix {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const out = new Float32Array(mx.rows * n);
    this.each(mx, options.batchSize, (p, r, m) => out.set(this.engine.f32(p, m * n), r * n));
    return { data: out, rows: mx.rows, cols: n };
  }

  /** The class index of each row of x: argmax of the outputs, or output >= 0.5 for a single output. */
  predictClasses(x: MatrixInput, options: { batchSize?: number } = {}): Int32Array {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const out = new Int32Array(mx.rows);
    const k = this.engine.k;
    this.each(mx, options.batchSize, (p, r, m) => {
      if (n === 1) {
        const v = this.engine.f32(p, m);
        for (let i = 0; i < m; i++) out[r + i] = v[i] >= 0.5 ? 1 : 0;
        return;
      }
      k.argmax_rows(this.bufs[4], p, m, n);
      out.set(this.engine.i32(this.bufs[4], m), r);
    });
    return out;
  }

  /**
   * Loss and accuracy over (x, y); y is one row of targets per row of x, or class indices when there are
   * several outputs. The loss follows the output: cross-entropy after softmax, binary cross-entropy after
   * sigmoid, mean squared error otherwise. Accuracy: argmax match (one output: >= 0.5 match).
   */
  evaluate(x: MatrixInput, y: MatrixInput, options: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const my = toTargets(y, n);
    check(my.rows === mx.rows, 'SHAPE', `y has ${my.rows} rows but x has ${mx.rows}`);
    const last = [...this.ops].reverse().find((o) => o.info.activation !== 'linear' || o.type === 'dense');
    const act = last?.info.activation ?? 'linear';
    const k = this.engine.k;
    let loss = 0;
    let correct = 0;
    this.each(mx, options.batchSize, (p, r, m) => {
      const t = this.bufs[5];
      this.engine.f32(t, m * n).set(my.data.subarray(r * n, (r + m) * n));
      const l = act === 'softmax' ? k.ce_forward(p, t, m, n) : act === 'sigmoid' ? k.bce_forward(p, t, m, n) : k.mse_forward(p, t, m, n);
      loss += l * m;
      correct += n > 1 ? k.accuracy_count(p, t, m, n) : k.binary_accuracy_count(p, t, m, 0.5);
    });
    return { loss: loss / mx.rows, accuracy: correct / mx.rows };
  }

  /** Serializes the model (see the format above): only the nonzeros of CSR layers are written. */
  save(): Uint8Array {
    this.assertLive();
    const e = this.engine;
    const header = {
      name: this.name,
      inputDim: this.inputDim,
      metadata: this.metadata,
      layers: this.ops.map((op) => {
        if (op.type === 'activation') {
          const l = op.info;
          return { type: 'activation', name: l.name, activation: l.activation, alpha: l.alpha };
        }
        const l = op.info;
        return { type: 'dense', name: l.name, inputs: l.inputs, units: l.units, activation: l.activation, alpha: l.alpha, useBias: op.b !== 0, storage: l.storage, nnz: op.nnz };
      }),
    };
    const chunks: Chunk[] = [];
    for (const op of this.ops) {
      if (op.type !== 'dense') continue;
      const l = op.info;
      if (l.storage === 'csr') {
        chunks.push(e.i32(op.rowptr, l.inputs + 1), e.f32(op.vals, op.nnz), new Uint16Array(e.memory.buffer, op.cols, op.nnz));
      } else {
        chunks.push(e.f32(op.w, l.inputs * l.units));
      }
      if (op.b !== 0) chunks.push(e.f32(op.b, l.units));
    }
    return writeFile(SPARSE_FILE, header, chunks);
  }

  /** Frees the model's memory; any later call throws a DISPOSED error. */
  dispose(): void {
    if (this.disposed) return;
    this.release();
    this.disposed = true;
  }

  // ---- internals ----

  private assertLive(): void {
    if (this.disposed) throw new SimdnetError('DISPOSED', `sparse model '${this.name}' was disposed`);
  }

  private inputs(x: MatrixInput): Matrix {
    this.assertLive();
    // Float32Array data is staged as is and checked for NaN/Inf by a kernel per batch; other inputs go through toMatrix.
    return f32View(x, this.inputDim) ?? toMatrix(x, 'x', this.inputDim);
  }

  private upload(l: LayerData): Op {
    const e = this.engine;
    const own = (p: number): number => (this.owned.push(p), p);
    if (l.type === 'activation') return { type: 'activation', info: l };
    const op = { type: 'dense' as const, info: l, nnz: 0, rowptr: 0, cols: 0, vals: 0, w: 0, b: 0 };
    if (l.storage === 'csr') {
      op.nnz = l.rowptr![l.inputs];
      op.rowptr = own(e.upload(l.rowptr!));
      op.vals = own(e.upload(l.vals!));
      op.cols = own(e.allocF32(Math.ceil(op.nnz / 2)));
      new Uint16Array(e.memory.buffer, op.cols, op.nnz).set(l.cols!);
      // Keep only the engine copy: the layer description must not pin the host arrays.
      l.rowptr = l.vals = l.cols = undefined;
    } else {
      const w = l.kernel!;
      for (let j = 0; j < w.length; j++) if (w[j] !== 0) op.nnz++;
      op.w = own(e.upload(w));
      l.kernel = undefined;
    }
    if (l.bias) op.b = own(e.upload(l.bias));
    l.bias = null; // the values live in the engine (op.b != 0 says there is a bias)
    return op;
  }

  /** Makes sure the buffers hold `rows` rows: [x, act A, act B, ws, argmax idx, targets]. */
  private reserve(rows: number): void {
    if (rows <= this.cap) return;
    const e = this.engine;
    for (const p of this.bufs) e.free(p);
    this.bufs = [];
    const sizes = [rows * this.inputDim, rows * this.maxWidth, rows * this.maxWidth, 4 * this.maxUnits, rows, rows * this.outputDim];
    try {
      for (const s of sizes) this.bufs.push(e.allocF32(Math.max(4, s)));
    } catch (err) {
      for (const p of this.bufs) e.free(p);
      this.bufs = [];
      this.cap = 0;
      throw err;
    }
    this.cap = rows;
  }

  /** Runs the layers over x in batches; `use(outputs pointer, first row, rows)` reads each batch's outputs. */
  private each(mx: Matrix, batchSize: number | undefined, use: (p: number, r: number, m: number) => void): void {
    const bs = batchSize ?? 256;
    check(Number.isInteger(bs) && bs >= 1 && bs <= 1 << 20, 'RANGE', `batchSize must be an integer in [1, 1048576], got ${String(bs)}`);
    this.reserve(Math.min(mx.rows, bs));
    const e = this.engine;
    for (let r = 0; r < mx.rows; r += this.cap) {
      const m = Math.min(this.cap, mx.rows - r);
      e.stageRows(this.bufs[0], mx, r, m);
      use(this.run(m), r, m);
    }
  }

  /** Forward pass over m rows staged in the input buffer; returns the outputs' pointer. */
  private run(m: number): number {
    const k = this.engine.k;
    const [xb, a, b, ws] = this.bufs;
    let cur = xb;
    let width = this.inputDim;
    for (const op of this.ops) {
      const l = op.info;
      if (op.type === 'dense') {
        const d = op.info;
        const out = cur === a ? b : a;
        if (d.storage === 'csr') k.sparse_csr_forward(out, ws, cur, op.rowptr, op.cols, op.vals, op.b, m, d.inputs, d.units);
        else k.gemm_forward(out, cur, op.w, op.b, m, d.inputs, d.units);
        width = d.units;
        cur = out;
        if (l.activation !== 'linear') activationForward(k, l.activation, cur, cur, m, width, l.alpha);
      } else if (l.activation !== 'linear') {
        // In place, even on the input buffer: it holds a staged copy of the rows.
        activationForward(k, l.activation, cur, cur, m, width, l.alpha);
      }
    }
    return cur;
  }

  private release(): void {
    const e = this.engine;
    for (const p of [...this.owned, ...this.bufs]) e.free(p);
    this.owned.length = 0;
    this.bufs = [];
    this.cap = 0;
  }
}

/** CSR by row of a k×n row-major kernel with nnz nonzeros. */
function toCsr(w: Float32Array, k: number, n: number, nnz: number): { rowptr: Int32Array; cols: Uint16Array; vals: Float32Array } {
  const rowptr = new Int32Array(k + 1);
  const cols = new Uint16Array(nnz);
  const vals = new Float32Array(nnz);
  let e = 0;
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      const v = w[p * n + j];
      if (v !== 0) {
        cols[e] = j;
        vals[e++] = v;
      }
    }
    rowptr[p + 1] = e;
  }
  return { rowptr, cols, vals };
}

function decode(input: Uint8Array | ArrayBuffer, checksum: Checksum): { name: string; inputDim: number; metadata: Record<string, unknown>; layers: LayerData[] } {
  const file = openFile(input, SPARSE_FILE, checksum);
  const { bad } = file;
  const h = file.header;
  const isDim = (v: unknown, max = 1 << 24): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  if (!isDim(h.inputDim)) bad(`bad inputDim ${String(h.inputDim)}`);
  if (!Array.isArray(h.layers) || h.layers.length === 0) bad('no layers');
  let at = 0;
  const end = file.dataLength;
  const take = <T extends Int32Array | Float32Array | Uint16Array>(n: number, Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, what: string): T => {
    const out = file.read(at, n, Ctor, what);
    at += Math.ceil(out.byteLength / 4) * 4;
    return out;
  };
  const finite = (a: Float32Array, what: string): Float32Array => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) bad(`${what} holds a non-finite value at ${i}`);
    return a;
  };
  let width = h.inputDim as number;
  const layers: LayerData[] = (h.layers as unknown[]).map((raw, i) => {
    if (typeof raw !== 'object' || raw === null) return bad(`layer ${i} is not an object`);
    const o = raw as Record<string, unknown>;
    const name = typeof o.name === 'string' ? o.name : bad(`layer ${i} has no name`);
    let activation: Activation;
    try {
      activation = checkActivation(o.activation, `layer ${i}`);
    } catch (err) {
      return bad((err as Error).message);
    }
    const alpha = typeof o.alpha === 'number' && Number.isFinite(o.alpha) && o.alpha >= 0 ? o.alpha : bad(`layer ${i} has a bad alpha`);
    if (o.type === 'activation') return { type: 'activation', name, activation, alpha };
    if (o.type !== 'dense') return bad(`layer ${i} has unknown type '${String(o.type)}'`);
    if (o.inputs !== width) bad(`layer ${i} ('${name}') takes ${String(o.inputs)} inputs but gets ${width}`);
    if (!isDim(o.units)) bad(`layer ${i} ('${name}') has bad units ${String(o.units)}`);
    const k = width;
    const n = o.units as number;
    if (typeof o.useBias !== 'boolean') bad(`layer ${i} ('${name}') has no useBias flag`);
    const base = { type: 'dense' as const, name, inputs: k, units: n, activation, alpha };
    let layer: LayerData;
    if (o.storage === 'csr') {
      if (n > MAX_CSR_UNITS) bad(`layer ${i} ('${name}') is CSR with ${n} units (at most ${MAX_CSR_UNITS})`);
      const nnz = o.nnz;
      if (!Number.isInteger(nnz) || (nnz as number) < 0 || (nnz as number) > k * n) bad(`layer ${i} ('${name}') has a bad nonzero count ${String(nnz)}`);
      const rowptr = take(k + 1, Int32Array, `layer '${name}' row pointers`);
      const vals = finite(take(nnz as number, Float32Array, `layer '${name}' values`), `layer '${name}' values`);
      const cols = take(nnz as number, Uint16Array, `layer '${name}' column indices`);
      if (rowptr[0] !== 0 || rowptr[k] !== nnz) bad(`layer '${name}' row pointers do not run from 0 to ${String(nnz)}`);
      for (let p = 0; p < k; p++) {
        if (rowptr[p + 1] < rowptr[p] || rowptr[p + 1] - rowptr[p] > n) bad(`layer '${name}' row pointers are not increasing at row ${p}`);
      }
      for (let e = 0; e < cols.length; e++) if (cols[e] >= n) bad(`layer '${name}' column index ${cols[e]} is out of range (${n} units)`);
      layer = { ...base, storage: 'csr', rowptr, cols, vals, bias: null };
    } else if (o.storage === 'dense') {
      layer = { ...base, storage: 'dense', kernel: finite(take(k * n, Float32Array, `layer '${name}' kernel`), `layer '${name}' kernel`), bias: null };
    } else {
      return bad(`layer ${i} ('${name}') has unknown storage '${String(o.storage)}'`);
    }
    if (o.useBias) layer.bias = finite(take(n, Float32Array, `layer '${name}' bias`), `layer '${name}' bias`);
    width = n;
    return layer;
  });
  if (at !== end) bad(`${end - at} unexpected bytes after the last layer`);
  if (!layers.some((l) => l.type === 'dense')) bad('no dense layer');
  const metadata = typeof h.metadata === 'object' && h.metadata !== null && !Array.isArray(h.metadata) ? (h.metadata as Record<string, unknown>) : {};
  return { name: typeof h.name === 'string' ? h.name : 'sparse', inputDim: h.inputDim as number, metadata, layers };
}

