// Metrics named in compile({ metrics }) / evaluate({ metrics }), accumulated batch by batch while a model is scored
// on rows resident in the engine (evaluate, and fit's per-epoch validation). The confusion matrix is counted by a
// kernel (confusion_counts) on the batch's outputs and targets; precision / recall / F1 then read it (n² work).
// AUC and top-k keep the scores (one copy per batch), regression metrics sum per column in a kernel.
import { check } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { scoresFromConfusion, type Average, type ConfusionMatrix, type PRF } from './classification.js';
import { binaryAuc, r2Of, topKCount, totalSquares } from './scores.js';

/**
 * Built-in metric names. 'precision' / 'recall' / 'f1' are binary (class 1) for two classes (one sigmoid output or
 * two softmax outputs, as scikit-learn's default) and macro averages for more; `_macro`, `_weighted`, `_micro` choose the average. 'auc': ROC AUC (binary, or one-vs-rest
 * macro; 'auc_weighted' by support). 'topK' for an integer K ('top5'): top-K accuracy. 'mse', 'mae', 'r2':
 * regression. 'accuracy' is the training log's accuracy.
 */
export type MetricName =
  | 'accuracy'
  | 'precision'
  | 'recall'
  | 'f1'
  | `${'precision' | 'recall' | 'f1'}_${'macro' | 'weighted' | 'micro'}`
  | 'auc'
  | 'auc_weighted'
  | `top${number}`
  | 'mse'
  | 'mae'
  | 'r2';

/** What a custom metric's function is told besides the values. */
export interface MetricInfo {
  /** Rows scored. */
  rows: number;
  /** Values per row of `outputs` and of `targets`. */
  outputs: number;
  targetCols: number;
}

/**
 * A metric of your own: `fn` sees every row's outputs (probabilities after softmax/sigmoid; rows × outputs) and
 * targets (rows × targetCols) at once, as plain Float32Arrays (copies: keep them if you like), and returns a number.
 */
export interface CustomMetric {
  name: string;
  fn(outputs: Float32Array, targets: Float32Array, info: MetricInfo): number;
}

/** A metric for compile() or evaluate(): a built-in name or a {@link CustomMetric}. */
export type Metric = MetricName | CustomMetric;

/** A checked metric list (what planMetrics() makes of a compile() or evaluate() metrics option). */
export interface MetricPlan {
  /** Whether 'accuracy' was asked for. */
  accuracy: boolean;
  /** Everything else, in the order given. */
  items: Array<
    | { key: string; kind: 'prf'; which: keyof PRF; average?: Average }
    | { key: string; kind: 'auc'; weighted: boolean }
    | { key: string; kind: 'top'; k: number }
    | { key: string; kind: 'mse' | 'mae' | 'r2' }
    | { key: string; kind: 'custom'; fn: CustomMetric['fn'] }
  >;
}

const PRF_RE = /^(precision|recall|f1)(?:_(macro|weighted|micro))?$/;

/** Checks a metrics option (RANGE naming the unknown entry); `where` is the calling function. */
export function planMetrics(list: unknown, where: string): MetricPlan {
  const given = list === undefined || list === null ? [] : list;
  check(Array.isArray(given), 'RANGE', () => `${where}: metrics must be an array, such as ['accuracy', 'f1']`);
  const plan: MetricPlan = { accuracy: false, items: [] };
  const keys = new Set<string>();
  for (const m of given as unknown[]) {
    let key: string;
    if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
      const c = m as Partial<CustomMetric>;
      check(
        typeof c.name === 'string' && /^[A-Za-z_][\w.-]*$/.test(c.name),
        'RANGE',
        () => `${where}: a custom metric needs a name (letters, digits, _ . -), got ${JSON.stringify(c.name)}`,
      );
      check(
        typeof c.fn === 'function',
        'RANGE',
        () => `${where}: custom metric '${c.name}' needs fn(outputs, targets, info) → number`,
      );
      key = c.name;
      plan.items.push({ key, kind: 'custom', fn: c.fn.bind(c) });
    } else {
      check(
        typeof m === 'string',
        'RANGE',
        () =>
          `${where}: a metric is a name or { name, fn }, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`,
      );
      key = m;
      const prf = PRF_RE.exec(m);
      const top = /^top([1-9]\d{0,3})$/.exec(m);
      if (m === 'accuracy') plan.accuracy = true;
      else if (prf)
        plan.items.push({
          key,
          kind: 'prf',
          which: prf[1] as keyof PRF,
          ...(prf[2] ? { average: prf[2] as Average } : {}),
        });
      else if (m === 'auc' || m === 'auc_weighted')
        plan.items.push({ key, kind: 'auc', weighted: m === 'auc_weighted' });
      else if (top) plan.items.push({ key, kind: 'top', k: Number(top[1]) });
      else if (m === 'mse' || m === 'mae' || m === 'r2') plan.items.push({ key, kind: m });
      else {
        check(
          false,
          'RANGE',
          `${where}: unknown metric ${JSON.stringify(m)}; known: accuracy, precision, recall, f1 (and _macro / _weighted / _micro), auc, auc_weighted, top<K> (e.g. top5), mse, mae, r2, or { name, fn }`,
        );
      }
    }
    check(
      key !== 'loss' && !keys.has(key),
      'RANGE',
      () => `${where}: metric '${key}' is given twice (or is named 'loss')`,
    );
    keys.add(key);
  }
  return plan;
}

