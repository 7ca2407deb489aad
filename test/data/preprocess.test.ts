import { describe, expect, it } from 'vitest';
import { toMatrix } from '../../src/data/matrix.js';
import {
  MinMaxScaler,
  Standardizer,
  argmaxRows,
  labelsFromOneHot,
  oneHot,
  scalerFromJSON,
} from '../../src/data/preprocess.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

// Columns: [1, 2, 3, 4] (mean 2.5, population var 1.25), [10, 10, 10, 10] (constant), [-2, 0, 2, 8]
// (mean 2, deviations -4 -2 0 6, var (16+4+0+36)/4 = 14).
const X = [
  [1, 10, -2],
  [2, 10, 0],
  [3, 10, 2],
  [4, 10, 8],
];

describe('Standardizer', () => {
  it('fits per-column mean and population std (hand-computed)', () => {
    const s = new Standardizer().fit(X);
    expectClose(s.mean, [2.5, 10, 2], 1e-12, 0, 'mean');
    expectClose(s.std, [Math.sqrt(1.25), 0, Math.sqrt(14)], 1e-12, 0, 'std');
    expect(s.cols).toBe(3);
  });

  it('transforms with the fitted statistics; constant columns become 0, never NaN', () => {
    const s = new Standardizer().fit(X);
    const y = s.transform(X);
    const a = Math.sqrt(1.25);
    const b = Math.sqrt(14);
    const expected = [-1.5 / a, 0, -4 / b, -0.5 / a, 0, -2 / b, 0.5 / a, 0, 0 / b, 1.5 / a, 0, 6 / b];
    expectClose(y.data, expected, 1e-6, 1e-6, 'standardized');
    // New data: uses the TRAINING statistics; the constant column is centered only.
    const z = s.transform([[2.5, 13, 2]]);
    expectClose(z.data, [0, 3, 0], 1e-7, 0, 'new row');
  });

  it('transformed training data has mean 0 and std 1 per non-constant column', () => {
    const rows = 57;
    const cols = 5;
    const data = randArray(rows * cols, 3, -4, 9);
    const s = new Standardizer();
    const y = s.fitTransform({ data, shape: [rows, cols] });
    for (let c = 0; c < cols; c++) {
      let m = 0;
      let v = 0;
      for (let r = 0; r < rows; r++) m += y.data[r * cols + c];
      m /= rows;
      for (let r = 0; r < rows; r++) v += (y.data[r * cols + c] - m) ** 2;
      expect(Math.abs(m)).toBeLessThan(1e-6);
      expect(Math.abs(Math.sqrt(v / rows) - 1)).toBeLessThan(1e-5);
    }
  });

  it('a constant column whose float sum is inexact still maps to exactly 0', () => {
    const v = 0.1;
    const rows = Array.from({ length: 1000 }, () => [v]);
    const s = new Standardizer().fit(rows);
    expect(s.std[0]).toBe(0);
    const y = s.transform(rows);
    expect(y.data.every((t) => t === 0)).toBe(true);
  });

  it('does not modify its input', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const s = new Standardizer();
    s.fitTransform({ data, shape: [2, 2] });
    expect(Array.from(data)).toEqual([1, 2, 3, 4]);
  });

  it('inverseTransform undoes transform', () => {
    const s = new Standardizer().fit(X);
    const back = s.inverseTransform(s.transform(X));
    expectClose(back.data, toMatrix(X).data, 1e-5, 1e-6, 'inverse');
  });

  it('errors: use before fit (STATE), wrong column count (SHAPE), bad input', () => {
    expectSimdnetError(() => new Standardizer().transform(X), 'STATE', 'Standardizer used before fit()');
    expectSimdnetError(() => new Standardizer().toJSON(), 'STATE', 'before fit');
    const s = new Standardizer().fit(X);
    expectSimdnetError(() => s.transform([[1, 2]]), 'SHAPE', 'x has 2 columns, expected 3');
    expectSimdnetError(() => new Standardizer().fit([[1, NaN]]), 'NONFINITE', 'x has NaN at row 0, col 1');
  });

  it('toJSON / fromJSON round trip gives identical transforms', () => {
    const data = randArray(40 * 6, 11, -3, 3);
    const s = new Standardizer().fit({ data, shape: [40, 6] });
    const json = JSON.parse(JSON.stringify(s));
    expect(json.type).toBe('standardizer');
    const t = Standardizer.fromJSON(json);
    expect(t.mean).toEqual(s.mean);
    expect(t.std).toEqual(s.std);
    const a = s.transform({ data, shape: [40, 6] });
    const b = t.transform({ data, shape: [40, 6] });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // Constant columns survive the round trip.
    const c = Standardizer.fromJSON(JSON.parse(JSON.stringify(new Standardizer().fit(X))));
    expect(Array.from(c.transform([[0, 12, 2]]).data.subarray(1, 2))).toEqual([2]);
    expect(scalerFromJSON(json)).toBeInstanceOf(Standardizer);
  });

  it('fromJSON rejects malformed objects (code FORMAT)', () => {
    expectSimdnetError(() => Standardizer.fromJSON(null), 'FORMAT', 'must be an object');
    expectSimdnetError(
      () => Standardizer.fromJSON({ type: 'minmax', version: 1 }),
      'FORMAT',
      'expected "standardizer"',
    );
    expectSimdnetError(
      () => Standardizer.fromJSON({ type: 'standardizer', version: 2, mean: [0], std: [1] }),
      'FORMAT',
      'version 2',
    );
    expectSimdnetError(
      () => Standardizer.fromJSON({ type: 'standardizer', version: 1, mean: [0, 1], std: [1] }),
      'FORMAT',
      'std has 1 values, expected 2',
    );
    expectSimdnetError(
      () => Standardizer.fromJSON({ type: 'standardizer', version: 1, mean: [0, 'a'], std: [1, 1] }),
      'FORMAT',
      'mean[1] is not a finite number',
    );
    expectSimdnetError(
      () => Standardizer.fromJSON({ type: 'standardizer', version: 1, mean: [0], std: [-1] }),
      'FORMAT',
      'std[0] is negative',
    );
    expectSimdnetError(() => scalerFromJSON({ type: 'pca' }), 'FORMAT', 'unknown scaler JSON type "pca"');
  });
});

