// Knowledge distillation end to end on the MNIST digits: a 784-32-10 student distilled from a large teacher
// beats the same student trained alone (mean over 3 seeds, same 2,000 training digits, held-out test digits);
// the loss plugs into compile(); every bad pairing is rejected with the student left as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import { adam, dense, dropout, init, logits, sequential, type Dataset, type Sequential } from '../../src/index.js';
import { distill, distillationLoss, distillationTargets } from '../../src/compress/index.js';
import { expectError, mean, snapshot } from './reuse-helpers.js';

let train: Dataset;
let test: Dataset;
let subset: Dataset;
let teacher: Sequential;

const student = (seed: number, hidden = 32): Sequential =>
  sequential([dense(hidden, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], { seed });

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
  ({ train, test } = loadMnist({ seed: 1 }));
  subset = train.take(2000);
  // The teacher learns from the same 2,000 digits as the students (shifted copies help it, not them).
  teacher = sequential(
    [
      dense(256, { activation: 'relu', inputDim: 784 }),
      dropout(0.3),
      dense(256, { activation: 'relu' }),
      dropout(0.3),
      dense(10, { activation: 'softmax' }),
    ],
    { seed: 7, name: 'teacher' },
  );
  teacher.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  await teacher.fit(subset.x, subset.y, {
    epochs: 30,
    batchSize: 64,
    seed: 7,
    augment: { imageShape: [28, 28], maxShift: 2 },
  });
});

describe('distillation on MNIST', () => {
  it('a 784-32-10 student distilled at T = 4, alpha = 0.1 beats the same student trained alone (3 seeds)', async () => {
    const teacherAcc = teacher.evaluate(test.x, test.y).accuracy!;
    const alone: number[] = [];
    const distilled: number[] = [];
    for (const seed of [1, 2, 3]) {
      const a = student(seed);
      a.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
      await a.fit(subset.x, subset.y, { epochs: 60, batchSize: 64, seed });
      alone.push(a.evaluate(test.x, test.y).accuracy!);
      const d = student(seed);
      d.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
      await distill(teacher, d, subset.x, subset.y, { temperature: 4, alpha: 0.1, epochs: 60, batchSize: 64, seed });
      distilled.push(d.evaluate(test.x, test.y).accuracy!);
      a.dispose();
      d.dispose();
    }
    console.log(
      `distillation: teacher ${teacherAcc}, alone ${alone.join(' ')} (mean ${mean(alone).toFixed(4)}), ` +
        `distilled ${distilled.join(' ')} (mean ${mean(distilled).toFixed(4)})`,
    );
    expect(teacherAcc).toBeGreaterThan(mean(alone));
    expect(mean(alone)).toBeGreaterThan(0.85); // a real baseline, not a broken one
    expect(mean(distilled)).toBeGreaterThan(mean(alone) + 0.002);
  });

  it('an unlabelled transfer set (y = null, alpha = 0) carries the teacher’s knowledge to more digits', async () => {
    const a = student(1);
    a.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
    await a.fit(subset.x, subset.y, { epochs: 60, batchSize: 64, seed: 1 });
    const d = student(1);
    d.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 2e-3 }), metrics: ['accuracy'] });
    // All 8,000 training images, but no labels beyond the teacher's 2,000.
    await distill(teacher, d, train.x, null, { temperature: 4, alpha: 0, epochs: 8, batchSize: 64, seed: 1 });
    const accA = a.evaluate(test.x, test.y).accuracy!;
    const accD = d.evaluate(test.x, test.y).accuracy!;
    console.log(`unlabelled transfer set: alone ${accA}, distilled ${accD}`);
    expect(accD).toBeGreaterThan(accA + 0.005);
    a.dispose();
    d.dispose();
  });
});

