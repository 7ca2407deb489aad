// `simdnet quantize`, `prune` and `distill`: smaller models from a trained one (src/compress), with the sizes and
// accuracies before and after.
import { distill } from '../../compress/distill.js';
import { pruneMagnitude, startPruning, type SparsityReport } from '../../compress/prune.js';
import { SparseModel } from '../../compress/prune-sparse.js';
import { saveQuantized } from '../../compress/quant-format.js';
import { quantizeModel, type PrecisionPlan } from '../../compress/quantize.js';
import { SimdnetError } from '../../errors.js';
import { saveModel } from '../../io/format.js';
import { sequential, type Sequential } from '../../model/sequential.js';
import { progressLogger } from '../../train/progress.js';
import { adam } from '../../train/optimizers.js';
import { type CommandSpec, type OptionSpec, type ParsedArgs, UsageError, getters } from '../args.js';
import {
  BACKEND_OPTION,
  type CliIo,
  type Command,
  DATA_OPTIONS,
  dataForModel,
  kib,
  percent,
  readFileFriendly,
  startBackend,
  writeFileFriendly,
} from '../common.js';
import { inferShapes } from '../../layers/index.js';
import { type Prepared, type Preprocessing, applyPreprocessing, hwc, targetMatrix } from '../data.js';
import {
  declareInput,
  describeLayers,
  inputShapeFor,
  lastActivation,
  parseLayerJson,
  parseLayerList,
} from '../layers.js';
import { type AnyModel, loadAnyModel, wrapFloat } from '../models.js';

const TEST_OPTIONS: OptionSpec[] = [
  {
    name: 'test',
    type: 'string',
    value: 'file',
    help: 'labelled data to report accuracy on before and after (--mnist: its 2,000 test digits)',
  },
  { name: 'test-labels', type: 'string', value: 'file', help: 'IDX label file for --test' },
];

/** Loads a float model file (the input of every compression command). */
async function floatModel(path: string, args: ParsedArgs, what: string): Promise<Sequential> {
  const any = await loadAnyModel(path, await startBackend(args));
  if (!any.float) {
    any.dispose();
    throw new SimdnetError(
      'FORMAT',
      `${path} is a ${any.kind} model; ${what} takes a float model (as written by simdnet train)`,
    );
  }
  return any.float;
}

/** Prepared, labelled data from --data/--mnist (the training split for --mnist), or undefined when none is given. */
async function trainingData(
  args: ParsedArgs,
  model: AnyModel,
  need: string | undefined,
): Promise<{ data: Prepared; prep: Preprocessing } | undefined> {
  const g = getters(args);
  if (!g.flag('mnist') && g.str('data') === undefined) {
    if (need) throw new UsageError(`${need} needs data: give --data <file> (with --label for a table) or --mnist`);
    return undefined;
  }
  const { loaded, prep } = await dataForModel(args, model, 'train');
  // Unscaled: the model applies its own scaler (metadata.preprocessing) to the rows it gets.
  return { data: applyPreprocessing(loaded, prep, true, false), prep };
}

/** Prepared, labelled test data from --test (or the MNIST test digits with --mnist), or undefined. */
async function testData(args: ParsedArgs, model: AnyModel): Promise<Prepared | undefined> {
  const g = getters(args);
  const test = g.str('test');
  if (g.flag('mnist')) {
    if (test !== undefined) throw new UsageError('--mnist brings its own test digits; --test is for --data');
  } else if (test === undefined) {
    return undefined;
  }
  const options = { ...args.options, data: test, labels: g.str('test-labels'), limit: undefined };
  const { loaded, prep } = await dataForModel({ ...args, options }, model, 'test');
  const p = applyPreprocessing(loaded, prep, true, false);
  if (!p.y) throw new SimdnetError('FORMAT', 'the test data has no labels');
  return p;
}

/** Accuracy (classification) or mean squared error (regression) of a model on prepared data. */
function score(m: AnyModel, d: Prepared, prep: Preprocessing): string {
  if (prep.task === 'classification') {
    const pred = m.predictClasses(d.x);
    let right = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === d.labels![i]) right++;
    return `accuracy ${percent(right / pred.length)}`;
  }
  const p = m.predict(d.x).data;
  let se = 0;
  for (let i = 0; i < p.length; i++) se += (p[i] - d.y!.data[i]) ** 2;
  return `mse ${(se / p.length).toPrecision(5)}`;
}

function prepOf(m: AnyModel): Preprocessing | undefined {
  return m.metadata.preprocessing as Preprocessing | undefined;
}

function defaultOut(path: string, suffix: string): string {
  return path.replace(/(\.simdnet)?$/i, `.${suffix}.simdnet`);
}

// ---- quantize ------------------------------------------------------------------------------------------------

