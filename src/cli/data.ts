/**
 * Where the CLI's data comes from and how it becomes matrices: CSV / JSON tables (columns by name), IDX arrays
 * (MNIST-style image and label files, gzipped or not), and the built-in MNIST digits. Preprocessing (feature
 * selection, one-hot categories, standardize / min-max, class names) is fitted once by `train` and stored in the
 * model's metadata, so `evaluate` and `predict` replay exactly the same steps on new data.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { Matrix } from '../data/matrix.js';
import {
  MinMaxScaler,
  type MinMaxScalerJSON,
  Standardizer,
  type StandardizerJSON,
  oneHot,
  scalerFromJSON,
} from '../data/preprocess.js';
import { SimdnetError } from '../errors.js';
import { UsageError } from './args.js';
import { type CsvSource, delimiterForPath, fileChunks, headerMissingHint } from '../data/csv.js';
import { readCsvStream } from './csv.js';
import { parseIdx } from './idx.js';
import { parseJsonData } from './json-data.js';
import { type Table, type TableColumn, column, listNames, parseNumberCell } from './table.js';

/** Data as read, before preprocessing. */
export type Loaded =
  | { kind: 'table'; table: Table }
  | {
      kind: 'matrix';
      source: string;
      x: Matrix;
      /** Class labels as text, or target rows. */
      y?: { kind: 'labels'; values: string[] } | { kind: 'targets'; values: Matrix };
      /** Image shape of each row when the data are images (IDX, MNIST): [h, w] (one channel) or [h, w, c]. */
      image?: ImageShape;
    };

/** Preprocessing fitted by `train`, stored as `model.metadata.preprocessing`. */
export interface Preprocessing {
  version: 1;
  input: 'table' | 'matrix';
  task: 'classification' | 'regression';
  /** Table columns fed to the model, in order (table input). */
  features?: string[];
  /** Categories of one-hot encoded feature columns. */
  oneHot?: Record<string, string[]>;
  /** Label column (classification) or target columns (regression) of table input. */
  target?: string[];
  /** Class names in output order. */
  classes?: string[];
  scaler?: StandardizerJSON | MinMaxScalerJSON;
  /** Input width after one-hot expansion. */
  inputs: number;
  /** Image shape of a row ([h, w]: one channel; [h, w, c]), from the data or --image-shape. */
  image?: ImageShape;
}

/** An image's shape: [h, w] (one channel, as MNIST and 3-D IDX files) or [h, w, c] (NHWC rows). */
export type ImageShape = [number, number] | [number, number, number];

/** [h, w, c] of an image shape. */
export function hwc(image: ImageShape): [number, number, number] {
  return [image[0], image[1], image[2] ?? 1];
}

/** Model-ready data. */
export interface Prepared {
  x: Matrix;
  /** Targets (one-hot for classification) when the data has labels. */
  y?: Matrix;
  /** Class index per row (classification with labels). */
  labels?: Int32Array;
}

/** What the data options of a command say. */
export interface DataArgs {
  data?: string;
  /** IDX label file to pair with an IDX data file. */
  labels?: string;
  /** Label column (or comma-separated target columns) of a table. */
  label?: string;
  /** Feature columns (comma-separated) of a table; default all but the label. */
  features?: string;
  /** Comma-separated categorical columns to one-hot encode. */
  oneHot?: string;
  delimiter?: string;
  /** false: the CSV has no header row (columns column_1, column_2, …). */
  header?: boolean;
}

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const b = new Uint8Array(await readFile(path));
    return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b ? gunzipOrFail(b, path) : b;
  } catch (err) {
    if (err instanceof SimdnetError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SimdnetError('FORMAT', `${what} '${path}' does not exist`);
    if (code === 'EISDIR') throw new SimdnetError('FORMAT', `${what} '${path}' is a directory, not a file`);
    if (code === 'EACCES') throw new SimdnetError('FORMAT', `${what} '${path}' cannot be read (permission denied)`);
    throw new SimdnetError('FORMAT', `cannot read ${what} '${path}': ${(err as Error).message}`);
  }
}

