// f32 GEMM micro-kernel: a 4 x 8 tile of c in 8 f32x4 accumulators. On V8/x64 (16 xmm registers) this is the
// largest tile that runs without spills: 8 accumulators + 2 b vectors + a broadcast + temporaries. Measured on
// L1-resident data: 4x8 ≈ 41 GFLOP/s (peak ≈ 44); 6x8, 4x12, 4x16 and unrolled variants spill and reach 22–30.
// One step per iteration on purpose: Binaryen merges unrolled steps into long expressions and V8 then hoists
// all their loads ahead of the math, which spills.
import { madd } from './madd';

// c (4,8) = or += a (4,kc) · b (kc,8)
// a: element (r,p) at a + r·ars + p·ast bytes (x: ars = k·4, ast = 4; xᵀ for dW: ars = 4, ast = k·4).
// b: 8 floats per step at b + p·bst (bst = 32 for a packed panel, n·4 in place).
// Rows r >= mr re-read row 0 (computed, never stored); only columns j0 <= j < nr are stored.
// accumulate: c += tile; else c = tile (+ bias[j] if bias != 0).
// edge: 128 bytes of the caller's scratch (16-byte aligned) where a partial tile's accumulators are spilled
// before the wanted lanes are copied out (scratch is an argument, so threads can each bring their own).
export function f32_gemm_4x8(
  c: usize, ldc: usize, a: usize, ars: usize, ast: usize, b: usize, bst: usize,
  kc: i32, mr: i32, j0: i32, nr: i32, accumulate: bool, bias: usize, edge: usize,
): void {
  let q0 = a, q1 = a, q2 = a, q3 = a;
  if (mr > 1) q1 = a + ars;
  if (mr > 2) q2 = a + 2 * ars;
  if (mr > 3) q3 = a + 3 * ars;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(q0);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(q1);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(q2);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(q3);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    q0 += ast; q1 += ast; q2 += ast; q3 += ast;
    b += bst;
  }
  storeTile(c, ldc, mr, j0, nr, accumulate, bias, edge, c00, c01, c10, c11, c20, c21, c30, c31);
}

// The same tile with a packed A strip (packStrip: step p's 4 rows at a + 16p): one pointer and immediate offsets
// instead of four row pointers, which leaves the loop three scalar adds shorter — the relaxed build's fused
// multiply-adds retire faster than the four-pointer loop can issue them.
export function f32_gemm_4x8_strip(
  c: usize, ldc: usize, a: usize, b: usize, bst: usize,
  kc: i32, mr: i32, j0: i32, nr: i32, accumulate: bool, bias: usize, edge: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(a, 4);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(a, 8);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(a, 12);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    a += 16;
    b += bst;
  }
  storeTile(c, ldc, mr, j0, nr, accumulate, bias, edge, c00, c01, c10, c11, c20, c21, c30, c31);
}

// Stores a finished tile: rows < mr, columns j0 <= j < nr (+ c if accumulate, else + bias if bias != 0).
// @ts-ignore: decorator
@inline function storeTile(
  c: usize, ldc: usize, mr: i32, j0: i32, nr: i32, accumulate: bool, bias: usize, edge: usize,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  if (j0 == 0 && nr == 8) {
    let bv0 = f32x4.splat(0), bv1 = f32x4.splat(0);
    if (!accumulate && bias != 0) {
      bv0 = v128.load(bias);
      bv1 = v128.load(bias, 16);
    }
    storeRow(c, c00, c01, accumulate, bv0, bv1);
    if (mr > 1) storeRow(c + ldc, c10, c11, accumulate, bv0, bv1);
    if (mr > 2) storeRow(c + 2 * ldc, c20, c21, accumulate, bv0, bv1);
    if (mr > 3) storeRow(c + 3 * ldc, c30, c31, accumulate, bv0, bv1);
  } else {
    v128.store(edge, c00); v128.store(edge, c01, 16);
    v128.store(edge, c10, 32); v128.store(edge, c11, 48);
    v128.store(edge, c20, 64); v128.store(edge, c21, 80);
    v128.store(edge, c30, 96); v128.store(edge, c31, 112);
    storePartial(c, ldc, edge, mr, j0, nr, accumulate, bias);
  }
}

// c rows < mr, columns j0..nr = edge tile (+ c if accumulate, else + bias if bias != 0)
function storePartial(c: usize, ldc: usize, edge: usize, mr: i32, j0: i32, nr: i32, accumulate: bool, bias: usize): void {
  for (let r = 0; r < mr; r++) {
    const cr = c + <usize>r * ldc;
    const er = edge + (<usize>r << 5);
    for (let j = j0; j < nr; j++) {
      const cj = cr + (<usize>j << 2);
      let v = load<f32>(er + (<usize>j << 2));
      if (accumulate) v += load<f32>(cj);
      else if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      store<f32>(cj, v);
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, v0: v128, v1: v128, accumulate: bool, bv0: v128, bv1: v128): void {
  if (accumulate) {
    v0 = f32x4.add(v0, v128.load(c));
    v1 = f32x4.add(v1, v128.load(c, 16));
  } else {
    v0 = f32x4.add(v0, bv0);
    v1 = f32x4.add(v1, bv1);
  }
  v128.store(c, v0);
  v128.store(c, v1, 16);
}
