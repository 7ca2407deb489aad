// exportOnnx: a Sequential or a QuantizedModel as an ONNX model (opset 13 by default, 13–21) that ONNX Runtime
// runs to the numbers simdnet's predict gives. The graph takes simdnet's rows as they are — [batch, 784] or NHWC
// [batch, h, w, c], with a dynamic batch — and gives its outputs (probabilities after a softmax/sigmoid head).
// How each layer type maps is in ./export-graph.ts (float) and ./export-quant.ts (int8, f16, mixed plans); int8
// layers are exact integer arithmetic by default, or the standard QDQ form (option int8: 'qdq', not bit-identical).
// The same model always gives the same bytes (names, order and constants are all derived from the model).
import { QuantizedModel } from '../compress/quantize.js';
import { SimdnetError, check } from '../errors.js';
import { inferShapes, type Shape } from '../layers/index.js';
import type { Conv2dSpec, DenseSpec } from '../layers/spec.js';
import { Sequential } from '../model/sequential.js';
import { encodeModel, floatTensor, valueInfo } from './codec.js';
import { checkExportable, floatKernel, GraphBuilder, kernelLayer, plainLayer, type Value } from './export-graph.js';
import { quantizedLayers, type Int8Form } from './export-quant.js';
import { DataType, type OnnxModel } from './types.js';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /**
   * Name of the graph input; default: the name the model was imported with (`metadata.onnx.inputName`), else
   * 'input'.
   */
  inputName?: string;
  /** Name of the graph output; default: `metadata.onnx.outputName`, else 'output'. */
  outputName?: string;
  /** The default-domain opset to declare, 13 (the default) to 21. */
  opset?: number;
  /** ModelProto.producer_name (default 'simdnet'). */
  producerName?: string;
  /**
   * How a QuantizedModel's int8-computing layers are written (ignored for a float model):
   * - 'integer' (default): integer arithmetic that redoes simdnet's steps, giving ORT the same bits as predict
   *   (static and dynamic scales); ops MatMulInteger / ConvInteger / QuantizeLinear at scale 1 (./export-quant.ts).
   * - 'qdq': the standard QuantizeLinear → DequantizeLinear form around float Gemm / Conv, with int8 zero points,
   *   per-output-channel weight scales and constant activation scales, as TensorRT, OpenVINO and ONNX Runtime's
   *   QDQ fusions take it. Static-scale models only (UNSUPPORTED for dynamic ones). Not bit-identical: ONNX's
   *   QuantizeLinear divides by the scale and saturates at −128 where simdnet multiplies by 1/s and clamps at
   *   −127, and the float ops sum in another order; rare rows differ by about one int8 step (measured in
   *   test/onnx/export.test.ts).
   */
  int8?: Int8Form;
}

/** What producer_version says. */
export const SIMDNET_VERSION = '0.1.0';

const MIN_OPSET = 13;
const MAX_OPSET = 21;

