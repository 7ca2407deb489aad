// Kernel benchmarks: the machine's f32x4 peak, then the three GEMM forms (wasm-simd vs the js twins) at square
// sizes and at the MLP 784-128-10 shapes, plus a kernel-level batch-1 inference of that MLP, and the conv paths
// of a LeNet at batch 32 next to the plain GEMM of the same M x K x N (plus max pooling).
// Loads build/simdnet.wasm (or $SIMDNET_WASM) directly, the way test/helpers/wasm.ts does, and the js twins from
// dist/reference (tsc output of src/reference).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import * as twin from '../dist/reference/gemm.js';

const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('../build/simdnet.wasm', import.meta.url));

/** One module instance with a bump allocator; everything is allocated before any timing. */
function instantiate() {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { env: { memory } });
  const k = instance.exports;
  let top = (k.heap_base() + 15) & ~15;
  const alloc = (floats) => {
    const p = top;
    top = (top + floats * 4 + 15) & ~15;
    const need = top - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const view = (p, n) => new Float32Array(memory.buffer, p, n);
  return { k, alloc, view };
}

/** Deterministic data in [-1, 1). */
function fillRandom(a, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

/**
 * Times fn with tinybench: warm-up first (V8 tiers wasm up late), then samples for `time` ms. Calls shorter than
 * ~0.2 ms are batched (one sample = mean of a batch, timed with bench.now()) so timer overhead does not count.
 * Each sample also records the process CPU time of the batch (process.cpuUsage): on a shared machine wall time
 * includes the time other processes held the core, CPU time does not.
 * Returns per-call statistics in ms: wall median / min, CPU-time median.
 */
async function measure(name, fn, { time, warmupTime, samples = 5, probe = true, warmup = true }) {
  // Batch size from one probe call after a short run-in (not part of the statistics).
  let batch = 1;
  if (probe) {
    for (let i = 0; i < 3; i++) fn();
    const t0 = performance.now();
    fn();
    const one = Math.max(performance.now() - t0, 1e-5);
    batch = Math.max(1, Math.min(1e6, Math.ceil(0.2 / one)));
  }
  const cpu = [];
  let timing = false;
  const bench = new Bench({
    time,
    iterations: samples,
    warmup,
    warmupTime,
    warmupIterations: 1,
    setup: (_task, mode) => {
      timing = mode === 'run';
    },
  });
  bench.add(
    name,
    () => {
      const u = process.cpuUsage();
      const s = bench.now();
      for (let i = 0; i < batch; i++) fn();
      const dt = bench.now() - s;
      const du = process.cpuUsage(u);
      if (timing) cpu.push((du.user + du.system) / 1000 / batch);
      return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
    },
    { async: false },
  );
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`${name}: ${r.state} ${r.error?.message ?? ''}`);
  cpu.sort((a, b) => a - b);
  const cpuP50 = cpu.length > 0 ? cpu[(cpu.length - 1) >> 1] : r.latency.p50;
  return { p50: r.latency.p50, min: r.latency.min, cpuP50, samples: r.latency.samplesCount, batch };
}

const fmt = (v, d = 1) => (v >= 100 ? v.toFixed(0) : v.toFixed(d));
const fmtUs = (ms) => {
  const us = ms * 1000;
  return us >= 1000 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
};

