// Classification metrics from integer labels: the confusion matrix, and precision / recall / F1 / accuracy read
// off it (n² work, whatever the row count). Undefined ratios follow scikit-learn's zero_division=0: a class never
// predicted has precision 0 (not "skipped"), and still counts in the macro average.
import { checkOptions } from '../args.js';
import { SimdnetError, check } from '../errors.js';

/** Counts of (true class, predicted class) pairs. */
export interface ConfusionMatrix {
  /** Number of classes (the matrix is classes × classes). */
  classes: number;
  /** Row-major counts: `counts[t * classes + p]` rows of true class t predicted as p. */
  counts: Int32Array;
}

/** How per-class values are combined: per class (`'none'`), unweighted mean, support-weighted mean, global counts, or the positive class. */
export type Average = 'macro' | 'weighted' | 'micro' | 'binary' | 'none';

/** Options of the label metrics. */
export interface LabelMetricOptions {
  /**
   * Number of classes; labels must be integers in [0, classes). Default: 1 + the largest label in either array, and
   * the averages then take only the classes that occur in either array (scikit-learn's default labels); given, every
   * class 0..classes−1 counts (scikit-learn's `labels=range(classes)`), a class never seen scoring 0.
   */
  classes?: number;
  /** Default 'macro' with more than two classes, 'binary' (class `positive`) with two. */
  average?: Average;
  /** The positive class for average 'binary' (default 1). */
  positive?: number;
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** Checks an array of integer class labels; returns its largest label. */
function checkLabels(a: unknown, what: string, classes: number | undefined): number {
  check(
    a !== null && typeof a === 'object' && typeof (a as ArrayLike<number>).length === 'number',
    'DTYPE',
    () => `${what} must be an array of class labels, got ${kindOf(a)}`,
  );
  const arr = a as ArrayLike<unknown>;
  let max = -1;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    check(
      typeof v === 'number' && Number.isInteger(v) && v >= 0,
      'RANGE',
      () => `${what}[${i}] is ${typeof v === 'number' ? v : JSON.stringify(v)}, expected an integer class label >= 0`,
    );
    check(
      classes === undefined || v < classes,
      'RANGE',
      () => `${what}[${i}] is ${v as number}, outside [0, ${classes})`,
    );
    if (v > max) max = v;
  }
  return max;
}

function checkClasses(classes: unknown, where: string): number | undefined {
  if (classes === undefined) return undefined;
  check(
    typeof classes === 'number' && Number.isInteger(classes) && classes >= 1 && classes <= 65536,
    'RANGE',
    () => `${where}: classes must be an integer in [1, 65536], got ${String(classes)}`,
  );
  return classes;
}

/**
 * The confusion matrix of integer labels: row = true class, column = predicted class (scikit-learn's layout).
 * @param classes matrix size (default 1 + the largest label).
 * @throws SimdnetError SHAPE (lengths differ), EMPTY (no rows), RANGE (a label that is not an integer in range).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes?: number): ConfusionMatrix {
  const k0 = checkClasses(classes, 'confusionMatrix()');
  const mt = checkLabels(yTrue, 'yTrue', k0);
  const mp = checkLabels(yPred, 'yPred', k0);
  check(
    yTrue.length === yPred.length,
    'SHAPE',
    () => `confusionMatrix(): ${yTrue.length} true labels but ${yPred.length} predictions`,
  );
  check(yTrue.length > 0, 'EMPTY', 'confusionMatrix(): no labels');
  const k = k0 ?? Math.max(mt, mp) + 1;
  const counts = new Int32Array(k * k);
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i] * k + yPred[i]]++;
  return { classes: k, counts };
}

/** Per-class counts of a confusion matrix. */
interface Tallies {
  tp: Float64Array;
  /** Rows of each true class (support) and predictions of each class. */
  support: Float64Array;
  predicted: Float64Array;
  total: number;
}

function tallies(cm: ConfusionMatrix): Tallies {
  const k = cm.classes;
  const tp = new Float64Array(k);
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  let total = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const c = cm.counts[t * k + p];
      support[t] += c;
      predicted[p] += c;
      total += c;
    }
    tp[t] = cm.counts[t * k + t];
  }
  return { tp, support, predicted, total };
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0); // zero_division = 0
const harmonic = (p: number, r: number): number => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Precision, recall and F1 of one class or one average. */
export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

