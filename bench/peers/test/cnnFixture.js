// A small CNN test case shared by the CNN tests: random weights (biases too, so bias paths are exercised) and a
// batch of inputs in [0, 1) with one-hot targets.
import { initialCnnWeights } from '../lib/cnn.js';
import { randArray } from '../lib/common.js';

export function cnnFixture(rows, seed) {
  const w = initialCnnWeights(seed).map((t, i) =>
    t.shape.length === 1 ? { ...t, data: randArray(t.data.length, seed + 50 + i).map((v) => v * 0.1) } : t,
  );
  const x = randArray(rows * 784, seed + 7).map((v) => (v + 1) / 2);
  const y = new Float32Array(rows * 10);
  for (let r = 0; r < rows; r++) y[r * 10 + ((r * 7 + seed) % 10)] = 1;
  return { w, x, y };
}
