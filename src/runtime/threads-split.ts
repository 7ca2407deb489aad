// How each kernel's work splits across threads: the one table that decides it. A splitter takes a call's
// arguments and returns one argument list per part (any thread may run any part: threads.ts), or undefined to run
// the call whole. Only OUTPUT tiles are split, never a reduction, and every cut keeps each output element on the
// same code path with the same summation order as the whole call, so results are bit-identical for every thread
// count:
// - GEMM forward: columns n in multiples of 16 (gemm_forward_cols; the SIMD lanes are columns, the path and the
//   k-blocking do not depend on them), or rows where n is narrow or w is read in place; 1..3 rows (GEMVs) by
//   columns in blocks of 24 (the GEMV's widest block);
// - GEMM forward / data gradient by rows: m in multiples of the micro-kernel's 4 rows, every part >= 4 rows (below
//   4 rows the dispatcher switches to GEMV / dot-product paths, and the k-blocking does not depend on m);
// - GEMM weight gradient: rows k of dw (gemm_backward_w_rows), never the batch m (that would be a reduction);
// - conv forward / data gradient, pooling, padding, permute: the batch n (every kernel loops over samples); the
//   conv forward of fewer samples than threads by output rows (conv2d_forward_nhwc_rows);
// - element-wise kernels and optimizer updates: the flat length in multiples of 16 floats (their loops are f32x4
//   bodies, at most 8 floats unrolled, with tails that round exactly like the body);
// - row-wise kernels (softmax, bias, batch norm's affine, gather): rows;
// - int8 GEMM (exact integer sums) by rows, its conversions element-wise or by rows.
// - conv filter gradient: taps (rows of dw, conv2d_backward_w_nhwc_rows), never the batch.
// - max pooling's backward (a scatter within each sample) by samples, like its forward.
// Kernels that reduce to a scalar (losses, counts), hash by element index (dropout's forward) or accumulate over
// the batch (the bias gradient) run whole.

/** What a splitter knows of the pool. */
export interface SplitContext {
  /** Threads available (the calling thread and the workers). */
  readonly threads: number;
  /**
   * Whether the workers are awake (spinning after a recent call) so that a hand-off costs about a microsecond; asked
   * only of work between the hot and the cold threshold (see LIMITS). It may wake them for the calls that follow.
   */
  hot(): boolean;
}

/**
 * The argument each thread replaces with scratch of its own when it runs a part (parts are claimed by whichever
 * thread is free, so scratch goes with the thread, not the part): the GEMM workspace, or a block of `bytes`.
 */
export const PER_THREAD: Record<string, { arg: number; bytes?: (a: number[], dxWsSize: DxWsSize) => number }> = {
  gemm_forward_cols: { arg: 1 },
  gemm_backward_x: { arg: 1 },
  gemm_backward_w_rows: { arg: 1 },
  q8_gemm: { arg: 1 },
  conv2d_backward_x_nhwc: { arg: 1, bytes: (a, size) => size(a[8], a[9], a[7], a[16]) },
};

/** conv2d_backward_x_workspace_size(kh, kw, c, f) of the module. */
export type DxWsSize = (kh: number, kw: number, c: number, f: number) => number;

/** The most parts one call is cut into (the pool's table of part arguments holds this many). */
export const MAX_PARTS = 256;

/**
 * How many parts a call of `work` may be cut into: one per thread, or for compute-bound kernels up to 4 per
 * thread as long as each part keeps half a threshold of work. Parts are claimed by whichever thread is free, so a
 * core slowed by other work (a busy machine, an efficiency core) takes fewer of them and the call does not wait on
 * it; parts of equal size would end when the slowest core ends.
 */
export function partsFor(work: number, min: 'macs' | 'elements', ctx: SplitContext, chunked: boolean): number {
  if (!chunked) return ctx.threads;
  const byWork = Math.floor(work / (LIMITS[min] / 2));
  return Math.max(ctx.threads, Math.min(4 * ctx.threads, byWork, MAX_PARTS));
}

