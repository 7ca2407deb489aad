// `simdnet import` and `simdnet export`: models in from ONNX / TensorFlow.js, out to ONNX.
import { saveModel } from '../../io/format.js';
import { SimdnetError } from '../../errors.js';
import { type CommandSpec, type ParsedArgs, UsageError, getters } from '../args.js';
import {
  BACKEND_OPTION,
  type CliIo,
  type Command,
  kib,
  readFileFriendly,
  startBackend,
  writeFileFriendly,
} from '../common.js';
import { importModelFile, isTfjsPath, loadAnyModel } from '../models.js';

/** `model.onnx` → `model.simdnet`, `dir/model.json` → `dir/model.simdnet`. */
function besides(path: string, ext: string): string {
  return path.replace(/\.(onnx|json|simdnet)$/i, '') + ext;
}

// ---- import ----------------------------------------------------------------------------------------------------

const importSpec: CommandSpec = {
  name: 'import',
  summary: 'Import an ONNX model (PyTorch, scikit-learn, tf2onnx) or a TensorFlow.js layers model as a simdnet model.',
  usage: '<model.onnx | model.json> [-o model.simdnet]',
  positionals: ['<model.onnx | model.json>'],
  options: [
    BACKEND_OPTION,
    { name: 'name', type: 'string', value: 'name', help: "the model's name (default: the file's)" },
    {
      name: 'output',
      type: 'string',
      value: 'name',
      help: 'the ONNX graph output to import (a graph with several float outputs)',
    },
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to write the simdnet model',
      defaultText: '<model>.simdnet',
    },
  ],
  notes: [
    'A .json file is a TensorFlow.js layers model.json; its weight shards are read from beside it.',
    'evaluate, predict, info, quantize and prune also take an .onnx file or a model.json directly.',
    'examples:',
    '  simdnet import lenet.onnx -o lenet.simdnet',
    '  simdnet import tfjs-model/model.json',
  ],
};

async function importRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const path = args.positionals[0];
  const backend = await startBackend(args);
  const bytes = await readFileFriendly(path, 'model file');
  const output = g.str('output');
  if (output !== undefined && isTfjsPath(path))
    throw new UsageError('--output picks an output of an ONNX graph; a TensorFlow.js model has one');
  const { model, source } = await importModelFile(path, bytes, backend, g.str('name'), output).catch((err: unknown) => {
    if (err instanceof SimdnetError && !err.message.startsWith(path))
      throw new SimdnetError(err.code, `${path}: ${err.message}`);
    throw err;
  });
  try {
    const out = g.str('out') ?? besides(path, '.simdnet');
    const saved = saveModel(model);
    await writeFileFriendly(out, saved, 'model');
    io.out(`${path}: ${source}, ${kib(bytes.length)}\n${model.summary()}\n`);
    io.out(`wrote ${out} (${kib(saved.length)})\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

// ---- export ----------------------------------------------------------------------------------------------------

const exportSpec: CommandSpec = {
  name: 'export',
  summary: 'Export a simdnet model (float or int8) to ONNX for ONNX Runtime, TensorRT, OpenVINO and others.',
  usage: '<model.simdnet> [-o model.onnx] [options]',
  positionals: ['<model.simdnet>'],
  options: [
    BACKEND_OPTION,
    { name: 'opset', type: 'int', min: 13, max: 21, help: 'ONNX operator set version', defaultText: '13' },
    {
      name: 'int8',
      type: 'string',
      choices: ['integer', 'qdq'],
      help: "a quantized model's form: integer ops with simdnet's exact numbers, or standard QuantizeLinear/DequantizeLinear (TensorRT, OpenVINO)",
      defaultText: 'integer',
    },
    {
      name: 'input-name',
      type: 'string',
      value: 'name',
      help: "the graph input's name",
      defaultText: "the imported model's, else 'input'",
    },
    {
      name: 'output-name',
      type: 'string',
      value: 'name',
      help: "the graph output's name",
      defaultText: "the imported model's, else 'output'",
    },
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to write the ONNX file',
      defaultText: '<model>.onnx',
    },
  ],
  notes: [
    'A quantized model (simdnet quantize) exports its int8 layers: --int8 integer computes what simdnet computes, bit for bit;',
    '--int8 qdq writes the standard QDQ form (static scales only), which can differ at rare rounding ties.',
    'The graph takes rows as simdnet does: [batch, features], or NHWC images [batch, height, width, channels].',
    'example:  simdnet export models/mnist.simdnet -o mnist.onnx',
  ],
};

async function exportRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const path = args.positionals[0];
  const out = g.str('out') ?? besides(path, '.onnx');
  if (out === path) throw new UsageError(`--out would overwrite the model '${path}'`);
  if (isTfjsPath(out)) throw new UsageError(`--out '${out}': export writes ONNX (.onnx)`);
  const any = await loadAnyModel(path, await startBackend(args));
  try {
    const model = any.quantized ?? any.float;
    if (!model)
      throw new SimdnetError(
        'UNSUPPORTED',
        `${path} is a ${any.kind} model; export takes a float or quantized model (export the float model before pruning to sparse storage)`,
      );
    const { exportOnnx } = await import('../../onnx/export.js');
    const options: { opset?: number; inputName?: string; outputName?: string; int8?: 'integer' | 'qdq' } = {};
    if (g.str('int8') !== undefined) {
      if (!any.quantized) throw new UsageError(`--int8 is for quantized models; ${path} is a ${any.kind} model`);
      options.int8 = g.str('int8') as 'integer' | 'qdq';
    }
    if (g.num('opset') !== undefined) options.opset = g.num('opset');
    if (g.str('input-name') !== undefined) options.inputName = g.str('input-name');
    if (g.str('output-name') !== undefined) options.outputName = g.str('output-name');
    const bytes = exportOnnx(model, options);
    await writeFileFriendly(out, bytes, 'ONNX model');
    io.out(
      `wrote ${out} (${kib(bytes.length)}): ONNX opset ${options.opset ?? 13}, ${any.kind === 'quantized' ? `int8 graph (${options.int8 ?? 'integer'} form)` : 'float graph'}, input [batch, ${any.inputShape.join(', ')}]\n`,
    );
    return 0;
  } finally {
    any.dispose();
  }
}

/** The `import` command. */
export const importCommand: Command = { spec: importSpec, run: importRun };
/** The `export` command. */
export const exportCommand: Command = { spec: exportSpec, run: exportRun };
