import { describe, expect, it } from 'vitest';
import { borrowMatrix, isMatrix, rowOf, selectRows, toMatrix, zeros } from '../../src/data/matrix.js';
import { expectSimdnetError } from '../helpers/errors.js';

describe('toMatrix: accepted inputs', () => {
  it('reads an array of rows', () => {
    const m = toMatrix([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.data).toBeInstanceOf(Float32Array);
  });

  it('reads an array of typed-array rows', () => {
    const m = toMatrix([new Float64Array([1, 2]), new Int32Array([3, 4])]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4]);
  });

  it('reads {data, shape} from Float32Array, Float64Array, number[] and Uint8Array', () => {
    for (const data of [
      new Float32Array([1, 2, 3, 4, 5, 6]),
      new Float64Array([1, 2, 3, 4, 5, 6]),
      [1, 2, 3, 4, 5, 6],
      new Uint8Array([1, 2, 3, 4, 5, 6]),
    ]) {
      const m = toMatrix({ data, shape: [3, 2] }, 'x');
      expect([m.rows, m.cols]).toEqual([3, 2]);
      expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('reads a Matrix and a flat array with cols', () => {
    const src = { data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 };
    expect(Array.from(toMatrix(src).data)).toEqual([1, 2, 3, 4]);
    const flat = toMatrix([1, 2, 3, 4, 5, 6], 'y', 3);
    expect([flat.rows, flat.cols]).toEqual([2, 3]);
    const flatTyped = toMatrix(new Float64Array([1, 2, 3]), 'y', 1);
    expect([flatTyped.rows, flatTyped.cols]).toEqual([3, 1]);
  });

  it('rounds float64 values to float32', () => {
    const m = toMatrix({ data: new Float64Array([0.1, 1 / 3]), shape: [1, 2] });
    expect(m.data[0]).toBe(Math.fround(0.1));
    expect(m.data[1]).toBe(Math.fround(1 / 3));
  });
});

describe('toMatrix: copy semantics', () => {
  it('never aliases a Float32Array or a Matrix, and never modifies the input', () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const a = toMatrix({ data, shape: [2, 2] });
    expect(a.data).not.toBe(data);
    expect(a.data.buffer).not.toBe(data.buffer);
    a.data[0] = 99;
    expect(data[0]).toBe(1);
    data[1] = 42;
    expect(a.data[1]).toBe(2);

    const src = { data: new Float32Array([5, 6]), rows: 1, cols: 2 };
    const b = toMatrix(src);
    expect(b).not.toBe(src);
    expect(b.data).not.toBe(src.data);
    b.data[0] = -1;
    expect(src.data[0]).toBe(5);
  });

  it('copies from arrays of rows', () => {
    const rows = [
      [1, 2],
      [3, 4],
    ];
    const m = toMatrix(rows);
    m.data[0] = 7;
    expect(rows[0][0]).toBe(1);
  });

  it('copies only the viewed part of a subarray', () => {
    const big = new Float32Array([9, 1, 2, 3, 4, 9]);
    const m = toMatrix({ data: big.subarray(1, 5), shape: [2, 2] });
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4]);
  });
});

describe('borrowMatrix (fit and evaluate: the data goes straight into wasm memory)', () => {
  it('checks a Float32Array where it is instead of copying it; other inputs are copied as toMatrix does', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const view = data.subarray(2);
    expect(borrowMatrix({ data: view, shape: [2, 2] }, 'x').data).toBe(view);
    expect(borrowMatrix({ data, rows: 3, cols: 2 }, 'x', 2).data).toBe(data);
    expect(borrowMatrix(data, 'x', 3).data).toBe(data);
    const f64 = new Float64Array([1, 2]);
    expect(borrowMatrix({ data: f64, shape: [1, 2] }, 'x').data).toBeInstanceOf(Float32Array);
    expect(
      Array.from(
        borrowMatrix(
          [
            [1, 2],
            [3, 4],
          ],
          'x',
        ).data,
      ),
    ).toEqual([1, 2, 3, 4]);
  });

  it('rejects what toMatrix rejects, with the same errors', () => {
    const bad = new Float32Array([1, 2, NaN, 4]);
    for (const f of [toMatrix, borrowMatrix]) {
      expectSimdnetError(() => f({ data: bad, shape: [2, 2] }, 'x'), 'NONFINITE', 'x has NaN at row 1, col 0');
      expectSimdnetError(
        () => f({ data: new Float32Array([1, Infinity]), shape: [1, 2] }, 'vx'),
        'NONFINITE',
        'vx has Infinity at row 0, col 1',
      );
      expectSimdnetError(() => f({ data: new Float32Array(3), shape: [2, 2] }, 'x'), 'SHAPE', 'x data has 3 values');
    }
  });
});

