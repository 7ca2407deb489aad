// The seed's own examples: logistic regression learns AND and OR but not XOR; a 2-4-1 sigmoid MLP learns XOR.
import { describe, expect, it } from 'vitest';
import { dense, init, sequential, sgd, type Backend } from '../../src/index.js';

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const AND = [[0], [0], [0], [1]];
const OR = [[0], [1], [1], [1]];
const XOR = [[0], [1], [1], [0]];

async function train(hidden: number, y: number[][], backend: Backend, epochs: number, seed = 3) {
  await init({ backend });
  const layers =
    hidden > 0
      ? [dense(hidden, { activation: 'sigmoid', inputDim: 2 }), dense(1, { activation: 'sigmoid' })]
      : [dense(1, { activation: 'sigmoid', inputDim: 2 })];
  const model = sequential(layers, { backend, seed });
  // Full-batch gradient descent, as in the seed's examples.
  model.compile({
    loss: 'binaryCrossentropy',
    optimizer: sgd({ learningRate: hidden > 0 ? 2 : 1 }),
    metrics: ['accuracy'],
  });
  const h = await model.fit(X, y, { epochs, batchSize: 4, seed });
  const p = model.predict(X).data;
  const acc = model.evaluate(X, y).accuracy!;
  model.dispose();
  return { p: Array.from(p), acc, loss: h.history.loss.at(-1)! };
}

describe.each(['wasm', 'js'] as const)('logic gates (%s backend)', (backend) => {
  it('a single sigmoid layer learns AND and OR', async () => {
    for (const y of [AND, OR]) {
      const r = await train(0, y, backend, 2000);
      expect(r.acc).toBe(1);
      r.p.forEach((v, i) => expect(Math.abs(v - y[i][0])).toBeLessThan(0.2));
    }
  });

  it('a single sigmoid layer cannot learn XOR', async () => {
    const r = await train(0, XOR, backend, 2000);
    // A linear separator gets at most 3 of the 4 points right, and its loss stays near log 2.
    expect(r.acc).toBeLessThanOrEqual(0.75);
    expect(r.loss).toBeGreaterThan(0.5);
  });

  it('a 2-4-1 sigmoid MLP learns XOR with gradient descent', async () => {
    const r = await train(4, XOR, backend, 3000);
    expect(r.acc).toBe(1);
    r.p.forEach((v, i) => expect(Math.abs(v - XOR[i][0])).toBeLessThan(0.2));
  });
});
