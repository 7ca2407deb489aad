// The layer types the compression tools (int8/f16 quantization, pruning, sparse inference) handle today: the
// dense stack. Convolutional models are refused by name here until those tools run on the one execution plan.
import { SimdnetError } from '../errors.js';
import type { LayerSpec } from '../layers/spec.js';

const HANDLED = new Set<LayerSpec['type']>(['dense', 'dropout', 'activation']);

/** Throws UNSUPPORTED naming the first layer `what` cannot handle. */
export function requireDenseStack(layers: readonly LayerSpec[], what: string): void {
  const l = layers.find((s) => !HANDLED.has(s.type));
  if (l) {
    throw new SimdnetError('UNSUPPORTED', `${what}: layer '${l.name}' (${l.type}) is not supported yet (it handles dense, dropout and activation layers)`);
  }
}
