// Metric counts for evaluation (per-epoch validation on thousands of rows): the confusion matrix from outputs and
// targets, accumulated in place, so precision / recall / F1 / accuracy are then n² work on the host, not per row.
import { row_max } from './math';

// First index of the row maximum; NaN never wins, an all-NaN row gives 0 (as argmax_rows).
function argmax_of(p: usize, n: i32): i32 {
  const mx = row_max(p, n);
  const mxv = f32x4.splat(mx);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const bits = i32x4.bitmask(f32x4.eq(v128.load(p + (<usize>j << 2)), mxv));
    if (bits != 0) return j + ctz(bits);
  }
  for (; j < n; j++) {
    if (load<f32>(p + (<usize>j << 2)) == mx) return j;
  }
  return 0;
}

// cm (n,n) i32 += one count per row r of y, t (m,n) at [argmax t_r, argmax y_r] (row = true class, column =
// predicted; argmax as argmax_rows). cm is accumulated, not cleared: batches add up.
export function confusion_counts(cm: usize, y: usize, t: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    const at = cm + ((<usize>argmax_of(t + off, n) * <usize>n + <usize>argmax_of(y + off, n)) << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
}

// cm (2,2) i32 += one count per entry of y, t (m) at [t >= 0.5, y >= threshold] (a one-output classifier; NaN
// counts as below, as binary_accuracy_count). Accumulated, not cleared.
export function confusion_counts_binary(cm: usize, y: usize, t: usize, m: i32, threshold: f32): void {
  let c00 = 0;
  let c01 = 0;
  let c10 = 0;
  let c11 = 0;
  for (let i = 0; i < m; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(y + o) >= threshold;
    if (load<f32>(t + o) >= <f32>0.5) {
      if (p) c11++;
      else c10++;
    } else if (p) c01++;
    else c00++;
  }
  store<i32>(cm, load<i32>(cm) + c00);
  store<i32>(cm + 4, load<i32>(cm + 4) + c01);
  store<i32>(cm + 8, load<i32>(cm + 8) + c10);
  store<i32>(cm + 12, load<i32>(cm + 12) + c11);
}

// acc (2n) f32 = per column j of y, t (m,n): acc[j] = Σ_r (y − t)², acc[n + j] = Σ_r |y − t| (overwritten; summed
// in f64, rounded once), for MSE / MAE / R² over batches without copying outputs out.
export function regression_sums(acc: usize, y: usize, t: usize, m: i32, n: i32): void {
  for (let j = 0; j < n; j++) {
    let se: f64 = 0;
    let ae: f64 = 0;
    for (let r = 0; r < m; r++) {
      const o = (<usize>r * <usize>n + <usize>j) << 2;
      const d = <f64>load<f32>(y + o) - <f64>load<f32>(t + o);
      se += d * d;
      ae += Math.abs(d);
    }
    store<f32>(acc + (<usize>j << 2), <f32>se);
    store<f32>(acc + (<usize>(n + j) << 2), <f32>ae);
  }
}

// y (m,n) = (x − center[j]) · scale[j] per column j: a fitted scaler applied to rows staged in engine memory
// (standardize: center = mean, scale = 1/std; min-max: center = min − low/scale', scale = span/(max − min)).
// center, scale f32 (n); y may alias x.
export function center_scale_cols(y: usize, x: usize, center: usize, scale: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const xo = x + <usize>r * rowBytes;
    const yo = y + <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(yo + o, f32x4.mul(f32x4.sub(v128.load(xo + o), v128.load(center + o)), v128.load(scale + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(yo + o, (load<f32>(xo + o) - load<f32>(center + o)) * load<f32>(scale + o));
    }
  }
}
