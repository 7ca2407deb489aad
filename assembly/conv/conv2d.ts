// Direct NHWC convolution (no im2col columns): forward, filter gradient and data gradient, each the product the
// im2col + GEMM path computes, on 4x8 register tiles that read the maps in place (f32-conv-4x8, f32-conv-dw-4x8,
// f32-conv-dx-4x8). Measured at batch 32 (bench/kernels.js): forward and filter gradient at 89-108% of the
// GFLOP/s of gemm_forward for the same M x K x N, where im2col + GEMM drops to 57% at c = 1 (the columns are
// 25x the map for a 5x5 kernel); data gradient faster than gemm_backward_x + col2im from c = 8 on, slower at
// c = 2, 3 (its tiles are 8 taps of one kernel row); at c = 1 with stride 1 dot products per input pixel
// (f32-conv-dx-c1) instead, 1.9x faster than gemm_backward_x + col2im at LeNet's conv1 (f = 8).
// Forward tiles are 4 pixels of one output row whose windows lie inside the map horizontally; pixels whose window
// crosses the left / right padding run one at a time with their taps clipped.
// Filters in blocks of 8 (4x8 kernels), the f % 8 rest as one more 8-block (rest > 4) or a 4-block (f32-conv-4x4)
// ending at f, so f = 1..4 cost one 4-block, 5..8 one 8-block, 12 an 8- and a 4-block (measured at batch 64:
// forward f = 4 at 0.6-0.75 of f = 8, filter gradient 0.65-0.7; before, f < 8 ran plain loops at 5-9x f = 8).
import { f32_conv_4x8 } from './f32-conv-4x8';
import { conv_dw_tile_scalar, conv_tile_scalar, f32_conv_4x4, f32_conv_dw_4x4 } from './f32-conv-4x4';
import { f32_conv_dw_4x8 } from './f32-conv-dw-4x8';
import { f32_conv_dx_4x8 } from './f32-conv-dx-4x8';
import { f32_conv_dx_c1_1, f32_conv_dx_c1_4 } from './f32-conv-dx-c1';

// y (n,oh,ow,f) = conv of x (n,h,w,c) with the HWIO kernel wk (kh,kw,c,f) + bias (f) (bias == 0: none), i.e.
// im2col_nhwc + gemm_forward in one pass. Window pixel (oy·sh − padT + ky, ox·sw − padL + kx), padding is 0.
export function conv2d_forward_nhwc(
  y: usize, x: usize, wk: usize, bias: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, f: i32,
): void {
  conv2d_forward_nhwc_rows(y, x, wk, bias, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, 0, oh);
}

// Output rows [r0, r0 + rc) of every sample of conv2d_forward_nhwc's y (the rest untouched): threads split a
// batch of one by rows. Each output row is computed alone, so any cut gives the whole call's bits.
export function conv2d_forward_nhwc_rows(
  y: usize, x: usize, wk: usize, bias: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, f: i32, r0: i32, rc: i32,
): void {
  if (r0 < 0) { rc += r0; r0 = 0; }
  const r1 = min(oh, r0 + rc);
  if (f <= 0 || r0 >= r1) return;
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
    for (let oy = r0; oy < r1; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), nky = min(kh, h - iy0) - ky0;
      const yr = y + <usize>((b * oh + oy) * ow) * ldy;
      if (nky <= 0) {
        for (let ox = 0; ox < ow; ox++) biasRow(yr + <usize>ox * ldy, bias, f);
        continue;
      }
      const xr = x + <usize>(b * h + iy0 + ky0) * rowB; // pixel (iy0 + ky0, 0)
      const wr = wk + <usize>ky0 * kyB;
      // Tiles of 4 pixels from the left edge: inside ones in one call, edge ones as a staircase of calls.
      for (let ox = 0; ox < ow; ox += 4) {
        const mr = min(4, ow - ox);
        const yp = yr + <usize>ox * ldy;
        if (ox >= oxA && ox + mr <= oxB) {
          tile(yp, ldy, xr + <usize>(ox * sw - padL) * pixB, ars, rowB, nky, run, wr, kyB, mr, bias, f, false);
        } else {
          edgeTile(yp, ldy, xr, wr, bias, w, c, kw, sw, padL, ox, mr, nky, rowB, kyB, f);
        }
      }
    }
  }
}

