// Threads (init({ threads })): GEMM n = 1024 on 1 and 2 threads beside single-thread GEMM pinned to each core (the
// bar: 2 threads >= 85 % of the sum of the two cores' single-thread GFLOP/s), training the 784-512-512-10 MLP at
// batch 128 and the LeNet-like CNN at batch 64 (1 vs 2 threads), batch-256 inference and batch-1 latency.
// Uses the built package (dist/). `node bench/threads.js --pinned-gemm` is the child process run under
// `taskset -c <cpu>` for the per-core numbers.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, conv2d, createEngine, dense, flatten, init, maxPooling2d, sequential, sgd } from '../dist/index.js';
import { median } from './lib.js';

const N = 1024;

/** GFLOP/s of gemm_forward n x n x n on an engine: the median of `reps` timed calls after warm-up. */
function gemmGflops(engine, reps) {
  const a = engine.allocF32(N * N),
    b = engine.allocF32(N * N),
    c = engine.allocF32(N * N);
  const av = engine.f32(a, N * N),
    bv = engine.f32(b, N * N);
  for (let i = 0; i < av.length; i++) (av[i] = Math.sin(i)), (bv[i] = Math.cos(i));
  const run = () => engine.k.gemm_forward(c, engine.gemmWs, a, b, 0, N, N, N);
  for (let i = 0; i < 3; i++) run();
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    t.push(performance.now() - t0);
  }
  for (const p of [a, b, c]) engine.free(p);
  return (2 * N ** 3) / (median(t) / 1000) / 1e9;
}

if (process.argv.includes('--pinned-gemm')) {
  const e = await createEngine('wasm');
  console.log(JSON.stringify({ gflops: gemmGflops(e, 15) }));
  process.exit(0);
}

/** Single-thread GEMM in a child process pinned to `cpu` (taskset), or undefined where taskset is missing. */
function pinnedGemm(cpu) {
  const r = spawnSync(
    'taskset',
    ['-c', String(cpu), process.execPath, fileURLToPath(import.meta.url), '--pinned-gemm'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim().split('\n').at(-1)).gflops;
}

/** Samples/s of fit() over `rows` rows (one warm-up epoch, then `epochs` timed). */
async function trainRate(build, engine, x, y, rows, batchSize, epochs) {
  const m = build(engine);
  await m.fit(x, y, { epochs: 1, batchSize, seed: 1 });
  const t0 = performance.now();
  await m.fit(x, y, { epochs, batchSize, seed: 2 });
  const rate = (epochs * rows) / ((performance.now() - t0) / 1000);
  m.dispose();
  return rate;
}

const mlp = (engine) => {
  const m = sequential(
    [
      dense(512, { activation: 'relu', inputDim: 784 }),
      dense(512, { activation: 'relu' }),
      dense(10, { activation: 'softmax' }),
    ],
    { engine, seed: 1 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }) });
  return m;
};
const lenet = (engine) => {
  const m = sequential(
    [
      conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d(2),
      conv2d(16, 5, { activation: 'relu' }),
      maxPooling2d(2),
      flatten(),
      dense(10, { activation: 'softmax' }),
    ],
    { engine, seed: 1 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.01 }) });
  return m;
};
const small = (engine) => {
  const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    engine,
    seed: 1,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }) });
  return m;
};

/** Median ms of predict() on `x` over `reps` calls after warm-up. */
function predictMs(m, x, reps) {
  for (let i = 0; i < 20; i++) m.predict(x);
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    m.predict(x);
    t.push(performance.now() - t0);
  }
  return median(t);
}

