// Conv kernels (assembly/conv): wasm against the twins (src/reference/conv.ts) over NHWC shapes that sweep the
// SIMD channel split (c = 1..17), kernels 1, 2, 3, 5, strides 1..3, 'valid' and 'same' padding (and lopsided
// pads), maps of 1 and prime sizes, batches 1..3; special values, ties and negative-only maps for max pooling;
// writes outside the outputs; in-place use; and conv forward as im2col + gemm_forward against a naive f64 conv.
import { describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { compareBoth, runBoth, wasm } from '../helpers/elem-kernels.js';
import { loadRaw } from '../helpers/wasm.js';
import * as ref from '../../src/reference/conv.js';
import type { KernelName } from '../../src/runtime/abi.js';
import { jsKernels } from '../../src/runtime/backend-js.js';

const CS = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17];
const KS = [1, 2, 3, 5];
const STRIDES = [1, 2, 3];
const HW = [1, 2, 5, 7, 11, 13];

/** Window geometry as the host computes it: 'valid' or Keras 'same' (extra padding at the bottom / right). */
interface Geo {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
  oh: number;
  ow: number;
}
function geo(
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  pad: 'valid' | 'same' | [number, number, number, number],
): Geo {
  if (pad === 'valid') {
    const oh = Math.max(0, Math.floor((h - kh) / sh) + 1),
      ow = Math.max(0, Math.floor((w - kw) / sw) + 1);
    return { n, h, w, c, kh, kw, sh, sw, padT: 0, padL: 0, oh, ow };
  }
  if (pad === 'same') {
    const oh = Math.ceil(h / sh),
      ow = Math.ceil(w / sw);
    const ph = Math.max((oh - 1) * sh + kh - h, 0),
      pw = Math.max((ow - 1) * sw + kw - w, 0);
    return { n, h, w, c, kh, kw, sh, sw, padT: ph >> 1, padL: pw >> 1, oh, ow };
  }
  // Explicit pads [top, left, bottom, right].
  const [t, l, b, r] = pad;
  const oh = Math.floor((h + t + b - kh) / sh) + 1,
    ow = Math.floor((w + l + r - kw) / sw) + 1;
  return { n, h, w, c, kh, kw, sh, sw, padT: t, padL: l, oh, ow };
}
const geoArgs = (g: Geo): number[] => [g.n, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.padT, g.padL, g.oh, g.ow];
const label = (g: Geo): string =>
  `n${g.n} ${g.h}x${g.w}x${g.c} k${g.kh}x${g.kw} s${g.sh},${g.sw} pad${g.padT},${g.padL} -> ${g.oh}x${g.ow}`;
const inSize = (g: Geo): number => g.n * g.h * g.w * g.c;
const outSize = (g: Geo): number => g.n * g.oh * g.ow * g.c;
const colSize = (g: Geo): number => g.n * g.oh * g.ow * g.kh * g.kw * g.c;

/**
 * The sweep: every c with every kernel size, stride and padding mode; map sizes, batch and a second kernel
 * dimension cycle through their lists so each value meets many others; plus non-square and lopsided cases.
 */
function sweep(): Geo[] {
  const out: Geo[] = [];
  let i = 0;
  for (const c of CS) {
    for (const k of KS) {
      for (const s of STRIDES) {
        for (const pad of ['valid', 'same'] as const) {
          i++;
          const h = HW[i % HW.length],
            w = HW[(3 * i + 1) % HW.length];
          const kw = KS[(i + 1) % KS.length];
          const n = 1 + (i % 3);
          // 'valid' needs the kernel inside the map: grow the map when it is smaller.
          const g = geo(
            n,
            pad === 'valid' ? Math.max(h, k) : h,
            pad === 'valid' ? Math.max(w, kw) : w,
            c,
            k,
            kw,
            s,
            STRIDES[(i + 1) % 3],
            pad,
          );
          out.push(g);
        }
      }
    }
  }
  // Lopsided explicit pads, kernels larger than the map, 1-pixel maps, LeNet shapes.
  out.push(
    geo(2, 5, 7, 3, 3, 3, 1, 1, [2, 0, 0, 2]),
    geo(1, 4, 4, 4, 5, 5, 1, 1, [4, 4, 4, 4]),
    geo(3, 1, 1, 5, 3, 3, 1, 1, 'same'),
    geo(1, 1, 13, 8, 1, 5, 1, 2, 'same'),
    geo(2, 28, 28, 1, 5, 5, 1, 1, 'valid'),
    geo(2, 12, 12, 8, 5, 5, 1, 1, 'valid'),
    geo(1, 9, 9, 16, 3, 3, 2, 2, [0, 1, 1, 0]),
  );
  return out;
}
const SHAPES = sweep();

/**
 * Runs `name` in wasm with output argument `out` (index into args) surrounded by sentinels, and fails if the
 * kernel wrote outside it.
 */
function expectNoStray(
  name: KernelName,
  args: (Float32Array | Int32Array | number)[],
  out: number,
  what: string,
): void {
  const w = wasm();
  w.reset();
  const G = 16,
    S = 12345.5;
  const ptrs = args.map((a, i) => {
    if (typeof a === 'number') return a;
    if (i !== out) return w.put(a);
    const padded = new Float32Array(a.length + 2 * G).fill(S);
    return w.put(padded) + 4 * G;
  });
  (w.k as unknown as Record<string, (...a: number[]) => void>)[name](...ptrs);
  const all = w.f32(ptrs[out] - 4 * G, (args[out] as Float32Array).length + 2 * G);
  for (let i = 0; i < G; i++) {
    if (all[i] !== S || all[all.length - 1 - i] !== S) expect.fail(`${name} ${what}: wrote outside its output`);
  }
}

