// int8 GEMM: c (m,n) i32 = a (m,k) i8 · b (k,n) i8, exact integer accumulation.
// SIMD128 has no i8 dot product (relaxed SIMD is off limits), so operands are widened to i16 and multiplied with
// i32x4.dot_i16x8_s, which sums PAIRS of products: lane j = a0·b(2p,j) + a1·b(2p+1,j). The data layouts follow
// from that: b is packed once (q8_pack_b) into panels of 8 columns whose 16-byte steps hold a k-pair for each
// column, and each 4-row strip of a is widened to i16 pairs in a small scratch so the micro-kernel broadcasts a
// row's pair with one load32_splat. One step of the 4x8 micro-kernel = 64 multiply-adds in 8 dots + 8 adds,
// against 32 in 8 muls + 8 adds for the f32 4x8 kernel. Batches of 1–3 rows take a row-at-a-time path instead
// (one row against 32 columns per pass).

// k-pairs per block of a's strip: 128 pairs (k = 256) x 4 rows x 4 bytes = 2 KB. Longer reductions run in
// blocks that add onto c. Scratch comes from the caller's GEMM workspace (gemm_workspace_size() bytes): the first
// 128 bytes spill the accumulators of partial-width tiles, the strip follows.
const KP_BLOCK = 128;
const EDGE_BYTES: usize = 128;

// Bytes of b (k,n) packed by q8_pack_b: ceil(k/2) pairs x ceil(n/8) panels x 16 bytes.
export function q8_packed_size(k: i32, n: i32): i32 {
  return ((k + 1) >> 1) * ((n + 7) >> 3) * 16;
}

// bp (packed) = b (k,n) i8 row-major: panel jp (columns 8jp..8jp+7) at bp + jp·ceil(k/2)·16; within it step p
// holds b(2p,j), b(2p+1,j) for its 8 columns j. Missing rows (odd k) and columns (n % 8) are zero.
export function q8_pack_b(bp: usize, b: usize, k: i32, n: i32): void {
  const pairs = (k + 1) >> 1;
  let d = bp;
  for (let j0 = 0; j0 < n; j0 += 8) {
    for (let p = 0; p < pairs; p++) {
      const r0 = b + <usize>(2 * p) * n;
      const hasR1 = 2 * p + 1 < k;
      for (let c = 0; c < 8; c++) {
        const j = j0 + c;
        let v0: i8 = 0, v1: i8 = 0;
        if (j < n) {
          v0 = load<i8>(r0 + j);
          if (hasR1) v1 = load<i8>(r0 + n + j);
        }
        store<i8>(d + (c << 1), v0);
        store<i8>(d + (c << 1) + 1, v1);
      }
      d += 16;
    }
  }
}

// c (m,n) i32 = a (m,k) i8 · b (k,n) i8, b packed by q8_pack_b; c is overwritten; ws: the GEMM workspace.
export function q8_gemm(c: usize, ws: usize, a: usize, bp: usize, m: i32, k: i32, n: i32): void {
  const edge = ws;
  const strip = ws + EDGE_BYTES;
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>n << 2;
  const pairs = (k + 1) >> 1;
  if (pairs == 0) {
    for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldc, 0, ldc);
    return;
  }
  const panelBytes = <usize>pairs << 4;
  if (m < 4) {
    // Batch 1 (and 2, 3): a 4-row tile would waste most of its work; one row against 4 panels at a time.
    for (let i = 0; i < m; i++) gemvRow(c + <usize>i * ldc, edge, a + <usize>i * k, bp, panelBytes, k, n);
    return;
  }
  for (let ir = 0; ir < m; ir += 4) {
    const mr = min(4, m - ir);
    const ci = c + <usize>ir * ldc;
    const ai = a + <usize>ir * k;
    for (let pc = 0; pc < pairs; pc += KP_BLOCK) {
      const kp = min(KP_BLOCK, pairs - pc);
      packStrip(strip, ai, k, mr, pc, kp);
      let panel = bp + (<usize>pc << 4);
      for (let j = 0; j < n; j += 8) {
        q8_kernel_4x8(ci + (<usize>j << 2), ldc, strip, edge, panel, kp, mr, min(8, n - j), pc > 0);
        panel += panelBytes;
      }
    }
  }
}

