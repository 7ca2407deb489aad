// Knowledge distillation (Hinton, Vinyals & Dean 2015): a student's logits z (m,n) against wide targets
// t (m,2n) whose rows are [ y (n): hard label, one-hot or soft | zt (n): the teacher's logits ].
//   loss = mean over rows of  alpha · CE(y, softmax(z))  +  (1 − alpha) · T² · KL(softmax(zt/T) ‖ softmax(z/T))
// The T² keeps the soft term's gradient on the same scale as the hard term's for any T. Teacher logits (not
// probabilities) are stored so the temperature can change without recomputing the targets.
// Everything is a log-softmax (max-subtracted), so no clamp is needed and extreme logits stay finite.
// Exps go through vexp on f32x4 (tails through exp_s, which rounds like the vector body); row sums in f32,
// the batch sum in f64.
import { vexp, hsum, exp_s, log_s, row_max } from './math';

/** Σ_j e^((x_j − mx)·s) over a row of n floats. */
function row_exp_sum_scaled(x: usize, n: i32, mx: f32, s: f32): f32 {
  const mv = f32x4.splat(mx);
  const sv = f32x4.splat(s);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    acc = f32x4.add(acc, vexp(f32x4.mul(f32x4.sub(v128.load(x + (<usize>j << 2)), mv), sv)));
  }
  let sum = hsum(acc);
  for (; j < n; j++) sum += exp_s((load<f32>(x + (<usize>j << 2)) - mx) * s);
  return sum;
}

// p (m,n) = softmax(z) (T = 1: the student's prediction); returns the mean distillation loss above.
// z (m,n) student logits, t (m,2n) = [y | zt], temperature T > 0, alpha in [0, 1].
export function distill_forward(p: usize, z: usize, t: usize, m: i32, n: i32, temperature: f32, alpha: f32): f32 {
  const rowBytes = <usize>n << 2;
  const invT: f32 = <f32>1 / temperature;
  const soft: f32 = (<f32>1 - alpha) * temperature * temperature;
  const ivt = f32x4.splat(invT);
  let total: f64 = 0;
  for (let r = 0; r < m; r++) {
    const zr = z + <usize>r * rowBytes;
    const pr = p + <usize>r * rowBytes;
    const yr = t + <usize>r * (rowBytes << 1);
    const tr = yr + rowBytes;
    const mz = row_max(zr, n);
    const mt = row_max(tr, n);
    // Hard term, as softmax_ce: Σ y_j (mz − z_j) + log(Σ e^(z − mz)) · Σ y_j, and p on the way.
    const mzv = f32x4.splat(mz);
    let ev = f32x4.splat(0);
    let av = ev;
    let yv = ev;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const zj = v128.load(zr + o);
      const yj = v128.load(yr + o);
      const e = vexp(f32x4.sub(zj, mzv));
      v128.store(pr + o, e);
      ev = f32x4.add(ev, e);
      av = f32x4.add(av, f32x4.mul(yj, f32x4.sub(mzv, zj)));
      yv = f32x4.add(yv, yj);
    }
    let s1 = hsum(ev);
    let a = hsum(av);
    let ys = hsum(yv);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const zj = load<f32>(zr + o);
      const yj = load<f32>(yr + o);
      const e = exp_s(zj - mz);
      store<f32>(pr + o, e);
      s1 += e;
      a += yj * (mz - zj);
      ys += yj;
    }
    const inv1 = <f32>1 / s1;
    const iv1 = f32x4.splat(inv1);
    j = 0;
    for (; j + 4 <= n; j += 4) v128.store(pr + (<usize>j << 2), f32x4.mul(v128.load(pr + (<usize>j << 2)), iv1));
    for (; j < n; j++) store<f32>(pr + (<usize>j << 2), load<f32>(pr + (<usize>j << 2)) * inv1);
    const hard = a + log_s(s1) * ys;

    // Soft term: KL = Σ q_j (log q_j − log s_j) with log q_j = (zt_j − mt)/T − log St and
    // log s_j = (z_j − mz)/T − log Ss (the max of z/T is mz/T since T > 0). Each log-ratio is formed before it
    // is weighted, which keeps the cancellation per element rather than across the row.
    const ss = row_exp_sum_scaled(zr, n, mz, invT);
    const st = row_exp_sum_scaled(tr, n, mt, invT);
    const c = log_s(ss) - log_s(st); // log q_j − log s_j = (zt_j − mt − z_j + mz)/T + c
    const mtv = f32x4.splat(mt);
    const cv = f32x4.splat(c);
    let kv = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const ut = f32x4.mul(f32x4.sub(v128.load(tr + o), mtv), ivt);
      const us = f32x4.mul(f32x4.sub(v128.load(zr + o), mzv), ivt);
      kv = f32x4.add(kv, f32x4.mul(vexp(ut), f32x4.add(f32x4.sub(ut, us), cv)));
    }
    let kl = hsum(kv);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const ut = (load<f32>(tr + o) - mt) * invT;
      const us = (load<f32>(zr + o) - mz) * invT;
      kl += exp_s(ut) * (ut - us + c);
    }
    kl /= st;
    total += <f64>(alpha * hard) + <f64>(soft * kl);
  }
  return <f32>(total / <f64>m);
}

