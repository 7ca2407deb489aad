// Plain-TS twins of assembly/quant/: same names, same argument order, typed arrays in place of pointers
// (Int8Array for i8, Int32Array for i32, Uint16Array for f16 bits, Uint8Array for a packed operand). Each twin
// reproduces its kernel bit for bit: f32 operations are rounded with Math.fround in the kernel's order, and the
// round-half-to-even of the magic number 1.5·2^23 is done the same way.

const MAGIC = 12582912; // 1.5 · 2^23
const f = Math.fround;

/** Clamp to [lo, hi] (NaN → 0) and round half to even, as the kernels do. */
function roundClamp(v: number, lo: number, hi: number): number {
  if (v !== v) v = 0;
  if (v < lo) v = lo;
  if (hi < v) v = hi;
  return f(v + MAGIC) - MAGIC;
}

/** Bytes of b (k,n) packed by q8_pack_b: ceil(k/2) pairs × ceil(n/8) panels × 16 bytes. */
export function q8_packed_size(k: number, n: number): number {
  return ((k + 1) >> 1) * ((n + 7) >> 3) * 16;
}

/**
 * bp = b (k,n) int8 packed for q8_gemm: panels of 8 columns, each ceil(k/2) steps of 16 bytes holding
 * b(2p,j), b(2p+1,j) for the panel's columns j; zero where k is odd or n is not a multiple of 8.
 */
export function q8_pack_b(bp: Int8Array | Uint8Array, b: Int8Array, k: number, n: number): void {
  const pairs = (k + 1) >> 1;
  let d = 0;
  for (let j0 = 0; j0 < n; j0 += 8) {
    for (let p = 0; p < pairs; p++) {
      for (let c = 0; c < 8; c++) {
        const j = j0 + c;
        const ok = j < n;
        bp[d + 2 * c] = ok ? b[2 * p * n + j] : 0;
        bp[d + 2 * c + 1] = ok && 2 * p + 1 < k ? b[(2 * p + 1) * n + j] : 0;
      }
      d += 16;
    }
  }
}

/** c (m,n) i32 = a (m,k) i8 · b (k,n) i8 with b packed by q8_pack_b (exact integer sums); ws unused (null). */
export function q8_gemm(
  c: Int32Array,
  _ws: unknown,
  a: Int8Array,
  bp: Int8Array | Uint8Array,
  m: number,
  k: number,
  n: number,
): void {
  const pairs = (k + 1) >> 1;
  const sb = bp instanceof Int8Array ? bp : new Int8Array(bp.buffer, bp.byteOffset, bp.length);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const panel = (j >> 3) * pairs * 16 + 2 * (j & 7);
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * sb[panel + (p >> 1) * 16 + (p & 1)];
      c[i * n + j] = s | 0;
    }
  }
}

/** max |x| over x (n), NaN ignored; 0 when empty. */
export function q8_absmax(x: Float32Array, n: number): number {
  let r = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]);
    if (r < v) r = v;
  }
  return r;
}

/** q (n) = clamp(round(x · inv_scale), −127, 127). */
export function q8_quantize(q: Int8Array, x: Float32Array, n: number, inv_scale: number): void {
  const s = f(inv_scale);
  for (let i = 0; i < n; i++) q[i] = roundClamp(f(x[i] * s), -127, 127);
}

/** y (m,n) = ((acc + bias_q[j]) · scale[j]) · s + bias_f[j], ReLU if relu; the biases may be null. */
export function q8_dequantize(
  y: Float32Array,
  acc: Int32Array,
  bias_q: Int32Array | null,
  scale: Float32Array,
  bias_f: Float32Array | null,
  m: number,
  n: number,
  s: number,
  relu: number,
): void {
  const sv = f(s);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let a = acc[r * n + j];
      if (bias_q) a = (a + bias_q[j]) | 0;
      let v = f(f(f(a) * scale[j]) * sv);
      if (bias_f) v = f(v + bias_f[j]);
      if (relu !== 0 && v < 0) v = 0;
      y[r * n + j] = v;
    }
  }
}

