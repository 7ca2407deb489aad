// Sparse inference for pruned models: dense kernels with enough zeros are stored as CSR by input row (u16
// column indices, f32 values) in the engine's memory and run by the sparse_csr_forward kernel, which skips
// zero weights and zero inputs alike; the other dense layers keep a dense kernel and run on the GEMM. Every other
// layer (conv2d with its pruned kernel, pooling, batch norm, ...) runs as its float record on the one execution
// plan (src/model/plan.ts): a conv's zeros cost as much as its nonzeros there, so a conv is made smaller by
// removing whole filters (pruneNeurons), not by CSR. The model saves to its own compact file (only the nonzeros),
// versioned and checksummed.
import { checkEngineOptions, checkOptions } from '../args.js';
import type { MatrixInput } from '../data/matrix.js';
import { check, SimdnetError } from '../errors.js';
import { checkMagnitudes } from '../io/bounds.js';
import { checksumFor } from '../io/checksum.js';
import { openFile, SPARSE_FILE, writeFile, type Checksum, type Chunk, type FileKind } from '../io/container.js';
import { activationForward, checkActivation, type Activation } from '../layers/activations.js';
import {
  activation as activationLayer,
  activationOf,
  dense as denseLayer,
  inferShapes,
  paramDefs,
  sizeOf,
  validateSpec,
  type Shape,
} from '../layers/index.js';
import { checkShape } from '../layers/layer.js';
import type { DenseSpec, LayerSpec } from '../layers/spec.js';
import {
  Plan,
  PlannedModel,
  recordOp,
  uploadAll,
  type PlanEvalOptions,
  type PlanEvalResult,
  type PlanOp,
} from '../model/plan.js';
import type { Sequential } from '../model/sequential.js';
import { idleModel } from '../model/sequential.js';
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import type { LossName } from '../train/losses.js';
import { hasKernel, requireSupported } from './support.js';

/**
 * The sparse model file: the shared envelope of src/io/container.ts with magic "SDSP". A writer uses the lowest
 * version that holds the model, so the file of a dense model reads in every simdnet since version 1.
 *
 * Version 2 (version 1: the same with a CRC-32), models of dense and activation layers:
 *   header: { format: "simdnet-sparse", version, name, inputDim, metadata, loss?, layers: [
 *             { type: "dense", name, inputs, units, activation, alpha, useBias, storage: "csr" | "dense", nnz } |
 *             { type: "activation", name, activation, alpha } ] }
 *   data:   per dense layer, in order, each chunk 4-byte aligned: csr: rowptr (inputs + 1) i32, vals (nnz) f32,
 *           cols (nnz) u16; dense: kernel (inputs × units) f32 row-major; then the bias (units) f32 when useBias
 *   loss: the model's built-in loss, or null for none; files written before it was recorded (no `loss`) report
 *   the loss their last activation implies (softmax: categorical cross-entropy, sigmoid: binary, else MSE).
 *
 * Version 3, any model (conv2d, pooling, flatten, reshape, batch norm too):
 *   header: { format, version, name, inputDim, inputShape, metadata, loss, layers: [layer specs],
 *             dense: [{ layer, storage: "csr" | "dense", nnz }] (one per dense layer) }
 *   data:   in layer order, each chunk 4-byte aligned: a dense layer as in version 2; any other layer with weights
 *           its parameters in f32, in the layer's order (conv2d: the HWIO kernel, zeros included, and the bias).
 *
 * Readers reject, besides what the envelope catches, sizes that do not add up to the file, CSR structure that is
 * out of range (row pointers not increasing from 0 to nnz, column indices >= units), non-finite values and values
 * so large that a forward pass on inputs with |x| <= 1e3 could overflow f32 (io/bounds.ts).
 */
export const SPARSE_FORMAT_VERSION = 3;
const FILE: FileKind = { ...SPARSE_FILE, version: SPARSE_FORMAT_VERSION };
const FILE_V2: FileKind = { ...SPARSE_FILE, version: 2 };
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
  /** 'wasm' (default) or 'js': which kernels run the model (ignored when `engine` is given). */
  backend?: Backend;
  /** The engine whose memory holds the model (default: the one init() made). */
  engine?: Engine;
}

