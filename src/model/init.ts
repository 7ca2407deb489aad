import type { Initializer } from '../layers/spec.js';
import type { Rng } from '../random.js';

// Keras draws its "normal" initializers from a normal truncated at 2σ; dividing by this constant keeps the
// variance of the truncated draw at the intended σ².
const TRUNC_STD = 0.8796256610342398;

/** Fills `w` (fanIn × fanOut, row-major) by `kind`, seeded by `rng`. Runs once per model, not per step. */
export function initKernel(w: Float32Array, kind: Initializer, fanIn: number, fanOut: number, rng: Rng): void {
  const truncNormal = (std: number): void => {
    for (let i = 0; i < w.length; i++) {
      let z: number;
      do z = rng.normal();
      while (z < -2 || z > 2);
      w[i] = (z * std) / TRUNC_STD;
    }
  };
  const uniform = (limit: number): void => {
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
  };
  switch (kind) {
    case 'glorotUniform':
      return uniform(Math.sqrt(6 / (fanIn + fanOut)));
    case 'glorotNormal':
      return truncNormal(Math.sqrt(2 / (fanIn + fanOut)));
    case 'heUniform':
      return uniform(Math.sqrt(6 / fanIn));
    case 'heNormal':
      return truncNormal(Math.sqrt(2 / fanIn));
    case 'lecunNormal':
      return truncNormal(Math.sqrt(1 / fanIn));
    case 'zeros':
      w.fill(0);
  }
}
