// Tests of the peer-benchmark harness itself (protobuf/ONNX writer, statistics, f64 reference, report and bar
// logic, footprint walk). Run from the repository root: npx vitest run --config bench/peers/vitest.config.js
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.js'],
    testTimeout: 60_000,
  },
});
