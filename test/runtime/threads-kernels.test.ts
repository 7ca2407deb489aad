// Threads, kernel by kernel: every kernel the pool splits gives the same bits on 1, 2, 3 and 4 threads, over shapes
// that sweep the split edges (rows not a multiple of 4, fewer rows than threads, lengths not a multiple of 16,
// a batch of 1 or 2), and the calls above the thresholds really do run on the pool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { cut, LIMITS, SPLITTERS } from '../../src/runtime/threads-split.js';

/** A buffer argument: length, element type, how it is filled. */
interface Buf {
  len: number;
  i32?: boolean;
  /** 'scratch': a kernel's workspace, whose contents afterwards are not compared. */
  fill?: 'rand' | 'pos' | 'nan' | 'scratch' | ((i: number) => number);
}
type Arg = Buf | number;
interface Case {
  kernel: string;
  args: Arg[];
  /** False when the call must run whole (below a threshold, or a form that never splits). */
  splits: boolean;
}

const b = (len: number, fill: Buf['fill'] = 'rand', i32 = false): Buf => ({ len, fill, i32 });

function gemmCases(): Case[] {
  const out: Case[] = [];
  const shapes: Array<[number, number, number, boolean]> = [
    [9, 300, 100, true],
    [13, 257, 90, true],
    [67, 64, 70, true],
    [130, 100, 33, true],
    [8, 512, 130, true],
    [4, 1000, 100, false],
    [7, 600, 70, false],
    [2, 2000, 80, false],
    [1, 3000, 130, false], // (a GEMV: 24 + 24 + … + 8 + 2 columns)
    [3, 900, 100, false],
    [1, 9000, 40, false], // one block of 24 and a tail: whole
    [200, 64, 8, false],
    [37, 2000, 1, false],
  ];
  for (const [m, k, n, splits] of shapes) {
    // The forward also splits by columns: 4..7 rows too, given 32 columns per part; 1..3 rows (GEMVs) by blocks
    // of 24 columns.
    const big = m * k * n >= 1 << 18;
    const cols = (m >= 4 && n >= 64 && big) || (m < 4 && n >= 48 && big);
    out.push({
      kernel: 'gemm_forward',
      args: [b(m * n, 'nan'), b(1 << 17, 'scratch'), b(m * k), b(k * n), 0, m, k, n],
      splits: splits || cols || (n === 1 && m >= 8 && m * k >= 1 << 18),
    });
    out.push({
      kernel: 'gemm_forward',
      args: [b(m * n, 'nan'), b(1 << 17, 'scratch'), b(m * k), b(k * n), b(n), m, k, n],
      splits: splits || cols || (n === 1 && m >= 8 && m * k >= 1 << 18),
    });
    out.push({
      kernel: 'gemm_backward_x',
      args: [b(m * k, 'nan'), b(1 << 17, 'scratch'), b(m * n), b(k * n), m, k, n],
      splits: splits || (n === 1 && m >= 8 && m * k >= 1 << 18),
    });
  }
  // The forward by columns (gemm_forward above goes through it): sub-ranges, as a caller might pass them.
  for (const [m, k, n, j0, nc, splits] of [
    [9, 300, 200, 8, 150, true],
    [13, 257, 90, 0, 90, true],
    [6, 700, 130, 16, 64, true],
    [40, 300, 100, 40, 24, true], // too few columns per part: rows
    [2, 3000, 200, 0, 200, true], // GEMV rows, by blocks of 24 columns
    [1, 3000, 200, 48, 150, true],
    [1, 3000, 200, 8, 150, true], // blocks count from j0
    [3, 3000, 200, 5, 40, false], // one block and a tail: whole
  ] as Array<[number, number, number, number, number, boolean]>) {
    out.push({
      kernel: 'gemm_forward_cols',
      args: [b(m * n, 'nan'), b(1 << 17, 'scratch'), b(m * k), b(k * n), b(n), m, k, n, j0, nc],
      splits,
    });
  }
  // dw (k,n) += xᵀ·dy: rows k split (not a multiple of 4, fewer than 4 per thread), never the batch m.
  const wShapes: Array<[number, number, number, boolean]> = [
    [9, 301, 100, true],
    [64, 130, 70, true],
    [40, 9, 800, true],
    [6, 257, 300, true],
    [3, 400, 300, false],
    [300, 1000, 1, false],
    [100, 7, 400, false],
  ];
  for (const [m, k, n, splits] of wShapes) {
    out.push({
      kernel: 'gemm_backward_w',
      args: [b(k * n), b(1 << 17, 'scratch'), b(m * k), b(m * n), m, k, n],
      splits,
    });
  }
  return out;
}