describe('im2col_nhwc / col2im_nhwc wasm vs twin (exact)', () => {
  it('the check can fail: a wrong stride is reported with its first bad index', () => {
    const g = geo(1, 7, 7, 3, 3, 3, 2, 2, 'valid');
    const x = randArray(inSize(g), 1);
    const good = new Float32Array(colSize(g)),
      bad = new Float32Array(colSize(g));
    ref.im2col_nhwc(
      good,
      x,
      ...(geoArgs(g) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ]),
    );
    ref.im2col_nhwc(bad, x, g.n, g.h, g.w, g.c, g.kh, g.kw, 1, 1, 0, 0, g.oh, g.ow);
    expect(() => expectClose(bad, good, 0, 0, 'im2col')).toThrow(/first bad index \d+/);
  });

  it.each(SHAPES.map((g) => [label(g), g] as const))('%s', (_l, g) => {
    const x = randArray(inSize(g), g.c * 7 + g.h);
    const cols0 = new Float32Array(colSize(g)).fill(NaN); // every entry must be written
    compareBoth('im2col_nhwc', [cols0, x, ...geoArgs(g)], 0, 0, label(g));
    const dcols = randArray(colSize(g), g.c * 11 + g.w);
    const dx0 = new Float32Array(inSize(g)).fill(NaN); // overwritten, not accumulated
    compareBoth('col2im_nhwc', [dx0, dcols, ...geoArgs(g)], 0, 0, label(g));
  });

  it('write nothing outside cols / dx', () => {
    for (const g of SHAPES.filter((_, i) => i % 5 === 0)) {
      expectNoStray('im2col_nhwc', [new Float32Array(colSize(g)), randArray(inSize(g), 3), ...geoArgs(g)], 0, label(g));
      expectNoStray('col2im_nhwc', [new Float32Array(inSize(g)), randArray(colSize(g), 4), ...geoArgs(g)], 0, label(g));
    }
  });

  it('copies special values bit for bit (−0, NaN, ±Inf, subnormals)', () => {
    const g = geo(2, 5, 6, 4, 3, 3, 1, 1, 'same');
    const specials = [0, -0, NaN, Infinity, -Infinity, 1e-40, -3.4e38];
    const x = Float32Array.from({ length: inSize(g) }, (_, i) => specials[i % specials.length]);
    const r = runBoth('im2col_nhwc', [new Float32Array(colSize(g)), x, ...geoArgs(g)]);
    const a = new Uint32Array((r.wasm[0] as Float32Array).buffer),
      e = new Uint32Array((r.ref[0] as Float32Array).buffer);
    expect(a.findIndex((v, i) => v !== e[i])).toBe(-1);
  });

  it('conv forward = im2col + gemm_forward with the HWIO kernel, against a naive f64 conv', () => {
    for (const g of [
      geo(2, 7, 6, 3, 3, 3, 1, 2, 'same'),
      geo(1, 28, 28, 1, 5, 5, 1, 1, 'valid'),
      geo(3, 9, 5, 8, 2, 3, 2, 1, 'valid'),
      geo(1, 6, 6, 5, 5, 5, 3, 3, 'same'),
    ]) {
      const f = 7,
        K = g.kh * g.kw * g.c,
        M = g.n * g.oh * g.ow;
      const x = randArray(inSize(g), 5),
        wt = randArray(K * f, 6),
        bias = randArray(f, 7);
      const w = wasm();
      w.reset();
      const px = w.put(x),
        pw = w.put(wt),
        pb = w.put(bias),
        pc = w.alloc(4 * M * K),
        py = w.alloc(4 * M * f);
      w.k.im2col_nhwc(
        pc,
        px,
        ...(geoArgs(g) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ]),
      );
      w.k.gemm_forward(py, w.alloc(w.k.gemm_workspace_size()), pc, pw, pb, M, K, f);
      const y = w.f32(py, M * f);
      const e = new Float64Array(M * f);
      for (let b = 0; b < g.n; b++)
        for (let oy = 0; oy < g.oh; oy++)
          for (let ox = 0; ox < g.ow; ox++) {
            for (let fo = 0; fo < f; fo++) {
              let s = bias[fo];
              for (let ky = 0; ky < g.kh; ky++)
                for (let kx = 0; kx < g.kw; kx++)
                  for (let ci = 0; ci < g.c; ci++) {
                    const iy = oy * g.sh - g.padT + ky,
                      ix = ox * g.sw - g.padL + kx;
                    if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                    s += x[((b * g.h + iy) * g.w + ix) * g.c + ci] * wt[((ky * g.kw + kx) * g.c + ci) * f + fo];
                  }
              e[((b * g.oh + oy) * g.ow + ox) * f + fo] = s;
            }
          }
      expectClose(y, e, 1e-6 * K, 1e-5, `conv ${label(g)}`);
    }
  });
});

describe('im2col_nhwc_i8 (int8 patches, any c) wasm vs twin (exact)', () => {
  /** Every byte value, spread over the map. */
  const bytes = (n: number, seed: number): Int8Array => {
    const r = rng(seed);
    return Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
  };
  const ga = (g: Geo) =>
    geoArgs(g) as [number, number, number, number, number, number, number, number, number, number, number, number];
  /** The wasm call with sentinel bytes around cols; returns cols and fails on a write outside. */
  const runI8 = (g: Geo, x: Int8Array): Int8Array => {
    const w = wasm();
    w.reset();
    const G = 32,
      n = colSize(g);
    const pc = w.put(new Int8Array(n + 2 * G).fill(0x5a)) + G;
    w.k.im2col_nhwc_i8(pc, w.put(x), ...ga(g));
    const all = new Int8Array(w.memory.buffer, pc - G, n + 2 * G).slice();
    for (let i = 0; i < G; i++) {
      if (all[i] !== 0x5a || all[all.length - 1 - i] !== 0x5a)
        expect.fail(`im2col_nhwc_i8 ${label(g)}: wrote outside cols`);
    }
    return all.subarray(G, G + n);
  };

  it.each(SHAPES.map((g) => [label(g), g] as const))('%s', (_l, g) => {
    const x = bytes(inSize(g), g.c * 7 + g.h);
    const e = new Int8Array(colSize(g)).fill(99);
    ref.im2col_nhwc_i8(e, x, ...ga(g));
    const a = runI8(g, x);
    expect(
      a.findIndex((v, i) => v !== e[i]),
      label(g),
    ).toBe(-1);
  });

  it('runs of every length 1..40 bytes (kw·c), clipped or not', () => {
    for (const c of [1, 2, 3, 5, 6, 7, 8, 10, 13]) {
      for (const kw of [1, 2, 3, 5]) {
        for (const pad of ['valid', 'same'] as const) {
          const g = geo(2, 5, 9, c, 3, kw, 1, 2, pad);
          const x = bytes(inSize(g), c + kw);
          const e = new Int8Array(colSize(g));
          ref.im2col_nhwc_i8(e, x, ...ga(g));
          expect(
            runI8(g, x).findIndex((v, i) => v !== e[i]),
            label(g),
          ).toBe(-1);
        }
      }
    }
  });

  it('the js backend adapter reads and writes the same bytes', () => {
    const g = geo(2, 6, 7, 3, 3, 5, 1, 2, 'same');
    const x = bytes(inSize(g), 9);
    const mem = new WebAssembly.Memory({ initial: 1 });
    new Int8Array(mem.buffer, 64, x.length).set(x);
    const pc = 64 + ((x.length + 15) & ~15);
    jsKernels(mem).im2col_nhwc_i8(pc, 64, ...ga(g));
    const a = new Int8Array(mem.buffer, pc, colSize(g));
    expect(a.findIndex((v, i) => v !== runI8(g, x)[i])).toBe(-1);
  });

  it('c % 4 == 0: the same bytes as im2col_nhwc on c / 4 32-bit elements', () => {
    const g = geo(2, 7, 6, 8, 3, 3, 2, 1, 'same');
    const x = bytes(inSize(g), 5);
    const w = wasm();
    w.reset();
    const pc = w.alloc(colSize(g));
    w.k.im2col_nhwc(pc, w.put(x), g.n, g.h, g.w, g.c / 4, g.kh, g.kw, g.sh, g.sw, g.padT, g.padL, g.oh, g.ow);
    const e = new Int8Array(w.memory.buffer, pc, colSize(g)).slice();
    expect(runI8(g, x).findIndex((v, i) => v !== e[i])).toBe(-1);
  });
});

