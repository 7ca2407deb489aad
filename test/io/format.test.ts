// The model file: round trip with bit-identical predictions; truncated, corrupt and foreign files rejected.
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, dropout, init, loadModel, saveModel, sequential, sgd, FORMAT_VERSION } from '../../src/index.js';
import { asVersion1, reseal } from '../helpers/files.js';
import { randArray } from '../helpers/check.js';
import { xxh32 } from '../../src/io/xxh32.js';

beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
});

async function trained() {
  const m = sequential(
    [dense(12, { activation: 'relu', inputDim: 5 }), dropout(0.1), dense(3, { activation: 'softmax' })],
    { seed: 4, name: 'tiny' },
  );
  m.compile({
    loss: 'categoricalCrossentropy',
    optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }),
    metrics: ['accuracy'],
  });
  const x = { data: randArray(60 * 5, 2), shape: [60, 5] as [number, number] };
  await m.fit(
    x,
    Int32Array.from({ length: 60 }, (_, i) => i % 3),
    { epochs: 2, batchSize: 8, seed: 1 },
  );
  m.metadata = { scaler: { mean: [1, 2] } };
  return { m, x };
}

describe('model file', () => {
  it('round-trips architecture, weights, compile settings and metadata; predictions are bit-identical', async () => {
    const { m, x } = await trained();
    const bytes = saveModel(m);
    const back = loadModel(bytes);
    expect(back.name).toBe('tiny');
    expect(back.layers).toEqual(m.layers);
    expect(back.metadata).toEqual({ scaler: { mean: [1, 2] } });
    expect(back.compileSettings()).toEqual(m.compileSettings());
    expect(back.trainedSteps).toBe(m.trainedSteps);
    expect(m.trainedSteps).toBe(2 * 8); // 2 epochs of 60 rows in batches of 8
    expect(Array.from(back.predict(x).data)).toEqual(Array.from(m.predict(x).data));
    // The compile settings apply when first needed (not on load): same optimizer, same evaluation.
    expect(back.optimizer?.config).toEqual(m.optimizer?.config);
    const y = Int32Array.from({ length: 60 }, (_, i) => (i * 7) % 3);
    expect(back.evaluate(x, y)).toEqual(m.evaluate(x, y));
    // Also across backends: the js backend reads the same file.
    const js = loadModel(bytes, { backend: 'js' });
    const a = js.predict(x).data;
    const b = m.predict(x).data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    // The file is the weights plus a small header.
    const params = m.countParams().total;
    expect(bytes.length).toBeGreaterThan(4 * params);
    expect(bytes.length).toBeLessThan(4 * params + 2048);
    for (const mm of [m, back, js]) mm.dispose();
  });

  it('writes version 2 with an XXH32 trailer, and still reads version 1 files (CRC-32), rejecting damaged ones', async () => {
    const { m, x } = await trained();
    const bytes = saveModel(m);
    const dv = new DataView(bytes.buffer);
    expect(dv.getUint16(4, true)).toBe(2);
    expect(dv.getUint32(bytes.length - 4, true)).toBe(xxh32(bytes, 0, bytes.length - 4));
    const v1 = asVersion1(bytes);
    for (const backend of ['wasm', 'js'] as const) {
      const back = loadModel(v1, { backend });
      expect(Array.from(back.predict(x).data), backend).toEqual(
        Array.from(loadModel(bytes, { backend }).predict(x).data),
      );
      back.dispose();
    }
    const damaged = v1.slice();
    damaged[damaged.length - 20] ^= 1;
    expect(() => loadModel(damaged)).toThrow(/checksum mismatch/);
    // A version 1 header with an XXH32 trailer (or the reverse) is damage too.
    const mixed = bytes.slice();
    new DataView(mixed.buffer).setUint16(4, 1, true);
    new DataView(mixed.buffer).setUint32(mixed.length - 4, xxh32(mixed, 0, mixed.length - 4), true);
    expect(() => loadModel(mixed)).toThrow(/checksum mismatch/);
    m.dispose();
  });

  it('rejects truncated, corrupt, foreign and future files with a clear error', async () => {
    const { m } = await trained();
    const bytes = saveModel(m);
    m.dispose();
    expect(() => loadModel(bytes.subarray(0, 10))).toThrow(/truncated/);
    expect(() => loadModel(bytes.subarray(0, bytes.length - 100))).toThrow(/checksum|truncated/);
    const flipped = bytes.slice();
    flipped[bytes.length - 50] ^= 0x40; // a bit in the weights
    expect(() => loadModel(flipped)).toThrow(/checksum mismatch/);
    expect(() => loadModel(new TextEncoder().encode('{"hello": "world"} and more bytes here'))).toThrow(
      /not a simdnet model/,
    );
    const future = bytes.slice();
    new DataView(future.buffer).setUint16(4, FORMAT_VERSION + 1, true);
    expect(() => loadModel(future)).toThrow(`version ${FORMAT_VERSION + 1} is not supported`);
  });

  it('applies saved compile settings when training needs them: unknown ones make fit()/evaluate() fail, not predict()', async () => {
    const { m, x } = await trained();
    const bytes = saveModel(m);
    m.dispose();
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + hlen));
    const out = bytes.slice();
    out.set(new TextEncoder().encode(header.replace('"categoricalCrossentropy"', '"categoricalXrossentropy"')), 12);
    const back = loadModel(reseal(out));
    expect(back.predict(x).data.length).toBe(60 * 3);
    const y = Int32Array.from({ length: 60 }, (_, i) => i % 3);
    expect(() => back.evaluate(x, y)).toThrow(/categoricalXrossentropy/);
    await expect(back.fit(x, y)).rejects.toThrow(/categoricalXrossentropy/);
    back.dispose();
    // Settings that are not an object with a loss name are refused on load.
    const broken = bytes.slice();
    broken.set(new TextEncoder().encode(header.replace('"categoricalCrossentropy"', '1'.repeat(25))), 12);
    expect(() => loadModel(reseal(broken))).toThrow(/unreadable compile settings/);
  });

  it('rejects a well-formed file whose header does not match its tensors', async () => {
    const { m } = await trained();
    const bytes = saveModel(m);
    m.dispose();
    // Rewrite the header: claim 13 hidden units, then fix the checksum so only the content check can catch it.
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + hlen));
    const evil = header.replace('"units":12', '"units":13');
    expect(evil.length).toBe(header.length);
    const out = bytes.slice();
    out.set(new TextEncoder().encode(evil), 12);
    reseal(out);
    expect(() => loadModel(out)).toThrow(/shape/);
    // NaN weights (with a valid checksum) are refused too.
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(nan.length - 8, NaN, true);
    reseal(nan);
    expect(() => loadModel(nan)).toThrow(/NaN\/Inf/);
  });
});