/** One layer of a sparse model as {@link SparseModel.layers} describes it. */
export interface SparseLayerInfo {
  /** The layer type ('dense', 'activation', 'conv2d', 'maxPooling2d', ...). */
  type: LayerSpec['type'];
  /** The layer's name. */
  name: string;
  /** The activation it applies ('linear' for layers without one). */
  activation: Activation;
  /** Dense and conv2d layers: how the kernel is stored ('csr' for dense only), its nonzeros and size. */
  storage?: 'csr' | 'dense';
  /** Dense layers: the kernel's shape, inputs × units. */
  inputs?: number;
  /** Dense layers: output width. */
  units?: number;
  /** Nonzero weights in the kernel. */
  nnz?: number;
  /** Weights in the kernel. */
  size?: number;
  /** 1 − nnz / size. */
  sparsity?: number;
}

/** Host copy of one dense layer's weights (what the file holds). */
interface DenseData {
  storage: 'csr' | 'dense';
  inputs: number;
  units: number;
  rowptr?: Int32Array;
  cols?: Uint16Array;
  vals?: Float32Array;
  kernel?: Float32Array;
  bias?: Float32Array;
}

/** Everything that defines a sparse model (dropout layers are not kept: the identity at inference). */
interface SparseParts {
  name: string;
  inputShape: Shape;
  layers: LayerSpec[];
  metadata: Record<string, unknown>;
  loss: LossName | undefined;
  /** Dense layers, by layer index. */
  dense: Map<number, DenseData>;
  /** f32 parameters of the other layers with weights (ParamDef order), by layer index. */
  others: Map<number, Float32Array[]>;
}

/** A dense layer resident in the engine. */
interface Resident {
  storage: 'csr' | 'dense';
  inputs: number;
  units: number;
  nnz: number;
  /** Pointers: csr rowptr/cols/vals, or the dense kernel w; bias b (0: none). */
  rowptr: number;
  cols: number;
  vals: number;
  w: number;
  b: number;
}

/**
 * An inference-only model whose pruned dense layers run as sparse × dense products. Build it from a pruned
 * {@link Sequential} with {@link SparseModel.fromModel}, or read a file written by {@link SparseModel.save}.
 * Holds its weights in an engine's memory: call dispose() to give them back.
 */
export class SparseModel extends PlannedModel {
  private readonly specs: LayerSpec[];
  private readonly resident = new Map<number, Resident>();
  /** Other layers' parameter pointers and sizes (for save and the layer list). */
  private readonly otherPtrs = new Map<number, Array<[number, number]>>();
  /** Whether the file this came from recorded its loss (version 2 files before it did: the activation's). */
  private readonly lossRecorded: boolean;

  private constructor(engine: Engine, parts: SparseParts, lossRecorded = true) {
    const shapes = inferShapes(parts.layers, parts.inputShape);
    super(parts.name, parts.inputShape, shapes[shapes.length - 1], parts.metadata, parts.loss);
    this.specs = parts.layers;
    this.lossRecorded = lossRecorded;
    const ops: PlanOp[] = [];
    try {
      parts.layers.forEach((spec, i) => ops.push(this.upload(engine, spec, i, shapes, parts)));
      this.executor = new Plan(engine, parts.layers, parts.inputShape, ops);
    } catch (err) {
      for (const op of ops) op.dispose?.();
      throw err;
    }
  }

  protected get kindName(): string {
    return 'sparse model';
  }

