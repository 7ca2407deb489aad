import { validateSpec } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';
import { Sequential, type CompileOptions, type ModelOptions } from '../model/sequential.js';
import { getEngine, type Engine } from '../runtime/engine.js';
import { chunkOffsets, LITTLE_ENDIAN, MODEL_FILE, openFile, writeFile } from './container.js';
import { crc32 } from './crc32.js';

/**
 * The simdnet model file, version 1: the shared envelope of src/io/container.ts with magic "SDNT" and
 *   header: { format: "simdnet", version, name, inputDim, layers: [layer specs], compile?: { loss, optimizer,
 *             metrics }, metadata, trainedSteps, tensors: [{ name, shape, dtype: "f32", offset, length }] }
 *   data:   each tensor at `offset` from the data start, `length` bytes, f32 row-major (a kernel is fan_in × fan_out)
 * Readers reject, besides what the envelope catches, a layer or tensor that does not fit the architecture and
 * NaN/Inf weights.
 */
export const FORMAT_VERSION = MODEL_FILE.version;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'f32';
  offset: number;
  length: number;
}

interface Header {
  name: string;
  inputDim: number;
  layers: LayerSpec[];
  compile?: CompileOptions;
  metadata: Record<string, unknown>;
  trainedSteps?: number;
  tensors: TensorEntry[];
}

/** Serializes a built model (architecture, weights, compile settings, metadata) to bytes. */
export function saveModel(model: Sequential): Uint8Array {
  const weights = model.getWeights();
  const offsets = chunkOffsets(weights.map((w) => w.data));
  const header: Header = {
    name: model.name,
    inputDim: model.inputDim!,
    layers: model.layers,
    metadata: model.metadata,
    trainedSteps: model.trainedSteps,
    tensors: weights.map((w, i) => ({ name: w.name, shape: w.shape, dtype: 'f32', offset: offsets[i], length: w.data.byteLength })),
  };
  const compile = model.compileSettings();
  if (compile) header.compile = compile;
  return writeFile(MODEL_FILE, header, weights.map((w) => w.data));
}

/** Options of {@link loadModel}: where the model will compute. */
export type LoadOptions = Pick<ModelOptions, 'backend' | 'engine'>;

/** Reads bytes written by saveModel into a new model (compiled again if it was compiled when saved). */
export function loadModel(input: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Sequential {
  const file = openFile(input, MODEL_FILE, (bytes, n) => bodyCrc(bytes, n, options));
  const { bad } = file;
  const header = file.header as unknown as Header;
  if (!Array.isArray(header.layers) || header.layers.length === 0) bad('no layers');
  if (!Number.isInteger(header.inputDim) || header.inputDim < 1) bad(`bad inputDim ${String(header.inputDim)}`);
  if (!Array.isArray(header.tensors)) bad('no tensor table');
  const layers = header.layers.map((l, i) => validateSpec(l, i));
  const model = new Sequential(layers, { ...options, name: typeof header.name === 'string' ? header.name : 'sequential' });
  try {
    // Every weight comes from the file: skip the random initialization (a large part of cold start).
    model.build(header.inputDim, undefined, false);
    const slots = model.tensors();
    if (header.tensors.length !== slots.length) bad(`${header.tensors.length} tensors for an architecture that has ${slots.length}`);
    const raw = slots.map((s, i) => {
      const t = header.tensors[i];
      if (t.name !== s.name) bad(`tensor ${i} is '${String(t.name)}', expected '${s.name}'`);
      if (t.dtype !== 'f32') bad(`tensor ${s.name} has dtype '${String(t.dtype)}' (version 1 stores f32)`);
      if (!Array.isArray(t.shape) || t.shape.length !== s.shape.length || t.shape.some((d, j) => d !== s.shape[j])) {
        bad(`tensor ${s.name} has shape [${String(t.shape)}], the architecture needs [${s.shape.join(',')}]`);
      }
      if (t.length !== s.size * 4) bad(`tensor ${s.name} has ${String(t.length)} bytes, its shape needs ${s.size * 4}`);
      return file.bytesOf(t.offset, t.length, `tensor ${s.name}`);
    });
    if (LITTLE_ENDIAN) {
      // Straight from the file's bytes into the parameter slab (one copy, part of cold start), checked there.
      const net = model.requireNet();
      const e = net.engine;
      const slab = new Uint8Array(e.memory.buffer, net.params, net.slabFloats * 4);
      raw.forEach((b, i) => slab.set(b, net.slots[i].offset * 4));
      if (e.k.count_nonfinite(net.params, net.slabFloats) > 0) {
        const w = e.f32(net.params, net.slabFloats);
        const at = net.slots.find((s) => !w.subarray(s.offset, s.offset + s.size).every(Number.isFinite));
        bad(`tensor ${at?.name ?? '?'} holds NaN/Inf values`);
      }
    } else {
      model.setWeights(raw.map((b, i) => file.read(header.tensors[i].offset, slots[i].size, Float32Array, `tensor ${slots[i].name}`)));
    }
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
