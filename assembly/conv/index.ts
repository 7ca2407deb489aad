// Convolution-network kernels over NHWC maps (channels last, Keras / TF.js layout): im2col / col2im feeding the
// GEMM kernels (conv forward = im2col + gemm_forward with the HWIO kernel as a (kh·kw·c, f) matrix; filter
// gradient gemm_backward_w from the saved cols; data gradient gemm_backward_x + col2im), max / average / global
// average pooling, and batch normalization.
export { im2col_nhwc, col2im_nhwc } from './im2col';
export {
  maxpool2d_forward, maxpool2d_backward, avgpool2d_forward, avgpool2d_backward, global_avgpool_forward,
  global_avgpool_backward,
} from './pool';
export { batchnorm_stats, batchnorm_forward, batchnorm_backward, ema_update, channel_affine } from './batchnorm';
export {
  conv2d_forward_nhwc, conv2d_backward_w_nhwc, conv2d_backward_x_nhwc, conv2d_backward_x_workspace_size,
} from './conv2d';
