// `simdnet train`: data → preprocessing → model → fit with progress and early stopping → model file + report.
import type { Matrix } from '../../data/matrix.js';
import { SimdnetError } from '../../errors.js';
import { saveModel } from '../../io/format.js';
import { dense, inferShapes, type Activation, type LayerSpec, type Shape } from '../../layers/index.js';
import { sequential } from '../../model/sequential.js';
import { earlyStopping, type Callback, type History } from '../../train/callbacks.js';
import type { LossName } from '../../train/losses.js';
import { adagrad, adam, rmsprop, sgd } from '../../train/optimizers.js';
import { progressLogger } from '../../train/progress.js';
import { type CommandSpec, type ParsedArgs, UsageError, getters } from '../args.js';
import {
  BACKEND_OPTION,
  type CliIo,
  type Command,
  DATA_OPTIONS,
  dataArgs,
  limitRows,
  mnistData,
  percent,
  readFileFriendly,
  startBackend,
  writeFileFriendly,
} from '../common.js';
import {
  type ImageShape,
  type Loaded,
  type Prepared,
  type Preprocessing,
  applyPreprocessing,
  fitPreprocessing,
  hwc,
  loadData,
  rowsOf,
  trainNumericColumns,
} from '../data.js';
import {
  declareInput,
  describeLayers,
  inputShapeFor,
  lastActivation,
  parseImageShape,
  parseLayerJson,
  parseLayerList,
  shapeText,
} from '../layers.js';
import { trainingReport } from '../svg.js';

/** The MNIST jobs' layers: the MLP of `npm start`, and the CNN of `--cnn` (on 28×28×1 digits). */
const MNIST_MLP = '256:relu,dropout:0.2,10:softmax';
export const MNIST_CNN =
  'conv:16x5:relu,maxpool:2,conv:32x5:relu,maxpool:2,flatten,dropout:0.3,128:relu,dropout:0.3,10:softmax';