// strip (kp steps x 4 rows x i16 pair) = pairs pc..pc+kp of rows 0..mr of a (row stride k bytes), widened to
// i16; rows >= mr and the missing odd element are zero. Full 16-byte chunks of 4 rows are widened and then
// transposed (as 32-bit lanes) in registers.
function packStrip(strip: usize, a: usize, k: i32, mr: i32, pc: i32, kp: i32): void {
  const k0 = pc << 1; // first k of the block
  const kEnd = min(k, k0 + (kp << 1));
  let kk = k0;
  let d = strip;
  if (mr == 4) {
    const a0 = a, a1 = a + <usize>k, a2 = a1 + <usize>k, a3 = a2 + <usize>k;
    for (; kk + 16 <= kEnd; kk += 16) {
      const x0 = v128.load(a0 + kk), x1 = v128.load(a1 + kk), x2 = v128.load(a2 + kk), x3 = v128.load(a3 + kk);
      transpose4(d, i16x8.extend_low_i8x16_s(x0), i16x8.extend_low_i8x16_s(x1),
        i16x8.extend_low_i8x16_s(x2), i16x8.extend_low_i8x16_s(x3));
      transpose4(d + 64, i16x8.extend_high_i8x16_s(x0), i16x8.extend_high_i8x16_s(x1),
        i16x8.extend_high_i8x16_s(x2), i16x8.extend_high_i8x16_s(x3));
      d += 128;
    }
  }
  for (; kk < kEnd; kk += 2) {
    const has1 = kk + 1 < k;
    for (let r = 0; r < 4; r++) {
      let v0: i32 = 0, v1: i32 = 0;
      if (r < mr) {
        const ar = a + <usize>r * k + kk;
        v0 = <i32>load<i8>(ar);
        if (has1) v1 = <i32>load<i8>(ar, 1);
      }
      store<i32>(d + (<usize>r << 2), (v0 & 0xffff) | (v1 << 16));
    }
    d += 16;
  }
}

// Rows r0..r3 (4 lanes of 32 bits each) stored as columns: d + 16·i holds (r0[i], r1[i], r2[i], r3[i]).
// @ts-ignore: decorator
@inline function transpose4(d: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(d, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7), 16);
  v128.store(d, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5), 32);
  v128.store(d, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7), 48);
}

