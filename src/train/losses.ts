import { check, SimdnetError } from '../errors.js';
import type { Matrix } from '../data/matrix.js';
import { ACTIVATIONS, type Activation } from '../layers/activations.js';
import type { Kernels } from '../runtime/abi.js';

/** Loss names accepted by compile() (Keras's camelCase names; 'mse' and 'mae' as Keras's short aliases). */
export type LossName =
  | 'mse'
  | 'meanSquaredError'
  | 'mae'
  | 'meanAbsoluteError'
  | 'huber'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';

/** Options of a built-in loss (compile's `lossOptions`). */
export interface LossOptions {
  /** Huber's threshold between the quadratic and the linear part (default 1, as Keras). */
  delta?: number;
}

/**
 * A loss as the training loop runs it: kernels over the last layer's output. Built-in losses come from
 * {@link planLoss}; a custom one (e.g. distillation's) implements this and is passed to compile().
 * Pointers: `out` (m × n) is the last layer's output — its logits when `fused` —, `head` (m × n) a scratch the
 * loss may fill with activated outputs, `t` (m × targetCols(n)) the targets.
 */
export interface Loss {
  /** Shown in logs and saved with the model for the built-ins. */
  readonly name: string;
  /** True when the loss takes over the last layer's activation and reads logits. */
  readonly fused: boolean;
  /** Columns of a target row for n outputs (n for the built-ins). */
  targetCols(n: number): number;
  /** Throws a SimdnetError naming the first target the loss cannot take (called once per fit/evaluate). */
  checkTargets(t: Matrix, name: string): void;
  /**
   * Mean loss over m rows. `w` (built-ins, when `weighted`): a pointer to m per-row weights, or 0 for none; the
   * weighted mean is Σ w·loss / m (Keras's default 'sum over batch size' reduction).
   */
  forward(k: Kernels, out: number, head: number, t: number, m: number, n: number, w?: number): number;
  /** Writes d(mean loss)/d(out) into dOut; runs after forward on the same rows (and the same `w`). */
  backward(k: Kernels, dOut: number, out: number, head: number, t: number, m: number, n: number, w?: number): void;
  /** True when forward/backward take per-row weights (fit's sampleWeight / classWeight need it). */
  readonly weighted?: boolean;
  /** Class index of each target row (for classWeight): reads the targets (rows × targetCols) as given to fit. */
  classOf?(t: Matrix, row: number): number;
  /** Correct predictions among m rows (for the accuracy metric). */
  correct(k: Kernels, out: number, t: number, m: number, n: number): number;
}

const NAMES: Record<LossName, true> = {
  mse: true,
  meanSquaredError: true,
  mae: true,
  meanAbsoluteError: true,
  huber: true,
  binaryCrossentropy: true,
  categoricalCrossentropy: true,
  sparseCategoricalCrossentropy: true,
};

/** Class of a target row: argmax of a one-hot row, the 0/1 value of a single column. */
function argmaxClass(t: Matrix, row: number): number {
  const o = row * t.cols;
  if (t.cols === 1) return t.data[o] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let j = 1; j < t.cols; j++) if (t.data[o + j] > t.data[o + best]) best = j;
  return best;
}

function checkUnit(t: Matrix, name: string, loss: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) {
      throw new SimdnetError(
        'RANGE',
        `${name} row ${Math.floor(i / t.cols)} column ${i % t.cols} is ${d[i]}: ${loss} needs targets in [0, 1]`,
      );
    }
  }
}

/** Accuracy shared by the built-ins: argmax match for several outputs, a threshold for one. */
function correctCount(k: Kernels, out: number, t: number, m: number, n: number, threshold: number): number {
  return n > 1 ? k.accuracy_count(out, t, m, n) : k.binary_accuracy_count(out, t, m, threshold);
}

function builtin(
  name: LossName,
  fused: boolean,
  unitTargets: boolean,
  forward: Loss['forward'],
  backward: Loss['backward'],
  threshold: number,
): Loss {
  return {
    name,
    fused,
    targetCols: (n) => n,
    checkTargets: (t, what) => {
      if (unitTargets) checkUnit(t, what, name);
    },
    forward,
    backward,
    weighted: true,
    ...(unitTargets ? { classOf: argmaxClass } : {}), // classes only for the cross-entropies
    correct: (k, out, t, m, n) => correctCount(k, out, t, m, n, threshold),
  };
}

