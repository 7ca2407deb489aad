// Plain-TS twins of assembly/distill.ts: same names, same argument order, typed arrays in place of pointers.
// Targets t (m × 2n) hold rows [y (n): hard label | zt (n): teacher logits]. Computed in f64 (the tests also
// run them on Float64Arrays for finite differences).

/** Max of the n floats of x from `off`, NaN ignored. */
function rowMax(x: Float32Array, off: number, n: number): number {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) if (x[off + j] > mx) mx = x[off + j];
  return mx;
}

/**
 * p = softmax(z); returns the mean over rows of alpha · CE(y, softmax(z)) + (1 − alpha) · T² ·
 * KL(softmax(zt/T) ‖ softmax(z/T)).
 */
export function distill_forward(
  p: Float32Array,
  z: Float32Array,
  t: Float32Array,
  m: number,
  n: number,
  temperature: number,
  alpha: number,
): number {
  const T = Math.fround(temperature);
  const a = Math.fround(alpha);
  let total = 0;
  for (let r = 0; r < m; r++) {
    const o = r * n;
    const ty = 2 * r * n;
    const tt = ty + n;
    const mz = rowMax(z, o, n);
    const mt = rowMax(t, tt, n);
    let s1 = 0;
    let ss = 0;
    let st = 0;
    for (let j = 0; j < n; j++) {
      s1 += Math.exp(z[o + j] - mz);
      ss += Math.exp((z[o + j] - mz) / T);
      st += Math.exp((t[tt + j] - mt) / T);
    }
    const log1 = Math.log(s1);
    const logS = Math.log(ss);
    const logT = Math.log(st);
    let hard = 0;
    let kl = 0;
    for (let j = 0; j < n; j++) {
      p[o + j] = Math.exp(z[o + j] - mz) / s1;
      hard += t[ty + j] * (mz - z[o + j] + log1);
      const lq = (t[tt + j] - mt) / T - logT; // log of the teacher's softened probability
      const ls = (z[o + j] - mz) / T - logS; // log of the student's
      kl += Math.exp(lq) * (lq - ls);
    }
    total += a * hard + (1 - a) * T * T * kl;
  }
  return Math.fround(total / m);
}

/** dz = [alpha (p − y) + (1 − alpha) · T · (softmax(z/T) − softmax(zt/T))] / m; p = softmax(z) from forward. */
export function distill_backward(
  dz: Float32Array,
  p: Float32Array,
  z: Float32Array,
  t: Float32Array,
  m: number,
  n: number,
  temperature: number,
  alpha: number,
): void {
  const T = Math.fround(temperature);
  const a = Math.fround(alpha);
  for (let r = 0; r < m; r++) {
    const o = r * n;
    const ty = 2 * r * n;
    const tt = ty + n;
    const mz = rowMax(z, o, n);
    const mt = rowMax(t, tt, n);
    let ss = 0;
    let st = 0;
    for (let j = 0; j < n; j++) {
      ss += Math.exp((z[o + j] - mz) / T);
      st += Math.exp((t[tt + j] - mt) / T);
    }
    for (let j = 0; j < n; j++) {
      const qs = Math.exp((z[o + j] - mz) / T) / ss;
      const qt = Math.exp((t[tt + j] - mt) / T) / st;
      dz[o + j] = (a * (p[o + j] - t[ty + j]) + (1 - a) * T * (qs - qt)) / m;
    }
  }
}

/** Rows where argmax(z row) equals argmax of the row's hard part y; first index on ties. */
export function distill_accuracy_count(z: Float32Array, t: Float32Array, m: number, n: number): number {
  let count = 0;
  for (let r = 0; r < m; r++) {
    let bz = 0;
    let by = 0;
    for (let j = 1; j < n; j++) {
      if (z[r * n + j] > z[r * n + bz]) bz = j;
      if (t[2 * r * n + j] > t[2 * r * n + by]) by = j;
    }
    if (bz === by) count++;
  }
  return count;
}
