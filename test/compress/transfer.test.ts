// Transfer learning on the MNIST digits: a body pretrained on digits 0–4 helps learn 5–9 from only 500 labelled
// examples, fine-tuned or frozen (its features fed to a new head), against the same architecture from scratch,
// tested on the 5–9 digits of the held-out split. Plus the mechanics: copied weights, frozen layers that get
// no updates and no optimizer state, the pretrained model untouched, clear errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  adam,
  dense,
  dropout,
  featureExtractor,
  freezeLayers,
  init,
  loadModel,
  saveModel,
  sequential,
  transfer,
  type Matrix,
  type Sequential,
} from '../../src/index.js';
import { digits, expectError, mean, snapshot } from './reuse-helpers.js';

let pre: Sequential;
let few: { x: Matrix; labels: Int32Array }; // 500 labelled 5–9 digits (labels 0–4)
let heldOut: { x: Matrix; labels: Int32Array }; // the 5–9 digits of the test split

const head = (): ReturnType<typeof dense>[] => [dense(64, { activation: 'relu' }), dense(5, { activation: 'softmax' })];
const compile = (m: Sequential): Sequential =>
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });

beforeAll(async () => {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  const zeroToFour = digits(train, 0, 4);
  few = digits(train, 5, 9, 500);
  heldOut = digits(test, 5, 9);
  pre = sequential(
    [
      dense(256, { activation: 'relu', inputDim: 784, name: 'body' }),
      dense(64, { activation: 'relu', name: 'mid' }),
      dense(5, { activation: 'softmax', name: 'old_head' }),
    ],
    { seed: 1, name: 'digits04' },
  );
  compile(pre);
  await pre.fit(zeroToFour.x, zeroToFour.labels, {
    epochs: 20,
    batchSize: 64,
    seed: 1,
    augment: { imageShape: [28, 28], maxShift: 2 },
  });
});

describe('transfer on MNIST: pretrain on 0–4, learn 5–9 from 500 examples', () => {
  it('fine-tuning the pretrained body and a new head on its frozen features both beat training from scratch', async () => {
    expect(few.x.rows).toBe(500);
    const res = {
      scratch: [] as number[],
      fineTuned: [] as number[],
      frozen: [] as number[],
      features: [] as number[],
    };
    const fit = (m: Sequential, x: Matrix, seed: number) => m.fit(x, few.labels, { epochs: 30, batchSize: 32, seed });
    for (const seed of [1, 2, 3]) {
      // The same architecture (784-256-64-5) in every arm.
      const scratch = compile(sequential([dense(256, { activation: 'relu', inputDim: 784 }), ...head()], { seed }));
      await fit(scratch, few.x, seed);
      res.scratch.push(scratch.evaluate(heldOut.x, heldOut.labels).accuracy!);

      const fineTuned = compile(transfer(pre, { keep: 'body', head: head(), freeze: false, seed }));
      await fit(fineTuned, few.x, seed);
      res.fineTuned.push(fineTuned.evaluate(heldOut.x, heldOut.labels).accuracy!);

      const frozen = compile(transfer(pre, { keep: 'body', head: head(), seed }));
      await fit(frozen, few.x, seed);
      res.frozen.push(frozen.evaluate(heldOut.x, heldOut.labels).accuracy!);

      // Features computed once by a frozen extractor, fed to a separate model.
      const extractor = featureExtractor(pre, { keep: 'body' });
      const fTrain = extractor.predict(few.x);
      const fTest = extractor.predict(heldOut.x);
      const newHead = compile(
        sequential([dense(64, { activation: 'relu', inputDim: 256 }), dense(5, { activation: 'softmax' })], { seed }),
      );
      await fit(newHead, fTrain, seed);
      res.features.push(newHead.evaluate(fTest, heldOut.labels).accuracy!);
      for (const m of [scratch, fineTuned, frozen, extractor, newHead]) m.dispose();
    }
    console.log(
      `transfer (5–9 test digits, 3 seeds): ${Object.entries(res)
        .map(([k, v]) => `${k} ${v.map((a) => a.toFixed(4)).join(' ')} (mean ${mean(v).toFixed(4)})`)
        .join('; ')}`,
    );
    expect(mean(res.scratch)).toBeGreaterThan(0.85);
    expect(mean(res.fineTuned)).toBeGreaterThan(mean(res.scratch) + 0.003);
    expect(mean(res.frozen)).toBeGreaterThan(mean(res.scratch) + 0.003);
    expect(mean(res.features)).toBeGreaterThan(mean(res.scratch) + 0.003);
  });
});

