// centerDigit (examples/web/digit.ts) on real MNIST test digits: each digit enlarged and drawn in a corner of a
// 280×280 pad, as a user might draw it, comes back as the original's pixels (ink IoU) and is read as the same digit
// by an MLP trained here; without the re-centring the same pad, cut to 28×28 the naive way, is misread.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist-node.js';
import { adam, dense, init, sequential, type Matrix, type Sequential } from '../../src/index.js';
import { centerDigit } from '../../examples/web/digit.js';

const N = 300;
let model: Sequential;
let x: Matrix;
let labels: number[];

beforeAll(async () => {
  await init();
  const { train, test } = loadMnist({ seed: 1 });
  model = sequential([dense(128, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed: 1,
  });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  await model.fit(train.x, train.y, { epochs: 3, batchSize: 64, seed: 1 });
  const some = test.take(N);
  x = some.x;
  labels = argmaxRows(some.y);
});

/** A 28×28 digit enlarged `scale` times (bilinear) onto a 280×280 pad with its top-left corner at (ox, oy). */
function onPad(digit: Float32Array, scale: number, ox: number, oy: number): Float32Array {
  const pad = new Float32Array(280 * 280);
  const at = (c: number, r: number): number => (c >= 0 && r >= 0 && c < 28 && r < 28 ? digit[r * 28 + c] : 0);
  for (let y = 0; y < 28 * scale; y++) {
    for (let xx = 0; xx < 28 * scale; xx++) {
      const X = ox + xx;
      const Y = oy + y;
      if (X >= 280 || Y >= 280) continue;
      // Pixel centres: source coordinate of the pad pixel's centre.
      const sx = (xx + 0.5) / scale - 0.5;
      const sy = (y + 0.5) / scale - 0.5;
      const c0 = Math.floor(sx);
      const r0 = Math.floor(sy);
      const fx = sx - c0;
      const fy = sy - r0;
      pad[Y * 280 + X] =
        (at(c0, r0) * (1 - fx) + at(c0 + 1, r0) * fx) * (1 - fy) +
        (at(c0, r0 + 1) * (1 - fx) + at(c0 + 1, r0 + 1) * fx) * fy;
    }
  }
  return pad;
}

/** Intersection over union of the ink (pixels > 0.3) of two 28×28 images. */
function inkIoU(a: Float32Array, b: Float32Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < 784; i++) {
    const p = a[i] > 0.3;
    const q = b[i] > 0.3;
    if (p && q) both++;
    if (p || q) either++;
  }
  return either === 0 ? 1 : both / either;
}

const argmaxRows = (m: Matrix): number[] =>
  Array.from({ length: m.rows }, (_, r) => {
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
    let best = 0;
    for (let c = 1; c < m.cols; c++) if (row[c] > row[best]) best = c;
    return best;
  });

describe('centerDigit on MNIST digits drawn big in a corner', () => {
  it('gives back the original digit: same pixels (ink IoU) and the same prediction', () => {
    const centred = new Float32Array(N * 784);
    const naive = new Float32Array(N * 784);
    const ious: number[] = [];
    for (let i = 0; i < N; i++) {
      const digit = x.data.subarray(i * 784, (i + 1) * 784);
      // 6× (168 px) in the top-left corner of the pad, or 5× near the bottom-right, alternately.
      const pad = i % 2 === 0 ? onPad(digit, 6, 0, 0) : onPad(digit, 5, 135, 135);
      const c = centerDigit(pad, 280, 280);
      expect(c).toBeDefined();
      centred.set(c!, i * 784);
      ious.push(inkIoU(c!, digit));
      // What a page without the preprocessing would feed the model: the pad shrunk to 28×28 (10×10 box average).
      for (let r = 0; r < 28; r++) {
        for (let col = 0; col < 28; col++) {
          let s = 0;
          for (let dy = 0; dy < 10; dy++) for (let dx = 0; dx < 10; dx++) s += pad[(10 * r + dy) * 280 + 10 * col + dx];
          naive[i * 784 + r * 28 + col] = s / 100;
        }
      }
    }
    const original = argmaxRows(model.predict(x));
    const recentred = argmaxRows(model.predict({ data: centred, rows: N, cols: 784 }));
    const shrunk = argmaxRows(model.predict({ data: naive, rows: N, cols: 784 }));
    const agree = (p: number[]): number => p.filter((v, i) => v === original[i]).length / N;
    const accuracy = (p: number[]): number => p.filter((v, i) => v === labels[i]).length / N;
    const meanIoU = ious.reduce((a, b) => a + b, 0) / N;
    console.log(
      `centerDigit: mean ink IoU ${meanIoU.toFixed(3)}, worst ${Math.min(...ious).toFixed(3)}; same prediction ${(100 * agree(recentred)).toFixed(1)}% (naive shrink: ${(100 * agree(shrunk)).toFixed(1)}%); accuracy ${(100 * accuracy(original)).toFixed(1)}% → ${(100 * accuracy(recentred)).toFixed(1)}%`,
    );
    // The misses are mostly thin strokes (a 1) placed one pixel beside the original: MNIST's own centring rounds
    // the centre of mass to a whole pixel too, so half a pixel either way is within what the data itself holds.
    expect(meanIoU).toBeGreaterThan(0.8);
    expect(agree(recentred)).toBeGreaterThan(0.94);
    expect(accuracy(recentred)).toBeGreaterThan(accuracy(original) - 0.03);
    expect(agree(shrunk)).toBeLessThan(0.5);
  });

  it('puts the centre of mass at pixel (14, 14), as in MNIST, and the longer side at 20 px', () => {
    const digit = x.data.subarray(0, 784);
    const c = centerDigit(onPad(digit, 6, 100, 20), 280, 280)!;
    let m = 0;
    let cx = 0;
    let cy = 0;
    let x0 = 28;
    let x1 = -1;
    let y0 = 28;
    let y1 = -1;
    for (let r = 0; r < 28; r++) {
      for (let col = 0; col < 28; col++) {
        const v = c[r * 28 + col];
        m += v;
        cx += v * col;
        cy += v * r;
        if (v > 0.05) {
          x0 = Math.min(x0, col);
          x1 = Math.max(x1, col);
          y0 = Math.min(y0, r);
          y1 = Math.max(y1, r);
        }
      }
    }
    expect(Math.abs(cx / m - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / m - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(x1 - x0 + 1, y1 - y0 + 1)).toBeGreaterThanOrEqual(20);
    expect(Math.max(x1 - x0 + 1, y1 - y0 + 1)).toBeLessThanOrEqual(21);
  });

  it('refuses a pixel array of the wrong size', () => {
    expect(() => centerDigit(new Float32Array(10), 28, 28)).toThrow(/10 pixels for 28×28/);
  });
});
