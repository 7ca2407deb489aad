// Plain-TS twins of assembly/util.ts: same names, same argument order, typed arrays in place of pointers.

/** x[i] = value. */
export function fill_f32(x: Float32Array, n: number, value: number): void {
  x.fill(value, 0, n);
}

/** x[i] *= s. */
export function scale_f32(x: Float32Array, n: number, s: number): void {
  const c = Math.fround(s);
  for (let i = 0; i < n; i++) x[i] *= c;
}

/** Σx², summed in f64, returned rounded to f32. */
export function sum_squares(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return Math.fround(s);
}

/** Count of NaN or ±Inf entries. */
export function count_nonfinite(x: Float32Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) c++;
  return c;
}

/** y (m,n) row r = x row idx[r]. */
export function gather_rows(y: Float32Array, x: Float32Array, idx: Int32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) {
    const s = idx[r] * n;
    for (let j = 0; j < n; j++) y[r * n + j] = x[s + j];
  }
}

/** Argmax of one row: first index on ties, NaN entries ignored, 0 when the row holds only NaN. */
function argmaxRow(x: Float32Array, o: number, n: number): number {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) if (x[o + j] > mx) mx = x[o + j];
  for (let j = 0; j < n; j++) if (x[o + j] === mx) return j;
  return 0;
}

/** idx (m) = argmax of each row of x (m,n): first index on ties, NaN ignored, all-NaN row → 0. */
export function argmax_rows(idx: Int32Array, x: Float32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) idx[r] = argmaxRow(x, r * n, n);
}

/** Rows where argmax(y) == argmax(t). */
export function accuracy_count(y: Float32Array, t: Float32Array, m: number, n: number): number {
  let c = 0;
  for (let r = 0; r < m; r++) if (argmaxRow(y, r * n, n) === argmaxRow(t, r * n, n)) c++;
  return c;
}

/** Entries where (y >= threshold) == (t >= 0.5); NaN counts as below. */
export function binary_accuracy_count(y: Float32Array, t: Float32Array, n: number, threshold: number): number {
  const th = Math.fround(threshold);
  let c = 0;
  for (let i = 0; i < n; i++) if (y[i] >= th === t[i] >= 0.5) c++;
  return c;
}

/**
 * Shift each of `count` images (h,w) by whole pixels, zero fill: y[i](r,c) = x[i](r − dy, c − dx) with
 * (dx, dy) = shifts[2i], shifts[2i+1]; any sign, |shift| >= size gives zeros. y must not overlap x.
 */
export function image_shift(
  y: Float32Array,
  x: Float32Array,
  shifts: Int32Array,
  count: number,
  h: number,
  w: number,
): void {
  for (let i = 0; i < count; i++) {
    const dx = shifts[2 * i];
    const dy = shifts[2 * i + 1];
    const o = i * h * w;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const sr = r - dy;
        const sc = c - dx;
        y[o + r * w + c] = sr >= 0 && sr < h && sc >= 0 && sc < w ? x[o + sr * w + sc] : 0;
      }
    }
  }
}
