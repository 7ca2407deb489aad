// Option checks shared by the layer types that have kernels.
import { SimdnetError } from '../errors.js';
import type { Activation } from './activations.js';
import { nonNegative } from './layer.js';
import type { Initializer, Regularizer } from './spec.js';

const INITIALIZERS: readonly Initializer[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunNormal', 'zeros'];

export function checkInitializer(init: unknown, where: string): Initializer {
  if (!INITIALIZERS.includes(init as Initializer)) {
    throw new SimdnetError('RANGE', `${where}: unknown kernelInitializer '${String(init)}' (one of ${INITIALIZERS.join(', ')})`);
  }
  return init as Initializer;
}

/** He for relu-family activations (Keras users set it; we default to it), Glorot otherwise (Keras's default). */
export function defaultInitializer(activation: Activation): Initializer {
  return activation === 'relu' || activation === 'leakyRelu' ? 'heNormal' : 'glorotUniform';
}

/** A normalized copy of a regularizer, or undefined when it adds nothing. */
export function checkRegularizer(reg: Regularizer | undefined): Regularizer | undefined {
  if (!reg) return undefined;
  const l1 = nonNegative(reg.l1 ?? 0, 'kernelRegularizer.l1');
  const l2 = nonNegative(reg.l2 ?? 0, 'kernelRegularizer.l2');
  return l1 > 0 || l2 > 0 ? { l1, l2 } : undefined;
}

/** 'valid' or 'same'. */
export function checkPadding(p: unknown, where: string): 'valid' | 'same' {
  if (p !== 'valid' && p !== 'same') throw new SimdnetError('RANGE', `${where}: padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
  return p;
}

/**
 * Output size and leading pad of one spatial axis, as TensorFlow computes them: 'valid' keeps windows inside the
 * input; 'same' gives ceil(in / stride) outputs with the padding split evenly, the odd one at the end.
 */
export function windowAxis(size: number, window: number, stride: number, padding: 'valid' | 'same'): { out: number; pad: number } {
  if (padding === 'valid') return { out: size >= window ? Math.floor((size - window) / stride) + 1 : 0, pad: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  return { out, pad: Math.floor(total / 2) };
}