  /**
   * Converts a built model (pruned or not) to sparse form: each dense kernel with at least `minSparsity` zeros
   * becomes CSR, the others stay dense; conv2d, pooling, batch norm and the rest keep their float weights (run as
   * their records); dropout layers are dropped (identity at inference). The model itself is not changed and can
   * be disposed afterwards. The sparse model lives on the same engine and knows the model's compiled built-in
   * loss.
   */
  static fromModel(model: Sequential, options: SparseOptions = {}): SparseModel {
    const what = 'SparseModel.fromModel()';
    idleModel(model, what);
    checkOptions(options, what, { minSparsity: 'number' });
    requireSupported(model.layers, what);
    check(typeof options === 'object' && options !== null, 'RANGE', `${what}: options must be an object`);
    check(model.built, 'STATE', `${what}: the model is not built yet (no weights)`);
    const minSparsity = options.minSparsity ?? 0.5;
    check(
      typeof minSparsity === 'number' && minSparsity >= 0 && minSparsity <= 1,
      'RANGE',
      `${what}: minSparsity must be in [0, 1], got ${String(minSparsity)}`,
    );
    const net = model.requireNet();
    const byName = new Map(model.getWeights().map((w) => [w.name, w.data]));
    const layers: LayerSpec[] = [];
    const dense = new Map<number, DenseData>();
    const others = new Map<number, Float32Array[]>();
    model.layers.forEach((l, i) => {
      if (l.type === 'dropout') return;
      const at = layers.length;
      layers.push(structuredClone(l));
      const tensors = net.slotsOf(i).map((s) => byName.get(s.name)!);
      if (l.type !== 'dense') {
        if (tensors.length > 0) others.set(at, tensors);
        return;
      }
      const [w, b] = tensors;
      const k = net.dims[i];
      const n = l.units;
      let nnz = 0;
      for (let j = 0; j < w.length; j++) if (w[j] !== 0) nnz++;
      const sparsity = w.length > 0 ? 1 - nnz / w.length : 0;
      const base = { inputs: k, units: n, ...(l.useBias ? { bias: b } : {}) };
      if (sparsity >= minSparsity && n <= MAX_CSR_UNITS)
        dense.set(at, { ...base, storage: 'csr', ...toCsr(w, k, n, nnz) });
      else dense.set(at, { ...base, storage: 'dense', kernel: w });
    });
    const loss = model.compileSettings()?.loss;
    const parts: SparseParts = {
      name: model.name,
      inputShape: [...net.shapes[0]],
      layers,
      metadata: structuredClone(model.metadata),
      loss: typeof loss === 'string' ? loss : undefined,
      dense,
      others,
    };
    return new SparseModel(net.engine, parts);
  }

  /** Reads a file written by save() (see the format above); rejects anything truncated, corrupt or foreign. */
  static load(input: Uint8Array | ArrayBuffer, options: SparseLoadOptions = {}): SparseModel {
    checkEngineOptions(options, 'SparseModel.load()');
    const { parts, lossRecorded } = decode(input, checksumFor(options));
    const engine = options.engine ?? getEngine(options.backend ?? 'wasm');
    return new SparseModel(engine, parts, lossRecorded);
  }

  /** The layers (dropout left out): type, activation and, for dense and conv2d ones, storage and nonzeros. */
  get layers(): SparseLayerInfo[] {
    return this.specs.map((l, i) => {
      const act = (activationOf(l) ?? 'linear') as Activation;
      const r = this.resident.get(i);
      if (r) {
        const size = r.inputs * r.units;
        return {
          type: l.type,
          name: l.name,
          activation: act,
          storage: r.storage,
          inputs: r.inputs,
          units: r.units,
          nnz: r.nnz,
          size,
          sparsity: size > 0 ? 1 - r.nnz / size : 0,
        };
      }
      const kernel = hasKernel(l) ? this.otherPtrs.get(i)?.[0] : undefined;
      if (!kernel) return { type: l.type, name: l.name, activation: act };
      const w = this.executor.engine.f32(kernel[0], kernel[1]);
      let nnz = 0;
      for (let j = 0; j < w.length; j++) if (w[j] !== 0) nnz++;
      return {
        type: l.type,
        name: l.name,
        activation: act,
        storage: 'dense',
        nnz,
        size: w.length,
        sparsity: w.length > 0 ? 1 - nnz / w.length : 0,
      };
    });
  }

