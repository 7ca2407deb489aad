// Learning-rate schedules and the callbacks of issue 13: onBatchBegin, modelCheckpoint, reduceLROnPlateau, a custom
// callback that stops training or changes the rate.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  cosineDecay,
  dense,
  exponentialDecay,
  init,
  loadModel,
  loadModelFile,
  modelCheckpoint,
  reduceLROnPlateau,
  sequential,
  sgd,
  stepDecay,
  type EpochLogs,
  type Sequential,
} from '../../src/index.js';
import { expectClose, rng } from '../helpers/check.js';
import { expectSimdnetError, expectSimdnetErrorAsync } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
});

function wave(n: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: n }, () => 2 * r() - 1);
  const y = Float32Array.from(x, (v) => Math.sin(3 * v) + 0.2 * (r() - 0.5));
  return { x: { data: x, shape: [n, 1] as [number, number] }, y: { data: y, shape: [n, 1] as [number, number] } };
}
const net = (): Sequential => sequential([dense(16, { activation: 'tanh', inputDim: 1 }), dense(1)], { seed: 7 });
const weightsOf = (m: Sequential): number[] => m.getWeights().flatMap((t) => Array.from(t.data));

describe('learning-rate schedules', () => {
  it('exponentialDecay, stepDecay and cosineDecay follow the Keras formulas', () => {
    const e = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96 });
    expectClose([e(0, 0), e(3, 25)], [0.1, 0.1 * 0.96 ** 2.5], 0, 1e-12, 'exponential');
    expect(
      exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96, staircase: true })(0, 25),
    ).toBeCloseTo(0.1 * 0.96 ** 2, 12);
    const s = stepDecay({ initialLearningRate: 0.08, factor: 0.5, everyEpochs: 3 });
    expect([0, 2, 3, 5, 6, 9].map((ep) => s(ep, 0))).toEqual([0.08, 0.08, 0.04, 0.04, 0.02, 0.01]);
    const c = cosineDecay({ initialLearningRate: 0, warmupTarget: 0.1, warmupSteps: 10, decaySteps: 100, alpha: 0.1 });
    expectClose(
      [c(0, 0), c(0, 5), c(0, 10), c(0, 60), c(0, 110), c(0, 500)],
      [0, 0.05, 0.1, 0.1 * (0.9 * 0.5 + 0.1), 0.01, 0.01],
      1e-15,
      1e-12,
      'cosine',
    );
    expectClose([cosineDecay({ initialLearningRate: 0.2, decaySteps: 4 })(0, 2)], [0.1], 0, 1e-12, 'no warm-up');
  });

  it('bad schedule options are RANGE errors', () => {
    expectSimdnetError(
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 1.5 }),
      'RANGE',
      'decayRate',
    );
    expectSimdnetError(
      () => exponentialDecay({ initialLearningRate: -1, decaySteps: 10, decayRate: 0.5 }),
      'RANGE',
      'initialLearningRate',
    );
    expectSimdnetError(() => stepDecay({ initialLearningRate: 0.1, factor: 0 }), 'RANGE', 'factor');
    expectSimdnetError(
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupSteps: 5 }),
      'RANGE',
      'needs warmupTarget',
    );
    expectSimdnetError(() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 2 }), 'RANGE', 'alpha');
  });

  it('fit sets the scheduled rate before every batch; the step counts across epochs', async () => {
    const { x, y } = wave(50, 1);
    const m = net().compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.5 }) });
    const sched = exponentialDecay({ initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.5 });
    const seen: number[] = [];
    await m.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      seed: 1,
      schedule: sched,
      callbacks: { onBatchEnd: (_b, _l, model) => void seen.push(model.optimizer!.learningRate) },
    });
    expect(seen).toHaveLength(12);
    expectClose(
      seen,
      seen.map((_, s) => 0.05 * 0.5 ** (s / 3)),
      0,
      1e-12,
      'rates',
    );
    expect(m.optimizer!.learningRate).toBe(0.5); // the configured rate applies again after fit
    // A user function of (epoch, step): rate 0 leaves the weights as they are.
    const before = weightsOf(m);
    await m.fit(x, y, { epochs: 2, batchSize: 16, schedule: (epoch, step) => (epoch >= 0 && step >= 0 ? 0 : 1) });
    expect(weightsOf(m)).toEqual(before);
    m.dispose();
  });

  it('the saved config keeps the configured rate, also from a checkpoint taken while a schedule reached 0', async () => {
    const { x, y } = wave(32, 9);
    const m = net().compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.3 }) });
    let bytes: Uint8Array | undefined;
    let during = -1;
    await m.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      schedule: cosineDecay({ initialLearningRate: 0.1, decaySteps: 3 }),
      callbacks: [
        {
          onEpochEnd: (_e, _l, model) => {
            during = model.optimizer!.learningRate;
          },
        },
        modelCheckpoint({
          onSave: (b) => {
            bytes = b;
          },
        }),
      ],
    });
    expect(during).toBe(0); // the schedule's rate, read through the optimizer
    const back = loadModel(bytes!);
    expect(back.compileSettings()!.optimizer).toEqual(sgd({ learningRate: 0.3 }));
    await back.fit(x, y, { epochs: 1 }); // compiles and trains
    back.dispose();
    m.dispose();
  });

  it('a schedule returning NaN, a negative or a string is a RANGE error naming the step; the model stays usable', async () => {
    const { x, y } = wave(40, 2);
    const m = net().compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
    await expectSimdnetErrorAsync(
      () => m.fit(x, y, { epochs: 2, batchSize: 8, schedule: (_e, s) => (s === 7 ? NaN : 0.01) }),
      'RANGE',
      'returned NaN at epoch 2, step 7',
    );
    await expectSimdnetErrorAsync(
      () => m.fit(x, y, { schedule: () => -0.1 }),
      'RANGE',
      'returned -0.1 at epoch 1, step 0',
    );
    await expectSimdnetErrorAsync(() => m.fit(x, y, { schedule: (() => '0.1') as never }), 'RANGE', 'returned string');
    await expectSimdnetErrorAsync(
      () => m.fit(x, y, { schedule: 0.1 as never }),
      'DTYPE',
      'schedule must be a function',
    );
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});