function gunzipOrFail(b: Uint8Array, path: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(b));
  } catch (err) {
    throw new SimdnetError('FORMAT', `${path} looks gzipped but does not inflate (${(err as Error).message})`);
  }
}

function decodeText(b: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA' || err instanceof TypeError) {
      throw new SimdnetError('FORMAT', `${path} is not valid UTF-8 text (is it a binary file?)`);
    }
    // V8's string length limit (2^29 − 24 characters), not an encoding problem: say so.
    throw new SimdnetError(
      'FORMAT',
      `${path} is ${b.length} bytes, too long to read as one JavaScript string (${(err as Error).message}); JSON data must fit in one string, CSV files are streamed`,
    );
  }
}

/** A file's format from its name alone (undefined: look at its bytes). */
function formatOfPath(path: string): Format | undefined {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.csv') || p.endsWith('.tsv') || p.endsWith('.txt')) return 'csv';
  if (p.endsWith('.json')) return 'json';
  if (/idx\d-u?byte$|\.idx\d?$|-ubyte$/.test(p)) return 'idx';
  return undefined;
}

/** Bytes already in memory, handed to the CSV reader in pieces (so it never builds a whole-file string). */
function* pieces(bytes: Uint8Array, size = 1 << 20): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

type Format = 'csv' | 'json' | 'idx';

function formatOf(path: string, bytes: Uint8Array): Format {
  const named = formatOfPath(path);
  if (named) return named;
  // No telling extension: IDX files start with two zero bytes, text never does.
  if (bytes[0] === 0 && bytes[1] === 0) return 'idx';
  const first = bytes.subarray(0, 64).find((c) => c > 32);
  return first === 0x5b || first === 0x7b ? 'json' : 'csv';
}

/**
 * Reads `--data` (and `--labels` for IDX). For CSV, `expect.numeric(header)` lists the columns that must hold
 * numbers (default: all); every other column is kept as text (labels, categories, ignored columns).
 */
export async function loadData(
  args: DataArgs,
  expect: { numeric?: (header: string[]) => string[]; needLabel?: boolean } = {},
): Promise<Loaded> {
  const path = args.data;
  if (!path) throw new UsageError('no data: give --data <file> (CSV, JSON or IDX) or --mnist');
  // CSV streams from the file (memory: a chunk plus the parsed columns); other formats are read whole.
  const named = formatOfPath(path);
  if (named === 'csv' && args.labels !== undefined)
    throw new UsageError('--labels pairs an IDX label file with IDX data; for CSV name the label column with --label');
  if (named === 'csv') return loadCsv(fileChunks(path, 1 << 20, 'data file'), path, args, expect);
  const bytes = await readBytes(path, 'data file');
  const format = formatOf(path, bytes);
  if (args.labels !== undefined && format !== 'idx')
    throw new UsageError(
      `--labels pairs an IDX label file with IDX data; for ${format.toUpperCase()} name the label column with --label`,
    );
  if (format === 'idx') {
    if (args.label !== undefined)
      throw new UsageError(
        '--label names a column of a CSV/JSON table; IDX data takes its labels from --labels <file>',
      );
    const a = parseIdx(bytes, path);
    const n = a.dims[0];
    const cols = a.data.length / n;
    // Bytes are pixel intensities: read them as [0, 1], the scale MNIST models expect.
    if (a.type === 'u8') for (let i = 0; i < a.data.length; i++) a.data[i] /= 255;
    const loaded: Loaded = { kind: 'matrix', source: path, x: { data: a.data, rows: n, cols } };
    if (a.dims.length === 3) loaded.image = [a.dims[1], a.dims[2]];
    if (a.dims.length === 4) loaded.image = [a.dims[1], a.dims[2], a.dims[3]];
    if (args.labels !== undefined) {
      const lb = parseIdx(await readBytes(args.labels, 'label file'), args.labels);
      if (lb.dims.length !== 1)
        throw new SimdnetError(
          'FORMAT',
          `${args.labels} has dimensions ${lb.dims.join('×')}; a label file is one-dimensional`,
        );
      if (lb.dims[0] !== n)
        throw new SimdnetError('FORMAT', `${args.labels} has ${lb.dims[0]} labels but ${path} has ${n} rows`);
      loaded.y = { kind: 'labels', values: Array.from(lb.data, (v) => String(v)) };
    }
    return loaded;
  }
  if (format === 'csv') return loadCsv(pieces(bytes), path, args, expect);
  const text = decodeText(bytes, path);
  const doc = parseJsonData(text, path);
  if ('table' in doc) {
    if (expect.needLabel && args.label === undefined)
      noLabel(
        path,
        doc.table.columns.map((c) => c.name),
      );
    return { kind: 'table', table: doc.table };
  }
  if (args.label !== undefined)
    throw new UsageError(`--label names a column, but ${path} is in the {"x", "y"} form (its labels are "y")`);
  const { x, y } = doc.arrays;
  return y ? { kind: 'matrix', source: path, x, y } : { kind: 'matrix', source: path, x };
}

