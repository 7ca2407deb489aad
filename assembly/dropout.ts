// Inverted dropout with a counter-based hash: mask[i] depends only on (seed, i), so the TS twin reproduces it
// bit for bit and no RNG state lives in the module.
//   h = seed + i·0x9E3779B9; h ^= h>>>16; h *= 0x85EBCA6B; h ^= h>>>13; h *= 0xC2B2AE35; h ^= h>>>16
//   u = (h >>> 8)·2^-24 in [0,1); keep iff u >= rate; mask = keep ? f32(1/f32(1 − rate)) : 0.

// y (n) = x · mask, mask (n) written; rate < 1 (rate 0 keeps everything with mask 1).
export function dropout_forward(y: usize, mask: usize, x: usize, n: i32, rate: f32, seed: i32): void {
  const scale: f32 = <f32>1 / (<f32>1 - rate);
  // u >= rate  <=>  (h >>> 8) >= ceil(rate·2^24): rate·2^24 is exact in f32, so integer compare is the same test.
  const thr = <i32>Mathf.ceil(rate * <f32>16777216);
  const thrv = i32x4.splat(thr);
  const sv = f32x4.splat(scale);
  const m1 = i32x4.splat(0x85ebca6b);
  const m2 = i32x4.splat(0xc2b2ae35);
  // Lane l of hv holds seed + (i + l)·G; stepping i by 4 adds 4·G (wrapping, as Math.imul does).
  let hv = i32x4.add(i32x4.splat(seed), i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(0x9e3779b9)));
  const step = i32x4.splat(<i32>0x9e3779b9 * 4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let h = hv;
    h = v128.xor(h, i32x4.shr_u(h, 16));
    h = i32x4.mul(h, m1);
    h = v128.xor(h, i32x4.shr_u(h, 13));
    h = i32x4.mul(h, m2);
    h = v128.xor(h, i32x4.shr_u(h, 16));
    const mk = v128.and(i32x4.ge_s(i32x4.shr_u(h, 8), thrv), sv);
    const o = <usize>i << 2;
    v128.store(mask + o, mk);
    v128.store(y + o, f32x4.mul(v128.load(x + o), mk));
    hv = i32x4.add(hv, step);
  }
  for (; i < n; i++) {
    let h = seed + i * <i32>0x9e3779b9;
    h ^= <i32>(<u32>h >>> 16);
    h *= <i32>0x85ebca6b;
    h ^= <i32>(<u32>h >>> 13);
    h *= <i32>0xc2b2ae35;
    h ^= <i32>(<u32>h >>> 16);
    const mk: f32 = <i32>(<u32>h >>> 8) >= thr ? scale : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, mk);
    store<f32>(y + o, load<f32>(x + o) * mk);
  }
}

// dx (n) = dy · mask.
export function dropout_backward(dx: usize, dy: usize, mask: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * load<f32>(mask + o));
  }
}
