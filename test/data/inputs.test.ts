// The shared input helpers of the inference paths: zero-copy views, class-index targets, kernel-checked staging.
import { describe, expect, it } from 'vitest';
import { createEngine, f32View, isFlatNumbers, toTargets } from '../../src/index.js';

describe('inference input helpers', () => {
  it('f32View wraps Float32Array data without copying, and declines anything it would have to check or convert', () => {
    const data = new Float32Array(6);
    const v = f32View({ data, shape: [2, 3] }, 3)!;
    expect(v.data).toBe(data);
    expect([v.rows, v.cols]).toEqual([2, 3]);
    expect(f32View({ data, rows: 3, cols: 2 }, undefined)!.rows).toBe(3);
    expect(f32View({ data, shape: [2, 3] }, 4)).toBeUndefined(); // wrong width: toMatrix reports it
    expect(f32View({ data, shape: [2, 2] }, 2)).toBeUndefined(); // length does not match the shape
    expect(f32View({ data: new Float64Array(6), shape: [2, 3] }, 3)).toBeUndefined();
    expect(f32View([[1, 2, 3]], 3)).toBeUndefined();
  });

  it('toTargets one-hots class indices and reads matrices as they are', () => {
    expect(isFlatNumbers([0, 2])).toBe(true);
    expect(isFlatNumbers(new Int32Array(2))).toBe(true);
    expect(isFlatNumbers([[0, 1]])).toBe(false);
    expect(Array.from(toTargets([2, 0], 3).data)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(toTargets([[0.5, 0.5]], 2).data)).toEqual([0.5, 0.5]);
    expect(toTargets([[1, 2, 3, 4]], 2, 'y', 4).cols).toBe(4); // a wider loss target stays a matrix
    expect(() => toTargets([3], 3)).toThrow(/3/);
  });

  it('Engine.stageRows copies rows and names the first NaN/Inf the kernel finds, row and column', async () => {
    for (const backend of ['wasm', 'js'] as const) {
      const e = await createEngine(backend);
      const x = { data: Float32Array.from({ length: 12 }, (_, i) => i), rows: 4, cols: 3 };
      const p = e.allocF32(6);
      e.stageRows(p, x, 2, 2);
      expect(Array.from(e.f32(p, 6))).toEqual([6, 7, 8, 9, 10, 11]);
      x.data[10] = Infinity;
      expect(() => e.stageRows(p, x, 2, 2)).toThrow(/x has Infinity at row 3, col 1/);
      e.stageRows(p, x, 0, 2); // other rows are fine
      e.stageRows(p, x, 2, 2, true); // already checked by the caller: no kernel check
    }
  });
});
