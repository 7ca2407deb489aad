/**
 * Any of the three model files the CLI writes, behind one small interface: the float model (SDNT), the quantized
 * model (SDNQ) and the sparse pruned model (SDSP). evaluate, predict, info and bench take each of them.
 */
import { loadQuantized } from '../compress/quant-format.js';
import type { QuantizedModel } from '../compress/quantize.js';
import { SparseModel } from '../compress/prune-sparse.js';
import type { Matrix } from '../data/matrix.js';
import { SimdnetError } from '../errors.js';
import { loadModel } from '../io/format.js';
import type { LayerSpec } from '../layers/index.js';
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

/** Wraps a float model. */
export function wrapFloat(m: Sequential): AnyModel {
  const act = lastActivation(m.layers);
  return {
    kind: 'float',
    inputDim: m.inputDim!,
    inputShape: m.inputShape ?? [m.inputDim!],
    outputDim: m.outputDim,
    metadata: m.metadata,
    classifier: act === 'softmax' || act === 'sigmoid',
    predict: (x) => m.predict(x),
    predictClasses: (x) => m.predictClasses(x),
    loss: (x, y) => (m.compileSettings() ? m.evaluate(x, y).loss : undefined),
    describe: () => m.summary(),
    dispose: () => m.dispose(),
    float: m,
  };
}

function wrapQuantized(q: QuantizedModel): AnyModel {
  const act = lastActivation(q.layers as LayerSpec[]);
  return {
    kind: 'quantized',
    inputDim: q.inputDim,
    inputShape: shapeOf(q),
    outputDim: q.outputDim,
    metadata: q.metadata,
    classifier: act === 'softmax' || act === 'sigmoid',
    predict: (x) => q.predict(x),
    predictClasses: (x) => q.predictClasses(x),
    loss: (x, y) => q.evaluate(x, y).loss,
    describe: () => q.summary(),
    dispose: () => q.dispose(),
  };
}

function wrapSparse(s: SparseModel): AnyModel {
  const acts = s.layers.map((l) => l.activation).filter((a) => a !== 'linear');
  const act = acts[acts.length - 1];
  return {
    kind: 'sparse',
    inputDim: s.inputDim,
    inputShape: shapeOf(s),
    outputDim: s.outputDim,
    metadata: s.metadata,
    classifier: act === 'softmax' || act === 'sigmoid',
    predict: (x) => s.predict(x),
    predictClasses: (x) => s.predictClasses(x),
    loss: (x, y) => s.evaluate(x, y).loss,
    describe: () => {
      const nz = s.nonzeros;
      // One line per layer: its type, a kernel's storage and nonzeros, the activation (whatever the layer types).
      const w = Math.max(14, ...s.layers.map((l) => l.name.length));
      const t = Math.max(...s.layers.map((l) => l.type.length));
      const rows = s.layers.map((l) => {
        const head = `${l.name.padEnd(w)} ${l.type.padEnd(t)}`;
        if (l.storage === undefined) return l.activation === 'linear' ? head.trimEnd() : `${head} ${l.activation}`;
        const io = l.inputs !== undefined && l.units !== undefined ? `${l.inputs}→${l.units}` : '';
        return `${head} ${io.padEnd(10)} ${l.activation.padEnd(8)} ${l.storage.padEnd(5)} ${l.nnz} nonzeros`;
      });
      return [`SparseModel ${s.name}: ${nz.nnz} of ${nz.size} weights nonzero (${(100 * nz.sparsity).toFixed(1)}% zeros)`, ...rows].join('\n');
    },
    dispose: () => s.dispose(),
  };
}

/** The sample shape of a compressed model ([inputDim] for files that do not record one). */
function shapeOf(m: { inputDim: number }): number[] {
  const shape = (m as { inputShape?: unknown }).inputShape;
  return Array.isArray(shape) ? [...(shape as number[])] : [m.inputDim];
}

/** Loads a float, quantized or sparse model file; anything else gets one clear line naming the file. */
export async function loadAnyModel(path: string, backend: Backend): Promise<AnyModel> {
  const bytes = await readFileFriendly(path, 'model file');
  const kind = modelKind(bytes);
  try {
    if (kind === 'quantized') return wrapQuantized(loadQuantized(bytes, { backend }));
    if (kind === 'sparse') return wrapSparse(SparseModel.load(bytes, { backend }));
    return wrapFloat(loadModel(bytes, { backend }));
  } catch (err) {
    if (err instanceof SimdnetError && err.code === 'FORMAT') throw new SimdnetError('FORMAT', `${path}: ${err.message}`);
    throw err;
  }
}