// Every column block of up to 4 rows of y: 8-column blocks while 8 columns are left, then the rest r = f % 8 as
// the 8 (r > 4) or 4 (r <= 4) columns ending at f, storing only the columns not stored yet. When f < 8 that
// block starts left of column 0: its first lanes read the floats before wk's rows (the previous row, or before
// wk itself: any address >= 32 is inside memory) and are never stored. wk or bias below 32 (where that would
// wrap below address 0): f < 8 in blocks that start at column 0 instead.
// @ts-ignore: decorator
@inline function tile(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, kyB: usize, mr: i32,
  bias: usize, f: i32, acc: bool,
): void {
  const ldw = <usize>f << 2;
  let j = 0;
  for (; j + 8 <= f; j += 8) {
    const o = <usize>j << 2;
    f32_conv_4x8(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, 0, 8, bias != 0 ? bias + o : 0, acc);
  }
  if (j == f) return;
  if (f < 8 && (wk < 32 || (bias != 0 && bias < 32))) {
    tileLow(y, ldy, x, ars, rowB, nky, nq, wk, kyB, mr, bias, f, acc);
    return;
  }
  const nb = f - j > 4 ? 8 : 4;
  const o = <usize>(f - nb) << 2;
  const bo = bias != 0 ? bias + o : 0;
  if (nb == 8) f32_conv_4x8(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, j - (f - 8), 8, bo, acc);
  else f32_conv_4x4(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, j - (f - 4), bo, acc);
}

// tile() for f < 8 without reading before wk or bias: scalar loops (f < 4) or two 4-column blocks.
function tileLow(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, kyB: usize, mr: i32,
  bias: usize, f: i32, acc: bool,
): void {
  const ldw = <usize>f << 2;
  if (f < 4) {
    conv_tile_scalar(y, ldy, x, ars, rowB, nky, nq, wk, ldw, kyB, mr, f, bias, acc);
    return;
  }
  f32_conv_4x4(y, ldy, x, ars, rowB, nky, nq, wk, ldw, kyB, mr, 0, bias, acc);
  if (f == 4) return;
  const o = <usize>(f - 4) << 2;
  f32_conv_4x4(y + o, ldy, x, ars, rowB, nky, nq, wk + o, ldw, kyB, mr, 8 - f, bias != 0 ? bias + o : 0, acc);
}

// A tile of mr pixels (ox..) some of whose windows cross the left / right padding. Pixel r's in-range kernel
// columns are [a_r, b_r), both non-increasing in r, so the pixels sharing a column kx are a run [r0, r1). One call
// covers the columns all pixels share, [a_0, b_last), writing (with bias); every other column goes to the run of
// pixels that have it, consecutive columns with the same run in one call, added.
function edgeTile(
  y: usize, ldy: usize, xr: usize, wr: usize, bias: usize, w: i32, c: i32, kw: i32, sw: i32, padL: i32, ox: i32,
  mr: i32, nky: i32, rowB: usize, kyB: usize, f: i32,
): void {
  const ix0 = ox * sw - padL;
  const ka = colFrom(ix0, 0), kb = colTo(ix0, mr - 1, sw, w, kw);
  const shared = ka < kb;
  if (shared) {
    tileCols(y, ldy, xr, wr, bias, c, sw, ix0, 0, mr, ka, kb, nky, rowB, kyB, f, false);
  } else {
    for (let r = 0; r < mr; r++) biasRow(y + <usize>r * ldy, bias, f);
  }
  let kx = colFrom(ix0, (mr - 1) * sw);
  const kEnd = colTo(ix0, 0, sw, w, kw);
  while (kx < kEnd) {
    if (shared && kx == ka) {
      kx = kb;
      continue;
    }
    const r0 = firstWith(ix0, kx, sw, mr), r1 = firstWithout(ix0, kx, sw, w, kw, mr);
    let k1 = kx + 1;
    while (k1 < kEnd && !(shared && k1 == ka) && firstWith(ix0, k1, sw, mr) == r0 &&
      firstWithout(ix0, k1, sw, w, kw, mr) == r1) k1++;
    tileCols(y, ldy, xr, wr, bias, c, sw, ix0, r0, r1, kx, k1, nky, rowB, kyB, f, true);
    kx = k1;
  }
}

