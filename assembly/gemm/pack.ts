// Packing of GEMM b operands into the workspace: panels of kc rows x 8 floats, contiguous, zero-padded to a
// multiple of 8 columns. A packed panel is read at unit stride by the micro-kernel, so it stays in L1 whatever
// the original row stride (n = 1024 rows are 4 KB apart and would all map to the same L1 sets).

// ws (panels of kc x 8) = src (kc, nc), rows ld bytes apart
export function packPanels(ws: usize, src: usize, ld: usize, kc: i32, nc: i32): void {
  let d = ws;
  const zero = f32x4.splat(0);
  for (let j = 0; j < nc; j += 8) {
    const w = min(8, nc - j);
    let s = src + (<usize>j << 2);
    if (w == 8) {
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += ld;
        d += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        v128.store(d, zero);
        v128.store(d, zero, 16);
        for (let c = 0; c < w; c++) store<f32>(d + (<usize>c << 2), load<f32>(s + (<usize>c << 2)));
        s += ld;
        d += 32;
      }
    }
  }
}

// ws (panels of kc x 8) = srcᵀ where src is (nc, kc), rows ld bytes apart: panel element (p, c) = src[c, p].
// Eight source rows are read four floats at a time and transposed in registers (two 4x4 transposes per step).
export function packPanelsT(ws: usize, src: usize, ld: usize, kc: i32, nc: i32): void {
  let d = ws;
  const zero = f32x4.splat(0);
  const kc4 = kc & ~3;
  for (let j = 0; j < nc; j += 8) {
    const w = min(8, nc - j);
    const s0 = src + <usize>j * ld;
    if (w == 8) {
      const s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld, s4 = s3 + ld, s5 = s4 + ld, s6 = s5 + ld, s7 = s6 + ld;
      let o: usize = 0;
      for (let p = 0; p < kc4; p += 4) {
        transpose4(d, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
        transpose4(d + 16, v128.load(s4 + o), v128.load(s5 + o), v128.load(s6 + o), v128.load(s7 + o));
        o += 16;
        d += 128;
      }
      for (let p = kc4; p < kc; p++) {
        for (let c = 0; c < 8; c++) store<f32>(d + (<usize>c << 2), load<f32>(s0 + <usize>c * ld + o));
        o += 4;
        d += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        v128.store(d, zero);
        v128.store(d, zero, 16);
        const o = <usize>p << 2;
        for (let c = 0; c < w; c++) store<f32>(d + (<usize>c << 2), load<f32>(s0 + <usize>c * ld + o));
        d += 32;
      }
    }
  }
}

// Rows r0..r3 (4 floats each) stored as columns: d + 32·i holds (r0[i], r1[i], r2[i], r3[i]).
// @ts-ignore: decorator
@inline function transpose4(d: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // r2[0] r3[0] r2[1] r3[1]
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // r2[2] r3[2] r2[3] r3[3]
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
  v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
  v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
}

// dst (kc x 4, step-major) = a (mr rows, kc steps), element (r,p) at a + r·ars + p·ast; rows >= mr are zero.
export function packStrip(dst: usize, a: usize, ars: usize, ast: usize, kc: i32, mr: i32): void {
  if (mr == 4 && ars == 4) {
    // The 4 values of a step are contiguous: one vector copy per step.
    for (let p = 0; p < kc; p++) {
      v128.store(dst, v128.load(a));
      a += ast;
      dst += 16;
    }
    return;
  }
  let p = 0;
  if (mr == 4 && ast == 4) {
    // 4 rows of contiguous steps (x in the forward GEMM): 4x4 blocks transposed in registers.
    for (; p + 4 <= kc; p += 4) {
      const r0 = v128.load(a), r1 = v128.load(a + ars), r2 = v128.load(a + 2 * ars), r3 = v128.load(a + 3 * ars);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      a += 16;
      dst += 64;
    }
  }
  for (; p < kc; p++) {
    v128.store(dst, f32x4.splat(0));
    for (let r = 0; r < mr; r++) store<f32>(dst + (<usize>r << 2), load<f32>(a + <usize>r * ars));
    a += ast;
    dst += 16;
  }
}
