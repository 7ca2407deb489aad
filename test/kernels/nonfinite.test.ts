// count_nonfinite as the output guard uses it (src/model/plan.ts guardOutputs): every n from 0 to 37 (the 16-float
// step, its 4-float lanes and the scalar tail), a lone NaN / ±Inf at every position among finite extremes, -0 and
// subnormals, which must never count. Both backends must agree.
import { describe, expect, it } from 'vitest';
import { runBoth } from '../helpers/elem-kernels.js';

/** Finite values that sit next to the nonfinite bit patterns: ±max, -0, ±smallest subnormal, ±smallest normal. */
const FINITE = [
  3.4028234663852886e38, -3.4028234663852886e38, -0, 1.4e-45, -1.4e-45, 1.1754943508222875e-38, -1.1754943508222875e-38,
  0,
];
const BAD = [NaN, Infinity, -Infinity];

const filler = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => FINITE[i % FINITE.length]);

describe('count_nonfinite for the output guard', () => {
  it('finds nothing in finite extremes, -0 and subnormals, for n = 0..37', () => {
    for (let n = 0; n <= 37; n++) {
      const r = runBoth('count_nonfinite', [filler(n), n]);
      expect(r.wasmRet, `n=${n}`).toBe(0);
      expect(r.refRet, `n=${n}`).toBe(0);
    }
  });

  it('finds a lone NaN, +Inf or -Inf at every position, for n = 1..37', () => {
    for (let n = 1; n <= 37; n++) {
      for (let at = 0; at < n; at++) {
        for (const bad of BAD) {
          const x = filler(n);
          x[at] = bad;
          const r = runBoth('count_nonfinite', [x, n]);
          expect(r.wasmRet, `n=${n} at=${at} ${bad}`).toBe(1);
          expect(r.refRet, `n=${n} at=${at} ${bad}`).toBe(1);
        }
      }
    }
  });

  it('looks only at the n values it is given: a NaN just past the end is not counted', () => {
    for (let n = 0; n <= 37; n++) {
      const x = new Float32Array(n + 1);
      x[n] = NaN;
      expect(runBoth('count_nonfinite', [x, n]).wasmRet, `n=${n}`).toBe(0);
    }
  });
});
