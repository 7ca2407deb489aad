// The layer types, each a record of its own (./<type>.ts). Everything outside this folder asks the records
// through kindOf(); adding a layer type is one module here, one line in KINDS, its kernels, twins and tests.
import { SimdnetError } from '../errors.js';
import { activationKind } from './activation.js';
import { batchNormalizationKind } from './batchnorm.js';
import { conv2dKind } from './conv2d.js';
import { denseKind } from './dense.js';
import { dropoutKind } from './dropout.js';
import { sizeOf, type LayerKind, type ParamDef, type Shape } from './layer.js';
import { permuteKind } from './permute.js';
import { averagePooling2dKind, globalAveragePooling2dKind, maxPooling2dKind } from './pooling.js';
import { flattenKind, reshapeKind } from './reshape.js';
import type { LayerSpec } from './spec.js';
import { zeroPadding2dKind } from './zero-padding.js';

export type { Activation } from './activations.js';
export type * from './spec.js';
export { sizeOf, showShape, type Shape, type ParamDef, type LayerKind } from './layer.js';
export { dense, type DenseOptions } from './dense.js';
export { dropout } from './dropout.js';
export { activation } from './activation.js';
export { conv2d, type Conv2dOptions } from './conv2d.js';
export { maxPooling2d, averagePooling2d, globalAveragePooling2d, type Pooling2dOptions } from './pooling.js';
export { flatten, reshape } from './reshape.js';
export { permute } from './permute.js';
export { zeroPadding2d, type ZeroPadding } from './zero-padding.js';
export { batchNormalization, type BatchNormalizationOptions } from './batchnorm.js';

const KINDS: Record<LayerSpec['type'], LayerKind<never>> = {
  dense: denseKind,
  dropout: dropoutKind,
  activation: activationKind,
  conv2d: conv2dKind,
  maxPooling2d: maxPooling2dKind,
  averagePooling2d: averagePooling2dKind,
  globalAveragePooling2d: globalAveragePooling2dKind,
  flatten: flattenKind,
  reshape: reshapeKind,
  permute: permuteKind,
  zeroPadding2d: zeroPadding2dKind,
  batchNormalization: batchNormalizationKind,
} as never;

/** The record of a spec's layer type. */
export function kindOf<S extends LayerSpec>(s: S): LayerKind<S> {
  return KINDS[s.type] as unknown as LayerKind<S>;
}

/** Validates a spec that came from outside (a file, JSON): throws FORMAT naming the problem. */
export function validateSpec(s: unknown, i: number): LayerSpec {
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `layer ${i}: ${why}`);
  };
  if (typeof s !== 'object' || s === null) return bad('not an object');
  const o = s as Record<string, unknown>;
  if (typeof o.name !== 'string') bad('missing name');
  const kind = Object.hasOwn(KINDS, o.type as string) ? KINDS[o.type as LayerSpec['type']] : undefined;
  if (!kind) return bad(`unknown layer type '${String(o.type)}' (one of ${Object.keys(KINDS).join(', ')})`);
  try {
    return (kind as unknown as LayerKind<LayerSpec>).parse(o);
  } catch (err) {
    if (err instanceof SimdnetError && err.code !== 'FORMAT') bad(err.message);
    throw err;
  }
}

/** The input shape the first layer declares, if any. */
export function declaredInputShape(specs: readonly LayerSpec[]): Shape | undefined {
  const s = specs[0];
  if (!s) return undefined;
  const kind = kindOf(s);
  return kind.declaredInput ? kind.declaredInput(s) : (s as { inputShape?: Shape }).inputShape;
}

/** Forgets the input shape a layer declares (it is not the first). */
export function dropDeclaredInput(s: LayerSpec): void {
  const kind = kindOf(s);
  if (kind.dropDeclaredInput) kind.dropDeclaredInput(s);
  else delete (s as { inputShape?: Shape }).inputShape;
}

/** Per layer: its input shape and output shape; shapes[0] is the model's input, shapes[L] its output. */
export function inferShapes(specs: readonly LayerSpec[], input: Shape): Shape[] {
  const shapes = [input];
  for (const s of specs) shapes.push(kindOf(s).outputShape(s, shapes[shapes.length - 1]));
  return shapes;
}

/** Parameter tensors of each layer for the given shapes. */
export function paramDefs(specs: readonly LayerSpec[], shapes: readonly Shape[]): ParamDef[][] {
  return specs.map((s, i) => kindOf(s).params?.(s, shapes[i]) ?? []);
}

/** Total parameters (floats) of an architecture on an input shape. */
export function countParams(specs: readonly LayerSpec[], input: Shape): number {
  return paramDefs(specs, inferShapes(specs, input))
    .flat()
    .reduce((n, p) => n + sizeOf(p.shape), 0);
}

/** The activation a spec applies last (undefined for types without one). */
export function activationOf(s: LayerSpec): string | undefined {
  return kindOf(s).activation?.(s);
}

/** Whether a layer has weights that training can change (undefined for layers without weights). */
export function isTrainable(s: LayerSpec): boolean | undefined {
  return kindOf(s).trainable?.(s);
}
