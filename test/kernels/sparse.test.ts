// Pruning / sparse kernels: mask_f32 and sparse_csr_forward, wasm vs their plain-TS twins over sizes that sweep
// the unroll edges (1, 3, 4, 5, 11, a prime), densities from empty to full, batch sizes on both paths (per row
// below 4, 4-row groups from 4 on), zeros and special values in x. The twin itself is checked against a dense
// product and, as the forward map is linear, its slope against f64 central differences.
import { describe, expect, it } from 'vitest';
import { mask_f32, sparse_csr_forward } from '../../src/reference/sparse.js';
import { gemm_forward } from '../../src/reference/gemm.js';
import { edgeSizes, expectClose, randArray, rng } from '../helpers/check.js';
import { loadRaw } from '../helpers/wasm.js';

const raw = loadRaw();

interface Csr {
  rowptr: Int32Array;
  cols: Uint16Array;
  vals: Float32Array;
  dense: Float32Array;
}

/** A random k×n matrix with about `density` of its entries nonzero, as CSR by row and densified. */
function randomCsr(k: number, n: number, density: number, seed: number): Csr {
  const r = rng(seed);
  const dense = new Float32Array(k * n);
  const rowptr = new Int32Array(k + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) {
      if (r() < density) {
        const v = Math.fround(r() * 2 - 1) || 0.5; // stored entries are nonzero
        dense[p * n + j] = v;
        cols.push(j);
        vals.push(v);
      }
    }
    rowptr[p + 1] = cols.length;
  }
  return { rowptr, cols: Uint16Array.from(cols), vals: Float32Array.from(vals), dense };
}

/** Runs the wasm kernel; returns y. */
function wasmCsr(
  c: Csr,
  x: Float32Array,
  b: Float32Array | null,
  m: number,
  k: number,
  n: number,
  useWs = true,
): Float32Array {
  raw.reset();
  const y = raw.alloc(m * n * 4);
  const ws = useWs ? raw.alloc(n * 16) : 0;
  // Fill y with garbage: the kernel must overwrite it.
  new Float32Array(raw.memory.buffer, y, m * n).fill(123.5);
  const px = raw.put(x);
  const rp = raw.put(c.rowptr);
  const cols = raw.put(c.cols.length > 0 ? c.cols : new Uint16Array(1));
  const vals = raw.put(c.vals.length > 0 ? c.vals : new Float32Array(1));
  const pb = b ? raw.put(b) : 0;
  raw.k.sparse_csr_forward(y, ws, px, rp, cols, vals, pb, m, k, n);
  // The inputs stay as they were.
  expect(raw.f32(px, m * k)).toEqual(x);
  return raw.f32(y, m * n);
}

function twinCsr(c: Csr, x: Float32Array, b: Float32Array | null, m: number, k: number, n: number): Float32Array {
  const y = new Float32Array(m * n).fill(-7);
  sparse_csr_forward(y, null, x, c.rowptr, c.cols, c.vals, b, m, k, n);
  return y;
}

/** x with about `zeros` of its entries exactly zero (as ReLU outputs or blank pixels). */
function inputs(m: number, k: number, zeros: number, seed: number): Float32Array {
  const x = randArray(m * k, seed, -2, 2);
  const r = rng(seed + 1);
  for (let i = 0; i < x.length; i++) if (r() < zeros) x[i] = 0;
  return x;
}

describe('mask_f32 wasm vs twin', () => {
  it.each([...edgeSizes(8, 37), 4, 5, 1000])('n=%i: w *= mask, the tail untouched', (n) => {
    const w = randArray(n + 3, n);
    const mask = Float32Array.from(randArray(n + 3, n + 1), (v) => (v > 0 ? 1 : 0));
    raw.reset();
    const pw = raw.put(w);
    const pm = raw.put(mask);
    raw.k.mask_f32(pw, pm, n);
    const want = w.slice();
    mask_f32(want, mask, n);
    expectClose(raw.f32(pw, n + 3), want, 0, 0, `mask n=${n}`);
    for (let i = 0; i < n; i++) expect(want[i]).toBe(mask[i] === 0 ? 0 * Math.sign(w[i]) : w[i]);
    expect(raw.f32(pw + 4 * n, 3)).toEqual(w.subarray(n)); // past n: untouched
  });

  it('special values: a plain product (NaN · 0 stays NaN, Inf · 0 is NaN)', () => {
    const w = new Float32Array([NaN, Infinity, -Infinity, 1e-40, -0, 3, NaN, 2, 5]);
    const mask = new Float32Array([0, 0, 1, 0, 1, 1, 1, 0, 1]);
    raw.reset();
    const pw = raw.put(w);
    raw.k.mask_f32(pw, raw.put(mask), w.length);
    const want = w.slice();
    mask_f32(want, mask, w.length);
    expectClose(raw.f32(pw, w.length), want, 0, 0, 'mask specials');
    expect(Number.isNaN(want[1])).toBe(true);
    expect(want[7]).toBe(0);
  });
});

