// Side-by-side benchmarks: simdnet (wasm and js backends) against TensorFlow.js (cpu, wasm), ONNX Runtime Web
// (wasm, 1 and 2 threads) and brain.js, on the same machine, data and initial weights, in one run; for the CNN
// workload also convnetjs and hand-written plain-JS loops.
// Each library runs in a process of its own (worker.js); cold starts are fresh processes (coldstart.js).
// Writes bench/peers/results.json and the block between <!-- peers:begin --> and <!-- peers:end --> in
// bench/RESULTS.md.
//
// Usage: node bench/peers/run.js [--quick] [--only=simdnet-wasm,tfjs-wasm,...] [--skip=brain.js]
//          [--workloads=gemm,train,infer,big,cnn,cold,size] [--minutes=20] [--no-write] [--no-md] [--no-pin]
//        node bench/peers/run.js --render   (re-renders the markdown from results.json, measuring nothing)
// --no-write: write no file; --no-md: write results.json but leave bench/RESULTS.md alone.
// Needs the built package (npm run build) and bench/peers' own dependencies (npm --prefix bench/peers ci).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadAverage, machine as describeMachine } from '../machine.js';
import { summarize } from './lib/common.js';
import { DIST, entry } from './lib/dist.js';
import { FOOTPRINT, IMPLS } from './lib/impls.js';
import { prepare } from './lib/prepare.js';
import { renderMarkdown, injectBlock } from './lib/report.js';
import { closureSize, fileBytes, paths, simdnetSize } from './lib/sizes.js';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, dflt) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const quick = flag('quick') || process.env.BENCH_QUICK === '1';
const only = opt('only', '') ? opt('only', '').split(',') : Object.keys(IMPLS);
const skip = opt('skip', '').split(',').filter(Boolean);
const ids = Object.keys(IMPLS).filter((id) => only.includes(id) && !skip.includes(id));
// Fast libraries first: the slow ones (plain JS) then share what is left of the time bound.
const runOrder = [...ids].sort((a, b) => Number(Boolean(IMPLS[a].slow)) - Number(Boolean(IMPLS[b].slow)));
const workloads = opt('workloads', 'gemm,train,infer,big,cnn,cold,size').split(',');
const minutes = Number(opt('minutes', quick ? '8' : '20'));
const started = Date.now();
const deadline = started + minutes * 60_000;

const resultsJson = new URL('./results.json', import.meta.url);
const resultsMd = join(paths.ROOT, 'bench', 'RESULTS.md');
/** Writes the block between the peers markers of bench/RESULTS.md (creating the file or markers if needed). */
const writeBlock = (md) =>
  writeFileSync(resultsMd, injectBlock(existsSync(resultsMd) ? readFileSync(resultsMd, 'utf8') : '', md));

if (flag('render')) {
  const md = renderMarkdown(JSON.parse(readFileSync(resultsJson, 'utf8')));
  if (!flag('no-write')) writeBlock(md);
  console.log(md);
  process.exit(0);
}

for (const id of only)
  if (!IMPLS[id]) throw new Error(`unknown implementation '${id}' (one of ${Object.keys(IMPLS).join(', ')})`);
if (!existsSync(new URL(entry('.'))) || !existsSync(new URL('simdnet.wasm', DIST))) {
  console.error(`bench:peers needs the built package in ${DIST.pathname}: run \`npm run build\` first.`);
  process.exit(1);
}
if (!existsSync(new URL('./node_modules/@tensorflow/tfjs-core', import.meta.url))) {
  console.error('bench:peers needs its own dependencies: run `npm --prefix bench/peers ci --ignore-scripts` first.');
  process.exit(1);
}

const peersPkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const machine = describeMachine(quick);
machine.simdnetBuild = simdnetBuild();
console.log(
  `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load ${machine.loadAverage.join(' ')}; time bound ${minutes} min${quick ? ' (quick)' : ''}`,
);

