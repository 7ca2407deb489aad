import type { Activation } from './activations.js';

/** Weight initializers (seeded by the model). */
export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunNormal' | 'zeros';

/** L1/L2 penalties on a layer's kernel: loss += l1·Σ|w| + l2·Σw² (as Keras). */
export interface Regularizer {
  l1?: number;
  l2?: number;
}

/** A fully connected layer: y = act(x · W + b), W of shape (inputs, units). */
export interface DenseSpec {
  type: 'dense';
  name: string;
  units: number;
  activation: Activation;
  /** Slope for x < 0 when activation is 'leakyRelu'. */
  alpha: number;
  useBias: boolean;
  kernelInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  /** Frozen layers get no gradients, no updates and no optimizer state. */
  trainable: boolean;
  /** Input width, when this is the first layer and it is known up front. */
  inputDim?: number;
}

/** Inverted dropout: zeroes a `rate` fraction of the inputs while training, identity at inference. */
export interface DropoutSpec {
  type: 'dropout';
  name: string;
  rate: number;
}

/** A standalone activation. */
export interface ActivationSpec {
  type: 'activation';
  name: string;
  activation: Activation;
  alpha: number;
}

/** The serializable description of one layer (what save() writes and summary() shows). */
export type LayerSpec = DenseSpec | DropoutSpec | ActivationSpec;