export type Splitter = (a: number[], ctx: SplitContext) => number[][] | undefined;

/**
 * Work below these runs on the calling thread unless the workers are awake (then from the hot ones). A hand-off
 * costs about a microsecond to a spinning worker (they spin 2 ms after each call, threads.ts), tens of
 * microseconds to a sleeping one, and more on a machine busy with other processes. Measured on this project's 2-core VM (2026-12-07, 1 vs 2 threads alternated, medians of 5
 * rounds): GEMMs and convolutions pay from 512K multiply-adds (~40 µs on one core: a 784x512 layer from batch 2, a
 * 784x128 one from batch 6). Element-wise, row-wise and pooling kernels, bound by the memory bandwidth the cores
 * share, pay from 256K floats touched: with sleeping workers a 2M threshold was needed (at 128K a split Adam step
 * made the 784-128-10 MLP's training slower on 2 threads than on 1), with spinning ones 256K took the LeNet-like
 * CNN's training (b64) from ~1.3x to ~1.6x and the 784-128-10 MLP's (b64) from ~1.1x to ~1.4x; 128K gained
 * nothing more. The hot thresholds (64K) were chosen at batch 256 inference, where splitting from them took the
 * 784-128-10 MLP from ~1.61x to ~1.75x one thread and the LeNet-like CNN from ~1.64x to ~1.82x, and at batch 1,
 * where a one-row GEMV of 784x128 (100K multiply-adds, 8 µs) then splits: 1.25x; training was unchanged within
 * noise. Mutable for tests.
 */
export const LIMITS = {
  /** Multiply-adds of a GEMM or convolution. */
  macs: 1 << 19,
  /** Floats (or bytes of int8) touched by an element-wise, row-wise or layout kernel. */
  elements: 1 << 18,
  /** Multiply-adds that split when the workers are awake (SplitContext.hot). */
  hotMacs: 1 << 16,
  /** Floats that split when the workers are awake. */
  hotElements: 1 << 16,
};

/** Whether `work` splits: from the cold threshold always, from the hot one when the workers are awake. */
export function worthIt(work: number, min: 'macs' | 'elements', ctx: SplitContext): boolean {
  if (work >= LIMITS[min]) return true;
  return work >= (min === 'macs' ? LIMITS.hotMacs : LIMITS.hotElements) && ctx.hot();
}

/**
 * Cuts `count` units into at most `parts` contiguous [start, length) ranges whose starts are multiples of `gran`
 * and whose lengths are >= `minLen`; undefined when fewer than 2 parts would result.
 */
export function cut(count: number, gran: number, minLen: number, parts: number): Array<[number, number]> | undefined {
  const step = Math.max(gran, Math.ceil(minLen / gran) * gran);
  const p = Math.min(parts, Math.floor(count / step));
  if (p < 2) return undefined;
  const units = Math.floor(count / gran);
  const per = Math.floor(units / p);
  const extra = units % p;
  const out: Array<[number, number]> = [];
  let s = 0;
  for (let i = 0; i < p; i++) {
    const len = (per + (i < extra ? 1 : 0)) * gran;
    out.push([s, i === p - 1 ? count - s : len]);
    s += len;
  }
  return out;
}

/**
 * A splitter over one size argument: `sizeArg` (the count that shrinks), `ptrs` each advancing by `bytesPer(a)`
 * bytes per unit, `gran`/`minLen` as in cut(), `work(a)` the call's work compared with `min`; `chunked`: more
 * parts than threads (partsFor), for compute-bound kernels whose parts cost nothing extra.
 */
