// convnetjs (Karpathy's plain-JS deep-learning library, last released 2016): the CNN workload only. Its Net
// works one sample at a time on Vol objects in f64 (Float64Array); its Trainer sums per-sample gradients and
// updates every `batch_size` samples with the mean (plain SGD with momentum 0 and no decay here), which is the
// same step as mini-batch SGD on the mean loss.
//
// Layouts: a Vol is (y, x, depth) — NHWC per sample, so an MNIST row is a 28x28x1 Vol as it is. A conv layer
// keeps one (kh, kw, cin) filter Vol per output channel (from HWIO: filter o, element (ky, kx, i) is
// K[ky][kx][i][o]); a fully-connected layer one Vol of its inputs (in (y, x, depth) order, the same as Keras'
// flatten) per output, i.e. the dense kernel's columns.
import { createRequire } from 'node:module';
import { CNN_WEIGHTS } from '../lib/cnn.js';
import { peerPackageJson, shuffle } from '../lib/common.js';

const require = createRequire(import.meta.url);

export async function create() {
  const convnetjs = require('convnetjs');

  /** A Net of the benchmark CNN holding the given weights (converted from Keras' layouts). */
  const network = (weights) => {
    const net = new convnetjs.Net();
    net.makeLayers([
      { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
      { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 0, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'softmax', num_classes: 10 }, // an fc layer of 10, then softmax
    ]);
    const withParams = net.layers.filter((l) => l.layer_type === 'conv' || l.layer_type === 'fc');
    withParams.forEach((layer, li) => {
      const K = weights[2 * li];
      const b = weights[2 * li + 1];
      const co = K.shape[K.shape.length - 1];
      const per = K.data.length / co; // kh·kw·cin (conv) or inputs (fc), in the filter Vol's order
      for (let o = 0; o < co; o++) {
        const f = layer.filters[o].w;
        for (let e = 0; e < per; e++) f[e] = K.data[e * co + o];
      }
      layer.biases.w.set(b.data);
    });
    return { net, withParams };
  };

  /** The Net's weights back in Keras' layouts (f32 copies of its f64 values). */
  const keras = (withParams) =>
    withParams.flatMap((layer, li) => {
      const [kt, bt] = [CNN_WEIGHTS[2 * li], CNN_WEIGHTS[2 * li + 1]];
      const co = kt.shape[kt.shape.length - 1];
      const per = kt.shape.reduce((a, c) => a * c, 1) / co;
      const K = new Float32Array(per * co);
      for (let o = 0; o < co; o++) {
        const f = layer.filters[o].w;
        for (let e = 0; e < per; e++) K[e * co + o] = f[e];
      }
      return [
        { name: kt.name, shape: kt.shape, data: K },
        { name: bt.name, shape: bt.shape, data: Float32Array.from(layer.biases.w) },
      ];
    });

  /** One 28x28x1 Vol per row (made once, outside any timed body: a user's data loading). */
  const vols = (xm) =>
    Array.from({ length: xm.rows }, (_, r) => {
      const v = new convnetjs.Vol(28, 28, 1, 0);
      v.w.set(xm.data.subarray(r * xm.cols, (r + 1) * xm.cols));
      return v;
    });
  const classes = (ym) =>
    Array.from({ length: ym.rows }, (_, r) => {
      const row = ym.data.subarray(r * ym.cols, (r + 1) * ym.cols);
      return row.indexOf(Math.max(...row));
    });
  const forwardRows = (net, vs) => {
    const out = new Float32Array(vs.length * 10);
    vs.forEach((v, r) => out.set(net.forward(v, false).w, r * 10));
    return out;
  };

  return {
    id: 'convnetjs',
    library: 'convnetjs',
    version: peerPackageJson('convnetjs').version,
    backend: 'plain JS, f64 (Float64Array), one sample at a time',
    threads: 1,

    /** Trainer.train(vol, label) per sample in a seeded shuffled order; the update every batchSize samples. */
    cnnTrainer({ weights, lr, batchSize, x, y }) {
      const { net, withParams } = network(weights);
      const trainer = new convnetjs.Trainer(net, {
        method: 'sgd',
        learning_rate: lr,
        batch_size: batchSize,
        momentum: 0,
        l1_decay: 0,
        l2_decay: 0,
      });
      const data = vols(x);
      const labels = classes(y);
      const order = Array.from({ length: x.rows }, (_, i) => i);
      if (x.rows % batchSize)
        throw new RangeError(`convnetjs updates every ${batchSize} samples: rows must be a multiple of it`);
      return {
        note: `Trainer batch_size ${batchSize} (per-sample forward/backward, summed), f64`,
        epoch(e) {
          shuffle(order, 1000 + e);
          let sum = 0;
          for (const i of order) sum += trainer.train(data[i], labels[i]).cost_loss;
          return sum / x.rows;
        },
        weights: () => keras(withParams),
        predict: (tx) => forwardRows(net, vols(tx)),
        dispose() {},
      };
    },

    cnnInference({ weights }) {
      const { net } = network(weights);
      return {
        prepare: (xm) => {
          const vs = vols(xm);
          const run = () => forwardRows(net, vs);
          return { run, output: run };
        },
        dispose() {},
      };
    },
  };
}
