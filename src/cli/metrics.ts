/**
 * Evaluation summaries for people: confusion matrix, per-class precision / recall / F1, and regression errors,
 * with plain-text tables. (One pass over the predictions after inference; not a training hot path.)
 */
import { SimdnetError } from '../errors.js';

/** Counts: `at(t, p)` is how many rows of true class t were predicted as p. */
export interface Confusion {
  classes: number;
  /** Row-major classes × classes counts; row = true class, column = predicted class. */
  counts: Int32Array;
}

/** Builds the confusion matrix of integer labels in [0, classes). */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): Confusion {
  if (truth.length !== predicted.length) {
    throw new SimdnetError('SHAPE', `confusionMatrix: ${truth.length} true labels but ${predicted.length} predictions`);
  }
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(Number.isInteger(t) && t >= 0 && t < classes && Number.isInteger(p) && p >= 0 && p < classes)) {
      throw new SimdnetError('RANGE', `confusionMatrix: row ${i} has label ${t} / prediction ${p}, outside [0, ${classes})`);
    }
    counts[t * classes + p]++;
  }
  return { classes, counts };
}

/** Precision, recall, F1 and support of one class. Precision/recall are NaN when undefined (no predictions / no rows). */
export interface ClassStats {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Accuracy, per-class statistics and their macro averages (over classes where each is defined). */
export interface ClassReport {
  accuracy: number;
  total: number;
  perClass: ClassStats[];
  macro: { precision: number; recall: number; f1: number };
}

/** Per-class precision/recall/F1 from a confusion matrix. */
export function classReport(cm: Confusion, names: readonly string[]): ClassReport {
  const k = cm.classes;
  let total = 0;
  let correct = 0;
  const perClass: ClassStats[] = [];
  for (let c = 0; c < k; c++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += cm.counts[c * k + j];
      col += cm.counts[j * k + c];
    }
    const tp = cm.counts[c * k + c];
    total += row;
    correct += tp;
    const precision = col > 0 ? tp / col : NaN;
    const recall = row > 0 ? tp / row : NaN;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : precision === 0 && recall === 0 ? 0 : NaN;
    perClass.push({ name: names[c] ?? String(c), precision, recall, f1, support: row });
  }
  const mean = (key: 'precision' | 'recall' | 'f1'): number => {
    const vals = perClass.map((s) => s[key]).filter((v) => !Number.isNaN(v));
    return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN;
  };
  return { accuracy: total ? correct / total : NaN, total, perClass, macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') } };
}

const pct = (v: number): string => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);

function table(rows: string[][], alignLeft: (c: number) => boolean): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((s, c) => (alignLeft(c) ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  ').trimEnd()).join('\n');
}

/** A per-class table: class, precision, recall, F1, support, then the macro average. */
export function formatClassReport(r: ClassReport): string {
  const rows = [['class', 'precision', 'recall', 'f1', 'support']];
  for (const s of r.perClass) rows.push([s.name, pct(s.precision), pct(s.recall), pct(s.f1), String(s.support)]);
  rows.push(['macro avg', pct(r.macro.precision), pct(r.macro.recall), pct(r.macro.f1), String(r.total)]);
  return table(rows, (c) => c === 0);
}

/** The confusion matrix as a table: rows are true classes, columns predicted ones. */
export function formatConfusion(cm: Confusion, names: readonly string[]): string {
  const k = cm.classes;
  const label = (c: number): string => names[c] ?? String(c);
  const rows = [['true \\ predicted', ...Array.from({ length: k }, (_, c) => label(c))]];
  for (let t = 0; t < k; t++) rows.push([label(t), ...Array.from({ length: k }, (_, p) => String(cm.counts[t * k + p]))]);
  return table(rows, (c) => c === 0);
}

/** Mean squared error, mean absolute error and R² (over all outputs) of a regression. */
export interface RegressionStats {
  mse: number;
  mae: number;
  r2: number;
}

/** Regression errors of predictions against targets (same length, row-major). */
export function regressionStats(pred: ArrayLike<number>, target: ArrayLike<number>, cols: number): RegressionStats {
  if (pred.length !== target.length) throw new SimdnetError('SHAPE', `regressionStats: ${pred.length} predictions for ${target.length} targets`);
  const n = target.length;
  const rows = n / cols;
  const mean = new Float64Array(cols);
  for (let i = 0; i < n; i++) mean[i % cols] += target[i] / rows;
  let se = 0;
  let ae = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i] - target[i];
    se += d * d;
    ae += Math.abs(d);
    const m = target[i] - mean[i % cols];
    tot += m * m;
  }
  return { mse: se / n, mae: ae / n, r2: tot > 0 ? 1 - se / tot : NaN };
}
