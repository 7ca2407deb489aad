// Real data end to end: the mnist package's digits, a small MLP, the held-out 2,000 test digits.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import { adam, conv2d, dense, flatten, init, loadModel, maxPooling2d, saveModel, sequential } from '../../src/index.js';

let data: ReturnType<typeof loadMnist>;

beforeAll(async () => {
  await init();
  data = loadMnist({ seed: 1 });
});

describe('MNIST', () => {
  it('a 784-128-10 MLP passes 93.5% on the held-out digits after 8 epochs (CI-sized run)', async () => {
    const { train, test } = data;
    const m = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      seed: 1,
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
    const h = await m.fit(train.x, train.y, { epochs: 8, batchSize: 64, validationSplit: 0.1, seed: 1 });
    expect(h.history.val_accuracy.at(-1)!).toBeGreaterThan(0.9);
    const r = m.evaluate(test.x, test.y);
    expect(r.accuracy!).toBeGreaterThan(0.935);
    // The saved model predicts the same classes, bit for bit.
    const back = loadModel(saveModel(m));
    expect(Array.from(back.predictClasses(test.x))).toEqual(Array.from(m.predictClasses(test.x)));
    m.dispose();
    back.dispose();
  });

  it('shift augmentation runs in the kernels and still learns', async () => {
    const { train, test } = data;
    const m = sequential([dense(64, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      seed: 2,
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
    await m.fit(train.x, train.y, {
      epochs: 2,
      batchSize: 64,
      seed: 2,
      augment: { imageShape: [28, 28], maxShift: 2 },
    });
    expect(m.evaluate(test.x, test.y).accuracy!).toBeGreaterThan(0.88);
    m.dispose();
  });

  it('the LeNet-like CNN of the issue passes 95% on the held-out digits after 4 epochs (CI-sized run)', async () => {
    const { train, test } = data;
    const m = sequential(
      [
        conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
        maxPooling2d(2),
        conv2d(16, 5, { activation: 'relu' }),
        maxPooling2d(2),
        flatten(),
        dense(10, { activation: 'softmax' }),
      ],
      { seed: 1 },
    );
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
    await m.fit(train.x, train.y, { epochs: 4, batchSize: 32, seed: 1 });
    const r = m.evaluate(test.x, test.y);
    expect(r.accuracy!).toBeGreaterThan(0.95);
    const back = loadModel(saveModel(m));
    expect(Array.from(back.predict(test.x).data)).toEqual(Array.from(m.predict(test.x).data));
    m.dispose();
    back.dispose();
  });
});