/** Sparse categorical cross-entropy fused with softmax: targets are one class index per row. */
function sparseSoftmaxCe(): Loss {
  return {
    name: 'sparseCategoricalCrossentropy',
    fused: true,
    targetCols: () => 1,
    checkTargets: (t, what) => {
      // n is not known here; labels must be integers >= 0 (the upper bound is checked by checkLabels()).
      const d = t.data;
      for (let i = 0; i < d.length; i++) {
        if (!(Number.isInteger(d[i]) && d[i] >= 0)) {
          throw new SimdnetError(
            'RANGE',
            `${what} row ${i} is ${d[i]}: sparseCategoricalCrossentropy needs integer class indices >= 0`,
          );
        }
      }
    },
    forward: (k, z, h, t, m, n, w = 0) => k.sparse_softmax_ce_forward(h, z, t, w, m, n),
    backward: (k, d, _z, h, t, m, n, w = 0) => k.sparse_softmax_ce_backward(d, h, t, w, m, n),
    weighted: true,
    classOf: (t, row) => t.data[row],
    correct: (k, z, t, m, n) => k.sparse_accuracy_count(z, t, m, n),
  };
}

/** Checks sparse labels against the number of classes (RANGE naming the first one out of range). */
export function checkLabels(t: Matrix, classes: number, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (d[i] >= classes)
      throw new SimdnetError(
        'RANGE',
        `${what} row ${i} is class ${d[i]}, but the model has ${classes} outputs (classes 0..${classes - 1})`,
      );
  }
}

/**
 * The kernels for a built-in loss after a final activation. Softmax + categorical cross-entropy and sigmoid +
 * binary cross-entropy fuse: the loss reads logits, which is both faster and stable for confident predictions.
 * `canFuse` is false when something other than the activation sits between the last layer and the loss.
 */
export function planLoss(loss: unknown, last: Activation, canFuse = true, options: LossOptions = {}): Loss {
  if (typeof loss !== 'string' || !Object.hasOwn(NAMES, loss)) {
    throw new SimdnetError(
      'RANGE',
      `unknown loss '${String(loss)}' (one of ${Object.keys(NAMES).join(', ')}, or a Loss object)`,
    );
  }
  check(
    typeof last === 'string' && (ACTIVATIONS as readonly string[]).includes(last),
    typeof last === 'string' ? 'RANGE' : 'DTYPE',
    () =>
      `planLoss(): the last activation must be one of ${ACTIVATIONS.join(', ')}, got ${typeof last === 'string' ? JSON.stringify(last) : last === null ? 'null' : typeof last}`,
  );
  check(
    typeof canFuse === 'boolean',
    'DTYPE',
    () =>
      `planLoss(): canFuse must be true or false, got ${canFuse === null ? 'null' : typeof canFuse === 'string' ? JSON.stringify(canFuse) : typeof canFuse}`,
  );
  check(
    typeof options === 'object' && options !== null && !Array.isArray(options),
    'RANGE',
    'compile(): lossOptions must be an object such as { delta: 1 }',
  );
  for (const key of Object.keys(options)) {
    check(key === 'delta', 'RANGE', () => `compile(): unknown lossOptions key '${key}' (only 'delta', for 'huber')`);
  }
  const delta = options.delta ?? 1;
  check(
    loss === 'huber' || options.delta === undefined,
    'RANGE',
    () => `compile(): lossOptions.delta is for the 'huber' loss, not '${loss}'`,
  );
  check(
    typeof delta === 'number' && Number.isFinite(delta) && delta > 0 && delta <= 1e30,
    'RANGE',
    () => `compile(): huber delta must be a finite number > 0, got ${String(delta)}`,
  );
  const name = loss as LossName;
  switch (name) {
    case 'mse':
    case 'meanSquaredError':
      return builtin(
        name,
        false,
        false,
        (k, out, _h, t, m, n, w = 0) => k.mse_forward(out, t, w, m, n),
        (k, d, out, _h, t, m, n, w = 0) => k.mse_backward(d, out, t, w, m, n),
        0.5,
      );
    case 'mae':
    case 'meanAbsoluteError':
      return builtin(
        name,
        false,
        false,
        (k, out, _h, t, m, n, w = 0) => k.mae_forward(out, t, w, m, n),
        (k, d, out, _h, t, m, n, w = 0) => k.mae_backward(d, out, t, w, m, n),
        0.5,
      );
    case 'huber':
      return builtin(
        name,
        false,
        false,
        (k, out, _h, t, m, n, w = 0) => k.huber_forward(out, t, w, m, n, delta),
        (k, d, out, _h, t, m, n, w = 0) => k.huber_backward(d, out, t, w, m, n, delta),
        0.5,
      );
    case 'binaryCrossentropy':
      return canFuse && last === 'sigmoid'
        ? builtin(
            name,
            true,
            true,
            (k, z, _h, t, m, n, w = 0) => k.bce_logits_forward(z, t, w, m, n),
            (k, d, z, _h, t, m, n, w = 0) => k.bce_logits_backward(d, z, t, w, m, n),
            0,
          )
        : builtin(
            name,
            false,
            true,
            (k, p, _h, t, m, n, w = 0) => k.bce_forward(p, t, w, m, n),
            (k, d, p, _h, t, m, n, w = 0) => k.bce_backward(d, p, t, w, m, n),
            0.5,
          );
    case 'categoricalCrossentropy':
      return canFuse && last === 'softmax'
        ? builtin(
            name,
            true,
            true,
            (k, z, h, t, m, n, w = 0) => k.softmax_ce_forward(h, z, t, w, m, n),
            (k, d, _z, h, t, m, n, w = 0) => k.softmax_ce_backward(d, h, t, w, m, n),
            0,
          )
        : builtin(
            name,
            false,
            true,
            (k, p, _h, t, m, n, w = 0) => k.ce_forward(p, t, w, m, n),
            (k, d, p, _h, t, m, n, w = 0) => k.ce_backward(d, p, t, w, m, n),
            0.5,
          );
    case 'sparseCategoricalCrossentropy':
      // Only the fused form: class indices against logits. Probabilities from another activation are refused
      // rather than guessed at.
      check(
        canFuse && last === 'softmax',
        'RANGE',
        "loss 'sparseCategoricalCrossentropy' needs a model whose last layer ends in softmax (it reads the logits)",
      );
      return sparseSoftmaxCe();
  }
}