// The cores of a VM are not alike: here one vCPU ran the same loop up to ~1.7x slower than the other in the same
// minute (another guest's work on its physical core), so an unpinned process draws its speed by lottery. On Linux
// with taskset, the main thread of every one-thread library's worker is pinned to the faster core by a probe now;
// its helper threads (V8's GC and compiler threads, started with the process) keep every core, as unpinned —
// pinning the whole process would make them take turns with the main thread, which costs libraries that allocate
// much (TensorFlow.js) far more than others. Cold starts stay unpinned. --no-pin: no pinning.
const pinning = choosePinning();
if (pinning) {
  machine.pinnedCpu = pinning.cpu;
  machine.cpuProbeMs = pinning.probeMs;
  console.log(
    `one-thread workers' main threads pinned to CPU ${pinning.cpu} (probe ms per CPU: ${pinning.probeMs.map((v) => v.toFixed(1)).join(', ')})`,
  );
}

/**
 * Which simdnet was measured: the commit checked out and whether src/ or assembly/ had uncommitted changes then
 * (a build of a work tree is not that commit), and the dist/ used (SIMDNET_DIST or the repository's).
 */
function simdnetBuild() {
  const git = (...a) => spawnSync('git', ['-C', paths.ROOT, ...a], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return { dist: DIST.pathname };
  const dirty = git('status', '--porcelain', '--', 'src', 'assembly').stdout.trim().length > 0;
  return { commit: head.stdout.trim(), uncommittedSrc: dirty, dist: process.env.SIMDNET_DIST ?? 'dist/' };
}

/** The faster CPU by a fixed loop timed on each (medians of 5, interleaved), or undefined (no pinning). */
function choosePinning() {
  if (flag('no-pin') || os.platform() !== 'linux' || spawnSync('taskset', ['-p', String(process.pid)]).status !== 0)
    return undefined;
  const probe =
    'const a=new Float64Array(1<<16);let t=performance.now();for(let r=0;r<400;r++)for(let i=0;i<a.length;i++)a[i]=a[i]*0.5+i;console.log(performance.now()-t)';
  const cpus = Array.from({ length: machine.cores }, (_, i) => i);
  const ms = cpus.map(() => []);
  for (let r = 0; r < 5; r++)
    for (const c of cpus)
      ms[c].push(
        Number(spawnSync('taskset', ['-c', String(c), process.execPath, '-e', probe], { encoding: 'utf8' }).stdout),
      );
  const probeMs = ms.map((v) => v.sort((a, b) => a - b)[2]);
  if (!probeMs.every(Number.isFinite)) return undefined;
  return { cpu: probeMs.indexOf(Math.min(...probeMs)), probeMs };
}

const work = mkdtempSync(join(os.tmpdir(), 'simdnet-peers-'));
await prepare(work);

/** Runs a child node process; resolves with its exit code, stdout, and whether it was killed by the time bound. */
function runChild(script, argv, timeoutMs, { onLine } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let killed = false;
    const timer = setTimeout(
      () => {
        killed = true;
        child.kill('SIGKILL');
      },
      Math.max(1_000, timeoutMs),
    );
    child.stdout.on('data', (d) => {
      out += d;
      if (onLine) {
        const lines = out.split('\n');
        for (const l of lines.slice(0, -1)) onLine(l, performance.now() - t0);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, killed, ms: performance.now() - t0 });
    });
  });
}

// ---- Workloads 1-4 and the CNN, one process per implementation ----
const timed = ['gemm', 'train', 'infer', 'big', 'cnn'].filter((w) => workloads.includes(w));
// The CNN-only implementations (convnetjs, plain JS) get no MLP, cold-start or size rows.
const timedFor = (id) => (IMPLS[id].cnnOnly ? timed.filter((w) => w === 'cnn') : timed);
const mlpIds = ids.filter((id) => !IMPLS[id].cnnOnly);
const results = {};
const coldReserve = workloads.includes('cold') ? (quick ? 30_000 : 90_000) : 0;
for (const [i, id] of runOrder.entries()) {
  if (timedFor(id).length === 0) continue;
  // Later implementations keep a fair share of what is left; cold starts keep their reserve.
  const leftMs = deadline - coldReserve - Date.now();
  const share = Math.max(20_000, leftMs / (runOrder.length - i)) * (i === runOrder.length - 1 ? 1 : 1.6);
  const childDeadline = Date.now() + Math.min(share, leftMs);
  const options = {
    quick,
    deadline: childDeadline,
    workloads: timedFor(id),
    gemmSizes: quick ? [128, 256, 512] : [128, 256, 512, 1024],
    optimizers: [
      { type: 'sgd', lr: 0.05, perSampleLr: 0.01 },
      { type: 'adam', lr: 0.001, perSampleLr: 0.001 },
    ],
    trainBudgetMs: quick ? 20_000 : 90_000,
    cnnTrainBudgetMs: quick ? 15_000 : 40_000,
    gemmCellBudgetMs: quick ? 10_000 : 30_000,
  };
  console.log(`\n== ${IMPLS[id].label} (up to ${((childDeadline - Date.now()) / 1000).toFixed(0)} s)`);
  // The worker pins its main thread itself (worker.js): only once running are its helper threads there to stay free.
  if (pinning && IMPLS[id].singleThread) options.pinMainThread = pinning.cpu;
  const r = await runChild('./worker.js', [id, work, JSON.stringify(options)], childDeadline - Date.now() + 15_000);
  const file = join(work, `result-${id}.json`);
  results[id] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { id, errors: [] };
  results[id].seconds = r.ms / 1000;
  if (r.killed) results[id].errors.push('stopped by the time bound');
  else if (r.code !== 0) results[id].errors.push(`worker exited with code ${r.code}`);
}

