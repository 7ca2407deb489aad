// Cold start and size: a new Node process that imports the built package, loads the .wasm, loads a saved MNIST
// model and makes its first prediction, against a bare `node -e ''`; plus the package's packed and installed size
// and the .wasm size. A bench section module for bench/run.js (`run({ quick })` → { title, markdown, json }).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, dense, init, saveModel, sequential } from '../dist/index.js';
import { median, quantile } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BAR_MS = 15;

// The user's program, as small as it gets: load the library and the .wasm, load the model file, classify one digit
// (in the program as a literal: the input of a real program comes from elsewhere). It reports the class through its
// exit code, so the timed runs spend nothing on output: setting up process.stdout alone costs a Node process
// milliseconds, which a bare `node -e ''` does not pay either (an uncaught error is told apart by its stack on
// stderr). Written twice, as a user would: an ES module (`import`, Node's ES module loader) and CommonJS
// (`require`, the package's CommonJS build). With MARKS set, the child also writes where its time went (extra
// runs, not timed).
const child = (
  entry,
  digit,
) => `import { init, loadModelFileSync } from ${JSON.stringify(new URL(entry, import.meta.url).href)};
const t0 = process.env.MARKS ? performance.now() : 0;
await init();
const t1 = process.env.MARKS ? performance.now() : 0;
const model = loadModelFileSync(process.argv[2]);
const t2 = process.env.MARKS ? performance.now() : 0;
process.exitCode = model.predictClasses({ data: new Float32Array(${digit}), shape: [1, 784] })[0];
if (process.env.MARKS) process.getBuiltinModule('node:fs').writeSync(2, JSON.stringify({ loaded: t0, init: t1 - t0, load: t2 - t1, predict: performance.now() - t2, end: String(process.hrtime.bigint()) }));
`;
const childCjs = (entry, digit) => `const t0 = process.env.MARKS ? performance.now() : 0;
const { init, loadModelFileSync } = require(${JSON.stringify(fileURLToPath(new URL(entry, import.meta.url)))});
const t1 = process.env.MARKS ? performance.now() : 0;
init().then(() => {
  const t2 = process.env.MARKS ? performance.now() : 0;
  const model = loadModelFileSync(process.argv[2]);
  const t3 = process.env.MARKS ? performance.now() : 0;
  process.exitCode = model.predictClasses({ data: new Float32Array(${digit}), shape: [1, 784] })[0];
  if (process.env.MARKS) require('node:fs').writeSync(2, JSON.stringify({ start: t0, require: t1 - t0, init: t2 - t1, load: t3 - t2, predict: performance.now() - t3, end: String(process.hrtime.bigint()) }));
});
`;

/** Spawns node with args; returns the wall time, when it returned (monotonic ns) and the exit code (the child's class). */
function timed(args, cwd, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: env ? { ...process.env, ...env } : process.env,
  });
  const ms = performance.now() - t0;
  const ended = process.hrtime.bigint();
  if (r.status === null || r.status > 9 || r.stderr.includes('Error'))
    throw new Error(`node ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { ms, ended, status: r.status, stderr: r.stderr };
}

/** npm pack --dry-run: what a user downloads (size) and gets on disk (unpackedSize). */
function packSizes() {
  const r = spawnSync(
    process.platform === 'win32' ? 'npm.cmd' : 'npm',
    ['pack', '--dry-run', '--json', '--ignore-scripts'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed:\n${r.stderr}`);
  const [p] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  return { tarballBytes: p.size, unpackedBytes: p.unpackedSize, files: p.entryCount };
}

