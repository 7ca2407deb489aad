// Threads, end to end: fit, predict and evaluate give the same bits on 1, 2, 3 and 4 threads (an MLP and a small
// CNN on real MNIST rows), and the pool's life: options checked, memory growth and its limit, dispose, a kernel that
// traps in a worker, a worker that dies — each an error on the call that needed it, never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeModel } from '../../src/compress/index.js';
import { loadMnist } from '../../src/data/mnist-node.js';
import {
  adam,
  conv2d,
  createEngine,
  dense,
  flatten,
  init,
  maxPooling2d,
  sequential,
  sgd,
  type Engine,
  type Matrix,
} from '../../src/index.js';
import { sharedMemoryVariant } from '../../src/runtime/shared-variant.js';
import { expectSimdnetError, expectSimdnetErrorAsync } from '../helpers/errors.js';
import { readFileSync } from 'node:fs';

let x: Matrix;
let y: Int32Array;
let xt: Matrix;
let yt: Int32Array;

beforeAll(() => {
  const { train, test } = loadMnist({ seed: 3 });
  const rows = 640;
  x = { data: train.x.data.slice(0, rows * 784), rows, cols: 784 };
  y = train.labels!.slice(0, rows);
  xt = { data: test.x.data.slice(0, 300 * 784), rows: 300, cols: 784 };
  yt = test.labels!.slice(0, 300);
});

const COUNTS = [1, 2, 3, 4];
const engines = new Map<number, Engine>();
beforeAll(async () => {
  for (const t of COUNTS) engines.set(t, await createEngine('wasm', { threads: t }));
  // In the 'relaxed' project (Node 20 with the flag) every engine, workers included, runs the FMA kernels.
  for (const e of engines.values()) expect(e.fma).toBe(process.env.SIMDNET_RELAXED === '1');
});
afterAll(() => {
  for (const e of engines.values()) e.dispose();
});

const splits = (e: Engine): number => (e as unknown as { pool?: { calls: number } }).pool?.calls ?? 0;
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

type Build = (e: Engine) => ReturnType<typeof sequential>;
const models: Array<[string, Build, number]> = [
  [
    'MLP 784-256-128-10 (adam, batch 128)',
    (engine) => {
      const m = sequential(
        [
          dense(256, { activation: 'relu', inputDim: 784 }),
          dense(128, { activation: 'tanh' }),
          dense(10, { activation: 'softmax' }),
        ],
        { engine, seed: 5 },
      );
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
      return m;
    },
    128,
  ],
  [
    'LeNet-like CNN (sgd with momentum, batch 32)',
    (engine) => {
      const m = sequential(
        [
          conv2d(8, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
          maxPooling2d(2),
          conv2d(16, 5, { activation: 'relu', padding: 'same' }),
          maxPooling2d(2),
          flatten(),
          dense(10, { activation: 'softmax' }),
        ],
        { engine, seed: 6 },
      );
      m.compile({
        loss: 'categoricalCrossentropy',
        optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }),
        metrics: ['accuracy'],
      });
      return m;
    },
    32,
  ],
];

describe.each(models)('threads: %s', (_name, build, batchSize) => {
  it("fit (weights and history), predict, evaluate and the int8 model's predict are bit-identical on 1, 2, 3, 4 threads, and the pool did the work", async () => {
    const runs = [];
    for (const t of COUNTS) {
      const e = engines.get(t)!;
      const before = splits(e);
      const m = build(e);
      const h = await m.fit(x, y, { epochs: 2, batchSize, seed: 9 });
      const weights = m.getWeights().map((w) => bits(w.data));
      const p = bits(m.predict(xt).data);
      const p1 = bits(m.predict({ data: xt.data.slice(0, 784), rows: 1, cols: 784 }).data);
      const ev = m.evaluate(xt, yt, { batchSize: 256 });
      const q = quantizeModel(m); // int8 inference: q8 GEMM and its conversions split too
      const pq = bits(q.predict(xt).data);
      q.dispose();
      runs.push({ t, weights, p, p1, ev, pq, loss: h.history.loss, split: splits(e) - before });
      m.dispose();
    }
    const [one, ...rest] = runs;
    expect(one.ev.accuracy!).toBeGreaterThan(0.5); // it learned something: the comparison is not of noise
    for (const r of rest) {
      expect(r.split, `${r.t} threads split calls`).toBeGreaterThan(0);
      expect(r.loss, `${r.t} threads: loss history`).toEqual(one.loss);
      for (let i = 0; i < one.weights.length; i++)
        expect(r.weights[i], `${r.t} threads: tensor ${i}`).toEqual(one.weights[i]);
      expect(r.p, `${r.t} threads: predict`).toEqual(one.p);
      expect(r.p1, `${r.t} threads: predict one row`).toEqual(one.p1);
      expect(r.ev, `${r.t} threads: evaluate`).toEqual(one.ev);
      expect(r.pq, `${r.t} threads: int8 predict`).toEqual(one.pq);
    }
  });
});