describe('callbacks', () => {
  it('onBatchBegin runs before each batch, alternating with onBatchEnd', async () => {
    const { x, y } = wave(20, 3);
    const m = net().compile({ loss: 'mse' });
    const events: string[] = [];
    await m.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      callbacks: {
        onBatchBegin: (b, info) => void events.push(`b${info.epoch}.${b}:${info.size}`),
        onBatchEnd: (b) => void events.push(`e${b}`),
      },
    });
    expect(events).toEqual([
      'b0.0:8',
      'e0',
      'b0.1:8',
      'e1',
      'b0.2:4',
      'e2',
      'b1.0:8',
      'e0',
      'b1.1:8',
      'e1',
      'b1.2:4',
      'e2',
    ]);
    m.dispose();
  });

  it('a custom callback stops training (model.stopTraining) and changes the rate (model.optimizer.learningRate)', async () => {
    const { x, y } = wave(64, 4);
    const m = net().compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.1 }) });
    let batches = 0;
    const h = await m.fit(x, y, {
      epochs: 10,
      batchSize: 8,
      callbacks: {
        onBatchEnd: (b, _l, model) => {
          batches++;
          if (b === 2) model.stopTraining = true;
        },
      },
    });
    expect(batches).toBe(3);
    expect(h.epochs).toEqual([0]);
    const rates: number[] = [];
    const h2 = await m.fit(x, y, {
      epochs: 6,
      batchSize: 32,
      callbacks: {
        onEpochBegin: (epoch, model) => {
          model.optimizer!.learningRate = 0.1 / (epoch + 1);
        },
        onBatchEnd: (_b, _l, model) => void rates.push(model.optimizer!.learningRate),
        onEpochEnd: (epoch, _l, model) => {
          if (epoch === 3) model.stopTraining = true;
        },
      },
    });
    expect(h2.epochs).toEqual([0, 1, 2, 3]);
    expectClose(rates, [0.1, 0.1, 0.05, 0.05, 0.1 / 3, 0.1 / 3, 0.025, 0.025], 0, 1e-12, 'rates');
    // A bad rate from a callback is refused and training stops with the error; the model stays usable.
    await expectSimdnetErrorAsync(
      () =>
        m.fit(x, y, {
          callbacks: {
            onEpochBegin: (_e, model) => {
              model.optimizer!.learningRate = NaN;
            },
          },
        }),
      'RANGE',
      'learningRate',
    );
    m.optimizer!.learningRate = 0.01;
    await m.fit(x, y, { epochs: 1 });
    m.dispose();
  });

  it('modelCheckpoint with saveBestOnly hands over the bytes of each new best epoch; they load to that model', async () => {
    const train = wave(24, 5);
    const val = wave(100, 6);
    const m = sequential(
      [dense(64, { activation: 'relu', inputDim: 1 }), dense(64, { activation: 'relu' }), dense(1)],
      { seed: 5 },
    ).compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
    const got: { epoch: number; bytes: Uint8Array; logs: EpochLogs }[] = [];
    const ck = modelCheckpoint({
      onSave: (bytes, epoch, logs) => void got.push({ epoch, bytes, logs }),
      saveBestOnly: true,
    });
    const h = await m.fit(train.x, train.y, {
      epochs: 40,
      batchSize: 24,
      validationData: [val.x, val.y],
      seed: 1,
      callbacks: ck,
    });
    const v = h.history.val_loss;
    const bests = v.map((_, i) => i).filter((i) => v[i] < Math.min(Infinity, ...v.slice(0, i)));
    expect(got.map((g) => g.epoch)).toEqual(bests);
    expect(ck.saved).toEqual(bests);
    expect(bests.length).toBeLessThan(40); // it overfits: not every epoch is a new best
    const last = got.at(-1)!;
    const back = loadModel(last.bytes);
    expectClose([back.evaluate(val.x, val.y).loss], [last.logs.val_loss!], 0, 1e-5, 'best checkpoint');
    back.dispose();
    m.dispose();
  });

  it('modelCheckpoint writes files ({epoch} in the path) every epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-ck-'));
    try {
      const { x, y } = wave(30, 7);
      const m = net().compile({ loss: 'mse' });
      await m.fit(x, y, {
        epochs: 3,
        batchSize: 10,
        callbacks: modelCheckpoint({ path: join(dir, 'model-{epoch}.simdnet') }),
      });
      for (const e of [1, 2, 3]) expect(existsSync(join(dir, `model-${e}.simdnet`))).toBe(true);
      const back = await loadModelFile(join(dir, 'model-3.simdnet'));
      expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
      back.dispose();
      m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expectSimdnetError(() => modelCheckpoint({}), 'RANGE', 'needs a non-empty path or an onSave');
    expectSimdnetError(
      () => modelCheckpoint({ path: 'x', mode: 'up' as never }),
      'RANGE',
      "option mode must be 'auto'",
    );
  });

  it('reduceLROnPlateau follows Keras: patience, factor, cooldown, minLr', () => {
    const cb = reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 2, minLr: 0.02 });
    const opt = { learningRate: 0.1 };
    const model = { optimizer: opt } as unknown as Sequential;
    cb.onTrainBegin!({ model, epochs: 20, batchSize: 1, samples: 1, batchesPerEpoch: 1, validationSamples: 0 });
    const losses = [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
    const lrs = losses.map((loss, e) => {
      cb.onEpochEnd!(e, { loss }, model);
      return opt.learningRate;
    });
    // Epochs 2, 3 without improvement → reduce at 3. Keras counts the cooldown down before looking, so a cooldown of
    // 2 skips one epoch (4); 5, 6 → reduce at 6; 8, 9 → 0.0125, held at minLr 0.02; then no more reductions.
    expectClose(lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02], 0, 1e-12, 'rates');
    expect(cb.reductions).toEqual([3, 6, 9]);
    expectSimdnetError(() => reduceLROnPlateau({ factor: 1 }), 'RANGE', 'factor must be in (0, 1)');
    expectSimdnetError(() => cb.onEpochEnd!(12, { val_loss: 1 } as never, model), 'RANGE', "monitors 'loss'");
  });

  it('reduceLROnPlateau inside fit lowers the optimizer rate when the loss stalls', async () => {
    const { x, y } = wave(40, 8);
    const m = net().compile({ loss: 'mse', optimizer: sgd({ learningRate: 1e-6 }) }); // too small to make progress
    const cb = reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 1, minDelta: 1e-3 });
    await m.fit(x, y, { epochs: 6, batchSize: 40, shuffle: false, callbacks: cb });
    expect(cb.reductions.length).toBeGreaterThan(0);
    expectClose([m.optimizer!.learningRate], [1e-6 * 0.5 ** cb.reductions.length], 0, 1e-9, 'rate');
    m.dispose();
  });
});