/** Streams a CSV into a table: the header is checked (label, features, one-hot names) before any cell is parsed. */
async function loadCsv(
  chunks: CsvSource,
  path: string,
  args: DataArgs,
  expect: { numeric?: (header: string[]) => string[]; needLabel?: boolean },
): Promise<Loaded> {
  const delimiter = args.delimiter ?? delimiterForPath(path) ?? ',';
  const table = await readCsvStream(chunks, {
    source: path,
    delimiter,
    ...(args.header === false ? { header: false } : {}),
    textColumns: (h) => {
      const header = [...h];
      if (expect.needLabel && args.label === undefined && header.length > 0) noLabel(path, header);
      // Name a misspelt column before any cell is parsed (else the first error would be about its cells).
      const names = new Set(header);
      for (const c of [...(list(args.label) ?? []), ...(list(args.features) ?? []), ...(list(args.oneHot) ?? [])]) {
        if (!names.has(c))
          throw new SimdnetError(
            'FORMAT',
            `${path}: no column '${c}' (columns: ${listNames(header)})${args.header === false ? '' : headerMissingHint(header)}`,
          );
      }
      const numeric = new Set(expect.numeric ? expect.numeric(header) : header);
      return header.filter((h) => !numeric.has(h));
    },
    nonNumericHint: (c) =>
      ` (for a categorical column use --one-hot ${c}; to leave it out list the inputs with --features)`,
  });
  return { kind: 'table', table };
}

function noLabel(path: string, header: string[]): never {
  throw new UsageError(`${path}: name the label column with --label (columns: ${listNames(header)})`);
}

/** Rows of the data. */
export function rowsOf(d: Loaded): number {
  return d.kind === 'table' ? d.table.rows : d.x.rows;
}

/** Which table columns `train` must read as numbers, given its options (for {@link loadData}). */
export function trainNumericColumns(args: DataArgs): (header: string[]) => string[] {
  return (header) => {
    const target = list(args.label) ?? [];
    const oh = new Set(list(args.oneHot) ?? []);
    const feats = list(args.features) ?? header.filter((h) => !target.includes(h));
    // Multi-column targets (regression) are numbers; one label column is read as text and decided later.
    return [...feats.filter((f) => !oh.has(f)), ...(target.length > 1 ? target : [])];
  };
}

/** Which table columns `evaluate`/`predict` must read as numbers for a model's preprocessing. */
export function numericColumnsFor(prep: Preprocessing | undefined, args: DataArgs): (header: string[]) => string[] {
  return (header) => {
    const label = new Set(list(args.label) ?? []);
    if (!prep) return header.filter((h) => !label.has(h));
    const oh = prep.oneHot ?? {};
    const feats = (prep.features ?? []).filter((f) => !Object.hasOwn(oh, f));
    const target = prep.task === 'regression' ? (prep.target ?? []).filter((t) => header.includes(t)) : [];
    return [...feats, ...target];
  };
}

