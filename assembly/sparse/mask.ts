// Pruning masks: after each optimizer step the pruned weights are put back to zero by one multiply over the
// kernel (the optimizer's momentum would otherwise move them off zero).

// w (n) *= mask (n); mask entries are 0 or 1 (any value works: it is a plain product)
export function mask_f32(w: usize, mask: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.mul(v128.load(w + o), v128.load(mask + o)));
    v128.store(w + o, f32x4.mul(v128.load(w + o, 16), v128.load(mask + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.mul(v128.load(w + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, load<f32>(w + o) * load<f32>(mask + o));
  }
}
