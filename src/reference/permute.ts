// Plain-TS twin of assembly/permute.ts: same name, same argument order, typed arrays in place of pointers.

/**
 * y (m, d0, d1, d2, d3) row-major, y[b, i0, i1, i2, i3] = x[b·n + i0·s0 + i1·s1 + i2·s2 + i3·s3] with
 * n = d0·d1·d2·d3 and s the input strides of the output axes. y must not overlap x.
 */
export function permute_forward(
  y: Float32Array,
  x: Float32Array,
  m: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
): void {
  const n = d0 * d1 * d2 * d3;
  let o = 0;
  for (let b = 0; b < m; b++) {
    for (let i0 = 0; i0 < d0; i0++) {
      for (let i1 = 0; i1 < d1; i1++) {
        for (let i2 = 0; i2 < d2; i2++) {
          const p = b * n + i0 * s0 + i1 * s1 + i2 * s2;
          for (let i3 = 0; i3 < d3; i3++) y[o++] = x[p + i3 * s3];
        }
      }
    }
  }
}
