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

/** A 2-D convolution over NHWC maps: y = act(conv(x, K) + b), K (kh, kw, inChannels, filters) as Keras (HWIO). */
export interface Conv2dSpec {
  type: 'conv2d';
  name: string;
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  activation: Activation;
  alpha: number;
  useBias: boolean;
  kernelInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  trainable: boolean;
  /** [height, width, channels] of the input, when this is the first layer and it is known up front. */
  inputShape?: [number, number, number];
}

/** Max or average over windows of each channel of an NHWC map. */
export interface Pooling2dSpec {
  type: 'maxPooling2d' | 'averagePooling2d';
  name: string;
  poolSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  inputShape?: [number, number, number];
}

/** The mean of each channel over a map's height and width: (h, w, c) → (c). */
export interface GlobalAveragePooling2dSpec {
  type: 'globalAveragePooling2d';
  name: string;
  inputShape?: [number, number, number];
}

/** Flattens a sample to a vector (NHWC order: row, column, channel); no copy. */
export interface FlattenSpec {
  type: 'flatten';
  name: string;
  inputShape?: number[];
}

/** Gives a sample another shape of the same size (one dimension may be -1: inferred); no copy. */
export interface ReshapeSpec {
  type: 'reshape';
  name: string;
  targetShape: number[];
  inputShape?: number[];
}

/**
 * The axes of each sample in another order (Keras Permute): output axis i is input axis dims[i − 1] (1-based over
 * the sample axes, a permutation of 1..rank, rank at most 4); [2, 3, 1] turns NCHW samples into NHWC.
 */
export interface PermuteSpec {
  type: 'permute';
  name: string;
  dims: number[];
  inputShape?: number[];
}

/**
 * Zeros around each [h, w, c] map (Keras ZeroPadding2D): padding [[top, bottom], [left, right]] rows and columns;
 * the output is [h + top + bottom, w + left + right, c].
 */
export interface ZeroPadding2dSpec {
  type: 'zeroPadding2d';
  name: string;
  padding: [[number, number], [number, number]];
  inputShape?: number[];
}

/**
 * Batch normalization over the last axis (channels): y = gamma · (x − mean) / sqrt(var + epsilon) + beta with the
 * batch's statistics while training (moving averages updated by `momentum`), the moving averages at inference.
 */
export interface BatchNormalizationSpec {
  type: 'batchNormalization';
  name: string;
  momentum: number;
  epsilon: number;
  /** A frozen batch norm also runs in inference mode while training (as Keras). */
  trainable: boolean;
  inputShape?: number[];
}

/** The serializable description of one layer (what save() writes and summary() shows). */
export type LayerSpec =
  | DenseSpec
  | DropoutSpec
  | ActivationSpec
  | Conv2dSpec
  | Pooling2dSpec
  | GlobalAveragePooling2dSpec
  | FlattenSpec
  | ReshapeSpec
  | PermuteSpec
  | ZeroPadding2dSpec
  | BatchNormalizationSpec;