/** conv2d / pooling geometry: n, h, w, c, kh, kw, sh, sw, padT, padL → [args after the outputs, oh, ow]. */
function geo(
  n: number,
  h: number,
  w: number,
  c: number,
  kh: number,
  kw: number,
  s: number,
  pad: number,
): { g: number[]; oh: number; ow: number } {
  const oh = Math.floor((h + 2 * pad - kh) / s) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / s) + 1;
  return { g: [n, h, w, c, kh, kw, s, s, pad, pad, oh, ow], oh, ow };
}

function convCases(): Case[] {
  const out: Case[] = [];
  const shapes: Array<[number, number, number, number, number, number, number, number]> = [
    // n, h, w, c, k, s, pad, f
    [3, 14, 14, 3, 5, 1, 2, 16],
    [5, 16, 16, 8, 3, 2, 1, 12],
    [3, 28, 28, 1, 5, 1, 0, 16],
    [2, 12, 12, 6, 5, 1, 0, 20],
    [7, 9, 9, 4, 3, 1, 1, 5],
    [1, 28, 28, 1, 5, 1, 0, 8],
    [1, 20, 20, 6, 3, 1, 1, 40],
    [2, 11, 13, 3, 5, 2, 2, 64],
  ];
  for (const [n, h, w, c, k, s, pad, f] of shapes) {
    const { g, oh, ow } = geo(n, h, w, c, k, k, s, pad);
    const macs = n * oh * ow * f * k * k * c;
    const splits = n >= 2 && macs >= 1 << 18;
    out.push({
      kernel: 'conv2d_forward_nhwc',
      args: [b(n * oh * ow * f, 'nan'), b(n * h * w * c), b(k * k * c * f), b(f), ...g, f],
      splits: macs >= 1 << 18, // by samples, or by output rows when fewer samples than threads
    });
    const taps = k * k * c;
    out.push({
      kernel: 'conv2d_backward_w_nhwc',
      args: [b(taps * f), b(n * h * w * c), b(n * oh * ow * f), ...g, f],
      splits: n * oh * ow * taps * f >= 1 << 18 && taps >= 8,
    });
    out.push({
      kernel: 'conv2d_backward_x_nhwc',
      args: [b(n * h * w * c, 'nan'), b(k * f * (k * c + 8), 'scratch'), b(n * oh * ow * f), b(k * k * c * f), ...g, f],
      splits,
    });
    const cols = n * oh * ow * k * k * c;
    out.push({
      kernel: 'im2col_nhwc',
      args: [b(cols, 'nan'), b(n * h * w * c), ...g],
      splits: n >= 2 && cols >= 1 << 15,
    });
    out.push({
      kernel: 'col2im_nhwc',
      args: [b(n * h * w * c, 'nan'), b(cols), ...g],
      splits: n >= 2 && cols >= 1 << 15,
    });
  }
  const pools: Array<[number, number, number, number, number, number, number]> = [
    // n, h, w, c, p, s, pad
    [4, 32, 32, 16, 2, 2, 0],
    [3, 31, 29, 12, 3, 2, 1],
    [9, 24, 24, 20, 2, 1, 0],
    [1, 64, 64, 16, 2, 2, 0],
  ];
  for (const [n, h, w, c, p, s, pad] of pools) {
    const { g, oh, ow } = geo(n, h, w, c, p, p, s, pad);
    const work = n * oh * ow * c * p * p;
    const splits = n >= 2 && work >= 1 << 15;
    const nx = n * h * w * c,
      ny = n * oh * ow * c;
    out.push({ kernel: 'maxpool2d_forward', args: [b(ny, 'nan'), 0, b(nx), ...g], splits });
    out.push({ kernel: 'maxpool2d_forward', args: [b(ny, 'nan'), b(ny, 'nan', true), b(nx), ...g], splits });
    // Backward: indices into each sample's map, some repeated (scatter-adds in order) and some −1 (empty windows).
    const sx = h * w * c,
      sy = oh * ow * c;
    const idxFill = (i: number): number => (i % 11 === 5 ? -1 : (i * 7919) % sx);
    out.push({
      kernel: 'maxpool2d_backward',
      args: [b(nx, 'nan'), b(ny), b(ny, idxFill, true), n, sx, sy],
      splits: n >= 2 && n * (sx + 2 * sy) >= 1 << 15,
    });
    out.push({ kernel: 'avgpool2d_forward', args: [b(ny, 'nan'), b(nx), ...g], splits });
    out.push({ kernel: 'avgpool2d_backward', args: [b(nx, 'nan'), b(ny), ...g], splits });
    const hw = h * w;
    out.push({
      kernel: 'global_avgpool_forward',
      args: [b(n * c, 'nan'), b(nx), n, hw, c],
      splits: n >= 2 && nx >= 1 << 15,
    });
    out.push({
      kernel: 'global_avgpool_backward',
      args: [b(nx, 'nan'), b(n * c), n, hw, c],
      splits: n >= 2 && nx >= 1 << 15,
    });
    const [t, bo, l, r] = [1, 2, 3, 0];
    const py = n * (h + t + bo) * (w + l + r) * c;
    out.push({
      kernel: 'zero_pad2d_forward',
      args: [b(py, 'nan'), b(nx), n, h, w, c, t, bo, l, r],
      splits: n >= 2 && py >= 1 << 15,
    });
    out.push({
      kernel: 'crop2d_backward',
      args: [b(nx, 'nan'), b(py), n, h, w, c, t, bo, l, r],
      splits: n >= 2 && py >= 1 << 15,
    });
  }
  // permute: each of 3 samples (20, 30, 20) → (30, 20, 20)
  out.push({
    kernel: 'permute_forward',
    args: [b(3 * 12000, 'nan'), b(3 * 12000), 3, 30, 20, 20, 1, 20, 600, 1, 0],
    splits: true,
  });
  out.push({
    kernel: 'image_shift',
    args: [b(61 * 784, 'nan'), b(61 * 784), b(122, (i) => ((i * 5) % 7) - 3, true), 61, 28, 28],
    splits: true,
  });
  out.push({
    kernel: 'gather_rows',
    args: [b(101 * 400, 'nan'), b(50 * 400), b(101, (i) => (i * 13) % 50, true), 101, 400],
    splits: true,
  });
  return out;
}

