// Contiguous runs of f32 for the conv data movers (im2col / col2im / pooling): copy, zero and add n floats.
// Runs are short in conv layers (kw·c floats: 5 at c = 1, 40 at c = 8), so these are inline loops of v128
// loads/stores rather than memory.copy / memory.fill, which V8 turns into a call per run. A run of n >= 4 ends
// with one v128 store overlapping the last full vector (copy and zero only: it rewrites the same values), so
// only runs of 1..3 floats take scalar steps.

// d (n) = s (n); d and s do not overlap.
// @ts-ignore: decorator
@inline export function copyRun(d: usize, s: usize, n: i32): void {
  if (n >= 4) {
    const end = <usize>(n - 4) << 2;
    let o: usize = 0;
    for (; o < end; o += 16) v128.store(d + o, v128.load(s + o));
    v128.store(d + end, v128.load(s + end));
  } else {
    for (let j = 0; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
  }
}

// d (n) = 0.
// @ts-ignore: decorator
@inline export function zeroRun(d: usize, n: i32): void {
  const z = f32x4.splat(0);
  if (n >= 4) {
    const end = <usize>(n - 4) << 2;
    let o: usize = 0;
    for (; o < end; o += 16) v128.store(d + o, z);
    v128.store(d + end, z);
  } else {
    for (let j = 0; j < n; j++) store<f32>(d + (<usize>j << 2), 0);
  }
}

// d (n) += s (n); element by element in order, so the sums round exactly as a scalar loop would.
// @ts-ignore: decorator
@inline export function addRun(d: usize, s: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < n4; o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  const e = <usize>n << 2;
  for (; o < e; o += 4) store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
}

// d (n bytes) = s (n bytes); d and s do not overlap. Runs of int8 patches (kw·c bytes: 15 at c = 3, kw = 5):
// one or two stores of 16, 8 or 4 bytes, the second overlapping the first (rewriting the same bytes), so only
// runs of 1..3 bytes take single-byte steps; nothing outside either run is touched.
// @ts-ignore: decorator
@inline export function copyBytes(d: usize, s: usize, n: i32): void {
  if (n >= 16) {
    const end = <usize>(n - 16);
    let o: usize = 0;
    for (; o < end; o += 16) v128.store(d + o, v128.load(s + o));
    v128.store(d + end, v128.load(s + end));
  } else if (n >= 8) {
    const e = <usize>(n - 8);
    const t = load<u64>(s + e);
    store<u64>(d, load<u64>(s));
    store<u64>(d + e, t);
  } else if (n >= 4) {
    const e = <usize>(n - 4);
    const t = load<u32>(s + e);
    store<u32>(d, load<u32>(s));
    store<u32>(d + e, t);
  } else {
    for (let j = 0; j < n; j++) store<u8>(d + <usize>j, load<u8>(s + <usize>j));
  }
}

// copyBytes out of line (runs on the padding's edges, where code size matters more than the call).
export function copyBytesCall(d: usize, s: usize, n: i32): void {
  copyBytes(d, s, n);
}

// d (n bytes) = 0, stored as copyBytes stores (out of line: runs on the padding only).
export function zeroBytes(d: usize, n: i32): void {
  if (n >= 16) {
    const z = i32x4.splat(0);
    const end = <usize>(n - 16);
    let o: usize = 0;
    for (; o < end; o += 16) v128.store(d + o, z);
    v128.store(d + end, z);
  } else if (n >= 8) {
    store<u64>(d, 0);
    store<u64>(d + <usize>(n - 8), 0);
  } else if (n >= 4) {
    store<u32>(d, 0);
    store<u32>(d + <usize>(n - 4), 0);
  } else {
    for (let j = 0; j < n; j++) store<u8>(d + <usize>j, 0);
  }
}
