// Direct NHWC convolution micro-kernel: a 4 x 8 tile of y (4 output pixels of one output row x 8 filters) in 8
// f32x4 accumulators, reading the input map in place instead of im2col columns. For one kernel row ky the 4
// pixels' patches are kw·c contiguous floats each, sw·c floats apart, so the tile is the GEMM 4x8 tile summed
// over kernel rows: a splat of x times one 8-float row of the HWIO kernel per step, as f32-gemm-4x8.ts.
import { madd } from '../gemm/madd';

// Lane i (0..3) of v.
// @ts-ignore: decorator
@inline export function lane(v: v128, i: i32): f32 {
  if (i == 0) return f32x4.extract_lane(v, 0);
  if (i == 1) return f32x4.extract_lane(v, 1);
  if (i == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}

// Row of the tile: y[j0..nr) = (v0 | v1)[j] (+ bias[j] if bias != 0).
// @ts-ignore: decorator
@inline function storeRow(y: usize, v0: v128, v1: v128, j0: i32, nr: i32, bias: usize): void {
  if (bias != 0) {
    v0 = f32x4.add(v0, v128.load(bias));
    v1 = f32x4.add(v1, v128.load(bias, 16));
  }
  if (nr == 8 && j0 < 4) {
    // Full rows, and the last block of f % 8 > 4 columns (or of f = 5..7) overlapping the columns before it:
    // inline, as a call per row costs as much as a few taps.
    storeFrom(y, v0, j0);
    v128.store(y + 16, v1);
  } else {
    storePartial(y, v0, v1, j0, nr);
  }
}

// Partial rows and accumulation (edge tiles only), out of line so the kernels stay small.
// y[lo..hi) += (v0 | v1)[j]
function accRow(y: usize, v0: v128, v1: v128, lo: i32, hi: i32): void {
  addPartial(y, v0, v1, lo, hi);
}

// y[lo..hi) = (v0 | v1)[j]
function storePartial(y: usize, v0: v128, v1: v128, lo: i32, hi: i32): void {
  for (let j = lo; j < hi; j++) store<f32>(y + (<usize>j << 2), j < 4 ? lane(v0, j) : lane(v1, j - 4));
}

// p[lo..4) = v[lo..4) for 0 <= lo < 4. Addresses are formed as p + 4·l (wrapping), so p may lie below address 0
// when lo > 0 as long as p + 4·lo does not.
// @ts-ignore: decorator
@inline export function storeFrom(p: usize, v: v128, lo: i32): void {
  if (lo == 0) {
    v128.store(p, v);
  } else if (lo == 1) {
    v128.store32_lane(p + 4, v, 1);
    v128.store64_lane(p + 8, v, 1);
  } else if (lo == 2) {
    v128.store64_lane(p + 8, v, 1);
  } else {
    v128.store32_lane(p + 12, v, 3);
  }
}

// d[lo..hi) += (v0 | v1)[l]: each half of the 8 lanes as one vector when it is wholly inside [lo, hi).
// d may lie left of the map (wrapped below address 0) when lo > 0; the upper vector (static offset 16, which
// does not wrap) is only used when lane 4 is in range, i.e. d + 16 >= the map's first byte, so d >= 0 there.
// (Inline here; the dW and dX kernels each wrap it in one out-of-line function.)
// @ts-ignore: decorator
@inline export function addPartial(d: usize, v0: v128, v1: v128, lo: i32, hi: i32): void {
  if (lo == 0 && hi >= 4) v128.store(d, f32x4.add(v128.load(d), v0));
  else for (let l = lo; l < min(hi, 4); l++) addLane(d, l, lane(v0, l));
  if (lo <= 4 && hi == 8) v128.store(d, f32x4.add(v128.load(d, 16), v1), 16);
  else for (let l = max(lo, 4); l < hi; l++) addLane(d, l, lane(v1, l - 4));
}

// @ts-ignore: decorator
@inline function addLane(d: usize, l: i32, v: f32): void {
  const p = d + (<usize>l << 2);
  store<f32>(p, load<f32>(p) + v);
}

// y (4,8) = Σ_{ky < nky} Σ_{q < nq} x_r(ky, q) · wk(ky, q) (+ bias), rows r < mr stored, columns j0 <= j < nr.
// x_r(ky, q) at x + r·ars + ky·rowB + 4q (row r's first in-range input of kernel row ky);
// wk(ky, q) = 8 floats at wk + ky·kyB + q·ldw (kernel row ky of the HWIO kernel, from its first in-range tap).
// Rows r >= mr re-read row 0 (computed, never stored). acc: y += tile instead (bias ignored).
export function f32_conv_4x8(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, ldw: usize, kyB: usize,
  mr: i32, j0: i32, nr: i32, bias: usize, acc: bool,
): void {
  let p0 = x, p1 = x, p2 = x, p3 = x;
  if (mr > 1) p1 = x + ars;
  if (mr > 2) p2 = x + 2 * ars;
  if (mr > 3) p3 = x + 3 * ars;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let ky = 0; ky < nky; ky++) {
    let q0 = p0, q1 = p1, q2 = p2, q3 = p3;
    let b = wk;
    for (let q = 0; q < nq; q++) {
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
      q0 += 4; q1 += 4; q2 += 4; q3 += 4;
      b += ldw;
    }
    p0 += rowB; p1 += rowB; p2 += rowB; p3 += rowB;
    wk += kyB;
  }
  if (acc) {
    accRow(y, c00, c01, j0, nr);
    if (mr > 1) accRow(y + ldy, c10, c11, j0, nr);
    if (mr > 2) accRow(y + 2 * ldy, c20, c21, j0, nr);
    if (mr > 3) accRow(y + 3 * ldy, c30, c31, j0, nr);
    return;
  }
  storeRow(y, c00, c01, j0, nr, bias);
  if (mr > 1) storeRow(y + ldy, c10, c11, j0, nr, bias);
  if (mr > 2) storeRow(y + 2 * ldy, c20, c21, j0, nr, bias);
  if (mr > 3) storeRow(y + 3 * ldy, c30, c31, j0, nr, bias);
}
