// Shared test utilities: a seeded RNG and a closeness check that names the first bad index.
import { expect } from 'vitest';

/** mulberry32: small, fast, seeded; good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Float32Array of n values uniform in [lo, hi). */
export function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Asserts |a − e| <= atol + rtol·|e| elementwise (NaN must match NaN); reports max diff and first bad index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  what = 'values',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let maxDiff = 0;
  let firstBad = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a)) && firstBad < 0) firstBad = i;
      continue;
    }
    if (a === e) continue;
    const d = Math.abs(a - e);
    if (d > maxDiff) maxDiff = d;
    if (!(d <= atol + rtol * Math.abs(e)) && firstBad < 0) firstBad = i;
  }
  if (firstBad >= 0) {
    expect.fail(
      `${what}: first bad index ${firstBad}: got ${actual[firstBad]}, expected ${expected[firstBad]} ` +
        `(max |diff| ${maxDiff}, atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Tile-edge sizes around block size b: 1, b−1, b, b+1, 2b+3 and a prime. */
export function edgeSizes(b: number, prime = 37): number[] {
  return [...new Set([1, Math.max(1, b - 1), b, b + 1, 2 * b + 3, prime])];
}
