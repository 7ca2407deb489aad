// Plain-TS twins of assembly/activations.ts: same names, same argument order, typed arrays in place of pointers.
// Computed in f64 and stored to f32; in-place use (y === x) works as in the kernels.

/** y = 1 / (1 + e^−x). */
export function sigmoid_forward(y: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
}

/** dx = dy · y · (1 − y), y the forward output. */
export function sigmoid_backward(dx: Float32Array, dy: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
}

/** y = tanh(x). */
export function tanh_forward(y: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]);
}

/** dx = dy · (1 − y²), y the forward output. */
export function tanh_backward(dx: Float32Array, dy: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
}

/** y = x < 0 ? 0 : x (NaN and −0 pass through, as f32x4.pmax(x, 0) in the kernel). */
export function relu_forward(y: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
}

/** dx = y > 0 ? dy : 0, y the forward output. */
export function relu_backward(dx: Float32Array, dy: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}

/** y = x > 0 ? x : alpha · x. */
export function leaky_relu_forward(y: Float32Array, x: Float32Array, n: number, alpha: number): void {
  const a = Math.fround(alpha);
  for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
}

/** dx = x > 0 ? dy : alpha · dy, x the forward input. */
export function leaky_relu_backward(
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  n: number,
  alpha: number,
): void {
  const a = Math.fround(alpha);
  for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : a * dy[i];
}

/**
 * Row-wise softmax of x (m,n), max-subtracted. The max ignores NaN; a row holding NaN or +Inf becomes all NaN,
 * −Inf entries give 0.
 */
export function softmax_forward(y: Float32Array, x: Float32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) {
    const o = r * n;
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (x[o + j] > mx) mx = x[o + j];
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[o + j] - mx);
    // e^(x − max) again rather than a scratch row: no allocation, and in-place use stays correct.
    for (let j = 0; j < n; j++) y[o + j] = Math.exp(x[o + j] - mx) / s;
  }
}

/** dx = y ⊙ (dy − rowsum(dy ⊙ y)), y the forward output. */
export function softmax_backward(dx: Float32Array, dy: Float32Array, y: Float32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) {
    const o = r * n;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += dy[o + j] * y[o + j];
    for (let j = 0; j < n; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
  }
}
