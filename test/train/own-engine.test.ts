// A model on an engine of its own trains without loading the shared engine (init()): fit() and fit(source) used to
// call init() for any wasm model, compiling and instantiating a second module (and memory) the model never used.
import { expect, it } from 'vitest';
import { createEngine, dense, getEngine, sequential } from '../../src/index.js';
import { expectSimdnetError } from '../helpers/errors.js';

it('fit() and fit(source) on a model with its own engine leave init() not run', async () => {
  const engine = await createEngine('wasm', { maxMemoryMB: 64 });
  const m = sequential([dense(4, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], {
    engine,
    seed: 1,
  });
  m.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: 'adam' });
  const x = { data: Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), rows: 10, cols: 3 };
  const y = Int32Array.from({ length: 10 }, (_, i) => i % 2);
  const h = await m.fit(x, y, { epochs: 2, batchSize: 5 });
  expect(h.history.loss).toHaveLength(2);
  await m.fit(() => [{ x, y }], { epochs: 2, batchSize: 5 });
  expectSimdnetError(() => getEngine(), 'STATE', /not loaded yet/);
  m.dispose();
  engine.dispose();
});
