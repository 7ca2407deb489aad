// Small utilities the host needs on whole slabs or batches: fill, scale, norms, finiteness checks, row gather,
// argmax / accuracy counts and image shifts for augmentation. No allocation; SIMD where the data is long.
import { row_max, row_scale, sum_squares_f64 } from './math';

// x (n) = value.
export function fill_f32(x: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}

// x (n) *= s.
export function scale_f32(x: usize, n: i32, s: f32): void {
  row_scale(x, n, s);
}

// Σx² over x (n): exact squares, f64 sums, rounded to f32 once at the end.
export function sum_squares(x: usize, n: i32): f32 {
  return <f32>sum_squares_f64(x, n);
}

// Count of NaN / ±Inf in x (n): exponent bits all ones.
// Nearly always 0 (it guards model loads and inputs), so a first pass only takes the unsigned max of |bits|, two
// ops per vector, 16 floats per iteration: nonfinite iff |bits| >= 0x7f800000. On a cold start this runs in V8's
// baseline tier, where every op counts. Only when that finds one does the counting loop run.
export function count_nonfinite(x: usize, n: i32): i32 {
  const abs = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0);
  let m1 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = i32x4.max_u(m0, v128.and(v128.load(p), abs));
    m1 = i32x4.max_u(m1, v128.and(v128.load(p, 16), abs));
    m0 = i32x4.max_u(m0, v128.and(v128.load(p, 32), abs));
    m1 = i32x4.max_u(m1, v128.and(v128.load(p, 48), abs));
  }
  m0 = i32x4.max_u(m0, m1);
  let top = max(max(i32x4.extract_lane(m0, 0) as u32, i32x4.extract_lane(m0, 1) as u32), max(i32x4.extract_lane(m0, 2) as u32, i32x4.extract_lane(m0, 3) as u32));
  for (let j = i; j < n; j++) top = max(top, load<u32>(x + (<usize>j << 2)) & 0x7fffffff);
  if (top < 0x7f800000) return 0;
  let c = 0;
  for (let j = 0; j < n; j++) {
    if ((load<i32>(x + (<usize>j << 2)) & 0x7f800000) == 0x7f800000) c++;
  }
  return c;
}

// y (m,n) row r = x row idx[r], idx i32 (m) with 0 <= idx[r] < rows of x; y must not overlap x.
export function gather_rows(y: usize, x: usize, idx: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) {
    const src = <usize>load<i32>(idx + (<usize>r << 2));
    memory.copy(y + <usize>r * rowBytes, x + src * rowBytes, rowBytes);
  }
}

/**
 * Index of the row maximum, first index on ties. NaN entries are ignored (never selected); a row of only NaN
 * gives 0. Two passes: the max with pmax (NaN-ignoring), then the first lane equal to it.
 */
function argmax_row(p: usize, n: i32): i32 {
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

// idx (m) i32 = argmax of each row of x (m,n); first index on ties, NaN ignored, all-NaN row → 0.
export function argmax_rows(idx: usize, x: usize, m: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < m; r++) store<i32>(idx + (<usize>r << 2), argmax_row(x + <usize>r * rowBytes, n));
}

// Rows r of y, t (m,n) with argmax(y_r) == argmax(t_r) (argmax as in argmax_rows).
export function accuracy_count(y: usize, t: usize, m: i32, n: i32): i32 {
  const rowBytes = <usize>n << 2;
  let c = 0;
  for (let r = 0; r < m; r++) {
    const off = <usize>r * rowBytes;
    if (argmax_row(y + off, n) == argmax_row(t + off, n)) c++;
  }
  return c;
}

// Entries of y, t (n) with (y >= threshold) == (t >= 0.5); a NaN counts as below.
export function binary_accuracy_count(y: usize, t: usize, n: i32, threshold: f32): i32 {
  const th = f32x4.splat(threshold);
  const half = f32x4.splat(0.5);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const same = i32x4.eq(f32x4.ge(v128.load(y + o), th), f32x4.ge(v128.load(t + o), half));
    acc = i32x4.sub(acc, same);
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) +
    i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if ((load<f32>(y + o) >= threshold) == (load<f32>(t + o) >= <f32>0.5)) c++;
  }
  return c;
}

// y[i] (h,w) (r,c) = x[i](r − dy, c − dx), zero outside, for count images; (dx, dy) = shifts[2i], shifts[2i+1]
// (i32, any sign; |shift| >= size gives zeros). Row by row: one zero fill, one copy, one zero fill.
// y must not overlap x.
export function image_shift(y: usize, x: usize, shifts: usize, count: i32, h: i32, w: i32): void {
  const rowBytes = <usize>w << 2;
  const imgBytes = <usize>h * rowBytes;
  for (let i = 0; i < count; i++) {
    let sx = load<i32>(shifts + (<usize>i << 3));
    let sy = load<i32>(shifts + (<usize>i << 3), 4);
    // Clamp first so w + sx and r − sy cannot overflow.
    sx = sx < -w ? -w : sx > w ? w : sx;
    sy = sy < -h ? -h : sy > h ? h : sy;
    const c0 = sx > 0 ? sx : 0; // first destination column with a source
    const c1 = sx < 0 ? w + sx : w; // one past the last
    const xi = x + <usize>i * imgBytes;
    const yi = y + <usize>i * imgBytes;
    for (let r = 0; r < h; r++) {
      const dst = yi + <usize>r * rowBytes;
      const sr = r - sy;
      if (sr < 0 || sr >= h || c0 >= c1) {
        memory.fill(dst, 0, rowBytes);
        continue;
      }
      memory.fill(dst, 0, <usize>c0 << 2);
      memory.copy(dst + (<usize>c0 << 2), xi + <usize>sr * rowBytes + (<usize>(c0 - sx) << 2), <usize>(c1 - c0) << 2);
      memory.fill(dst + (<usize>c1 << 2), 0, <usize>(w - c1) << 2);
    }
  }
}
