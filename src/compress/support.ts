// The layer types the compression tools (int8/f16 quantization and quantization-aware training, magnitude and
// structured pruning, sparse inference) handle. They run on the one execution plan (src/model/plan.ts), where a
// layer without a compressed form runs as its record's float forward, so every type below works in every tool;
// a layer type added later is refused here by name until the tools have been taught what it needs (a kernel
// whose channels they know how to quantize, prune or shrink).
import { SimdnetError } from '../errors.js';
import type { LayerSpec } from '../layers/spec.js';

const HANDLED: ReadonlySet<LayerSpec['type']> = new Set<LayerSpec['type']>([
  'dense',
  'conv2d',
  'dropout',
  'activation',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'flatten',
  'reshape',
  'permute',
  'zeroPadding2d',
  'batchNormalization',
]);

/** The layer types with a kernel the tools quantize, prune and shrink (dense: (inputs, units); conv2d: HWIO). */
export const KERNEL_TYPES: ReadonlySet<LayerSpec['type']> = new Set<LayerSpec['type']>(['dense', 'conv2d']);

/** True for a layer with a kernel (dense or conv2d). */
export const hasKernel = (l: LayerSpec): l is LayerSpec & { type: 'dense' | 'conv2d' } => KERNEL_TYPES.has(l.type);

/** Throws UNSUPPORTED naming the first layer `what` cannot handle, and its type. */
export function requireSupported(layers: readonly LayerSpec[], what: string): void {
  const l = layers.find((s) => !HANDLED.has(s.type));
  if (l) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${what}: layer '${l.name}' (${l.type}) is not supported yet (it handles ${[...HANDLED].join(', ')} layers)`,
    );
  }
}