  /** Nonzero kernel weights over all dense and conv2d layers, and the kernel size they come from. */
  get nonzeros(): {
    /** Nonzero weights. */
    nnz: number;
    /** Weights in all the kernels. */
    size: number;
    /** 1 − nnz / size. */
    sparsity: number;
  } {
    let nnz = 0;
    let size = 0;
    for (const l of this.layers) {
      if (l.size === undefined) continue;
      nnz += l.nnz!;
      size += l.size;
    }
    return { nnz, size, sparsity: size > 0 ? 1 - nnz / size : 0 };
  }

  /**
   * Loss and accuracy over (x, y); y is one row of targets per row of x, or class indices when there are
   * several outputs. The loss is the original model's compiled built-in loss (or `options.loss`; none when it
   * was not compiled); accuracy: argmax match (one output: >= 0.5 match).
   */
  override evaluate(x: MatrixInput, y: MatrixInput, options: PlanEvalOptions = {}): PlanEvalResult {
    return super.evaluate(x, y, options);
  }

  /** Serializes the model (see the format above): only the nonzeros of CSR layers are written. */
  save(): Uint8Array {
    this.assertLive();
    const e = this.executor.engine;
    const chunks: Chunk[] = [];
    const v2 = this.specs.every((l) => l.type === 'dense' || l.type === 'activation');
    this.specs.forEach((_, i) => {
      const r = this.resident.get(i);
      if (r) {
        if (r.storage === 'csr')
          chunks.push(
            e.i32(r.rowptr, r.inputs + 1),
            e.f32(r.vals, r.nnz),
            new Uint16Array(e.memory.buffer, r.cols, r.nnz),
          );
        else chunks.push(e.f32(r.w, r.inputs * r.units));
        if (r.b !== 0) chunks.push(e.f32(r.b, r.units));
      }
      for (const [p, n] of this.otherPtrs.get(i) ?? []) chunks.push(e.f32(p, n));
    });
    const loss = this.lossRecorded ? (this.lossName ?? null) : undefined;
    if (v2) {
      const header = {
        name: this.name,
        inputDim: this.inputDim,
        metadata: this.metadata,
        ...(loss === undefined ? {} : { loss }),
        layers: this.specs.map((l, i) => {
          if (l.type === 'activation')
            return { type: 'activation', name: l.name, activation: l.activation, alpha: l.alpha };
          const d = l as DenseSpec;
          const r = this.resident.get(i)!;
          return {
            type: 'dense',
            name: d.name,
            inputs: r.inputs,
            units: r.units,
            activation: d.activation,
            alpha: d.alpha,
            useBias: r.b !== 0,
            storage: r.storage,
            nnz: r.nnz,
          };
        }),
      };
      return writeFile(FILE_V2, header, chunks);
    }
    const header = {
      name: this.name,
      inputDim: this.inputDim,
      inputShape: this.inputShape,
      metadata: this.metadata,
      loss: loss ?? null,
      layers: this.specs,
      dense: [...this.resident].map(([layer, r]) => ({ layer, storage: r.storage, nnz: r.nnz })),
    };
    return writeFile(FILE, header, chunks);
  }

  // ---- internals ----

