import { SimdnetError } from '../errors.js';
import { validateSpec } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';
import { Sequential, type CompileOptions, type ModelOptions } from '../model/sequential.js';
import { getEngine, type Engine } from '../runtime/engine.js';
import { crc32 } from './crc32.js';

/**
 * The simdnet model file, version 1 (all integers little-endian):
 *
 *   0   4  magic "SDNT"
 *   4   2  format version (1)
 *   6   2  flags (0)
 *   8   4  H = header length in bytes
 *   12  H  header: UTF-8 JSON { format: "simdnet", version, name, inputDim, layers: [layer specs],
 *          compile?: { loss, optimizer, metrics }, metadata, tensors: [{ name, shape, dtype: "f32", offset, length }] }
 *   ..     zero padding to a multiple of 4
 *   D  ..  tensor data; each tensor at D + offset, `length` bytes, f32 row-major (a kernel is fan_in × fan_out)
 *   end−4  CRC-32 of every byte before it
 *
 * Readers reject: a short file, a wrong magic, a newer version, a header or tensor outside the file, a checksum
 * mismatch, a layer or tensor that does not fit the architecture, and NaN/Inf weights.
 */
export const FORMAT_VERSION = 1;
const MAGIC = [0x53, 0x44, 0x4e, 0x54]; // "SDNT"

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'f32';
  offset: number;
  length: number;
}

interface Header {
  format: 'simdnet';
  version: number;
  name: string;
  inputDim: number;
  layers: LayerSpec[];
  compile?: CompileOptions;
  metadata: Record<string, unknown>;
  trainedSteps?: number;
  tensors: TensorEntry[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Serializes a built model (architecture, weights, compile settings, metadata) to bytes. */
export function saveModel(model: Sequential): Uint8Array {
  const weights = model.getWeights();
  let off = 0;
  const tensors: TensorEntry[] = weights.map((w) => {
    const t: TensorEntry = { name: w.name, shape: w.shape, dtype: 'f32', offset: off, length: w.data.byteLength };
    off += w.data.byteLength;
    return t;
  });
  const header: Header = {
    format: 'simdnet',
    version: FORMAT_VERSION,
    name: model.name,
    inputDim: model.inputDim!,
    layers: model.layers,
    metadata: model.metadata,
    trainedSteps: model.trainedSteps,
    tensors,
  };
  const compile = model.compileSettings();
  if (compile) header.compile = compile;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 4) * 4;
  const total = dataStart + off + 4;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, json.length, true);
  bytes.set(json, 12);
  weights.forEach((w, i) => writeF32(bytes, dataStart + tensors[i].offset, w.data));
  dv.setUint32(total - 4, crc32(bytes, 0, total - 4), true);
  return bytes;
}

/** Options of {@link loadModel}: where the model will compute. */
export type LoadOptions = Pick<ModelOptions, 'backend' | 'engine'>;

/** Reads bytes written by saveModel into a new model (compiled again if it was compiled when saved). */
export function loadModel(input: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Sequential {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `not a valid simdnet model file: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) bad('expected a Uint8Array or ArrayBuffer');
  if (bytes.length < 16) bad(`only ${bytes.length} bytes (truncated?)`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) bad('wrong magic bytes (this is not a simdnet model)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version > FORMAT_VERSION || version === 0) {
    throw new SimdnetError('FORMAT', `model file format version ${version} is not supported (this simdnet reads version ${FORMAT_VERSION})`);
  }
  const hlen = dv.getUint32(8, true);
  if (12 + hlen + 4 > bytes.length) bad(`the header claims ${hlen} bytes but the file has ${bytes.length} (truncated?)`);
  const stored = dv.getUint32(bytes.length - 4, true);
  if (bodyCrc(bytes, bytes.length - 4, options) !== stored) bad('checksum mismatch (the file is corrupt or truncated)');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hlen))) as Header;
  } catch (err) {
    return bad(`unreadable header (${String(err)})`);
  }
  if (typeof header !== 'object' || header === null || header.format !== 'simdnet') bad('the header is not a simdnet header');
  if (!Array.isArray(header.layers) || header.layers.length === 0) bad('no layers');
  if (!Number.isInteger(header.inputDim) || header.inputDim < 1) bad(`bad inputDim ${String(header.inputDim)}`);
  if (!Array.isArray(header.tensors)) bad('no tensor table');
  const layers = header.layers.map((l, i) => validateSpec(l, i));
  const dataStart = Math.ceil((12 + hlen) / 4) * 4;
  const dataEnd = bytes.length - 4;
  const model = new Sequential(layers, { ...options, name: typeof header.name === 'string' ? header.name : 'sequential' });
  try {
    // Every weight comes from the file: skip the random initialization (a large part of cold start).
    model.build(header.inputDim, undefined, false);
    const slots = model.tensors();
    if (header.tensors.length !== slots.length) bad(`${header.tensors.length} tensors for an architecture that has ${slots.length}`);
    const arrays = slots.map((s, i) => {
      const t = header.tensors[i];
      if (t.name !== s.name) bad(`tensor ${i} is '${String(t.name)}', expected '${s.name}'`);
      if (t.dtype !== 'f32') bad(`tensor ${s.name} has dtype '${String(t.dtype)}' (version 1 stores f32)`);
      if (!Array.isArray(t.shape) || t.shape.length !== s.shape.length || t.shape.some((d, j) => d !== s.shape[j])) {
        bad(`tensor ${s.name} has shape [${String(t.shape)}], the architecture needs [${s.shape.join(',')}]`);
      }
      const start = dataStart + t.offset;
      if (!Number.isInteger(t.offset) || t.offset % 4 !== 0 || t.length !== s.size * 4 || start < dataStart || start + t.length > dataEnd) {
        bad(`tensor ${s.name} lies outside the file's data (truncated?)`);
      }
      return readF32(bytes, start, s.size);
    });
    model.setWeights(arrays);
    if (header.metadata && typeof header.metadata === 'object') model.metadata = header.metadata;
    if (header.compile) model.compile(header.compile);
    if (Number.isSafeInteger(header.trainedSteps) && header.trainedSteps! > 0) model.trainedSteps = header.trainedSteps!;
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * CRC-32 of bytes[0, n), by the wasm kernel when the model will run on wasm: as cold JavaScript in a fresh process
 * the loop costs several ms for an MNIST-sized model, a large part of a cold start; the kernel takes well under one.
 */
function bodyCrc(bytes: Uint8Array, n: number, options: LoadOptions): number {
  let e: Engine | undefined = options.engine;
  if (!e && (options.backend ?? 'wasm') === 'wasm') {
    try {
      e = getEngine('wasm');
    } catch {
      e = undefined; // not loaded: building the model reports that below
    }
  }
  if (!e || e.backend !== 'wasm') return crc32(bytes, 0, n);
  const p = e.allocF32(Math.ceil(n / 4));
  try {
    new Uint8Array(e.memory.buffer, p, n).set(bytes.subarray(0, n));
    return e.k.crc32_bytes(p, n) >>> 0;
  } finally {
    e.free(p);
  }
}

function writeF32(bytes: Uint8Array, at: number, a: Float32Array): void {
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < a.length; i++) dv.setFloat32(at + 4 * i, a[i], true);
}

function readF32(bytes: Uint8Array, at: number, n: number): Float32Array {
  const out = new Float32Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * n));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(at + 4 * i, true);
  return out;
}