describe('direct conv (conv2d_forward_nhwc, conv2d_backward_w_nhwc) wasm vs twin and vs im2col + GEMM', () => {
  const FS = [1, 3, 7, 8, 9, 16, 17];
  it.each(SHAPES.map((g, j) => [label(g), g, FS[j % FS.length]] as const))('%s f=%i', (_l, g, f) => {
    const K = g.kh * g.kw * g.c,
      M = g.n * g.oh * g.ow;
    const x = randArray(inSize(g), g.c * 3 + g.w),
      wk = randArray(K * f, f + 1),
      bias = randArray(f, f + 2);
    const tol: [number, number] = [1e-6 * K, 1e-5];
    const y0 = new Float32Array(M * f).fill(NaN);
    const r = compareBoth('conv2d_forward_nhwc', [y0, x, wk, bias, ...geoArgs(g), f], ...tol, label(g));
    compareBoth('conv2d_forward_nhwc', [y0, x, wk, 0, ...geoArgs(g), f], ...tol, `${label(g)} no bias`);
    if (M === 0) return;
    // The same product as the host's im2col + gemm_forward (bit for bit where both sum in the same order).
    const w = wasm();
    w.reset();
    const pc = w.alloc(4 * M * K),
      py = w.alloc(4 * M * f);
    w.k.im2col_nhwc(
      pc,
      w.put(x),
      ...(geoArgs(g) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ]),
    );
    w.k.gemm_forward(py, w.alloc(w.k.gemm_workspace_size()), pc, w.put(wk), w.put(bias), M, K, f);
    expectClose(r.wasm[0] as Float32Array, w.f32(py, M * f), ...tol, `${label(g)} vs im2col + gemm`);
  });

  it.each(SHAPES.map((g, j) => [label(g), g, FS[(j + 3) % FS.length]] as const))('backward_w %s f=%i', (_l, g, f) => {
    const K = g.kh * g.kw * g.c,
      M = g.n * g.oh * g.ow;
    const x = randArray(inSize(g), g.c * 5 + g.w),
      dy = randArray(M * f, f + 3);
    const dw0 = randArray(K * f, f + 4, -3, 3); // accumulated into
    const tol: [number, number] = [1e-6 * (M + 1), 1e-5];
    const r = compareBoth('conv2d_backward_w_nhwc', [dw0, x, dy, ...geoArgs(g), f], ...tol, label(g));
    if (M === 0) return;
    const w = wasm();
    w.reset();
    const pc = w.alloc(4 * M * K),
      pw = w.put(dw0);
    w.k.im2col_nhwc(
      pc,
      w.put(x),
      ...(geoArgs(g) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ]),
    );
    w.k.gemm_backward_w(pw, w.alloc(w.k.gemm_workspace_size()), pc, w.put(dy), M, K, f);
    expectClose(r.wasm[0] as Float32Array, w.f32(pw, K * f), ...tol, `${label(g)} vs im2col + gemm_backward_w`);
  });

  it.each(SHAPES.map((g, j) => [label(g), g, FS[(j + 5) % FS.length]] as const))('backward_x %s f=%i', (_l, g, f) => {
    const K = g.kh * g.kw * g.c,
      M = g.n * g.oh * g.ow;
    const dy = randArray(M * f, g.c * 5 + g.w),
      wk = randArray(K * f, f + 3);
    const wsBytes = wasm().k.conv2d_backward_x_workspace_size(g.kh, g.kw, g.c, f);
    expect(wsBytes).toBe(ref.conv2d_backward_x_workspace_size(g.kh, g.kw, g.c, f));
    const ws = new Float32Array(wsBytes / 4).fill(NaN); // scratch: contents irrelevant
    const tol: [number, number] = [1e-6 * (f + 1) * g.kh * g.kw, 1e-5];
    const r = runBoth('conv2d_backward_x_nhwc', [new Float32Array(inSize(g)).fill(NaN), ws, dy, wk, ...geoArgs(g), f]);
    expectClose(r.wasm[0] as Float32Array, r.ref[0] as Float32Array, ...tol, `${label(g)} f=${f}`);
    expectClose(r.wasm[2] as Float32Array, dy, 0, 0, 'dy untouched');
    expectClose(r.wasm[3] as Float32Array, wk, 0, 0, 'wk untouched');
    if (M === 0) return;
    const w = wasm();
    w.reset();
    const pc = w.alloc(4 * M * K),
      px = w.alloc(4 * inSize(g));
    w.k.gemm_backward_x(pc, w.alloc(w.k.gemm_workspace_size()), w.put(dy), w.put(wk), M, K, f);
    w.k.col2im_nhwc(
      px,
      pc,
      ...(geoArgs(g) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ]),
    );
    expectClose(r.wasm[0] as Float32Array, w.f32(px, inSize(g)), ...tol, `${label(g)} vs gemm_backward_x + col2im`);
  });

  it('forward edge tiles (windows clipped left, right or both; strides; tiny maps) with f >= 8', () => {
    const edges: Geo[] = [
      geo(2, 7, 7, 3, 3, 3, 1, 1, 'same'),
      geo(1, 4, 4, 8, 3, 3, 1, 1, 'same'),
      geo(1, 2, 3, 5, 5, 5, 1, 1, 'same'),
      geo(1, 4, 4, 4, 5, 5, 1, 1, [4, 4, 4, 4]),
      geo(1, 3, 9, 2, 3, 5, 1, 2, 'same'),
      geo(2, 5, 6, 1, 5, 5, 1, 3, 'same'),
      geo(1, 6, 5, 7, 3, 4, 2, 1, [1, 3, 2, 0]),
      geo(1, 1, 2, 16, 1, 7, 1, 1, [0, 6, 0, 6]),
    ];
    for (const g of edges) {
      for (const f of [8, 9, 16]) {
        const K = g.kh * g.kw * g.c,
          M = g.n * g.oh * g.ow;
        const x = randArray(inSize(g), f + g.c),
          wk = randArray(K * f, f),
          bias = randArray(f, 3);
        compareBoth(
          'conv2d_forward_nhwc',
          [new Float32Array(M * f).fill(NaN), x, wk, bias, ...geoArgs(g), f],
          1e-6 * K,
          1e-5,
          `${label(g)} f=${f}`,
        );
        compareBoth(
          'conv2d_forward_nhwc',
          [new Float32Array(M * f).fill(NaN), x, wk, 0, ...geoArgs(g), f],
          1e-6 * K,
          1e-5,
          `${label(g)} f=${f} no bias`,
        );
      }
    }
  });

  it('backward_w over clipped windows (c < 4: rectangles clipped alike; c >= 4: per-tap boxes) with f >= 8', () => {
    const edges: Geo[] = [
      geo(2, 7, 7, 1, 5, 5, 1, 1, 'same'),
      geo(1, 4, 4, 3, 3, 3, 1, 1, 'same'),
      geo(1, 2, 3, 2, 5, 5, 1, 1, 'same'),
      geo(1, 4, 4, 1, 5, 5, 1, 1, [4, 4, 4, 4]),
      geo(1, 3, 9, 3, 3, 5, 1, 2, 'same'),
      geo(2, 5, 6, 1, 5, 5, 3, 3, 'same'),
      geo(1, 6, 5, 2, 3, 4, 2, 1, [1, 3, 2, 0]),
      geo(1, 1, 2, 5, 1, 7, 1, 1, [0, 6, 0, 6]),
      geo(1, 5, 5, 4, 3, 3, 1, 1, 'same'),
    ];
    for (const g of edges) {
      for (const f of [8, 9, 16]) {
        const M = g.n * g.oh * g.ow,
          K = g.kh * g.kw * g.c;
        const x = randArray(inSize(g), f + g.c),
          dy = randArray(M * f, f);
        compareBoth(
          'conv2d_backward_w_nhwc',
          [randArray(K * f, 2), x, dy, ...geoArgs(g), f],
          1e-6 * (M + 1),
          1e-5,
          `${label(g)} f=${f}`,
        );
      }
    }
  });

  it('backward_x with dx at the bottom of memory and left padding (tile bases left of address 0 wrap)', () => {
    // A throwaway instance: dx at byte 16 (over the module's static data, unused by these kernels), so the
    // window origin of the left-edge pixels lies below address 0 and only its in-range lanes may be touched.
    const raw = loadRaw();
    for (const [c, f] of [
      [16, 8],
      [5, 9],
      [1, 8],
    ]) {
      const g = geo(1, 3, 6, c, 2, 5, 1, 1, [0, 4, 1, 0]);
      const M = g.n * g.oh * g.ow,
        K = g.kh * g.kw * c;
      const dy = randArray(M * f, c + 1),
        wk = randArray(K * f, c + 2);
      raw.reset();
      const pdy = raw.put(dy),
        pwk = raw.put(wk);
      const pws = raw.alloc(raw.k.conv2d_backward_x_workspace_size(g.kh, g.kw, c, f));
      const pdx = 16;
      raw.k.conv2d_backward_x_nhwc(
        pdx,
        pws,
        pdy,
        pwk,
        ...(geoArgs(g) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ]),
        f,
      );
      const e = new Float32Array(inSize(g));
      ref.conv2d_backward_x_nhwc(
        e,
        null,
        dy,
        wk,
        ...(geoArgs(g) as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ]),
        f,
      );
      expectClose(raw.f32(pdx, inSize(g)), e, 1e-5, 1e-5, `c=${c} f=${f}`);
    }
  });

  it('writes nothing outside y / dw / dx (and ws)', () => {
    for (const g of SHAPES.filter((_, i) => i % 4 === 0)) {
      for (const f of [5, 8, 13]) {
        const K = g.kh * g.kw * g.c;
        expectNoStray(
          'conv2d_forward_nhwc',
          [new Float32Array((outSize(g) / g.c) * f), randArray(inSize(g), 1), randArray(K * f, 2), 0, ...geoArgs(g), f],
          0,
          label(g),
        );
        expectNoStray(
          'conv2d_backward_w_nhwc',
          [new Float32Array(K * f), randArray(inSize(g), 1), randArray((outSize(g) / g.c) * f, 2), ...geoArgs(g), f],
          0,
          label(g),
        );
        const ws = new Float32Array(wasm().k.conv2d_backward_x_workspace_size(g.kh, g.kw, g.c, f) / 4);
        const dxArgs = [
          new Float32Array(inSize(g)),
          ws,
          randArray((outSize(g) / g.c) * f, 3),
          randArray(K * f, 4),
          ...geoArgs(g),
          f,
        ];
        expectNoStray('conv2d_backward_x_nhwc', dxArgs, 0, label(g));
        expectNoStray('conv2d_backward_x_nhwc', dxArgs, 1, `${label(g)} ws`);
      }
    }
  });
});

