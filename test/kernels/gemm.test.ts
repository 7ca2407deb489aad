// GEMM kernels: twins against a naive f64 triple loop, then wasm against the twins over a sweep of tile edges,
// blocking edges (k > 256, n > 256), realistic MLP shapes, with / without / with a tiny workspace, plus
// accumulate-vs-overwrite semantics, out-of-bounds writes and special values.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { loadRaw, relaxedRun, type RawWasm } from '../helpers/wasm.js';
import {
  gemm_backward_w,
  gemm_backward_w_rows,
  gemm_backward_x,
  gemm_forward,
  gemm_forward_cols,
} from '../../src/reference/gemm.js';

const SIZES = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 19, 31, 33, 37];
// Shapes past the blocking (k-block 256, n-block 256; forward packs w only above 128Ki floats) and realistic
// MLP shapes.
const BIG: [number, number, number][] = [
  [9, 300, 17],
  [5, 513, 9],
  [13, 257, 265],
  [37, 260, 520],
  [8, 256, 256],
  [4, 1, 600],
  [600, 3, 5],
  [7, 300, 450],
  [5, 520, 257],
  [9, 1030, 130],
  [64, 784, 128],
  [1, 784, 128],
  [64, 128, 10],
  [1, 128, 10],
  [256, 784, 128],
  [2, 784, 128],
  [3, 100, 70],
];
type Form = 'forward' | 'forward+bias' | 'backward_w' | 'backward_x';
const FORMS: Form[] = ['forward', 'forward+bias', 'backward_w', 'backward_x'];
// The workspace every GEMM takes: zeroed, or full of garbage (results must not depend on what it held).
type Ws = 'zeroed' | 'dirty';
const GUARD = 8; // floats of sentinel before and after every output

// f32 sums of k products of values in [-1, 1]: error grows with k.
const tol = (k: number): [number, number] => [1e-6 * k + 1e-6, 1e-5];

let w: RawWasm;
let wsFull = 0;
beforeAll(() => {
  w = loadRaw();
  wsFull = w.k.gemm_workspace_size();
});

/** Runs one form in wasm with the given workspace; returns the output (guards checked). */
function runWasm(
  form: Form,
  ws: Ws,
  m: number,
  k: number,
  n: number,
  ins: Float32Array[],
  out0: Float32Array,
): Float32Array {
  w.reset();
  const wsPtr = w.alloc(wsFull);
  if (ws === 'dirty') new Float32Array(w.memory.buffer, wsPtr, wsFull / 4).fill(NaN);
  const sentinel = 12345.5;
  const padded = new Float32Array(out0.length + 2 * GUARD).fill(sentinel);
  padded.set(out0, GUARD);
  const pOut = w.put(padded) + GUARD * 4;
  const p = ins.map((a) => w.put(a));
  if (form === 'forward') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], 0, m, k, n);
  else if (form === 'forward+bias') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], p[2], m, k, n);
  else if (form === 'backward_w') w.k.gemm_backward_w(pOut, wsPtr, p[0], p[1], m, k, n);
  else w.k.gemm_backward_x(pOut, wsPtr, p[0], p[1], m, k, n);
  const all = w.f32(pOut - GUARD * 4, padded.length);
  for (let i = 0; i < GUARD; i++) {
    if (all[i] !== sentinel || all[all.length - 1 - i] !== sentinel) {
      expect.fail(`${form} ${m}x${k}x${n} ws=${ws}: wrote outside its output`);
    }
  }
  return all.subarray(GUARD, GUARD + out0.length);
}

/** Inputs and initial output for a form: overwrite outputs start as NaN garbage, dw starts non-zero. */
function makeCase(
  form: Form,
  m: number,
  k: number,
  n: number,
  seed: number,
): { ins: Float32Array[]; out0: Float32Array } {
  if (form === 'backward_w') {
    return { ins: [randArray(m * k, seed), randArray(m * n, seed + 1)], out0: randArray(k * n, seed + 2, -3, 3) };
  }
  if (form === 'backward_x') {
    return { ins: [randArray(m * n, seed), randArray(k * n, seed + 1)], out0: new Float32Array(m * k).fill(NaN) };
  }
  const ins = [randArray(m * k, seed), randArray(k * n, seed + 1)];
  if (form === 'forward+bias') ins.push(randArray(n, seed + 2));
  return { ins, out0: new Float32Array(m * n).fill(NaN) };
}

