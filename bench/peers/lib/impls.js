// The implementations under test, in report order (`slow`: plain JS, run after the others; `cnnOnly`: runs the
// CNN workload only — no MLP, cold-start or size rows, so the MLP workloads and their bars keep their meaning).
// Each entry loads its adapter lazily so a process imports only the library it measures (cold start and memory
// stay per library).
export const IMPLS = {
  'simdnet-wasm': {
    label: 'simdnet (wasm)',
    load: () => import('../adapters/simdnet.js').then((m) => m.create('wasm')),
    simdnet: true,
    singleThread: true,
  },
  'simdnet-2t': {
    label: 'simdnet (wasm, 2 threads)',
    load: () => import('../adapters/simdnet.js').then((m) => m.create('wasm', 2)),
    simdnet: true,
    singleThread: false,
  },
  'simdnet-js': {
    label: 'simdnet (js backend)',
    load: () => import('../adapters/simdnet.js').then((m) => m.create('js')),
    simdnet: true,
    singleThread: true,
    slow: true,
  },
  'tfjs-wasm': {
    label: 'TensorFlow.js wasm',
    load: () => import('../adapters/tfjs.js').then((m) => m.create('wasm')),
    singleThread: true,
  },
  'tfjs-cpu': {
    label: 'TensorFlow.js cpu',
    load: () => import('../adapters/tfjs.js').then((m) => m.create('cpu')),
    singleThread: true,
    slow: true,
  },
  'ort-1t': {
    label: 'ONNX Runtime Web (1 thread)',
    load: () => import('../adapters/ort.js').then((m) => m.create(1)),
    singleThread: true,
  },
  'ort-2t': {
    label: 'ONNX Runtime Web (2 threads)',
    load: () => import('../adapters/ort.js').then((m) => m.create(2)),
    singleThread: false,
  },
  'brain.js': {
    label: 'brain.js',
    load: () => import('../adapters/brain.js').then((m) => m.create()),
    singleThread: true,
    slow: true,
  },
  convnetjs: {
    label: 'convnetjs',
    load: () => import('../adapters/convnetjs.js').then((m) => m.create()),
    singleThread: true,
    slow: true,
    cnnOnly: true,
  },
  'plain-js': {
    label: 'plain JS loops (f32, by hand)',
    load: () => import('../adapters/plainjs.js').then((m) => m.create()),
    singleThread: true,
    slow: true,
    cnnOnly: true,
  },
};

/** Packages each implementation's user installs (for the installed-size column), and the .wasm it loads. */
export const FOOTPRINT = {
  'tfjs-wasm': {
    packages: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm'],
    wasm: '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  },
  'tfjs-cpu': {
    packages: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'],
    wasm: null,
  },
  'ort-1t': { packages: ['onnxruntime-web'], wasm: 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm' },
  'ort-2t': { packages: ['onnxruntime-web'], wasm: 'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm' },
  'brain.js': { packages: ['brain.js'], wasm: null },
};
