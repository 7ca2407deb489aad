// Plain-TypeScript twins of the GEMM kernels (assembly/gemm): same names, same argument order, typed arrays in
// place of pointers. Arithmetic follows f32: every product is rounded (Math.fround) and every sum is stored into
// a Float32Array (which rounds), so overflow to ±Inf and NaN propagate as in the kernels. Each output is a sum
// over the reduction index in increasing order; the loops run along rows so the inner loop is contiguous.
// The workspace argument `ws` of the kernels is kept for the same argument order; the twins need none (null).

const f = Math.fround;

/** y (m,n) = x (m,k) · w (k,n) + b (n); b === null means no bias. Overwrites y. */
export function gemm_forward(
  y: Float32Array,
  _ws: unknown,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  m: number,
  k: number,
  n: number,
): void {
  gemm_forward_cols(y, null, x, w, b, m, k, n, 0, n);
}

/** Columns [j0, j0 + nc) of gemm_forward's y (m,n) (columns outside [0, n) ignored); the other columns untouched. */
export function gemm_forward_cols(
  y: Float32Array,
  _ws: unknown,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  m: number,
  k: number,
  n: number,
  j0: number,
  nc: number,
): void {
  const a = Math.max(0, j0),
    e = Math.min(n, j0 + nc);
  for (let i = 0; i < m; i++) {
    const yi = i * n;
    y.fill(0, yi + a, yi + Math.max(a, e));
    for (let p = 0; p < k; p++) {
      const xv = x[i * k + p];
      const wp = p * n;
      for (let j = a; j < e; j++) y[yi + j] += f(xv * w[wp + j]);
    }
    if (b !== null) for (let j = a; j < e; j++) y[yi + j] += b[j];
  }
}

/** dw (k,n) += x (m,k)ᵀ · dy (m,n). Accumulates into dw (the sum over rows first, then added). */
export function gemm_backward_w(
  dw: Float32Array,
  _ws: unknown,
  x: Float32Array,
  dy: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  const s = new Float32Array(n);
  for (let p = 0; p < k; p++) {
    s.fill(0);
    for (let i = 0; i < m; i++) {
      const xv = x[i * k + p];
      const di = i * n;
      for (let j = 0; j < n; j++) s[j] += f(xv * dy[di + j]);
    }
    const wp = p * n;
    for (let j = 0; j < n; j++) dw[wp + j] += s[j];
  }
}

/** Rows [k0, k0 + kc) of gemm_backward_w's dw (k,n) (rows outside [0, k) ignored); dw is the whole (k,n) array. */
export function gemm_backward_w_rows(
  dw: Float32Array,
  _ws: unknown,
  x: Float32Array,
  dy: Float32Array,
  m: number,
  k: number,
  n: number,
  k0: number,
  kc: number,
): void {
  const s = new Float32Array(n);
  for (let p = Math.max(0, k0); p < Math.min(k, k0 + kc); p++) {
    s.fill(0);
    for (let i = 0; i < m; i++) {
      const xv = x[i * k + p];
      const di = i * n;
      for (let j = 0; j < n; j++) s[j] += f(xv * dy[di + j]);
    }
    const wp = p * n;
    for (let j = 0; j < n; j++) dw[wp + j] += s[j];
  }
}

/** dx (m,k) = dy (m,n) · w (k,n)ᵀ. Overwrites dx. */
export function gemm_backward_x(
  dx: Float32Array,
  _ws: unknown,
  dy: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const di = i * n;
    for (let p = 0; p < k; p++) {
      const wp = p * n;
      let s = 0;
      for (let j = 0; j < n; j++) s = f(s + f(dy[di + j] * w[wp + j]));
      dx[i * k + p] = s;
    }
  }
}
