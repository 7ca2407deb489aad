// A model-level check for a layer type: the model's forward pass equals the f64 reference (test/helpers/net-ref.ts),
// and one full-batch SGD step with learning rate 1 moves every tensor by minus the central-difference gradient of
// the reference loss.
import { expect } from 'vitest';
import { sgd, type Sequential, type Shape } from '../../src/index.js';
import { expectClose } from './check.js';
import { refCrossEntropy, refForward } from './net-ref.js';

/** One-hot rows of `n` classes. */
export function oneHotRows(labels: ArrayLike<number>, n: number): Float32Array {
  const t = new Float32Array(labels.length * n);
  for (let i = 0; i < labels.length; i++) t[i * n + labels[i]] = 1;
  return t;
}

/** Checks a built, softmax-headed model on `rows` of `x` with `labels` (classes = the model's outputs). */
export async function expectForwardAndStepMatchReference(
  m: Sequential,
  input: Shape,
  x: Float32Array,
  labels: Int32Array,
): Promise<void> {
  const rows = labels.length;
  const cols = x.length / rows;
  const classes = m.outputDim;
  const t = oneHotRows(labels, classes);
  const before = m.getWeights().map((w) => Float64Array.from(w.data));
  const p = m.predict({ data: x, shape: [rows, cols] });
  expectClose(p.data, refForward(m.layers, before, input, Float64Array.from(x), rows), 2e-6, 1e-4, 'predict');
  // One full-batch SGD step with lr 1: the weight change is minus the gradient of the batch loss.
  m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 1 }) });
  await m.fit({ data: x, shape: [rows, cols] }, labels, { epochs: 1, batchSize: rows, shuffle: false });
  const after = m.getWeights();
  const loss = (ws: Float64Array[]): number =>
    refCrossEntropy(refForward(m.layers, ws, input, Float64Array.from(x), rows, true), t, rows, classes);
  const h = 1e-6;
  before.forEach((w, i) => {
    const fd = new Float64Array(w.length);
    for (let j = 0; j < w.length; j++) {
      const plus = before.map((a) => a.slice());
      const minus = before.map((a) => a.slice());
      plus[i][j] += h;
      minus[i][j] -= h;
      fd[j] = (loss(plus) - loss(minus)) / (2 * h);
    }
    const step = Float64Array.from(w, (v, j) => v - after[i].data[j]);
    expect(
      step.some((v) => v !== 0),
      `${after[i].name} moved`,
    ).toBe(true);
    expectClose(step, fd, 3e-5, 2e-3, `gradient of ${after[i].name}`);
  });
}