// First tile pixel r whose window has column kx on its left side (a_r <= kx), or mr.
function firstWith(ix0: i32, kx: i32, sw: i32, mr: i32): i32 {
  let r = 0;
  while (r < mr && colFrom(ix0, r * sw) > kx) r++;
  return r;
}
// First tile pixel r whose window has lost column kx on its right side (b_r <= kx), or mr.
function firstWithout(ix0: i32, kx: i32, sw: i32, w: i32, kw: i32, mr: i32): i32 {
  let r = 0;
  while (r < mr && colTo(ix0, r, sw, w, kw) > kx) r++;
  return r;
}

// First in-range kernel column of the pixel whose window starts at input column ix0 + d.
// @ts-ignore: decorator
@inline function colFrom(ix0: i32, d: i32): i32 {
  return max(0, -(ix0 + d));
}
// One past the last in-range kernel column of tile pixel r.
// @ts-ignore: decorator
@inline function colTo(ix0: i32, r: i32, sw: i32, w: i32, kw: i32): i32 {
  return min(kw, w - (ix0 + r * sw));
}

// Pixels r0 <= r < r1 of a tile, kernel columns k0 <= kx < k1 (in range for all of them), written or added.
function tileCols(
  y: usize, ldy: usize, xr: usize, wr: usize, bias: usize, c: i32, sw: i32, ix0: i32, r0: i32, r1: i32, k0: i32,
  k1: i32, nky: i32, rowB: usize, kyB: usize, f: i32, acc: bool,
): void {
  if (r1 <= r0 || k1 <= k0) return;
  const pixB = <usize>c << 2;
  const xp = xr + <usize>(ix0 + r0 * sw + k0) * pixB;
  const wp = wr + <usize>(k0 * c) * (<usize>f << 2);
  tile(y + <usize>r0 * ldy, ldy, xp, <usize>sw * pixB, rowB, nky, (k1 - k0) * c, wp, kyB, r1 - r0, bias, f, acc);
}

// y (f) = bias, or 0 when bias == 0.
function biasRow(y: usize, bias: usize, f: i32): void {
  if (bias != 0) memory.copy(y, bias, <usize>f << 2);
  else memory.fill(y, 0, <usize>f << 2);
}

// dw (kh·kw·c, f) += patches of x (n,h,w,c)ᵀ · dy (n·oh·ow, f): gemm_backward_w(dw, cols, dy, ...) on the
// im2col_nhwc columns, without them, through the f32-conv-dw-4x8 micro-kernel (4 taps x 8 filters, reduced over
// pixels). c >= 4: taps in groups of 4 channels of one (ky, kx), each group over the pixels where that tap is
// inside the map. c < 4: taps in groups of 4 consecutive ones over rectangles of pixels clipped alike. Either
// way padding costs no scalar work. Filters in blocks as the forward's (f32-conv-dw-4x4 for 4-blocks). Accumulates.
export function conv2d_backward_w_nhwc(
  dw: usize, x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32, f: i32,
): void {
  conv2d_backward_w_nhwc_rows(dw, x, dy, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, 0, kh * kw * c);
}

