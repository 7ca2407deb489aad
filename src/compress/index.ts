// `simdnet/compress`: what makes a model smaller and faster — quantization, mixed precision, pruning and
// distillation, with the runtimes of their outputs (QuantizedModel, SparseModel). A subpath of its own so that
// `import 'simdnet'` does not compile it on every cold start. Each technique lives in its own module; this file
// only re-exports their public names. (Transfer learning and explanations, also in this folder, are on the main
// entry: see src/index.ts.)
export {
  distill,
  distillationLoss,
  distillationTargets,
  type DistillOptions,
  type DistillationLossOptions,
} from './distill.js';
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
export type { InferenceModel, PlanEvalResult } from '../model/plan.js';