// ---- 5a. Cold start: spawn → first prediction, rounds interleaved across libraries ----
const cold = {};
if (workloads.includes('cold')) {
  console.log('\n== cold start');
  const rounds = quick ? 3 : 5;
  const samples = Object.fromEntries(mlpIds.map((id) => [id, []]));
  const inner = Object.fromEntries(mlpIds.map((id) => [id, []]));
  const errors = {};
  // Round 0 warms the OS file cache and is not counted.
  for (let r = 0; r <= rounds; r++) {
    for (const id of mlpIds) {
      if (errors[id]) continue;
      let readyAt;
      let innerMs;
      const c = await runChild('./coldstart.js', [id, work], 60_000, {
        onLine: (line, ms) => {
          if (line.startsWith('READY ') && readyAt === undefined) {
            readyAt = ms;
            innerMs = Number(line.split(' ')[1]);
          }
        },
      });
      if (readyAt === undefined) errors[id] = c.killed ? 'timed out' : `exit code ${c.code}`;
      else if (r > 0) {
        samples[id].push(readyAt);
        inner[id].push(innerMs);
      }
    }
  }
  for (const id of mlpIds) {
    cold[id] = errors[id] ? { error: errors[id] } : { ms: summarize(samples[id]), inProcessMs: summarize(inner[id]) };
    if (!errors[id]) console.log(`${id}: ${cold[id].ms.median.toFixed(0)} ms`);
  }
}

// ---- 5b. Installed size and .wasm size ----
const sizes = {};
if (workloads.includes('size')) {
  const nm = (p) => join(paths.PEERS, 'node_modules', p);
  for (const id of mlpIds) {
    try {
      if (IMPLS[id].simdnet) {
        sizes[id] = {
          ...simdnetSize(DIST.pathname),
          wasmBytes: fileBytes(new URL('simdnet.wasm', DIST).pathname),
          wasmFile: 'dist/simdnet.wasm',
        };
      } else {
        const f = FOOTPRINT[id];
        const c = closureSize(f.packages);
        sizes[id] = {
          packages: c.packages,
          bytes: c.bytes,
          roots: f.packages,
          wasmBytes: f.wasm ? fileBytes(nm(f.wasm)) : null,
          wasmFile: f.wasm,
        };
      }
    } catch (err) {
      sizes[id] = { error: String(err?.message ?? err) };
    }
  }
}

machine.loadAverageAfter = loadAverage();
machine.seconds = (Date.now() - started) / 1000;
const versions = {
  simdnet: JSON.parse(readFileSync(join(paths.ROOT, 'package.json'), 'utf8')).version,
  ...peersPkg.dependencies,
};
const report = {
  machine,
  versions,
  implementations: Object.fromEntries(ids.map((id) => [id, IMPLS[id].label])),
  cnnOnly: ids.filter((id) => IMPLS[id].cnnOnly),
  results,
  cold,
  sizes,
};
const md = renderMarkdown(report);
if (!flag('no-write')) {
  writeFileSync(resultsJson, `${JSON.stringify(report, null, 2)}\n`);
  if (!flag('no-md')) writeBlock(md);
  console.log(`\nwrote bench/peers/results.json${flag('no-md') ? '' : ' and the peers block of bench/RESULTS.md'}`);
}
console.log(`\n${md}`);
console.log(`\n(total ${machine.seconds.toFixed(0)} s)`);
rmSync(work, { recursive: true, force: true });
