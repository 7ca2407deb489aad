// Quantization kernels (assembly/quant) against their twins (src/reference/quant.ts): the int8 GEMM exactly on
// the integer accumulators over tile and block edges, the conversions bit for bit (ties, NaN, ±Inf, clamping),
// the twins themselves against independent definitions (a naive int GEMM, round-half-even, a nearest-f16 search),
// and f16 exhaustively over all 65,536 half values. No kernel here has a backward pass (fake quantization's
// gradient is the straight-through identity), so there is no finite-difference check.
import { beforeAll, describe, expect, it } from 'vitest';
import { edgeSizes, randArray, rng } from '../helpers/check.js';
import { loadRaw, type RawWasm } from '../helpers/wasm.js';
import * as ref from '../../src/reference/quant.js';

let w: RawWasm;
beforeAll(() => {
  w = loadRaw();
});

const GUARD = 16; // bytes of sentinel around every output
const SENT = 0x5a;

/** Output buffer of `bytes` with sentinels on both sides; check() fails if the kernel wrote outside it. */
function guarded(bytes: number, fill = 0xa5): { ptr: number; check: (what: string) => Uint8Array } {
  const p = w.alloc(bytes + 2 * GUARD);
  const all = new Uint8Array(w.memory.buffer, p, bytes + 2 * GUARD);
  all.fill(SENT);
  all.fill(fill, GUARD, GUARD + bytes);
  return {
    ptr: p + GUARD,
    check(what) {
      const v = new Uint8Array(w.memory.buffer, p, bytes + 2 * GUARD);
      for (let i = 0; i < GUARD; i++) {
        if (v[i] !== SENT || v[bytes + GUARD + i] !== SENT) expect.fail(`${what}: wrote outside its output`);
      }
      return v.slice(GUARD, GUARD + bytes);
    },
  };
}

function randI8(n: number, seed: number, lo = -128, hi = 127): Int8Array {
  const r = rng(seed);
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + Math.floor(r() * (hi - lo + 1));
  return a;
}

function randI32(n: number, seed: number, span: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * span));
}

/** Exact equality of two byte images, naming the first differing element of `size` bytes. */
function expectSameBytes(a: Uint8Array, e: Uint8Array, size: number, what: string): void {
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      const at = Math.floor(i / size);
      const show = (b: Uint8Array): string =>
        size === 4 ? String(new DataView(b.buffer, b.byteOffset + at * 4, 4).getInt32(0, true)) : String(b[i]);
      expect.fail(`${what}: first difference at element ${at}: wasm ${show(a)}, twin ${show(e)}`);
    }
  }
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Runs q8_pack_b + q8_gemm in wasm; returns c. */
function wasmGemm(a: Int8Array, b: Int8Array, m: number, k: number, n: number): Int32Array {
  w.reset();
  const size = w.k.q8_packed_size(k, n);
  const pa = w.put(a);
  const pb = w.put(b);
  const bp = guarded(size);
  w.k.q8_pack_b(bp.ptr, pb, k, n);
  const packed = bp.check(`pack ${k}x${n}`);
  const refPacked = new Int8Array(ref.q8_packed_size(k, n));
  ref.q8_pack_b(refPacked, b, k, n);
  expectSameBytes(packed, bytesOf(refPacked), 1, `q8_pack_b ${k}x${n}`);
  const c = guarded(m * n * 4);
  w.k.q8_gemm(c.ptr, w.alloc(w.k.gemm_workspace_size()), pa, bp.ptr, m, k, n);
  const out = c.check(`q8_gemm ${m}x${k}x${n}`);
  return new Int32Array(out.buffer, out.byteOffset, m * n);
}