// Rows (taps) [p0, p0 + pc) of conv2d_backward_w_nhwc's dw, the other rows untouched: how threads split the filter
// gradient (by taps, never by the batch, which is the reduction). Each dw entry is its tap's sum over the same
// pixels in the same order whichever taps share its 4-tap tile, so the parts are bit-identical to the whole call.
export function conv2d_backward_w_nhwc_rows(
  dw: usize, x: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32, f: i32, p0: i32, pc: i32,
): void {
  const p1 = min(p0 + pc, kh * kw * c);
  p0 = max(p0, 0);
  if (f <= 0 || n <= 0 || oh <= 0 || ow <= 0 || p1 <= p0) return;
  const run = kw * c;
  const ldw = <usize>f << 2;
  const pixB = <usize>c << 2;
  const rowB = <usize>w * pixB;
  if (c >= 4) {
    for (let ky = 0; ky < kh; ky++) {
      // Output rows whose tap row ky is inside the map: 0 <= oy·sh − padT + ky < h.
      const oyA = inFrom(padT - ky, sh), oyB = min(oh, inTo(h - 1 + padT - ky, sh));
      if (oyB <= oyA) continue;
      for (let kx = 0; kx < kw; kx++) {
        const pk = (ky * kw + kx) * c; // the tap (ky, kx, 0)
        if (pk + c <= p0 || pk >= p1) continue;
        const oxA = inFrom(padL - kx, sw), oxB = min(ow, inTo(w - 1 + padL - kx, sw));
        if (oxB <= oxA) continue;
        const xk = x + <usize>((oyA * sh - padT + ky) * w + oxA * sw - padL + kx) * pixB;
        const dk = dw + <usize>pk * ldw;
        const dy0 = dy + <usize>(oyA * ow + oxA) * ldw;
        for (let ci = 0; ci < c; ci += 4) {
          // Channels [ci, ci + 4) clipped to the taps asked for.
          const a = max(ci, p0 - pk), e = min(min(ci + 4, c), p1 - pk);
          if (e <= a) continue;
          dwBlocks(dk + <usize>a * ldw, ldw, xk + (<usize>a << 2), 4, 8, 12, <usize>sw * pixB, <usize>sh * rowB,
            <usize>h * rowB, dy0, <usize>ow * ldw, <usize>(oh * ow) * ldw, oxB - oxA, oyB - oyA, n, e - a, f);
        }
      }
    }
    return;
  }
  // c < 4: the output grid in rectangles of pixels whose windows are clipped alike (kernel rows [ky0, ky1),
  // columns [kx0, kx1)); 'valid' is one rectangle. In a rectangle the in-range taps are one contiguous run when
  // all columns are in (tiles of 4 taps may span kernel rows), else one run per kernel row.
  let oy = 0;
  while (oy < oh) {
    const ky0 = max(0, padT - oy * sh), ky1 = min(kh, h + padT - oy * sh);
    let oy1 = oy + 1;
    while (oy1 < oh && max(0, padT - oy1 * sh) == ky0 && min(kh, h + padT - oy1 * sh) == ky1) oy1++;
    if (ky1 > ky0) {
      let ox = 0;
      while (ox < ow) {
        const kx0 = max(0, padL - ox * sw), kx1 = min(kw, w + padL - ox * sw);
        let ox1 = ox + 1;
        while (ox1 < ow && max(0, padL - ox1 * sw) == kx0 && min(kw, w + padL - ox1 * sw) == kx1) ox1++;
        if (kx1 > kx0) {
          // Window origin of pixel (0, oy, ox) (left of / above the map when clipped: only in-range taps are read).
          const xo = x + <usize>(((oy * sh - padT) * w + ox * sw - padL) * c << 2);
          const dyo = dy + <usize>(oy * ow + ox) * ldw;
          if (kx0 == 0 && kx1 == kw) {
            dwRun(dw, xo, dyo, max(ky0 * run, p0), min(ky1 * run, p1), w, c, run, sw, sh, h, ow, oh, ox1 - ox, oy1 - oy, n, f);
          } else {
            for (let ky = ky0; ky < ky1; ky++) {
              dwRun(dw, xo, dyo, max(ky * run + kx0 * c, p0), min(ky * run + kx1 * c, p1), w, c, run, sw, sh, h, ow, oh,
                ox1 - ox, oy1 - oy, n, f);
            }
          }
        }
        ox = ox1;
      }
    }
    oy = oy1;
  }
}

