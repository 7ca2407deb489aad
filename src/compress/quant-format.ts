import { SimdnetError } from '../errors.js';
import { checksumFor } from '../io/checksum.js';
import { chunkOffsets, openFile, QUANTIZED_FILE, writeFile } from '../io/container.js';
import { nodeFs } from '../runtime/node.js';
import { validateSpec } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';
import type { Backend, Engine } from '../runtime/engine.js';
import type { LossName } from '../train/losses.js';
import { QuantizedModel, type Precision, type QuantLayer, type QuantParts } from './quantize.js';

/**
 * The simdnet quantized model file, version 2 (version 1: the same with a CRC-32): the shared envelope of
 * src/io/container.ts with magic "SDNQ" and
 *   header: { format: "simdnet-quantized", version, name, inputDim, layers: [layer specs], mode, weightBits,
 *             loss?, trainedSteps, metadata, dense: [{ layer, precision, inScale? }],
 *             tensors: [{ name, dtype: "i8" | "f16" | "i32" | "f32", shape, offset, length }] }
 *   data:   each tensor at `offset` from the data start, `length` bytes, row-major
 *
 * Per dense layer, in layer order: `<layer>/kernel` (int8: i8, the quantized weights, not dequantized; f16: f16
 * bits; f32: f32), for int8 `<layer>/kernel_scale` (f32, one per output column), and `<layer>/bias` when the layer
 * has one (i32 in static int8 layers, else f32). Readers reject, besides what the envelope catches, a plan, shape
 * or dtype that does not fit the architecture, and non-finite or negative scales.
 */
export const QUANT_FORMAT_VERSION = QUANTIZED_FILE.version;

type DType = 'i8' | 'f16' | 'i32' | 'f32';

interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
}

interface DenseEntry {
  layer: number;
  precision: Precision;
  inScale?: number;
}

interface Header {
  name: string;
  inputDim: number;
  layers: LayerSpec[];
  mode: 'static' | 'dynamic';
  weightBits: number;
  loss?: LossName;
  trainedSteps: number;
  metadata: Record<string, unknown>;
  dense: DenseEntry[];
  tensors: TensorEntry[];
}

type Typed = Int8Array | Uint16Array | Int32Array | Float32Array;

const dtypeOf = (a: Typed): DType => (a instanceof Int8Array ? 'i8' : a instanceof Uint16Array ? 'f16' : a instanceof Int32Array ? 'i32' : 'f32');

/** Serializes a quantized model: int8 weights stay int8 on disk (with their scales), f16 stay half. */
export function saveQuantized(model: QuantizedModel): Uint8Array {
  if (!((model as unknown) instanceof QuantizedModel)) {
    throw new SimdnetError('DTYPE', 'saveQuantized() takes a QuantizedModel (use saveModel for an f32 Sequential)');
  }
  model.assertLive();
  const p = model.parts;
  const tensors: TensorEntry[] = [];
  const data: Typed[] = [];
  const add = (name: string, a: Typed, shape: number[]): void => {
    tensors.push({ name, dtype: dtypeOf(a), shape, offset: 0, length: a.byteLength });
    data.push(a);
  };
  for (const d of p.dense) {
    const name = p.layers[d.layer].name;
    add(`${name}/kernel`, d.kernel, [d.k, d.n]);
    if (d.wScale) add(`${name}/kernel_scale`, d.wScale, [d.n]);
    if (d.bias) add(`${name}/bias`, d.bias, [d.n]);
  }
  chunkOffsets(data).forEach((o, i) => (tensors[i].offset = o));
  const header: Header = {
    name: p.name,
    inputDim: p.inputDim,
    layers: p.layers,
    mode: p.mode,
    weightBits: p.weightBits,
    trainedSteps: p.trainedSteps,
    metadata: model.metadata,
    dense: p.dense.map((d) => (d.inScale !== undefined ? { layer: d.layer, precision: d.precision, inScale: d.inScale } : { layer: d.layer, precision: d.precision })),
    tensors,
  };
  if (p.loss) header.loss = p.loss;
  return writeFile(QUANTIZED_FILE, header, data);
}

/** Where a loaded quantized model computes (default: the shared wasm engine; `await init()` first). */
export interface QuantLoadOptions {
  backend?: Backend;
  engine?: Engine;
}

