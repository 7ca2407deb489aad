// The contract every layer type fulfils, in one place per type (src/layers/<type>.ts): options and their
// validation, output shape, parameter tensors, forward and backward as kernel calls, JSON form and summary line.
// Net (src/model/net.ts), Sequential, the file formats, the CLI and the compression tools ask these records;
// none of them switch on a layer's type.
import { SimdnetError } from '../errors.js';
import type { Kernels } from '../runtime/abi.js';
import type { Engine } from '../runtime/engine.js';
import type { Initializer, Regularizer } from './spec.js';

/** The shape of one sample (no batch dimension): [784] for a vector, [28, 28, 1] for an NHWC image. */
export type Shape = number[];

/** One parameter tensor a layer declares. */
export interface ParamDef {
  /** 'kernel', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance': the slot is named `<layer>/<name>`. */
  name: string;
  shape: number[];
  /** How build() fills it ('ones'/'zeros' for constants). */
  init: Initializer | 'ones';
  /** Fans for the variance-scaling initializers (Keras's: receptive field × channels). */
  fanIn: number;
  fanOut: number;
  /** False for frozen layers and for statistics (batch norm's moving mean/variance), which no optimizer updates. */
  trainable: boolean;
  regularizer?: Regularizer;
}

/** What a layer's forward pass gets from the net. All pointers are byte offsets into the engine's memory. */
export interface ForwardCall {
  k: Kernels;
  engine: Engine;
  /** Rows (samples) in this batch. */
  m: number;
  /** Input (m × inSize) and output (m × outSize) buffers; the output buffer is 0 for layers that are views. */
  x: number;
  y: number;
  /** Parameter pointers, in the order of the layer's ParamDefs. */
  params: number[];
  /** The layer's own buffers, in the order of its `buffers()` (allocated for the net's batch capacity). */
  bufs: number[];
  /** Scratch shared by every layer (at least the largest `scratch()` any layer asked for). */
  scratch: number;
  training: boolean;
  /** Per-step seed (dropout masks). */
  seed: number;
  /** True when the loss applies this (last) layer's activation itself (softmax + CE, sigmoid + BCE). */
  skipActivation: boolean;
}

/** What a layer's backward pass gets: ForwardCall's fields plus the gradients. */
export interface BackwardCall extends ForwardCall {
  /** d(loss)/d(output), m × outSize; a layer may overwrite it (in-place activation backward). */
  dy: number;
  /** Where d(loss)/d(input) goes (m × inSize, overwritten), or 0 when nothing below needs it. */
  dx: number;
  /** Gradient pointers for the params (0 for frozen ones, or when only input gradients are wanted). */
  grads: number[];
  /** Output of this layer's forward pass (after its activation). */
  out: number;
}

/** A buffer a layer keeps per net: floats per sample (times the batch capacity), or fixed floats. */
export interface BufferDef {
  perRow?: number;
  fixed?: number;
  /** Only needed when training (masks, kept columns, argmax indices, batch statistics). */
  trainingOnly?: boolean;
}

/** The record of one layer type. `S` is its spec: the plain, serializable description save() writes. */
export interface LayerKind<S extends { type: string; name: string }> {
  readonly type: S['type'];
  /** Validates an outside spec object (JSON, a file): a normalized copy, or a RANGE error naming the problem. */
  parse(o: Record<string, unknown>): S;
  /** The sample shape this spec declares as its input (default: its `inputShape` field), if any. */
  declaredInput?(s: S): Shape | undefined;
  /** Forgets a declared input shape, for a layer that is not first (default: deletes `inputShape`). */
  dropDeclaredInput?(s: S): void;
  /** The output shape for an input shape; SHAPE error naming the layer and both shapes when it does not fit. */
  outputShape(s: S, input: Shape): Shape;
  /** Parameter tensors for an input shape (getWeights() order). */
  params?(s: S, input: Shape): ParamDef[];
  /** Buffers of its own for an input shape. */
  buffers?(s: S, input: Shape, output: Shape): BufferDef[];
  /** Floats of shared scratch per sample it needs (training or not). */
  scratch?(s: S, input: Shape, output: Shape, training: boolean): number;
  /**
   * True when the output is the input itself (flatten, reshape, an identity): the net gives it no output buffer
   * and lets the gradient pass straight through.
   */
  isView?(s: S, skipActivation: boolean): boolean;
  /** The activation applied last, if the type has one (the loss may take it over on the last layer). */
  activation?(s: S): string | undefined;
  /** Writes the output; returns its pointer (y, or x when the layer passes its input on unchanged). */
  forward(s: S, c: ForwardCall, input: Shape, output: Shape): number;
  /** Writes dx (when asked) and accumulates the parameter gradients. */
  backward(s: S, c: BackwardCall, input: Shape, output: Shape): void;
  /** Summary column: activation or options. */
  describe(s: S): string;
  /** Frozen or not (layers without parameters: undefined). */
  trainable?(s: S): boolean | undefined;
  setTrainable?(s: S, on: boolean): void;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[28, 28, 1]` as text. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function shapeError(layer: string, type: string, input: Shape, why: string): never {
  throw new SimdnetError('SHAPE', `layer '${layer}' (${type}) cannot take input ${showShape(input)}: ${why}`);
}

export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new SimdnetError('RANGE', `${what} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

export function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new SimdnetError('RANGE', `${what} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

/** A sample shape given by a user or a file: a non-empty list of positive integers. */
export function checkShape(v: unknown, what: string): Shape {
  if (!Array.isArray(v) || v.length === 0 || v.length > 8) {
    throw new SimdnetError('RANGE', `${what} must be a list of 1 to 8 positive integers, got ${JSON.stringify(v)}`);
  }
  v.forEach((d, i) => positiveInt(d, `${what}[${i}]`));
  if (sizeOf(v) > 2 ** 28)
    throw new SimdnetError('RANGE', `${what} ${showShape(v)} has more than 2^28 values per sample`);
  return [...(v as number[])];
}

/** A size given as n or [a, b] (kernel, pool, strides): [a, b]. */
export function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [positiveInt(v, what), v];
  if (Array.isArray(v) && v.length === 2) return [positiveInt(v[0], `${what}[0]`), positiveInt(v[1], `${what}[1]`)];
  throw new SimdnetError('RANGE', `${what} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
}

let counter = 0;
/** `<kind>_<n>`, counted over the process (as Keras). */
export const autoName = (kind: string): string => `${kind}_${++counter}`;
