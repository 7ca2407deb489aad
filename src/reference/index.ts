// The plain-TypeScript twins of every kernel: same names and argument order as the wasm ABI
// (src/runtime/abi.ts), typed arrays in place of pointers. Test oracle, the "JS" side of SIMD-vs-JS, and the
// js backend.
export { gemm_forward, gemm_forward_cols, gemm_backward_w, gemm_backward_w_rows, gemm_backward_x } from './gemm.js';
export { bias_forward, bias_backward } from './bias.js';
export {
  sigmoid_forward,
  sigmoid_backward,
  tanh_forward,
  tanh_backward,
  relu_forward,
  relu_backward,
  leaky_relu_forward,
  leaky_relu_backward,
  softmax_forward,
  softmax_backward,
} from './activations.js';
export {
  mse_forward,
  mse_backward,
  bce_forward,
  bce_backward,
  bce_logits_forward,
  bce_logits_backward,
  softmax_ce_forward,
  softmax_ce_backward,
  ce_forward,
  ce_backward,
  mae_forward,
  mae_backward,
  huber_forward,
  huber_backward,
  sparse_softmax_ce_forward,
  sparse_softmax_ce_backward,
  sparse_accuracy_count,
} from './losses.js';
export {
  l1_forward,
  l1_backward,
  l2_forward,
  l2_backward,
  sgd_update,
  momentum_update,
  nesterov_update,
  adam_update,
  adamw_update,
  rms_update,
} from './optim.js';
export { dropout_forward, dropout_backward } from './dropout.js';
export {
  fill_f32,
  scale_f32,
  sum_squares,
  count_nonfinite,
  gather_rows,
  argmax_rows,
  accuracy_count,
  binary_accuracy_count,
  image_shift,
} from './util.js';
export { permute_forward } from './permute.js';
export { zero_pad2d_forward, crop2d_backward } from './pad.js';
export { mask_f32, sparse_csr_forward } from './sparse.js';
export { distill_forward, distill_backward, distill_accuracy_count } from './distill.js';
export {
  q8_packed_size,
  q8_pack_b,
  q8_gemm,
  q8_absmax,
  q8_quantize,
  q8_dequantize,
  q8_requantize,
  q8_quantize_weights,
  q8_fake_quant,
  f16_from_f32,
  f16_to_f32,
} from './quant.js';
export { xxh32_reset, xxh32_update, xxh32_digest } from './xxh32.js';
export { confusion_counts, confusion_counts_binary, regression_sums, center_scale_cols } from './metrics.js';
export {
  im2col_nhwc,
  im2col_nhwc_i8,
  col2im_nhwc,
  conv2d_forward_nhwc,
  conv2d_forward_nhwc_rows,
  conv2d_backward_w_nhwc,
  conv2d_backward_w_nhwc_rows,
  conv2d_backward_x_nhwc,
  conv2d_backward_x_workspace_size,
  maxpool2d_forward,
  maxpool2d_backward,
  avgpool2d_forward,
  avgpool2d_backward,
  global_avgpool_forward,
  global_avgpool_backward,
  batchnorm_stats,
  batchnorm_forward,
  batchnorm_backward,
  ema_update,
  channel_affine,
} from './conv.js';