export async function run({ quick = false } = {}) {
  // Timing per task and round. The machine's speed drifts while other processes run, so the wasm tasks are
  // measured in ROUNDS interleaved rounds and each reports the median over rounds (js only in round 1: it is
  // the reference, not the subject). Round 1 warms every task up for >= 400 ms; later rounds only re-warm caches.
  const ROUNDS = quick ? 1 : 3;
  const T = quick ? { time: 150, warmupTime: 100 } : { time: 300, warmupTime: 400 };
  const TJ = quick ? { time: 150, warmupTime: 100 } : { time: 500, warmupTime: 400 };
  const REWARM = 100;
  const { k, alloc, view } = instantiate();

  // Workspace once, like the host does.
  const wsBytes = k.gemm_workspace_size();
  const ws = alloc(Math.ceil(wsBytes / 4));

  // Operand buffers big enough for every shape, filled once.
  const MAX = 1024 * 1024;
  const bufs = { a: alloc(MAX), b: alloc(MAX), c: alloc(MAX), d: alloc(MAX), bias: alloc(1024) };
  for (const [i, p] of Object.values(bufs).entries()) fillRandom(view(p, p === bufs.bias ? 1024 : MAX), 7 + i);

  const json = { wasm: wasmPath, workspaceBytes: wsBytes, rounds: ROUNDS, peak: null, tasks: [] };
  const log = (s) => process.stdout.write(`  ${s}\n`);
  /** @type {{ name: string, fn: () => unknown, opts: object, flops: number, once: boolean, runs: object[] }[]} */
  const jobs = [];
  const job = (name, fn, flops, opts, once = false) => {
    const j = { name, fn, flops, opts, once, runs: [] };
    jobs.push(j);
    return j;
  };

  // ---- peak: independent f32x4 mul+add chains (12 accumulators, 96 flops per iteration) ----
  const iters = 100_000;
  const peakJob = job('wasm-simd peak_f32x4 12 chains', () => k.peak_f32x4(iters), 96 * iters, T);

  // ---- GEMM tasks ----
  const square = quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024];
  const mlp = [
    [64, 784, 128],
    [64, 128, 10],
    [256, 784, 128],
    [1, 784, 128],
    [1, 128, 10],
  ];
  const shapes = [];
  for (const n of square) shapes.push(['gemm_forward', n, n, n]);
  for (const s of mlp) shapes.push(['gemm_forward', ...s]);
  for (const op of ['gemm_backward_w', 'gemm_backward_x']) {
    for (const n of [256, 1024]) shapes.push([op, n, n, n]);
    for (const s of mlp) shapes.push([op, ...s]);
  }
  const gemmJobs = [];
  for (const [op, m, kk, n] of shapes) {
    const shape = `${m}x${kk}x${n}`;
    const flops = 2 * m * kk * n;
    const { a, b, c, bias } = bufs;
    // Pointers into the preallocated buffers; the roles follow each kernel's argument order.
    const wasmFn =
      op === 'gemm_forward'
        ? () => k.gemm_forward(c, ws, a, b, bias, m, kk, n)
        : op === 'gemm_backward_w'
          ? () => k.gemm_backward_w(c, ws, a, b, m, kk, n)
          : () => k.gemm_backward_x(c, ws, a, b, m, kk, n);
    // js twin on its own typed arrays (allocated here, outside the timed body).
    const X = fillRandom(new Float32Array(m * kk), 1);
    const W = fillRandom(new Float32Array(kk * n), 2);
    const DY = fillRandom(new Float32Array(m * n), 3);
    const B = fillRandom(new Float32Array(n), 4);
    const OUT = new Float32Array(Math.max(m * n, kk * n, m * kk));
    const jsFn =
      op === 'gemm_forward'
        ? () => twin.gemm_forward(OUT, null, X, W, B, m, kk, n)
        : op === 'gemm_backward_w'
          ? () => twin.gemm_backward_w(OUT, null, X, DY, m, kk, n)
          : () => twin.gemm_backward_x(OUT, null, DY, W, m, kk, n);
    const label = `${op.replace('gemm_', 'gemm ')} ${shape}`;
    // The js twin takes seconds per call at n = 1024: two timed calls (one in a quick run), no warm-up call —
    // the same function already ran hot at the smaller sizes listed before it.
    const jsOpts = flops > 3e8 ? { time: 0, warmupTime: 0, samples: quick ? 1 : 2, probe: false, warmup: false } : TJ;
    gemmJobs.push({
      op,
      m,
      k: kk,
      n,
      shape,
      wasm: job(`wasm-simd ${label}`, wasmFn, flops, T),
      js: job(`js ${label}`, jsFn, flops, jsOpts, true),
    });
  }

  // ---- batch-1 inference of the MLP 784-128-10 at kernel level: GEMV, bias folded in, relu, GEMV, softmax ----
  let inferJob = null;
  if (typeof k.relu_forward === 'function' && typeof k.softmax_forward === 'function') {
    const h = alloc(128);
    const z = alloc(16);
    const p = alloc(16);
    const infer = () => {
      k.gemm_forward(h, ws, bufs.a, bufs.b, bufs.bias, 1, 784, 128);
      k.relu_forward(h, h, 128);
      k.gemm_forward(z, ws, h, bufs.d, bufs.bias, 1, 128, 10);
      k.softmax_forward(p, z, 1, 10);
    };
    inferJob = job('wasm-simd mlp-infer 1x784-128-10', infer, 2 * (784 * 128 + 128 * 10), T);
  }

  // ---- conv (NHWC) at LeNet shapes, batch 32: each path next to the plain gemm_forward of the same M x K x N ----
  // forward = im2col_nhwc + gemm_forward (or the direct conv2d_forward_nhwc); backward-filter = gemm_backward_w
  // from the saved cols; backward-data = gemm_backward_x + col2im_nhwc. FLOPs 2·M·K·N for all of them.
  const convJobs = [];
  if (typeof k.im2col_nhwc === 'function') {
    const layers = [
      // name, n, h, w, c, kernel, filters ('valid', stride 1), all paths (else gemm_forward and the direct ones)
      ['conv1', 32, 28, 28, 1, 5, 8, true],
      ['conv2', 32, 12, 12, 8, 5, 16, true],
      // Other filter counts (pruned or widened layers): 8-wide blocks, the 4-wide kernels and overlapping tails.
      ['conv1 f=4', 32, 28, 28, 1, 5, 4, false],
      ['conv1 f=12', 32, 28, 28, 1, 5, 12, false],
      ['conv2 f=4', 32, 12, 12, 8, 5, 4, false],
      ['conv2 f=8', 32, 12, 12, 8, 5, 8, false],
      ['conv2 f=12', 32, 12, 12, 8, 5, 12, false],
    ];
    for (const [layer, n, h, w, c, kk, f, full] of layers) {
      const oh = h - kk + 1,
        ow = w - kk + 1;
      const M = n * oh * ow,
        K = kk * kk * c,
        N = f;
      const flops = 2 * M * K * N;
      const geo = [n, h, w, c, kk, kk, 1, 1, 0, 0, oh, ow];
      const x = alloc(n * h * w * c),
        cols = alloc(M * K),
        W = alloc(K * N),
        b = alloc(N);
      const y = alloc(M * N),
        dy = alloc(M * N),
        dW = alloc(K * N),
        dx = alloc(n * h * w * c);
      for (const [p, len, seed] of [
        [x, n * h * w * c, 21],
        [W, K * N, 22],
        [b, N, 23],
        [dy, M * N, 24],
      ]) {
        fillRandom(view(p, len), seed);
      }
      k.im2col_nhwc(cols, x, ...geo);
      const shape = `${n}x${h}x${w}x${c} ${kk}x${kk}x${f}`;
      const mkn = `${M}x${K}x${N}`;
      const paths = [
        ['gemm_forward', `wasm-simd gemm_forward ${mkn}`, () => k.gemm_forward(y, ws, cols, W, b, M, K, N)],
        [
          'forward im2col+gemm',
          `wasm-simd conv-forward-im2col ${shape}`,
          () => {
            k.im2col_nhwc(cols, x, ...geo);
            k.gemm_forward(y, ws, cols, W, b, M, K, N);
          },
        ],
        [
          'forward direct',
          `wasm-simd conv-forward-direct ${shape}`,
          () => k.conv2d_forward_nhwc(y, x, W, b, ...geo, f),
        ],
        [
          'backward-filter (gemm_backward_w, saved cols)',
          `wasm-simd conv-backward-filter ${shape}`,
          () => k.gemm_backward_w(dW, ws, cols, dy, M, K, N),
        ],
        [
          'backward-filter direct',
          `wasm-simd conv-backward-filter-direct ${shape}`,
          () => k.conv2d_backward_w_nhwc(dW, x, dy, ...geo, f),
        ],
        [
          'backward-data (gemm_backward_x + col2im)',
          `wasm-simd conv-backward-data ${shape}`,
          () => {
            k.gemm_backward_x(cols, ws, dy, W, M, K, N);
            k.col2im_nhwc(dx, cols, ...geo);
          },
        ],
        [
          'backward-data direct',
          `wasm-simd conv-backward-data-direct ${shape}`,
          () => k.conv2d_backward_x_nhwc(dx, wsx, dy, W, ...geo, f),
        ],
        ['im2col alone', `wasm-simd im2col_nhwc ${shape}`, () => k.im2col_nhwc(cols, x, ...geo), true],
        ['col2im alone', `wasm-simd col2im_nhwc ${shape}`, () => k.col2im_nhwc(dx, cols, ...geo), true],
      ];
      const wsx =
        typeof k.conv2d_backward_x_workspace_size === 'function'
          ? alloc(k.conv2d_backward_x_workspace_size(kk, kk, c, f) / 4)
          : 0;
      for (const [path, name, fn, aux] of paths) {
        if (path.endsWith('direct') && typeof k.conv2d_backward_x_nhwc !== 'function') continue;
        if (!full && path !== 'gemm_forward' && !path.endsWith('direct')) continue;
        convJobs.push({ layer, shape, mkn, path, aux, job: job(name, fn, aux ? 0 : flops, T) });
      }
    }
    // An int8 conv whose c is not a multiple of 4 (LeNet-5's second conv, 14x14x6 -> 5x5x16, and a CIFAR-like
    // first layer, 32x32x3 -> 3x3x32 'same'): q8_quantize + im2col_nhwc_i8 + q8_gemm + q8_dequantize (ReLU) against
    // the f32 direct conv + relu_forward.
    if (typeof k.im2col_nhwc_i8 === 'function') {
      for (const [n, h, w, c, kk, f, pad] of [
        [32, 14, 14, 6, 5, 16, 0],
        [32, 32, 32, 3, 3, 32, 1],
      ]) {
        const oh = h - kk + 1 + 2 * pad,
          ow = w - kk + 1 + 2 * pad;
        const M = n * oh * ow,
          K = kk * kk * c;
        const geo = [n, h, w, c, kk, kk, 1, 1, pad, pad, oh, ow];
        const x = alloc(n * h * w * c),
          W = alloc(K * f),
          b = alloc(f),
          y = alloc(M * f),
          acc = alloc(M * f);
        fillRandom(view(x, n * h * w * c), 41);
        fillRandom(view(W, K * f), 42);
        const qx = alloc(Math.ceil((n * h * w * c) / 4)),
          qcols = alloc(Math.ceil((M * K) / 4));
        const qw = alloc(Math.ceil((K * f) / 4)),
          sc = alloc(f),
          bp = alloc(Math.ceil(k.q8_packed_size(K, f) / 4));
        k.q8_quantize_weights(qw, sc, W, K, f, 127);
        k.q8_pack_b(bp, qw, K, f);
        const shape = `${n}x${h}x${w}x${c} ${kk}x${kk}x${f}${pad ? ' same' : ''}`;
        const layer = `int8 conv c=${c}`;
        convJobs.push({
          layer,
          shape,
          mkn: `${M}x${K}x${f}`,
          path: 'f32 direct + relu',
          aux: true,
          job: job(
            `wasm-simd conv-forward-direct+relu ${shape}`,
            () => {
              k.conv2d_forward_nhwc(y, x, W, b, ...geo, f);
              k.relu_forward(y, y, M * f);
            },
            0,
            T,
          ),
        });
        convJobs.push({
          layer,
          shape,
          mkn: `${M}x${K}x${f}`,
          path: 'int8 (im2col_nhwc_i8 + q8_gemm)',
          aux: true,
          job: job(
            `wasm-simd conv-forward-int8 ${shape}`,
            () => {
              k.q8_quantize(qx, x, n * h * w * c, 127);
              k.im2col_nhwc_i8(qcols, qx, ...geo);
              k.q8_gemm(acc, ws, qcols, bp, M, K, f);
              k.q8_dequantize(y, acc, 0, sc, b, M, f, 1 / 127, 1);
            },
            0,
            T,
          ),
        });
      }
    }
    // Max pooling 2x2 / 2 of the two conv outputs (forward with argmax indices, backward scatter).
    for (const [n, h, w, c] of [
      [32, 24, 24, 8],
      [32, 8, 8, 16],
    ]) {
      const oh = h >> 1,
        ow = w >> 1;
      const x = alloc(n * h * w * c),
        y = alloc(n * oh * ow * c),
        idx = alloc(n * oh * ow * c),
        dx = alloc(n * h * w * c);
      fillRandom(view(x, n * h * w * c), 31);
      const geo = [n, h, w, c, 2, 2, 2, 2, 0, 0, oh, ow];
      k.maxpool2d_forward(y, idx, x, ...geo);
      const shape = `${n}x${h}x${w}x${c} 2x2/2`;
      const bytes = 4 * n * h * w * c;
      convJobs.push({
        layer: 'maxpool',
        shape,
        path: 'maxpool forward',
        bytes,
        job: job(`wasm-simd maxpool2d_forward ${shape}`, () => k.maxpool2d_forward(y, idx, x, ...geo), 0, T),
      });
      convJobs.push({
        layer: 'maxpool',
        shape,
        path: 'maxpool backward',
        bytes,
        job: job(
          `wasm-simd maxpool2d_backward ${shape}`,
          () => k.maxpool2d_backward(dx, y, idx, n, h * w * c, oh * ow * c),
          0,
          T,
        ),
      });
    }
  }

  for (let r = 0; r < ROUNDS; r++) {
    if (ROUNDS > 1) log(`-- round ${r + 1} of ${ROUNDS}`);
    for (const j of jobs) {
      if (r > 0 && j.once) continue;
      const opts = r === 0 ? j.opts : { ...j.opts, warmupTime: REWARM };
      const st = await measure(j.name, j.fn, opts);
      j.runs.push(st);
      log(
        `${j.name.padEnd(44)} ${fmtUs(st.p50).padStart(8)} µs  ${fmt(j.flops / (st.p50 * 1e6)).padStart(5)} GFLOP/s  (CPU time ${fmt(j.flops / (st.cpuP50 * 1e6))})`,
      );
    }
  }

  // Per task: median over rounds of the per-round medians; fastest sample overall.
  const med = (v) => [...v].sort((x, y) => x - y)[(v.length - 1) >> 1];
  const summary = (j) => {
    const p50 = med(j.runs.map((s) => s.p50));
    const cpuP50 = med(j.runs.map((s) => s.cpuP50));
    return {
      p50,
      cpuP50,
      min: Math.min(...j.runs.map((s) => s.min)),
      gflops: j.flops / (p50 * 1e6),
      gflopsCpu: j.flops / (cpuP50 * 1e6),
    };
  };
  const ps = summary(peakJob);
  const peakWall = ps.gflops;
  const peak = ps.gflopsCpu;
  json.peak = {
    gflopsWall: peakWall,
    gflopsCpu: peak,
    perRound: peakJob.runs.map((s) => peakJob.flops / (s.cpuP50 * 1e6)),
  };

  const rows = [];
  for (const g of gemmJobs) {
    const w = summary(g.wasm);
    const j = summary(g.js);
    for (const [impl, st, jb] of [
      ['wasm-simd', w, g.wasm],
      ['js', j, g.js],
    ]) {
      json.tasks.push({
        name: jb.name,
        op: g.op,
        m: g.m,
        k: g.k,
        n: g.n,
        impl,
        medianMs: st.p50,
        minMs: st.min,
        cpuMedianMs: st.cpuP50,
        gflops: st.gflops,
        gflopsCpu: st.gflopsCpu,
        fractionOfPeak: st.gflopsCpu / peak,
        perRoundGflopsCpu: jb.runs.map((s) => jb.flops / (s.cpuP50 * 1e6)),
      });
    }
    rows.push(
      `| ${g.op.replace('gemm_', '')} | ${g.shape} | ${fmtUs(w.p50)} | ${fmt(w.gflops)} | ${fmt(w.gflopsCpu)} | ${Math.round((100 * w.gflopsCpu) / peak)}% | ${fmt(j.gflops, 2)} | ${fmt(w.gflops / j.gflops)}x |`,
    );
  }

  let inferLine = '';
  if (inferJob) {
    const st = summary(inferJob);
    json.mlpInferBatch1 = { medianUs: st.p50 * 1000, minUs: st.min * 1000, cpuMedianUs: st.cpuP50 * 1000 };
    inferLine =
      'Batch-1 inference of the MLP at kernel level (`gemm_forward` 1x784x128 with bias, `relu_forward`, ' +
      `\`gemm_forward\` 1x128x10, \`softmax_forward\`): **${fmtUs(st.p50)} µs** median wall time ` +
      `(${fmtUs(st.cpuP50)} µs CPU time, fastest sample ${fmtUs(st.min)} µs).`;
  }

  const convRows = [];
  const convJson = [];
  for (const cj of convJobs) {
    const st = summary(cj.job);
    const row = {
      name: cj.job.name,
      layer: cj.layer,
      shape: cj.shape,
      path: cj.path,
      medianUs: st.p50 * 1000,
      cpuMedianUs: st.cpuP50 * 1000,
      minUs: st.min * 1000,
    };
    if (cj.bytes) {
      row.gbps = cj.bytes / (st.p50 * 1e6);
      convRows.push(`| ${cj.shape} | ${cj.path} | | ${fmtUs(st.p50)} | ${fmt(row.gbps, 2)} GB/s of input | |`);
    } else if (cj.aux) {
      convRows.push(`| ${cj.layer} ${cj.shape} | ${cj.path} | ${cj.mkn} | ${fmtUs(st.p50)} | | |`);
    } else {
      const gemm = convJobs.find((o) => o.layer === cj.layer && o.path === 'gemm_forward');
      const gg = summary(gemm.job);
      row.gflops = st.gflops;
      row.gflopsCpu = st.gflopsCpu;
      row.ofGemmForward = st.gflopsCpu / gg.gflopsCpu;
      convRows.push(
        `| ${cj.layer} ${cj.shape} | ${cj.path} | ${cj.mkn} | ${fmtUs(st.p50)} | ${fmt(st.gflops)} (${fmt(st.gflopsCpu)}) | ${Math.round(100 * row.ofGemmForward)}% |`,
      );
    }
    convJson.push(row);
  }
  json.conv = convJson;
  const convSection =
    convRows.length === 0
      ? []
      : [
          '',
          '### Conv (NHWC) at LeNet shapes, batch 32',
          '',
          'Layer input n x h x w x c and kernel kh x kw x filters, stride 1, \'valid\'; the "f=" rows are the same layers with',
          'other filter counts (direct paths only). Each path is timed against the plain',
          '`gemm_forward` of the same M x K x N (M = n·oh·ow, K = kh·kw·c, N = filters; 2·M·K·N flops for every path).',
          'forward im2col+gemm = `im2col_nhwc` + `gemm_forward`; backward-filter = `gemm_backward_w` from the cols saved',
          'in the forward; backward-data = `gemm_backward_x` + `col2im_nhwc`; the direct rows are the NHWC kernels',
          '`conv2d_forward_nhwc`, `conv2d_backward_w_nhwc`, `conv2d_backward_x_nhwc` (no cols). GFLOP/s by wall time',
          '(CPU time in brackets); "of GEMM" compares CPU-time GFLOP/s with the `gemm_forward` row.',
          '',
          '| layer | path | M x K x N | median (µs) | GFLOP/s | of GEMM |',
          '|---|---|---|---:|---:|---:|',
          ...convRows,
        ];

  const markdown = [
    `Peak f32x4 mul+add (\`peak_f32x4\`, 12 independent chains): **${fmt(peak)} GFLOP/s** (CPU time; ` +
      `${fmt(peakWall)} by wall time).`,
    'GEMM shapes are m x k x n (2·m·k·n flops); forward is y = x·w + b, backward_w is dW += xᵀ·dY, backward_x',
    `is dX = dY·wᵀ. Medians of tinybench samples (calls under 0.2 ms batched), then the median over ${ROUNDS}`,
    'interleaved round(s). "CPU time" divides by the process CPU time of the same samples instead of wall time: it',
    'leaves out time other processes held the core, and "% of peak" compares it with the peak measured the same',
    'way. The js column is the plain-TypeScript twin (one round).',
    '',
    '| op | m x k x n | wasm median (µs) | wasm GFLOP/s | wasm GFLOP/s (CPU time) | % of peak | js GFLOP/s | speedup |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    inferLine,
    ...convSection,
  ].join('\n');
  return { title: 'Kernels: f32x4 peak and GEMM', markdown, json };
}
