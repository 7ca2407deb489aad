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

const root = fileURLToPath(new URL('..', import.meta.url));
const BAR_MS = 15;

// The user's program, as small as it gets: import, init(), load the model file, classify one digit.
// performance.now() counts from the process's time origin, so the marks say where the time goes.
// `entry` is the package's entry (the bundle `import 'simdnet'` resolves to) or, for comparison, the unbundled tsc
// output it is built from.
const child = (entry) => `import { readFileSync } from 'node:fs';
import { init, loadModel } from ${JSON.stringify(new URL(entry, import.meta.url).href)};
const imported = performance.now();
await init();
const ready = performance.now();
const model = loadModel(readFileSync(process.argv[2]));
const digit = new Float32Array(new Uint8Array(readFileSync(process.argv[3])).buffer);
const cls = model.predictClasses({ data: digit, shape: [1, 784] })[0];
const predicted = performance.now();
process.stdout.write(JSON.stringify({ cls, imported, init: ready - imported, loadPredict: predicted - ready, total: predicted }));
`;

// The same program as CommonJS: `require()` of the ESM bundle (Node >= 20.19 / 22.12) skips part of the ESM
// loader's start-up, which a bare `node -e ''` does not pay either.
const childCjs = (entry) => `const { readFileSync } = require('node:fs');
const { init, loadModel } = require(${JSON.stringify(fileURLToPath(new URL(entry, import.meta.url)))});
init().then(() => {
  const model = loadModel(readFileSync(process.argv[2]));
  const digit = new Float32Array(new Uint8Array(readFileSync(process.argv[3])).buffer);
  process.stdout.write(JSON.stringify({ cls: model.predictClasses({ data: digit, shape: [1, 784] })[0] }));
});
`;

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (a, q) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))];

function timed(args, cwd) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

