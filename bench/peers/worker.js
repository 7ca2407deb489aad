// One implementation's workloads in a process of its own: node worker.js <impl> <workdir> <options-json>.
// Writes <workdir>/result-<impl>.json after every workload, so a run stopped by the time bound keeps what it
// measured. Inputs (digits, weights) come from the files run.js prepared in <workdir>.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CNN, CNN_TRAIN_FLOPS, referenceCnn } from './lib/cnn.js';
import {
  accuracy,
  maxAbsDiff,
  measure,
  randArray,
  readWeights,
  referenceMlp,
  sizesOf,
  summarize,
} from './lib/common.js';
import { entry } from './lib/dist.js';
import { IMPLS } from './lib/impls.js';

const [id, dir, optJson] = process.argv.slice(2);
const opts = JSON.parse(optJson ?? '{}');
// Pin this thread (the main one: `taskset -p` without -a sets one thread, and its id is the process id) to the core
// run.js chose; the helper threads Node started with the process keep every core (run.js says why).
if (opts.pinMainThread !== undefined)
  spawnSync('taskset', ['-p', '-c', String(opts.pinMainThread), String(process.pid)], { stdio: 'ignore' });
const deadline = opts.deadline ?? Infinity;
const { loadMnist } = await import(entry('./mnist'));

const result = { id, errors: [] };
const save = () => writeFileSync(`${dir}/result-${id}.json`, JSON.stringify(result));
const log = (...a) => console.error(`[${id}]`, ...a);
const left = () => deadline - Date.now();

/** Runs workload `name` (when `gate`, the workload's name on the command line, was asked for). */
async function step(name, fn, gate = name) {
  if (!opts.workloads.includes(gate)) return;
  if (left() < 5_000) {
    result[name] = { skipped: 'time bound reached before this workload' };
    save();
    return;
  }
  const t0 = performance.now();
  try {
    result[name] = await fn();
  } catch (err) {
    result[name] = {
      error: String(err?.stack ?? err)
        .split('\n')
        .slice(0, 4)
        .join(' | '),
    };
    result.errors.push(`${name}: ${String(err?.message ?? err)}`);
  }
  log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  save();
}

let adapter;
try {
  adapter = await IMPLS[id].load();
} catch (err) {
  // A library that cannot load here (e.g. a native dependency that did not build) is a result, not a crash.
  const msg = `the library failed to load: ${String(err?.message ?? err).split('\n')[0]}`;
  for (const w of opts.workloads) result[w] = { error: msg };
  result.errors.push(msg);
  save();
  process.exit(0);
}
Object.assign(result, {
  library: adapter.library,
  version: adapter.version,
  backend: adapter.backend,
  threads: adapter.threads,
});
save();
const { train, test } = loadMnist({ seed: 1 });
const q = opts.quick;

// 1. Square GEMM: C = A·B, GFLOP/s = 2n³ / time. Output spot-checked against f64 dot products.
await step('gemm', async () => {
  if (!adapter.gemm) return { na: 'no matrix-multiply API' };
  const out = {};
  let last; // { n, ms } of the previous size, to project this one's cost
  for (const n of opts.gemmSizes) {
    const projected = last ? last.ms * (n / last.n) ** 3 : 0;
    // Warm-up plus 5 repeats need about 6 calls: skip a size that cannot fit its share of the time bound.
    if (left() < 5_000 || 6 * projected > Math.min(opts.gemmCellBudgetMs, left() - 5_000)) {
      out[n] = { skipped: `time bound${projected ? ` (~${(projected / 1000).toFixed(1)} s per call projected)` : ''}` };
      continue;
    }
    const A = randArray(n * n, 11);
    const B = randArray(n * n, 12);
    const g = await adapter.gemm(n, A, B);
    const C = await g.output();
    let worst = 0;
    for (let s = 0; s < 64; s++) {
      const i = (s * 7919) % n;
      const j = (s * 104729 + 13) % n;
      let e = 0;
      for (let k = 0; k < n; k++) e += A[i * n + k] * B[k * n + j];
      worst = Math.max(worst, Math.abs(C[i * n + j] - e) / (1 + Math.abs(e)));
    }
    const m = await measure(g.run, {
      repeats: 7,
      repeatMs: q ? 30 : 100,
      warmupMs: q ? 200 : 400,
      budgetMs: q ? 2_000 : 8_000,
    });
    await g.dispose();
    const gf = (ms) => (2 * n ** 3) / (ms * 1e6);
    last = { n, ms: m.median };
    out[n] = {
      gflops: gf(m.median),
      gflopsMin: gf(m.max),
      gflopsMax: gf(m.min),
      ms: m.median,
      repeats: m.n,
      callsPerRepeat: m.callsPerRepeat,
      cpuPerWall: m.cpuPerWall,
      maxRelErr: worst,
      ok: worst < 1e-3,
    };
    log(`gemm n=${n}: ${out[n].gflops.toFixed(2)} GFLOP/s`);
  }
  return out;
});

