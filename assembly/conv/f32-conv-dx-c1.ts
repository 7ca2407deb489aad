// Data gradient of a conv with one input channel and stride 1 as dot products along the filters: input pixel
// (iy, ix) gets Σ over taps (ky, kx) of dy(iy + padT − ky, ix + padL − kx, ·) · wk(ky, kx, ·), both rows of f
// contiguous floats (HWIO with c = 1). Each pixel is summed whole and stored once, nothing scattered; 4 pixels of
// a row per tile share the kernel rows, each in two f32x4 accumulators (even / odd 4-float chunks of the
// filters), reduced across lanes at the end. The rest of the filters after the 8-float pairs is one or two 4-float
// chunks ending at f, their lanes already summed (or, for f < 4, before the row) masked to 0 in both operands.
import { madd } from '../gemm/madd';

// Lanes l >= s of all ones, the others 0 (0 <= s <= 3).
// @ts-ignore: decorator
@inline function maskFrom(s: i32): v128 {
  return i32x4.ge_s(v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0), i32x4.splat(s));
}

// [Σa, Σb, Σc, Σd] (lanes of each vector summed)
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

// dx[0..4) = Σ_{ky < nky} Σ_{kx < nkx} dy_r(ky, kx) · wk(ky, kx) for 4 consecutive pixels r (stored, not added).
// dy_r(ky, kx): f floats at dy + (r − kx)·ld − ky·dyRowB; wk(ky, kx): f floats at wk + kx·ld + ky·wkRowB
// (ld = 4f bytes). For f < 4 the rows are read from ld − 16 bytes before them.
export function f32_conv_dx_c1_4(
  dx: usize, dy: usize, dyRowB: usize, wk: usize, wkRowB: usize, nky: i32, nkx: i32, f: i32,
): void {
  const ld = <usize>f << 2;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let b0 = a0, b1 = a0, b2 = a0, b3 = a0;
  let j = 0;
  for (; j + 8 <= f; j += 8) {
    const o = <usize>j << 2;
    let dr = dy + o, wr = wk + o;
    for (let ky = 0; ky < nky; ky++) {
      let d = dr, w = wr;
      for (let kx = 0; kx < nkx; kx++) {
        const w0 = v128.load(w), w1 = v128.load(w, 16);
        const d1 = d + ld, d2 = d1 + ld, d3 = d2 + ld;
        a0 = madd(v128.load(d), w0, a0);
        b0 = madd(v128.load(d, 16), w1, b0);
        a1 = madd(v128.load(d1), w0, a1);
        b1 = madd(v128.load(d1, 16), w1, b1);
        a2 = madd(v128.load(d2), w0, a2);
        b2 = madd(v128.load(d2, 16), w1, b2);
        a3 = madd(v128.load(d3), w0, a3);
        b3 = madd(v128.load(d3, 16), w1, b3);
        d -= ld;
        w += ld;
      }
      dr -= dyRowB;
      wr += wkRowB;
    }
  }
  // The rest r = f − j: r > 4 as a pair ending at f (its second chunk masked), r <= 4 as one masked chunk ending
  // at f. One pass over the taps each.
  if (j < f) {
    const r = f - j;
    if (r > 4) {
      const cb = f - 4;
      const mb = maskFrom(j + 4 - cb);
      let dr = dy + (<usize>j << 2), wr = wk + (<usize>j << 2);
      const ob = <usize>(cb - j) << 2;
      for (let ky = 0; ky < nky; ky++) {
        let d = dr, w = wr;
        for (let kx = 0; kx < nkx; kx++) {
          const w0 = v128.load(w), w1 = v128.and(v128.load(w + ob), mb);
          const d1 = d + ld, d2 = d1 + ld, d3 = d2 + ld;
          a0 = madd(v128.load(d), w0, a0);
          b0 = madd(v128.and(v128.load(d + ob), mb), w1, b0);
          a1 = madd(v128.load(d1), w0, a1);
          b1 = madd(v128.and(v128.load(d1 + ob), mb), w1, b1);
          a2 = madd(v128.load(d2), w0, a2);
          b2 = madd(v128.and(v128.load(d2 + ob), mb), w1, b2);
          a3 = madd(v128.load(d3), w0, a3);
          b3 = madd(v128.and(v128.load(d3 + ob), mb), w1, b3);
          d -= ld;
          w += ld;
        }
        dr -= dyRowB;
        wr += wkRowB;
      }
    } else {
      const c0 = f - 4;
      const m = maskFrom(j - c0);
      const o = <usize>c0 << 2;
      let dr = dy + o, wr = wk + o;
      for (let ky = 0; ky < nky; ky++) {
        let d = dr, w = wr;
        for (let kx = 0; kx < nkx; kx++) {
          const w0 = v128.and(v128.load(w), m);
          const d1 = d + ld, d2 = d1 + ld, d3 = d2 + ld;
          a0 = madd(v128.and(v128.load(d), m), w0, a0);
          a1 = madd(v128.and(v128.load(d1), m), w0, a1);
          a2 = madd(v128.and(v128.load(d2), m), w0, a2);
          a3 = madd(v128.and(v128.load(d3), m), w0, a3);
          d -= ld;
          w += ld;
        }
        dr -= dyRowB;
        wr += wkRowB;
      }
    }
  }
  v128.store(dx, hsum4(f32x4.add(a0, b0), f32x4.add(a1, b1), f32x4.add(a2, b2), f32x4.add(a3, b3)));
}

// f32_conv_dx_c1_4 for one pixel (its own tap range): dx[0] = Σ_{ky < nky} Σ_{kx < nkx} dy(ky, kx) · wk(ky, kx).
// (The pixels near the left / right edges: at LeNet's conv1 8 of 28 a row; 4-float chunks alone cost 20% more.)
export function f32_conv_dx_c1_1(
  dx: usize, dy: usize, dyRowB: usize, wk: usize, wkRowB: usize, nky: i32, nkx: i32, f: i32,
): void {
  const ld = <usize>f << 2;
  let a = f32x4.splat(0), b = a;
  let j = 0;
  for (; j + 8 <= f; j += 8) {
    const o = <usize>j << 2;
    let dr = dy + o, wr = wk + o;
    for (let ky = 0; ky < nky; ky++) {
      let d = dr, w = wr;
      for (let kx = 0; kx < nkx; kx++) {
        a = madd(v128.load(d), v128.load(w), a);
        b = madd(v128.load(d, 16), v128.load(w, 16), b);
        d -= ld;
        w += ld;
      }
      dr -= dyRowB;
      wr += wkRowB;
    }
  }
  for (; j < f; j += 4) {
    const c0 = j + 4 <= f ? j : f - 4;
    const m = maskFrom(j - c0);
    const o = <usize>c0 << 2;
    let dr = dy + o, wr = wk + o;
    for (let ky = 0; ky < nky; ky++) {
      let d = dr, w = wr;
      for (let kx = 0; kx < nkx; kx++) {
        a = madd(v128.and(v128.load(d), m), v128.and(v128.load(w), m), a);
        d -= ld;
        w += ld;
      }
      dr -= dyRowB;
      wr += wkRowB;
    }
  }
  const s = f32x4.add(a, b);
  store<f32>(dx, f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) +
    f32x4.extract_lane(s, 3));
}
