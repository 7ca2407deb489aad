// One execution plan for inference. A model's layers compile into a list of ops over ping-pong buffers; how a
// layer's weights are stored is a kind of op, not a kind of model: a layer runs as its record's forward (float,
// inference mode) unless a compressed form gives it an op of its own (int8 dense/conv2d, f16 kernels, CSR dense;
// see src/compress). Sequential keeps Net.forward for its float layers (Net is already the record walker); the
// batching, staging, class and evaluation loops here serve Sequential, QuantizedModel and SparseModel alike.
import { checkOptions } from '../args.js';
import { f32View, toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { toTargets } from '../data/preprocess.js';
import { SimdnetError, check } from '../errors.js';
import { activationForward, type Activation } from '../layers/activations.js';
import { activationOf, inferShapes, kindOf, sizeOf, type Shape } from '../layers/index.js';
import type { ForwardCall } from '../layers/layer.js';
import type { LayerSpec } from '../layers/spec.js';
import type { Kernels } from '../runtime/abi.js';
import type { Backend, Engine } from '../runtime/engine.js';
import { batchSizeOf } from '../train/fit.js';
import { planLoss, type Loss, type LossName } from '../train/losses.js';
import { MetricAccumulator, planMetrics, type Metric, type MetricPlan } from '../metrics/evaluate.js';
import { encodeInputs, type ModelPreprocessing, PreprocessingCache } from '../data/model-preprocessing.js';

// ---- the loops every model kind shares ----

/** What the shared inference loops need from a model's executor: a {@link Plan}, or a Sequential's Net. */
export interface Runner {
  readonly engine: Engine;
  /** Floats per input sample and per output sample. */
  readonly inputs: number;
  readonly outputs: number;
  /** Makes room for batches of up to `rows` rows; returns the rows a batch may hold. */
  reserve(rows: number): number;
  /** Where a batch is staged (capacity × inputs floats). */
  readonly stage: number;
  /** Runs m rows at `input` (the stage, or rows resident elsewhere in the engine). */
  run(m: number, input: number): void;
  /** The activated outputs of the last run (probabilities after softmax/sigmoid). */
  activated(): number;
  /**
   * What a loss reads after the last run: the last layer's logits for a `fused` loss (softmax + cross-entropy,
   * sigmoid + binary cross-entropy), else the activated outputs.
   */
  lossInput(fused: boolean): number;
  /** Scratch of capacity × outputs floats a loss may write (the probabilities of its logits). */
  readonly head: number;
}

/**
 * Rows of x to run: a Float32Array with its shape is staged as it is and checked for NaN/Inf there by a kernel
 * (`checked` false); anything else is copied and checked by toMatrix.
 */
export function inferenceRows(x: MatrixInput, cols: number | undefined): { mx: Matrix; checked: boolean } {
  const view = f32View(x, cols);
  if (view) return { mx: view, checked: false };
  return { mx: toMatrix(x, 'x', cols), checked: true };
}

/**
 * Refuses to hand back a batch whose outputs hold NaN or ±Inf: one kernel pass over its m × n outputs at p (the
 * inputs were finite, so an overflow inside the model made them). `row0` is the batch's first row in the caller's
 * input, so the message names the caller's row. Nothing in the model changes: it goes on predicting other rows.
 */
export function guardOutputs(e: Engine, p: number, m: number, n: number, row0: number): void {
  if (e.k.count_nonfinite(p, m * n) === 0) return;
  const v = e.f32(p, m * n);
  const i = v.findIndex((a) => !Number.isFinite(a)); // only on the error path
  throw new SimdnetError(
    'NONFINITE',
    `the model's output for row ${row0 + Math.floor(i / n)} is ${v[i]} (column ${i % n}): a value overflowed float32 inside the model. ` +
      'Check that this row is in the range the model was trained on (or scaled as its training data was) and that the ' +
      'weights have not diverged (a NaN/Inf or huge weight); the model is unchanged and still predicts other rows.',
  );
}

/** A scaler's per-column center and scale in engine memory, applied by center_scale_cols to each staged batch. */
export interface StagedScaler {
  center: number;
  scale: number;
}

/**
 * Runs `f` with the model's scaler uploaded (undefined without one) and frees it after: rows are scaled in place
 * where they are staged, by a kernel, so predict on raw rows costs one pass over the batch.
 */
export function withScaler<T>(e: Engine, p: ModelPreprocessing | undefined, f: (s: StagedScaler | undefined) => T): T {
  if (!p?.affine) return f(undefined);
  const n = p.affine.center.length;
  const center = e.allocF32(n);
  let scale = 0;
  try {
    scale = e.allocF32(n);
    e.f32(center, n).set(p.affine.center);
    e.f32(scale, n).set(p.affine.scale);
    return f({ center, scale });
  } finally {
    e.free(center);
    e.free(scale);
  }
}

/** Rows per batch for a batchSize option (default 256) and a capacity. */
function step(r: Runner, rows: number, batchSize: number | undefined): number {
  const bs = batchSizeOf(batchSize ?? 256);
  return Math.min(bs, r.reserve(Math.min(rows, bs)));
}

/**
 * Runs every row of mx in batches; `sink(outputs, firstRow, m)` reads each batch once {@link guardOutputs} has
 * passed its m × n outputs. `run` replaces the runner's full pass (e.g. features of an inner layer, n floats a
 * row) and returns the pointer to read.
 */
export function eachBatch(
  r: Runner,
  mx: Matrix,
  checked: boolean,
  batchSize: number | undefined,
  sink: (p: number, row: number, m: number) => void,
  run?: (m: number, input: number) => number,
  n = r.outputs,
  scaler?: StagedScaler,
): void {
  const s = step(r, mx.rows, batchSize);
  for (let row = 0; row < mx.rows; row += s) {
    const m = Math.min(s, mx.rows - row);
    r.engine.stageRows(r.stage, mx, row, m, checked);
    if (scaler) r.engine.k.center_scale_cols(r.stage, r.stage, scaler.center, scaler.scale, m, mx.cols); // in place
    let p: number;
    if (run) {
      p = run(m, r.stage);
    } else {
      r.run(m, r.stage);
      p = r.activated();
    }
    guardOutputs(r.engine, p, m, n, row);
    sink(p, row, m);
  }
}

/** The outputs (n per row) of every row, as a matrix. */
export function predictRows(
  r: Runner,
  mx: Matrix,
  checked: boolean,
  batchSize: number | undefined,
  run?: (m: number, input: number) => number,
  n = r.outputs,
  scaler?: StagedScaler,
): Matrix {
  const out = new Float32Array(mx.rows * n);
  eachBatch(r, mx, checked, batchSize, (p, row, m) => out.set(r.engine.f32(p, m * n), row * n), run, n, scaler);
  return { data: out, rows: mx.rows, cols: n };
}

/** The class of every row: argmax of the outputs (first on ties), or output >= 0.5 for a single output. */
export function classifyRows(
  r: Runner,
  mx: Matrix,
  checked: boolean,
  batchSize: number | undefined,
  scaler?: StagedScaler,
): Int32Array {
  const n = r.outputs;
  const e = r.engine;
  const out = new Int32Array(mx.rows);
  let idx = 0;
  try {
    eachBatch(
      r,
      mx,
      checked,
      batchSize,
      (p, row, m) => {
        if (n === 1) {
          const v = e.f32(p, m);
          for (let i = 0; i < m; i++) out[row + i] = v[i] >= 0.5 ? 1 : 0;
          return;
        }
        idx ||= e.allocF32(Math.max(4, m));
        e.k.argmax_rows(idx, p, m, n);
        out.set(e.i32(idx, m), row);
      },
      undefined,
      n,
      scaler,
    );
  } finally {
    e.free(idx);
  }
  return out;
}

/** Loss and accuracy of {@link scoreResident}. */
export interface Scores {
  /** Mean loss, when a loss was given. */
  loss?: number;
  /** Fraction of correct rows, when asked. */
  accuracy?: number;
  /** The metrics of a {@link MetricPlan}, by name, when one was given. */
  metrics?: Record<string, number>;
}

/**
 * Scores rows already in the engine's memory (x rows × inputs at xs, targets rows × targetCols at ys). The loss's
 * own forward and correct count when there is a loss; without one, accuracy is the activated outputs' argmax
 * against the targets' (one output: >= 0.5 on both sides), i.e. predictClasses against the labels.
 */
export function scoreResident(
  r: Runner,
  loss: Loss | undefined,
  accuracy: boolean,
  xs: number,
  ys: number,
  rows: number,
  targetCols: number,
  batchSize: number | undefined,
  metrics?: MetricPlan,
): Scores {
  const s = step(r, rows, batchSize);
  const k = r.engine.k;
  const n = r.outputs;
  let lossSum = 0;
  let correct = 0;
  const acc =
    metrics && metrics.items.length > 0 ? new MetricAccumulator(metrics, r.engine, n, targetCols, rows) : undefined;
  try {
    for (let row = 0; row < rows; row += s) {
      const m = Math.min(s, rows - row);
      const t = ys + row * targetCols * 4;
      r.run(m, xs + row * r.inputs * 4); // rows are contiguous: no staging copy
      if (loss) {
        const out = r.lossInput(loss.fused);
        guardOutputs(r.engine, out, m, n, row); // logits are finite iff their softmax/sigmoid is
        lossSum += loss.forward(k, out, r.head, t, m, n) * m;
        if (accuracy) correct += loss.correct(k, out, t, m, n);
      } else if (accuracy || acc) {
        guardOutputs(r.engine, r.activated(), m, n, row);
        if (accuracy)
          correct +=
            n > 1 ? k.accuracy_count(r.activated(), t, m, n) : k.binary_accuracy_count(r.activated(), t, m, 0.5);
      }
      acc?.batch(r.activated(), t, m); // the outputs predict() hands back (probabilities)
    }
    const res: Scores = {};
    if (loss) res.loss = lossSum / rows;
    if (accuracy) res.accuracy = correct / rows;
    if (acc) res.metrics = acc.result();
    return res;
  } finally {
    acc?.dispose();
  }
}

/** Uploads x and its targets, then {@link scoreResident}. */
export function scoreRows(
  r: Runner,
  loss: Loss | undefined,
  accuracy: boolean,
  mx: Matrix,
  my: Matrix,
  batchSize: number | undefined,
  metrics?: MetricPlan,
): Scores {
  check(my.rows === mx.rows, 'SHAPE', `y has ${my.rows} rows but x has ${mx.rows}`);
  batchSizeOf(batchSize ?? 256);
  const e = r.engine;
  const xs = e.upload(mx.data);
  let ys = 0;
  try {
    ys = e.upload(my.data);
    return scoreResident(r, loss, accuracy, xs, ys, mx.rows, my.cols, batchSize, metrics);
  } finally {
    e.free(xs);
    e.free(ys);
  }
}

// ---- the plan ----

/** What an op gets for one batch. Pointers are byte offsets into the engine's memory. */
export interface OpCall {
  k: Kernels;
  readonly engine: Engine;
  m: number;
  /** Input: f32 floats, or int8 when the op before writes int8 for this op. */
  x: number;
  /** Where an f32 output goes (capacity × widest floats), and where an int8 output goes (as many bytes). */
  y: number;
  yq: number;
  /** The op's scratch (the bytes its scratchBytes asked for). */
  scratch: number;
  /** The last op leaves the final softmax/sigmoid to the plan (which keeps the logits). */
  skipActivation: boolean;
}

/** One step of a plan: one layer, or a layer with what is folded or fused into it (batch norm, ReLU). */
export interface PlanOp {
  /** The layers it computes: first..last. */
  readonly first: number;
  readonly last: number;
  /** True when it writes int8 (into yq) for the next op. */
  readonly emitsInt8?: boolean;
  /** Bytes of scratch for batches of `rows` rows. */
  scratchBytes?(rows: number): number;
  /** Buffers of its own for batches of `rows` rows (max-pool indices); release frees them. */
  reserve?(rows: number): void;
  release?(): void;
  /** Writes the output; returns its pointer (y, yq, or x for a view). */
  run(c: OpCall): number;
  /** Frees its weights. */
  dispose?(): void;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** The final softmax/sigmoid a plan applies itself (the loss may read the logits), if the model ends in one. */
export function headActivation(
  specs: readonly LayerSpec[],
  output: Shape,
): { act: Activation; alpha: number } | undefined {
  const last = specs[specs.length - 1];
  const act = activationOf(last);
  if ((act !== 'softmax' && act !== 'sigmoid') || output.length !== 1) return undefined;
  return { act, alpha: (last as { alpha?: number }).alpha ?? 0 };
}

/**
 * A layer run by its record (src/layers), in inference mode, on parameters at `params` (ParamDef order): the
 * op of every layer without a compressed form. `spec` may differ from the model's (a folded batch norm gives a
 * layer a bias).
 */
export function recordOp(
  engine: Engine,
  spec: LayerSpec,
  index: number,
  input: Shape,
  output: Shape,
  params: number[],
  owned: number[] = [],
  last = index,
): PlanOp {
  const kind = kindOf(spec);
  const perRow = kind.scratch?.(spec, input, output, false) ?? 0;
  let bufs: number[] = [];
  const call: ForwardCall = {
    k: engine.k,
    engine,
    m: 0,
    x: 0,
    y: 0,
    params,
    bufs,
    scratch: 0,
    training: false,
    seed: 0,
    skipActivation: false,
  };
  const all = kind.buffers?.(spec, input, output) ?? [];
  return {
    first: index,
    last,
    scratchBytes: (rows) => perRow * rows * 4,
    reserve(rows) {
      this.release!();
      // Training-only buffers get 0, as Net gives them in an inference-only reservation.
      bufs = all.map((b) => (b.trainingOnly ? 0 : engine.allocF32((b.perRow ?? 0) * rows + (b.fixed ?? 0))));
      call.bufs = bufs;
    },
    release() {
      for (const p of bufs) engine.free(p);
      bufs = [];
    },
    run(c) {
      const view = kind.isView?.(spec, c.skipActivation) ?? false;
      call.k = c.k;
      call.m = c.m;
      call.x = c.x;
      call.y = view ? 0 : c.y;
      call.scratch = c.scratch;
      call.skipActivation = c.skipActivation;
      return kind.forward(spec, call, input, output);
    },
    dispose() {
      for (const p of owned) engine.free(p);
      owned.length = 0;
    },
  };
}

/**
 * A dense or conv2d layer whose kernel is stored as IEEE half (`half`: u16 bits, the kernel's size in values):
 * converted to f32 into the op's scratch per batch (the f32 copy exists only there), then the record's forward.
 */
export function f16Op(
  engine: Engine,
  spec: LayerSpec,
  index: number,
  input: Shape,
  output: Shape,
  half: number,
  size: number,
  rest: number[],
  owned: number[],
  last = index,
): PlanOp {
  const kernelBytes = align16(size * 4);
  const params = [0, ...rest];
  const inner = recordOp(engine, spec, index, input, output, params, owned, last);
  return {
    first: index,
    last,
    scratchBytes: (rows) => kernelBytes + inner.scratchBytes!(rows),
    reserve: (rows) => inner.reserve!(rows),
    release: () => inner.release!(),
    run(c) {
      c.k.f16_to_f32(c.scratch, half, size);
      params[0] = c.scratch;
      const scratch = c.scratch;
      c.scratch = scratch + kernelBytes;
      try {
        return inner.run(c);
      } finally {
        c.scratch = scratch;
      }
    },
    dispose: () => inner.dispose!(),
  };
}

/** Uploads tensors into the engine (16-byte aligned), recording the pointers in `owned`. */
export function uploadAll(
  engine: Engine,
  tensors: ReadonlyArray<Float32Array | Int32Array>,
  owned: number[],
): number[] {
  return tensors.map((t) => {
    const p = engine.upload(t);
    owned.push(p);
    return p;
  });
}

/** Uploads raw bytes (int8 weights, f16 bits) into the engine. */
export function uploadBytes(engine: Engine, a: Int8Array | Uint16Array | Uint8Array, owned: number[]): number {
  const p = engine.arena.alloc(Math.max(16, a.byteLength));
  new Uint8Array(engine.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  owned.push(p);
  return p;
}

/**
 * The compiled inference form of a model: its ops, run one after the other over two f32 (and, when an op writes
 * int8, two int8) ping-pong buffers; an op never writes its input, so rows resident elsewhere (evaluate) run in
 * place. A model ending in softmax/sigmoid on a vector keeps its logits and applies the activation itself.
 */
export class Plan implements Runner {
  readonly shapes: Shape[];
  /** Floats per row of the widest tensor (input, any layer's output). */
  private readonly widest: number;
  readonly inputs: number;
  readonly outputs: number;
  /** The softmax/sigmoid the plan applies after the ops (the loss may read the logits), if any. */
  readonly final: { act: Activation; alpha: number } | undefined;
  private cap = 0;
  private bufs: number[] = [];
  private fA = 0;
  private fB = 0;
  private qA = 0;
  private qB = 0;
  private scratch = 0;
  private stageBuf = 0;
  private headBuf = 0;
  private logits = 0;
  private lastM = 0;
  private headDone = false;
  private readonly call: OpCall;
  private disposed = false;

  /** Checks that the ops cover the layers in order, once each. */
  constructor(
    readonly engine: Engine,
    readonly specs: readonly LayerSpec[],
    inputShape: Shape,
    readonly ops: PlanOp[],
  ) {
    this.shapes = inferShapes(specs, inputShape);
    this.inputs = sizeOf(this.shapes[0]);
    this.outputs = sizeOf(this.shapes[this.shapes.length - 1]);
    this.widest = Math.max(...this.shapes.map(sizeOf));
    let next = 0;
    for (const op of ops) {
      if (op.first !== next || op.last < op.first)
        throw new SimdnetError(
          'STATE',
          `plan: an op covers layers ${op.first}..${op.last}, expected one from layer ${next}`,
        );
      next = op.last + 1;
    }
    if (next !== specs.length)
      throw new SimdnetError('STATE', `plan: the ops end at layer ${next}, the model has ${specs.length}`);
    for (let j = 0; j < ops.length; j++) {
      if (ops[j].emitsInt8 && j === ops.length - 1) throw new SimdnetError('STATE', 'plan: the last op writes int8');
    }
    this.final = headActivation(specs, this.shapes[this.shapes.length - 1]);
    this.call = { k: engine.k, engine, m: 0, x: 0, y: 0, yq: 0, scratch: 0, skipActivation: false };
  }

  get backend(): Backend {
    return this.engine.backend;
  }

  /** True when the plan can hand a loss the logits (its model ends in softmax/sigmoid over a vector). */
  get fusable(): boolean {
    return this.final !== undefined;
  }

  get stage(): number {
    return this.stageBuf;
  }

  get head(): number {
    return this.headBuf;
  }

  reserve(rows: number): number {
    if (this.disposed) throw new SimdnetError('DISPOSED', 'this model was disposed');
    if (rows <= this.cap) return this.cap;
    const e = this.engine;
    this.releaseBuffers();
    const widest = this.widest;
    const int8 = this.ops.some((op) => op.emitsInt8);
    const scratch = Math.max(0, ...this.ops.map((op) => op.scratchBytes?.(rows) ?? 0));
    try {
      const alloc = (bytes: number): number => {
        const p = e.arena.alloc(Math.max(16, bytes));
        this.bufs.push(p);
        return p;
      };
      this.stageBuf = alloc(rows * this.inputs * 4);
      this.fA = alloc(rows * widest * 4);
      this.fB = alloc(rows * widest * 4);
      if (int8) {
        this.qA = alloc(rows * widest);
        this.qB = alloc(rows * widest);
      }
      this.headBuf = alloc(rows * this.outputs * 4);
      this.scratch = scratch > 0 ? alloc(scratch) : 0;
      for (const op of this.ops) op.reserve?.(rows);
    } catch (err) {
      this.releaseBuffers();
      throw err;
    }
    this.cap = rows;
    return rows;
  }

  run(m: number, input: number): void {
    const c = this.call;
    c.k = this.engine.kernelsFor(m, this.widest);
    c.m = m;
    let x = input;
    const lastOp = this.ops.length - 1;
    for (let j = 0; j <= lastOp; j++) {
      c.x = x;
      c.y = x === this.fA ? this.fB : this.fA;
      c.yq = x === this.qA ? this.qB : this.qA;
      c.scratch = this.scratch;
      c.skipActivation = j === lastOp && this.final !== undefined;
      x = this.ops[j].run(c);
    }
    this.logits = x;
    this.lastM = m;
    this.headDone = false;
  }

  activated(): number {
    const h = this.final;
    if (!h) return this.logits;
    if (!this.headDone) {
      activationForward(this.call.k, h.act, this.headBuf, this.logits, this.lastM, this.outputs, h.alpha);
      this.headDone = true;
    }
    return this.headBuf;
  }

  lossInput(fused: boolean): number {
    if (fused && !this.final)
      throw new SimdnetError('STATE', 'plan: a fused loss needs a model that ends in softmax or sigmoid');
    return fused ? this.logits : this.activated();
  }

  private releaseBuffers(): void {
    for (const op of this.ops) op.release?.();
    for (const p of this.bufs) this.engine.free(p);
    this.bufs = [];
    this.fA = this.fB = this.qA = this.qB = this.scratch = this.stageBuf = this.headBuf = 0;
    this.cap = 0;
  }

  /** Frees the buffers and the ops' weights. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseBuffers();
    for (const op of this.ops) op.dispose?.();
    this.disposed = true;
  }
}

// ---- the compressed model kinds' shared surface ----

/**
 * What every model kind answers for inference — Sequential, QuantizedModel and SparseModel alike: one predict,
 * predictClasses and evaluate (the model's loss when it knows one, plus accuracy).
 */
export interface InferenceModel {
  /** The model's name. */
  readonly name: string;
  /** Values per input sample and the sample's shape (undefined only for a Sequential not built yet). */
  readonly inputDim: number | undefined;
  /** The shape of one input sample, e.g. [28, 28, 1]. */
  readonly inputShape: Shape | undefined;
  /** Values per output row (e.g. classes). */
  readonly outputDim: number;
  /** Free-form data carried with the model (and saved with it). */
  metadata: Record<string, unknown>;
  /** Outputs for the rows of x, computed `batchSize` rows at a time. */
  predict(x: MatrixInput, options?: { batchSize?: number }): Matrix;
  /** The index of the largest output of each row. */
  predictClasses(x: MatrixInput, options?: { batchSize?: number }): Int32Array;
  /** Loss (when the model knows one), accuracy and the asked metrics (as compile's, src/metrics) on x against targets y. */
  evaluate(
    x: MatrixInput,
    y: MatrixInput,
    options?: { batchSize?: number; metrics?: Metric[] },
  ): {
    /** Mean loss, when the model knows its loss. */
    loss?: number;
    /** Fraction of rows classified right, in [0, 1]. */
    accuracy?: number;
    /** Metrics by name. */
    [metric: string]: number | undefined;
  };
  /** Gives the model's memory back; the model cannot be used afterwards. */
  dispose(): void;
}

/** Options of a compressed model's evaluate(): batch size, the loss to report, metrics (as compile's, src/metrics). */
export interface PlanEvalOptions {
  batchSize?: number;
  loss?: LossName;
  metrics?: Metric[];
}

/** Result of evaluate() on a compressed model: accuracy, and the loss when the model knows its loss. */
export interface PlanEvalResult {
  /** Fraction of rows whose largest output is the target class, in [0, 1]. */
  accuracy: number;
  /** Mean loss, when the model knows its loss. */
  loss?: number;
  /** Metrics asked with `options.metrics`, by name. */
  [metric: string]: number | undefined;
}

/**
 * What QuantizedModel and SparseModel share: a plan over layer specs, and predict / predictClasses / evaluate
 * with the same meaning as Sequential's (evaluate: the model's loss when it knows one — the original model's
 * compiled built-in loss, or `options.loss` —, plus accuracy).
 */
export abstract class PlannedModel {
  /** The model's name. */
  readonly name: string;
  /** The shape of one input sample, e.g. [28, 28, 1], and its size. */
  readonly inputShape: Shape;
  /** Values per input sample (the product of inputShape). */
  readonly inputDim: number;
  /** Values per output row (e.g. classes). */
  readonly outputDim: number;
  /** Free-form data carried over from the model (and saved). */
  metadata: Record<string, unknown>;
  /** @internal The compiled ops this model runs. */ executor!: Plan;
  /** @internal The loss evaluate() reports (undefined: accuracy only). */
  lossName: LossName | undefined;
  private disposed = false;

  protected constructor(
    name: string,
    inputShape: Shape,
    outputShape: Shape,
    metadata: Record<string, unknown>,
    loss: LossName | undefined,
  ) {
    this.name = name;
    this.inputShape = [...inputShape];
    this.inputDim = sizeOf(inputShape);
    this.outputDim = sizeOf(outputShape);
    this.metadata = metadata;
    this.lossName = loss;
  }

  /** What the error messages call this model. */
  protected abstract get kindName(): string;

  /** The backend the model computes on. */
  get backend(): Backend {
    return this.executor.engine.backend;
  }

  /** @internal */
  assertLive(): void {
    if (this.disposed) throw new SimdnetError('DISPOSED', `${this.kindName} '${this.name}' was disposed`);
  }

  private rows(x: MatrixInput | ReadonlyArray<Record<string, unknown>>): { mx: Matrix; checked: boolean } {
    this.assertLive();
    return inferenceRows(encodeInputs(this.preprocessing, x) as MatrixInput, this.inputDim);
  }

  private readonly prepCache = new PreprocessingCache();

  /**
   * The preprocessing the model applies to its input rows (a scaler, one-hot columns) and its class names, read
   * from `metadata.preprocessing` (carried over from the float model); undefined when it has none.
   */
  get preprocessing(): ModelPreprocessing | undefined {
    return this.prepCache.get(this.metadata?.preprocessing, this.inputDim);
  }

  /** Outputs for each row of x (probabilities after softmax/sigmoid), as a rows × outputs matrix; raw rows are scaled by the model's preprocessing. */
  predict(x: MatrixInput | ReadonlyArray<Record<string, unknown>>, options: { batchSize?: number } = {}): Matrix {
    const { mx, checked } = this.rows(x);
    checkOptions(options, 'predict()', { batchSize: 'count' });
    return withScaler(this.executor.engine, this.preprocessing, (sc) =>
      predictRows(this.executor, mx, checked, options.batchSize, undefined, this.outputDim, sc),
    );
  }

  /**
   * The class index of each row: argmax of the outputs, or output >= 0.5 for a single output; with `names: true`
   * the class names of the model's preprocessing.
   */
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options?: { batchSize?: number; names?: false },
  ): Int32Array;
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options: { batchSize?: number; names: true },
  ): string[];
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options: { batchSize?: number; names?: boolean } = {},
  ): Int32Array | string[] {
    const { mx, checked } = this.rows(x);
    checkOptions(options, 'predictClasses()', { batchSize: 'count', names: 'boolean' });
    const p = this.preprocessing;
    check(
      !options.names || p?.classes !== undefined,
      'STATE',
      'predictClasses({ names: true }): the model has no class names (setPreprocessing({ classes }) on the float model)',
    );
    const idx = withScaler(this.executor.engine, p, (sc) =>
      classifyRows(this.executor, mx, checked, options.batchSize, sc),
    );
    return options.names ? p!.names(idx) : idx;
  }

  /**
   * Accuracy over (x, y) — y one-hot / probability rows, or class indices — and the loss when the model knows
   * its loss (the original model's compiled built-in loss, or `options.loss`), computed as Sequential.evaluate
   * computes it (softmax + cross-entropy from the logits).
   */
  evaluate(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    y: MatrixInput,
    options: PlanEvalOptions = {},
  ): PlanEvalResult {
    const raw = this.rows(x).mx;
    const mx = this.preprocessing?.affine ? this.preprocessing.transform(raw) : raw;
    checkOptions(options, 'evaluate()', { batchSize: 'count', loss: 'string' });
    const metrics = planMetrics(options.metrics, 'evaluate()');
    const n = this.outputDim;
    const my = toTargets(y, n);
    check(my.rows === mx.rows, 'SHAPE', `y has ${my.rows} rows but x has ${mx.rows}`);
    const name = options.loss ?? this.lossName;
    const specs = this.executor.specs;
    const last = [...specs].reverse().find((l) => l.type !== 'dropout');
    const lossFn =
      name !== undefined
        ? planLoss(name, (last && (activationOf(last) as Activation)) ?? 'linear', this.executor.fusable)
        : undefined;
    lossFn?.checkTargets(my, 'y');
    const r = scoreRows(this.executor, lossFn, true, mx, my, options.batchSize, metrics);
    const res: PlanEvalResult = { accuracy: r.accuracy! };
    if (r.loss !== undefined) res.loss = r.loss;
    Object.assign(res, r.metrics);
    return res;
  }

  /** Frees the model's memory; later calls throw DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.executor?.dispose();
    this.disposed = true;
  }
}