function runTwin(form: Form, m: number, k: number, n: number, ins: Float32Array[], out0: Float32Array): Float32Array {
  const out = out0.slice();
  if (form === 'forward') gemm_forward(out, null, ins[0], ins[1], null, m, k, n);
  else if (form === 'forward+bias') gemm_forward(out, null, ins[0], ins[1], ins[2], m, k, n);
  else if (form === 'backward_w') gemm_backward_w(out, null, ins[0], ins[1], m, k, n);
  else gemm_backward_x(out, null, ins[0], ins[1], m, k, n);
  return out;
}

function check(form: Form, ws: Ws, m: number, k: number, n: number, seed: number): void {
  const { ins, out0 } = makeCase(form, m, k, n, seed);
  const expected = runTwin(form, m, k, n, ins, out0);
  const actual = runWasm(form, ws, m, k, n, ins, out0);
  const [atol, rtol] = tol(form === 'backward_w' ? m : form === 'backward_x' ? n : k);
  expectClose(actual, expected, atol, rtol, `${form} m=${m} k=${k} n=${n} ws=${ws}`);
}

describe('gemm twins vs naive f64 loops', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 9],
    [8, 300, 16],
    [2, 37, 1],
  ];
  it.each(shapes)('m=%i k=%i n=%i', (m, k, n) => {
    const x = randArray(m * k, 11),
      wt = randArray(k * n, 12),
      b = randArray(n, 13),
      dy = randArray(m * n, 14);
    const y = new Float32Array(m * n),
      yRef = new Float64Array(m * n);
    const dw = randArray(k * n, 15),
      dwRef = Float64Array.from(dw);
    const dx = new Float32Array(m * k).fill(NaN),
      dxRef = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = b[j];
        for (let p = 0; p < k; p++) s += x[i * k + p] * wt[p * n + j];
        yRef[i * n + j] = s;
      }
    }
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) dwRef[p * n + j] += x[i * k + p] * dy[i * n + j];
    }
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) dxRef[i * k + p] += dy[i * n + j] * wt[p * n + j];
    }
    gemm_forward(y, null, x, wt, b, m, k, n);
    gemm_backward_w(dw, null, x, dy, m, k, n);
    gemm_backward_x(dx, null, dy, wt, m, k, n);
    expectClose(y, yRef, 1e-6 * k, 1e-6, 'forward twin');
    expectClose(dw, dwRef, 1e-6 * m, 1e-6, 'backward_w twin');
    expectClose(dx, dxRef, 1e-6 * n, 1e-6, 'backward_x twin');
    // No bias: same as with a zero bias.
    const y0 = new Float32Array(m * n).fill(NaN);
    gemm_forward(y0, null, x, wt, null, m, k, n);
    const yz = new Float32Array(m * n);
    gemm_forward(yz, null, x, wt, new Float32Array(n), m, k, n);
    expectClose(y0, yz, 0, 0, 'forward twin without bias');
  });
});

describe('gemm wasm vs twin', () => {
  it('the check can fail: one wrong element is reported', () => {
    const { ins, out0 } = makeCase('forward', 5, 7, 9, 1);
    const expected = runTwin('forward', 5, 7, 9, ins, out0);
    const bad = expected.slice();
    bad[17] += 1e-3;
    expect(() => expectClose(bad, expected, ...tol(7), 'forward')).toThrow(/first bad index 17/);
  });

  for (const form of FORMS) {
    for (const ws of ['zeroed', 'dirty'] as Ws[]) {
      it(`${form}, ws=${ws}: every m, k, n in {${SIZES.join(',')}}`, () => {
        // Full cross-product for m x n with k running through all sizes along each diagonal (and the same triples
        // with m and k swapped), so every value appears in every position and every (m, n) tile edge meets
        // several k.
        let seed = 100;
        SIZES.forEach((m, i) => {
          SIZES.forEach((n, j) => {
            const k = SIZES[(i + 3 * j) % SIZES.length];
            check(form, ws, m, k, n, ++seed);
            check(form, ws, k, m, n, ++seed);
          });
        });
      });
    }
    for (const ws of ['zeroed', 'dirty'] as Ws[]) {
      it.each(BIG)(`${form}, ws=${ws}: m=%i k=%i n=%i`, (m, k, n) => check(form, ws, m, k, n, m * 1000 + k + n));
    }
  }

  it('full cross-product of a smaller set (all 3 positions, all forms)', () => {
    const s = [1, 3, 4, 5, 8, 9, 17];
    let seed = 5000;
    for (const m of s)
      for (const k of s) for (const n of s) for (const form of FORMS) check(form, 'zeroed', m, k, n, seed++);
  });
});

