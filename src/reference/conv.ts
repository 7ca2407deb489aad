// Plain-TS twins of assembly/conv: same names, same argument order, typed arrays in place of pointers. Maps are
// NHWC (n,h,w,c), row-major. Data movers and max pooling are exact; sums and batch norm are computed in f64 and
// stored (rounded on store to f32 arrays, kept exact on Float64Array so tests can run them in f64).
// A window / patch pixel is (oy·sh − padT + ky, ox·sw − padL + kx); pixels outside the map are padding.

type F = Float32Array;

/** cols (n·oh·ow, kh·kw·c) = patches of x (n,h,w,c), columns ordered (ky, kx, ci); padding reads as 0. */
export function im2col_nhwc(
  cols: F,
  x: F,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  patches(cols, x, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow);
}

/** im2col_nhwc of an int8 map: cols (n·oh·ow, kh·kw·c) int8 = patches of x (n,h,w,c) int8, any c. */
export function im2col_nhwc_i8(
  cols: Int8Array,
  x: Int8Array,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  patches(cols, x, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow);
}

function patches(
  cols: F | Int8Array,
  x: F | Int8Array,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            const s = ((b * h + iy) * w + ix) * c;
            for (let ci = 0; ci < c; ci++) cols[d++] = inside ? x[s + ci] : 0;
          }
        }
      }
    }
  }
}

/**
 * y (n,oh,ow,f) = conv of x (n,h,w,c) with the HWIO kernel wk (kh,kw,c,f) + bias (f) (null: none): im2col_nhwc +
 * gemm_forward in one pass, summed in f64.
 */
export function conv2d_forward_nhwc(
  y: F,
  x: F,
  wk: F,
  bias: F | null,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  f: number,
): void {
  conv2d_forward_nhwc_rows(y, x, wk, bias, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, 0, oh);
}

/** Output rows [r0, r0 + rc) of every sample of conv2d_forward_nhwc's y, the rest untouched. */
export function conv2d_forward_nhwc_rows(
  y: F,
  x: F,
  wk: F,
  bias: F | null,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  f: number,
  r0: number,
  rc: number,
): void {
  const a = Math.max(0, r0),
    e = Math.min(oh, r0 + rc);
  for (let b = 0; b < n; b++) {
    for (let oy = a; oy < e; oy++) {
      let o = (b * oh + oy) * ow * f;
      for (let ox = 0; ox < ow; ox++, o += f) {
        for (let j = 0; j < f; j++) {
          let s = bias ? bias[j] : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - padT + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - padL + kx;
              if (ix < 0 || ix >= w) continue;
              const xo = ((b * h + iy) * w + ix) * c,
                wo = (ky * kw + kx) * c * f + j;
              for (let ci = 0; ci < c; ci++) s += x[xo + ci] * wk[wo + ci * f];
            }
          }
          y[o + j] = s;
        }
      }
    }
  }
}

/**
 * dw (kh·kw·c, f) += im2col(x)ᵀ · dy (n·oh·ow, f): the filter gradient without the columns, each entry summed in
 * f64 and then added.
 */
export function conv2d_backward_w_nhwc(
  dw: F,
  x: F,
  dy: F,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  f: number,
): void {
  conv2d_backward_w_nhwc_rows(dw, x, dy, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, 0, kh * kw * c);
}

/** Rows (taps) [p0, p0 + pc) of conv2d_backward_w_nhwc's dw (rows outside [0, kh·kw·c) ignored); dw is all of it. */
export function conv2d_backward_w_nhwc_rows(
  dw: F,
  x: F,
  dy: F,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  f: number,
  p0: number,
  pc: number,
): void {
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let ci = 0; ci < c; ci++) {
        const tap = (ky * kw + kx) * c + ci;
        if (tap < p0 || tap >= p0 + pc) continue;
        const p = tap * f;
        for (let j = 0; j < f; j++) {
          let s = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - padT + ky;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - padL + kx;
                if (ix < 0 || ix >= w) continue;
                s += x[((b * h + iy) * w + ix) * c + ci] * dy[((b * oh + oy) * ow + ox) * f + j];
              }
            }
          }
          dw[p + j] += s;
        }
      }
    }
  }
}

/** Bytes of scratch conv2d_backward_x_nhwc takes: kh·f·ceil(kw·c / 8)·8 floats. */
export function conv2d_backward_x_workspace_size(kh: number, kw: number, c: number, f: number): number {
  return kh * f * ((kw * c + 7) & ~7) * 4;
}

