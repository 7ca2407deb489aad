// Plain-TS twins of assembly/sparse: same names, same argument order, typed arrays in place of pointers.
// Sums run in the kernels' order (b first, then increasing input index p) with f32 rounding after every
// operation, so results match the wasm bit for bit (up to the sign of zero sums).

const f = Math.fround;

/** w (n) *= mask (n). */
export function mask_f32(w: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) w[i] = f(w[i] * mask[i]);
}

/**
 * y (m,n) = x (m,k) · W (k,n) + b (n), W in CSR by input row: row p holds columns cols[rowptr[p] ..
 * rowptr[p+1]) with values vals[...]. Inputs equal to zero skip their row. `ws` (scratch of the wasm kernel) is
 * not used. b === null: no bias.
 */
export function sparse_csr_forward(
  y: Float32Array,
  ws: Float32Array | null,
  x: Float32Array,
  rowptr: Int32Array,
  cols: Uint16Array,
  vals: Float32Array,
  b: Float32Array | null,
  m: number,
  k: number,
  n: number,
): void {
  void ws;
  for (let i = 0; i < m; i++) {
    const yo = i * n;
    for (let j = 0; j < n; j++) y[yo + j] = b === null ? 0 : b[j];
    for (let p = 0; p < k; p++) {
      const xv = x[i * k + p];
      if (xv === 0) continue;
      for (let e = rowptr[p]; e < rowptr[p + 1]; e++) {
        const o = yo + cols[e];
        y[o] = f(y[o] + f(xv * vals[e]));
      }
    }
  }
}
