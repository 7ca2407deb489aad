// flatten and reshape: another shape for the same sample, in the same memory (NHWC order is row-major), so the
// net gives them no buffer and passes gradients straight through.
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { autoName, checkShape, shapeError, showShape, sizeOf, type LayerKind } from './layer.js';
import type { FlattenSpec, ReshapeSpec } from './spec.js';

/** Flattens each sample to a vector (row, column, channel order). */
export function flatten(options: { inputShape?: number[]; name?: string } = {}): FlattenSpec {
  checkOptions(options, 'flatten()', { name: 'string' });
  const spec: FlattenSpec = { type: 'flatten', name: options.name ?? autoName('flatten') };
  if (options.inputShape !== undefined) spec.inputShape = checkShape(options.inputShape, 'flatten inputShape');
  return spec;
}

/** Gives each sample the shape `targetShape` (same size; one dimension may be -1, inferred), e.g. [28, 28, 1]. */
export function reshape(targetShape: number[], options: { inputShape?: number[]; name?: string } = {}): ReshapeSpec {
  checkOptions(options, 'reshape()', { name: 'string' });
  if (!Array.isArray(targetShape) || targetShape.length === 0 || targetShape.length > 8) {
    throw new SimdnetError(
      'RANGE',
      `reshape targetShape must be a list of 1 to 8 dimensions, got ${JSON.stringify(targetShape)}`,
    );
  }
  const free = targetShape.filter((d) => d === -1).length;
  if (free > 1 || !targetShape.every((d) => d === -1 || (Number.isInteger(d) && d > 0))) {
    throw new SimdnetError(
      'RANGE',
      `reshape targetShape takes positive integers and at most one -1, got ${JSON.stringify(targetShape)}`,
    );
  }
  const spec: ReshapeSpec = {
    type: 'reshape',
    name: options.name ?? autoName('reshape'),
    targetShape: [...targetShape],
  };
  if (options.inputShape !== undefined) spec.inputShape = checkShape(options.inputShape, 'reshape inputShape');
  return spec;
}

/** Shared by the two: a view needs no kernel either way. */
const view = {
  isView: () => true,
  forward: (_s: unknown, c: { x: number }) => c.x,
  backward() {},
  describe: () => '',
};

export const flattenKind: LayerKind<FlattenSpec> = {
  type: 'flatten',
  parse: (o) => flatten({ inputShape: o.inputShape as number[] | undefined, name: o.name as string }),
  outputShape: (_s, input) => [sizeOf(input)],
  ...view,
};

export const reshapeKind: LayerKind<ReshapeSpec> = {
  type: 'reshape',
  parse: (o) =>
    reshape(o.targetShape as number[], { inputShape: o.inputShape as number[] | undefined, name: o.name as string }),
  outputShape(s, input) {
    const n = sizeOf(input);
    const known = sizeOf(s.targetShape.filter((d) => d !== -1));
    const out = s.targetShape.map((d) => (d === -1 ? n / known : d));
    if (!out.every((d) => Number.isInteger(d) && d > 0) || sizeOf(out) !== n) {
      shapeError(s.name, 'reshape', input, `${n} values do not make ${showShape(s.targetShape)}`);
    }
    return out;
  },
  ...view,
  describe: (s) => `to ${showShape(s.targetShape)}`,
};