  private upload(e: Engine, spec: LayerSpec, i: number, shapes: Shape[], parts: SparseParts): PlanOp {
    const owned: number[] = [];
    const d = parts.dense.get(i);
    if (!d) {
      const tensors = parts.others.get(i) ?? [];
      const ptrs = uploadAll(e, tensors, owned);
      this.otherPtrs.set(
        i,
        ptrs.map((p, j) => [p, tensors[j].length]),
      );
      parts.others.delete(i); // keep only the engine copy: the model must not pin the host arrays
      return recordOp(e, spec, i, shapes[i], shapes[i + 1], ptrs, owned);
    }
    const l = spec as DenseSpec;
    const r: Resident = {
      storage: d.storage,
      inputs: d.inputs,
      units: d.units,
      nnz: 0,
      rowptr: 0,
      cols: 0,
      vals: 0,
      w: 0,
      b: 0,
    };
    try {
      if (d.bias) [r.b] = uploadAll(e, [d.bias], owned);
      if (d.storage === 'dense') {
        const w = d.kernel!;
        for (let j = 0; j < w.length; j++) if (w[j] !== 0) r.nnz++;
        [r.w] = uploadAll(e, [w], owned);
        this.resident.set(i, r);
        // The record's own forward, on a spec whose bias follows the file.
        return recordOp(
          e,
          { ...l, useBias: r.b !== 0 },
          i,
          shapes[i],
          shapes[i + 1],
          r.b !== 0 ? [r.w, r.b] : [r.w],
          owned,
        );
      }
      r.nnz = d.rowptr![d.inputs];
      [r.rowptr, r.vals] = uploadAll(e, [d.rowptr!, d.vals!], owned);
      r.cols = e.allocF32(Math.max(4, Math.ceil(r.nnz / 2)));
      owned.push(r.cols);
      new Uint16Array(e.memory.buffer, r.cols, r.nnz).set(d.cols!);
    } catch (err) {
      for (const p of owned) e.free(p);
      throw err;
    } finally {
      parts.dense.delete(i);
    }
    this.resident.set(i, r);
    return csrOp(e, l, i, r, owned);
  }
}

/** A dense layer with a CSR kernel: sparse_csr_forward, then the activation. */
function csrOp(e: Engine, l: DenseSpec, i: number, r: Resident, owned: number[]): PlanOp {
  return {
    first: i,
    last: i,
    // The kernel's scratch: n × 4 floats.
    scratchBytes: () => 16 * Math.max(4, r.units),
    run(c) {
      c.k.sparse_csr_forward(c.y, c.scratch, c.x, r.rowptr, r.cols, r.vals, r.b, c.m, r.inputs, r.units);
      if (l.activation !== 'linear' && !c.skipActivation)
        activationForward(c.k, l.activation, c.y, c.y, c.m, r.units, l.alpha);
      return c.y;
    },
    dispose() {
      for (const p of owned) e.free(p);
      owned.length = 0;
    },
  };
}

