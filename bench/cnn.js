// Convolutional networks end to end on real MNIST digits, wasm-simd vs js backends: training samples/s of the
// LeNet-like CNN of the issue (conv 5x5x8 relu, maxpool 2, conv 5x5x16 relu, maxpool 2, flatten, dense 10
// softmax; batch 32, SGD) and of the larger CNN `simdnet train --mnist --cnn` trains (16/32 filters, dense 128,
// dropout, Adam), inference latency (batch 1) and throughput (batch 256). Uses the built package (dist/).
import { Bench } from 'tinybench';
import { loadMnist } from '../dist/data/mnist-node.js';
import { adam, conv2d, dense, dropout, flatten, init, maxPooling2d, sequential, sgd } from '../dist/index.js';

const NETS = {
  lenet: {
    title: 'LeNet-like (8/16 filters), SGD 0.01',
    layers: () => [
      conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d(2),
      conv2d(16, 5, { activation: 'relu' }),
      maxPooling2d(2),
      flatten(),
      dense(10, { activation: 'softmax' }),
    ],
    optimizer: () => sgd({ learningRate: 0.01 }),
  },
  cnn: {
    title: '`train --mnist --cnn` (16/32 filters, dense 128, dropout 0.3), Adam',
    layers: () => [
      conv2d(16, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d(2),
      conv2d(32, 5, { activation: 'relu' }),
      maxPooling2d(2),
      flatten(),
      dropout(0.3),
      dense(128, { activation: 'relu' }),
      dropout(0.3),
      dense(10, { activation: 'softmax' }),
    ],
    optimizer: () => adam({ learningRate: 0.002 }),
  },
};

export async function run({ quick = false } = {}) {
  await init();
  await init({ backend: 'js' });
  const { train, test } = loadMnist({ seed: 1 });
  const rows = [];
  const json = {};
  for (const [key, net] of Object.entries(NETS)) {
    for (const backend of ['wasm', 'js']) {
      const m = sequential(net.layers(), { backend, seed: 1 });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: net.optimizer(), metrics: ['accuracy'] });
      // Training: samples/s from wall time over whole passes after a warm-up pass (V8 tiers wasm up late).
      const trainRows = backend === 'js' ? 256 : quick ? 1024 : 4096;
      const x = { data: train.x.data.subarray(0, trainRows * 784), shape: [trainRows, 784] };
      const y = { data: train.y.data.subarray(0, trainRows * 10), shape: [trainRows, 10] };
      await m.fit(x, y, { epochs: 1, batchSize: 32, seed: 1 });
      const passes = backend === 'js' || quick ? 1 : 2;
      const t0 = performance.now();
      await m.fit(x, y, { epochs: passes, batchSize: 32, seed: 2 });
      const trainRate = (passes * trainRows) / ((performance.now() - t0) / 1000);

      const one = { data: test.x.data.subarray(0, 784), shape: [1, 784] };
      const batch = { data: test.x.data.subarray(0, 256 * 784), shape: [256, 784] };
      const bench = new Bench({
        warmupTime: backend === 'js' ? 100 : 500,
        time: quick || backend === 'js' ? 300 : 1500,
      });
      bench.add(`${backend} predict 1x28x28x1`, () => m.predict(one));
      bench.add(`${backend} predict 256x28x28x1`, () => m.predict(batch));
      await bench.run();
      const [b1, b256] = bench.tasks.map((t) => t.result);
      const lat = b1.latency.p50 * 1000; // µs
      const thr = 256 / (b256.latency.p50 / 1000);
      const impl = backend === 'wasm' ? 'wasm-simd' : 'js';
      rows.push(
        `| ${net.title} | ${impl} | ${Math.round(trainRate).toLocaleString('en-US')} | ${lat.toFixed(1)} | ${Math.round(thr).toLocaleString('en-US')} |`,
      );
      json[`${key} ${impl}`] = {
        trainSamplesPerSec: trainRate,
        batch1LatencyUs: lat,
        batch256SamplesPerSec: thr,
        params: m.countParams().total,
      };
      m.dispose();
    }
  }
  const markdown = [
    'CNNs on the `mnist` digits (28x28x1, NHWC), one thread. Training: batch 32, samples/s over whole passes after a',
    'warm-up pass (js backend: 256 digits). Inference: `predict()` median latency at batch 1, throughput at batch 256.',
    '',
    '| network | backend | training samples/s (batch 32) | batch-1 latency (µs) | batch-256 samples/s |',
    '|---|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
  return { title: 'CNN training and inference', markdown, json };
}
