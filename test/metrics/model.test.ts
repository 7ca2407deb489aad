// Metrics in compile() / evaluate() / fit(): validation logs, custom metrics, saved settings, refusals.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  confusionMatrix,
  dense,
  earlyStopping,
  f1Score,
  init,
  loadModel,
  rocAuc,
  saveModel,
  sequential,
} from '../../src/index.js';
import { distill, quantizeModel as quantize } from '../../src/compress/index.js';
import { randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
});

/** Three overlapping blobs in 4-D (overlap so precision / recall are not all 1). */
function blobs(n: number, seed: number) {
  const x = randArray(n * 4, seed, -1, 1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    x[i * 4 + labels[i]] += 1.2;
  }
  return { x: { data: x, shape: [n, 4] as [number, number] }, labels };
}

const model = (seed = 3) =>
  sequential([dense(8, { activation: 'relu', inputDim: 4 }), dense(3, { activation: 'softmax' })], { seed });

describe('metrics in a model', () => {
  it("fit logs val_<metric> each epoch; the last one is what the library's functions give on the final weights", async () => {
    const tr = blobs(300, 1);
    const va = blobs(120, 2);
    const m = model();
    m.compile({
      loss: 'categoricalCrossentropy',
      optimizer: adam({ learningRate: 0.02 }),
      metrics: ['accuracy', 'f1', 'precision_weighted', 'auc'],
    });
    const h = await m.fit(tr.x, tr.labels, { epochs: 4, batchSize: 16, seed: 1, validationData: [va.x, va.labels] });
    for (const key of ['val_loss', 'val_accuracy', 'val_f1', 'val_precision_weighted', 'val_auc'])
      expect(h.history[key], key).toHaveLength(4);
    const pred = m.predictClasses(va.x);
    expect(h.history.val_f1[3]).toBeCloseTo(f1Score(va.labels, pred, { classes: 3 }) as number, 12);
    expect(h.history.val_auc[3]).toBeCloseTo(rocAuc(va.labels, m.predict(va.x)) as number, 12);
    const ev = m.evaluate(va.x, va.labels);
    expect(ev.f1).toBeCloseTo(h.history.val_f1[3], 12);
    expect(ev.f1).toBeGreaterThan(0.5); // it learned something real
    m.dispose();
  });

  it('earlyStopping can watch a validation metric (val_f1, mode max) and keeps its best epoch', async () => {
    const tr = blobs(150, 8);
    const va = blobs(60, 9);
    const m = model();
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 0.02 }), metrics: ['f1'] });
    const h = await m.fit(tr.x, tr.labels, {
      epochs: 12,
      seed: 3,
      validationData: [va.x, va.labels],
      callbacks: [earlyStopping({ monitor: 'val_f1', mode: 'max', patience: 2 })],
    });
    const f1s = h.history.val_f1;
    expect(h.bestEpoch).toBe(f1s.indexOf(Math.max(...f1s)));
    // The restored weights are the best epoch's: evaluate gives its F1 again.
    expect(m.evaluate(va.x, va.labels).f1).toBeCloseTo(Math.max(...f1s), 12);
    m.dispose();
  });

  it('a custom metric sees all rows as Float32Arrays, in evaluate() and in fit logs', async () => {
    const d = blobs(90, 4);
    const m = model();
    const calls: number[][] = [];
    const meanMax = {
      name: 'meanMax',
      fn(outputs: Float32Array, targets: Float32Array, info: { rows: number; outputs: number; targetCols: number }) {
        calls.push([outputs.length, targets.length, info.rows, info.outputs, info.targetCols]);
        let s = 0;
        for (let r = 0; r < info.rows; r++) s += Math.max(...outputs.subarray(r * 3, r * 3 + 3));
        return s / info.rows;
      },
    };
    m.compile({ loss: 'categoricalCrossentropy', metrics: [meanMax] });
    const h = await m.fit(d.x, d.labels, { epochs: 2, validationSplit: 0.2, seed: 2 });
    expect(h.history.val_meanMax).toHaveLength(2);
    expect(calls[0]).toEqual([18 * 3, 18 * 3, 18, 3, 3]);
    const r = m.evaluate(d.x, d.labels, { batchSize: 10 });
    const p = m.predict(d.x);
    let s = 0;
    for (let i = 0; i < 90; i++) s += Math.max(...p.data.subarray(i * 3, i * 3 + 3));
    expect(r.meanMax).toBeCloseTo(s / 90, 6);
    m.dispose();
  });

  it('evaluate({ metrics }) overrides the compiled ones; a quantized model takes them too', async () => {
    const d = blobs(60, 5);
    const m = model();
    m.compile({ loss: 'categoricalCrossentropy' });
    await m.fit(d.x, d.labels, { epochs: 1, seed: 1 });
    const r = m.evaluate(d.x, d.labels, { metrics: ['recall', 'top2'] });
    expect(Object.keys(r).sort()).toEqual(['loss', 'recall', 'top2']);
    const q = quantize(m);
    const rq = q.evaluate(d.x, d.labels, { metrics: ['f1_micro'] });
    expect(rq.f1_micro).toBeCloseTo(rq.accuracy, 12); // micro F1 is accuracy for single-label data
    const pred = q.predictClasses(d.x);
    expect(confusionMatrix(d.labels, pred, 3).counts.reduce((a, b) => a + b, 0)).toBe(60);
    q.dispose();
    m.dispose();
  });

  it('named metrics are saved with the model; custom ones (code) are not', () => {
    const d = blobs(30, 6);
    const m = model();
    m.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy', 'f1', { name: 'one', fn: () => 1 }] });
    m.build(4);
    const back = loadModel(saveModel(m));
    expect(back.compileSettings()!.metrics).toEqual(['accuracy', 'f1']);
    const r = back.evaluate(d.x, d.labels);
    expect(r.f1).toBeTypeOf('number');
    expect(r.one).toBeUndefined();
    back.dispose();
    m.dispose();
  });

  it("two softmax outputs score class 1 by default ('binary', as f1Score on two classes); _macro averages both", async () => {
    const n = 80;
    const x = randArray(n * 2, 11, -1, 1);
    // Unbalanced and noisy (every 5th label flipped): binary and macro F1 then differ.
    const labels = Int32Array.from(
      { length: n },
      (_, i) => (x[i * 2] + 0.3 * x[i * 2 + 1] > 0.2 ? 1 : 0) ^ (i % 5 === 0 ? 1 : 0),
    );
    const m = sequential([dense(6, { activation: 'relu', inputDim: 2 }), dense(2, { activation: 'softmax' })], {
      seed: 4,
    });
    m.compile({
      loss: 'categoricalCrossentropy',
      optimizer: adam({ learningRate: 0.05 }),
      metrics: ['f1', 'f1_macro', 'precision', 'recall'],
    });
    await m.fit({ data: x, shape: [n, 2] }, labels, { epochs: 15, seed: 1 });
    const r = m.evaluate({ data: x, shape: [n, 2] }, labels);
    const pred = m.predictClasses({ data: x, shape: [n, 2] });
    expect(r.f1).toBeCloseTo(f1Score(labels, pred) as number, 12);
    expect(r.f1_macro).toBeCloseTo(f1Score(labels, pred, { average: 'macro' }) as number, 12);
    expect(r.f1).not.toBeCloseTo(r.f1_macro!, 6);
    m.dispose();
  });

  it('refuses unknown metrics, duplicates, metrics a loss cannot feed, and a custom metric that returns no number; the model stays usable', async () => {
    const d = blobs(30, 7);
    const m = model();
    expectSimdnetError(() => m.compile({ loss: 'mse', metrics: ['f2' as never] }), 'RANGE', /unknown metric "f2"/);
    expectSimdnetError(() => m.compile({ loss: 'mse', metrics: ['f1', 'f1'] }), 'RANGE', /given twice/);
    expectSimdnetError(() => m.compile({ loss: 'mse', metrics: [{ name: 'x' } as never] }), 'RANGE', /needs fn/);
    // A loss whose targets are not one-hot rows (distillation's: teacher probabilities and labels side by side)
    // cannot feed label metrics: refused when compiled, before anything trains.
    const teacher = model(5);
    teacher.compile({ loss: 'categoricalCrossentropy' });
    await teacher.fit(d.x, d.labels, { epochs: 1, seed: 1 });
    const student = model(4);
    student.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy', 'f1'] });
    student.build(4);
    const err = await distill(teacher, student, d.x, d.labels, { epochs: 1 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /metric 'f1' reads targets of 3 columns \(one-hot\) or class indices, but loss 'distillation.*' takes 6 a row/,
    );
    m.compile({ loss: 'categoricalCrossentropy', metrics: [{ name: 'bad', fn: () => 'high' as never }] });
    expectSimdnetError(() => m.evaluate(d.x, d.labels), 'RANGE', /custom metric 'bad' returned string/);
    expect(m.evaluate(d.x, d.labels, { metrics: ['f1'] }).f1).toBeTypeOf('number');
    for (const x of [m, student, teacher]) x.dispose();
  });
});