/** Sorts class names: numerically when they are all numbers, else as text. */
function sortClasses(names: string[]): string[] {
  const numeric = names.every((n) => n !== '' && Number.isFinite(Number(n)));
  return numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

function looksLikeClasses(values: readonly string[]): boolean {
  const distinct = new Set(values);
  if ([...distinct].some((v) => !Number.isFinite(Number(v)) || v === '')) return true;
  // Whole numbers with few distinct values are class ids; anything else is a quantity to regress.
  return (
    [...distinct].every((v) => Number.isInteger(Number(v))) &&
    distinct.size <= Math.max(2, Math.min(100, values.length / 2))
  );
}

/**
 * Column lookup by name through a Map: a wide table (100k pixel or feature columns) must not cost a scan of the
 * columns per feature. Unknown names get table.ts's error, which lists the columns.
 */
function columnLookup(t: Table): (name: string) => TableColumn {
  const byName = new Map(t.columns.map((c) => [c.name, c]));
  return (name) => byName.get(name) ?? column(t, name);
}

function columnTexts(c: TableColumn): string[] {
  return c.kind === 'text' ? c.values : Array.from(c.values, (v) => String(v));
}

/** Options of {@link fitPreprocessing}. */
export interface FitPrepOptions {
  task?: 'classification' | 'regression';
  scale?: 'standardize' | 'minmax';
}

/**
 * Fits preprocessing on training data: chooses features and target, the task, class names, one-hot categories
 * and the scaler; returns it with the prepared training data.
 */
export function fitPreprocessing(
  d: Loaded,
  args: DataArgs,
  o: FitPrepOptions,
): { prep: Preprocessing; data: Prepared } {
  let prep: Preprocessing;
  if (d.kind === 'table') {
    const t = d.table;
    const col = columnLookup(t);
    const target = list(args.label);
    if (!target || target.length === 0) {
      throw new UsageError(
        `${t.source}: name the label column with --label (columns: ${listNames(t.columns.map((c) => c.name))})`,
      );
    }
    target.forEach((c) => col(c));
    const features = list(args.features) ?? t.columns.map((c) => c.name).filter((n) => !target.includes(n));
    if (features.length === 0) throw new UsageError(`${t.source}: no feature columns left besides the label`);
    const featureSet = new Set(features);
    for (const f of features) {
      col(f);
      if (target.includes(f)) throw new UsageError(`column '${f}' is both a feature and the label`);
    }
    const ohCols = list(args.oneHot) ?? [];
    const oneHotCats: Record<string, string[]> = {};
    for (const c of ohCols) {
      if (!featureSet.has(c))
        throw new UsageError(`--one-hot ${c}: '${c}' is not one of the feature columns (${listNames(features)})`);
      oneHotCats[c] = sortClasses([...new Set(columnTexts(col(c)))]);
    }
    const labelTexts = target.length === 1 ? columnTexts(col(target[0])) : undefined;
    const task = o.task ?? (labelTexts && looksLikeClasses(labelTexts) ? 'classification' : 'regression');
    if (task === 'classification' && target.length > 1)
      throw new UsageError('classification takes one --label column (several columns are regression targets)');
    prep = { version: 1, input: 'table', task, features, target, inputs: 0 };
    if (ohCols.length) prep.oneHot = oneHotCats;
    if (task === 'classification') prep.classes = sortClasses([...new Set(labelTexts)]);
  } else {
    let task = o.task;
    if (!d.y)
      throw new SimdnetError(
        'FORMAT',
        `${d.source} has no labels: ${d.source.match(/json$/i) ? 'add "y" to the file' : 'give --labels <idx label file>'}`,
      );
    if (args.oneHot !== undefined || args.features !== undefined)
      throw new UsageError('--one-hot and --features select columns of a CSV/JSON table, not of array data');
    task ??= d.y.kind === 'labels' && looksLikeClasses(d.y.values) ? 'classification' : 'regression';
    prep = { version: 1, input: 'matrix', task, inputs: d.x.cols };
    if (task === 'classification') {
      if (d.y.kind === 'targets') prep.classes = Array.from({ length: d.y.values.cols }, (_, i) => String(i));
      else prep.classes = sortClasses([...new Set(d.y.values)]);
    }
    if (d.image) prep.image = d.image;
  }
  if (prep.task === 'classification' && prep.classes!.length < 2) {
    throw new SimdnetError('RANGE', `the labels have only one class ('${prep.classes![0]}'): nothing to learn`);
  }
  const data = applyPreprocessing(d, prep, true);
  prep.inputs = data.x.cols;
  if (o.scale) {
    const scaler = o.scale === 'standardize' ? new Standardizer() : new MinMaxScaler();
    data.x = scaler.fitTransform(data.x);
    prep.scaler = scaler.toJSON();
  }
  return { prep, data };
}

/**
 * Turns data into model inputs (and targets when `withTargets` and the data has them) with fitted preprocessing.
 * The scaler is applied only when `scale` is true (fitPreprocessing applies it itself while fitting).
 */
export function applyPreprocessing(d: Loaded, prep: Preprocessing, withTargets: boolean, scale = false): Prepared {
  let out: Prepared;
  if (d.kind === 'table') {
    if (prep.input !== 'table')
      throw new SimdnetError(
        'FORMAT',
        `the model was trained on array data (${prep.inputs} inputs); ${d.table.source} is a table`,
      );
    out = fromTable(d.table, prep, withTargets);
  } else {
    if (prep.input === 'table') {
      throw new SimdnetError(
        'FORMAT',
        `the model reads table columns (${listNames(prep.features ?? [])}); ${d.source} has unnamed array data`,
      );
    }
    if (d.x.cols !== prep.inputs) {
      const img = prep.image ? ` (${hwc(prep.image).join('×')} images)` : '';
      throw new SimdnetError(
        'SHAPE',
        `the model takes ${prep.inputs} inputs per row${img}, ${d.source} has ${d.x.cols}`,
      );
    }
    out = { x: d.x };
    if (withTargets && d.y) Object.assign(out, targetsFromMatrix(d.y, prep, d.source));
  }
  if (scale && prep.scaler) out.x = scalerFromJSON(prep.scaler).transform(out.x);
  return out;
}

function classIndex(prep: Preprocessing): Map<string, number> {
  return new Map(prep.classes!.map((c, i) => [c, i]));
}

function labelsToTargets(
  values: readonly string[],
  prep: Preprocessing,
  source: string,
): Pick<Prepared, 'y' | 'labels'> {
  const idx = classIndex(prep);
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    // Numeric class names compare as numbers ("1.0" is class "1").
    const v = values[i];
    let k = idx.get(v);
    if (k === undefined && v !== '' && Number.isFinite(Number(v))) k = idx.get(String(Number(v)));
    if (k === undefined) {
      throw new SimdnetError(
        'RANGE',
        `${source} row ${i + 1}: label '${v}' is not one of the classes the model knows (${listNames(prep.classes!)})`,
      );
    }
    labels[i] = k;
  }
  return { labels, y: oneHot(labels, prep.classes!.length) };
}

