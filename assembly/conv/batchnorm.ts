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
  const inv = f64x2.splat(1 / fm);
  let ch = 0;
  // Groups of 16 channels (a 64-byte line of each row) while they last, then groups of 4, then single channels.
  for (; ch + 16 <= c; ch += 16) {
    const o = <usize>ch << 2;
    // Pass 1: Σx.
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    let p = x + o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      for (; r < r1; r++) {
        s0 = f32x4.add(s0, v128.load(p));
        s1 = f32x4.add(s1, v128.load(p, 16));
        s2 = f32x4.add(s2, v128.load(p, 32));
        s3 = f32x4.add(s3, v128.load(p, 48));
        p += rowB;
      }
      a0 = f64x2.add(a0, lo64(s0)); a1 = f64x2.add(a1, hi64(s0));
      a2 = f64x2.add(a2, lo64(s1)); a3 = f64x2.add(a3, hi64(s1));
      a4 = f64x2.add(a4, lo64(s2)); a5 = f64x2.add(a5, hi64(s2));
      a6 = f64x2.add(a6, lo64(s3)); a7 = f64x2.add(a7, hi64(s3));
    }
    const mo = mean + o;
    v128.store(mo, demote4(f64x2.mul(a0, inv), f64x2.mul(a1, inv)));
    v128.store(mo, demote4(f64x2.mul(a2, inv), f64x2.mul(a3, inv)), 16);
    v128.store(mo, demote4(f64x2.mul(a4, inv), f64x2.mul(a5, inv)), 32);
    v128.store(mo, demote4(f64x2.mul(a6, inv), f64x2.mul(a7, inv)), 48);
    // Pass 2: Σd, Σd² per group of 4 (the means read back from mean).
    varGroup(vr + o, mo, x + o, rowB, m, inv);
    varGroup(vr + o + 16, mo + 16, x + o + 16, rowB, m, inv);
    varGroup(vr + o + 32, mo + 32, x + o + 32, rowB, m, inv);
    varGroup(vr + o + 48, mo + 48, x + o + 48, rowB, m, inv);
  }
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
    v128.store(mean + o, demote4(f64x2.mul(a0, inv), f64x2.mul(a1, inv)));
    varGroup(vr + o, mean + o, x + o, rowB, m, inv);
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