// dz (m,n) = [ alpha (p − y) + (1 − alpha) · T · (softmax(z/T) − softmax(zt/T)) ] / m,
// p (m,n) = softmax(z) from distill_forward; z (m,n); t (m,2n) = [y | zt]. dz may alias p or z.
export function distill_backward(dz: usize, p: usize, z: usize, t: usize, m: i32, n: i32, temperature: f32, alpha: f32): void {
  const rowBytes = <usize>n << 2;
  const invT: f32 = <f32>1 / temperature;
  const inm: f32 = <f32>(1.0 / <f64>m);
  const ch = alpha * inm;
  const cs = (<f32>1 - alpha) * temperature * inm;
  const ivt = f32x4.splat(invT);
  const chv = f32x4.splat(ch);
  for (let r = 0; r < m; r++) {
    const zr = z + <usize>r * rowBytes;
    const pr = p + <usize>r * rowBytes;
    const dr = dz + <usize>r * rowBytes;
    const yr = t + <usize>r * (rowBytes << 1);
    const tr = yr + rowBytes;
    const mz = row_max(zr, n);
    const mt = row_max(tr, n);
    // 1/Ss and 1/St folded with the soft weight: dz_j = ch (p_j − y_j) + e_s,j·ks − e_t,j·kt.
    const ks = cs / row_exp_sum_scaled(zr, n, mz, invT);
    const kt = cs / row_exp_sum_scaled(tr, n, mt, invT);
    const mzv = f32x4.splat(mz);
    const mtv = f32x4.splat(mt);
    const ksv = f32x4.splat(ks);
    const ktv = f32x4.splat(kt);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const es = vexp(f32x4.mul(f32x4.sub(v128.load(zr + o), mzv), ivt));
      const et = vexp(f32x4.mul(f32x4.sub(v128.load(tr + o), mtv), ivt));
      const h = f32x4.mul(f32x4.sub(v128.load(pr + o), v128.load(yr + o)), chv);
      v128.store(dr + o, f32x4.add(h, f32x4.sub(f32x4.mul(es, ksv), f32x4.mul(et, ktv))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const es = exp_s((load<f32>(zr + o) - mz) * invT);
      const et = exp_s((load<f32>(tr + o) - mt) * invT);
      store<f32>(dr + o, (load<f32>(pr + o) - load<f32>(yr + o)) * ch + (es * ks - et * kt));
    }
  }
}

// Rows (of m) where argmax of z (m,n) equals argmax of the hard part y of t (m,2n) = [y | zt]; first index on
// ties (as argmax_rows). The accuracy metric of a model trained with the distillation loss.
export function distill_accuracy_count(z: usize, t: usize, m: i32, n: i32): i32 {
  const rowBytes = <usize>n << 2;
  let count = 0;
  for (let r = 0; r < m; r++) {
    const zr = z + <usize>r * rowBytes;
    const yr = t + <usize>r * (rowBytes << 1);
    let bz = 0;
    let by = 0;
    let vz = load<f32>(zr);
    let vy = load<f32>(yr);
    for (let j = 1; j < n; j++) {
      const a = load<f32>(zr + (<usize>j << 2));
      const b = load<f32>(yr + (<usize>j << 2));
      if (a > vz) {
        vz = a;
        bz = j;
      }
      if (b > vy) {
        vy = b;
        by = j;
      }
    }
    if (bz == by) count++;
  }
  return count;
}
