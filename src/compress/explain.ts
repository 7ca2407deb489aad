/**
 * Explanations: which inputs a prediction depends on, from the model's own backward kernels.
 * - {@link saliency}: the gradient of one output with respect to each input, |∂f_c/∂x| (Simonyan et al. 2014).
 * - {@link integratedGradients}: (x − x′) ⊙ ∫₀¹ ∇f_c(x′ + α(x − x′)) dα (Sundararajan et al. 2017), with the path
 *   points batched as rows of one forward/backward pass and the integral by the trapezoid rule. Its attributions
 *   add up to f_c(x) − f_c(x′) (completeness); each result reports how far off that sum is.
 * `space` picks f: 'logit' differentiates the last layer's pre-activation value (the class score), 'output' the
 * model's output (the probability after softmax). The host does O(inputs) work per explained row (x − x′,
 * the final product); every O(rows × weights) step (interpolation, forward, backward, the weighted sum over the
 * path) is a kernel call.
 */
import { checkOptions } from '../args.js';
import { toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { SimdnetError, check } from '../errors.js';
import { activationBackward, activationForward, type Activation } from '../layers/activations.js';
import { activationOf } from '../layers/index.js';
import type { Net } from '../model/net.js';
import type { Sequential } from '../model/sequential.js';
import { idleModel } from '../model/sequential.js';

/** Which function of the model is explained: the class score before the final activation, or the output. */
export type ExplainSpace = 'logit' | 'output';

/** The output to explain: one index for all rows, one per row, or each row's predicted class (argmax). */
export type OutputChoice = number | 'predicted' | ArrayLike<number>;

/** Options of {@link saliency}. */
export interface SaliencyOptions {
  /** Default 'predicted'. */
  output?: OutputChoice;
  /** Default 'logit' (the output saturates for confident predictions, which flattens its gradient). */
  space?: ExplainSpace;
  /** Absolute values (default true); false keeps the gradient's sign. */
  absolute?: boolean;
  /** Rows per forward/backward pass (default 256). */
  batchSize?: number;
}

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions {
  /** Default 'predicted' (argmax of the model's output at x). */
  output?: OutputChoice;
  /** x′: a constant, one row for all inputs, or one row per input (default 0: a black image). */
  baseline?: number | ArrayLike<number> | MatrixInput;
  /** Intervals of the path (default 64; steps + 1 gradient evaluations per row). */
  steps?: number;
  /** Default 'output' (completeness then reads as a change in predicted probability). */
  space?: ExplainSpace;
  /** Rows per forward/backward pass; several inputs' paths share a pass when they fit (default 1024). */
  batchRows?: number;
}

/** Result of {@link integratedGradients}, one entry per row of x. */
export interface IntegratedGradientsResult {
  /** rows × inputs attributions. */
  attributions: Matrix;
  /** The output explained for each row. */
  classes: Int32Array;
  /** f_c(x): the explained output at each row. */
  fx: Float32Array;
  /** f_c(x′): the explained output at the baseline. */
  fBaseline: Float32Array;
  /** Σ attributions − (f_c(x) − f_c(x′)): the completeness error of the trapezoid rule (0 when exact). */
  delta: Float32Array;
}

const MAX_STEPS = 4096;

/**
 * @internal Runs `fn` with the model's net in "logits" mode: forward() then returns the last layer's
 * pre-activation values, whatever loss the model was compiled with. The final activation (and its alpha) is
 * handed to `fn`. Buffers are laid out again on the way in and out, so the model is left exactly as it was.
 */
export function withLogits<T>(model: Sequential, what: string, fn: (net: Net, act: Activation, alpha: number) => T): T {
  idleModel(model, what);
  const net = model.requireNet();
  const last = model.layers[model.layers.length - 1];
  if (last.type === 'dropout') {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${what}: the model ends in dropout layer '${last.name}', so its last activation is not at the end`,
    );
  }
  const toggled = !net.fused;
  if (toggled) {
    net.releaseBuffers(); // a trailing activation layer aliases its input only in fused mode
    net.fused = true;
  }
  const act = (activationOf(last) ?? 'linear') as Activation;
  if (act === 'softmax' && net.shapes[net.shapes.length - 1].length > 1) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${what}: the model's output is a map with a softmax over its channels; flatten it first`,
    );
  }
  try {
    return fn(net, act, 'alpha' in last ? last.alpha : 0.01);
  } finally {
    if (toggled) {
      net.releaseBuffers();
      net.fused = false;
    }
  }
}

