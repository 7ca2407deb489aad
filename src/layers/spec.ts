import type { Activation } from './activations.js';

/** Weight initializers (seeded by the model). */
export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunNormal' | 'zeros';

/** L1/L2 penalties on a layer's kernel: loss += l1·Σ|w| + l2·Σw² (as Keras). */
export interface Regularizer {
  /** L1 factor: adds l1·Σ|w| to the loss (default 0). */
  l1?: number;
  /** L2 factor: adds l2·Σw² to the loss (default 0). */
  l2?: number;
}

/** A fully connected layer: y = act(x · W + b), W of shape (inputs, units). */
export interface DenseSpec {
  /** The layer kind. */
  type: 'dense';
  /** Unique name in the model (default `dense_<n>`). */
  name: string;
  /** Output width: the number of neurons. */
  units: number;
  /** Applied to x · W + b ('linear' for none). */
  activation: Activation;
  /** Slope for x < 0 when activation is 'leakyRelu'. */
  alpha: number;
  /** Whether the layer adds a bias b (default true). */
  useBias: boolean;
  /** How W is initialized (default 'heNormal' for relu and leakyRelu, 'glorotUniform' otherwise). */
  kernelInitializer: Initializer;
  /** Penalty on W added to the training loss. */
  kernelRegularizer?: Regularizer;
  /** Frozen layers get no gradients, no updates and no optimizer state. */
  trainable: boolean;
  /** Input width, when this is the first layer and it is known up front. */
  inputDim?: number;
}

/** Inverted dropout: zeroes a `rate` fraction of the inputs while training, identity at inference. */
export interface DropoutSpec {
  /** The layer kind. */
  type: 'dropout';
  /** Unique name in the model (default `dropout_<n>`). */
  name: string;
  /** Fraction of the inputs zeroed while training, in [0, 1). */
  rate: number;
}

/** A standalone activation. */
export interface ActivationSpec {
  /** The layer kind. */
  type: 'activation';
  /** Unique name in the model (default `activation_<n>`). */
  name: string;
  /** The function applied element-wise (softmax: over each sample's last axis). */
  activation: Activation;
  /** Slope for x < 0 when activation is 'leakyRelu'. */
  alpha: number;
}

/** A 2-D convolution over NHWC maps: y = act(conv(x, K) + b), K (kh, kw, inChannels, filters) as Keras (HWIO). */
export interface Conv2dSpec {
  /** The layer kind. */
  type: 'conv2d';
  /** Unique name in the model (default `conv2d_<n>`). */
  name: string;
  /** Number of output channels (one kernel each). */
  filters: number;
  /** Window [height, width]. */
  kernelSize: [number, number];
  /** Steps [down, across] between windows (default [1, 1]). */
  strides: [number, number];
  /** 'valid': windows inside the input only; 'same': zeros around it so the output is ceil(in / stride). */
  padding: 'valid' | 'same';
  /** Applied to conv(x, K) + b ('linear' for none). */
  activation: Activation;
  /** Slope for x < 0 when activation is 'leakyRelu'. */
  alpha: number;
  /** Whether the layer adds a bias per filter (default true). */
  useBias: boolean;
  /** How K is initialized (default 'heNormal' for relu and leakyRelu, 'glorotUniform' otherwise). */
  kernelInitializer: Initializer;
  /** Penalty on K added to the training loss. */
  kernelRegularizer?: Regularizer;
  /** Frozen layers get no gradients, no updates and no optimizer state. */
  trainable: boolean;
  /** [height, width, channels] of the input, when this is the first layer and it is known up front. */
  inputShape?: [number, number, number];
}

/** Max or average over windows of each channel of an NHWC map. */
export interface Pooling2dSpec {
  /** The layer kind: max or average pooling. */
  type: 'maxPooling2d' | 'averagePooling2d';
  /** Unique name in the model. */
  name: string;
  /** Window [height, width]. */
  poolSize: [number, number];
  /** Steps [down, across] between windows (default: the window size). */
  strides: [number, number];
  /** 'valid': windows inside the input only; 'same': partial windows at the edges count too. */
  padding: 'valid' | 'same';
  /** [height, width, channels] of the input, when this is the first layer. */
  inputShape?: [number, number, number];
}

/** The mean of each channel over a map's height and width: (h, w, c) → (c). */
export interface GlobalAveragePooling2dSpec {
  /** The layer kind. */
  type: 'globalAveragePooling2d';
  /** Unique name in the model. */
  name: string;
  /** [height, width, channels] of the input, when this is the first layer. */
  inputShape?: [number, number, number];
}

/** Flattens a sample to a vector (NHWC order: row, column, channel); no copy. */
export interface FlattenSpec {
  /** The layer kind. */
  type: 'flatten';
  /** Unique name in the model. */
  name: string;
  /** Shape of one input sample, when this is the first layer. */
  inputShape?: number[];
}

/** Gives a sample another shape of the same size (one dimension may be -1: inferred); no copy. */
export interface ReshapeSpec {
  /** The layer kind. */
  type: 'reshape';
  /** Unique name in the model. */
  name: string;
  /** Shape of each output sample (its product equals the input's size; one entry may be -1). */
  targetShape: number[];
  /** Shape of one input sample, when this is the first layer. */
  inputShape?: number[];
}

/**
 * The axes of each sample in another order (Keras Permute): output axis i is input axis dims[i − 1] (1-based over
 * the sample axes, a permutation of 1..rank, rank at most 4); [2, 3, 1] turns NCHW samples into NHWC.
 */
export interface PermuteSpec {
  /** The layer kind. */
  type: 'permute';
  /** Unique name in the model. */
  name: string;
  /** Output axis i is input axis dims[i − 1] (1-based, a permutation of 1..rank). */
  dims: number[];
  /** Shape of one input sample, when this is the first layer. */
  inputShape?: number[];
}

/**
 * Zeros around each [h, w, c] map (Keras ZeroPadding2D): padding [[top, bottom], [left, right]] rows and columns;
 * the output is [h + top + bottom, w + left + right, c].
 */
export interface ZeroPadding2dSpec {
  /** The layer kind. */
  type: 'zeroPadding2d';
  /** Unique name in the model. */
  name: string;
  /** Rows and columns of zeros: [[top, bottom], [left, right]]. */
  padding: [[number, number], [number, number]];
  /** [height, width, channels] of the input, when this is the first layer. */
  inputShape?: number[];
}

/**
 * Batch normalization over the last axis (channels): y = gamma · (x − mean) / sqrt(var + epsilon) + beta with the
 * batch's statistics while training (moving averages updated by `momentum`), the moving averages at inference.
 */
export interface BatchNormalizationSpec {
  /** The layer kind. */
  type: 'batchNormalization';
  /** Unique name in the model. */
  name: string;
  /** Weight of the old moving average in each update: avg = momentum·avg + (1 − momentum)·batch (default 0.99). */
  momentum: number;
  /** Added to the variance before its square root (default 0.001). */
  epsilon: number;
  /** A frozen batch norm also runs in inference mode while training (as Keras). */
  trainable: boolean;
  /** Shape of one input sample, when this is the first layer. */
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
