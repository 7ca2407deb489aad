// engine.dispose(): a long-running process gets an engine's linear memory back (wasm memory never shrinks, so
// dropping the engine is the only way). Afterwards the engine and its models refuse use with DISPOSED, and nothing
// simdnet keeps — the engine, a model built on it, a compressed model's plan — still reaches the memory: a WeakRef
// to it clears after a garbage collection.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { quantizeModel } from '../../src/compress/index.js';
import { createEngine, dense, getEngine, init, sequential, type Backend, type Engine } from '../../src/index.js';
import { expectSimdnetError, expectSimdnetErrorAsync } from '../helpers/errors.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const x = { data: Float32Array.from({ length: 32 * 6 }, (_, i) => Math.sin(i)), shape: [32, 6] as [number, number] };
const y = Int32Array.from({ length: 32 }, (_, i) => i % 3);

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 0)); // a WeakRef's target is kept until the job that made it ends
    gc();
  }
  return ref.deref() === undefined;
}

function net(engine: Engine) {
  const m = sequential([dense(16, { activation: 'relu', inputDim: 6 }), dense(3, { activation: 'softmax' })], {
    engine,
    seed: 1,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return m;
}

describe.each(['wasm', 'js'] as Backend[])('engine.dispose() (%s)', (backend) => {
  it('refuses use with DISPOSED, models on it too, and its memory becomes collectable', async () => {
    const engine = await createEngine(backend);
    const m = net(engine);
    await m.fit(x, y, { epochs: 2, batchSize: 8 });
    const q = quantizeModel(m);
    expect(q.predict(x).rows).toBe(32);
    const big = engine.allocF32(4 << 20); // 16 MiB of growth that, in wasm, never shrinks
    engine.free(big);
    const ref = new WeakRef(engine.memory);
    expect(engine.disposed).toBe(false);

    engine.dispose();
    engine.dispose(); // idempotent
    expect(engine.disposed).toBe(true);
    expectSimdnetError(() => engine.memory, 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => engine.arena, 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => engine.allocF32(4), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => engine.f32(16, 4), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => engine.k.fill_f32(16, 4, 0), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => m.predict(x), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => m.predictClasses(x), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => m.evaluate(x, y), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => m.getWeights(), 'DISPOSED', /engine was disposed/);
    await expectSimdnetErrorAsync(() => m.fit(x, y, { epochs: 1 }), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => q.predict(x), 'DISPOSED', /engine was disposed/);
    expectSimdnetError(() => q.evaluate(x, y), 'DISPOSED', /engine was disposed/);
    // Disposing what was built on it is a no-op, not an error.
    q.dispose();
    m.dispose();

    // The models are still referenced here (m, q); the memory is not, by anything of simdnet's.
    expect(await collected(ref)).toBe(true);
    expect(m.name).toBeTypeOf('string');
  });

  it('a disposed shared engine is forgotten: init() makes a new one and models work on it', async () => {
    const e1 = await init({ backend });
    const m1 = sequential([dense(3, { inputDim: 6 })], { backend, seed: 1 });
    m1.build(6);
    e1.dispose();
    expectSimdnetError(() => getEngine(backend), 'STATE', /not loaded yet/);
    expectSimdnetError(() => m1.predict(x), 'DISPOSED', /engine was disposed/);
    const e2 = await init({ backend });
    expect(e2).not.toBe(e1);
    expect(getEngine(backend)).toBe(e2);
    const m2 = sequential([dense(3, { inputDim: 6 })], { backend, seed: 1 });
    expect(m2.predict(x).rows).toBe(32);
    m2.dispose();
  });
});
