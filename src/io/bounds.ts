// Magnitude bounds for loaded models: a file whose weights are finite but so large that a forward pass overflows
// f32 (a weight of 3.4e38, a scale of 1e30, a leakyRelu slope of 1e20, a negative variance) must be refused when it
// is read, not found out through Inf/NaN predictions. Each loader hands over its layers' weights as they compute
// (after f16 → f32, int8 dequantization, CSR) and checkMagnitudes walks the layers once, propagating per-channel
// intervals of what each layer can output for inputs with |x| <= INPUT_RANGE.
import { inferShapes, type Shape } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';

/**
 * The input range the guarantee covers: every model a loader accepts gives finite outputs (and finite values in
 * every layer) for inputs with |x| <= INPUT_RANGE, after the model's own preprocessing (scaled pixels, a fitted
 * scaler's output).
 */
export const INPUT_RANGE = 1e3;

/**
 * The largest magnitude any value of a forward pass may reach: below f32's maximum (3.4e38) with room for the
 * rounding of long f32 sums, which may add up in any order.
 */
export const VALUE_LIMIT = 1e38;

/** A dense or conv2d layer's kernel as it computes: a (k, n) matrix whose row r reads input channel r mod C. */
export interface LinearWeights {
  kind: 'linear';
  /** (k, n) row-major; the real weight is kernel[r·n + j] · colScale[j] (1 without colScale). */
  kernel?: ArrayLike<number>;
  /** CSR by input row instead of `kernel` (real weights). */
  csr?: { rowptr: ArrayLike<number>; cols: ArrayLike<number>; vals: ArrayLike<number> };
  colScale?: ArrayLike<number>;
  /** The bias in real units, times biasScale[j] when given (an int32 bias in accumulator units). */
  bias?: ArrayLike<number>;
  biasScale?: ArrayLike<number>;
  /**
   * int8 compute: the input is quantized before the product, with this scale (static) or the batch's
   * max-abs / 127 (dynamic); its values then saturate at ±127 steps (static) and move by at most half a step.
   */
  quantizedInput?: number | 'dynamic';
  /** What to call them in messages ("tensor d1/kernel"): the kernel (or its scale, for int8) and the bias. */
  kernelName: string;
  biasName: string;
}

/** What a layer computes with, as the loader will hand it to the engine. */
export type LayerWeights =
  /** No parameters. */
  | { kind: 'none' }
  /** Folded into the layer before it (a quantized batch norm): passes its input on. */
  | { kind: 'folded' }
  /** The record's parameters in its ParamDef order, f32, with what to call them in messages ("tensor bn/gamma"). */
  | { kind: 'float'; tensors: ArrayLike<number>[]; names: string[] }
  | LinearWeights;

