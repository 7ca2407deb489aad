// brain.js NeuralNetwork (plain JS, per-sample training). Its closest form of the benchmark MLP: it has no
// softmax or cross-entropy and one activation for every layer, so the net is relu throughout with its MSE
// error on the one-hot targets; it updates after every sample (no mini-batches) and has no GEMM API.
import { createRequire } from 'node:module';
import { peerPackageJson, shuffle } from '../lib/common.js';

const require = createRequire(import.meta.url);

export async function create() {
  const brain = require('brain.js');

  /** A NeuralNetwork with simdnet's weights (brain keeps W transposed: weights[layer][node][input]). */
  const network = (sizes, weights, trainOpts = {}) => {
    const net = new brain.NeuralNetwork({
      inputSize: sizes[0],
      hiddenLayers: sizes.slice(1, -1),
      outputSize: sizes[sizes.length - 1],
      activation: 'relu',
      ...trainOpts,
    });
    net.initialize();
    for (let l = 1; l < sizes.length; l++) {
      const W = weights[2 * (l - 1)];
      const [fanIn, fanOut] = W.shape;
      for (let o = 0; o < fanOut; o++) {
        const row = new Float32Array(fanIn);
        for (let i = 0; i < fanIn; i++) row[i] = W.data[i * fanOut + o];
        net.weights[l][o] = row;
      }
      net.biases[l] = Float32Array.from(weights[2 * (l - 1) + 1].data);
    }
    return net;
  };
  const runRows = (net, xm) => {
    const nOut = net.sizes[net.sizes.length - 1];
    const out = new Float32Array(xm.rows * nOut);
    for (let r = 0; r < xm.rows; r++) out.set(net.run(xm.data.subarray(r * xm.cols, (r + 1) * xm.cols)), r * nOut);
    return out;
  };

  return {
    id: 'brain.js',
    library: 'brain.js',
    version: peerPackageJson('brain.js').version,
    backend: 'plain JS (NeuralNetwork, CPU)',
    threads: 1,
    gemm: undefined, // no matrix-multiply API

    trainer({ sizes, weights, optimizer, x, y }) {
      // Per-sample updates need a smaller SGD step than the batch-mean gradient; momentum must be in (0, 1).
      const opts =
        optimizer.type === 'adam'
          ? { praxis: 'adam', learningRate: optimizer.lr }
          : { learningRate: optimizer.perSampleLr, momentum: 0.1 };
      const net = network(sizes, weights, opts);
      // brain.js takes an array of { input, output } with plain-array rows (typed arrays would be read as
      // sparse hashes through its lookup tables).
      const data = [];
      for (let r = 0; r < x.rows; r++) {
        data.push({
          input: Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols)),
          output: Array.from(y.data.subarray(r * y.cols, (r + 1) * y.cols)),
        });
      }
      return {
        note: `per-sample updates (batch 1), relu output + MSE${optimizer.type === 'sgd' ? `, lr ${optimizer.perSampleLr}, momentum 0.1` : ''}`,
        // One train() call with iterations: 1 is one pass over the data in the given order.
        epoch: (i) => net.train(shuffle(data, 1000 + i), { iterations: 1, errorThresh: 1e-9, log: false }),
        predict: (tx) => runRows(net, tx),
        dispose: () => {},
      };
    },

    inference({ sizes, weights }) {
      const net = network(sizes, weights);
      return {
        head: 'relu',
        prepare: (xm) =>
          xm.rows === 1
            ? { run: () => net.run(xm.data), output: () => net.run(xm.data) }
            : { run: () => runRows(net, xm), output: () => runRows(net, xm) },
        dispose: () => {},
      };
    },
  };
}