/** The last layer's pre-activation values (logits before a softmax) for each row of x, in inference mode. */
export function logits(model: Sequential, x: MatrixInput, options: { batchSize?: number } = {}): Matrix {
  idleModel(model, 'logits()');
  checkOptions(options, 'logits()', { batchSize: 'count' });
  const mx = model.toInputs(x);
  const bs = rowsOption(options.batchSize ?? 256, 'batchSize');
  return withLogits(model, 'logits()', (net) => {
    net.reserve(Math.min(mx.rows, bs), false);
    const n = net.outputs;
    const out = new Float32Array(mx.rows * n);
    for (let r = 0; r < mx.rows; r += net.cap) {
      const m = Math.min(net.cap, mx.rows - r);
      net.engine.f32(net.xBuf, m * mx.cols).set(mx.data.subarray(r * mx.cols, (r + m) * mx.cols));
      out.set(net.engine.f32(net.forward(m, false, 0), m * n), r * n);
    }
    return { data: out, rows: mx.rows, cols: n };
  });
}

function rowsOption(v: unknown, what: string): number {
  check(
    typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1 << 20,
    'RANGE',
    `${what} must be an integer in [1, 1048576], got ${String(v)}`,
  );
  return v;
}

function spaceOption(v: unknown, dflt: ExplainSpace): ExplainSpace {
  const s = v ?? dflt;
  check(s === 'logit' || s === 'output', 'RANGE', `space must be 'logit' or 'output', got ${String(s)}`);
  return s;
}