/** Per-channel intervals [lo, hi] of the last axis. */
interface Bounds {
  lo: Float64Array;
  hi: Float64Array;
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/** Max |w| and Σw² of one f32 parameter tensor (kernels compute them where the weights live: q8_absmax, sum_squares). */
export interface TensorStats {
  absMax: number;
  sumSquares: number;
}

/**
 * Walks `layers` on `inputShape` with the weights `weightsOf(i)` gives for layer i, and calls `bad` (which throws)
 * naming the tensor or option when some value of a forward pass can exceed VALUE_LIMIT for inputs with
 * |x| <= INPUT_RANGE, or when a weight computes to a value that is not finite in f32. The loaders check NaN/Inf in
 * the stored values themselves before calling this.
 *
 * Costs one pass over the weights in JS. With `stats` (float layers' tensors j of layer i) a coarse bound from a
 * norm per tensor is tried first; only a model it cannot clear pays for the per-channel pass (the float loader
 * gets the norms from two kernel calls per tensor, which keeps a cold start free of a JS loop over the weights).
 */
export function checkMagnitudes(
  layers: readonly LayerSpec[],
  inputShape: Shape,
  weightsOf: (i: number) => LayerWeights,
  bad: (why: string) => never,
  stats?: (i: number, j: number) => TensorStats,
): void {
  const shapes = inferShapes(layers, inputShape);
  if (stats && coarseBound(layers, shapes, weightsOf, stats)) return;
  const c0 = inputShape[inputShape.length - 1];
  let b: Bounds = { lo: new Float64Array(c0).fill(-INPUT_RANGE), hi: new Float64Array(c0).fill(INPUT_RANGE) };
  const tooBig = (what: string, layer: LayerSpec, v: number): never =>
    bad(
      `${what} is too large: layer '${layer.name}' can reach ${fmt(v)} for inputs with |x| <= ${INPUT_RANGE} (values must stay within ${fmt(VALUE_LIMIT)})`,
    );
  layers.forEach((spec, i) => {
    const w = weightsOf(i);
    const input = shapes[i];
    const output = shapes[i + 1];
    if (w.kind === 'folded') return;
    switch (spec.type) {
      case 'dense':
      case 'conv2d': {
        const lin: LinearWeights =
          w.kind === 'linear'
            ? w
            : w.kind === 'float'
              ? {
                  kind: 'linear',
                  kernel: w.tensors[0],
                  bias: spec.useBias ? w.tensors[1] : undefined,
                  kernelName: w.names[0],
                  biasName: w.names[1],
                }
              : bad(`layer '${spec.name}' has no weights`);
        // A padded or strided window also reads zeros (padding) or not every channel value: the hull with 0 keeps
        // the bound sound for any window.
        if (spec.type === 'conv2d') widenToZero(b);
        // Row r of the (k, n) kernel reads channel r mod C: a dense layer's input is [k], a conv's HWIO rows end in C.
        b = linear(lin, b, input[input.length - 1], output[output.length - 1], spec, tooBig);
        b = activate(b, spec.activation, spec.alpha, spec, tooBig);
        return;
      }
      case 'activation':
        b = activate(b, spec.activation, spec.alpha, spec, tooBig);
        return;
      case 'batchNormalization': {
        if (w.kind !== 'float') return bad(`layer '${spec.name}' has no weights`);
        b = batchNorm(w.tensors, w.names, spec.epsilon, b, spec, bad, tooBig);
        return;
      }
      case 'maxPooling2d':
      case 'averagePooling2d': {
        if (spec.padding === 'same') widenToZero(b);
        // An average sums its window first.
        if (spec.type === 'averagePooling2d') checkSum(b, spec.poolSize[0] * spec.poolSize[1], spec, tooBig);
        return;
      }
      case 'globalAveragePooling2d':
        checkSum(b, input[0] * input[1], spec, tooBig);
        return;
      case 'dropout':
        return;
      case 'flatten':
      case 'reshape':
        // Same values in the same (row-major) order under another last axis.
        b = regroup(b, output[output.length - 1]);
        return;
      default:
        // A layer that only moves values (permute): any output channel may hold any input channel's values.
        b = hull(b, output[output.length - 1]);
    }
  });
}

/**
 * One bound B on every |value| of a layer's output, from the tensors' norms: |y_j| <= Σ_r |w_rj| · B + |b_j|, with
 * Σ_r |w_rj| at most k · max|w| and at most sqrt(k) · ||W|| (Cauchy–Schwarz). True when every layer stays below
 * VALUE_LIMIT (then so does every partial sum); false when the per-channel pass must decide.
 */
function coarseBound(
  layers: readonly LayerSpec[],
  shapes: Shape[],
  weightsOf: (i: number) => LayerWeights,
  stats: (i: number, j: number) => TensorStats,
): boolean {
  let B = INPUT_RANGE;
  for (let i = 0; i < layers.length; i++) {
    const spec = layers[i];
    const input = shapes[i];
    switch (spec.type) {
      case 'dense':
      case 'conv2d': {
        const w = stats(i, 0);
        // Inputs one output sums over: a dense layer's k, a conv's window kh·kw·c.
        const k = spec.type === 'dense' ? input[0] : spec.kernelSize[0] * spec.kernelSize[1] * input[input.length - 1];
        // sum_squares comes back as an f32: one rounding, covered by the factor.
        const colSum = Math.min(k * w.absMax, Math.sqrt(k * w.sumSquares) * (1 + 1e-6));
        B = colSum * B + (spec.useBias ? stats(i, 1).absMax : 0);
        if (spec.activation === 'tanh' || spec.activation === 'sigmoid' || spec.activation === 'softmax') {
          if (!(B <= VALUE_LIMIT)) return false;
          B = 1;
        } else if (spec.activation === 'leakyRelu') {
          B *= Math.max(1, Math.fround(spec.alpha));
        }
        break;
      }
      case 'activation':
        if (spec.activation === 'tanh' || spec.activation === 'sigmoid' || spec.activation === 'softmax') B = 1;
        else if (spec.activation === 'leakyRelu') B *= Math.max(1, Math.fround(spec.alpha));
        break;
      case 'batchNormalization': {
        const w = weightsOf(i);
        if (w.kind !== 'float') return false;
        const [gamma, beta, mean, variance] = w.tensors;
        const eps = Math.fround(spec.epsilon);
        let out = 0;
        for (let c = 0; c < gamma.length; c++) {
          if (!(variance[c] >= 0)) return false;
          const centred = B + Math.abs(mean[c]);
          if (!(centred <= VALUE_LIMIT)) return false;
          out = Math.max(
            out,
            (centred * Math.abs(gamma[c])) / Math.sqrt(Math.fround(variance[c] + eps)) + Math.abs(beta[c]),
          );
        }
        B = out;
        break;
      }
      case 'averagePooling2d':
        if (!(B * spec.poolSize[0] * spec.poolSize[1] <= VALUE_LIMIT)) return false;
        break;
      case 'globalAveragePooling2d':
        if (!(B * input[0] * input[1] <= VALUE_LIMIT)) return false;
        break;
      default:
      // dropout, pooling by max, flatten, reshape and value-moving layers keep the bound.
    }
    if (!(B <= VALUE_LIMIT)) return false;
  }
  return true;
}

/** Includes 0 in every interval. */
function widenToZero(b: Bounds): void {
  for (let c = 0; c < b.lo.length; c++) {
    if (b.lo[c] > 0) b.lo[c] = 0;
    if (b.hi[c] < 0) b.hi[c] = 0;
  }
}

const magnitude = (b: Bounds, c: number): number => Math.max(-b.lo[c], b.hi[c]);

/** A sum of `count` values of one channel (average pooling before its division) stays within the limit. */
function checkSum(
  b: Bounds,
  count: number,
  spec: LayerSpec,
  tooBig: (what: string, l: LayerSpec, v: number) => never,
): void {
  for (let c = 0; c < b.lo.length; c++) {
    const s = magnitude(b, c) * count;
    if (!(s <= VALUE_LIMIT)) tooBig(`the input of layer '${spec.name}'`, spec, s);
  }
}

/**
 * y_j = Σ_r x_{r mod C} · w_rj + b_j: per output column the interval of the sum, and the sum of the terms'
 * magnitudes, which bounds every partial sum in whatever order the kernel adds them.
 */
function linear(
  lin: LinearWeights,
  b: Bounds,
  C: number,
  n: number,
  spec: LayerSpec,
  tooBig: (what: string, l: LayerSpec, v: number) => never,
): Bounds {
  let { lo, hi } = b;
  const q = lin.quantizedInput;
  if (q !== undefined) {
    // What the quantized input stands for: within half a step of x; a static scale also saturates at ±127 steps.
    lo = lo.slice();
    hi = hi.slice();
    let step = 0;
    if (q === 'dynamic') {
      let m = 0;
      for (let c = 0; c < lo.length; c++) m = Math.max(m, magnitude(b, c));
      step = m / 127;
    } else {
      step = q;
    }
    const top = q === 'dynamic' ? Infinity : 127 * q;
    for (let c = 0; c < lo.length; c++) {
      lo[c] = Math.min(Math.max(lo[c] - step / 2, -top), top);
      hi[c] = Math.max(Math.min(hi[c] + step / 2, top), -top);
    }
  }
  const mag = new Float64Array(C);
  for (let c = 0; c < C; c++) mag[c] = Math.max(-lo[c], hi[c]);
  const oLo = new Float64Array(n);
  const oHi = new Float64Array(n);
  const abs = new Float64Array(n);
  const cs = lin.colScale;
  const add = (r: number, j: number, w: number): void => {
    const c = r % C;
    if (w > 0) {
      oLo[j] += w * lo[c];
      oHi[j] += w * hi[c];
      abs[j] += w * mag[c];
    } else if (w < 0) {
      oLo[j] += w * hi[c];
      oHi[j] += w * lo[c];
      abs[j] -= w * mag[c];
    }
  };
  if (lin.csr) {
    const { rowptr, cols, vals } = lin.csr;
    const k = rowptr.length - 1;
    for (let r = 0; r < k; r++)
      for (let e = rowptr[r]; e < rowptr[r + 1]; e++) add(r, cols[e], vals[e] * (cs ? cs[cols[e]] : 1));
  } else if (lin.kernel instanceof Float32Array && !cs) {
    accumulate(lin.kernel, lo, hi, mag, C, oLo, oHi, abs);
  } else {
    accumulate(
      Float64Array.from(lin.kernel!, (v, i) => (cs ? v * cs[i % n] : v)),
      lo,
      hi,
      mag,
      C,
      oLo,
      oHi,
      abs,
    );
  }
  for (let j = 0; j < n; j++) {
    const bj = lin.bias ? lin.bias[j] * (lin.biasScale ? lin.biasScale[j] : 1) : 0;
    oLo[j] += bj;
    oHi[j] += bj;
    const total = abs[j] + Math.abs(bj);
    if (!(total <= VALUE_LIMIT)) tooBig(Math.abs(bj) >= abs[j] ? lin.biasName : lin.kernelName, spec, total);
  }
  return { lo: oLo, hi: oHi };
}

/**
 * The hot loop of a load, over every weight of a (k, n) kernel: kept apart and monomorphic (f32 from the files, f64
 * for converted kernels) so V8 optimizes it for one array type at each call site.
 */
function accumulate(
  w: Float32Array | Float64Array,
  lo: Float64Array,
  hi: Float64Array,
  mag: Float64Array,
  C: number,
  oLo: Float64Array,
  oHi: Float64Array,
  abs: Float64Array,
): void {
  const n = oLo.length;
  const k = w.length / n;
  for (let r = 0; r < k; r++) {
    const c = r % C;
    const l = lo[c];
    const h = hi[c];
    const m = mag[c];
    if (m === 0) continue; // an input that is always 0 adds nothing
    const base = r * n;
    for (let j = 0; j < n; j++) {
      const v = w[base + j];
      if (v > 0) {
        oLo[j] += v * l;
        oHi[j] += v * h;
        abs[j] += v * m;
      } else if (v < 0) {
        oLo[j] += v * h;
        oHi[j] += v * l;
        abs[j] -= v * m;
      }
    }
  }
}

/** The interval after an activation (leakyRelu's slope in f32, as the kernel gets it). */
function activate(
  b: Bounds,
  act: string,
  alpha: number,
  spec: LayerSpec,
  tooBig: (what: string, l: LayerSpec, v: number) => never,
): Bounds {
  const { lo, hi } = b;
  switch (act) {
    case 'linear':
      return b;
    case 'relu':
      for (let c = 0; c < lo.length; c++) {
        lo[c] = Math.max(lo[c], 0);
        hi[c] = Math.max(hi[c], 0);
      }
      return b;
    case 'leakyRelu': {
      const a = Math.fround(alpha);
      const f = (v: number): number => (v > 0 ? v : a * v);
      for (let c = 0; c < lo.length; c++) {
        lo[c] = f(lo[c]);
        hi[c] = f(hi[c]);
        const m = magnitude(b, c);
        if (!(m <= VALUE_LIMIT)) tooBig(`alpha ${alpha}`, spec, m);
      }
      return b;
    }
    case 'tanh':
      return { lo: lo.fill(-1), hi: hi.fill(1) };
    default:
      // sigmoid, softmax
      return { lo: lo.fill(0), hi: hi.fill(1) };
  }
}

/**
 * Inference batch norm as batchnorm_forward computes it: (x − mean) · (gamma / sqrt(var + eps)) + beta; the
 * moving variance must not be negative (var + eps <= 0 has no square root).
 */
function batchNorm(
  t: ArrayLike<number>[],
  names: string[],
  epsilon: number,
  b: Bounds,
  spec: LayerSpec,
  bad: (why: string) => never,
  tooBig: (what: string, l: LayerSpec, v: number) => never,
): Bounds {
  const [gamma, beta, mean, variance] = t;
  const eps = Math.fround(epsilon);
  const { lo, hi } = b;
  for (let c = 0; c < lo.length; c++) {
    if (!(variance[c] >= 0)) bad(`${names[3]} holds a negative variance (${variance[c]}) at ${c}`);
    const s = gamma[c] / Math.sqrt(Math.fround(variance[c] + eps));
    const centred = magnitude(b, c) + Math.abs(mean[c]);
    const scaled = centred * Math.abs(s);
    const total = scaled + Math.abs(beta[c]);
    if (!(centred <= VALUE_LIMIT)) tooBig(names[2], spec, centred);
    if (!(total <= VALUE_LIMIT)) {
      const what = Math.abs(beta[c]) >= scaled ? names[1] : Math.abs(gamma[c]) >= 1 ? names[0] : names[3];
      tooBig(what, spec, total);
    }
    const a = (lo[c] - mean[c]) * s + beta[c];
    const z = (hi[c] - mean[c]) * s + beta[c];
    lo[c] = Math.min(a, z);
    hi[c] = Math.max(a, z);
  }
  return b;
}

/**
 * The same values (row-major) seen with `cNew` channels on the last axis: element e has channel e mod cOld before
 * and e mod cNew after, a pattern that repeats every lcm(cOld, cNew) elements (which divides the sample size).
 */
function regroup(b: Bounds, cNew: number): Bounds {
  const cOld = b.lo.length;
  if (cOld === cNew) return b;
  const gcd = (a: number, c: number): number => (c === 0 ? a : gcd(c, a % c));
  const period = (cOld / gcd(cOld, cNew)) * cNew;
  const lo = new Float64Array(cNew).fill(Infinity);
  const hi = new Float64Array(cNew).fill(-Infinity);
  for (let e = 0; e < period; e++) {
    const o = e % cOld;
    const c = e % cNew;
    if (b.lo[o] < lo[c]) lo[c] = b.lo[o];
    if (b.hi[o] > hi[c]) hi[c] = b.hi[o];
  }
  return { lo, hi };
}

/** Every channel gets the hull of all input channels. */
function hull(b: Bounds, cNew: number): Bounds {
  let l = Infinity;
  let h = -Infinity;
  for (let c = 0; c < b.lo.length; c++) {
    l = Math.min(l, b.lo[c]);
    h = Math.max(h, b.hi[c]);
  }
  return { lo: new Float64Array(cNew).fill(l), hi: new Float64Array(cNew).fill(h) };
}

/** The value of IEEE half bits (binary16): subnormals, infinities and NaN included. One copy for the loaders and importers. */
export function halfToFloat(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
