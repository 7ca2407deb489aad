// maxPooling2d, averagePooling2d and globalAveragePooling2d over NHWC maps. Max pooling keeps the input index of
// each maximum, so backward is a scatter of dy onto those inputs.
import { checkOptions } from '../args.js';
import { geometry, mapShape, type Geometry } from './conv2d.js';
import { autoName, pair, shapeError, sizeOf, type LayerKind, type Shape } from './layer.js';
import { checkPadding } from './options.js';
import type { GlobalAveragePooling2dSpec, Pooling2dSpec } from './spec.js';

/** Options of {@link maxPooling2d} and {@link averagePooling2d}. */
export interface Pooling2dOptions {
  /** Step of the window, n or [down, across] (default: the pool size). */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (padding never wins a max and is not counted in a mean). */
  padding?: 'valid' | 'same';
  /** [height, width, channels] of the input, when this is the first layer. */
  inputShape?: [number, number, number];
  /** Unique name in the model. */
  name?: string;
}

function pooling(
  type: Pooling2dSpec['type'],
  poolSize: number | [number, number],
  options: Pooling2dOptions,
): Pooling2dSpec {
  const size = pair(poolSize, `${type} poolSize`);
  const spec: Pooling2dSpec = {
    type,
    name: options.name ?? autoName(type),
    poolSize: size,
    strides: pair(options.strides ?? size, `${type} strides`),
    padding: checkPadding(options.padding ?? 'valid', type),
  };
  if (options.inputShape !== undefined) spec.inputShape = mapShape(options.inputShape, `${type} inputShape`);
  return spec;
}

/** The maximum of each channel over poolSize (n or [ph, pw]) windows. */
export function maxPooling2d(poolSize: number | [number, number] = 2, options: Pooling2dOptions = {}): Pooling2dSpec {
  return pooling(
    'maxPooling2d',
    poolSize,
    checkOptions(options, 'maxPooling2d()', { name: 'string', padding: 'string' }),
  );
}

/** The mean of each channel over poolSize (n or [ph, pw]) windows. */
export function averagePooling2d(
  poolSize: number | [number, number] = 2,
  options: Pooling2dOptions = {},
): Pooling2dSpec {
  return pooling(
    'averagePooling2d',
    poolSize,
    checkOptions(options, 'averagePooling2d()', { name: 'string', padding: 'string' }),
  );
}

const geo = (s: Pooling2dSpec, input: Shape): Geometry =>
  geometry(s.name, s.type, input, s.poolSize, s.strides, s.padding);

/** The kernels' window arguments after the sizes n, h, w, c. */
const win = (g: Geometry): [number, number, number, number, number, number, number, number] => [
  g.kh,
  g.kw,
  g.sh,
  g.sw,
  g.padT,
  g.padL,
  g.oh,
  g.ow,
];

function poolKind(type: Pooling2dSpec['type']): LayerKind<Pooling2dSpec> {
  const max = type === 'maxPooling2d';
  return {
    type,
    parse: (o) =>
      pooling(type, o.poolSize as [number, number], {
        strides: o.strides as [number, number],
        padding: o.padding as 'valid',
        inputShape: o.inputShape as [number, number, number] | undefined,
        name: o.name as string,
      }),
    outputShape(s, input) {
      const g = geo(s, input);
      return [g.oh, g.ow, g.c];
    },
    // Max pooling: the index of each output's maximum (i32), kept for backward (saliency runs it after inference).
    buffers: (s, input, output) => (max ? [{ perRow: sizeOf(output) }] : []),
    forward(s, c, input) {
      const g = geo(s, input);
      if (max) c.k.maxpool2d_forward(c.y, c.bufs[0], c.x, c.m, g.h, g.w, g.c, ...win(g));
      else c.k.avgpool2d_forward(c.y, c.x, c.m, g.h, g.w, g.c, ...win(g));
      return c.y;
    },
    backward(s, c, input, output) {
      if (c.dx === 0) return;
      const g = geo(s, input);
      if (max) c.k.maxpool2d_backward(c.dx, c.dy, c.bufs[0], c.m, sizeOf(input), sizeOf(output));
      else c.k.avgpool2d_backward(c.dx, c.dy, c.m, g.h, g.w, g.c, ...win(g));
    },
    describe: (s) =>
      `${s.poolSize[0]}x${s.poolSize[1]}` +
      (s.strides[0] !== s.poolSize[0] || s.strides[1] !== s.poolSize[1] ? `/${s.strides[0]}x${s.strides[1]}` : '') +
      ` ${s.padding}`,
  };
}

export const maxPooling2dKind = poolKind('maxPooling2d');
export const averagePooling2dKind = poolKind('averagePooling2d');

/** The mean of each channel over the whole map: (h, w, c) → (c). */
export function globalAveragePooling2d(
  options: { inputShape?: [number, number, number]; name?: string } = {},
): GlobalAveragePooling2dSpec {
  checkOptions(options, 'globalAveragePooling2d()', { name: 'string' });
  const spec: GlobalAveragePooling2dSpec = {
    type: 'globalAveragePooling2d',
    name: options.name ?? autoName('globalAveragePooling2d'),
  };
  if (options.inputShape !== undefined)
    spec.inputShape = mapShape(options.inputShape, 'globalAveragePooling2d inputShape');
  return spec;
}

export const globalAveragePooling2dKind: LayerKind<GlobalAveragePooling2dSpec> = {
  type: 'globalAveragePooling2d',
  parse: (o) =>
    globalAveragePooling2d({
      inputShape: o.inputShape as [number, number, number] | undefined,
      name: o.name as string,
    }),
  outputShape(s, input) {
    if (input.length !== 3)
      shapeError(s.name, s.type, input, 'globalAveragePooling2d takes [height, width, channels] maps');
    return [input[2]];
  },
  forward(_s, c, input) {
    c.k.global_avgpool_forward(c.y, c.x, c.m, input[0] * input[1], input[2]);
    return c.y;
  },
  backward(_s, c, input) {
    if (c.dx !== 0) c.k.global_avgpool_backward(c.dx, c.dy, c.m, input[0] * input[1], input[2]);
  },
  describe: () => '',
};
