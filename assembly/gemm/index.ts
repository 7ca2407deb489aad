// f32 GEMM kernels: the forward product y = x·w + b and the two products backprop needs, dW += xᵀ·dy and
// dX = dy·wᵀ. All three run on one 4x8 register-blocked micro-kernel (f32-gemm-4x8.ts). Its b operand is
// packed into contiguous k-block x 8 panels in the host-provided workspace (pack.ts) so it stays in cache at any
// row stride; forward reads a small w (<= 512 KB) in place. Shapes where a 4x8 tile would idle take their own
// paths: GEMV for batches of 1..3 (f32-gemv.ts), rank-1 updates for dW at batch <= 4 (f32-ger.ts), dot-product
// tiles for dX at batch < 4 (f32-gemm-dot-2x4.ts), and single-column variants. Every GEMM takes its workspace
// (gemm_workspace_size() bytes, 16-byte aligned) as an argument: no scratch lives in the module, so threads on one
// shared memory each bring their own.
import { f32_gemm_4x8, f32_gemm_4x8_strip } from './f32-gemm-4x8';
import { f32_gemv_24, f32_gemv_8, f32_gemv_4, f32_gemv_1 } from './f32-gemv';
import { f32_gemm_dot_1x4, f32_gemm_dot_2x4 } from './f32-gemm-dot-2x4';
import { f32_ger } from './f32-ger';
import { packPanels, packPanelsT, packStrip } from './pack';
export { peak_f32x4 } from './peak';

// Blocking: a kc x 8 panel (8 KB at kc = 256) stays in L1 next to the 4 x kc strip of a; the packed
// kc x nc block (256 KB) stays in L2.
const KC = 256;
const NC = 256;
// Forward reads w in place when it is small enough to stay in L2 whatever its row stride (measured: the MLP
// shapes, e.g. 64x784x128, run ≈ 5–30% faster without the packing pass); larger w is packed, since its 8-column
// panels at power-of-two row strides alias in L1/L2 (1024x1024: ≈ 15 GFLOP/s in place, ≈ 37 packed).
const DIRECT_MAX_FLOATS = 128 * 1024;

// Workspace layout: [edge tile: 128 bytes][a strip: KC x 4 floats][b panels: KC x NC floats]. The int8 GEMM
// (quant/q8-gemm.ts) uses the same workspace: one per thread serves every GEMM.
const EDGE_BYTES: usize = 128;
const A_STRIP_BYTES: usize = KC * 16;
const PANELS_BYTES: usize = KC * NC * 4;

export function gemm_workspace_size(): i32 {
  return <i32>(EDGE_BYTES + A_STRIP_BYTES + PANELS_BYTES);
}

// y (m,n) = x (m,k) · w (k,n) + b (n); b == 0 means no bias; ws: the workspace
export function gemm_forward(y: usize, ws: usize, x: usize, w: usize, b: usize, m: i32, k: i32, n: i32): void {
  gemm_forward_cols(y, ws, x, w, b, m, k, n, 0, n);
}

