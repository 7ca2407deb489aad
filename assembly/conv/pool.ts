// Pooling over NHWC maps, SIMD over channels (4 at a time, scalar steps for c % 4). A window is
// (oy·sh − padT + ky, ox·sw − padL + kx), 0 <= ky < ph, 0 <= kx < pw, clipped to the map: padded positions take
// no part (max: never win; average: not counted, as Keras / TF 'same'). A window with no pixel in the map (only
// possible when a pad is >= the window) gives y = 0, and idx = −1 for max pooling.
import { zeroRun } from './runs';

// Lane offsets 0..3 for channel indices.
// @ts-ignore: decorator
@inline function iota(): v128 {
  return i32x4(0, 1, 2, 3);
}

// Lanes where v replaces the running max m: v > m, or v is NaN and m is not; as m == m and not v <= m (two
// compares side by side on the chain through m, then one and-not).
// @ts-ignore: decorator
@inline function takes(v: v128, m: v128): v128 {
  return v128.andnot(f32x4.eq(m, m), f32x4.le(v, m));
}

// y (4) = max of the 2x2 window whose top-left pixel is flat index f of x (pixels f, f + c, f + rowF,
// f + rowF + c), idx (4) its flat index unless idx == 0. A tournament, max(max(p00, p01), max(p10, p11)), with
// the later operand winning only through takes(): the same winner as the scan (first max, first NaN).
// @ts-ignore: decorator
@inline function max2x2(y: usize, idx: usize, x: usize, f: i32, c: i32, rowF: i32): void {
  const p = x + (<usize>f << 2);
  const cB = <usize>c << 2, rB = <usize>rowF << 2;
  const a0 = v128.load(p), a1 = v128.load(p + cB);
  const b0 = v128.load(p + rB), b1 = v128.load(p + rB + cB);
  const ta = takes(a1, a0), tb = takes(b1, b0);
  const a = v128.bitselect(a1, a0, ta), b = v128.bitselect(b1, b0, tb);
  const t = takes(b, a);
  v128.store(y, v128.bitselect(b, a, t));
  if (idx != 0) {
    const i0 = i32x4.add(i32x4.splat(f), iota());
    const ia = i32x4.add(i0, v128.and(ta, i32x4.splat(c)));
    const ib = i32x4.add(i32x4.add(i0, i32x4.splat(rowF)), v128.and(tb, i32x4.splat(c)));
    v128.store(idx, v128.bitselect(ib, ia, t));
  }
}

