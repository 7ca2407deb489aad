// int8 conversions around the q8 GEMM: max-abs of a batch (dynamic range), f32 → int8 activations with a
// per-tensor scale, i32 accumulators → f32 (dequantize) or → int8 for the next layer (requantize) with per-channel
// scales, int32 bias and fused ReLU, and symmetric per-channel weight quantization (+ its fake-quant form for QAT).
// Rounding is round-half-to-even with the magic number 1.5·2^23 (after clamping, so |v| <= 127 and the sum is
// exact); its bit pattern minus that of the magic is the integer, so no trunc_sat / nearest is needed (both slow on
// V8/x64). Clamping uses pmin/pmax. NaN quantizes to 0.

const MAGIC: f32 = 12582912.0; // 1.5 · 2^23
const MAGIC_BITS: i32 = 0x4b400000;

// Rounded, clamped to [lo, hi], as f32 lanes holding integers.
// @ts-ignore: decorator
@inline function roundClampF(v: v128, lo: v128, hi: v128): v128 {
  v = v128.and(v, f32x4.eq(v, v)); // NaN → 0
  v = f32x4.pmin(f32x4.pmax(v, lo), hi);
  return f32x4.sub(f32x4.add(v, f32x4.splat(MAGIC)), f32x4.splat(MAGIC));
}

// Rounded, clamped to [lo, hi], as i32 lanes.
// @ts-ignore: decorator
@inline function roundClampI(v: v128, lo: v128, hi: v128): v128 {
  v = v128.and(v, f32x4.eq(v, v));
  v = f32x4.pmin(f32x4.pmax(v, lo), hi);
  return i32x4.sub(f32x4.add(v, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
}

// The scalar form of roundClampI (tails).
// @ts-ignore: decorator
@inline function roundClamp1(v: f32, lo: f32, hi: f32): i32 {
  if (v != v) v = 0;
  if (v < lo) v = lo;
  if (hi < v) v = hi;
  return reinterpret<i32>(v + MAGIC) - MAGIC_BITS;
}

// 16 i32 lanes (values within i8) → 16 bytes.
// @ts-ignore: decorator
@inline function narrow16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

// max |x| over x (n); NaN entries are ignored, 0 for n <= 0.
export function q8_absmax(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0), m2 = f32x4.splat(0), m3 = f32x4.splat(0);
  let i = 0;
  // pmax(acc, v) = acc < v ? v : acc keeps acc when v is NaN.
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, f32x4.abs(v128.load(p)));
    m1 = f32x4.pmax(m1, f32x4.abs(v128.load(p, 16)));
    m2 = f32x4.pmax(m2, f32x4.abs(v128.load(p, 32)));
    m3 = f32x4.pmax(m3, f32x4.abs(v128.load(p, 48)));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.pmax(m0, f32x4.abs(v128.load(x + (<usize>i << 2))));
  m0 = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let r = f32x4.extract_lane(m0, 0);
  const l1 = f32x4.extract_lane(m0, 1), l2 = f32x4.extract_lane(m0, 2), l3 = f32x4.extract_lane(m0, 3);
  if (r < l1) r = l1;
  if (r < l2) r = l2;
  if (r < l3) r = l3;
  for (; i < n; i++) {
    const v = abs<f32>(load<f32>(x + (<usize>i << 2)));
    if (r < v) r = v;
  }
  return r;
}

// q (n) i8 = clamp(round(x · inv_scale), −127, 127), x (n) f32.
export function q8_quantize(q: usize, x: usize, n: i32, inv_scale: f32): void {
  const s = f32x4.splat(inv_scale);
  const lo = f32x4.splat(-127), hi = f32x4.splat(127);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    v128.store(q + <usize>i, narrow16(
      roundClampI(f32x4.mul(v128.load(p), s), lo, hi),
      roundClampI(f32x4.mul(v128.load(p, 16), s), lo, hi),
      roundClampI(f32x4.mul(v128.load(p, 32), s), lo, hi),
      roundClampI(f32x4.mul(v128.load(p, 48), s), lo, hi),
    ));
  }
  for (; i < n; i++) store<i8>(q + <usize>i, <i8>roundClamp1(load<f32>(x + (<usize>i << 2)) * inv_scale, -127, 127));
}

