// Quantization and mixed precision on MNIST (784-128-10 relu/softmax, Adam 1e-3, batch 64): accuracy of each
// post-training variant and of 2-bit quantization-aware fine-tuning, model file sizes, the int8 GEMM kernel
// against the f32 one, and end-to-end inference throughput at batch 256 (int8 vs Sequential.predict on wasm).
// Then the LeNet-like CNN (conv 5x5x8 relu, maxpool 2, conv 5x5x16 relu, maxpool 2, flatten, dense 10 softmax):
// accuracy and size of its int8 / mixed / f16 forms, each int8 conv layer against the f32 conv (a one-layer model
// of each shape), and the whole model, at batch 1 and 256, by paired rounds (the machine is shared).
// Uses the built package (dist/): `npm run build` first. Allocation happens in setup, never in timed bodies.
import { loadMnist } from '../dist/data/mnist-node.js';
import {
  adam,
  conv2d,
  dense,
  flatten,
  getEngine,
  maxPooling2d,
  init,
  loadModel,
  saveModel,
  sequential,
} from '../dist/index.js';
import { fineTuneQuantized, quantizeModel, saveQuantized } from '../dist/compress/index.js';
import { int8Compute } from '../dist/compress/quantize.js';
import { medianMs, pairedRatio } from './lib.js';

const pct = (v) => `${(100 * v).toFixed(2)}%`;
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;

function model(seed) {
  const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  return m;
}