// y (n,oh,ow,c) = max of x (n,h,w,c) over each window; idx (n,oh,ow,c) i32 = flat index into the sample's map
// (iy·w·c + ix·c + ch) of the max, or idx == 0 not to write it. (Per sample, not into the whole batch: threads
// split the forward and the backward by samples, each part with its own pointers.)
// Ties: the first in scan order (ky, then kx) wins (a later pixel must be strictly greater). NaN: a NaN in the
// window wins over numbers (the first NaN), so a diverged map stays visible, as relu's pmax keeps NaN.
export function maxpool2d_forward(
  y: usize, idx: usize, x: usize, n: i32, h: i32, w: i32, c: i32, ph: i32, pw: i32, sh: i32, sw: i32,
  padT: i32, padL: i32, oh: i32, ow: i32,
): void {
  const c4 = c & ~3;
  const rowF = w * c;
  let o: usize = 0; // byte offset of the output pixel in y and idx
  for (let b = 0; b < n; b++) {
    const xs = x + (<usize>(b * h * rowF) << 2); // sample b: indices count from here
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), ky1 = min(ph, h - iy0);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const kx0 = max(0, -ix0), kx1 = min(pw, w - ix0);
        if (ky1 <= ky0 || kx1 <= kx0) {
          zeroRun(y + o, c);
          if (idx != 0) for (let ch = 0; ch < c; ch++) store<i32>(idx + o + (<usize>ch << 2), -1);
          o += <usize>c << 2;
          continue;
        }
        // Flat index of the first in-range pixel, channel 0; pixel (ky, kx) adds (ky − ky0)·w·c + (kx − kx0)·c.
        const f0 = (iy0 + ky0) * rowF + (ix0 + kx0) * c;
        const nky = ky1 - ky0, nkx = kx1 - kx0;
        let ch = 0;
        if (nky == 2 && nkx == 2) {
          // The common 2x2 window: a tournament per group of 4 channels.
          for (; ch < c4; ch += 4) {
            const oc = o + (<usize>ch << 2);
            max2x2(y + oc, idx != 0 ? idx + oc : 0, xs, f0 + ch, c, rowF);
          }
        }
        // Two groups of 4 channels at a time: two independent compare / select chains.
        for (; ch + 8 <= c; ch += 8) {
          let mv = v128.load(xs + (<usize>(f0 + ch) << 2));
          let mw = v128.load(xs + (<usize>(f0 + ch) << 2), 16);
          let mi = i32x4.add(i32x4.splat(f0 + ch), iota());
          let mj = i32x4.add(mi, i32x4.splat(4));
          for (let ky = 0; ky < nky; ky++) {
            for (let kx = 0; kx < nkx; kx++) {
              if ((ky | kx) == 0) continue;
              const f = f0 + ky * rowF + kx * c + ch;
              const p = xs + (<usize>f << 2);
              const fi = i32x4.add(i32x4.splat(f), iota());
              const v = v128.load(p);
              const u = v128.load(p, 16);
              const tv = takes(v, mv), tu = takes(u, mw);
              mv = v128.bitselect(v, mv, tv);
              mi = v128.bitselect(fi, mi, tv);
              mw = v128.bitselect(u, mw, tu);
              mj = v128.bitselect(i32x4.add(fi, i32x4.splat(4)), mj, tu);
            }
          }
          const o8 = o + (<usize>ch << 2);
          v128.store(y + o8, mv);
          v128.store(y + o8, mw, 16);
          if (idx != 0) {
            v128.store(idx + o8, mi);
            v128.store(idx + o8, mj, 16);
          }
        }
        for (; ch < c4; ch += 4) {
          let mv = v128.load(xs + (<usize>(f0 + ch) << 2));
          let mi = i32x4.add(i32x4.splat(f0 + ch), iota());
          for (let ky = 0; ky < nky; ky++) {
            for (let kx = 0; kx < nkx; kx++) {
              if ((ky | kx) == 0) continue;
              const f = f0 + ky * rowF + kx * c + ch;
              const v = v128.load(xs + (<usize>f << 2));
              const take = takes(v, mv);
              mv = v128.bitselect(v, mv, take);
              mi = v128.bitselect(i32x4.add(i32x4.splat(f), iota()), mi, take);
            }
          }
          v128.store(y + o + (<usize>ch << 2), mv);
          if (idx != 0) v128.store(idx + o + (<usize>ch << 2), mi);
        }
        for (; ch < c; ch++) {
          let m = load<f32>(xs + (<usize>(f0 + ch) << 2));
          let mi = f0 + ch;
          for (let ky = 0; ky < nky; ky++) {
            for (let kx = 0; kx < nkx; kx++) {
              const f = f0 + ky * rowF + kx * c + ch;
              const v = load<f32>(xs + (<usize>f << 2));
              if (v > m || (v != v && m == m)) {
                m = v;
                mi = f;
              }
            }
          }
          store<f32>(y + o + (<usize>ch << 2), m);
          if (idx != 0) store<i32>(idx + o + (<usize>ch << 2), mi);
        }
        o += <usize>c << 2;
      }
    }
  }
}

// For each of n samples (sx floats of dx, sy of dy and idx each): dx = 0, then dx[idx[i]] += dy[i] for i < sy
// (idx i32 from maxpool2d_forward, indices into the sample; negative entries, the empty windows, are skipped).
// Overwrites dx.
export function maxpool2d_backward(dx: usize, dy: usize, idx: usize, n: i32, sx: i32, sy: i32): void {
  memory.fill(dx, 0, <usize>n * sx << 2);
  for (let b = 0; b < n; b++) {
    const dxs = dx + (<usize>b * sx << 2);
    const base = <usize>b * sy << 2;
    for (let i = 0; i < sy; i++) {
      const o = base + (<usize>i << 2);
      const j = load<i32>(idx + o);
      if (j >= 0) {
        const p = dxs + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + load<f32>(dy + o));
      }
    }
  }
}

// y (n,oh,ow,c) = mean of x (n,h,w,c) over the in-range pixels of each window: their f32 sum (scan order ky, kx)
// times 1/count (count excludes padding).
export function avgpool2d_forward(
  y: usize, x: usize, n: i32, h: i32, w: i32, c: i32, ph: i32, pw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32,
): void {
  const c4 = c & ~3;
  const rowB = <usize>w * c << 2;
  let o = y;
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>b * h * rowB;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), ky1 = min(ph, h - iy0);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const kx0 = max(0, -ix0), kx1 = min(pw, w - ix0);
        if (ky1 <= ky0 || kx1 <= kx0) {
          zeroRun(o, c);
          o += <usize>c << 2;
          continue;
        }
        const nky = ky1 - ky0, nkx = kx1 - kx0;
        const inv: f32 = <f32>1 / <f32>(nky * nkx);
        const p0 = xb + <usize>(iy0 + ky0) * rowB + (<usize>(ix0 + kx0) * c << 2);
        let ch = 0;
        for (; ch < c4; ch += 4) {
          const pc = p0 + (<usize>ch << 2);
          let s = f32x4.splat(0);
          for (let ky = 0; ky < nky; ky++) {
            let p = pc + <usize>ky * rowB;
            for (let kx = 0; kx < nkx; kx++) {
              s = f32x4.add(s, v128.load(p));
              p += <usize>c << 2;
            }
          }
          v128.store(o + (<usize>ch << 2), f32x4.mul(s, f32x4.splat(inv)));
        }
        for (; ch < c; ch++) {
          const pc = p0 + (<usize>ch << 2);
          let s: f32 = 0;
          for (let ky = 0; ky < nky; ky++) {
            let p = pc + <usize>ky * rowB;
            for (let kx = 0; kx < nkx; kx++) {
              s += load<f32>(p);
              p += <usize>c << 2;
            }
          }
          store<f32>(o + (<usize>ch << 2), s * inv);
        }
        o += <usize>c << 2;
      }
    }
  }
}

