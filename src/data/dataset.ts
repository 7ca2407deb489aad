/**
 * A dataset is features x and targets y with the same row count (checked), plus optional integer class labels
 * kept in step with the rows. Every operation returns a NEW dataset with its own copies of the rows, so datasets
 * never share or mutate each other's data. Batching is the engine's job, not this module's.
 */
import { SimdnetError, check } from '../errors.js';
import { checkOptions } from '../args.js';
import { Rng } from '../random.js';
import { type Matrix, type MatrixInput, selectRows, toMatrix } from './matrix.js';
import { argmaxRows, oneHot } from './preprocess.js';
import { type SplitIndices, randomSplitIndices, stratifiedSplitIndices } from './stratify.js';

/** How to split: `test` is a fraction in (0, 1) or a whole row count >= 1. */
export type SplitOptions = {
  /** Test share: a fraction strictly between 0 and 1 (rounded to whole rows), or an integer row count >= 1. */
  test: number;
  /** Seed of the split; default 0. Same seed, same split. */
  seed?: number;
  /**
   * Keep class proportions equal in train and test. The class of a row is its integer label when the dataset
   * has `labels`, else argmax of its y row (for a single-column y: y >= 0.5).
   */
  stratify?: boolean;
};

/** A train/test pair. */
export type Split = {
  /** The training part. */
  train: Dataset;
  /** The held-out part. */
  test: Dataset;
};

/** An array or typed array (not a string, not an object with a length). */
function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function checkLabels(labels: ArrayLike<number>, rows: number): Int32Array {
  check(isArrayLike(labels), 'DTYPE', () => `labels must be an array of integer classes, got ${kindOf(labels)}`);
  check(labels.length === rows, 'SHAPE', () => `labels has ${labels.length} values but x has ${rows} rows`);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v: unknown = labels[i];
    check(
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff,
      'RANGE',
      () => `labels[${i}] is ${String(v)}, expected a non-negative integer class`,
    );
    out[i] = v;
  }
  return out;
}

/** Resolves a test share to a row count, requiring non-empty train and test sets. */
function testCount(test: unknown, n: number): number {
  check(
    typeof test === 'number' && Number.isFinite(test) && test > 0 && (test < 1 || Number.isInteger(test)),
    'RANGE',
    () => `split test must be a fraction in (0, 1) or a whole row count >= 1, got ${String(test)}`,
  );
  const t = test < 1 ? Math.round(test * n) : test;
  check(t >= 1, 'RANGE', () => `split test ${test} of ${n} rows gives an empty test set`);
  check(t < n, 'RANGE', () => `split test ${test} of ${n} rows leaves an empty training set`);
  return t;
}

function checkSeed(seed: unknown): number {
  check(
    typeof seed === 'number' && Number.isInteger(seed),
    'RANGE',
    () => `seed must be an integer, got ${String(seed)}`,
  );
  return seed;
}

/** Features, targets and (optionally) integer class labels, row-aligned. */
export class Dataset {
  /** Features, one example per row. */
  readonly x: Matrix;
  /** Targets (e.g. one-hot classes or regression values), one row per example. */
  readonly y: Matrix;
  /** Integer class of each row, when known (e.g. built by {@link Dataset.fromLabels} or the MNIST loader). */
  readonly labels: Int32Array | undefined;

  /**
   * Validates and copies x and y (see {@link toMatrix}); they must have the same number of rows.
   * @param labels optional integer class per row (non-negative integers), kept in step by every operation.
   * @throws SimdnetError SHAPE if the row counts differ, plus every {@link toMatrix} error.
   */
  constructor(x: MatrixInput, y: MatrixInput, labels?: ArrayLike<number>) {
    const xm = toMatrix(x, 'x');
    const ym = toMatrix(y, 'y');
    check(xm.rows === ym.rows, 'SHAPE', () => `x has ${xm.rows} rows but y has ${ym.rows}`);
    this.x = xm;
    this.y = ym;
    this.labels = labels === undefined ? undefined : checkLabels(labels, xm.rows);
  }

  /**
   * Builds a classification dataset: y is the one-hot encoding of `labels` and `labels` is kept too.
   * @throws SimdnetError RANGE for a label outside [0, classes), SHAPE if labels and x differ in length.
   */
  static fromLabels(x: MatrixInput, labels: ArrayLike<number>, classes: number): Dataset {
    const xm = toMatrix(x, 'x');
    const y = oneHot(labels, classes);
    check(y.rows === xm.rows, 'SHAPE', () => `x has ${xm.rows} rows but labels has ${y.rows}`);
    return adoptDataset(xm, y, checkLabels(labels, xm.rows));
  }

  /** Number of examples (rows). */
  get size(): number {
    return this.x.rows;
  }

  /** Number of feature columns. */
  get inputSize(): number {
    return this.x.cols;
  }

  /** Number of target columns. */
  get outputSize(): number {
    return this.y.cols;
  }

  /**
   * The class of each row: `labels` when present, else argmax of y (for a single-column y: 1 when y >= 0.5).
   * Used by stratified splits.
   */
  classes(): Int32Array {
    if (this.labels) return this.labels.slice();
    if (this.y.cols > 1) return argmaxRows(this.y);
    const out = new Int32Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.y.data[i] >= 0.5 ? 1 : 0;
    return out;
  }

