// Shared SIMD math for the non-GEMM kernels: bounded exp / expm1 / log / log1p on f32x4, plain SIMD128 only.
// Rounding to an integer uses the magic-number trick (x + 1.5·2^23 − 1.5·2^23) because f32x4.nearest is slow
// on V8/x64; clamps use pmin/pmax (ordered so that NaN passes through) instead of the slow f32x4.min/max.
// Polynomial coefficients are near-minimax fits (weighted least squares, Lawson iterations) made for this file.

// Splatted constants live in two small static tables (a few hundred bytes) and are read with v128.load: V8/x64
// (TurboFan) rebuilds every v128.const inside a loop with three instructions (movq, vmovq, vpunpcklqdq) rather
// than hoisting it, and with ~15 constants per exp that doubled the loop; a load is one instruction. Measured
// on 65536 floats: exp 64 → 51 us, sigmoid 93 → 84 us.
//   MAGIC = 1.5·2^23: adding and subtracting it rounds to the nearest integer (ties to even).
//   LN2_HI + LN2_LO = ln 2, split so k·LN2_HI is exact for |k| < 2^9 (Cody–Waite range reduction).
//   EXP_LO: below −87.33 e^x is subnormal in f32; vexp flushes it to 0 instead of building 2^k with k < −126.
//   EXPM1_LO: expm1 clamp; its result is −1 in f32 long before.
//   E2..E6: Q(r) ≈ (e^r − 1 − r)/r² on |r| <= ln2/2; relative error of e^r − 1 about 1.3e-8.
//   H0..H2: H(z) ≈ (log((1+s)/(1−s))/s − 2)/z, z = s² <= 0.0295; relative error of the log about 1e-9.

const KF = memory.data<f32>([
  1.44269504, 1.44269504, 1.44269504, 1.44269504, // LOG2E
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // MAGIC
  0.693145751953125, 0.693145751953125, 0.693145751953125, 0.693145751953125, // LN2_HI
  1.42860677e-6, 1.42860677e-6, 1.42860677e-6, 1.42860677e-6, // LN2_LO
  -87.33, -87.33, -87.33, -87.33, // EXP_LO
  -87.0, -87.0, -87.0, -87.0, // EXPM1_LO
  0.49999997, 0.49999997, 0.49999997, 0.49999997, // E2
  0.16666542, 0.16666542, 0.16666542, 0.16666542, // E3
  0.041667204, 0.041667204, 0.041667204, 0.041667204, // E4
  0.0083667058, 0.0083667058, 0.0083667058, 0.0083667058, // E5
  0.0013882484, 0.0013882484, 0.0013882484, 0.0013882484, // E6
  0.66666776, 0.66666776, 0.66666776, 0.66666776, // H0
  0.39977443, 0.39977443, 0.39977443, 0.39977443, // H1
  0.29874599, 0.29874599, 0.29874599, 0.29874599, // H2
  1.0, 1.0, 1.0, 1.0, // ONE
  2.0, 2.0, 2.0, 2.0, // TWO
  -2.0, -2.0, -2.0, -2.0, // NEG_TWO
], 16);

const KI = memory.data<i32>([
  127, 127, 127, 127, // I127: exponent bias
  0x3f3504f3, 0x3f3504f3, 0x3f3504f3, 0x3f3504f3, // I_SQRT_HALF: bits of √½
  0x80000000, 0x80000000, 0x80000000, 0x80000000, // I_SIGN: sign bit
], 16);

// Indices into KF and KI.
// @ts-ignore: decorator
@inline const LOG2E = 0;
// @ts-ignore: decorator
@inline const MAGIC = 1;
// @ts-ignore: decorator
@inline const LN2_HI = 2;
// @ts-ignore: decorator
@inline const LN2_LO = 3;
// @ts-ignore: decorator
@inline const EXP_LO = 4;
// @ts-ignore: decorator
@inline const EXPM1_LO = 5;
// @ts-ignore: decorator
@inline const E2 = 6;
// @ts-ignore: decorator
@inline const E3 = 7;
// @ts-ignore: decorator
@inline const E4 = 8;
// @ts-ignore: decorator
@inline const E5 = 9;
// @ts-ignore: decorator
@inline const E6 = 10;
// @ts-ignore: decorator
@inline const H0 = 11;
// @ts-ignore: decorator
@inline const H1 = 12;
// @ts-ignore: decorator
@inline const H2 = 13;
// @ts-ignore: decorator
@inline const ONE = 14;
// @ts-ignore: decorator
@inline const TWO = 15;
// @ts-ignore: decorator
@inline const NEG_TWO = 16;
// @ts-ignore: decorator
@inline const I127 = 0;
// @ts-ignore: decorator
@inline const I_SQRT_HALF = 1;
// @ts-ignore: decorator
@inline const I_SIGN = 2;