/** One class's row of a {@link ClassificationReport}. */
export interface ClassStats extends PRF {
  name: string;
  /** Rows whose true class this is. */
  support: number;
}

/** Per-class precision, recall, F1 (0 where undefined, as scikit-learn's zero_division=0). */
function perClass(t: Tallies): PRF[] {
  const out: PRF[] = [];
  for (let c = 0; c < t.tp.length; c++) {
    const precision = ratio(t.tp[c], t.predicted[c]);
    const recall = ratio(t.tp[c], t.support[c]);
    out.push({ precision, recall, f1: harmonic(precision, recall) });
  }
  return out;
}

/** Averages over the classes in `use` (all when undefined). */
function averaged(t: Tallies, per: PRF[], average: 'macro' | 'weighted' | 'micro', use?: boolean[]): PRF {
  const on = (c: number): boolean => use === undefined || use[c];
  if (average === 'micro') {
    let tp = 0;
    let pred = 0;
    let sup = 0;
    for (let c = 0; c < per.length; c++) {
      if (!on(c)) continue;
      tp += t.tp[c];
      pred += t.predicted[c];
      sup += t.support[c];
    }
    const precision = ratio(tp, pred);
    const recall = ratio(tp, sup);
    return { precision, recall, f1: harmonic(precision, recall) };
  }
  let wsum = 0;
  const acc = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < per.length; c++) {
    if (!on(c)) continue;
    const w = average === 'macro' ? 1 : t.support[c];
    wsum += w;
    acc.precision += w * per[c].precision;
    acc.recall += w * per[c].recall;
    acc.f1 += w * per[c].f1;
  }
  return { precision: ratio(acc.precision, wsum), recall: ratio(acc.recall, wsum), f1: ratio(acc.f1, wsum) };
}

/**
 * Precision, recall and F1 from a confusion matrix. `average`: 'macro' (mean over classes, each counting even when
 * undefined — then 0), 'weighted' (by support), 'micro' (global counts; equals accuracy for single-label data),
 * 'binary' (class `positive`, default 1), or 'none' (one entry per class).
 */
export function scoresFromConfusion(
  cm: ConfusionMatrix,
  average: Average = 'macro',
  positive = 1,
  use?: boolean[],
): PRF | PRF[] {
  checkConfusion(cm, 'scoresFromConfusion()');
  const t = tallies(cm);
  const per = perClass(t);
  if (average === 'none') return per;
  if (average === 'binary') {
    check(
      Number.isInteger(positive) && positive >= 0 && positive < cm.classes,
      'RANGE',
      () => `positive class ${positive} is outside [0, ${cm.classes})`,
    );
    return per[positive];
  }
  check(
    average === 'macro' || average === 'weighted' || average === 'micro',
    'RANGE',
    () => `average must be 'macro', 'weighted', 'micro', 'binary' or 'none', got ${JSON.stringify(average)}`,
  );
  return averaged(t, per, average, use);
}

/** Fraction of rows on the diagonal of a confusion matrix. */
export function accuracyFromConfusion(cm: ConfusionMatrix): number {
  checkConfusion(cm, 'accuracyFromConfusion()');
  const t = tallies(cm);
  let tp = 0;
  for (let c = 0; c < cm.classes; c++) tp += t.tp[c];
  return ratio(tp, t.total);
}

function checkConfusion(cm: unknown, where: string): asserts cm is ConfusionMatrix {
  const o = cm as ConfusionMatrix;
  check(
    typeof o === 'object' &&
      o !== null &&
      Number.isInteger(o.classes) &&
      o.classes >= 1 &&
      o.counts instanceof Int32Array &&
      o.counts.length === o.classes * o.classes,
    'DTYPE',
    () => `${where} takes a confusion matrix { classes, counts: Int32Array(classes²) }, got ${kindOf(cm)}`,
  );
}

/** Classes that occur in either array (scikit-learn's default labels) when `classes` was not given. */
function present(cm: ConfusionMatrix): boolean[] {
  const t = tallies(cm);
  return Array.from({ length: cm.classes }, (_, c) => t.support[c] > 0 || t.predicted[c] > 0);
}

