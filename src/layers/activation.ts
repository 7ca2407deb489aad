// activation: a standalone activation, applied along the last axis (softmax over a map's channels).
import { checkOptions } from '../args.js';
import { activationBackward, activationForward, checkActivation, type Activation } from './activations.js';
import { autoName, sizeOf, type LayerKind, type Shape } from './layer.js';
import { checkAlpha } from './options.js';
import type { ActivationSpec } from './spec.js';

/** A standalone activation layer. */
export function activation(act: Activation, options: { alpha?: number; name?: string } = {}): ActivationSpec {
  checkOptions(options, 'activation()', { name: 'string', alpha: 'number' });
  return {
    type: 'activation',
    name: options.name ?? autoName('activation'),
    activation: checkActivation(act, 'activation'),
    alpha: checkAlpha(options.alpha ?? 0.01, 'activation'),
  };
}

/** Rows and row width of m samples of `shape` for an activation along the last axis. */
const rows = (m: number, shape: Shape): [number, number] => {
  const n = shape[shape.length - 1];
  return [(m * sizeOf(shape)) / n, n];
};

export const activationKind: LayerKind<ActivationSpec> = {
  type: 'activation',
  parse: (o) => activation(o.activation as Activation, { alpha: o.alpha as number, name: o.name as string }),
  outputShape: (_s, input) => input,
  isView: (s, skip) => s.activation === 'linear' || skip,
  activation: (s) => s.activation,
  forward(s, c, input) {
    if (c.y === 0) return c.x;
    const [r, n] = rows(c.m, input);
    activationForward(c.k, s.activation, c.y, c.x, r, n, s.alpha);
    return c.y;
  },
  backward(s, c, input) {
    if (c.dx === 0) return;
    const [r, n] = rows(c.m, input);
    activationBackward(c.k, s.activation, c.dx, c.dy, c.out, r, n, s.alpha);
  },
  describe: (s) => s.activation,
};
