import { describe, expect, it } from 'vitest';
import { Dataset, trainTestSplit } from '../../src/data/dataset.js';
import { apportion } from '../../src/data/stratify.js';
import { expectSimdnetError } from '../helpers/errors.js';

/** n rows; x row i = [i, 10·i] (so a row identifies itself), y one-hot of class i % k (or `classOf`). */
function numbered(n: number, k: number, classOf: (i: number) => number = (i) => i % k): Dataset {
  const x = Array.from({ length: n }, (_, i) => [i, 10 * i]);
  const labels = Array.from({ length: n }, (_, i) => classOf(i));
  return Dataset.fromLabels(x, labels, k);
}

/** Row ids (x[:,0]) of a dataset. */
function ids(ds: Dataset): number[] {
  return Array.from({ length: ds.size }, (_, i) => ds.x.data[i * ds.x.cols]);
}

/** Checks that every row's x, y and label still belong together. */
function expectAligned(ds: Dataset, classOf: (i: number) => number): void {
  for (let r = 0; r < ds.size; r++) {
    const id = ds.x.data[r * 2];
    expect(ds.x.data[r * 2 + 1]).toBe(10 * id);
    const c = classOf(id);
    expect(ds.labels?.[r]).toBe(c);
    expect(ds.y.data[r * ds.y.cols + c]).toBe(1);
  }
}

describe('Dataset construction', () => {
  it('checks row counts and copies inputs', () => {
    const xData = new Float32Array([1, 2, 3, 4, 5, 6]);
    const ds = new Dataset({ data: xData, shape: [3, 2] }, [[0], [1], [0]]);
    expect(ds.size).toBe(3);
    expect(ds.inputSize).toBe(2);
    expect(ds.outputSize).toBe(1);
    expect(ds.x.data).not.toBe(xData);
    xData[0] = 100;
    expect(ds.x.data[0]).toBe(1);
    expect(ds.labels).toBeUndefined();
    expectSimdnetError(() => new Dataset([[1], [2]], [[1]]), 'SHAPE', 'x has 2 rows but y has 1');
    expectSimdnetError(() => new Dataset([[1], [2]], [[1], [NaN]]), 'NONFINITE', 'y has NaN at row 1, col 0');
    expectSimdnetError(() => new Dataset([], [[1]]), 'EMPTY', 'x is empty');
  });

  it('validates labels', () => {
    expectSimdnetError(() => new Dataset([[1], [2]], [[1], [0]], [0]), 'SHAPE', 'labels has 1 values but x has 2 rows');
    expectSimdnetError(() => new Dataset([[1], [2]], [[1], [0]], [0, -1]), 'RANGE', 'labels[1] is -1');
    expectSimdnetError(() => Dataset.fromLabels([[1], [2]], [0, 1, 1], 2), 'SHAPE', 'x has 2 rows but labels has 3');
    expectSimdnetError(() => Dataset.fromLabels([[1], [2]], [0, 2], 2), 'RANGE', 'labels[1] is 2, outside [0, 2)');
  });
});

