// Twins of assembly/metrics.ts: confusion counts and regression sums for evaluation metrics.

/** Argmax of one row: first index on ties, NaN ignored, 0 for an all-NaN row (as argmax_rows). */
function argmaxOf(x: Float32Array, o: number, n: number): number {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) if (x[o + j] > mx) mx = x[o + j];
  for (let j = 0; j < n; j++) if (x[o + j] === mx) return j;
  return 0;
}

/** cm (n,n) += 1 at [argmax t_r, argmax y_r] for each row r of y, t (m,n); row = true class, column = predicted. */
export function confusion_counts(cm: Int32Array, y: Float32Array, t: Float32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) cm[argmaxOf(t, r * n, n) * n + argmaxOf(y, r * n, n)]++;
}

/** cm (2,2) += 1 at [t >= 0.5, y >= threshold] for each entry of y, t (m); NaN counts as below. */
export function confusion_counts_binary(
  cm: Int32Array,
  y: Float32Array,
  t: Float32Array,
  m: number,
  threshold: number,
): void {
  const th = Math.fround(threshold);
  for (let i = 0; i < m; i++) cm[(t[i] >= 0.5 ? 2 : 0) + (y[i] >= th ? 1 : 0)]++;
}

/** acc (2n) = per column j: Σ (y − t)² then Σ |y − t| over the m rows of y, t (m,n), f64 sums rounded to f32. */
export function regression_sums(acc: Float32Array, y: Float32Array, t: Float32Array, m: number, n: number): void {
  for (let j = 0; j < n; j++) {
    let se = 0;
    let ae = 0;
    for (let r = 0; r < m; r++) {
      const d = y[r * n + j] - t[r * n + j];
      se += d * d;
      ae += Math.abs(d);
    }
    acc[j] = se;
    acc[n + j] = ae;
  }
}

/** y (m,n) = (x − center[j]) · scale[j] per column (f32 arithmetic); y may alias x. */
export function center_scale_cols(
  y: Float32Array,
  x: Float32Array,
  center: Float32Array,
  scale: Float32Array,
  m: number,
  n: number,
): void {
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) y[r * n + j] = Math.fround(Math.fround(x[r * n + j] - center[j]) * scale[j]);
  }
}
