// The relaxed-SIMD build: the same GEMM and conv sources as simdnet.wasm compiled with relaxed-simd enabled, so
// their micro-kernels' madd() (gemm/madd.ts) is f32x4.relaxed_madd. Only the kernels whose time goes into
// multiply-add chains are exported, with the signatures of assembly/index.ts; the host (src/runtime/relaxed.ts)
// instantiates this module on the main module's memory and swaps these entries in where the runtime validates it.
// It must keep no static data (the main module's arena starts at the main module's heap_base): the scratch is the
// caller's, as in the main module, and gemm_workspace_size() lets the host check the two agree.

export function heap_base(): usize {
  return __heap_base;
}

export {
  gemm_workspace_size, gemm_forward, gemm_forward_cols, gemm_backward_w, gemm_backward_w_rows, gemm_backward_x,
} from './gemm/index';
export {
  conv2d_forward_nhwc, conv2d_forward_nhwc_rows, conv2d_backward_w_nhwc, conv2d_backward_w_nhwc_rows,
  conv2d_backward_x_nhwc, conv2d_backward_x_workspace_size,
} from './conv/conv2d';
