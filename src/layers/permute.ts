// permute: the axes of each sample in another order (Keras Permute). `dims` is 1-based over the sample axes, as
// Keras: output axis i is input axis dims[i − 1], so permute([2, 3, 1]) turns an NCHW sample [c, h, w] into NHWC
// [h, w, c] (the ONNX importer puts it first in models whose input is NCHW). Forward is one data-movement kernel
// (permute_forward); backward is the same kernel with the inverse permutation. The identity is a view.
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { autoName, checkShape, shapeError, showShape, type LayerKind, type Shape } from './layer.js';
import type { PermuteSpec } from './spec.js';

/** Sample axes the kernel takes (its canonical form has at most 4). */
const MAX_RANK = 4;

/**
 * Reorders the axes of each sample: output axis i is input axis `dims[i − 1]` (1-based, a permutation of
 * 1..rank, rank at most 4), e.g. `permute([2, 1])` transposes each sample matrix.
 */
export function permute(dims: number[], options: { name?: string; inputShape?: number[] } = {}): PermuteSpec {
  checkOptions(options, 'permute()', { name: 'string' });
  const name = options.name ?? autoName('permute');
  const bad = (why: string): never => {
    throw new SimdnetError('RANGE', `permute layer '${name}': ${why}`);
  };
  if (!Array.isArray(dims) || dims.length === 0 || dims.length > MAX_RANK) {
    bad(`dims must list 1 to ${MAX_RANK} sample axes, got ${JSON.stringify(dims)}`);
  }
  const seen = new Set<number>();
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1 || d > dims.length || seen.has(d)) {
      bad(
        `dims must be a permutation of 1..${dims.length} (sample axes, 1-based as Keras), got ${JSON.stringify(dims)}`,
      );
    }
    seen.add(d);
  }
  const spec: PermuteSpec = { type: 'permute', name, dims: [...dims] };
  if (options.inputShape !== undefined) {
    const shape = checkShape(options.inputShape, `permute layer '${name}' inputShape`);
    if (shape.length !== dims.length) {
      bad(
        `inputShape ${showShape(shape)} has ${shape.length} axes but dims ${JSON.stringify(dims)} permutes ${dims.length}`,
      );
    }
    spec.inputShape = shape;
  }
  return spec;
}

const isIdentity = (dims: readonly number[]): boolean => dims.every((d, i) => d === i + 1);

/**
 * permute_forward's (d0, d1, d2, d3, s0, s1, s2, s3) for samples of `shape` with output axis i = input axis
 * perm[i] (0-based): the output axes with their input strides, size-1 axes dropped (they move nothing), an axis
 * merged into the one before it when it follows it in the input too (NCHW → NHWC becomes (c, h·w) → (h·w, c)),
 * padded in front with (1, 0) to 4 axes. The kernel then sees the fewest, longest axes.
 */
export function permuteArgs(shape: readonly number[], perm: readonly number[]): number[] {
  const stride: number[] = [];
  for (let k = shape.length - 1, s = 1; k >= 0; s *= shape[k--]) stride[k] = s;
  const axes: [number, number][] = []; // (size, input stride) in output order
  for (const p of perm) {
    if (shape[p] === 1) continue;
    const last = axes[axes.length - 1];
    if (last && last[1] === stride[p] * shape[p]) {
      last[0] *= shape[p];
      last[1] = stride[p];
    } else axes.push([shape[p], stride[p]]);
  }
  if (axes.length === 0) axes.push([1, 1]); // one value per sample: a copy
  while (axes.length < 4) axes.unshift([1, 0]);
  return [...axes.map((a) => a[0]), ...axes.map((a) => a[1])];
}

/** The 0-based permutation that undoes `dims` (1-based): the gradient's way back. */
function inverse(dims: readonly number[]): number[] {
  const inv: number[] = [];
  dims.forEach((d, i) => (inv[d - 1] = i));
  return inv;
}

export const permuteKind: LayerKind<PermuteSpec> = {
  type: 'permute',
  parse: (o) =>
    permute(o.dims as number[], { inputShape: o.inputShape as number[] | undefined, name: o.name as string }),
  outputShape(s, input) {
    if (input.length !== s.dims.length) {
      shapeError(
        s.name,
        'permute',
        input,
        `dims ${JSON.stringify(s.dims)} permute ${s.dims.length} axes, the input has ${input.length}`,
      );
    }
    return s.dims.map((d) => input[d - 1]);
  },
  isView: (s) => isIdentity(s.dims),
  forward(s, c, input: Shape) {
    if (isIdentity(s.dims)) return c.x;
    c.k.permute_forward(
      c.y,
      c.x,
      c.m,
      ...(permuteArgs(
        input,
        s.dims.map((d) => d - 1),
      ) as Args),
    );
    return c.y;
  },
  backward(s, c, _input, output) {
    if (c.dx === 0 || isIdentity(s.dims)) return;
    c.k.permute_forward(c.dx, c.dy, c.m, ...(permuteArgs(output, inverse(s.dims)) as Args));
  },
  describe: (s) => `dims ${showShape(s.dims)}`,
};

type Args = [number, number, number, number, number, number, number, number];
