// dropout: inverted dropout while training, the identity at inference.
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { autoName, sizeOf, type LayerKind } from './layer.js';
import type { DropoutSpec } from './spec.js';

/** Inverted dropout of a `rate` fraction (0 ≤ rate < 1) of its inputs while training. */
export function dropout(rate: number, options: { name?: string } = {}): DropoutSpec {
  checkOptions(options, 'dropout()', { name: 'string' });
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
    throw new SimdnetError('RANGE', `dropout rate must be in [0, 1), got ${String(rate)}`);
  }
  return { type: 'dropout', name: options.name ?? autoName('dropout'), rate };
}

export const dropoutKind: LayerKind<DropoutSpec> = {
  type: 'dropout',
  parse: (o) => dropout(o.rate as number, { name: o.name as string }),
  outputShape: (_s, input) => input,
  buffers: (_s, input) => [{ perRow: sizeOf(input), trainingOnly: true }], // the mask backward multiplies by
  forward(s, c, input) {
    if (!c.training || s.rate === 0) return c.x;
    c.k.dropout_forward(c.y, c.bufs[0], c.x, c.m * sizeOf(input), s.rate, c.seed);
    return c.y;
  },
  backward(s, c, input) {
    if (c.dx === 0) return;
    const n = c.m * sizeOf(input);
    if (s.rate > 0 && c.training) c.k.dropout_backward(c.dx, c.dy, c.bufs[0], n);
    else c.engine.f32(c.dx, n).set(c.engine.f32(c.dy, n));
  },
  describe: (s) => `rate ${s.rate}`,
};
