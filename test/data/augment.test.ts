import { describe, expect, it } from 'vitest';
import { randomShifts, shiftImages } from '../../src/data/augment.js';
import { toMatrix } from '../../src/data/matrix.js';
import { image_shift } from '../../src/reference/util.js';
import { Rng } from '../../src/random.js';
import { randArray } from '../helpers/check.js';
import { expectSimdnetError } from '../helpers/errors.js';

// One 3×4 image with distinct pixels 1..12 (row-major).
const IMG = toMatrix({ data: Array.from({ length: 12 }, (_, i) => i + 1), shape: [1, 12] });

describe('shiftImages (reference of image_shift)', () => {
  it('shifts right/down with zero fill: y(r,c) = x(r − dy, c − dx)', () => {
    // dx = 1 (right), dy = 1 (down)
    expect(Array.from(shiftImages(IMG, 3, 4, [1, 1]).data)).toEqual([0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7]);
  });

  it('shifts left/up', () => {
    // dx = −2 (left), dy = −1 (up)
    expect(Array.from(shiftImages(IMG, 3, 4, [-2, -1]).data)).toEqual([7, 8, 0, 0, 11, 12, 0, 0, 0, 0, 0, 0]);
  });

  it('zero shift is a copy; shifts at or beyond the size give all zeros', () => {
    const same = shiftImages(IMG, 3, 4, [0, 0]);
    expect(Array.from(same.data)).toEqual(Array.from(IMG.data));
    expect(same.data).not.toBe(IMG.data);
    expect(Array.from(shiftImages(IMG, 3, 4, [4, 0]).data).every((v) => v === 0)).toBe(true);
    expect(Array.from(shiftImages(IMG, 3, 4, [0, -3]).data).every((v) => v === 0)).toBe(true);
  });

  it('uses each image its own shift', () => {
    const two = toMatrix({ data: [1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 4] }); // two 2×2 images
    expect(Array.from(shiftImages(two, 2, 2, [1, 0, 0, 1]).data)).toEqual([0, 1, 0, 3, 0, 0, 5, 6]);
  });

  it('agrees with the image_shift kernel twin on random images and drawn shifts (incl. beyond the size)', () => {
    for (const [count, h, w, max] of [
      [7, 5, 3, 6],
      [16, 28, 28, 3],
      [3, 1, 1, 1],
    ]) {
      const x = { data: randArray(count * h * w, count + h, -1, 1), rows: count, cols: h * w };
      const shifts = randomShifts(count, max, 4);
      const want = new Float32Array(count * h * w).fill(NaN);
      image_shift(want, x.data, shifts, count, h, w);
      expect(Array.from(shiftImages(x, h, w, shifts).data)).toEqual(Array.from(want));
    }
  });

  it('errors', () => {
    expectSimdnetError(() => shiftImages(IMG, 3, 3, [0, 0]), 'SHAPE', 'x has 12 columns, expected h·w = 3·3 = 9');
    expectSimdnetError(() => shiftImages(IMG, 3, 4, [0]), 'SHAPE', 'shifts has 1 values, expected 2 per image = 2');
    expectSimdnetError(() => shiftImages(IMG, 3, 4, [0.5, 0]), 'RANGE', 'shift 0 is (0.5, 0), expected whole pixels');
    expectSimdnetError(() => shiftImages(IMG, 0, 4, []), 'RANGE', 'image size must be positive integers');
  });
});

describe('randomShifts', () => {
  it('gives 2·count integers uniform in [−maxShift, maxShift]', () => {
    const s = randomShifts(20000, 2, new Rng(1));
    expect(s).toBeInstanceOf(Int32Array);
    expect(s.length).toBe(40000);
    const hist = new Map<number, number>();
    for (const v of s) hist.set(v, (hist.get(v) ?? 0) + 1);
    expect([...hist.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    // Each of 5 values expected 8000 times; 5 sigma ≈ 450.
    for (const c of hist.values()) expect(Math.abs(c - 8000)).toBeLessThan(450);
    // dx and dy both vary (not one shared draw).
    let differ = 0;
    for (let i = 0; i < 20000; i++) if (s[2 * i] !== s[2 * i + 1]) differ++;
    expect(differ).toBeGreaterThan(10000);
  });

  it('is seeded: same seed same shifts, a number is a seed', () => {
    expect(Array.from(randomShifts(50, 3, 9))).toEqual(Array.from(randomShifts(50, 3, new Rng(9))));
    expect(Array.from(randomShifts(50, 3, 9))).not.toEqual(Array.from(randomShifts(50, 3, 10)));
    expect(Array.from(randomShifts(4, 0, 1))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(randomShifts(0, 3, 1).length).toBe(0);
  });

  it('errors', () => {
    expectSimdnetError(() => randomShifts(-1, 2, 1), 'RANGE', 'randomShifts count must be an integer >= 0, got -1');
    expectSimdnetError(
      () => randomShifts(3, 1.5, 1),
      'RANGE',
      'randomShifts maxShift must be an integer >= 0, got 1.5',
    );
    expectSimdnetError(() => randomShifts(3, -1, 1), 'RANGE', 'got -1');
  });
});
