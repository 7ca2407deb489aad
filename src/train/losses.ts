import { SimdnetError } from '../errors.js';
import type { Activation } from '../layers/activations.js';
import type { Kernels } from '../runtime/abi.js';

/** Loss names accepted by compile(). */
export type LossName = 'mse' | 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy';

/** How a loss runs: which kernels, and whether it takes over the last activation (fused, from logits). */
export type LossKind = 'mse' | 'bce' | 'bceLogits' | 'ce' | 'softmaxCe';

const NAMES: Record<LossName, true> = { mse: true, meanSquaredError: true, binaryCrossentropy: true, categoricalCrossentropy: true };

/**
 * Picks the kernels for a loss after a final activation. Softmax + categorical cross-entropy and sigmoid +
 * binary cross-entropy fuse: the loss reads logits, which is both faster and stable for confident predictions.
 */
export function planLoss(loss: unknown, last: Activation): { kind: LossKind; fused: boolean } {
  if (typeof loss !== 'string' || !(loss in NAMES)) {
    throw new SimdnetError('RANGE', `unknown loss '${String(loss)}' (one of ${Object.keys(NAMES).join(', ')})`);
  }
  switch (loss as LossName) {
    case 'mse':
    case 'meanSquaredError':
      return { kind: 'mse', fused: false };
    case 'binaryCrossentropy':
      return last === 'sigmoid' ? { kind: 'bceLogits', fused: true } : { kind: 'bce', fused: false };
    case 'categoricalCrossentropy':
      return last === 'softmax' ? { kind: 'softmaxCe', fused: true } : { kind: 'ce', fused: false };
  }
}

/** Mean loss of m rows; `out` is the last layer's output (logits when fused); softmaxCe writes probs to `head`. */
export function lossForward(k: Kernels, kind: LossKind, out: number, head: number, t: number, m: number, n: number): number {
  switch (kind) {
    case 'mse':
      return k.mse_forward(out, t, m, n);
    case 'bce':
      return k.bce_forward(out, t, m, n);
    case 'bceLogits':
      return k.bce_logits_forward(out, t, m, n);
    case 'ce':
      return k.ce_forward(out, t, m, n);
    case 'softmaxCe':
      return k.softmax_ce_forward(head, out, t, m, n);
  }
}

/** Writes d(mean loss)/d(out) into `dOut`; for softmaxCe it reads the probs lossForward left in `head`. */
export function lossBackward(k: Kernels, kind: LossKind, dOut: number, out: number, head: number, t: number, m: number, n: number): void {
  switch (kind) {
    case 'mse':
      return k.mse_backward(dOut, out, t, m, n);
    case 'bce':
      return k.bce_backward(dOut, out, t, m, n);
    case 'bceLogits':
      return k.bce_logits_backward(dOut, out, t, m, n);
    case 'ce':
      return k.ce_backward(dOut, out, t, m, n);
    case 'softmaxCe':
      return k.softmax_ce_backward(dOut, head, t, m, n);
  }
}

/** Correct predictions among m rows: argmax match for several outputs, thresholded for one. */
export function correctCount(k: Kernels, kind: LossKind, out: number, t: number, m: number, n: number): number {
  if (n > 1) return k.accuracy_count(out, t, m, n);
  return k.binary_accuracy_count(out, t, m, kind === 'bceLogits' ? 0 : 0.5);
}
