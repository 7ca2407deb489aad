/**
 * Index selection behind every split in the data module: plain and stratified (per class, the same proportion),
 * seeded and deterministic. Works on row indices only; the callers gather the rows.
 */
import { check } from '../errors.js';
import type { Rng } from '../random.js';

/**
 * Splits `total` units over groups in proportion to `counts` (largest-remainder method, so the parts sum to
 * exactly `total`), never giving a group more than `caps[g]` (default: its count). Remainders are compared in
 * exact integer arithmetic; ties go to the lower group index, so the result is fully deterministic.
 * @param counts group sizes (non-negative integers).
 * @param total units to hand out; must not exceed the sum of the caps.
 * @param caps optional per-group upper bounds.
 */
export function apportion(counts: ArrayLike<number>, total: number, caps?: ArrayLike<number>): Int32Array {
  checkSizes(counts, 'counts');
  check(
    typeof total === 'number',
    'DTYPE',
    () => `apportion: total must be a number, got ${total === null ? 'null' : typeof total}`,
  );
  check(
    Number.isSafeInteger(total) && total >= 0,
    'RANGE',
    () => `apportion: total must be a non-negative integer, got ${total}`,
  );
  if (caps !== undefined) {
    checkSizes(caps, 'caps');
    check(
      caps.length === counts.length,
      'SHAPE',
      () => `apportion: caps has ${caps.length} values but counts has ${counts.length}`,
    );
  }
  const g = counts.length;
  let n = 0;
  for (let i = 0; i < g; i++) n += counts[i];
  const cap = (i: number): number => (caps ? caps[i] : counts[i]);
  let capSum = 0;
  for (let i = 0; i < g; i++) capSum += cap(i);
  check(total <= capSum, 'RANGE', () => `cannot take ${total} rows from groups that hold ${capSum}`);
  const out = new Int32Array(g);
  if (n === 0 || total === 0) return out;
  const rem = new Float64Array(g);
  let given = 0;
  for (let i = 0; i < g; i++) {
    const num = counts[i] * total; // exact: callers stay far below 2^53
    out[i] = Math.min(Math.floor(num / n), cap(i));
    rem[i] = num - Math.floor(num / n) * n;
    given += out[i];
  }
  // Order groups by remainder (largest first, lower index on ties) and hand out the rest one by one, skipping
  // groups at their cap; several rounds only when caps bind.
  const order = Array.from({ length: g }, (_, i) => i).sort((a, b) => rem[b] - rem[a] || a - b);
  while (given < total) {
    for (const i of order) {
      if (given === total) break;
      if (out[i] < cap(i)) {
        out[i]++;
        given++;
      }
    }
  }
  return out;
}

/** One value per group (so cheap to check): non-negative integers. */
function checkSizes(a: ArrayLike<number>, what: string): void {
  check(
    Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView)),
    'DTYPE',
    () => `apportion: ${what} must be an array of group sizes, got ${a === null ? 'null' : typeof a}`,
  );
  for (let i = 0; i < a.length; i++) {
    const v: unknown = a[i];
    check(
      typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
      'RANGE',
      () => `apportion: ${what}[${i}] is ${typeof v === 'number' ? v : typeof v}, expected a non-negative integer`,
    );
  }
}

/** Train and test row indices of a split. */
export type SplitIndices = {
  /** Row indices of the training part. */
  train: Int32Array;
  /** Row indices of the held-out part. */
  test: Int32Array;
};

/**
 * Random split of rows 0..n−1 into `testCount` test and `trainCount` train indices (disjoint; both lists in
 * random order).
 */
export function randomSplitIndices(n: number, testCount: number, trainCount: number, rng: Rng): SplitIndices {
  const perm = rng.permutation(n);
  return { test: perm.slice(0, testCount), train: perm.slice(testCount, testCount + trainCount) };
}

/**
 * Stratified split: each class gives test and train rows in proportion to its size (apportioned so the totals are
 * exact), chosen at random within the class; both lists are then shuffled so classes are interleaved.
 * @param classes class index (integer >= 0) of each row.
 */
export function stratifiedSplitIndices(
  classes: Int32Array,
  testCount: number,
  trainCount: number,
  rng: Rng,
): SplitIndices {
  let k = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i] + 1 > k) k = classes[i] + 1;
  const counts = new Int32Array(k);
  for (let i = 0; i < classes.length; i++) counts[classes[i]]++;
  // Members of each class, in row order, packed by class (a counting sort).
  const start = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) start[c + 1] = start[c] + counts[c];
  const members = new Int32Array(classes.length);
  const fill = start.slice(0, k);
  for (let i = 0; i < classes.length; i++) members[fill[classes[i]]++] = i;

  const testPer = apportion(counts, testCount);
  const caps = new Int32Array(k);
  for (let c = 0; c < k; c++) caps[c] = counts[c] - testPer[c];
  const trainPer = apportion(counts, trainCount, caps);

  const test = new Int32Array(testCount);
  const train = new Int32Array(trainCount);
  let t = 0;
  let r = 0;
  for (let c = 0; c < k; c++) {
    const group = rng.shuffle(members.subarray(start[c], start[c + 1]));
    for (let j = 0; j < testPer[c]; j++) test[t++] = group[j];
    for (let j = 0; j < trainPer[c]; j++) train[r++] = group[testPer[c] + j];
  }
  rng.shuffle(test);
  rng.shuffle(train);
  return { train, test };
}
