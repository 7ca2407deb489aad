/**
 * The one dense 2-D container the data module hands to the engine, and the validating converter that turns
 * whatever the user has (typed arrays with a shape, arrays of rows, other matrices) into it.
 *
 * Contract of {@link toMatrix}:
 * - It always COPIES into a fresh Float32Array: the result never aliases the caller's data, and the caller's data is
 *   never modified. (The engine later copies into wasm memory anyway; one more copy here buys safety for cheap.)
 * - Rows and columns count from 0 in messages ("x row 17" is the 18th row).
 * - Every value must be a finite number after conversion to float32; a float64 value that overflows float32
 *   (|v| > 3.4e38) is rejected too, since it would silently become ±Infinity.
 * - A flat array (number[] or typed array) is accepted only together with the expected column count `cols`; it is
 *   read row-major. Without `cols` a flat array is ambiguous (one row? one column?), so it is an error that tells
 *   the caller to pass `{ data, shape: [rows, cols] }`.
 */
import { SimdnetError, check } from '../errors.js';

/** A dense row-major float32 matrix: element (r, c) is `data[r * cols + c]`. */
export type Matrix = {
  /** rows·cols values, row after row. */
  data: Float32Array;
  /** Number of rows (samples). */
  rows: number;
  /** Values per row. */
  cols: number;
};

/** Any array of numbers the converter reads: number[] or a non-BigInt typed array. */
export type NumericArray =
  | readonly number[]
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** A flat row-major array with an explicit shape. */
export type ShapedInput = {
  /** rows·cols values, row after row. */
  data: NumericArray;
  /** [rows, cols]. */
  shape: readonly [number, number];
};

/** Everything {@link toMatrix} accepts. */
export type MatrixInput = Matrix | ShapedInput | readonly NumericArray[] | NumericArray;

/** Fresh zero-filled matrix of the given shape (rows and cols non-negative integers). */
export function zeros(rows: number, cols: number): Matrix {
  checkCount(rows, 'zeros', 'rows');
  checkCount(cols, 'zeros', 'cols');
  let data: Float32Array;
  try {
    data = new Float32Array(rows * cols);
  } catch {
    throw new SimdnetError('MEMORY', `zeros: cannot allocate ${rows}×${cols} floats`);
  }
  return { data, rows, cols };
}

/** A size argument: a non-negative safe integer (DTYPE for a non-number, RANGE otherwise). */
function checkCount(v: unknown, where: string, what: string): asserts v is number {
  check(typeof v === 'number', 'DTYPE', () => `${where}: ${what} must be a number, got ${describe(v)}`);
  check(Number.isSafeInteger(v) && v >= 0, 'RANGE', () => `${where}: ${what} must be a non-negative integer, got ${v}`);
}

/**
 * Checks that an argument is a {@link Matrix} `{ data: Float32Array, rows, cols }` whose data holds rows·cols
 * values (the functions that take a Matrix, not any MatrixInput, read it without converting).
 */
export function checkMatrix(m: unknown, where: string, what: string): asserts m is Matrix {
  check(
    isMatrix(m),
    'DTYPE',
    () => `${where}: ${what} must be a matrix { data: Float32Array, rows, cols } (see toMatrix), got ${describe(m)}`,
  );
  check(
    m.rows >= 0 && m.cols >= 0 && m.data.length === m.rows * m.cols,
    'SHAPE',
    () => `${where}: ${what} has rows ${m.rows} and cols ${m.cols} but ${m.data.length} values`,
  );
}

/** True when `v` looks like a {@link Matrix} (a Float32Array `data` with integer `rows` and `cols`). */
export function isMatrix(v: unknown): v is Matrix {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Partial<Matrix>;
  return m.data instanceof Float32Array && Number.isInteger(m.rows) && Number.isInteger(m.cols);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isNumericArray(v: unknown): v is NumericArray {
  if (Array.isArray(v)) return true;
  return (
    ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)
  );
}

function checkDim(v: unknown, name: string, what: string): number {
  check(
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
    'SHAPE',
    () => `${name} ${what} must be a non-negative integer, got ${typeof v === 'number' ? v : describe(v)}`,
  );
  return v;
}

function checkNotEmpty(rows: number, cols: number, name: string): void {
  check(rows > 0, 'EMPTY', `${name} is empty (0 rows)`);
  check(cols > 0, 'EMPTY', `${name} is empty (0 columns)`);
}

function checkCols(cols: number, expected: number | undefined, name: string): void {
  check(
    expected === undefined || cols === expected,
    'SHAPE',
    () => `${name} has ${cols} column${cols === 1 ? '' : 's'}, expected ${expected}`,
  );
}

/** Error for a bad value: non-number (DTYPE) or non-finite / float32 overflow (NONFINITE). */
function badValue(name: string, r: number, c: number, v: unknown): SimdnetError {
  const at = `row ${r}, col ${c}`;
  if (typeof v !== 'number') {
    return new SimdnetError('DTYPE', `${name} ${at} is ${describe(v)}, expected a number`);
  }
  if (Number.isFinite(v)) {
    return new SimdnetError('NONFINITE', `${name} ${at} is ${v}, which overflows float32 to ±Infinity`);
  }
  return new SimdnetError('NONFINITE', `${name} has ${v} at ${at}; all values must be finite`);
}