function elementCases(): Case[] {
  const out: Case[] = [];
  for (const n of [40003, 32768 + 13, 65536, 100, 7]) {
    const big = n >= 1 << 14;
    const s = (ptrs: number) => big && n * ptrs >= 1 << 15;
    out.push({ kernel: 'sigmoid_forward', args: [b(n, 'nan'), b(n), n], splits: s(2) });
    out.push({ kernel: 'tanh_forward', args: [b(n, 'nan'), b(n), n], splits: s(2) });
    out.push({ kernel: 'relu_forward', args: [b(n, 'nan'), b(n), n], splits: s(2) });
    out.push({ kernel: 'leaky_relu_forward', args: [b(n, 'nan'), b(n), n, 0.1], splits: s(2) });
    for (const k of ['sigmoid_backward', 'tanh_backward', 'relu_backward', 'dropout_backward'])
      out.push({ kernel: k, args: [b(n, 'nan'), b(n), b(n), n], splits: s(3) });
    out.push({ kernel: 'leaky_relu_backward', args: [b(n, 'nan'), b(n), b(n), n, 0.2], splits: s(3) });
    out.push({ kernel: 'fill_f32', args: [b(n, 'nan'), n, 0.5], splits: s(1) });
    out.push({ kernel: 'scale_f32', args: [b(n), n, 1.7], splits: s(1) });
    out.push({ kernel: 'mask_f32', args: [b(n), b(n), n], splits: s(2) });
    out.push({ kernel: 'l1_backward', args: [b(n), b(n), n, 0.01], splits: s(2) });
    out.push({ kernel: 'l2_backward', args: [b(n), b(n), n, 0.01], splits: s(2) });
    out.push({ kernel: 'sgd_update', args: [b(n), b(n), n, 0.1, 0.01], splits: s(2) });
    out.push({ kernel: 'momentum_update', args: [b(n), b(n), b(n), n, 0.1, 0.9, 0.01], splits: s(3) });
    out.push({ kernel: 'nesterov_update', args: [b(n), b(n), b(n), n, 0.1, 0.9, 0], splits: s(3) });
    for (const k of ['adam_update', 'adamw_update']) {
      out.push({
        kernel: k,
        args: [b(n), b(n), b(n, 'pos'), b(n), n, 1e-3, 0.9, 0.999, 1e-7, 0.01, 0.1, 0.001],
        splits: s(4),
      });
    }
  }
  for (const [m, n] of [
    [130, 300],
    [3, 9000],
    [1, 40000],
    [2000, 20],
    [5, 10],
  ]) {
    const s = (ptrs: number) => m >= 2 && m * n * ptrs >= 1 << 15;
    out.push({ kernel: 'softmax_forward', args: [b(m * n, 'nan'), b(m * n), m, n], splits: s(2) });
    out.push({ kernel: 'softmax_backward', args: [b(m * n, 'nan'), b(m * n), b(m * n, 'pos'), m, n], splits: s(3) });
    out.push({ kernel: 'bias_forward', args: [b(m * n), b(n), m, n], splits: s(1) });
    out.push({
      kernel: 'batchnorm_forward',
      args: [b(m * n, 'nan'), b(m * n), b(n), b(n, 'pos'), b(n), b(n), m, n, 1e-3],
      splits: s(2),
    });
    out.push({ kernel: 'channel_affine', args: [b(m * n, 'nan'), b(m * n), b(n), b(n), m, n], splits: s(2) });
  }
  return out;
}