// var (4) of 4 channels of x (rows rowB bytes apart) around their means mu (4, in memory):
// Σd² / m − (Σd / m)², d = x − mu, inv = 1/m.
function varGroup(vr: usize, mu: usize, x: usize, rowB: usize, m: i32, inv: v128): void {
  const mv = v128.load(mu);
  let d0 = f64x2.splat(0), d1 = d0, q0 = d0, q1 = d0;
  let p = x;
  for (let r = 0; r < m;) {
    const r1 = min(m, r + BLOCK);
    let s = f32x4.splat(0), q = s;
    for (; r < r1; r++) {
      const d = f32x4.sub(v128.load(p), mv);
      s = f32x4.add(s, d);
      q = f32x4.add(q, f32x4.mul(d, d));
      p += rowB;
    }
    d0 = f64x2.add(d0, lo64(s));
    d1 = f64x2.add(d1, hi64(s));
    q0 = f64x2.add(q0, lo64(q));
    q1 = f64x2.add(q1, hi64(q));
  }
  d0 = f64x2.mul(d0, inv);
  d1 = f64x2.mul(d1, inv);
  const z = f64x2.splat(0);
  const v0 = f64x2.pmax(z, f64x2.sub(f64x2.mul(q0, inv), f64x2.mul(d0, d0)));
  const v1 = f64x2.pmax(z, f64x2.sub(f64x2.mul(q1, inv), f64x2.mul(d1, d1)));
  v128.store(vr, demote4(v0, v1));
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
  const inv = f64x2.splat(1 / fm);
  let ch = 0;
  // Groups of 16 channels (a 64-byte line of each row) while they last: pass 1 sums Σdy and Σdy·(x − mean)
  // (istd applied to the sum), pass 2 writes dx = k·((dy − mdy) − (x − mean)·cx) with k = gamma·istd,
  // mdy = Σdy/m, cx = istd·Σ(dy·xhat)/m.
  for (; ch + 16 <= c; ch += 16) {
    const o = <usize>ch << 2;
    const mo = mean + o;
    let b0 = f64x2.splat(0), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
    let g0 = b0, g1 = b0, g2 = b0, g3 = b0, g4 = b0, g5 = b0, g6 = b0, g7 = b0;
    let p = o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
      for (; r < r1; r++) {
        const e = dy + p, xp = x + p;
        let d = v128.load(e);
        s0 = f32x4.add(s0, d);
        t0 = f32x4.add(t0, f32x4.mul(d, f32x4.sub(v128.load(xp), v128.load(mo))));
        d = v128.load(e, 16);
        s1 = f32x4.add(s1, d);
        t1 = f32x4.add(t1, f32x4.mul(d, f32x4.sub(v128.load(xp, 16), v128.load(mo, 16))));
        d = v128.load(e, 32);
        s2 = f32x4.add(s2, d);
        t2 = f32x4.add(t2, f32x4.mul(d, f32x4.sub(v128.load(xp, 32), v128.load(mo, 32))));
        d = v128.load(e, 48);
        s3 = f32x4.add(s3, d);
        t3 = f32x4.add(t3, f32x4.mul(d, f32x4.sub(v128.load(xp, 48), v128.load(mo, 48))));
        p += rowB;
      }
      b0 = f64x2.add(b0, lo64(s0)); b1 = f64x2.add(b1, hi64(s0));
      b2 = f64x2.add(b2, lo64(s1)); b3 = f64x2.add(b3, hi64(s1));
      b4 = f64x2.add(b4, lo64(s2)); b5 = f64x2.add(b5, hi64(s2));
      b6 = f64x2.add(b6, lo64(s3)); b7 = f64x2.add(b7, hi64(s3));
      g0 = f64x2.add(g0, lo64(t0)); g1 = f64x2.add(g1, hi64(t0));
      g2 = f64x2.add(g2, lo64(t1)); g3 = f64x2.add(g3, hi64(t1));
      g4 = f64x2.add(g4, lo64(t2)); g5 = f64x2.add(g5, hi64(t2));
      g6 = f64x2.add(g6, lo64(t3)); g7 = f64x2.add(g7, hi64(t3));
    }
    // Per group of 4: dgamma += istd·Σdy·(x − mean), dbeta += Σdy; the pass-2 constants.
    const i0 = istd4(v128.load(vr + o), eps), i1 = istd4(v128.load(vr + o, 16), eps);
    const i2 = istd4(v128.load(vr + o, 32), eps), i3 = istd4(v128.load(vr + o, 48), eps);
    const sg0 = f32x4.mul(demote4(g0, g1), i0), sg1 = f32x4.mul(demote4(g2, g3), i1);
    const sg2 = f32x4.mul(demote4(g4, g5), i2), sg3 = f32x4.mul(demote4(g6, g7), i3);
    const dg = dgamma + o, db = dbeta + o;
    v128.store(dg, f32x4.add(v128.load(dg), sg0));
    v128.store(dg, f32x4.add(v128.load(dg, 16), sg1), 16);
    v128.store(dg, f32x4.add(v128.load(dg, 32), sg2), 32);
    v128.store(dg, f32x4.add(v128.load(dg, 48), sg3), 48);
    v128.store(db, f32x4.add(v128.load(db), demote4(b0, b1)));
    v128.store(db, f32x4.add(v128.load(db, 16), demote4(b2, b3)), 16);
    v128.store(db, f32x4.add(v128.load(db, 32), demote4(b4, b5)), 32);
    v128.store(db, f32x4.add(v128.load(db, 48), demote4(b6, b7)), 48);
    const fi = f32x4.splat(<f32>(1 / fm));
    const k0 = f32x4.mul(v128.load(gamma + o), i0), k1 = f32x4.mul(v128.load(gamma + o, 16), i1);
    const k2 = f32x4.mul(v128.load(gamma + o, 32), i2), k3 = f32x4.mul(v128.load(gamma + o, 48), i3);
    const m0 = demote4(f64x2.mul(b0, inv), f64x2.mul(b1, inv)), m1 = demote4(f64x2.mul(b2, inv), f64x2.mul(b3, inv));
    const m2 = demote4(f64x2.mul(b4, inv), f64x2.mul(b5, inv)), m3 = demote4(f64x2.mul(b6, inv), f64x2.mul(b7, inv));
    const x0 = f32x4.mul(f32x4.mul(sg0, fi), i0), x1 = f32x4.mul(f32x4.mul(sg1, fi), i1);
    const x2 = f32x4.mul(f32x4.mul(sg2, fi), i2), x3 = f32x4.mul(f32x4.mul(sg3, fi), i3);
    p = o;
    for (let r = 0; r < m; r++) {
      const e = dy + p, xp = x + p, q = dx + p;
      v128.store(q, f32x4.mul(k0, f32x4.sub(f32x4.sub(v128.load(e), m0),
        f32x4.mul(f32x4.sub(v128.load(xp), v128.load(mo)), x0))));
      v128.store(q, f32x4.mul(k1, f32x4.sub(f32x4.sub(v128.load(e, 16), m1),
        f32x4.mul(f32x4.sub(v128.load(xp, 16), v128.load(mo, 16)), x1))), 16);
      v128.store(q, f32x4.mul(k2, f32x4.sub(f32x4.sub(v128.load(e, 32), m2),
        f32x4.mul(f32x4.sub(v128.load(xp, 32), v128.load(mo, 32)), x2))), 32);
      v128.store(q, f32x4.mul(k3, f32x4.sub(f32x4.sub(v128.load(e, 48), m3),
        f32x4.mul(f32x4.sub(v128.load(xp, 48), v128.load(mo, 48)), x3))), 48);
      p += rowB;
    }
  }
  // Groups of 8 (half a line of each row; c = 8..15): the same two passes on 2 vectors. Measured at m = 18432,
  // c = 8: 1.2-1.3x faster than two groups of 4 (each pass reads the rows' lines once instead of twice). Two
  // groups of 8 for c = 16 instead of one of 16: 1.8x slower. V8's code for these loops depends on the rest of
  // the function: the same loops ran 1.7x slower out of line, or with the 16-channel loop removed; re-measure
  // c = 4, 8 and 16 after any change here.
  for (; ch + 8 <= c; ch += 8) {
    const o = <usize>ch << 2;
    const mo = mean + o;
    const mu0 = v128.load(mo), mu1 = v128.load(mo, 16);
    let b0 = f64x2.splat(0), b1 = b0, b2 = b0, b3 = b0;
    let g0 = b0, g1 = b0, g2 = b0, g3 = b0;
    let p = o;
    for (let r = 0; r < m;) {
      const r1 = min(m, r + BLOCK);
      let s0 = f32x4.splat(0), s1 = s0, t0 = s0, t1 = s0;
      for (; r < r1; r++) {
        const e = dy + p, xp = x + p;
        let d = v128.load(e);
        s0 = f32x4.add(s0, d);
        t0 = f32x4.add(t0, f32x4.mul(d, f32x4.sub(v128.load(xp), mu0)));
        d = v128.load(e, 16);
        s1 = f32x4.add(s1, d);
        t1 = f32x4.add(t1, f32x4.mul(d, f32x4.sub(v128.load(xp, 16), mu1)));
        p += rowB;
      }
      b0 = f64x2.add(b0, lo64(s0)); b1 = f64x2.add(b1, hi64(s0));
      b2 = f64x2.add(b2, lo64(s1)); b3 = f64x2.add(b3, hi64(s1));
      g0 = f64x2.add(g0, lo64(t0)); g1 = f64x2.add(g1, hi64(t0));
      g2 = f64x2.add(g2, lo64(t1)); g3 = f64x2.add(g3, hi64(t1));
    }
    const i0 = istd4(v128.load(vr + o), eps), i1 = istd4(v128.load(vr + o, 16), eps);
    const sg0 = f32x4.mul(demote4(g0, g1), i0), sg1 = f32x4.mul(demote4(g2, g3), i1);
    const dg = dgamma + o, db = dbeta + o;
    v128.store(dg, f32x4.add(v128.load(dg), sg0));
    v128.store(dg, f32x4.add(v128.load(dg, 16), sg1), 16);
    v128.store(db, f32x4.add(v128.load(db), demote4(b0, b1)));
    v128.store(db, f32x4.add(v128.load(db, 16), demote4(b2, b3)), 16);
    const fi = f32x4.splat(<f32>(1 / fm));
    const k0 = f32x4.mul(v128.load(gamma + o), i0), k1 = f32x4.mul(v128.load(gamma + o, 16), i1);
    const m0 = demote4(f64x2.mul(b0, inv), f64x2.mul(b1, inv)), m1 = demote4(f64x2.mul(b2, inv), f64x2.mul(b3, inv));
    const x0 = f32x4.mul(f32x4.mul(sg0, fi), i0), x1 = f32x4.mul(f32x4.mul(sg1, fi), i1);
    p = o;
    for (let r = 0; r < m; r++) {
      const e = dy + p, xp = x + p, q = dx + p;
      v128.store(q, f32x4.mul(k0, f32x4.sub(f32x4.sub(v128.load(e), m0), f32x4.mul(f32x4.sub(v128.load(xp), mu0), x0))));
      v128.store(q, f32x4.mul(k1, f32x4.sub(f32x4.sub(v128.load(e, 16), m1),
        f32x4.mul(f32x4.sub(v128.load(xp, 16), mu1), x1))), 16);
      p += rowB;
    }
  }
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