/**
 * Epoch-by-epoch training run: samples/s per epoch, test accuracy after epochs 1 and 5. `progress` gets the
 * numbers so far after every epoch (saved, so a run stopped by the time bound keeps them).
 */
async function trainRun(sizes, weightsBase, optimizer, batchSize, rows, epochs, budgetMs, progress) {
  const weights = readWeights(`${dir}/${weightsBase}`);
  const x = { data: train.x.data.subarray(0, rows * 784), rows, cols: 784 };
  const y = { data: train.y.data.subarray(0, rows * 10), rows, cols: 10 };
  const t = await adapter.trainer({ sizes, weights, optimizer, batchSize, x, y });
  const rates = [];
  const acc = {};
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    const s = performance.now();
    await t.epoch(e);
    rates.push(rows / ((performance.now() - s) / 1000));
    if (e === 0 || e === epochs - 1) acc[e + 1] = accuracy(await t.predict(test.x), test.labels, 10);
    log(`${optimizer.type} epoch ${e + 1}: ${rates[e].toFixed(0)} samples/s`);
    progress({ rates, acc, note: t.note });
    // Stop when the next epoch (as long as this one) would overrun the budget.
    if (performance.now() - t0 + (performance.now() - s) > budgetMs && e < epochs - 1) break;
  }
  await t.dispose();
  return { rates, acc, note: t.note };
}

/** A throwaway model trained for at least warmupMs, so the timed runs start with tiered-up code. */
async function warmUp(sizes, weightsBase, batchSize, warmupMs) {
  const weights = readWeights(`${dir}/${weightsBase}`);
  const rows = Math.min(1024, train.x.rows);
  const x = { data: train.x.data.subarray(0, rows * 784), rows, cols: 784 };
  const y = { data: train.y.data.subarray(0, rows * 10), rows, cols: 10 };
  const t = await adapter.trainer({
    sizes,
    weights,
    optimizer: { type: 'adam', lr: 1e-3, perSampleLr: 0.01 },
    batchSize,
    x,
    y,
  });
  const t0 = performance.now();
  let e = 0;
  do await t.epoch(e++);
  while (performance.now() - t0 < warmupMs);
  await t.dispose();
  return performance.now() - t0;
}

// The long one (training 784-128-10) runs last, so a slow library's time bound cuts it rather than the rest.
// 3. Inference of the trained 784-128-10 MLP: batch-1 latency and batch-256 throughput, checked against f64.
await step('infer', async () => {
  if (!adapter.inference) return { na: 'no MLP adapter' };
  const weights = readWeights(`${dir}/winfer`);
  const sizes = sizesOf(weights);
  const inf = await adapter.inference({ sizes, weights });
  const head = inf.head ?? 'softmax';
  const out = { head };
  for (const b of [1, 256]) {
    const xm = { data: test.x.data.slice(0, b * 784), rows: b, cols: 784 };
    const p = inf.prepare(xm);
    const y = await p.output();
    const check = maxAbsDiff(Float64Array.from(y), referenceMlp(weights, xm.data, b, head));
    const m = await measure(p.run, {
      repeats: 9,
      repeatMs: q ? 20 : 60,
      warmupMs: q ? 200 : 400,
      budgetMs: q ? 1_500 : 6_000,
    });
    out[`b${b}`] = {
      msPerCall: m,
      latencyUs: m.median * 1000,
      latencyUsMin: m.min * 1000,
      latencyUsMax: m.max * 1000,
      samplesPerSec: b / (m.median / 1000),
      samplesPerSecMin: b / (m.max / 1000),
      samplesPerSecMax: b / (m.min / 1000),
      maxAbsDiff: check.max,
      ok: check.max <= 1e-4,
      cpuPerWall: m.cpuPerWall,
    };
    log(`infer b${b}: ${(m.median * 1000).toFixed(1)} µs/call, max |diff| ${check.max.toExponential(1)}`);
  }
  await inf.dispose();
  return out;
});