const spec: CommandSpec = {
  name: 'train',
  summary:
    'Train a network (dense or convolutional) on a CSV/JSON/IDX file or the built-in MNIST digits; save the model and an SVG report.',
  usage: '(--data <file> --label <column> | --mnist) [options]',
  positionals: [],
  options: [
    ...DATA_OPTIONS,
    { name: 'test', type: 'string', value: 'file', help: 'held-out data (same format) evaluated after training' },
    { name: 'test-labels', type: 'string', value: 'file', help: 'IDX label file for --test' },
    { name: 'one-hot', type: 'string', value: 'a,b,…', help: 'one-hot encode these categorical input columns' },
    {
      name: 'standardize',
      type: 'boolean',
      help: 'scale each input column to mean 0, std 1 (fitted on the training data, saved in the model)',
      defaultText: 'on for tables and JSON arrays; off for images',
    },
    { name: 'no-standardize', type: 'boolean', help: 'leave the input columns as they are (no scaler)' },
    {
      name: 'minmax',
      type: 'boolean',
      help: 'scale each input column to [0, 1] (fitted on the training data, saved in the model)',
    },
    {
      name: 'task',
      type: 'string',
      choices: ['classification', 'regression'],
      help: 'what to learn',
      defaultText: 'from the labels',
    },
    {
      name: 'layers',
      type: 'string',
      value: 'spec',
      help: 'layers, e.g. 128:relu,dropout:0.2,10:softmax or conv:8x5:relu,maxpool:2,flatten,10:softmax (grammar: docs/cli.md)',
      defaultText:
        "tables 100:relu,<outputs> (scikit-learn MLPClassifier's); images 64:relu,<outputs>; MNIST 256:relu,dropout:0.2,10:softmax",
    },
    {
      name: 'layers-file',
      type: 'string',
      value: 'file.json',
      help: 'layers as JSON: [{"type":"conv2d","filters":8,"kernelSize":3}, {"type":"flatten"}, …] (every layer type)',
    },
    {
      name: 'image-shape',
      type: 'string',
      value: 'HxWxC',
      help: 'rows are images of this shape (NHWC order, e.g. 28x28x1): convolutional layers take it',
      defaultText: 'IDX/MNIST images: theirs',
    },
    {
      name: 'cnn',
      type: 'boolean',
      help: `with --mnist: train the CNN ${MNIST_CNN} (Adam lr 0.002 decaying to 0.0002, batch 32, 20 epochs on all 8,000 digits) into models/mnist-cnn.simdnet`,
    },
    {
      name: 'epochs',
      type: 'int',
      short: 'e',
      min: 0,
      max: 100000,
      help: 'passes over the training data (at most: see --patience)',
      defaultText: 'tables: ~4000 steps, 20–300 epochs; images 20; MNIST 15; --cnn 20',
    },
    {
      name: 'batch-size',
      type: 'int',
      short: 'b',
      min: 1,
      max: 1 << 20,
      help: 'rows per training step',
      defaultText: '32; MNIST 64; --cnn 32',
    },
    {
      name: 'optimizer',
      type: 'string',
      choices: ['adam', 'sgd', 'rmsprop', 'adagrad'],
      help: 'optimizer',
      defaultText: 'adam',
    },
    { name: 'lr', type: 'number', min: 0, help: 'learning rate', defaultText: '0.001 adam (--cnn 0.002), 0.01 sgd' },
    {
      name: 'lr-decay',
      type: 'number',
      min: 1e-6,
      max: 1,
      value: 'f',
      help: 'end the run at f times the learning rate (exponential decay per epoch: lr·f^(epoch/epochs))',
      defaultText: '1; --cnn 0.1',
    },
    {
      name: 'validation-split',
      type: 'number',
      min: 0,
      max: 0.9,
      help: 'share of the training rows held out to pick the best epoch',
      defaultText: 'tables 0 (stop on the training loss); images 0.1; --cnn 0',
    },
    {
      name: 'patience',
      type: 'int',
      min: 0,
      help: 'stop after this many epochs without a better validation score (training loss: better by 1e-4)',
      defaultText: 'tables 10; images 5; MNIST 4; --cnn 6',
    },
    {
      name: 'shift',
      type: 'int',
      min: 0,
      max: 8,
      help: 'augment one-channel images with random shifts of up to this many pixels',
      defaultText: '0; MNIST 2',
    },
    { name: 'seed', type: 'int', help: 'seed for weights, shuffling, split, dropout', defaultText: '1' },
    BACKEND_OPTION,
    {
      name: 'out',
      type: 'string',
      short: 'o',
      value: 'file',
      help: 'where to save the model',
      defaultText: 'model.simdnet; MNIST models/mnist.simdnet, --cnn models/mnist-cnn.simdnet',
    },
    {
      name: 'report',
      type: 'string',
      value: 'file.svg',
      help: 'where to write the SVG report (a .json with the curves goes beside it)',
      defaultText: '<out>.report.svg',
    },
  ],
  notes: [
    '--layers items: N[:act] (dense)  dropout:R  act  conv:FxK[xK2][/S][:same][:act]  maxpool[:P[/S][:same]]',
    '                avgpool[:P[/S][:same]]  gap  flatten  reshape:HxWxC  bn[:MOMENTUM]',
    '  (act: linear, relu, leakyRelu, sigmoid, tanh, softmax; the input shape comes from --image-shape or the data)',
    'examples:',
    '  simdnet train --mnist',
    '  simdnet train --mnist --cnn',
    '  simdnet train --data digits.csv --label digit --image-shape 8x8x1 --layers conv:8x3:relu,maxpool:2,flatten,10:softmax',
    '  simdnet train --data iris.csv --label species --test iris-test.csv   (tables: standardized, 100:relu, epochs by size)',
    '  simdnet train --data iris.csv --label species --no-standardize --layers 16:relu,3:softmax --epochs 100',
    '  simdnet train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz --layers 128:relu,10:softmax',
    'Ctrl-C stops after the current batch and saves the best weights so far (exit code 130).',
  ],
};

interface Settings {
  epochs: number;
  batchSize: number;
  patience: number;
  shift: number;
  seed: number;
  validationSplit: number;
  /** Learning rate when --lr is not given (undefined: the optimizer's default). */
  lr: number | undefined;
  /** The learning rate at the end of the run, as a fraction of the first (1: constant). */
  lrDecay: number;
  out: string;
  report: string;
  /** Smallest improvement early stopping counts. */
  minDelta: number;
}