/** int8 kernels: int8 and i32 data in i32 buffers of random bits (bytes for int8). */
function quantCases(): Case[] {
  const bits = (len: number) => b(len, (i) => Math.imul(i + 1, 2654435761) ^ (i >>> 3), true);
  const small = (len: number) => b(len, (i) => ((i * 37) % 2001) - 1000, true);
  const bytes = (n: number) => Math.ceil(n / 4);
  const out: Case[] = [];
  for (const [m, k, n, splits] of [
    [9, 300, 100, true],
    [130, 64, 40, true],
    [3, 800, 200, false],
    [67, 128, 33, true],
    [5, 64, 64, false],
  ] as Array<[number, number, number, boolean]>) {
    const packed = Math.ceil(k / 2) * Math.ceil(n / 8) * 16;
    out.push({
      kernel: 'q8_gemm',
      args: [b(m * n, (i) => i, true), b(1 << 17, 'scratch'), bits(bytes(m * k)), bits(bytes(packed)), m, k, n],
      splits,
    });
    const el = m * n * 2 >= 1 << 15 && m >= 2;
    out.push({
      kernel: 'q8_dequantize',
      args: [b(m * n, 'nan'), small(m * n), small(n), b(n, 'pos'), b(n), m, n, 0.01, 1],
      splits: el,
    });
    out.push({
      kernel: 'q8_dequantize',
      args: [b(m * n, 'nan'), small(m * n), 0, b(n, 'pos'), 0, m, n, 0.5, 0],
      splits: el,
    });
    out.push({
      kernel: 'q8_requantize',
      args: [bits(bytes(m * n)), small(m * n), small(n), b(n, 'pos'), m, n, 0],
      splits: el,
    });
  }
  for (const n of [40003, 65536, 1000])
    out.push({ kernel: 'q8_quantize', args: [bits(bytes(n)), b(n), n, 90], splits: n * 2 >= 1 << 15 });
  const { g, oh, ow } = geo(3, 28, 28, 1, 5, 5, 1, 0);
  out.push({
    kernel: 'im2col_nhwc_i8',
    args: [bits(bytes(3 * oh * ow * 25)), bits(bytes(3 * 784)), ...g],
    splits: true,
  });
  return out;
}

