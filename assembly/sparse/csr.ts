// Sparse × dense for inference: y (m,n) = x (m,k) · W (k,n) + b (n) with W in CSR by input row ("x-stationary"):
// row p of W lists its nonzero columns cols[rowptr[p] .. rowptr[p+1]) (u16) and their values vals[...] (f32).
// Each x[p] is loaded once and scattered into the outputs it touches, so a zero input (a blank pixel, a ReLU
// that is off) skips its whole row of W: batch-1 inference costs about (nonzeros × active inputs) / k.
// Batch 1..3 runs one row at a time (scalar scatter: wasm has no scatter, and a 1×4-block format would store
// ~3x more slots than nonzeros at 90% unstructured sparsity). From 4 rows on, 4 rows go together: the outputs
// are accumulated transposed in the workspace ws (n × 4 floats), so every nonzero is one f32x4 multiply-add
// across the 4 rows, and the rows are written back at the end.
// Every y[i][j] is b[j] + Σ_p x[i][p]·W[p][j] summed in increasing p, in both paths (the twin does the same);
// a row p is skipped only when its x entries are all zero (exact, as the host keeps W finite).

// y (m,n) = x (m,k) · W (k,n) + b (n); W in CSR: rowptr (k+1) i32, cols (nnz) u16, vals (nnz) f32;
// b == 0: no bias; ws (n × 4 floats) is scratch for m >= 4 (ws == 0: one row at a time)
export function sparse_csr_forward(
  y: usize, ws: usize, x: usize, rowptr: usize, cols: usize, vals: usize, b: usize, m: i32, k: i32, n: i32,
): void {
  if (m <= 0 || n <= 0) return;
  const ldy = <usize>n << 2, ldx = <usize>k << 2;
  let i = 0;
  if (ws != 0) {
    for (; i + 4 <= m; i += 4) rows4(y + <usize>i * ldy, ldy, ws, x + <usize>i * ldx, ldx, rowptr, cols, vals, b, k, n);
  }
  for (; i < m; i++) row1(y + <usize>i * ldy, x + <usize>i * ldx, rowptr, cols, vals, b, k, n);
}

// One row: y (n) = b; then for each nonzero x[p], y[cols[e]] += x[p] · vals[e].
function row1(y: usize, x: usize, rowptr: usize, cols: usize, vals: usize, b: usize, k: i32, n: i32): void {
  initRow(y, b, n);
  let e = load<i32>(rowptr);
  for (let p = 0; p < k; p++) {
    const end = load<i32>(rowptr + ((<usize>p + 1) << 2));
    const xv = load<f32>(x + (<usize>p << 2));
    if (xv != 0) {
      let c = cols + (<usize>e << 1);
      let v = vals + (<usize>e << 2);
      let cnt = end - e;
      // Unrolled by 4: the four read-modify-writes hit distinct outputs (columns within a row are distinct),
      // so they overlap in the pipeline.
      for (; cnt >= 4; cnt -= 4) {
        const j0 = y + (<usize>load<u16>(c) << 2);
        const j1 = y + (<usize>load<u16>(c, 2) << 2);
        const j2 = y + (<usize>load<u16>(c, 4) << 2);
        const j3 = y + (<usize>load<u16>(c, 6) << 2);
        store<f32>(j0, load<f32>(j0) + xv * load<f32>(v));
        store<f32>(j1, load<f32>(j1) + xv * load<f32>(v, 4));
        store<f32>(j2, load<f32>(j2) + xv * load<f32>(v, 8));
        store<f32>(j3, load<f32>(j3) + xv * load<f32>(v, 12));
        c += 8;
        v += 16;
      }
      for (; cnt > 0; cnt--) {
        const j = y + (<usize>load<u16>(c) << 2);
        store<f32>(j, load<f32>(j) + xv * load<f32>(v));
        c += 2;
        v += 4;
      }
    }
    e = end;
  }
}

// Four rows: t (n × 4) = b broadcast; t[j] += (x0[p], x1[p], x2[p], x3[p]) · vals[e]; then y rows = tᵀ.
function rows4(
  y: usize, ldy: usize, t: usize, x: usize, ldx: usize, rowptr: usize, cols: usize, vals: usize, b: usize, k: i32, n: i32,
): void {
  for (let j = 0; j < n; j++) {
    v128.store(t + (<usize>j << 4), b != 0 ? v128.load32_splat(b + (<usize>j << 2)) : f32x4.splat(0));
  }
  let e = load<i32>(rowptr);
  for (let p = 0; p < k; p++) {
    const end = load<i32>(rowptr + ((<usize>p + 1) << 2));
    const xp = x + (<usize>p << 2);
    let xv = v128.load32_zero(xp);
    xv = v128.load32_lane(xp + ldx, xv, 1);
    xv = v128.load32_lane(xp + 2 * ldx, xv, 2);
    xv = v128.load32_lane(xp + 3 * ldx, xv, 3);
    if (v128.any_true(xv)) {
      let c = cols + (<usize>e << 1);
      let v = vals + (<usize>e << 2);
      let cnt = end - e;
      for (; cnt >= 2; cnt -= 2) {
        const j0 = t + (<usize>load<u16>(c) << 4);
        const j1 = t + (<usize>load<u16>(c, 2) << 4);
        v128.store(j0, f32x4.add(v128.load(j0), f32x4.mul(xv, v128.load32_splat(v))));
        v128.store(j1, f32x4.add(v128.load(j1), f32x4.mul(xv, v128.load32_splat(v, 4))));
        c += 4;
        v += 8;
      }
      if (cnt > 0) {
        const j0 = t + (<usize>load<u16>(c) << 4);
        v128.store(j0, f32x4.add(v128.load(j0), f32x4.mul(xv, v128.load32_splat(v))));
      }
    }
    e = end;
  }
  for (let j = 0; j < n; j++) {
    const s = v128.load(t + (<usize>j << 4));
    const o = y + (<usize>j << 2);
    v128.store32_lane(o, s, 0);
    v128.store32_lane(o + ldy, s, 1);
    v128.store32_lane(o + 2 * ldy, s, 2);
    v128.store32_lane(o + 3 * ldy, s, 3);
  }
}

// y (n) = b (n), or 0 when b == 0.
function initRow(y: usize, b: usize, n: i32): void {
  let j = 0;
  if (b != 0) {
    for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), v128.load(b + (<usize>j << 2)));
    for (; j < n; j++) store<f32>(y + (<usize>j << 2), load<f32>(b + (<usize>j << 2)));
  } else {
    const z = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) v128.store(y + (<usize>j << 2), z);
    for (; j < n; j++) store<f32>(y + (<usize>j << 2), 0);
  }
}
