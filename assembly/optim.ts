// Regularizers and optimizer steps over one flat slab of n floats (all parameters at once): f32x4 body,
// scalar tail. Scalar hyper-parameters are combined once outside the loop.
import { addf64, hsum64, sum_squares_f64 } from './math';

// Σ|w| over w (n), summed in f64 lanes.
export function l1_forward(w: usize, n: i32): f32 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = addf64(acc, f32x4.abs(v128.load(w + (<usize>i << 2))));
  let s = hsum64(acc);
  for (; i < n; i++) s += <f64>abs<f32>(load<f32>(w + (<usize>i << 2)));
  return <f32>s;
}

// g (n) += lambda · sign(w), sign(0) = 0 and sign(NaN) = 0.
export function l1_backward(g: usize, w: usize, n: i32, lambda: f32): void {
  const z = f32x4.splat(0);
  const lp = f32x4.splat(lambda);
  const ln = f32x4.splat(-lambda);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const s = v128.or(v128.and(f32x4.gt(wv, z), lp), v128.and(f32x4.lt(wv, z), ln));
    v128.store(g + o, f32x4.add(v128.load(g + o), s));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    store<f32>(g + o, load<f32>(g + o) + (wv > 0 ? lambda : wv < 0 ? -lambda : 0));
  }
}

// Σw² over w (n): exact squares summed in f64.
export function l2_forward(w: usize, n: i32): f32 {
  return <f32>sum_squares_f64(w, n);
}

// g (n) += 2 · lambda · w (gradient of lambda · Σw², as Keras).
export function l2_backward(g: usize, w: usize, n: i32, lambda: f32): void {
  const c = lambda * 2;
  const cv = f32x4.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(g + o, f32x4.add(v128.load(g + o), f32x4.mul(v128.load(w + o), cv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(g + o, load<f32>(g + o) + load<f32>(w + o) * c);
  }
}

// w (n) −= lr · (g + wd · w).
export function sgd_update(w: usize, g: usize, n: i32, lr: f32, wd: f32): void {
  const lrv = f32x4.splat(lr);
  const wdv = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(wdv, wv));
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(lrv, gv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    store<f32>(w + o, wv - lr * (load<f32>(g + o) + wd * wv));
  }
}

// v (n) = mu · v + (g + wd · w); w (n) −= lr · v.
export function momentum_update(w: usize, v: usize, g: usize, n: i32, lr: f32, mu: f32, wd: f32): void {
  const lrv = f32x4.splat(lr);
  const muv = f32x4.splat(mu);
  const wdv = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(wdv, wv));
    const vv = f32x4.add(f32x4.mul(muv, v128.load(v + o)), gv);
    v128.store(v + o, vv);
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(lrv, vv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const vv = mu * load<f32>(v + o) + (load<f32>(g + o) + wd * wv);
    store<f32>(v + o, vv);
    store<f32>(w + o, wv - lr * vv);
  }
}

// g' = g + wd · w; v (n) = mu · v + g'; w (n) −= lr · (g' + mu · v)  (Nesterov, PyTorch form).
export function nesterov_update(w: usize, v: usize, g: usize, n: i32, lr: f32, mu: f32, wd: f32): void {
  const lrv = f32x4.splat(lr);
  const muv = f32x4.splat(mu);
  const wdv = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(wdv, wv));
    const vv = f32x4.add(f32x4.mul(muv, v128.load(v + o)), gv);
    v128.store(v + o, vv);
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(lrv, f32x4.add(gv, f32x4.mul(muv, vv)))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv;
    const vv = mu * load<f32>(v + o) + gv;
    store<f32>(v + o, vv);
    store<f32>(w + o, wv - lr * (gv + mu * vv));
  }
}

// Shared Adam body. g' = g + cwd·w (coupled decay), m = b1·m + (1−b1)·g', v = b2·v + (1−b2)·g'²,
// w −= lr · (dwd·w + m̂ / (√v̂ + eps)) with m̂ = m/bc1, v̂ = v/bc2 (dwd: decoupled decay).
// Rewritten per lane as (lr/bc1)·m / (√v·(1/√bc2) + eps): one sqrt and one divide per element.
// @ts-ignore: decorator
@inline function adam_body(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
  eps: f32, cwd: f32, dwd: f32, bc1: f32, bc2: f32): void {
  const a = lr / bc1;
  const ib2 = <f32>1 / sqrt<f32>(bc2);
  const ld = lr * dwd;
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(<f32>1 - beta1);
  const c2 = f32x4.splat(<f32>1 - beta2);
  const av = f32x4.splat(a);
  const ib2v = f32x4.splat(ib2);
  const epsv = f32x4.splat(eps);
  const cwdv = f32x4.splat(cwd);
  const ldv = f32x4.splat(ld);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(cwdv, wv));
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.mul(av, mv), f32x4.add(f32x4.mul(f32x4.sqrt(vv), ib2v), epsv));
    v128.store(w + o, f32x4.sub(f32x4.sub(wv, f32x4.mul(ldv, wv)), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + cwd * wv;
    const mv = beta1 * load<f32>(m + o) + (<f32>1 - beta1) * gv;
    const vv = beta2 * load<f32>(v + o) + (<f32>1 - beta2) * (gv * gv);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(w + o, wv - ld * wv - a * mv / (sqrt<f32>(vv) * ib2 + eps));
  }
}

// Adam with coupled (L2) decay over w, m, v, g (n): g' = g + wd·w; bc1 = 1 − beta1^t, bc2 = 1 − beta2^t.
export function adam_update(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
  eps: f32, wd: f32, bc1: f32, bc2: f32): void {
  adam_body(w, m, v, g, n, lr, beta1, beta2, eps, wd, 0, bc1, bc2);
}

// AdamW over w, m, v, g (n): m, v from g alone; w −= lr · (wd · w + m̂ / (√v̂ + eps)).
export function adamw_update(w: usize, m: usize, v: usize, g: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
  eps: f32, wd: f32, bc1: f32, bc2: f32): void {
  adam_body(w, m, v, g, n, lr, beta1, beta2, eps, 0, wd, bc1, bc2);
}

// RMSprop and Adagrad, one kernel (they differ only in how the squares accumulate) over w, s, g (n):
// g' = g + wd·w; s = decay·s + gain·g'²; w −= lr · g' / √(s + eps) (eps inside the root, as Keras and TF.js).
// RMSprop: decay = rho, gain = 1 − rho. Adagrad: decay = gain = 1, s filled with the initial accumulator first.
export function rms_update(w: usize, s: usize, g: usize, n: i32, lr: f32, decay: f32, gain: f32, eps: f32, wd: f32): void {
  const lrv = f32x4.splat(lr);
  const dv = f32x4.splat(decay);
  const cv = f32x4.splat(gain);
  const ev = f32x4.splat(eps);
  const wdv = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(wdv, wv));
    const sv = f32x4.add(f32x4.mul(dv, v128.load(s + o)), f32x4.mul(cv, f32x4.mul(gv, gv)));
    v128.store(s + o, sv);
    v128.store(w + o, f32x4.sub(wv, f32x4.div(f32x4.mul(lrv, gv), f32x4.sqrt(f32x4.add(sv, ev)))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wd * wv;
    const sv = decay * load<f32>(s + o) + gain * (gv * gv);
    store<f32>(s + o, sv);
    store<f32>(w + o, wv - lr * gv / sqrt<f32>(sv + eps));
  }
}
