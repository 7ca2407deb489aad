// Explanations: saliency against finite differences and closed forms, integrated gradients' completeness on MNIST
// (attributions add up to f(x) − f(baseline) within 1% with 128 steps, 2% with 64, of |f(x) − f(baseline)| or a floor) and where the attribution
// mass falls (the digit's strokes), dropout and compile modes, and a model left exactly as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  adam,
  dense,
  dropout,
  activation,
  init,
  integratedGradients,
  logits,
  saliency,
  sequential,
  type Matrix,
  type Sequential,
} from '../../src/index.js';
import { expectClose, randArray } from '../helpers/check.js';
import { expectError, mean, snapshot } from './reuse-helpers.js';

let model: Sequential;
let x: Matrix; // 40 held-out digits
let trainX: Matrix;

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
  const { train, test } = loadMnist({ seed: 1 });
  trainX = train.x;
  model = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed: 1,
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs: 3, batchSize: 64, seed: 1 });
  x = test.take(40).x;
});

/** Box blur of each 28×28 row (radius r): a baseline that keeps the image's mean brightness but not its strokes. */
function blurred(m: Matrix, r: number): Matrix {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    const src = m.data.subarray(i * 784, (i + 1) * 784);
    for (let y = 0; y < 28; y++) {
      for (let c = 0; c < 28; c++) {
        let s = 0;
        let k = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dc = -r; dc <= r; dc++) {
            const yy = y + dy;
            const cc = c + dc;
            if (yy >= 0 && yy < 28 && cc >= 0 && cc < 28) {
              s += src[yy * 28 + cc];
              k++;
            }
          }
        }
        out[i * 784 + y * 28 + c] = s / k;
      }
    }
  }
  return { data: out, rows: m.rows, cols: 784 };
}

/** Pixels > 0.5, optionally grown by one pixel in each direction. */
function strokeMask(row: Float32Array, dilate: boolean): Uint8Array {
  const mask = new Uint8Array(784);
  for (let y = 0; y < 28; y++) {
    for (let c = 0; c < 28; c++) {
      if (row[y * 28 + c] <= 0.5) continue;
      const d = dilate ? 1 : 0;
      for (let dy = -d; dy <= d; dy++) {
        for (let dc = -d; dc <= d; dc++) {
          const yy = y + dy;
          const cc = c + dc;
          if (yy >= 0 && yy < 28 && cc >= 0 && cc < 28) mask[yy * 28 + cc] = 1;
        }
      }
    }
  }
  return mask;
}

/** Mean over rows of: share of the positive attribution on the mask, and the mask's share of the image. */
function strokeMass(attr: Matrix, images: Matrix, dilate: boolean): { mass: number; area: number } {
  const mass: number[] = [];
  const area: number[] = [];
  for (let i = 0; i < images.rows; i++) {
    const mask = strokeMask(images.data.subarray(i * 784, (i + 1) * 784), dilate);
    let pos = 0;
    let on = 0;
    let cnt = 0;
    for (let j = 0; j < 784; j++) {
      const v = Math.max(0, attr.data[i * 784 + j]);
      pos += v;
      if (mask[j]) {
        on += v;
        cnt++;
      }
    }
    mass.push(on / pos);
    area.push(cnt / 784);
  }
  return { mass: mean(mass), area: mean(area) };
}

