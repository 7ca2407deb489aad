/**
 * Preprocessing fitted on training data and replayed on new data: per-column standardization and min-max scaling
 * (both serializable, so a saved model can carry them), plus one-hot encoding and decoding of class labels.
 *
 * Scalers do their arithmetic in float64 and return fresh float32 matrices; the input is never modified.
 * A column that is constant in the fitted data (std 0 or range 0) is only shifted (scale 1): it comes out as 0
 * (standardizer) or as the low end of the range (min-max), never NaN.
 */
import { SimdnetError, check } from '../errors.js';
import { type Matrix, type MatrixInput, checkMatrix, formatF32, isFlatNumbers, toMatrix } from './matrix.js';

/** Serialized {@link Standardizer}. */
export type StandardizerJSON = {
  /** What this describes. */
  type: 'standardizer';
  /** Format version. */
  version: 1;
  /** Per column: the mean subtracted. */
  mean: number[];
  /** Per column: the standard deviation divided by. */
  std: number[];
};
/** Serialized {@link MinMaxScaler}. */
export type MinMaxScalerJSON = {
  /** What this describes. */
  type: 'minmax';
  /** Format version. */
  version: 1;
  /** Per column: the smallest value seen when fitting. */
  min: number[];
  /** Per column: the largest value seen when fitting. */
  max: number[];
  /** The interval values are scaled into, e.g. [0, 1]. */
  range: [number, number];
};

function checkFinitePair(lo: number, hi: number, what: string): void {
  check(
    Number.isFinite(lo) && Number.isFinite(hi) && lo < hi,
    'RANGE',
    () => `${what} must be two finite numbers [low, high] with low < high, got [${lo}, ${hi}]`,
  );
}

/** y = (x − offset) · scale, column by column, computed in float64. */
function affine(m: Matrix, offset: Float64Array, scale: Float64Array): Matrix {
  const { rows, cols, data } = m;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    for (let c = 0; c < cols; c++) out[b + c] = (data[b + c] - offset[c]) * scale[c];
  }
  return { data: out, rows, cols };
}

/** Column statistics in one pass: mean (float64), min, max. Variance is a second pass (stable). */
function columnStats(m: Matrix): { mean: Float64Array; std: Float64Array; min: Float64Array; max: Float64Array } {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  const min = new Float64Array(cols).fill(Infinity);
  const max = new Float64Array(cols).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = data[b + c];
      mean[c] += v;
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  const std = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    for (let c = 0; c < cols; c++) {
      const d = data[b + c] - mean[c];
      std[c] += d * d;
    }
  }
  for (let c = 0; c < cols; c++) std[c] = Math.sqrt(std[c] / rows);
  return { mean, std, min, max };
}

function readNumbers(v: unknown, what: string, cols?: number): Float64Array {
  check(Array.isArray(v), 'FORMAT', () => `${what} must be an array of numbers`);
  check(v.length > 0, 'FORMAT', `${what} is empty`);
  check(cols === undefined || v.length === cols, 'FORMAT', () => `${what} has ${v.length} values, expected ${cols}`);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    check(typeof x === 'number' && Number.isFinite(x), 'FORMAT', () => `${what}[${i}] is not a finite number`);
    out[i] = x;
  }
  return out;
}

function readHeader(json: unknown, type: string, what: string): Record<string, unknown> {
  check(typeof json === 'object' && json !== null, 'FORMAT', `${what} JSON must be an object`);
  const o = json as Record<string, unknown>;
  check(o.type === type, 'FORMAT', () => `${what} JSON has type ${JSON.stringify(o.type)}, expected "${type}"`);
  check(
    o.version === 1,
    'FORMAT',
    () => `${what} JSON has version ${JSON.stringify(o.version)}, this build reads version 1`,
  );
  return o;
}

/**
 * Per-column standardization: y = (x − mean) / std with the population std (divide by n) of the fitted data.
 * Fit on the training set only, then transform train, validation and test data with the same statistics.
 */
export class Standardizer {
  private mean_: Float64Array | undefined;
  private std_: Float64Array | undefined;
  private scale_: Float64Array | undefined;

  /** Column means of the fitted data (a copy); throws STATE before `fit`. */
  get mean(): number[] {
    return Array.from(this.fitted().mean);
  }

