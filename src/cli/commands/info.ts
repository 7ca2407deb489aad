// `simdnet info`: what is in a model file (layers, parameters, preprocessing, training) and what this runtime can do.
import { init } from '../../runtime/engine.js';
import { simdSupported } from '../../runtime/loader.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { type CliIo, type Command, kib, percent, readFileFriendly } from '../common.js';
import { loadAnyModel } from '../models.js';
import { preprocessingOf } from '../data.js';
import { shapeText } from '../layers.js';
import { listNames } from '../table.js';

const spec: CommandSpec = {
  name: 'info',
  summary: 'Describe a model file (layers, parameters, preprocessing, training results) and the runtime.',
  usage: '[model.simdnet | model.onnx | model.json]',
  positionals: ['[model.simdnet]?'],
  options: [{ name: 'json', type: 'boolean', help: 'print the model header as JSON' }],
};

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const runtime = `runtime: node ${process.versions.node}, WebAssembly SIMD ${simdSupported() ? 'yes' : 'no'}`;
  const path = args.positionals[0];
  if (path === undefined) {
    io.out(`${runtime}\n`);
    return 0;
  }
  const size = (await readFileFriendly(path, 'model file')).length;
  // Without SIMD the JS backend still reads the file, so info works everywhere.
  const backend = simdSupported() ? 'wasm' : 'js';
  await init({ backend });
  const any = await loadAnyModel(path, backend);
  try {
    const prep = preprocessingOf(any.metadata, any.inputDim);
    const model = any.float;
    const compile = model?.compileSettings();
    if (args.options.json === true) {
      const body: Record<string, unknown> = {
        file: path,
        bytes: size,
        kind: any.kind,
        ...(any.source ? { source: any.source } : {}),
        inputs: any.inputDim,
        inputShape: any.inputShape,
        outputs: any.outputDim,
      };
      if (model) Object.assign(body, { name: model.name, layers: model.layers, params: model.countParams(), compile });
      body.metadata = any.metadata;
      io.out(`${JSON.stringify(body, null, 1)}\n`);
      return 0;
    }
    const what =
      any.source ??
      { float: 'simdnet model', quantized: 'quantized simdnet model', sparse: 'sparse (pruned) simdnet model' }[
        any.kind
      ];
    io.out(`${path}: ${what}, ${kib(size)}\n`);
    if (any.inputShape.length > 1)
      io.out(`input: ${shapeText(any.inputShape)} (${any.inputDim} values per row, NHWC order)\n`);
    io.out(`${any.describe()}\n`);
    if (compile) {
      const o = compile.optimizer as { type: string; learningRate: number };
      io.out(`compiled: loss ${compile.loss}, optimizer ${o.type} (learning rate ${o.learningRate})\n`);
    }
    if (prep) {
      io.out(
        `task: ${prep.task}${prep.classes ? `, ${prep.classes.length} classes (${listNames(prep.classes)})` : ''}\n`,
      );
      if (prep.features) io.out(`input columns: ${listNames(prep.features)}\n`);
      if (prep.target?.length)
        io.out(`${prep.task === 'classification' ? 'label column' : 'target columns'}: ${prep.target.join(', ')}\n`);
      if (prep.oneHot)
        io.out(
          `one-hot: ${Object.entries(prep.oneHot)
            .map(([c, v]) => `${c} (${v.length} categories)`)
            .join(', ')}\n`,
        );
      if (prep.scaler)
        io.out(
          `scaling: ${prep.scaler.type === 'standardizer' ? 'standardize (mean 0, std 1)' : 'min-max to [0, 1]'}\n`,
        );
      if (prep.image) io.out(`images: ${shapeText(prep.image)}\n`);
    }
    const t = any.metadata.training as
      | { epochs?: number; bestEpoch?: number; test?: { accuracy?: number; loss?: number } }
      | undefined;
    if (t && typeof t === 'object') {
      const acc = t.test?.accuracy;
      io.out(
        `training: ${t.epochs} epochs, kept epoch ${(t.bestEpoch ?? 0) + 1}${acc !== undefined ? `, test accuracy ${percent(acc)}` : ''}\n`,
      );
    }
    io.out(`${runtime}\n`);
    return 0;
  } finally {
    any.dispose();
  }
}

/** The `info` command. */
export const infoCommand: Command = { spec, run };