function labelMetric(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: LabelMetricOptions,
  which: keyof PRF,
  where: string,
): number | number[] {
  checkOptions(options, where, { classes: 'count', positive: 'index', average: 'string' });
  const o = options ?? {};
  const average = o.average ?? undefined;
  check(
    average === undefined || ['macro', 'weighted', 'micro', 'binary', 'none'].includes(average),
    'RANGE',
    () => `${where}: average must be 'macro', 'weighted', 'micro', 'binary' or 'none', got ${JSON.stringify(average)}`,
  );
  const cm = confusionMatrix(yTrue, yPred, o.classes ?? undefined);
  const positive = o.positive ?? 1;
  check(
    positive < Math.max(2, cm.classes),
    'RANGE',
    () => `${where}: positive class ${positive} is outside [0, ${Math.max(2, cm.classes)})`,
  );
  return metricOf(
    cm,
    average ?? (cm.classes <= 2 ? 'binary' : 'macro'),
    positive,
    o.classes ?? undefined,
    which,
    where,
  );
}

function metricOf(
  cm: ConfusionMatrix,
  average: Average,
  positive: number,
  classes: number | undefined,
  which: keyof PRF,
  where: string,
): number | number[] {
  if (average === 'binary') {
    check(
      cm.classes <= 2,
      'RANGE',
      () =>
        `${where}: average 'binary' needs two classes, the labels have ${cm.classes}; choose 'macro', 'weighted' or 'micro'`,
    );
    if (cm.classes < 2) {
      // Only class 0 anywhere: class 1 has no rows and no predictions.
      check(positive === 0 || positive === 1, 'RANGE', () => `positive class ${positive} is outside [0, 2)`);
      return positive === 0 ? (scoresFromConfusion(cm, 'binary', 0) as PRF)[which] : 0;
    }
  }
  const r = scoresFromConfusion(cm, average, positive, classes === undefined ? present(cm) : undefined);
  return Array.isArray(r) ? r.map((s) => s[which]) : r[which];
}

/** Fraction of labels predicted exactly. @throws SimdnetError SHAPE / EMPTY / RANGE as {@link confusionMatrix}. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return accuracyFromConfusion(confusionMatrix(yTrue, yPred));
}

/** Precision tp / (tp + fp): binary (class 1) for two classes, else macro by default; 0 where undefined (see {@link LabelMetricOptions}). */
export function precision(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: LabelMetricOptions = {},
): number | number[] {
  return labelMetric(yTrue, yPred, options, 'precision', 'precision()');
}

/** Recall tp / (tp + fn): binary (class 1) for two classes, else macro by default; 0 where undefined. */
export function recall(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: LabelMetricOptions = {},
): number | number[] {
  return labelMetric(yTrue, yPred, options, 'recall', 'recall()');
}

/** F1, the harmonic mean of precision and recall: binary for two classes, else macro by default; 0 where undefined. */
export function f1Score(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: LabelMetricOptions = {},
): number | number[] {
  return labelMetric(yTrue, yPred, options, 'f1', 'f1Score()');
}

/** What {@link classificationReport} returns: scikit-learn's report as data, and its text via `toString()`. */
export interface ClassificationReport {
  accuracy: number;
  /** Rows scored. */
  total: number;
  perClass: ClassStats[];
  macro: PRF;
  weighted: PRF;
  /** Global counts (equal to accuracy when every class occurs in the labels or the predictions). */
  micro: PRF;
  /** The confusion matrix it was read from. */
  confusion: ConfusionMatrix;
  /** The table as scikit-learn's classification_report prints it (`digits` decimals, default 2). */
  toString(digits?: number): string;
}

/** Options of {@link classificationReport}. */
export interface ReportOptions {
  /** Class names, one per class (default '0', '1', …). */
  names?: readonly string[];
  /** Number of classes (default: the names' count, else 1 + the largest label). */
  classes?: number;
}

/**
 * Per-class precision, recall, F1 and support, accuracy, and the macro and support-weighted averages — the numbers
 * of scikit-learn's `classification_report(y, pred, labels=range(classes), zero_division=0)`: a class with no
 * predictions has precision 0 and stays in the macro average. Takes labels, or a confusion matrix.
 */