  /** Column population standard deviations of the fitted data (0 for constant columns; a copy). */
  get std(): number[] {
    return Array.from(this.fitted().std);
  }

  /** Number of columns this scaler was fitted on (0 before `fit`). */
  get cols(): number {
    return this.mean_?.length ?? 0;
  }

  private fitted(): { mean: Float64Array; std: Float64Array; scale: Float64Array } {
    check(this.mean_ !== undefined, 'STATE', 'Standardizer used before fit(): call fit(trainX) first');
    return { mean: this.mean_, std: this.std_!, scale: this.scale_! };
  }

  private setStats(mean: Float64Array, std: Float64Array, constant: (c: number) => boolean): this {
    const scale = new Float64Array(mean.length);
    for (let c = 0; c < mean.length; c++) {
      // A constant column has std 0: leave it centered (scale 1) instead of dividing by zero.
      if (constant(c) || !(std[c] > 0)) {
        std[c] = 0;
        scale[c] = 1;
      } else {
        scale[c] = 1 / std[c];
      }
    }
    this.mean_ = mean;
    this.std_ = std;
    this.scale_ = scale;
    return this;
  }

  /**
   * Learns per-column mean and std from `x` (validated and copied like {@link toMatrix}).
   * @returns this scaler, for chaining.
   */
  fit(x: MatrixInput): this {
    return this.fitMatrix(toMatrix(x, 'x'));
  }

  private fitMatrix(m: Matrix): this {
    const s = columnStats(m);
    // Exact constancy (min == max) decides zero variance, so float rounding in the mean cannot make a constant
    // column look like tiny noise to be blown up; its mean is then exactly its value, so it maps to exactly 0.
    for (let c = 0; c < m.cols; c++) if (s.min[c] === s.max[c]) s.mean[c] = s.min[c];
    return this.setStats(s.mean, s.std, (c) => s.min[c] === s.max[c]);
  }

  /**
   * Standardizes `x` with the fitted statistics into a fresh matrix.
   * @throws SimdnetError STATE before `fit`, SHAPE if the column count differs from the fitted data.
   */
  transform(x: MatrixInput): Matrix {
    const { mean, scale } = this.fitted();
    return affine(toMatrix(x, 'x', mean.length), mean, scale);
  }

  /** `fit(x)` then `transform(x)`. */
  fitTransform(x: MatrixInput): Matrix {
    const m = toMatrix(x, 'x');
    this.fitMatrix(m);
    return affine(m, this.mean_!, this.scale_!);
  }

  /** Maps standardized values back: x = y · std + mean (constant columns: y + mean). */
  inverseTransform(y: MatrixInput): Matrix {
    const { mean, scale } = this.fitted();
    const m = toMatrix(y, 'y', mean.length);
    const out = new Float32Array(m.data.length);
    for (let r = 0; r < m.rows; r++) {
      const b = r * m.cols;
      for (let c = 0; c < m.cols; c++) out[b + c] = m.data[b + c] / scale[c] + mean[c];
    }
    return { data: out, rows: m.rows, cols: m.cols };
  }

  /** Plain JSON (float64 statistics, so the round trip is exact). */
  toJSON(): StandardizerJSON {
    const { mean, std } = this.fitted();
    return { type: 'standardizer', version: 1, mean: Array.from(mean), std: Array.from(std) };
  }

  /**
   * Rebuilds a fitted standardizer from {@link Standardizer.toJSON} output.
   * @throws SimdnetError FORMAT if the object is not a valid serialized standardizer.
   */
  static fromJSON(json: unknown): Standardizer {
    const o = readHeader(json, 'standardizer', 'Standardizer');
    const mean = readNumbers(o.mean, 'Standardizer mean');
    const std = readNumbers(o.std, 'Standardizer std', mean.length);
    for (let c = 0; c < std.length; c++) check(std[c] >= 0, 'FORMAT', () => `Standardizer std[${c}] is negative`);
    return new Standardizer().setStats(mean, std, (c) => std[c] === 0);
  }
}

/**
 * Per-column min-max scaling into `range` (default [0, 1]): y = lo + (x − min) · (hi − lo) / (max − min), using
 * the fitted data's min and max. New data outside the fitted range maps outside `range` (no clipping).
 */
