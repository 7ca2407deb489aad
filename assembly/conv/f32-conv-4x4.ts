// Direct NHWC convolution micro-kernels 4 wide in the filters: the forward (4 output pixels x 4 filters) and the
// filter gradient (4 taps x 4 filters) of f32-conv-4x8.ts / f32-conv-dw-4x8.ts with one f32x4 accumulator per
// row instead of two, for the filter counts an 8-wide block would waste: f = 1..7 and the f % 8 tails. Each sum
// is the 4x8 kernels' sum, term for term in the same order, so a column computed here has the same bits as one
// computed there. Plus the same tiles in scalar loops for f < 4 filters in all, reading only the f floats of
// each row (the callers' fallback where a 4-wide read starting left of column 0 would wrap below address 0).
import { madd } from '../gemm/madd';
import { lane, storeFrom } from './f32-conv-4x8';

// y (4,4) = Σ_{ky < nky} Σ_{q < nq} x_r(ky, q) · wk(ky, q) (+ bias), rows r < mr, columns j0 <= j < 4 stored;
// operands as f32_conv_4x8 with 4 floats of the kernel per step. acc: y += tile instead (bias ignored).
export function f32_conv_4x4(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, ldw: usize, kyB: usize,
  mr: i32, j0: i32, bias: usize, acc: bool,
): void {
  let p0 = x, p1 = x, p2 = x, p3 = x;
  if (mr > 1) p1 = x + ars;
  if (mr > 2) p2 = x + 2 * ars;
  if (mr > 3) p3 = x + 3 * ars;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let ky = 0; ky < nky; ky++) {
    let q0 = p0, q1 = p1, q2 = p2, q3 = p3;
    let b = wk;
    let q = 0;
    // Two taps per step (4 + 4 splats, 2 kernel rows, 4 accumulators: no spills), each in its own sums' order.
    for (; q + 1 < nq; q += 2) {
      let bv = v128.load(b);
      c0 = madd(v128.load32_splat(q0), bv, c0);
      c1 = madd(v128.load32_splat(q1), bv, c1);
      c2 = madd(v128.load32_splat(q2), bv, c2);
      c3 = madd(v128.load32_splat(q3), bv, c3);
      bv = v128.load(b + ldw);
      c0 = madd(v128.load32_splat(q0, 4), bv, c0);
      c1 = madd(v128.load32_splat(q1, 4), bv, c1);
      c2 = madd(v128.load32_splat(q2, 4), bv, c2);
      c3 = madd(v128.load32_splat(q3, 4), bv, c3);
      q0 += 8; q1 += 8; q2 += 8; q3 += 8;
      b += ldw << 1;
    }
    if (q < nq) {
      const bv = v128.load(b);
      c0 = madd(v128.load32_splat(q0), bv, c0);
      c1 = madd(v128.load32_splat(q1), bv, c1);
      c2 = madd(v128.load32_splat(q2), bv, c2);
      c3 = madd(v128.load32_splat(q3), bv, c3);
    }
    p0 += rowB; p1 += rowB; p2 += rowB; p3 += rowB;
    wk += kyB;
  }
  if (acc) {
    addRow4(y, c0, j0);
    if (mr > 1) addRow4(y + ldy, c1, j0);
    if (mr > 2) addRow4(y + 2 * ldy, c2, j0);
    if (mr > 3) addRow4(y + 3 * ldy, c3, j0);
    return;
  }
  storeRow4(y, c0, j0, bias);
  if (mr > 1) storeRow4(y + ldy, c1, j0, bias);
  if (mr > 2) storeRow4(y + 2 * ldy, c2, j0, bias);
  if (mr > 3) storeRow4(y + 3 * ldy, c3, j0, bias);
}