// dx (n,h,w,c) = adjoint of avgpool2d_forward applied to dy (n,oh,ow,c): each window's in-range pixels get
// dy · (1/count), summed over windows in output order. Overwrites dx.
export function avgpool2d_backward(
  dx: usize, dy: usize, n: i32, h: i32, w: i32, c: i32, ph: i32, pw: i32, sh: i32, sw: i32, padT: i32,
  padL: i32, oh: i32, ow: i32,
): void {
  const c4 = c & ~3;
  const rowB = <usize>w * c << 2;
  memory.fill(dx, 0, <usize>n * h * rowB);
  let o = dy;
  for (let b = 0; b < n; b++) {
    const xb = dx + <usize>b * h * rowB;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const ky0 = max(0, -iy0), ky1 = min(ph, h - iy0);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const kx0 = max(0, -ix0), kx1 = min(pw, w - ix0);
        if (ky1 > ky0 && kx1 > kx0) {
          const nky = ky1 - ky0, nkx = kx1 - kx0;
          const inv: f32 = <f32>1 / <f32>(nky * nkx);
          const p0 = xb + <usize>(iy0 + ky0) * rowB + (<usize>(ix0 + kx0) * c << 2);
          let ch = 0;
          for (; ch < c4; ch += 4) {
            const g = f32x4.mul(v128.load(o + (<usize>ch << 2)), f32x4.splat(inv));
            const pc = p0 + (<usize>ch << 2);
            for (let ky = 0; ky < nky; ky++) {
              let p = pc + <usize>ky * rowB;
              for (let kx = 0; kx < nkx; kx++) {
                v128.store(p, f32x4.add(v128.load(p), g));
                p += <usize>c << 2;
              }
            }
          }
          for (; ch < c; ch++) {
            const g = load<f32>(o + (<usize>ch << 2)) * inv;
            const pc = p0 + (<usize>ch << 2);
            for (let ky = 0; ky < nky; ky++) {
              let p = pc + <usize>ky * rowB;
              for (let kx = 0; kx < nkx; kx++) {
                store<f32>(p, load<f32>(p) + g);
                p += <usize>c << 2;
              }
            }
          }
        }
        o += <usize>c << 2;
      }
    }
  }
}

// y (n,c) = mean over hw of x (n,hw,c): f32 sums in row order times 1/hw.
export function global_avgpool_forward(y: usize, x: usize, n: i32, hw: i32, c: i32): void {
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  const inv: f32 = <f32>1 / <f32>hw;
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>b * hw * rowB;
    const yb = y + <usize>b * rowB;
    let ch = 0;
    for (; ch < c4; ch += 4) {
      let p = xb + (<usize>ch << 2);
      let s = f32x4.splat(0);
      for (let i = 0; i < hw; i++) {
        s = f32x4.add(s, v128.load(p));
        p += rowB;
      }
      v128.store(yb + (<usize>ch << 2), f32x4.mul(s, f32x4.splat(inv)));
    }
    for (; ch < c; ch++) {
      let p = xb + (<usize>ch << 2);
      let s: f32 = 0;
      for (let i = 0; i < hw; i++) {
        s += load<f32>(p);
        p += rowB;
      }
      store<f32>(yb + (<usize>ch << 2), s * inv);
    }
  }
}

// dx (n,hw,c) = dy (n,c) · (1/hw) broadcast over hw. Overwrites dx.
export function global_avgpool_backward(dx: usize, dy: usize, n: i32, hw: i32, c: i32): void {
  const c4 = c & ~3;
  const rowB = <usize>c << 2;
  const inv: f32 = <f32>1 / <f32>hw;
  const iv = f32x4.splat(inv);
  let d = dx;
  for (let b = 0; b < n; b++) {
    const g = dy + <usize>b * rowB;
    for (let i = 0; i < hw; i++) {
      let ch = 0;
      for (; ch < c4; ch += 4) {
        const o = <usize>ch << 2;
        v128.store(d + o, f32x4.mul(v128.load(g + o), iv));
      }
      for (; ch < c; ch++) {
        const o = <usize>ch << 2;
        store<f32>(d + o, load<f32>(g + o) * inv);
      }
      d += rowB;
    }
  }
}