describe('threads: batches that cannot split skip the pool', () => {
  it('a batch-1 prediction calls the module directly (same bits); a one-row batch with a huge tensor still splits', async () => {
    const e = engines.get(2)!;
    const k = e.k as unknown as Record<string, unknown>;
    const whole = e.kernelsFor(1, 784);
    expect(whole).not.toBe(e.k);
    expect((whole as unknown as Record<string, unknown>).gemm_forward).not.toBe(k.gemm_forward);
    expect(e.kernelsFor(2, 784)).toBe(e.k); // two rows: the pool decides per call
    expect(e.kernelsFor(1, 1 << 20)).toBe(e.k); // an element-wise kernel over 1M floats could split
    expect(engines.get(1)!.kernelsFor(1, 784)).toBe(engines.get(1)!.k);
    const m = sequential([dense(64, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      engine: e,
      seed: 2,
    });
    const one = sequential([dense(64, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
      engine: engines.get(1)!,
      seed: 2,
    });
    const row = { data: xt.data.slice(0, 784), rows: 1, cols: 784 };
    // Counting calls of the pool's wrappers (the entries of k that are not the module's own): a batch-1 predict
    // must reach none of them.
    let wrapped = 0;
    const saved = { ...k };
    const own = whole as unknown as Record<string, unknown>;
    for (const name of Object.keys(k).filter((n) => k[n] !== own[n]))
      k[name] = (...a: number[]) => {
        wrapped++;
        return (saved[name] as (...b: number[]) => unknown)(...a);
      };
    try {
      expect(bits(m.predict(row).data)).toEqual(bits(one.predict(row).data));
      expect(wrapped).toBe(0);
      m.predict({ data: xt.data.slice(0, 2 * 784), rows: 2, cols: 784 });
      expect(wrapped).toBeGreaterThan(0);
    } finally {
      Object.assign(k, saved);
      m.dispose();
      one.dispose();
    }
    // A one-row batch whose tensors are large enough for an element-wise split goes through the pool.
    const wide = sequential([dense(300_000, { activation: 'relu', inputDim: 1 })], { engine: e, seed: 1 });
    const before = splits(e);
    wide.predict({ data: new Float32Array([1]), rows: 1, cols: 1 });
    expect(splits(e)).toBeGreaterThan(before);
    wide.dispose();
  });
});

describe('threads: one-row predictions back to back wake the workers and split', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const wakes = (e: Engine): number => (e as unknown as { pool: { wakes: number } }).pool.wakes;

  it.each([
    ['a dense layer (its GEMV by blocks of columns)', () => [dense(200, { activation: 'relu', inputDim: 784 })]],
    [
      'a convolution (by output rows)',
      () => [conv2d(16, 3, { activation: 'relu', inputShape: [28, 28, 1] }), flatten()],
    ],
  ] as const)('%s: same bits as one thread; calls far apart wake nobody', async (_what, layers) => {
    const e = engines.get(2)!;
    const mk = (engine: Engine) => sequential([...layers(), dense(10, { activation: 'softmax' })], { engine, seed: 3 });
    const m = mk(e);
    const one = mk(engines.get(1)!);
    const row = { data: xt.data.slice(784, 2 * 784), rows: 1, cols: 784 };
    const want = bits(one.predict(row).data);
    try {
      // Calls 5 ms apart (the pool counts its workers awake for 1 ms after a call): nobody is woken, nothing splits.
      await sleep(5);
      const w0 = wakes(e);
      const c0 = splits(e);
      for (let i = 0; i < 3; i++) {
        expect(bits(m.predict(row).data)).toEqual(want);
        await sleep(5);
      }
      expect(wakes(e)).toBe(w0);
      expect(splits(e)).toBe(c0);
      // Back to back: the second call wakes the workers, and the calls after it split the heavy layer.
      for (let i = 0; i < 500 && splits(e) === c0; i++) expect(bits(m.predict(row).data)).toEqual(want);
      expect(wakes(e)).toBeGreaterThan(w0);
      expect(splits(e)).toBeGreaterThan(c0);
      for (let i = 0; i < 20; i++) expect(bits(m.predict(row).data)).toEqual(want);
    } finally {
      m.dispose();
      one.dispose();
    }
  });
});

describe('threads: options and where threads cannot run', () => {
  it('threads must be an integer from 1 to 64 or auto: RANGE otherwise, and nothing is started', async () => {
    for (const bad of [0, -1, 1.5, 65, NaN, Infinity, 'all', '2', true]) {
      await expectSimdnetErrorAsync(
        () => createEngine('wasm', { threads: bad as number }),
        'RANGE',
        /option threads must be an integer from 1 to 64 or 'auto'/,
      );
      await expectSimdnetErrorAsync(() => init({ threads: bad as number }), 'RANGE', /option threads/);
    }
  });

  it("'auto' takes the cores the runtime reports", async () => {
    const { availableParallelism } = await import('node:os');
    const e = await createEngine('wasm', { threads: 'auto' });
    expect(e.threads).toBe(Math.min(64, availableParallelism()));
    e.dispose();
  });

  it('a precompiled module or the js backend: one thread, no error, and threadsNote says why', async () => {
    const module = new WebAssembly.Module(readFileSync(new URL('../../build/simdnet.wasm', import.meta.url)));
    const e = await createEngine('wasm', { threads: 4, wasm: module });
    expect(e.threads).toBe(1);
    expect(e.threadsNote).toMatch(/compiled WebAssembly\.Module/);
    const j = await createEngine('js', { threads: 2 });
    expect(j.threads).toBe(1);
    expect(j.threadsNote).toMatch(/js backend runs on one thread/);
    const one = await createEngine('wasm');
    expect([one.threads, one.threadsNote]).toEqual([1, '']);
    for (const en of [e, j, one]) en.dispose();
  });

  it('the shared-memory variant differs from the .wasm only in the memory import (shared, maximum 65536 pages)', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../build/simdnet.wasm', import.meta.url)));
    const v = sharedMemoryVariant(bytes);
    const plain = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    expect(WebAssembly.Module.imports(new WebAssembly.Module(v as Uint8Array<ArrayBuffer>))).toEqual(plain);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(v as Uint8Array<ArrayBuffer>))).toEqual(
      WebAssembly.Module.exports(new WebAssembly.Module(bytes)),
    );
    // A plain memory no longer fits it, a shared one does.
    expect(
      () =>
        new WebAssembly.Instance(new WebAssembly.Module(v as Uint8Array<ArrayBuffer>), {
          env: { memory: new WebAssembly.Memory({ initial: 16 }) },
        }),
    ).toThrow();
    const shared = new WebAssembly.Memory({ initial: 16, maximum: 100, shared: true });
    expect(
      () => new WebAssembly.Instance(new WebAssembly.Module(v as Uint8Array<ArrayBuffer>), { env: { memory: shared } }),
    ).not.toThrow();
    expect(v.length).toBeGreaterThan(bytes.length);
    expectSimdnetError(
      () => sharedMemoryVariant(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
      'FORMAT',
      /not a WebAssembly module/,
    );
    // A module without a memory import (the SIMD probe's shape): refused by name.
    expectSimdnetError(
      () => sharedMemoryVariant(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
      'FORMAT',
      /imports no memory/,
    );
  });
});

