/**
 * Evaluation summaries for people: the library's classification report and confusion matrix (src/metrics, the
 * numbers scikit-learn gives) as plain-text tables in percent, and regression errors.
 */
import type { ClassificationReport, ConfusionMatrix } from '../metrics/classification.js';
import { meanAbsoluteError, meanSquaredError, r2Score } from '../metrics/scores.js';

const pct = (v: number): string => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);

function table(rows: string[][], alignLeft: (c: number) => boolean): string {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((s, c) => (alignLeft(c) ? s.padEnd(w[c]) : s.padStart(w[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * A per-class table: class, precision, recall, F1, support, then the macro and support-weighted averages. A class
 * the model never predicts has precision 0 and counts in the macro average (scikit-learn's zero_division=0).
 */
export function formatClassReport(r: ClassificationReport): string {
  const rows = [['class', 'precision', 'recall', 'f1', 'support']];
  for (const s of r.perClass) rows.push([s.name, pct(s.precision), pct(s.recall), pct(s.f1), String(s.support)]);
  rows.push(['macro avg', pct(r.macro.precision), pct(r.macro.recall), pct(r.macro.f1), String(r.total)]);
  rows.push(['weighted avg', pct(r.weighted.precision), pct(r.weighted.recall), pct(r.weighted.f1), String(r.total)]);
  return table(rows, (c) => c === 0);
}

/** The confusion matrix as a table: rows are true classes, columns predicted ones. */
export function formatConfusion(cm: ConfusionMatrix, names: readonly string[]): string {
  const k = cm.classes;
  const label = (c: number): string => names[c] ?? String(c);
  const rows = [['true \\ predicted', ...Array.from({ length: k }, (_, c) => label(c))]];
  for (let t = 0; t < k; t++)
    rows.push([label(t), ...Array.from({ length: k }, (_, p) => String(cm.counts[t * k + p]))]);
  return table(rows, (c) => c === 0);
}

/** Mean squared error, mean absolute error and R² (scikit-learn's: averaged over the target columns). */
export interface RegressionStats {
  mse: number;
  mae: number;
  r2: number;
}

/** Regression errors of predictions against targets (same length, row-major, `cols` targets a row). */
export function regressionStats(pred: Float32Array, target: Float32Array, cols: number): RegressionStats {
  const rows = target.length / cols;
  const t = { data: target, rows, cols };
  const p = { data: pred, rows, cols };
  return { mse: meanSquaredError(t, p), mae: meanAbsoluteError(t, p), r2: rows >= 2 ? r2Score(t, p) : NaN };
}