function settings(args: ParsedArgs, mnist: boolean, cnn: boolean): Settings {
  const g = getters(args);
  const out = g.str('out') ?? (cnn ? 'models/mnist-cnn.simdnet' : mnist ? 'models/mnist.simdnet' : 'model.simdnet');
  const base = out.replace(/\.simdnet$/i, '');
  return {
    epochs: g.num('epochs') ?? (cnn ? 20 : mnist ? 15 : 20),
    batchSize: g.num('batch-size') ?? (cnn ? 32 : mnist ? 64 : 32),
    patience: g.num('patience') ?? (cnn ? 6 : mnist ? 4 : 5),
    shift: g.num('shift') ?? (mnist ? 2 : 0),
    seed: g.num('seed') ?? 1,
    // The CNN job trains on all 8,000 digits: its fixed schedule (20 epochs decaying to a tenth of the rate)
    // needs no held-out epoch choice, and measured better without one (seeds 1–3: 99.00 / 98.95 / 98.85 % against
    // 98.90 / 98.30 / 98.40 % with 10 % held out and early stopping).
    validationSplit: g.num('validation-split') ?? (cnn ? 0 : 0.1),
    lr: g.num('lr') ?? (cnn && g.str('optimizer') !== 'sgd' ? 0.002 : undefined),
    // Measured on the MNIST CNN (seeds 2 and 3, 20 epochs): decaying to a tenth ends at 98.9 / 99.1 %, a constant
    // rate wanders between 98.25 and 98.9 % over the last epochs.
    lrDecay: g.num('lr-decay') ?? (cnn ? 0.1 : 1),
    out,
    report: g.str('report') ?? `${base}.report.svg`,
    minDelta: 0,
  };
}

/**
 * Defaults for tables (not images, not MNIST), scaled to the data as scikit-learn's MLPClassifier is: no held-out
 * rows, stop when the training loss has not improved by 1e-4 for `patience` epochs, and at most about 4,000
 * optimizer steps (20–300 epochs): a 100-row table gets the steps it needs, a big one is not run for hundreds of
 * epochs. Options given on the command line win.
 */
function tableSettings(args: ParsedArgs, s: Settings, trainRows: number): void {
  const g = getters(args);
  const steps = Math.ceil(trainRows / Math.min(s.batchSize, trainRows));
  s.epochs = g.num('epochs') ?? Math.min(300, Math.max(20, Math.ceil(TABLE_STEPS / steps)));
  s.validationSplit = g.num('validation-split') ?? 0;
  s.patience = g.num('patience') ?? 10;
  s.minDelta = s.validationSplit > 0 ? 0 : 1e-4;
}

/** Optimizer steps a table's default run allows (see tableSettings). */
const TABLE_STEPS = 4000;

async function readLayers(
  args: ParsedArgs,
  prep: Preprocessing,
  mnist: boolean,
  cnn: boolean,
  table: boolean,
): Promise<LayerSpec[]> {
  const g = getters(args);
  const text = g.str('layers');
  const file = g.str('layers-file');
  if (text !== undefined && file !== undefined) throw new UsageError('give either --layers or --layers-file, not both');
  if (file !== undefined)
    return parseLayerJson(new TextDecoder().decode(await readFileFriendly(file, 'layers file')), file);
  if (text !== undefined) return parseLayerList(text);
  const outputs = prep.task === 'classification' ? prep.classes!.length : (prep.target?.length ?? 1);
  if (cnn) return parseLayerList(MNIST_CNN);
  if (mnist) return parseLayerList(MNIST_MLP);
  if (table) {
    // scikit-learn's MLPClassifier / MLPRegressor: one hidden layer of 100 relu units, Glorot-uniform weights (its
    // initialization; measured on iris / wine with seeds 1–5: 98.4 / 100 % against 96.3 / 99.6 % with He-normal).
    const init = { kernelInitializer: 'glorotUniform' } as const;
    return [
      dense(100, { activation: 'relu', ...init }),
      dense(outputs, { activation: prep.task === 'classification' ? 'softmax' : 'linear', ...init }),
    ];
  }
  return parseLayerList(prep.task === 'classification' ? `64:relu,${outputs}:softmax` : `64:relu,${outputs}`);
}

