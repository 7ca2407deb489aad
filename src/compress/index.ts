// Model compression and reuse: quantization, mixed precision, pruning, distillation, transfer learning and
// explanations. Each technique lives in its own module; this file only re-exports their public names.
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