function along(
  sizeArg: number,
  ptrs: Array<[arg: number, bytesPer: (a: number[]) => number]>,
  gran: number,
  minLen: number,
  work: (a: number[]) => number,
  min: 'macs' | 'elements',
  chunked = false,
): Splitter {
  return (a, ctx) => {
    const wk = work(a);
    if (!worthIt(wk, min, ctx)) return undefined;
    const ranges = cut(a[sizeArg], gran, minLen, partsFor(wk, min, ctx, chunked));
    if (!ranges) return undefined;
    const strides = ptrs.map(([, per]) => per(a));
    return ranges.map(([s, len]) => {
      const part = a.slice();
      part[sizeArg] = len;
      for (let j = 0; j < ptrs.length; j++) part[ptrs[j][0]] = a[ptrs[j][0]] + s * strides[j];
      return part;
    });
  };
}

const F = 4; // bytes per float

/** Element-wise over a flat length at `n`; `ptrs` the pointer arguments (all advance 4 bytes per element). */
function flat(n: number, ptrs: number[]): Splitter {
  return along(
    n,
    ptrs.map((p) => [p, () => F] as [number, () => number]),
    16,
    16,
    (a) => a[n] * ptrs.length,
    'elements',
  );
}

/** Row-wise: rows at `m`, row length at `len`; `ptrs` advance by a row. */
function rowwise(m: number, len: number, ptrs: number[]): Splitter {
  return along(
    m,
    ptrs.map((p) => [p, (a: number[]) => a[len] * F] as [number, (a: number[]) => number]),
    1,
    1,
    (a) => a[m] * a[len] * ptrs.length,
    'elements',
  );
}

/** An NHWC map's floats per sample: h·w·c at the given argument indices. */
const hwc = (h: number, w: number, c: number) => (a: number[]) => a[h] * a[w] * a[c] * F;

// conv2d / pooling argument positions after the outputs: n, h, w, c, kh|ph, kw|pw, sh, sw, padT, padL, oh, ow (, f)
const convIn = (n: number) => hwc(n + 1, n + 2, n + 3);

/** gemm_forward_cols by rows m (multiples of 4, every part >= 4 rows); `chunked` as in along(). */
const forwardRows = (chunked: boolean): Splitter =>
  along(
    5,
    [
      [0, (a) => a[7] * F],
      [2, (a) => a[6] * F],
    ],
    4,
    4,
    (a) => a[5] * a[6] * a[9],
    'macs',
    chunked,
  );
const forwardRowsWhole = forwardRows(false);
const forwardRowsChunked = forwardRows(true);

/**
 * The forward GEMM reads w in place (no packing) up to this many floats of w and at least 8 columns: the
 * module's DIRECT_MAX_FLOATS (assembly/gemm/index.ts). Only the choice of cut depends on it, not the results.
 */
const GEMM_DIRECT_MAX_FLOATS = 128 * 1024;

/**
 * The batch-1 GEMV's column blocks: 24 columns a chain, then 8, 4, 1 (assembly/gemm/f32-gemv.ts). Cuts at
 * multiples of 24 leave every column in the block of the same width, so the same sum order, as the whole call.
 */
const GEMV_BLOCK = 24;

/** conv2d_forward_nhwc_rows' multiply-adds: samples × rows × ow × f × kh·kw·c. */
const convForwardWork = (a: number[]) => a[4] * a[18] * a[15] * a[16] * a[8] * a[9] * a[7];
const convForwardSamples = along(
  4,
  [
    [0, (a) => a[14] * a[15] * a[16] * F],
    [1, convIn(4)],
  ],
  1,
  1,
  convForwardWork,
  'macs',
  true,
);
/** By output rows: r0 (argument 17) advances one per row. */
const convForwardRows = along(18, [[17, () => 1]], 1, 1, convForwardWork, 'macs', true);