/** The loss for the model's output and the task, or a clear error when the output does not fit the data. */
function chooseLoss(out: Shape, act: Activation, prep: Preprocessing, yCols: number): LossName {
  const classes = prep.task === 'classification' ? prep.classes!.length : 0;
  const end = classes > 0 ? `${classes}:softmax` : `${yCols}`;
  if (out.length !== 1) {
    throw new UsageError(
      `the layers end in ${shapeText(out)} maps, not one vector per row: end them with flatten (or gap) and a dense layer, e.g. …,flatten,${end}`,
    );
  }
  const units = out[0];
  if (prep.task === 'classification') {
    const k = classes;
    if (units === 1 && k === 2) {
      if (act !== 'sigmoid')
        throw new UsageError(`a one-unit classifier needs a sigmoid output (write 1:sigmoid), not ${act}`);
      return 'binaryCrossentropy';
    }
    if (units !== k) {
      throw new UsageError(
        `the layers end in ${units} outputs but the data has ${k} classes (${prep.classes!.slice(0, 10).join(', ')}${k > 10 ? ', …' : ''}): end the layers with ${k}:softmax`,
      );
    }
    if (act !== 'softmax')
      throw new UsageError(
        `a ${k}-class classifier needs a softmax output (end the layers with ${k}:softmax), not ${act}`,
      );
    return 'categoricalCrossentropy';
  }
  if (units !== yCols)
    throw new UsageError(
      `the layers end in ${units} outputs but there ${yCols === 1 ? 'is 1 target' : `are ${yCols} targets`}`,
    );
  return 'mse';
}

/**
 * The image shape of the rows: --image-shape (checked against the row width), else the data's own (IDX, MNIST).
 * Undefined for data that are not images.
 */
function imageOf(args: ParsedArgs, prep: Preprocessing, source: string): { image?: ImageShape; explicit: boolean } {
  const text = getters(args).str('image-shape');
  if (text === undefined) return prep.image ? { image: prep.image, explicit: false } : { explicit: false };
  const image = parseImageShape(text);
  const n = image[0] * image[1] * image[2];
  if (n !== prep.inputs) {
    throw new SimdnetError(
      'SHAPE',
      `--image-shape ${image.join('x')} needs ${n} values per row, but ${source} has ${prep.inputs}${prep.input === 'table' ? ` (${prep.features!.length} input columns)` : ''}`,
    );
  }
  return { image, explicit: true };
}

/** For a one-unit sigmoid classifier the target is the class index (0/1) itself. */
function targetsFor(data: Prepared, loss: LossName): Matrix {
  if (loss === 'binaryCrossentropy')
    return { data: Float32Array.from(data.labels!), rows: data.labels!.length, cols: 1 };
  return data.y!;
}

