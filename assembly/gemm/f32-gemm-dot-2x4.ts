// f32 "A·Bᵀ" micro-kernels in dot-product form: both operands are contiguous along the reduction, so no
// packing is needed. Used for dX = dY·Wᵀ when there is no workspace, and for batches of 1..3 rows.
import { madd } from './madd';

// c (2,4) = or += a (2,n) · b (4,n)ᵀ; a rows lda bytes apart, b rows ldb bytes apart.
// Rows of a beyond mr and rows of b beyond nr re-read row 0 (computed, never stored).
export function f32_gemm_dot_2x4(
  c: usize, ldc: usize, a: usize, lda: usize, b: usize, ldb: usize, n: i32, mr: i32, nr: i32, accumulate: bool,
): void {
  const a0 = a, a1 = mr > 1 ? a + lda : a;
  const b0 = b;
  let b1 = b, b2 = b, b3 = b;
  if (nr > 1) b1 = b + ldb;
  if (nr > 2) b2 = b + 2 * ldb;
  if (nr > 3) b3 = b + 3 * ldb;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const n4 = n & ~3;
  let o: usize = 0;
  for (let q = 0; q < n4; q += 4) {
    const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
    let v = v128.load(b0 + o);
    c00 = madd(x0, v, c00); c10 = madd(x1, v, c10);
    v = v128.load(b1 + o);
    c01 = madd(x0, v, c01); c11 = madd(x1, v, c11);
    v = v128.load(b2 + o);
    c02 = madd(x0, v, c02); c12 = madd(x1, v, c12);
    v = v128.load(b3 + o);
    c03 = madd(x0, v, c03); c13 = madd(x1, v, c13);
    o += 16;
  }
  const t = n - n4;
  if (t > 0) {
    // The 1..3 leftover elements as zero-padded vectors: one more step, nothing read past a row.
    const x0 = loadTail(a0 + o, t), x1 = loadTail(a1 + o, t);
    let v = loadTail(b0 + o, t);
    c00 = madd(x0, v, c00); c10 = madd(x1, v, c10);
    v = loadTail(b1 + o, t);
    c01 = madd(x0, v, c01); c11 = madd(x1, v, c11);
    v = loadTail(b2 + o, t);
    c02 = madd(x0, v, c02); c12 = madd(x1, v, c12);
    v = loadTail(b3 + o, t);
    c03 = madd(x0, v, c03); c13 = madd(x1, v, c13);
  }
  storeSums(c, hsum4(c00, c01, c02, c03), nr, accumulate);
  if (mr > 1) storeSums(c + ldc, hsum4(c10, c11, c12, c13), nr, accumulate);
}

// c (1,4) = or += a (1,n) · b (4,n)ᵀ: batch 1, where the 2-row tile would waste half its work.
// 5 loads per 4 mul+adds: bound by loads, but twice the useful rate of a half-empty 2x4 tile.
export function f32_gemm_dot_1x4(c: usize, a: usize, b: usize, ldb: usize, n: i32, nr: i32, accumulate: bool): void {
  const b0 = b;
  let b1 = b, b2 = b, b3 = b;
  if (nr > 1) b1 = b + ldb;
  if (nr > 2) b2 = b + 2 * ldb;
  if (nr > 3) b3 = b + 3 * ldb;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const n4 = n & ~3;
  let o: usize = 0;
  for (let q = 0; q < n4; q += 4) {
    const x = v128.load(a + o);
    c0 = madd(x, v128.load(b0 + o), c0);
    c1 = madd(x, v128.load(b1 + o), c1);
    c2 = madd(x, v128.load(b2 + o), c2);
    c3 = madd(x, v128.load(b3 + o), c3);
    o += 16;
  }
  const t = n - n4;
  if (t > 0) {
    const x = loadTail(a + o, t);
    c0 = madd(x, loadTail(b0 + o, t), c0);
    c1 = madd(x, loadTail(b1 + o, t), c1);
    c2 = madd(x, loadTail(b2 + o, t), c2);
    c3 = madd(x, loadTail(b3 + o, t), c3);
  }
  storeSums(c, hsum4(c0, c1, c2, c3), nr, accumulate);
}

// (Σv0, Σv1, Σv2, Σv3): two rounds of interleave-and-add.
// @ts-ignore: decorator
@inline function hsum4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), v128.shuffle<f32>(v2, v3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

// t (1..3) floats at p, zero-padded
function loadTail(p: usize, t: i32): v128 {
  let v = v128.load32_zero(p);
  if (t > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (t > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// c[0..nr) = or += v[0..nr)
function storeSums(c: usize, v: v128, nr: i32, accumulate: bool): void {
  if (nr == 4) {
    if (accumulate) v = f32x4.add(v, v128.load(c));
    v128.store(c, v);
    return;
  }
  let s = f32x4.extract_lane(v, 0);
  if (accumulate) s += load<f32>(c);
  store<f32>(c, s);
  if (nr > 1) {
    s = f32x4.extract_lane(v, 1);
    if (accumulate) s += load<f32>(c, 4);
    store<f32>(c, s, 4);
  }
  if (nr > 2) {
    s = f32x4.extract_lane(v, 2);
    if (accumulate) s += load<f32>(c, 8);
    store<f32>(c, s, 8);
  }
}
