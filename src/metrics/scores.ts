// Metrics on scores (ROC AUC, top-k accuracy) and on regression values (MSE, MAE, R²), as scikit-learn defines them.
import { toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { checkOptions } from '../args.js';
import { check } from '../errors.js';

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function labelsOf(y: unknown, what: string, classes: number): ArrayLike<number> {
  check(
    y !== null && typeof y === 'object' && typeof (y as ArrayLike<number>).length === 'number',
    'DTYPE',
    () => `${what} must be an array of class labels, got ${kindOf(y)}`,
  );
  const a = y as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    check(
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < classes,
      'RANGE',
      () =>
        `${what}[${i}] is ${typeof v === 'number' ? v : JSON.stringify(v)}, expected a class label in [0, ${classes})`,
    );
  }
  return a as ArrayLike<number>;
}

/**
 * Area under the ROC curve of one class against the rest: the probability that a random positive scores above a
 * random negative, a tie counting half (what scikit-learn's trapezoids over distinct thresholds give). NaN when
 * the rows hold only one of the two sides.
 */
export function binaryAuc(
  positive: ArrayLike<boolean | number>,
  scores: ArrayLike<number>,
  stride = 1,
  offset = 0,
): number {
  const n = positive.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = (i: number): number => scores[i * stride + offset];
  order.sort((a, b) => s(a) - s(b));
  // Mann–Whitney U with mid-ranks for ties.
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && s(order[j]) === s(order[i])) j++;
    const mid = (i + j + 1) / 2; // ranks i+1..j, averaged
    for (let q = i; q < j; q++) {
      if (positive[order[q]]) {
        rankSum += mid;
        pos++;
      }
    }
    i = j;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Options of {@link rocAuc}. */
export interface AucOptions {
  /** One-vs-rest average over classes: 'macro' (default) or 'weighted' by support; 'none' gives one AUC per class. */
  average?: 'macro' | 'weighted' | 'none';
}

function finiteScores(m: Matrix, where: string): void {
  for (let i = 0; i < m.data.length; i++)
    check(Number.isFinite(m.data[i]), 'NONFINITE', () => `${where}: score ${i} is ${m.data[i]}`);
}

/**
 * ROC AUC. Binary: `yTrue` 0/1 and one score per row (the positive class's probability; a rows × 2 matrix uses its
 * second column). Several classes: `yTrue` class indices and a rows × classes matrix of scores, one-vs-rest,
 * averaged 'macro' or 'weighted' (scikit-learn's `roc_auc_score(multi_class='ovr')`).
 * @throws SimdnetError RANGE when a class has no rows or every row is of one class (AUC is undefined there, as
 *   scikit-learn refuses it), SHAPE / DTYPE / NONFINITE for bad inputs.
 */
export function rocAuc(yTrue: ArrayLike<number>, scores: MatrixInput, options: AucOptions = {}): number | number[] {
  checkOptions(options, 'rocAuc()', { average: 'string' });
  const flat =
    ArrayBuffer.isView(scores) || (Array.isArray(scores) && (scores.length === 0 || typeof scores[0] === 'number'));
  const m = toMatrix(scores, 'scores', flat ? 1 : undefined);
  finiteScores(m, 'rocAuc()');
  const k = m.cols === 1 ? 2 : m.cols;
  const y = labelsOf(yTrue, 'yTrue', k);
  check(y.length === m.rows, 'SHAPE', () => `rocAuc(): ${y.length} labels but ${m.rows} rows of scores`);
  const average = options?.average ?? 'macro';
  check(
    average === 'macro' || average === 'weighted' || average === 'none',
    'RANGE',
    () => `rocAuc(): average must be 'macro', 'weighted' or 'none', got ${JSON.stringify(average)}`,
  );
  if (k === 2) {
    const pos = Array.from(y, (v) => v === 1);
    const auc = binaryAuc(pos, m.data, m.cols, m.cols - 1);
    check(!Number.isNaN(auc), 'RANGE', 'rocAuc(): only one class in yTrue; ROC AUC is not defined then');
    return average === 'none' ? [1 - auc, auc] : auc;
  }
  const per: number[] = [];
  const support: number[] = [];
  for (let c = 0; c < k; c++) {
    const pos = Array.from(y, (v) => v === c);
    const auc = binaryAuc(pos, m.data, k, c);
    check(
      !Number.isNaN(auc),
      'RANGE',
      () =>
        `rocAuc(): class ${c} ${pos.some(Boolean) ? 'has every row' : 'has no rows'} in yTrue; one-vs-rest AUC is not defined then`,
    );
    per.push(auc);
    support.push(pos.filter(Boolean).length);
  }
  if (average === 'none') return per;
  if (average === 'macro') return per.reduce((a, b) => a + b, 0) / k;
  return per.reduce((a, v, c) => a + v * support[c], 0) / y.length;
}

