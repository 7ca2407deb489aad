// Post-training quantization (Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient
// Integer-Arithmetic-Only Inference") and mixed precision for dense models:
// - weights: symmetric, per output channel (column of the fan_in × fan_out kernel), int8 in [−127, 127];
// - activations: symmetric per tensor, either STATIC (scales from a calibration set's max-abs, fixed in the
//   model) or DYNAMIC (each batch's max-abs, found at run time by the q8_absmax kernel);
// - biases: int32 in static mode, in the accumulator's units (s_in · s_w[j]), added before rescaling; f32 in
//   dynamic mode (the input scale changes per batch, so the bias stays in real units, as TFLite's dynamic range);
// - requantization: a FLOAT per-channel multiplier (s_in · s_w[j] / s_out, f32), not Jacob et al.'s fixed-point
//   one: wasm SIMD has no 32-bit multiply-high, and an f32 multiply with the same round-half-even is exact enough
//   for 8-bit outputs (a float rescale of an exact i32 sum differs from the fixed-point result by at most one
//   step, in rare ties).
// Between two int8 layers in static mode the activations stay int8 (q8_requantize, with ReLU as the clamp at 0);
// elsewhere a layer dequantizes to f32 (q8_dequantize) and the next quantizes again. A per-layer precision plan
// chooses 'int8', 'f16' (weights stored as IEEE half, converted to f32 per batch, f32 compute) or 'f32'.
// Quantizing weights and biases is one-time preparation; every per-batch step is a kernel call.
import { f32View, toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { toTargets } from '../data/preprocess.js';
import { SimdnetError, check } from '../errors.js';
import { activationForward } from '../layers/activations.js';
import { activationOf, type Activation } from '../layers/index.js';
import type { DenseSpec, LayerSpec } from '../layers/spec.js';
import { Sequential, type TargetInput } from '../model/sequential.js';
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import { planLoss, type LossName } from '../train/losses.js';
import { requireDenseStack } from './support.js';

/** Storage of one dense layer's weights: int8 (int8 compute), f16 (f32 compute) or f32. */
export type Precision = 'int8' | 'f16' | 'f32';

/** 'static': activation scales from a calibration set; 'dynamic': from each batch at run time. */
export type QuantMode = 'static' | 'dynamic';

/**
 * The precision of each dense layer: one for all; 'mixed' (first and last dense layers f32, the rest int8);
 * an array with one entry per dense layer; or a map from dense layer name to precision (others int8).
 */
export type PrecisionPlan = Precision | 'mixed' | ReadonlyArray<Precision> | Readonly<Record<string, Precision>>;

/** Options of {@link quantizeModel}. */
export interface QuantizeOptions {
  /** Default: 'static' when a calibration set is given, else 'dynamic'. */
  mode?: QuantMode;
  /** Rows of typical inputs (a few hundred training rows) for static mode's activation scales. */
  calibration?: MatrixInput;
  /** Default 'int8' (every dense layer). */
  plan?: PrecisionPlan;
  /**
   * Bits of the int8 layers' weight grid, 2–8 (default 8): values in ±(2^(bits−1) − 1), still stored one per
   * byte. Fewer bits lose accuracy that quantization-aware fine-tuning ({@link fineTuneQuantized}) recovers.
   */
  weightBits?: number;
  /** Default: the model's name. */
  name?: string;
}

const PRECISIONS: readonly Precision[] = ['int8', 'f16', 'f32'];

/** @internal One dense layer's stored tensors (what the file holds). */
export interface QuantLayer {
  /** Index in the layer list. */
  layer: number;
  precision: Precision;
  k: number;
  n: number;
  /** int8: the quantized kernel (k,n) row-major; f16: half bits; f32: floats. */
  kernel: Int8Array | Uint16Array | Float32Array;
  /** int8 only: per-column weight scales (n). */
  wScale?: Float32Array;
  /** int8 static: int32 bias in accumulator units; otherwise f32 (undefined when the layer has no bias). */
  bias?: Int32Array | Float32Array;
  /** int8 static only: the scale of this layer's int8 input. */
  inScale?: number;
}

/** @internal Everything that defines a quantized model. */
export interface QuantParts {
  name: string;
  inputDim: number;
  layers: LayerSpec[];
  mode: QuantMode;
  weightBits: number;
  dense: QuantLayer[];
  loss?: LossName;
  trainedSteps: number;
  metadata: Record<string, unknown>;
}

/** One dense layer in {@link QuantizedModel.info}. */
export interface QuantLayerInfo {
  name: string;
  precision: Precision;
  shape: [number, number];
  /** Bytes of the stored kernel, scales and bias. */
  bytes: number;
  /** Bytes of the same tensors in f32. */
  f32Bytes: number;
}

/** Result of {@link QuantizedModel.evaluate}: accuracy, and the loss when the model knows its loss. */
export interface QuantEvalResult {
  accuracy: number;
  loss?: number;
}

/** Quantizes a trained model: see {@link QuantizeOptions}. The model itself is not changed. */
export function quantizeModel(model: Sequential, options: QuantizeOptions = {}): QuantizedModel {
  if ((model as unknown) instanceof QuantizedModel) {
    throw new SimdnetError('STATE', 'quantizeModel(): this model is already quantized (quantize the original f32 model instead)');
  }
  check(model instanceof Sequential, 'DTYPE', 'quantizeModel() takes a Sequential model');
  requireDenseStack(model.layers, 'quantizeModel()');
  model.assertIdle('quantizeModel()');
  check(typeof options === 'object' && options !== null, 'RANGE', 'quantizeModel(): options must be an object');
  check(model.built, 'STATE', `quantizeModel(): model '${model.name}' is not built (it has no weights): train it first`);
  check(
    model.trainedSteps > 0,
    'STATE',
    `quantizeModel(): model '${model.name}' is untrained (0 training steps): quantize a trained model (or one loaded from a file saved after training)`,
  );
  const mode = options.mode ?? (options.calibration !== undefined ? 'static' : 'dynamic');
  check(mode === 'static' || mode === 'dynamic', 'RANGE', `quantizeModel(): mode must be 'static' or 'dynamic', got ${String(mode)}`);
  const bits = options.weightBits ?? 8;
  check(Number.isInteger(bits) && bits >= 2 && bits <= 8, 'RANGE', `quantizeModel(): weightBits must be an integer in [2, 8], got ${String(bits)}`);
  const net = model.net!;
  const plan = resolvePlan(model.layers, options.plan ?? 'int8', 'quantizeModel()');
  const int8Layers = [...plan.keys()].filter((i) => plan.get(i) === 'int8');
  let calib: Matrix | undefined;
  if (mode === 'static') {
    check(options.calibration !== undefined, 'EMPTY', "quantizeModel(): static mode needs a calibration set ({ calibration: x }) for the activation scales; or use mode 'dynamic'");
    calib = toMatrix(options.calibration, 'quantizeModel() calibration', net.inputs);
  } else if (options.calibration !== undefined) {
    // Checked anyway, so a wrong set is reported rather than silently ignored.
    toMatrix(options.calibration, 'quantizeModel() calibration', net.inputs);
  }
  const inScales = calib ? calibrate(model, calib, int8Layers) : new Map<number, number>();

  const e = net.engine;
  const k = e.k;
  const qmax = 2 ** (bits - 1) - 1;
  const weights = model.getWeights();
  const dense: QuantLayer[] = [];
  let t = 0; // index in weights
  model.layers.forEach((spec, i) => {
    if (spec.type !== 'dense') return;
    const kw = weights[t++];
    const bw = spec.useBias ? weights[t++] : undefined;
    const [kk, n] = kw.shape as [number, number];
    const precision = plan.get(i)!;
    if (precision === 'f32') {
      dense.push({ layer: i, precision, k: kk, n, kernel: kw.data, bias: bw?.data });
      return;
    }
    const src = e.upload(kw.data);
    try {
      if (precision === 'f16') {
        const h = e.arena.alloc(kk * n * 2);
        try {
          k.f16_from_f32(h, src, kk * n);
          dense.push({ layer: i, precision, k: kk, n, kernel: new Uint16Array(e.memory.buffer, h, kk * n).slice(), bias: bw?.data });
        } finally {
          e.free(h);
        }
        return;
      }
      const q = e.arena.alloc(kk * n);
      const sc = e.allocF32(n);
      try {
        k.q8_quantize_weights(q, sc, src, kk, n, qmax);
        const wScale = e.f32(sc, n).slice();
        // An all-zero column has scale 0; any scale represents it (its q are 0), and 1 keeps the bias exact.
        for (let j = 0; j < n; j++) if (!(wScale[j] > 0)) wScale[j] = 1;
        const layer: QuantLayer = { layer: i, precision, k: kk, n, kernel: new Int8Array(e.memory.buffer, q, kk * n).slice(), wScale };
        if (mode === 'static') {
          const sIn = inScales.get(i)!;
          layer.inScale = sIn;
          if (bw) layer.bias = quantizeBias(bw.data, sIn, wScale, spec.name);
        } else if (bw) {
          layer.bias = bw.data;
        }
        dense.push(layer);
      } finally {
        e.free(q);
        e.free(sc);
      }
    } finally {
      e.free(src);
    }
  });
  const loss = model.compileSettings()?.loss;
  const parts: QuantParts = {
    name: options.name ?? model.name,
    inputDim: net.inputs,
    layers: model.layers.map((l) => ({ ...l })),
    mode,
    weightBits: bits,
    dense,
    trainedSteps: model.trainedSteps,
    metadata: structuredClone(model.metadata),
  };
  if (typeof loss === 'string') parts.loss = loss;
  return new QuantizedModel(parts, e);
}

/** @internal Precision of each dense layer (by layer index) from a plan; throws RANGE naming the problem. */
export function resolvePlan(layers: readonly LayerSpec[], plan: PrecisionPlan, where: string): Map<number, Precision> {
  const dense = layers.flatMap((l, i) => (l.type === 'dense' ? [i] : []));
  const out = new Map<number, Precision>();
  const ok = (p: unknown, what: string): Precision => {
    check(PRECISIONS.includes(p as Precision), 'RANGE', `${where}: ${what} precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(p)}`);
    return p as Precision;
  };
  if (typeof plan === 'string') {
    if (plan === 'mixed') {
      dense.forEach((i, j) => out.set(i, j === 0 || j === dense.length - 1 ? 'f32' : 'int8'));
    } else {
      const p = ok(plan, 'the plan');
      for (const i of dense) out.set(i, p);
    }
  } else if (Array.isArray(plan)) {
    check(plan.length === dense.length, 'RANGE', `${where}: the plan has ${plan.length} entries, the model has ${dense.length} dense layers`);
    dense.forEach((i, j) => out.set(i, ok(plan[j], `dense layer ${j}`)));
  } else if (typeof plan === 'object' && plan !== null) {
    const byName = new Map(dense.map((i) => [layers[i].name, i]));
    for (const [name, p] of Object.entries(plan)) {
      check(byName.has(name), 'RANGE', `${where}: the plan names '${name}', which is not a dense layer (${[...byName.keys()].join(', ')})`);
      ok(p, `layer '${name}'`);
    }
    const rec = plan as Readonly<Record<string, Precision>>;
    for (const i of dense) out.set(i, rec[layers[i].name] ?? 'int8');
  } else {
    throw new SimdnetError('RANGE', `${where}: plan must be 'int8', 'f16', 'f32', 'mixed', an array or a map of layer names`);
  }
  return out;
}

/** Activation scale (max-abs / 127) of the input of each given dense layer over the calibration rows. */
function calibrate(model: Sequential, x: Matrix, layers: number[]): Map<number, number> {
  const net = model.net!;
  const e = net.engine;
  const k = e.k;
  const absmax = new Map(layers.map((i) => [i, 0]));
  if (layers.length === 0) return new Map();
  const last = Math.max(...layers);
  net.reserve(Math.min(x.rows, 256), false);
  for (let r = 0; r < x.rows; r += net.cap) {
    const m = Math.min(net.cap, x.rows - r);
    e.f32(net.xBuf, m * x.cols).set(x.data.subarray(r * x.cols, (r + m) * x.cols));
    if (last > 0) net.forward(m, false, 0, net.xBuf, last - 1);
    for (const i of layers) {
      const input = i === 0 ? net.xBuf : net.outs[i - 1];
      absmax.set(i, Math.max(absmax.get(i)!, k.q8_absmax(input, m * net.dims[i])));
    }
  }
  return new Map(layers.map((i) => [i, scaleOf(absmax.get(i)!)]));
}

/** Symmetric int8 scale for a max-abs (1 for an all-zero tensor: any scale represents it). */
function scaleOf(absmax: number): number {
  return absmax > 0 && Number.isFinite(absmax) ? Math.fround(absmax / 127) : 1;
}

/** int32 bias in units of s_in · s_w[j] (round to nearest); throws when it does not fit in int32. */
function quantizeBias(b: Float32Array, sIn: number, wScale: Float32Array, layer: string): Int32Array {
  const out = new Int32Array(b.length);
  for (let j = 0; j < b.length; j++) {
    const v = Math.round(b[j] / (sIn * wScale[j]));
    check(Math.abs(v) < 2 ** 31, 'RANGE', `quantizeModel(): the bias of ${layer} unit ${j} (${b[j]}) does not fit in int32 at scale ${sIn * wScale[j]}`);
    out[j] = v;
  }
  return out;
}

/** How one dense layer runs, with its buffers in the engine. */
interface DenseOp {
  kind: 'dense';
  spec: DenseSpec;
  q: QuantLayer;
  /** int8: packed kernel; f16: half bits; f32: floats. */
  w: number;
  b: number;
  /** int8: dequantize scales (static: s_in · s_w; dynamic: s_w) and requantize multipliers (when emitting int8). */
  scale: number;
  mult: number;
  /** int8 static: write int8 for the next int8 layer instead of f32. */
  emitInt8: boolean;
}

interface ActOp {
  kind: 'act';
  spec: LayerSpec & { type: 'activation' };
}

/**
 * A quantized / mixed-precision model for inference. Made by {@link quantizeModel} or loaded by
 * `loadQuantized`; its weights live in the engine's memory in their compact form (int8 kernels packed for the
 * q8 GEMM, f16 kernels as half bits). Call dispose() to give the memory back.
 */
export class QuantizedModel {
  readonly name: string;
  /** The layer specs (as the original model's). */
  readonly layers: readonly LayerSpec[];
  readonly mode: QuantMode;
  readonly weightBits: number;
  readonly inputDim: number;
  readonly outputDim: number;
  /** Training steps of the model this came from. */
  readonly trainedSteps: number;
  /** Free-form data carried over from the model (and saved). */
  metadata: Record<string, unknown>;
  /** @internal */ readonly parts: QuantParts;
  private readonly engine: Engine;
  private ops: Array<DenseOp | ActOp> = [];
  private owned: number[] = [];
  private buffers: number[] = [];
  private cap = 0;
  private xBuf = 0;
  private fA = 0;
  private fB = 0;
  private qA = 0;
  private qB = 0;
  private acc = 0;
  private f16Buf = 0;
  private disposed = false;

  /** @internal Use quantizeModel() or loadQuantized(). */
  constructor(parts: QuantParts, engine?: Engine, backend: Backend = 'wasm') {
    this.parts = parts;
    this.name = parts.name;
    this.layers = parts.layers;
    this.mode = parts.mode;
    this.weightBits = parts.weightBits;
    this.inputDim = parts.inputDim;
    this.outputDim = parts.dense[parts.dense.length - 1].n;
    this.trainedSteps = parts.trainedSteps;
    this.metadata = parts.metadata;
    this.engine = engine ?? getEngine(backend);
    try {
      this.upload();
    } catch (err) {
      this.freeAll();
      throw err;
    }
  }

  /** The backend the model computes on. */
  get backend(): Backend {
    return this.engine.backend;
  }

  /** Precision of each dense layer, in order. */
  get plan(): Precision[] {
    return this.parts.dense.map((d) => d.precision);
  }

  /** Per dense layer: precision, shape and stored bytes against f32. */
  info(): QuantLayerInfo[] {
    return this.parts.dense.map((d) => {
      const biasBytes = d.bias ? d.bias.byteLength : 0;
      return {
        name: this.layers[d.layer].name,
        precision: d.precision,
        shape: [d.k, d.n],
        bytes: d.kernel.byteLength + (d.wScale?.byteLength ?? 0) + biasBytes,
        f32Bytes: 4 * d.k * d.n + (d.bias ? 4 * d.n : 0),
      };
    });
  }

  /** A table of the dense layers' precision and size. */
  summary(): string {
    const rows = this.info().map((l) => `${l.name.padEnd(16)} ${`[${l.shape.join(', ')}]`.padEnd(12)} ${l.precision.padEnd(5)} ${String(l.bytes).padStart(9)} B  (f32 ${l.f32Bytes} B)`);
    const total = this.info().reduce((s, l) => s + l.bytes, 0);
    const f32 = this.info().reduce((s, l) => s + l.f32Bytes, 0);
    return [
      `QuantizedModel ${this.name}: ${this.mode} activations, ${this.weightBits}-bit weight grid on int8 layers (${this.backend} backend)`,
      ...rows,
      `weights ${total} B, ${(f32 / total).toFixed(2)}x smaller than f32 (${f32} B)`,
    ].join('\n');
  }

  /** Outputs for each row of x (probabilities after softmax/sigmoid), as Sequential.predict. */
  predict(x: MatrixInput, options: { batchSize?: number } = {}): Matrix {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const out = new Float32Array(mx.rows * n);
    this.run(mx, options.batchSize, (p, r, m) => out.set(this.engine.f32(p, m * n), r * n));
    return { data: out, rows: mx.rows, cols: n };
  }

  /** The class index of each row (argmax of the outputs; threshold 0.5 for a single output). */
  predictClasses(x: MatrixInput, options: { batchSize?: number } = {}): Int32Array {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const out = new Int32Array(mx.rows);
    const e = this.engine;
    this.run(mx, options.batchSize, (p, r, m) => {
      if (n === 1) {
        const v = e.f32(p, m);
        for (let i = 0; i < m; i++) out[r + i] = v[i] >= 0.5 ? 1 : 0;
        return;
      }
      e.k.argmax_rows(this.acc, p, m, n); // the accumulators are free once the last layer has run
      out.set(e.i32(this.acc, m), r);
    });
    return out;
  }

  /**
   * Accuracy over (x, y) — y one-hot / probability rows, or class indices — and the loss when the model knows
   * its loss (the original model's compiled built-in loss, or `options.loss`).
   */
  evaluate(x: MatrixInput, y: TargetInput, options: { batchSize?: number; loss?: LossName } = {}): QuantEvalResult {
    const mx = this.inputs(x);
    const n = this.outputDim;
    const my = toTargets(y, n);
    check(my.rows === mx.rows, 'SHAPE', `y has ${my.rows} rows but x has ${mx.rows}`);
    const lossName = options.loss ?? this.parts.loss;
    const lastSpec = this.layers[this.layers.length - 1];
    const lossFn = lossName !== undefined ? planLoss(lossName, (activationOf(lastSpec) ?? 'linear') as Activation, false) : undefined;
    lossFn?.checkTargets(my, 'y');
    const e = this.engine;
    const k = e.k;
    const ys = e.upload(my.data);
    let lossSum = 0;
    let correct = 0;
    try {
      this.run(mx, options.batchSize, (p, r, m) => {
        const t = ys + r * n * 4;
        if (lossFn) lossSum += lossFn.forward(k, p, p, t, m, n) * m;
        correct += n > 1 ? k.accuracy_count(p, t, m, n) : k.binary_accuracy_count(p, t, m, 0.5);
      });
    } finally {
      e.free(ys);
    }
    const res: QuantEvalResult = { accuracy: correct / mx.rows };
    if (lossFn) res.loss = lossSum / mx.rows;
    return res;
  }

  /** Frees the model's memory; later calls throw DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.freeAll();
    this.disposed = true;
  }

  /** @internal */
  assertLive(): void {
    if (this.disposed) throw new SimdnetError('DISPOSED', `quantized model '${this.name}' was disposed`);
  }

  private inputs(x: MatrixInput): Matrix {
    this.assertLive();
    // Float32Array data is staged as is and checked for NaN/Inf by a kernel per batch; other inputs go through toMatrix.
    return f32View(x, this.inputDim) ?? toMatrix(x, 'x', this.inputDim);
  }

  /** Runs the layers over the rows of x in batches; `sink(outPtr, row0, m)` takes each batch's outputs. */
  private run(x: Matrix, batchSize: number | undefined, sink: (p: number, r: number, m: number) => void): void {
    const bs = batchSize ?? 256;
    check(Number.isInteger(bs) && bs >= 1 && bs <= 1 << 20, 'RANGE', `batchSize must be an integer in [1, 1048576], got ${String(bs)}`);
    this.reserve(Math.min(x.rows, bs));
    const e = this.engine;
    const nIn = this.inputDim;
    for (let r = 0; r < x.rows; r += this.cap) {
      const m = Math.min(this.cap, x.rows - r);
      e.stageRows(this.xBuf, x, r, m);
      sink(this.forward(m), r, m);
    }
  }

  /** The layers on m rows staged in xBuf; returns the pointer of the f32 outputs. */
  private forward(m: number): number {
    const e = this.engine;
    const k = e.k;
    let f = this.xBuf; // current f32 activations (when !isQ)
    let q = 0; // current int8 activations (when isQ)
    let isQ = false;
    let width = this.inputDim;
    let nextF = this.fA;
    let nextQ = this.qA;
    for (const op of this.ops) {
      if (op.kind === 'act') {
        activationForward(k, op.spec.activation, f, f, m, width, op.spec.alpha);
        continue;
      }
      const { q: L, spec } = op;
      const out = nextF;
      const relu = spec.activation === 'relu' ? 1 : 0;
      if (L.precision === 'int8') {
        let sIn = 1;
        if (!isQ) {
          if (this.mode === 'static') {
            sIn = L.inScale!;
          } else {
            sIn = scaleOf(k.q8_absmax(f, m * width));
          }
          k.q8_quantize(nextQ, f, m * width, Math.fround(1 / sIn));
          q = nextQ;
          nextQ = nextQ === this.qA ? this.qB : this.qA;
        }
        k.q8_gemm(this.acc, q, op.w, m, L.k, L.n);
        if (op.emitInt8) {
          k.q8_requantize(nextQ, this.acc, op.b, op.mult, m, L.n, relu);
          q = nextQ;
          nextQ = nextQ === this.qA ? this.qB : this.qA;
          isQ = true;
          width = L.n;
          continue;
        }
        if (this.mode === 'static') k.q8_dequantize(out, this.acc, op.b, op.scale, 0, m, L.n, 1, relu);
        else k.q8_dequantize(out, this.acc, 0, op.scale, op.b, m, L.n, sIn, relu);
        isQ = false;
      } else {
        let wp = op.w;
        if (L.precision === 'f16') {
          k.f16_to_f32(this.f16Buf, op.w, L.k * L.n); // convert on the fly: the f32 copy exists only per batch
          wp = this.f16Buf;
        }
        k.gemm_forward(out, f, wp, op.b, m, L.k, L.n);
        if (relu) k.relu_forward(out, out, m * L.n);
      }
      if (!relu && spec.activation !== 'linear') activationForward(k, spec.activation, out, out, m, L.n, spec.alpha);
      f = out;
      nextF = out === this.fA ? this.fB : this.fA;
      width = L.n;
    }
    return f;
  }

  /** Uploads the weights in their compact form and plans the ops. */
  private upload(): void {
    const e = this.engine;
    const k = e.k;
    const own = (p: number): number => (this.owned.push(p), p);
    const byLayer = new Map(this.parts.dense.map((d) => [d.layer, d]));
    // The next layer that computes (skipping dropout and linear activations), for int8-to-int8 chaining.
    const nextComputing = (i: number): LayerSpec | undefined => {
      for (let j = i + 1; j < this.layers.length; j++) {
        const l = this.layers[j];
        if (l.type === 'dropout' || (l.type === 'activation' && l.activation === 'linear')) continue;
        return l;
      }
      return undefined;
    };
    this.layers.forEach((spec, i) => {
      if (spec.type === 'dropout') return; // identity at inference
      if (spec.type === 'activation') {
        if (spec.activation !== 'linear') this.ops.push({ kind: 'act', spec });
        return;
      }
      if (spec.type !== 'dense') return; // refused before (requireDenseStack)
      const L = byLayer.get(i)!;
      const op: DenseOp = { kind: 'dense', spec, q: L, w: 0, b: 0, scale: 0, mult: 0, emitInt8: false };
      if (L.precision === 'int8') {
        const tmp = e.arena.alloc(L.k * L.n);
        try {
          new Int8Array(e.memory.buffer, tmp, L.k * L.n).set(L.kernel as Int8Array);
          op.w = own(e.arena.alloc(k.q8_packed_size(L.k, L.n)));
          k.q8_pack_b(op.w, tmp, L.k, L.n);
        } finally {
          e.free(tmp);
        }
        const ws = L.wScale!;
        if (this.mode === 'static') {
          const sIn = L.inScale!;
          op.scale = own(e.upload(Float32Array.from(ws, (s) => sIn * s)));
          if (L.bias) op.b = own(e.upload(L.bias));
          const next = nextComputing(i);
          const nextL = next?.type === 'dense' ? byLayer.get(this.layers.indexOf(next)) : undefined;
          if ((spec.activation === 'relu' || spec.activation === 'linear') && nextL?.precision === 'int8') {
            const sOut = nextL.inScale!;
            op.mult = own(e.upload(Float32Array.from(ws, (s) => (sIn * s) / sOut)));
            op.emitInt8 = true;
          }
        } else {
          op.scale = own(e.upload(ws));
          if (L.bias) op.b = own(e.upload(L.bias));
        }
      } else {
        op.w = own(L.precision === 'f16' ? uploadU16(e, L.kernel as Uint16Array) : e.upload(L.kernel as Float32Array));
        if (L.bias) op.b = own(e.upload(L.bias));
      }
      this.ops.push(op);
    });
  }

  /** Activation buffers for batches of up to `rows` rows. */
  private reserve(rows: number): void {
    if (rows <= this.cap) return;
    const e = this.engine;
    for (const p of this.buffers) e.free(p);
    this.buffers = [];
    const buf = (bytes: number): number => {
      const p = e.arena.alloc(bytes);
      this.buffers.push(p);
      return p;
    };
    this.cap = 0;
    const widest = Math.max(this.inputDim, ...this.parts.dense.map((d) => d.n));
    this.xBuf = buf(rows * this.inputDim * 4);
    this.fA = buf(rows * widest * 4);
    this.fB = buf(rows * widest * 4);
    this.qA = buf(rows * widest);
    this.qB = buf(rows * widest);
    this.acc = buf(rows * widest * 4);
    const f16 = this.parts.dense.filter((d) => d.precision === 'f16').map((d) => d.k * d.n);
    this.f16Buf = f16.length > 0 ? buf(Math.max(...f16) * 4) : 0;
    this.cap = rows;
  }

  private freeAll(): void {
    const e = this.engine;
    for (const p of [...this.owned, ...this.buffers]) e.free(p);
    this.owned = [];
    this.buffers = [];
    this.ops = [];
    this.cap = 0;
  }
}

function uploadU16(e: Engine, a: Uint16Array): number {
  const p = e.arena.alloc(a.byteLength);
  new Uint16Array(e.memory.buffer, p, a.length).set(a);
  return p;
}