describe('sparse_csr_forward wasm vs twin', () => {
  const ks = [1, 3, 4, 5, 11, 37];
  const ns = [1, 3, 4, 5, 11, 37];
  const cases: [number, number, number, number][] = [];
  for (const m of [1, 2, 3, 4, 5, 7, 8, 9])
    for (const k of ks) for (const n of ns) cases.push([m, k, n, (m * 7 + k * 3 + n) % 4]);

  it.each(cases)('m=%i k=%i n=%i (variant %i)', (m, k, n, variant) => {
    const density = [0.1, 0.5, 1, 0.03][variant];
    const c = randomCsr(k, n, density, m * 1000 + k * 31 + n);
    const x = inputs(m, k, 0.4, k * 17 + m);
    const b = variant % 2 === 0 ? randArray(n, n + 5) : null;
    const want = twinCsr(c, x, b, m, k, n);
    // Same summation order: equal up to the sign of zero.
    expectClose(wasmCsr(c, x, b, m, k, n), want, 0, 0, `csr ${m}x${k}x${n}`);
    expectClose(wasmCsr(c, x, b, m, k, n, false), want, 0, 0, `csr ${m}x${k}x${n} (no workspace)`);
  });

  it('wide outputs and long rows (the 784 → 300 layer of a 90%-pruned MLP), batch 1, 4 and 13', () => {
    const k = 784;
    const n = 300;
    const c = randomCsr(k, n, 0.1, 99);
    const b = randArray(n, 98);
    for (const m of [1, 4, 13]) {
      const x = inputs(m, k, 0.8, m);
      expectClose(wasmCsr(c, x, b, m, k, n), twinCsr(c, x, b, m, k, n), 0, 0, `784x300 m=${m}`);
    }
  });

  it('an empty matrix gives the bias (or zeros); m = 0 or n = 0 writes nothing', () => {
    const c = randomCsr(6, 9, 0, 1);
    expect(c.vals.length).toBe(0);
    const b = randArray(9, 2);
    for (const m of [1, 5]) {
      const x = inputs(m, 6, 0, 3);
      const y = wasmCsr(c, x, b, m, 6, 9);
      for (let i = 0; i < m; i++) expect(y.subarray(i * 9, i * 9 + 9)).toEqual(b);
      expect(Array.from(wasmCsr(c, x, null, m, 6, 9)).every((v) => v === 0)).toBe(true);
    }
    raw.reset();
    const y = raw.put(new Float32Array([1, 2, 3, 4]));
    const x = raw.put(new Float32Array([1, 1, 1, 1]));
    const rp = raw.put(new Int32Array([0, 0, 0]));
    raw.k.sparse_csr_forward(y, 0, x, rp, 0, 0, 0, 0, 2, 2);
    raw.k.sparse_csr_forward(y, 0, x, rp, 0, 0, 0, 2, 2, 0);
    expect(raw.f32(y, 4)).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('zeros in x skip their rows; NaN and ±Inf in x propagate like the twin (and like a dense product)', () => {
    const k = 9;
    const n = 7;
    const c = randomCsr(k, n, 0.6, 5);
    const specials = [0, -0, NaN, Infinity, -Infinity, 1e30, -1e30, 1e-40, 2];
    for (const m of [1, 4, 6]) {
      const x = new Float32Array(m * k).map((_, i) => specials[(i * 5 + m) % specials.length]);
      const b = randArray(n, 6);
      const got = wasmCsr(c, x, b, m, k, n);
      const want = twinCsr(c, x, b, m, k, n);
      expectClose(got, want, 0, 0, `specials m=${m}`);
      // The dense product agrees wherever the inputs are finite (a skipped 0 row adds exactly 0 there too).
      const dense = new Float32Array(m * n);
      gemm_forward(dense, null, x, c.dense, b, m, k, n);
      for (let i = 0; i < m * n; i++) {
        if (Number.isFinite(dense[i])) expect(want[i]).toBeCloseTo(dense[i], 3);
      }
    }
  });

  it('an all-zero input row of a 4-row group still gets its bias (and no NaN from the others)', () => {
    const k = 5;
    const n = 6;
    const c = randomCsr(k, n, 1, 8);
    const x = inputs(4, k, 0, 9);
    x.fill(0, 2 * k, 3 * k); // row 2 is all zeros
    x[0] = NaN; // row 0 carries NaN
    const b = randArray(n, 10);
    const y = wasmCsr(c, x, b, 4, k, n);
    expect(y.subarray(2 * n, 3 * n)).toEqual(b);
    expectClose(y, twinCsr(c, x, b, 4, k, n), 0, 0, 'zero row');
  });
});

describe('sparse_csr_forward twin', () => {
  it('equals the dense product x · W + b on the densified matrix', () => {
    for (const [m, k, n, d] of [
      [3, 20, 13, 0.2],
      [6, 33, 40, 0.05],
      [2, 7, 5, 1],
    ] as const) {
      const c = randomCsr(k, n, d, m + k + n);
      const x = inputs(m, k, 0.3, k);
      const b = randArray(n, n);
      const dense = new Float32Array(m * n);
      gemm_forward(dense, null, x, c.dense, b, m, k, n);
      expectClose(twinCsr(c, x, b, m, k, n), dense, 1e-5, 1e-5, `twin vs dense ${m}x${k}x${n}`);
    }
  });

  it('its derivative in x[i][p] is W[p][:] (f64 central differences)', () => {
    const m = 2;
    const k = 6;
    const n = 5;
    const c = randomCsr(k, n, 0.5, 4);
    const x0 = Float64Array.from(inputs(m, k, 0.2, 7));
    const run = (x: Float64Array): Float64Array => {
      const y = new Float64Array(m * n);
      // The twin takes any float array (it rounds each step to f32): f64 arrays keep the differences clean.
      sparse_csr_forward(
        y as unknown as Float32Array,
        null,
        x as unknown as Float32Array,
        c.rowptr,
        c.cols,
        c.vals,
        null,
        m,
        k,
        n,
      );
      return y;
    };
    const h = 1e-2; // the map is linear: a large step loses nothing and keeps f32 rounding small
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const up = x0.slice();
        const dn = x0.slice();
        up[i * k + p] += h;
        dn[i * k + p] -= h;
        const yu = run(up);
        const yd = run(dn);
        for (let j = 0; j < n; j++) {
          const d = (yu[i * n + j] - yd[i * n + j]) / (2 * h);
          expect(d).toBeCloseTo(c.dense[p * n + j], 2);
        }
      }
    }
  });
});
