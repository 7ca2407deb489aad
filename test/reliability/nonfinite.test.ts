// A model never hands back NaN/Inf silently: predict, predictClasses, evaluate and features check each batch's
// outputs (one kernel pass) and throw NONFINITE naming the caller's row and column; the model is unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import { type QuantizedModel, quantizeModel, SparseModel } from '../../src/compress/index.js';
import { dense, init, sequential, type Backend, type Sequential } from '../../src/index.js';
import { expectSimdnetError } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

const ROWS = 9;
const BAD = 5;

/** 9 rows of 4 small inputs; row 5 holds two finite values whose sum overflows float32. */
function inputs(bad = true): Float32Array {
  const x = Float32Array.from({ length: ROWS * 4 }, (_, i) => ((i * 7) % 11) / 11 - 0.4);
  if (bad) x.set([3e38, 3e38, 0, 0], BAD * 4);
  return x;
}

const labels = Int32Array.from({ length: ROWS }, (_, i) => i % 2);

/** 4 → 3 relu → 2 softmax with every hidden weight 1 (so row 5's hidden units are 6e38 → Infinity). */
function model(backend: Backend): Sequential {
  const m = sequential(
    [dense(3, { activation: 'relu', inputDim: 4, name: 'h' }), dense(2, { activation: 'softmax', name: 'out' })],
    { backend, seed: 3 },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd', metrics: ['accuracy'] });
  m.build(4);
  const w = m.getWeights();
  w[0].data.fill(1);
  m.setWeights(w);
  return m;
}

/** Every row but the bad one. */
function goodRows(x: Float32Array): { data: Float32Array; shape: [number, number] } {
  const rows = [...Array(ROWS).keys()].filter((r) => r !== BAD);
  const out = new Float32Array(rows.length * 4);
  rows.forEach((r, i) => out.set(x.subarray(r * 4, r * 4 + 4), i * 4));
  return { data: out, shape: [rows.length, 4] };
}

const ROW_MSG = new RegExp(
  `output for row ${BAD} is NaN \\(column 0\\).*in the range the model was trained on.*diverged.*unchanged`,
);

interface Predictor {
  predict(x: unknown, o?: { batchSize?: number }): { data: Float32Array };
  predictClasses(x: unknown, o?: { batchSize?: number }): Int32Array;
  evaluate(x: unknown, y: unknown, o?: { batchSize?: number }): { loss?: number; accuracy?: number };
}

/** The checks every model kind passes: each entry point throws naming row 5, then good rows predict as before. */
function guards(m: Predictor): void {
  const x = inputs();
  const good = goodRows(x);
  const before = m.predict(good).data.slice();
  for (const batchSize of [undefined, 1, 4, 5, 6]) {
    const o = { batchSize };
    expectSimdnetError(() => m.predict({ data: x, shape: [ROWS, 4] }, o), 'NONFINITE', ROW_MSG);
    expectSimdnetError(
      () =>
        m.predict(
          Array.from({ length: ROWS }, (_, r) => Array.from(x.subarray(r * 4, r * 4 + 4))),
          o,
        ),
      'NONFINITE',
      ROW_MSG,
    );
    expectSimdnetError(() => m.predictClasses({ data: x, shape: [ROWS, 4] }, o), 'NONFINITE', ROW_MSG);
    // evaluate reads the logits (the loss fuses the softmax): Infinity there.
    expectSimdnetError(
      () => m.evaluate({ data: x, shape: [ROWS, 4] }, labels, o),
      'NONFINITE',
      new RegExp(`output for row ${BAD} is (Infinity|NaN)`),
    );
  }
  // The model is unchanged: the good rows give the same bits, and evaluate on them is finite.
  expect(m.predict(good).data).toEqual(before);
  for (const v of before) expect(Number.isFinite(v)).toBe(true);
  const ev = m.evaluate(
    good,
    labels.filter((_, r) => r !== BAD),
  );
  expect(Number.isFinite(ev.loss!)).toBe(true);
  expect(m.predictClasses(good)).toHaveLength(ROWS - 1);
}

describe.each(['wasm', 'js'] as const)('NONFINITE outputs (%s)', (backend) => {
  it('Sequential: predict, predictClasses, evaluate and features name the row; the model still works', () => {
    const m = model(backend);
    guards(m as unknown as Predictor);
    expectSimdnetError(
      () => m.features({ data: inputs(), shape: [ROWS, 4] }, 'h', { batchSize: 2 }),
      'NONFINITE',
      new RegExp(`output for row ${BAD} is Infinity \\(column 0\\)`),
    );
    m.dispose();
  });

  it('a batch of one row: only the bad row fails', () => {
    const m = model(backend);
    const x = inputs();
    for (let r = 0; r < ROWS; r++) {
      const one = { data: x.slice(r * 4, r * 4 + 4), shape: [1, 4] as [number, number] };
      if (r === BAD) expectSimdnetError(() => m.predict(one), 'NONFINITE', /output for row 0 is NaN/);
      else expect(m.predict(one).rows).toBe(1);
    }
    m.dispose();
  });

  it('QuantizedModel (f16 and f32 plans) names the row', async () => {
    const m = model(backend);
    // quantizeModel takes trained models: one epoch, then the overflowing weights again.
    const w = m.getWeights();
    await m.fit({ data: inputs(false), shape: [ROWS, 4] }, labels, { epochs: 1 });
    m.setWeights(w);
    for (const plan of ['f16', 'f32'] as const) {
      const q: QuantizedModel = quantizeModel(m, { plan });
      guards(q as unknown as Predictor);
      q.dispose();
    }
    m.dispose();
  });

  it('SparseModel (CSR and dense kernels) names the row', () => {
    const m = model(backend);
    for (const minSparsity of [0, 1]) {
      const s = SparseModel.fromModel(m, { minSparsity });
      guards(s as unknown as Predictor);
      s.dispose();
    }
    m.dispose();
  });

  it('fit() validation data that overflows is reported, not logged as NaN', async () => {
    const m = model(backend);
    const x = inputs(false);
    await expect(
      m.fit({ data: x, shape: [ROWS, 4] }, labels, {
        epochs: 1,
        validationData: [{ data: inputs(), shape: [ROWS, 4] }, labels],
      }),
    ).rejects.toMatchObject({
      code: 'NONFINITE',
      message: expect.stringMatching(new RegExp(`row ${BAD}`)),
    });
    expect(m.predict({ data: x, shape: [ROWS, 4] }).rows).toBe(ROWS);
    m.dispose();
  });
});