describe('direct conv with every filter count 1..17 (8-wide blocks, the 4-wide kernels, overlapping tails)', () => {
  // Filter blocks: 8 columns while 8 are left, then the rest as the 8 (f % 8 > 4) or 4 (f % 8 <= 4) columns
  // ending at f, which for f < 8 starts left of column 0 (reads before the kernel / dy rows, never stores there).
  const FS = Array.from({ length: 17 }, (_, i) => i + 1);
  // Inside and clipped tiles, strides, c < 4 (tap runs) and c >= 4 (channel groups), maps of 1 pixel.
  const GEOS: Geo[] = [
    geo(2, 7, 7, 3, 3, 3, 1, 1, 'same'),
    geo(1, 4, 4, 8, 3, 3, 1, 1, 'same'),
    geo(1, 2, 3, 5, 5, 5, 1, 1, 'same'),
    geo(1, 4, 4, 4, 5, 5, 1, 1, [4, 4, 4, 4]),
    geo(1, 3, 9, 2, 3, 5, 1, 2, 'same'),
    geo(2, 5, 6, 1, 5, 5, 1, 3, 'same'),
    geo(1, 6, 5, 7, 3, 4, 2, 1, [1, 3, 2, 0]),
    geo(1, 1, 2, 16, 1, 7, 1, 1, [0, 6, 0, 6]),
    geo(3, 1, 1, 5, 3, 3, 1, 1, 'same'),
    geo(2, 11, 13, 1, 5, 5, 1, 1, 'valid'),
    geo(1, 9, 9, 9, 3, 3, 2, 2, 'valid'),
    geo(2, 8, 7, 4, 2, 3, 1, 1, 'valid'),
  ];
  const ga = (g: Geo) =>
    geoArgs(g) as [number, number, number, number, number, number, number, number, number, number, number, number];

  it.each(FS)('f=%i: forward (with and without bias), backward_w, backward_x vs twin', (f) => {
    for (const g of GEOS) {
      const K = g.kh * g.kw * g.c,
        M = g.n * g.oh * g.ow;
      const x = randArray(inSize(g), f + g.c),
        wk = randArray(K * f, f + 1),
        bias = randArray(f, f + 2);
      const dy = randArray(M * f, f + 3);
      compareBoth(
        'conv2d_forward_nhwc',
        [new Float32Array(M * f).fill(NaN), x, wk, bias, ...geoArgs(g), f],
        1e-6 * K,
        1e-5,
        `${label(g)} f=${f}`,
      );
      compareBoth(
        'conv2d_forward_nhwc',
        [new Float32Array(M * f).fill(NaN), x, wk, 0, ...geoArgs(g), f],
        1e-6 * K,
        1e-5,
        `${label(g)} f=${f} no bias`,
      );
      compareBoth(
        'conv2d_backward_w_nhwc',
        [randArray(K * f, f + 4), x, dy, ...geoArgs(g), f],
        1e-6 * (M + 1),
        1e-5,
        `${label(g)} f=${f}`,
      );
      const ws = new Float32Array(wasm().k.conv2d_backward_x_workspace_size(g.kh, g.kw, g.c, f) / 4);
      const r = runBoth('conv2d_backward_x_nhwc', [
        new Float32Array(inSize(g)).fill(NaN),
        ws,
        dy,
        wk,
        ...geoArgs(g),
        f,
      ]);
      expectClose(
        r.wasm[0] as Float32Array,
        r.ref[0] as Float32Array,
        1e-6 * (f + 1) * g.kh * g.kw,
        1e-5,
        `backward_x ${label(g)} f=${f}`,
      );
    }
  });

  it('backward_x at c = 1, stride 1 (dot products per pixel): tiles of 4, edge pixels, clipped rows', () => {
    const C1: Geo[] = [
      geo(2, 11, 13, 1, 5, 5, 1, 1, 'valid'),
      geo(1, 7, 9, 1, 3, 3, 1, 1, 'same'),
      geo(2, 6, 17, 1, 5, 5, 1, 1, 'same'),
      geo(1, 5, 3, 1, 3, 5, 1, 1, 'same'),
      geo(1, 4, 4, 1, 5, 5, 1, 1, [4, 4, 4, 4]),
      geo(1, 1, 1, 1, 3, 3, 1, 1, 'same'),
      geo(1, 9, 12, 1, 2, 7, 1, 1, [1, 6, 0, 0]),
      geo(3, 3, 8, 1, 1, 4, 1, 1, 'valid'),
      geo(1, 8, 30, 1, 7, 7, 1, 1, 'same'),
    ];
    for (const f of FS) {
      for (const g of C1) {
        const K = g.kh * g.kw,
          M = g.n * g.oh * g.ow;
        const dy = randArray(M * f, f + g.w),
          wk = randArray(K * f, f + 7);
        const ws = new Float32Array(wasm().k.conv2d_backward_x_workspace_size(g.kh, g.kw, 1, f) / 4);
        const r = runBoth('conv2d_backward_x_nhwc', [
          new Float32Array(inSize(g)).fill(NaN),
          ws,
          dy,
          wk,
          ...geoArgs(g),
          f,
        ]);
        expectClose(
          r.wasm[0] as Float32Array,
          r.ref[0] as Float32Array,
          1e-6 * (f + 1) * K,
          1e-5,
          `${label(g)} f=${f}`,
        );
        if ((f + g.w) % 4 === 0) {
          expectNoStray(
            'conv2d_backward_x_nhwc',
            [new Float32Array(inSize(g)), ws, dy, wk, ...geoArgs(g), f],
            0,
            `${label(g)} f=${f}`,
          );
        }
      }
    }
  });

  it('a column has the same bits whichever block computes it (4x8, 4x4, overlapping or not)', () => {
    // The first 8 filters of f = 8..16 share their weights (and dy columns): columns 0..7 come from a full
    // 8-block in all, columns 8..11 from a 4-wide block at f = 12, an overlapping 8-block at f = 13 and a full one
    // at f = 16. Likewise f = 1..7 against f = 8 for columns 0..f-1.
    for (const g of [geo(2, 11, 13, 1, 5, 5, 1, 1, 'same'), geo(1, 9, 9, 9, 3, 3, 2, 2, 'valid')]) {
      const K = g.kh * g.kw * g.c,
        M = g.n * g.oh * g.ow;
      const x = randArray(inSize(g), 1),
        W = randArray(K * 16, 2),
        B = randArray(16, 3),
        DY = randArray(M * 16, 4);
      const cut = (a: Float32Array, rows: number, from: number, to: number): Float32Array =>
        Float32Array.from({ length: rows * to }, (_, i) => a[Math.floor(i / to) * from + (i % to)]);
      const run = (f: number): [Float32Array, Float32Array] => {
        const w = wasm();
        w.reset();
        const py = w.alloc(4 * M * f),
          pdw = w.alloc(4 * K * f),
          px = w.put(x);
        w.k.conv2d_forward_nhwc(py, px, w.put(cut(W, K, 16, f)), w.put(B.slice(0, f)), ...ga(g), f);
        w.k.conv2d_backward_w_nhwc(pdw, px, w.put(cut(DY, M, 16, f)), ...ga(g), f);
        return [w.f32(py, M * f), w.f32(pdw, K * f)];
      };
      const all = Array.from({ length: 17 }, (_, f) => (f === 0 ? undefined : run(f)));
      for (let f = 1; f <= 16; f++) {
        const wide = f < 8 ? 8 : 16;
        const n = Math.min(f, wide);
        const [y, dw] = all[f]!,
          [yw, dww] = all[wide]!;
        const a = new Uint32Array(cut(y, M, f, n).buffer),
          e = new Uint32Array(cut(yw, M, wide, n).buffer);
        expect(
          a.findIndex((v, i) => v !== e[i]),
          `forward f=${f} vs f=${wide} ${label(g)}`,
        ).toBe(-1);
        const da = new Uint32Array(cut(dw, K, f, n).buffer),
          de = new Uint32Array(cut(dww, K, wide, n).buffer);
        expect(
          da.findIndex((v, i) => v !== de[i]),
          `backward_w f=${f} vs f=${wide} ${label(g)}`,
        ).toBe(-1);
      }
    }
  });

  it('writes nothing outside y / dw / dx for f = 1..17', () => {
    for (const f of FS) {
      for (const g of GEOS.filter((_, i) => (i + f) % 3 === 0)) {
        const K = g.kh * g.kw * g.c,
          M = g.n * g.oh * g.ow;
        expectNoStray(
          'conv2d_forward_nhwc',
          [new Float32Array(M * f), randArray(inSize(g), 1), randArray(K * f, 2), randArray(f, 5), ...geoArgs(g), f],
          0,
          `${label(g)} f=${f}`,
        );
        expectNoStray(
          'conv2d_backward_w_nhwc',
          [new Float32Array(K * f), randArray(inSize(g), 1), randArray(M * f, 2), ...geoArgs(g), f],
          0,
          `${label(g)} f=${f}`,
        );
      }
    }
  });

  it('kernel, bias and dy at either end of memory: no read outside them traps, results as the twin', () => {
    // A throwaway instance. Low end: the buffers at bytes 0..31, over the module's static data (unused by these
    // kernels), where a block starting left of column 0 would wrap below address 0: the blocks from column 0
    // run instead. High end: the buffer's last byte is memory's last byte (no block reads past a row's end).
    const raw = loadRaw();
    const g = geo(2, 6, 7, 3, 3, 3, 1, 1, 'same');
    const K = g.kh * g.kw * g.c,
      M = g.n * g.oh * g.ow;
    const put = (p: number, a: Float32Array): number => {
      new Float32Array(raw.memory.buffer, p, a.length).set(a);
      return p;
    };
    for (const f of [1, 2, 3, 4, 5, 6, 7, 9, 12, 13]) {
      const x = randArray(inSize(g), f),
        wk = randArray(K * f, f + 1),
        bias = randArray(f, f + 2);
      const dy = randArray(M * f, f + 3);
      const ey = new Float32Array(M * f),
        edw = new Float32Array(K * f);
      ref.conv2d_forward_nhwc(ey, x, wk, bias, ...ga(g), f);
      ref.conv2d_backward_w_nhwc(edw, x, dy, ...ga(g), f);
      const g1 = geo(2, 6, 9, 1, 3, 3, 1, 1, 'same'),
        M1 = g1.n * g1.oh * g1.ow;
      const dy1 = randArray(M1 * f, f + 4),
        wk1 = randArray(9 * f, f + 5),
        edx = new Float32Array(inSize(g1));
      ref.conv2d_backward_x_nhwc(edx, null, dy1, wk1, ...ga(g1), f);
      const end = raw.memory.buffer.byteLength;
      for (const [at, where] of [
        [0, 'low'],
        [4, 'low'],
        [28, 'low'],
        [32, 'low'],
        [-1, 'high'],
      ] as const) {
        raw.reset();
        raw.alloc(4 * Math.max(M, 2 * 6 * 9) * f + 64); // the arena's buffers above the low-end ones
        const px = raw.put(x),
          py = raw.alloc(4 * M * f),
          pdw = raw.alloc(4 * K * f);
        const top = raw.memory.buffer.byteLength;
        expect(top).toBe(end); // nothing grew: the high end is where it was
        const pw = at < 0 ? put(top - 4 * K * f, wk) : put(at, wk);
        const pb = raw.put(bias);
        raw.k.conv2d_forward_nhwc(py, px, pw, pb, ...ga(g), f);
        expectClose(raw.f32(py, M * f), ey, 1e-6 * K, 1e-5, `forward f=${f} wk ${where} ${at}`);
        // The bias at the end (low end: the kernel elsewhere; bias 0 means none).
        const pb2 = at < 0 ? put(top - 4 * f, bias) : put(Math.max(at, 4), bias);
        const pw2 = raw.put(wk);
        raw.k.conv2d_forward_nhwc(py, px, pw2, pb2, ...ga(g), f);
        expectClose(raw.f32(py, M * f), ey, 1e-6 * K, 1e-5, `forward f=${f} bias ${where} ${at}`);
        const pdy = at < 0 ? put(top - 4 * M * f, dy) : put(at, dy);
        raw.k.conv2d_backward_w_nhwc(pdw, px, pdy, ...ga(g), f);
        expectClose(raw.f32(pdw, K * f), edw, 1e-6 * (M + 1), 1e-5, `backward_w f=${f} dy ${where} ${at}`);
        // The data gradient at c = 1, stride 1 (dy or the kernel at either end; its kernel is g1's).
        const pdx = raw.alloc(4 * inSize(g1)),
          pws = raw.alloc(raw.k.conv2d_backward_x_workspace_size(3, 3, 1, f));
        const pdy1 = at < 0 ? put(top - 4 * M1 * f, dy1) : put(at, dy1);
        raw.k.conv2d_backward_x_nhwc(pdx, pws, pdy1, raw.put(wk1), ...ga(g1), f);
        expectClose(raw.f32(pdx, inSize(g1)), edx, 1e-5, 1e-5, `backward_x c=1 f=${f} dy ${where} ${at}`);
        const pw1 = at < 0 ? put(top - 4 * 9 * f, wk1) : put(at, wk1);
        raw.k.conv2d_backward_x_nhwc(pdx, pws, raw.put(dy1), pw1, ...ga(g1), f);
        expectClose(raw.f32(pdx, inSize(g1)), edx, 1e-5, 1e-5, `backward_x c=1 f=${f} wk ${where} ${at}`);
      }
    }
  });
});

