// fit() on a stream of batches: same results as arrays, validation / callbacks / early stopping, one-shot sources,
// bad batches, and engine memory that does not grow with the data (a CSV far larger than the engine's limit).
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adam,
  createEngine,
  csvFileRows,
  dense,
  earlyStopping,
  init,
  sequential,
  tableToMatrix,
  type Batch,
  type Sequential,
} from '../../src/index.js';
import { expectClose, rng } from '../helpers/check.js';
import { expectSimdnetErrorAsync } from '../helpers/errors.js';

beforeAll(async () => {
  await init();
});

function data(n: number, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: 2 * n }, () => 2 * r() - 1);
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(3 * x[2 * i]) * x[2 * i + 1]);
  return { x, y, n };
}
const net = (seed = 3): Sequential =>
  sequential([dense(16, { activation: 'tanh', inputDim: 2 }), dense(1)], { seed }).compile({
    loss: 'mse',
    optimizer: adam({ learningRate: 0.01 }),
  });
const weightsOf = (m: Sequential): number[] => m.getWeights().flatMap((t) => Array.from(t.data));

/** The rows of d as async batches of `size` rows. */
async function* batches(d: { x: Float32Array; y: Float32Array; n: number }, size: number): AsyncGenerator<Batch> {
  for (let r = 0; r < d.n; r += size) {
    const m = Math.min(size, d.n - r);
    yield {
      x: { data: d.x.subarray(2 * r, 2 * (r + m)), shape: [m, 2] },
      y: { data: d.y.subarray(r, r + m), shape: [m, 1] },
    };
  }
}

