// Plain-TS twins of assembly/losses.ts: same names, same argument order, typed arrays in place of pointers.
// Forward returns the batch mean (mean over all m·n elements for MSE and BCE; sum over classes, mean over rows
// for the cross-entropies); backward overwrites its output with d(mean loss)/d(input). Sums in f64.
// w: per-row weights (m) or null: row r's loss times w[r], the mean still over m rows (Keras 'sum over batch size');
// backward scales row r of the gradient by w[r].

type W = Float32Array | null;
/** Weight of row r (1 when unweighted). */
const wt = (w: W, r: number): number => (w ? w[r] : 1);

/** Probability clamp of the cross-entropies, as the kernels: [eps, 1 − eps] rounded to f32. */
export const CE_EPS = Math.fround(1e-7);
export const CE_ONE_M_EPS = Math.fround(1 - CE_EPS);

function clampP(p: number): number {
  // NaN passes through (neither comparison holds), as pmax/pmin in the kernels.
  const a = p < CE_EPS ? CE_EPS : p;
  return a > CE_ONE_M_EPS ? CE_ONE_M_EPS : a;
}

/** mean((y − t)²). */
export function mse_forward(y: Float32Array, t: Float32Array, w: W, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const d = y[i] - t[i];
    s += wt(w, Math.floor(i / n)) * d * d;
  }
  return Math.fround(s / len);
}

/** dy = 2 (y − t) / (m·n). */
export function mse_backward(dy: Float32Array, y: Float32Array, t: Float32Array, w: W, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dy[i] = (wt(w, Math.floor(i / n)) * 2 * (y[i] - t[i])) / len;
}

/** mean(|y − t|). */
export function mae_forward(y: Float32Array, t: Float32Array, w: W, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) s += wt(w, Math.floor(i / n)) * Math.abs(y[i] - t[i]);
  return Math.fround(s / len);
}

/** dy = sign(y − t) / (m·n), sign(0) = 0, NaN stays NaN. */
export function mae_backward(dy: Float32Array, y: Float32Array, t: Float32Array, w: W, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) {
    const d = y[i] - t[i];
    dy[i] = (wt(w, Math.floor(i / n)) * (d > 0 ? 1 : d < 0 ? -1 : d * 0)) / len;
  }
}

/** mean(huber(y − t)): ½d² where |d| <= delta, else delta·(|d| − ½delta) (Keras Huber). */
export function huber_forward(y: Float32Array, t: Float32Array, w: W, m: number, n: number, delta: number): number {
  const len = m * n;
  const dl = Math.fround(delta);
  let s = 0;
  for (let i = 0; i < len; i++) {
    const a = Math.abs(y[i] - t[i]);
    s += wt(w, Math.floor(i / n)) * (a <= dl ? 0.5 * a * a : dl * (a - 0.5 * dl));
  }
  return Math.fround(s / len);
}

/** dy = clamp(y − t, −delta, delta) / (m·n); NaN stays NaN. */
export function huber_backward(
  dy: Float32Array,
  y: Float32Array,
  t: Float32Array,
  w: W,
  m: number,
  n: number,
  delta: number,
): void {
  const len = m * n;
  const dl = Math.fround(delta);
  for (let i = 0; i < len; i++) {
    const d = y[i] - t[i];
    const c = d > dl ? dl : d < -dl ? -dl : d;
    dy[i] = (wt(w, Math.floor(i / n)) * c) / len;
  }
}

/** mean(−(t·log p̂ + (1 − t)·log(1 − p̂))), p̂ = p clamped to [eps, 1 − eps]. */
export function bce_forward(p: Float32Array, t: Float32Array, w: W, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const pc = clampP(p[i]);
    s -= wt(w, Math.floor(i / n)) * (t[i] * Math.log(pc) + (1 - t[i]) * Math.log1p(-pc));
  }
  return Math.fround(s / len);
}

/** dp = (p̂ − t) / (p̂ (1 − p̂)) / (m·n); 0 where p is outside the clamp (the clamp's derivative). */
export function bce_backward(dp: Float32Array, p: Float32Array, t: Float32Array, w: W, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) {
    const pc = clampP(p[i]);
    dp[i] = p[i] < CE_EPS || p[i] > CE_ONE_M_EPS ? 0 : (wt(w, Math.floor(i / n)) * (pc - t[i])) / (pc * (1 - pc)) / len;
  }
}

/** mean(max(z,0) − z·t + log1p(e^−|z|)) on logits z. */
export function bce_logits_forward(z: Float32Array, t: Float32Array, w: W, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const v = z[i];
    s += wt(w, Math.floor(i / n)) * ((v < 0 ? 0 : v) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v))));
  }
  return Math.fround(s / len);
}

