// Option checks shared by the layer types that have kernels.
import { SimdnetError } from '../errors.js';
import type { Activation } from './activations.js';
import { nonNegative } from './layer.js';
import type { Initializer, Regularizer } from './spec.js';

const INITIALIZERS: readonly Initializer[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunNormal',
  'zeros',
];

export function checkInitializer(init: unknown, where: string): Initializer {
  if (!INITIALIZERS.includes(init as Initializer)) {
    throw new SimdnetError(
      'RANGE',
      `${where}: unknown kernelInitializer '${String(init)}' (one of ${INITIALIZERS.join(', ')})`,
    );
  }
  return init as Initializer;
}

/** He for relu-family activations (Keras users set it; we default to it), Glorot otherwise (Keras's default). */
export function defaultInitializer(activation: Activation): Initializer {
  return activation === 'relu' || activation === 'leakyRelu' ? 'heNormal' : 'glorotUniform';
}

/**
 * The largest leakyRelu slope a layer takes. Keras puts no limit on it, but a slope beyond this multiplies the
 * negative side so much that a few layers overflow f32 (1e300 even becomes Infinity as the kernel's f32 argument).
 */
export const MAX_ALPHA = 1000;

/** A layer's leakyRelu slope: finite, >= 0 and at most MAX_ALPHA (RANGE naming `<where> alpha` otherwise). */
export function checkAlpha(v: unknown, where: string): number {
  const a = nonNegative(v, `${where} alpha`);
  if (a > MAX_ALPHA)
    throw new SimdnetError(
      'RANGE',
      `${where} alpha must be at most ${MAX_ALPHA} (a steeper slope overflows f32 within a few layers), got ${a}`,
    );
  return a;
}

/** A non-negative factor the kernels get as an f32: finite after Math.fround. */
function f32Factor(v: unknown, what: string): number {
  const x = nonNegative(v, what);
  if (!Number.isFinite(Math.fround(x)))
    throw new SimdnetError('RANGE', `${what} must be finite in f32 (at most 3.4e38), got ${x}`);
  return x;
}

/** A normalized copy of a regularizer, or undefined when it adds nothing. */
export function checkRegularizer(reg: Regularizer | undefined): Regularizer | undefined {
  if (!reg) return undefined;
  if (typeof reg !== 'object')
    throw new SimdnetError('RANGE', `kernelRegularizer must be { l1?, l2? }, got ${JSON.stringify(reg)}`);
  const l1 = f32Factor(reg.l1 ?? 0, 'kernelRegularizer.l1');
  const l2 = f32Factor(reg.l2 ?? 0, 'kernelRegularizer.l2');
  return l1 > 0 || l2 > 0 ? { l1, l2 } : undefined;
}

/** 'valid' or 'same'. */
export function checkPadding(p: unknown, where: string): 'valid' | 'same' {
  if (p !== 'valid' && p !== 'same')
    throw new SimdnetError('RANGE', `${where}: padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
  return p;
}

/**
 * Output size and leading pad of one spatial axis, as TensorFlow computes them: 'valid' keeps windows inside the
 * input; 'same' gives ceil(in / stride) outputs with the padding split evenly, the odd one at the end.
 */
export function windowAxis(
  size: number,
  window: number,
  stride: number,
  padding: 'valid' | 'same',
): { out: number; pad: number } {
  if (padding === 'valid') return { out: size >= window ? Math.floor((size - window) / stride) + 1 : 0, pad: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  return { out, pad: Math.floor(total / 2) };
}
