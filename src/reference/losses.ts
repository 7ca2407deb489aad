// Plain-TS twins of assembly/losses.ts: same names, same argument order, typed arrays in place of pointers.
// Forward returns the batch mean (mean over all m·n elements for MSE and BCE; sum over classes, mean over rows
// for the cross-entropies); backward overwrites its output with d(mean loss)/d(input). Sums in f64.

/** Probability clamp of the cross-entropies, as the kernels: [eps, 1 − eps] rounded to f32. */
export const CE_EPS = Math.fround(1e-7);
export const CE_ONE_M_EPS = Math.fround(1 - CE_EPS);

function clampP(p: number): number {
  // NaN passes through (neither comparison holds), as pmax/pmin in the kernels.
  const a = p < CE_EPS ? CE_EPS : p;
  return a > CE_ONE_M_EPS ? CE_ONE_M_EPS : a;
}

/** mean((y − t)²). */
export function mse_forward(y: Float32Array, t: Float32Array, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const d = y[i] - t[i];
    s += d * d;
  }
  return Math.fround(s / len);
}

/** dy = 2 (y − t) / (m·n). */
export function mse_backward(dy: Float32Array, y: Float32Array, t: Float32Array, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dy[i] = (2 * (y[i] - t[i])) / len;
}

/** mean(−(t·log p̂ + (1 − t)·log(1 − p̂))), p̂ = p clamped to [eps, 1 − eps]. */
export function bce_forward(p: Float32Array, t: Float32Array, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const pc = clampP(p[i]);
    s -= t[i] * Math.log(pc) + (1 - t[i]) * Math.log1p(-pc);
  }
  return Math.fround(s / len);
}

/** dp = (p̂ − t) / (p̂ (1 − p̂)) / (m·n); 0 where p is outside the clamp (the clamp's derivative). */
export function bce_backward(dp: Float32Array, p: Float32Array, t: Float32Array, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) {
    const pc = clampP(p[i]);
    dp[i] = p[i] < CE_EPS || p[i] > CE_ONE_M_EPS ? 0 : (pc - t[i]) / (pc * (1 - pc)) / len;
  }
}

/** mean(max(z,0) − z·t + log1p(e^−|z|)) on logits z. */
export function bce_logits_forward(z: Float32Array, t: Float32Array, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const v = z[i];
    s += (v < 0 ? 0 : v) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v)));
  }
  return Math.fround(s / len);
}

/** dz = (sigmoid(z) − t) / (m·n). */
export function bce_logits_backward(dz: Float32Array, z: Float32Array, t: Float32Array, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dz[i] = (1 / (1 + Math.exp(-z[i])) - t[i]) / len;
}

/**
 * Fused softmax + categorical cross-entropy: p = softmax(z) (max-subtracted, max ignores NaN), loss = mean over
 * rows of −Σ t·log p from the log-softmax (no clamp): row loss = Σ t_j (max − z_j) + log(Σ e^(z − max))·Σ t_j.
 */
export function softmax_ce_forward(p: Float32Array, z: Float32Array, t: Float32Array, m: number, n: number): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    const o = r * n;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (z[o + j] > mx) mx = z[o + j];
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(z[o + j] - mx);
    const logS = Math.log(s);
    for (let j = 0; j < n; j++) {
      p[o + j] = Math.exp(z[o + j] - mx) / s;
      total += t[o + j] * (mx - z[o + j] + logS);
    }
  }
  return Math.fround(total / m);
}

/** dz = (p − t) / m: the exact gradient of softmax_ce_forward when each target row sums to 1. */
export function softmax_ce_backward(dz: Float32Array, p: Float32Array, t: Float32Array, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dz[i] = (p[i] - t[i]) / m;
}

/** mean over rows of −Σ t·log p̂, p̂ = p clamped to [eps, 1 − eps] (p used as given, not renormalized). */
export function ce_forward(p: Float32Array, t: Float32Array, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) s -= t[i] * Math.log(clampP(p[i]));
  return Math.fround(s / m);
}

/** dp = −t / p̂ / m; 0 where p is outside the clamp. */
export function ce_backward(dp: Float32Array, p: Float32Array, t: Float32Array, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) {
    dp[i] = p[i] < CE_EPS || p[i] > CE_ONE_M_EPS ? 0 : -t[i] / clampP(p[i]) / m;
  }
}