describe('gemm semantics and special values', () => {
  it('backward_w accumulates into dw; forward and backward_x overwrite', () => {
    const [m, k, n] = [6, 10, 12];
    const { ins } = makeCase('backward_w', m, k, n, 77);
    const zero = runWasm('backward_w', 'zeroed', m, k, n, ins, new Float32Array(k * n));
    const pre = randArray(k * n, 78, -3, 3);
    const acc = runWasm('backward_w', 'zeroed', m, k, n, ins, pre);
    expectClose(
      acc,
      zero.map((v, i) => v + pre[i]),
      1e-6,
      1e-6,
      'dw = pre + xᵀ·dy',
    );
    for (const form of ['forward', 'backward_x'] as Form[]) {
      const c = makeCase(form, m, k, n, 79);
      const a = runWasm(form, 'zeroed', m, k, n, c.ins, new Float32Array(c.out0.length).fill(-7));
      const b = runWasm(form, 'zeroed', m, k, n, c.ins, new Float32Array(c.out0.length).fill(NaN));
      expectClose(a, b, 0, 0, `${form} ignores the old output`);
    }
  });

  it('zero inputs give exact zeros (and the bias alone)', () => {
    const [m, k, n] = [9, 17, 11];
    for (const ws of ['zeroed', 'dirty'] as Ws[]) {
      const b = randArray(n, 3);
      const y = runWasm(
        'forward+bias',
        ws,
        m,
        k,
        n,
        [new Float32Array(m * k), randArray(k * n, 4), b],
        new Float32Array(m * n).fill(NaN),
      );
      expectClose(
        y,
        new Float32Array(m * n).map((_, i) => b[i % n]),
        0,
        0,
        `forward zeros ws=${ws}`,
      );
      const dx = runWasm(
        'backward_x',
        ws,
        m,
        k,
        n,
        [new Float32Array(m * n), randArray(k * n, 5)],
        new Float32Array(m * k).fill(NaN),
      );
      expectClose(dx, new Float32Array(m * k), 0, 0, `backward_x zeros ws=${ws}`);
    }
  });

  // Sparse ±1e20 entries make some products overflow to ±Inf (1e40 > f32 max) and some outputs meet both signs
  // (NaN); sparse NaN inputs must poison exactly the outputs they reach. Finite partial sums stay far from
  // overflow, so the result does not depend on summation order and must match the twin exactly in kind.
  const special = (len: number, seed: number): Float32Array => {
    const r = rng(seed);
    const a = randArray(len, seed + 1);
    for (let i = 0; i < len; i++) {
      const u = r();
      if (u < 0.06) a[i] = 1e20;
      else if (u < 0.12) a[i] = -1e20;
      else if (u < 0.14) a[i] = NaN;
      else if (u < 0.2) a[i] = 0;
    }
    return a;
  };
  const shapes: [number, number, number][] = [
    [1, 37, 33],
    [4, 19, 8],
    [9, 31, 17],
    [33, 16, 5],
    [3, 9, 40],
    [12, 300, 20],
    [5, 260, 520],
    [7, 40, 1],
  ];
  for (const ws of ['zeroed', 'dirty'] as Ws[]) {
    it.each(shapes)(`Inf and NaN propagate like the twin, ws=${ws}: m=%i k=%i n=%i`, (m, k, n) => {
      for (const form of FORMS) {
        const { out0 } = makeCase(form, m, k, n, 1);
        const ins =
          form === 'backward_w'
            ? [special(m * k, 1), special(m * n, 2)]
            : form === 'backward_x'
              ? [special(m * n, 3), special(k * n, 4)]
              : [special(m * k, 5), special(k * n, 6), special(n, 7)].slice(0, form === 'forward' ? 2 : 3);
        const expected = runTwin(form, m, k, n, ins, out0);
        const actual = runWasm(form, ws, m, k, n, ins, out0);
        let infs = 0;
        let nans = 0;
        for (let i = 0; i < expected.length; i++) {
          const e = expected[i];
          const a = actual[i];
          if (Number.isNaN(e)) nans++;
          else if (!Number.isFinite(e)) infs++;
          if (!Number.isFinite(e) || !Number.isFinite(a)) {
            // Fused multiply-add does not round a product before adding it: an accumulator at +Inf plus a product
            // of -1e40 stays +Inf, where mul then add gives -Inf first and then NaN. So on the relaxed path a NaN of
            // the twin may be ±Inf; anything else (Inf, finite) must match in kind exactly.
            const fmaInf = relaxedRun && Number.isNaN(e) && !Number.isFinite(a);
            if (!Object.is(a, e) && !fmaInf)
              expect.fail(`${form} ${m}x${k}x${n} ws=${ws} [${i}]: got ${a}, expected ${e}`);
          }
        }
        expect(infs + nans, `${form}: the data must produce some Inf/NaN`).toBeGreaterThan(0);
        // Finite entries are sums of terms up to 1e20 that may cancel: tolerance relative to the terms.
        const finite = relaxedRun ? actual.map((a, i) => (Number.isNaN(expected[i]) ? NaN : a)) : actual;
        expectClose(finite, expected, 1e20 * 1e-6 * (m + k + n), 1e-5, `${form} ${m}x${k}x${n} ws=${ws} finite part`);
      }
    });
  }

  it('pointers that are only 4-byte aligned (operands, output and workspace) give the same results', () => {
    for (const [m, k, n] of [
      [9, 37, 19],
      [1, 33, 31],
      [6, 300, 450],
      [13, 17, 10],
    ] as [number, number, number][]) {
      for (const form of FORMS) {
        const { ins, out0 } = makeCase(form, m, k, n, 31);
        const expected = runTwin(form, m, k, n, ins, out0);
        for (const shift of [4, 8, 12]) {
          w.reset();
          const wsPtr = w.alloc(wsFull + 16) + shift;
          const place = (a: Float32Array): number => {
            const p = w.alloc(a.byteLength + 16) + shift;
            new Float32Array(w.memory.buffer, p, a.length).set(a);
            return p;
          };
          const pOut = place(out0);
          const p = ins.map(place);
          if (form === 'forward') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], 0, m, k, n);
          else if (form === 'forward+bias') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], p[2], m, k, n);
          else if (form === 'backward_w') w.k.gemm_backward_w(pOut, wsPtr, p[0], p[1], m, k, n);
          else w.k.gemm_backward_x(pOut, wsPtr, p[0], p[1], m, k, n);
          const [atol, rtol] = tol(k + m + n);
          expectClose(w.f32(pOut, out0.length), expected, atol, rtol, `${form} ${m}x${k}x${n} shifted by ${shift}`);
        }
      }
    }
  });

  it('workspace size is reported; the kernels write nothing outside their output and workspace', () => {
    expect(wsFull).toBeGreaterThanOrEqual(256 * 32 * 8);
    expect(wsFull % 16).toBe(0);
    for (const [m, k, n] of [
      [20, 40, 24],
      [3, 300, 7],
      [67, 257, 300],
    ] as [number, number, number][]) {
      for (const form of FORMS) {
        const { ins, out0 } = makeCase(form, m, k, n, 9);
        w.reset();
        // Sentinels around the workspace: a kernel that spilled beyond it would change them.
        const region = w.alloc(wsFull + 2 * GUARD * 4);
        new Float32Array(w.memory.buffer, region, wsFull / 4 + 2 * GUARD).fill(777.25);
        const wsPtr = region + GUARD * 4;
        const pOut = w.put(out0);
        const p = ins.map((a) => w.put(a));
        if (form === 'forward') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], 0, m, k, n);
        else if (form === 'forward+bias') w.k.gemm_forward(pOut, wsPtr, p[0], p[1], p[2], m, k, n);
        else if (form === 'backward_w') w.k.gemm_backward_w(pOut, wsPtr, p[0], p[1], m, k, n);
        else w.k.gemm_backward_x(pOut, wsPtr, p[0], p[1], m, k, n);
        const before = w.f32(region, GUARD);
        const after = w.f32(wsPtr + wsFull, GUARD);
        expect(
          [...before, ...after].every((v) => v === 777.25),
          `${form} ${m}x${k}x${n}: writes outside the workspace`,
        ).toBe(true);
      }
    }
  });
});

