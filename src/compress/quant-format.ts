import { SimdnetError } from '../errors.js';
import { checkEngineOptions, checkPath } from '../args.js';
import { checksumFor } from '../io/checksum.js';
import { chunkOffsets, openFile, QUANTIZED_FILE, writeFile, type FileKind } from '../io/container.js';
import { nodeFs } from '../runtime/node.js';
import { inferShapes, paramDefs, sizeOf, validateSpec, type Shape } from '../layers/index.js';
import { checkShape } from '../layers/layer.js';
import type { LayerSpec } from '../layers/spec.js';
import type { Backend, Engine } from '../runtime/engine.js';
import type { LossName } from '../train/losses.js';
import { checkMagnitudes, halfToFloat, type LinearWeights } from '../io/bounds.js';
import { int8Compute, QuantizedModel, type Precision, type QuantLayer, type QuantParts } from './quantize.js';
import { hasKernel } from './support.js';

/**
 * The simdnet quantized model file: the shared envelope of src/io/container.ts with magic "SDNQ". A writer uses
 * the lowest version that holds the model, so a file of a dense model reads in every simdnet since version 1.
 *
 * Version 2 (version 1: the same with a CRC-32), models of dense, dropout and activation layers:
 *   header: { format: "simdnet-quantized", version, name, inputDim, layers: [layer specs], mode, weightBits,
 *             loss?, trainedSteps, metadata, dense: [{ layer, precision, inScale? }],
 *             tensors: [{ name, dtype: "i8" | "f16" | "i32" | "f32", shape, offset, length }] }
 *   data:   each tensor at `offset` from the data start, `length` bytes, row-major
 * Per dense layer, in layer order: `<layer>/kernel` (int8: i8, the quantized weights, not dequantized; f16: f16
 * bits; f32: f32), for int8 `<layer>/kernel_scale` (f32, one per output column), and `<layer>/bias` when the layer
 * has one (i32 in static int8 layers, else f32).
 *
 * Version 3, any model (conv2d, pooling, flatten, reshape, batch norm too): version 2's header with
 *   inputShape (the sample shape, e.g. [28, 28, 1]), and instead of `dense`:
 *   kernels: [{ layer, precision, inScale?, bn? }]  one per dense/conv2d layer; `bn`: the index of the batch norm
 *            right after it whose scale and shift are folded into its kernel and bias (that layer stores nothing)
 *   others:  [{ layer }]  the other layers with weights (batch norms not folded), stored f32
 * Tensors in layer order: a kernel layer's `<layer>/kernel` in its own shape ([inputs, units] or the HWIO [kh, kw,
 * c, filters], int8 per filter), `kernel_scale` (int8) and `bias` (when the layer has one or a batch norm is
 * folded in); another layer's parameters as `<layer>/<param>` (gamma, beta, movingMean, movingVariance) in f32.
 *
 * Readers reject, besides what the envelope catches, a plan, shape or dtype that does not fit the architecture,
 * a fold that is not a batch norm right after a linear dense/conv2d layer, non-finite or negative scales, f16
 * weights that are Inf/NaN, an input scale that is not a normal f32, and weights, scales and biases so large that a
 * forward pass on inputs with |x| <= 1e3 could overflow f32 (io/bounds.ts), each as its layer computes with them.
 */
export const QUANT_FORMAT_VERSION = 3;

/** The kind this version reads and writes (the container's entry names the oldest writer's version). */
const FILE: FileKind = { ...QUANTIZED_FILE, version: QUANT_FORMAT_VERSION };
const FILE_V2: FileKind = { ...QUANTIZED_FILE, version: 2 };

type DType = 'i8' | 'f16' | 'i32' | 'f32';

interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
}

interface KernelEntry {
  layer: number;
  precision: Precision;
  inScale?: number;
  bn?: number;
}

interface Header {
  name: string;
  inputDim: number;
  inputShape?: number[];
  layers: LayerSpec[];
  mode: 'static' | 'dynamic';
  weightBits: number;
  loss?: LossName;
  trainedSteps: number;
  metadata: Record<string, unknown>;
  /** Version 2. */
  dense?: KernelEntry[];
  /** Version 3. */
  kernels?: KernelEntry[];
  others?: Array<{ layer: number }>;
  tensors: TensorEntry[];
}