// Columns [j0, j0 + nc) of gemm_forward's y (the rest untouched): threads split a wide forward GEMM by columns, so
// each part packs only its own columns of w (a split by rows would pack all of w once per part). The path (packed
// or direct, chosen by the whole n) and the k-blocking do not depend on the columns, and SIMD lanes are columns, so
// with j0 a multiple of 8 and parts of at least 8 columns the parts are bit-identical to the whole call. For 1..3
// rows (GEMVs) the column blocks (24, then 8, 4, 1) count from j0: parts cut at multiples of 24 are bit-identical.
export function gemm_forward_cols(
  y: usize, ws: usize, x: usize, w: usize, b: usize, m: i32, k: i32, n: i32, j0: i32, nc: i32,
): void {
  if (j0 < 0) { nc += j0; j0 = 0; }
  nc = min(nc, n - j0);
  if (m <= 0 || nc <= 0) return;
  const ldy = <usize>n << 2;
  const jB = <usize>j0 << 2;
  const yj = y + jB, wj = w + jB, bj = b != 0 ? b + jB : 0;
  if (k <= 0) {
    for (let i = 0; i < m; i++) fillRow(yj + <usize>i * ldy, bj, nc);
    return;
  }
  if (m < 4) {
    // Batch 1 (and 2, 3): one GEMV per row; a 4-row tile would waste most of its work.
    for (let i = 0; i < m; i++) gemv(yj + <usize>i * ldy, x + (<usize>i * k << 2), wj, k, nc, bj, ldy);
    return;
  }
  if (n == 1) {
    // One output column: y = x·w is m dot products of x rows with the contiguous w (4 rows at a time).
    for (let i = 0; i < m; i++) store<f32>(y + (<usize>i << 2), b != 0 ? load<f32>(b) : 0);
    for (let i = 0; i < m; i += 4) {
      f32_gemm_dot_1x4(y + (<usize>i << 2), w, x + (<usize>i * k << 2), <usize>k << 2, k, min(4, m - i), true);
    }
    return;
  }
  // The path is the whole call's (packed and direct round differently when k > KC: packed adds the bias after the
  // first k-block, direct after the whole sum).
  if (k * n > DIRECT_MAX_FLOATS || n < 8) {
    // (n < 8: a zero-padded panel beats the scalar loops gemmDirect would need for narrow outputs.)
    gemmPacked(yj, ldy, ws, x, <usize>k << 2, 4, wj, ldy, false, m, k, nc, false, bj);
  } else if (nc >= 8) {
    gemmDirect(yj, ldy, ws, x, <usize>k << 2, 4, wj, ldy, m, k, nc, false, bj);
  } else {
    // Fewer than 8 columns of a direct GEMM: the 8-column window of y holding them (n >= 8), storing only them.
    const s = min(j0, n - 8);
    const sB = <usize>s << 2;
    for (let i = 0; i < m; i += 4) {
      f32_gemm_4x8(y + <usize>i * ldy + sB, ldy, x + (<usize>i * k << 2), <usize>k << 2, 4, w + sB, ldy, k,
        min(4, m - i), j0 - s, j0 - s + nc, false, b != 0 ? b + sB : 0, ws);
    }
  }
}

// dw (k,n) += x (m,k)ᵀ · dy (m,n); ws: the workspace
export function gemm_backward_w(dw: usize, ws: usize, x: usize, dy: usize, m: i32, k: i32, n: i32): void {
  gemm_backward_w_rows(dw, ws, x, dy, m, k, n, 0, k);
}

// Rows [k0, k0 + kc) of gemm_backward_w's dw (the rest untouched): threads split the weight gradient by rows of
// dw, never by the batch m (a reduction). With k0 a multiple of 4 each row runs the same 4-row tiles and k-order
// as in the whole call, so the parts together are bit-identical to it. Rows outside [0, k) are ignored.
export function gemm_backward_w_rows(dw: usize, ws: usize, x: usize, dy: usize, m: i32, k: i32, n: i32, k0: i32, kc: i32): void {
  if (k0 < 0) { kc += k0; k0 = 0; }
  kc = min(kc, k - k0);
  if (m <= 0 || kc <= 0 || n <= 0) return;
  // a = xᵀ: row kk of a is column kk of x, so rows are 4 bytes apart and steps k·4 bytes apart.
  const ldn = <usize>n << 2, ldk = <usize>k << 2;
  const dw0 = dw + <usize>k0 * ldn, x0 = x + (<usize>k0 << 2);
  if (n == 1) {
    // One column: dw (kc) += dy (m) · x (m, k0..k0+kc) is a GEMV; passing dw as its bias makes it accumulate.
    gemv(dw0, dy, x0, m, kc, dw0, ldk);
    return;
  }
  if (m <= 4) {
    // Batch 1..4: one rank-1 update per row (a 4 x 8 tile would reduce over only m steps per load/store).
    for (let i = 0; i < m; i++) f32_ger(dw0, ldn, x0 + <usize>i * ldk, 4, dy + <usize>i * ldn, kc, n, true);
    return;
  }
  gemmPacked(dw0, ldn, ws, x0, 4, ldk, dy, ldn, false, kc, m, n, true, 0);
}

