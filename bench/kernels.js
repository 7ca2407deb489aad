// Kernel benchmarks: the machine's f32x4 peak, then the three GEMM forms (wasm-simd vs the js twins) at square
// sizes and at the MLP 784-128-10 shapes, plus a kernel-level batch-1 inference of that MLP.
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
  const T = quick ? { time: 150, warmupTime: 100 } : { time: 700, warmupTime: 400 };
  const TJ = quick ? { time: 150, warmupTime: 100 } : { time: 500, warmupTime: 400 };
  const { k, alloc, view } = instantiate();

  // Workspace once, like the host does.
  const wsBytes = k.gemm_workspace_size();
  const ws = alloc(Math.ceil(wsBytes / 4));
  k.gemm_workspace(ws, wsBytes);

  // Operand buffers big enough for every shape, filled once.
  const MAX = 1024 * 1024;
  const bufs = { a: alloc(MAX), b: alloc(MAX), c: alloc(MAX), d: alloc(MAX), bias: alloc(1024) };
  for (const [i, p] of Object.values(bufs).entries()) fillRandom(view(p, p === bufs.bias ? 1024 : MAX), 7 + i);

  const rows = [];
  const json = { wasm: wasmPath, workspaceBytes: wsBytes, peak: null, tasks: [] };
  const log = (s) => process.stdout.write(`  ${s}\n`);

  // ---- peak: independent f32x4 mul+add chains (12 accumulators, 96 flops per iteration) ----
  const iters = 100_000;
  const peakStats = await measure('wasm-simd peak_f32x4 12 chains', () => k.peak_f32x4(iters), T);
  const peakWall = (96 * iters) / (peakStats.p50 * 1e6);
  const peak = (96 * iters) / (peakStats.cpuP50 * 1e6);
  json.peak = { gflopsWall: peakWall, gflopsCpu: peak };
  log(`peak_f32x4: ${fmt(peakWall)} GFLOP/s wall, ${fmt(peak)} GFLOP/s CPU time`);

  // ---- GEMM tasks ----
  const square = quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024];
  const mlp = [
    [64, 784, 128],
    [64, 128, 10],
    [256, 784, 128],
    [1, 784, 128],
    [1, 128, 10],
  ];
  const tasks = [];
  for (const n of square) tasks.push(['gemm_forward', n, n, n]);
  for (const s of mlp) tasks.push(['gemm_forward', ...s]);
  for (const op of ['gemm_backward_w', 'gemm_backward_x']) {
    for (const n of [256, 1024]) tasks.push([op, n, n, n]);
    for (const s of mlp) tasks.push([op, ...s]);
  }

  for (const [op, m, kk, n] of tasks) {
    const shape = `${m}x${kk}x${n}`;
    const flops = 2 * m * kk * n;
    const { a, b, c, d, bias } = bufs;
    // Pointers into the preallocated buffers; the roles follow each kernel's argument order.
    const wasmFn =
      op === 'gemm_forward' ? () => k.gemm_forward(c, a, b, bias, m, kk, n)
      : op === 'gemm_backward_w' ? () => k.gemm_backward_w(c, a, b, m, kk, n)
      : () => k.gemm_backward_x(c, a, b, m, kk, n);
    // js twin on its own typed arrays (allocated here, outside the timed body).
    const X = fillRandom(new Float32Array(m * kk), 1);
    const W = fillRandom(new Float32Array(kk * n), 2);
    const DY = fillRandom(new Float32Array(m * n), 3);
    const B = fillRandom(new Float32Array(n), 4);
    const OUT = new Float32Array(Math.max(m * n, kk * n, m * kk));
    const jsFn =
      op === 'gemm_forward' ? () => twin.gemm_forward(OUT, X, W, B, m, kk, n)
      : op === 'gemm_backward_w' ? () => twin.gemm_backward_w(OUT, X, DY, m, kk, n)
      : () => twin.gemm_backward_x(OUT, DY, W, m, kk, n);

    const res = {};
    for (const [impl, fn] of [['wasm-simd', wasmFn], ['js', jsFn]]) {
      // The js twin takes seconds per call at n = 1024: two timed calls (one in a quick run), no warm-up call —
      // the same function already ran hot at the smaller sizes listed before it.
      const big = impl === 'js' && flops > 3e8;
      const opts = impl === 'js' ? (big ? { time: 0, warmupTime: 0, samples: quick ? 1 : 2, probe: false, warmup: false } : TJ) : T;
      const name = `${impl} ${op.replace('gemm_', 'gemm ')} ${shape}`;
      const st = await measure(name, fn, opts);
      const g = flops / (st.p50 * 1e6);
      const gCpu = flops / (st.cpuP50 * 1e6);
      res[impl] = { ...st, gflops: g, gflopsCpu: gCpu };
      json.tasks.push({
        name, op, m, k: kk, n, impl, medianMs: st.p50, minMs: st.min, cpuMedianMs: st.cpuP50, samples: st.samples,
        batch: st.batch, gflops: g, gflopsCpu: gCpu, fractionOfPeak: gCpu / peak,
      });
      log(`${name.padEnd(44)} ${fmtUs(st.p50).padStart(8)} µs  ${fmt(g).padStart(5)} GFLOP/s  (CPU time ${fmt(gCpu)})`);
    }
    const w = res['wasm-simd'];
    const j = res.js;
    rows.push(
      `| ${op.replace('gemm_', '')} | ${shape} | ${fmtUs(w.p50)} | ${fmt(w.gflops)} | ${fmt(w.gflopsCpu)} | ${Math.round((100 * w.gflopsCpu) / peak)}% | ${fmt(j.gflops, 2)} | ${fmt(w.gflops / j.gflops)}x |`,
    );
  }

  // ---- batch-1 inference of the MLP 784-128-10 at kernel level: GEMV, bias folded in, relu, GEMV, softmax ----
  let inferLine = '';
  if (typeof k.relu_forward === 'function' && typeof k.softmax_forward === 'function') {
    const x = bufs.a;
    const w1 = bufs.b;
    const w2 = bufs.d;
    const h = alloc(128);
    const z = alloc(16);
    const p = alloc(16);
    const infer = () => {
      k.gemm_forward(h, x, w1, bufs.bias, 1, 784, 128);
      k.relu_forward(h, h, 128);
      k.gemm_forward(z, h, w2, bufs.bias, 1, 128, 10);
      k.softmax_forward(p, z, 1, 10);
    };
    const st = await measure('wasm-simd mlp-infer 1x784-128-10', infer, T);
    json.mlpInferBatch1 = { medianUs: st.p50 * 1000, minUs: st.min * 1000, cpuMedianUs: st.cpuP50 * 1000 };
    inferLine =
      'Batch-1 inference of the MLP at kernel level (`gemm_forward` 1x784x128 with bias, `relu_forward`, ' +
      `\`gemm_forward\` 1x128x10, \`softmax_forward\`): **${fmtUs(st.p50)} µs** median wall time ` +
      `(${fmtUs(st.cpuP50)} µs CPU time, fastest sample ${fmtUs(st.min)} µs).`;
    log(`mlp-infer batch 1: ${fmtUs(st.p50)} µs (CPU time ${fmtUs(st.cpuP50)}, best ${fmtUs(st.min)})`);
  }

  const markdown = [
    `Peak f32x4 mul+add (\`peak_f32x4\`, 12 independent chains): **${fmt(peak)} GFLOP/s** (CPU time; ` +
      `${fmt(peakWall)} by wall time).`,
    'GEMM shapes are m x k x n (2·m·k·n flops); forward is y = x·w + b, backward_w is dW += xᵀ·dY, backward_x',
    'is dX = dY·wᵀ. Medians of tinybench samples (calls under 0.2 ms batched). "CPU time" divides by the process',
    'CPU time of the same samples instead of wall time: it leaves out time other processes held the core, and',
    '"% of peak" compares it with the peak measured the same way. The js column is the plain-TypeScript twin.',
    '',
    '| op | m x k x n | wasm median (µs) | wasm GFLOP/s | wasm GFLOP/s (CPU time) | % of peak | js GFLOP/s | speedup |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    inferLine,
  ].join('\n');
  return { title: 'Kernels: f32x4 peak and GEMM', markdown, json };
}