export function classificationReport(
  yTrue: ArrayLike<number> | ConfusionMatrix,
  yPred?: ArrayLike<number> | ReportOptions,
  options: ReportOptions = {},
): ClassificationReport {
  let cm: ConfusionMatrix;
  let opts: ReportOptions;
  if (yTrue !== null && typeof yTrue === 'object' && (yTrue as ConfusionMatrix).counts instanceof Int32Array) {
    cm = yTrue as ConfusionMatrix;
    checkConfusion(cm, 'classificationReport()');
    checkOptions(yPred, 'classificationReport()', { classes: 'count' });
    opts = (yPred as ReportOptions | undefined) ?? {};
  } else {
    opts = options;
    checkOptions(opts, 'classificationReport()', { classes: 'count' });
    opts ??= {};
    cm = confusionMatrix(
      yTrue as ArrayLike<number>,
      yPred as ArrayLike<number>,
      opts.classes ?? opts.names?.length ?? undefined,
    );
  }
  const names = opts.names ?? undefined;
  check(
    names === undefined || (Array.isArray(names) && names.every((n) => typeof n === 'string')),
    'DTYPE',
    'classificationReport(): names must be an array of strings',
  );
  check(
    names === undefined || names.length === cm.classes,
    'SHAPE',
    () => `classificationReport(): ${names!.length} names for ${cm.classes} classes`,
  );
  const t = tallies(cm);
  const per = perClass(t);
  const perStats: ClassStats[] = per.map((s, c) => ({ name: names?.[c] ?? String(c), ...s, support: t.support[c] }));
  const report: ClassificationReport = {
    accuracy: accuracyFromConfusion(cm),
    total: t.total,
    perClass: perStats,
    macro: averaged(t, per, 'macro'),
    weighted: averaged(t, per, 'weighted'),
    micro: averaged(t, per, 'micro'),
    confusion: cm,
    toString: (digits = 2) => formatReport(report, digits),
  };
  return report;
}

/** scikit-learn's report layout: right-aligned names, 9-wide columns, accuracy then the two averages. */
function formatReport(r: ClassificationReport, digits: number): string {
  check(
    Number.isInteger(digits) && digits >= 0 && digits <= 10,
    'RANGE',
    () => `digits must be an integer in [0, 10], got ${digits}`,
  );
  const width = Math.max('weighted avg'.length, digits, ...r.perClass.map((s) => s.name.length));
  const f = (v: number): string => v.toFixed(digits).padStart(9);
  const col = (s: string): string => s.padStart(9);
  const line = (name: string, cells: string[]): string =>
    `${name.padStart(width)} ${cells.map((c) => ` ${c}`).join('')}\n`;
  let out = `${line('', ['precision', 'recall', 'f1-score', 'support'].map(col))}\n`;
  for (const s of r.perClass) out += line(s.name, [f(s.precision), f(s.recall), f(s.f1), col(String(s.support))]);
  out += '\n';
  // As scikit-learn: an 'accuracy' line when every class occurs somewhere, else the micro averages (which then differ).
  const t = tallies(r.confusion);
  if (r.perClass.every((_, c) => t.support[c] > 0 || t.predicted[c] > 0))
    out += line('accuracy', [col(''), col(''), f(r.accuracy), col(String(r.total))]);
  else out += line('micro avg', [f(r.micro.precision), f(r.micro.recall), f(r.micro.f1), col(String(r.total))]);
  out += line('macro avg', [f(r.macro.precision), f(r.macro.recall), f(r.macro.f1), col(String(r.total))]);
  out += line('weighted avg', [f(r.weighted.precision), f(r.weighted.recall), f(r.weighted.f1), col(String(r.total))]);
  return out;
}

/** The confusion matrix as rows of counts (`[true][predicted]`), e.g. for JSON. */
export function confusionRows(cm: ConfusionMatrix): number[][] {
  checkConfusion(cm, 'confusionRows()');
  return Array.from({ length: cm.classes }, (_, t) =>
    Array.from(cm.counts.subarray(t * cm.classes, (t + 1) * cm.classes)),
  );
}

/** @internal for callers that build a matrix from kernel counts. */
export function emptyConfusion(classes: number): ConfusionMatrix {
  if (!(Number.isInteger(classes) && classes >= 1))
    throw new SimdnetError('RANGE', `classes must be a positive integer, got ${classes}`);
  return { classes, counts: new Int32Array(classes * classes) };
}