// dx (m,k) = dy (m,n) · w (k,n)ᵀ; ws: the workspace
export function gemm_backward_x(dx: usize, ws: usize, dy: usize, w: usize, m: i32, k: i32, n: i32): void {
  if (m <= 0 || k <= 0) return;
  const ldn = <usize>n << 2, ldk = <usize>k << 2;
  if (n <= 0) {
    for (let i = 0; i < m; i++) fillRow(dx + <usize>i * ldk, 0, k);
    return;
  }
  if (n == 1) {
    // dx = dy ⊗ w (one reduction step): an outer product written once.
    f32_ger(dx, ldk, dy, 4, w, m, k, false);
    return;
  }
  if (m >= 4) {
    // b = wᵀ, packed by transposing 8 rows of w at a time.
    gemmPacked(dx, ldk, ws, dy, ldn, 4, w, ldn, true, m, n, k, false, 0);
    return;
  }
  // Dot-product form: rows of dy against rows of w, both contiguous; pairs of rows, then a last single row.
  const m2 = m & ~1;
  for (let i = 0; i < m2; i += 2) {
    for (let kk = 0; kk < k; kk += 4) {
      f32_gemm_dot_2x4(dx + (<usize>i * k + kk << 2), ldk, dy + <usize>i * ldn, ldn, w + <usize>kk * ldn, ldn, n,
        2, min(4, k - kk), false);
    }
  }
  if (m2 < m) {
    for (let kk = 0; kk < k; kk += 4) {
      f32_gemm_dot_1x4(dx + (<usize>m2 * k + kk << 2), dy + <usize>m2 * ldn, w + <usize>kk * ldn, ldn, n,
        min(4, k - kk), false);
    }
  }
}

// c (M,N) = or += a (M,K) · b (K,N) (+ bias), b packed block by block into the workspace.
// a(i,p) at a + i·ars + p·ast; b(p,j) at b + p·ldb + 4j, or at b + j·ldb + 4p when bTrans.
function gemmPacked(
  c: usize, ldc: usize, work: usize, a: usize, ars: usize, ast: usize, b: usize, ldb: usize, bTrans: bool,
  M: i32, K: i32, N: i32, accumulate: bool, bias: usize,
): void {
  const kcMax = min(K, KC);
  const ncMax = min(NC, <i32>(PANELS_BYTES / (<usize>kcMax << 5)) << 3);
  const edge = work;
  const strip = work + EDGE_BYTES;
  const ws = strip + A_STRIP_BYTES;
  // Each 4-row strip of a is copied to 16 contiguous bytes per step (a transposing copy for x, whose steps are
  // contiguous; for xᵀ in dW, whose steps are rows of x k·4 bytes apart, it also spares L1 the aliasing of
  // power-of-two strides): the tile loop then runs on one A pointer with immediate offsets
  // (f32_gemm_4x8_strip), three adds shorter per step. Measured against reading x in place: +4-7 % on the
  // packed SIMD128 shapes (1024³, 128x784x512), +5 % with FMA (2026-12-07).
  for (let jc = 0; jc < N; jc += ncMax) {
    const nc = min(ncMax, N - jc);
    for (let pc = 0; pc < K; pc += kcMax) {
      const kc = min(kcMax, K - pc);
      if (bTrans) packPanelsT(ws, b + <usize>jc * ldb + (<usize>pc << 2), ldb, kc, nc);
      else packPanels(ws, b + <usize>pc * ldb + (<usize>jc << 2), ldb, kc, nc);
      // Later k-blocks add onto what the first one wrote (which included the bias).
      const acc = accumulate || pc > 0;
      const panelBytes = <usize>kc << 5;
      for (let ir = 0; ir < M; ir += 4) {
        const mr = min(4, M - ir);
        packStrip(strip, a + <usize>ir * ars + <usize>pc * ast, ars, ast, kc, mr);
        const ci = c + <usize>ir * ldc + (<usize>jc << 2);
        let panel = ws;
        for (let jr = 0; jr < nc; jr += 8) {
          const bj = !acc && bias != 0 ? bias + (<usize>(jc + jr) << 2) : 0;
          f32_gemm_4x8_strip(ci + (<usize>jr << 2), ldc, strip, panel, 32, kc, mr, 0, min(8, nc - jr), acc, bj, edge);
          panel += panelBytes;
        }
      }
    }
  }
}

