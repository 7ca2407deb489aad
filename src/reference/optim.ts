// Plain-TS twins of assembly/optim.ts: same names, same argument order, typed arrays in place of pointers.
// Scalar hyper-parameters are rounded to f32 first (the kernel ABI passes them as f32); arithmetic is f64.

const f = Math.fround;

/** Σ|w|. */
export function l1_forward(w: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(w[i]);
  return f(s);
}

/** g += lambda · sign(w), sign(0) = sign(NaN) = 0. */
export function l1_backward(g: Float32Array, w: Float32Array, n: number, lambda: number): void {
  const l = f(lambda);
  for (let i = 0; i < n; i++) g[i] += w[i] > 0 ? l : w[i] < 0 ? -l : 0;
}

/** Σw². */
export function l2_forward(w: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i] * w[i];
  return f(s);
}

/** g += 2 · lambda · w. */
export function l2_backward(g: Float32Array, w: Float32Array, n: number, lambda: number): void {
  const c = 2 * f(lambda);
  for (let i = 0; i < n; i++) g[i] += c * w[i];
}

/** w −= lr · (g + wd · w). */
export function sgd_update(w: Float32Array, g: Float32Array, n: number, lr: number, wd: number): void {
  const a = f(lr);
  const d = f(wd);
  for (let i = 0; i < n; i++) w[i] -= a * (g[i] + d * w[i]);
}

/** v = mu · v + (g + wd · w); w −= lr · v. */
export function momentum_update(
  w: Float32Array,
  v: Float32Array,
  g: Float32Array,
  n: number,
  lr: number,
  mu: number,
  wd: number,
): void {
  const a = f(lr);
  const u = f(mu);
  const d = f(wd);
  for (let i = 0; i < n; i++) {
    v[i] = u * v[i] + (g[i] + d * w[i]);
    w[i] -= a * v[i];
  }
}

/** g' = g + wd · w; v = mu · v + g'; w −= lr · (g' + mu · v). */
export function nesterov_update(
  w: Float32Array,
  v: Float32Array,
  g: Float32Array,
  n: number,
  lr: number,
  mu: number,
  wd: number,
): void {
  const a = f(lr);
  const u = f(mu);
  const d = f(wd);
  for (let i = 0; i < n; i++) {
    const gp = g[i] + d * w[i];
    v[i] = u * v[i] + gp;
    w[i] -= a * (gp + u * v[i]);
  }
}

/**
 * Adam with coupled (L2) decay: g' = g + wd·w; m = b1·m + (1−b1)·g'; v = b2·v + (1−b2)·g'²;
 * w −= lr · (m / bc1) / (√(v / bc2) + eps), with bc1 = 1 − beta1^t and bc2 = 1 − beta2^t from the caller.
 */
export function adam_update(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  wd: number,
  bc1: number,
  bc2: number,
): void {
  const a = f(lr),
    b1 = f(beta1),
    b2 = f(beta2),
    e = f(eps),
    d = f(wd),
    c1 = f(bc1),
    c2 = f(bc2);
  for (let i = 0; i < n; i++) {
    const gp = g[i] + d * w[i];
    m[i] = b1 * m[i] + (1 - b1) * gp;
    v[i] = b2 * v[i] + (1 - b2) * gp * gp;
    w[i] -= (a * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + e);
  }
}

/** AdamW (decoupled decay): m, v from g; w −= lr · (wd · w + m̂ / (√v̂ + eps)), m̂ = m/bc1, v̂ = v/bc2. */
export function adamw_update(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  wd: number,
  bc1: number,
  bc2: number,
): void {
  const a = f(lr),
    b1 = f(beta1),
    b2 = f(beta2),
    e = f(eps),
    d = f(wd),
    c1 = f(bc1),
    c2 = f(bc2);
  for (let i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    w[i] -= a * (d * w[i] + m[i] / c1 / (Math.sqrt(v[i] / c2) + e));
  }
}

/**
 * RMSprop and Adagrad: g' = g + wd·w; s = decay·s + gain·g'²; w −= lr · g' / √(s + eps). RMSprop: decay = rho,
 * gain = 1 − rho; Adagrad: decay = gain = 1.
 */
export function rms_update(
  w: Float32Array,
  s: Float32Array,
  g: Float32Array,
  n: number,
  lr: number,
  decay: number,
  gain: number,
  eps: number,
  wd: number,
): void {
  const a = f(lr),
    d = f(decay),
    c = f(gain),
    e = f(eps),
    k = f(wd);
  for (let i = 0; i < n; i++) {
    const gp = g[i] + k * w[i];
    s[i] = d * s[i] + c * gp * gp;
    w[i] -= (a * gp) / Math.sqrt(s[i] + e);
  }
}
