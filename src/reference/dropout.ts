// Plain-TS twins of assembly/dropout.ts: same names, same argument order, typed arrays in place of pointers.
// The mask comes from the same counter-based hash, so it is bit-identical to the kernel's.

/** u(seed, i) in [0, 1): the shared hash, 24 bits of it. */
export function dropout_u(seed: number, i: number): number {
  let h = (seed + Math.imul(i, 0x9e3779b9)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 8) * 2 ** -24;
}

/** Inverted dropout: mask[i] = u(seed, i) >= rate ? f32(1/f32(1 − rate)) : 0; y = x · mask. rate in [0, 1). */
export function dropout_forward(
  y: Float32Array,
  mask: Float32Array,
  x: Float32Array,
  n: number,
  rate: number,
  seed: number,
): void {
  const r = Math.fround(rate);
  const scale = Math.fround(1 / Math.fround(1 - r));
  for (let i = 0; i < n; i++) {
    const k = dropout_u(seed | 0, i) >= r ? scale : 0;
    mask[i] = k;
    y[i] = x[i] * k;
  }
}

/** dx = dy · mask. */
export function dropout_backward(dx: Float32Array, dy: Float32Array, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = dy[i] * mask[i];
}