export class MinMaxScaler {
  private min_: Float64Array | undefined;
  private max_: Float64Array | undefined;
  private scale_: Float64Array | undefined;
  /** Target range [low, high]. */
  readonly range: [number, number];

  /** @param range target interval, default [0, 1]; low < high, both finite. */
  constructor(range: readonly [number, number] = [0, 1]) {
    check(
      Array.isArray(range) && range.length === 2,
      'DTYPE',
      () =>
        `new MinMaxScaler(range): range must be [low, high], got ${range === null ? 'null' : Array.isArray(range) ? `an array of ${range.length}` : typeof range}`,
    );
    checkFinitePair(range[0], range[1], 'MinMaxScaler range');
    this.range = [range[0], range[1]];
  }

  /** Column minima of the fitted data (a copy); throws STATE before `fit`. */
  get min(): number[] {
    return Array.from(this.fitted().min);
  }

  /** Column maxima of the fitted data (a copy). */
  get max(): number[] {
    return Array.from(this.fitted().max);
  }

  /** Number of columns this scaler was fitted on (0 before `fit`). */
  get cols(): number {
    return this.min_?.length ?? 0;
  }

  private fitted(): { min: Float64Array; max: Float64Array; scale: Float64Array } {
    check(this.min_ !== undefined, 'STATE', 'MinMaxScaler used before fit(): call fit(trainX) first');
    return { min: this.min_, max: this.max_!, scale: this.scale_! };
  }

  private setStats(min: Float64Array, max: Float64Array): this {
    const span = this.range[1] - this.range[0];
    const scale = new Float64Array(min.length);
    // Range 0 (constant column): shift only, so it maps to the low end of the range instead of NaN.
    for (let c = 0; c < min.length; c++) scale[c] = max[c] > min[c] ? span / (max[c] - min[c]) : 1;
    this.min_ = min;
    this.max_ = max;
    this.scale_ = scale;
    return this;
  }

  private apply(m: Matrix): Matrix {
    const out = affine(m, this.min_!, this.scale_!);
    const lo = this.range[0];
    if (lo !== 0) for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i] + lo;
    return out;
  }

  /** Learns per-column min and max from `x`. @returns this scaler, for chaining. */
  fit(x: MatrixInput): this {
    const s = columnStats(toMatrix(x, 'x'));
    return this.setStats(s.min, s.max);
  }

  /**
   * Scales `x` with the fitted min/max into a fresh matrix.
   * @throws SimdnetError STATE before `fit`, SHAPE if the column count differs from the fitted data.
   */
  transform(x: MatrixInput): Matrix {
    const { min } = this.fitted();
    return this.apply(toMatrix(x, 'x', min.length));
  }

  /** `fit(x)` then `transform(x)`. */
  fitTransform(x: MatrixInput): Matrix {
    const m = toMatrix(x, 'x');
    const s = columnStats(m);
    this.setStats(s.min, s.max);
    return this.apply(m);
  }

  /** Plain JSON (float64 statistics, so the round trip is exact). */
  toJSON(): MinMaxScalerJSON {
    const { min, max } = this.fitted();
    return {
      type: 'minmax',
      version: 1,
      min: Array.from(min),
      max: Array.from(max),
      range: [this.range[0], this.range[1]],
    };
  }

  /**
   * Rebuilds a fitted scaler from {@link MinMaxScaler.toJSON} output.
   * @throws SimdnetError FORMAT if the object is not a valid serialized min-max scaler.
   */
  static fromJSON(json: unknown): MinMaxScaler {
    const o = readHeader(json, 'minmax', 'MinMaxScaler');
    const min = readNumbers(o.min, 'MinMaxScaler min');
    const max = readNumbers(o.max, 'MinMaxScaler max', min.length);
    for (let c = 0; c < min.length; c++) check(max[c] >= min[c], 'FORMAT', () => `MinMaxScaler max[${c}] < min[${c}]`);
    const range = readNumbers(o.range, 'MinMaxScaler range', 2);
    check(range[0] < range[1], 'FORMAT', 'MinMaxScaler range must have low < high');
    return new MinMaxScaler([range[0], range[1]]).setStats(min, max);
  }
}