describe('transfer mechanics', () => {
  it('copies the body’s specs and weights, starts the head fresh, and leaves the pretrained model untouched', async () => {
    const before = snapshot(pre);
    const predBefore = pre.predict(heldOut.x).data.slice();
    const m = transfer(pre, { head: [dense(3, { activation: 'softmax', name: 'new' })], seed: 4 });
    // Default keep: everything before the last layer with weights.
    expect(m.layers.map((l) => l.name)).toEqual(['body', 'mid', 'new']);
    const w = m.getWeights();
    const pw = pre.getWeights();
    for (let i = 0; i < 4; i++) {
      expect(w[i].name).toBe(pw[i].name);
      expect(Array.from(w[i].data)).toEqual(Array.from(pw[i].data));
    }
    expect(w[4].shape).toEqual([64, 3]);
    expect(m.countParams()).toEqual({ total: 784 * 256 + 256 + 256 * 64 + 64 + 64 * 3 + 3, trainable: 64 * 3 + 3 });
    // The transferred body computes exactly what the pretrained one did.
    expect(Array.from(m.features(heldOut.x, 'mid').data)).toEqual(Array.from(pre.features(heldOut.x, 'mid').data));
    // Frozen layers get no updates and no optimizer state: only the head's floats are in the trainable prefix.
    compile(m);
    await m.fit(
      few.x,
      Int32Array.from(few.labels, (l) => l % 3),
      { epochs: 2, batchSize: 32, seed: 4 },
    );
    expect(m.net!.trainableFloats).toBe(Math.ceil((64 * 3) / 4) * 4 + 4);
    const after = m.getWeights();
    for (let i = 0; i < 4; i++) expect(Array.from(after[i].data)).toEqual(Array.from(pw[i].data));
    expect(Array.from(after[4].data)).not.toEqual(Array.from(w[4].data));
    // Unfreeze the body for a second stage: now it moves too.
    freezeLayers(m, 'mid', false);
    expect(m.countParams().trainable).toBe(m.countParams().total);
    await m.fit(
      few.x,
      Int32Array.from(few.labels, (l) => l % 3),
      { epochs: 1, batchSize: 32, seed: 5 },
    );
    expect(Array.from(m.getWeights()[0].data)).not.toEqual(Array.from(pw[0].data));
    freezeLayers(m, 0);
    expect(m.countParams().trainable).toBe(m.countParams().total - (784 * 256 + 256));
    // The pretrained model never changed.
    snapshot(pre).forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
    expect(Array.from(pre.predict(heldOut.x).data)).toEqual(Array.from(predBefore));
    m.dispose();
  });

  it('a feature extractor is a model of its own: predict() is features() of the original, and it saves', () => {
    const fx = featureExtractor(pre);
    expect(fx.layers.map((l) => l.name)).toEqual(['body', 'mid']);
    expect(fx.countParams().trainable).toBe(0);
    const x = heldOut.x;
    const f = fx.predict(x);
    expect(Array.from(f.data)).toEqual(Array.from(pre.features(x, 'mid').data));
    const back = loadModel(saveModel(fx));
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(f.data));
    expect(fx.metadata.transferredFrom).toEqual({ model: 'digits04', keep: 2 });
    fx.dispose();
    back.dispose();
  });

  it('keeps dropout layers, renames a head layer that repeats a body name, and accepts a count for keep', () => {
    const p = sequential(
      [
        dense(6, { activation: 'relu', inputDim: 4, name: 'a' }),
        dropout(0.2, { name: 'd' }),
        dense(2, { activation: 'softmax', name: 'b' }),
      ],
      { seed: 1 },
    );
    p.build(4);
    p.trainedSteps = 1; // stands in for a trained model
    const m = transfer(p, { keep: 2, head: [dense(3, { activation: 'softmax', name: 'a' })] });
    expect(m.layers.map((l) => l.name)).toEqual(['a', 'd', 'a_head']);
    expect(m.layers[1]).toEqual({ type: 'dropout', name: 'd', rate: 0.2 });
    m.dispose();
    p.dispose();
  });

  it('rejects an untrained model, a bad keep, a body without weights, a bad head; the pretrained model is unchanged', async () => {
    const raw = sequential([dense(4, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], {
      seed: 1,
    });
    await expectError(() => transfer(raw), 'STATE', /untrained/);
    raw.build(3);
    await expectError(() => transfer(raw, { head: [] }), 'STATE', /untrained \(0 training steps\)/);
    const before = snapshot(pre);
    await expectError(() => transfer(pre, { keep: 0 }), 'RANGE', /keep must be a layer count in \[1, 3\]/);
    await expectError(() => transfer(pre, { keep: 4 }), 'RANGE', /keep must be/);
    await expectError(() => transfer(pre, { keep: 'nope' }), 'RANGE', /no layer "nope".*body, mid, old_head/);
    await expectError(() => transfer(pre, { head: 'dense' as never }), 'RANGE', /head must be an array/);
    await expectError(() => transfer(pre, { freeze: 'yes' as never }), 'RANGE', /freeze must be true or false/);
    await expectError(() => transfer(pre, { head: [{ type: 'dense', name: 'x' } as never] }), 'FORMAT', /layer 2/);
    const single = sequential([dense(2, { activation: 'softmax', inputDim: 3 })], { seed: 1 });
    single.build(3);
    single.trainedSteps = 1;
    await expectError(() => transfer(single), 'RANGE', /single layer with weights/);
    const dropFirst = sequential([dropout(0.1, { name: 'd0' }), dense(2, { activation: 'softmax', inputDim: 3 })], {
      seed: 1,
    });
    dropFirst.build(3);
    dropFirst.trainedSteps = 1;
    await expectError(() => transfer(dropFirst, { keep: 1 }), 'RANGE', /no layer with weights/);
    await expectError(() => freezeLayers(pre, 'nope'), 'RANGE', /no layer/);
    snapshot(pre).forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
    expect(pre.countParams().trainable).toBe(pre.countParams().total);
    for (const m of [raw, single, dropFirst]) m.dispose();
  });
});
