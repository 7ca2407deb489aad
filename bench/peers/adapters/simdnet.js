// simdnet on its two backends: 'wasm' (the SIMD kernels) and 'js' (the plain-TS twins). Uses the built package
// (dist/), exactly as a user would import it.
import { readFileSync } from 'node:fs';
import { entry } from '../lib/dist.js';

/** @param {'wasm' | 'js'} backend @param {number} [threads] kernel threads (wasm: init({ threads })) */
export async function create(backend, threads = 1) {
  const sn = await import(entry('.'));
  const engine = await sn.init({ backend, ...(threads > 1 ? { threads } : {}) });
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

  const layersOf = (sizes) =>
    sizes
      .slice(1)
      .map((units, i) =>
        i === sizes.length - 2
          ? sn.dense(units, { activation: 'softmax' })
          : sn.dense(units, { activation: 'relu', ...(i === 0 ? { inputDim: sizes[0] } : {}) }),
      );

  const model = (sizes, weights) => {
    const m = sn.sequential(layersOf(sizes), { backend, seed: 1 });
    m.build(sizes[0]);
    m.setWeights(weights);
    return m;
  };

  /** The CNN of lib/cnn.js; getWeights()/setWeights() use Keras' layouts (HWIO, in × out), so no conversion. */
  const cnn = (weights) => {
    if (typeof sn.conv2d !== 'function')
      throw new Error('this simdnet build has no conv2d() (the CNN layers are not in dist/ yet)');
    const m = sn.sequential(
      [
        sn.conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
        sn.maxPooling2d(2),
        sn.conv2d(16, 5, { activation: 'relu' }),
        sn.maxPooling2d(2),
        sn.flatten(),
        sn.dense(10, { activation: 'softmax' }),
      ],
      { backend, seed: 1 },
    );
    m.setWeights(weights);
    return m;
  };

  return {
    id: threads > 1 ? `simdnet-${threads}t` : `simdnet-${backend}`,
    library: 'simdnet',
    version: pkg.version,
    backend:
      backend === 'wasm'
        ? `wasm SIMD128${threads > 1 ? `, ${engine.threads} threads` : ''}`
        : 'plain JS (reference twins)',
    threads: engine.threads ?? 1,

    /** C (n×n) = A · B on data resident in the engine's memory (what fit/predict do per layer). */
    gemm(n, A, B) {
      const a = engine.upload(A);
      const b = engine.upload(B);
      const c = engine.allocF32(n * n);
      return {
        run: () => engine.k.gemm_forward(c, engine.gemmWs, a, b, 0, n, n, n),
        output: () => (engine.k.gemm_forward(c, engine.gemmWs, a, b, 0, n, n, n), engine.download(c, n * n)),
        dispose: () => [a, b, c].forEach((p) => engine.free(p)),
      };
    },

    /** fit() one epoch at a time over (x, y), the public API path. */
    trainer({ sizes, weights, optimizer, batchSize, x, y }) {
      const m = model(sizes, weights);
      const opt =
        optimizer.type === 'adam' ? sn.adam({ learningRate: optimizer.lr }) : sn.sgd({ learningRate: optimizer.lr });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: opt });
      return {
        note: `batch ${batchSize}, fit() per epoch`,
        epoch: (i) => m.fit(x, y, { epochs: 1, batchSize, seed: 1000 + i, shuffle: true }),
        predict: (tx) => m.predict(tx).data,
        dispose: () => m.dispose(),
      };
    },

    /** predict() on a prepared input matrix: the batch-1 and batch-256 paths. */
    inference({ sizes, weights }) {
      const m = model(sizes, weights);
      return {
        prepare: (xm) => ({ run: () => m.predict(xm), output: () => m.predict(xm).data }),
        dispose: () => m.dispose(),
      };
    },

    /** The CNN through fit() one epoch at a time; epoch() resolves to the epoch's mean loss. */
    cnnTrainer({ weights, lr, batchSize, x, y }) {
      const m = cnn(weights);
      m.compile({ loss: 'categoricalCrossentropy', optimizer: sn.sgd({ learningRate: lr }) });
      return {
        note: `batch ${batchSize}, fit() per epoch`,
        epoch: async (i) =>
          (await m.fit(x, y, { epochs: 1, batchSize, seed: 1000 + i, shuffle: true })).history.loss[0],
        weights: () => m.getWeights(),
        predict: (tx) => m.predict(tx).data,
        dispose: () => m.dispose(),
      };
    },

    /** predict() of the CNN on a prepared rows × 784 (NHWC) matrix. */
    cnnInference({ weights }) {
      const m = cnn(weights);
      return {
        prepare: (xm) => ({ run: () => m.predict(xm), output: () => m.predict(xm).data }),
        dispose: () => m.dispose(),
      };
    },
  };
}
