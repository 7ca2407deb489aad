// The axes of each sample in another order (Keras Permute, ONNX Transpose), a batch at a time. The host passes
// the permutation in a canonical form (src/layers/permute.ts: size-1 axes dropped, axes that stay neighbours
// merged, padded to 4 output axes in front), so NCHW → NHWC is a plain (c, h·w) → (h·w, c) transpose and an
// axis order that keeps the last axis last is a copy of rows.

// y (m, d0, d1, d2, d3) row-major, y[b, i0, i1, i2, i3] = x[b·n + i0·s0 + i1·s1 + i2·s2 + i3·s3] with
// n = d0·d1·d2·d3 and s the input strides (floats) of the output axes. y must not overlap x. Backward is the
// same kernel with the inverse permutation.
export function permute_forward(
  y: usize, x: usize, m: i32, d0: i32, d1: i32, d2: i32, d3: i32, s0: i32, s1: i32, s2: i32, s3: i32,
): void {
  const sampleBytes = <usize>(d0 * d1 * d2 * d3) << 2;
  if (s3 == 1) {
    // The last axis stays last: rows of d3 contiguous floats.
    const row = <usize>d3 << 2;
    let dst = y;
    for (let b = 0; b < m; b++) {
      const xb = x + <usize>b * sampleBytes;
      for (let i0 = 0; i0 < d0; i0++) {
        for (let i1 = 0; i1 < d1; i1++) {
          for (let i2 = 0; i2 < d2; i2++) {
            memory.copy(dst, xb + (<usize>(i0 * s0 + i1 * s1 + i2 * s2) << 2), row);
            dst += row;
          }
        }
      }
    }
    return;
  }
  // The output axis read contiguously (stride 1), if any: a tile of 4 along it by 4 along the last output axis is
  // 4 vector loads (one per output column), a 4x4 transpose in registers and 4 vector stores (one per output row).
  // j == 3: none, every value on its own.
  const j = s2 == 1 ? 2 : s1 == 1 ? 1 : s0 == 1 ? 0 : 3;
  const e0 = j == 0 ? 4 : 1;
  const e1 = j == 1 ? 4 : 1;
  const e2 = j == 2 ? 4 : 1;
  const oj = <usize>(j == 2 ? d3 : j == 1 ? d2 * d3 : d1 * d2 * d3) << 2; // output bytes between rows of a tile
  const sx = <usize>s3 << 2; // input bytes between columns of a tile
  for (let b = 0; b < m; b++) {
    const xb = x + <usize>b * sampleBytes;
    const yb = y + <usize>b * sampleBytes;
    for (let i0 = 0; i0 < d0; i0 += e0) {
      for (let i1 = 0; i1 < d1; i1 += e1) {
        for (let i2 = 0; i2 < d2; i2 += e2) {
          const px = xb + (<usize>(i0 * s0 + i1 * s1 + i2 * s2) << 2);
          const py = yb + (<usize>(((i0 * d1 + i1) * d2 + i2) * d3) << 2);
          const rows = j == 0 ? min(4, d0 - i0) : j == 1 ? min(4, d1 - i1) : j == 2 ? min(4, d2 - i2) : 1;
          let i3 = 0;
          if (rows == 4) {
            for (; i3 + 4 <= d3; i3 += 4) {
              const a = px + <usize>i3 * sx;
              const r0 = v128.load(a);
              const r1 = v128.load(a + sx);
              const r2 = v128.load(a + 2 * sx);
              const r3 = v128.load(a + 3 * sx);
              const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
              const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // r2[0] r3[0] r2[1] r3[1]
              const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
              const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // r2[2] r3[2] r2[3] r3[3]
              const q = py + (<usize>i3 << 2);
              v128.store(q, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
              v128.store(q + oj, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
              v128.store(q + 2 * oj, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
              v128.store(q + 3 * oj, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
            }
          }
          // What no whole tile covers: the last columns, or rows at the end of the contiguous axis.
          for (let r = 0; r < rows; r++) {
            for (let c = i3; c < d3; c++) {
              store<f32>(py + <usize>r * oj + (<usize>c << 2), load<f32>(px + (<usize>r << 2) + <usize>c * sx));
            }
          }
        }
      }
    }
  }
}
