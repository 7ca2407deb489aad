/**
 * What the commands share: the output streams (injectable, for tests), backend start-up, model files read with
 * friendly errors, data options, and writing output files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadMnist } from '../data/mnist-node.js';
import { SimdnetError } from '../errors.js';
import { init, type Backend } from '../runtime/engine.js';
import { type OptionSpec, type ParsedArgs, UsageError, getters } from './args.js';
import {
  type DataArgs,
  type Loaded,
  type Preprocessing,
  defaultPreprocessing,
  loadData,
  numericColumnsFor,
  preprocessingOf,
} from './data.js';

/** Where a command writes: its normal output, its diagnostics, and whether the output is a terminal. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
}

/** A command: its interface and what it does; resolves to the exit code. */
export interface Command {
  spec: import('./args.js').CommandSpec;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Options every data-reading command has. */
export const DATA_OPTIONS: OptionSpec[] = [
  {
    name: 'data',
    type: 'string',
    short: 'd',
    value: 'file',
    help: 'data file: .csv/.tsv (header row), .json, or IDX (e.g. t10k-images-idx3-ubyte[.gz])',
  },
  { name: 'labels', type: 'string', value: 'file', help: 'IDX label file paired with IDX --data' },
  {
    name: 'label',
    type: 'string',
    short: 'l',
    value: 'column',
    help: 'label column of a CSV/JSON table (comma list = regression targets)',
  },
  { name: 'features', type: 'string', value: 'a,b,…', help: 'input columns of a table (default: all but the label)' },
  { name: 'delimiter', type: 'string', value: 'char', help: "CSV field separator (default ',' or tab for .tsv)" },
  { name: 'no-header', type: 'boolean', help: 'the CSV has no header row: its columns are column_1, column_2, …' },
  {
    name: 'mnist',
    type: 'boolean',
    help: 'use the built-in MNIST digits (8,000 train / 2,000 test from the mnist package)',
  },
  { name: 'limit', type: 'int', min: 1, value: 'n', help: 'use only the first n rows' },
];

/** The backend option. */
export const BACKEND_OPTION: OptionSpec = {
  name: 'backend',
  type: 'string',
  choices: ['wasm', 'js'],
  help: 'compute on WebAssembly SIMD or plain JS',
  defaultText: 'wasm',
};

/** Starts the chosen backend (the .wasm, or the js kernels). */
export async function startBackend(args: ParsedArgs): Promise<Backend> {
  const backend = (getters(args).str('backend') ?? 'wasm') as Backend;
  await init({ backend });
  return backend;
}

/** DataArgs from parsed options. */
export function dataArgs(args: ParsedArgs): DataArgs {
  const g = getters(args);
  const d: DataArgs = {};
  for (const [k, n] of [
    ['data', 'data'],
    ['labels', 'labels'],
    ['label', 'label'],
    ['features', 'features'],
    ['oneHot', 'one-hot'],
    ['delimiter', 'delimiter'],
  ] as const) {
    const v = g.str(n);
    if (v !== undefined) d[k] = v;
  }
  if (g.flag('no-header')) d.header = false;
  return d;
}

/** Reads a whole file, mapping file-system errors to one clear line. */
export async function readFileFriendly(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SimdnetError('FORMAT', `${what} '${path}' does not exist`);
    if (code === 'EISDIR') throw new SimdnetError('FORMAT', `${what} '${path}' is a directory, not a file`);
    throw new SimdnetError('FORMAT', `cannot read ${what} '${path}': ${(err as Error).message}`);
  }
}

/** Writes a file (creating its directory), mapping file-system errors to one clear line. */
export async function writeFileFriendly(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  } catch (err) {
    throw new SimdnetError(
      'FORMAT',
      `cannot write ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The built-in MNIST digits as loaded data (train or test split of the given seed). */
export function mnistData(split: 'train' | 'test', seed: number): Loaded {
  const ds = loadMnist({ seed })[split];
  return {
    kind: 'matrix',
    source: `MNIST ${split} digits`,
    x: ds.x,
    y: { kind: 'labels', values: Array.from(ds.labels!, (v) => String(v)) },
    image: [28, 28],
  };
}

/** The first `n` rows of loaded data. */
export function limitRows(d: Loaded, n: number | undefined): Loaded {
  if (n === undefined) return d;
  if (d.kind === 'table') {
    if (n >= d.table.rows) return d;
    return {
      kind: 'table',
      table: {
        ...d.table,
        rows: n,
        columns: d.table.columns.map((c) =>
          c.kind === 'text' ? { ...c, values: c.values.slice(0, n) } : { ...c, values: c.values.slice(0, n) },
        ),
      },
    };
  }
  if (n >= d.x.rows) return d;
  const out: Loaded = { ...d, x: { data: d.x.data.slice(0, n * d.x.cols), rows: n, cols: d.x.cols } };
  if (d.y) {
    out.y =
      d.y.kind === 'labels'
        ? { kind: 'labels', values: d.y.values.slice(0, n) }
        : {
            kind: 'targets',
            values: { data: d.y.values.data.slice(0, n * d.y.values.cols), rows: n, cols: d.y.values.cols },
          };
  }
  return out;
}

/** What {@link dataForModel} needs to know about a model (any of the file kinds). */
export interface ModelShape {
  inputDim: number;
  outputDim: number;
  metadata: Record<string, unknown>;
  classifier: boolean;
}

/** Reads the data of an evaluate/predict call for a model: --mnist or --data, with the model's preprocessing. */
export async function dataForModel(
  args: ParsedArgs,
  model: ModelShape,
  split: 'train' | 'test' = 'test',
): Promise<{ loaded: Loaded; prep: Preprocessing }> {
  const g = getters(args);
  const inputs = model.inputDim;
  let prep = preprocessingOf(model.metadata, inputs);
  let loaded: Loaded;
  if (g.flag('mnist')) {
    if (g.str('data') !== undefined) throw new UsageError('give either --mnist or --data, not both');
    loaded = mnistData(split, (model.metadata.training as { seed?: number } | undefined)?.seed ?? 1);
  } else {
    const d = dataArgs(args);
    loaded = await loadData(d, { numeric: numericColumnsFor(prep, d) });
  }
  loaded = limitRows(loaded, g.num('limit'));
  // MNIST is a classification task whatever the model's head: an imported PyTorch classifier ends in logits.
  const classifier = model.classifier || (g.flag('mnist') && model.outputDim === 10);
  prep ??= defaultPreprocessing(loaded, inputs, model.outputDim, classifier, dataArgs(args));
  // A model given preprocessing by the library (setPreprocessing) names no label column: --label does.
  const label = dataArgs(args).label;
  if (prep.input === 'table' && prep.target === undefined && label !== undefined)
    prep = {
      ...prep,
      target: label
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    };
  return { loaded, prep };
}

/** A byte count in KiB with one decimal. */
export const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

/** Formats a fraction as a percentage with two decimals. */
export const percent = (v: number): string => `${(100 * v).toFixed(2)}%`;