describe('gemm_backward_w_rows (how threads split the weight gradient)', () => {
  // Shapes through every path: rank-1 (m <= 4), GEMV (n = 1), packed tiles with k not a multiple of 4, k past the
  // 256 block, n past the 256 block.
  const shapes: [number, number, number][] = [
    [3, 13, 9],
    [9, 21, 1],
    [9, 21, 17],
    [37, 300, 24],
    [64, 130, 270],
    [5, 7, 8],
  ];
  it.each(shapes)(
    'm=%i k=%i n=%i: each row range matches its twin; ranges cut at multiples of 4 sum bit-identically to the whole call',
    (m, k, n) => {
      const x = randArray(m * k, 31),
        dy = randArray(m * n, 32),
        dw0 = randArray(k * n, 33, -3, 3);
      const whole = (() => {
        w.reset();
        const pdw = w.put(dw0),
          ws = w.alloc(wsFull);
        w.k.gemm_backward_w(pdw, ws, w.put(x), w.put(dy), m, k, n);
        return w.f32(pdw, k * n).slice();
      })();
      // Any range (also unaligned, empty, and partly outside [0, k)) against the twin.
      for (const [k0, kc] of [
        [0, k],
        [1, 3],
        [2, k - 2],
        [k - 1, 5],
        [-2, 4],
        [k, 3],
        [0, 0],
      ] as [number, number][]) {
        w.reset();
        const pdw = w.put(dw0),
          ws = w.alloc(wsFull);
        new Float32Array(w.memory.buffer, ws, wsFull / 4).fill(NaN);
        w.k.gemm_backward_w_rows(pdw, ws, w.put(x), w.put(dy), m, k, n, k0, kc);
        const expected = dw0.slice();
        gemm_backward_w_rows(expected, null, x, dy, m, k, n, k0, kc);
        const [atol, rtol] = tol(m);
        expectClose(w.f32(pdw, k * n), expected, atol, rtol, `rows [${k0}, ${k0 + kc}) of ${m}x${k}x${n}`);
      }
      // Parts at multiples of 4 (what the thread pool does), in any order: the same bits as the whole call.
      for (const step of [4, 8, 12]) {
        w.reset();
        const pdw = w.put(dw0),
          ws = w.alloc(wsFull),
          px = w.put(x),
          pdy = w.put(dy);
        const starts: number[] = [];
        for (let k0 = 0; k0 < k; k0 += step) starts.push(k0);
        for (const k0 of starts.reverse()) w.k.gemm_backward_w_rows(pdw, ws, px, pdy, m, k, n, k0, step);
        if (n !== 1) expect(w.f32(pdw, k * n)).toEqual(whole);
      }
    },
  );
});

