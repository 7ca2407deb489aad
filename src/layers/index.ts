import { SimdnetError } from '../errors.js';
import { checkActivation, type Activation } from './activations.js';
import type { ActivationSpec, DenseSpec, DropoutSpec, Initializer, LayerSpec, Regularizer } from './spec.js';

export type { Activation } from './activations.js';
export type { ActivationSpec, DenseSpec, DropoutSpec, Initializer, LayerSpec, Regularizer } from './spec.js';

const INITIALIZERS: readonly Initializer[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunNormal', 'zeros'];

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Default 'linear'. */
  activation?: Activation;
  /** Slope below zero for 'leakyRelu' (default 0.01). */
  alpha?: number;
  /** Default true. */
  useBias?: boolean;
  /** Default 'heNormal' for relu-family activations, 'glorotUniform' otherwise. */
  kernelInitializer?: Initializer;
  kernelRegularizer?: Regularizer;
  /** Default true; false freezes the layer (no gradients, updates or optimizer state). */
  trainable?: boolean;
  /** Input width of the first layer (else taken from the data at the first fit or predict). */
  inputDim?: number;
  /** Keras-style alternative to inputDim. */
  inputShape?: [number];
  name?: string;
}

let counter = 0;
const autoName = (kind: string): string => `${kind}_${++counter}`;

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new SimdnetError('RANGE', `${what} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new SimdnetError('RANGE', `${what} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

/** A fully connected layer with `units` outputs: y = activation(x · W + b). */
export function dense(units: number, options: DenseOptions = {}): DenseSpec {
  positiveInt(units, 'dense units');
  const activation = checkActivation(options.activation ?? 'linear', 'dense');
  const init = options.kernelInitializer ?? (activation === 'relu' || activation === 'leakyRelu' ? 'heNormal' : 'glorotUniform');
  if (!INITIALIZERS.includes(init)) {
    throw new SimdnetError('RANGE', `dense: unknown kernelInitializer '${String(init)}' (one of ${INITIALIZERS.join(', ')})`);
  }
  const inputDim = options.inputDim ?? options.inputShape?.[0];
  if (inputDim !== undefined) positiveInt(inputDim, 'dense inputDim');
  const reg = options.kernelRegularizer;
  if (reg) {
    nonNegative(reg.l1 ?? 0, 'kernelRegularizer.l1');
    nonNegative(reg.l2 ?? 0, 'kernelRegularizer.l2');
  }
  const spec: DenseSpec = {
    type: 'dense',
    name: options.name ?? autoName('dense'),
    units,
    activation,
    alpha: nonNegative(options.alpha ?? 0.01, 'dense alpha'),
    useBias: options.useBias ?? true,
    kernelInitializer: init,
    trainable: options.trainable ?? true,
  };
  if (reg && ((reg.l1 ?? 0) > 0 || (reg.l2 ?? 0) > 0)) spec.kernelRegularizer = { l1: reg.l1 ?? 0, l2: reg.l2 ?? 0 };
  if (inputDim !== undefined) spec.inputDim = inputDim;
  return spec;
}

/** Inverted dropout of a `rate` fraction (0 ≤ rate < 1) of its inputs while training. */
export function dropout(rate: number, options: { name?: string } = {}): DropoutSpec {
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new SimdnetError('RANGE', `dropout rate must be in [0, 1), got ${String(rate)}`);
  }
  return { type: 'dropout', name: options.name ?? autoName('dropout'), rate };
}

/** A standalone activation layer. */
export function activation(act: Activation, options: { alpha?: number; name?: string } = {}): ActivationSpec {
  return {
    type: 'activation',
    name: options.name ?? autoName('activation'),
    activation: checkActivation(act, 'activation'),
    alpha: nonNegative(options.alpha ?? 0.01, 'activation alpha'),
  };
}

/** Validates a spec that came from outside (a file, JSON): throws FORMAT naming the problem. */
export function validateSpec(s: unknown, i: number): LayerSpec {
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `layer ${i}: ${why}`);
  };
  if (typeof s !== 'object' || s === null) return bad('not an object');
  const o = s as Record<string, unknown>;
  if (typeof o.name !== 'string') bad('missing name');
  try {
    switch (o.type) {
      case 'dense': {
        const d = dense(o.units as number, {
          activation: o.activation as Activation,
          alpha: o.alpha as number,
          useBias: o.useBias as boolean,
          kernelInitializer: o.kernelInitializer as Initializer,
          kernelRegularizer: o.kernelRegularizer as Regularizer | undefined,
          trainable: o.trainable as boolean,
          inputDim: o.inputDim as number | undefined,
          name: o.name as string,
        });
        if (typeof o.useBias !== 'boolean' || typeof o.trainable !== 'boolean') bad('useBias/trainable must be booleans');
        return d;
      }
      case 'dropout':
        return dropout(o.rate as number, { name: o.name as string });
      case 'activation':
        return activation(o.activation as Activation, { alpha: o.alpha as number, name: o.name as string });
      default:
        return bad(`unknown layer type '${String(o.type)}'`);
    }
  } catch (err) {
    if (err instanceof SimdnetError && err.code !== 'FORMAT') bad(err.message);
    throw err;
  }
}