describe('fit on a stream of batches', () => {
  it('trains exactly as fit on the same rows in the same order; big batches are split at batchSize', async () => {
    const d = data(96, 1);
    const a = net();
    const b = net();
    const ha = await a.fit(() => batches(d, 32), { epochs: 3, batchSize: 16, seed: 5 });
    const hb = await b.fit(
      { data: d.x, shape: [96, 2] },
      { data: d.y, shape: [96, 1] },
      { epochs: 3, batchSize: 16, seed: 5, shuffle: false },
    );
    expect(ha.history.loss).toEqual(hb.history.loss);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    // A sync iterable (re-iterable: an array of batches wrapped in an object) works the same.
    const c = net();
    const list: Batch[] = [];
    for await (const batch of batches(d, 16)) list.push(batch);
    await c.fit({ [Symbol.iterator]: () => list[Symbol.iterator]() }, { epochs: 3, batchSize: 16, seed: 5 });
    expect(weightsOf(c)).toEqual(weightsOf(b));
    for (const m of [a, b, c]) m.dispose();
  });

  it('validation data, callbacks and early stopping work as with arrays', async () => {
    const d = data(48, 2);
    const v = data(200, 3);
    const m = sequential(
      [dense(128, { activation: 'relu', inputDim: 2 }), dense(128, { activation: 'relu' }), dense(1)],
      { seed: 1 },
    ).compile({ loss: 'mse', optimizer: adam({ learningRate: 0.01 }) });
    const noisy = { ...d, y: d.y.map((y, i) => y + (i % 2 ? 0.8 : -0.8)) };
    let batchesSeen = 0;
    let streamed: boolean | undefined;
    const stop = earlyStopping({ patience: 3 });
    const h = await m.fit(() => batches(noisy, 12), {
      epochs: 300,
      batchSize: 12,
      validationData: [
        { data: v.x, shape: [200, 2] },
        { data: v.y, shape: [200, 1] },
      ],
      callbacks: [
        stop,
        {
          onBatchEnd: () => void batchesSeen++,
          onTrainBegin: (info) => {
            streamed = info.stream;
          },
        },
      ],
    });
    expect(h.stoppedEarly).toBe(true);
    expect(streamed).toBe(true);
    expect(h.history.val_loss.length).toBe(h.epochs.length);
    expect(batchesSeen).toBe(4 * h.epochs.length);
    expectClose(
      [m.evaluate({ data: v.x, shape: [200, 2] }, { data: v.y, shape: [200, 1] }).loss],
      [Math.min(...h.history.val_loss)],
      0,
      1e-5,
      'best weights',
    );
    m.dispose();
  });

  it('a one-shot generator trains one epoch; asked for more it is refused up front', async () => {
    const d = data(40, 4);
    const m = net();
    const before = weightsOf(m);
    await expectSimdnetErrorAsync(() => m.fit(batches(d, 10), { epochs: 2 }), 'RANGE', 'one-shot iterator');
    expect(weightsOf(m)).toEqual(before);
    const h = await m.fit(batches(d, 10), { epochs: 1, batchSize: 10 });
    expect(h.epochs).toEqual([0]);
    m.dispose();
  });

  it('a bad batch mid-stream names the batch, closes the source, leaves the model usable; stopping closes it too', async () => {
    const d = data(40, 5);
    let closed = 0;
    async function* bad(): AsyncGenerator<Batch> {
      try {
        yield* batches(d, 10);
        yield { x: [[1, 2, 3]], y: [0] };
        yield* batches(d, 10);
      } finally {
        closed++;
      }
    }
    const m = net();
    await expectSimdnetErrorAsync(() => m.fit(() => bad(), { epochs: 2 }), 'SHAPE', 'batch 5 x');
    expect(closed).toBe(1);
    await expectSimdnetErrorAsync(() => m.fit(() => bad(), { validationSplit: 0.2 }), 'RANGE', 'give validationData');
    await expectSimdnetErrorAsync(() => m.fit(() => bad(), { shuffle: true }), 'RANGE', 'shuffle at the source');
    const fitAny = m.fit.bind(m) as (...a: unknown[]) => Promise<unknown>;
    await expectSimdnetErrorAsync(
      () => fitAny(() => bad(), { data: d.y, shape: [40, 1] }, {}),
      'RANGE',
      'pass the options second',
    );
    await expectSimdnetErrorAsync(() => m.fit(() => 5 as never), 'DTYPE', 'must return an (async) iterable');
    await expectSimdnetErrorAsync(() => m.fit(() => [5] as never), 'DTYPE', 'batch 1 of the source must be { x, y }');
    await m.fit(() => bad(), {
      epochs: 3,
      callbacks: {
        onBatchEnd: (b, _l, model) => {
          if (b === 1) model.stopTraining = true;
        },
      },
    });
    expect(closed).toBe(2);
    expect(Number.isFinite(m.evaluate({ data: d.x, shape: [40, 2] }, { data: d.y, shape: [40, 1] }).loss)).toBe(true);
    m.dispose();
  });

  it('row weights: { x, y, sampleWeight } batches and classWeight train as fit with the same weights', async () => {
    const d = data(64, 6);
    const labels = Float32Array.from(d.y, (v) => (v > 0 ? 1 : 0));
    const sw = Float32Array.from({ length: 64 }, (_, i) => (i % 3) * 0.75);
    const cls = (): Sequential =>
      sequential([dense(8, { activation: 'tanh', inputDim: 2 }), dense(1, { activation: 'sigmoid' })], {
        seed: 2,
      }).compile({ loss: 'binaryCrossentropy', optimizer: adam({ learningRate: 0.02 }) });
    const arrays = cls();
    await arrays.fit({ data: d.x, shape: [64, 2] }, labels, {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      sampleWeight: sw,
      classWeight: { 1: 3 },
    });
    const streamed = cls();
    async function* weighted(): AsyncGenerator<Batch> {
      for (let r = 0; r < 64; r += 32) {
        yield {
          x: { data: d.x.subarray(2 * r, 2 * r + 64), shape: [32, 2] },
          y: labels.subarray(r, r + 32),
          sampleWeight: sw.subarray(r, r + 32),
        };
      }
    }
    await streamed.fit(() => weighted(), { epochs: 2, batchSize: 16, classWeight: { 1: 3 } });
    expect(weightsOf(streamed)).toEqual(weightsOf(arrays));
    await expectSimdnetErrorAsync(
      () => streamed.fit(() => weighted(), { sampleWeight: sw }),
      'RANGE',
      'give each batch its weights',
    );
    async function* short(): AsyncGenerator<Batch> {
      yield { x: [[1, 2]], y: [1], sampleWeight: [1, 2] };
    }
    await expectSimdnetErrorAsync(
      () => streamed.fit(() => short()),
      'SHAPE',
      'sampleWeight has 2 weights but batch 1 has 1 rows',
    );
    arrays.dispose();
    streamed.dispose();
  });

  it('a second fit() while the first awaits its source is refused (STATE); the first then trains', async () => {
    const d = data(32, 7);
    const m = net();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slow(): AsyncGenerator<Batch> {
      await gate;
      yield* batches(d, 16);
    }
    const first = m.fit(() => slow(), { epochs: 1, batchSize: 16 });
    await new Promise((r) => setTimeout(r, 10)); // the first fit is now waiting for its first batch
    await expectSimdnetErrorAsync(() => m.fit(() => batches(d, 16)), 'STATE', 'while fit() is running');
    expect(() => m.predict({ data: d.x, shape: [32, 2] })).toThrow(/while fit\(\) is running/);
    release();
    const h = await first;
    expect(h.epochs).toEqual([0]);
    m.dispose();
  });

  it('the engine memory does not grow with the number of batches', async () => {
    const e = await createEngine('wasm', { maxMemoryMB: 8 });
    const m = sequential([dense(32, { activation: 'relu', inputDim: 2 }), dense(1)], { seed: 1, engine: e }).compile({
      loss: 'mse',
    });
    const sizes: number[] = [];
    async function* many(count: number): AsyncGenerator<Batch> {
      const r = rng(count);
      for (let i = 0; i < count; i++) {
        const x = Float32Array.from({ length: 128 }, () => r());
        yield { x: { data: x, shape: [64, 2] }, y: { data: x.subarray(0, 64), shape: [64, 1] } };
      }
    }
    const track = { onEpochEnd: () => void sizes.push(e.memory.buffer.byteLength) };
    await m.fit(() => many(10), { epochs: 1, batchSize: 64, callbacks: track });
    await m.fit(() => many(2000), { epochs: 2, batchSize: 64, callbacks: track }); // 256,000 rows, 2 MB of floats per epoch
    expect(new Set(sizes).size).toBe(1);
    m.dispose();
  });
});