describe('gemm_forward_cols (how threads split a wide forward GEMM)', () => {
  // Shapes through every path: GEMV (m < 4), one column, direct (k·n <= 128Ki, with k past the 256 block), packed
  // (n past the 256 block), n < 8 (packed, zero-padded), and n not a multiple of 8.
  const shapes: [number, number, number][] = [
    [3, 40, 50],
    [9, 21, 1],
    [13, 300, 100],
    [37, 260, 520],
    [8, 33, 7],
    [64, 784, 128],
    [5, 17, 43],
  ];
  it.each(shapes)(
    'm=%i k=%i n=%i: each column range matches its twin; parts at multiples of 8 are bit-identical to the whole call',
    (m, k, n) => {
      const x = randArray(m * k, 41),
        wt = randArray(k * n, 42),
        b = randArray(n, 43),
        y0 = randArray(m * n, 44, -3, 3);
      const run = (ranges: [number, number][], bias: boolean): Float32Array => {
        w.reset();
        const py = w.put(y0),
          ws = w.alloc(wsFull),
          px = w.put(x),
          pw = w.put(wt),
          pb = bias ? w.put(b) : 0;
        new Float32Array(w.memory.buffer, ws, wsFull / 4).fill(NaN);
        for (const [j0, nc] of ranges) w.k.gemm_forward_cols(py, ws, px, pw, pb, m, k, n, j0, nc);
        return w.f32(py, m * n).slice();
      };
      const whole = run([[0, n]], true);
      // Any range (also unaligned, narrower than 8, empty, and partly outside [0, n)) against the twin; the other
      // columns keep what they held.
      for (const [j0, nc] of [
        [0, n],
        [1, 3],
        [2, n - 2],
        [n - 1, 5],
        [-2, 4],
        [n, 3],
        [0, 0],
        [8, 5],
      ] as [number, number][]) {
        const expected = y0.slice();
        gemm_forward_cols(expected, null, x, wt, b, m, k, n, j0, nc);
        const [atol, rtol] = tol(k);
        expectClose(run([[j0, nc]], true), expected, atol, rtol, `columns [${j0}, ${j0 + nc}) of ${m}x${k}x${n}`);
      }
      // Parts at multiples of 8 of at least 8 columns (what the thread pool does), in any order: the same bits.
      if (m >= 4) {
        for (const step of [8, 16, 32]) {
          const ranges: [number, number][] = [];
          for (let j0 = 0; j0 < n; ) {
            const len = n - j0 < step + 8 ? n - j0 : step; // a last part of 8 or more columns
            ranges.push([j0, len]);
            j0 += len;
          }
          expect(run(ranges.reverse(), true)).toEqual(whole);
        }
      }
    },
  );
});
