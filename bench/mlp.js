// MLP 784-128-10 end to end, wasm-simd vs js backends: training samples/s (batch 64), inference latency
// (batch 1) and throughput (batch 256). Uses the built package (dist/) and real MNIST digits.
import { Bench } from 'tinybench';
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, dense, init, sequential } from '../dist/index.js';

function model(backend) {
  const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    backend,
    seed: 1,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  return m;
}

export async function run({ quick = false } = {}) {
  await init();
  await init({ backend: 'js' });
  const { train, test } = loadMnist({ seed: 1 });
  const rows = [];
  const json = {};
  for (const backend of ['wasm', 'js']) {
    const m = model(backend);
    // Training: whole epochs over 8,000 digits; samples/s from wall time after a warm-up epoch.
    const trainRows = backend === 'js' || quick ? 2048 : 8000;
    const x = { data: train.x.data.subarray(0, trainRows * 784), shape: [trainRows, 784] };
    const y = { data: train.y.data.subarray(0, trainRows * 10), shape: [trainRows, 10] };
    await m.fit(x, y, { epochs: 1, batchSize: 64, seed: 1 }); // warm-up (and V8 tier-up)
    const epochs = backend === 'js' || quick ? 1 : 4;
    const t0 = performance.now();
    await m.fit(x, y, { epochs, batchSize: 64, seed: 2 });
    const trainRate = (epochs * trainRows) / ((performance.now() - t0) / 1000);

    const one = { data: test.x.data.subarray(0, 784), shape: [1, 784] };
    const batch = { data: test.x.data.subarray(0, 256 * 784), shape: [256, 784] };
    const bench = new Bench({ warmupTime: 500, time: quick ? 300 : 1500 });
    bench.add(`${backend} predict 1x784`, () => m.predict(one));
    bench.add(`${backend} predict 256x784`, () => m.predict(batch));
    await bench.run();
    const [b1, b256] = bench.tasks.map((t) => t.result);
    const lat = b1.latency.p50 * 1000; // µs
    const thr = 256 / (b256.latency.p50 / 1000);
    rows.push(
      `| ${backend === 'wasm' ? 'wasm-simd' : 'js'} | ${Math.round(trainRate).toLocaleString('en-US')} | ${lat.toFixed(1)} | ${Math.round(thr).toLocaleString('en-US')} |`,
    );
    json[backend] = { trainSamplesPerSec: trainRate, batch1LatencyUs: lat, batch256SamplesPerSec: thr };
    m.dispose();
  }
  const markdown = [
    'MLP 784-128-10 (relu, softmax + cross-entropy, Adam) on the `mnist` digits. Training: batch 64, samples/s over',
    'whole epochs after a warm-up epoch. Inference: `predict()` median latency at batch 1, throughput at batch 256.',
    '',
    '| backend | training samples/s (batch 64) | batch-1 latency (µs) | batch-256 samples/s |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
  return { title: 'MLP training and inference', markdown, json };
}