/** The IR version that came with each opset (onnx/docs/Versioning.md): the lowest a runtime must read. */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * The model as ONNX bytes. A Sequential exports its float layers (it must be built); a QuantizedModel exports the
 * int8 / f16 / f32 form it runs, computing the same numbers (see ./export-quant.ts; dynamic activation scales
 * are per ONNX batch, as simdnet's are per predict() batch). Throws UNSUPPORTED naming a layer type or an
 * activation without an ONNX form, STATE for an unbuilt model, DISPOSED for a disposed one.
 */
export function exportOnnx(model: Sequential | QuantizedModel, options: OnnxExportOptions = {}): Uint8Array {
  return encodeModel(exportOnnxModel(model, options));
}

/** @internal exportOnnx before encoding: the decoded form of the same model. */
export function exportOnnxModel(model: Sequential | QuantizedModel, options: OnnxExportOptions = {}): OnnxModel {
  const where = 'exportOnnx()';
  check(typeof options === 'object' && options !== null, 'RANGE', `${where}: options must be an object`);
  const opset = options.opset ?? MIN_OPSET;
  check(
    Number.isInteger(opset) && opset >= MIN_OPSET && opset <= MAX_OPSET,
    'RANGE',
    `${where}: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${String(opset)}`,
  );
  const int8Form = options.int8 ?? 'integer';
  check(
    int8Form === 'integer' || int8Form === 'qdq',
    'RANGE',
    `${where}: int8 must be 'integer' or 'qdq', got ${JSON.stringify(int8Form)}`,
  );
  const producerName = options.producerName ?? 'simdnet';
  check(
    typeof producerName === 'string',
    'RANGE',
    `${where}: producerName must be a string, got ${typeof producerName}`,
  );

  let isQuantized: boolean;
  if (model instanceof Sequential) {
    model.assertIdle(where);
    check(
      model.built,
      'STATE',
      `${where}: model '${model.name}' is not built (it has no weights yet): build or train it first`,
    );
    isQuantized = false;
  } else if ((model as unknown) instanceof QuantizedModel) {
    model.assertLive();
    isQuantized = true;
  } else {
    const kind = (model as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof model;
    throw new SimdnetError('DTYPE', `${where} takes a Sequential or a QuantizedModel, got ${kind}`);
  }

  const meta = (model.metadata?.onnx ?? {}) as { inputName?: unknown; outputName?: unknown };
  const inputName = nameOption(options.inputName, meta.inputName, 'input', 'inputName');
  const outputName = nameOption(options.outputName, meta.outputName, 'output', 'outputName');
  check(
    inputName !== outputName,
    'RANGE',
    `${where}: the input and the output are both named '${inputName}'; give them different names`,
  );

  const layers = isQuantized ? (model as QuantizedModel).parts.layers : (model as Sequential).layers;
  checkExportable(layers, where);
  const inputShape: Shape = [...model.inputShape!];
  const shapes = inferShapes(layers, inputShape);
  const b = new GraphBuilder([inputName, outputName]);
  let v: Value = { name: inputName, shape: inputShape, perm: [0, ...inputShape.map((_, i) => i + 1)], int8: false };
  v = isQuantized
    ? quantizedLayers(b, (model as QuantizedModel).parts, shapes, v, int8Form)
    : floatLayers(b, model as Sequential, shapes, v);
  v = b.natural(v, 'output');
  if (v.name === inputName) {
    // Nothing computed (linear activation layers alone): the output is the input.
    b.rename(b.node('Identity', [inputName], 'Identity'), outputName);
  } else {
    b.rename(v.name, outputName);
  }
  const outputShape = shapes[shapes.length - 1];
  return {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName,
    producerVersion: SIMDNET_VERSION,
    domain: '',
    modelVersion: 0,
    docString: isQuantized ? quantizedDoc((model as QuantizedModel).mode, int8Form) : '',
    graph: {
      name: model.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(inputName, DataType.FLOAT, ['batch', ...inputShape])],
      output: [valueInfo(outputName, DataType.FLOAT, ['batch', ...outputShape])],
      valueInfo: [],
    },
    metadataProps: [],
  };
}

/** What the model's doc_string says about a quantized model's activations. */
function quantizedDoc(mode: 'static' | 'dynamic', form: Int8Form): string {
  if (form === 'qdq')
    return 'simdnet quantized model in QDQ form: int8 layers as QuantizeLinear/DequantizeLinear with static scales around float ops';
  return mode === 'static'
    ? 'simdnet quantized model: int8 layers with static activation scales'
    : 'simdnet quantized model: int8 layers with dynamic activation scales, one per run over the whole input batch (as simdnet takes one per predict() batch)';
}

/** A graph input/output name: the option (checked), else the imported model's name for it, else the default. */
function nameOption(given: unknown, imported: unknown, fallback: string, what: string): string {
  if (given !== undefined) {
    check(
      typeof given === 'string' && given.length > 0,
      'RANGE',
      `exportOnnx(): ${what} must be a non-empty string, got ${JSON.stringify(given)}`,
    );
    return given;
  }
  return typeof imported === 'string' && imported.length > 0 ? imported : fallback;
}

/** A float model's layers, each with its tensors as getWeights() gives them. */
function floatLayers(b: GraphBuilder, model: Sequential, shapes: readonly Shape[], x: Value): Value {
  const weights = model.getWeights();
  const slots = model.tensors();
  const byLayer = model.layers.map(() => [] as Float32Array[]);
  slots.forEach((s, i) => byLayer[s.layer].push(weights[i].data));
  let v = x;
  model.layers.forEach((spec, i) => {
    const params = byLayer[i];
    if (spec.type === 'dense' || spec.type === 'conv2d') {
      const kernel = floatKernel(
        b,
        spec as DenseSpec | Conv2dSpec,
        weights[slots.findIndex((s) => s.layer === i)].shape,
        params[0],
      );
      const bias = spec.useBias
        ? b.init(`${spec.name}/bias`, (n) => floatTensor(n, [params[1].length], params[1]))
        : undefined;
      v = kernelLayer(b, spec, v, shapes[i], { kernel, ...(bias === undefined ? {} : { bias }) });
    } else {
      v = plainLayer(b, spec, v, shapes[i], shapes[i + 1], params);
    }
  });
  return v;
}
