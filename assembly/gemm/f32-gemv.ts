// f32 GEMV for batch 1: y (n) = x (k) · w (k,n) + b (n). Each w element is used once, so this is bound by
// loads; 32 columns at a time gives 8 independent accumulator chains per broadcast of x[p].

// y[0..32) = x · w[:, 0..32) (+ b[0..32) if b != 0); w rows ldw bytes apart
export function f32_gemv_32(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const s = v128.load32_splat(x);
    a0 = f32x4.add(a0, f32x4.mul(s, v128.load(w)));
    a1 = f32x4.add(a1, f32x4.mul(s, v128.load(w, 16)));
    a2 = f32x4.add(a2, f32x4.mul(s, v128.load(w, 32)));
    a3 = f32x4.add(a3, f32x4.mul(s, v128.load(w, 48)));
    a4 = f32x4.add(a4, f32x4.mul(s, v128.load(w, 64)));
    a5 = f32x4.add(a5, f32x4.mul(s, v128.load(w, 80)));
    a6 = f32x4.add(a6, f32x4.mul(s, v128.load(w, 96)));
    a7 = f32x4.add(a7, f32x4.mul(s, v128.load(w, 112)));
    x += 4;
    w += ldw;
  }
  if (b != 0) {
    a0 = f32x4.add(a0, v128.load(b)); a1 = f32x4.add(a1, v128.load(b, 16));
    a2 = f32x4.add(a2, v128.load(b, 32)); a3 = f32x4.add(a3, v128.load(b, 48));
    a4 = f32x4.add(a4, v128.load(b, 64)); a5 = f32x4.add(a5, v128.load(b, 80));
    a6 = f32x4.add(a6, v128.load(b, 96)); a7 = f32x4.add(a7, v128.load(b, 112));
  }
  v128.store(y, a0); v128.store(y, a1, 16); v128.store(y, a2, 32); v128.store(y, a3, 48);
  v128.store(y, a4, 64); v128.store(y, a5, 80); v128.store(y, a6, 96); v128.store(y, a7, 112);
}

// y[0..4) = x · w[:, 0..4) (+ b); even and odd steps in separate chains so the add latency overlaps.
export function f32_gemv_4(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x), v128.load(w)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(x, 4), v128.load(w + ldw)));
    x += 8;
    w += ldw << 1;
  }
  if (p < k) a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x), v128.load(w)));
  a0 = f32x4.add(a0, a1);
  if (b != 0) a0 = f32x4.add(a0, v128.load(b));
  v128.store(y, a0);
}

// y[0] = x · w[:, 0] (+ b[0]), for the last 1..3 columns
export function f32_gemv_1(y: usize, x: usize, w: usize, ldw: usize, k: i32, b: usize): void {
  let s0: f32 = 0, s1: f32 = 0;
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    s0 += load<f32>(x) * load<f32>(w);
    s1 += load<f32>(x, 4) * load<f32>(w + ldw);
    x += 8;
    w += ldw << 1;
  }
  if (p < k) s0 += load<f32>(x) * load<f32>(w);
  s0 += s1;
  if (b != 0) s0 += load<f32>(b);
  store<f32>(y, s0);
}