/** Per-row output indices (−1 = predicted), validated against the output width. */
function outputsOption(v: unknown, rows: number, n: number): Int32Array {
  const out = new Int32Array(rows);
  const ok = (c: unknown): boolean => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < n;
  if (v === undefined || v === 'predicted') return out.fill(-1);
  if (typeof v === 'number') {
    check(ok(v), 'RANGE', `output must be an integer in [0, ${n}) or 'predicted', got ${v}`);
    return out.fill(v);
  }
  check(
    typeof v === 'object' && v !== null && typeof (v as ArrayLike<number>).length === 'number',
    'RANGE',
    `output must be an index, 'predicted' or one index per row, got ${String(v)}`,
  );
  const a = v as ArrayLike<number>;
  check(a.length === rows, 'SHAPE', `output has ${a.length} entries but x has ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    check(ok(a[i]), 'RANGE', `output[${i}] must be an integer in [0, ${n}), got ${a[i]}`);
    out[i] = a[i];
  }
  return out;
}

/** Forward over m rows at `input` to the explained values: logits, or the activated outputs (in headBuf). */
function explainedForward(
  net: Net,
  act: Activation,
  alpha: number,
  space: ExplainSpace,
  input: number,
  m: number,
): number {
  const z = net.forward(m, false, 0, input);
  if (space === 'logit' || act === 'linear') return z;
  activationForward(net.engine.k, act, net.headBuf, z, m, net.outputs, alpha);
  return net.headBuf;
}

/**
 * After explainedForward: seeds the output gradient with the one-hot of each row's class (through the final
 * activation for space 'output') and backpropagates into `inputGrad` (m × inputs). Returns f_c per row.
 */
function explainedBackward(
  net: Net,
  act: Activation,
  alpha: number,
  space: ExplainSpace,
  y: number,
  m: number,
  rowClass: Int32Array,
  inputGrad: number,
): Float32Array {
  const e = net.engine;
  const k = e.k;
  const n = net.outputs;
  const f = new Float32Array(m);
  const yv = e.f32(y, m * n);
  for (let r = 0; r < m; r++) f[r] = yv[r * n + rowClass[r]];
  const g = net.lossGrad;
  k.fill_f32(g, m * n, 0);
  const gv = e.f32(g, m * n);
  for (let r = 0; r < m; r++) gv[r * n + rowClass[r]] = 1;
  if (space === 'output' && act !== 'linear') activationBackward(k, act, g, g, y, m, n, alpha);
  net.backward(m, inputGrad, false);
  return f;
}

/** Row classes: the requested ones, or (−1) the argmax of the explained values of row `at(r)`. */
function resolveClasses(
  net: Net,
  y: number,
  classes: Int32Array,
  m: number,
  of: (r: number) => number,
  at: (r: number) => number,
  scratch: number,
): Int32Array {
  const e = net.engine;
  const n = net.outputs;
  const out = new Int32Array(m);
  let predicted = false;
  for (let r = 0; r < m; r++) predicted ||= classes[of(r)] < 0;
  if (predicted) e.k.argmax_rows(scratch, y, m, n);
  const arg = e.i32(scratch, m);
  for (let r = 0; r < m; r++) {
    const c = classes[of(r)];
    out[r] = c >= 0 ? c : arg[at(r)];
  }
  return out;
}

/**
 * Saliency maps: ∂f_c/∂x for each row of x (absolute values by default), where f_c is output c's logit
 * (default) or output. Rows × inputs; the model is left unchanged.
 */
export function saliency(model: Sequential, x: MatrixInput, options: SaliencyOptions = {}): Matrix {
  idleModel(model, 'saliency()');
  checkOptions(options, 'saliency()', { batchSize: 'count', absolute: 'boolean', space: 'string' });
  const mx = model.toInputs(x);
  const space = spaceOption(options.space, 'logit');
  const bs = rowsOption(options.batchSize ?? 256, 'batchSize');
  const absolute = options.absolute ?? true;
  check(typeof absolute === 'boolean', 'RANGE', `absolute must be true or false, got ${String(absolute)}`);
  const classes = outputsOption(options.output, mx.rows, model.outputDim);
  return withLogits(model, 'saliency()', (net, act, alpha) => {
    const e = net.engine;
    const d = mx.cols;
    net.reserve(Math.min(mx.rows, bs), true);
    const cap = net.cap;
    const grad = e.allocF32(cap * d);
    const scratch = e.allocF32(cap);
    try {
      const out = new Float32Array(mx.rows * d);
      for (let r0 = 0; r0 < mx.rows; r0 += cap) {
        const m = Math.min(cap, mx.rows - r0);
        e.f32(net.xBuf, m * d).set(mx.data.subarray(r0 * d, (r0 + m) * d));
        const y = explainedForward(net, act, alpha, space, net.xBuf, m);
        const rowClass = resolveClasses(
          net,
          y,
          classes,
          m,
          (r) => r0 + r,
          (r) => r,
          scratch,
        );
        explainedBackward(net, act, alpha, space, y, m, rowClass, grad);
        // |g| as leaky ReLU with slope −1 (g > 0 ? g : −g): the absolute value in one existing kernel.
        if (absolute) e.k.leaky_relu_forward(grad, grad, m * d, -1);
        out.set(e.f32(grad, m * d), r0 * d);
      }
      return { data: out, rows: mx.rows, cols: d };
    } finally {
      e.free(grad);
      e.free(scratch);
    }
  });
}

/** The baseline row of each input row (a constant or a single row is shared by all). */
function baselineOption(v: unknown, rows: number, d: number): (r: number) => Float32Array {
  if (v === undefined || typeof v === 'number') {
    const c = v ?? 0;
    check(Number.isFinite(c), 'NONFINITE', `baseline must be finite, got ${c}`);
    const row = new Float32Array(d).fill(c);
    return () => row;
  }
  const b = toMatrix(v as MatrixInput, 'baseline', d);
  check(
    b.rows === 1 || b.rows === rows,
    'SHAPE',
    `baseline has ${b.rows} rows: give one row, or one per row of x (${rows})`,
  );
  return (r) => b.data.subarray((b.rows === 1 ? 0 : r) * d, (b.rows === 1 ? 1 : r + 1) * d);
}

/**
 * Integrated gradients of output c for each row of x, from baseline x′ along the straight path, with `steps`
 * trapezoid intervals: attributions = (x − x′) ⊙ Σ_k w_k ∇f_c(x′ + (k/steps)(x − x′)), w = [½, 1, …, 1, ½]/steps.
 * The steps + 1 path points of several rows go through the model as one batch.
 */
export function integratedGradients(
  model: Sequential,
  x: MatrixInput,
  options: IntegratedGradientsOptions = {},
): IntegratedGradientsResult {
  idleModel(model, 'integratedGradients()');
  checkOptions(options, 'integratedGradients()'); // its fields are checked below, with their ranges
  const mx = model.toInputs(x);
  const d = mx.cols;
  const space = spaceOption(options.space, 'output');
  const steps = options.steps ?? 64;
  check(
    Number.isInteger(steps) && steps >= 1 && steps <= MAX_STEPS,
    'RANGE',
    `steps must be an integer in [1, ${MAX_STEPS}], got ${String(steps)}`,
  );
  const batchRows = rowsOption(options.batchRows ?? 1024, 'batchRows');
  const classes = outputsOption(options.output, mx.rows, model.outputDim);
  const baseOf = baselineOption(options.baseline, mx.rows, d);
  const P = steps + 1; // path points per row
  return withLogits(model, 'integratedGradients()', (net, act, alpha) => {
    const e = net.engine;
    const k = e.k;
    const per = Math.max(1, Math.min(mx.rows, Math.floor(batchRows / P))); // input rows per pass
    net.reserve(per * P, true);
    const owned: number[] = [];
    const own = (p: number): number => (owned.push(p), p);
    try {
      const alphas = own(e.upload(Float32Array.from({ length: P }, (_, i) => i / steps)));
      const weights = new Float32Array(P).fill(1 / steps);
      weights[0] = weights[steps] = 0.5 / steps;
      const w = own(e.upload(weights));
      const diff = own(e.allocF32(per * d));
      const base = own(e.allocF32(per * d));
      const grad = own(e.allocF32(per * P * d));
      const avg = own(e.allocF32(per * d));
      const scratch = own(e.allocF32(per * P));
      const res: IntegratedGradientsResult = {
        attributions: { data: new Float32Array(mx.rows * d), rows: mx.rows, cols: d },
        classes: new Int32Array(mx.rows),
        fx: new Float32Array(mx.rows),
        fBaseline: new Float32Array(mx.rows),
        delta: new Float32Array(mx.rows),
      };
      for (let r0 = 0; r0 < mx.rows; r0 += per) {
        const q = Math.min(per, mx.rows - r0);
        const dv = e.f32(diff, q * d);
        const bv = e.f32(base, q * d);
        for (let i = 0; i < q; i++) {
          const xr = mx.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
          const br = baseOf(r0 + i);
          bv.set(br, i * d);
          for (let j = 0; j < d; j++) dv[i * d + j] = xr[j] - br[j];
        }
        // Path points as rows: X_i (P × d) = alphas (P × 1) · diff_i (1 × d) + base_i, a K = 1 GEMM.
        for (let i = 0; i < q; i++) {
          k.gemm_forward(net.xBuf + i * P * d * 4, e.gemmWs, alphas, diff + i * d * 4, base + i * d * 4, P, 1, d);
        }
        // Each input row's class is decided at its last path point (x itself) and used along the whole path.
        const y = explainedForward(net, act, alpha, space, net.xBuf, q * P);
        const of = (r: number): number => r0 + Math.floor(r / P);
        const rowClass = resolveClasses(net, y, classes, q * P, of, (r) => Math.floor(r / P) * P + steps, scratch);
        for (let i = 0; i < q; i++) res.classes[r0 + i] = rowClass[i * P];
        const fv = explainedBackward(net, act, alpha, space, y, q * P, rowClass, grad);
        // Trapezoid sum over each row's path: avg_i (1 × d) = w (1 × P) · G_i (P × d).
        for (let i = 0; i < q; i++) {
          k.gemm_forward(avg + i * d * 4, e.gemmWs, w, grad + i * P * d * 4, 0, 1, P, d);
        }
        const av = e.f32(avg, q * d);
        const dv2 = e.f32(diff, q * d);
        for (let i = 0; i < q; i++) {
          const out = res.attributions.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
          let sum = 0;
          for (let j = 0; j < d; j++) sum += out[j] = dv2[i * d + j] * av[i * d + j];
          const fx = fv[i * P + steps];
          const fb = fv[i * P];
          res.fx[r0 + i] = fx;
          res.fBaseline[r0 + i] = fb;
          res.delta[r0 + i] = sum - (fx - fb);
        }
      }
      return res;
    } finally {
      for (const p of owned) e.free(p);
    }
  });
}