  /**
   * New dataset of the rows `indices[0], indices[1], …` in that order (repeats allowed, e.g. for bootstrapping).
   * @throws SimdnetError EMPTY (no indices), RANGE (an index that is not an integer in [0, size), naming it).
   */
  subset(indices: ArrayLike<number>): Dataset {
    check(
      isArrayLike(indices),
      'DTYPE',
      () => `subset: indices must be an array of row numbers, got ${kindOf(indices)}`,
    );
    const n = indices.length;
    check(n > 0, 'EMPTY', 'subset indices is empty');
    for (let i = 0; i < n; i++) {
      const v = indices[i];
      check(
        Number.isInteger(v) && v >= 0 && v < this.size,
        'RANGE',
        () => `subset indices[${i}] is ${v}, expected an integer row in [0, ${this.size})`,
      );
    }
    return this.rows(indices);
  }

  /** Gathers rows without re-checking indices. */
  private rows(indices: ArrayLike<number>): Dataset {
    let labels: Int32Array | undefined;
    if (this.labels) {
      labels = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) labels[i] = this.labels[indices[i]];
    }
    return adoptDataset(selectRows(this.x, indices), selectRows(this.y, indices), labels);
  }

  /** New dataset with the rows in a random order drawn from `seed` (same seed, same order). */
  shuffle(seed: number): Dataset {
    return this.rows(new Rng(checkSeed(seed)).permutation(this.size));
  }

  /** New dataset of the first `n` rows (all rows if `n >= size`). @throws SimdnetError RANGE unless n is an integer >= 1. */
  take(n: number): Dataset {
    check(Number.isInteger(n) && n >= 1, 'RANGE', () => `take n must be an integer >= 1, got ${n}`);
    const m = Math.min(n, this.size);
    const idx = new Int32Array(m);
    for (let i = 0; i < m; i++) idx[i] = i;
    return this.rows(idx);
  }

  /**
   * Seeded random split into disjoint train and test datasets that together cover every row; both come out in
   * random order. `split(0.2)` is `split({ test: 0.2, seed: 0 })`.
   * With `stratify`, each class contributes to the test set in proportion to its size (largest-remainder
   * rounding, so the total is exact).
   * @throws SimdnetError RANGE if the test share is invalid or leaves train or test empty.
   */
  split(options: number | SplitOptions): Split {
    const o: SplitOptions = typeof options === 'number' ? { test: options } : options;
    check(typeof o === 'object' && o !== null, 'RANGE', 'split needs a test fraction or {test, seed, stratify}');
    const n = this.size;
    const t = testCount(o.test, n);
    const rng = new Rng(checkSeed(o.seed ?? 0));
    const idx: SplitIndices = o.stratify
      ? stratifiedSplitIndices(this.classes(), t, n - t, rng)
      : randomSplitIndices(n, t, n - t, rng);
    return { train: this.rows(idx.train), test: this.rows(idx.test) };
  }
}

/** Result of {@link trainTestSplit}. */
export type TrainTestSplit = {
  /** Training inputs. */
  xTrain: Matrix;
  /** Training targets. */
  yTrain: Matrix;
  /** Held-out inputs. */
  xTest: Matrix;
  /** Held-out targets. */
  yTest: Matrix;
};

/**
 * One-call split of loose x and y (validated and copied like {@link toMatrix}) into train and test matrices.
 * @param options `testFraction` in (0, 1); `seed` (default 0); `stratify` by argmax of y (see {@link SplitOptions}).
 * @throws SimdnetError as {@link Dataset} and {@link Dataset.split}.
 */
export function trainTestSplit(
  x: MatrixInput,
  y: MatrixInput,
  options: { testFraction: number; seed?: number; stratify?: boolean },
): TrainTestSplit {
  check(
    typeof options === 'object' && options !== null && !Array.isArray(options),
    'DTYPE',
    () => `trainTestSplit: options must be an object { testFraction, seed?, stratify? }, got ${kindOf(options)}`,
  );
  checkOptions(options, 'trainTestSplit', { seed: 'number', stratify: 'boolean' });
  const f = options.testFraction;
  if (!(typeof f === 'number' && f > 0 && f < 1)) {
    throw new SimdnetError('RANGE', `trainTestSplit: testFraction must be in (0, 1), got ${String(f)}`);
  }
  const { train, test } = new Dataset(x, y).split({
    test: f,
    seed: options.seed ?? 0,
    stratify: options.stratify ?? false,
  });
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y };
}

/**
 * Internal (not re-exported from the data index): wraps matrices the caller has just built and validated, taking
 * ownership WITHOUT copying or re-checking, for loaders that would otherwise copy tens of MB twice. The caller
 * guarantees equal row counts, finite values and labels in step with the rows.
 */
export function adoptDataset(x: Matrix, y: Matrix, labels: Int32Array | undefined): Dataset {
  return Object.assign(Object.create(Dataset.prototype) as Dataset, { x, y, labels });
}