const CASES = [...gemmCases(), ...convCases(), ...elementCases(), ...quantCases()];

/** Deterministic fill: values in [-1, 1) (or (0, 2] for 'pos'), NaN for outputs that must be overwritten. */
function fillOf(buf: Buf, seed: number): Float32Array | Int32Array {
  if (buf.i32) {
    const f = buf.fill;
    return Int32Array.from({ length: buf.len }, (_, i) => (typeof f === 'function' ? f(i) : -1));
  }
  const a = new Float32Array(buf.len);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    if (typeof buf.fill === 'function') a[i] = buf.fill(i);
    else if (buf.fill === 'nan' || buf.fill === 'scratch') a[i] = NaN;
    else {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const u = (s >>> 0) / 2 ** 32;
      a[i] = buf.fill === 'pos' ? 2 - 2 * u : 2 * u - 1;
    }
  }
  return a;
}

/** Runs one case on an engine; returns every buffer afterwards, as bits. */
function runCase(e: Engine, c: Case): Uint32Array[] {
  const ptrs: number[] = [];
  const args = c.args.map((a, i) => {
    if (typeof a === 'number') return a;
    const data = fillOf(a, 1000 + i * 77);
    const p = e.upload(data);
    ptrs.push(p);
    return p;
  });
  (e.k as unknown as Record<string, (...a: number[]) => unknown>)[c.kernel](...args);
  const out = c.args
    .filter((a): a is Buf => typeof a !== 'number')
    .map((a, i) => new Uint32Array(e.memory.buffer, ptrs[i], a.len).slice());
  for (const p of ptrs) e.free(p);
  return out;
}

const COUNTS = [1, 2, 3, 4];
const engines = new Map<number, Engine>();

const DEFAULTS = { ...LIMITS };
beforeAll(async () => {
  for (const t of COUNTS) engines.set(t, await createEngine('wasm', { threads: t }));
  // Lower thresholds than the defaults, so small shapes sweep the split edges (the cases' `splits` assume these),
  // and none that depends on whether the workers are awake (tested on its own below).
  Object.assign(LIMITS, { macs: 1 << 18, elements: 1 << 15, hotMacs: Infinity, hotElements: Infinity });
});
afterAll(() => {
  Object.assign(LIMITS, DEFAULTS);
  for (const e of engines.values()) e.dispose();
});

describe('threads: kernels bit-identical on 1, 2, 3, 4 threads', () => {
  it('the pools started', () => {
    for (const t of COUNTS) expect(engines.get(t)!.threads, engines.get(t)!.threadsNote).toBe(t);
  });

  it('every splittable kernel has a case here', () => {
    const covered = new Set(CASES.map((c) => c.kernel));
    for (const k of Object.keys(SPLITTERS)) if (!k.endsWith('_rows')) expect(covered.has(k), k).toBe(true);
  });

  it.each(
    CASES.map(
      (c, i) =>
        [`${c.kernel} #${i} (${c.args.map((a) => (typeof a === 'number' ? a : `[${a.len}]`)).join(', ')})`, c] as const,
    ),
  )('%s', (_label, c) => {
    const one = runCase(engines.get(1)!, c);
    for (const t of COUNTS.slice(1)) {
      const e = engines.get(t)!;
      const before = (e as unknown as { pool: { calls: number } }).pool.calls;
      const got = runCase(e, c);
      const ran = (e as unknown as { pool: { calls: number } }).pool.calls - before;
      expect(ran, `${c.kernel} split on ${t} threads`).toBe(c.splits ? 1 : 0);
      const bufs = c.args.filter((a): a is Buf => typeof a !== 'number');
      for (let j = 0; j < one.length; j++) {
        if (bufs[j].fill === 'scratch') continue;
        const bad = got[j].findIndex((v, i) => v !== one[j][i]);
        expect(bad, `${c.kernel} on ${t} threads: buffer ${j} differs first at ${bad}`).toBe(-1);
      }
    }
  });
});