/** q (m,n) = clamp(round((acc + bias_q[j]) · mult[j]), relu ? 0 : −127, 127); bias_q may be null. */
export function q8_requantize(
  q: Int8Array,
  acc: Int32Array,
  bias_q: Int32Array | null,
  mult: Float32Array,
  m: number,
  n: number,
  relu: number,
): void {
  const lo = relu !== 0 ? 0 : -127;
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let a = acc[r * n + j];
      if (bias_q) a = (a + bias_q[j]) | 0;
      q[r * n + j] = roundClamp(f(f(a) * mult[j]), lo, 127);
    }
  }
}

/** scale (n) = column max |w| (NaN ignored). */
function columnAbsmax(scale: Float32Array, w: Float32Array, k: number, n: number): void {
  scale.fill(0, 0, n);
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < n; j++) {
      const v = Math.abs(w[r * n + j]);
      if (scale[j] < v) scale[j] = v;
    }
  }
}

/** Per-column inverse scale qmax / absmax (0 for a zero column), in f32. */
function inverse(am: number, qmax: number): number {
  return am > 0 ? f(qmax / am) : 0;
}

/**
 * Symmetric per-channel quantization of w (k,n): scale[j] = max|w(:,j)| / qmax,
 * q = clamp(round(w · qmax / max|w(:,j)|), −qmax, qmax).
 */
export function q8_quantize_weights(
  q: Int8Array,
  scale: Float32Array,
  w: Float32Array,
  k: number,
  n: number,
  qmax: number,
): void {
  const qm = f(qmax);
  columnAbsmax(scale, w, k, n);
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < n; j++) q[r * n + j] = roundClamp(f(w[r * n + j] * inverse(scale[j], qm)), -qm, qm);
  }
  for (let j = 0; j < n; j++) scale[j] = f(scale[j] / qm);
}

/** y (k,n) = q · scale[j] with q, scale as q8_quantize_weights (scale written too); y may be w. */
export function q8_fake_quant(
  y: Float32Array,
  scale: Float32Array,
  w: Float32Array,
  k: number,
  n: number,
  qmax: number,
): void {
  const qm = f(qmax);
  columnAbsmax(scale, w, k, n);
  for (let r = 0; r < k; r++) {
    for (let j = 0; j < n; j++) {
      const v = roundClamp(f(w[r * n + j] * inverse(scale[j], qm)), -qm, qm);
      y[r * n + j] = f(v * f(scale[j] / qm));
    }
  }
  for (let j = 0; j < n; j++) scale[j] = f(scale[j] / qm);
}

// Bit views for the f16 twins: a scalar's f32 bits and back.
const fb = new Float32Array(1);
const ub = new Uint32Array(fb.buffer);
const bitsOf = (v: number): number => ((fb[0] = v), ub[0]);
const floatOf = (u: number): number => ((ub[0] = u >>> 0), fb[0]);

/** h (n) = f16 bits of x (n): round to nearest even, overflow to ±Inf, NaN → 0x7e00 with the sign. */
export function f16_from_f32(h: Uint16Array, x: Float32Array, n: number): void {
  const xb = new Uint32Array(x.buffer, x.byteOffset, n); // bits, so NaN payloads are read as stored
  for (let i = 0; i < n; i++) {
    const u = xb[i];
    const sign = u & 0x80000000;
    const a = (u ^ sign) >>> 0;
    let r: number;
    if (a >= 0x47800000) r = a > 0x7f800000 ? 0x7e00 : 0x7c00;
    else if (a < 0x38800000) r = bitsOf(f(floatOf(a) + 0.5)) - 0x3f000000;
    else r = ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13) & 0xffff;
    h[i] = r | (sign >>> 16);
  }
}

/** x (n) = the f16 values h (n) as f32 (exact). */
export function f16_to_f32(x: Float32Array, h: Uint16Array, n: number): void {
  const xb = new Uint32Array(x.buffer, x.byteOffset, n); // written as bits: NaN payloads survive
  for (let i = 0; i < n; i++) {
    const v = h[i];
    const o = (v & 0x7fff) << 13;
    const e = o & 0x0f800000;
    let r = o + 0x38000000;
    if (e === 0x0f800000) r += 0x38000000;
    else if (e === 0) r = bitsOf(f(floatOf(r + 0x00800000) - 6.103515625e-5));
    xb[i] = (r | ((v & 0x8000) << 16)) >>> 0;
  }
}