// dw (4,4) += Σ over pixels of x(pixel + off_r) · dy(pixel, 0..4), rows r < mr, columns j0 <= j < 4; operands
// as f32_conv_dw_4x8 with 4 floats of dy per pixel.
export function f32_conv_dw_4x4(
  dw: usize, ldw: usize, x: usize, off1: usize, off2: usize, off3: usize, ars: usize, oyB: usize, bB: usize,
  dy: usize, ldy: usize, dyOyB: usize, dyBB: usize, nox: i32, noy: i32, nb: i32, mr: i32, j0: i32,
): void {
  if (mr < 2) off1 = 0;
  if (mr < 3) off2 = 0;
  if (mr < 4) off3 = 0;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    let xr = x + <usize>b * bB, dr = dy + <usize>b * dyBB;
    for (let oy = 0; oy < noy; oy++) {
      let q0 = xr, q1 = xr + off1, q2 = xr + off2, q3 = xr + off3;
      let g = dr;
      for (let ox = 0; ox < nox; ox++) {
        const gv = v128.load(g);
        c0 = madd(v128.load32_splat(q0), gv, c0);
        c1 = madd(v128.load32_splat(q1), gv, c1);
        c2 = madd(v128.load32_splat(q2), gv, c2);
        c3 = madd(v128.load32_splat(q3), gv, c3);
        q0 += ars; q1 += ars; q2 += ars; q3 += ars;
        g += ldy;
      }
      xr += oyB;
      dr += dyOyB;
    }
  }
  addRow4(dw, c0, j0);
  if (mr > 1) addRow4(dw + ldw, c1, j0);
  if (mr > 2) addRow4(dw + 2 * ldw, c2, j0);
  if (mr > 3) addRow4(dw + 3 * ldw, c3, j0);
}

// y[j0..4) = v[j] (+ bias[j] if bias != 0); lanes below j0 of the bias vector may lie before bias (read, never
// used).
// @ts-ignore: decorator
@inline function storeRow4(y: usize, v: v128, j0: i32, bias: usize): void {
  storeFrom(y, bias != 0 ? f32x4.add(v, v128.load(bias)) : v, j0);
}

// d[j0..4) += v[j]
// @ts-ignore: decorator
@inline function addRow4(d: usize, v: v128, j0: i32): void {
  if (j0 == 0) v128.store(d, f32x4.add(v128.load(d), v));
  else addLanes(d, v, j0);
}

// Partial rows, out of line so the kernels stay small.
function addLanes(d: usize, v: v128, lo: i32): void {
  for (let j = lo; j < 4; j++) {
    const p = d + (<usize>j << 2);
    store<f32>(p, load<f32>(p) + lane(v, j));
  }
}

// The tile of f32_conv_4x4 for nr < 4 filters in all (columns 0 <= j < nr), in scalar loops: the same sums in
// the same order, reading only the nr floats of each kernel row.
export function conv_tile_scalar(
  y: usize, ldy: usize, x: usize, ars: usize, rowB: usize, nky: i32, nq: i32, wk: usize, ldw: usize, kyB: usize,
  mr: i32, nr: i32, bias: usize, acc: bool,
): void {
  for (let r = 0; r < mr; r++) {
    const yr = y + <usize>r * ldy;
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      let s: f32 = 0;
      let p = x + <usize>r * ars, b = wk + o;
      for (let ky = 0; ky < nky; ky++) {
        for (let q = 0; q < nq; q++) s += load<f32>(p + (<usize>q << 2)) * load<f32>(b + <usize>q * ldw);
        p += rowB;
        b += kyB;
      }
      if (acc) s = load<f32>(yr + o) + s;
      else if (bias != 0) s += load<f32>(bias + o);
      store<f32>(yr + o, s);
    }
  }
}

// The tile of f32_conv_dw_4x4 for nr < 4 filters in all (columns 0 <= j < nr), in scalar loops: the same sums in
// the same order, reading only the nr floats of each dy row.
export function conv_dw_tile_scalar(
  dw: usize, ldw: usize, x: usize, off1: usize, off2: usize, off3: usize, ars: usize, oyB: usize, bB: usize,
  dy: usize, ldy: usize, dyOyB: usize, dyBB: usize, nox: i32, noy: i32, nb: i32, mr: i32, nr: i32,
): void {
  for (let r = 0; r < mr; r++) {
    const off: usize = r == 0 ? 0 : r == 1 ? off1 : r == 2 ? off2 : off3;
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      let s: f32 = 0;
      for (let b = 0; b < nb; b++) {
        for (let oy = 0; oy < noy; oy++) {
          let p = x + off + <usize>b * bB + <usize>oy * oyB, g = dy + o + <usize>b * dyBB + <usize>oy * dyOyB;
          for (let ox = 0; ox < nox; ox++) {
            s += load<f32>(p) * load<f32>(g);
            p += ars;
            g += ldy;
          }
        }
      }
      const d = dw + <usize>r * ldw + o;
      store<f32>(d, load<f32>(d) + s);
    }
  }
}