describe('threads: the pool over its life', () => {
  it('memory grows while threaded: workers compute on memory allocated after they started; the limit stays a clear MEMORY error', async () => {
    const e = await createEngine('wasm', { threads: 2, maxMemoryMB: 96 });
    const before = e.memory.buffer.byteLength;
    const m = 512,
      k = 4096,
      n = 256; // 8 MiB of x, far above the 1 MiB the memory starts with
    const px = e.allocF32(m * k),
      pw = e.allocF32(k * n),
      py = e.allocF32(m * n);
    expect(e.memory.buffer.byteLength).toBeGreaterThan(before);
    e.f32(px, m * k).fill(0.5);
    e.f32(pw, k * n).fill(0.25);
    const c0 = splits(e);
    e.k.gemm_forward(py, e.gemmWs, px, pw, 0, m, k, n);
    expect(splits(e)).toBe(c0 + 1);
    const out = e.f32(py, m * n);
    expect(out.every((v) => v === 512)).toBe(true); // 4096 · 0.125, exact in f32, rows of both halves
    expectSimdnetError(() => e.allocF32(40 << 20), 'MEMORY', /out of memory.*limit is 96\.0 MiB/);
    e.k.gemm_forward(py, e.gemmWs, px, pw, 0, m, k, n); // still usable
    expect(e.threads).toBe(2);
    e.dispose();
  });

  it('a call posted to sleeping workers wakes them (each does its part: no lost wake-up), again and again', async () => {
    const e = await createEngine('wasm', { threads: 3 });
    const pool = (e as unknown as { pool: { steal: boolean; taken: number } }).pool;
    pool.steal = false; // the caller runs nothing: a worker never woken would hold the call for 10 s, then fail
    const n = 1 << 20; // above the element-wise split threshold
    const p = e.allocF32(n);
    try {
      for (let i = 0; i < 6; i++) {
        // Past their 2 ms of spinning, or (0 and 1 ms) on the edge of going to sleep.
        await new Promise((r) => setTimeout(r, [0, 1, 3, 5, 10, 30][i]));
        const t0 = performance.now();
        e.k.fill_f32(p, n, i);
        expect(performance.now() - t0).toBeLessThan(2000);
        expect(e.f32(p, n).every((v) => v === i)).toBe(true);
      }
      expect(pool.taken).toBe(0);
    } finally {
      e.dispose();
    }
  });

  it('a kernel that traps in a worker is a SimdnetError on that call, and the pool keeps working', async () => {
    const e = await createEngine('wasm', { threads: 2, maxMemoryMB: 64 });
    (e as unknown as { pool: { steal: boolean } }).pool.steal = false; // the worker runs its part, whenever it wakes
    const n = 1 << 21; // above the element-wise split threshold
    const p = e.allocF32(n);
    const end = e.memory.buffer.byteLength;
    // The second half of this fill lies past the end of the memory: the worker's part traps, the caller's not.
    expectSimdnetError(
      () => e.k.fill_f32(end - n * 2, n, 1),
      'STATE',
      /kernel failed in a simdnet worker thread.*(out of bounds|RuntimeError)/s,
    );
    e.k.fill_f32(p, n, 3);
    expect(e.f32(p, n).every((v) => v === 3)).toBe(true);
    expect(e.threads).toBe(2);
    e.dispose();
  });

  it('a worker that died: the next call that needs it throws (no hang); later calls run on one thread with the same results', async () => {
    const e = await createEngine('wasm', { threads: 3 });
    const pool = (e as unknown as { pool: { handles: Array<{ terminate(): Promise<number> }> } }).pool;
    await pool.handles[1].terminate();
    await new Promise((r) => setTimeout(r, 20)); // the exit event
    const n = 1 << 21; // above the element-wise split threshold
    const p = e.allocF32(n);
    expectSimdnetError(() => e.k.fill_f32(p, n, 2), 'STATE', /worker thread stopped.*exited/);
    expect(e.threads).toBe(1);
    expect(e.threadsNote).toMatch(/worker thread stopped/);
    e.k.fill_f32(p, n, 2);
    expect(e.f32(p, n).every((v) => v === 2)).toBe(true);
    e.dispose();
  });

  it('a part its worker has not claimed when the caller is done is run by the caller: a worker gone mid-way costs no hang', async () => {
    const e = await createEngine('wasm', { threads: 3 });
    const pool = (e as unknown as { pool: { handles: Array<{ terminate(): Promise<number> }> } }).pool;
    const n = 1 << 21;
    const p = e.allocF32(n);
    void pool.handles[0].terminate();
    // Give the thread time to stop without yielding to the event loop, so its exit event is not seen yet.
    for (const t0 = Date.now(); Date.now() - t0 < 100; );
    e.k.fill_f32(p, n, 5);
    expect(e.f32(p, n).every((v) => v === 5)).toBe(true);
    e.dispose();
  });

  it('dispose() terminates the workers and the engine refuses use with DISPOSED', async () => {
    const e = await createEngine('wasm', { threads: 2 });
    const handles = [...(e as unknown as { pool: { handles: object[] } }).pool.handles] as Array<{ threadId: number }>;
    expect(handles.length).toBe(1);
    e.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(handles[0].threadId).toBe(-1); // node:worker_threads: -1 once the thread has exited
    expect(e.threads).toBe(1);
    expectSimdnetError(() => e.k.fill_f32(16, 4, 0), 'DISPOSED', /engine was disposed/);
  });
});