// Same product with b read in place: b(p,j) at b + p·ldb + 4j, for N >= 8 (work: the workspace: the edge tile,
// and each 4-row strip of a packed over all K steps into the strip and panel areas, which this path leaves
// unused: K·16 bytes, K <= DIRECT_MAX_FLOATS / 8 here).
function gemmDirect(
  c: usize, ldc: usize, work: usize, a: usize, ars: usize, ast: usize, b: usize, ldb: usize,
  M: i32, K: i32, N: i32, accumulate: bool, bias: usize,
): void {
  const N8 = N & ~7;
  // Fewer than 16 columns: one or two tiles per strip do not pay for its copy (64x128x10: 4 % slower).
  if (N < 16) {
    for (let ir = 0; ir < M; ir += 4) {
      const mr = min(4, M - ir);
      const ai = a + <usize>ir * ars;
      const ci = c + <usize>ir * ldc;
      f32_gemm_4x8(ci, ldc, ai, ars, ast, b, ldb, K, mr, 0, 8, accumulate, bias, work);
      // Last columns: recompute the 8 columns ending at N (in bounds) and store only the new ones.
      if (N8 < N) {
        const j = N - 8;
        f32_gemm_4x8(ci + (<usize>j << 2), ldc, ai, ars, ast, b + (<usize>j << 2), ldb, K, mr, N8 - j, 8,
          accumulate, bias != 0 ? bias + (<usize>j << 2) : 0, work);
      }
    }
    return;
  }
  const strip = work + EDGE_BYTES;
  for (let ir = 0; ir < M; ir += 4) {
    const mr = min(4, M - ir);
    packStrip(strip, a + <usize>ir * ars, ars, ast, K, mr);
    const ci = c + <usize>ir * ldc;
    for (let j = 0; j < N8; j += 8) {
      f32_gemm_4x8_strip(ci + (<usize>j << 2), ldc, strip, b + (<usize>j << 2), ldb, K, mr, 0, 8, accumulate,
        bias != 0 ? bias + (<usize>j << 2) : 0, work);
    }
    if (N8 < N) {
      // Last columns (N >= 8 here): recompute the 8 columns ending at N (in bounds) and store only the new ones.
      const j = N - 8;
      f32_gemm_4x8_strip(ci + (<usize>j << 2), ldc, strip, b + (<usize>j << 2), ldb, K, mr, N8 - j, 8,
        accumulate, bias != 0 ? bias + (<usize>j << 2) : 0, work);
    }
  }
}

// y (n) = x (k) · w (k,n) + b (n); ldw: bytes between rows of w (default n·4)
function gemv(y: usize, x: usize, w: usize, k: i32, n: i32, b: usize, ldw: usize = <usize>n << 2): void {
  let j = 0;
  for (; j + 24 <= n; j += 24) {
    const o = <usize>j << 2;
    f32_gemv_24(y + o, x, w + o, ldw, k, b != 0 ? b + o : 0);
  }
  for (; j + 8 <= n; j += 8) {
    const o = <usize>j << 2;
    f32_gemv_8(y + o, x, w + o, ldw, k, b != 0 ? b + o : 0);
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    f32_gemv_4(y + o, x, w + o, ldw, k, b != 0 ? b + o : 0);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    f32_gemv_1(y + o, x, w + o, ldw, k, b != 0 ? b + o : 0);
  }
}

// y[0..n) = b[0..n), or 0 when b == 0
function fillRow(y: usize, b: usize, n: i32): void {
  for (let j = 0; j < n; j++) store<f32>(y + (<usize>j << 2), b != 0 ? load<f32>(b + (<usize>j << 2)) : 0);
}