/**
 * Checks that a plan's metrics can read targets of `tc` columns for `n` outputs (RANGE naming the metric and the
 * loss otherwise): done by compile(), so a run is refused before it trains, not at its first validation.
 */
export function checkMetricTargets(plan: MetricPlan, n: number, tc: number, loss: string): void {
  for (const it of plan.items) {
    if (it.kind === 'custom') continue;
    const regression = it.kind === 'mse' || it.kind === 'mae' || it.kind === 'r2';
    const ok = regression ? tc === n : tc === n || (tc === 1 && n > 1);
    check(
      ok,
      'RANGE',
      () =>
        `metric '${it.key}' reads targets of ${regression ? `${n} columns` : `${n} columns (one-hot) or class indices`}, but loss '${loss}' takes ${tc} a row: leave it out while training with this loss`,
    );
  }
}

/** The names a plan reports, for saving compile settings (custom metrics are code: not saved). */
export function savedMetricNames(list: readonly Metric[] | undefined): MetricName[] {
  return (list ?? []).filter((m): m is MetricName => typeof m === 'string');
}

/**
 * @internal Accumulates a plan's metrics over batches of outputs (rows × n at p, activated) and targets (rows ×
 * targetCols at t) in engine memory. Targets are one-hot / probability rows (targetCols = n), class indices
 * (targetCols = 1 with several outputs), or 0/1 (one output).
 */
export class MetricAccumulator {
  private cm = 0;
  private idx = 0;
  private sums = 0;
  private readonly se: Float64Array;
  private readonly ae: Float64Array;
  private readonly scores: Float32Array | undefined;
  private readonly targets: Float32Array | undefined;
  private readonly labels: Int32Array | undefined;
  private readonly host: Int32Array | undefined;
  private seen = 0;

  constructor(
    private readonly plan: MetricPlan,
    private readonly e: Engine,
    private readonly n: number,
    private readonly tc: number,
    rows: number,
  ) {
    const kinds = new Set(plan.items.map((i) => i.kind));
    const classify = kinds.has('prf') || kinds.has('auc') || kinds.has('top');
    if (classify) {
      check(
        tc === n || (tc === 1 && n > 1),
        'RANGE',
        () =>
          `classification metrics need targets of ${n} columns (one-hot) or class indices; these targets have ${tc} columns`,
      );
    }
    if (kinds.has('mse') || kinds.has('mae') || kinds.has('r2')) {
      check(
        tc === n,
        'RANGE',
        () => `regression metrics need targets of ${n} columns (as the outputs); these have ${tc}`,
      );
    }
    const k = Math.max(2, n);
    const cmFloats = k * k;
    this.se = new Float64Array(n);
    this.ae = new Float64Array(n);
    try {
      if (kinds.has('prf')) {
        this.cm = e.allocF32(cmFloats);
        e.k.fill_f32(this.cm, cmFloats, 0); // all-zero bits: i32 zeros
      }
      if (kinds.has('mse') || kinds.has('mae') || kinds.has('r2')) this.sums = e.allocF32(2 * n);
      if (tc === n && n > 1 && (kinds.has('auc') || kinds.has('top'))) this.idx = e.allocF32(Math.max(4, rows));
    } catch (err) {
      this.dispose();
      throw err;
    }
    if (kinds.has('auc') || kinds.has('top') || kinds.has('custom')) this.scores = new Float32Array(rows * n);
    if (kinds.has('auc') || kinds.has('top')) this.labels = new Int32Array(rows);
    if (kinds.has('r2') || kinds.has('custom')) this.targets = new Float32Array(rows * tc);
    if (kinds.has('prf') && tc === 1 && n > 1) this.host = new Int32Array(n * n);
  }

