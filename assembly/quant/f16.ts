// IEEE half precision ⇄ f32 for f16 weight storage. SIMD128 has no f16 type, so both directions are integer bit
// manipulation on i32 lanes: the exponent is re-biased (127 ↔ 15), the mantissa shifted by 13 bits, and the
// special ranges (zero and subnormals, overflow, Inf and NaN) are computed alongside and picked with bitselect.
// f32 → f16 rounds to nearest even, overflows to ±Inf and gives the quiet NaN 0x7e00 (sign kept) for any NaN.

// h (n) u16 = f16 of x (n) f32.
export function f16_from_f32(h: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    v128.store(h + (<usize>i << 1), i16x8.narrow_i32x4_u(toHalf4(v128.load(p)), toHalf4(v128.load(p, 16))));
  }
  for (; i < n; i++) store<u16>(h + (<usize>i << 1), <u16>toHalf1(load<u32>(x + (<usize>i << 2))));
}

// x (n) f32 = the f16 values h (n) u16 (exact: every f16 is an f32).
export function f16_to_f32(x: usize, h: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const v = v128.load(h + (<usize>i << 1));
    const p = x + (<usize>i << 2);
    v128.store(p, toFloat4(i32x4.extend_low_i16x8_u(v)));
    v128.store(p, toFloat4(i32x4.extend_high_i16x8_u(v)), 16);
  }
  for (; i < n; i++) store<u32>(x + (<usize>i << 2), toFloat1(<u32>load<u16>(h + (<usize>i << 1))));
}

// Four f32 bit patterns → four f16 patterns in the low 16 bits of each i32 lane.
// @ts-ignore: decorator
@inline function toHalf4(u: v128): v128 {
  const sign = v128.and(u, i32x4.splat(0x80000000));
  const a = v128.xor(u, sign); // |x| bits
  // |x| >= 65536 (or Inf/NaN): Inf, or the quiet NaN when the bits lie above Inf.
  const big = i32x4.ge_s(a, i32x4.splat(0x47800000));
  const special = v128.bitselect(i32x4.splat(0x7e00), i32x4.splat(0x7c00), i32x4.gt_s(a, i32x4.splat(0x7f800000)));
  // |x| < 2^-14 (f16 subnormal or zero): adding 0.5 puts the f16 subnormal's units (2^-24) in the low mantissa
  // bits, rounded to nearest even by the f32 addition itself.
  const small = i32x4.lt_s(a, i32x4.splat(0x38800000));
  const sub = i32x4.sub(f32x4.add(a, f32x4.splat(0.5)), i32x4.splat(0x3f000000));
  // Normal: re-bias the exponent (−112 << 23) and round the 13 dropped bits to nearest even (+0xfff + odd bit).
  const odd = v128.and(i32x4.shr_u(a, 13), i32x4.splat(1));
  const norm = i32x4.shr_u(i32x4.add(i32x4.add(a, i32x4.splat(0xc8000fff)), odd), 13);
  const r = v128.bitselect(special, v128.bitselect(sub, norm, small), big);
  return v128.or(r, i32x4.shr_u(sign, 16));
}

// @ts-ignore: decorator
@inline function toHalf1(u: u32): u32 {
  const sign = u & 0x80000000;
  const a = u ^ sign;
  let r: u32;
  if (a >= 0x47800000) r = a > 0x7f800000 ? 0x7e00 : 0x7c00;
  else if (a < 0x38800000) r = reinterpret<u32>(reinterpret<f32>(a) + 0.5) - 0x3f000000;
  else r = (a + 0xc8000fff + ((a >> 13) & 1)) >> 13;
  return r | (sign >> 16);
}

// Four f16 patterns (zero-extended in i32 lanes) → four f32 bit patterns.
// @ts-ignore: decorator
@inline function toFloat4(h: v128): v128 {
  const o = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  const e = v128.and(o, i32x4.splat(0x0f800000));
  // Re-bias the exponent by +112; Inf/NaN (exponent all ones) by +112 more so it stays all ones.
  const inf = i32x4.eq(e, i32x4.splat(0x0f800000));
  let r = i32x4.add(i32x4.add(o, i32x4.splat(0x38000000)), v128.and(inf, i32x4.splat(0x38000000)));
  // Zero / subnormal: build 2^-14 · (1 + m/1024) and subtract 2^-14 (exact), which normalizes the value.
  const sub = f32x4.sub(i32x4.add(r, i32x4.splat(0x00800000)), f32x4.splat(6.103515625e-5));
  r = v128.bitselect(sub, r, i32x4.eq(e, i32x4.splat(0)));
  return v128.or(r, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

// @ts-ignore: decorator
@inline function toFloat1(h: u32): u32 {
  const o = (h & 0x7fff) << 13;
  const e = o & 0x0f800000;
  let r = o + 0x38000000;
  if (e == 0x0f800000) r += 0x38000000;
  else if (e == 0) r = reinterpret<u32>(reinterpret<f32>(r + 0x00800000) - 6.103515625e-5);
  return r | ((h & 0x8000) << 16);
}
