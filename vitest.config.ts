import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      {
        // The fused multiply-add path (src/runtime/relaxed.ts) in Node 20, which validates relaxed SIMD only behind
        // a flag: the GEMM and conv sweeps again with the relaxed kernels (test/helpers/wasm.ts), the FMA tests, and the
        // threads' bit-identity over 1-4 threads with every worker on the relaxed kernels.
        extends: true,
        test: {
          name: 'relaxed',
          include: [
            'test/kernels/gemm.test.ts',
            'test/kernels/conv.test.ts',
            'test/kernels/conv-grad.test.ts',
            'test/kernels/relaxed.test.ts',
            'test/kernels/abi.test.ts',
            'test/runtime/threads.test.ts',
          ],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { SIMDNET_RELAXED: '1' },
        },
      },
    ],
  },
});
