// Model compression and reuse: quantization, mixed precision, pruning, distillation, transfer learning and
// explanations. Each technique lives in its own module; this file only re-exports their public names.
