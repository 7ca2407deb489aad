// importOnnx: an ONNX model (bytes or decoded) as a simdnet Sequential with the same outputs. The graph must be a
// chain from one input to one output of the ops simdnet has layers for (./import-map.ts maps them, ./import-graph.ts
// reads the graph); anything else is refused with a SimdnetError naming the node, never approximated.
import { SimdnetError, check } from '../errors.js';
import { checkMagnitudes } from '../io/bounds.js';
import { inferShapes, paramDefs } from '../layers/index.js';
import { Sequential } from '../model/sequential.js';
import type { Backend, Engine } from '../runtime/engine.js';
import { decodeModel } from './codec.js';
import { planImport, type ImportPlan } from './import-map.js';
import type { OnnxModel } from './types.js';

/** Options of {@link importOnnx}. */
export interface OnnxImportOptions {
  /** Kernels to run on (default 'wasm': call `await init()` first). */
  backend?: Backend;
  /** An engine of your own, instead of the backend's shared one. */
  engine?: Engine;
  /** The model's name (default: the graph's name, or 'onnx'). */
  name?: string;
  /**
   * The graph output to import (default: the graph's only FLOAT output). A classifier converted by skl2onnx has
   * `label` (int64 or string) and `probabilities`: the float one is taken and the label branch left out. Only the
   * nodes this output depends on are mapped.
   */
  output?: string;
}

/** What importOnnx remembers in `model.metadata.onnx` (the exporter writes the same names back). */
export interface OnnxImportInfo {
  /** The graph input the model reads. */
  inputName: string;
  /** The graph output imported. */
  outputName: string;
  /** The graph's other outputs, left out with the nodes only they need (e.g. skl2onnx's `label`). */
  droppedOutputs: string[];
  /** The ONNX input's and output's dims: sizes, the batch's symbolic name, or null when unknown. */
  inputDims: Array<number | string | null>;
  /** The ONNX output's dims, as inputDims. */
  outputDims: Array<number | string | null>;
  /** Version of the default operator set the file imports. */
  opset: number;
  /** The file's ONNX IR version. */
  irVersion: number;
  /** The tool that wrote the file (e.g. 'pytorch'). */
  producerName: string;
  /** That tool's version. */
  producerVersion: string;
  /** The graph's name in the file. */
  graphName: string;
}

/**
 * Builds a Sequential computing what an ONNX model computes, with its weights: PyTorch (torch.onnx.export),
 * skl2onnx and tf2onnx graphs of dense, convolution, pooling, batch norm, dropout and activation layers. The
 * model takes the ONNX input's rows unchanged (NCHW images too: a model with several input channels starts with
 * a permute layer) and can be trained further, frozen, quantized and pruned like any other; it counts as trained.
 * Weights that are finite but so large that a forward pass on inputs with |x| <= 1e3 could overflow f32 are refused
 * (FORMAT naming the initializer), as simdnet's own loaders refuse them.
 * @throws SimdnetError FORMAT for a broken file, UNSUPPORTED for valid ONNX simdnet cannot represent, NONFINITE for
 *   NaN/Inf weights; the message names the node (or initializer) and what is supported.
 */
export function importOnnx(source: Uint8Array | ArrayBuffer | OnnxModel, options: OnnxImportOptions = {}): Sequential {
  check(typeof options === 'object' && options !== null, 'RANGE', 'importOnnx(): options must be an object');
  check(
    options.output === undefined || typeof options.output === 'string',
    'RANGE',
    'importOnnx(): options.output must be the name of a graph output',
  );
  // A ZipMap output decodes as a 'sequence' value and string class labels as a counted STRING tensor: planImport
  // leaves them out when the chosen output does not need them, and refuses them (with the zipmap hint) when it does.
  const model = source instanceof Uint8Array || source instanceof ArrayBuffer ? decodeModel(source) : source;
  if (typeof model !== 'object' || model === null || typeof model.graph !== 'object' || model.graph === null) {
    throw new SimdnetError('FORMAT', 'importOnnx() takes the bytes of an .onnx file or a decoded ONNX model');
  }
  const plan = planImport(model, options.output);
  checkPlanMagnitudes(plan);
  const name = options.name ?? (typeof model.graph.name === 'string' && model.graph.name ? model.graph.name : 'onnx');
  const seq = new Sequential(plan.layers, { backend: options.backend, engine: options.engine, name });
  try {
    seq.build(plan.inputShape, undefined, false);
    seq.setWeights(
      seq.getWeights().map((w) => {
        const data = plan.weights.get(w.name);
        // Every parameter the layers declare comes from the graph; a gap would be an importer bug.
        if (!data) throw new Error(`importOnnx: no weights for ${w.name}`);
        return { shape: w.shape, data };
      }),
    );
  } catch (err) {
    seq.dispose();
    throw err;
  }
  const info: OnnxImportInfo = {
    inputName: plan.inputName,
    outputName: plan.outputName,
    droppedOutputs: plan.droppedOutputs,
    inputDims: plan.onnxInputDims,
    outputDims: plan.onnxOutputDims,
    opset: plan.opset,
    irVersion: model.irVersion,
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    graphName: model.graph.name ?? '',
  };
  seq.metadata = { onnx: info };
  // Trained elsewhere: transfer(), quantizeModel() and distillation accept it as a trained model.
  seq.trainedSteps = 1;
  return seq;
}

/**
 * The loaders' magnitude check (io/bounds.ts) on the weights as the layers will compute with them (after the
 * layout conversions and folded alpha/beta/bias Adds), before anything is allocated: an initializer whose values
 * would overflow f32 in a forward pass is refused with FORMAT, naming it.
 */
function checkPlanMagnitudes(plan: ImportPlan): void {
  const defs = paramDefs(plan.layers, inferShapes(plan.layers, plan.inputShape));
  checkMagnitudes(
    plan.layers,
    plan.inputShape,
    (i) => {
      if (defs[i].length === 0) return { kind: 'none' };
      const keys = defs[i].map((d) => `${plan.layers[i].name}/${d.name}`);
      return {
        kind: 'float',
        tensors: keys.map((k) => plan.weights.get(k) ?? new Float32Array(0)),
        names: keys.map((k) => `ONNX ${plan.sources.get(k) ?? k}`),
      };
    },
    (why) => {
      throw new SimdnetError('FORMAT', `importOnnx(): ${why}`);
    },
  );
}