/** Splat f32 constant number i of KF (folded to a constant address). */
// @ts-ignore: decorator
@inline function cf(i: usize): v128 {
  return v128.load(KF + (i << 4));
}
/** Splat i32 constant number i of KI. */
// @ts-ignore: decorator
@inline function ci(i: usize): v128 {
  return v128.load(KI + (i << 4));
}

/** r = x − kf·ln2 for kf = round(x·log2e), so |r| <= ln2/2. */
// @ts-ignore: decorator
@inline function reduce(x: v128, kf: v128): v128 {
  return f32x4.sub(
    f32x4.sub(x, f32x4.mul(kf, cf(LN2_HI))),
    f32x4.mul(kf, cf(LN2_LO)),
  );
}

/** e^r − 1 for |r| <= ln2/2, accurate relative to the (small) result: r + r²·Q(r). */
// @ts-ignore: decorator
@inline function expm1_poly(r: v128): v128 {
  let q = f32x4.add(f32x4.mul(cf(E6), r), cf(E5));
  q = f32x4.add(f32x4.mul(q, r), cf(E4));
  q = f32x4.add(f32x4.mul(q, r), cf(E3));
  q = f32x4.add(f32x4.mul(q, r), cf(E2));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
}

/**
 * e^x for x <= ~88 (used with x <= 0). Lanes below −87.33 give 0 (flushed instead of subnormal); NaN gives NaN.
 * About 1–2 ulp against the exact value.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  const magic = cf(MAGIC);
  const t = f32x4.add(f32x4.mul(x, cf(LOG2E)), magic);
  const kf = f32x4.sub(t, magic);
  // bits(t) − bits(magic) is k itself (t and magic share their exponent); 2^k = (k + 127) << 23.
  const k = i32x4.sub(t, magic);
  const scale = i32x4.shl(i32x4.add(k, ci(I127)), 23);
  const p = f32x4.add(expm1_poly(reduce(x, kf)), cf(ONE));
  // Lanes with x < EXP_LO hold garbage from an out-of-range k: clear them (NaN is not < EXP_LO, so it stays).
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, cf(EXP_LO)));
}

/** e^x − 1 for x <= 0 (also NaN → NaN), accurate near 0: 2^k·(e^r − 1) + (2^k − 1). */
// @ts-ignore: decorator
@inline export function vexpm1_neg(x0: v128): v128 {
  // Below −87 the result is −1 in f32 anyway; clamping keeps 2^k normal. pmax(x, lo) keeps NaN.
  const x = f32x4.pmax(x0, cf(EXPM1_LO));
  const magic = cf(MAGIC);
  const t = f32x4.add(f32x4.mul(x, cf(LOG2E)), magic);
  const kf = f32x4.sub(t, magic);
  const k = i32x4.sub(t, magic);
  const s = i32x4.shl(i32x4.add(k, ci(I127)), 23);
  const pm1 = expm1_poly(reduce(x, kf));
  // 2^k − 1 is exact for k >= −24 and rounds to −1 below that, where it no longer matters.
  return f32x4.add(f32x4.mul(s, pm1), f32x4.sub(s, cf(ONE)));
}

/**
 * log(u) for positive normal u: u = 2^e·m with m in [√½, √2), log m from the atanh series. NaN and Inf give
 * garbage here; the callers below make them propagate.
 */
// @ts-ignore: decorator
@inline function log_core(u: v128): v128 {
  // e = floor(log2(u / √½)): subtracting bits(√½) moves the mantissa split point to √½.
  const e = i32x4.shr_s(i32x4.sub(u, ci(I_SQRT_HALF)), 23);
  const m = i32x4.sub(u, i32x4.shl(e, 23));
  const f = f32x4.sub(m, cf(ONE)); // exact (Sterbenz)
  const s = f32x4.div(f, f32x4.add(f, cf(TWO)));
  const z = f32x4.mul(s, s);
  let h = f32x4.add(f32x4.mul(cf(H2), z), cf(H1));
  h = f32x4.add(f32x4.mul(h, z), cf(H0));
  const lm = f32x4.mul(s, f32x4.add(cf(TWO), f32x4.mul(z, h)));
  const ef = f32x4.convert_i32x4_s(e);
  // e·LN2_HI is exact; the small parts are summed first.
  return f32x4.add(f32x4.mul(ef, cf(LN2_HI)), f32x4.add(lm, f32x4.mul(ef, cf(LN2_LO))));
}