/**
 * dx (n,h,w,c) = col2im_nhwc(dy (n·oh·ow, f) · wk (kh·kw·c, f)ᵀ), each dcols entry summed in f64; overwrites dx.
 * ws (the kernel's scratch) is not used here.
 */
export function conv2d_backward_x_nhwc(
  dx: F,
  _ws: F | null,
  dy: F,
  wk: F,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  f: number,
): void {
  dx.fill(0, 0, n * h * w * c);
  let r = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, r++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            if (ix < 0 || ix >= w) continue;
            for (let ci = 0; ci < c; ci++) {
              const wo = ((ky * kw + kx) * c + ci) * f;
              let s = 0;
              for (let j = 0; j < f; j++) s += dy[r * f + j] * wk[wo + j];
              dx[((b * h + iy) * w + ix) * c + ci] += s;
            }
          }
        }
      }
    }
  }
}

/** dx (n,h,w,c) = Σ of dcols (n·oh·ow, kh·kw·c) onto their pixels (adjoint of im2col_nhwc). Overwrites dx. */
export function col2im_nhwc(
  dx: F,
  dcols: F,
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  dx.fill(0, 0, n * h * w * c);
  let s = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - padT + ky;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - padL + kx;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            const d = ((b * h + iy) * w + ix) * c;
            for (let ci = 0; ci < c; ci++, s++) if (inside) dx[d + ci] += dcols[s];
          }
        }
      }
    }
  }
}

/** Calls fn(o, pix) per output pixel: o its offset in y (channel 0), pix the x offsets of its in-range pixels. */
function windows(
  n: number,
  h: number,
  w: number,
  c: number,
  ph: number,
  pw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
  fn: (o: number, pix: number[]) => void,
): void {
  const pix: number[] = [];
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        pix.length = 0;
        for (let ky = 0; ky < ph; ky++) {
          const iy = oy * sh - padT + ky;
          for (let kx = 0; kx < pw; kx++) {
            const ix = ox * sw - padL + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) pix.push(((b * h + iy) * w + ix) * c);
          }
        }
        fn(o, pix);
        o += c;
      }
    }
  }
}

/**
 * y (n,oh,ow,c) = max of x over each window's in-range pixels; idx (n,oh,ow,c) = flat index into the sample's map of the max
 * (first in scan order on ties; a NaN wins over numbers, the first NaN), or null not to write it. An empty
 * window gives y = 0, idx = −1.
 */
export function maxpool2d_forward(
  y: F,
  idx: Int32Array | null,
  x: F,
  n: number,
  h: number,
  w: number,
  c: number,
  ph: number,
  pw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  const perSample = oh * ow * c;
  windows(n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow, (o, pix) => {
    const sample = Math.floor(o / perSample);
    for (let ch = 0; ch < c; ch++) {
      let m = 0;
      let mi = -1;
      for (const p of pix) {
        const v = x[p + ch];
        if (mi < 0 || v > m || (Number.isNaN(v) && !Number.isNaN(m))) {
          m = v;
          mi = p + ch;
        }
      }
      y[o + ch] = m;
      if (idx) idx[o + ch] = mi < 0 ? -1 : mi - sample * h * w * c; // into the sample's map
    }
  });
}

/**
 * Per sample b < n (sx floats of dx, sy of dy and idx): dx = 0, then dx[b·sx + idx[i]] += dy[i] over the sample's
 * i (negative idx skipped). Overwrites dx.
 */
export function maxpool2d_backward(dx: F, dy: F, idx: Int32Array, n: number, sx: number, sy: number): void {
  dx.fill(0, 0, n * sx);
  for (let b = 0; b < n; b++) {
    for (let i = b * sy; i < (b + 1) * sy; i++) if (idx[i] >= 0) dx[b * sx + idx[i]] += dy[i];
  }
}

/** y (n,oh,ow,c) = mean of x over each window's in-range pixels (padding not counted); empty window → 0. */
export function avgpool2d_forward(
  y: F,
  x: F,
  n: number,
  h: number,
  w: number,
  c: number,
  ph: number,
  pw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  windows(n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow, (o, pix) => {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (const p of pix) s += x[p + ch];
      y[o + ch] = pix.length > 0 ? s / pix.length : 0;
    }
  });
}