export async function run({ quick = false } = {}) {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const epochs = quick ? 3 : 10;
  const m = model(1);
  await m.fit(train.x, train.y, { epochs, batchSize: 64, seed: 1 });
  const calibration = { data: train.x.data.slice(0, 500 * 784), rows: 500, cols: 784 };
  const f32 = m.evaluate(test.x, test.y).accuracy;
  const f32Bytes = saveModel(m).length;

  // ---- accuracy and size of each variant ----
  const variants = [
    ['int8, static (500 calibration rows)', { calibration }],
    ['int8, dynamic (per-batch ranges)', { mode: 'dynamic' }],
    ['int8 hidden + f32 output layer (static)', { calibration, plan: ['int8', 'f32'] }],
    ['f16 weights (f32 compute)', { plan: 'f16' }],
    ['int8, 4-bit weight grid (static)', { calibration, weightBits: 4 }],
    ['int8, 2-bit weight grid (static)', { calibration, weightBits: 2 }],
  ];
  const accRows = [`| f32 (Sequential) | ${pct(f32)} | — | ${kb(f32Bytes)} | 1.00x |`];
  const json = { epochs, f32Accuracy: f32, f32FileBytes: f32Bytes, variants: {} };
  const keep = {};
  for (const [label, opts] of variants) {
    const q = quantizeModel(m, opts);
    const acc = q.evaluate(test.x, test.y).accuracy;
    const bytes = saveQuantized(q).length;
    accRows.push(
      `| ${label} | ${pct(acc)} | ${((acc - f32) * 100).toFixed(2)} | ${kb(bytes)} | ${(f32Bytes / bytes).toFixed(2)}x |`,
    );
    json.variants[label] = {
      accuracy: acc,
      deltaPoints: (acc - f32) * 100,
      fileBytes: bytes,
      smaller: f32Bytes / bytes,
    };
    keep[label] = q;
  }
  // Quantization-aware fine-tuning for the 2-bit grid: one epoch at lr 2e-4 on a copy, then quantize again.
  const qatModel = loadModel(saveModel(m));
  qatModel.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-4 }), metrics: ['accuracy'] });
  await fineTuneQuantized(qatModel, train.x, train.y, { epochs: 1, batchSize: 64, seed: 2, weightBits: 2 });
  const qat = quantizeModel(qatModel, { calibration, weightBits: 2 });
  const qatAcc = qat.evaluate(test.x, test.y).accuracy;
  const qatBytes = saveQuantized(qat).length;
  accRows.push(
    `| 2-bit grid after 1 epoch of QAT (static) | ${pct(qatAcc)} | ${((qatAcc - f32) * 100).toFixed(2)} | ${kb(qatBytes)} | ${(f32Bytes / qatBytes).toFixed(2)}x |`,
  );
  json.variants['2-bit QAT'] = { accuracy: qatAcc, deltaPoints: (qatAcc - f32) * 100, fileBytes: qatBytes };
  qat.dispose();
  qatModel.dispose();

  // ---- kernels: q8_gemm against gemm_forward at the first layer's shape, batch 256 ----
  const e = getEngine('wasm');
  const k = e.k;
  const WS = e.gemmWs;
  const [M, K, N] = [256, 784, 128];
  const x = e.upload(test.x.data.subarray(0, M * K));
  const w = e.upload(m.getWeights()[0].data);
  const y = e.allocF32(M * N);
  const qa = e.arena.alloc(M * K);
  const qw = e.arena.alloc(K * N);
  const sc = e.allocF32(N);
  const bp = e.arena.alloc(k.q8_packed_size(K, N));
  const acc = e.allocF32(M * N);
  k.q8_quantize(qa, x, M * K, 127);
  k.q8_quantize_weights(qw, sc, w, K, N, 127);
  k.q8_pack_b(bp, qw, K, N);
  const kt = await medianMs(
    [
      ['wasm-simd gemm_forward 256x784x128', () => k.gemm_forward(y, WS, x, w, 0, M, K, N)],
      ['wasm-simd q8_gemm 256x784x128', () => k.q8_gemm(acc, WS, qa, bp, M, K, N)],
      ['wasm-simd q8_quantize 256x784', () => k.q8_quantize(qa, x, M * K, 127)],
      ['wasm-simd q8_absmax 256x784', () => k.q8_absmax(x, M * K)],
    ],
    { quick, time: 2000, warmupIterations: 20 },
  );
  for (const p of [x, w, y, qa, qw, sc, bp, acc]) e.free(p);
  const ops = 2 * M * K * N;
  const gf = kt['wasm-simd gemm_forward 256x784x128'];
  const gq = kt['wasm-simd q8_gemm 256x784x128'];
  const kernelRows = [
    `| wasm-simd gemm_forward (f32) 256x784x128 | ${(gf * 1000).toFixed(0)} | ${(ops / gf / 1e6).toFixed(1)} GFLOP/s |`,
    `| wasm-simd q8_gemm (int8 → i32) 256x784x128 | ${(gq * 1000).toFixed(0)} | ${(ops / gq / 1e6).toFixed(1)} GOP/s (${(gf / gq).toFixed(2)}x) |`,
    `| wasm-simd q8_quantize 256x784 | ${(kt['wasm-simd q8_quantize 256x784'] * 1000).toFixed(1)} | |`,
    `| wasm-simd q8_absmax 256x784 | ${(kt['wasm-simd q8_absmax 256x784'] * 1000).toFixed(1)} | |`,
  ];
  json.kernels = { gemmF32Us: gf * 1000, q8GemmUs: gq * 1000, kernelSpeedup: gf / gq };

  // ---- end to end: predict() on 256 digits (and on one) ----
  const batch = { data: test.x.data.slice(0, 256 * 784), rows: 256, cols: 784 };
  const one = { data: test.x.data.slice(0, 784), rows: 1, cols: 784 };
  const q8s = keep['int8, static (500 calibration rows)'];
  const q8d = keep['int8, dynamic (per-batch ranges)'];
  const q16 = keep['f16 weights (f32 compute)'];
  const qf32 = quantizeModel(m, { plan: 'f32' }); // the same pipeline with f32 weights: isolates the kernels' gain
  const e2e = await medianMs(
    [
      ['f32 Sequential.predict 256x784', () => m.predict(batch)],
      ['int8 static predict 256x784', () => q8s.predict(batch)],
      ['int8 dynamic predict 256x784', () => q8d.predict(batch)],
      ['f16 predict 256x784', () => q16.predict(batch)],
      ['f32-plan QuantizedModel predict 256x784', () => qf32.predict(batch)],
      ['f32 Sequential.predict 1x784', () => m.predict(one)],
      ['int8 static predict 1x784', () => q8s.predict(one)],
    ],
    { quick, time: 2000, warmupIterations: 20 },
  );
  // Paired rounds: f32 and int8 alternate call by call, so load from other processes hits both alike; the
  // median of the per-round ratios is the robust speed-up on a busy machine.
  const paired = (fa, fb, rounds) => {
    const ratios = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0;
      const t0 = performance.now();
      (first ? fa : fb)();
      const t1 = performance.now();
      (first ? fb : fa)();
      const t2 = performance.now();
      const [ta, tb] = first ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0];
      ratios.push(ta / tb);
    }
    ratios.sort((a, b) => a - b);
    return ratios[ratios.length >> 1];
  };
  const rounds = quick ? 200 : 1000;
  const pairedStatic = paired(
    () => m.predict(batch),
    () => q8s.predict(batch),
    rounds,
  );
  const pairedDynamic = paired(
    () => m.predict(batch),
    () => q8d.predict(batch),
    rounds,
  );
  const pairedKernel = paired(
    () => qf32.predict(batch),
    () => q8s.predict(batch),
    rounds,
  );
  json.pairedSpeedupBatch256 = {
    int8Static: pairedStatic,
    int8Dynamic: pairedDynamic,
    int8StaticVsF32Plan: pairedKernel,
  };
  const base = e2e['f32 Sequential.predict 256x784'];
  const e2eRows = Object.entries(e2e).map(([name, ms]) => {
    const rows = name.includes('256x') ? 256 : 1;
    const speed =
      rows === 256 ? `${(base / ms).toFixed(2)}x` : `${(e2e['f32 Sequential.predict 1x784'] / ms).toFixed(2)}x`;
    return `| ${name} | ${(ms * 1000).toFixed(0)} | ${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} | ${speed} |`;
  });
  json.endToEnd = Object.fromEntries(Object.entries(e2e).map(([n, ms]) => [n, { medianUs: ms * 1000 }]));
  json.int8StaticSpeedupBatch256 = base / e2e['int8 static predict 256x784'];
  json.int8DynamicSpeedupBatch256 = base / e2e['int8 dynamic predict 256x784'];
  for (const q of [...Object.values(keep), qf32]) q.dispose();
  m.dispose();

  const cnn = await cnnSection({ quick, train, test });
  json.cnn = cnn.json;

  const markdown = [
    `MLP 784-128-10 trained ${epochs} epochs on the 8,000 \`mnist\` training digits; accuracy on the 2,000 test digits.`,
    'Weights per output channel (symmetric), activations per tensor; static scales from 500 training rows.',
    '',
    '| model | test accuracy | Δ points | file | smaller than f32 |',
    '|---|---:|---:|---:|---:|',
    ...accRows,
    '',
    'Kernels (median µs per call; the int8 GEMM widens to i16 and multiplies with `i32x4.dot_i16x8_s`):',
    '',
    '| kernel | µs | rate |',
    '|---|---:|---:|',
    ...kernelRows,
    '',
    'End to end (`predict()`, median; speed-up against `Sequential.predict` at the same batch size):',
    '',
    '| task | µs | samples/s | speed-up |',
    '|---|---:|---:|---:|',
    ...e2eRows,
    '',
    `Paired speed-up at batch 256 (median over ${rounds} rounds of one f32 and one int8 call back to back): int8 static ` +
      `${pairedStatic.toFixed(2)}x, int8 dynamic ${pairedDynamic.toFixed(2)}x against \`Sequential.predict\`; int8 static ` +
      `${pairedKernel.toFixed(2)}x against the same QuantizedModel pipeline with f32 weights.`,
    '',
    ...cnn.markdown,
  ].join('\n');
  return { title: 'Quantization and mixed precision', markdown, json };
}