function targetsFromMatrix(
  y: NonNullable<Extract<Loaded, { kind: 'matrix' }>['y']>,
  prep: Preprocessing,
  source: string,
): Pick<Prepared, 'y' | 'labels'> {
  if (prep.task === 'classification') {
    if (y.kind === 'labels') return labelsToTargets(y.values, prep, source);
    const k = prep.classes!.length;
    if (y.values.cols !== k)
      throw new SimdnetError('SHAPE', `${source}: y rows have ${y.values.cols} values, the model has ${k} classes`);
    const labels = new Int32Array(y.values.rows);
    for (let r = 0; r < y.values.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (y.values.data[r * k + c] > y.values.data[r * k + best]) best = c;
      labels[r] = best;
    }
    return { labels, y: y.values };
  }
  if (y.kind === 'targets') return { y: y.values };
  const data = Float32Array.from(y.values, (v, i) => {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n))
      throw new SimdnetError('FORMAT', `${source}: y[${i}] is '${v}', not a number (regression targets)`);
    return n;
  });
  return { y: { data, rows: data.length, cols: 1 } };
}

function fromTable(t: Table, prep: Preprocessing, withTargets: boolean): Prepared {
  const feats = prep.features!;
  const oh = prep.oneHot ?? {};
  const col = columnLookup(t);
  const cols = feats.map((f) => col(f));
  let width = 0;
  for (const f of feats) width += Object.hasOwn(oh, f) ? oh[f].length : 1;
  const rows = t.rows;
  const x = new Float32Array(rows * width);
  let off = 0;
  cols.forEach((c, j) => {
    const name = feats[j];
    if (Object.hasOwn(oh, name)) {
      const cats = new Map(oh[name].map((v, i) => [v, i]));
      const texts = columnTexts(c);
      for (let r = 0; r < rows; r++) {
        const k = cats.get(texts[r]);
        if (k === undefined) {
          throw new SimdnetError(
            'RANGE',
            `${t.source} row ${r + 1}, column '${name}': category '${texts[r]}' was not in the training data (${listNames(oh[name])})`,
          );
        }
        x[r * width + off + k] = 1;
      }
      off += oh[name].length;
    } else {
      if (c.kind !== 'number')
        throw new SimdnetError(
          'FORMAT',
          `${t.source}: column '${name}' holds text; it must be numbers (or one-hot encoded with --one-hot ${name} when training)`,
        );
      for (let r = 0; r < rows; r++) x[r * width + off] = c.values[r];
      off++;
    }
  });
  const out: Prepared = { x: { data: x, rows, cols: width } };
  const target = prep.target ?? [];
  const names = new Set(t.columns.map((c) => c.name));
  if (!withTargets || target.length === 0 || !target.every((n) => names.has(n))) return out;
  if (prep.task === 'classification')
    return Object.assign(out, labelsToTargets(columnTexts(col(target[0])), prep, t.source));
  const y = new Float32Array(rows * target.length);
  target.forEach((n, j) => {
    const c = col(n);
    // A single label column is read as text until the task is known: parse it now, strictly.
    if (c.kind === 'text')
      for (let r = 0; r < rows; r++)
        y[r * target.length + j] = parseNumberCell(
          c.values[r],
          `${t.source} row ${r + 1}, column '${n}'`,
          ' (regression targets must be numbers)',
        );
    else for (let r = 0; r < rows; r++) y[r * target.length + j] = c.values[r];
  });
  out.y = { data: y, rows, cols: target.length };
  return out;
}