describe('MinMaxScaler', () => {
  it('fits min/max and maps to [0, 1] (hand-computed); constant column maps to the low end', () => {
    const s = new MinMaxScaler().fit(X);
    expect(s.min).toEqual([1, 10, -2]);
    expect(s.max).toEqual([4, 10, 8]);
    const y = s.transform(X);
    const expected = [0, 0, 0, 1 / 3, 0, 0.2, 2 / 3, 0, 0.4, 1, 0, 1];
    expectClose(y.data, expected, 1e-7, 1e-6, 'minmax');
    expect(y.data.some(Number.isNaN)).toBe(false);
    // New data outside the fitted range is not clipped; the constant column is shifted only.
    expectClose(s.transform([[7, 11, -7]]).data, [2, 1, -0.5], 1e-7, 1e-6, 'outside');
  });

  it('supports a custom range', () => {
    const s = new MinMaxScaler([-1, 1]);
    const y = s.fitTransform(X);
    expectClose(y.data, [-1, -1, -1, -1 / 3, -1, -0.6, 1 / 3, -1, -0.2, 1, -1, 1], 1e-6, 1e-6, 'range [-1,1]');
    expectSimdnetError(
      () => new MinMaxScaler([1, 1]),
      'RANGE',
      'MinMaxScaler range must be two finite numbers [low, high] with low < high',
    );
    expectSimdnetError(() => new MinMaxScaler([0, Infinity]), 'RANGE', 'got [0, Infinity]');
  });

  it('errors and JSON round trip', () => {
    expectSimdnetError(() => new MinMaxScaler().transform(X), 'STATE', 'MinMaxScaler used before fit()');
    const s = new MinMaxScaler([-2, 3]).fit(X);
    expectSimdnetError(() => s.transform([[1, 2, 3, 4]]), 'SHAPE', 'x has 4 columns, expected 3');
    const t = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(t.range).toEqual([-2, 3]);
    expect(Array.from(t.transform(X).data)).toEqual(Array.from(s.transform(X).data));
    expect(scalerFromJSON(s.toJSON())).toBeInstanceOf(MinMaxScaler);
    expectSimdnetError(
      () => MinMaxScaler.fromJSON({ type: 'minmax', version: 1, min: [2], max: [1], range: [0, 1] }),
      'FORMAT',
      'max[0] < min[0]',
    );
    expectSimdnetError(
      () => MinMaxScaler.fromJSON({ type: 'minmax', version: 1, min: [0], max: [1], range: [0] }),
      'FORMAT',
      'range has 1 values, expected 2',
    );
  });
});

