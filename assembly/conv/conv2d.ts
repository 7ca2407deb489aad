// Direct NHWC convolution forward (no im2col): each output row is cut into 4-pixel tiles whose windows lie
// inside the map horizontally, run by the f32-conv-4x8 micro-kernel over the in-range kernel rows; pixels whose
// window crosses the left / right padding take the same kernel one pixel at a time with their taps clipped.
// Measured faster than im2col + gemm_forward where the columns are much larger than the map (c = 1: 25x for a
// 5x5 kernel); the same results up to the order of the sums.
import { f32_conv_4x8 } from './f32-conv-4x8';

// y (n,oh,ow,f) = conv of x (n,h,w,c) with the HWIO kernel wk (kh,kw,c,f) + bias (f) (bias == 0: none), i.e.
// im2col_nhwc + gemm_forward in one pass. Window pixel (oy·sh − padT + ky, ox·sw − padL + kx), padding is 0.
export function conv2d_forward_nhwc(
  y: usize, x: usize, wk: usize, bias: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, f: i32,
): void {
  if (f <= 0) return;
  const run = kw * c;
  const ldy = <usize>f << 2;
  const rowB = <usize>w * c << 2;
  const kyB = <usize>run * ldy;
  const pixB = <usize>c << 2;
  const ars = <usize>sw * pixB;
  // Pixels ox in [oxA, oxB) have their whole window inside the map horizontally.
  const oxA = min(ow, (padL + sw - 1) / sw);
  const oxB = max(oxA, min(ow, w - kw + padL >= 0 ? (w - kw + padL) / sw + 1 : 0));
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), nky = min(kh, h - iy0) - ky0;
      const yr = y + <usize>((b * oh + oy) * ow) * ldy;
      if (nky <= 0) {
        for (let ox = 0; ox < ow; ox++) biasRow(yr + <usize>ox * ldy, bias, f);
        continue;
      }
      const xr = x + <usize>(b * h + iy0 + ky0) * rowB; // pixel (iy0 + ky0, 0)
      const wr = wk + <usize>ky0 * kyB;
      if (f < 8) {
        for (let ox = 0; ox < ow; ox++) pixelScalar(yr + <usize>ox * ldy, xr, wr, bias, w, c, kw, sw, padL, ox, nky, rowB, f);
        continue;
      }
      for (let ox = 0; ox < oxA; ox++) pixel(yr + <usize>ox * ldy, xr, wr, bias, w, c, kw, sw, padL, ox, nky, rowB, kyB, f);
      for (let ox = oxA; ox < oxB; ox += 4) {
        const mr = min(4, oxB - ox);
        const xp = xr + <usize>(ox * sw - padL) * pixB;
        tile(yr + <usize>ox * ldy, ldy, xp, ars, rowB, nky, run, wr, kyB, mr, bias, f);
      }
      for (let ox = oxB; ox < ow; ox++) pixel(yr + <usize>ox * ldy, xr, wr, bias, w, c, kw, sw, padL, ox, nky, rowB, kyB, f);
    }
  }
}

// Every 8-column block of up to 4 rows of y (f >= 8); the last block is the 8 columns ending at f, storing only
// the columns the previous blocks did not.
// @ts-ignore: decorator
@inline function tile(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, kyB: usize, mr: i32,
  bias: usize, f: i32,
): void {
  const f8 = f & ~7;
  const ldw = <usize>f << 2;
  for (let j = 0; j < f8; j += 8) {
    const o = <usize>j << 2;
    f32_conv_4x8(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, 0, 8, bias != 0 ? bias + o : 0);
  }
  if (f8 < f) {
    const j = f - 8;
    const o = <usize>j << 2;
    f32_conv_4x8(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, f8 - j, 8, bias != 0 ? bias + o : 0);
  }
}

// One output pixel whose window may cross the left / right padding: its in-range taps kx0 <= kx < kx1.
function pixel(
  y: usize, xr: usize, wr: usize, bias: usize, w: i32, c: i32, kw: i32, sw: i32, padL: i32, ox: i32, nky: i32,
  rowB: usize, kyB: usize, f: i32,
): void {
  const ix0 = ox * sw - padL;
  const kx0 = max(0, -ix0), kx1 = min(kw, w - ix0);
  if (kx1 <= kx0) {
    biasRow(y, bias, f);
    return;
  }
  const xp = xr + (<usize>(ix0 + kx0) * c << 2);
  const wp = wr + <usize>(kx0 * c) * (<usize>f << 2);
  tile(y, 0, xp, 0, rowB, nky, (kx1 - kx0) * c, wp, kyB, 1, bias, f);
}

// One output pixel, f < 8 filters: plain loops over the in-range taps.
function pixelScalar(
  y: usize, xr: usize, wr: usize, bias: usize, w: i32, c: i32, kw: i32, sw: i32, padL: i32, ox: i32, nky: i32,
  rowB: usize, f: i32,
): void {
  const ix0 = ox * sw - padL;
  const kx0 = max(0, -ix0), kx1 = min(kw, w - ix0);
  const nq = max(0, kx1 - kx0) * c;
  const ldw = <usize>f << 2;
  const kyB = <usize>(kw * c) * ldw;
  for (let j = 0; j < f; j++) {
    let s: f32 = 0;
    let xk = xr + (<usize>(ix0 + kx0) * c << 2);
    let wkp = wr + <usize>(kx0 * c) * ldw + (<usize>j << 2);
    for (let ky = 0; ky < nky; ky++) {
      for (let q = 0; q < nq; q++) s += load<f32>(xk + (<usize>q << 2)) * load<f32>(wkp + <usize>q * ldw);
      xk += rowB;
      wkp += kyB;
    }
    if (bias != 0) s += load<f32>(bias + (<usize>j << 2));
    store<f32>(y + (<usize>j << 2), s);
  }
}

// y (f) = bias, or 0 when bias == 0.
function biasRow(y: usize, bias: usize, f: i32): void {
  if (bias != 0) memory.copy(y, bias, <usize>f << 2);
  else memory.fill(y, 0, <usize>f << 2);
}
