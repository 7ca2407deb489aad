// ONNX Runtime Web on its wasm execution provider, with one or two threads. Inference only (no training API):
// the MLP and the CNN are written as ONNX files from the same weights (lib/onnx.js), GEMM is a one-MatMul graph.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { peerPackageJson } from '../lib/common.js';
import { cnnModel, matmulModel, mlpModel } from '../lib/onnx.js';

const require = createRequire(import.meta.url);

/** @param {number} threads */
export async function create(threads) {
  const ort = await import('onnxruntime-web');
  // The .wasm and its loader ship in the package's dist/ (read from disk, no network); threads must be set
  // before the first session initializes the runtime.
  ort.env.wasm.wasmPaths = `${dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))}/`;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const session = (bytes) => ort.InferenceSession.create(bytes, opts);

  return {
    id: `ort-${threads}t`,
    library: 'ONNX Runtime Web',
    version: peerPackageJson('onnxruntime-web').version,
    backend: `wasm EP (SIMD), ${threads} thread${threads > 1 ? 's' : ''}`,
    threads,

    async gemm(n, A, B) {
      const s = await session(matmulModel(n));
      const feeds = { A: new ort.Tensor('float32', A, [n, n]), B: new ort.Tensor('float32', B, [n, n]) };
      return {
        run: () => s.run(feeds),
        output: async () => (await s.run(feeds)).C.data,
        dispose: () => s.release(),
      };
    },

    /** From the weights (encoded here), or from an .onnx file on disk (`modelFile`, the cold-start path). */
    async inference({ weights, modelFile }) {
      const s = await session(modelFile ? new Uint8Array(readFileSync(modelFile)) : mlpModel(weights));
      return {
        prepare: (xm) => {
          const feeds = { x: new ort.Tensor('float32', xm.data.subarray(0, xm.rows * xm.cols), [xm.rows, xm.cols]) };
          return { run: () => s.run(feeds), output: async () => (await s.run(feeds)).y.data };
        },
        dispose: () => s.release(),
      };
    },

    /**
     * The CNN (lib/onnx.js cnnModel): the benchmark's NHWC rows are fed as they are, declared (N, 1, 28, 28) —
     * with one channel the same bytes as NCHW.
     */
    async cnnInference({ weights }) {
      const s = await session(cnnModel(weights));
      return {
        prepare: (xm) => {
          const feeds = { x: new ort.Tensor('float32', xm.data.subarray(0, xm.rows * xm.cols), [xm.rows, 1, 28, 28]) };
          return { run: () => s.run(feeds), output: async () => (await s.run(feeds)).y.data };
        },
        dispose: () => s.release(),
      };
    },
  };
}