describe('threads: parts run by the workers alone are bit-identical too', () => {
  // The caller claims no part: every part runs in a worker, with the worker's own GEMM workspace and scratch in
  // place of the caller's (PER_THREAD), and parts go to whichever worker claims them first.
  it.each(
    CASES.filter((c) => c.splits).map(
      (c, i) =>
        [`${c.kernel} #${i} (${c.args.map((a) => (typeof a === 'number' ? a : `[${a.len}]`)).join(', ')})`, c] as const,
    ),
  )('%s', (_label, c) => {
    const one = runCase(engines.get(1)!, c);
    for (const t of [2, 4]) {
      const e = engines.get(t)!;
      const pool = (e as unknown as { pool: { steal: boolean } }).pool;
      pool.steal = false;
      try {
        const got = runCase(e, c);
        const bufs = c.args.filter((a): a is Buf => typeof a !== 'number');
        for (let j = 0; j < one.length; j++) {
          if (bufs[j].fill === 'scratch') continue;
          const bad = got[j].findIndex((v, i) => v !== one[j][i]);
          expect(bad, `${c.kernel}, workers of ${t} threads alone: buffer ${j} differs first at ${bad}`).toBe(-1);
        }
      } finally {
        pool.steal = true;
      }
    }
  });
});

describe('the default thresholds', () => {
  it('keep batch-1 and small calls on the calling thread and split large ones', () => {
    const saved = { ...LIMITS };
    Object.assign(LIMITS, DEFAULTS);
    try {
      const e = engines.get(2)!;
      const before = (e as unknown as { pool: { calls: number } }).pool.calls;
      const small: Case[] = [
        {
          kernel: 'gemm_forward',
          args: [b(512, 'nan'), b(1 << 17, 'scratch'), b(784), b(784 * 512), b(512), 1, 784, 512],
          splits: false,
        },
        {
          kernel: 'gemm_forward',
          args: [b(4 * 128, 'nan'), b(1 << 17, 'scratch'), b(4 * 784), b(784 * 128), 0, 4, 784, 128],
          splits: false,
        },
        { kernel: 'relu_forward', args: [b(32 * 512, 'nan'), b(32 * 512), 32 * 512], splits: false },
      ];
      for (const c of small) runCase(e, c);
      expect((e as unknown as { pool: { calls: number } }).pool.calls).toBe(before);
      runCase(e, {
        kernel: 'gemm_forward',
        args: [b(128 * 512, 'nan'), b(1 << 17, 'scratch'), b(128 * 784), b(784 * 512), 0, 128, 784, 512],
        splits: true,
      });
      runCase(e, {
        kernel: 'adam_update',
        args: [b(600_000), b(600_000), b(600_000, 'pos'), b(600_000), 600_000, 1e-3, 0.9, 0.999, 1e-7, 0, 0.1, 0.001],
        splits: true,
      });
      expect((e as unknown as { pool: { calls: number } }).pool.calls).toBe(before + 2);
    } finally {
      Object.assign(LIMITS, saved);
    }
  });
});

describe('cut(): how a count is divided', () => {
  it('starts at multiples of the granule, every part at least the minimum, all of the count covered', () => {
    for (const count of [0, 3, 4, 7, 8, 9, 13, 64, 67, 130, 1001]) {
      for (const gran of [1, 4, 16]) {
        for (const parts of [2, 3, 4, 7]) {
          const r = cut(count, gran, gran, parts);
          if (!r) {
            expect(Math.floor(count / gran)).toBeLessThan(2);
            continue;
          }
          expect(r.length).toBeLessThanOrEqual(parts);
          let s = 0;
          for (const [start, len] of r) {
            expect(start).toBe(s);
            expect(start % gran).toBe(0);
            expect(len).toBeGreaterThanOrEqual(gran);
            s += len;
          }
          expect(s).toBe(count);
        }
      }
    }
  });
});