/**
 * Copies `src` (row-major, `rows * cols` values starting at 0) into a fresh Float32Array, checking that every value
 * is a number that stays finite in float32. Typed arrays skip the per-element type check. `borrow`: a Float32Array
 * is checked where it is and returned, not copied (see borrowMatrix).
 */
function copyChecked(src: NumericArray, rows: number, cols: number, name: string, borrow = false): Float32Array {
  const n = rows * cols;
  const out = borrow && src instanceof Float32Array ? src : new Float32Array(n);
  if (out === src) {
    // borrowed: nothing to copy
  } else if (ArrayBuffer.isView(src)) {
    out.set(src as ArrayLike<number>);
  } else {
    for (let i = 0; i < n; i++) {
      const v: unknown = src[i];
      if (typeof v !== 'number') throw badValue(name, Math.floor(i / cols), i % cols, v);
      out[i] = v;
    }
  }
  // One pass over the float32 result: x − x is 0 for finite x and NaN for NaN or ±Inf (also catches overflow).
  for (let i = 0; i < n; i++) {
    const v = out[i];
    if (v - v !== 0) throw badValue(name, Math.floor(i / cols), i % cols, Number(src[i]));
  }
  return out;
}

function fromFlat(
  data: unknown,
  rows: unknown,
  cols: unknown,
  name: string,
  expectedCols?: number,
  borrow = false,
): Matrix {
  check(
    isNumericArray(data),
    'DTYPE',
    () => `${name} data is ${describe(data)}, expected a Float32Array, Float64Array or number[]`,
  );
  const r = checkDim(rows, name, 'rows');
  const c = checkDim(cols, name, 'cols');
  checkNotEmpty(r, c, name);
  check(
    data.length === r * c,
    'SHAPE',
    () => `${name} data has ${data.length} values, but shape [${r}, ${c}] needs ${r * c}`,
  );
  checkCols(c, expectedCols, name);
  return { data: copyChecked(data, r, c, name, borrow), rows: r, cols: c };
}

function fromRows(rowsIn: readonly unknown[], name: string, expectedCols?: number): Matrix {
  const rows = rowsIn.length;
  check(rows > 0, 'EMPTY', `${name} is empty (0 rows)`);
  const first = rowsIn[0];
  check(isNumericArray(first), 'DTYPE', () => `${name} row 0 is ${describe(first)}, expected an array of numbers`);
  const cols = first.length;
  checkNotEmpty(rows, cols, name);
  checkCols(cols, expectedCols, name);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = rowsIn[r];
    check(
      isNumericArray(row),
      'DTYPE',
      () => `${name} row ${r} is ${describe(row)}, expected an array of ${cols} numbers`,
    );
    check(
      row.length === cols,
      'SHAPE',
      () => `${name} row ${r} has ${row.length} value${row.length === 1 ? '' : 's'}, expected ${cols}`,
    );
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v: unknown = row[c];
      if (typeof v !== 'number') throw badValue(name, r, c, v);
      const f = Math.fround(v);
      if (f - f !== 0) throw badValue(name, r, c, v);
      out[base + c] = f;
    }
  }
  return { data: out, rows, cols };
}

/**
 * Validates `input` and copies it into a fresh float32 {@link Matrix}.
 *
 * Accepts:
 * - `{ data, shape: [rows, cols] }` with `data` a Float32Array, Float64Array, other non-BigInt typed array or
 *   number[] of exactly rows·cols values (row-major);
 * - a {@link Matrix} `{ data, rows, cols }` (copied, not aliased);
 * - an array of rows (`number[][]`, or an array of typed arrays), all of the same length;
 * - a flat array, only when `cols` is given (rows = length / cols).
 *
 * @param input the data to convert.
 * @param name the argument's name, used in every error message (e.g. `'x'`, `'labels'`).
 * @param cols the column count the caller expects; a different count is a SHAPE error.
 * @returns a new matrix whose `data` the caller owns.
 * @throws SimdnetError EMPTY (no rows or no columns), SHAPE (ragged rows, data length ≠ rows·cols, bad shape,
 *   column count ≠ `cols`, flat array without `cols`), DTYPE (a value or container that is not numeric),
 *   NONFINITE (NaN, ±Infinity or float32 overflow; names the first bad row and column).
 */
export function toMatrix(input: MatrixInput, name = 'x', cols?: number): Matrix {
  check(typeof name === 'string', 'DTYPE', () => `toMatrix: name must be a string, got ${describe(name)}`);
  return matrixOf(input, name, cols, false);
}

/**
 * @internal toMatrix for a caller that copies the data into wasm memory before any other code runs and keeps nothing
 * (fit, evaluate): Float32Array data is checked in place, not copied. A copy of the training set per call is an
 * allocation as large as the data, and on a first touch each of its pages faults (a few ms per 1 MB on this VM):
 * ~80 ms for 8,000 MNIST digits, paid by each of the first fit() calls of a loop of one-epoch calls.
 */
