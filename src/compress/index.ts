// Model compression and reuse: quantization, mixed precision, pruning, distillation, transfer learning and
// explanations. Each technique lives in its own module; this file only re-exports their public names.
export {
  distill,
  distillationLoss,
  distillationTargets,
  type DistillOptions,
  type DistillationLossOptions,
} from './distill.js';
export { transfer, featureExtractor, freezeLayers, type TransferOptions } from './transfer.js';
export {
  saliency,
  integratedGradients,
  logits,
  type ExplainSpace,
  type OutputChoice,
  type SaliencyOptions,
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
} from './explain.js';
export {
  pruneMagnitude,
  pruneIteratively,
  startPruning,
  pruningSession,
  sparsityOf,
  PruningSession,
  type PruneOptions,
  type PruneScope,
  type SparsityReport,
  type LayerSparsity,
  type IterativePruneOptions,
  type IterativePruneResult,
  type PruneRound,
} from './prune.js';
export { pruneNeurons, type NeuronPruneOptions, type NeuronScore } from './prune-neurons.js';
export {
  SparseModel,
  SPARSE_FORMAT_VERSION,
  type SparseOptions,
  type SparseLoadOptions,
  type SparseLayerInfo,
} from './prune-sparse.js';
export {
  quantizeModel,
  QuantizedModel,
  type Precision,
  type PrecisionPlan,
  type QuantMode,
  type QuantizeOptions,
  type QuantLayerInfo,
  type QuantEvalResult,
} from './quantize.js';
export {
  saveQuantized,
  loadQuantized,
  saveQuantizedFile,
  loadQuantizedFile,
  QUANT_FORMAT_VERSION,
  type QuantLoadOptions,
} from './quant-format.js';
export { fakeQuantize, fineTuneQuantized, type FakeQuantOptions, type FakeQuantHandle } from './quant-aware.js';
