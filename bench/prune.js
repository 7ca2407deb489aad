// Pruning on the mnist digits with a 784-300-100-10 MLP (LeNet-300-100): accuracy after 90% magnitude pruning
// (iterative, retrained at lr/10) and after removing half the hidden units; file sizes; batch-1 latency of the
// sparse path (SparseModel, CSR kernel) against the dense model, on real digits and on inputs without zeros.
// Then the LeNet-like CNN: half of each conv layer's filters removed (L1 norm, and data-driven), the smaller
// model's accuracy, size and speed against the original (paired rounds: the machine is shared), and magnitude
// pruning of its conv kernels.
// Uses the built package (dist/): `npm run build` first. Section module for bench/run.js.
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, conv2d, dense, flatten, init, loadModel, maxPooling2d, saveModel, sequential } from '../dist/index.js';
import { SparseModel, pruneIteratively, pruneNeurons } from '../dist/compress/index.js';
import { medianUs, pairedRatio } from './lib.js';

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;

export async function run({ quick = false } = {}) {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const epochs = quick ? 3 : 8;
  const m = sequential(
    [
      dense(300, { activation: 'relu', inputDim: 784 }),
      dense(100, { activation: 'relu' }),
      dense(10, { activation: 'softmax' }),
    ],
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
  json.neurons = {
    widths: [150, 50],
    accuracyBeforeFineTune: halfNoFt,
    accuracy: halfAcc,
    fileBytes: saveModel(half).length,
  };

  // Magnitude pruning, 90%: 3 rounds (53.6%, 78.5%, 90%) of 2 epochs at lr/10; global and per-layer thresholds.
  const variants = quick ? ['global'] : ['global', 'layer'];
  const pruned = {};
  for (const scope of variants) {
    const p = loadModel(baseBytes);
    const r = await pruneIteratively(p, train.x, train.y, {
      sparsity: 0.9,
      steps: 3,
      scope,
      epochs: quick ? 1 : 2,
      batchSize: 64,
      seed: 5,
    });
    pruned[scope] = { model: p, accuracy: p.evaluate(test.x, test.y).accuracy, sparsity: r.sparsity };
  }
  const p = pruned.global.model;
  const sp = SparseModel.fromModel(p);
  const spBytes = sp.save();
  json.magnitude = Object.fromEntries(
    Object.entries(pruned).map(([k, v]) => [
      k,
      { accuracy: v.accuracy, sparsity: v.sparsity.sparsity, perLayer: v.sparsity.layers.map((l) => l.sparsity) },
    ]),
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
    [
      'dense 784-300-100-10',
      pct(baseAcc),
      '0%',
      kb(baseBytes.length),
      t['dense 1x784 digit'],
      t['dense 1x784 no-zeros'],
      t['dense 256x784'],
    ],
    [
      '90% pruned (global) → SparseModel',
      pct(pruned.global.accuracy),
      pct(pruned.global.sparsity.sparsity),
      kb(spBytes.length),
      t['sparse 1x784 digit'],
      t['sparse 1x784 no-zeros'],
      t['sparse 256x784'],
    ],
    [
      'half the hidden units removed (784-150-50-10)',
      pct(halfAcc),
      '—',
      kb(json.neurons.fileBytes),
      t['neurons 1x784 digit'],
      null,
      null,
    ],
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
  const cnn = await cnnSection({ quick, train, test });
  json.cnn = cnn.json;
  return {
    title: 'Pruning: magnitude (90%), neurons (half), sparse inference',
    markdown: [markdown, '', ...cnn.markdown].join('\n'),
    json,
  };
}

export async function cnnSection({ quick, train, test }) {
  const m = sequential(
    [
      conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1], name: 'conv1' }),
      maxPooling2d(2),
      conv2d(16, 5, { activation: 'relu', name: 'conv2' }),
      maxPooling2d(2),
      flatten(),
      dense(10, { activation: 'softmax', name: 'out' }),
    ],
    { seed: 1 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
  const epochs = quick ? 1 : 3;
  await m.fit(train.x, train.y, { epochs, batchSize: 32, seed: 1 });
  const base = m.evaluate(test.x, test.y).accuracy;
  const params = m.countParams().total;
  const json = {
    epochs,
    baseline: { accuracy: base, params, fileBytes: saveModel(m).length },
    filters: {},
    magnitude: {},
  };
  const rows = [[`f32 CNN (8 and 16 filters)`, pct(base), '—', params, kb(saveModel(m).length), '1.00x', '1.00x']];
  const data = { data: train.x.data.slice(0, 500 * 784), rows: 500, cols: 784 };
  const x256 = { data: test.x.data.slice(0, 256 * 784), rows: 256, cols: 784 };
  const x1 = { data: test.x.data.slice(0, 784), rows: 1, cols: 784 };
  const rounds = quick ? 60 : 300;
  for (const [label, opts] of [
    ['half the filters of both convs (L1 norm): 4 and 8', { fraction: 0.5, layers: ['conv1', 'conv2'] }],
    [
      'half the filters of both convs (contribution on 500 digits)',
      { fraction: 0.5, layers: ['conv1', 'conv2'], score: 'contribution', data },
    ],
    ["half of conv2's filters (L1 norm): 8 and 8", { fraction: 0.5, layers: ['conv2'] }],
  ]) {
    const s = pruneNeurons(m, opts);
    const before = s.evaluate(test.x, test.y).accuracy;
    await s.fit(train.x, train.y, { epochs: 1, batchSize: 32, seed: 2 });
    const after = s.evaluate(test.x, test.y).accuracy;
    const p1 = pairedRatio(
      () => m.predict(x1),
      () => s.predict(x1),
      rounds,
      20,
    );
    const p256 = pairedRatio(
      () => m.predict(x256),
      () => s.predict(x256),
      rounds,
    );
    const sp = s.countParams().total;
    rows.push([
      label,
      `${pct(before)} → ${pct(after)}`,
      '—',
      sp,
      kb(saveModel(s).length),
      `${p1.ratio.toFixed(2)}x`,
      `${p256.ratio.toFixed(2)}x`,
    ]);
    json.filters[label] = {
      accuracyBeforeFineTune: before,
      accuracy: after,
      params: sp,
      speedupBatch1: p1.ratio,
      speedupBatch256: p256.ratio,
      us: {
        f32Batch1: p1.aMs * 1000,
        prunedBatch1: p1.bMs * 1000,
        f32Batch256: p256.aMs * 1000,
        prunedBatch256: p256.bMs * 1000,
      },
    };
    s.dispose();
  }
  // Magnitude pruning of the conv kernels (and the dense one), 75% in 3 rounds with 1 epoch each at lr/10.
  const mp = loadModel(saveModel(m));
  const r = await pruneIteratively(mp, train.x, train.y, {
    sparsity: 0.75,
    steps: 3,
    epochs: 1,
    batchSize: 32,
    seed: 5,
  });
  const acc = mp.evaluate(test.x, test.y).accuracy;
  const sparse = SparseModel.fromModel(mp);
  const spBytes = sparse.save().length;
  const p1 = pairedRatio(
    () => m.predict(x1),
    () => sparse.predict(x1),
    rounds,
    20,
  );
  const p256 = pairedRatio(
    () => m.predict(x256),
    () => sparse.predict(x256),
    rounds,
  );
  rows.push([
    '75% of the weights zeroed (magnitude) → SparseModel',
    pct(acc),
    pct(r.sparsity.sparsity),
    params,
    kb(spBytes),
    `${p1.ratio.toFixed(2)}x`,
    `${p256.ratio.toFixed(2)}x`,
  ]);
  json.magnitude = {
    accuracy: acc,
    sparsity: r.sparsity.sparsity,
    perLayer: r.sparsity.layers.map((l) => [l.name, l.sparsity]),
    sparseFileBytes: spBytes,
    speedupBatch1: p1.ratio,
    speedupBatch256: p256.ratio,
  };
  sparse.dispose();
  mp.dispose();
  m.dispose();
  const markdown = [
    `LeNet-like CNN (conv 5x5x8 relu, maxpool 2, conv 5x5x16 relu, maxpool 2, flatten, dense 10 softmax) trained ${epochs} epochs;`,
    'filter pruning removes whole filters (the next conv loses those input channels, the dense layer after flatten their rows) and',
    `fine-tunes 1 epoch. Speed: \`predict()\` of the pruned model against the original, median of ${rounds} paired ratios.`,
    '',
    '| CNN | test accuracy | weights zeroed | parameters | file | speed-up, batch 1 | speed-up, batch 256 |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '- A sparse CNN keeps its conv kernels dense (zeros and all) and runs them as the float conv: magnitude pruning makes its file',
    '  smaller (CSR for the dense layer only) but not its convs faster; removing filters does both, as long as the filter counts',
    '  stay multiples of 8: the direct conv kernel (f32-conv-4x8) runs a layer of 4 filters slower than one of 8.',
  ];
  return { markdown, json };
}