const quantizeSpec: CommandSpec = {
  name: 'quantize',
  summary: 'Quantize a trained model to int8 (or f16 / mixed) weights: ~4x smaller, faster inference.',
  usage: '<model.simdnet> [--data <file> | --mnist] [options]',
  positionals: ['<model.simdnet>'],
  options: [
    ...DATA_OPTIONS,
    ...TEST_OPTIONS,
    {
      name: 'precision',
      type: 'string',
      choices: ['int8', 'f16', 'mixed'],
      help: 'weight precision (mixed: int8 inside, f16 for the first and last layer)',
      defaultText: 'int8',
    },
    { name: 'weight-bits', type: 'int', min: 2, max: 8, help: 'bits of the int8 weight grid', defaultText: '8' },
    {
      name: 'calibration-rows',
      type: 'int',
      min: 1,
      help: 'rows of --data used to calibrate activation scales (static int8)',
      defaultText: '256',
    },
    BACKEND_OPTION,
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to write the quantized model',
      defaultText: '<model>.int8.simdnet',
    },
  ],
  notes: [
    'With --data or --mnist, activations are calibrated on its first rows (static int8); without, scales are found per batch (dynamic).',
    'evaluate, predict and info read the quantized file like any other model.',
    'example:  simdnet quantize models/mnist.simdnet --mnist',
  ],
};

async function quantizeRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const path = args.positionals[0];
  const model = await floatModel(path, args, 'quantize');
  const any = wrapFloat(model);
  try {
    const calib = await trainingData(args, any, undefined);
    const test = await testData(args, any);
    const plan = (g.str('precision') ?? 'int8') as PrecisionPlan;
    const rows = Math.min(g.num('calibration-rows') ?? 256, calib?.data.x.rows ?? 0);
    const q = quantizeModel(model, {
      plan,
      ...(g.num('weight-bits') !== undefined ? { weightBits: g.num('weight-bits') } : {}),
      ...(calib && rows > 0
        ? {
            calibration: {
              data: calib.data.x.data.subarray(0, rows * calib.data.x.cols),
              rows,
              cols: calib.data.x.cols,
            },
          }
        : {}),
    });
    try {
      const bytes = saveQuantized(q);
      const before = saveModel(model).length;
      const out = g.str('out') ?? defaultOut(path, plan === 'f16' ? 'f16' : plan === 'mixed' ? 'mixed' : 'int8');
      await writeFileFriendly(out, bytes, 'quantized model');
      io.out(`${q.summary()}\n`);
      io.out(
        `file: ${kib(before)} → ${kib(bytes.length)} (${(before / bytes.length).toFixed(1)}x smaller)${calib && rows > 0 ? `, activations calibrated on ${rows} rows` : ', dynamic activation scales'}\n`,
      );
      const prep = prepOf(any);
      if (test && prep) {
        const qa = {
          ...any,
          predict: (x: Prepared['x']) => q.predict(x),
          predictClasses: (x: Prepared['x']) => q.predictClasses(x),
        };
        io.out(`test: float ${score(any, test, prep)}, quantized ${score(qa, test, prep)} on ${test.x.rows} rows\n`);
      }
      io.out(`saved ${out}\n`);
      return 0;
    } finally {
      q.dispose();
    }
  } finally {
    model.dispose();
  }
}

// ---- prune ---------------------------------------------------------------------------------------------------

const pruneSpec: CommandSpec = {
  name: 'prune',
  summary:
    'Zero the smallest weights (magnitude pruning), optionally fine-tune with the zeros held, save dense or sparse.',
  usage: '<model.simdnet> --sparsity <0..1> [options]',
  positionals: ['<model.simdnet>'],
  options: [
    ...DATA_OPTIONS,
    ...TEST_OPTIONS,
    { name: 'sparsity', type: 'number', min: 0, max: 0.999, help: 'fraction of each kernel to set to zero (required)' },
    {
      name: 'scope',
      type: 'string',
      choices: ['layer', 'global'],
      help: 'per layer, or one threshold over all kernels',
      defaultText: 'layer',
    },
    {
      name: 'fine-tune',
      type: 'int',
      min: 0,
      max: 10000,
      help: 'epochs of training on --data/--mnist afterwards, pruned weights kept at zero',
      defaultText: '0',
    },
    { name: 'batch-size', type: 'int', short: 'b', min: 1, help: 'rows per fine-tuning step', defaultText: '64' },
    {
      name: 'sparse',
      type: 'boolean',
      help: 'write the sparse (CSR) model file: smaller, and faster at high sparsity',
    },
    { name: 'seed', type: 'int', help: 'seed of the fine-tuning', defaultText: '1' },
    BACKEND_OPTION,
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to write the pruned model',
      defaultText: '<model>.pruned.simdnet',
    },
  ],
  notes: ['example:  simdnet prune models/mnist.simdnet --sparsity 0.8 --fine-tune 1 --mnist --sparse'],
};