export async function cnnSection({ quick, train, test }) {
  const lenet = () => [
    conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1], name: 'conv1' }),
    maxPooling2d(2),
    conv2d(16, 5, { activation: 'relu', name: 'conv2' }),
    maxPooling2d(2),
    flatten(),
    dense(10, { activation: 'softmax' }),
  ];
  const m = sequential(lenet(), { seed: 1 });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
  const epochs = quick ? 1 : 3;
  await m.fit(train.x, train.y, { epochs, batchSize: 32, seed: 1 });
  const calibration = { data: train.x.data.slice(0, 500 * 784), rows: 500, cols: 784 };
  const f32 = m.evaluate(test.x, test.y);
  const f32Bytes = saveModel(m).length;
  const variants = [
    ['int8, static', { calibration }],
    ['int8, dynamic', { mode: 'dynamic' }],
    ["'mixed' (conv1 and dense f32, conv2 int8), static", { calibration, plan: 'mixed' }],
    ['f16 kernels', { plan: 'f16' }],
  ];
  const json = {
    epochs,
    f32: { accuracy: f32.accuracy, loss: f32.loss, fileBytes: f32Bytes },
    variants: {},
    layers: {},
    model: {},
  };
  const accRows = [`| f32 (Sequential) | ${pct(f32.accuracy)} | — | ${kb(f32Bytes)} | 1.00x |`];
  const q = {};
  for (const [label, opts] of variants) {
    const v = quantizeModel(m, opts);
    const r = v.evaluate(test.x, test.y);
    const bytes = saveQuantized(v).length;
    accRows.push(
      `| ${label} | ${pct(r.accuracy)} | ${((r.accuracy - f32.accuracy) * 100).toFixed(2)} | ${kb(bytes)} | ${(f32Bytes / bytes).toFixed(2)}x |`,
    );
    json.variants[label] = { accuracy: r.accuracy, loss: r.loss, fileBytes: bytes };
    q[label] = v;
  }

  // Each conv layer's int8 path against the f32 conv (the conv2d record's direct NHWC kernel), as kernel calls on
  // buffers allocated here: quantize the input, copy its int8 patches (c = 8: 4 channels per 32-bit element) or
  // quantize the f32 patches (c = 1), q8_gemm, per-filter rescale with ReLU.
  const rounds = quick ? 60 : 300;
  const e = getEngine('wasm');
  const k = e.k;
  const WS = e.gemmWs;
  const layerRows = [];
  for (const [label, H, C, F] of [
    ['conv1 28x28x1 → 24x24x8', 28, 1, 8],
    ['conv2 12x12x8 → 8x8x16', 12, 8, 16],
  ]) {
    for (const n of [1, 256]) {
      const oh = H - 4;
      const M = n * oh * oh;
      const K = 25 * C;
      const ptrs = [];
      const f32 = (count) => (ptrs.push(e.allocF32(Math.max(4, count))), ptrs[ptrs.length - 1]);
      const bytes = (count) => (ptrs.push(e.arena.alloc(Math.max(16, count))), ptrs[ptrs.length - 1]);
      const x = f32(n * H * H * C);
      e.f32(x, n * H * H * C).set(train.x.data.subarray(0, n * H * H * C));
      const w = f32(K * F);
      e.f32(w, K * F).set(Float32Array.from({ length: K * F }, (_, i) => Math.sin(i * 1.7) * 0.2));
      const b = f32(F);
      const y = f32(M * F);
      const qx = bytes(n * H * H * C);
      const qcols = bytes(M * K);
      const acc = f32(M * F);
      const qw = bytes(K * F);
      const sc = f32(F);
      k.q8_quantize_weights(qw, sc, w, K, F, 127);
      const bp = bytes(k.q8_packed_size(K, F));
      k.q8_pack_b(bp, qw, K, F);
      const direct = () => {
        k.conv2d_forward_nhwc(y, x, w, b, n, H, H, C, 5, 5, 1, 1, 0, 0, oh, oh, F);
        k.relu_forward(y, y, M * F);
      };
      // The quantized model's int8 conv: quantize the map, copy its int8 patches, q8 GEMM, rescale + ReLU.
      const int8 = () => {
        k.q8_quantize(qx, x, n * H * H * C, 127);
        k.im2col_nhwc_i8(qcols, qx, n, H, H, C, 5, 5, 1, 1, 0, 0, oh, oh);
        k.q8_gemm(acc, WS, qcols, bp, M, K, F);
        k.q8_dequantize(y, acc, 0, sc, b, M, F, 1 / 127, 1);
      };
      const reps = n === 1 ? 50 : 1;
      const p = pairedRatio(direct, int8, rounds, reps);
      const g = pairedRatio(direct, () => k.q8_gemm(acc, WS, qcols, bp, M, K, F), rounds, reps);
      const used = int8Compute(conv2d(F, 5, { name: label }), [H, H, C]) ? 'int8' : 'f32 (int8 kernel dequantized)';
      layerRows.push(
        `| ${label} | ${n} | ${(p.aMs * 1000).toFixed(1)} | ${(p.bMs * 1000).toFixed(1)} | ${p.ratio.toFixed(2)}x | ${(g.bMs * 1000).toFixed(1)} | ${used} |`,
      );
      json.layers[`${label} batch ${n}`] = {
        f32DirectUs: p.aMs * 1000,
        int8PathUs: p.bMs * 1000,
        speedup: p.ratio,
        q8GemmUs: g.bMs * 1000,
        runsAs: used,
      };
      for (const ptr of ptrs) e.free(ptr);
    }
  }

  // The whole CNN: Sequential.predict against each quantized form.
  const modelRows = [];
  const x256 = { data: test.x.data.slice(0, 256 * 784), rows: 256, cols: 784 };
  const x1 = { data: test.x.data.slice(0, 784), rows: 1, cols: 784 };
  for (const label of [
    'int8, static',
    'int8, dynamic',
    "'mixed' (conv1 and dense f32, conv2 int8), static",
    'f16 kernels',
  ]) {
    for (const [n, x, reps] of [
      [1, x1, 20],
      [256, x256, 1],
    ]) {
      const p = pairedRatio(
        () => m.predict(x),
        () => q[label].predict(x),
        rounds,
        reps,
      );
      modelRows.push(
        `| ${label} | ${n} | ${(p.aMs * 1000).toFixed(0)} | ${(p.bMs * 1000).toFixed(0)} | ${p.ratio.toFixed(2)}x |`,
      );
      json.model[`${label} batch ${n}`] = { f32Us: p.aMs * 1000, quantizedUs: p.bMs * 1000, speedup: p.ratio };
    }
  }
  for (const v of Object.values(q)) v.dispose();
  m.dispose();
  const markdown = [
    `LeNet-like CNN (conv 5x5x8 relu, maxpool 2, conv 5x5x16 relu, maxpool 2, flatten, dense 10 softmax) trained ${epochs} ` +
      'epochs on the 8,000 training digits; accuracy on the 2,000 test digits. int8 conv kernels per filter; pooling and ' +
      'flatten run in f32; int8 static/dynamic store conv1 (c = 1) in int8 and run it dequantized (see below).',
    '',
    '| CNN | test accuracy | Δ points | file | smaller than f32 |',
    '|---|---:|---:|---:|---:|',
    ...accRows,
    '',
    `Each conv layer (5x5, valid, ReLU): the int8 path's kernel calls against the f32 direct conv (median µs per call and the median of ${rounds} paired ratios; q8_gemm alone for scale). A conv with 1–3 input channels (3: fewer than 32 filters) keeps its int8 kernel but runs it dequantized on the f32 conv, as the last column says:`,
    '',
    '| layer | batch | f32 conv µs | int8 path µs | int8 speed-up | q8_gemm µs | quantized model runs it |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...layerRows,
    '',
    'The whole CNN, `Sequential.predict` against the quantized model (paired rounds as above):',
    '',
    '| quantized form | batch | f32 µs | quantized µs | speed-up |',
    '|---|---:|---:|---:|---:|',
    ...modelRows,
  ];
  return { markdown, json };
}
