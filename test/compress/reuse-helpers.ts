// Helpers shared by the distillation, transfer and explanation tests.
import type { Dataset, Matrix } from '../../src/index.js';
import { expectSimdnetErrorAsync } from '../helpers/errors.js';

/** Awaits f and checks it throws a SimdnetError with `code` and a message matching `re`. */
export const expectError = expectSimdnetErrorAsync;

/** Rows of `ds` whose label is in [lo, hi] (at most n), with labels shifted down by lo. */
export function digits(ds: Dataset, lo: number, hi: number, n = Infinity): { x: Matrix; labels: Int32Array } {
  const idx: number[] = [];
  for (let i = 0; i < ds.size && idx.length < n; i++) if (ds.labels![i] >= lo && ds.labels![i] <= hi) idx.push(i);
  const sub = ds.subset(idx);
  return { x: sub.x, labels: Int32Array.from(sub.labels!, (l) => l - lo) };
}

export const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** Copies of all weights (to prove a model was left unchanged). */
export function snapshot(m: { getWeights(): { data: Float32Array }[] }): Float32Array[] {
  return m.getWeights().map((w) => w.data.slice());
}