/**
 * Writes a CSV of `rows` rows (16 features, a label) to a temporary file; returns its path. y = x0 − x1 + noise, so
 * the model has something to learn.
 */
async function writeCsv(rows: number): Promise<string> {
  const path = join(tmpdir(), `simdnet-stream-${process.pid}-${rows}.csv`);
  const out = createWriteStream(path);
  const r = rng(rows);
  const head = `${Array.from({ length: 16 }, (_, j) => `f${j}`).join(',')},label\n`;
  out.write(head);
  const chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const f = Array.from({ length: 16 }, () => (2 * r() - 1).toFixed(6));
    chunk.push(`${f.join(',')},${(Number(f[0]) - Number(f[1]) + 0.01 * r()).toFixed(6)}\n`);
    if (chunk.length === 4096 || i === rows - 1) {
      if (!out.write(chunk.join(''))) await new Promise<void>((res) => out.once('drain', () => res()));
      chunk.length = 0;
    }
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return path;
}

// A ~250 MB file through an engine limited to 64 MB: ~30 s on the 2-core VM while others ran tests.
// SIMDNET_QUICK_STREAM=1 runs a ~24 MB file with an 8 MB engine instead (~4 s).
const BIG = process.env.SIMDNET_QUICK_STREAM !== '1';
describe('streaming a CSV file larger than the engine memory', () => {
  it(`trains from csvFileRows on a ${BIG ? '~250' : '~24'} MB file with a ${BIG ? 64 : 8} MB engine`, async () => {
    const limitMB = BIG ? 64 : 8;
    const path = await writeCsv(BIG ? 1_500_000 : 150_000);
    try {
      const fileMB = statSync(path).size / 2 ** 20;
      expect(fileMB).toBeGreaterThan(BIG ? 200 : limitMB * 2.5);
      const e = await createEngine('wasm', { maxMemoryMB: limitMB });
      const m = sequential([dense(16, { activation: 'relu', inputDim: 16 }), dense(1)], { seed: 1, engine: e }).compile(
        { loss: 'mse', optimizer: adam({ learningRate: 0.003 }) },
      );
      const features = Array.from({ length: 16 }, (_, j) => `f${j}`);
      const sizes: number[] = [];
      let rows = 0;
      const h = await m.fit(
        async function* () {
          for await (const t of csvFileRows(path, { batchSize: 1024 })) {
            rows += t.rows;
            yield { x: tableToMatrix(t, features), y: tableToMatrix(t, ['label']) };
          }
        },
        {
          epochs: 1,
          batchSize: 256,
          callbacks: {
            onBatchEnd: (b) => {
              if (b % 100 === 0) sizes.push(e.memory.buffer.byteLength);
            },
          },
        },
      );
      expect(rows).toBe(BIG ? 1_500_000 : 150_000);
      expect(new Set(sizes).size).toBe(1); // no growth from the first batch to the last
      expect(e.memory.buffer.byteLength).toBeLessThanOrEqual(limitMB * 2 ** 20);
      expect(h.history.loss[0]).toBeLessThan(0.1); // it learned y = x0 − x1 (variance ~0.67), in one pass
      m.dispose();
    } finally {
      rmSync(path, { force: true });
    }
  }, 600_000);
});