// dw rows of taps p0 <= p < p1 += their products over a rectangle of nox x noy pixels (x n images) whose first
// pixel's window origin is xo and dy row dyo: f32_conv_dw_4x8 on tiles of 4 consecutive taps.
function dwRun(
  dw: usize, xo: usize, dyo: usize, p0: i32, p1: i32, w: i32, c: i32, run: i32, sw: i32, sh: i32, h: i32, ow: i32,
  oh: i32, nox: i32, noy: i32, n: i32, f: i32,
): void {
  const ldw = <usize>f << 2;
  const pixB = <usize>c << 2;
  const rowB = <usize>w * pixB;
  for (let p = p0; p < p1; p += 4) {
    const mr = min(4, p1 - p);
    const o0 = tapOffset(p, w, c, run);
    const o1 = mr > 1 ? tapOffset(p + 1, w, c, run) - o0 : 0;
    const o2 = mr > 2 ? tapOffset(p + 2, w, c, run) - o0 : 0;
    const o3 = mr > 3 ? tapOffset(p + 3, w, c, run) - o0 : 0;
    dwBlocks(dw + <usize>p * ldw, ldw, xo + o0, o1, o2, o3, <usize>sw * pixB, <usize>sh * rowB, <usize>h * rowB, dyo,
      <usize>ow * ldw, <usize>(oh * ow) * ldw, nox, noy, n, mr, f);
  }
}

// First output index o >= 0 with o·s >= t (t may be negative).
// @ts-ignore: decorator
@inline function inFrom(t: i32, s: i32): i32 {
  return t > 0 ? (t + s - 1) / s : 0;
}
// One past the last output index o with o·s <= u (0 when u < 0).
// @ts-ignore: decorator
@inline function inTo(u: i32, s: i32): i32 {
  return u >= 0 ? u / s + 1 : 0;
}

// Every column block of dw, split as the forward's tile(): f32_conv_dw_4x8 on 8-column blocks, the rest as the
// 8 or 4 columns ending at f (f < 8: reading before dy's rows, as tile() reads before wk's), adding only the
// columns not done yet. dy below 32 with f < 8: scalar loops (f < 4) or two 4-column blocks from column 0.
function dwBlocks(
  dw: usize, ldw: usize, x: usize, o1: usize, o2: usize, o3: usize, ars: usize, oyB: usize, bB: usize, dy: usize,
  dyOyB: usize, dyBB: usize, nox: i32, noy: i32, n: i32, mr: i32, f: i32,
): void {
  let j = 0;
  for (; j + 8 <= f; j += 8) {
    const o = <usize>j << 2;
    f32_conv_dw_4x8(dw + o, ldw, x, o1, o2, o3, ars, oyB, bB, dy + o, ldw, dyOyB, dyBB, nox, noy, n, mr, 0, 8);
  }
  if (j == f) return;
  if (f < 8 && dy < 32) {
    if (f < 4) {
      conv_dw_tile_scalar(dw, ldw, x, o1, o2, o3, ars, oyB, bB, dy, ldw, dyOyB, dyBB, nox, noy, n, mr, f);
      return;
    }
    f32_conv_dw_4x4(dw, ldw, x, o1, o2, o3, ars, oyB, bB, dy, ldw, dyOyB, dyBB, nox, noy, n, mr, 0);
    j = 4;
    if (j == f) return;
  }
  const nb = f - j > 4 ? 8 : 4;
  const o = <usize>(f - nb) << 2;
  if (nb == 8) {
    f32_conv_dw_4x8(dw + o, ldw, x, o1, o2, o3, ars, oyB, bB, dy + o, ldw, dyOyB, dyBB, nox, noy, n, mr, j - (f - 8), 8);
  } else {
    f32_conv_dw_4x4(dw + o, ldw, x, o1, o2, o3, ars, oyB, bB, dy + o, ldw, dyOyB, dyBB, nox, noy, n, mr, j - (f - 4));
  }
}