/** Reads and checks the preprocessing a model carries (undefined for models not trained by the CLI). */
export function preprocessingOf(metadata: Record<string, unknown>, inputs: number): Preprocessing | undefined {
  const p = metadata.preprocessing as Preprocessing | undefined;
  if (p === undefined) return undefined;
  const ok =
    typeof p === 'object' &&
    p !== null &&
    p.version === 1 &&
    (p.input === 'table' || p.input === 'matrix') &&
    (p.task === 'classification' || p.task === 'regression') &&
    (p.input === 'matrix' || (Array.isArray(p.features) && p.features.every((f) => typeof f === 'string'))) &&
    (p.classes === undefined || (Array.isArray(p.classes) && p.classes.every((c) => typeof c === 'string'))) &&
    p.inputs === inputs;
  if (!ok) throw new SimdnetError('FORMAT', 'the model file carries preprocessing metadata this version cannot read');
  return p;
}

/**
 * Preprocessing for a model that has none (not trained by the CLI): its inputs as they are (a table's columns
 * other than --label, or --features), classes 0…k−1 when it ends in softmax/sigmoid.
 */
export function defaultPreprocessing(
  d: Loaded,
  inputs: number,
  outputs: number,
  classification: boolean,
  args: DataArgs,
): Preprocessing {
  const p: Preprocessing = {
    version: 1,
    input: d.kind,
    task: classification ? 'classification' : 'regression',
    inputs,
  };
  if (classification) p.classes = Array.from({ length: Math.max(2, outputs) }, (_, i) => String(i));
  if (d.kind === 'table') {
    const target = list(args.label) ?? [];
    p.target = target;
    p.features = list(args.features) ?? d.table.columns.map((c) => c.name).filter((n) => !target.includes(n));
  }
  return p;
}

/**
 * The target matrix a model trains or is scored against: the class index itself (0/1) for a one-unit sigmoid
 * classifier, else the prepared targets (one-hot classes or regression values).
 */
export function targetMatrix(data: Prepared, outputs: number, prep: Preprocessing): Matrix {
  if (prep.task === 'classification' && outputs === 1)
    return { data: Float32Array.from(data.labels!), rows: data.labels!.length, cols: 1 };
  return data.y!;
}