describe('subset / take / shuffle', () => {
  const ds = numbered(10, 3);
  const classOf = (i: number): number => i % 3;

  it('subset picks rows in order, repeats allowed, keeping x, y and labels aligned', () => {
    const s = ds.subset([7, 2, 2, 9]);
    expect(ids(s)).toEqual([7, 2, 2, 9]);
    expectAligned(s, classOf);
    s.x.data[0] = -5;
    expect(ds.x.data[14]).toBe(7);
  });

  it('subset errors', () => {
    expectSimdnetError(() => ds.subset([]), 'EMPTY', 'subset indices is empty');
    expectSimdnetError(
      () => ds.subset([0, 10]),
      'RANGE',
      'subset indices[1] is 10, expected an integer row in [0, 10)',
    );
    expectSimdnetError(() => ds.subset([1.5]), 'RANGE', 'subset indices[0] is 1.5');
    expectSimdnetError(() => ds.subset([-1]), 'RANGE', 'indices[0] is -1');
  });

  it('take gives the first n rows (all if n >= size)', () => {
    expect(ids(ds.take(3))).toEqual([0, 1, 2]);
    expect(ds.take(50).size).toBe(10);
    expectSimdnetError(() => ds.take(0), 'RANGE', 'take n must be an integer >= 1, got 0');
    expectSimdnetError(() => ds.take(2.5), 'RANGE', 'got 2.5');
  });

  it('shuffle is a seeded permutation that returns a new dataset', () => {
    const a = ds.shuffle(5);
    const b = ds.shuffle(5);
    const c = ds.shuffle(6);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a)).not.toEqual(ids(c));
    expect([...ids(a)].sort((p, q) => p - q)).toEqual(ids(ds));
    expect(ids(ds)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // original untouched
    expectAligned(a, classOf);
    expectSimdnetError(() => ds.shuffle(0.5), 'RANGE', 'seed must be an integer, got 0.5');
  });
});

describe('split', () => {
  const n = 100;
  const ds = numbered(n, 4);

  it('is disjoint, covering, sized by fraction or count', () => {
    for (const test of [0.2, 0.25, 0.01, 0.99, 17, 1, 99]) {
      const { train, test: te } = ds.split({ test, seed: 3 });
      const want = test < 1 ? Math.round(test * n) : test;
      expect(te.size).toBe(want);
      expect(train.size).toBe(n - want);
      const all = [...ids(train), ...ids(te)].sort((p, q) => p - q);
      expect(all).toEqual(ids(ds));
    }
  });

  it('is deterministic: same seed same split, different seed different split', () => {
    const a = ds.split({ test: 0.3, seed: 42 });
    const b = ds.split({ test: 0.3, seed: 42 });
    const c = ds.split({ test: 0.3, seed: 43 });
    expect(ids(a.test)).toEqual(ids(b.test));
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(ids(a.test)).not.toEqual(ids(c.test));
    // split(fraction) is seed 0.
    expect(ids(ds.split(0.3).test)).toEqual(ids(ds.split({ test: 0.3, seed: 0 }).test));
    expect(ids(ds.split(0.3).test)).not.toEqual(ids(a.test));
  });

  it('keeps rows aligned', () => {
    const { train, test } = ds.split({ test: 0.2, seed: 9, stratify: true });
    expectAligned(train, (i) => i % 4);
    expectAligned(test, (i) => i % 4);
  });

  it('stratified: per-class proportions match (largest remainder, exact totals)', () => {
    // Classes of sizes 50, 30, 15, 5.
    const sizes = [50, 30, 15, 5];
    const classOf = (i: number): number => (i < 50 ? 0 : i < 80 ? 1 : i < 95 ? 2 : 3);
    const d = numbered(100, 4, classOf);
    const { train, test } = d.split({ test: 0.2, seed: 1, stratify: true });
    const count = (s: Dataset): number[] => {
      const c = [0, 0, 0, 0];
      for (const l of s.labels!) c[l]++;
      return c;
    };
    expect(count(test)).toEqual(sizes.map((s) => s * 0.2));
    expect(count(train)).toEqual(sizes.map((s) => s * 0.8));
    // Non-round quotas: 0.3 of [50,30,15,5] = [15, 9, 4.5, 1.5] -> the two .5 remainders go to the lower classes.
    const t3 = d.split({ test: 0.3, seed: 1, stratify: true }).test;
    expect(count(t3)).toEqual([15, 9, 5, 1]);
    // A plain split with an unlucky seed would not be expected to match exactly; the stratified one always does.
    for (let seed = 0; seed < 20; seed++) {
      expect(count(d.split({ test: 0.2, seed, stratify: true }).test)).toEqual([10, 6, 3, 1]);
    }
  });

  it('stratifies by argmax of y without labels, and by y >= 0.5 for one column', () => {
    const x = Array.from({ length: 40 }, (_, i) => [i]);
    const y = Array.from({ length: 40 }, (_, i) => (i < 30 ? [0.9, 0.1] : [0.2, 0.8]));
    const { test } = new Dataset(x, y).split({ test: 0.5, seed: 2, stratify: true });
    const firstCls = Array.from({ length: test.size }, (_, r) => (test.y.data[2 * r] > 0.5 ? 0 : 1));
    expect(firstCls.filter((c) => c === 0).length).toBe(15);
    const yb = Array.from({ length: 40 }, (_, i) => [i % 4 === 0 ? 1 : 0]);
    const tb = new Dataset(x, yb).split({ test: 0.25, seed: 2, stratify: true }).test;
    // Quotas 7.5 and 2.5: the tie goes to class 0, so 2 positives.
    expect(Array.from(tb.y.data).filter((v) => v === 1).length).toBe(2);
  });

  it('errors', () => {
    expectSimdnetError(
      () => ds.split(0),
      'RANGE',
      'split test must be a fraction in (0, 1) or a whole row count >= 1, got 0',
    );
    expectSimdnetError(() => ds.split(1.5), 'RANGE', 'got 1.5');
    expectSimdnetError(() => ds.split(-0.2), 'RANGE', 'got -0.2');
    expectSimdnetError(() => ds.split(NaN), 'RANGE', 'got NaN');
    expectSimdnetError(() => ds.split(0.001), 'RANGE', 'split test 0.001 of 100 rows gives an empty test set');
    expectSimdnetError(() => ds.split(0.999), 'RANGE', 'leaves an empty training set');
    expectSimdnetError(() => ds.split(100), 'RANGE', 'leaves an empty training set');
    expectSimdnetError(() => ds.split({ test: 0.2, seed: 1.5 }), 'RANGE', 'seed must be an integer');
    expectSimdnetError(() => numbered(1, 1).split(0.5), 'RANGE', 'empty');
  });
});

