// `npm run test:unit`: the edit-test loop, in well under a minute. Everything in vitest.config.ts except what needs a
// browser (test/web), a packed package (test/runtimes, test/package: npm pack, Deno, workerd, Chromium, a registry),
// and the end-to-end suites that train real models for tens of seconds each (the CLI's, ONNX import/export against
// ONNX Runtime, distillation, transfer and pruning runs, the MNIST accuracy runs); the streaming test reads its
// small file. `npm test` still runs everything.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        ...configDefaults.exclude,
        'test/web/**',
        'test/runtimes/**',
        'test/package/**',
        'test/cli/**',
        'test/onnx/import.test.ts',
        'test/onnx/export.test.ts',
        'test/onnx/pretrained.test.ts',
        'test/compress/distill.test.ts',
        'test/compress/transfer.test.ts',
        'test/compress/prune.test.ts',
        'test/model/mnist.test.ts',
      ],
      env: { SIMDNET_QUICK_STREAM: '1' },
    },
  }),
);