export async function run({ quick = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-coldstart-'));
  try {
    // A real saved MNIST model: 784-128-10, one epoch on the training digits.
    await init();
    const { train, test } = loadMnist({ seed: 1 });
    const rows = quick ? 2000 : train.x.rows;
    const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      seed: 1,
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }) });
    await m.fit(
      { data: train.x.data.subarray(0, rows * 784), shape: [rows, 784] },
      { data: train.y.data.subarray(0, rows * 10), shape: [rows, 10] },
      { epochs: 1, batchSize: 64, seed: 1 },
    );
    const modelBytes = saveModel(m);
    const digit = test.x.data.slice(0, 784);
    const expected = m.predictClasses({ data: digit, shape: [1, 784] })[0];
    m.dispose();
    writeFileSync(join(dir, 'mnist.sdnt'), modelBytes);
    const literal = JSON.stringify(Array.from(digit));
    writeFileSync(join(dir, 'first-prediction.mjs'), child('../dist/bundle/index.js', literal));
    writeFileSync(join(dir, 'first-prediction.cjs'), childCjs('../dist/bundle/index.cjs', literal));
    writeFileSync(join(dir, 'empty.mjs'), '');
    writeFileSync(join(dir, 'empty.cjs'), '');

    // Interleaved rounds so drift in the machine's load hits every variant alike; the first round is a warm-up
    // (file-system cache), not counted. This machine's timings swing by several ms from run to run, so many rounds.
    const n = quick ? 8 : 40;
    const variants = {
      bare: ['-e', ''],
      emptyCjs: ['empty.cjs'],
      emptyEsm: ['empty.mjs'],
      cjs: ['first-prediction.cjs', 'mnist.sdnt'],
      esm: ['first-prediction.mjs', 'mnist.sdnt'],
    };
    const ms = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let i = 0; i <= n; i++) {
      for (const [k, args] of Object.entries(variants)) {
        const r = timed(args, dir);
        if (args[1] === 'mnist.sdnt' && r.status !== expected)
          throw new Error(`${args[0]} predicted class ${r.status}, this process ${expected}`);
        if (i > 0) ms[k].push(r.ms);
      }
    }
    // Where the time goes, from separate runs that write marks (ms since the process's time origin and spans), and
    // how long the process takes to end after its last statement (`exit`: the monotonic clock is shared with this
    // process), next to a bare node's.
    const marksOf = (args) => {
      const runs = Array.from({ length: quick ? 4 : 15 }, () => {
        const r = timed(args, dir, { MARKS: '1' });
        const o = JSON.parse(r.stderr);
        o.exit = Number(r.ended - BigInt(o.end)) / 1e6;
        delete o.end;
        return o;
      });
      return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((o) => o[k]))]));
    };
    const marks = {
      cjs: marksOf(['first-prediction.cjs', 'mnist.sdnt']),
      esm: marksOf(['first-prediction.mjs', 'mnist.sdnt']),
      bare: marksOf([
        '-e',
        "require('node:fs').writeSync(2, JSON.stringify({ end: String(process.hrtime.bigint()) }))",
      ]),
    };
    const med = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)]));
    const q = (k) => [quantile(ms[k], 0.25), quantile(ms[k], 0.75)];
    const extraMs = { cjs: med.cjs - med.bare, esm: med.esm - med.bare };

    const sizes = packSizes();
    const wasm = readFileSync(join(root, 'dist', 'simdnet.wasm'));
    const wasmBytes = statSync(join(root, 'dist', 'simdnet.wasm')).size;
    const wasmGzipBytes = gzipSync(wasm, { level: 9 }).byteLength;
    const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

    const json = {
      runs: n,
      medianMs: med,
      p25p75: Object.fromEntries(Object.keys(ms).map((k) => [k, q(k)])),
      extraMs,
      barMs: BAR_MS,
      withinBar: { cjs: extraMs.cjs <= BAR_MS, esm: extraMs.esm <= BAR_MS },
      inProcessMs: marks,
      modelBytes: modelBytes.byteLength,
      ...sizes,
      wasmBytes,
      wasmGzipBytes,
    };
    const f1 = (v) => v.toFixed(1);
    const row = (label, k, note = '') => `| ${label} | ${f1(med[k])} | ${f1(q(k)[0])}–${f1(q(k)[1])} | ${note} |`;
    const verdict = (k) => `**${f1(extraMs[k])} above bare** (${extraMs[k] <= BAR_MS ? 'met' : 'NOT met'})`;
    const { cjs: mc, esm: me } = marks;
    const markdown = [
      `New process → first prediction of a saved MNIST model (784-128-10, ${kb(modelBytes.byteLength)} file): the user's`,
      'program loads simdnet, `await init()` (reads and compiles the .wasm), `loadModelFileSync(path)` (weights read',
      'straight into the model), classifies one digit and exits with the class as its exit code (checked). Wall time',
      `from spawn to exit, median of ${n} interleaved rounds. Bar: ≤ ${BAR_MS} ms above a bare \`node -e ''\`.`,
      '',
      '| program | median (ms) | p25–p75 (ms) | vs the bar |',
      '|---|---:|---:|---|',
      row("bare `node -e ''`", 'bare'),
      row('an empty CommonJS file', 'emptyCjs'),
      row(
        "an empty ES module (Node's ES module loader)",
        'emptyEsm',
        `${f1(med.emptyEsm - med.bare)} above bare, before any code`,
      ),
      row('**CommonJS**: `require("simdnet")` … first prediction', 'cjs', verdict('cjs')),
      row('**ES module**: `import … from "simdnet"` … first prediction', 'esm', verdict('esm')),
      '',
      `Inside the CommonJS child (medians, ms): Node hands over at ${f1(mc.start)}; require ${f1(mc.require)}, init() ${f1(mc.init)}, ` +
        `loadModelFileSync ${f1(mc.load)}, first predict ${f1(mc.predict)}; from its last statement to its exit ${f1(mc.exit)} ` +
        `(a bare node: ${f1(marks.bare.exit)}). ES module child: imports done at ${f1(me.loaded)}, ` +
        `init() ${f1(me.init)}, load ${f1(me.load)}, predict ${f1(me.predict)}, exit ${f1(me.exit)}.`,
      '',
      '| package | size |',
      '|---|---:|',
      `| npm tarball (download) | ${kb(sizes.tarballBytes)} |`,
      `| installed (unpacked, ${sizes.files} files) | ${kb(sizes.unpackedBytes)} |`,
      `| simdnet.wasm | ${kb(wasmBytes)} (${kb(wasmGzipBytes)} gzipped) |`,
    ].join('\n');
    return { title: 'Cold start and package size', markdown, json };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run on its own: node bench/coldstart.js [--quick]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({ quick: process.argv.includes('--quick') });
  console.log(`## ${r.title}\n\n${r.markdown}`);
}
