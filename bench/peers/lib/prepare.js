// One-time inputs shared by every worker: simdnet's seeded initial weights for both MLPs (so every library
// starts from the same point), trained weights for the inference workload, and the ONNX file of that MLP; for the
// CNN, seeded initial weights (Keras' layouts) and trained ones for its inference workload.
import { writeFileSync } from 'node:fs';
import { create as plainJs } from '../adapters/plainjs.js';
import { CNN, initialCnnWeights } from './cnn.js';
import { writeWeights } from './common.js';
import { entry } from './dist.js';
import { mlpModel } from './onnx.js';

export async function prepare(dir) {
  const sn = await import(entry('.'));
  const { loadMnist } = await import(entry('./mnist'));
  await sn.init({ backend: 'js' }); // the initial weights are made on the js backend (any backend makes the same)
  const layers = (sizes) =>
    sizes
      .slice(1)
      .map((u, i) =>
        i === sizes.length - 2
          ? sn.dense(u, { activation: 'softmax' })
          : sn.dense(u, { activation: 'relu', ...(i === 0 ? { inputDim: sizes[0] } : {}) }),
      );
  const initial = (sizes) => {
    const m = sn.sequential(layers(sizes), { backend: 'js', seed: 1 });
    m.build(sizes[0]);
    const w = m.getWeights();
    m.dispose();
    return w;
  };
  writeWeights(`${dir}/w128`, initial([784, 128, 10]));
  writeWeights(`${dir}/w512`, initial([784, 512, 512, 10]));
  // Inference uses trained weights (one epoch of Adam) so the probabilities are far from uniform.
  await sn.init();
  const { train } = loadMnist({ seed: 1 });
  const m = sn.sequential(layers([784, 128, 10]), { backend: 'wasm', seed: 1 });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: sn.adam({ learningRate: 1e-3 }) });
  await m.fit(train.x, train.y, { epochs: 1, batchSize: 64, seed: 1 });
  const w = m.getWeights();
  m.dispose();
  writeWeights(`${dir}/winfer`, w);
  writeFileSync(`${dir}/mlp.onnx`, mlpModel(w));

  // The CNN: Glorot-uniform kernels and zero biases from a seeded generator (simdnet need not have conv layers
  // for this), and for inference those weights after one epoch of SGD over 2,048 digits in the hand-written
  // loops (checked against the f64 reference in the tests), so its probabilities are far from uniform.
  const wc = initialCnnWeights(1);
  writeWeights(`${dir}/wcnn`, wc);
  const rows = 2048;
  const t = (await plainJs()).cnnTrainer({
    weights: wc,
    lr: 0.05,
    batchSize: CNN.batchSize,
    x: { data: train.x.data.subarray(0, rows * 784), rows, cols: 784 },
    y: { data: train.y.data.subarray(0, rows * 10), rows, cols: 10 },
  });
  t.epoch(0);
  writeWeights(`${dir}/wcnninfer`, t.weights());
}
