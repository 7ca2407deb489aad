// The page's pure parts in Node: drawing → MNIST-style 28×28 input, and the packed MNIST asset.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMnistDigits } from '../../src/data/mnist-node.js';
import { decodeMnistAsset } from '../../examples/web/asset.js';
import { centerDigit, inkOf } from '../../examples/web/digit.js';

/** A 280×280 RGBA canvas with a white filled rectangle [x0, x1) × [y0, y1). */
function canvas(x0: number, y0: number, x1: number, y1: number): Uint8ClampedArray {
  const px = new Uint8ClampedArray(280 * 280 * 4);
  for (let y = 0; y < 280; y++) {
    for (let x = 0; x < 280; x++) {
      const on = x >= x0 && x < x1 && y >= y0 && y < y1 ? 255 : 0;
      px.set([on, on, on, 255], 4 * (y * 280 + x));
    }
  }
  return px;
}

/** The pad's ink, centred the way the page does it. */
function toMnistInput(rgba: Uint8ClampedArray): Float32Array | undefined {
  const g = inkOf(rgba, 280, 280);
  return centerDigit(g.data, g.width, g.height);
}

function extent(img: Float32Array): { w: number; h: number; cx: number; cy: number } {
  let x0 = 28,
    y0 = 28,
    x1 = -1,
    y1 = -1,
    m = 0,
    cx = 0,
    cy = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = img[y * 28 + x];
      if (v > 0.01) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
      m += v;
      cx += v * x;
      cy += v * y;
    }
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: cx / m, cy: cy / m };
}

describe('drawing → MNIST input', () => {
  it('reads ink from brightness', () => {
    const g = inkOf(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255]), 3, 1);
    expect(Array.from(g.data)).toEqual([1, 0, 1 / 3].map(Math.fround));
  });

  it('scales the ink box to fit 20 px and centres its mass, wherever it was drawn', () => {
    // A tall bar in a corner: 40 × 200 px → about 4 × 20 in the middle of the field.
    const img = toMnistInput(canvas(10, 60, 50, 260))!;
    const e = extent(img);
    expect(e.h).toBeGreaterThanOrEqual(20);
    expect(e.h).toBeLessThanOrEqual(21);
    expect(e.w).toBeGreaterThanOrEqual(4);
    expect(e.w).toBeLessThanOrEqual(6);
    // Centre of mass at pixel (14, 14), within the half pixel a whole-pixel shift leaves (as in MNIST).
    expect(Math.abs(e.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(e.cy - 14)).toBeLessThanOrEqual(0.5);
    for (const v of img) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('keeps the aspect ratio of a wide stroke and returns undefined for an empty pad', () => {
    const e = extent(toMnistInput(canvas(100, 120, 260, 160))!);
    expect(e.w).toBeGreaterThanOrEqual(20);
    expect(e.w).toBeLessThanOrEqual(21);
    expect(e.h).toBeGreaterThanOrEqual(5);
    expect(e.h).toBeLessThanOrEqual(7);
    expect(toMnistInput(canvas(0, 0, 0, 0))).toBeUndefined();
  });
});

describe('MNIST asset', () => {
  it('build.mjs packs the digits so that the page decodes them to the package values (±1/510)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-asset-'));
    try {
      // @ts-expect-error plain ESM build script without type declarations
      const { writeMnistAsset } = (await import('../../examples/web/build.mjs')) as {
        writeMnistAsset(f: string): number;
      };
      const n = writeMnistAsset(join(dir, 'mnist.bin'));
      expect(n).toBe(10_000);
      const bytes = readFileSync(join(dir, 'mnist.bin'));
      expect(bytes.length).toBe(48 + 10_000 * 784);
      const decoded = decodeMnistAsset(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const original = readMnistDigits();
      expect(decoded.map((a) => a.length)).toEqual(original.map((a) => a.length));
      for (let d = 0; d < 10; d++) {
        let worst = 0;
        for (let i = 0; i < original[d].length; i++) worst = Math.max(worst, Math.abs(decoded[d][i] - original[d][i]));
        expect(worst, `digit ${d}`).toBeLessThanOrEqual(1 / 510 + 1e-6);
      }
      expect(() => decodeMnistAsset(new Uint8Array(48).buffer)).toThrow(/wrong magic/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