describe('toMatrix: validation errors name the argument and the problem', () => {
  it('ragged rows', () => {
    const rows = Array.from({ length: 20 }, () => [1, 2, 3, 4]);
    rows[17] = [1, 2, 3];
    expectSimdnetError(() => toMatrix(rows, 'x'), 'SHAPE', 'x row 17 has 3 values, expected 4');
    expectSimdnetError(() => toMatrix([[1], [2, 3]], 'feat'), 'SHAPE', 'feat row 1 has 2 values, expected 1');
  });

  it('wrong data length for the shape', () => {
    expectSimdnetError(
      () => toMatrix({ data: new Float32Array(10), shape: [3, 4] }, 'x'),
      'SHAPE',
      'x data has 10 values, but shape [3, 4] needs 12',
    );
    expectSimdnetError(
      () => toMatrix({ data: new Float32Array(5), rows: 2, cols: 2 }, 'w'),
      'SHAPE',
      'w data has 5 values',
    );
  });

  it('bad shapes', () => {
    expectSimdnetError(
      () => toMatrix({ data: [1, 2], shape: [1.5, 2] } as never, 'x'),
      'SHAPE',
      'x rows must be a non-negative integer, got 1.5',
    );
    expectSimdnetError(
      () => toMatrix({ data: [1, 2], shape: [-1, 2] } as never, 'x'),
      'SHAPE',
      'x rows must be a non-negative integer',
    );
    expectSimdnetError(
      () => toMatrix({ data: [1, 2], shape: [2] } as never, 'x'),
      'SHAPE',
      'x shape must be [rows, cols], got [2]',
    );
    expectSimdnetError(
      () => toMatrix({ data: [1, 2], rows: 1, cols: '2' } as never, 'x'),
      'SHAPE',
      'x cols must be a non-negative integer, got a string',
    );
  });

  it('non-numeric values and containers', () => {
    expectSimdnetError(
      () =>
        toMatrix(
          [
            [1, 2],
            [3, 'a'],
          ] as never,
          'x',
        ),
      'DTYPE',
      'x row 1, col 1 is a string ("a"), expected a number',
    );
    expectSimdnetError(() => toMatrix([[1, null]] as never, 'x'), 'DTYPE', 'x row 0, col 1 is null');
    // A hole in a sparse array reads as undefined.
    const holey: number[] = [1, 2, 3];
    delete holey[1];
    expectSimdnetError(() => toMatrix({ data: holey, shape: [1, 3] }, 'x'), 'DTYPE', 'x row 0, col 1 is undefined');
    expectSimdnetError(() => toMatrix([1, 'b'] as never, 'y', 2), 'DTYPE', 'y row 0, col 1 is a string');
    expectSimdnetError(
      () => toMatrix([[1], 2] as never, 'x'),
      'DTYPE',
      'x row 1 is a number, expected an array of 1 numbers',
    );
    expectSimdnetError(() => toMatrix({ data: 'abc', shape: [1, 3] } as never, 'x'), 'DTYPE', 'x data is a string');
    expectSimdnetError(
      () => toMatrix({ data: new BigInt64Array(2), shape: [1, 2] } as never, 'x'),
      'DTYPE',
      'x data is a BigInt64Array',
    );
    expectSimdnetError(() => toMatrix(null as never, 'x'), 'DTYPE', 'x is null');
    expectSimdnetError(() => toMatrix(3 as never, 'x'), 'DTYPE', 'x is a number');
    expectSimdnetError(() => toMatrix({ foo: 1 } as never, 'x'), 'DTYPE', 'x is an object without shape');
  });

  it('NaN and ±Infinity name the first bad row and column (code NONFINITE)', () => {
    const data = new Float32Array(12);
    data[7] = NaN;
    data[9] = Infinity;
    expectSimdnetError(() => toMatrix({ data, shape: [3, 4] }, 'x'), 'NONFINITE', 'x has NaN at row 1, col 3');
    expectSimdnetError(
      () =>
        toMatrix(
          [
            [0, 0],
            [0, -Infinity],
          ],
          'y',
        ),
      'NONFINITE',
      'y has -Infinity at row 1, col 1',
    );
    expectSimdnetError(
      () => toMatrix({ data: [0, 0, Infinity], shape: [1, 3] }, 'x'),
      'NONFINITE',
      'x has Infinity at row 0, col 2',
    );
    expectSimdnetError(
      () => toMatrix({ data: new Float32Array([1, NaN]), rows: 2, cols: 1 }, 'x'),
      'NONFINITE',
      'row 1, col 0',
    );
  });

  it('float64 values that overflow float32 are rejected', () => {
    expectSimdnetError(
      () => toMatrix({ data: new Float64Array([1, 1e39]), shape: [1, 2] }, 'x'),
      'NONFINITE',
      'x row 0, col 1 is 1e+39, which overflows float32',
    );
    expectSimdnetError(() => toMatrix([[-1e300]], 'x'), 'NONFINITE', 'overflows float32');
  });

  it('empty inputs (code EMPTY)', () => {
    expectSimdnetError(() => toMatrix([], 'x'), 'EMPTY', 'x is empty (0 rows)');
    expectSimdnetError(() => toMatrix([[], []], 'x'), 'EMPTY', 'x is empty (0 columns)');
    expectSimdnetError(
      () => toMatrix({ data: new Float32Array(0), shape: [0, 4] }, 'x'),
      'EMPTY',
      'x is empty (0 rows)',
    );
    expectSimdnetError(() => toMatrix(new Float32Array(0), 'y', 1), 'EMPTY', 'y is empty');
  });

  it('column count different from the expected one (code SHAPE)', () => {
    expectSimdnetError(() => toMatrix([[1, 2, 3]], 'x', 4), 'SHAPE', 'x has 3 columns, expected 4');
    expectSimdnetError(() => toMatrix({ data: [1, 2], shape: [2, 1] }, 'y', 2), 'SHAPE', 'y has 1 column, expected 2');
    expectSimdnetError(() => toMatrix([1, 2, 3], 'y', 2), 'SHAPE', 'y has 3 values, not a multiple of 2 columns');
    expectSimdnetError(
      () => toMatrix([[1]], 'x', 0),
      'SHAPE',
      'expected column count for x must be a positive integer',
    );
  });

  it('flat array without a shape is ambiguous', () => {
    expectSimdnetError(() => toMatrix([1, 2, 3], 'x'), 'SHAPE', 'x is a flat array of 3 values with no shape');
    expectSimdnetError(() => toMatrix(new Float32Array(4), 'x'), 'SHAPE', 'pass {data, shape: [rows, cols]}');
  });

  it('reports the first bad value, not a later one', () => {
    const rows = [
      [1, 2],
      [3, NaN],
      ['z', 4],
    ] as never;
    expectSimdnetError(() => toMatrix(rows, 'x'), 'NONFINITE', 'row 1, col 1');
  });
});

describe('matrix helpers', () => {
  it('zeros, isMatrix, rowOf, selectRows', () => {
    const z = zeros(2, 3);
    expect(z.data.length).toBe(6);
    expect(isMatrix(z)).toBe(true);
    expect(isMatrix({ data: [1], rows: 1, cols: 1 })).toBe(false);
    expect(isMatrix(null)).toBe(false);
    const m = toMatrix([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const r = rowOf(m, 1);
    expect(Array.from(r)).toEqual([3, 4]);
    r[0] = 0;
    expect(m.data[2]).toBe(3);
    const s = selectRows(m, [2, 0, 2]);
    expect([s.rows, s.cols]).toEqual([3, 2]);
    expect(Array.from(s.data)).toEqual([5, 6, 1, 2, 5, 6]);
  });
});
