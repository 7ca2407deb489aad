// conv2d: y = act(conv(x, K) + b) over NHWC maps, K in Keras's HWIO layout. The arithmetic is the GEMM of the
// im2col columns (n·oh·ow, kh·kw·c) and K read as a (kh·kw·c, filters) matrix, and its two backprop forms; the
// direct NHWC micro-kernels compute them without materializing the columns (measured faster), except the data
// gradient at 2 or 3 input channels, or 1 with strides or a single filter (GEMM + col2im), and 1x1 convolutions
// (the input is the columns).
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { activationBackward, activationForward, checkActivation, type Activation } from './activations.js';
import { autoName, checkShape, pair, positiveInt, shapeError, showShape, type LayerKind, type Shape } from './layer.js';
import {
  checkAlpha,
  checkInitializer,
  checkPadding,
  checkRegularizer,
  defaultInitializer,
  windowAxis,
} from './options.js';
import type { Conv2dSpec, Initializer, Regularizer } from './spec.js';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  /** Step of the window, n or [down, across] (default 1). */
  strides?: number | [number, number];
  /** 'valid' (default): windows inside the map; 'same': ceil(size / stride) outputs, zero padding. */
  padding?: 'valid' | 'same';
  /** Default 'linear'. */
  activation?: Activation;
  /** Slope below zero for 'leakyRelu' (default 0.01). */
  alpha?: number;
  /** Default true. */
  useBias?: boolean;
  /** Default 'heNormal' for relu-family activations, 'glorotUniform' otherwise. */
  kernelInitializer?: Initializer;
  /** L1/L2 penalty on the kernel, added to the training loss. */
  kernelRegularizer?: Regularizer;
  /** Default true; false freezes the layer. */
  trainable?: boolean;
  /** [height, width, channels] of one sample, for the first layer. */
  inputShape?: [number, number, number];
  /** Unique name in the model (default `conv2d_<n>`). */
  name?: string;
}

/** A 2-D convolution with `filters` output channels and a kernelSize (n or [kh, kw]) window, over NHWC maps. */
export function conv2d(
  filters: number,
  kernelSize: number | [number, number],
  options: Conv2dOptions = {},
): Conv2dSpec {
  checkOptions(options, 'conv2d()', { name: 'string', activation: 'string', useBias: 'boolean', padding: 'string' });
  positiveInt(filters, 'conv2d filters');
  const activation = checkActivation(options.activation ?? 'linear', 'conv2d');
  const spec: Conv2dSpec = {
    type: 'conv2d',
    name: options.name ?? autoName('conv2d'),
    filters,
    kernelSize: pair(kernelSize, 'conv2d kernelSize'),
    strides: pair(options.strides ?? 1, 'conv2d strides'),
    padding: checkPadding(options.padding ?? 'valid', 'conv2d'),
    activation,
    alpha: checkAlpha(options.alpha ?? 0.01, 'conv2d'),
    useBias: options.useBias ?? true,
    kernelInitializer: checkInitializer(options.kernelInitializer ?? defaultInitializer(activation), 'conv2d'),
    trainable: options.trainable ?? true,
  };
  if (typeof spec.useBias !== 'boolean' || typeof spec.trainable !== 'boolean') {
    throw new SimdnetError('RANGE', 'conv2d useBias/trainable must be booleans');
  }
  const reg = checkRegularizer(options.kernelRegularizer);
  if (reg) spec.kernelRegularizer = reg;
  if (options.inputShape !== undefined) spec.inputShape = mapShape(options.inputShape, 'conv2d inputShape');
  return spec;
}

/** An NHWC sample shape [h, w, c]. */
export function mapShape(v: unknown, what: string): [number, number, number] {
  const s = checkShape(v, what);
  if (s.length !== 3) throw new SimdnetError('RANGE', `${what} must be [height, width, channels], got ${showShape(s)}`);
  return s as [number, number, number];
}

/** The window geometry of a conv or pooling layer on an input map. */
export interface Geometry {
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
  oh: number;
  ow: number;
}

/** Geometry of a window layer on `input`, refusing a map the window does not fit (naming layer and shapes). */
export function geometry(
  name: string,
  type: string,
  input: Shape,
  window: [number, number],
  strides: [number, number],
  padding: 'valid' | 'same',
): Geometry {
  if (input.length !== 3) {
    const hint = input.length === 1 ? ' (give the first layer an inputShape such as [28, 28, 1])' : '';
    shapeError(name, type, input, `${type} takes [height, width, channels] maps${hint}`);
  }
  const [h, w, c] = input;
  const y = windowAxis(h, window[0], strides[0], padding);
  const x = windowAxis(w, window[1], strides[1], padding);
  if (y.out < 1 || x.out < 1) {
    shapeError(
      name,
      type,
      input,
      `a ${window[0]}x${window[1]} window with '${padding}' padding gives an output of ${y.out}x${x.out}`,
    );
  }
  return {
    h,
    w,
    c,
    kh: window[0],
    kw: window[1],
    sh: strides[0],
    sw: strides[1],
    padT: y.pad,
    padL: x.pad,
    oh: y.out,
    ow: x.out,
  };
}

const geo = (s: Conv2dSpec, input: Shape): Geometry =>
  geometry(s.name, 'conv2d', input, s.kernelSize, s.strides, s.padding);

/** A 1x1, stride-1 convolution reads its input as the columns: plain GEMMs. */
const pointwise = (g: Geometry): boolean => g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1;