describe('integrated gradients on MNIST', () => {
  // The error is measured against |f(x) − f(x′)|, floored (0.05 for probabilities, 0.5 for logits): for a digit
  // whose output barely changes along the path, a relative error means nothing; the floor bounds its absolute error.
  it.each([
    ['output', 128, 0.01],
    ['output', 64, 0.02],
    ['logit', 128, 0.01],
    ['logit', 64, 0.02],
  ] as const)(
    'completeness (%s, %i steps): Σ attributions = f(x) − f(baseline) within %f, black and blurred baselines',
    (space, steps, tol) => {
      const floor = space === 'output' ? 0.05 : 0.5;
      for (const baseline of [0, blurred(x, 4)]) {
        const r = integratedGradients(model, x, { space, steps, baseline });
        for (let i = 0; i < x.rows; i++) {
          const change = r.fx[i] - r.fBaseline[i];
          expect(
            Math.abs(r.delta[i]),
            `row ${i}: Σ ${r.delta[i] + change} vs f(x) − f(x′) = ${change}`,
          ).toBeLessThanOrEqual(tol * Math.max(Math.abs(change), floor));
        }
      }
    },
  );

  it('f(x) is the model’s own output and the explained class is the predicted one by default', () => {
    const r = integratedGradients(model, x, { steps: 16 });
    const p = model.predict(x);
    expect(Array.from(r.classes)).toEqual(Array.from(model.predictClasses(x)));
    for (let i = 0; i < x.rows; i++) {
      expect(r.fx[i]).toBeCloseTo(p.data[i * 10 + r.classes[i]], 5);
      expect(r.fBaseline[i]).toBeCloseTo(
        model.predict({ data: new Float32Array(784), shape: [1, 784] }).data[r.classes[i]],
        5,
      );
    }
    const z = logits(model, x);
    const rl = integratedGradients(model, x, { steps: 16, space: 'logit', output: 3 });
    for (let i = 0; i < x.rows; i++) expect(rl.fx[i]).toBeCloseTo(z.data[i * 10 + 3], 4);
    expect(Array.from(rl.classes)).toEqual(new Array(x.rows).fill(3));
  });

  it('most of the positive attribution falls on the digit’s strokes', () => {
    // Black baseline: attributions are (x − 0)·ḡ, so background pixels get exactly 0 — the stroke test is then
    // whether the bright core (> 0.5) beats the faint rim. Blurred baseline: every pixel can get attribution.
    const black = strokeMass(integratedGradients(model, x, { steps: 64 }).attributions, x, false);
    const blur = strokeMass(
      integratedGradients(model, x, { steps: 64, baseline: blurred(x, 4) }).attributions,
      x,
      true,
    );
    console.log(
      `IG stroke mass: black baseline ${black.mass.toFixed(3)} on ${black.area.toFixed(3)} of the pixels (> 0.5); ` +
        `blurred baseline ${blur.mass.toFixed(3)} on ${blur.area.toFixed(3)} (dilated strokes)`,
    );
    expect(black.area).toBeLessThan(0.2);
    expect(black.mass).toBeGreaterThan(0.8);
    expect(blur.area).toBeLessThan(0.35);
    expect(blur.mass).toBeGreaterThan(0.5);
    expect(blur.mass).toBeGreaterThan(2 * blur.area);
  });

  it('is exact for a linear model: (x − x′) ⊙ W[:, c], and saliency is |W[:, c]|', () => {
    const lin = sequential([dense(3, { inputDim: 5 })], { seed: 3 });
    lin.build(5);
    const W = lin.getWeights()[0].data;
    const xs = { data: randArray(4 * 5, 8, -1, 1), shape: [4, 5] as [number, number] };
    const base = randArray(5, 9, -1, 1);
    const r = integratedGradients(lin, xs, { steps: 1, baseline: base, output: [0, 1, 2, 1] });
    const s = saliency(lin, xs, { output: [0, 1, 2, 1], absolute: false });
    for (let i = 0; i < 4; i++) {
      const c = [0, 1, 2, 1][i];
      const expected = Array.from({ length: 5 }, (_, j) => (xs.data[i * 5 + j] - base[j]) * W[j * 3 + c]);
      expectClose(r.attributions.data.subarray(i * 5, i * 5 + 5), expected, 1e-6, 1e-5, `IG row ${i}`);
      expectClose(
        s.data.subarray(i * 5, i * 5 + 5),
        Array.from({ length: 5 }, (_, j) => W[j * 3 + c]),
        0,
        0,
        `saliency row ${i}`,
      );
      expect(Math.abs(r.delta[i])).toBeLessThan(1e-5);
    }
    lin.dispose();
  });
});

