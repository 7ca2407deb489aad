// Plain-TypeScript twins of the GEMM kernels (assembly/gemm): same names, same argument order, typed arrays in
// place of pointers. Arithmetic is rounded to f32 after every operation (Math.fround) and sums run in the same
// order as the kernels for k <= 256, so results agree closely and Inf/NaN propagate the same way.

const f = Math.fround;

/** y (m,n) = x (m,k) · w (k,n) + b (n); b === null means no bias. Overwrites y. */
export function gemm_forward(
  y: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array | null, m: number, k: number, n: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s = f(s + f(x[i * k + p] * w[p * n + j]));
      y[i * n + j] = b === null ? s : f(s + b[j]);
    }
  }
}

/** dw (k,n) += x (m,k)ᵀ · dy (m,n). Accumulates into dw. */
export function gemm_backward_w(dw: Float32Array, x: Float32Array, dy: Float32Array, m: number, k: number, n: number): void {
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s = f(s + f(x[i * k + p] * dy[i * n + j]));
      dw[p * n + j] = f(dw[p * n + j] + s);
    }
  }
}

/** dx (m,k) = dy (m,n) · w (k,n)ᵀ. Overwrites dx. */
export function gemm_backward_x(dx: Float32Array, dy: Float32Array, w: Float32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let j = 0; j < n; j++) s = f(s + f(dy[i * n + j] * w[p * n + j]));
      dx[i * k + p] = s;
    }
  }
}