function naiveGemm(a: Int8Array, b: Int8Array, m: number, k: number, n: number): Int32Array {
  const c = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

describe('q8_gemm (exact on the i32 accumulators)', () => {
  const MS = edgeSizes(4); // 1, 3, 4, 5, 11, 37
  const NS = edgeSizes(8); // 1, 7, 8, 9, 19, 37
  const KS = [1, 2, 3, 15, 16, 17, 33];

  it('the twin equals a naive int GEMM on the unpacked matrices', () => {
    for (const [m, k, n] of [
      [3, 17, 9],
      [5, 1, 1],
      [4, 32, 8],
      [7, 255, 19],
    ]) {
      const a = randI8(m * k, m + k);
      const b = randI8(k * n, n + k);
      const bp = new Int8Array(ref.q8_packed_size(k, n));
      ref.q8_pack_b(bp, b, k, n);
      const c = new Int32Array(m * n);
      ref.q8_gemm(c, null, a, bp, m, k, n);
      expect(Array.from(c)).toEqual(Array.from(naiveGemm(a, b, m, k, n)));
    }
  });

  it('wasm equals the twin over tile edges of m, n and odd/even k', () => {
    let seed = 1;
    for (const m of MS) {
      for (const n of NS) {
        for (const k of KS) {
          const a = randI8(m * k, seed++);
          const b = randI8(k * n, seed++);
          const bp = new Int8Array(ref.q8_packed_size(k, n));
          ref.q8_pack_b(bp, b, k, n);
          const e = new Int32Array(m * n);
          ref.q8_gemm(e, null, a, bp, m, k, n);
          expectSameBytes(bytesOf(wasmGemm(a, b, m, k, n)), bytesOf(e), 4, `q8_gemm ${m}x${k}x${n}`);
        }
      }
    }
  });

  it('wasm equals the twin across the k-block (256) and on MLP shapes', () => {
    const shapes: [number, number, number][] = [
      [5, 255, 9],
      [4, 256, 8],
      [6, 257, 17],
      [9, 511, 3],
      [8, 513, 24],
      [4, 1030, 16],
      [64, 784, 128],
      [13, 128, 10],
      [256, 784, 10],
    ];
    let seed = 100;
    for (const [m, k, n] of shapes) {
      const a = randI8(m * k, seed++);
      const b = randI8(k * n, seed++);
      expectSameBytes(bytesOf(wasmGemm(a, b, m, k, n)), bytesOf(naiveGemm(a, b, m, k, n)), 4, `q8_gemm ${m}x${k}x${n}`);
    }
  });

  it('batches of 1 to 3 rows (the row-at-a-time path) over 32-column groups and their edges', () => {
    let seed = 500;
    for (const m of [1, 2, 3]) {
      for (const n of [25, 29, 32, 33, 64, 70]) {
        for (const k of [1, 2, 7, 64, 257, 1030]) {
          const a = randI8(m * k, seed++);
          const b = randI8(k * n, seed++);
          expectSameBytes(
            bytesOf(wasmGemm(a, b, m, k, n)),
            bytesOf(naiveGemm(a, b, m, k, n)),
            4,
            `q8_gemm ${m}x${k}x${n}`,
          );
        }
      }
    }
  });

  it('extreme values: all −128 and all 127 over a long k (no i16 overflow; i32 sums up to 2^24 and beyond)', () => {
    for (const [va, vb] of [
      [-128, -128],
      [127, -128],
      [127, 127],
    ]) {
      for (const m of [1, 5]) {
        const k = 1201,
          n = 11;
        const a = new Int8Array(m * k).fill(va);
        const b = new Int8Array(k * n).fill(vb);
        const c = wasmGemm(a, b, m, k, n);
        expect(c.every((v) => v === va * vb * k)).toBe(true);
      }
    }
  });

  it('m or n of 0 writes nothing; k of 0 gives zeros', () => {
    w.reset();
    const bp = w.alloc(64);
    const c = guarded(64, 0x11);
    w.k.q8_gemm(c.ptr, w.alloc(w.k.gemm_workspace_size()), w.alloc(16), bp, 0, 3, 4);
    w.k.q8_gemm(c.ptr, w.alloc(w.k.gemm_workspace_size()), w.alloc(16), bp, 4, 3, 0);
    expect(Array.from(c.check('empty')).every((v) => v === 0x11)).toBe(true);
    const z = guarded(3 * 5 * 4, 0x11);
    w.k.q8_gemm(z.ptr, w.alloc(w.k.gemm_workspace_size()), w.alloc(16), bp, 3, 0, 5);
    expect(Array.from(z.check('k=0')).every((v) => v === 0)).toBe(true);
  });
});

/** x with special values sprinkled in at fixed places. */
function withSpecials(n: number, seed: number, specials: number[], lo = -2, hi = 2): Float32Array {
  const x = randArray(n, seed, lo, hi);
  for (let i = 0; i < specials.length && i * 7 < n; i++) x[(i * 7 + seed) % n] = specials[i];
  return x;
}

const SIZES = [1, 3, 4, 5, 15, 16, 17, 31, 33, 100];
const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38, 0.5, -0.5, 1.5, 2.5, -2.5];

