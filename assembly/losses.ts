// Losses over (m,n) predictions y / p / z against targets t (m,n). Forward returns the batch mean as f32
// (mean over all m·n elements for MSE and BCE, as Keras; sum over classes and mean over rows for the
// cross-entropies); backward OVERWRITES its output with d(mean loss)/d(input). Per-element terms are f32,
// their sum is kept in f64 lanes so the mean does not drift with batch size. NaN inputs give a NaN loss.
// w (m) is a per-row weight vector, or 0 for none: each row's loss is multiplied by w[r] and the mean stays
// Keras's 'sum over batch size' (Σ w·loss / m, not / Σw); backward scales row r of the gradient by w[r].
import { vexp, vlog, vlog1p, vsigmoid, addf64, hsum, hsum64, exp_s, log_s, log1p_s, sigmoid_s, row_max,
  row_exp_sum, row_scale } from './math';

// Probability clamp of the cross-entropies: [EPS, 1 − EPS] in f32 (1 − EPS rounds to 1 − 2^-23).
// @ts-ignore: decorator
@inline const EPS: f32 = 1e-7;
// @ts-ignore: decorator
@inline const ONE_M_EPS: f32 = <f32>1 - EPS;

// Σ (y − t)² over len floats, in f64.
function mse_sum(y: usize, t: usize, len: i32): f64 {
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
  return s;
}

// loss = mean((y − t)²) over y, t (m,n); rows weighted by w (m) unless w == 0.
export function mse_forward(y: usize, t: usize, w: usize, m: i32, n: i32): f32 {
  const len = m * n;
  if (w == 0) return <f32>(mse_sum(y, t, len) / <f64>len);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) s += <f64>load<f32>(w + (<usize>r << 2)) * mse_sum(y + <usize>r * rb, t + <usize>r * rb, n);
  return <f32>(s / <f64>len);
}

// dy (m,n) = 2 (y − t) / (m·n) · w[r].
export function mse_backward(dy: usize, y: usize, t: usize, w: usize, m: i32, n: i32): void {
  scaled_diff(dy, y, t, m * n, <f32>(2.0 / <f64>(m * n)));
  scale_rows(dy, w, m, n);
}

// d (m,n) row r *= w[r]; nothing when w == 0 (unweighted).
function scale_rows(d: usize, w: usize, m: i32, n: i32): void {
  if (w == 0) return;
  const rb = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const c = load<f32>(w + (<usize>r << 2));
    const cv = f32x4.splat(c);
    const row = d + <usize>r * rb;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.mul(v128.load(row + o), cv));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) * c);
    }
  }
}

// Σ |y − t| over len floats, in f64.
function mae_sum(y: usize, t: usize, len: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    acc = addf64(acc, f32x4.abs(f32x4.sub(v128.load(y + o), v128.load(t + o))));
  }
  let s = hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    s += <f64>abs<f32>(load<f32>(y + o) - load<f32>(t + o));
  }
  return s;
}

// loss = mean(|y − t|) over y, t (m,n); rows weighted by w (m) unless w == 0.
export function mae_forward(y: usize, t: usize, w: usize, m: i32, n: i32): f32 {
  const len = m * n;
  if (w == 0) return <f32>(mae_sum(y, t, len) / <f64>len);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) s += <f64>load<f32>(w + (<usize>r << 2)) * mae_sum(y + <usize>r * rb, t + <usize>r * rb, n);
  return <f32>(s / <f64>len);
}

// dy (m,n) = sign(y − t) / (m·n) · w[r]; sign(0) = 0 (the subgradient TF uses), NaN stays NaN.
export function mae_backward(dy: usize, y: usize, t: usize, w: usize, m: i32, n: i32): void {
  const len = m * n;
  const c = <f32>(1.0 / <f64>len);
  const z = f32x4.splat(0);
  const pv = f32x4.splat(c);
  const nv = f32x4.splat(-c);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(y + o), v128.load(t + o));
    // NaN lanes take d itself (the sign masks alone would give 0 for them).
    const g = v128.or(v128.and(f32x4.gt(d, z), pv), v128.and(f32x4.lt(d, z), nv));
    v128.store(dy + o, v128.or(g, v128.and(f32x4.ne(d, d), d)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(y + o) - load<f32>(t + o);
    store<f32>(dy + o, d > 0 ? c : d < 0 ? -c : d != d ? d : <f32>0);
  }
  scale_rows(dy, w, m, n);
}

