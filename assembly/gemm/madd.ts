// a·b + c per lane: the one multiply-add of every GEMM and conv micro-kernel. The same source is compiled twice
// (asconfig.json): the SIMD128 build (simdnet.wasm) keeps mul then add, rounding twice, exactly as before; the
// relaxed build (assembly/relaxed.ts, carried inside simdnet.wasm as a custom section) emits f32x4.relaxed_madd,
// which the engine may fuse (one rounding: x64 with FMA3, arm64) or not. A compile-time branch: no cost either way.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
