// im2col / col2im for NHWC maps (channels last). A row of cols is one output pixel (b, oy, ox); its columns run
// (ky, kx, ci), so a Keras HWIO kernel (kh, kw, c, f) is the (kh·kw·c, f) matrix gemm_forward multiplies by.
// In NHWC the kw·c floats of one kernel row are contiguous in x, so a cols row is kh runs: left zeros (padding),
// one contiguous copy of the in-range pixels, right zeros.
import { addRun, copyBytes, copyBytesCall, copyRun, zeroBytes, zeroRun } from './runs';

// cols (n·oh·ow, kh·kw·c) = patches of x (n,h,w,c); pixel (iy, ix) = (oy·sh − padT + ky, ox·sw − padL + kx),
// 0 outside the map. oh, ow come from the host; bottom / right padding is whatever they imply.
export function im2col_nhwc(
  cols: usize, x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32,
): void {
  const run = kw * c;
  const rowBytes = <usize>w * c << 2;
  let d = cols;
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const rowsIn = iy0 >= 0 && iy0 + kh <= h;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        if (rowsIn && ix0 >= 0 && ix0 + kw <= w) {
          // The whole window is inside the map: kh plain copies.
          let src = xb + <usize>iy0 * rowBytes + (<usize>ix0 * c << 2);
          for (let ky = 0; ky < kh; ky++) {
            copyRun(d, src, run);
            d += <usize>run << 2;
            src += rowBytes;
          }
          continue;
        }
        // In-range kernel columns kx0 <= kx < kx1 (the same for every ky).
        const kx0 = max(0, -ix0);
        const kx1 = min(kw, w - ix0);
        if (kx1 <= kx0) {
          zeroRun(d, kh * run);
          d += <usize>(kh * run) << 2;
          continue;
        }
        const left = kx0 * c, mid = (kx1 - kx0) * c, right = (kw - kx1) * c;
        const xo = xb + (<usize>(ix0 + kx0) * c << 2);
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (<u32>iy >= <u32>h) {
            zeroRun(d, run);
          } else {
            if (left > 0) zeroRun(d, left);
            copyRun(d + (<usize>left << 2), xo + <usize>iy * rowBytes, mid);
            if (right > 0) zeroRun(d + (<usize>(left + mid) << 2), right);
          }
          d += <usize>run << 2;
        }
      }
    }
  }
}

// cols (n·oh·ow, kh·kw·c) int8 = patches of x (n,h,w,c) int8, as im2col_nhwc (0 outside the map) for one-byte
// elements and any c: the int8 conv's columns for q8_gemm where c is not a multiple of 4 (with c % 4 == 0,
// im2col_nhwc on c / 4 32-bit elements copies the same bytes).
export function im2col_nhwc_i8(
  cols: usize, x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32,
): void {
  const run = kw * c;
  const rowBytes = <usize>w * c;
  let d = cols;
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const rowsIn = iy0 >= 0 && iy0 + kh <= h;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        if (rowsIn && ix0 >= 0 && ix0 + kw <= w) {
          let src = xb + <usize>iy0 * rowBytes + <usize>ix0 * c;
          for (let ky = 0; ky < kh; ky++) {
            copyBytes(d, src, run);
            d += <usize>run;
            src += rowBytes;
          }
          continue;
        }
        const kx0 = max(0, -ix0);
        const kx1 = min(kw, w - ix0);
        if (kx1 <= kx0) {
          zeroBytes(d, kh * run);
          d += <usize>(kh * run);
          continue;
        }
        const left = kx0 * c, mid = (kx1 - kx0) * c, right = (kw - kx1) * c;
        const xo = xb + <usize>(ix0 + kx0) * c;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky;
          if (<u32>iy >= <u32>h) {
            zeroBytes(d, run);
          } else {
            if (left > 0) zeroBytes(d, left);
            copyBytesCall(d + <usize>left, xo + <usize>iy * rowBytes, mid);
            if (right > 0) zeroBytes(d + <usize>(left + mid), right);
          }
          d += <usize>run;
        }
      }
    }
  }
}

// dx (n,h,w,c) = Σ of the cols entries dcols (n·oh·ow, kh·kw·c) onto their pixels: the adjoint of im2col_nhwc.
// Overwrites dx (zeroed first); entries on padding are dropped. Sums run in row order, then ky, kx.
export function col2im_nhwc(
  dx: usize, dcols: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32,
): void {
  const rowBytes = <usize>w * c << 2;
  memory.fill(dx, 0, <usize>n * h * rowBytes);
  const run = kw * c;
  let s = dcols;
  for (let b = 0; b < n; b++) {
    const xb = dx + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const rowsIn = iy0 >= 0 && iy0 + kh <= h;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        if (rowsIn && ix0 >= 0 && ix0 + kw <= w) {
          // The whole window is inside the map: kh plain run adds.
          let dst = xb + <usize>iy0 * rowBytes + (<usize>ix0 * c << 2);
          for (let ky = 0; ky < kh; ky++) {
            addRun(dst, s, run);
            s += <usize>run << 2;
            dst += rowBytes;
          }
          continue;
        }
        const kx0 = max(0, -ix0);
        const kx1 = min(kw, w - ix0);
        if (kx1 > kx0) {
          const left = <usize>(kx0 * c) << 2, mid = (kx1 - kx0) * c;
          const xo = xb + (<usize>(ix0 + kx0) * c << 2);
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky;
            if (<u32>iy < <u32>h) addRun(xo + <usize>iy * rowBytes, s + <usize>ky * run * 4 + left, mid);
          }
        }
        s += <usize>(kh * run) << 2;
      }
    }
  }
}
