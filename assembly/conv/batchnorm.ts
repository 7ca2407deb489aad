// Batch normalization over m rows of c channels (m = n·h·w for an NHWC map, the batch for dense), SIMD over
// channels (4 at a time, scalar steps for c % 4), plus the folded inference form (channel_affine) and the
// running-statistics update. Per-channel sums run down the rows in f32 over blocks of BLOCK rows, each block sum
// added into f64 (error ~ (BLOCK + m/BLOCK)·2^−24 of the sum of |terms|, not m·2^−24).
// istd = 1 / sqrt(var + eps) in f32, shared by forward and backward so both see the same xhat.

const BLOCK = 32;
// Rows per block in the elementwise passes: per-channel constants are made once per block and channel group
// while the block's rows (BLOCK_ROWS·c floats) stay in L1.
const BLOCK_ROWS = 64;

// @ts-ignore: decorator
@inline function lo64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}
// f32x4 of the two f64x2 halves lo (lanes 0, 1) and hi (lanes 2, 3).
// @ts-ignore: decorator
@inline function demote4(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline function istd4(vr: v128, eps: f32): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(vr, f32x4.splat(eps))));
}
// @ts-ignore: decorator
@inline function istd1(vr: f32, eps: f32): f32 {
  return <f32>1 / sqrt<f32>(vr + eps);
}

// mean (c), var (c) = per-channel mean and biased variance of x (m,c). Two passes: mean = Σx / m, then
// var = Σd² / m − (Σd / m)² with d = x − mean (the second term corrects the rounding of mean), so the variance
// stays accurate when |mean| >> std. m <= 0 gives mean = var = 0.
export function batchnorm_stats(mean: usize, vr: usize, x: usize, m: i32, c: i32): void {
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  if (m <= 0) {
    memory.fill(mean, 0, rowB);
    memory.fill(vr, 0, rowB);
    return;
  }
  const fm = <f64>m;
  let ch = 0;
  for (; ch < c4; ch += 4) {
    const o = <usize>ch << 2;
    // Pass 1: Σx.
    let a0 = f64x2.splat(0), a1 = a0;
    let p = x + o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s = f32x4.splat(0);
      for (; r < r1; r++) {
        s = f32x4.add(s, v128.load(p));
        p += rowB;
      }
      a0 = f64x2.add(a0, lo64(s));
      a1 = f64x2.add(a1, hi64(s));
    }
    const mu = demote4(f64x2.div(a0, f64x2.splat(fm)), f64x2.div(a1, f64x2.splat(fm)));
    // Pass 2: Σd, Σd².
    let d0 = f64x2.splat(0), d1 = d0, q0 = d0, q1 = d0;
    p = x + o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s = f32x4.splat(0), q = s;
      for (; r < r1; r++) {
        const d = f32x4.sub(v128.load(p), mu);
        s = f32x4.add(s, d);
        q = f32x4.add(q, f32x4.mul(d, d));
        p += rowB;
      }
      d0 = f64x2.add(d0, lo64(s));
      d1 = f64x2.add(d1, hi64(s));
      q0 = f64x2.add(q0, lo64(q));
      q1 = f64x2.add(q1, hi64(q));
    }
    const inv = f64x2.splat(1 / fm);
    d0 = f64x2.mul(d0, inv);
    d1 = f64x2.mul(d1, inv);
    const z = f64x2.splat(0);
    const v0 = f64x2.pmax(z, f64x2.sub(f64x2.mul(q0, inv), f64x2.mul(d0, d0)));
    const v1 = f64x2.pmax(z, f64x2.sub(f64x2.mul(q1, inv), f64x2.mul(d1, d1)));
    v128.store(mean + o, mu);
    v128.store(vr + o, demote4(v0, v1));
  }
  for (; ch < c; ch++) {
    const o = <usize>ch << 2;
    let a: f64 = 0;
    let p = x + o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s: f32 = 0;
      for (; r < r1; r++) {
        s += load<f32>(p);
        p += rowB;
      }
      a += s;
    }
    const mu = <f32>(a / fm);
    let sd: f64 = 0, sq: f64 = 0;
    p = x + o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s: f32 = 0, q: f32 = 0;
      for (; r < r1; r++) {
        const d = load<f32>(p) - mu;
        s += d;
        q += d * d;
        p += rowB;
      }
      sd += s;
      sq += q;
    }
    sd /= fm;
    const v = sq / fm - sd * sd;
    store<f32>(mean + o, mu);
    store<f32>(vr + o, <f32>(v > 0 ? v : 0));
  }
}

// y (m,c) = (x − mean) · (gamma · istd) + beta, istd = 1 / sqrt(var + eps); mean, var, gamma, beta (c).
// y may alias x. With batch statistics in training, running statistics at inference.
export function batchnorm_forward(
  y: usize, x: usize, mean: usize, vr: usize, gamma: usize, beta: usize, m: i32, c: i32, eps: f32,
): void {
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  for (let r0 = 0; r0 < m; r0 += BLOCK_ROWS) {
    const nr = min(BLOCK_ROWS, m - r0);
    const base = <usize>r0 * rowB;
    let ch = 0;
    for (; ch < c4; ch += 4) {
      const o = <usize>ch << 2;
      const s = f32x4.mul(v128.load(gamma + o), istd4(v128.load(vr + o), eps));
      const mu = v128.load(mean + o), be = v128.load(beta + o);
      let p = base + o;
      for (let r = 0; r < nr; r++) {
        v128.store(y + p, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + p), mu), s), be));
        p += rowB;
      }
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      const s = load<f32>(gamma + o) * istd1(load<f32>(vr + o), eps);
      const mu = load<f32>(mean + o), be = load<f32>(beta + o);
      let p = base + o;
      for (let r = 0; r < nr; r++) {
        store<f32>(y + p, (load<f32>(x + p) - mu) * s + be);
        p += rowB;
      }
    }
  }
}