/**
 * The data gradient's path: the direct kernels from 4 input channels on, and at 1 channel with stride 1 and 2 or
 * more filters (dot products per input pixel: at a LeNet conv1 batch of 64, 5x5x8, 0.81 vs 1.52 ms for
 * GEMM + col2im; 1 filter: 0.75 vs 0.65 ms). Elsewhere below 4 channels the direct kernel's 8-tap tiles run mostly
 * empty and GEMM + col2im wins.
 */
const directDx = (g: Geometry, f: number): boolean => g.c >= 4 || (g.c === 1 && g.sh === 1 && g.sw === 1 && f >= 2);

/** Floats of conv2d_backward_x_nhwc's workspace (its conv2d_backward_x_workspace_size, in floats). */
export const directDxWorkspaceFloats = (g: Geometry, f: number): number => g.kh * f * Math.ceil((g.kw * g.c) / 8) * 8;

/** The kernels' geometry arguments after the batch size. */
const dims = (
  g: Geometry,
): [number, number, number, number, number, number, number, number, number, number, number] => [
  g.h,
  g.w,
  g.c,
  g.kh,
  g.kw,
  g.sh,
  g.sw,
  g.padT,
  g.padL,
  g.oh,
  g.ow,
];

export const conv2dKind: LayerKind<Conv2dSpec> = {
  type: 'conv2d',
  parse(o) {
    return conv2d(o.filters as number, o.kernelSize as [number, number], {
      strides: o.strides as [number, number],
      padding: o.padding as 'valid',
      activation: o.activation as Activation,
      alpha: o.alpha as number,
      useBias: o.useBias as boolean,
      kernelInitializer: o.kernelInitializer as Initializer,
      kernelRegularizer: o.kernelRegularizer as Regularizer | undefined,
      trainable: o.trainable as boolean,
      inputShape: o.inputShape as [number, number, number] | undefined,
      name: o.name as string,
    });
  },
  outputShape(s, input) {
    const g = geo(s, input);
    return [g.oh, g.ow, s.filters];
  },
  params(s, input) {
    const g = geo(s, input);
    const field = g.kh * g.kw;
    const kernel = {
      name: 'kernel',
      shape: [g.kh, g.kw, g.c, s.filters],
      init: s.kernelInitializer,
      fanIn: field * g.c,
      fanOut: field * s.filters,
      trainable: s.trainable,
      regularizer: s.kernelRegularizer,
    };
    if (!s.useBias) return [kernel];
    return [kernel, { name: 'bias', shape: [s.filters], init: 'zeros', fanIn: 0, fanOut: 0, trainable: s.trainable }];
  },
  // The direct data-gradient kernel's workspace (the kernel transposed), filled per backward pass.
  buffers(s, input) {
    const g = geo(s, input);
    if (pointwise(g) || !directDx(g, s.filters)) return [];
    return [{ fixed: directDxWorkspaceFloats(g, s.filters), trainingOnly: true }];
  },
  // The data gradient's columns where GEMM + col2im computes it (training only).
  scratch(s, input, _output, training) {
    const g = geo(s, input);
    return training && !pointwise(g) && !directDx(g, s.filters) ? g.oh * g.ow * g.kh * g.kw * g.c : 0;
  },
  activation: (s) => s.activation,
  forward(s, c, input, output) {
    const g = geo(s, input);
    const k = c.k;
    const b = s.useBias ? c.params[1] : 0;
    const M = c.m * g.oh * g.ow;
    if (pointwise(g)) k.gemm_forward(c.y, c.engine.gemmWs, c.x, c.params[0], b, M, g.c, s.filters);
    else k.conv2d_forward_nhwc(c.y, c.x, c.params[0], b, c.m, ...dims(g), s.filters);
    if (s.activation !== 'linear' && !c.skipActivation)
      activationForward(k, s.activation, c.y, c.y, M, output[2], s.alpha);
    return c.y;
  },
  backward(s, c, input) {
    const g = geo(s, input);
    const k = c.k;
    const M = c.m * g.oh * g.ow;
    const K = g.kh * g.kw * g.c;
    const F = s.filters;
    if (s.activation !== 'linear' && !c.skipActivation)
      activationBackward(k, s.activation, c.dy, c.dy, c.out, M, F, s.alpha);
    if (c.grads[0] !== 0) {
      if (pointwise(g)) k.gemm_backward_w(c.grads[0], c.engine.gemmWs, c.x, c.dy, M, K, F);
      else k.conv2d_backward_w_nhwc(c.grads[0], c.x, c.dy, c.m, ...dims(g), F);
      if (s.useBias) k.bias_backward(c.grads[1], c.dy, M, F);
    }
    if (c.dx === 0) return;
    if (pointwise(g)) {
      k.gemm_backward_x(c.dx, c.engine.gemmWs, c.dy, c.params[0], M, K, F);
    } else if (directDx(g, F)) {
      k.conv2d_backward_x_nhwc(c.dx, c.bufs[0], c.dy, c.params[0], c.m, ...dims(g), F);
    } else {
      k.gemm_backward_x(c.scratch, c.engine.gemmWs, c.dy, c.params[0], M, K, F);
      k.col2im_nhwc(c.dx, c.scratch, c.m, ...dims(g));
    }
  },
  describe: (s) =>
    `${s.kernelSize[0]}x${s.kernelSize[1]}` +
    (s.strides[0] > 1 || s.strides[1] > 1 ? `/${s.strides[0]}x${s.strides[1]}` : '') +
    ` ${s.padding} ${s.activation}`,
  trainable: (s) => s.trainable,
  setTrainable(s, on) {
    s.trainable = on;
  },
};
