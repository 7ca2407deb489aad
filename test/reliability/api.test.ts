// Bad calls get a SimdnetError (never a TypeError from deep inside) and leave the model as it was, bit for bit;
// a disposed model refuses every method; fit() claims the model before its first await.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dense,
  init,
  loadModel,
  saveModel,
  sequential,
  SimdnetError,
  type Callback,
  type Sequential,
} from '../../src/index.js';
import { expectSimdnetError, expectSimdnetErrorAsync } from '../helpers/errors.js';
import { lcg, withHeader } from './models.js';

beforeAll(async () => {
  await init();
});

const x = { data: Float32Array.from({ length: 60 * 4 }, lcg(1)), shape: [60, 4] as [number, number] };
const y = Int32Array.from({ length: 60 }, (_, i) => i % 3);

function model(): Sequential {
  const m = sequential(
    [dense(8, { activation: 'relu', inputDim: 4, name: 'h' }), dense(3, { activation: 'softmax', name: 'out' })],
    { seed: 2 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd' });
  return m;
}

/** All weights of a model as one byte string. */
const bits = (m: Sequential): string =>
  m
    .getWeights()
    .map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'))
    .join('/');

describe('bad arguments are SimdnetErrors and change nothing', () => {
  it('saveModel of something that is not a live Sequential', () => {
    for (const bad of [null, undefined, 5, {}, { getWeights: 1 }]) {
      expectSimdnetError(() => saveModel(bad as unknown as Sequential), 'DTYPE', /saveModel\(\) takes a Sequential/);
    }
    const m = model();
    m.dispose();
    expectSimdnetError(() => saveModel(m), 'DISPOSED', /disposed/);
  });

  it('setWeights with a null, undefined or malformed tensor', () => {
    const m = model();
    m.build(4);
    const before = bits(m);
    const w = m.getWeights();
    const cases: unknown[] = [
      null,
      undefined,
      7,
      [w[0], w[1], w[2], null],
      [w[0], undefined, w[2], w[3]],
      [w[0], w[1], w[2], { data: null }],
      [w[0], w[1], w[2], { shape: null, data: w[3].data }],
      [w[0], w[1], w[2], 'abc'],
      [w[0], w[1], w[2], { data: ['a', 'b', 'c'] }],
    ];
    for (const c of cases) {
      let thrown: unknown;
      try {
        m.setWeights(c as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(c)?.slice(0, 80)).toBeInstanceOf(SimdnetError);
      expect(bits(m)).toBe(before);
    }
    expect(m.predict(x).rows).toBe(60);
    m.dispose();
  });

  it('a callback whose hook is not a function is refused before training starts', async () => {
    for (const cb of [{ onEpochEnd: 5 }, { onBatchEnd: 'x' }, null, 5, [{ onTrainBegin: {} }], [undefined]]) {
      const m = model();
      m.build(4);
      const before = bits(m);
      await expectSimdnetErrorAsync(
        () => m.fit(x, y, { epochs: 2, callbacks: cb as unknown as Callback }),
        'RANGE',
        /callback/,
      );
      expect(bits(m)).toBe(before);
      expect(m.trainedSteps).toBe(0);
      // Still usable.
      await m.fit(x, y, { epochs: 1, batchSize: 30, seed: 1 });
      expect(m.trainedSteps).toBe(2);
      m.dispose();
    }
  });

  it('malformed fit options are SimdnetErrors before anything trains', async () => {
    const m = model();
    m.build(4);
    const before = bits(m);
    const cases: Array<[unknown, RegExp]> = [
      [null, /options must be an object/],
      [{ validationData: 5 }, /validationData must be \[x, y\]/],
      [{ validationData: [x] }, /validationData must be \[x, y\]/],
      [{ augment: 5 }, /augment must be/],
      [{ augment: { imageShape: 4, maxShift: 1 } }, /augment.imageShape/],
      [{ epochs: 'two' }, /epochs/],
      [{ batchSize: 0 }, /batchSize/],
    ];
    for (const [options, message] of cases) {
      let thrown: unknown;
      try {
        await m.fit(x, y, options as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(options)).toBeInstanceOf(SimdnetError);
      expect((thrown as Error).message).toMatch(message);
      expect(bits(m)).toBe(before);
    }
    expect(m.trainedSteps).toBe(0);
    m.dispose();
  });

  it('loadModel with a null tensor entry is FORMAT', () => {
    const m = model();
    m.build(4);
    const file = saveModel(m);
    m.dispose();
    for (const entry of [null, 5, 'h/kernel', []]) {
      const bad = withHeader(file, (h) => void (h.tensors[0] = entry));
      expectSimdnetError(() => loadModel(bad), 'FORMAT', /tensor 0 is not an entry/);
    }
    expectSimdnetError(() => loadModel(withHeader(file, (h) => void (h.tensors = null))), 'FORMAT', /no tensor table/);
  });
});

describe('a disposed model', () => {
  it('refuses every method with DISPOSED', async () => {
    const m = model();
    m.build(4);
    m.dispose();
    const calls: Array<[string, () => unknown]> = [
      ['countParams', () => m.countParams()],
      ['summary', () => m.summary()],
      ['getWeights', () => m.getWeights()],
      ['setWeights', () => m.setWeights([])],
      ['predict', () => m.predict(x)],
      ['predictClasses', () => m.predictClasses(x)],
      ['evaluate', () => m.evaluate(x, y)],
      ['features', () => m.features(x, 0)],
      ['compile', () => m.compile({ loss: 'mse' })],
      ['compileSettings', () => m.compileSettings()],
      ['build', () => m.build(4)],
      ['layerIndex', () => m.layerIndex('h')],
      ['setTrainable', () => m.setTrainable('h', false)],
      ['tensors', () => m.tensors()],
    ];
    for (const [, call] of calls) expectSimdnetError(call, 'DISPOSED', /disposed/);
    await expectSimdnetErrorAsync(() => m.fit(x, y), 'DISPOSED', /disposed/);
    m.dispose(); // twice is fine
  });
});

describe('fit() claims the model synchronously', () => {
  it('a second fit() started in the same tick is refused; the first trains alone', async () => {
    const m = model();
    const first = m.fit(x, y, { epochs: 3, batchSize: 6, seed: 1 });
    const second = m.fit(x, y, { epochs: 3, batchSize: 6, seed: 1 });
    await expectSimdnetErrorAsync(() => second, 'STATE', /fit\(\) while fit\(\) is running/);
    await first;
    expect(m.trainedSteps).toBe(30); // 3 epochs of 10 batches, not 60
    // Both ended: the model is free again, and the same run on a fresh model gives the same weights.
    const again = model();
    await again.fit(x, y, { epochs: 3, batchSize: 6, seed: 1 });
    expect(bits(again)).toBe(bits(m));
    m.dispose();
    again.dispose();
  });

  it('nothing else runs on the model while the first fit() waits for the engine', async () => {
    const m = model();
    m.build(4);
    const running = m.fit(x, y, { epochs: 1, seed: 1 });
    expectSimdnetError(() => m.predict(x), 'STATE', /while fit\(\) is running/);
    expectSimdnetError(() => m.dispose(), 'STATE', /while fit\(\) is running/);
    await running;
    expect(m.predict(x).rows).toBe(60);
    m.dispose();
  });
});
