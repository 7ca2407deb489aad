import { SimdnetError } from '../errors.js';
import { crc32 } from '../io/crc32.js';
import { validateSpec } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';
import type { Backend, Engine } from '../runtime/engine.js';
import type { LossName } from '../train/losses.js';
import { QuantizedModel, type Precision, type QuantLayer, type QuantParts } from './quantize.js';

/**
 * The simdnet quantized model file, version 1 (all integers little-endian):
 *
 *   0   4  magic "SDNQ"
 *   4   2  format version (1)
 *   6   2  flags (0)
 *   8   4  H = header length in bytes
 *   12  H  header: UTF-8 JSON { format: "simdnet-quantized", version, name, inputDim, layers: [layer specs], mode,
 *          weightBits, loss?, trainedSteps, metadata, dense: [{ layer, precision, inScale? }],
 *          tensors: [{ name, dtype: "i8" | "f16" | "i32" | "f32", shape, offset, length }] }
 *   ..     zero padding to a multiple of 4
 *   D  ..  tensor data at D + offset, `length` bytes each, row-major; offsets 4-byte aligned
 *   end−4  CRC-32 of every byte before it
 *
 * Per dense layer, in layer order: `<layer>/kernel` (int8: i8, the quantized weights, not dequantized; f16: f16
 * bits; f32: f32), for int8 `<layer>/kernel_scale` (f32, one per output column), and `<layer>/bias` when the layer
 * has one (i32 in static int8 layers, else f32). Readers reject: a short file, a wrong magic (naming a plain
 * simdnet model file when that is what it is), a newer version, a header or tensor outside the file, a checksum
 * mismatch, a plan, shape or dtype that does not fit the architecture, and non-finite or negative scales.
 */
export const QUANT_FORMAT_VERSION = 1;
const MAGIC = [0x53, 0x44, 0x4e, 0x51]; // "SDNQ"
const PLAIN_MAGIC = [0x53, 0x44, 0x4e, 0x54]; // "SDNT", the f32 model file

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
  format: 'simdnet-quantized';
  version: number;
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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
  let off = 0;
  const add = (name: string, a: Typed, shape: number[]): void => {
    tensors.push({ name, dtype: dtypeOf(a), shape, offset: off, length: a.byteLength });
    data.push(a);
    off += Math.ceil(a.byteLength / 4) * 4;
  };
  for (const d of p.dense) {
    const name = p.layers[d.layer].name;
    add(`${name}/kernel`, d.kernel, [d.k, d.n]);
    if (d.wScale) add(`${name}/kernel_scale`, d.wScale, [d.n]);
    if (d.bias) add(`${name}/bias`, d.bias, [d.n]);
  }
  const header: Header = {
    format: 'simdnet-quantized',
    version: QUANT_FORMAT_VERSION,
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
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 4) * 4;
  const total = dataStart + off + 4;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  dv.setUint16(4, QUANT_FORMAT_VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, json.length, true);
  bytes.set(json, 12);
  data.forEach((a, i) => writeLE(bytes, dataStart + tensors[i].offset, a));
  dv.setUint32(total - 4, crc32(bytes, 0, total - 4), true);
  return bytes;
}

/** Where a loaded quantized model computes (default: the shared wasm engine; `await init()` first). */
export interface QuantLoadOptions {
  backend?: Backend;
  engine?: Engine;
}

