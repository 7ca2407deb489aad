// Bias add and its gradient, SIMD over columns with a scalar tail for n % 4.

// y (m,n) += b (n) broadcast over rows.
export function bias_forward(y: usize, b: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const yr = y + <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(yr + o, f32x4.add(v128.load(yr + o), v128.load(b + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(yr + o, load<f32>(yr + o) + load<f32>(b + o));
    }
  }
}

// db (n) += column sums of dy (m,n).
// Column blocks of 16 (four f32x4 accumulators) walk the rows, so each row touches one 64-byte stretch and the
// sums stay in registers until they are added to db once.
export function bias_backward(db: usize, dy: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    let p = dy + (<usize>j << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    for (let r = 0; r < m; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += rowBytes;
    }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
  }
  if (j + 8 <= n) {
    // 8..15 columns left (a conv layer's 8 or 12 channels over n·oh·ow rows): their groups of 4 in one walk, as
    // independent chains; one chain per walk waits on the add latency every row. Each column still sums its rows
    // in order, so the result is the same.
    const g3 = j + 12 <= n;
    let p = dy + (<usize>j << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    for (let r = 0; r < m; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      if (g3) a2 = f32x4.add(a2, v128.load(p, 32));
      p += rowBytes;
    }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    if (g3) v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    j += g3 ? 12 : 8;
  }
  for (; j + 4 <= n; j += 4) {
    let p = dy + (<usize>j << 2);
    let a = f32x4.splat(0);
    for (let r = 0; r < m; r++) {
      a = f32x4.add(a, v128.load(p));
      p += rowBytes;
    }
    const d = db + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), a));
  }
  for (; j < n; j++) {
    let p = dy + (<usize>j << 2);
    let a: f32 = 0;
    for (let r = 0; r < m; r++) {
      a += load<f32>(p);
      p += rowBytes;
    }
    const d = db + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + a);
  }
}