// y (m,n) f32 = ((acc + bias_q[j]) · scale[j]) · s + bias_f[j], then max(·, 0) if relu; acc (m,n) i32.
// bias_q (n) i32 and bias_f (n) f32 are optional (0 = none). Static quantization passes the int32 bias with
// scale = s_in · s_w[j] and s = 1; dynamic passes scale = s_w, s = this batch's s_in and the f32 bias.
export function q8_dequantize(
  y: usize, acc: usize, bias_q: usize, scale: usize, bias_f: usize, m: i32, n: i32, s: f32, relu: i32,
): void {
  const sv = f32x4.splat(s);
  const zero = f32x4.splat(0);
  for (let r = 0; r < m; r++) {
    const row = <usize>r * n << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let a = v128.load(acc + row + o);
      if (bias_q != 0) a = i32x4.add(a, v128.load(bias_q + o));
      let v = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a), v128.load(scale + o)), sv);
      if (bias_f != 0) v = f32x4.add(v, v128.load(bias_f + o));
      if (relu != 0) v = f32x4.pmax(v, zero);
      v128.store(y + row + o, v);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let a = load<i32>(acc + row + o);
      if (bias_q != 0) a += load<i32>(bias_q + o);
      let v = <f32>a * load<f32>(scale + o) * s;
      if (bias_f != 0) v += load<f32>(bias_f + o);
      if (relu != 0 && v < 0) v = 0;
      store<f32>(y + row + o, v);
    }
  }
}

// q (m,n) i8 = clamp(round((acc + bias_q[j]) · mult[j]), relu ? 0 : −127, 127); acc (m,n) i32, bias_q (n) i32
// optional (0 = none), mult (n) f32 = s_in · s_w[j] / s_out. Static quantization's layer-to-layer step: the
// next layer's int8 input straight from this layer's accumulators (ReLU is the clamp at 0).
export function q8_requantize(q: usize, acc: usize, bias_q: usize, mult: usize, m: i32, n: i32, relu: i32): void {
  const lo = f32x4.splat(relu != 0 ? 0 : -127), hi = f32x4.splat(127);
  const los: f32 = relu != 0 ? 0 : -127;
  for (let r = 0; r < m; r++) {
    const ar = acc + (<usize>r * n << 2);
    const qr = q + <usize>r * n;
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      const o = <usize>j << 2;
      v128.store(qr + <usize>j, narrow16(
        requant4(ar + o, bias_q, mult, o, lo, hi),
        requant4(ar + o + 16, bias_q, mult, o + 16, lo, hi),
        requant4(ar + o + 32, bias_q, mult, o + 32, lo, hi),
        requant4(ar + o + 48, bias_q, mult, o + 48, lo, hi),
      ));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      let a = load<i32>(ar + o);
      if (bias_q != 0) a += load<i32>(bias_q + o);
      store<i8>(qr + <usize>j, <i8>roundClamp1(<f32>a * load<f32>(mult + o), los, 127));
    }
  }
}

// @ts-ignore: decorator
@inline function requant4(a: usize, bias_q: usize, mult: usize, o: usize, lo: v128, hi: v128): v128 {
  let v = v128.load(a);
  if (bias_q != 0) v = i32x4.add(v, v128.load(bias_q + o));
  return roundClampI(f32x4.mul(f32x4.convert_i32x4_s(v), v128.load(mult + o)), lo, hi);
}

