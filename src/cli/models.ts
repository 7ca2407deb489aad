/**
 * Any of the three model files the CLI writes: the float model (SDNT), the quantized model (SDNQ) and the sparse
 * pruned model (SDSP). The three share one inference interface (InferenceModel, src/model/plan.ts); this adds
 * what the CLI shows of each. evaluate, predict, info and bench take each of them.
 */
import { loadQuantized } from '../compress/quant-format.js';
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
  /** The float model, for commands that need one (quantize, prune, distill). */
  float?: Sequential;
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
function wrap(kind: AnyModel['kind'], m: InferenceModel, lastAct: string | undefined, describe: () => string, float?: Sequential): AnyModel {
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
  return [`SparseModel ${s.name}: ${nz.nnz} of ${nz.size} weights nonzero (${(100 * nz.sparsity).toFixed(1)}% zeros)`, ...rows].join('\n');
}

/** Loads a float, quantized or sparse model file; anything else gets one clear line naming the file. */
export async function loadAnyModel(path: string, backend: Backend): Promise<AnyModel> {
  const bytes = await readFileFriendly(path, 'model file');
  const kind = modelKind(bytes);
  try {
    if (kind === 'quantized') {
      const q = loadQuantized(bytes, { backend });
      return wrap('quantized', q, lastActivation(q.layers as LayerSpec[]), () => q.summary());
    }
    if (kind === 'sparse') {
      const s = SparseModel.load(bytes, { backend });
      const acts = s.layers.map((l) => l.activation).filter((a) => a !== 'linear');
      return wrap('sparse', s, acts[acts.length - 1], () => describeSparse(s));
    }
    return wrapFloat(loadModel(bytes, { backend }));
  } catch (err) {
    if (err instanceof SimdnetError && err.code === 'FORMAT') throw new SimdnetError('FORMAT', `${path}: ${err.message}`);
    throw err;
  }
}