describe('pooling wasm vs twin', () => {
  // Pool windows 1, 2, 3 (and 2x3), strides 1..3, 'valid' and 'same'.
  const POOLS: Geo[] = [];
  let i = 0;
  for (const c of CS) {
    for (const [ph, pw] of [
      [1, 1],
      [2, 2],
      [3, 3],
      [2, 3],
    ]) {
      for (const pad of ['valid', 'same'] as const) {
        i++;
        const s = STRIDES[i % 3];
        const h = Math.max(ph, HW[i % HW.length]),
          w = Math.max(pw, HW[(5 * i + 2) % HW.length]);
        POOLS.push(geo(1 + (i % 3), h, w, c, ph, pw, s, pad === 'same' ? STRIDES[(i + 1) % 3] : s, pad));
      }
    }
  }
  POOLS.push(
    geo(32, 24, 24, 8, 2, 2, 2, 2, 'valid'),
    geo(2, 8, 8, 16, 2, 2, 2, 2, 'valid'),
    geo(1, 5, 5, 3, 3, 3, 2, 2, [2, 2, 2, 2]),
    geo(2, 1, 1, 5, 3, 3, 1, 1, 'same'),
  );

  it.each(POOLS.map((g) => [label(g), g] as const))('max, avg %s', (_l, g) => {
    const x = randArray(inSize(g), g.c + 31 * g.h);
    const y0 = new Float32Array(outSize(g)).fill(NaN);
    const idx0 = new Int32Array(outSize(g)).fill(-7);
    compareBoth('maxpool2d_forward', [y0, idx0, x, ...geoArgs(g)], 0, 0, label(g));
    compareBoth('maxpool2d_forward', [y0, 0, x, ...geoArgs(g)], 0, 0, `${label(g)} without idx`);
    // Negative-only map: a padded position (were it read as 0) would win.
    const neg = randArray(inSize(g), g.c + 5, -9, -1);
    compareBoth('maxpool2d_forward', [y0, idx0, neg, ...geoArgs(g)], 0, 0, `${label(g)} negative`);
    // Ties everywhere: values from {−1, 0, 1}.
    const ties = Float32Array.from(randArray(inSize(g), g.c + 9, -1.5, 1.5), Math.round);
    compareBoth('maxpool2d_forward', [y0, idx0, ties, ...geoArgs(g)], 0, 0, `${label(g)} ties`);

    compareBoth('avgpool2d_forward', [y0, x, ...geoArgs(g)], 1e-6, 1e-6, label(g));
    const dy = randArray(outSize(g), g.c + 77);
    compareBoth('avgpool2d_backward', [new Float32Array(inSize(g)).fill(NaN), dy, ...geoArgs(g)], 1e-6, 1e-6, label(g));
    const idx = runBoth('maxpool2d_forward', [y0, idx0, x, ...geoArgs(g)]).ref[1] as Int32Array;
    // Indices count within each sample's map (threads split the pair by samples).
    expect(idx.every((i) => i >= -1 && i < inSize(g) / g.n)).toBe(true);
    compareBoth(
      'maxpool2d_backward',
      [new Float32Array(inSize(g)).fill(NaN), dy, idx, g.n, inSize(g) / g.n, outSize(g) / g.n],
      0,
      0,
      label(g),
    );
  });

  it('write nothing outside their outputs', () => {
    for (const g of POOLS.filter((_, j) => j % 4 === 0)) {
      const x = randArray(inSize(g), 2),
        dy = randArray(outSize(g), 3);
      expectNoStray('maxpool2d_forward', [new Float32Array(outSize(g)), 0, x, ...geoArgs(g)], 0, label(g));
      expectNoStray('avgpool2d_forward', [new Float32Array(outSize(g)), x, ...geoArgs(g)], 0, label(g));
      expectNoStray('avgpool2d_backward', [new Float32Array(inSize(g)), dy, ...geoArgs(g)], 0, label(g));
    }
  });

  it('max pooling: first index on ties (also +0 / −0), padding never wins, NaN wins, −Inf maps', () => {
    // One 2x2 window per test row, c = 5 (a SIMD group of 4 and a scalar channel).
    const g = geo(1, 2, 2, 5, 2, 2, 2, 2, 'valid');
    const px = (a: number[]): Float32Array => Float32Array.from({ length: 20 }, (_, j) => a[Math.floor(j / 5)]);
    const run = (x: Float32Array): [Float32Array, Int32Array] => {
      const r = compareBoth('maxpool2d_forward', [new Float32Array(5), new Int32Array(5), x, ...geoArgs(g)], 0, 0);
      return [r.wasm[0] as Float32Array, r.wasm[1] as Int32Array];
    };
    let [y, idx] = run(px([1, 3, 3, 2]));
    expect(Array.from(y)).toEqual([3, 3, 3, 3, 3]);
    expect(Array.from(idx)).toEqual([5, 6, 7, 8, 9]); // pixel 1, not 2
    [y, idx] = run(px([-0, 0, 0, -0]));
    expect(Array.from(idx)).toEqual([0, 1, 2, 3, 4]);
    expect(Object.is(y[0], -0) && Object.is(y[4], -0)).toBe(true);
    [y, idx] = run(px([1, NaN, 5, NaN]));
    expect(y.every(Number.isNaN)).toBe(true);
    expect(Array.from(idx)).toEqual([5, 6, 7, 8, 9]);
    [y, idx] = run(px([NaN, 7, 8, 9]));
    expect(y.every(Number.isNaN)).toBe(true);
    expect(Array.from(idx)).toEqual([0, 1, 2, 3, 4]);
    [y, idx] = run(px([-Infinity, -Infinity, -Infinity, -Infinity]));
    expect(Array.from(y)).toEqual([-Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(idx)).toEqual([0, 1, 2, 3, 4]);
    // 'same' 3x3 over a negative 1x1 map: the value itself, not a padded 0.
    const g1 = geo(1, 1, 1, 5, 3, 3, 1, 1, 'same');
    const r = compareBoth(
      'maxpool2d_forward',
      [new Float32Array(5), new Int32Array(5), Float32Array.from([-1, -2, -3, -4, -5]), ...geoArgs(g1)],
      0,
      0,
    );
    expect(Array.from(r.wasm[0] as Float32Array)).toEqual([-1, -2, -3, -4, -5]);
  });

  it('empty windows (pad >= window): y = 0, idx = −1, skipped by backward', () => {
    const g = geo(1, 2, 2, 5, 2, 2, 1, 1, [3, 0, 0, 0]); // the first output rows see only padding
    const x = randArray(inSize(g), 8, 1, 2);
    const r = compareBoth(
      'maxpool2d_forward',
      [new Float32Array(outSize(g)), new Int32Array(outSize(g)), x, ...geoArgs(g)],
      0,
      0,
    );
    const idx = r.wasm[1] as Int32Array;
    expect(idx[0]).toBe(-1);
    expect((r.wasm[0] as Float32Array)[0]).toBe(0);
    compareBoth(
      'maxpool2d_backward',
      [new Float32Array(inSize(g)), randArray(outSize(g), 9), idx, g.n, inSize(g) / g.n, outSize(g) / g.n],
      0,
      0,
    );
    compareBoth('avgpool2d_forward', [new Float32Array(outSize(g)), x, ...geoArgs(g)], 1e-6, 1e-6);
    compareBoth(
      'avgpool2d_backward',
      [new Float32Array(inSize(g)), randArray(outSize(g), 9), ...geoArgs(g)],
      1e-6,
      1e-6,
    );
  });

  it.each(
    CS.flatMap((c) => [
      [1, 1, c],
      [2, 7, c],
      [3, 49, c],
      [1, 576, c],
    ]),
  )('global avg n=%i hw=%i c=%i', (n, hw, c) => {
    const x = randArray(n * hw * c, n + hw + c);
    compareBoth('global_avgpool_forward', [new Float32Array(n * c).fill(NaN), x, n, hw, c], 1e-7, 1e-5);
    // dy · f32(1/hw) against dy / hw: two roundings.
    compareBoth(
      'global_avgpool_backward',
      [new Float32Array(n * hw * c).fill(NaN), randArray(n * c, c), n, hw, c],
      0,
      2.5e-7,
    );
  });
});

describe('batch norm wasm vs twin', () => {
  const MS = [1, 2, 3, 31, 32, 33, 100, 1000];
  const grid = CS.flatMap((c) => MS.map((m) => [m, c] as const));

  it.each(grid)('m=%i c=%i stats, forward, backward, affine, ema', (m, c) => {
    const x = randArray(m * c, m * 31 + c, -2, 3);
    const r = compareBoth(
      'batchnorm_stats',
      [new Float32Array(c).fill(NaN), new Float32Array(c).fill(NaN), x, m, c],
      1e-7,
      1e-5,
    );
    const mean = r.ref[0] as Float32Array,
      variance = r.ref[1] as Float32Array;
    const gamma = randArray(c, c + 1, 0.5, 2),
      beta = randArray(c, c + 2);
    for (const eps of [1e-3, 1e-5]) {
      compareBoth(
        'batchnorm_forward',
        [new Float32Array(m * c), x, mean, variance, gamma, beta, m, c, eps],
        1e-5,
        1e-5,
      );
    }
    compareBoth('batchnorm_forward', [x, { same: 0 }, mean, variance, gamma, beta, m, c, 1e-3], 1e-5, 1e-5, 'in place');
    const dy = randArray(m * c, m + 7 * c);
    const dg0 = randArray(c, 3),
      db0 = randArray(c, 4);
    // dx: a difference of terms of size |gamma·istd·dy|, so the atol is relative to that scale.
    const args = [new Float32Array(m * c).fill(NaN), dg0, db0, dy, x, mean, variance, gamma, m, c, 1e-3];
    compareBoth('batchnorm_backward', args as Float32Array[], 2e-6, 1e-5);
    compareBoth(
      'batchnorm_backward',
      [dy, dg0, db0, { same: 0 }, x, mean, variance, gamma, m, c, 1e-3],
      2e-6,
      1e-5,
      'dx aliases dy',
    );
    const scale = randArray(c, 8),
      shift = randArray(c, 9);
    compareBoth('channel_affine', [new Float32Array(m * c), x, scale, shift, m, c], 1e-7, 1e-6);
    compareBoth('channel_affine', [x, { same: 0 }, scale, shift, m, c], 1e-7, 1e-6, 'in place');
    compareBoth('ema_update', [randArray(m * c, 5), x, m * c, 0.99], 1e-7, 1e-6);
    compareBoth('ema_update', [randArray(c, 6), x, c, 0.9], 1e-7, 1e-6);
  });

  it.each([10, 12, 13, 15, 24, 25, 28])('backward at c=%i (groups of 16, 8 and 4 channels and single ones)', (c) => {
    for (const m of [1, 33, 100]) {
      const x = randArray(m * c, m + c, -2, 3),
        dy = randArray(m * c, m * 3 + c);
      const st = runBoth('batchnorm_stats', [new Float32Array(c), new Float32Array(c), x, m, c]).ref;
      const gamma = randArray(c, c + 1, 0.5, 2);
      compareBoth(
        'batchnorm_backward',
        [
          new Float32Array(m * c).fill(NaN),
          randArray(c, 3),
          randArray(c, 4),
          dy,
          x,
          st[0] as Float32Array,
          st[1] as Float32Array,
          gamma,
          m,
          c,
          1e-3,
        ],
        2e-6,
        1e-5,
        `m=${m}`,
      );
    }
  });

  it('stats stay accurate when |mean| >> std (one-pass formulas lose every digit here)', () => {
    // c = 9: groups of 4 and a single channel; c = 17: a group of 16 and a single channel.
    for (const [m, c] of [
      [18432, 9],
      [4000, 17],
    ]) {
      const r = rng(3);
      const x = Float32Array.from({ length: m * c }, (_, i) => 1000 * ((i % c) + 1) + 0.05 * (r() - 0.5));
      const out = compareBoth('batchnorm_stats', [new Float32Array(c), new Float32Array(c), x, m, c], 0, 1e-5);
      const v = out.wasm[1] as Float32Array;
      for (let ch = 0; ch < c; ch++) expect(v[ch]).toBeGreaterThan((0.05 ** 2 / 12) * 0.9);
      compareBoth('batchnorm_stats', [new Float32Array(c), new Float32Array(c), x.map((a) => -a), m, c], 0, 1e-5);
    }
  });

  it('m = 0: stats are zeros, backward leaves the gradients alone', () => {
    const c = 6;
    compareBoth(
      'batchnorm_stats',
      [new Float32Array(c).fill(NaN), new Float32Array(c).fill(NaN), new Float32Array(0), 0, c],
      0,
      0,
    );
    const r = runBoth('batchnorm_backward', [
      new Float32Array(0),
      randArray(c, 1),
      randArray(c, 2),
      new Float32Array(0),
      new Float32Array(0),
      randArray(c, 3),
      randArray(c, 4, 0, 1),
      randArray(c, 5),
      0,
      c,
      1e-3,
    ]);
    expectClose(r.wasm[1] as Float32Array, randArray(c, 1), 0, 0, 'dgamma');
  });
});

describe('js backend adapters of the conv kernels (src/runtime/backend-js.ts)', () => {
  it('every conv kernel on the js backend matches wasm on the same memory layout', () => {
    // Padded, strided, c and f off the SIMD widths: every view length the adapters compute is exercised.
    const g = geo(2, 7, 6, 5, 3, 2, 2, 1, 'same'),
      f = 9;
    const K = g.kh * g.kw * g.c,
      M = g.n * g.oh * g.ow,
      X = inSize(g),
      Y = outSize(g),
      m = X / g.c;
    const w = wasm();
    w.reset();
    const put = (a: Float32Array | Int32Array): number => w.put(a);
    const x = put(randArray(X, 1)),
      wk = put(randArray(K * f, 2)),
      bias = put(randArray(f, 3));
    const dyF = put(randArray(M * f, 4)),
      dyP = put(randArray(Y, 5)),
      mean = put(randArray(g.c, 6));
    const vr = put(randArray(g.c, 7, 0.5, 2)),
      gamma = put(randArray(g.c, 8)),
      beta = put(randArray(g.c, 9));
    const outs = {
      cols: [w.alloc(4 * M * K), M * K],
      y: [w.alloc(4 * M * f), M * f],
      dx: [w.alloc(4 * X), X],
      dw: [put(randArray(K * f, 10)), K * f],
      py: [w.alloc(4 * Y), Y],
      idx: [w.alloc(4 * Y), Y],
      dg: [put(randArray(g.c, 11)), g.c],
      db: [put(randArray(g.c, 12)), g.c],
      st: [w.alloc(8 * g.c), 2 * g.c],
      ws: [w.alloc(w.k.conv2d_backward_x_workspace_size(g.kh, g.kw, g.c, f)), 0],
    } as const;
    const ga = geoArgs(g) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const calls: [string, (k: typeof w.k) => void][] = [
      ['im2col', (k) => k.im2col_nhwc(outs.cols[0], x, ...ga)],
      ['col2im', (k) => k.col2im_nhwc(outs.dx[0], outs.cols[0], ...ga)],
      ['conv2d_forward', (k) => k.conv2d_forward_nhwc(outs.y[0], x, wk, bias, ...ga, f)],
      ['conv2d_backward_w', (k) => k.conv2d_backward_w_nhwc(outs.dw[0], x, dyF, ...ga, f)],
      ['conv2d_backward_x', (k) => k.conv2d_backward_x_nhwc(outs.dx[0], outs.ws[0], dyF, wk, ...ga, f)],
      ['maxpool fwd', (k) => k.maxpool2d_forward(outs.py[0], outs.idx[0], x, ...ga)],
      ['maxpool bwd', (k) => k.maxpool2d_backward(outs.dx[0], dyP, outs.idx[0], g.n, X / g.n, Y / g.n)],
      ['avgpool fwd', (k) => k.avgpool2d_forward(outs.py[0], x, ...ga)],
      ['avgpool bwd', (k) => k.avgpool2d_backward(outs.dx[0], dyP, ...ga)],
      ['global fwd', (k) => k.global_avgpool_forward(outs.py[0], x, g.n, g.h * g.w, g.c)],
      ['global bwd', (k) => k.global_avgpool_backward(outs.dx[0], dyP, g.n, g.h * g.w, g.c)],
      ['bn stats', (k) => k.batchnorm_stats(outs.st[0], outs.st[0] + 4 * g.c, x, m, g.c)],
      ['bn fwd', (k) => k.batchnorm_forward(outs.dx[0], x, mean, vr, gamma, beta, m, g.c, 1e-3)],
      ['bn bwd', (k) => k.batchnorm_backward(outs.dx[0], outs.dg[0], outs.db[0], x, x, mean, vr, gamma, m, g.c, 1e-3)],
      ['ema', (k) => k.ema_update(outs.dg[0], mean, g.c, 0.9)],
      ['affine', (k) => k.channel_affine(outs.dx[0], x, gamma, beta, m, g.c)],
    ];
    // A second memory with the same bytes for the js backend; same pointers.
    const jsMem = new WebAssembly.Memory({ initial: w.memory.buffer.byteLength / 65536 });
    new Uint8Array(jsMem.buffer).set(new Uint8Array(w.memory.buffer));
    const js = jsKernels(jsMem);
    for (const [what, call] of calls) {
      call(w.k);
      call(js);
      for (const [name, [ptr, n]] of Object.entries(outs)) {
        if (n === 0) continue;
        const a = new Float32Array(w.memory.buffer, ptr, n),
          e = new Float32Array(jsMem.buffer, ptr, n);
        if (name === 'idx') expectClose(new Int32Array(a.buffer, ptr, n), new Int32Array(e.buffer, ptr, n), 0, 0, what);
        else expectClose(a, e, 1e-5, 1e-5, `${what}: ${name}`);
      }
      // Bring the memories back in line so rounding differences do not pile up from call to call.
      new Uint8Array(jsMem.buffer).set(new Uint8Array(w.memory.buffer));
    }
  });
});

/** Every geometry with an output, each with a filter count: the cases of the range forms threads split with. */
const RANGE_CASES = SHAPES.filter((g) => g.oh > 0 && g.ow > 0).map(
  (g, j) => [label(g), g, [1, 3, 5, 8, 12, 16, 17][j % 7]] as const,
);

describe('conv2d_backward_w_nhwc_rows (how threads split the filter gradient)', () => {
  it.each(RANGE_CASES)(
    '%s f=%i: tap ranges match the twin; ranges cut anywhere sum bit-identically to the whole call',
    (_l, g, f) => {
      const K = g.kh * g.kw * g.c,
        M = g.n * g.oh * g.ow;
      const x = randArray(inSize(g), g.c * 7 + g.w),
        dy = randArray(M * f, f + 9);
      const dw0 = randArray(K * f, f + 10, -3, 3);
      const tol: [number, number] = [1e-6 * (M + 1), 1e-5];
      for (const [p0, pc] of [
        [0, K],
        [1, 3],
        [K - 2, 5],
        [-3, 4],
        [Math.floor(K / 2), K],
        [K, 2],
      ]) {
        compareBoth(
          'conv2d_backward_w_nhwc_rows',
          [dw0, x, dy, ...geoArgs(g), f, p0, pc],
          ...tol,
          `${label(g)} taps [${p0}, ${p0 + pc})`,
        );
      }
      const w = loadRaw();
      const whole = (() => {
        w.reset();
        const pdw = w.put(dw0);
        w.k.conv2d_backward_w_nhwc(
          pdw,
          w.put(x),
          w.put(dy),
          ...(geoArgs(g) as [
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
            number,
          ]),
          f,
        );
        return w.f32(pdw, K * f).slice();
      })();
      for (const step of [1, 3, 4, 7]) {
        w.reset();
        const pdw = w.put(dw0),
          px = w.put(x),
          pdy = w.put(dy);
        for (let p0 = 0; p0 < K; p0 += step) {
          w.k.conv2d_backward_w_nhwc_rows(
            pdw,
            px,
            pdy,
            ...(geoArgs(g) as [
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
              number,
            ]),
            f,
            p0,
            step,
          );
        }
        expect(w.f32(pdw, K * f), `${label(g)} f=${f} in parts of ${step} taps`).toEqual(whole);
      }
    },
  );
});

describe('conv2d_forward_nhwc_rows (how threads split a convolution of one image)', () => {
  it.each(RANGE_CASES)(
    '%s f=%i: row ranges match the twin and leave other rows alone; rows cut anywhere give the whole call’s bits',
    (_l, g, f) => {
      const K = g.kh * g.kw * g.c,
        M = g.n * g.oh * g.ow;
      const x = randArray(inSize(g), g.c * 5 + g.w),
        wk = randArray(K * f, f + 3),
        bias = randArray(f, f + 4);
      const y0 = randArray(M * f, f + 5, -3, 3);
      for (const [r0, rc] of [
        [0, g.oh],
        [1, 2],
        [g.oh - 1, 5],
        [-2, 3],
        [g.oh, 2],
        [0, 0],
      ]) {
        // y0 in the other rows: the twin writes only [r0, r0 + rc) too.
        compareBoth(
          'conv2d_forward_nhwc_rows',
          [y0, x, wk, bias, ...geoArgs(g), f, r0, rc],
          1e-6 * K,
          1e-5,
          `${label(g)} rows [${r0}, ${r0 + rc})`,
        );
      }
      const w = loadRaw();
      const geo = geoArgs(g) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const run = (ranges: [number, number][]): Float32Array => {
        w.reset();
        const py = w.put(y0),
          px = w.put(x),
          pw = w.put(wk),
          pb = w.put(bias);
        for (const [r0, rc] of ranges) w.k.conv2d_forward_nhwc_rows(py, px, pw, pb, ...geo, f, r0, rc);
        return w.f32(py, M * f).slice();
      };
      const whole = (() => {
        w.reset();
        const py = w.put(y0);
        w.k.conv2d_forward_nhwc(py, w.put(x), w.put(wk), w.put(bias), ...geo, f);
        return w.f32(py, M * f).slice();
      })();
      expect(run([[0, g.oh]])).toEqual(whole);
      for (const step of [1, 2, 3]) {
        const ranges: [number, number][] = [];
        for (let r0 = 0; r0 < g.oh; r0 += step) ranges.push([r0, step]);
        expect(run(ranges.reverse()), `${label(g)} f=${f} in parts of ${step} rows`).toEqual(whole);
      }
    },
  );
});