// Byte offset of tap p = (ky, kx, ci) from its pixel's window origin in x.
function tapOffset(p: i32, w: i32, c: i32, run: i32): usize {
  const ky = p / run, r = p - ky * run;
  return <usize>(ky * w * c + r) << 2;
}

// Bytes of scratch conv2d_backward_x_nhwc needs: the kernel transposed, kh x f rows of kw·c taps padded to 8.
export function conv2d_backward_x_workspace_size(kh: i32, kw: i32, c: i32, f: i32): i32 {
  return kh * f * ((kw * c + 7) & ~7) << 2;
}

// dx (n,h,w,c) = col2im_nhwc(dy (n·oh·ow, f) · wk (kh·kw·c, f)ᵀ): gemm_backward_x + col2im_nhwc without the
// columns. Each 4x8 tile of dy · wkᵀ (4 output pixels x 8 taps of one kernel row) is added straight onto its
// input pixels by the f32-conv-dx-4x8 micro-kernel, taps on the padding masked out per pixel.
// ws: conv2d_backward_x_workspace_size bytes (16-byte aligned) for the transposed kernel. Overwrites dx.
export function conv2d_backward_x_nhwc(
  dx: usize, ws: usize, dy: usize, wk: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32, f: i32,
): void {
  const pixB = <usize>c << 2;
  const rowB = <usize>w * pixB;
  memory.fill(dx, 0, <usize>n * h * rowB);
  if (f <= 0) return;
  if (c == 1 && sh == 1 && sw == 1 && (f >= 4 || (dy >= 32 && wk >= 32))) {
    dxC1(dx, dy, wk, n, h, w, kh, kw, padT, padL, oh, ow, f);
    return;
  }
  const run = kw * c, run8 = (run + 7) & ~7;
  const ldy = <usize>f << 2;
  const ldt = <usize>run8 << 2;
  const kyT = <usize>f * ldt;
  // ws (kh, f, run8): ws(ky, j, q) = wk(ky·run + q, j), 0 for q >= run.
  for (let ky = 0; ky < kh; ky++) {
    for (let j = 0; j < f; j++) {
      const t = ws + <usize>ky * kyT + <usize>j * ldt;
      let src = wk + (<usize>(ky * run) * f + j << 2);
      for (let q = 0; q < run; q++) {
        store<f32>(t + (<usize>q << 2), load<f32>(src));
        src += ldy;
      }
      for (let q = run; q < run8; q++) store<f32>(t + (<usize>q << 2), 0);
    }
  }
  const dxr = <usize>sw * pixB;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), ky1 = min(kh, h - iy0);
      const g = dy + <usize>((b * oh + oy) * ow) * ldy;
      for (let ky = ky0; ky < ky1; ky++) {
        // Row iy0 + ky of dx, and the transposed kernel row ky.
        const xr = dx + <usize>(b * h + iy0 + ky) * rowB;
        const t = ws + <usize>ky * kyT;
        for (let ox = 0; ox < ow; ox += 4) {
          const mr = min(4, ow - ox);
          const ix0 = ox * sw - padL;
          // Taps in range for some pixel of the tile: from the last pixel's first to the first pixel's last.
          const qlo = max(0, -(ix0 + (mr - 1) * sw)) * c, qhi = min(kw, w - ix0) * c;
          // The window origin may lie left of the map (ix0 < 0): addresses wrap back into range for the lanes used.
          const d = xr + <usize>(ix0 * c << 2);
          // No pixel of the tile on the padding: every lane below run.
          const inner = ix0 >= 0 && ix0 + (mr - 1) * sw + kw <= w;
          for (let q0 = qlo & ~7; q0 < qhi; q0 += 8) {
            const lanes = inner ? <u32>min(8, run - q0) * 0x10101010 : tileLanes(q0, ix0, mr, sw, w, kw, c);
            f32_conv_dx_4x8(d + (<usize>q0 << 2), dxr, g + <usize>ox * ldy, ldy, t + (<usize>q0 << 2), ldt, f, mr,
              lanes);
          }
        }
      }
    }
  }
}