async function pruneRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const sparsity = g.num('sparsity');
  if (sparsity === undefined) throw new UsageError('prune needs --sparsity, e.g. --sparsity 0.8');
  const epochs = g.num('fine-tune') ?? 0;
  const path = args.positionals[0];
  const model = await floatModel(path, args, 'prune');
  const any = wrapFloat(model);
  try {
    const train = await trainingData(args, any, epochs > 0 ? '--fine-tune' : undefined);
    const test = await testData(args, any);
    const prep = prepOf(any);
    const before = test && prep ? score(any, test, prep) : undefined;
    const scope = (g.str('scope') ?? 'layer') as 'layer' | 'global';
    let rep: SparsityReport;
    if (epochs > 0) {
      if (!model.compileSettings())
        throw new SimdnetError('STATE', `${path} has no training settings (loss, optimizer) to fine-tune with`);
      const session = startPruning(model);
      try {
        rep = session.prune({ sparsity, scope });
        io.out(
          `pruned to ${(100 * rep.sparsity).toFixed(1)}% zeros; fine-tuning ${epochs} epoch${epochs === 1 ? '' : 's'} with the zeros held\n`,
        );
        const p = train!.prep;
        await model.fit(train!.data.x, targetMatrix(train!.data, model.outputDim, p), {
          epochs,
          batchSize: g.num('batch-size') ?? 64,
          seed: g.num('seed') ?? 1,
          callbacks: [progressLogger({ write: io.out, live: io.isTTY })],
          yieldEveryMs: 50,
        });
        rep = session.sparsity();
      } finally {
        session.end();
      }
    } else {
      rep = pruneMagnitude(model, { sparsity, scope });
    }
    for (const l of rep.layers)
      io.out(
        `${l.name.padEnd(14)} ${String(l.zeros).padStart(8)} of ${String(l.size).padStart(8)} weights zero (${(100 * l.sparsity).toFixed(1)}%)\n`,
      );
    const dense = saveModel(model);
    let bytes = dense;
    let after: AnyModel = any;
    let sparse: SparseModel | undefined;
    if (g.flag('sparse')) {
      sparse = SparseModel.fromModel(model);
      bytes = sparse.save();
      const s = sparse;
      after = { ...any, predict: (x) => s.predict(x), predictClasses: (x) => s.predictClasses(x) };
    }
    try {
      const original = (await readFileFriendly(path, 'model file')).length;
      const out = g.str('out') ?? defaultOut(path, g.flag('sparse') ? 'sparse' : 'pruned');
      await writeFileFriendly(out, bytes, 'pruned model');
      io.out(
        `total: ${(100 * rep.sparsity).toFixed(1)}% zeros; file ${kib(original)} → ${kib(bytes.length)}${g.flag('sparse') ? ' (sparse CSR)' : ' (dense: compresses well, e.g. gzip)'}\n`,
      );
      if (test && prep) io.out(`test: before ${before}, after ${score(after, test, prep)} on ${test.x.rows} rows\n`);
      io.out(`saved ${out}\n`);
    } finally {
      sparse?.dispose();
    }
    return 0;
  } finally {
    model.dispose();
  }
}

// ---- distill -------------------------------------------------------------------------------------------------

const distillSpec: CommandSpec = {
  name: 'distill',
  summary: "Train a smaller student model on a trained teacher's soft targets (knowledge distillation).",
  usage: '<teacher.simdnet> --layers <spec> (--data <file> | --mnist) [options]',
  positionals: ['<teacher.simdnet>'],
  options: [
    ...DATA_OPTIONS,
    ...TEST_OPTIONS,
    {
      name: 'layers',
      type: 'string',
      value: 'spec',
      help: "the student's layers, ending in softmax with the teacher's outputs, e.g. 32:relu,10:softmax",
    },
    { name: 'layers-file', type: 'string', value: 'file.json', help: "the student's layers as JSON" },
    { name: 'epochs', type: 'int', short: 'e', min: 0, max: 100000, help: 'passes over the data', defaultText: '10' },
    { name: 'batch-size', type: 'int', short: 'b', min: 1, help: 'rows per step', defaultText: '64' },
    {
      name: 'temperature',
      type: 'number',
      min: 0.01,
      max: 10000,
      help: 'softmax temperature of the soft targets',
      defaultText: '4',
    },
    {
      name: 'alpha',
      type: 'number',
      min: 0,
      max: 1,
      help: 'weight of the hard labels (the soft targets get 1 − alpha)',
      defaultText: '0.1',
    },
    { name: 'lr', type: 'number', min: 0, help: 'learning rate (Adam)', defaultText: '0.001' },
    {
      name: 'validation-split',
      type: 'number',
      min: 0,
      max: 0.9,
      help: 'share of rows held out for validation',
      defaultText: '0.1',
    },
    { name: 'seed', type: 'int', help: 'seed', defaultText: '1' },
    BACKEND_OPTION,
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to save the student',
      defaultText: '<teacher>.student.simdnet',
    },
  ],
  notes: ['example:  simdnet distill models/mnist.simdnet --mnist --layers 32:relu,10:softmax --epochs 10'],
};

