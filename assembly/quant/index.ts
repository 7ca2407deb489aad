// Quantization and mixed-precision kernels: int8 GEMM (q8-gemm.ts), int8 conversions (q8-convert.ts) and
// f16 ⇄ f32 (f16.ts). Only the ABI is re-exported.
export { q8_packed_size, q8_pack_b, q8_gemm } from './q8-gemm';
export {
  q8_absmax,
  q8_quantize,
  q8_dequantize,
  q8_requantize,
  q8_quantize_weights,
  q8_fake_quant,
} from './q8-convert';
export { f16_from_f32, f16_to_f32 } from './f16';
