// `simdnet predict`: a CSV of predictions (class names, optionally probabilities; or regression values).
import { type CommandSpec, type ParsedArgs, getters } from '../args.js';
import {
  BACKEND_OPTION,
  type CliIo,
  type Command,
  DATA_OPTIONS,
  dataForModel,
  startBackend,
  writeFileFriendly,
} from '../common.js';
import { applyPreprocessing } from '../data.js';
import { loadAnyModel } from '../models.js';

const spec: CommandSpec = {
  name: 'predict',
  summary: 'Predict each row of a data file: writes CSV (class, or class and probabilities, or regression values).',
  usage: '<model.simdnet | model.onnx | model.json> (--data <file> | --mnist) [options]',
  positionals: ['<model.simdnet>'],
  options: [
    ...DATA_OPTIONS,
    BACKEND_OPTION,
    { name: 'probabilities', short: 'p', type: 'boolean', help: 'add one probability column per class' },
    { name: 'out', type: 'string', short: 'o', value: 'file', help: 'write the CSV here instead of to stdout' },
  ],
  notes: [
    'examples:',
    '  simdnet predict model.simdnet --data new.csv --probabilities --out predictions.csv',
    '  simdnet predict models/mnist.simdnet --mnist --limit 5 -p',
  ],
};

/** CSV-quotes a cell when it needs it. */
function cell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const num = (v: number): string => String(Number(v.toPrecision(6)));

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  const backend = await startBackend(args);
  const model = await loadAnyModel(args.positionals[0], backend);
  try {
    const { loaded, prep } = await dataForModel(args, model);
    const data = applyPreprocessing(loaded, prep, false, false); // the model scales its rows itself
    const p = model.predict(data.x);
    const lines: string[] = [];
    if (prep.task === 'classification') {
      const classes = prep.classes!;
      const idx = model.predictClasses(data.x);
      const probs = g.flag('probabilities');
      lines.push(['prediction', ...(probs ? classes.map((c) => `p_${c}`) : [])].map(cell).join(','));
      for (let r = 0; r < p.rows; r++) {
        const row = [cell(classes[idx[r]])];
        if (probs) {
          if (p.cols === 1) row.push(num(1 - p.data[r]), num(p.data[r]));
          else for (let c = 0; c < p.cols; c++) row.push(num(p.data[r * p.cols + c]));
        }
        lines.push(row.join(','));
      }
    } else {
      const names =
        prep.target?.length === p.cols
          ? prep.target
          : Array.from({ length: p.cols }, (_, i) => (p.cols === 1 ? 'prediction' : `y${i}`));
      lines.push(names.map(cell).join(','));
      for (let r = 0; r < p.rows; r++)
        lines.push(Array.from(p.data.subarray(r * p.cols, (r + 1) * p.cols), num).join(','));
    }
    const csv = `${lines.join('\n')}\n`;
    const out = g.str('out');
    if (out !== undefined) {
      await writeFileFriendly(out, csv, 'predictions');
      io.err(`wrote ${p.rows} predictions to ${out}\n`);
    } else {
      io.out(csv);
    }
    return 0;
  } finally {
    model.dispose();
  }
}

/** The `predict` command. */
export const predictCommand: Command = { spec, run };