async function distillRun(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const path = args.positionals[0];
  const text = g.str('layers');
  const file = g.str('layers-file');
  if ((text === undefined) === (file === undefined))
    throw new UsageError("distill needs the student's layers: --layers <spec> or --layers-file <file>");
  const parsed =
    file !== undefined
      ? parseLayerJson(new TextDecoder().decode(await readFileFriendly(file, 'layers file')), file)
      : parseLayerList(text!);
  const teacher = await floatModel(path, args, 'distill');
  const t = wrapFloat(teacher);
  let student: Sequential | undefined;
  try {
    const train = (await trainingData(args, t, 'distill'))!;
    const test = await testData(args, t);
    const prep = train.prep;
    if (prep.task !== 'classification')
      throw new UsageError('distill works on classifiers (softmax outputs); this teacher does regression');
    // The student reads the teacher's rows: as images when the teacher does (or the data are images) and the
    // student's layers take maps, else as flat vectors.
    const teacherShape = teacher.inputShape ?? [t.inputDim];
    const image = teacherShape.length > 1 ? teacherShape : prep.image && hwc(prep.image);
    const inputShape = inputShapeFor(parsed, t.inputDim, image);
    const layers = declareInput(parsed, inputShape);
    const outShape = inferShapes(layers, inputShape).at(-1)!;
    if (outShape.length !== 1 || outShape[0] !== teacher.outputDim || lastActivation(layers) !== 'softmax') {
      throw new UsageError(
        `the student must end like the teacher, in ${teacher.outputDim}:softmax (its last layer is ${describeLayers(layers.slice(-1))})`,
      );
    }
    const backend = teacher.backend;
    const s = sequential(layers, { backend, seed: g.num('seed') ?? 1, name: `${teacher.name}-student` });
    student = s;
    s.compile({
      loss: 'categoricalCrossentropy',
      optimizer: adam(g.num('lr') !== undefined ? { learningRate: g.num('lr') } : {}),
      metrics: ['accuracy'],
    });
    s.build(inputShape);
    // The student takes the teacher's rows as they come: it carries the teacher's preprocessing from the start.
    s.metadata = structuredClone(teacher.metadata);
    io.out(
      `teacher ${describeLayers(teacher.layers)} (${teacher.countParams().total} parameters) → student ${describeLayers(s.layers)} (${s.countParams().total} parameters)\n`,
    );
    const h = await distill(teacher, s, train.data.x, targetMatrix(train.data, teacher.outputDim, prep), {
      epochs: g.num('epochs') ?? 10,
      batchSize: g.num('batch-size') ?? 64,
      ...(g.num('temperature') !== undefined ? { temperature: g.num('temperature') } : {}),
      ...(g.num('alpha') !== undefined ? { alpha: g.num('alpha') } : {}),
      validationSplit: g.num('validation-split') ?? 0.1,
      seed: g.num('seed') ?? 1,
      callbacks: [progressLogger({ write: io.out, live: io.isTTY })],
      yieldEveryMs: 50,
    });
    s.metadata = {
      ...structuredClone(teacher.metadata),
      training: { seed: g.num('seed') ?? 1, epochs: h.epochs.length, distilledFrom: path },
    };
    const bytes = saveModel(s);
    const out = g.str('out') ?? defaultOut(path, 'student');
    await writeFileFriendly(out, bytes, 'student model');
    const tb = saveModel(teacher).length;
    io.out(`file: teacher ${kib(tb)}, student ${kib(bytes.length)} (${(tb / bytes.length).toFixed(1)}x smaller)\n`);
    if (test)
      io.out(
        `test: teacher ${score(t, test, prep)}, student ${score(wrapFloat(s), test, prep)} on ${test.x.rows} rows\n`,
      );
    io.out(`saved ${out}\n`);
    return 0;
  } finally {
    student?.dispose();
    teacher.dispose();
  }
}

/** The `quantize` command. */
export const quantizeCommand: Command = { spec: quantizeSpec, run: quantizeRun };
/** The `prune` command. */
export const pruneCommand: Command = { spec: pruneSpec, run: pruneRun };
/** The `distill` command. */
export const distillCommand: Command = { spec: distillSpec, run: distillRun };
