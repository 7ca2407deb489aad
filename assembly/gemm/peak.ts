// Benchmark-only: the machine's f32x4 mul+add ceiling, measured the way GEMM uses the units.
// 12 independent chains acc = acc·s + t (12 muls + 12 adds per step, 96 flops) hide mul+add latency; the
// result depends on every chain so nothing is optimized away. Flops = 96 · iters.
import { madd } from './madd';
export function peak_f32x4(iters: i32): f32 {
  const s = f32x4.splat(0.999);
  const t = f32x4.splat(0.001);
  let a0 = f32x4.splat(0.10), a1 = f32x4.splat(0.11), a2 = f32x4.splat(0.12), a3 = f32x4.splat(0.13);
  let a4 = f32x4.splat(0.14), a5 = f32x4.splat(0.15), a6 = f32x4.splat(0.16), a7 = f32x4.splat(0.17);
  let a8 = f32x4.splat(0.18), a9 = f32x4.splat(0.19), a10 = f32x4.splat(0.20), a11 = f32x4.splat(0.21);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, s, t);
    a1 = madd(a1, s, t);
    a2 = madd(a2, s, t);
    a3 = madd(a3, s, t);
    a4 = madd(a4, s, t);
    a5 = madd(a5, s, t);
    a6 = madd(a6, s, t);
    a7 = madd(a7, s, t);
    a8 = madd(a8, s, t);
    a9 = madd(a9, s, t);
    a10 = madd(a10, s, t);
    a11 = madd(a11, s, t);
  }
  const r = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(r, 0) + f32x4.extract_lane(r, 1) + f32x4.extract_lane(r, 2) + f32x4.extract_lane(r, 3);
}
