// f32 rank-1 update (outer product): the dW product for batches of 1..4 rows and dX for a single output
// column, where a GEMM tile would reduce over only a few steps per load/store of its 4 x 8 output. Here each
// output vector is loaded, updated and stored once.
import { madd } from './madd';

// a (k,n) += x (k) ⊗ y (n), or = when !accumulate; x values xs bytes apart, a rows lda bytes apart
export function f32_ger(a: usize, lda: usize, x: usize, xs: usize, y: usize, k: i32, n: i32, accumulate: bool): void {
  if (!accumulate) {
    outer(a, lda, x, xs, y, k, n);
    return;
  }
  const n16 = n & ~15, n4 = n & ~3;
  for (let p = 0; p < k; p++) {
    const s = load<f32>(x);
    const sv = f32x4.splat(s);
    let j = 0;
    for (; j < n16; j += 16) {
      const o = <usize>j << 2;
      const ap = a + o, yp = y + o;
      v128.store(ap, madd(sv, v128.load(yp), v128.load(ap)));
      v128.store(ap, madd(sv, v128.load(yp, 16), v128.load(ap, 16)), 16);
      v128.store(ap, madd(sv, v128.load(yp, 32), v128.load(ap, 32)), 32);
      v128.store(ap, madd(sv, v128.load(yp, 48), v128.load(ap, 48)), 48);
    }
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(a + o, madd(sv, v128.load(y + o), v128.load(a + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(a + o, load<f32>(a + o) + s * load<f32>(y + o));
    }
    a += lda;
    x += xs;
  }
}

// a (k,n) = x (k) ⊗ y (n)
function outer(a: usize, lda: usize, x: usize, xs: usize, y: usize, k: i32, n: i32): void {
  const n4 = n & ~3;
  for (let p = 0; p < k; p++) {
    const s = load<f32>(x);
    const sv = f32x4.splat(s);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(a + o, f32x4.mul(sv, v128.load(y + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(a + o, s * load<f32>(y + o));
    }
    a += lda;
    x += xs;
  }
}