export async function run({ quick = false } = {}) {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const cores = availableParallelism();
  const pinned = [0, 1].filter((c) => c < cores).map((c) => pinnedGemm(c));
  const engines = { 1: await createEngine('wasm'), 2: await createEngine('wasm', { threads: 2 }) };
  const json = { cores, pinnedGemmGflops: pinned, threads: {} };
  const reps = quick ? 5 : 15;
  const rows = quick ? 1024 : 4096;
  const x = { data: train.x.data.subarray(0, rows * 784), shape: [rows, 784] };
  const y = { data: train.y.data.subarray(0, rows * 10), shape: [rows, 10] };
  const b256 = { data: test.x.data.subarray(0, 256 * 784), shape: [256, 784] };
  const b1 = { data: test.x.data.subarray(0, 784), shape: [1, 784] };
  for (const t of [1, 2]) {
    const e = engines[t];
    const r = { gemmGflops: gemmGflops(e, reps) };
    r.mlpTrain = await trainRate(mlp, e, x, y, rows, 128, quick ? 1 : 2);
    r.cnnTrain = await trainRate(lenet, e, x, y, rows, 64, 1);
    for (const [name, build] of [
      ['mlp512', mlp],
      ['mlp128', small],
      ['lenet', lenet],
    ]) {
      const m = build(e);
      r[`${name}Batch256PerSec`] = 256 / (predictMs(m, b256, reps * 4) / 1000);
      r[`${name}Batch1Us`] = predictMs(m, b1, reps * 20) * 1000;
      m.dispose();
    }
    json.threads[t] = r;
  }
  for (const e of Object.values(engines)) e.dispose();
  const [one, two] = [json.threads[1], json.threads[2]];
  const f = (v, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const ratio = (a, b) => `${(b / a).toFixed(2)}x`;
  const sumPinned = pinned.every((v) => v !== undefined) ? pinned.reduce((s, v) => s + v, 0) : undefined;
  const markdown = [
    `\`init({ threads: 2 })\` against one thread on the same engine build (${cores} cores reported). GEMM: gemm_forward ${N}x${N}x${N}, median of ${reps} calls;`,
    `per-core single-thread GEMM from a child process pinned with \`taskset -c\`. Training: samples/s over ${rows} MNIST rows after a warm-up epoch.`,
    'Inference: `predict()` median at batch 256 (samples/s) and batch 1 (µs).',
    '',
    `- Single-thread GEMM per core: ${pinned.map((v, i) => `CPU ${i} ${v === undefined ? 'n/a' : f(v, 1)} GFLOP/s`).join(', ')}` +
      (sumPinned
        ? `; sum ${f(sumPinned, 1)}; 2 threads reach ${f((100 * two.gemmGflops) / sumPinned, 0)} % of it (bar: 85 %).`
        : '.'),
    '',
    '| workload | 1 thread | 2 threads | speed-up |',
    '|---|---:|---:|---:|',
    `| GEMM ${N}³ (GFLOP/s) | ${f(one.gemmGflops, 1)} | ${f(two.gemmGflops, 1)} | ${ratio(one.gemmGflops, two.gemmGflops)} |`,
    `| training 784-512-512-10, batch 128 (samples/s) | ${f(one.mlpTrain)} | ${f(two.mlpTrain)} | ${ratio(one.mlpTrain, two.mlpTrain)} |`,
    `| training LeNet-like CNN, batch 64 (samples/s) | ${f(one.cnnTrain)} | ${f(two.cnnTrain)} | ${ratio(one.cnnTrain, two.cnnTrain)} |`,
    ...[
      ['mlp512', '784-512-512-10'],
      ['mlp128', '784-128-10'],
      ['lenet', 'LeNet-like CNN'],
    ].flatMap(([k, label]) => [
      `| inference ${label}, batch 256 (samples/s) | ${f(one[`${k}Batch256PerSec`])} | ${f(two[`${k}Batch256PerSec`])} | ${ratio(one[`${k}Batch256PerSec`], two[`${k}Batch256PerSec`])} |`,
      `| inference ${label}, batch 1 (µs, lower is better) | ${f(one[`${k}Batch1Us`], 1)} | ${f(two[`${k}Batch1Us`], 1)} | ${ratio(two[`${k}Batch1Us`], one[`${k}Batch1Us`])} |`,
    ]),
  ].join('\n');
  return { title: 'Threads (1 vs 2)', markdown, json };
}
