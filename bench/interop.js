// Models from elsewhere: what importing a PyTorch / TensorFlow.js model costs (load the subpath, decode and build,
// export back), and how fast the imported model predicts next to ONNX Runtime Web running the original file
// (wasm, one thread — as simdnet runs). A bench section module for bench/run.js (`run({ quick })`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { loadMnist } from '../dist/data/mnist-node.js';
import { init } from '../dist/index.js';
import { exportOnnx, importOnnx } from '../dist/onnx/index.js';
import { importTfjsLayers } from '../dist/tfjs/index.js';
import { median } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (p) => readFileSync(new URL(`../test/${p}`, import.meta.url));

/** Extra ms a fresh process spends importing `sub` after the main entry (median of paired runs). */
function subpathCost(sub, runs) {
  const script = (withSub) =>
    `const t0 = performance.now(); await import(${JSON.stringify(`${root}dist/bundle/index.js`)});` +
    (withSub ? `await import(${JSON.stringify(`${root}dist/bundle/${sub}.js`)});` : '') +
    'process.stderr.write(String(performance.now() - t0));';
  const time = (withSub) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(withSub)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node failed: ${r.stderr}`);
    return Number(r.stderr);
  };
  const extra = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so drift on a shared machine cancels.
    if (i % 2 === 0) extra.push(-time(false) + time(true));
    else extra.push(time(true) - time(false));
  }
  return median(extra);
}

/** Median ms per call of a synchronous function over `ms` of calls, after a 400 ms warm-up. */
function msPerCall(f, ms) {
  const warm = performance.now() + 400;
  while (performance.now() < warm) f();
  const samples = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/**
 * Paired rounds of simdnet's predict and ORT's run on the same rows (order alternating): median µs of each and the
 * median ratio.
 */
async function versusOrt(model, session, x, rows, sample, rounds) {
  const m = { data: x.subarray(0, rows * model.inputDim), rows, cols: model.inputDim };
  const feeds = {
    [session.inputNames[0]]: new ort.Tensor('float32', x.slice(0, rows * model.inputDim), [rows, ...sample]),
  };
  const reps = rows === 1 ? 200 : 4;
  const ours = async () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) model.predict(m);
    return (performance.now() - t0) / reps;
  };
  const theirs = async () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await session.run(feeds);
    return (performance.now() - t0) / reps;
  };
  const warm = performance.now() + 800;
  while (performance.now() < warm) await ours(), await theirs();
  const a = [];
  const b = [];
  const ratio = [];
  for (let r = 0; r < rounds; r++) {
    let s;
    let o;
    if (r % 2 === 0) {
      s = await ours();
      o = await theirs();
    } else {
      o = await theirs();
      s = await ours();
    }
    a.push(s);
    b.push(o);
    ratio.push(o / s);
  }
  return { simdnetUs: median(a) * 1000, ortUs: median(b) * 1000, speedup: median(ratio) };
}

export async function run({ quick = false } = {}) {
  await init();
  ort.env.wasm.numThreads = 1;
  const { test } = loadMnist();
  const x = test.x.data;
  const json = {};
  const lines = [];

  // Loading the subpaths: the codec and mappings are not on the main entry.
  const runs = quick ? 7 : 21;
  json.subpathMs = { onnx: subpathCost('onnx', runs), tfjs: subpathCost('tfjs', runs) };
  lines.push(
    '| loading after `simdnet` | extra ms (median, fresh Node processes) |',
    '|---|---|',
    `| \`simdnet/onnx\` (codec, importer, exporter) | ${json.subpathMs.onnx.toFixed(1)} |`,
    `| \`simdnet/tfjs\` | ${json.subpathMs.tfjs.toFixed(1)} |`,
    '',
  );

  // Import and export.
  const files = {
    'PyTorch LeNet (torch-cnn.onnx)': () => importOnnx(fixture('onnx/fixtures/torch-cnn.onnx')),
    'PyTorch MLP 784-64-32-10 (torch-mlp.onnx)': () => importOnnx(fixture('onnx/fixtures/torch-mlp.onnx')),
    'scikit-learn MLP (sklearn-mlp.onnx)': () => importOnnx(fixture('onnx/fixtures/sklearn-mlp.onnx')),
    'TensorFlow.js CNN (tfjs-cnn)': () =>
      importTfjsLayers(
        fixture('tfjs/fixtures/tfjs-cnn/model.json').toString('utf8'),
        fixture('tfjs/fixtures/tfjs-cnn/weights.bin'),
      ),
  };
  const budget = quick ? 300 : 1500;
  json.files = {};
  lines.push('| model | import ms | export ms |', '|---|---|---|');
  for (const [name, load] of Object.entries(files)) {
    const model = load();
    const importMs = msPerCall(() => load().dispose(), budget);
    const exportMs = msPerCall(() => exportOnnx(model), budget);
    json.files[name] = { importMs, exportMs };
    lines.push(`| ${name} | ${importMs.toFixed(2)} | ${exportMs.toFixed(2)} |`);
    model.dispose();
  }
  lines.push('');

  // The imported model next to ONNX Runtime Web running the original file.
  const rounds = quick ? 6 : 30;
  json.inference = {};
  lines.push(
    '| model, batch | simdnet (imported) µs | ORT Web (original file) µs | simdnet speed-up |',
    '|---|---|---|---|',
  );
  for (const [name, file, sample] of [
    ['PyTorch LeNet', 'onnx/fixtures/torch-cnn.onnx', [1, 28, 28]],
    ['PyTorch MLP', 'onnx/fixtures/torch-mlp.onnx', [1, 28, 28]],
  ]) {
    const bytes = fixture(file);
    const model = importOnnx(bytes);
    const session = await ort.InferenceSession.create(new Uint8Array(bytes));
    for (const rows of [1, 256]) {
      const r = await versusOrt(model, session, x, rows, sample, rounds);
      json.inference[`${name} b${rows}`] = r;
      lines.push(`| ${name}, ${rows} | ${r.simdnetUs.toFixed(1)} | ${r.ortUs.toFixed(1)} | ${r.speedup.toFixed(2)}x |`);
    }
    model.dispose();
    await session.release();
  }
  lines.push(
    '',
    'Import = decode the file + build the model + set its weights; export = the model to ONNX bytes. ORT Web 1.30 runs',
    'with one thread (wasm SIMD), graph optimizations at their default; each pair of timings alternates which goes',
    'first, and the speed-up is the median of the per-round ratios.',
  );
  return { title: 'Interchange: importing and exporting models', markdown: lines.join('\n'), json };
}