// Training-mode gradient of batchnorm_forward with batch statistics mean, var (c) of x (m,c):
// xhat = (x − mean)·istd; dgamma (c) += Σ dy·xhat; dbeta (c) += Σ dy (accumulate);
// dx (m,c) = gamma·istd · (dy − Σdy/m − xhat·Σ(dy·xhat)/m) (overwrite; dx may alias dy).
export function batchnorm_backward(
  dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize, mean: usize, vr: usize, gamma: usize, m: i32,
  c: i32, eps: f32,
): void {
  if (m <= 0) return;
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  const fm = <f64>m;
  let ch = 0;
  for (; ch < c4; ch += 4) {
    const o = <usize>ch << 2;
    const is = istd4(v128.load(vr + o), eps);
    const mu = v128.load(mean + o);
    let b0 = f64x2.splat(0), b1 = b0, g0 = b0, g1 = b0;
    let p = o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let sb = f32x4.splat(0), sg = sb;
      for (; r < r1; r++) {
        const g = v128.load(dy + p);
        const xh = f32x4.mul(f32x4.sub(v128.load(x + p), mu), is);
        sb = f32x4.add(sb, g);
        sg = f32x4.add(sg, f32x4.mul(g, xh));
        p += rowB;
      }
      b0 = f64x2.add(b0, lo64(sb));
      b1 = f64x2.add(b1, hi64(sb));
      g0 = f64x2.add(g0, lo64(sg));
      g1 = f64x2.add(g1, hi64(sg));
    }
    v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), demote4(g0, g1)));
    v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), demote4(b0, b1)));
    const inv = f64x2.splat(1 / fm);
    const mdy = demote4(f64x2.mul(b0, inv), f64x2.mul(b1, inv));
    const mdx = demote4(f64x2.mul(g0, inv), f64x2.mul(g1, inv));
    const k = f32x4.mul(v128.load(gamma + o), is);
    p = o;
    for (let r = 0; r < m; r++) {
      const xh = f32x4.mul(f32x4.sub(v128.load(x + p), mu), is);
      const t = f32x4.sub(f32x4.sub(v128.load(dy + p), mdy), f32x4.mul(xh, mdx));
      v128.store(dx + p, f32x4.mul(k, t));
      p += rowB;
    }
  }
  for (; ch < c; ch++) {
    const o = <usize>ch << 2;
    const is = istd1(load<f32>(vr + o), eps);
    const mu = load<f32>(mean + o);
    let sb: f64 = 0, sg: f64 = 0;
    let p = o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let b: f32 = 0, g: f32 = 0;
      for (; r < r1; r++) {
        const d = load<f32>(dy + p);
        b += d;
        g += d * ((load<f32>(x + p) - mu) * is);
        p += rowB;
      }
      sb += b;
      sg += g;
    }
    store<f32>(dgamma + o, load<f32>(dgamma + o) + <f32>sg);
    store<f32>(dbeta + o, load<f32>(dbeta + o) + <f32>sb);
    const mdy = <f32>(sb / fm), mdx = <f32>(sg / fm);
    const k = load<f32>(gamma + o) * is;
    p = o;
    for (let r = 0; r < m; r++) {
      const xh = (load<f32>(x + p) - mu) * is;
      store<f32>(dx + p, k * (load<f32>(dy + p) - mdy - xh * mdx));
      p += rowB;
    }
  }
}

// run (n) = momentum · run + (1 − momentum) · x (running mean / variance of batch norm).
export function ema_update(run: usize, x: usize, n: i32, momentum: f32): void {
  const a = momentum, b: f32 = 1 - momentum;
  const av = f32x4.splat(a), bv = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(run + o, f32x4.add(f32x4.mul(av, v128.load(run + o)), f32x4.mul(bv, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(run + o, a * load<f32>(run + o) + b * load<f32>(x + o));
  }
}

// y (m,c) = x · scale (c) + shift (c) per channel: inference batch norm folded into one multiply-add
// (scale = gamma·istd, shift = beta − mean·scale, made by the host). y may alias x.
export function channel_affine(y: usize, x: usize, scale: usize, shift: usize, m: i32, c: i32): void {
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  let p: usize = 0;
  for (let r = 0; r < m; r++) {
    let ch = 0;
    for (; ch < c4; ch += 4) {
      const o = <usize>ch << 2;
      v128.store(y + p + o, f32x4.add(f32x4.mul(v128.load(x + p + o), v128.load(scale + o)), v128.load(shift + o)));
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      store<f32>(y + p + o, load<f32>(x + p + o) * load<f32>(scale + o) + load<f32>(shift + o));
    }
    p += rowB;
  }
}