/** True for a Loss object (rather than a name or a {@link CustomLoss} on views). */
export function isLoss(v: unknown): v is Loss {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Loss).forward === 'function' &&
    typeof (v as Loss).backward === 'function' &&
    typeof (v as Loss).targetCols === 'function'
  );
}

/**
 * A loss written on plain Float32Array views, for compile({ loss }). `out` holds the model's outputs for the batch
 * (after the last activation: probabilities for softmax/sigmoid), `target` the targets, both rows × cols,
 * row-major; treat them as read-only. `forward` returns the batch's mean loss; `backward` writes d(loss)/d(out)
 * into `grad` (zeroed before the call). The views are made afresh over the engine's memory for each call: do not
 * keep them between calls.
 */
export interface CustomLoss {
  /** Shown in logs and errors (default 'custom'). */
  name?: string;
  forward(out: Float32Array, target: Float32Array, rows: number, cols: number): number;
  backward(out: Float32Array, target: Float32Array, grad: Float32Array, rows: number, cols: number): void;
}

/** True for a {@link CustomLoss}: forward and backward functions, without the pointer-level Loss's targetCols. */
export function isCustomLoss(v: unknown): v is CustomLoss {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as CustomLoss).forward === 'function' &&
    typeof (v as CustomLoss).backward === 'function' &&
    (v as Loss).targetCols === undefined
  );
}

/**
 * Wraps a {@link CustomLoss} as a Loss the training loop runs: views over `memory()` (the model's engine memory,
 * read per call since it may have grown), the value and the gradient checked finite (NONFINITE naming the loss).
 */
export function viewLoss(spec: CustomLoss, memory: () => WebAssembly.Memory): Loss {
  const name = spec.name ?? 'custom';
  check(
    typeof name === 'string',
    'DTYPE',
    () => `compile(): a custom loss's name must be a string, got ${typeof name}`,
  );
  const view = (p: number, len: number): Float32Array => new Float32Array(memory().buffer, p, len);
  return {
    name,
    fused: false,
    targetCols: (n) => n,
    checkTargets: () => {},
    forward: (_k, out, _h, t, m, n) => {
      const v: unknown = spec.forward(view(out, m * n), view(t, m * n), m, n);
      check(
        typeof v === 'number',
        'DTYPE',
        () => `custom loss '${name}': forward must return a number, got ${v === null ? 'null' : typeof v}`,
      );
      check(
        Number.isFinite(v),
        'NONFINITE',
        () => `custom loss '${name}': forward returned ${v} for a batch of ${m} rows`,
      );
      return v as number;
    },
    backward: (k, d, out, _h, t, m, n) => {
      k.fill_f32(d, m * n, 0);
      spec.backward(view(out, m * n), view(t, m * n), view(d, m * n), m, n);
      if (k.count_nonfinite(d, m * n) > 0) {
        const g = view(d, m * n);
        const i = g.findIndex((x) => !Number.isFinite(x));
        throw new SimdnetError(
          'NONFINITE',
          `custom loss '${name}': backward wrote ${g[i]} into grad at row ${Math.floor(i / n)}, column ${i % n}`,
        );
      }
    },
    correct: (k, out, t, m, n) => correctCount(k, out, t, m, n, 0.5),
  };
}
