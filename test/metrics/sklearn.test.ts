// simdnet's metrics against scikit-learn 1.2's own numbers (test/metrics/fixtures/sklearn-metrics.json, made once by
// scripts/fixtures/metrics_fixture.py): the functions on labels and scores, and the same numbers from evaluate() on
// a model whose outputs are exactly the fixture's scores (an identity dense layer), through the kernels.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  confusionRows,
  dense,
  f1Score,
  init,
  meanAbsoluteError,
  meanSquaredError,
  precision,
  r2Score,
  recall,
  rocAuc,
  sequential,
  topKAccuracy,
} from '../../src/index.js';

interface ClassCase {
  name: string;
  classes: number;
  names: string[];
  y: number[];
  pred: number[];
  scores?: number[][];
  accuracy: number;
  confusion: number[][];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  perClass: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  report: string;
  aucMacro?: number;
  aucWeighted?: number;
  top2?: number;
  top3?: number;
}
interface BinaryCase {
  name: string;
  y: number[];
  scores: number[];
  pred: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  auc: number;
  confusion: number[][];
}
interface RegCase {
  name: string;
  cols: number;
  y: number[];
  pred: number[];
  mse: number;
  mae: number;
  r2: number;
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/sklearn-metrics.json', import.meta.url), 'utf8')) as {
  sklearn: string;
  classification: ClassCase[];
  binary: BinaryCase[];
  regression: RegCase[];
};
const TOL = 1e-6;
const close = (got: number | number[], want: number | number[], what: string): void => {
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  expect(g.length, what).toBe(w.length);
  g.forEach((v, i) => expect(Math.abs(v - w[i]), `${what}[${i}]: ${v} vs sklearn ${w[i]}`).toBeLessThanOrEqual(TOL));
};

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

describe('label metrics match scikit-learn', () => {
  it('made by scikit-learn 1.2', () => expect(fx.sklearn).toMatch(/^1\.2\./));

  it.each(fx.classification.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const k = c.classes;
    expect(confusionRows(confusionMatrix(c.y, c.pred, k))).toEqual(c.confusion);
    close(accuracy(c.y, c.pred), c.accuracy, 'accuracy');
    for (const avg of ['macro', 'weighted', 'micro'] as const) {
      close(precision(c.y, c.pred, { classes: k, average: avg }), c[avg].precision, `${avg} precision`);
      close(recall(c.y, c.pred, { classes: k, average: avg }), c[avg].recall, `${avg} recall`);
      close(f1Score(c.y, c.pred, { classes: k, average: avg }), c[avg].f1, `${avg} f1`);
    }
    close(precision(c.y, c.pred, { classes: k, average: 'none' }), c.perClass.precision, 'per-class precision');
    close(recall(c.y, c.pred, { classes: k, average: 'none' }), c.perClass.recall, 'per-class recall');
    close(f1Score(c.y, c.pred, { classes: k, average: 'none' }), c.perClass.f1, 'per-class f1');
    const rep = classificationReport(c.y, c.pred, { names: c.names });
    expect(rep.perClass.map((s) => s.support)).toEqual(c.perClass.support);
    close(rep.macro.f1, c.macro.f1, 'report macro f1');
    close(rep.weighted.precision, c.weighted.precision, 'report weighted precision');
    // The text, character for character, as sklearn prints it with digits=4.
    expect(rep.toString(4)).toBe(c.report);
    if (c.scores) {
      if (c.aucMacro !== undefined) close(rocAuc(c.y, c.scores), c.aucMacro, 'auc macro');
      if (c.aucWeighted !== undefined)
        close(rocAuc(c.y, c.scores, { average: 'weighted' }), c.aucWeighted, 'auc weighted');
      close(topKAccuracy(c.y, c.scores, 2), c.top2!, 'top-2');
      close(topKAccuracy(c.y, c.scores, 3), c.top3!, 'top-3');
    }
  });

  it("the issue's case: a model that never predicts class B has macro F1 ~34.6 % (B counts, as 0), not 52 %", () => {
    const c = fx.classification.find((x) => x.name === 'never-predicts-B')!;
    const f1 = f1Score(c.y, c.pred, { classes: 3 }) as number;
    expect(f1).toBeCloseTo(0.3462, 4);
    close(f1, c.macro.f1, 'macro f1');
    const rep = classificationReport(c.y, c.pred, { names: c.names });
    expect(rep.perClass[1]).toMatchObject({ name: 'B', precision: 0, recall: 0, f1: 0, support: 10 });
  });

  it.each(fx.binary.map((c) => [c.name, c] as const))('binary %s (ties in the scores)', (_n, c) => {
    close(accuracy(c.y, c.pred), c.accuracy, 'accuracy');
    close(precision(c.y, c.pred), c.precision, 'precision');
    close(recall(c.y, c.pred), c.recall, 'recall');
    close(f1Score(c.y, c.pred), c.f1, 'f1');
    close(rocAuc(c.y, c.scores), c.auc, 'auc');
    // A rows × 2 probability matrix scores by its second column.
    close(
      rocAuc(
        c.y,
        c.scores.map((s) => [1 - s, s]),
      ),
      c.auc,
      'auc from two columns',
    );
    expect(confusionRows(confusionMatrix(c.y, c.pred, 2))).toEqual(c.confusion);
  });

  it.each(fx.regression.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const rows = c.y.length / c.cols;
    const t = { data: Float32Array.from(c.y), rows, cols: c.cols };
    const p = { data: Float32Array.from(c.pred), rows, cols: c.cols };
    close(meanSquaredError(t, p), c.mse, 'mse');
    close(meanAbsoluteError(t, p), c.mae, 'mae');
    close(r2Score(t, p), c.r2, 'r2');
  });
});

