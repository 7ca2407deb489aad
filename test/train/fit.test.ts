// The training loop: validation, callbacks, early stopping that restores the best weights, divergence, memory.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  dense,
  earlyStopping,
  getEngine,
  init,
  sequential,
  sgd,
  SimdnetError,
  type EpochLogs,
} from '../../src/index.js';
import { randArray, rng } from '../helpers/check.js';

beforeAll(async () => {
  await init();
});

/** y = sin(3x) + noise: a small regression that an MLP can overfit. */
function wave(n: number, seed: number, noise = 0.3) {
  const r = rng(seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = 2 * r() - 1;
    y[i] = Math.sin(3 * x[i]) + noise * (r() - 0.5);
  }
  return { x: { data: x, shape: [n, 1] as [number, number] }, y: { data: y, shape: [n, 1] as [number, number] } };
}

describe('fit', () => {
  it('reports per-batch and per-epoch logs, with validation', async () => {
    const m = sequential([dense(16, { activation: 'tanh', inputDim: 1 }), dense(1)], { seed: 1 });
    m.compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
    const { x, y } = wave(200, 1);
    const batches: number[] = [];
    const epochs: EpochLogs[] = [];
    const h = await m.fit(x, y, {
      epochs: 5,
      batchSize: 32,
      validationSplit: 0.2,
      seed: 2,
      callbacks: { onBatchEnd: (b) => void batches.push(b), onEpochEnd: (_e, logs) => void epochs.push(logs) },
    });
    expect(batches.length).toBe(5 * 5); // 160 rows / 32
    expect(h.history.loss.length).toBe(5);
    expect(h.history.val_loss.length).toBe(5);
    expect(epochs[4].loss).toBeLessThan(epochs[0].loss);
    // val_loss equals evaluate() on the same rows? At least it is a finite, plausible number.
    expect(epochs[4].val_loss!).toBeGreaterThan(0);
    m.dispose();
  });

  it('early stopping stops on a plateau and restores the best weights', async () => {
    // A big net on few noisy points overfits: val_loss turns up, training goes on falling.
    const train = wave(24, 3, 1.0);
    const val = wave(200, 4, 0);
    const m = sequential(
      [dense(128, { activation: 'relu', inputDim: 1 }), dense(128, { activation: 'relu' }), dense(1)],
      { seed: 5 },
    );
    m.compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
    const stop = earlyStopping({ monitor: 'val_loss', patience: 5 });
    const h = await m.fit(train.x, train.y, {
      epochs: 400,
      batchSize: 24,
      validationData: [val.x, val.y],
      seed: 1,
      callbacks: stop,
    });
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBeLessThan(400);
    const best = Math.min(...h.history.val_loss);
    expect(h.history.val_loss[h.bestEpoch!]).toBe(best);
    // The model holds the best epoch's weights, not the last epoch's.
    expect(m.evaluate(val.x, val.y).loss).toBeCloseTo(best, 5);
    expect(h.history.val_loss.at(-1)!).toBeGreaterThan(best);
    m.dispose();
  });

  it('a diverging run stops with a clear error, weights finite and the model usable', async () => {
    const m = sequential([dense(8, { activation: 'relu', inputDim: 1 }), dense(1)], { seed: 1 });
    m.compile({ loss: 'mse', optimizer: sgd({ learningRate: 1e4 }) });
    const { x, y } = wave(64, 5);
    const big = { data: x.data.map((v) => v * 1e3), shape: x.shape };
    let err: unknown;
    try {
      await m.fit(big, y, { epochs: 50, batchSize: 8, seed: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimdnetError);
    expect((err as SimdnetError).code).toBe('DIVERGED');
    expect((err as Error).message).toMatch(/diverged at epoch \d+, batch \d+.*restored/);
    for (const t of m.getWeights()) expect(t.data.every(Number.isFinite)).toBe(true);
    m.optimizer!.learningRate = 0.01;
    await m.fit(x, y, { epochs: 3, batchSize: 8, seed: 1 });
    expect(Number.isFinite(m.evaluate(x, y).loss)).toBe(true);
    m.dispose();
  });

  it('L2 and L1 regularization shrink the weights', async () => {
    const { x, y } = wave(128, 6);
    const norms: number[] = [];
    for (const reg of [undefined, { l2: 0.01 }, { l1: 0.01 }]) {
      const m = sequential(
        [dense(32, { activation: 'tanh', inputDim: 1, kernelRegularizer: reg }), dense(1, { kernelRegularizer: reg })],
        { seed: 3 },
      );
      m.compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
      await m.fit(x, y, { epochs: 30, batchSize: 32, seed: 3 });
      norms.push(
        m
          .getWeights()
          .filter((t) => t.shape.length === 2)
          .reduce((s, t) => s + t.data.reduce((a, v) => a + Math.abs(v), 0), 0),
      );
      m.dispose();
    }
    expect(norms[1]).toBeLessThan(0.8 * norms[0]);
    expect(norms[2]).toBeLessThan(0.8 * norms[0]);
  });

  it('a 50-epoch run keeps a flat memory profile, and dispose gives the memory back', async () => {
    const e = getEngine('wasm');
    const used0 = e.arena.used;
    const m = sequential([dense(64, { activation: 'relu', inputDim: 20 }), dense(4, { activation: 'softmax' })], {
      seed: 1,
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
    const n = 512;
    const x = { data: randArray(n * 20, 1), shape: [n, 20] as [number, number] };
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const used: number[] = [];
    const bytes: number[] = [];
    await m.fit(x, labels, {
      epochs: 50,
      batchSize: 32,
      seed: 1,
      callbacks: { onEpochEnd: () => void (used.push(e.arena.used), bytes.push(e.memory.buffer.byteLength)) },
    });
    expect(new Set(used).size).toBe(1);
    expect(new Set(bytes).size).toBe(1);
    m.dispose();
    expect(e.arena.used).toBe(used0);
  });

  it('runs out of memory with a clear error under a small limit, and the engine stays usable', async () => {
    const { createEngine } = await import('../../src/index.js');
    const e = await createEngine('wasm', { maxMemoryMB: 8 });
    let err: unknown;
    try {
      sequential([dense(2048, { inputDim: 2048 })], { engine: e }).build(2048);
    } catch (x) {
      err = x;
    }
    expect((err as SimdnetError).code).toBe('MEMORY');
    expect((err as Error).message).toMatch(/out of memory.*limit is 8\.0 MiB/);
    const m = sequential([dense(4, { inputDim: 4 })], { engine: e, seed: 1 });
    expect(m.predict([[1, 2, 3, 4]]).cols).toBe(4);
    m.dispose();
  });
});