// conv2d_backward_x_nhwc for c = 1, stride 1: each input pixel the dot products of its in-range taps' dy rows
// with the kernel rows (f32-conv-dx-c1), 4 pixels a tile where all their taps are in range horizontally, the
// pixels near the left / right edges one by one. The 8-tap tiles of f32_conv_dx_4x8 use 5 of 8 lanes at kw = 5
// here and scatter every product; these store each pixel once. (f < 4 reads up to 12 bytes before dy's and wk's
// rows: the caller checks both pointers are >= 32.)
function dxC1(
  dx: usize, dy: usize, wk: usize, n: i32, h: i32, w: i32, kh: i32, kw: i32, padT: i32, padL: i32, oh: i32,
  ow: i32, f: i32,
): void {
  const ld = <usize>f << 2;
  const dyRowB = <usize>ow * ld, wkRowB = <usize>kw * ld;
  // Pixels ix with 0 <= ix + padL − kx < ow for every kx.
  const ixA = min(w, max(0, kw - 1 - padL)), ixB = max(ixA, min(w, ow - padL));
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      const oyT = iy + padT; // dy row of tap ky: oyT − ky
      const ky0 = max(0, oyT - oh + 1), ky1 = min(kh, oyT + 1);
      if (ky1 <= ky0) continue;
      const dxr = dx + <usize>((b * h + iy) * w) * 4;
      const dyr = dy + <usize>((b * oh + oyT - ky0) * ow) * ld; // tap ky0's dy row
      const wr = wk + <usize>(ky0 * kw) * ld;
      let ix = 0;
      while (ix < w) {
        const ox = ix + padL; // dy column of tap kx: ox − kx
        if (ix >= ixA && ix + 4 <= ixB) {
          f32_conv_dx_c1_4(dxr + <usize>ix * 4, dyr + <usize>ox * ld, dyRowB, wr, wkRowB, ky1 - ky0, kw, f);
          ix += 4;
          continue;
        }
        const kx0 = max(0, ox - ow + 1), kx1 = min(kw, ox + 1);
        if (kx1 > kx0) {
          f32_conv_dx_c1_1(dxr + <usize>ix * 4, dyr + <usize>(ox - kx0) * ld, dyRowB, wr + <usize>kx0 * ld, wkRowB,
            ky1 - ky0, kx1 - kx0, f);
        }
        ix++;
      }
    }
  }
}

// Packed lane ranges for f32_conv_dx_4x8: for pixel r of the tile (window from input column ix0 + r·sw) the
// lanes l of taps q0 + l whose column lies inside the map, as lo | hi << 4 in byte r.
function tileLanes(q0: i32, ix0: i32, mr: i32, sw: i32, w: i32, kw: i32, c: i32): u32 {
  let lanes: u32 = 0;
  for (let r = 0; r < mr; r++) {
    const ix = ix0 + r * sw;
    const lo = min(8, max(0, max(0, -ix) * c - q0));
    const hi = max(lo, min(8, min(kw, w - ix) * c - q0));
    lanes |= <u32>(lo | hi << 4) << (8 * r);
  }
  return lanes;
}