describe('saliency', () => {
  const smooth = (seed: number, backend: 'wasm' | 'js' = 'wasm') => {
    const m = sequential([dense(7, { activation: 'tanh', inputDim: 6 }), dense(4, { activation: 'softmax' })], {
      seed,
      backend,
    });
    m.build(6);
    return m;
  };

  it.each(['logit', 'output'] as const)('matches central differences of the %s (tanh-softmax model)', (space) => {
    const m = smooth(2);
    const xs = { data: randArray(3 * 6, 4, -1, 1), shape: [3, 6] as [number, number] };
    const g = saliency(m, xs, { space, output: 2, absolute: false });
    const f = (row: Float32Array): number =>
      space === 'logit'
        ? logits(m, { data: row, shape: [1, 6] }).data[2]
        : m.predict({ data: row, shape: [1, 6] }).data[2];
    const h = 1e-2;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 6; j++) {
        const row = xs.data.slice(i * 6, i * 6 + 6);
        row[j] += h;
        const fp = f(row);
        row[j] -= 2 * h;
        const fm = f(row);
        expectClose([g.data[i * 6 + j]], [(fp - fm) / (2 * h)], 2e-4, 2e-3, `∂f/∂x[${i}, ${j}]`);
      }
    }
    const abs = saliency(m, xs, { space, output: 2 });
    expect(Array.from(abs.data)).toEqual(Array.from(g.data, Math.abs));
    m.dispose();
  });

  it('agrees between the wasm and js backends', () => {
    const xs = { data: randArray(5 * 6, 6, -1, 1), shape: [5, 6] as [number, number] };
    const a = saliency(smooth(3), xs, { space: 'output' });
    const b = saliency(smooth(3, 'js'), xs, { space: 'output' });
    expectClose(a.data, b.data, 1e-6, 1e-4, 'wasm vs js');
  });

  it('sees through dropout (identity at inference) even after training left masks behind', async () => {
    const withDrop = sequential(
      [dense(16, { activation: 'relu', inputDim: 784 }), dropout(0.5), dense(10, { activation: 'softmax' })],
      { seed: 5 },
    );
    withDrop.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
    await withDrop.fit(
      trainX,
      Int32Array.from({ length: trainX.rows }, (_, i) => i % 10),
      { epochs: 1, batchSize: 256, seed: 5 },
    );
    const plain = sequential([dense(16, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      seed: 5,
    });
    plain.build(784);
    plain.setWeights(withDrop.getWeights());
    expectClose(
      saliency(withDrop, x).data,
      saliency(plain, x).data,
      0,
      0,
      'dropout model vs the same weights without it',
    );
    withDrop.dispose();
    plain.dispose();
  });

  it('works on models whose softmax is a layer of its own, or compiled without fusion; leaves them unchanged', async () => {
    const sep = sequential([dense(8, { activation: 'relu', inputDim: 784 }), dense(10), activation('softmax')], {
      seed: 6,
    });
    sep.compile({ loss: 'mse', optimizer: 'adam' }); // not fused: forward() applies the softmax
    await sep.fit(
      trainX,
      Int32Array.from({ length: trainX.rows }, (_, i) => i % 10),
      { epochs: 1, batchSize: 256, seed: 6 },
    );
    const before = snapshot(sep);
    const pred = sep.predict(x).data.slice();
    const g = saliency(sep, x, { space: 'output', absolute: false });
    expect(g.data.some((v) => v !== 0)).toBe(true);
    expect(Array.from(sep.predict(x).data)).toEqual(Array.from(pred));
    snapshot(sep).forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
    const h = await sep.fit(
      trainX,
      Int32Array.from({ length: trainX.rows }, (_, i) => i % 10),
      { epochs: 1, batchSize: 256, seed: 7 },
    );
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    expect(sep.compileSettings()?.loss).toBe('mse');
    sep.dispose();
  });
});

describe('explanation errors', () => {
  it('rejects bad outputs, steps, baselines, inputs and models ending in dropout; the model is unchanged', async () => {
    const before = snapshot(model);
    const pred = model.predict(x).data.slice();
    await expectError(() => saliency(model, x, { output: 10 }), 'RANGE', /output must be an integer in \[0, 10\)/);
    await expectError(() => saliency(model, x, { output: [1, 2] }), 'SHAPE', /output has 2 entries but x has 40 rows/);
    await expectError(() => saliency(model, x, { output: 1.5 }), 'RANGE', /output/);
    await expectError(
      () => saliency(model, x, { space: 'probs' as never }),
      'RANGE',
      /space must be 'logit' or 'output'/,
    );
    await expectError(
      () => integratedGradients(model, x, { steps: 0 }),
      'RANGE',
      /steps must be an integer in \[1, 4096\]/,
    );
    await expectError(() => integratedGradients(model, x, { baseline: new Float32Array(783) }), 'SHAPE', /baseline/);
    await expectError(() => integratedGradients(model, x, { baseline: NaN }), 'NONFINITE', /baseline must be finite/);
    await expectError(
      () => integratedGradients(model, x, { baseline: blurred(x, 1).data.subarray(0, 784 * 3) }),
      'SHAPE',
      /baseline has 3 rows/,
    );
    await expectError(() => saliency(model, { data: new Float32Array(10), shape: [1, 10] }), 'SHAPE', /784/);
    const endsInDropout = sequential(
      [dense(4, { activation: 'softmax', inputDim: 3 }), dropout(0.1, { name: 'late' })],
      { seed: 1 },
    );
    await expectError(() => saliency(endsInDropout, [[1, 2, 3]]), 'UNSUPPORTED', /ends in dropout layer 'late'/);
    snapshot(model).forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(pred));
    endsInDropout.dispose();
  });
});
