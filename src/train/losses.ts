import { check, SimdnetError } from '../errors.js';
import type { Matrix } from '../data/matrix.js';
import { ACTIVATIONS, type Activation } from '../layers/activations.js';
import type { Kernels } from '../runtime/abi.js';

/** Loss names accepted by compile(). */
export type LossName = 'mse' | 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy';

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
  /** Mean loss over m rows. */
  forward(k: Kernels, out: number, head: number, t: number, m: number, n: number): number;
  /** Writes d(mean loss)/d(out) into dOut; runs after forward on the same rows. */
  backward(k: Kernels, dOut: number, out: number, head: number, t: number, m: number, n: number): void;
  /** Correct predictions among m rows (for the accuracy metric). */
  correct(k: Kernels, out: number, t: number, m: number, n: number): number;
}

const NAMES: Record<LossName, true> = { mse: true, meanSquaredError: true, binaryCrossentropy: true, categoricalCrossentropy: true };

function checkUnit(t: Matrix, name: string, loss: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] >= 0 && d[i] <= 1)) {
      throw new SimdnetError('RANGE', `${name} row ${Math.floor(i / t.cols)} column ${i % t.cols} is ${d[i]}: ${loss} needs targets in [0, 1]`);
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
    correct: (k, out, t, m, n) => correctCount(k, out, t, m, n, threshold),
  };
}

/**
 * The kernels for a built-in loss after a final activation. Softmax + categorical cross-entropy and sigmoid +
 * binary cross-entropy fuse: the loss reads logits, which is both faster and stable for confident predictions.
 * `canFuse` is false when something other than the activation sits between the last layer and the loss.
 */
export function planLoss(loss: unknown, last: Activation, canFuse = true): Loss {
  if (typeof loss !== 'string' || !Object.hasOwn(NAMES, loss)) {
    throw new SimdnetError('RANGE', `unknown loss '${String(loss)}' (one of ${Object.keys(NAMES).join(', ')}, or a Loss object)`);
  }
  check(typeof last === 'string' && (ACTIVATIONS as readonly string[]).includes(last), typeof last === 'string' ? 'RANGE' : 'DTYPE', () => `planLoss(): the last activation must be one of ${ACTIVATIONS.join(', ')}, got ${typeof last === 'string' ? JSON.stringify(last) : last === null ? 'null' : typeof last}`);
  check(typeof canFuse === 'boolean', 'DTYPE', () => `planLoss(): canFuse must be true or false, got ${canFuse === null ? 'null' : typeof canFuse === 'string' ? JSON.stringify(canFuse) : typeof canFuse}`);
  const name = loss as LossName;
  switch (name) {
    case 'mse':
    case 'meanSquaredError':
      return builtin(name, false, false, (k, out, _h, t, m, n) => k.mse_forward(out, t, m, n), (k, d, out, _h, t, m, n) => k.mse_backward(d, out, t, m, n), 0.5);
    case 'binaryCrossentropy':
      return canFuse && last === 'sigmoid'
        ? builtin(name, true, true, (k, z, _h, t, m, n) => k.bce_logits_forward(z, t, m, n), (k, d, z, _h, t, m, n) => k.bce_logits_backward(d, z, t, m, n), 0)
        : builtin(name, false, true, (k, p, _h, t, m, n) => k.bce_forward(p, t, m, n), (k, d, p, _h, t, m, n) => k.bce_backward(d, p, t, m, n), 0.5);
    case 'categoricalCrossentropy':
      return canFuse && last === 'softmax'
        ? builtin(name, true, true, (k, z, h, t, m, n) => k.softmax_ce_forward(h, z, t, m, n), (k, d, _z, h, t, m, n) => k.softmax_ce_backward(d, h, t, m, n), 0)
        : builtin(name, false, true, (k, p, _h, t, m, n) => k.ce_forward(p, t, m, n), (k, d, p, _h, t, m, n) => k.ce_backward(d, p, t, m, n), 0.5);
  }
}

/** True for a Loss object (rather than a name). */
export function isLoss(v: unknown): v is Loss {
  return typeof v === 'object' && v !== null && typeof (v as Loss).forward === 'function' && typeof (v as Loss).backward === 'function';
}