describe('oneHot / argmaxRows / labelsFromOneHot', () => {
  it('encodes labels', () => {
    const m = oneHot([2, 0, 1], 3);
    expect([m.rows, m.cols]).toEqual([3, 3]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(oneHot(new Int32Array([0, 0]), 1).data)).toEqual([1, 1]);
  });

  it('rejects non-integer and out-of-range labels (code RANGE, naming index and value)', () => {
    expectSimdnetError(() => oneHot([0, 1, 2.5], 3), 'RANGE', 'labels[2] is 2.5, expected an integer class in [0, 3)');
    expectSimdnetError(() => oneHot([0, 3], 3), 'RANGE', 'labels[1] is 3, outside [0, 3)');
    expectSimdnetError(() => oneHot([-1], 3), 'RANGE', 'labels[0] is -1, outside [0, 3)');
    expectSimdnetError(() => oneHot([0, NaN], 3), 'RANGE', 'labels[1] is NaN');
    expectSimdnetError(() => oneHot(['1'] as never, 3), 'RANGE', 'labels[0] is "1" (a string), expected an integer');
    expectSimdnetError(() => oneHot([0], 0), 'RANGE', 'classes must be a positive integer, got 0');
    expectSimdnetError(() => oneHot([0], 2.5), 'RANGE', 'got 2.5');
    expectSimdnetError(() => oneHot([], 3), 'EMPTY', 'oneHot labels is empty');
  });

  it('argmaxRows takes the first maximum and skips NaN', () => {
    const m = toMatrix({ data: [0.1, 0.7, 0.2, 5, 5, 1, -3, -1, -2], shape: [3, 3] });
    expect(Array.from(argmaxRows(m))).toEqual([1, 0, 1]);
    const n = { data: new Float32Array([NaN, 1, 2, 2, NaN, 0]), rows: 2, cols: 3 };
    expect(Array.from(argmaxRows(n))).toEqual([2, 0]);
  });

  it('labelsFromOneHot round-trips oneHot and rejects non-one-hot rows', () => {
    const labels = [3, 0, 9, 9, 1];
    expect(Array.from(labelsFromOneHot(oneHot(labels, 10)))).toEqual(labels);
    const y = toMatrix([
      [0, 1],
      [0, 0],
    ]);
    expectSimdnetError(() => labelsFromOneHot(y), 'RANGE', 'y row 1 is not one-hot: it has no 1');
    expectSimdnetError(
      () => labelsFromOneHot(toMatrix([[1, 1]])),
      'RANGE',
      'y row 0 is not one-hot: 1 at cols 0 and 1',
    );
    expectSimdnetError(() => labelsFromOneHot(toMatrix([[0.9, 0.1]])), 'RANGE', 'y row 0 is not one-hot: col 0 is 0.9');
  });
});
