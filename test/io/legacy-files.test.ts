// Float model files written before the layer records (test/io/fixtures, made by make-legacy.mjs with simdnet at
// commit 2572900): they still load — as version 2 and as version 1 — with their compile settings and metadata, and
// predict the very same bits that version predicted, on wasm and on js; they train on.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel } from '../../src/index.js';
import { asVersion1, legacyFixtures } from '../helpers/files.js';

const legacy = legacyFixtures(new URL('./fixtures/', import.meta.url));

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

describe('float model files of the dense-only version', () => {
  for (const [file, c] of legacy.cases) {
    it(`${file} loads and predicts the same bits on both backends`, async () => {
      const bytes = legacy.bytes(file);
      const x = legacy.inputs(c);
      for (const [name, b] of [
        ['v2', bytes],
        ['v1', asVersion1(bytes)],
      ] as const) {
        for (const backend of ['wasm', 'js'] as const) {
          const m = loadModel(b, { backend });
          expect(m.inputShape, `${name} ${backend}`).toEqual([c.cols]);
          expect(m.metadata).toEqual({ note: 'written by simdnet 2572900' });
          expect(Array.from(m.predict(x).data), `${file} ${name} ${backend}`).toEqual(c[backend].map(Math.fround));
          m.dispose();
        }
      }
      // Compile settings came along: it evaluates and trains on.
      const m = loadModel(bytes);
      const labels = Int32Array.from({ length: legacy.rows }, (_, i) => (m.outputDim === 1 ? i % 2 : i % m.outputDim));
      const y =
        m.outputDim === 1 ? { data: Float32Array.from(labels), shape: [legacy.rows, 1] as [number, number] } : labels;
      expect(Number.isFinite(m.evaluate(x, y).loss)).toBe(true);
      await m.fit(x, y, { epochs: 1, batchSize: 4, seed: 1 });
      expect(m.trainedSteps).toBeGreaterThan(0);
      m.dispose();
    });
  }
});
