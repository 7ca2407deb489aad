// simdnet: neural networks on WebAssembly SIMD. Named exports only.
export { init, createEngine, getEngine, Engine, type Backend, type EngineOptions } from './runtime/engine.js';
export { simdSupported, type WasmSource } from './runtime/loader.js';
export { SimdnetError, type ErrorCode } from './errors.js';
export { Rng } from './random.js';

export {
  dense,
  dropout,
  activation,
  conv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  flatten,
  reshape,
  permute,
  zeroPadding2d,
  batchNormalization,
  type DenseOptions,
  type Conv2dOptions,
  type Pooling2dOptions,
  type BatchNormalizationOptions,
  type ZeroPadding,
  type Shape,
} from './layers/index.js';
export type {
  Activation,
  ActivationSpec,
  DenseSpec,
  DropoutSpec,
  Conv2dSpec,
  Pooling2dSpec,
  GlobalAveragePooling2dSpec,
  FlattenSpec,
  ReshapeSpec,
  PermuteSpec,
  ZeroPadding2dSpec,
  BatchNormalizationSpec,
  Initializer,
  LayerSpec,
  Regularizer,
} from './layers/index.js';
export {
  sequential,
  Sequential,
  type ModelOptions,
  type CompileOptions,
  type TargetInput,
  type WeightTensor,
  type EvalResult,
  type EvaluateOptions,
  type TrainHook,
} from './model/sequential.js';
export * from './metrics/index.js';
export {
  sgd,
  adam,
  rmsprop,
  adagrad,
  Optimizer,
  type OptimizerConfig,
  type SgdConfig,
  type AdamConfig,
  type RmspropConfig,
  type AdagradConfig,
} from './train/optimizers.js';
export { planLoss, type Loss, type LossName, type LossOptions, type CustomLoss } from './train/losses.js';
export type { FitOptions } from './train/fit.js';
export type { Batch, BatchSource } from './train/stream.js';
export {
  stepDecay,
  exponentialDecay,
  cosineDecay,
  type LearningRateSchedule,
  type StepDecayOptions,
  type ExponentialDecayOptions,
  type CosineDecayOptions,
} from './train/schedules.js';
export {
  earlyStopping,
  modelCheckpoint,
  reduceLROnPlateau,
  type ModelCheckpointOptions,
  type ReduceLROnPlateauOptions,
  type Callback,
  type EpochLogs,
  type BatchLogs,
  type TrainBegin,
  type History,
  type EarlyStoppingOptions,
} from './train/callbacks.js';
export { progressLogger, type ProgressOptions } from './train/progress.js';
export { saveModel, loadModel, FORMAT_VERSION, type LoadOptions } from './io/format.js';
export { saveModelFile, loadModelFile, loadModelFileSync } from './io/file.js';
export * from './data/index.js';
// Reuse and explanations (model-level tools on the main entry); compression is on the 'simdnet/compress' subpath.
export { transfer, featureExtractor, freezeLayers, type TransferOptions } from './compress/transfer.js';
export {
  saliency,
  integratedGradients,
  logits,
  type ExplainSpace,
  type OutputChoice,
  type SaliencyOptions,
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
} from './compress/explain.js';