describe('q8_absmax', () => {
  it.each(SIZES)('wasm = twin, NaN ignored, n=%i', (n) => {
    for (const sp of [[], [NaN], [NaN, -7], [-Infinity], [1e-40, -0]]) {
      const x = withSpecials(n, n, sp);
      w.reset();
      const got = w.k.q8_absmax(w.put(x), n);
      const e = ref.q8_absmax(x, n);
      expect(got).toBe(e);
      let m = 0;
      for (const v of x) if (Math.abs(v) > m) m = Math.abs(v);
      expect(e).toBe(m);
    }
  });

  it('is 0 for an empty or all-NaN input', () => {
    w.reset();
    expect(w.k.q8_absmax(w.alloc(16), 0)).toBe(0);
    const nan = new Float32Array(9).fill(NaN);
    expect(w.k.q8_absmax(w.put(nan), 9)).toBe(0);
    expect(ref.q8_absmax(nan, 9)).toBe(0);
  });
});

/** Round half to even, independent of the magic-number trick. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

describe('q8_quantize', () => {
  it.each(SIZES)('wasm = twin bit for bit, with ties, NaN, ±Inf and clamping, n=%i', (n) => {
    for (const inv of [127, 1, 0.37, 1e30, 0]) {
      const x = withSpecials(n, n + 3, SPECIALS);
      w.reset();
      const px = w.put(x);
      const q = guarded(n);
      w.k.q8_quantize(q.ptr, px, n, inv);
      const e = new Int8Array(n);
      ref.q8_quantize(e, x, n, inv);
      expectSameBytes(q.check(`quantize n=${n}`), bytesOf(e), 1, `q8_quantize n=${n} inv=${inv}`);
    }
  });

  it('the twin rounds half to even, clamps to ±127 and maps NaN to 0', () => {
    const x = Float32Array.from([
      0.5,
      1.5,
      2.5,
      -0.5,
      -1.5,
      -2.5,
      126.5,
      127.5,
      300,
      -300,
      NaN,
      Infinity,
      -Infinity,
      0.49,
      -0,
    ]);
    const q = new Int8Array(x.length);
    ref.q8_quantize(q, x, x.length, 1);
    expect(Array.from(q)).toEqual([0, 2, 2, 0, -2, -2, 126, 127, 127, -127, 0, 127, -127, 0, 0]);
    const r = randArray(1000, 9, -200, 200);
    const q2 = new Int8Array(1000);
    ref.q8_quantize(q2, r, 1000, 0.7);
    const want = Array.from(r, (v) => Math.max(-127, Math.min(127, roundEven(Math.fround(v * Math.fround(0.7))))) + 0);
    expect(Array.from(q2)).toEqual(want);
  });
});

describe('q8_dequantize / q8_requantize', () => {
  const SHAPES: [number, number][] = [
    [1, 1],
    [1, 3],
    [2, 4],
    [3, 5],
    [4, 16],
    [3, 17],
    [5, 33],
    [7, 130],
  ];

  it.each(SHAPES)('dequantize wasm = twin bit for bit, every bias/relu combination, %i x %i', (m, n) => {
    const acc = randI32(m * n, m * n, 40000);
    acc[0] = 2 ** 31 - 1; // large accumulators round in the i32 → f32 conversion, identically
    if (acc.length > 1) acc[1] = -(2 ** 31);
    const bq = randI32(n, n, 3000);
    const scale = randArray(n, n + 1, 1e-5, 1e-2);
    const bf = randArray(n, n + 2, -1, 1);
    for (const useBq of [false, true]) {
      for (const useBf of [false, true]) {
        for (const relu of [0, 1]) {
          const s = 0.37;
          w.reset();
          const [pa, pq, ps, pf] = [w.put(acc), w.put(bq), w.put(scale), w.put(bf)];
          const y = guarded(m * n * 4);
          w.k.q8_dequantize(y.ptr, pa, useBq ? pq : 0, ps, useBf ? pf : 0, m, n, s, relu);
          const e = new Float32Array(m * n);
          ref.q8_dequantize(e, acc, useBq ? bq : null, scale, useBf ? bf : null, m, n, s, relu);
          expectSameBytes(
            y.check('dequantize'),
            bytesOf(e),
            4,
            `q8_dequantize ${m}x${n} bq=${useBq} bf=${useBf} relu=${relu}`,
          );
          if (relu) expect(e.every((v) => v >= 0)).toBe(true);
        }
      }
    }
  });

  it.each(SHAPES)('requantize wasm = twin bit for bit, with and without bias and relu, %i x %i', (m, n) => {
    const acc = randI32(m * n, m + n, 60000);
    const bq = randI32(n, n + 5, 2000);
    const mult = randArray(n, n + 6, 1e-4, 5e-3);
    for (const useBq of [false, true]) {
      for (const relu of [0, 1]) {
        w.reset();
        const [pa, pq, pm] = [w.put(acc), w.put(bq), w.put(mult)];
        const q = guarded(m * n);
        w.k.q8_requantize(q.ptr, pa, useBq ? pq : 0, pm, m, n, relu);
        const e = new Int8Array(m * n);
        ref.q8_requantize(e, acc, useBq ? bq : null, mult, m, n, relu);
        expectSameBytes(q.check('requantize'), bytesOf(e), 1, `q8_requantize ${m}x${n} bq=${useBq} relu=${relu}`);
        expect(e.every((v) => v >= (relu ? 0 : -127) && v <= 127)).toBe(true);
      }
    }
  });

  it('requantize = quantize(dequantize) on the same scale (one rounding, same result)', () => {
    const m = 6,
      n = 21;
    const acc = randI32(m * n, 77, 50000);
    const mult = new Float32Array(n).fill(Math.fround(1 / 512));
    const q = new Int8Array(m * n);
    ref.q8_requantize(q, acc, null, mult, m, n, 1);
    for (let i = 0; i < m * n; i++) expect(q[i]).toBe(Math.min(127, Math.max(0, roundEven(acc[i] / 512))));
  });
});

describe('q8_quantize_weights / q8_fake_quant (per-column symmetric)', () => {
  const SHAPES: [number, number][] = [
    [1, 1],
    [3, 1],
    [1, 5],
    [7, 4],
    [5, 9],
    [16, 17],
    [33, 3],
    [784, 10],
  ];

  it.each(SHAPES)('wasm = twin bit for bit (q and scales), %i x %i, int8 and 4-bit', (k, n) => {
    const x = withSpecials(k * n, k + n, [0, -0, 1e-40, 0.5], -0.3, 0.3);
    if (n > 1) for (let r = 0; r < k; r++) x[r * n + 1] = 0; // a zero column
    for (const qmax of [127, 7]) {
      w.reset();
      const px = w.put(x);
      const q = guarded(k * n);
      const s = guarded(n * 4);
      w.k.q8_quantize_weights(q.ptr, s.ptr, px, k, n, qmax);
      const eq = new Int8Array(k * n);
      const es = new Float32Array(n);
      ref.q8_quantize_weights(eq, es, x, k, n, qmax);
      expectSameBytes(q.check('q'), bytesOf(eq), 1, `q8_quantize_weights q ${k}x${n} qmax=${qmax}`);
      expectSameBytes(s.check('scale'), bytesOf(es), 4, `q8_quantize_weights scale ${k}x${n}`);
      // Each column reaches ±qmax at its max-abs entry and stays within it; a zero column is all 0.
      for (let j = 0; j < n; j++) {
        let mx = 0;
        for (let r = 0; r < k; r++) mx = Math.max(mx, Math.abs(eq[r * n + j]));
        expect(mx).toBe(es[j] > 0 ? qmax : 0);
      }
      // fake quant: same q and scales, dequantized; in place gives the same.
      const y = guarded(k * n * 4);
      const s2 = guarded(n * 4);
      w.k.q8_fake_quant(y.ptr, s2.ptr, px, k, n, qmax);
      const ey = new Float32Array(k * n);
      const es2 = new Float32Array(n);
      ref.q8_fake_quant(ey, es2, x, k, n, qmax);
      expectSameBytes(y.check('fake'), bytesOf(ey), 4, `q8_fake_quant ${k}x${n}`);
      expectSameBytes(s2.check('fake scale'), bytesOf(es), 4, `q8_fake_quant scale ${k}x${n}`);
      w.k.q8_fake_quant(px, s2.ptr, px, k, n, qmax);
      expectSameBytes(bytesOf(w.f32(px, k * n)), bytesOf(ey), 4, `q8_fake_quant in place ${k}x${n}`);
      for (let i = 0; i < k * n; i++) {
        const j = i % n;
        if (Math.abs(ey[i] - Math.fround(eq[i] * es[j])) > Math.abs(ey[i]) * 2 ** -23)
          expect.fail(`fake quant ${i}: ${ey[i]} is not q·scale`);
        if (Math.abs(ey[i] - x[i]) > es[j] * 0.5 * (1 + 1e-6) + 1e-45)
          expect.fail(`fake quant ${i}: ${ey[i]} is more than scale/2 from ${x[i]}`);
      }
    }
  });
});

// ---- f16 ----

/** All 65,536 half values decoded independently (sign · 2^e · 1.m, subnormals 2^-24 · m). */
function decodeHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Nearest half (ties to even mantissa) by search over the positive finite halves, independent of the kernel. */
const POS = Array.from({ length: 0x7c00 }, (_, h) => decodeHalf(h)); // 0 … 65504
function nearestHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to Inf
  let lo = 0,
    hi = POS.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (POS[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - POS[lo],
    dh = POS[hi] - a;
  const pick = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
  return sign | pick;
}

describe('f16 ⇄ f32', () => {
  it('f16_to_f32 is exact for all 65,536 halves, wasm = twin bit for bit', () => {
    const h = Uint16Array.from({ length: 65536 }, (_, i) => i);
    w.reset();
    const ph = w.put(h);
    const x = guarded(65536 * 4);
    w.k.f16_to_f32(x.ptr, ph, 65536);
    const got = x.check('f16_to_f32');
    const e = new Float32Array(65536);
    ref.f16_to_f32(e, h, 65536);
    expectSameBytes(got, bytesOf(e), 4, 'f16_to_f32');
    for (let i = 0; i < 65536; i++) {
      const d = decodeHalf(i);
      const ok = Number.isNaN(d) ? Number.isNaN(e[i]) : Object.is(e[i], d);
      if (!ok) expect.fail(`half 0x${i.toString(16)}: ${e[i]}, expected ${d}`);
    }
  });

  it('f32 → f16 → f32 is the identity on every half (NaN → quiet NaN 0x7e00 with its sign)', () => {
    const h = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const x = new Float32Array(65536);
    ref.f16_to_f32(x, h, 65536);
    w.reset();
    const px = w.put(x);
    const out = guarded(65536 * 2);
    w.k.f16_from_f32(out.ptr, px, 65536);
    const back = new Uint16Array(out.check('f16_from_f32').buffer.slice(0));
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      const want = nan ? (i & 0x8000) | 0x7e00 : i;
      if (back[i] !== want) expect.fail(`0x${i.toString(16)} came back as 0x${back[i].toString(16)}`);
    }
  });

  it('f32 → f16 rounds to the nearest half, ties to even, overflow to Inf (wasm = twin = nearest-search)', () => {
    const vals: number[] = [
      0,
      -0,
      1,
      -1,
      65504,
      65519.99,
      65520,
      65536,
      1e10,
      -1e10,
      3.4e38,
      Infinity,
      -Infinity,
      NaN,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.0001,
      3 * 2 ** -25,
      2 ** -14,
      2 ** -14 - 2 ** -25,
      2 ** -14 - 2 ** -24 * 0.25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      1 + 2 ** -11 + 2 ** -20,
      2048 + 1,
      2048 + 3,
      1e-40,
      6e-8,
      5.96e-8,
      2.98e-8,
    ];
    const r = rng(5);
    for (let i = 0; i < 4000; i++) {
      const e = Math.floor(r() * 40) - 28;
      vals.push((r() < 0.5 ? -1 : 1) * (1 + r()) * 2 ** e);
    }
    // Exact ties in the normal range: halfway between neighbours (an odd multiple of half an ulp).
    for (let i = 0; i < 500; i++) {
      const m = 1024 + Math.floor(r() * 1024);
      const e = Math.floor(r() * 20) - 10;
      vals.push((m + 0.5) * 2 ** (e - 10));
    }
    const x = Float32Array.from(vals);
    const n = x.length;
    w.reset();
    const px = w.put(x);
    const out = guarded(n * 2);
    w.k.f16_from_f32(out.ptr, px, n);
    const got = new Uint16Array(out.check('f16_from_f32').buffer.slice(0));
    const e = new Uint16Array(n);
    ref.f16_from_f32(e, x, n);
    for (let i = 0; i < n; i++) {
      if (got[i] !== e[i]) expect.fail(`wasm 0x${got[i].toString(16)} vs twin 0x${e[i].toString(16)} at ${x[i]}`);
      const want = nearestHalf(x[i]);
      if (e[i] !== want) expect.fail(`twin 0x${e[i].toString(16)} vs nearest 0x${want.toString(16)} at ${x[i]}`);
    }
  });

  it('wasm = twin on 100,000 random bit patterns (every exponent, NaN payloads) and every tail length', () => {
    const n = 100_003;
    const u = new Uint32Array(n);
    const r = rng(11);
    for (let i = 0; i < n; i++) u[i] = (r() * 2 ** 32) >>> 0;
    const x = new Float32Array(u.buffer);
    w.reset();
    const px = w.put(x);
    for (const len of [n, 1, 7, 8, 9, 15]) {
      const out = guarded(len * 2);
      w.k.f16_from_f32(out.ptr, px, len);
      const e = new Uint16Array(len);
      ref.f16_from_f32(e, x, len);
      expectSameBytes(out.check('f16_from_f32'), bytesOf(e), 2, `f16_from_f32 n=${len}`);
    }
  });
});
