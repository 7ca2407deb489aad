// f32 GEMV for batch 1: y (n) = x (k) · w (k,n) + b (n). Each w element is used once, so this is bound by
// loads. V8 issues all loads of a loop iteration before its arithmetic, so loads + accumulators must fit in
// the 15 usable xmm registers: 6 accumulators (24 columns) + 6 loads + the broadcast x[p]. With 8 an
// accumulator spills and its chain then runs through a store-to-load round trip (≈ 20 vs ≈ 40 GFLOP/s).
// The bias initializes the accumulators, so sums are b + Σ x·w (the twin rounds Σ x·w + b).
import { madd } from './madd';

// y[0..24) = x · w[:, 0..24) (+ b[0..24) if b != 0); w rows ldw bytes apart
export function f32_gemv_24(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
  if (b != 0) {
    a0 = v128.load(b); a1 = v128.load(b, 16); a2 = v128.load(b, 32);
    a3 = v128.load(b, 48); a4 = v128.load(b, 64); a5 = v128.load(b, 80);
  }
  for (let p = 0; p < k; p++) {
    const s = v128.load32_splat(x);
    a0 = madd(s, v128.load(w), a0);
    a1 = madd(s, v128.load(w, 16), a1);
    a2 = madd(s, v128.load(w, 32), a2);
    a3 = madd(s, v128.load(w, 48), a3);
    a4 = madd(s, v128.load(w, 64), a4);
    a5 = madd(s, v128.load(w, 80), a5);
    x += 4;
    w += ldw;
  }
  v128.store(y, a0); v128.store(y, a1, 16); v128.store(y, a2, 32);
  v128.store(y, a3, 48); v128.store(y, a4, 64); v128.store(y, a5, 80);
}

// y[0..8) = x · w[:, 0..8) (+ b); even and odd steps in separate chains so the add latency overlaps.
export function f32_gemv_8(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  if (b != 0) {
    a0 = v128.load(b); a1 = v128.load(b, 16);
  }
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    const s = v128.load32_splat(x), t = v128.load32_splat(x, 4);
    const w1 = w + ldw;
    a0 = madd(s, v128.load(w), a0);
    a1 = madd(s, v128.load(w, 16), a1);
    e0 = madd(t, v128.load(w1), e0);
    e1 = madd(t, v128.load(w1, 16), e1);
    x += 8;
    w += ldw << 1;
  }
  if (p < k) {
    const s = v128.load32_splat(x);
    a0 = madd(s, v128.load(w), a0);
    a1 = madd(s, v128.load(w, 16), a1);
  }
  v128.store(y, f32x4.add(a0, e0));
  v128.store(y, f32x4.add(a1, e1), 16);
}

// y[0..4) = x · w[:, 0..4) (+ b), two chains as above
export function f32_gemv_4(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let a0 = b != 0 ? v128.load(b) : f32x4.splat(0), a1 = f32x4.splat(0);
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    a0 = madd(v128.load32_splat(x), v128.load(w), a0);
    a1 = madd(v128.load32_splat(x, 4), v128.load(w + ldw), a1);
    x += 8;
    w += ldw << 1;
  }
  if (p < k) a0 = madd(v128.load32_splat(x), v128.load(w), a0);
  v128.store(y, f32x4.add(a0, a1));
}

// y[0] = x · w[:, 0] (+ b[0]), for the last 1..3 columns
export function f32_gemv_1(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let s0: f32 = b != 0 ? load<f32>(b) : 0, s1: f32 = 0;
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    s0 += load<f32>(x) * load<f32>(w);
    s1 += load<f32>(x, 4) * load<f32>(w + ldw);
    x += 8;
    w += ldw << 1;
  }
  if (p < k) s0 += load<f32>(x) * load<f32>(w);
  store<f32>(y, s0 + s1);
}