export const SPLITTERS: Record<string, Splitter> = {
  // (y, ws, x, w, b, m, k, n, j0, nc): columns [j0, j0 + nc) of y; gemm_forward is the whole range. Columns when
  // there are at least 32 per part (each part packs only its own columns of w), rows otherwise.
  gemm_forward_cols: (a, ctx) => {
    const [, , , , , m, k, n, j0, nc] = a;
    const work = m * k * nc;
    if (!worthIt(work, 'macs', ctx)) return undefined;
    if (m < 4) {
      // 1..3 rows: one GEMV per row over columns [j0, j0 + nc), its blocks counted from j0; cut by blocks
      // (memory-bound: one part per thread).
      return cut(nc, GEMV_BLOCK, GEMV_BLOCK, ctx.threads)?.map(([s, len]) => {
        const p = a.slice();
        p[8] = j0 + s;
        p[9] = len;
        return p;
      });
    }
    // w read in place: rows (a column part would pack the same x strips again for fewer columns; rows measured
    // 4–17 % faster at 256x784x128 on 2 threads).
    if (k * n <= GEMM_DIRECT_MAX_FLOATS && n >= 8 && j0 === 0 && nc === n) {
      const rows = forwardRowsChunked(a, ctx);
      if (rows) return rows;
    }
    // Multiples of 16 columns (64 bytes): with rows on cache lines, no line of y is written by two threads.
    const cols = cut(nc, 16, 32, partsFor(work, 'macs', ctx, true));
    if (cols)
      return cols.map(([s, len]) => {
        const p = a.slice();
        p[8] = j0 + s;
        p[9] = len;
        return p;
      });
    return forwardRowsWhole(a, ctx);
  },
  // (dx, ws, dy, w, m, k, n)
  gemm_backward_x: along(
    4,
    [
      [0, (a) => a[5] * F],
      [2, (a) => a[6] * F],
    ],
    4,
    4,
    (a) => a[4] * a[5] * a[6],
    'macs',
  ),
  // (dw, ws, x, dy, m, k, n, k0, kc): rows [k0, k0 + kc) of dw; the whole call is k0 = 0, kc = k.
  gemm_backward_w_rows: (a, ctx) => {
    const [, , , , m, , n, k0, kc] = a;
    const work = m * kc * n;
    if (m <= 4 || n === 1 || !worthIt(work, 'macs', ctx)) return undefined; // rank-1 and GEMV paths: run whole
    // More parts than threads only of 32 rows or more: each packs all of dy (m·n floats) for its kc·m·n
    // multiply-adds.
    const ranges = cut(kc, 4, 32, partsFor(work, 'macs', ctx, true)) ?? cut(kc, 4, 4, ctx.threads);
    return ranges?.map(([s, len]) => {
      const p = a.slice();
      p[7] = k0 + s;
      p[8] = len;
      return p;
    });
  },
  // (dw, x, dy, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, p0, pc): taps [p0, p0 + pc) of dw; each tap's sum
  // runs over the same pixels in the same order whatever the cut.
  conv2d_backward_w_nhwc_rows: (a, ctx) => {
    const [, , , n, , , , , , , , , , oh, ow, f, p0, pc] = a;
    const work = n * oh * ow * pc * f;
    if (!worthIt(work, 'macs', ctx)) return undefined;
    return cut(pc, 4, 4, partsFor(work, 'macs', ctx, true))?.map(([s, len]) => {
      const p = a.slice();
      p[16] = p0 + s;
      p[17] = len;
      return p;
    });
  },
  // (y, x, wk, bias, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f, r0, rc): output rows [r0, r0 + rc) of every
  // sample; conv2d_forward_nhwc is rows [0, oh). By samples, or by rows when there are fewer samples than threads
  // (a prediction of one image).
  conv2d_forward_nhwc_rows: (a, ctx) => (a[4] >= ctx.threads ? convForwardSamples(a, ctx) : convForwardRows(a, ctx)),
  // (dx, ws, dy, wk, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow, f)
  conv2d_backward_x_nhwc: along(
    4,
    [
      [0, convIn(4)],
      [2, (a) => a[14] * a[15] * a[16] * F],
    ],
    1,
    1,
    (a) => a[4] * a[14] * a[15] * a[16] * a[8] * a[9] * a[7],
    'macs',
    true,
  ),
  // (cols, x, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow)
  im2col_nhwc: along(
    2,
    [
      [0, (a) => a[12] * a[13] * a[6] * a[7] * a[5] * F],
      [1, convIn(2)],
    ],
    1,
    1,
    (a) => a[2] * a[12] * a[13] * a[6] * a[7] * a[5],
    'elements',
  ),
  // (dx, dcols, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow)
  col2im_nhwc: along(
    2,
    [
      [0, convIn(2)],
      [1, (a) => a[12] * a[13] * a[6] * a[7] * a[5] * F],
    ],
    1,
    1,
    (a) => a[2] * a[12] * a[13] * a[6] * a[7] * a[5],
    'elements',
  ),
  // (y, idx, x, n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow): idx (indices into each sample's map) advances
  // with y, unless it is 0 (inference: no indices).
  maxpool2d_forward: along(
    3,
    [
      [0, (a) => a[13] * a[14] * a[6] * F],
      [1, (a) => (a[1] === 0 ? 0 : a[13] * a[14] * a[6] * F)],
      [2, hwc(4, 5, 6)],
    ],
    1,
    1,
    (a) => a[3] * a[13] * a[14] * a[6] * a[7] * a[8],
    'elements',
  ),
  // (dx, dy, idx, n, sx, sy): each sample scatters into its own sx floats of dx.
  maxpool2d_backward: along(
    3,
    [
      [0, (a) => a[4] * F],
      [1, (a) => a[5] * F],
      [2, (a) => a[5] * F],
    ],
    1,
    1,
    (a) => a[3] * (a[4] + 2 * a[5]),
    'elements',
  ),
  // (y, x, n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow)
  avgpool2d_forward: along(
    2,
    [
      [0, (a) => a[12] * a[13] * a[5] * F],
      [1, convIn(2)],
    ],
    1,
    1,
    (a) => a[2] * a[12] * a[13] * a[5] * a[6] * a[7],
    'elements',
  ),
  // (dx, dy, n, h, w, c, ph, pw, sh, sw, padT, padL, oh, ow)
  avgpool2d_backward: along(
    2,
    [
      [0, convIn(2)],
      [1, (a) => a[12] * a[13] * a[5] * F],
    ],
    1,
    1,
    (a) => a[2] * a[12] * a[13] * a[5] * a[6] * a[7],
    'elements',
  ),
  // (y, x, n, hw, c) / (dx, dy, n, hw, c)
  global_avgpool_forward: along(
    2,
    [
      [0, (a) => a[4] * F],
      [1, (a) => a[3] * a[4] * F],
    ],
    1,
    1,
    (a) => a[2] * a[3] * a[4],
    'elements',
  ),
  global_avgpool_backward: along(
    2,
    [
      [0, (a) => a[3] * a[4] * F],
      [1, (a) => a[4] * F],
    ],
    1,
    1,
    (a) => a[2] * a[3] * a[4],
    'elements',
  ),
  // (y, x, m, h, w, c, top, bottom, left, right) / (dx, dy, …)
  zero_pad2d_forward: along(
    2,
    [
      [0, (a) => (a[6] + a[3] + a[7]) * (a[8] + a[4] + a[9]) * a[5] * F],
      [1, hwc(3, 4, 5)],
    ],
    1,
    1,
    (a) => a[2] * (a[6] + a[3] + a[7]) * (a[8] + a[4] + a[9]) * a[5],
    'elements',
  ),
  crop2d_backward: along(
    2,
    [
      [0, hwc(3, 4, 5)],
      [1, (a) => (a[6] + a[3] + a[7]) * (a[8] + a[4] + a[9]) * a[5] * F],
    ],
    1,
    1,
    (a) => a[2] * (a[6] + a[3] + a[7]) * (a[8] + a[4] + a[9]) * a[5],
    'elements',
  ),
  // (y, x, m, d0, d1, d2, d3, s0..s3): whole samples of d0·d1·d2·d3 floats
  permute_forward: along(
    2,
    [
      [0, (a) => a[3] * a[4] * a[5] * a[6] * F],
      [1, (a) => a[3] * a[4] * a[5] * a[6] * F],
    ],
    1,
    1,
    (a) => a[2] * a[3] * a[4] * a[5] * a[6],
    'elements',
  ),
  // (y, x, shifts, count, h, w)
  image_shift: along(
    3,
    [
      [0, (a) => a[4] * a[5] * F],
      [1, (a) => a[4] * a[5] * F],
      [2, () => 8],
    ],
    1,
    1,
    (a) => a[3] * a[4] * a[5],
    'elements',
  ),
  // (y, x, idx, m, n): rows of y and idx; x is indexed
  gather_rows: along(
    3,
    [
      [0, (a) => a[4] * F],
      [2, () => 4],
    ],
    1,
    1,
    (a) => a[3] * a[4],
    'elements',
  ),

  // int8 inference (compressed models): integer sums are exact, and the f32 conversions are element-wise.
  // (c, ws, a, bp, m, k, n): c i32, a int8; rows in multiples of 4 (below 4 rows the kernel takes its GEMV path)
  q8_gemm: along(
    4,
    [
      [0, (a) => a[6] * F],
      [2, (a) => a[5]],
    ],
    4,
    4,
    (a) => a[4] * a[5] * a[6],
    'macs',
  ),
  // (q, x, n, inv_scale): q int8, x f32; 16 at a time like the kernel's body
  q8_quantize: along(
    2,
    [
      [0, () => 1],
      [1, () => F],
    ],
    16,
    16,
    (a) => a[2] * 2,
    'elements',
  ),
  // (y, acc, bias_q, scale, bias_f, m, n, s, relu): y f32, acc i32
  q8_dequantize: rowwise(5, 6, [0, 1]),
  // (q, acc, bias_q, mult, m, n, relu): q int8, acc i32
  q8_requantize: along(
    4,
    [
      [0, (a) => a[5]],
      [1, (a) => a[5] * F],
    ],
    1,
    1,
    (a) => a[4] * a[5] * 2,
    'elements',
  ),
  // (cols, x, n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow): int8 bytes
  im2col_nhwc_i8: along(
    2,
    [
      [0, (a) => a[12] * a[13] * a[6] * a[7] * a[5]],
      [1, (a) => a[3] * a[4] * a[5]],
    ],
    1,
    1,
    (a) => a[2] * a[12] * a[13] * a[6] * a[7] * a[5],
    'elements',
  ),

  // Element-wise.
  sigmoid_forward: flat(2, [0, 1]),
  tanh_forward: flat(2, [0, 1]),
  relu_forward: flat(2, [0, 1]),
  leaky_relu_forward: flat(2, [0, 1]),
  sigmoid_backward: flat(3, [0, 1, 2]),
  tanh_backward: flat(3, [0, 1, 2]),
  relu_backward: flat(3, [0, 1, 2]),
  leaky_relu_backward: flat(3, [0, 1, 2]),
  dropout_backward: flat(3, [0, 1, 2]),
  fill_f32: flat(1, [0]),
  scale_f32: flat(1, [0]),
  mask_f32: flat(2, [0, 1]),
  l1_backward: flat(2, [0, 1]),
  l2_backward: flat(2, [0, 1]),
  sgd_update: flat(2, [0, 1]),
  momentum_update: flat(3, [0, 1, 2]),
  nesterov_update: flat(3, [0, 1, 2]),
  adam_update: flat(4, [0, 1, 2, 3]),
  adamw_update: flat(4, [0, 1, 2, 3]),
  // Row-wise: (y, x, m, n) / (dx, dy, y, m, n) / (y, b, m, n) / (y, x, …, m, c)
  softmax_forward: rowwise(2, 3, [0, 1]),
  softmax_backward: rowwise(3, 4, [0, 1, 2]),
  bias_forward: rowwise(2, 3, [0]),
  batchnorm_forward: rowwise(6, 7, [0, 1]),
  channel_affine: rowwise(4, 5, [0, 1]),
};
