// Convolution-network kernels over NHWC maps (channels last, Keras / TF.js layout), HWIO kernels.
// Two ways to run a conv layer: im2col / col2im feeding the GEMM kernels (forward = im2col_nhwc + gemm_forward
// with the kernel as a (kh·kw·c, f) matrix; filter gradient gemm_backward_w on the saved cols; data gradient
// gemm_backward_x + col2im_nhwc), or the direct kernels that read the maps in place and need no cols
// (conv2d_forward_nhwc, conv2d_backward_w_nhwc, conv2d_backward_x_nhwc; micro-kernels f32-conv-*-4x8.ts).
// Plus max / average / global average pooling, batch normalization and zero padding.
export { im2col_nhwc, im2col_nhwc_i8, col2im_nhwc } from './im2col';
export {
  maxpool2d_forward, maxpool2d_backward, avgpool2d_forward, avgpool2d_backward, global_avgpool_forward,
  global_avgpool_backward,
} from './pool';
export { batchnorm_stats, batchnorm_forward, batchnorm_backward, ema_update, channel_affine } from './batchnorm';
export {
  conv2d_forward_nhwc, conv2d_forward_nhwc_rows, conv2d_backward_w_nhwc, conv2d_backward_w_nhwc_rows, conv2d_backward_x_nhwc, conv2d_backward_x_workspace_size,
} from './conv2d';
export { zero_pad2d_forward, crop2d_backward } from './pad';