// c (4,8) i32 = or += strip (4 rows, kp pairs) · panel (kp pairs, 8 columns); rows < mr, columns < nr stored.
// One step: 2 widening loads of b (load8x8_s: one instruction each, ~6% faster than a load and two extends),
// 4 broadcasts of a's pairs, 8 dots + 8 adds. Measured on L1/L2-resident data: ~95 GOP/s against ~41 GFLOP/s for
// the f32 4x8 kernel; 2x16 and 3x12 tiles were slower, and unrolling two steps spills (~68 GOP/s).
function q8_kernel_4x8(c: usize, ldc: usize, strip: usize, edge: usize, panel: usize, kp: i32, mr: i32, nr: i32, accumulate: bool): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let s = strip;
  let b = panel;
  for (let p = 0; p < kp; p++) {
    const b0 = v128.load8x8_s(b);
    const b1 = v128.load8x8_s(b, 8);
    let x = v128.load32_splat(s);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, b0));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, b1));
    x = v128.load32_splat(s, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, b0));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, b1));
    x = v128.load32_splat(s, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, b0));
    c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, b1));
    x = v128.load32_splat(s, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, b0));
    c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, b1));
    s += 16;
    b += 16;
  }
  if (nr == 8) {
    storeRow(c, c00, c01, accumulate);
    if (mr > 1) storeRow(c + ldc, c10, c11, accumulate);
    if (mr > 2) storeRow(c + 2 * ldc, c20, c21, accumulate);
    if (mr > 3) storeRow(c + 3 * ldc, c30, c31, accumulate);
    return;
  }
  v128.store(edge, c00); v128.store(edge, c01, 16);
  v128.store(edge, c10, 32); v128.store(edge, c11, 48);
  v128.store(edge, c20, 64); v128.store(edge, c21, 80);
  v128.store(edge, c30, 96); v128.store(edge, c31, 112);
  for (let r = 0; r < mr; r++) {
    const cr = c + <usize>r * ldc;
    const er = edge + (<usize>r << 5);
    for (let j = 0; j < nr; j++) {
      const cj = cr + (<usize>j << 2);
      let v = load<i32>(er + (<usize>j << 2));
      if (accumulate) v += load<i32>(cj);
      store<i32>(cj, v);
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, v0: v128, v1: v128, accumulate: bool): void {
  if (accumulate) {
    v0 = i32x4.add(v0, v128.load(c));
    v1 = i32x4.add(v1, v128.load(c, 16));
  }
  v128.store(c, v0);
  v128.store(c, v1, 16);
}

// c (n) i32 = a (k) i8 · b (k,n) packed: panels of 8 columns, 4 panels (32 columns) per pass so each broadcast of
// a's pair feeds 8 dots. a's pairs are read straight from the row (load16_splat + widen), so no scratch is needed.
function gemvRow(c: usize, edge: usize, a: usize, bp: usize, panelBytes: usize, k: i32, n: i32): void {
  const np = (n + 7) >> 3;
  let jp = 0;
  for (; jp + 4 <= np; jp += 4) {
    const j = jp << 3;
    gemv32(c + (<usize>j << 2), edge, a, bp + <usize>jp * panelBytes, panelBytes, k, min(32, n - j));
  }
  for (; jp < np; jp++) {
    const j = jp << 3;
    gemv8(c + (<usize>j << 2), edge, a, bp + <usize>jp * panelBytes, k, min(8, n - j));
  }
}

// The pair (a[2p], a[2p+1]) as 4 copies of two i16; for the odd last element of k, (a[k−1], 0).
// @ts-ignore: decorator
@inline function pairSplat(a: usize, p: i32, k: i32): v128 {
  if (2 * p + 1 < k) return i16x8.extend_low_i8x16_s(v128.load16_splat(a + (<usize>p << 1)));
  return i32x4.splat(<i32>load<i8>(a + (<usize>p << 1)) & 0xffff);
}

// c (32 columns, nr stored) = a · 4 panels of b.
function gemv32(c: usize, edge: usize, a: usize, b: usize, pb: usize, k: i32, nr: i32): void {
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
  let c4 = i32x4.splat(0), c5 = i32x4.splat(0), c6 = i32x4.splat(0), c7 = i32x4.splat(0);
  const pairs = (k + 1) >> 1;
  const b1 = b + pb, b2 = b1 + pb, b3 = b2 + pb;
  let o: usize = 0;
  for (let p = 0; p < pairs; p++) {
    const x = pairSplat(a, p, k);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x, v128.load8x8_s(b + o)));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x, v128.load8x8_s(b + o, 8)));
    c2 = i32x4.add(c2, i32x4.dot_i16x8_s(x, v128.load8x8_s(b1 + o)));
    c3 = i32x4.add(c3, i32x4.dot_i16x8_s(x, v128.load8x8_s(b1 + o, 8)));
    c4 = i32x4.add(c4, i32x4.dot_i16x8_s(x, v128.load8x8_s(b2 + o)));
    c5 = i32x4.add(c5, i32x4.dot_i16x8_s(x, v128.load8x8_s(b2 + o, 8)));
    c6 = i32x4.add(c6, i32x4.dot_i16x8_s(x, v128.load8x8_s(b3 + o)));
    c7 = i32x4.add(c7, i32x4.dot_i16x8_s(x, v128.load8x8_s(b3 + o, 8)));
    o += 16;
  }
  if (nr == 32) {
    v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
    v128.store(c, c4, 64); v128.store(c, c5, 80); v128.store(c, c6, 96); v128.store(c, c7, 112);
    return;
  }
  v128.store(edge, c0); v128.store(edge, c1, 16); v128.store(edge, c2, 32); v128.store(edge, c3, 48);
  v128.store(edge, c4, 64); v128.store(edge, c5, 80); v128.store(edge, c6, 96); v128.store(edge, c7, 112);
  memory.copy(c, edge, <usize>nr << 2);
}

// c (8 columns, nr stored) = a · one panel of b.
function gemv8(c: usize, edge: usize, a: usize, b: usize, k: i32, nr: i32): void {
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0);
  const pairs = (k + 1) >> 1;
  for (let p = 0; p < pairs; p++) {
    const x = pairSplat(a, p, k);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x, v128.load8x8_s(b)));
    c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x, v128.load8x8_s(b, 8)));
    b += 16;
  }
  if (nr == 8) {
    v128.store(c, c0);
    v128.store(c, c1, 16);
    return;
  }
  v128.store(edge, c0);
  v128.store(edge, c1, 16);
  memory.copy(c, edge, <usize>nr << 2);
}
