// Direct NHWC convolution data-gradient micro-kernel: a 4 x 8 tile of the im2col columns' gradient
// dcols = dy · Wᵀ (4 output pixels x 8 consecutive taps of one kernel row) in 8 f32x4 accumulators, added
// straight onto the input pixels it belongs to (the col2im scatter) instead of being stored as columns.
import { madd } from '../gemm/madd';
import { addPartial } from './f32-conv-4x8';

// t (4,8) = Σ_{j < nf} dy(r, j) · wt(j, 0..8); then dx_r[l] += t(r, l) for rows r < mr, lanes lo_r <= l < hi_r
// with lo_r = lanes >> 8r & 15, hi_r = lanes >> 8r + 4 & 15 (0x80808080: all lanes of all rows; taps that fall on
// the padding are masked out this way). dy(r, j) at dy + r·ldy + 4j; wt(j, ·) = 8 floats at wt + j·ldt (the
// transposed kernel, 8 taps of one kernel row); dx_r = dx + r·dxr. Rows r >= mr re-read row 0 (never added).
export function f32_conv_dx_4x8(
  dx: usize, dxr: usize, dy: usize, ldy: usize, wt: usize, ldt: usize, nf: i32, mr: i32, lanes: u32,
): void {
  let q0 = dy, q1 = dy, q2 = dy, q3 = dy;
  if (mr > 1) q1 = dy + ldy;
  if (mr > 2) q2 = dy + 2 * ldy;
  if (mr > 3) q3 = dy + 3 * ldy;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let b = wt;
  for (let j = 0; j < nf; j++) {
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
    b += ldt;
  }
  addLanes(dx, c00, c01, lanes & 15, lanes >> 4 & 15);
  if (mr > 1) addLanes(dx + dxr, c10, c11, lanes >> 8 & 15, lanes >> 12 & 15);
  if (mr > 2) addLanes(dx + 2 * dxr, c20, c21, lanes >> 16 & 15, lanes >> 20 & 15);
  if (mr > 3) addLanes(dx + 3 * dxr, c30, c31, lanes >> 24 & 15, lanes >> 28);
}

// d[lo..hi) += (v0 | v1)[l]
// @ts-ignore: decorator
@inline function addLanes(d: usize, v0: v128, v1: v128, lo: u32, hi: u32): void {
  if (lo == 0 && hi == 8) {
    v128.store(d, f32x4.add(v128.load(d), v0));
    v128.store(d, f32x4.add(v128.load(d, 16), v1), 16);
  } else {
    addTail(d, v0, v1, <i32>lo, <i32>hi);
  }
}

// Clipped rows, out of line so the kernel stays small.
function addTail(d: usize, v0: v128, v1: v128, lo: i32, hi: i32): void {
  addPartial(d, v0, v1, lo, hi);
}
