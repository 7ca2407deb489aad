// A custom loss on plain Float32Array views: runs inside fit and evaluate with no pointers, matches the built-in it
// re-implements, survives the engine memory growing mid-run, and refuses non-finite values naming the loss.
import { beforeAll, describe, expect, it } from 'vitest';
import { adam, dense, getEngine, init, sequential, type CustomLoss, type Sequential } from '../../src/index.js';
import { expectClose, rng } from '../helpers/check.js';
import { expectSimdnetErrorAsync, expectSimdnetError } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

function wave(n: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: 2 * n }, () => 2 * r() - 1);
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(3 * x[2 * i]) * x[2 * i + 1]);
  return { x: { data: x, shape: [n, 2] as [number, number] }, y: { data: y, shape: [n, 1] as [number, number] } };
}
const net = (backend: 'wasm' | 'js' = 'wasm'): Sequential =>
  sequential([dense(16, { activation: 'tanh', inputDim: 2 }), dense(1)], { seed: 3, backend });

/** Mean squared error written by hand, as a user would. */
const myMse: CustomLoss = {
  name: 'myMse',
  forward(out, target) {
    let s = 0;
    for (let i = 0; i < out.length; i++) s += (out[i] - target[i]) ** 2;
    return s / out.length;
  },
  backward(out, target, grad) {
    for (let i = 0; i < out.length; i++) grad[i] = (2 * (out[i] - target[i])) / out.length;
  },
};

describe('custom loss on Float32Array views', () => {
  it.each(['wasm', 'js'] as const)(
    'trains as the built-in mse it re-implements; evaluate uses it (%s)',
    async (backend) => {
      const { x, y } = wave(120, 1);
      const a = net(backend).compile({ loss: myMse, optimizer: adam({ learningRate: 0.01 }) });
      const b = net(backend).compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
      const ha = await a.fit(x, y, { epochs: 30, batchSize: 16, seed: 2, validationSplit: 0.2 });
      const hb = await b.fit(x, y, { epochs: 30, batchSize: 16, seed: 2, validationSplit: 0.2 });
      expectClose(ha.history.loss, hb.history.loss, 1e-6, 1e-4, 'loss');
      expectClose(ha.history.val_loss, hb.history.val_loss, 1e-6, 1e-4, 'val_loss');
      expect(ha.history.loss.at(-1)!).toBeLessThan(0.5 * ha.history.loss[0]);
      expectClose([a.evaluate(x, y).loss], [b.evaluate(x, y).loss], 1e-6, 1e-4, 'evaluate');
      expect(a.compileSettings()).toBeUndefined(); // code is not saved with the model
      a.dispose();
      b.dispose();
    },
  );

  it('views are made afresh each step: the engine memory growing mid-run changes nothing', async () => {
    const { x, y } = wave(96, 2);
    const e = getEngine('wasm');
    const run = async (grow: boolean): Promise<number[]> => {
      const m = net().compile({ loss: myMse, optimizer: adam({ learningRate: 0.01 }) });
      let big = 0;
      const bytes0 = e.memory.buffer.byteLength;
      await m.fit(x, y, {
        epochs: 2,
        batchSize: 16,
        seed: 1,
        callbacks: {
          onBatchBegin: (b) => {
            if (grow && b === 2 && big === 0) big = e.allocF32((bytes0 >> 2) + (1 << 20));
          },
        },
      });
      if (grow) expect(e.memory.buffer.byteLength).toBeGreaterThan(bytes0);
      if (big) e.free(big);
      const w = m.getWeights().flatMap((t) => Array.from(t.data));
      m.dispose();
      return w;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('a non-finite gradient or value is NONFINITE naming the loss and the entry; a non-number is DTYPE; the model stays usable', async () => {
    const { x, y } = wave(40, 3);
    const m = net();
    const weightsNow = () => m.getWeights().flatMap((t) => Array.from(t.data));
    m.compile({
      loss: {
        ...myMse,
        backward: (_o: Float32Array, _t: Float32Array, g: Float32Array, rows: number) => {
          g[rows - 1] = NaN;
        },
      },
    });
    m.build(2);
    const w0 = weightsNow();
    await expectSimdnetErrorAsync(
      () => m.fit(x, y, { batchSize: 8, shuffle: false }),
      'NONFINITE',
      "custom loss 'myMse': backward wrote NaN into grad at row 7, column 0",
    );
    expect(weightsNow()).toEqual(w0); // refused before the update
    m.compile({ loss: { name: 'bad', forward: () => Infinity, backward: () => {} } });
    await expectSimdnetErrorAsync(() => m.fit(x, y), 'NONFINITE', "custom loss 'bad': forward returned Infinity");
    expectSimdnetError(() => m.evaluate(x, y), 'NONFINITE', "custom loss 'bad'");
    m.compile({ loss: { forward: () => 'low' as never, backward: () => {} } });
    await expectSimdnetErrorAsync(
      () => m.fit(x, y),
      'DTYPE',
      "custom loss 'custom': forward must return a number, got string",
    );
    m.compile({ loss: myMse });
    const h = await m.fit(x, y, { epochs: 2 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});
