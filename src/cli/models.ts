/**
 * Any of the three model files the CLI writes: the float model (SDNT), the quantized model (SDNQ) and the sparse
 * pruned model (SDSP). The three share one inference interface (InferenceModel, src/model/plan.ts); this adds
 * what the CLI shows of each. evaluate, predict, info and bench take each of them.
 */
import { loadQuantized } from '../compress/quant-format.js';
import type { QuantizedModel } from '../compress/quantize.js';
import { SparseModel } from '../compress/prune-sparse.js';
import type { Matrix } from '../data/matrix.js';
import { SimdnetError } from '../errors.js';
import { loadModel } from '../io/format.js';
import type { LayerSpec } from '../layers/index.js';
import type { InferenceModel } from '../model/plan.js';
import type { Sequential } from '../model/sequential.js';
import type { Backend } from '../runtime/engine.js';
import { readFileFriendly } from './common.js';
import { lastActivation } from './layers.js';

/** What evaluate/predict/info need from a model, whatever its file format. */
export interface AnyModel {
  kind: 'float' | 'quantized' | 'sparse';
  /** Where an imported model came from ('ONNX (pytorch 1.13.1, opset 13)', 'TensorFlow.js layers model'). */
  source?: string;
  inputDim: number;
  /** The shape of one input sample ([inputDim] for the dense-only quantized and sparse files). */
  inputShape: number[];
  outputDim: number;
  metadata: Record<string, unknown>;
  /** Ends in softmax or sigmoid (its outputs are class probabilities). */
  classifier: boolean;
  predict(x: Matrix): Matrix;
  predictClasses(x: Matrix): Int32Array;
  /** Mean loss over (x, y) when the model knows its loss. */
  loss(x: Matrix, y: Matrix): number | undefined;
  /** A description for `info`. */
  describe(): string;
  dispose(): void;
  /** The float model, for commands that need one (quantize, prune, distill, export). */
  float?: Sequential;
  /** The quantized model (export writes it as a QDQ graph). */
  quantized?: QuantizedModel;
}

const MAGICS = { SDNT: 'float', SDNQ: 'quantized', SDSP: 'sparse' } as const;

/** The file kind from its first four bytes, or undefined. */
export function modelKind(bytes: Uint8Array): AnyModel['kind'] | undefined {
  return MAGICS[String.fromCharCode(...bytes.subarray(0, 4)) as keyof typeof MAGICS];
}

/**
 * The three kinds share one inference interface (InferenceModel: predict, predictClasses, evaluate, shapes,
 * metadata, all on the one execution plan); what differs is only what `info` shows and whether a loss is known.
 */
function wrap(
  kind: AnyModel['kind'],
  m: InferenceModel,
  lastAct: string | undefined,
  describe: () => string,
  float?: Sequential,
  quantized?: QuantizedModel,
): AnyModel {
  return {
    kind,
    inputDim: m.inputDim!,
    inputShape: [...(m.inputShape ?? [m.inputDim!])],
    outputDim: m.outputDim,
    metadata: m.metadata,
    classifier: lastAct === 'softmax' || lastAct === 'sigmoid',
    predict: (x) => m.predict(x),
    predictClasses: (x) => m.predictClasses(x),
    // A float model knows its loss once compiled (its file's settings); the compressed ones carry it.
    loss: (x, y) => (float && !float.compileSettings() ? undefined : m.evaluate(x, y).loss),
    describe,
    dispose: () => m.dispose(),
    ...(float ? { float } : {}),
    ...(quantized ? { quantized } : {}),
  };
}

/** Wraps a float model. */
export function wrapFloat(m: Sequential): AnyModel {
  return wrap('float', m, lastActivation(m.layers), () => m.summary(), m);
}

/** One line per layer of a sparse model: its type, a kernel's storage and nonzeros, the activation. */
function describeSparse(s: SparseModel): string {
  const nz = s.nonzeros;
  const w = Math.max(14, ...s.layers.map((l) => l.name.length));
  const t = Math.max(...s.layers.map((l) => l.type.length));
  const rows = s.layers.map((l) => {
    const head = `${l.name.padEnd(w)} ${l.type.padEnd(t)}`;
    if (l.storage === undefined) return l.activation === 'linear' ? head.trimEnd() : `${head} ${l.activation}`;
    const io = l.inputs !== undefined && l.units !== undefined ? `${l.inputs}→${l.units}` : '';
    return `${head} ${io.padEnd(10)} ${l.activation.padEnd(8)} ${l.storage.padEnd(5)} ${l.nnz} nonzeros`;
  });
  return [
    `SparseModel ${s.name}: ${nz.nnz} of ${nz.size} weights nonzero (${(100 * nz.sparsity).toFixed(1)}% zeros)`,
    ...rows,
  ].join('\n');
}

