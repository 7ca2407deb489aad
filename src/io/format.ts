import {
  declaredInputShape,
  inferShapes,
  paramDefs,
  showShape,
  sizeOf,
  validateSpec,
  type ParamDef,
  type Shape,
} from '../layers/index.js';
import { checkEngineOptions } from '../args.js';
import { checkMagnitudes } from './bounds.js';
import { SimdnetError } from '../errors.js';
import { ModelPreprocessing } from '../data/model-preprocessing.js';
import type { LayerSpec } from '../layers/spec.js';
import { Sequential, type CompileOptions, type ModelOptions } from '../model/sequential.js';
import { checksumFor, KernelHash } from './checksum.js';
import {
  badFile,
  bytesSource,
  chunkOffsets,
  LITTLE_ENDIAN,
  MODEL_FILE,
  openSource,
  writeFile,
  type ByteSource,
} from './container.js';

/**
 * The simdnet model file, version 2 (version 1: the same with a CRC-32): the shared envelope of src/io/container.ts
 * with magic "SDNT" and
 *   header: { format: "simdnet", version, name, inputDim, inputShape?, layers: [layer specs], compile?: { loss,
 *             optimizer, metrics }, metadata, trainedSteps, tensors: [{ name, shape, dtype: "f32", offset, length }] }
 *   data:   each tensor at `offset` from the data start, `length` bytes, f32 row-major in Keras's layouts (a dense
 *           kernel fan_in × fan_out, a conv2d kernel kh × kw × in_channels × filters)
 * inputShape (the sample shape, e.g. [28, 28, 1]) is written when it is not just [inputDim]; inputDim is its size.
 * metadata.preprocessing (optional; data/model-preprocessing.ts, what setPreprocessing() and `simdnet train` write:
 * scaler, one-hot categories, class names) is applied by the loaded model to the rows it gets; checked on load.
 * Readers reject, besides what the envelope catches, a layer or tensor that does not fit the architecture or the
 * file's bytes (checked before anything is allocated), NaN/Inf weights, and weights so large that a forward pass on
 * inputs with |x| <= 1e3 could overflow f32 (io/bounds.ts).
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
  inputShape?: number[];
  layers: LayerSpec[];
  compile?: CompileOptions;
  metadata: Record<string, unknown>;
  trainedSteps?: number;
  tensors: TensorEntry[];
}

/** Serializes a built model (architecture, weights, compile settings, metadata) to bytes. */
export function saveModel(model: Sequential): Uint8Array {
  if (!((model as unknown) instanceof Sequential)) {
    throw new SimdnetError(
      'DTYPE',
      'saveModel() takes a Sequential model (a QuantizedModel saves with saveQuantized, a SparseModel with its save())',
    );
  }
  const weights = model.getWeights();
  const shape = model.inputShape!;
  const offsets = chunkOffsets(weights.map((w) => w.data));
  const header: Header = {
    name: model.name,
    inputDim: model.inputDim!,
    ...(shape.length > 1 ? { inputShape: shape } : {}),
    layers: model.layers,
    metadata: model.metadata,
    trainedSteps: model.trainedSteps,
    tensors: weights.map((w, i) => ({
      name: w.name,
      shape: w.shape,
      dtype: 'f32',
      offset: offsets[i],
      length: w.data.byteLength,
    })),
  };
  const compile = model.compileSettings();
  if (compile) header.compile = compile;
  return writeFile(
    MODEL_FILE,
    header,
    weights.map((w) => w.data),
  );
}

/** Options of {@link loadModel}: where the model will compute. */
export type LoadOptions = Pick<ModelOptions, 'backend' | 'engine'>;

/** Reads bytes written by saveModel into a new model (compiled again if it was compiled when saved). */
export function loadModel(input: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Sequential {
  checkEngineOptions(options, 'loadModel()');
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer))
    badFile(MODEL_FILE)('expected a Uint8Array or ArrayBuffer');
  return loadModelFrom(bytesSource(input instanceof ArrayBuffer ? new Uint8Array(input) : input), options);
}