/** Reads bytes written by saveQuantized into a new QuantizedModel. */
export function loadQuantized(input: Uint8Array | ArrayBuffer, options: QuantLoadOptions = {}): QuantizedModel {
  const file = openFile(input, QUANTIZED_FILE, checksumFor(options));
  const { bad } = file;
  const h = file.header as unknown as Header;
  if (!Array.isArray(h.layers) || h.layers.length === 0) bad('no layers');
  if (!Number.isInteger(h.inputDim) || h.inputDim < 1) bad(`bad inputDim ${String(h.inputDim)}`);
  if (h.mode !== 'static' && h.mode !== 'dynamic') bad(`bad mode ${JSON.stringify(h.mode)}`);
  if (!Number.isInteger(h.weightBits) || h.weightBits < 2 || h.weightBits > 8) bad(`bad weightBits ${String(h.weightBits)}`);
  if (!Array.isArray(h.dense) || !Array.isArray(h.tensors)) bad('no dense or tensor table');
  const layers = h.layers.map((l, i) => validateSpec(l, i));
  const other = layers.find((l) => l.type !== 'dense' && l.type !== 'dropout' && l.type !== 'activation');
  if (other) bad(`layer '${other.name}' (${other.type}) cannot be in a quantized file of this version`);
  const dims = [h.inputDim];
  for (const l of layers) dims.push(l.type === 'dense' ? l.units : dims[dims.length - 1]);
  const denseIdx = layers.flatMap((l, i) => (l.type === 'dense' ? [i] : []));
  if (denseIdx.length === 0) bad('no dense layer');
  if (h.dense.length !== denseIdx.length) bad(`${h.dense.length} dense entries for an architecture that has ${denseIdx.length}`);
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
    const Ctor = dtype === 'i8' ? Int8Array : dtype === 'f16' ? Uint16Array : dtype === 'i32' ? Int32Array : Float32Array;
    if (e.length !== count * Ctor.BYTES_PER_ELEMENT) bad(`tensor ${name} has ${String(e.length)} bytes, its shape needs ${count * Ctor.BYTES_PER_ELEMENT}`);
    return file.read<Typed>(e.offset, count, Ctor, `tensor ${name}`);
  };
  const dense: QuantLayer[] = denseIdx.map((i, j) => {
    const d = h.dense[j];
    const spec = layers[i] as LayerSpec & { type: 'dense' };
    if (!d || d.layer !== i) bad(`dense entry ${j} is for layer ${String(d?.layer)}, expected ${i}`);
    if (d.precision !== 'int8' && d.precision !== 'f16' && d.precision !== 'f32') bad(`layer ${spec.name} has precision ${JSON.stringify(d.precision)}`);
    const k = dims[i];
    const n = spec.units;
    const kernel = take(`${spec.name}/kernel`, d.precision === 'int8' ? 'i8' : d.precision, [k, n]);
    const L: QuantLayer = { layer: i, precision: d.precision, k, n, kernel: kernel as QuantLayer['kernel'] };
    if (d.precision === 'int8') {
      const ws = take(`${spec.name}/kernel_scale`, 'f32', [n]) as Float32Array;
      if (!ws.every((s) => Number.isFinite(s) && s > 0)) bad(`layer ${spec.name} has a scale that is not a finite positive number`);
      L.wScale = ws;
      if (h.mode === 'static') {
        if (typeof d.inScale !== 'number' || !Number.isFinite(d.inScale) || !(d.inScale > 0)) bad(`layer ${spec.name} has no valid input scale`);
        L.inScale = Math.fround(d.inScale!);
      }
    }
    if (spec.useBias) {
      const bias = take(`${spec.name}/bias`, d.precision === 'int8' && h.mode === 'static' ? 'i32' : 'f32', [n]);
      if (bias instanceof Float32Array && !bias.every(Number.isFinite)) bad(`layer ${spec.name} has a NaN/Inf bias`);
      L.bias = bias as Int32Array | Float32Array;
    }
    if (kernel instanceof Float32Array && !kernel.every(Number.isFinite)) bad(`layer ${spec.name} has NaN/Inf weights`);
    return L;
  });
  if (t !== h.tensors.length) bad(`${h.tensors.length - t} unexpected extra tensor(s)`);
  const parts: QuantParts = {
    name: typeof h.name === 'string' ? h.name : 'sequential',
    inputDim: h.inputDim,
    layers,
    mode: h.mode,
    weightBits: h.weightBits,
    dense,
    trainedSteps: Number.isSafeInteger(h.trainedSteps) && h.trainedSteps > 0 ? h.trainedSteps : 0,
    metadata: h.metadata && typeof h.metadata === 'object' ? h.metadata : {},
  };
  if (typeof h.loss === 'string') parts.loss = h.loss;
  return new QuantizedModel(parts, options.engine, options.backend ?? 'wasm');
}

/** Writes a quantized model to a file (Node, Deno). */
export async function saveQuantizedFile(model: QuantizedModel, path: string): Promise<void> {
  await (await nodeFs()).promises.writeFile(path, saveQuantized(model));
}

/** Reads a file written by saveQuantizedFile. */
export async function loadQuantizedFile(path: string, options: QuantLoadOptions = {}): Promise<QuantizedModel> {
  return loadQuantized(new Uint8Array(await (await nodeFs()).promises.readFile(path)), options);
}
