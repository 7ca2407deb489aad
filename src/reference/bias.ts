// Plain-TS twins of assembly/bias.ts: same names, same argument order, typed arrays in place of pointers.

/** y (m,n) += b (n) broadcast over rows. */
export function bias_forward(y: Float32Array, b: Float32Array, m: number, n: number): void {
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) y[r * n + j] += b[j];
  }
}

/** db (n) += column sums of dy (m,n). */
export function bias_backward(db: Float32Array, dy: Float32Array, m: number, n: number): void {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += dy[r * n + j];
    db[j] += s;
  }
}