/** True for a path the CLI reads as a TensorFlow.js layers model (its model.json). */
export function isTfjsPath(path: string): boolean {
  return /\.json$/i.test(path);
}

/**
 * Imports an ONNX file or a TensorFlow.js layers model (model.json, its weight shards beside it, as the manifest
 * names them) as a float model. The importers load on first use (they are not on the main entry's cold start).
 */
export async function importModelFile(
  path: string,
  bytes: Uint8Array,
  backend: Backend,
  name?: string,
  output?: string,
): Promise<{ model: Sequential; source: string }> {
  const { basename, dirname } = await import('node:path');
  // A model.json is named after its directory (TF.js saves one model per directory), an .onnx after its file.
  name ??=
    isTfjsPath(path) && /^model\.json$/i.test(basename(path))
      ? basename(dirname(path))
      : basename(path).replace(/\.[^.]*$/, '');
  if (isTfjsPath(path)) {
    const { importTfjsLayers } = await import('../tfjs/import.js');
    const json = parseJsonFile(bytes, path);
    const model = importTfjsLayers(json, await readShards(json, path), { backend, name });
    return { model, source: 'TensorFlow.js layers model' };
  }
  const { importOnnx } = await import('../onnx/import.js');
  const model = importOnnx(bytes, { backend, name, ...(output !== undefined ? { output } : {}) });
  const o = model.metadata.onnx as { producerName?: string; producerVersion?: string; opset?: number } | undefined;
  const producer = [o?.producerName, o?.producerVersion].filter(Boolean).join(' ');
  return {
    model,
    source: `ONNX (${[producer, o?.opset !== undefined ? `opset ${o.opset}` : ''].filter(Boolean).join(', ')})`,
  };
}

function parseJsonFile(bytes: Uint8Array, path: string): object {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new SimdnetError('FORMAT', `${path} is not JSON: ${(err as Error).message}`);
  }
}

/** The weight shards a model.json's manifest names, read from its directory, in manifest order. */
async function readShards(json: unknown, path: string): Promise<Uint8Array[]> {
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest))
    throw new SimdnetError('FORMAT', `${path} has no weightsManifest (is it a TensorFlow.js layers model.json?)`);
  const { dirname, join, resolve, sep } = await import('node:path');
  const dir = resolve(dirname(path));
  const shards: Uint8Array[] = [];
  for (const group of manifest) {
    const paths = (group as { paths?: unknown })?.paths;
    if (!Array.isArray(paths)) throw new SimdnetError('FORMAT', `${path}: a weightsManifest group has no paths`);
    for (const p of paths) {
      if (typeof p !== 'string' || p.length === 0)
        throw new SimdnetError('FORMAT', `${path}: a weight shard path is not a file name`);
      // Shards live beside model.json: a manifest cannot make the CLI read files elsewhere.
      const file = resolve(join(dir, p));
      if (!file.startsWith(dir + sep))
        throw new SimdnetError('FORMAT', `${path}: weight shard '${p}' is outside the model's directory`);
      shards.push(await readFileFriendly(file, 'weight shard'));
    }
  }
  return shards;
}

/** Loads a float, quantized or sparse model file, an ONNX file or a TensorFlow.js model.json; anything else gets one clear line naming the file. */
export async function loadAnyModel(path: string, backend: Backend): Promise<AnyModel> {
  const bytes = await readFileFriendly(path, 'model file');
  const kind = modelKind(bytes);
  try {
    if (kind === undefined && (/\.onnx$/i.test(path) || isTfjsPath(path))) {
      const { model, source } = await importModelFile(path, bytes, backend);
      return { ...wrapFloat(model), source };
    }
    if (kind === 'quantized') {
      const q = loadQuantized(bytes, { backend });
      return wrap('quantized', q, lastActivation(q.layers as LayerSpec[]), () => q.summary(), undefined, q);
    }
    if (kind === 'sparse') {
      const s = SparseModel.load(bytes, { backend });
      const acts = s.layers.map((l) => l.activation).filter((a) => a !== 'linear');
      return wrap('sparse', s, acts[acts.length - 1], () => describeSparse(s));
    }
    return wrapFloat(loadModel(bytes, { backend }));
  } catch (err) {
    if (err instanceof SimdnetError && err.code === 'FORMAT' && !err.message.startsWith(path))
      throw new SimdnetError('FORMAT', `${path}: ${err.message}`);
    throw err;
  }
}
