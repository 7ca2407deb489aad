// Model files on disk: loadModelFileSync reads the weights straight into the model's memory and must behave exactly
// like loadModel(bytes) — same model, same errors — while leaking neither memory nor file descriptors.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dense,
  getEngine,
  init,
  loadModel,
  loadModelFile,
  loadModelFileSync,
  saveModel,
  saveModelFile,
  sequential,
  type Sequential,
} from '../../src/index.js';
import { bytesSource, type ByteSource } from '../../src/io/container.js';
import { asVersion1, reseal } from '../helpers/files.js';
import { loadModelFrom } from '../../src/io/format.js';
import { randArray } from '../helpers/check.js';

const dir = mkdtempSync(join(tmpdir(), 'simdnet-file-'));
beforeAll(async () => {
  await init();
  await init({ backend: 'js' }); // the js backend's kernels load on first use
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model whose file (~200 KB) spans several of the checksum's 32 KiB windows, and a 10-unit bias (odd sizes). */
function model(): Sequential {
  const m = sequential([dense(61, { activation: 'relu', inputDim: 800 }), dense(10, { activation: 'softmax' })], {
    seed: 3,
    name: 'on-disk',
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  m.metadata = { note: 'ünïcödé header' };
  return m;
}

const x = { data: randArray(7 * 800, 5), shape: [7, 800] as [number, number] };
const fileWith = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
/** Open file descriptors of this process (Linux). */
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** The error loadModel(bytes) throws, to compare with the file loader's. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return String(err);
  }
  return 'no error';
}

describe('loadModelFileSync', () => {
  it('reads exactly what loadModel reads: weights, settings, metadata, bit-identical predictions, on both backends', async () => {
    const m = model();
    const path = join(dir, 'm.sdnt');
    await saveModelFile(m, path);
    const bytes = saveModel(m);
    expect(bytes.length).toBeGreaterThan(3 * 32768);
    const want = Array.from(m.predict(x).data);
    for (const backend of ['wasm', 'js'] as const) {
      const a = loadModelFileSync(path, { backend });
      const b = loadModel(bytes, { backend });
      const c = await loadModelFile(path, { backend });
      for (const got of [a, b, c]) {
        expect(got.name).toBe('on-disk');
        expect(got.metadata).toEqual({ note: 'ünïcödé header' });
        expect(got.compileSettings()).toEqual(m.compileSettings());
        expect(got.getWeights().map((w) => Array.from(w.data))).toEqual(m.getWeights().map((w) => Array.from(w.data)));
      }
      if (backend === 'wasm') expect(Array.from(a.predict(x).data)).toEqual(want);
      for (const got of [a, b, c]) got.dispose();
    }
    m.dispose();
  });

  it('rejects a damaged file with the very error loadModel gives, and leaks no memory and no file descriptor', () => {
    const m = model();
    const bytes = saveModel(m);
    m.dispose();
    const flipped = bytes.slice();
    flipped[40_000] ^= 0x10; // a weight in the second window
    const header = bytes.slice();
    header[20] ^= 0x01; // a byte of the JSON header
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(bytes.length - 12, NaN, true);
    const wrongShape = bytes.slice();
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    const json = new TextDecoder().decode(bytes.subarray(12, 12 + hlen)).replace('"units":61', '"units":62');
    wrongShape.set(new TextEncoder().encode(json), 12);
    const cases: Record<string, [Uint8Array, RegExp]> = {
      empty: [new Uint8Array(0), /only 0 bytes/],
      truncated: [bytes.subarray(0, bytes.length - 1000), /checksum mismatch|truncated/],
      'flipped weight bit': [flipped, /checksum mismatch/],
      'flipped header bit': [header, /checksum mismatch/],
      'NaN weight (valid checksum)': [reseal(nan), /NaN\/Inf/],
      'header that does not fit the tensors (valid checksum)': [reseal(wrongShape), /shape/],
      'not a model': [new TextEncoder().encode('just some text, long enough to have a header'), /not a simdnet model/],
    };
    const e = getEngine('wasm');
    const used = e.arena.used;
    const fds = openFds();
    for (const [what, [b, re]] of Object.entries(cases)) {
      const path = fileWith(`${what.replace(/\W+/g, '-')}.sdnt`, b);
      const expected = errorOf(() => loadModel(b));
      expect(expected, what).toMatch(re);
      expect(
        errorOf(() => loadModelFileSync(path)),
        what,
      ).toBe(expected);
      expect(e.arena.used, `${what}: arena bytes`).toBe(used);
    }
    expect(openFds()).toBe(fds);
    expect(() => loadModelFileSync(join(dir, 'missing.sdnt'))).toThrow(/ENOENT/);
    expect(openFds()).toBe(fds);
  });

  it('reads a saveModel file in one pass over its data; an unusual layout or damage gets the checksum-first pass', () => {
    const m = model();
    const bytes = saveModel(m);
    m.dispose();
    /** A source that counts the bytes it hands out. */
    const counted = (b: Uint8Array): ByteSource & { read_: number } => {
      const inner = bytesSource(b);
      const src = {
        length: b.length,
        read_: 0,
        read: (into: Uint8Array, pos: number) => ((src.read_ += into.length), inner.read(into, pos)),
      };
      return src;
    };
    const ok = counted(bytes);
    loadModelFrom(ok).dispose();
    expect(ok.read_ / bytes.length).toBeLessThan(1.05); // once: weights into the slab, checksum taken there
    const bad = bytes.slice();
    bad[50_000] ^= 1;
    const damaged = counted(bad);
    expect(() => loadModelFrom(damaged)).toThrow(/checksum mismatch/);
    expect(damaged.read_ / bytes.length).toBeGreaterThan(1.9); // in place, then the checksum-first pass

    // A valid file whose tensors are not back to back (a gap after the first): loaded by the checksum-first pass.
    const hlen = new DataView(bytes.buffer).getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as {
      tensors: { offset: number; length: number }[];
    };
    const dataStart = Math.ceil((12 + hlen) / 4) * 4;
    const gap = 16;
    header.tensors.forEach((t, i) => (t.offset += i > 0 ? gap : 0));
    const json = new TextEncoder().encode(JSON.stringify(header));
    const start2 = Math.ceil((12 + json.length) / 4) * 4;
    const out = new Uint8Array(start2 + bytes.length - 4 - dataStart + gap + 4);
    out.set(bytes.subarray(0, 12));
    new DataView(out.buffer).setUint32(8, json.length, true);
    out.set(json, 12);
    const first = header.tensors[0].length;
    out.set(bytes.subarray(dataStart, dataStart + first), start2);
    out.set(bytes.subarray(dataStart + first, bytes.length - 4), start2 + first + gap);
    reseal(out);
    const gapped = counted(out);
    const back = loadModelFrom(gapped);
    const ref = loadModel(bytes);
    expect(back.getWeights().map((w) => Array.from(w.data))).toEqual(ref.getWeights().map((w) => Array.from(w.data)));
    expect(gapped.read_ / out.length).toBeGreaterThan(1.9);
    back.dispose();

    // A version 1 file (CRC-32, checked in JS) takes the checksum-first pass and loads the same weights.
    const v1 = counted(asVersion1(bytes));
    const old = loadModelFrom(v1);
    expect(old.getWeights().map((w) => Array.from(w.data))).toEqual(ref.getWeights().map((w) => Array.from(w.data)));
    expect(v1.read_ / bytes.length).toBeGreaterThan(1.9);
    old.dispose();
    ref.dispose();
  });
});
