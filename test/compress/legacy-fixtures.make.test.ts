// Writes test/compress/fixtures/: quantized (SDNQ) and sparse (SDSP) files of dense models as simdnet wrote them
// before the one execution plan (commit 7c579c6), with their inputs and the outputs that version predicted, on
// wasm and js. legacy-files.test.ts checks that today's readers load them and predict the same bits. Skipped
// unless SIMDNET_MAKE_FIXTURES=1: regenerating with a newer simdnet would defeat its purpose.
import { writeFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { activation, adam, dense, dropout, init, sequential, type Sequential } from '../../src/index.js';
import {
  pruneMagnitude,
  quantizeModel,
  saveQuantized,
  SparseModel,
  type QuantizeOptions,
} from '../../src/compress/index.js';

const dir = new URL('./fixtures/', import.meta.url);

/** Deterministic inputs in [-1, 1]. */
function inputs(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: rows * cols }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
}

async function trained(
  layers: Parameters<typeof sequential>[0],
  cols: number,
  classes: number,
  loss: 'categoricalCrossentropy' | 'binaryCrossentropy',
): Promise<Sequential> {
  const m = sequential(layers, { seed: 3 });
  m.compile({ loss, optimizer: adam({ learningRate: 1e-2 }), metrics: ['accuracy'] });
  const x = inputs(256, cols, 11);
  const labels = Int32Array.from(
    { length: 256 },
    (_, r) => (x[r * cols] + x[r * cols + 1] > 0 ? 1 : 0) + (classes > 2 && x[r * cols + 2] > 0.3 ? 2 : 0),
  );
  const y =
    classes === 1 ? { data: Float32Array.from(labels, (l) => l & 1), shape: [256, 1] as [number, number] } : labels;
  await m.fit({ data: x, shape: [256, cols] }, y, { epochs: 3, batchSize: 32, seed: 5 });
  return m;
}

describe.skipIf(!process.env.SIMDNET_MAKE_FIXTURES)('legacy fixtures', () => {
  it('writes them', async () => {
    await init();
    await init({ backend: 'js' });
    const multi = await trained(
      [
        dense(24, { activation: 'relu', inputDim: 16, name: 'h1' }),
        dropout(0.2, { name: 'drop' }),
        dense(12, { activation: 'relu', name: 'h2' }),
        activation('linear', { name: 'lin' }),
        dense(9, { activation: 'leakyRelu', alpha: 0.1, name: 'h3' }),
        dense(4, { activation: 'softmax', name: 'out' }),
      ],
      16,
      4,
      'categoricalCrossentropy',
    );
    const binary = await trained(
      [
        dense(10, { activation: 'tanh', inputDim: 12, name: 'b1' }),
        dense(6, { activation: 'relu', name: 'b2' }),
        dense(1, { activation: 'sigmoid', name: 'bout' }),
      ],
      12,
      1,
      'binaryCrossentropy',
    );
    const calib = (cols: number) => ({ data: inputs(64, cols, 21), shape: [64, cols] as [number, number] });
    const cases: Array<[string, Sequential, QuantizeOptions]> = [
      ['q-static', multi, { calibration: calib(16) }],
      ['q-dynamic', multi, { mode: 'dynamic' }],
      ['q-mixed', multi, { calibration: calib(16), plan: 'mixed' }],
      ['q-f16', multi, { plan: 'f16' }],
      ['q-plan', multi, { calibration: calib(16), plan: ['int8', 'f32', 'f16', 'int8'], weightBits: 4 }],
      ['q-binary', binary, { calibration: calib(12) }],
    ];
    const index: Record<string, unknown> = {};
    const outputs = (m: { predict(x: unknown): { data: Float32Array } }, cols: number) => {
      const x = { data: inputs(37, cols, 99), shape: [37, cols] as [number, number] };
      return Array.from(m.predict(x).data);
    };
    for (const [name, m, opts] of cases) {
      const q = quantizeModel(m, opts);
      const bytes = saveQuantized(q);
      writeFileSync(new URL(`${name}.sdnq`, dir), bytes);
      const { loadQuantized } = await import('../../src/compress/quant-format.js');
      const js = loadQuantized(bytes, { backend: 'js' });
      index[name] = {
        file: `${name}.sdnq`,
        cols: m.inputDim,
        wasm: outputs(q, m.inputDim!),
        js: outputs(js, m.inputDim!),
      };
      q.dispose();
      js.dispose();
    }
    pruneMagnitude(multi, { sparsity: { h1: 0.8, h2: 0.3, h3: 0.7 } });
    for (const [name, m, minSparsity] of [
      ['s-mixed', multi, 0.5],
      ['s-binary', binary, 0],
    ] as const) {
      const sp = SparseModel.fromModel(m, { minSparsity });
      const bytes = sp.save();
      writeFileSync(new URL(`${name}.sdsp`, dir), bytes);
      const js = SparseModel.load(bytes, { backend: 'js' });
      index[name] = {
        file: `${name}.sdsp`,
        cols: m.inputDim,
        wasm: outputs(sp, m.inputDim!),
        js: outputs(js, m.inputDim!),
      };
      sp.dispose();
      js.dispose();
    }
    writeFileSync(
      new URL('legacy.json', dir),
      JSON.stringify({ commit: '7c579c6', inputSeed: 99, rows: 37, cases: index }),
    );
    multi.dispose();
    binary.dispose();
  });
});