// Σ huber(y − t) over len floats, in f64: ½d² where |d| <= delta, else delta·(|d| − ½delta).
function huber_sum(y: usize, t: usize, len: i32, delta: f32): f64 {
  const dv = f32x4.splat(delta);
  const hv = f32x4.splat(<f32>0.5);
  const lin = f32x4.splat(<f32>0.5 * delta);
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const a = f32x4.abs(f32x4.sub(v128.load(y + o), v128.load(t + o)));
    const q = f32x4.mul(hv, f32x4.mul(a, a));
    const l = f32x4.mul(dv, f32x4.sub(a, lin));
    // bitselect on a <= delta: NaN compares false and takes the linear lane, which is NaN too.
    acc = addf64(acc, v128.bitselect(q, l, f32x4.le(a, dv)));
  }
  let s = hsum64(acc);
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const a = abs<f32>(load<f32>(y + o) - load<f32>(t + o));
    s += <f64>(a <= delta ? <f32>0.5 * (a * a) : delta * (a - <f32>0.5 * delta));
  }
  return s;
}

// loss = mean(huber(y − t)) over y, t (m,n) with threshold delta > 0 (Keras Huber); rows weighted by w unless 0.
export function huber_forward(y: usize, t: usize, w: usize, m: i32, n: i32, delta: f32): f32 {
  const len = m * n;
  if (w == 0) return <f32>(huber_sum(y, t, len, delta) / <f64>len);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) {
    s += <f64>load<f32>(w + (<usize>r << 2)) * huber_sum(y + <usize>r * rb, t + <usize>r * rb, n, delta);
  }
  return <f32>(s / <f64>len);
}

// dy (m,n) = clamp(y − t, −delta, delta) / (m·n) · w[r].
export function huber_backward(dy: usize, y: usize, t: usize, w: usize, m: i32, n: i32, delta: f32): void {
  const len = m * n;
  const c = <f32>(1.0 / <f64>len);
  const cv = f32x4.splat(c);
  const hi = f32x4.splat(delta);
  const lo = f32x4.splat(-delta);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(y + o), v128.load(t + o));
    // pmin/pmax with d first: a NaN d passes through.
    v128.store(dy + o, f32x4.mul(f32x4.pmax(f32x4.pmin(d, hi), lo), cv));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(y + o) - load<f32>(t + o);
    const e = delta < d ? delta : d;
    store<f32>(dy + o, (e < -delta ? -delta : e) * c);
  }
  scale_rows(dy, w, m, n);
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

// Σ −(t·log p̂ + (1 − t)·log(1 − p̂)) over len floats, in f64.
function bce_sum(p: usize, t: usize, len: i32): f64 {
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
  return s;
}

// loss = mean(−(t·log p̂ + (1 − t)·log(1 − p̂))) over p, t (m,n), p̂ = p clamped to [eps, 1 − eps]; rows
// weighted by w (m) unless w == 0.
export function bce_forward(p: usize, t: usize, w: usize, m: i32, n: i32): f32 {
  const len = m * n;
  if (w == 0) return <f32>(bce_sum(p, t, len) / <f64>len);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) s += <f64>load<f32>(w + (<usize>r << 2)) * bce_sum(p + <usize>r * rb, t + <usize>r * rb, n);
  return <f32>(s / <f64>len);
}

// dp (m,n) = (p̂ − t) / (p̂ (1 − p̂)) / (m·n) · w[r]; 0 where p lies outside the clamp (the clamp's derivative).
export function bce_backward(dp: usize, p: usize, t: usize, w: usize, m: i32, n: i32): void {
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
  scale_rows(dp, w, m, n);
}

// Σ max(z,0) − z·t + log1p(e^−|z|) over len floats, in f64.
function bce_logits_sum(z: usize, t: usize, len: i32): f64 {
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
  return s;
}

// loss = mean(max(z,0) − z·t + log1p(e^−|z|)) over logits z, t (m,n): BCE of sigmoid(z) without overflow; rows
// weighted by w (m) unless w == 0.
export function bce_logits_forward(z: usize, t: usize, w: usize, m: i32, n: i32): f32 {
  const len = m * n;
  if (w == 0) return <f32>(bce_logits_sum(z, t, len) / <f64>len);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) {
    s += <f64>load<f32>(w + (<usize>r << 2)) * bce_logits_sum(z + <usize>r * rb, t + <usize>r * rb, n);
  }
  return <f32>(s / <f64>len);
}

// dz (m,n) = (sigmoid(z) − t) / (m·n) · w[r].
export function bce_logits_backward(dz: usize, z: usize, t: usize, w: usize, m: i32, n: i32): void {
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
  scale_rows(dz, w, m, n);
}

// p (m,n) = softmax(z); loss = mean over rows of −Σ t·log p, from the log-softmax
// log p_j = (z_j − max) − log Σ e^(z − max): no clamp needed, one log per row, exact derivative (p − t)/m.
// Row loss = Σ t_j (max − z_j) + log(s)·Σ t_j, every term >= 0 for t >= 0 (no cancellation); times w[r] unless
// w == 0.
export function softmax_ce_forward(p: usize, z: usize, t: usize, w: usize, m: i32, n: i32): f32 {
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
    const rl = <f64>a + <f64>log_s(s) * <f64>ts;
    total += w == 0 ? rl : <f64>load<f32>(w + (<usize>r << 2)) * rl;
  }
  return <f32>(total / <f64>m);
}