/** CSR by row of a k×n row-major kernel with nnz nonzeros. */
function toCsr(
  w: Float32Array,
  k: number,
  n: number,
  nnz: number,
): { rowptr: Int32Array; cols: Uint16Array; vals: Float32Array } {
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

/** The loss a version 2 file written before losses were recorded reports: the one its last activation implies. */
function impliedLoss(layers: readonly LayerSpec[]): LossName {
  const last = [...layers].reverse().find((l) => l.type === 'dense' || activationOf(l) !== 'linear');
  const act = last ? activationOf(last) : 'linear';
  return act === 'softmax' ? 'categoricalCrossentropy' : act === 'sigmoid' ? 'binaryCrossentropy' : 'mse';
}

const LOSSES: readonly LossName[] = ['mse', 'meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy'];

function decode(input: Uint8Array | ArrayBuffer, checksum: Checksum): { parts: SparseParts; lossRecorded: boolean } {
  const file = openFile(input, FILE, checksum);
  const { bad } = file;
  const h = file.header;
  const isDim = (v: unknown, max = 1 << 24): v is number =>
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  if (!isDim(h.inputDim)) bad(`bad inputDim ${String(h.inputDim)}`);
  if (!Array.isArray(h.layers) || h.layers.length === 0) bad('no layers');
  let at = 0;
  const end = file.dataLength;
  const take = <T extends Int32Array | Float32Array | Uint16Array>(
    n: number,
    Ctor: { new (n: number): T; BYTES_PER_ELEMENT: number },
    what: string,
  ): T => {
    const out = file.read(at, n, Ctor, what);
    at += Math.ceil(out.byteLength / 4) * 4;
    return out;
  };
  /** A layer constructor's RANGE error is a FORMAT error of the file. */
  const asFormat = <T>(make: () => T): T => {
    try {
      return make();
    } catch (err) {
      if (err instanceof SimdnetError && err.code !== 'FORMAT') bad(err.message);
      throw err;
    }
  };
  const finite = (a: Float32Array, what: string): Float32Array => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) bad(`${what} holds a non-finite value at ${i}`);
    return a;
  };
  /** A dense layer's data: CSR or dense kernel, then the bias. */
  const denseData = (
    name: string,
    i: number,
    k: number,
    n: number,
    storage: unknown,
    nnzRaw: unknown,
    useBias: boolean,
  ): DenseData => {
    let d: DenseData;
    if (storage === 'csr') {
      if (n > MAX_CSR_UNITS) bad(`layer ${i} ('${name}') is CSR with ${n} units (at most ${MAX_CSR_UNITS})`);
      const nnz = nnzRaw;
      if (!Number.isInteger(nnz) || (nnz as number) < 0 || (nnz as number) > k * n)
        bad(`layer ${i} ('${name}') has a bad nonzero count ${String(nnz)}`);
      const rowptr = take(k + 1, Int32Array, `layer '${name}' row pointers`);
      const vals = finite(take(nnz as number, Float32Array, `layer '${name}' values`), `layer '${name}' values`);
      const cols = take(nnz as number, Uint16Array, `layer '${name}' column indices`);
      if (rowptr[0] !== 0 || rowptr[k] !== nnz) bad(`layer '${name}' row pointers do not run from 0 to ${String(nnz)}`);
      for (let p = 0; p < k; p++) {
        if (rowptr[p + 1] < rowptr[p] || rowptr[p + 1] - rowptr[p] > n)
          bad(`layer '${name}' row pointers are not increasing at row ${p}`);
      }
      for (let e = 0; e < cols.length; e++)
        if (cols[e] >= n) bad(`layer '${name}' column index ${cols[e]} is out of range (${n} units)`);
      d = { storage: 'csr', inputs: k, units: n, rowptr, cols, vals };
    } else if (storage === 'dense') {
      d = {
        storage: 'dense',
        inputs: k,
        units: n,
        kernel: finite(take(k * n, Float32Array, `layer '${name}' kernel`), `layer '${name}' kernel`),
      };
    } else {
      return bad(`layer ${i} ('${name}') has unknown storage '${String(storage)}'`);
    }
    if (useBias) d.bias = finite(take(n, Float32Array, `layer '${name}' bias`), `layer '${name}' bias`);
    return d;
  };
  let loss: LossName | undefined;
  const lossRecorded = h.loss !== undefined;
  if (lossRecorded && h.loss !== null) {
    if (!LOSSES.includes(h.loss as LossName)) bad(`unknown loss ${JSON.stringify(h.loss)}`);
    loss = h.loss as LossName;
  }
  const metadata =
    typeof h.metadata === 'object' && h.metadata !== null && !Array.isArray(h.metadata)
      ? (h.metadata as Record<string, unknown>)
      : {};
  const name = typeof h.name === 'string' ? h.name : 'sparse';
  const dense = new Map<number, DenseData>();
  const others = new Map<number, Float32Array[]>();
  let layers: LayerSpec[];
  let inputShape: Shape = [h.inputDim as number];

  if (file.version >= 3) {
    try {
      if (h.inputShape !== undefined) inputShape = checkShape(h.inputShape, 'inputShape');
    } catch (err) {
      bad((err as Error).message);
    }
    if (sizeOf(inputShape) !== h.inputDim)
      bad(`inputShape [${inputShape.join(', ')}] does not fit inputDim ${String(h.inputDim)}`);
    layers = (h.layers as unknown[]).map((l, i) => validateSpec(l, i));
    if (layers.some((l) => l.type === 'dropout')) bad('a dropout layer (sparse files leave them out)');
    let defs: ReturnType<typeof paramDefs> = [];
    let shapes: Shape[] = [];
    try {
      shapes = inferShapes(layers, inputShape);
      defs = paramDefs(layers, shapes);
    } catch (err) {
      bad((err as Error).message);
    }
    const entries = h.dense;
    const denseIdx = layers.flatMap((l, i) => (l.type === 'dense' ? [i] : []));
    if (!Array.isArray(entries) || entries.length !== denseIdx.length)
      bad(`the dense table does not list the ${denseIdx.length} dense layers`);
    const byLayer = new Map<number, Record<string, unknown>>();
    denseIdx.forEach((i, j) => {
      const o = (entries as Array<Record<string, unknown>>)[j];
      if (typeof o !== 'object' || o === null || o.layer !== i) bad(`dense entry ${j} is not for layer ${i}`);
      byLayer.set(i, o);
    });
    layers.forEach((l, i) => {
      if (l.type === 'dense') {
        const o = byLayer.get(i)!;
        dense.set(i, denseData(l.name, i, sizeOf(shapes[i]), l.units, o.storage, o.nnz, l.useBias));
      } else if (defs[i].length > 0) {
        others.set(
          i,
          defs[i].map((p) =>
            finite(take(sizeOf(p.shape), Float32Array, `layer '${l.name}' ${p.name}`), `layer '${l.name}' ${p.name}`),
          ),
        );
      }
    });
  } else {
    let width = h.inputDim as number;
    layers = (h.layers as unknown[]).map((raw, i) => {
      if (typeof raw !== 'object' || raw === null) return bad(`layer ${i} is not an object`);
      const o = raw as Record<string, unknown>;
      const lname = typeof o.name === 'string' ? o.name : bad(`layer ${i} has no name`);
      let act: Activation;
      try {
        act = checkActivation(o.activation, `layer ${i}`);
      } catch (err) {
        return bad((err as Error).message);
      }
      const alpha =
        typeof o.alpha === 'number' && Number.isFinite(o.alpha) && o.alpha >= 0
          ? o.alpha
          : bad(`layer ${i} has a bad alpha`);
      if (o.type === 'activation') return asFormat(() => activationLayer(act, { alpha, name: lname }));
      if (o.type !== 'dense') return bad(`layer ${i} has unknown type '${String(o.type)}'`);
      if (o.inputs !== width) bad(`layer ${i} ('${lname}') takes ${String(o.inputs)} inputs but gets ${width}`);
      if (!isDim(o.units)) bad(`layer ${i} ('${lname}') has bad units ${String(o.units)}`);
      if (typeof o.useBias !== 'boolean') bad(`layer ${i} ('${lname}') has no useBias flag`);
      const n = o.units as number;
      dense.set(i, denseData(lname, i, width, n, o.storage, o.nnz, o.useBias as boolean));
      width = n;
      return asFormat(() => denseLayer(n, { activation: act, alpha, useBias: o.useBias as boolean, name: lname }));
    });
    if (!layers.some((l) => l.type === 'dense')) bad('no dense layer');
    if (!lossRecorded) loss = impliedLoss(layers);
  }
  if (at !== end) bad(`${end - at} unexpected bytes after the last layer`);
  // Finite but extreme weights: refused when a forward pass on inputs in the documented range could overflow.
  const allDefs = paramDefs(layers, inferShapes(layers, inputShape));
  checkMagnitudes(
    layers,
    inputShape,
    (i) => {
      const l = layers[i];
      const d = dense.get(i);
      if (d) {
        const names = {
          kernelName: `layer '${l.name}' ${d.storage === 'csr' ? 'values' : 'kernel'}`,
          biasName: `layer '${l.name}' bias`,
        };
        return d.storage === 'csr'
          ? { kind: 'linear', csr: { rowptr: d.rowptr!, cols: d.cols!, vals: d.vals! }, bias: d.bias, ...names }
          : { kind: 'linear', kernel: d.kernel!, bias: d.bias, ...names };
      }
      const ts = others.get(i);
      return ts
        ? { kind: 'float', tensors: ts, names: allDefs[i].map((p) => `layer '${l.name}' ${p.name}`) }
        : { kind: 'none' };
    },
    bad,
  );
  return { parts: { name, inputShape, layers, metadata, loss, dense, others }, lossRecorded };
}