type Typed = Int8Array | Uint16Array | Int32Array | Float32Array;

const dtypeOf = (a: Typed): DType =>
  a instanceof Int8Array ? 'i8' : a instanceof Uint16Array ? 'f16' : a instanceof Int32Array ? 'i32' : 'f32';

/** Layer types a version 2 file can hold. */
const V2_TYPES = new Set<LayerSpec['type']>(['dense', 'dropout', 'activation']);

/** Serializes a quantized model: int8 weights stay int8 on disk (with their scales), f16 stay half. */
export function saveQuantized(model: QuantizedModel): Uint8Array {
  if (!((model as unknown) instanceof QuantizedModel)) {
    throw new SimdnetError('DTYPE', 'saveQuantized() takes a QuantizedModel (use saveModel for an f32 Sequential)');
  }
  model.assertLive();
  const p = model.parts;
  const v2 = p.layers.every((l) => V2_TYPES.has(l.type));
  const tensors: TensorEntry[] = [];
  const data: Typed[] = [];
  const add = (name: string, a: Typed, shape: number[]): void => {
    tensors.push({ name, dtype: dtypeOf(a), shape, offset: 0, length: a.byteLength });
    data.push(a);
  };
  const byLayer = new Map(p.kernels.map((d) => [d.layer, d]));
  const others = new Map(p.others.map((o) => [o.layer, o.tensors]));
  const defs = paramDefs(p.layers, inferShapes(p.layers, p.inputShape));
  p.layers.forEach((l, i) => {
    const d = byLayer.get(i);
    if (d) {
      add(`${l.name}/kernel`, d.kernel, v2 ? [d.k, d.n] : d.shape);
      if (d.wScale) add(`${l.name}/kernel_scale`, d.wScale, [d.n]);
      if (d.bias) add(`${l.name}/bias`, d.bias, [d.n]);
    }
    others.get(i)?.forEach((t, j) => add(`${l.name}/${defs[i][j].name}`, t, defs[i][j].shape));
  });
  chunkOffsets(data).forEach((o, i) => (tensors[i].offset = o));
  const entry = (d: QuantLayer): KernelEntry => {
    const e: KernelEntry = { layer: d.layer, precision: d.precision };
    if (d.inScale !== undefined) e.inScale = d.inScale;
    if (d.bn !== undefined) e.bn = d.bn;
    return e;
  };
  const header: Header = {
    name: p.name,
    inputDim: p.inputDim,
    ...(v2 ? {} : { inputShape: p.inputShape }),
    layers: p.layers,
    mode: p.mode,
    weightBits: p.weightBits,
    trainedSteps: p.trainedSteps,
    metadata: model.metadata,
    ...(v2
      ? { dense: p.kernels.map(entry) }
      : { kernels: p.kernels.map(entry), others: p.others.map((o) => ({ layer: o.layer })) }),
    tensors,
  };
  if (p.loss) header.loss = p.loss;
  return writeFile(v2 ? FILE_V2 : FILE, header, data);
}

/** Where a loaded quantized model computes (default: the shared wasm engine; `await init()` first). */
export interface QuantLoadOptions {
  /** 'wasm' (default) or 'js': which kernels run the model (ignored when `engine` is given). */
  backend?: Backend;
  /** The engine whose memory holds the model (default: the one init() made). */
  engine?: Engine;
}