describe('trainTestSplit', () => {
  it('splits loose matrices like Dataset.split', () => {
    const x = Array.from({ length: 20 }, (_, i) => [i, -i]);
    const y = Array.from({ length: 20 }, (_, i) => [i % 2]);
    const s = trainTestSplit(x, y, { testFraction: 0.25, seed: 7 });
    expect(s.xTest.rows).toBe(5);
    expect(s.xTrain.rows).toBe(15);
    expect(s.yTest.rows).toBe(5);
    for (let r = 0; r < 5; r++) {
      expect(s.xTest.data[2 * r + 1]).toBe(-s.xTest.data[2 * r]);
      expect(s.yTest.data[r]).toBe(s.xTest.data[2 * r] % 2);
    }
    const again = trainTestSplit(x, y, { testFraction: 0.25, seed: 7 });
    expect(Array.from(again.xTest.data)).toEqual(Array.from(s.xTest.data));
    expectSimdnetError(
      () => trainTestSplit(x, y, { testFraction: 3 }),
      'RANGE',
      'testFraction must be in (0, 1), got 3',
    );
    expectSimdnetError(
      () => trainTestSplit(x, y.slice(1), { testFraction: 0.5 }),
      'SHAPE',
      'x has 20 rows but y has 19',
    );
  });
});

describe('apportion', () => {
  it('sums exactly, respects caps, breaks ties by lower index', () => {
    expect(Array.from(apportion([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978], 2000))).toEqual([
      200, 225, 198, 206, 196, 173, 203, 214, 189, 196,
    ]);
    expect(Array.from(apportion([1, 1, 1], 2))).toEqual([1, 1, 0]);
    expect(Array.from(apportion([10, 10], 5, [1, 10]))).toEqual([1, 4]);
    expect(Array.from(apportion([3, 0, 7], 0))).toEqual([0, 0, 0]);
    expectSimdnetError(() => apportion([2, 2], 5), 'RANGE', 'cannot take 5 rows from groups that hold 4');
  });
});