/** A model whose outputs are its inputs (identity dense, zero bias, linear): evaluate() then scores the given values. */
function identity(n: number, backend: 'wasm' | 'js') {
  const m = sequential([dense(n, { inputDim: n })], { backend, seed: 1 });
  const w = new Float32Array(n * n);
  for (let i = 0; i < n; i++) w[i * n + i] = 1;
  m.setWeights([w, new Float32Array(n)]);
  return m;
}

describe.each(['wasm', 'js'] as const)('evaluate() metrics through the kernels match scikit-learn (%s)', (backend) => {
  it('multiclass: f1 / precision / recall averages, auc, top-k, from the confusion kernel', () => {
    const c = fx.classification.find((x) => x.name === 'four-classes-scores')!;
    const m = identity(c.classes, backend);
    m.compile({
      loss: 'mse',
      metrics: [
        'accuracy',
        'f1',
        'precision_weighted',
        'recall_micro',
        'f1_weighted',
        'auc',
        'auc_weighted',
        'top2',
        'top3',
      ],
    });
    // Batches of 7 rows: the confusion matrix and the scores accumulate across batches.
    const r = m.evaluate(c.scores!, c.y, { batchSize: 7 });
    close(r.accuracy!, c.accuracy, 'accuracy');
    close(r.f1!, c.macro.f1, 'f1 (macro)');
    close(r.precision_weighted!, c.weighted.precision, 'precision_weighted');
    close(r.recall_micro!, c.micro.recall, 'recall_micro');
    close(r.f1_weighted!, c.weighted.f1, 'f1_weighted');
    close(r.auc!, c.aucMacro!, 'auc');
    close(r.auc_weighted!, c.aucWeighted!, 'auc_weighted');
    close(r.top2!, c.top2!, 'top2');
    close(r.top3!, c.top3!, 'top3');
    m.dispose();
  });

  it('binary (one sigmoid-free output, threshold 0.5): precision, recall, f1, auc', () => {
    for (const c of fx.binary) {
      const m = identity(1, backend);
      m.compile({ loss: 'mse', metrics: ['precision', 'recall', 'f1', 'auc'] });
      const r = m.evaluate(
        c.scores.map((s) => [s]),
        c.y.map((v) => [v]),
        { batchSize: 16 },
      );
      close(r.precision!, c.precision, `${c.name} precision`);
      close(r.recall!, c.recall, `${c.name} recall`);
      close(r.f1!, c.f1, `${c.name} f1`);
      close(r.auc!, c.auc, `${c.name} auc`);
      m.dispose();
    }
  });

  it('regression: mse, mae, r2 from the regression_sums kernel', () => {
    for (const c of fx.regression) {
      const m = identity(c.cols, backend);
      m.compile({ loss: 'mse', metrics: ['mse', 'mae', 'r2'] });
      const rows = c.y.length / c.cols;
      const r = m.evaluate(
        { data: Float32Array.from(c.pred), shape: [rows, c.cols] },
        { data: Float32Array.from(c.y), shape: [rows, c.cols] },
        { batchSize: 8 },
      );
      close(r.mse!, c.mse, `${c.name} mse`);
      close(r.mae!, c.mae, `${c.name} mae`);
      close(r.r2!, c.r2, `${c.name} r2`);
      close(r.loss, c.mse, `${c.name} loss (mse)`); // the loss agrees with the metric
      m.dispose();
    }
  });
});