  /** Adds m rows: outputs at p (m × n), targets at t (m × targetCols). */
  batch(p: number, t: number, m: number): void {
    const { e, n, tc } = this;
    const k = e.k;
    const row = this.seen;
    if (this.cm) {
      if (n === 1) k.confusion_counts_binary(this.cm, p, t, m, 0.5);
      else if (tc === n) k.confusion_counts(this.cm, p, t, m, n);
      else {
        // Class-index targets: predictions by the argmax kernel, counted here (m adds).
        const idx = e.allocF32(Math.max(4, m));
        try {
          k.argmax_rows(idx, p, m, n);
          const pred = e.i32(idx, m);
          const tv = e.f32(t, m);
          for (let r = 0; r < m; r++) {
            const c = tv[r];
            check(
              Number.isInteger(c) && c >= 0 && c < n,
              'RANGE',
              () => `target of row ${row + r} is ${c}, not a class index in [0, ${n})`,
            );
            this.host![c * n + pred[r]]++;
          }
        } finally {
          e.free(idx);
        }
      }
    }
    if (this.sums) {
      k.regression_sums(this.sums, p, t, m, n);
      const s = e.f32(this.sums, 2 * n);
      for (let j = 0; j < n; j++) {
        this.se[j] += s[j];
        this.ae[j] += s[n + j];
      }
    }
    if (this.scores) this.scores.set(e.f32(p, m * n), row * n);
    if (this.targets) this.targets.set(e.f32(t, m * tc), row * tc);
    if (this.labels) {
      if (n === 1 || tc === 1) {
        const tv = e.f32(t, m);
        for (let r = 0; r < m; r++) this.labels[row + r] = n === 1 ? (tv[r] >= 0.5 ? 1 : 0) : tv[r];
      } else {
        k.argmax_rows(this.idx, t, m, n);
        this.labels.set(e.i32(this.idx, m), row);
      }
    }
    this.seen += m;
  }

  /** The confusion matrix counted so far (binary models: 2 × 2). */
  confusion(): ConfusionMatrix | undefined {
    if (this.host) return { classes: this.n, counts: this.host.slice() };
    if (!this.cm) return undefined;
    const k = Math.max(2, this.n);
    return { classes: k, counts: this.e.i32(this.cm, k * k).slice() };
  }

  /** Every metric of the plan, by key. */
  result(): Record<string, number> {
    const out: Record<string, number> = {};
    const cm = this.confusion();
    const rows = this.seen;
    for (const it of this.plan.items) {
      switch (it.kind) {
        case 'prf': {
          // As scikit-learn's default: two classes (one sigmoid output or two softmax ones) score class 1.
          const average = it.average ?? (this.n <= 2 ? 'binary' : 'macro');
          out[it.key] = (scoresFromConfusion(cm!, average) as PRF)[it.which];
          break;
        }
        case 'auc':
          out[it.key] = this.auc(it.weighted);
          break;
        case 'top':
          out[it.key] = this.n === 1 ? NaN : topKCount(this.labels!, this.scores!, rows, this.n, it.k) / rows;
          break;
        case 'mse':
        case 'mae': {
          const s = it.kind === 'mse' ? this.se : this.ae;
          out[it.key] = s.reduce((a, b) => a + b, 0) / (rows * this.n);
          break;
        }
        case 'r2': {
          const tot = totalSquares(this.targets!, rows, this.n);
          let r2 = 0;
          for (let j = 0; j < this.n; j++) r2 += r2Of(this.se[j], tot[j]);
          out[it.key] = r2 / this.n;
          break;
        }
        case 'custom': {
          const v = it.fn(this.scores!, this.targets!, { rows, outputs: this.n, targetCols: this.tc });
          check(
            typeof v === 'number' && !Number.isNaN(v),
            'RANGE',
            () => `custom metric '${it.key}' returned ${typeof v === 'number' ? v : typeof v}, not a number`,
          );
          out[it.key] = v;
          break;
        }
      }
    }
    return out;
  }

  /** ROC AUC: binary, or one-vs-rest over the classes (NaN when a class has no rows or all of them). */
  private auc(weighted: boolean): number {
    const { n } = this;
    const y = this.labels!;
    if (n === 1)
      return binaryAuc(
        Array.from(y, (v) => v === 1),
        this.scores!,
      );
    let s = 0;
    let w = 0;
    for (let c = 0; c < n; c++) {
      const pos = Array.from(y, (v) => v === c);
      const support = pos.filter(Boolean).length;
      const a = binaryAuc(pos, this.scores!, n, c);
      s += weighted ? a * support : a;
      w += weighted ? support : 1;
    }
    return s / w;
  }

  /** Gives the engine memory back. */
  dispose(): void {
    this.e.free(this.cm);
    this.e.free(this.sums);
    this.e.free(this.idx);
    this.cm = this.sums = this.idx = 0;
  }
}
