// zeroPadding2d: zero rows and columns around each NHWC map (Keras ZeroPadding2D). With it a conv or pool with
// 'valid' padding runs windows that start before the map, as PyTorch's padding=1 at stride 2 or an average pool
// that counts the padding (count_include_pad) do; the ONNX importer puts one before such layers. Forward is one
// data-movement kernel (zero_pad2d_forward); backward copies the interior of the gradient back (crop2d_backward).
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { autoName, checkShape, shapeError, showShape, type LayerKind, type Shape } from './layer.js';
import type { ZeroPadding2dSpec } from './spec.js';

/** The largest pad on one side (a guard against sizes no model needs). */
const MAX_PAD = 4096;

/** Keras's forms: n on every side, [symmetric rows, symmetric columns], or [[top, bottom], [left, right]]. */
export type ZeroPadding = number | [number, number] | [[number, number], [number, number]];

/**
 * Pads each [h, w, c] sample with zeros: `padding` is n (every side), [rows, columns] (top and bottom, left and
 * right) or [[top, bottom], [left, right]], as Keras ZeroPadding2D. Output [h + top + bottom, w + left + right, c].
 */
export function zeroPadding2d(
  padding: ZeroPadding,
  options: { name?: string; inputShape?: number[] } = {},
): ZeroPadding2dSpec {
  checkOptions(options, 'zeroPadding2d()', { name: 'string' });
  const name = options.name ?? autoName('zero_padding2d');
  const bad = (why: string): never => {
    throw new SimdnetError('RANGE', `zeroPadding2d layer '${name}': ${why}`);
  };
  const shown = JSON.stringify(padding);
  const isPad = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_PAD;
  const isPair = (v: unknown): v is [number, number] =>
    Array.isArray(v) && v.length === 2 && isPad(v[0]) && isPad(v[1]);
  let pads: [[number, number], [number, number]] | undefined;
  if (isPad(padding))
    pads = [
      [padding, padding],
      [padding, padding],
    ];
  else if (isPair(padding))
    pads = [
      [padding[0], padding[0]],
      [padding[1], padding[1]],
    ];
  else if (Array.isArray(padding) && padding.length === 2 && isPair(padding[0]) && isPair(padding[1])) {
    pads = [
      [padding[0][0], padding[0][1]],
      [padding[1][0], padding[1][1]],
    ];
  }
  if (!pads) {
    return bad(
      `padding must be an integer 0..${MAX_PAD}, [rows, columns] or [[top, bottom], [left, right]] of them, got ${shown}`,
    );
  }
  const spec: ZeroPadding2dSpec = { type: 'zeroPadding2d', name, padding: pads };
  if (options.inputShape !== undefined) {
    const shape = checkShape(options.inputShape, `zeroPadding2d layer '${name}' inputShape`);
    if (shape.length !== 3) bad(`inputShape ${showShape(shape)} must be [height, width, channels]`);
    spec.inputShape = shape;
  }
  return spec;
}

const isNone = (s: ZeroPadding2dSpec): boolean => s.padding.every((p) => p[0] === 0 && p[1] === 0);

/** The kernels' (h, w, c, top, bottom, left, right) for an input sample shape. */
const args = (s: ZeroPadding2dSpec, input: Shape): Args => [
  input[0],
  input[1],
  input[2],
  s.padding[0][0],
  s.padding[0][1],
  s.padding[1][0],
  s.padding[1][1],
];

export const zeroPadding2dKind: LayerKind<ZeroPadding2dSpec> = {
  type: 'zeroPadding2d',
  parse: (o) =>
    zeroPadding2d(o.padding as ZeroPadding, {
      inputShape: o.inputShape as number[] | undefined,
      name: o.name as string,
    }),
  outputShape(s, input) {
    if (input.length !== 3) shapeError(s.name, 'zeroPadding2d', input, 'it pads [height, width, channels] maps');
    const [[t, b], [l, r]] = s.padding;
    return [input[0] + t + b, input[1] + l + r, input[2]];
  },
  // No padding at all moves nothing: the output is the input.
  isView: (s) => isNone(s),
  forward(s, c, input: Shape) {
    if (isNone(s)) return c.x;
    c.k.zero_pad2d_forward(c.y, c.x, c.m, ...args(s, input));
    return c.y;
  },
  backward(s, c, input) {
    if (c.dx === 0 || isNone(s)) return;
    c.k.crop2d_backward(c.dx, c.dy, c.m, ...args(s, input));
  },
  describe: (s) => `padding [[${s.padding[0].join(', ')}], [${s.padding[1].join(', ')}]]`,
};

type Args = [number, number, number, number, number, number, number];
