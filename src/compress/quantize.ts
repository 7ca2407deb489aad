// Post-training quantization (Jacob et al. 2018, "Quantization and Training of Neural Networks for Efficient
// Integer-Arithmetic-Only Inference") and mixed precision for dense and convolutional models:
// - weights: symmetric, per output channel (column of a dense fan_in × fan_out kernel; filter of a conv2d HWIO
//   kernel, read as the (kh·kw·c, filters) matrix of its GEMM), int8 in [−127, 127];
// - activations: symmetric per tensor, either STATIC (scales from a calibration set's max-abs, fixed in the
//   model) or DYNAMIC (each batch's max-abs, found at run time by the q8_absmax kernel);
// - biases: int32 in static mode, in the accumulator's units (s_in · s_w[j]), added before rescaling; f32 in
//   dynamic mode (the input scale changes per batch, so the bias stays in real units, as TFLite's dynamic range);
// - requantization: a FLOAT per-channel multiplier (s_in · s_w[j] / s_out, f32), not Jacob et al.'s fixed-point
//   one: wasm SIMD has no 32-bit multiply-high, and an f32 multiply with the same round-half-even is exact enough
//   for 8-bit outputs (a float rescale of an exact i32 sum differs from the fixed-point result by at most one
//   step, in rare ties);
// - batch norm directly after a linear dense/conv2d layer is folded into its kernel columns (scale) and bias
//   (shift) before anything is quantized; a ReLU activation layer after it is fused into the int8 rescale.
// An int8 conv2d is im2col of its int8 input + q8_gemm over (n·oh·ow, kh·kw·c)·(kh·kw·c, filters): the input is
// quantized once and its int8 patches copied by im2col_nhwc_i8. A conv with 1–3 input channels (the first layer of
// an image model; 3 channels with fewer than 32 filters) keeps int8 storage but runs dequantized on the f32 direct
// conv, which is faster there (see int8Compute).
// Between two int8 layers in static mode the activations stay int8 (q8_requantize, with ReLU as the clamp at 0)
// when only views (flatten, reshape, dropout, linear activations) lie between and the second is dense; elsewhere
// a layer dequantizes to f32 (q8_dequantize) and pooling, batch norm and the rest run as their float records on
// the one execution plan (src/model/plan.ts). A per-layer precision plan chooses 'int8', 'f16' (kernel stored as
// IEEE half, converted to f32 per batch, f32 compute) or 'f32'. Quantizing weights and biases is one-time
// preparation; every per-batch step is a kernel call.
import { checkOptions } from '../args.js';
import { toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { SimdnetError, check } from '../errors.js';
import { activationForward, type Activation } from '../layers/activations.js';
import { geometry } from '../layers/conv2d.js';
import { inferShapes, paramDefs, sizeOf, type Shape } from '../layers/index.js';
import type { BatchNormalizationSpec, Conv2dSpec, DenseSpec, LayerSpec } from '../layers/spec.js';
import {
  f16Op,
  Plan,
  PlannedModel,
  recordOp,
  uploadAll,
  uploadBytes,
  type PlanEvalOptions,
  type PlanEvalResult,
  type PlanOp,
} from '../model/plan.js';
import { Sequential, idleModel } from '../model/sequential.js';
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import type { LossName } from '../train/losses.js';
import { hasKernel, requireSupported } from './support.js';

/** Storage of one dense or conv2d layer's kernel: int8 (int8 compute), f16 (f32 compute) or f32. */
export type Precision = 'int8' | 'f16' | 'f32';

/** 'static': activation scales from a calibration set; 'dynamic': from each batch at run time. */
export type QuantMode = 'static' | 'dynamic';

/**
 * The precision of each layer with a kernel (dense, conv2d): one for all; 'mixed' (first and last such layers
 * f32, the rest int8); an array with one entry per such layer; or a map from layer name to precision (others
 * int8).
 */
export type PrecisionPlan = Precision | 'mixed' | ReadonlyArray<Precision> | Readonly<Record<string, Precision>>;

/** Options of {@link quantizeModel}. */
export interface QuantizeOptions {
  /** Default: 'static' when a calibration set is given, else 'dynamic'. */
  mode?: QuantMode;
  /** Rows of typical inputs (a few hundred training rows) for static mode's activation scales. */
  calibration?: MatrixInput;
  /** Default 'int8' (every dense and conv2d layer). */
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

/** One dense or conv2d layer's stored tensors (what the file holds; not a stable API). */
export interface QuantLayer {
  /** Index in the layer list. */
  layer: number;
  precision: Precision;
  /** The kernel as a (k, n) matrix: dense (inputs, units); conv2d (kh·kw·c, filters). */
  k: number;
  n: number;
  /** The kernel's shape as its layer declares it: [k, n] (dense) or [kh, kw, c, filters] (conv2d). */
  shape: number[];
  /** int8: the quantized kernel (k,n) row-major; f16: half bits; f32: floats. */
  kernel: Int8Array | Uint16Array | Float32Array;
  /** int8 only: per-column (per-filter) weight scales (n). */
  wScale?: Float32Array;
  /** int8 static: int32 bias in accumulator units; otherwise f32 (undefined when the layer has no bias). */
  bias?: Int32Array | Float32Array;
  /** int8 static only: the scale of this layer's int8 input. */
  inScale?: number;
  /** The batch norm (its layer index, right after this layer) folded into this kernel and bias. */
  bn?: number;
}

/** Everything that defines a quantized model (used by the ONNX exporter; not a stable API). */
export interface QuantParts {
  name: string;
  inputDim: number;
  /** The sample shape ([inputDim] for a vector). */
  inputShape: Shape;
  layers: LayerSpec[];
  mode: QuantMode;
  weightBits: number;
  /** The dense and conv2d layers, in layer order. */
  kernels: QuantLayer[];
  /** f32 parameters (ParamDef order) of the other layers with weights: batch norms not folded into a kernel. */
  others: Array<{ layer: number; tensors: Float32Array[] }>;
  loss?: LossName;
  trainedSteps: number;
  metadata: Record<string, unknown>;
}

/** One dense or conv2d layer in {@link QuantizedModel.info}. */
export interface QuantLayerInfo {
  /** The layer's name. */
  name: string;
  /** 'dense' or 'conv2d'. */
  type: string;
  /** How its kernel is stored and computed: 'int8', 'f16' or 'f32'. */
  precision: Precision;
  /** The kernel as a (k, n) matrix: dense (inputs, units), conv2d (kh·kw·c, filters). */
  shape: [number, number];
  /** The kernel's own shape: [inputs, units] or [kh, kw, c, filters]. */
  kernelShape: number[];
  /** The batch norm folded into it, if any. */
  foldedBatchNorm?: string;
  /** How it computes: 'int8' (q8 GEMM), or 'f32' (f16/f32 storage, or an int8 conv run dequantized: int8Compute). */
  compute: 'int8' | 'f32';
  /** Bytes of the stored kernel, scales and bias. */
  bytes: number;
  /** Bytes of the same tensors in f32. */
  f32Bytes: number;
}

/** Result of {@link QuantizedModel.evaluate}: accuracy, and the loss when the model knows its loss. */
export type QuantEvalResult = PlanEvalResult;

/** Quantizes a trained model: see {@link QuantizeOptions}. The model itself is not changed. */
export function quantizeModel(model: Sequential, options: QuantizeOptions = {}): QuantizedModel {
  if ((model as unknown) instanceof QuantizedModel) {
    throw new SimdnetError(
      'STATE',
      'quantizeModel(): this model is already quantized (quantize the original f32 model instead)',
    );
  }
  check(model instanceof Sequential, 'DTYPE', 'quantizeModel() takes a Sequential model');
  requireSupported(model.layers, 'quantizeModel()');
  idleModel(model, 'quantizeModel()');
  check(typeof options === 'object' && options !== null, 'RANGE', 'quantizeModel(): options must be an object');
  checkOptions(options, 'quantizeModel()', { mode: 'string', weightBits: 'count', name: 'string' });
  check(
    model.built,
    'STATE',
    `quantizeModel(): model '${model.name}' is not built (it has no weights): train it first`,
  );
  check(
    model.trainedSteps > 0,
    'STATE',
    `quantizeModel(): model '${model.name}' is untrained (0 training steps): quantize a trained model (or one loaded from a file saved after training)`,
  );
  const mode = options.mode ?? (options.calibration !== undefined ? 'static' : 'dynamic');
  check(
    mode === 'static' || mode === 'dynamic',
    'RANGE',
    `quantizeModel(): mode must be 'static' or 'dynamic', got ${String(mode)}`,
  );
  const bits = options.weightBits ?? 8;
  check(
    Number.isInteger(bits) && bits >= 2 && bits <= 8,
    'RANGE',
    `quantizeModel(): weightBits must be an integer in [2, 8], got ${String(bits)}`,
  );
  const net = model.net!;
  const plan = resolvePlan(model.layers, options.plan ?? 'int8', 'quantizeModel()');
  const int8Layers = [...plan.keys()].filter((i) => plan.get(i) === 'int8');
  let calib: Matrix | undefined;
  if (mode === 'static') {
    check(
      options.calibration !== undefined,
      'EMPTY',
      "quantizeModel(): static mode needs a calibration set ({ calibration: x }) for the activation scales; or use mode 'dynamic'",
    );
    calib = model.toInputs(options.calibration, 'quantizeModel() calibration'); // scaled as the model scales its rows
  } else if (options.calibration !== undefined) {
    // Checked anyway, so a wrong set is reported rather than silently ignored.
    toMatrix(options.calibration, 'quantizeModel() calibration', net.inputs);
  }
  const inScales = calib ? calibrate(model, calib, int8Layers) : new Map<number, number>();

  const e = net.engine;
  const k = e.k;
  const qmax = 2 ** (bits - 1) - 1;
  const byName = new Map(model.getWeights().map((w) => [w.name, w.data]));
  const tensorsOf = (i: number): Float32Array[] => net.slotsOf(i).map((s) => byName.get(s.name)!);
  const folds = foldable(model.layers);
  const folded = new Set(folds.values());
  const kernels: QuantLayer[] = [];
  const others: QuantParts['others'] = [];
  model.layers.forEach((spec, i) => {
    if (folded.has(i)) return;
    if (!hasKernel(spec)) {
      if (net.slotsOf(i).length > 0) others.push({ layer: i, tensors: tensorsOf(i) });
      return;
    }
    const [w0, b0] = tensorsOf(i);
    const shape = [...net.slotsOf(i)[0].shape];
    const n = shape[shape.length - 1];
    const kk = w0.length / n;
    const bn = folds.get(i);
    const { w, b } =
      bn === undefined
        ? { w: w0, b: spec.useBias ? b0 : undefined }
        : foldBatchNorm(
            w0,
            spec.useBias ? b0 : undefined,
            tensorsOf(bn),
            n,
            (model.layers[bn] as BatchNormalizationSpec).epsilon,
          );
    const precision = plan.get(i)!;
    const base = { layer: i, precision, k: kk, n, shape, ...(bn === undefined ? {} : { bn }) };
    if (precision === 'f32') {
      kernels.push({ ...base, kernel: w, bias: b });
      return;
    }
    const src = e.upload(w);
    try {
      if (precision === 'f16') {
        const h = e.arena.alloc(kk * n * 2);
        try {
          k.f16_from_f32(h, src, kk * n);
          kernels.push({ ...base, kernel: new Uint16Array(e.memory.buffer, h, kk * n).slice(), bias: b });
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
        const layer: QuantLayer = { ...base, kernel: new Int8Array(e.memory.buffer, q, kk * n).slice(), wScale };
        if (mode === 'static') {
          const sIn = inScales.get(i)!;
          layer.inScale = sIn;
          if (b) layer.bias = quantizeBias(b, sIn, wScale, spec.name);
        } else if (b) {
          layer.bias = b;
        }
        kernels.push(layer);
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
    inputShape: [...net.shapes[0]],
    layers: model.layers.map((l) => structuredClone(l)),
    mode,
    weightBits: bits,
    kernels,
    others,
    trainedSteps: model.trainedSteps,
    metadata: structuredClone(model.metadata),
  };
  if (typeof loss === 'string') parts.loss = loss;
  return new QuantizedModel(parts, e);
}

/** Batch norms that fold into the layer before them: kernel layer index → batch norm index. */
function foldable(layers: readonly LayerSpec[]): Map<number, number> {
  const out = new Map<number, number>();
  layers.forEach((l, i) => {
    const next = layers[i + 1];
    if (hasKernel(l) && l.activation === 'linear' && next?.type === 'batchNormalization') out.set(i, i + 1);
  });
  return out;
}

/**
 * A linear layer y = x·W + b followed by inference batch norm z = (y − mean)·s + beta, s = gamma / sqrt(var +
 * eps), is the layer with W' = W·diag(s) (each kernel column j scaled by s_j) and b' = (b − mean)·s + beta
 * (computed in f64, rounded once to f32).
 */
export function foldBatchNorm(
  w: Float32Array,
  b: Float32Array | undefined,
  bn: Float32Array[],
  n: number,
  epsilon: number,
): { w: Float32Array; b: Float32Array } {
  const [gamma, beta, mean, variance] = bn;
  const s = Float64Array.from(gamma, (g, j) => g / Math.sqrt(variance[j] + epsilon));
  const wf = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) wf[i] = w[i] * s[i % n];
  const bf = Float32Array.from(s, (sj, j) => ((b ? b[j] : 0) - mean[j]) * sj + beta[j]);
  return { w: wf, b: bf };
}

/** @internal Precision of each dense/conv2d layer (by layer index) from a plan; throws RANGE naming the problem. */
export function resolvePlan(layers: readonly LayerSpec[], plan: PrecisionPlan, where: string): Map<number, Precision> {
  const withKernel = layers.flatMap((l, i) => (hasKernel(l) ? [i] : []));
  const out = new Map<number, Precision>();
  const ok = (p: unknown, what: string): Precision => {
    check(
      PRECISIONS.includes(p as Precision),
      'RANGE',
      `${where}: ${what} precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(p)}`,
    );
    return p as Precision;
  };
  if (typeof plan === 'string') {
    if (plan === 'mixed') {
      withKernel.forEach((i, j) => out.set(i, j === 0 || j === withKernel.length - 1 ? 'f32' : 'int8'));
    } else {
      const p = ok(plan, 'the plan');
      for (const i of withKernel) out.set(i, p);
    }
  } else if (Array.isArray(plan)) {
    check(
      plan.length === withKernel.length,
      'RANGE',
      `${where}: the plan has ${plan.length} entries, the model has ${withKernel.length} dense/conv2d layers (${withKernel.map((i) => layers[i].name).join(', ')})`,
    );
    withKernel.forEach((i, j) => out.set(i, ok(plan[j], `${layers[i].type} layer ${j}`)));
  } else if (typeof plan === 'object' && plan !== null) {
    const byName = new Map(withKernel.map((i) => [layers[i].name, i]));
    for (const [name, p] of Object.entries(plan)) {
      check(
        byName.has(name),
        'RANGE',
        `${where}: the plan names '${name}', which is not a dense or conv2d layer (${[...byName.keys()].join(', ')})`,
      );
      ok(p, `layer '${name}'`);
    }
    const rec = plan as Readonly<Record<string, Precision>>;
    for (const i of withKernel) out.set(i, rec[layers[i].name] ?? 'int8');
  } else {
    throw new SimdnetError(
      'RANGE',
      `${where}: plan must be 'int8', 'f16', 'f32', 'mixed', an array or a map of layer names`,
    );
  }
  return out;
}

/** Activation scale (max-abs / 127) of the input of each given layer over the calibration rows. */
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
    check(
      Math.abs(v) < 2 ** 31,
      'RANGE',
      `quantizeModel(): the bias of ${layer} unit ${j} (${b[j]}) does not fit in int32 at scale ${sIn * wScale[j]}`,
    );
    out[j] = v;
  }
  return out;
}

/** How an int8 op is wired into the plan. */
/** @internal How an int8-computing layer is wired into the plan (the ONNX exporter writes the same wiring). */
export interface Int8Wiring {
  /** The layers it covers (the kernel layer, a folded batch norm, a fused ReLU activation layer). */
  first: number;
  last: number;
  /** Clamp at 0 in the rescale (the layer's own ReLU, or a fused ReLU activation layer). */
  relu: boolean;
  /** Its input is the previous op's int8 output (at this layer's inScale). */
  takesInt8: boolean;
  /** The next int8 layer's input scale, when this op writes int8 for it. */
  emitScale?: number;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * One int8 dense or conv2d layer: quantize the input (or take the previous op's int8), im2col for a conv,
 * q8_gemm, then rescale with the per-channel scales: to f32 (q8_dequantize, ReLU fused) or to int8 for the next
 * int8 layer (q8_requantize).
 */
function int8Op(
  e: Engine,
  mode: QuantMode,
  q: QuantLayer,
  spec: DenseSpec | Conv2dSpec,
  input: Shape,
  wiring: Int8Wiring,
): PlanOp {
  const k = e.k;
  const owned: number[] = [];
  const K = q.k;
  const N = q.n;
  const tmp = e.arena.alloc(Math.max(16, K * N));
  let w = 0;
  try {
    new Int8Array(e.memory.buffer, tmp, K * N).set(q.kernel as Int8Array);
    w = e.arena.alloc(k.q8_packed_size(K, N));
    owned.push(w);
    k.q8_pack_b(w, tmp, K, N);
  } finally {
    e.free(tmp);
  }
  const ws = q.wScale!;
  const sIn0 = q.inScale ?? 1;
  // Static: dequantize by s_in · s_w and add the int32 bias first; dynamic: by s_w · (the batch's s_in), f32 bias.
  const [scale] = uploadAll(e, [mode === 'static' ? Float32Array.from(ws, (s) => sIn0 * s) : ws], owned);
  const [b] = q.bias ? uploadAll(e, [q.bias], owned) : [0];
  const [mult] =
    wiring.emitScale !== undefined
      ? uploadAll(e, [Float32Array.from(ws, (s) => (sIn0 * s) / wiring.emitScale!)], owned)
      : [0];
  const invIn = Math.fround(1 / sIn0);
  const inSize = sizeOf(input);
  const relu = wiring.relu ? 1 : 0;
  const act: Activation = spec.activation;
  const alpha = spec.alpha;
  // conv2d: its geometry, and whether it reads its input as the columns (1x1, stride 1); otherwise the quantized
  // input's int8 patches are copied by im2col_nhwc_i8 (any channel count).
  const g =
    spec.type === 'conv2d'
      ? geometry(spec.name, 'conv2d', input, spec.kernelSize, spec.strides, spec.padding)
      : undefined;
  const pointwise = !g || (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1);
  const pixels = g ? g.oh * g.ow : 1;
  // Scratch: the accumulators, then the quantized input, then the int8 columns.
  const sizes = (rows: number): [number, number, number] => {
    const M = rows * pixels;
    const acc = align16(M * N * 4);
    const qx = wiring.takesInt8 ? 0 : align16(rows * inSize);
    const qcols = pointwise ? 0 : align16(M * K);
    return [acc, qx, qcols];
  };
  return {
    first: wiring.first,
    last: wiring.last,
    emitsInt8: wiring.emitScale !== undefined,
    scratchBytes: (rows) => sizes(rows).reduce((a, s) => a + s, 0),
    run(c) {
      const k = c.k; // (unwrapped on a threaded engine when this batch never splits)
      const m = c.m;
      const M = m * pixels;
      const [accB, qxB] = sizes(m);
      const acc = c.scratch;
      const qx = acc + accB;
      const qcols = qx + qxB;
      let sIn = sIn0;
      let cols: number;
      if (!wiring.takesInt8 && mode === 'dynamic') sIn = scaleOf(k.q8_absmax(c.x, m * inSize));
      const inv = mode === 'dynamic' ? Math.fround(1 / sIn) : invIn;
      if (pointwise) {
        if (wiring.takesInt8) cols = c.x;
        else {
          k.q8_quantize(qx, c.x, m * inSize, inv);
          cols = qx;
        }
      } else {
        let xq = c.x;
        if (!wiring.takesInt8) {
          k.q8_quantize(qx, c.x, m * inSize, inv);
          xq = qx;
        }
        k.im2col_nhwc_i8(qcols, xq, m, g!.h, g!.w, g!.c, g!.kh, g!.kw, g!.sh, g!.sw, g!.padT, g!.padL, g!.oh, g!.ow);
        cols = qcols;
      }
      k.q8_gemm(acc, c.engine.gemmWs, cols, w, M, K, N);
      if (wiring.emitScale !== undefined) {
        k.q8_requantize(c.yq, acc, b, mult, M, N, relu);
        return c.yq;
      }
      if (mode === 'static') k.q8_dequantize(c.y, acc, b, scale, 0, M, N, 1, relu);
      else k.q8_dequantize(c.y, acc, 0, scale, b, M, N, sIn, relu);
      if (!relu && act !== 'linear' && !c.skipActivation) activationForward(k, act, c.y, c.y, M, N, alpha);
      return c.y;
    },
    dispose() {
      for (const p of owned) e.free(p);
      owned.length = 0;
    },
  };
}

/**
 * Whether an int8 layer computes in int8: dense layers always; a conv2d when it is pointwise (its input is its
 * columns), or its input has at least 4 channels, or 3 channels and at least 32 filters. Narrower convs (the first
 * layer of an image model) keep int8 storage but run their kernel dequantized on the f32 direct conv: there the q8
 * GEMM over a short (kh·kw·c) reduction is no faster than the whole f32 conv. Measured (batch 32, int8 path =
 * quantize + im2col_nhwc_i8 + q8_gemm + rescale against the f32 direct conv + ReLU): c = 6 → 16 filters 1.55x,
 * c = 10 → 32 1.45x, c = 3 → 32 1.12x; c = 3 → 16 0.87x, c = 1 → 8 0.56x. The rule depends on shapes only, so
 * every backend computes the same.
 */
export function int8Compute(spec: LayerSpec, input: Shape): boolean {
  if (spec.type !== 'conv2d') return true;
  const g = geometry(spec.name, 'conv2d', input, spec.kernelSize, spec.strides, spec.padding);
  return (g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1) || g.c >= 4 || (g.c === 3 && spec.filters >= 32);
}

/** The layers between `from` (exclusive) and the next layer that computes: views, dropout, linear activations. */
function nextComputing(layers: readonly LayerSpec[], from: number): number {
  for (let j = from + 1; j < layers.length; j++) {
    const l = layers[j];
    const passes =
      l.type === 'dropout' ||
      l.type === 'flatten' ||
      l.type === 'reshape' ||
      (l.type === 'activation' && l.activation === 'linear');
    if (!passes) return j;
  }
  return layers.length;
}

/**
 * @internal How each int8-computing layer is wired: its span (folded batch norm, fused ReLU) first, then, in static
 * mode with `chain`, which layer writes int8 for the next (the ONNX exporter's QDQ form turns `chain` off: there
 * every layer quantizes its float input).
 */
export function int8Wiring(parts: QuantParts, shapes: readonly Shape[], chain = true): Map<number, Int8Wiring> {
  const layers = parts.layers;
  const byLayer = new Map(parts.kernels.map((q) => [q.layer, q]));
  const wiring = new Map<number, Int8Wiring>();
  for (const q of parts.kernels) {
    if (q.precision !== 'int8' || !int8Compute(layers[q.layer], shapes[q.layer])) continue;
    const spec = layers[q.layer] as DenseSpec | Conv2dSpec;
    let last = q.bn ?? q.layer;
    let relu = spec.activation === 'relu';
    // A ReLU activation layer after a folded batch norm joins the rescale (conv → batch norm → relu).
    const after = layers[last + 1];
    if (
      q.bn !== undefined &&
      spec.activation === 'linear' &&
      after?.type === 'activation' &&
      after.activation === 'relu'
    ) {
      last += 1;
      relu = true;
    }
    wiring.set(q.layer, { first: q.layer, last, relu, takesInt8: false });
  }
  if (parts.mode === 'static' && chain) {
    for (const [i, wi] of wiring) {
      const spec = layers[i] as DenseSpec | Conv2dSpec;
      const next = wiring.get(nextComputing(layers, wi.last));
      const linearOrRelu = wi.relu || spec.activation === 'linear';
      if (linearOrRelu && next && layers[next.first].type === 'dense') {
        wi.emitScale = byLayer.get(next.first)!.inScale!;
        next.takesInt8 = true;
      }
    }
  }
  return wiring;
}

/** The plan's ops for a quantized model's parts (weights uploaded in their compact form). */
function quantizedOps(e: Engine, parts: QuantParts, shapes: Shape[], ops: PlanOp[]): void {
  const layers = parts.layers;
  const byLayer = new Map(parts.kernels.map((q) => [q.layer, q]));
  const otherBy = new Map(parts.others.map((o) => [o.layer, o.tensors]));
  // How each int8 layer is wired: its span (folded batch norm, fused ReLU) first, then who writes int8 for whom.
  const wiring = int8Wiring(parts, shapes);
  for (let i = 0; i < layers.length; ) {
    const spec = layers[i];
    const q = byLayer.get(i);
    const owned: number[] = [];
    let op: PlanOp;
    if (q && hasKernel(spec)) {
      const wi = wiring.get(i);
      if (wi) {
        op = int8Op(e, parts.mode, q, spec, shapes[i], wi);
      } else {
        const last = q.bn ?? i;
        // A folded batch norm gives a layer without a bias one.
        const s = q.bias && !spec.useBias ? { ...spec, useBias: true } : spec;
        if (q.precision === 'int8') {
          // int8 storage, f32 compute (see int8Compute): the kernel dequantized once, the record's forward.
          const ws = q.wScale!;
          const kf = Float32Array.from(q.kernel as Int8Array, (v, j) => v * ws[j % q.n]);
          const bf =
            q.bias instanceof Int32Array
              ? Float32Array.from(q.bias, (v, j) => v * Math.fround(q.inScale! * ws[j]))
              : q.bias;
          op = recordOp(e, s, i, shapes[i], shapes[i + 1], uploadAll(e, bf ? [kf, bf] : [kf], owned), owned, last);
        } else if (q.precision === 'f16') {
          const rest = q.bias ? uploadAll(e, [q.bias as Float32Array], owned) : [];
          op = f16Op(
            e,
            s,
            i,
            shapes[i],
            shapes[i + 1],
            uploadBytes(e, q.kernel as Uint16Array, owned),
            q.k * q.n,
            rest,
            owned,
            last,
          );
        } else {
          const kw = uploadAll(
            e,
            q.bias ? [q.kernel as Float32Array, q.bias as Float32Array] : [q.kernel as Float32Array],
            owned,
          );
          op = recordOp(e, s, i, shapes[i], shapes[i + 1], kw, owned, last);
        }
      }
    } else {
      op = recordOp(e, spec, i, shapes[i], shapes[i + 1], uploadAll(e, otherBy.get(i) ?? [], owned), owned);
    }
    ops.push(op);
    i = op.last + 1;
  }
}

/**
 * A quantized / mixed-precision model for inference. Made by {@link quantizeModel} or loaded by
 * `loadQuantized`; its weights live in the engine's memory in their compact form (int8 kernels packed for the
 * q8 GEMM, f16 kernels as half bits). It runs on the one execution plan: its int8/f16 layers as ops of their
 * own, every other layer (pooling, flatten, unfolded batch norm, ...) as its float record. Call dispose() to give
 * the memory back.
 */
export class QuantizedModel extends PlannedModel {
  /** The layer specs (as the original model's). */
  readonly layers: readonly LayerSpec[];
  /** How activation scales are found: 'static' (from a calibration set) or 'dynamic' (from each batch). */
  readonly mode: QuantMode;
  /** Bits of the int8 layers' weight grid, 2–8 (the quantizeModel option weightBits). */
  readonly weightBits: number;
  /** Training steps of the model this came from. */
  readonly trainedSteps: number;
  /** @internal */ readonly parts: QuantParts;

  /** @internal Use quantizeModel() or loadQuantized(). */
  constructor(parts: QuantParts, engine?: Engine, backend: Backend = 'wasm') {
    const shapes = inferShapes(parts.layers, parts.inputShape);
    super(parts.name, parts.inputShape, shapes[shapes.length - 1], parts.metadata, parts.loss);
    this.parts = parts;
    this.layers = parts.layers;
    this.mode = parts.mode;
    this.weightBits = parts.weightBits;
    this.trainedSteps = parts.trainedSteps;
    const e = engine ?? getEngine(backend);
    const ops: PlanOp[] = [];
    try {
      quantizedOps(e, parts, shapes, ops);
      this.executor = new Plan(e, parts.layers, parts.inputShape, ops);
    } catch (err) {
      for (const op of ops) op.dispose?.();
      throw err;
    }
  }

  protected get kindName(): string {
    return 'quantized model';
  }

  /** Precision of each dense and conv2d layer, in order. */
  get plan(): Precision[] {
    return this.parts.kernels.map((d) => d.precision);
  }

  /** Per dense/conv2d layer: precision, shape and stored bytes against f32. */
  info(): QuantLayerInfo[] {
    const shapes = inferShapes(this.layers, this.inputShape);
    return this.parts.kernels.map((d) => {
      const biasBytes = d.bias ? d.bias.byteLength : 0;
      const spec = this.layers[d.layer];
      const info: QuantLayerInfo = {
        name: spec.name,
        type: spec.type,
        precision: d.precision,
        shape: [d.k, d.n],
        kernelShape: [...d.shape],
        compute: d.precision === 'int8' && int8Compute(spec, shapes[d.layer]) ? 'int8' : 'f32',
        bytes: d.kernel.byteLength + (d.wScale?.byteLength ?? 0) + biasBytes,
        f32Bytes: 4 * d.k * d.n + (d.bias ? 4 * d.n : 0),
      };
      if (d.bn !== undefined) info.foldedBatchNorm = this.layers[d.bn].name;
      return info;
    });
  }

  /** A table of the dense/conv2d layers' precision and size. */
  summary(): string {
    const info = this.info();
    const rows = info.map(
      (l) =>
        `${l.name.padEnd(16)} ${`[${l.kernelShape.join(', ')}]`.padEnd(16)} ${(l.precision === 'int8' && l.compute === 'f32' ? 'int8 (f32 compute)' : l.precision).padEnd(5)} ${String(l.bytes).padStart(9)} B  (f32 ${l.f32Bytes} B)` +
        (l.foldedBatchNorm ? `  + ${l.foldedBatchNorm} folded` : ''),
    );
    const total = info.reduce((s, l) => s + l.bytes, 0);
    const f32 = info.reduce((s, l) => s + l.f32Bytes, 0);
    return [
      `QuantizedModel ${this.name}: ${this.mode} activations, ${this.weightBits}-bit weight grid on int8 layers (${this.backend} backend)`,
      ...rows,
      `weights ${total} B, ${(f32 / total).toFixed(2)}x smaller than f32 (${f32} B)`,
    ].join('\n');
  }

  /**
   * Accuracy over (x, y) — y one-hot / probability rows, or class indices — and the loss when the model knows
   * its loss (the original model's compiled built-in loss, or `options.loss`).
   */
  override evaluate(x: MatrixInput, y: MatrixInput, options: PlanEvalOptions = {}): QuantEvalResult {
    return super.evaluate(x, y, options);
  }
}

/** @internal The shapes of every parameter tensor of a layer list (for the file readers). */
export function paramShapes(
  layers: readonly LayerSpec[],
  inputShape: Shape,
): Array<Array<{ name: string; shape: number[] }>> {
  return paramDefs(layers, inferShapes(layers, inputShape)).map((ps) =>
    ps.map((p) => ({ name: p.name, shape: p.shape })),
  );
}