/** Any fitted scaler. */
export type Scaler = Standardizer | MinMaxScaler;

/**
 * Rebuilds whichever scaler `json` describes (dispatching on its `type`), e.g. when loading a saved model.
 * @throws SimdnetError FORMAT for an unknown or invalid object.
 */
export function scalerFromJSON(json: unknown): Scaler {
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === 'standardizer') return Standardizer.fromJSON(json);
  if (type === 'minmax') return MinMaxScaler.fromJSON(json);
  throw new SimdnetError(
    'FORMAT',
    `unknown scaler JSON type ${JSON.stringify(type)}; expected "standardizer" or "minmax"`,
  );
}

/**
 * One-hot encodes integer class labels: row i has a 1 in column labels[i], 0 elsewhere.
 * @param labels class index of each row, integers in [0, classes).
 * @param classes number of classes (columns), a positive integer.
 * @throws SimdnetError EMPTY (no labels), RANGE (classes not a positive integer; a label that is not an integer
 *   or is outside [0, classes), naming its index and value).
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  check(
    Number.isSafeInteger(classes) && classes > 0,
    'RANGE',
    () => `oneHot classes must be a positive integer, got ${classes}`,
  );
  check(
    labels !== null && typeof labels === 'object' && typeof labels.length === 'number',
    'DTYPE',
    'oneHot labels must be an array of numbers',
  );
  const n = labels.length;
  check(n > 0, 'EMPTY', 'oneHot labels is empty');
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const v: unknown = labels[i];
    check(
      typeof v === 'number' && Number.isInteger(v),
      'RANGE',
      () =>
        `labels[${i}] is ${typeof v === 'number' ? v : `${JSON.stringify(v)} (a ${typeof v})`}, expected an integer class in [0, ${classes})`,
    );
    check(v >= 0 && v < classes, 'RANGE', () => `labels[${i}] is ${v}, outside [0, ${classes})`);
    out[i * classes + v] = 1;
  }
  return { data: out, rows: n, cols: classes };
}

/**
 * Index of the largest value in each row (the first one on ties; NaN never wins), e.g. to decode predicted class
 * probabilities. For finite values this matches the `argmax_rows` kernel.
 */
export function argmaxRows(m: Matrix): Int32Array {
  checkMatrix(m, 'argmaxRows', 'm');
  const { rows, cols, data } = m;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    let best = 0;
    let bv = data[b];
    for (let c = 1; c < cols; c++) {
      const v = data[b + c];
      if (v > bv || (bv !== bv && v === v)) {
        bv = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Decodes one-hot targets back to class indices, strictly: each row must hold exactly one 1 and zeros elsewhere.
 * (For predictions, which are not exactly one-hot, use {@link argmaxRows}.)
 * @throws SimdnetError RANGE naming the first row that is not one-hot.
 */
export function labelsFromOneHot(y: Matrix): Int32Array {
  checkMatrix(y, 'labelsFromOneHot', 'y');
  const { rows, cols, data } = y;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const b = r * cols;
    let hot = -1;
    for (let c = 0; c < cols; c++) {
      const v = data[b + c];
      if (v === 0) continue;
      check(v === 1, 'RANGE', () => `y row ${r} is not one-hot: col ${c} is ${formatF32(v)}`);
      check(hot < 0, 'RANGE', () => `y row ${r} is not one-hot: 1 at cols ${hot} and ${c}`);
      hot = c;
    }
    check(hot >= 0, 'RANGE', () => `y row ${r} is not one-hot: it has no 1`);
    out[r] = hot;
  }
  return out;
}

/**
 * Targets for a model with `outputs` outputs: class indices (a flat array, several outputs) become one-hot rows,
 * anything else is read as a matrix of `cols` columns (default `outputs`; wider for losses that carry more).
 */
export function toTargets(y: MatrixInput, outputs: number, name = 'y', cols = outputs): Matrix {
  check(
    typeof name === 'string',
    'DTYPE',
    () =>
      `toTargets: name must be a string, got ${name === null ? 'null' : Array.isArray(name) ? 'an array' : typeof name}`,
  );
  return cols === outputs && outputs > 1 && isFlatNumbers(y) ? oneHot(y, outputs) : toMatrix(y, name, cols);
}