/** dx (n,h,w,c) = adjoint of avgpool2d_forward applied to dy (n,oh,ow,c). Overwrites dx. */
export function avgpool2d_backward(
  dx: F,
  dy: F,
  n: number,
  h: number,
  w: number,
  c: number,
  ph: number,
  pw: number,
  sh: number,
  sw: number,
  padT: number,
  padL: number,
  oh: number,
  ow: number,
): void {
  dx.fill(0, 0, n * h * w * c);
  windows(n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow, (o, pix) => {
    for (let ch = 0; ch < c; ch++) {
      const g = dy[o + ch] / pix.length;
      for (const p of pix) dx[p + ch] += g;
    }
  });
}

/** y (n,c) = mean over hw of x (n,hw,c). */
export function global_avgpool_forward(y: F, x: F, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = 0; i < hw; i++) s += x[(b * hw + i) * c + ch];
      y[b * c + ch] = s / hw;
    }
  }
}

/** dx (n,hw,c) = dy (n,c) / hw broadcast over hw. Overwrites dx. */
export function global_avgpool_backward(dx: F, dy: F, n: number, hw: number, c: number): void {
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < hw; i++) for (let ch = 0; ch < c; ch++) dx[(b * hw + i) * c + ch] = dy[b * c + ch] / hw;
  }
}

/** mean (c), variance (c) = per-channel mean and biased variance of x (m,c), two passes; m <= 0 gives zeros. */
export function batchnorm_stats(mean: F, variance: F, x: F, m: number, c: number): void {
  for (let ch = 0; ch < c; ch++) {
    if (m <= 0) {
      mean[ch] = variance[ch] = 0;
      continue;
    }
    let s = 0;
    for (let r = 0; r < m; r++) s += x[r * c + ch];
    const mu = s / m;
    let q = 0;
    for (let r = 0; r < m; r++) q += (x[r * c + ch] - mu) ** 2;
    mean[ch] = mu;
    variance[ch] = q / m;
  }
}

/** y (m,c) = gamma · (x − mean) / sqrt(variance + eps) + beta per channel; y may alias x. */
export function batchnorm_forward(
  y: F,
  x: F,
  mean: F,
  variance: F,
  gamma: F,
  beta: F,
  m: number,
  c: number,
  eps: number,
): void {
  for (let ch = 0; ch < c; ch++) {
    const s = gamma[ch] / Math.sqrt(variance[ch] + eps);
    for (let r = 0; r < m; r++) y[r * c + ch] = (x[r * c + ch] - mean[ch]) * s + beta[ch];
  }
}

/**
 * Training-mode batch norm gradient: xhat = (x − mean)/sqrt(variance + eps); dgamma += Σ dy·xhat, dbeta += Σ dy
 * (accumulate); dx = gamma/sqrt(variance + eps) · (dy − Σdy/m − xhat·Σ(dy·xhat)/m) (overwrite; may alias dy).
 */
export function batchnorm_backward(
  dx: F,
  dgamma: F,
  dbeta: F,
  dy: F,
  x: F,
  mean: F,
  variance: F,
  gamma: F,
  m: number,
  c: number,
  eps: number,
): void {
  if (m <= 0) return;
  for (let ch = 0; ch < c; ch++) {
    const is = 1 / Math.sqrt(variance[ch] + eps);
    let sb = 0;
    let sg = 0;
    for (let r = 0; r < m; r++) {
      const i = r * c + ch;
      sb += dy[i];
      sg += dy[i] * (x[i] - mean[ch]) * is;
    }
    dgamma[ch] += sg;
    dbeta[ch] += sb;
    const k = gamma[ch] * is;
    for (let r = 0; r < m; r++) {
      const i = r * c + ch;
      dx[i] = k * (dy[i] - sb / m - (x[i] - mean[ch]) * is * (sg / m));
    }
  }
}

/** run (n) = momentum · run + (1 − momentum) · x. */
export function ema_update(run: F, x: F, n: number, momentum: number): void {
  const a = Math.fround(momentum);
  for (let i = 0; i < n; i++) run[i] = a * run[i] + (1 - a) * x[i];
}

/** y (m,c) = x · scale[ch] + shift[ch]; y may alias x. */
export function channel_affine(y: F, x: F, scale: F, shift: F, m: number, c: number): void {
  for (let r = 0; r < m; r++) for (let ch = 0; ch < c; ch++) y[r * c + ch] = x[r * c + ch] * scale[ch] + shift[ch];
}