// dz (m,n) = (p − t) / m · w[r]: the exact gradient of softmax_ce_forward when each target row sums to 1
// (one-hot or soft labels); in general it would be p·Σt − t.
export function softmax_ce_backward(dz: usize, p: usize, t: usize, w: usize, m: i32, n: i32): void {
  scaled_diff(dz, p, t, m * n, <f32>(1.0 / <f64>m));
  scale_rows(dz, w, m, n);
}

// Σ −t·log p̂ over len floats, in f64.
function ce_sum(p: usize, t: usize, len: i32): f64 {
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
  return s;
}

// loss = mean over rows of −Σ t·log p̂, p̂ = p clamped to [eps, 1 − eps] (p taken as probabilities as is); rows
// weighted by w (m) unless w == 0.
export function ce_forward(p: usize, t: usize, w: usize, m: i32, n: i32): f32 {
  if (w == 0) return <f32>(ce_sum(p, t, m * n) / <f64>m);
  const rb = <usize>n << 2;
  let s: f64 = 0;
  for (let r = 0; r < m; r++) s += <f64>load<f32>(w + (<usize>r << 2)) * ce_sum(p + <usize>r * rb, t + <usize>r * rb, n);
  return <f32>(s / <f64>m);
}

// dp (m,n) = −t / p̂ / m · w[r]; 0 where p lies outside the clamp.
export function ce_backward(dp: usize, p: usize, t: usize, w: usize, m: i32, n: i32): void {
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
  scale_rows(dp, w, m, n);
}

// The label of row r as a class index in [0, n), or −1 when it is not one (NaN, fractional, out of range).
// @ts-ignore: decorator
@inline function label_at(labels: usize, r: i32, n: i32): i32 {
  const l = load<f32>(labels + (<usize>r << 2));
  const i = <i32>l;
  return l >= 0 && l < <f32>n && <f32>i == l ? i : -1;
}

// Fused softmax + sparse categorical cross-entropy over logits z (m,n) and integer class labels (m, as f32):
// p (m,n) = softmax(z); row loss = log Σ e^(z − max) − (z_label − max), times w[r] unless w == 0; returns the mean
// over rows. A row whose label is not a class index gives NaN (the host checks labels first).
export function sparse_softmax_ce_forward(p: usize, z: usize, labels: usize, w: usize, m: i32, n: i32): f32 {
  const rowBytes = <usize>n << 2;
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const zr = z + off;
    const mx = row_max(zr, n);
    const s = row_exp_sum(p + off, zr, n, mx);
    row_scale(p + off, n, <f32>1 / s);
    const l = label_at(labels, r, n);
    const rl = l < 0 ? NaN : <f64>(mx - load<f32>(zr + (<usize>l << 2))) + <f64>log_s(s);
    total += w == 0 ? rl : <f64>load<f32>(w + (<usize>r << 2)) * rl;
  }
  return <f32>(total / <f64>m);
}

// dz (m,n) = (p − onehot(label)) / m · w[r], from the probabilities p of sparse_softmax_ce_forward (dz may be p).
export function sparse_softmax_ce_backward(dz: usize, p: usize, labels: usize, w: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  const inv = <f32>(1.0 / <f64>m);
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const c = w == 0 ? inv : inv * load<f32>(w + (<usize>r << 2));
    const l = label_at(labels, r, n);
    const pl: f32 = l >= 0 ? load<f32>(p + off + (<usize>l << 2)) : 0; // read before an in-place overwrite
    const cv = f32x4.splat(c);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = off + (<usize>j << 2);
      v128.store(dz + o, f32x4.mul(v128.load(p + o), cv));
    }
    for (; j < n; j++) {
      const o = off + (<usize>j << 2);
      store<f32>(dz + o, load<f32>(p + o) * c);
    }
    if (l >= 0) store<f32>(dz + off + (<usize>l << 2), (pl - 1) * c);
  }
}

// Rows r of y (m,n) whose argmax (first index on ties, NaN ignored) is labels[r] (m, as f32).
export function sparse_accuracy_count(y: usize, labels: usize, m: i32, n: i32): i32 {
  const rowBytes = <usize>n << 2;
  let c = 0;
  for (let r = 0; r < m; r++) {
    const yr = y + <usize>r * rowBytes;
    const l = label_at(labels, r, n);
    if (l < 0) continue;
    // argmax as accuracy_count's: first index on ties, NaN ignored, an all-NaN row counts as class 0.
    const mx = row_max(yr, n);
    let a = 0;
    for (let j = 0; j < n; j++) {
      if (load<f32>(yr + (<usize>j << 2)) == mx) {
        a = j;
        break;
      }
    }
    if (a == l) c++;
  }
  return c;
}