describe('distillation API', () => {
  it('distillationTargets holds [one-hot | teacher logits]; logits() softmaxes to predict()', () => {
    const x = test.take(5).x;
    const t = distillationTargets(teacher, x, test.take(5).labels!);
    expect([t.rows, t.cols]).toEqual([5, 20]);
    const z = logits(teacher, x);
    const p = teacher.predict(x);
    for (let r = 0; r < 5; r++) {
      expect(Array.from(t.data.subarray(20 * r, 20 * r + 10))).toEqual(
        Array.from(test.take(5).y.data.subarray(10 * r, 10 * r + 10)),
      );
      expect(Array.from(t.data.subarray(20 * r + 10, 20 * r + 20))).toEqual(
        Array.from(z.data.subarray(10 * r, 10 * r + 10)),
      );
      const zr = Array.from(z.data.subarray(10 * r, 10 * r + 10));
      const mx = Math.max(...zr);
      const s = zr.reduce((acc, v) => acc + Math.exp(v - mx), 0);
      zr.forEach((v, j) => expect(Math.exp(v - mx) / s).toBeCloseTo(p.data[10 * r + j], 5));
    }
  });

  it('the Loss plugs into compile(): evaluate reports the hard-label accuracy and the loss at alpha = 1 is plain CE', async () => {
    const s = student(4);
    s.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    await s.fit(subset.x, subset.y, { epochs: 2, batchSize: 64, seed: 4 });
    const plain = s.evaluate(test.x, test.y);
    const wide = distillationTargets(teacher, test.x, test.y);
    s.compile({ loss: distillationLoss({ alpha: 1, temperature: 3 }), metrics: ['accuracy'] });
    const r = s.evaluate(test.x, wide);
    expect(r.accuracy).toBe(plain.accuracy);
    expect(r.loss).toBeCloseTo(plain.loss, 4);
    // With the soft term the loss grows by (1 − alpha)·T²·KL ≥ 0.
    s.compile({ loss: distillationLoss({ alpha: 0.5, temperature: 3 }), metrics: ['accuracy'] });
    expect(s.evaluate(test.x, wide).loss).toBeGreaterThan(0.5 * plain.loss);
    expect(distillationLoss().targetCols(10)).toBe(20);
    s.dispose();
  });

  it('after distill() the student is compiled for its previous loss again, and the js backend trains the same way', async () => {
    const x = subset.take(256);
    const losses: number[] = [];
    for (const backend of ['wasm', 'js'] as const) {
      const s = sequential([dense(16, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
        seed: 5,
        backend,
      });
      s.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
      const h = await distill(teacher, s, x.x, x.y, { epochs: 2, batchSize: 32, seed: 5 });
      losses.push(h.history.loss[1]);
      expect(h.history.loss[1]).toBeLessThan(h.history.loss[0]);
      expect(h.history.accuracy).toHaveLength(2);
      expect(s.compileSettings()?.loss).toBe('categoricalCrossentropy');
      expect(s.evaluate(x.x, x.y).accuracy).toBeGreaterThan(0.3);
      s.dispose();
    }
    expect(losses[1]).toBeCloseTo(losses[0], 3);
  });

  it('rejects what it cannot do, and leaves the student as it was', async () => {
    const s = student(9);
    s.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
    await s.fit(subset.take(64).x, subset.take(64).y, { epochs: 1, seed: 9 });
    const before = snapshot(s);
    const settings = JSON.stringify(s.compileSettings());
    const steps = s.trainedSteps;
    const x = subset.take(32);
    const five = sequential([dense(8, { activation: 'relu', inputDim: 784 }), dense(5, { activation: 'softmax' })], {
      seed: 1,
    });
    const narrow = sequential([dense(8, { activation: 'relu', inputDim: 100 }), dense(10, { activation: 'softmax' })], {
      seed: 1,
    });
    const untrained = student(10);
    untrained.build(784);
    const sigmoidOut = sequential(
      [dense(8, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'sigmoid' })],
      { seed: 1 },
    );

    await expectError(() => distill(teacher, five, x.x, x.y), 'SHAPE', /teacher has 10 outputs but the student has 5/);
    await expectError(
      () => distill(teacher, narrow, x.x, x.y),
      'SHAPE',
      /teacher takes 784 inputs but the student takes 100/,
    );
    await expectError(() => distill(untrained, s, x.x, x.y), 'STATE', /teacher .* is untrained/);
    await expectError(() => distill(teacher, teacher, x.x, x.y), 'RANGE', /different models/);
    await expectError(() => distill(teacher, sigmoidOut, x.x, x.y), 'RANGE', /student must end in softmax/);
    await expectError(() => distill(teacher, s, x.x, x.y, { temperature: 0 }), 'RANGE', /temperature/);
    await expectError(() => distill(teacher, s, x.x, x.y, { temperature: NaN }), 'RANGE', /temperature/);
    await expectError(() => distill(teacher, s, x.x, x.y, { alpha: 1.5 }), 'RANGE', /alpha/);
    await expectError(() => distill(teacher, s, x.x, null, { alpha: 0.1 }), 'RANGE', /without labels.*alpha must be 0/);
    await expectError(() => distill(teacher, s, x.x, subset.take(16).y), 'SHAPE', /y has 16 rows but x has 32/);
    await expectError(
      () => distill(teacher, s, { data: new Float32Array(32 * 100), shape: [32, 100] }, x.y),
      'SHAPE',
      /100 columns but the teacher takes 784/,
    );
    await expectError(() => distill(teacher, s, x.x, x.y, { epochs: -1 }), 'RANGE', /epochs/);
    await expectError(() => distill(teacher, s, x.x, x.y, { batchSize: 0 }), 'RANGE', /batchSize/);
    await expectError(
      () =>
        distill(
          teacher,
          s,
          x.x,
          Int32Array.from({ length: 32 }, () => 12),
        ),
      'RANGE',
      /outside \[0, 10\)/,
    );

    snapshot(s).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i])));
    expect(JSON.stringify(s.compileSettings())).toBe(settings);
    expect(s.trainedSteps).toBe(steps);
    for (const m of [s, five, narrow, untrained, sigmoidOut]) m.dispose();
  });
});