// 4. MLP 784-512-512-10, batch 128, Adam: samples/s over repeats of an epoch of R rows, R sized per library
//    (by a one-batch pilot) so that a repeat lasts about repeatMs.
await step('big', async () => {
  if (!adapter.trainer) return { na: 'no training API' };
  const sizes = [784, 512, 512, 10];
  const weights = readWeights(`${dir}/w512`);
  const optimizer = { type: 'adam', lr: 1e-3, perSampleLr: 0.01 };
  const make = (rows) =>
    adapter.trainer({
      sizes,
      weights,
      optimizer,
      batchSize: 128,
      x: { data: train.x.data.subarray(0, rows * 784), rows, cols: 784 },
      y: { data: train.y.data.subarray(0, rows * 10), rows, cols: 10 },
    });
  const pilot = await make(128);
  await pilot.epoch(0);
  const s = performance.now();
  await pilot.epoch(1);
  const perRow = (performance.now() - s) / 128;
  await pilot.dispose();
  const repeatMs = q ? 150 : 500;
  const rows = Math.min(Math.floor(train.x.rows / 128) * 128, Math.max(128, Math.round(repeatMs / perRow / 128) * 128));
  const t = await make(rows);
  const t0 = performance.now();
  let e = 0;
  do await t.epoch(e++);
  while (performance.now() - t0 < (q ? 200 : 400));
  const rates = [];
  const reps = 5;
  for (let r = 0; r < reps; r++) {
    const s2 = performance.now();
    await t.epoch(e++);
    rates.push(rows / ((performance.now() - s2) / 1000));
  }
  await t.dispose();
  log(`big: ${summarize(rates).median.toFixed(0)} samples/s over ${rows}-row repeats`);
  return { samplesPerSec: summarize(rates), rowsPerRepeat: rows, rates, note: t.note };
});

/** A slow call (one over `slowMs`) is timed over 3 single calls instead of measure()'s warm-up and ≥ 5 repeats. */
async function timeCalls(fn, firstMs, slowMs, measureOpts) {
  if (firstMs <= slowMs) return measure(fn, measureOpts);
  const times = [];
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    ...summarize(times),
    callsPerRepeat: 1,
    cpuPerWall: (cpu.user + cpu.system) / 1000 / (performance.now() - w0),
    single: true,
  };
}

const rowsOf = (m, rows) => ({ data: m.data.subarray(0, rows * m.cols), rows, cols: m.cols });

// 6a. The CNN (lib/cnn.js): inference of trained weights at batch 1 and 256, checked against the f64 reference.
//     Runs before the MLP training below, so a slow library's time bound cuts that rather than the CNN.
await step(
  'cnn-infer',
  async () => {
    if (!adapter.cnnInference) return { na: 'not in the CNN workload' };
    const weights = readWeights(`${dir}/wcnninfer`);
    const inf = await adapter.cnnInference({ weights });
    const out = {};
    for (const b of [1, 256]) {
      const xm = { data: test.x.data.slice(0, b * 784), rows: b, cols: 784 };
      const p = inf.prepare(xm);
      const t0 = performance.now();
      const y = await p.output();
      const firstMs = performance.now() - t0;
      const check = maxAbsDiff(Float64Array.from(y), referenceCnn(weights, xm.data, b));
      const m = await timeCalls(p.run, firstMs, 300, {
        repeats: 9,
        repeatMs: q ? 20 : 60,
        warmupMs: q ? 200 : 400,
        budgetMs: q ? 1_500 : 6_000,
      });
      out[`b${b}`] = {
        msPerCall: m,
        latencyUs: m.median * 1000,
        latencyUsMin: m.min * 1000,
        latencyUsMax: m.max * 1000,
        samplesPerSec: b / (m.median / 1000),
        samplesPerSecMin: b / (m.max / 1000),
        samplesPerSecMax: b / (m.min / 1000),
        maxAbsDiff: check.max,
        ok: check.max <= 1e-4,
        cpuPerWall: m.cpuPerWall,
        ...(m.single ? { timing: '3 single calls (slow)' } : {}),
      };
      log(`cnn infer b${b}: ${(m.median * 1000).toFixed(1)} µs/call, max |diff| ${check.max.toExponential(1)}`);
    }
    await inf.dispose();
    return out;
  },
  'cnn',
);