export function borrowMatrix(input: MatrixInput, name: string, cols?: number): Matrix {
  return matrixOf(input, name, cols, true);
}

function matrixOf(input: MatrixInput, name: string, cols: number | undefined, borrow: boolean): Matrix {
  if (cols !== undefined) {
    check(
      Number.isSafeInteger(cols) && cols > 0,
      'SHAPE',
      () => `expected column count for ${name} must be a positive integer, got ${cols}`,
    );
  }
  const v: unknown = input;
  check(
    typeof v === 'object' && v !== null,
    'DTYPE',
    () => `${name} is ${describe(v)}, expected a matrix, an array of rows or {data, shape}`,
  );
  if (Array.isArray(v)) {
    // An array of rows, unless its elements are numbers (a flat array).
    if (v.length === 0) throw new SimdnetError('EMPTY', `${name} is empty (0 rows)`);
    if (typeof v[0] !== 'number') return fromRows(v, name, cols);
  }
  if (isNumericArray(v)) {
    check(
      cols !== undefined,
      'SHAPE',
      () =>
        `${name} is a flat array of ${v.length} values with no shape; pass {data, shape: [rows, cols]} or an array of rows`,
    );
    check(v.length > 0, 'EMPTY', `${name} is empty (0 rows)`);
    check(v.length % cols === 0, 'SHAPE', () => `${name} has ${v.length} values, not a multiple of ${cols} columns`);
    return fromFlat(v, v.length / cols, cols, name, cols, borrow);
  }
  const o = v as Record<string, unknown>;
  if ('shape' in o) {
    const shape = o.shape;
    check(
      Array.isArray(shape) && shape.length === 2,
      'SHAPE',
      () =>
        `${name} shape must be [rows, cols], got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`,
    );
    return fromFlat(o.data, shape[0], shape[1], name, cols, borrow);
  }
  if ('rows' in o || 'cols' in o) return fromFlat(o.data, o.rows, o.cols, name, cols, borrow);
  throw new SimdnetError(
    'DTYPE',
    `${name} is an object without shape; expected a matrix {data, rows, cols}, {data, shape} or an array of rows`,
  );
}

/** True for a flat array of numbers (a typed array or number[]) rather than a matrix or an array of rows. */
export function isFlatNumbers(v: unknown): v is NumericArray {
  if (isMatrix(v)) return false;
  if (ArrayBuffer.isView(v)) return !(v instanceof DataView);
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number');
}

/**
 * A Float32Array-backed {@link Matrix} or `{data, shape}` whose shape fits `cols`, as a Matrix over the SAME data
 * (no copy, no per-element check: inference paths stage it into engine memory and check it there with a
 * kernel); undefined for anything else or anything malformed, which then goes through {@link toMatrix}.
 */
export function f32View(x: unknown, cols: number | undefined): Matrix | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || ArrayBuffer.isView(x)) return undefined;
  const o = x as { data?: unknown; shape?: unknown; rows?: unknown; cols?: unknown };
  if (!(o.data instanceof Float32Array)) return undefined;
  const [r, c] = Array.isArray(o.shape) ? o.shape : [o.rows, o.cols];
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 1 || c < 1 || r * c !== o.data.length) return undefined;
  if (cols !== undefined && c !== cols) return undefined;
  return { data: o.data, rows: r as number, cols: c as number };
}

/** Fresh copy of row `r` (an integer in [0, rows)) of `m`. */
export function rowOf(m: Matrix, r: number): Float32Array {
  checkMatrix(m, 'rowOf', 'm');
  checkCount(r, 'rowOf', 'row');
  check(r < m.rows, 'RANGE', () => `rowOf: row ${r} is outside [0, ${m.rows})`);
  return m.data.slice(r * m.cols, (r + 1) * m.cols);
}

/**
 * Fresh matrix made of rows `indices[0], indices[1], …` of `m` (repeats allowed); each index an integer in
 * [0, rows).
 */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  checkMatrix(m, 'selectRows', 'm');
  check(
    isNumericArray(indices),
    'DTYPE',
    () => `selectRows: indices must be an array of row numbers, got ${describe(indices)}`,
  );
  const { cols, rows } = m;
  const out = new Float32Array(indices.length * cols);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    // One compare per row copied: cheap next to the copy itself.
    if (!(Number.isInteger(k) && k >= 0 && k < rows)) {
      throw new SimdnetError(
        'RANGE',
        `selectRows: indices[${i}] is ${typeof k === 'number' ? k : describe(k)}, expected an integer row in [0, ${rows})`,
      );
    }
    const s = k * cols;
    out.set(m.data.subarray(s, s + cols), i * cols);
  }
  return { data: out, rows: indices.length, cols };
}

/** Shortest decimal text that reads back as the same float32 (0.9, not 0.8999999761581421), for messages. */
export function formatF32(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p < 10; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}
