// Elementwise activations and row-wise softmax. Every loop: f32x4 body, scalar tail for n % 4 that runs the same
// vector math on a splat (so a tail element rounds exactly like a body element). In-place use (y == x,
// dx == dy) is fine: each element is read before it is written and never read again.
import { vsigmoid, vtanh, hsum, sigmoid_s, tanh_s, row_max, row_exp_sum, row_scale } from './math';

// y (n) = 1 / (1 + e^−x); saturates to exactly 0 / 1 far out, NaN → NaN.
export function sigmoid_forward(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vsigmoid(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, sigmoid_s(load<f32>(x + o)));
  }
}

// dx (n) = dy · y · (1 − y), y the forward output.
export function sigmoid_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const yv = v128.load(y + o);
    v128.store(dx + o, f32x4.mul(f32x4.mul(v128.load(dy + o), yv), f32x4.sub(one, yv)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const yv = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * yv * (1 - yv));
  }
}

// y (n) = tanh(x); exactly ±1 beyond |x| ≈ 9, NaN → NaN, sign of ±0 kept.
export function tanh_forward(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vtanh(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, tanh_s(load<f32>(x + o)));
  }
}

// dx (n) = dy · (1 − y²), y the forward output; as (1 − y)(1 + y), which keeps its precision when |y| → 1
// (1 − y is exact there, 1 − y² would cancel the rounding of y²).
export function tanh_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const yv = v128.load(y + o);
    const d = f32x4.mul(f32x4.sub(one, yv), f32x4.add(one, yv));
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const yv = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dy + o) * ((1 - yv) * (1 + yv)));
  }
}

// y (n) = x < 0 ? 0 : x, i.e. pmax(x, 0): NaN and −0 pass through unchanged (a NaN stays visible).
export function relu_forward(y: usize, x: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(x + o);
    const b = v128.load(x + o, 16);
    v128.store(y + o, f32x4.pmax(a, z));
    v128.store(y + o, f32x4.pmax(b, z), 16);
  }
  if (i + 4 <= n) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.pmax(v128.load(x + o), z));
    i += 4;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v < 0 ? 0 : v);
  }
}

// dx (n) = y > 0 ? dy : 0, y the forward output (NaN y → 0).
export function relu_backward(dx: usize, dy: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), z)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
  }
}

// y (n) = x > 0 ? x : alpha · x (any alpha; NaN → NaN).
export function leaky_relu_forward(y: usize, x: usize, n: i32, alpha: f32): void {
  const z = f32x4.splat(0);
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(y + o, v128.bitselect(v, f32x4.mul(v, a), f32x4.gt(v, z)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : alpha * v);
  }
}

// dx (n) = x > 0 ? dy : alpha · dy, x the forward input.
export function leaky_relu_backward(dx: usize, dy: usize, x: usize, n: i32, alpha: f32): void {
  const z = f32x4.splat(0);
  const a = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, a), f32x4.gt(v128.load(x + o), z)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(x + o) > 0 ? g : alpha * g);
  }
}

// y (m,n) = softmax of each row of x (m,n), max-subtracted so logits of ±1000 work.
// A row holding NaN or +Inf becomes all NaN; −Inf entries give 0.
export function softmax_forward(y: usize, x: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const mx = row_max(x + off, n);
    const s = row_exp_sum(y + off, x + off, n, mx);
    row_scale(y + off, n, <f32>1 / s);
  }
}

// dx (m,n) = y ⊙ (dy − rowsum(dy ⊙ y)), y the forward output.
export function softmax_backward(dx: usize, dy: usize, y: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const gr = dy + off;
    const yr = y + off;
    const xr = dx + off;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(gr + o), v128.load(yr + o)));
    }
    let dot = hsum(acc);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      dot += load<f32>(gr + o) * load<f32>(yr + o);
    }
    const dv = f32x4.splat(dot);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(xr + o, f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(gr + o), dv)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(xr + o, load<f32>(yr + o) * (load<f32>(gr + o) - dot));
    }
  }
}