// 6b. CNN training, batch 32, SGD lr 0.01, from the shared initial weights: samples/s over repeats of an epoch of
//     R rows, R sized per library (by a pilot of two 32-row epochs) so a repeat lasts about a second; a library
//     slower than 32 rows a second repeats single steps, 3 to 5 of them within the time budget.
await step(
  'cnn-train',
  async () => {
    if (!adapter.cnnTrainer) return { na: adapter.cnnInference ? 'inference only' : 'not in the CNN workload' };
    const budgetEnd = Date.now() + Math.min(opts.cnnTrainBudgetMs ?? 40_000, left() - 3_000);
    const weights = readWeights(`${dir}/wcnn`);
    const make = (rows) =>
      adapter.cnnTrainer({
        weights,
        lr: CNN.lr,
        batchSize: CNN.batchSize,
        x: rowsOf(train.x, rows),
        y: rowsOf(train.y, rows),
      });
    const bs = CNN.batchSize;
    const pilot = await make(bs);
    await pilot.epoch(0);
    const s0 = performance.now();
    await pilot.epoch(1);
    const perRow = (performance.now() - s0) / bs;
    await pilot.dispose();
    const repeatMs = q ? 400 : 1_000;
    const rows = Math.min(Math.floor(train.x.rows / bs) * bs, Math.max(bs, Math.round(repeatMs / perRow / bs) * bs));
    const t = await make(rows);
    const losses = [];
    const t0 = performance.now();
    let e = 0;
    do losses.push(await t.epoch(e++));
    while (performance.now() - t0 < (q ? 200 : 400));
    const rates = [];
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    for (let r = 0; r < 5; r++) {
      const s = performance.now();
      losses.push(await t.epoch(e++));
      const ms = performance.now() - s;
      rates.push(rows / (ms / 1000));
      if (r >= 2 && Date.now() + ms > budgetEnd) break;
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuPerWall = (cpu.user + cpu.system) / 1000 / (performance.now() - w0);
    await t.dispose();
    const sps = summarize(rates);
    log(
      `cnn train: ${sps.median.toFixed(0)} samples/s over ${rows}-row repeats, loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}`,
    );
    return {
      samplesPerSec: sps,
      gflopsEquiv: (sps.median * CNN_TRAIN_FLOPS) / 1e9,
      rowsPerRepeat: rows,
      rates,
      epochs: e,
      losses,
      cpuPerWall,
      note: t.note,
    };
  },
  'cnn',
);

// 2. MLP 784-128-10, batch 64, SGD and Adam from the same initial weights: samples/s over epochs 2-5.
await step('train', async () => {
  if (!adapter.trainer) return { na: 'no training API' };
  const sizes = [784, 128, 10];
  const out = { warmupMs: await warmUp(sizes, 'w128', 64, q ? 200 : 400) };
  result.train = out; // filled in as epochs finish
  const epochs = q ? 2 : 5;
  const summary = (r) => {
    // Epochs 2-5; when the time bound left only epoch 1, its rate (which includes any late tier-up) stands in.
    const timed = r.rates.length > 1 ? r.rates.slice(1) : r.rates;
    return {
      samplesPerSec: summarize(timed),
      epochsTimed: r.rates.length > 1 ? `2-${r.rates.length}` : '1 (time bound)',
      epochRates: r.rates,
      epochsDone: r.rates.length,
      accAfter1: r.acc[1],
      accAfterLast: r.acc[epochs] ?? null,
      lastEpoch: epochs,
      note: r.note,
    };
  };
  for (const optimizer of opts.optimizers) {
    if (left() < 10_000) {
      out[optimizer.type] = { skipped: 'time bound' };
      continue;
    }
    const budget = Math.min(opts.trainBudgetMs, left() - 10_000);
    const r = await trainRun(sizes, 'w128', optimizer, 64, train.x.rows, epochs, budget, (p) => {
      out[optimizer.type] = { ...summary(p), partial: true };
      save();
    });
    out[optimizer.type] = summary(r);
  }
  return out;
});

result.done = true;
save();
process.exit(0);
