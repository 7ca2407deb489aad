// Losses over (m,n) predictions y / p / z against targets t (m,n). Forward returns the batch mean as f32
// (mean over all m·n elements for MSE and BCE, as Keras; sum over classes and mean over rows for the
// cross-entropies); backward OVERWRITES its output with d(mean loss)/d(input). Per-element terms are f32,
// their sum is kept in f64 lanes so the mean does not drift with batch size. NaN inputs give a NaN loss.
import { vexp, vlog, vlog1p, vsigmoid, addf64, hsum, hsum64, exp_s, log_s, log1p_s, sigmoid_s, row_max,
  row_exp_sum, row_scale } from './math';

// Probability clamp of the cross-entropies: [EPS, 1 − EPS] in f32 (1 − EPS rounds to 1 − 2^-23).
// @ts-ignore: decorator
@inline const EPS: f32 = 1e-7;
// @ts-ignore: decorator
@inline const ONE_M_EPS: f32 = <f32>1 - EPS;

// loss = mean((y − t)²) over y, t (m,n).
export function mse_forward(y: usize, t: usize, m: i32, n: i32): f32 {
  const len = m * n;
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(y + o), v128.load(t + o));
    acc = addf64(acc, f32x4.mul(d, d));
  }
  let s = hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(y + o) - load<f32>(t + o);
    s += <f64>(d * d);
  }
  return <f32>(s / <f64>len);
}

// dy (m,n) = 2 (y − t) / (m·n).
export function mse_backward(dy: usize, y: usize, t: usize, m: i32, n: i32): void {
  scaled_diff(dy, y, t, m * n, <f32>(2.0 / <f64>(m * n)));
}

// out (len) = (a − b) · c: the gradient shape shared by MSE and softmax cross-entropy.
function scaled_diff(out: usize, a: usize, b: usize, len: i32, c: f32): void {
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(f32x4.sub(v128.load(a + o), v128.load(b + o)), cv));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, (load<f32>(a + o) - load<f32>(b + o)) * c);
  }
}

/** Clamp to [EPS, 1 − EPS] with pmax/pmin ordered so NaN passes through. */
// @ts-ignore: decorator
@inline function clampP(p: v128): v128 {
  return f32x4.pmin(f32x4.pmax(p, f32x4.splat(EPS)), f32x4.splat(ONE_M_EPS));
}
// @ts-ignore: decorator
@inline function clampPs(p: f32): f32 {
  const a = p < EPS ? EPS : p;
  return ONE_M_EPS < a ? ONE_M_EPS : a;
}

// loss = mean(−(t·log p̂ + (1 − t)·log(1 − p̂))) over p, t (m,n), p̂ = p clamped to [eps, 1 − eps].
export function bce_forward(p: usize, t: usize, m: i32, n: i32): f32 {
  const len = m * n;
  const one = f32x4.splat(1);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const pc = clampP(v128.load(p + o));
    const tv = v128.load(t + o);
    // log(1 − p̂) as log1p(−p̂): accurate when p̂ is small, where 1 − p̂ would round.
    const l = f32x4.add(f32x4.mul(tv, vlog(pc)), f32x4.mul(f32x4.sub(one, tv), vlog1p(f32x4.neg(pc))));
    acc = addf64(acc, l);
  }
  let s = -hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const pc = clampPs(load<f32>(p + o));
    const tv = load<f32>(t + o);
    s -= <f64>(tv * log_s(pc) + (1 - tv) * log1p_s(-pc));
  }
  return <f32>(s / <f64>len);
}

// dp (m,n) = (p̂ − t) / (p̂ (1 − p̂)) / (m·n); 0 where p lies outside the clamp (the clamp's derivative).
export function bce_backward(dp: usize, p: usize, t: usize, m: i32, n: i32): void {
  const len = m * n;
  const c = <f32>(1.0 / <f64>len);
  const cv = f32x4.splat(c);
  const one = f32x4.splat(1);
  const lo = f32x4.splat(EPS);
  const hi = f32x4.splat(ONE_M_EPS);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const pc = clampP(pv);
    const g = f32x4.div(f32x4.mul(f32x4.sub(pc, v128.load(t + o)), cv), f32x4.mul(pc, f32x4.sub(one, pc)));
    const out = v128.or(f32x4.lt(pv, lo), f32x4.gt(pv, hi));
    v128.store(dp + o, v128.andnot(g, out));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const pc = clampPs(pv);
    const g = (pc - load<f32>(t + o)) * c / (pc * (1 - pc));
    store<f32>(dp + o, pv < EPS || pv > ONE_M_EPS ? 0 : g);
  }
}

