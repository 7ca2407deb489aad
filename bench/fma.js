// Fused multiply-add: the relaxed-SIMD build of the GEMM and conv kernels (carried in build/simdnet.wasm, see
// src/runtime/relaxed.ts) against the SIMD128 kernels, on one memory in one process, so on the same core. Node 20
// validates relaxed SIMD only behind --experimental-wasm-relaxed-simd: the section runs itself in a child process
// with that flag (`node bench/fma.js --child`; Node >= 22 needs no flag). Each pair is timed in alternating rounds
// (pairedRatio): the ratio is robust to the load of other processes, the GFLOP/s are not.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pairedRatio } from './lib.js';

const self = fileURLToPath(import.meta.url);
const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('../build/simdnet.wasm', import.meta.url));
const RELAXED = [
  'gemm_forward',
  'gemm_backward_w',
  'gemm_backward_x',
  'conv2d_forward_nhwc',
  'conv2d_backward_w_nhwc',
  'conv2d_backward_x_nhwc',
];

/** Runs in the child: both kernel sets on one memory, every shape paired. */
function measureAll(quick) {
  const main = new WebAssembly.Module(readFileSync(wasmPath));
  const [bytes] = WebAssembly.Module.customSections(main, 'simdnet.relaxed');
  if (!bytes) throw new Error(`${wasmPath} carries no simdnet.relaxed section (npm run asbuild)`);
  if (!WebAssembly.validate(bytes)) throw new Error('relaxed SIMD does not validate in this runtime');
  const memory = new WebAssembly.Memory({ initial: 16 });
  const simd = new WebAssembly.Instance(main, { env: { memory } }).exports;
  const r = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  const fma = { ...simd, ...Object.fromEntries(RELAXED.map((n) => [n, r[n]])) };
  let top = (simd.heap_base() + 15) & ~15;
  const alloc = (floats) => {
    const p = top;
    top = (top + floats * 4 + 15) & ~15;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    let s = p >>> 0;
    const v = new Float32Array(memory.buffer, p, floats);
    for (let i = 0; i < floats; i++) v[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1;
    return p;
  };
  const ws = alloc(simd.gemm_workspace_size() / 4);
  const MAX = 1024 * 1024;
  const a = alloc(MAX),
    b = alloc(MAX),
    c = alloc(MAX),
    bias = alloc(1024);
  const cases = [];
  const gemm = (op, m, k, n) => {
    const call = (kk) =>
      op === 'gemm_forward'
        ? () => kk.gemm_forward(c, ws, a, b, bias, m, k, n)
        : op === 'gemm_backward_w'
          ? () => kk.gemm_backward_w(c, ws, a, b, m, k, n)
          : () => kk.gemm_backward_x(c, ws, a, b, m, k, n);
    cases.push({ name: `${op} ${m}x${k}x${n}`, flops: 2 * m * k * n, simd: call(simd), fma: call(fma) });
  };
  for (const op of ['gemm_forward', 'gemm_backward_w', 'gemm_backward_x']) gemm(op, 1024, 1024, 1024);
  gemm('gemm_forward', 512, 512, 512);
  gemm('gemm_forward', 128, 784, 512);
  gemm('gemm_forward', 128, 512, 512);
  // Conv layers at batch 32, stride 1, 'same': [name, n, h, w, c, kernel, filters]
  for (const [n, h, w, ch, kk, f] of [
    [32, 28, 28, 8, 5, 16],
    [32, 14, 14, 32, 3, 64],
  ]) {
    const pad = (kk - 1) >> 1;
    const geo = [n, h, w, ch, kk, kk, 1, 1, pad, pad, h, w, f];
    const cws = alloc(simd.conv2d_backward_x_workspace_size(kk, kk, ch, f) / 4);
    const x = alloc(n * h * w * ch),
      wk = alloc(kk * kk * ch * f),
      y = alloc(n * h * w * f),
      dx = alloc(n * h * w * ch);
    const flops = 2 * n * h * w * kk * kk * ch * f;
    const shape = `${n}x${h}x${w}x${ch} ${kk}x${kk}x${f}`;
    cases.push({
      name: `conv2d_forward_nhwc ${shape}`,
      flops,
      simd: () => simd.conv2d_forward_nhwc(y, x, wk, bias, ...geo),
      fma: () => fma.conv2d_forward_nhwc(y, x, wk, bias, ...geo),
    });
    cases.push({
      name: `conv2d_backward_w_nhwc ${shape}`,
      flops,
      simd: () => simd.conv2d_backward_w_nhwc(wk, x, y, ...geo),
      fma: () => fma.conv2d_backward_w_nhwc(wk, x, y, ...geo),
    });
    cases.push({
      name: `conv2d_backward_x_nhwc ${shape}`,
      flops,
      simd: () => simd.conv2d_backward_x_nhwc(dx, cws, y, wk, ...geo),
      fma: () => fma.conv2d_backward_x_nhwc(dx, cws, y, wk, ...geo),
    });
  }
  const out = [];
  for (const cs of cases) {
    // Warm both up until V8 has tiered them up (a few hundred ms each), then alternate.
    for (const f of [cs.simd, cs.fma])
      for (let t0 = performance.now(); performance.now() - t0 < (quick ? 150 : 500); ) f();
    const probe = performance.now();
    cs.simd();
    const one = Math.max(performance.now() - probe, 1e-3);
    const reps = Math.max(1, Math.round(20 / one));
    const p = pairedRatio(cs.simd, cs.fma, quick ? 7 : 21, reps);
    out.push({
      name: cs.name,
      flops: cs.flops,
      simdMs: p.aMs,
      fmaMs: p.bMs,
      speedup: p.ratio,
      simdGflops: cs.flops / (p.aMs * 1e6),
      fmaGflops: cs.flops / (p.bMs * 1e6),
    });
    process.stderr.write(
      `  ${cs.name.padEnd(44)} SIMD128 ${(cs.flops / (p.aMs * 1e6)).toFixed(1).padStart(5)}  FMA ${(cs.flops / (p.bMs * 1e6)).toFixed(1).padStart(5)} GFLOP/s  x${p.ratio.toFixed(2)}\n`,
    );
  }
  return out;
}

/**
 * The best single-thread peer's GEMM GFLOP/s at n = 1024 from the last bench:peers run (bench/peers/results.json:
 * every implementation with threads = 1 that is not simdnet), if there is one.
 */
function bestPeer() {
  try {
    const d = JSON.parse(readFileSync(new URL('./peers/results.json', import.meta.url), 'utf8'));
    let best;
    for (const [id, r] of Object.entries(d.results ?? {})) {
      const g = r?.gemm?.['1024']?.gflops;
      if (id.startsWith('simdnet') || r.threads !== 1 || typeof g !== 'number') continue;
      if (!best || g > best.gflops) best = { name: d.implementations?.[id] ?? id, gflops: g };
    }
    return best;
  } catch {
    return undefined;
  }
}

export async function run({ quick = false } = {}) {
  const flags = process.versions.node.startsWith('20.') ? ['--experimental-wasm-relaxed-simd'] : [];
  const child = spawnSync(process.execPath, [...flags, self, '--child', ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SIMDNET_WASM: wasmPath },
    maxBuffer: 16 << 20,
  });
  if (child.status !== 0) throw new Error(`the relaxed-SIMD child process failed (exit ${child.status})`);
  const rows = JSON.parse(child.stdout.trim().split('\n').at(-1));
  const peer = bestPeer();
  const g = rows.find((r) => r.name === 'gemm_forward 1024x1024x1024');
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const markdown = [
    `Node ${process.version} with ${flags.length ? '`--experimental-wasm-relaxed-simd`' : 'relaxed SIMD on by default'}, one thread: ` +
      'the relaxed-SIMD kernels (`f32x4.relaxed_madd`, carried in simdnet.wasm) against the SIMD128 kernels on the same memory and core. ' +
      `Speed-up = median over ${quick ? 7 : 21} alternating rounds of the SIMD128 time over the FMA time (robust to other load); ` +
      'GFLOP/s from the median times of the same rounds.',
    '',
    '| kernel | SIMD128 GFLOP/s | FMA GFLOP/s | FMA speed-up |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.simdGflops)} | ${fmt(r.fmaGflops)} | ${r.speedup.toFixed(2)}x |`),
    '',
    `Bars (issue 16): GEMM n = 1024 with FMA ≥ 1.25x SIMD128 — measured **${g.speedup.toFixed(2)}x**` +
      (peer
        ? `; ≥ 1.2x the best single-thread peer (${peer.name}, ${fmt(peer.gflops)} GFLOP/s in the last \`bench:peers\` run, another time and load) — **${(g.fmaGflops / peer.gflops).toFixed(2)}x**.`
        : '.'),
  ].join('\n');
  return {
    title: 'Fused multiply-add (relaxed SIMD) vs SIMD128',
    markdown,
    json: { node: process.version, flags, rows, peer },
  };
}

if (process.argv.includes('--child')) {
  process.stdout.write(`${JSON.stringify(measureAll(process.argv.includes('--quick')))}\n`);
}
