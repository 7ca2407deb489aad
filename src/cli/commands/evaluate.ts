// `simdnet evaluate`: accuracy, per-class precision/recall and the confusion matrix (or regression errors).
import { SimdnetError } from '../../errors.js';
import { type CommandSpec, type ParsedArgs, getters } from '../args.js';
import {
  BACKEND_OPTION,
  type CliIo,
  type Command,
  DATA_OPTIONS,
  dataForModel,
  percent,
  startBackend,
} from '../common.js';
import { applyPreprocessing } from '../data.js';
import { loadAnyModel } from '../models.js';
import { classificationReport, confusionMatrix, confusionRows } from '../../metrics/classification.js';
import { formatClassReport, formatConfusion, regressionStats } from '../metrics.js';

const spec: CommandSpec = {
  name: 'evaluate',
  summary:
    'Score a model on labelled data: accuracy, per-class precision/recall/F1 and a confusion matrix (MSE, MAE, R² for regression).',
  usage: '<model.simdnet | model.onnx | model.json> (--data <file> | --mnist) [options]',
  positionals: ['<model.simdnet>'],
  options: [...DATA_OPTIONS, BACKEND_OPTION, { name: 'json', type: 'boolean', help: 'print the results as JSON' }],
  notes: [
    'The model applies the preprocessing it was trained with (columns, one-hot categories, scaling).',
    'examples:',
    '  simdnet evaluate models/mnist.simdnet --mnist',
    '  simdnet evaluate model.simdnet --data test.csv',
  ],
};

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const backend = await startBackend(args);
  const path = args.positionals[0];
  const model = await loadAnyModel(path, backend);
  try {
    const { loaded, prep } = await dataForModel(args, model);
    const source = loaded.kind === 'table' ? loaded.table.source : loaded.source;
    const data = applyPreprocessing(loaded, prep, true, false); // the model scales its rows itself
    if (!data.y) {
      const hint =
        loaded.kind === 'table'
          ? `a '${(prep.target ?? ['label']).join(',')}' column (or name it with --label)`
          : 'labels (--labels <idx file>, or "y" in JSON)';
      throw new SimdnetError('FORMAT', `${source} has no labels to evaluate against: it needs ${hint}`);
    }
    const binary = model.outputDim === 1 && prep.task === 'classification';
    const targets = binary ? { data: Float32Array.from(data.labels!), rows: data.labels!.length, cols: 1 } : data.y;
    const result: Record<string, unknown> = { model: path, data: source, rows: data.x.rows };
    const loss = model.loss(data.x, targets);
    if (loss !== undefined) result.loss = loss;
    if (prep.task === 'classification') {
      const classes = prep.classes!;
      const pred = model.predictClasses(data.x);
      const cm = confusionMatrix(data.labels!, pred, classes.length);
      const rep = classificationReport(cm, { names: classes });
      Object.assign(result, {
        accuracy: rep.accuracy,
        perClass: rep.perClass,
        macro: rep.macro,
        weighted: rep.weighted,
        classes,
        confusion: confusionRows(cm),
      });
      if (g.flag('json')) {
        io.out(
          `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 1)}\n`,
        );
        return 0;
      }
      const correct = Math.round(rep.accuracy * rep.total);
      io.out(`model ${path} on ${source}: ${data.x.rows} rows\n`);
      io.out(
        `accuracy ${percent(rep.accuracy)} (${correct} of ${rep.total})${loss !== undefined ? `  loss ${loss.toFixed(4)}` : ''}\n\n`,
      );
      io.out(`${formatClassReport(rep)}\n\n`);
      io.out(`confusion matrix (rows: true class, columns: predicted class)\n${formatConfusion(cm, classes)}\n`);
      return 0;
    }
    const p = model.predict(data.x);
    const st = regressionStats(p.data, data.y.data, data.y.cols);
    Object.assign(result, st);
    if (g.flag('json')) {
      io.out(`${JSON.stringify(result, null, 1)}\n`);
      return 0;
    }
    io.out(`model ${path} on ${source}: ${data.x.rows} rows\n`);
    io.out(
      `mse ${st.mse.toPrecision(5)}  mae ${st.mae.toPrecision(5)}  r2 ${Number.isNaN(st.r2) ? '-' : st.r2.toFixed(4)}\n`,
    );
    return 0;
  } finally {
    model.dispose();
  }
}

/** The `evaluate` command. */
export const evaluateCommand: Command = { spec, run };