/** Reads bytes written by saveQuantized (any version) into a new QuantizedModel. */
export function loadQuantized(input: Uint8Array | ArrayBuffer, options: QuantLoadOptions = {}): QuantizedModel {
  checkEngineOptions(options, 'loadQuantized()');
  const file = openFile(input, FILE, checksumFor(options));
  const { bad } = file;
  const h = file.header as unknown as Header;
  const v3 = file.version >= 3;
  if (!Array.isArray(h.layers) || h.layers.length === 0) bad('no layers');
  if (!Number.isInteger(h.inputDim) || h.inputDim < 1) bad(`bad inputDim ${String(h.inputDim)}`);
  if (h.mode !== 'static' && h.mode !== 'dynamic') bad(`bad mode ${JSON.stringify(h.mode)}`);
  if (!Number.isInteger(h.weightBits) || h.weightBits < 2 || h.weightBits > 8)
    bad(`bad weightBits ${String(h.weightBits)}`);
  const entries = v3 ? h.kernels : h.dense;
  const otherEntries = v3 ? h.others : [];
  if (!Array.isArray(entries) || !Array.isArray(h.tensors) || !Array.isArray(otherEntries))
    bad(`no ${v3 ? 'kernel' : 'dense'} or tensor table`);
  const layers = h.layers.map((l, i) => validateSpec(l, i));
  if (!v3) {
    const other = layers.find((l) => !V2_TYPES.has(l.type));
    if (other) bad(`layer '${other.name}' (${other.type}) cannot be in a quantized file of version ${file.version}`);
  }
  let inputShape: Shape = [h.inputDim];
  if (v3 && h.inputShape !== undefined) {
    try {
      inputShape = checkShape(h.inputShape, 'inputShape');
    } catch (err) {
      bad((err as Error).message);
    }
    if (sizeOf(inputShape) !== h.inputDim)
      bad(`inputShape [${inputShape.join(', ')}] does not fit inputDim ${h.inputDim}`);
  }
  let defs: ReturnType<typeof paramDefs> = [];
  let shapes: Shape[] = [];
  try {
    shapes = inferShapes(layers, inputShape);
    defs = paramDefs(layers, shapes);
  } catch (err) {
    bad((err as Error).message); // a layer that does not fit its input
  }
  const kernelIdx = layers.flatMap((l, i) => (hasKernel(l) ? [i] : []));
  if (!v3 && kernelIdx.length === 0) bad('no dense layer');
  if (entries!.length !== kernelIdx.length)
    bad(`${entries!.length} ${v3 ? 'kernel' : 'dense'} entries for an architecture that has ${kernelIdx.length}`);
  let t = 0;
  const take = (name: string, dtype: DType, shape: number[]): Typed => {
    const e = h.tensors[t++];
    if (!e || typeof e !== 'object') return bad(`missing tensor ${name}`);
    if (e.name !== name) bad(`tensor ${t - 1} is '${String(e.name)}', expected '${name}'`);
    if (e.dtype !== dtype) bad(`tensor ${name} has dtype '${String(e.dtype)}', expected '${dtype}'`);
    if (!Array.isArray(e.shape) || e.shape.length !== shape.length || e.shape.some((d, j) => d !== shape[j])) {
      bad(`tensor ${name} has shape [${String(e.shape)}], the architecture needs [${shape.join(',')}]`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const Ctor =
      dtype === 'i8' ? Int8Array : dtype === 'f16' ? Uint16Array : dtype === 'i32' ? Int32Array : Float32Array;
    if (e.length !== count * Ctor.BYTES_PER_ELEMENT)
      bad(`tensor ${name} has ${String(e.length)} bytes, its shape needs ${count * Ctor.BYTES_PER_ELEMENT}`);
    const a = file.read<Typed>(e.offset, count, Ctor, `tensor ${name}`);
    // f16 → f32 is what the computation uses: an all-ones exponent is Inf or NaN there.
    if (a instanceof Uint16Array)
      for (let j = 0; j < a.length; j++)
        if ((a[j] & 0x7c00) === 0x7c00) bad(`tensor ${name} holds NaN/Inf values (f16 ${a[j].toString(16)} at ${j})`);
    return a;
  };
  const byLayer = new Map<number, KernelEntry>();
  kernelIdx.forEach((i, j) => {
    const d = entries![j];
    if (!d || d.layer !== i)
      bad(`${v3 ? 'kernel' : 'dense'} entry ${j} is for layer ${String(d?.layer)}, expected ${i}`);
    byLayer.set(i, d);
  });
  const folded = new Set<number>();
  for (const [i, d] of byLayer) {
    if (d.bn === undefined) continue;
    const l = layers[i] as LayerSpec & { activation: string };
    if (d.bn !== i + 1 || layers[i + 1]?.type !== 'batchNormalization' || l.activation !== 'linear') {
      bad(
        `layer ${l.name} folds layer ${String(d.bn)}, which is not a batch norm right after it (with the layer linear)`,
      );
    }
    folded.add(d.bn);
  }
  const otherSet = new Set<number>();
  for (const o of otherEntries!) {
    if (!o || !Number.isInteger(o.layer) || o.layer < 0 || o.layer >= layers.length)
      bad(`bad entry in others: ${JSON.stringify(o)}`);
    otherSet.add(o.layer);
  }
  const kernels: QuantLayer[] = [];
  const others: QuantParts['others'] = [];
  layers.forEach((spec, i) => {
    const d = byLayer.get(i);
    const needs = defs[i].length > 0 && !d && !folded.has(i);
    if (needs !== otherSet.has(i))
      bad(`layer ${spec.name} ${needs ? 'has weights but no entry' : 'is listed in others but stores nothing'}`);
    if (needs) {
      const ts = defs[i].map((p) => take(`${spec.name}/${p.name}`, 'f32', p.shape) as Float32Array);
      if (!ts.every((a) => a.every(Number.isFinite))) bad(`layer ${spec.name} has NaN/Inf weights`);
      others.push({ layer: i, tensors: ts });
      return;
    }
    if (!d || !hasKernel(spec)) return;
    if (d.precision !== 'int8' && d.precision !== 'f16' && d.precision !== 'f32')
      bad(`layer ${spec.name} has precision ${JSON.stringify(d.precision)}`);
    const shape = defs[i][0].shape;
    const n = shape[shape.length - 1];
    const k = sizeOf(shape) / n;
    const kernel = take(`${spec.name}/kernel`, d.precision === 'int8' ? 'i8' : d.precision, v3 ? shape : [k, n]);
    const L: QuantLayer = {
      layer: i,
      precision: d.precision,
      k,
      n,
      shape: [...shape],
      kernel: kernel as QuantLayer['kernel'],
    };
    if (d.bn !== undefined) L.bn = d.bn;
    if (d.precision === 'int8') {
      const ws = take(`${spec.name}/kernel_scale`, 'f32', [n]) as Float32Array;
      if (!ws.every((s) => Number.isFinite(s) && s > 0))
        bad(`layer ${spec.name} has a scale that is not a finite positive number`);
      L.wScale = ws;
      if (h.mode === 'static') {
        // The kernels get the scale and its inverse as f32: both must be finite and positive there.
        const s = typeof d.inScale === 'number' ? Math.fround(d.inScale) : NaN;
        if (!(s > 0 && Number.isFinite(s) && Number.isFinite(Math.fround(1 / s)))) {
          bad(
            `layer ${spec.name} has no valid input scale (${String(d.inScale)}: it must be a positive number in f32, from 1.2e-38 to 3.4e38)`,
          );
        }
        L.inScale = s;
      }
    }
    if (spec.useBias || d.bn !== undefined) {
      const bias = take(`${spec.name}/bias`, d.precision === 'int8' && h.mode === 'static' ? 'i32' : 'f32', [n]);
      if (bias instanceof Float32Array && !bias.every(Number.isFinite)) bad(`layer ${spec.name} has a NaN/Inf bias`);
      L.bias = bias as Int32Array | Float32Array;
    }
    if (kernel instanceof Float32Array && !kernel.every(Number.isFinite)) bad(`layer ${spec.name} has NaN/Inf weights`);
    kernels.push(L);
  });
  if (t !== h.tensors.length) bad(`${h.tensors.length - t} unexpected extra tensor(s)`);
  const byKernel = new Map(kernels.map((q) => [q.layer, q]));
  const byOther = new Map(others.map((o) => [o.layer, o.tensors]));
  checkMagnitudes(
    layers,
    inputShape,
    (i) => {
      const name = layers[i].name;
      const q = byKernel.get(i);
      if (q) return linearOf(q, layers[i], shapes[i], h.mode, bad);
      if (folded.has(i)) return { kind: 'folded' };
      const ts = byOther.get(i);
      return ts
        ? { kind: 'float', tensors: ts, names: defs[i].map((p) => `tensor ${name}/${p.name}`) }
        : { kind: 'none' };
    },
    bad,
  );
  const parts: QuantParts = {
    name: typeof h.name === 'string' ? h.name : 'sequential',
    inputDim: h.inputDim,
    inputShape,
    layers,
    mode: h.mode,
    weightBits: h.weightBits,
    kernels,
    others,
    trainedSteps: Number.isSafeInteger(h.trainedSteps) && h.trainedSteps > 0 ? h.trainedSteps : 0,
    metadata: h.metadata && typeof h.metadata === 'object' ? h.metadata : {},
  };
  if (typeof h.loss === 'string') parts.loss = h.loss;
  return new QuantizedModel(parts, options.engine, options.backend ?? 'wasm');
}

/**
 * A dense/conv2d layer's weights as its op computes with them (see quantizedOps in quantize.ts): f16 converted to
 * f32; int8 as q · scale, with the input quantized first when the layer computes in int8, else dequantized once
 * to f32 weights (which must be finite there).
 */
function linearOf(
  q: QuantLayer,
  spec: LayerSpec,
  input: Shape,
  mode: 'static' | 'dynamic',
  bad: (why: string) => never,
): LinearWeights {
  const names = { kernelName: `tensor ${spec.name}/kernel`, biasName: `tensor ${spec.name}/bias` };
  if (q.precision === 'f32') return { kind: 'linear', kernel: q.kernel, bias: q.bias, ...names };
  if (q.precision === 'f16')
    return { kind: 'linear', kernel: Float32Array.from(q.kernel, halfToFloat), bias: q.bias, ...names };
  const ws = q.wScale!;
  const sIn = q.inScale ?? 1;
  // A static bias is int32 in units of s_in · s_w[j], which the kernels get as an f32 per column.
  const unit = Float32Array.from(ws, (s) => sIn * s);
  const statics = mode === 'static';
  if (statics)
    for (let j = 0; j < q.n; j++)
      if (!Number.isFinite(unit[j]))
        bad(`tensor ${spec.name}/kernel_scale is too large: ${ws[j]} times the input scale ${sIn} overflows f32`);
  const lin: LinearWeights = {
    kind: 'linear',
    kernel: q.kernel,
    colScale: ws,
    bias: q.bias,
    biasScale: statics && q.bias ? unit : undefined,
    kernelName: `tensor ${spec.name}/kernel_scale`,
    biasName: names.biasName,
  };
  if (int8Compute(spec, input)) return { ...lin, quantizedInput: statics ? sIn : 'dynamic' };
  // Dequantized once to f32: every weight q · s_w[j] must be finite in f32.
  const top = new Float32Array(q.n);
  const k = q.kernel as Int8Array;
  for (let r = 0; r < k.length; r += q.n) for (let j = 0; j < q.n; j++) top[j] = Math.max(top[j], Math.abs(k[r + j]));
  for (let j = 0; j < q.n; j++)
    if (!Number.isFinite(Math.fround(top[j] * ws[j])))
      bad(`tensor ${spec.name}/kernel_scale is too large: ${top[j]} steps of ${ws[j]} overflow f32`);
  return lin;
}

/** Writes a quantized model to a file (Node, Deno). */
export async function saveQuantizedFile(model: QuantizedModel, path: string): Promise<void> {
  checkPath(path, 'saveQuantizedFile()');
  await (await nodeFs()).promises.writeFile(path, saveQuantized(model));
}

/** Reads a file written by saveQuantizedFile. */
export async function loadQuantizedFile(path: string, options: QuantLoadOptions = {}): Promise<QuantizedModel> {
  checkPath(path, 'loadQuantizedFile()');
  checkEngineOptions(options, 'loadQuantizedFile()');
  return loadQuantized(new Uint8Array(await (await nodeFs()).promises.readFile(path)), options);
}
