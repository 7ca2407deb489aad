// Pruning and sparse inference kernels: the mask that keeps pruned weights at zero during fine-tuning, and
// sparse × dense products on CSR weights.
export { mask_f32 } from './mask';
export { sparse_csr_forward } from './csr';
