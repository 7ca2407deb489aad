// Direct NHWC convolution filter-gradient micro-kernel: a 4 x 8 tile of dW (4 kernel taps x 8 filters) in 8
// f32x4 accumulators, reduced over output pixels read in place from the input map (no im2col columns). A tap
// (ky, kx, ci) sits at a fixed offset from its pixel's window origin, so the 4 taps are 4 offsets from one
// pointer that walks the pixels; each step is a splat of x per tap times one 8-float row of dy, as in
// f32-gemm-4x8.ts.
import { madd } from '../gemm/madd';
import { addPartial } from './f32-conv-4x8';

// dw (4,8) += Σ over pixels (b < nb, oy < noy, ox < nox) of x(pixel + off_r) · dy(pixel, 0..8)
// for rows r < mr, columns j0 <= j < nr. x: window origin of pixel (0, 0, 0) at x, + ox·ars + oy·oyB + b·bB
// bytes; dy: its 8 floats at dy + ox·ldy + oy·dyOyB + b·dyBB. Rows r >= mr re-read tap 0 (computed, never stored).
export function f32_conv_dw_4x8(
  dw: usize, ldw: usize, x: usize, off1: usize, off2: usize, off3: usize, ars: usize, oyB: usize, bB: usize,
  dy: usize, ldy: usize, dyOyB: usize, dyBB: usize, nox: i32, noy: i32, nb: i32, mr: i32, j0: i32, nr: i32,
): void {
  if (mr < 2) off1 = 0;
  if (mr < 3) off2 = 0;
  if (mr < 4) off3 = 0;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    let xr = x + <usize>b * bB, dr = dy + <usize>b * dyBB;
    for (let oy = 0; oy < noy; oy++) {
      let q0 = xr, q1 = xr + off1, q2 = xr + off2, q3 = xr + off3;
      let g = dr;
      for (let ox = 0; ox < nox; ox++) {
        const g0 = v128.load(g);
        const g1 = v128.load(g, 16);
        let s = v128.load32_splat(q0);
        c00 = madd(s, g0, c00);
        c01 = madd(s, g1, c01);
        s = v128.load32_splat(q1);
        c10 = madd(s, g0, c10);
        c11 = madd(s, g1, c11);
        s = v128.load32_splat(q2);
        c20 = madd(s, g0, c20);
        c21 = madd(s, g1, c21);
        s = v128.load32_splat(q3);
        c30 = madd(s, g0, c30);
        c31 = madd(s, g1, c31);
        q0 += ars; q1 += ars; q2 += ars; q3 += ars;
        g += ldy;
      }
      xr += oyB;
      dr += dyOyB;
    }
  }
  addRow(dw, c00, c01, j0, nr);
  if (mr > 1) addRow(dw + ldw, c10, c11, j0, nr);
  if (mr > 2) addRow(dw + 2 * ldw, c20, c21, j0, nr);
  if (mr > 3) addRow(dw + 3 * ldw, c30, c31, j0, nr);
}

// dw[j0..nr) += (v0 | v1)[j]
// @ts-ignore: decorator
@inline function addRow(dw: usize, v0: v128, v1: v128, j0: i32, nr: i32): void {
  if (j0 == 0 && nr == 8) {
    v128.store(dw, f32x4.add(v128.load(dw), v0));
    v128.store(dw, f32x4.add(v128.load(dw, 16), v1), 16);
  } else {
    addTail(dw, v0, v1, j0, nr);
  }
}

// Clipped rows, out of line so the kernel stays small.
function addTail(d: usize, v0: v128, v1: v128, lo: i32, hi: i32): void {
  addPartial(d, v0, v1, lo, hi);
}
