// RMSprop and Adagrad through compile() and fit(): one step against the formulas, Keras defaults, training, saved
// configs, and the accumulator restarting at its initial value.
import { beforeAll, describe, expect, it } from 'vitest';
import { adagrad, dense, init, loadModel, rmsprop, saveModel, sequential, type Sequential } from '../../src/index.js';
import { expectClose, rng } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

/** y = w·x + b with w = 0.5, b = 0, on x = [1, 2], targets 0: mse gradients gw = 2.5, gb = 1.5. */
function tiny(backend: 'wasm' | 'js'): Sequential {
  const m = sequential([dense(1, { inputDim: 1 })], { seed: 1, backend });
  m.build(1);
  const [k, b] = m.getWeights();
  m.setWeights([
    { ...k, data: Float32Array.from([0.5]) },
    { ...b, data: Float32Array.from([0]) },
  ]);
  return m;
}
const X = { data: Float32Array.from([1, 2]), shape: [2, 1] as [number, number] };
const Y = { data: Float32Array.from([0, 0]), shape: [2, 1] as [number, number] };

describe('rmsprop and adagrad', () => {
  it('Keras defaults', () => {
    expect(rmsprop()).toEqual({ type: 'rmsprop', learningRate: 0.001, rho: 0.9, epsilon: 1e-7, weightDecay: 0 });
    expect(adagrad()).toEqual({
      type: 'adagrad',
      learningRate: 0.001,
      initialAccumulatorValue: 0.1,
      epsilon: 1e-7,
      weightDecay: 0,
    });
  });

  it.each(['wasm', 'js'] as const)('one fit step equals the formula (%s)', async (backend) => {
    for (const [opt, step] of [
      [rmsprop({ learningRate: 0.1 }), (g: number) => (0.1 * g) / Math.sqrt(0.1 * g * g + 1e-7)],
      [adagrad({ learningRate: 0.1 }), (g: number) => (0.1 * g) / Math.sqrt(0.1 + g * g + 1e-7)],
      ['rmsprop', (g: number) => (0.001 * g) / Math.sqrt(0.1 * g * g + 1e-7)],
      ['adagrad', (g: number) => (0.001 * g) / Math.sqrt(0.1 + g * g + 1e-7)],
    ] as const) {
      const m = tiny(backend).compile({ loss: 'mse', optimizer: opt });
      await m.fit(X, Y, { epochs: 1, batchSize: 2, shuffle: false });
      const [k, b] = m.getWeights();
      expectClose([k.data[0], b.data[0]], [0.5 - step(2.5), -step(1.5)], 1e-7, 1e-6, `${JSON.stringify(opt)}`);
      m.dispose();
    }
  });

  it('both train a small regression; configs are saved with the model and reloaded', async () => {
    const r = rng(3);
    const x = Float32Array.from({ length: 200 }, () => 2 * r() - 1);
    const y = Float32Array.from(x, (v) => Math.sin(3 * v));
    const data = { data: x, shape: [200, 1] as [number, number] };
    const target = { data: y, shape: [200, 1] as [number, number] };
    for (const opt of [
      rmsprop({ learningRate: 0.01 }),
      adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.05 }),
    ]) {
      const m = sequential([dense(16, { activation: 'tanh', inputDim: 1 }), dense(1)], { seed: 2 }).compile({
        loss: 'mse',
        optimizer: opt,
      });
      const h = await m.fit(data, target, { epochs: 30, batchSize: 20, seed: 1 });
      expect(h.history.loss.at(-1)!).toBeLessThan(0.3 * h.history.loss[0]);
      const back = loadModel(saveModel(m));
      expect(back.compileSettings()!.optimizer).toEqual(opt);
      await back.fit(data, target, { epochs: 1, batchSize: 20, seed: 1 }); // trains on with the saved config
      expect(back.optimizer!.config).toEqual(opt);
      m.dispose();
      back.dispose();
    }
  });

  it("adagrad's accumulator restarts at initialAccumulatorValue on compile and after a reset", async () => {
    const m = tiny('wasm').compile({ loss: 'mse', optimizer: adagrad({ learningRate: 0.1 }) });
    await m.fit(X, Y, { epochs: 1, batchSize: 2, shuffle: false });
    const first = m.getWeights().map((t) => t.data[0]);
    m.optimizer!.reset();
    const [k, b] = m.getWeights();
    m.setWeights([
      { ...k, data: Float32Array.from([0.5]) },
      { ...b, data: Float32Array.from([0]) },
    ]);
    await m.fit(X, Y, { epochs: 1, batchSize: 2, shuffle: false });
    expect(m.getWeights().map((t) => t.data[0])).toEqual(first);
    m.dispose();
  });

  it('bad hyper-parameters are RANGE errors naming the option', () => {
    expectSimdnetError(() => rmsprop({ rho: 1 }), 'RANGE', 'rmsprop rho');
    expectSimdnetError(() => rmsprop({ learningRate: -1 }), 'RANGE', 'rmsprop learningRate');
    expectSimdnetError(() => adagrad({ initialAccumulatorValue: -0.1 }), 'RANGE', 'adagrad initialAccumulatorValue');
    expectSimdnetError(() => adagrad({ epsilon: 0 }), 'RANGE', 'adagrad epsilon');
    const m = tiny('wasm');
    expectSimdnetError(
      () => m.compile({ loss: 'mse', optimizer: 'rmsprob' as never }),
      'RANGE',
      "'rmsprop', 'adagrad'",
    );
    m.dispose();
  });
});