// Symmetric per-channel (per column) weight quantization of w (k,n) f32, a kernel fan_in × fan_out:
// scale[j] = max_r |w(r,j)| / qmax, q = clamp(round(w · (qmax / max_r |w(r,j)|)), −qmax, qmax) (0 for a
// zero column). qmax = 127 for int8 (e.g. 7 for 4-bit weights stored in int8).
export function q8_quantize_weights(q: usize, scale: usize, w: usize, k: i32, n: i32, qmax: f32): void {
  columnAbsmax(scale, w, k, n);
  const qv = f32x4.splat(qmax), lo = f32x4.splat(-qmax);
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  for (let r = 0; r < k; r++) {
    const wr = w + (<usize>r * n << 2);
    const qr = q + <usize>r * n;
    for (let j = 0; j < n4; j += 4) {
      const am = v128.load(scale + (<usize>j << 2));
      const inv = v128.and(f32x4.div(qv, am), f32x4.gt(am, zero));
      const v = roundClampI(f32x4.mul(v128.load(wr + (<usize>j << 2)), inv), lo, qv);
      // 4 lanes → 4 bytes (the upper 12 bytes of the narrowed vector are don't-care).
      const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(v, v), zero);
      v128.store32_lane(qr + <usize>j, b, 0);
    }
    for (let j = n4; j < n; j++) {
      const am = load<f32>(scale + (<usize>j << 2));
      const inv: f32 = am > 0 ? qmax / am : 0;
      store<i8>(qr + <usize>j, <i8>roundClamp1(load<f32>(wr + (<usize>j << 2)) * inv, -qmax, qmax));
    }
  }
  finishScales(scale, n, qmax);
}

// Fake quantization for quantization-aware training: y (k,n) = the dequantized q8_quantize_weights(w), i.e.
// q · scale[j] with the same q and scale (also written to scale (n)). y may be w (in place).
export function q8_fake_quant(y: usize, scale: usize, w: usize, k: i32, n: i32, qmax: f32): void {
  columnAbsmax(scale, w, k, n);
  const qv = f32x4.splat(qmax), lo = f32x4.splat(-qmax);
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  for (let r = 0; r < k; r++) {
    const o = <usize>r * n << 2;
    for (let j = 0; j < n4; j += 4) {
      const c = <usize>j << 2;
      const am = v128.load(scale + c);
      const inv = v128.and(f32x4.div(qv, am), f32x4.gt(am, zero));
      const v = roundClampF(f32x4.mul(v128.load(w + o + c), inv), lo, qv);
      v128.store(y + o + c, f32x4.mul(v, f32x4.div(am, qv)));
    }
    for (let j = n4; j < n; j++) {
      const c = <usize>j << 2;
      const am = load<f32>(scale + c);
      const inv: f32 = am > 0 ? qmax / am : 0;
      const v = <f32>roundClamp1(load<f32>(w + o + c) * inv, -qmax, qmax);
      store<f32>(y + o + c, v * (am / qmax));
    }
  }
  finishScales(scale, n, qmax);
}

// scale (n) = max_r |w(r,j)| (NaN ignored), row by row so w is read at unit stride.
function columnAbsmax(scale: usize, w: usize, k: i32, n: i32): void {
  memory.fill(scale, 0, <usize>n << 2);
  const n4 = n & ~3;
  for (let r = 0; r < k; r++) {
    const wr = w + (<usize>r * n << 2);
    for (let j = 0; j < n4; j += 4) {
      const c = <usize>j << 2;
      v128.store(scale + c, f32x4.pmax(v128.load(scale + c), f32x4.abs(v128.load(wr + c))));
    }
    for (let j = n4; j < n; j++) {
      const c = <usize>j << 2;
      const v = abs<f32>(load<f32>(wr + c));
      if (load<f32>(scale + c) < v) store<f32>(scale + c, v);
    }
  }
}

// scale[j] = absmax[j] / qmax, in place.
function finishScales(scale: usize, n: i32, qmax: f32): void {
  for (let j = 0; j < n; j++) {
    const c = <usize>j << 2;
    store<f32>(scale + c, load<f32>(scale + c) / qmax);
  }
}