/** log(x) for positive normal x (callers clamp); NaN → NaN. */
// @ts-ignore: decorator
@inline export function vlog(x: v128): v128 {
  // x − x is 0 for finite x and NaN for NaN/Inf: makes NaN propagate through the bit tricks of log_core.
  return f32x4.add(log_core(x), f32x4.sub(x, x));
}

/** log(1 + x) for x in (−1, 1], accurate for tiny x: log(u) + (x − (u − 1))/u with u = 1 + x rounded. */
// @ts-ignore: decorator
@inline export function vlog1p(x: v128): v128 {
  const u = f32x4.add(x, cf(ONE));
  const c = f32x4.sub(x, f32x4.sub(u, cf(ONE)));
  // c/u is NaN when x is NaN, so NaN propagates without an extra step.
  return f32x4.add(log_core(u), f32x4.div(c, u));
}

/** 1/(1 + e^−x) without overflow: with e = e^−|x|, x >= 0 → 1/(1+e), x < 0 → e/(1+e). NaN → NaN. */
// @ts-ignore: decorator
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const one = cf(ONE);
  return f32x4.div(v128.bitselect(e, one, f32x4.lt(x, f32x4.splat(0))), f32x4.add(one, e));
}

/** tanh(x) = −u/(u + 2) with u = expm1(−2|x|), sign restored from x; ±1 beyond ~9, NaN → NaN. */
// @ts-ignore: decorator
@inline export function vtanh(x: v128): v128 {
  const u = vexpm1_neg(f32x4.mul(f32x4.abs(x), cf(NEG_TWO)));
  const t = f32x4.div(f32x4.neg(u), f32x4.add(u, cf(TWO)));
  const sign = v128.and(x, ci(I_SIGN));
  return v128.or(v128.andnot(t, ci(I_SIGN)), sign);
}

/** Horizontal sum of the four f32 lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Horizontal max of the four f32 lanes (pmax: NaN lanes lose against the accumulator). */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const a = f32x4.extract_lane(s, 0);
  const b = f32x4.extract_lane(s, 1);
  return a < b ? b : a;
}

/** Adds the four f32 lanes of v into the two f64 lanes of acc (promotion is exact; sums round in f64). */
// @ts-ignore: decorator
@inline export function addf64(acc: v128, v: v128): v128 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

/** Sum of the two f64 lanes. */
// @ts-ignore: decorator
@inline export function hsum64(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Scalar versions for loop tails: the same vector code on a splat, so tails round exactly like the body. */
export function exp_s(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}
export function log_s(x: f32): f32 {
  return f32x4.extract_lane(vlog(f32x4.splat(x)), 0);
}
export function log1p_s(x: f32): f32 {
  return f32x4.extract_lane(vlog1p(f32x4.splat(x)), 0);
}
export function sigmoid_s(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}
export function tanh_s(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}

// ---- row helpers shared by softmax and the fused softmax cross-entropy ----

/** Max of a row of n floats, NaN entries ignored (pmax keeps the accumulator); −Inf for an all-NaN row. */
export function row_max(p: usize, n: i32): f32 {
  let j = 0;
  let mx: f32 = -Infinity;
  if (n >= 4) {
    let mv = f32x4.splat(-Infinity);
    for (; j + 4 <= n; j += 4) mv = f32x4.pmax(mv, v128.load(p + (<usize>j << 2)));
    mx = hmax(mv);
  }
  for (; j < n; j++) {
    const v = load<f32>(p + (<usize>j << 2));
    if (mx < v) mx = v;
  }
  return mx;
}

/** y[j] = e^(x[j] − mx) for a row; returns the sum. Lanes below e^−87.33 are 0. */
export function row_exp_sum(y: usize, x: usize, n: i32, mx: f32): f32 {
  const mv = f32x4.splat(mx);
  let sv = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = vexp(f32x4.sub(v128.load(x + o), mv));
    v128.store(y + o, e);
    sv = f32x4.add(sv, e);
  }
  let s = hsum(sv);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exp_s(load<f32>(x + o) - mx);
    store<f32>(y + o, e);
    s += e;
  }
  return s;
}

/** y[j] *= s for a row. */
export function row_scale(y: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), sv));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) * s);
  }
}

/** Σx² over n floats with exact squares summed in f64 lanes (1e6 elements keep ~f64 accuracy). */
export function sum_squares_f64(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = a0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    a0 = f64x2.add(a0, f64x2.mul(lo, lo));
    a1 = f64x2.add(a1, f64x2.mul(hi, hi));
  }
  let s = hsum64(f64x2.add(a0, a1));
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}