/** npm pack --dry-run: what a user downloads (size) and gets on disk (unpackedSize). */
function packSizes() {
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
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
    const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], { seed: 1 });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }) });
    await m.fit({ data: train.x.data.subarray(0, rows * 784), shape: [rows, 784] }, { data: train.y.data.subarray(0, rows * 10), shape: [rows, 10] }, { epochs: 1, batchSize: 64, seed: 1 });
    const modelBytes = saveModel(m);
    const digit = test.x.data.slice(0, 784);
    const expected = m.predictClasses({ data: digit, shape: [1, 784] })[0];
    m.dispose();
    writeFileSync(join(dir, 'mnist.sdnt'), modelBytes);
    writeFileSync(join(dir, 'digit.f32'), new Uint8Array(digit.buffer));
    writeFileSync(join(dir, 'first-prediction.mjs'), child('../dist/bundle/index.js'));
    writeFileSync(join(dir, 'first-prediction-unbundled.mjs'), child('../dist/index.js'));
    writeFileSync(join(dir, 'first-prediction.cjs'), childCjs('../dist/bundle/index.js'));
    writeFileSync(join(dir, 'empty.mjs'), '');
    const [major, minor] = process.versions.node.split('.').map(Number);
    const cjsWorks = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);

    // Alternate bare and full runs so drift in the machine's load hits both alike; the first of each is a warm-up
    // (file-system cache), not counted.
    const n = quick ? 8 : 30;
    const bare = [];
    const full = [];
    const unbundled = [];
    const cjs = [];
    const emptyEsm = [];
    const marks = [];
    for (let i = 0; i <= n; i++) {
      const b = timed(['-e', ''], dir);
      const e = timed(['empty.mjs'], dir);
      const f = timed(['first-prediction.mjs', 'mnist.sdnt', 'digit.f32'], dir);
      const u = timed(['first-prediction-unbundled.mjs', 'mnist.sdnt', 'digit.f32'], dir);
      const c = cjsWorks ? timed(['first-prediction.cjs', 'mnist.sdnt', 'digit.f32'], dir) : undefined;
      for (const r of c ? [f, u, c] : [f, u]) {
        const cls = JSON.parse(r.stdout).cls;
        if (cls !== expected) throw new Error(`the child predicted class ${cls}, this process ${expected}`);
      }
      if (i === 0) continue;
      bare.push(b.ms);
      emptyEsm.push(e.ms);
      full.push(f.ms);
      unbundled.push(u.ms);
      if (c) cjs.push(c.ms);
      marks.push(JSON.parse(f.stdout));
    }
    const bareMs = median(bare);
    const fullMs = median(full);
    const extraMs = fullMs - bareMs;
    const mark = (k) => median(marks.map((o) => o[k]));

    const sizes = packSizes();
    const wasm = readFileSync(join(root, 'dist', 'simdnet.wasm'));
    const wasmBytes = statSync(join(root, 'dist', 'simdnet.wasm')).size;
    const wasmGzipBytes = gzipSync(wasm, { level: 9 }).byteLength;
    const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;

    const json = {
      runs: n,
      bareNodeMs: bareMs,
      firstPredictionMs: fullMs,
      extraMs,
      barMs: BAR_MS,
      withinBar: extraMs <= BAR_MS,
      unbundledMs: median(unbundled),
      emptyEsmMs: median(emptyEsm),
      cjsMs: cjsWorks ? median(cjs) : null,
      cjsExtraMs: cjsWorks ? median(cjs) - bareMs : null,
      p25p75: {
        bare: [quantile(bare, 0.25), quantile(bare, 0.75)],
        full: [quantile(full, 0.25), quantile(full, 0.75)],
        unbundled: [quantile(unbundled, 0.25), quantile(unbundled, 0.75)],
      },
      inProcessMs: { importsDone: mark('imported'), init: mark('init'), loadAndPredict: mark('loadPredict'), firstPrediction: mark('total') },
      modelBytes: modelBytes.byteLength,
      ...sizes,
      wasmBytes,
      wasmGzipBytes,
    };
    const f1 = (v) => v.toFixed(1);
    const markdown = [
      `New process → first prediction of a saved MNIST model (784-128-10, ${kb(modelBytes.byteLength)} file): \`node first-prediction.mjs\``,
      "imports the built package, `await init()` (reads and compiles the .wasm), `loadModel(readFileSync(...))`, classifies",
      `one digit, exits. Wall time from spawn to exit, median of ${n} runs alternating with a bare \`node -e ''\`.`,
      '`import "simdnet"` resolves to dist/bundle/index.js (one module plus a shared chunk); the unbundled row shows why.',
      '',
      '| | median (ms) | p25–p75 (ms) |',
      '|---|---:|---:|',
      `| bare \`node -e ''\` | ${f1(bareMs)} | ${f1(json.p25p75.bare[0])}–${f1(json.p25p75.bare[1])} |`,
      `| an empty ES module (\`node empty.mjs\`: Node's ESM loader, no simdnet) | ${f1(json.emptyEsmMs)} | ${f1(quantile(emptyEsm, 0.25))}–${f1(quantile(emptyEsm, 0.75))} |`,
      `| import + init + load + first prediction | ${f1(fullMs)} | ${f1(json.p25p75.full[0])}–${f1(json.p25p75.full[1])} |`,
      `| **cost above bare Node** | **${f1(extraMs)}** | bar: ≤ ${BAR_MS} ms ${extraMs <= BAR_MS ? '(met)' : '(NOT met)'} |`,
      `| same from the unbundled modules (dist/index.js, ~40 files) | ${f1(json.unbundledMs)} | ${f1(json.p25p75.unbundled[0])}–${f1(json.p25p75.unbundled[1])} |`,
      ...(cjsWorks
        ? [`| same as CommonJS (\`require\` of the bundle) | ${f1(json.cjsMs)} | ${f1(quantile(cjs, 0.25))}–${f1(quantile(cjs, 0.75))} (${f1(json.cjsExtraMs)} above bare) |`]
        : []),
      '',
      `Inside the child (ms since process start, medians): imports done ${f1(json.inProcessMs.importsDone)}, ` +
        `init() ${f1(json.inProcessMs.init)}, load model + predict ${f1(json.inProcessMs.loadAndPredict)}, first prediction at ${f1(json.inProcessMs.firstPrediction)}.`,
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
