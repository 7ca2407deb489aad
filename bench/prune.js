// Pruning on the mnist digits with a 784-300-100-10 MLP (LeNet-300-100): accuracy after 90% magnitude pruning
// (iterative, retrained at lr/10) and after removing half the hidden units; file sizes; batch-1 latency of the
// sparse path (SparseModel, CSR kernel) against the dense model, on real digits and on inputs without zeros.
// Uses the built package (dist/): `npm run build` first. Section module for bench/run.js.
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, dense, init, loadModel, saveModel, sequential } from '../dist/index.js';
import { SparseModel, pruneIteratively, pruneNeurons, sparsityOf } from '../dist/compress/index.js';
import { medianUs } from './lib.js';

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;

export async function run({ quick = false } = {}) {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const epochs = quick ? 3 : 8;
  const m = sequential(
    [dense(300, { activation: 'relu', inputDim: 784 }), dense(100, { activation: 'relu' }), dense(10, { activation: 'softmax' })],
    { seed: 1 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  await m.fit(train.x, train.y, { epochs, batchSize: 64, seed: 1 });
  const baseAcc = m.evaluate(test.x, test.y).accuracy;
  const baseBytes = saveModel(m);
  const json = { epochs, baseline: { accuracy: baseAcc, fileBytes: baseBytes.length } };

  // Neuron pruning: half of each hidden layer, then one epoch of fine-tuning at the compiled learning rate.
  const half = pruneNeurons(m, { fraction: 0.5 });
  const halfNoFt = half.evaluate(test.x, test.y).accuracy;
  await half.fit(train.x, train.y, { epochs: 1, batchSize: 64, seed: 2 });
  const halfAcc = half.evaluate(test.x, test.y).accuracy;
  json.neurons = { widths: [150, 50], accuracyBeforeFineTune: halfNoFt, accuracy: halfAcc, fileBytes: saveModel(half).length };

  // Magnitude pruning, 90%: 3 rounds (53.6%, 78.5%, 90%) of 2 epochs at lr/10; global and per-layer thresholds.
  const variants = quick ? ['global'] : ['global', 'layer'];
  const pruned = {};
  for (const scope of variants) {
    const p = loadModel(baseBytes);
    const r = await pruneIteratively(p, train.x, train.y, { sparsity: 0.9, steps: 3, scope, epochs: quick ? 1 : 2, batchSize: 64, seed: 5 });
    pruned[scope] = { model: p, accuracy: p.evaluate(test.x, test.y).accuracy, sparsity: r.sparsity };
  }
  const p = pruned.global.model;
  const sp = SparseModel.fromModel(p);
  const spBytes = sp.save();
  json.magnitude = Object.fromEntries(
    Object.entries(pruned).map(([k, v]) => [k, { accuracy: v.accuracy, sparsity: v.sparsity.sparsity, perLayer: v.sparsity.layers.map((l) => l.sparsity) }]),
  );
  json.sparse = { fileBytes: spBytes.length, layers: sp.layers, accuracy: sp.evaluate(test.x, test.y).accuracy };

  // Batch-1 latency (predict() end to end, median): real digits (about 80% of the pixels are 0) and inputs with
  // no zeros at all, which take away the kernel's skipping of zero inputs in the first layer.
  const digit = { data: test.x.data.slice(0, 784), shape: [1, 784] };
  const noZeros = { data: Float32Array.from(digit.data, (v, i) => 0.05 + 0.9 * ((i * 0.618) % 1)), shape: [1, 784] };
  const batch = { data: test.x.data.slice(0, 256 * 784), shape: [256, 784] };
  const t = await medianUs(
    [
      ['dense 1x784 digit', () => m.predict(digit)],
      ['sparse 1x784 digit', () => sp.predict(digit)],
      ['dense 1x784 no-zeros', () => m.predict(noZeros)],
      ['sparse 1x784 no-zeros', () => sp.predict(noZeros)],
      ['neurons 1x784 digit', () => half.predict(digit)],
      ['dense 256x784', () => m.predict(batch)],
      ['sparse 256x784', () => sp.predict(batch)],
    ],
    quick,
  );
  json.latencyUs = t;
  const rows = [
    ['dense 784-300-100-10', pct(baseAcc), '0%', kb(baseBytes.length), t['dense 1x784 digit'], t['dense 1x784 no-zeros'], t['dense 256x784']],
    [
      '90% pruned (global) → SparseModel',
      pct(pruned.global.accuracy),
      pct(pruned.global.sparsity.sparsity),
      kb(spBytes.length),
      t['sparse 1x784 digit'],
      t['sparse 1x784 no-zeros'],
      t['sparse 256x784'],
    ],
    ['half the hidden units removed (784-150-50-10)', pct(halfAcc), '—', kb(json.neurons.fileBytes), t['neurons 1x784 digit'], null, null],
  ];
  const fmt = (v) => (v === null ? '—' : typeof v === 'number' ? v.toFixed(1) : v);
  const layerPct = (s) => s.layers.map((l) => pct(l.sparsity)).join(' / ');
  const markdown = [
    `LeNet-300-100 (784-300-100-10, relu, softmax) trained ${epochs} epochs with Adam 1e-3 on 8,000 \`mnist\` digits,`,
    'accuracy on the 2,000 held-out digits. Latency: `predict()` median at batch 1 (µs), a real digit and an input',
    'with no zero pixels; batch 256 in µs per call. Sparse = `SparseModel` (CSR kernels, `sparse_csr_forward`).',
    '',
    '| model | test accuracy | weights removed | file | batch 1, digit (µs) | batch 1, no zeros (µs) | batch 256 (µs) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`),
    '',
    `- Speed-up of the sparse path at batch 1: ${(t['dense 1x784 digit'] / t['sparse 1x784 digit']).toFixed(2)}x on a digit, ` +
      `${(t['dense 1x784 no-zeros'] / t['sparse 1x784 no-zeros']).toFixed(2)}x on an input with no zeros; ` +
      `${(t['dense 256x784'] / t['sparse 256x784']).toFixed(2)}x at batch 256.`,
    `- File: ${kb(baseBytes.length)} dense → ${kb(spBytes.length)} sparse (${(baseBytes.length / spBytes.length).toFixed(1)}x smaller).`,
    `- Magnitude pruning, kernel sparsity per layer: global ${layerPct(pruned.global.sparsity)}` +
      (pruned.layer ? `; per layer ${layerPct(pruned.layer.sparsity)} → ${pct(pruned.layer.accuracy)} accuracy.` : '.'),
    `- Neuron pruning: ${pct(halfNoFt)} right after removing the units, ${pct(halfAcc)} after one epoch of fine-tuning.`,
  ].join('\n');
  sp.dispose();
  half.dispose();
  for (const v of Object.values(pruned)) v.model.dispose();
  m.dispose();
  return { title: 'Pruning: magnitude (90%), neurons (half), sparse inference', markdown, json };
}