async function loadTrainData(args: ParsedArgs, s: Settings): Promise<{ train: Loaded; test?: Loaded }> {
  const g = getters(args);
  if (g.flag('mnist')) {
    if (g.str('data') !== undefined) throw new UsageError('give either --mnist or --data, not both');
    if (g.str('test') !== undefined)
      throw new UsageError('--mnist brings its own 2,000 test digits; --test is for --data');
    return { train: limitRows(mnistData('train', s.seed), g.num('limit')), test: mnistData('test', s.seed) };
  }
  const d = dataArgs(args);
  const train = limitRows(await loadData(d, { numeric: trainNumericColumns(d), needLabel: true }), g.num('limit'));
  const testPath = g.str('test');
  if (testPath === undefined) return { train };
  const td = { ...d, data: testPath };
  delete td.labels;
  if (g.str('test-labels') !== undefined) td.labels = g.str('test-labels');
  return { train, test: await loadData(td, { numeric: trainNumericColumns(d) }) };
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const mnist = g.flag('mnist');
  const cnn = g.flag('cnn');
  if (cnn && !mnist)
    throw new UsageError(
      '--cnn trains the MNIST CNN (use it with --mnist); for other images give --image-shape and --layers conv:…',
    );
  if (g.flag('standardize') && g.flag('minmax')) throw new UsageError('choose one of --standardize and --minmax');
  if (g.flag('no-standardize') && (g.flag('standardize') || g.flag('minmax')))
    throw new UsageError(
      `--no-standardize leaves the columns unscaled: leave out --${g.flag('minmax') ? 'minmax' : 'standardize'}`,
    );
  const s = settings(args, mnist, cnn);
  const backend = await startBackend(args);
  const t0 = performance.now();
  const { train, test } = await loadTrainData(args, s);
  const task = g.str('task') as Preprocessing['task'] | undefined;
  // Tables (and JSON arrays that are not images) are standardized unless told otherwise; images keep their pixels.
  const table = !mnist && !(train.kind === 'matrix' && train.image) && g.str('image-shape') === undefined;
  const scale =
    g.flag('standardize') || (table && !g.flag('minmax') && !g.flag('no-standardize'))
      ? 'standardize'
      : g.flag('minmax')
        ? 'minmax'
        : undefined;
  const { prep, data } = fitPreprocessing(train, dataArgs(args), {
    ...(task ? { task } : {}),
    ...(scale ? { scale } : {}),
  });
  const source = train.kind === 'table' ? train.table.source : train.source;
  const what =
    prep.task === 'classification'
      ? `${prep.classes!.length} classes`
      : `${data.y!.cols} target${data.y!.cols > 1 ? 's' : ''} (regression)`;
  io.out(
    `data: ${source}, ${rowsOf(train)} rows × ${prep.inputs} inputs, ${what} (read in ${((performance.now() - t0) / 1000).toFixed(1)}s)\n`,
  );
  const { image, explicit } = imageOf(args, prep, source);

  // The model's input: the first layer's declared shape, else the image shape when the layers take maps, else flat
  // rows. The first layer then declares it, so the saved layers say what they take.
  const parsed = await readLayers(args, prep, mnist, cnn, table && !prep.image);
  const inputShape = inputShapeFor(parsed, prep.inputs, image && hwc(image), explicit);
  const layers = declareInput(parsed, inputShape);
  const shapes = inferShapes(layers, inputShape);
  if (explicit) prep.image = image;
  else if (!prep.image && inputShape.length === 3) prep.image = inputShape as ImageShape; // declared by a layers file
  if (s.shift > 0) {
    if (!prep.image)
      throw new UsageError(
        '--shift augments images; this data has no image shape (give --image-shape HxWxC, or use --mnist or 3-D IDX images)',
      );
    const [h, w, c] = hwc(prep.image);
    if (c !== 1)
      throw new UsageError(
        `--shift moves one-channel images; these rows are ${h}×${w}×${c} images (leave --shift out, or give --shift 0)`,
      );
  }
  const loss = chooseLoss(shapes[shapes.length - 1], lastActivation(layers), prep, data.y!.cols);
  if (table && !prep.image && !shapes.some((sh) => sh.length > 1)) tableSettings(args, s, data.x.rows);
  if (!scale) warnScales(data.x, prep, io);
  const y = targetsFor(data, loss);
  let testData: { x: Matrix; y: Matrix; rows: number } | undefined;
  if (test) {
    const p = applyPreprocessing(test, prep, true, true);
    if (!p.y) throw new SimdnetError('FORMAT', 'the --test data has no labels');
    testData = { x: p.x, y: targetsFor(p, loss), rows: p.x.rows };
  }
  const convolutional = shapes.some((sh) => sh.length > 1);
  const model = sequential(layers, {
    backend,
    seed: s.seed,
    name: `${mnist ? 'mnist' : 'simdnet'}-${convolutional ? 'cnn' : 'mlp'}`,
  });
  try {
    const lr = s.lr;
    const lrOption = lr !== undefined ? { learningRate: lr } : {};
    const name = g.str('optimizer') ?? 'adam';
    const optimizer =
      name === 'sgd'
        ? sgd(lrOption)
        : name === 'rmsprop'
          ? rmsprop(lrOption)
          : name === 'adagrad'
            ? adagrad(lrOption)
            : adam(lrOption);
    const classification = prep.task === 'classification';
    model.compile({ loss, optimizer, metrics: classification ? ['accuracy'] : [] });
    model.build(inputShape);
    io.out(`${model.summary()}\n`);
    const hasVal = s.validationSplit > 0;
    // Validation loss is the smoother signal on small data; MNIST keeps the main job's val_accuracy.
    const monitor = mnist ? (hasVal ? 'val_accuracy' : 'accuracy') : hasVal ? 'val_loss' : 'loss';
    const stop = earlyStopping({ monitor, patience: s.patience, minDelta: s.minDelta });

    // Ctrl-C: finish the current batch, keep the best weights, save, exit 130. A second Ctrl-C quits at once.
    let interrupted = false;
    const onSigint = (): void => {
      if (interrupted) process.exit(130);
      interrupted = true;
      model.stopTraining = true;
      io.out(
        `${io.isTTY ? '\n' : ''}interrupted: stopping after this batch and saving the best weights so far (Ctrl-C again to quit now)\n`,
      );
    };
    process.on('SIGINT', onSigint);
    const t1 = performance.now();
    let history: History;
    try {
      history = await model.fit(data.x, y, {
        epochs: s.epochs,
        batchSize: s.batchSize,
        validationSplit: s.validationSplit,
        seed: s.seed,
        ...(s.shift > 0 ? { augment: { imageShape: [prep.image![0], prep.image![1]], maxShift: s.shift } } : {}),
        callbacks: [
          progressLogger({ write: io.out, live: io.isTTY }),
          stop,
          ...(s.lrDecay < 1 ? [decayLearningRate(s.lrDecay, s.epochs)] : []),
        ],
        // Let Ctrl-C (a macrotask) through between batches.
        yieldEveryMs: 50,
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
    const secs = (performance.now() - t1) / 1000;
    const epochsRun = history.epochs.length;
    if (!interrupted && !history.stoppedEarly) warnStillFalling(history.history.loss ?? [], io);
    const best = history.bestEpoch ?? epochsRun - 1;
    io.out(
      `trained ${epochsRun} epoch${epochsRun === 1 ? '' : 's'} in ${secs.toFixed(1)}s; kept the weights of epoch ${best + 1}` +
        (interrupted ? ' (interrupted)' : history.stoppedEarly ? ' (stopped early)' : '') +
        '\n',
    );
    const lines = [
      `data: ${source}, ${rowsOf(train)} rows, ${prep.inputs} inputs, ${what}`,
      `model: input ${shapeText(inputShape)}, ${describeLayers(model.layers)} (${model.countParams().total} parameters), ${loss}, ${g.str('optimizer') ?? 'adam'}${lr !== undefined ? ` lr ${lr}` : ''}${s.lrDecay < 1 ? ` decaying ×${s.lrDecay} over the run` : ''}, batch ${s.batchSize}, seed ${s.seed}`,
      `trained ${epochsRun} epochs in ${secs.toFixed(1)}s on ${backend}; kept epoch ${best + 1}${interrupted ? ' (interrupted)' : history.stoppedEarly ? ' (stopped early)' : ''}`,
    ];
    const testResult: Record<string, number> = {};
    if (testData && epochsRun > 0) {
      const r = model.evaluate(testData.x, testData.y);
      testResult.loss = r.loss;
      const where = mnist ? 'held-out digits' : 'test rows';
      const line =
        r.accuracy !== undefined
          ? `test: loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)} on ${testData.rows} ${where}`
          : `test: loss ${r.loss.toFixed(4)} on ${testData.rows} ${where}`;
      if (r.accuracy !== undefined) testResult.accuracy = r.accuracy;
      io.out(`${line}\n`);
      lines.push(line);
    }
    model.metadata = {
      ...model.metadata,
      preprocessing: prep,
      training: {
        seed: s.seed,
        epochs: epochsRun,
        bestEpoch: best,
        interrupted,
        ...(mnist ? { mnist: true } : {}),
        test: testResult,
      },
    };
    const bytes = saveModel(model);
    await writeFileFriendly(s.out, bytes, 'model file');
    io.out(`saved ${s.out} (${(bytes.length / 1024).toFixed(1)} KiB)\n`);
    const svg = trainingReport({
      title: `simdnet train: ${mnist ? 'MNIST digits' : source}`,
      history: history.history,
      lines,
      bestEpoch: best,
    });
    const json = JSON.stringify(
      {
        history: history.history,
        bestEpoch: best,
        stoppedEarly: history.stoppedEarly ?? false,
        interrupted,
        test: testResult,
        seconds: secs,
      },
      null,
      1,
    );
    await writeFileFriendly(s.report, svg, 'report');
    await writeFileFriendly(`${s.report.replace(/\.svg$/i, '')}.json`, json, 'report');
    io.out(`report ${s.report}\n`);
    return interrupted ? 130 : 0;
  } finally {
    model.dispose();
  }
}

/** The `train` command. */
export const trainCommand: Command = { spec, run };

/** Exponential learning-rate decay over a run: epoch e trains at lr0 · f^(e / epochs). */
function decayLearningRate(f: number, epochs: number): Callback {
  let lr0: number | undefined;
  return {
    onEpochBegin(epoch, model) {
      const opt = model.optimizer!;
      lr0 ??= opt.learningRate;
      opt.learningRate = lr0 * f ** (epoch / Math.max(1, epochs));
    },
  };
}

/**
 * Warns (stderr) when unscaled input columns differ in spread by three orders of magnitude or more: gradient steps
 * then fit the widest column and barely move the narrowest (the 41 % / 80 % runs of issue 13).
 */
function warnScales(x: Matrix, prep: Preprocessing, io: CliIo): void {
  const { rows, cols, data } = x;
  if (rows < 2) return;
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let i = 0; i < rows * cols; i++) mean[i % cols] += data[i] / rows;
  for (let i = 0; i < rows * cols; i++) sq[i % cols] += (data[i] - mean[i % cols]) ** 2;
  const names = expandedNames(prep, cols);
  let lo = -1;
  let hi = -1;
  for (let c = 0; c < cols; c++) {
    const sd = Math.sqrt(sq[c] / rows);
    if (!(sd > 0)) continue;
    if (lo < 0 || sd < Math.sqrt(sq[lo] / rows)) lo = c;
    if (hi < 0 || sd > Math.sqrt(sq[hi] / rows)) hi = c;
  }
  if (lo < 0) return;
  const a = Math.sqrt(sq[lo] / rows);
  const b = Math.sqrt(sq[hi] / rows);
  if (b / a < 1000) return;
  io.err(
    `warning: the input columns differ in scale by ${Math.floor(Math.log10(b / a))} orders of magnitude ` +
      `('${names[lo]}' std ${a.toPrecision(2)}, '${names[hi]}' std ${b.toPrecision(2)}) and are not scaled: ` +
      'training will mostly fit the widest; drop --no-standardize (or add --minmax)\n',
  );
}

/** A name for each model input column: the feature, or feature=category for one-hot columns. */
function expandedNames(prep: Preprocessing, cols: number): string[] {
  if (!prep.features) return Array.from({ length: cols }, (_, c) => `column ${c + 1}`);
  const out: string[] = [];
  for (const f of prep.features) {
    const cats = prep.oneHot?.[f];
    if (cats) for (const v of cats) out.push(`${f}=${v}`);
    else out.push(f);
  }
  return out;
}

/**
 * Warns when the training loss fell by more than 5 % (and 0.001) over the last 5 epochs of a run that used all its
 * epochs (about 1 % an epoch: more epochs would still pay; a slow decline near the end, or near 0, does not warn).
 */
function warnStillFalling(loss: readonly number[], io: CliIo): void {
  const n = loss.length;
  if (n < 6) return;
  const before = loss[n - 6];
  const last = loss[n - 1];
  if (!(before > 0) || (before - last) / before <= 0.05 || before - last <= 1e-3) return;
  io.err(
    `warning: the training loss was still falling at the last epoch (${before.toPrecision(4)} → ${last.toPrecision(4)} over the last 5): more --epochs may help\n`,
  );
}
