// TensorFlow.js (tfjs-core + tfjs-layers) on its 'cpu' (plain JS) or 'wasm' (XNNPACK, SIMD, one thread in Node)
// backend. Only the packages a user of that backend installs are imported.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** @param {'cpu' | 'wasm'} backend */
export async function create(backend) {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm files ship in the package's dist/; Node reads them from disk (no network).
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    wasm.setThreadsCount(1);
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs backend '${backend}' did not initialize`);
  await tf.ready();
  // Quiet the training loop's per-batch yields (tfjs-layers' default 'auto' would yield to the event loop).
  const fitOpts = { epochs: 1, shuffle: true, verbose: 0, yieldEvery: 'never' };

  const model = (sizes, weights) => {
    const m = tfl.sequential();
    for (let i = 1; i < sizes.length; i++) {
      const last = i === sizes.length - 1;
      m.add(
        tfl.layers.dense({
          units: sizes[i],
          activation: last ? 'softmax' : 'relu',
          ...(i === 1 ? { inputShape: [sizes[0]] } : {}),
        }),
      );
    }
    m.layers.forEach((layer, i) => {
      const W = weights[2 * i];
      const b = weights[2 * i + 1];
      const t = [tf.tensor2d(W.data, W.shape), tf.tensor1d(b.data)];
      layer.setWeights(t);
      t.forEach((x) => x.dispose());
    });
    return m;
  };
  const matrix = (xm) => tf.tensor2d(xm.data.subarray(0, xm.rows * xm.cols), [xm.rows, xm.cols]);

  /** The CNN of lib/cnn.js in tfjs-layers: Keras layouts (NHWC, HWIO, in × out), so its weights go in as they are. */
  const cnn = (weights) => {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 5, activation: 'relu', inputShape: [28, 28, 1] }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
    const t = weights.map((w) => tf.tensor(w.data, w.shape));
    m.setWeights(t);
    t.forEach((x) => x.dispose());
    return m;
  };
  const images = (xm) => tf.tensor4d(xm.data.subarray(0, xm.rows * xm.cols), [xm.rows, 28, 28, 1]);

  return {
    id: `tfjs-${backend}`,
    library: 'TensorFlow.js',
    version: tf.version_core,
    backend: backend === 'wasm' ? 'wasm (XNNPACK, SIMD)' : 'cpu (plain JS)',
    threads: backend === 'wasm' ? require('@tensorflow/tfjs-backend-wasm').getThreadsCount() : 1,

    gemm(n, A, B) {
      const a = tf.tensor2d(A, [n, n]);
      const b = tf.tensor2d(B, [n, n]);
      return {
        // Both backends compute eagerly inside matMul; the result stays in backend memory until disposed.
        run: () => tf.matMul(a, b).dispose(),
        output: () => {
          const c = tf.matMul(a, b);
          const d = c.dataSync();
          c.dispose();
          return d;
        },
        dispose: () => (a.dispose(), b.dispose()),
      };
    },

    trainer({ sizes, weights, optimizer, batchSize, x, y }) {
      const m = model(sizes, weights);
      const opt = optimizer.type === 'adam' ? tf.train.adam(optimizer.lr) : tf.train.sgd(optimizer.lr);
      m.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
      const xt = matrix(x);
      const yt = matrix(y);
      return {
        note: `batch ${batchSize}, model.fit() per epoch`,
        epoch: () => m.fit(xt, yt, { ...fitOpts, batchSize }),
        predict: (tx) => {
          const t = matrix(tx);
          const o = m.predict(t, { batchSize: 256 });
          const d = o.dataSync();
          t.dispose();
          o.dispose();
          return d;
        },
        dispose: () => {
          xt.dispose();
          yt.dispose();
          m.dispose();
          opt.dispose();
        },
      };
    },

    inference({ sizes, weights }) {
      const m = model(sizes, weights);
      return {
        prepare: (xm) => {
          const t = matrix(xm);
          // The whole batch at once (predict's default batchSize is 32), read back as a user would.
          const run = () => {
            const o = m.predict(t, { batchSize: xm.rows });
            const d = o.dataSync();
            o.dispose();
            return d;
          };
          return { run, output: run };
        },
        dispose: () => m.dispose(),
      };
    },

    /** model.fit() one epoch at a time (batch `batchSize`, shuffled); epoch() resolves to the epoch's mean loss. */
    cnnTrainer({ weights, lr, batchSize, x, y }) {
      const m = cnn(weights);
      const opt = tf.train.sgd(lr);
      m.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
      const xt = images(x);
      const yt = matrix(y);
      return {
        note: `batch ${batchSize}, model.fit() per epoch`,
        epoch: async () => (await m.fit(xt, yt, { ...fitOpts, batchSize })).history.loss[0],
        weights: () =>
          m.getWeights().map((t, i) => ({ name: weights[i].name, shape: t.shape, data: t.dataSync().slice() })),
        predict: (tx) => {
          const t = images(tx);
          const o = m.predict(t, { batchSize: 256 });
          const d = o.dataSync();
          t.dispose();
          o.dispose();
          return d;
        },
        dispose: () => {
          xt.dispose();
          yt.dispose();
          m.dispose();
          opt.dispose();
        },
      };
    },

    cnnInference({ weights }) {
      const m = cnn(weights);
      return {
        prepare: (xm) => {
          const t = images(xm);
          const run = () => {
            const o = m.predict(t, { batchSize: xm.rows });
            const d = o.dataSync();
            o.dispose();
            return d;
          };
          return { run, output: run };
        },
        dispose: () => m.dispose(),
      };
    },
  };
}