/**
 * Fraction of rows whose true class is among the k highest scores (scikit-learn's top_k_accuracy_score: on equal
 * scores the higher class index ranks first).
 */
export function topKAccuracy(yTrue: ArrayLike<number>, scores: MatrixInput, k = 5): number {
  const m = toMatrix(scores, 'scores');
  check(
    typeof k === 'number' && Number.isInteger(k) && k >= 1,
    'RANGE',
    () => `topKAccuracy(): k must be a positive integer, got ${k}`,
  );
  const y = labelsOf(yTrue, 'yTrue', m.cols);
  check(y.length === m.rows, 'SHAPE', () => `topKAccuracy(): ${y.length} labels but ${m.rows} rows of scores`);
  check(m.rows > 0, 'EMPTY', 'topKAccuracy(): no rows');
  return topKCount(y, m.data, m.rows, m.cols, k) / m.rows;
}

/** @internal Rows of scores (rows × n) whose label is in the top k. */
export function topKCount(y: ArrayLike<number>, s: ArrayLike<number>, rows: number, n: number, k: number): number {
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    const t = y[r];
    const st = s[o + t];
    let above = 0;
    for (let j = 0; j < n && above < k; j++) {
      const v = s[o + j];
      if (v > st || (v === st && j > t)) above++;
    }
    if (above < k) hits++;
  }
  return hits;
}

function pairOf(yTrue: MatrixInput, yPred: MatrixInput, where: string): { t: Matrix; p: Matrix } {
  const flat = (v: MatrixInput): boolean =>
    ArrayBuffer.isView(v) || (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number'));
  const t = toMatrix(yTrue, 'yTrue', flat(yTrue) ? 1 : undefined);
  const p = toMatrix(yPred, 'yPred', flat(yPred) ? 1 : undefined);
  check(
    t.rows === p.rows && t.cols === p.cols,
    'SHAPE',
    () => `${where}: yTrue is ${t.rows} × ${t.cols} but yPred is ${p.rows} × ${p.cols}`,
  );
  return { t, p };
}

/** Mean squared error over every value (a matrix: the mean over its columns' MSEs, scikit-learn's uniform average). */
export function meanSquaredError(yTrue: MatrixInput, yPred: MatrixInput): number {
  const { t, p } = pairOf(yTrue, yPred, 'meanSquaredError()');
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += (p.data[i] - t.data[i]) ** 2;
  return s / t.data.length;
}

/** Mean absolute error over every value. */
export function meanAbsoluteError(yTrue: MatrixInput, yPred: MatrixInput): number {
  const { t, p } = pairOf(yTrue, yPred, 'meanAbsoluteError()');
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += Math.abs(p.data[i] - t.data[i]);
  return s / t.data.length;
}

/** @internal R² of one column from its residual sum of squares and its targets' total sum of squares (scikit-learn's force_finite rule). */
export function r2Of(ssRes: number, ssTot: number): number {
  if (ssTot > 0) return 1 - ssRes / ssTot;
  return ssRes === 0 ? 1 : 0;
}

/** @internal Per column: the targets' sum of squared deviations from their mean (two passes, f64). */
export function totalSquares(t: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows * cols; i++) mean[i % cols] += t[i];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const ss = new Float64Array(cols);
  for (let i = 0; i < rows * cols; i++) ss[i % cols] += (t[i] - mean[i % cols]) ** 2;
  return ss;
}

/**
 * Coefficient of determination, 1 − SS_res / SS_tot per column, averaged over columns (scikit-learn's r2_score):
 * a constant target column scores 1 when predicted exactly, else 0.
 */
export function r2Score(yTrue: MatrixInput, yPred: MatrixInput): number {
  const { t, p } = pairOf(yTrue, yPred, 'r2Score()');
  check(t.rows >= 2, 'EMPTY', 'r2Score(): needs at least 2 rows');
  const tot = totalSquares(t.data, t.rows, t.cols);
  const res = new Float64Array(t.cols);
  for (let i = 0; i < t.data.length; i++) res[i % t.cols] += (p.data[i] - t.data[i]) ** 2;
  let s = 0;
  for (let j = 0; j < t.cols; j++) s += r2Of(res[j], tot[j]);
  return s / t.cols;
}