/** Reads bytes written by saveQuantized into a new QuantizedModel. */
export function loadQuantized(input: Uint8Array | ArrayBuffer, options: QuantLoadOptions = {}): QuantizedModel {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `not a valid simdnet quantized model file: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) bad('expected a Uint8Array or ArrayBuffer');
  if (bytes.length < 16) bad(`only ${bytes.length} bytes (truncated?)`);
  if (PLAIN_MAGIC.every((b, i) => bytes[i] === b)) bad('this is a plain (f32) simdnet model file: read it with loadModel()');
  if (MAGIC.some((b, i) => bytes[i] !== b)) bad('wrong magic bytes (this is not a simdnet quantized model)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version > QUANT_FORMAT_VERSION || version === 0) {
    throw new SimdnetError('FORMAT', `quantized model format version ${version} is not supported (this simdnet reads version ${QUANT_FORMAT_VERSION})`);
  }
  const hlen = dv.getUint32(8, true);
  if (12 + hlen + 4 > bytes.length) bad(`the header claims ${hlen} bytes but the file has ${bytes.length} (truncated?)`);
  if (crc32(bytes, 0, bytes.length - 4) !== dv.getUint32(bytes.length - 4, true)) bad('checksum mismatch (the file is corrupt or truncated)');
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch (err) {
    return bad(`unreadable header (${String(err)})`);
  }
  if (typeof h !== 'object' || h === null || h.format !== 'simdnet-quantized') bad('the header is not a simdnet-quantized header');
  if (!Array.isArray(h.layers) || h.layers.length === 0) bad('no layers');
  if (!Number.isInteger(h.inputDim) || h.inputDim < 1) bad(`bad inputDim ${String(h.inputDim)}`);
  if (h.mode !== 'static' && h.mode !== 'dynamic') bad(`bad mode ${JSON.stringify(h.mode)}`);
  if (!Number.isInteger(h.weightBits) || h.weightBits < 2 || h.weightBits > 8) bad(`bad weightBits ${String(h.weightBits)}`);
  if (!Array.isArray(h.dense) || !Array.isArray(h.tensors)) bad('no dense or tensor table');
  const layers = h.layers.map((l, i) => validateSpec(l, i));
  const dims = [h.inputDim];
  for (const l of layers) dims.push(l.type === 'dense' ? l.units : dims[dims.length - 1]);
  const denseIdx = layers.flatMap((l, i) => (l.type === 'dense' ? [i] : []));
  if (denseIdx.length === 0) bad('no dense layer');
  if (h.dense.length !== denseIdx.length) bad(`${h.dense.length} dense entries for an architecture that has ${denseIdx.length}`);
  const dataStart = Math.ceil((12 + hlen) / 4) * 4;
  const dataEnd = bytes.length - 4;
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
    const size = dtype === 'i8' ? 1 : dtype === 'f16' ? 2 : 4;
    const start = dataStart + e.offset;
    if (!Number.isInteger(e.offset) || e.offset % 4 !== 0 || e.length !== count * size || e.offset < 0 || start + e.length > dataEnd) {
      bad(`tensor ${name} lies outside the file's data (truncated?)`);
    }
    return readLE(bytes, start, count, dtype);
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
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, saveQuantized(model));
}

/** Reads a file written by saveQuantizedFile. */
export async function loadQuantizedFile(path: string, options: QuantLoadOptions = {}): Promise<QuantizedModel> {
  const { readFile } = await import('node:fs/promises');
  return loadQuantized(new Uint8Array(await readFile(path)), options);
}

function writeLE(bytes: Uint8Array, at: number, a: Typed): void {
  if (LITTLE_ENDIAN || a instanceof Int8Array) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Uint16Array) dv.setUint16(at + 2 * i, a[i], true);
    else if (a instanceof Int32Array) dv.setInt32(at + 4 * i, a[i], true);
    else dv.setFloat32(at + 4 * i, a[i], true);
  }
}

function readLE(bytes: Uint8Array, at: number, n: number, dtype: DType): Typed {
  const out = dtype === 'i8' ? new Int8Array(n) : dtype === 'f16' ? new Uint16Array(n) : dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
  if (LITTLE_ENDIAN || dtype === 'i8') {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + out.byteLength));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < n; i++) {
    if (dtype === 'f16') out[i] = dv.getUint16(at + 2 * i, true);
    else if (dtype === 'i32') out[i] = dv.getInt32(at + 4 * i, true);
    else out[i] = dv.getFloat32(at + 4 * i, true);
  }
  return out;
}
