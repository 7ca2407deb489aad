/**
 * Data augmentation by whole-pixel image shifts. The host only DRAWS the shifts (a small Int32Array); the pixels
 * are moved by the engine's `image_shift` kernel. {@link shiftImages} is the plain-TS reference of that kernel for
 * tests and small data, not for the training hot path.
 */
import { check } from '../errors.js';
import { Rng } from '../random.js';
import { type Matrix, checkMatrix } from './matrix.js';

/**
 * Draws `count` random shifts (dx, dy), each component uniform over the integers in [−maxShift, maxShift], laid out
 * as the `image_shift` kernel reads them: shifts[2i] = dx, shifts[2i+1] = dy.
 * @param count number of images (integer >= 0).
 * @param maxShift largest shift in pixels (integer >= 0; 0 gives all-zero shifts).
 * @param rng a seeded {@link Rng}, or a seed to make one.
 * @throws SimdnetError RANGE for a negative or non-integer count or maxShift.
 */
export function randomShifts(count: number, maxShift: number, rng: Rng | number): Int32Array {
  check(
    Number.isSafeInteger(count) && count >= 0,
    'RANGE',
    () => `randomShifts count must be an integer >= 0, got ${count}`,
  );
  check(
    Number.isSafeInteger(maxShift) && maxShift >= 0,
    'RANGE',
    () => `randomShifts maxShift must be an integer >= 0, got ${maxShift}`,
  );
  check(
    typeof rng === 'number' || rng instanceof Rng,
    'DTYPE',
    () => `randomShifts rng must be an Rng or a seed number, got ${rng === null ? 'null' : typeof rng}`,
  );
  const r = typeof rng === 'number' ? new Rng(rng) : rng;
  const out = new Int32Array(2 * count);
  const span = 2 * maxShift + 1;
  for (let i = 0; i < out.length; i++) out[i] = r.int(span) - maxShift;
  return out;
}

/**
 * Shifts each row of `x` (an h×w image, row-major) by whole pixels with zero fill, into a fresh matrix:
 * `y[i](r, c) = x[i](r − dy, c − dx)`, where `(dx, dy) = (shifts[2i], shifts[2i+1])`. Positive dx moves content
 * right, positive dy moves it down. Reference semantics of the `image_shift` kernel.
 * @throws SimdnetError SHAPE if x.cols ≠ h·w or shifts does not hold 2 values per row; RANGE for a bad h, w or a
 *   non-integer shift.
 */
export function shiftImages(x: Matrix, h: number, w: number, shifts: ArrayLike<number>): Matrix {
  check(
    Number.isSafeInteger(h) && h > 0 && Number.isSafeInteger(w) && w > 0,
    'RANGE',
    () => `image size must be positive integers, got ${h}×${w}`,
  );
  checkMatrix(x, 'shiftImages', 'x');
  check(
    typeof shifts === 'object' && shifts !== null && typeof shifts.length === 'number',
    'DTYPE',
    () => `shiftImages shifts must be an array of whole-pixel offsets, got ${shifts === null ? 'null' : typeof shifts}`,
  );
  check(x.cols === h * w, 'SHAPE', () => `x has ${x.cols} columns, expected h·w = ${h}·${w} = ${h * w}`);
  check(
    shifts.length === 2 * x.rows,
    'SHAPE',
    () => `shifts has ${shifts.length} values, expected 2 per image = ${2 * x.rows}`,
  );
  const out = new Float32Array(x.rows * x.cols);
  for (let i = 0; i < x.rows; i++) {
    const dx = shifts[2 * i];
    const dy = shifts[2 * i + 1];
    check(
      Number.isInteger(dx) && Number.isInteger(dy),
      'RANGE',
      () => `shift ${i} is (${dx}, ${dy}), expected whole pixels`,
    );
    const base = i * x.cols;
    for (let r = 0; r < h; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= h) continue; // row comes from outside the image: stays zero
      for (let c = 0; c < w; c++) {
        const sc = c - dx;
        if (sc >= 0 && sc < w) out[base + r * w + c] = x.data[base + sr * w + sc];
      }
    }
  }
  return { data: out, rows: x.rows, cols: x.cols };
}