// loss = mean(max(z,0) − z·t + log1p(e^−|z|)) over logits z, t (m,n): BCE of sigmoid(z) without overflow.
export function bce_logits_forward(z: usize, t: usize, m: i32, n: i32): f32 {
  const len = m * n;
  const zero = f32x4.splat(0);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const zv = v128.load(z + o);
    const sp = vlog1p(vexp(f32x4.neg(f32x4.abs(zv))));
    const l = f32x4.add(f32x4.sub(f32x4.pmax(zv, zero), f32x4.mul(zv, v128.load(t + o))), sp);
    acc = addf64(acc, l);
  }
  let s = hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const zv = load<f32>(z + o);
    const sp = log1p_s(exp_s(-abs<f32>(zv)));
    s += <f64>((zv < 0 ? 0 : zv) - zv * load<f32>(t + o) + sp);
  }
  return <f32>(s / <f64>len);
}

// dz (m,n) = (sigmoid(z) − t) / (m·n).
export function bce_logits_backward(dz: usize, z: usize, t: usize, m: i32, n: i32): void {
  const len = m * n;
  const c = <f32>(1.0 / <f64>len);
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, f32x4.mul(f32x4.sub(vsigmoid(v128.load(z + o)), v128.load(t + o)), cv));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, (sigmoid_s(load<f32>(z + o)) - load<f32>(t + o)) * c);
  }
}

// p (m,n) = softmax(z); loss = mean over rows of −Σ t·log p, from the log-softmax
// log p_j = (z_j − max) − log Σ e^(z − max): no clamp needed, one log per row, exact derivative (p − t)/m.
// Row loss = Σ t_j (max − z_j) + log(s)·Σ t_j, every term >= 0 for t >= 0 (no cancellation).
export function softmax_ce_forward(p: usize, z: usize, t: usize, m: i32, n: i32): f32 {
  const rowBytes = <usize>n << 2;
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const zr = z + off;
    const tr = t + off;
    const mx = row_max(zr, n);
    const s = row_exp_sum(p + off, zr, n, mx);
    row_scale(p + off, n, <f32>1 / s);
    const mv = f32x4.splat(mx);
    let av = f32x4.splat(0);
    let tv = av;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const tj = v128.load(tr + o);
      av = f32x4.add(av, f32x4.mul(tj, f32x4.sub(mv, v128.load(zr + o))));
      tv = f32x4.add(tv, tj);
    }
    let a = hsum(av);
    let ts = hsum(tv);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const tj = load<f32>(tr + o);
      a += tj * (mx - load<f32>(zr + o));
      ts += tj;
    }
    total += <f64>a + <f64>log_s(s) * <f64>ts;
  }
  return <f32>(total / <f64>m);
}

// dz (m,n) = (p − t) / m: the exact gradient of softmax_ce_forward when each target row sums to 1 (one-hot or
// soft labels); in general it would be p·Σt − t.
export function softmax_ce_backward(dz: usize, p: usize, t: usize, m: i32, n: i32): void {
  scaled_diff(dz, p, t, m * n, <f32>(1.0 / <f64>m));
}

// loss = mean over rows of −Σ t·log p̂, p̂ = p clamped to [eps, 1 − eps] (p taken as probabilities as is).
export function ce_forward(p: usize, t: usize, m: i32, n: i32): f32 {
  const len = m * n;
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    acc = addf64(acc, f32x4.mul(v128.load(t + o), vlog(clampP(v128.load(p + o)))));
  }
  let s = -hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    s -= <f64>(load<f32>(t + o) * log_s(clampPs(load<f32>(p + o))));
  }
  return <f32>(s / <f64>m);
}

// dp (m,n) = −t / p̂ / m; 0 where p lies outside the clamp.
export function ce_backward(dp: usize, p: usize, t: usize, m: i32, n: i32): void {
  const len = m * n;
  const c = <f32>(-1.0 / <f64>m);
  const cv = f32x4.splat(c);
  const lo = f32x4.splat(EPS);
  const hi = f32x4.splat(ONE_M_EPS);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const pv = v128.load(p + o);
    const g = f32x4.div(f32x4.mul(v128.load(t + o), cv), clampP(pv));
    v128.store(dp + o, v128.andnot(g, v128.or(f32x4.lt(pv, lo), f32x4.gt(pv, hi))));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    store<f32>(dp + o, pv < EPS || pv > ONE_M_EPS ? 0 : load<f32>(t + o) * c / clampPs(pv));
  }
}