/** dz = (sigmoid(z) − t) / (m·n). */
export function bce_logits_backward(
  dz: Float32Array,
  z: Float32Array,
  t: Float32Array,
  w: W,
  m: number,
  n: number,
): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dz[i] = (wt(w, Math.floor(i / n)) * (1 / (1 + Math.exp(-z[i])) - t[i])) / len;
}

/**
 * Fused softmax + categorical cross-entropy: p = softmax(z) (max-subtracted, max ignores NaN), loss = mean over
 * rows of −Σ t·log p from the log-softmax (no clamp): row loss = Σ t_j (max − z_j) + log(Σ e^(z − max))·Σ t_j.
 */
export function softmax_ce_forward(
  p: Float32Array,
  z: Float32Array,
  t: Float32Array,
  w: W,
  m: number,
  n: number,
): number {
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
      total += wt(w, r) * t[o + j] * (mx - z[o + j] + logS);
    }
  }
  return Math.fround(total / m);
}

/** dz = (p − t) / m: the exact gradient of softmax_ce_forward when each target row sums to 1. */
export function softmax_ce_backward(
  dz: Float32Array,
  p: Float32Array,
  t: Float32Array,
  w: W,
  m: number,
  n: number,
): void {
  const len = m * n;
  for (let i = 0; i < len; i++) dz[i] = (wt(w, Math.floor(i / n)) * (p[i] - t[i])) / m;
}

/** mean over rows of −Σ t·log p̂, p̂ = p clamped to [eps, 1 − eps] (p used as given, not renormalized). */
export function ce_forward(p: Float32Array, t: Float32Array, w: W, m: number, n: number): number {
  const len = m * n;
  let s = 0;
  for (let i = 0; i < len; i++) s -= wt(w, Math.floor(i / n)) * t[i] * Math.log(clampP(p[i]));
  return Math.fround(s / m);
}

/** dp = −t / p̂ / m; 0 where p is outside the clamp. */
export function ce_backward(dp: Float32Array, p: Float32Array, t: Float32Array, w: W, m: number, n: number): void {
  const len = m * n;
  for (let i = 0; i < len; i++) {
    dp[i] = p[i] < CE_EPS || p[i] > CE_ONE_M_EPS ? 0 : (-wt(w, Math.floor(i / n)) * t[i]) / clampP(p[i]) / m;
  }
}

/** The class index of labels[r], or −1 when it is not one in [0, n). */
function labelAt(labels: Float32Array, r: number, n: number): number {
  const l = labels[r];
  return Number.isInteger(l) && l >= 0 && l < n ? l : -1;
}

/**
 * Fused softmax + sparse categorical cross-entropy: p = softmax(z); row loss = log Σ e^(z − max) − (z_label − max)
 * (NaN for a label that is not a class index); mean over rows.
 */
export function sparse_softmax_ce_forward(
  p: Float32Array,
  z: Float32Array,
  labels: Float32Array,
  w: W,
  m: number,
  n: number,
): number {
  let total = 0;
  for (let r = 0; r < m; r++) {
    const o = r * n;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (z[o + j] > mx) mx = z[o + j];
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(z[o + j] - mx);
    for (let j = 0; j < n; j++) p[o + j] = Math.exp(z[o + j] - mx) / s;
    const l = labelAt(labels, r, n);
    total += wt(w, r) * (l < 0 ? NaN : mx - z[o + l] + Math.log(s));
  }
  return Math.fround(total / m);
}

/** dz = (p − onehot(label)) / m · w[r]. */
export function sparse_softmax_ce_backward(
  dz: Float32Array,
  p: Float32Array,
  labels: Float32Array,
  w: W,
  m: number,
  n: number,
): void {
  for (let r = 0; r < m; r++) {
    const c = wt(w, r) / m;
    const l = labelAt(labels, r, n);
    for (let j = 0; j < n; j++) dz[r * n + j] = (p[r * n + j] - (j === l ? 1 : 0)) * c;
  }
}

/** Rows whose argmax (first index on ties, NaN ignored) equals the label. */
export function sparse_accuracy_count(y: Float32Array, labels: Float32Array, m: number, n: number): number {
  let c = 0;
  for (let r = 0; r < m; r++) {
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (y[r * n + j] > mx) mx = y[r * n + j];
    let a = 0;
    for (let j = 0; j < n; j++) {
      if (y[r * n + j] === mx) {
        a = j;
        break;
      }
    }
    if (a === labelAt(labels, r, n)) c++;
  }
  return c;
}