/**
 * loadModel from any ByteSource (io/file.ts: an open file). The weights go from the source straight into the
 * model's parameter slab (one copy; from a file, the read itself) and are checked there by kernels.
 */
export function loadModelFrom(src: ByteSource, options: LoadOptions = {}): Sequential {
  // One pass over the data when the file is laid out as saveModel writes it: read into the slab, then the
  // checksum over the header bytes and the slab. Anything unusual, damage included, goes through the
  // checksum-first pass instead, which also words the error.
  try {
    return load(src, options, true);
  } catch {
    return load(src, options, false);
  }
}

const NOT_IN_PLACE = new Error('not loadable in place');

function load(src: ByteSource, options: LoadOptions, inPlace: boolean): Sequential {
  const file = openSource(src, MODEL_FILE, inPlace ? null : checksumFor(options));
  const { bad } = file;
  const header = file.header as unknown as Header;
  if (!Array.isArray(header.layers) || header.layers.length === 0) bad('no layers');
  if (!Number.isInteger(header.inputDim) || header.inputDim < 1) bad(`bad inputDim ${String(header.inputDim)}`);
  if (!Array.isArray(header.tensors)) bad('no tensor table');
  const layers = header.layers.map((l, i) => validateSpec(l, i));
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) bad(`two layers are named '${l.name}'`); // the tensor names would be ambiguous
    names.add(l.name);
  }
  const shape: Shape = header.inputShape ?? [header.inputDim];
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && d > 0) ||
    sizeOf(shape) !== header.inputDim
  ) {
    bad(`inputShape ${JSON.stringify(header.inputShape)} does not fit inputDim ${header.inputDim}`);
  }
  // The model takes the input shape its first declaring layer gives (as Sequential does): it must be the header's.
  const declared = layers.map((l) => declaredInputShape([l])).find((d) => d !== undefined);
  if (declared && (declared.length !== shape.length || declared.some((d, j) => d !== shape[j]))) {
    bad(`the layers declare input ${showShape(declared)}, the header says ${showShape(shape)}`);
  }
  let defs: ParamDef[][] = [];
  try {
    defs = paramDefs(layers, inferShapes(layers, shape));
  } catch (err) {
    bad((err as Error).message); // a layer that does not fit its input
  }
  const expected = defs.flatMap((ps, i) =>
    ps.map((p) => ({ name: `${layers[i].name}/${p.name}`, shape: p.shape, size: sizeOf(p.shape) })),
  );
  const params = expected.reduce((n, t) => n + t.size, 0);
  // A header cannot make the model allocate more weights than the file holds.
  if (4 * params > file.dataLength)
    bad(
      `the weight shapes of the architecture need ${4 * params} bytes, the file holds ${file.dataLength} bytes of data`,
    );
  // The tensor table against the architecture and the file's bytes, before anything is allocated.
  if (header.tensors.length !== expected.length)
    bad(`${header.tensors.length} tensors for an architecture that has ${expected.length}`);
  expected.forEach((s, i) => {
    const t = header.tensors[i] as TensorEntry | null;
    if (t === null || typeof t !== 'object' || Array.isArray(t))
      return bad(`tensor ${i} is not an entry of the tensor table (${JSON.stringify(t)})`);
    if (t.name !== s.name) bad(`tensor ${i} is '${String(t.name)}', expected '${s.name}'`);
    if (t.dtype !== 'f32') bad(`tensor ${s.name} has dtype '${String(t.dtype)}' (this format stores f32)`);
    if (!Array.isArray(t.shape) || t.shape.length !== s.shape.length || t.shape.some((d, j) => d !== s.shape[j])) {
      bad(`tensor ${s.name} has shape [${String(t.shape)}], the architecture needs [${s.shape.join(',')}]`);
    }
    if (t.length !== s.size * 4) bad(`tensor ${s.name} has ${String(t.length)} bytes, its shape needs ${s.size * 4}`);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset % 4 !== 0 || t.offset + t.length > file.dataLength) {
      bad(`tensor ${s.name} lies outside the file's data (truncated?)`);
    }
  });
  // In place only when the tensors fill the data back to back and the architecture has exactly that many
  // parameters.
  if (inPlace && !(file.version >= 2 && tensorsFill(header.tensors, file.dataLength) && 4 * params === file.dataLength))
    throw NOT_IN_PLACE;
  const model = new Sequential(layers, {
    ...options,
    name: typeof header.name === 'string' ? header.name : 'sequential',
  });
  try {
    // Every weight comes from the file: skip the random initialization (a large part of cold start).
    model.build(shape, undefined, false);
    const net = model.requireNet();
    const slots = net.slots;
    const e = net.engine;
    const slab = new Uint8Array(e.memory.buffer, net.params, net.slabFloats * 4);
    slots.forEach((s, i) =>
      file.readInto(header.tensors[i].offset, slab.subarray(s.offset * 4, (s.offset + s.size) * 4), `tensor ${s.name}`),
    );
    if (inPlace) {
      const h = new KernelHash(e);
      try {
        h.updateFrom(src, 0, file.dataStart);
        for (const s of slots) h.update(net.params + s.offset * 4, s.size * 4);
        if (h.digest() !== file.stored) throw NOT_IN_PLACE;
      } finally {
        h.dispose();
      }
    }
    if (!LITTLE_ENDIAN) {
      // Files are little-endian. A fresh view: the checksum's window may have grown the memory since.
      const b = new Uint8Array(e.memory.buffer, net.params, net.slabFloats * 4);
      for (let j = 0; j < b.length; j += 4) b.subarray(j, j + 4).reverse();
    }
    if (e.k.count_nonfinite(net.params, net.slabFloats) > 0) {
      const w = e.f32(net.params, net.slabFloats);
      const at = slots.find((s) => !w.subarray(s.offset, s.offset + s.size).every(Number.isFinite));
      bad(`tensor ${at?.name ?? '?'} holds NaN/Inf values`);
    }
    // Finite but extreme weights: refused when a forward pass on inputs in the documented range could overflow.
    const w = e.f32(net.params, net.slabFloats);
    checkMagnitudes(
      layers,
      shape,
      (i) => {
        const own = net.slotsOf(i);
        return own.length === 0
          ? { kind: 'none' }
          : {
              kind: 'float',
              tensors: own.map((s) => w.subarray(s.offset, s.offset + s.size)),
              names: own.map((s) => `tensor ${s.name}`),
            };
      },
      bad,
      (i, j) => {
        const s = net.slotsOf(i)[j];
        const p = net.params + s.offset * 4;
        return { absMax: e.k.q8_absmax(p, s.size), sumSquares: e.k.sum_squares(p, s.size) };
      },
    );
    if (header.metadata && typeof header.metadata === 'object') {
      try {
        ModelPreprocessing.fromJSON(header.metadata.preprocessing, header.inputDim);
      } catch (err) {
        bad((err as Error).message);
      }
      model.metadata = header.metadata;
    }
    // Applied when first needed (fit, evaluate, the optimizer): compile() is a noticeable part of a cold start.
    if (header.compile) {
      if (typeof header.compile !== 'object' || typeof header.compile.loss !== 'string')
        bad('unreadable compile settings');
      model.compileLater(header.compile);
    }
    if (Number.isSafeInteger(header.trainedSteps) && header.trainedSteps! > 0)
      model.trainedSteps = header.trainedSteps!;
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Whether the tensor table lays tensors back to back from the data start, filling `dataLength` bytes exactly. */
function tensorsFill(tensors: TensorEntry[], dataLength: number): boolean {
  let end = 0;
  for (const t of tensors) {
    if (t === null || typeof t !== 'object' || t.offset !== end || !Number.isInteger(t.length)) return false;
    end += t.length;
  }
  return end === dataLength;
}
