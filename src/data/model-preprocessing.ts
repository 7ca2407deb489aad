// The preprocessing a model carries: a fitted scaler, one-hot categories of named input columns and the class names
// of its outputs. Stored as JSON in the model's metadata (`metadata.preprocessing`, the object `simdnet train` has
// always written there), so it is saved in every model file kind and comes back with loadModel; the model applies it
// itself to the raw rows given to fit / evaluate / predict (Keras's Normalization-layer semantics).
import { SimdnetError, check } from '../errors.js';
import { type Matrix, type MatrixInput, toMatrix } from './matrix.js';
import {
  MinMaxScaler,
  type MinMaxScalerJSON,
  type Scaler,
  Standardizer,
  type StandardizerJSON,
  scalerFromJSON,
} from './preprocess.js';

/** What `metadata.preprocessing` holds (the `simdnet train` command writes the same object). */
export interface PreprocessingJSON {
  version: 1;
  /** 'table': rows of named columns (`features`); 'matrix': rows of numbers. */
  input: 'table' | 'matrix';
  task: 'classification' | 'regression';
  /** Input columns in order, for rows given as objects (and for the CLI's tables). */
  features?: string[];
  /** Categories of one-hot encoded feature columns: each becomes one 0/1 input per category, in this order. */
  oneHot?: Record<string, string[]>;
  /** Label / target column names (CLI tables). */
  target?: string[];
  /** Class names in output order. */
  classes?: string[];
  /** The fitted scaler, applied to the (encoded) input row. */
  scaler?: StandardizerJSON | MinMaxScalerJSON;
  /** Values per model input row (after one-hot expansion). */
  inputs: number;
  /** Image shape of a row, when the rows are images. */
  image?: number[];
}

/** What `model.setPreprocessing()` takes. */
export interface PreprocessingOptions {
  /** A fitted Standardizer or MinMaxScaler (or its toJSON()), for the input row. */
  scaler?: Scaler | StandardizerJSON | MinMaxScalerJSON;
  /** Names of the output classes (one per output; two for a one-output sigmoid classifier). */
  classes?: readonly string[];
  /** Input column names: rows may then be given as objects `{ column: value }`. */
  features?: readonly string[];
  /** Categorical columns (among `features`) and their categories: one 0/1 input per category. */
  oneHot?: Readonly<Record<string, readonly string[]>>;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * A model's preprocessing, parsed: `encode` turns row objects into numbers, `transform` scales rows, `classes`
 * names outputs. Made by `model.setPreprocessing()` or read from a model file; `model.preprocessing` returns it.
 */
export class ModelPreprocessing {
  readonly scaler: Scaler | undefined;
  readonly classes: readonly string[] | undefined;
  readonly features: readonly string[] | undefined;
  readonly oneHot: Readonly<Record<string, readonly string[]>> | undefined;
  /** Values per model input row. */
  readonly inputs: number;
  /** @internal Per column: y = (x − center) · scale (f32), or undefined without a scaler. */
  readonly affine: { center: Float32Array; scale: Float32Array } | undefined;
  /** @internal The stored JSON. */
  readonly json: PreprocessingJSON;

  private constructor(json: PreprocessingJSON) {
    this.json = json;
    this.inputs = json.inputs;
    this.classes = json.classes;
    this.features = json.features;
    this.oneHot = json.oneHot;
    this.scaler = json.scaler ? scalerFromJSON(json.scaler) : undefined;
    this.affine = this.scaler ? affineOf(this.scaler) : undefined;
  }

  /**
   * Reads `metadata.preprocessing`: undefined when absent or not a preprocessing object (no `version: 1`).
   * @throws SimdnetError FORMAT naming the field when it claims to be one but does not fit `inputs` values a row.
   */
  static fromJSON(json: unknown, inputs: number | undefined): ModelPreprocessing | undefined {
    if (typeof json !== 'object' || json === null || (json as { version?: unknown }).version !== 1) return undefined;
    const p = json as PreprocessingJSON;
    const bad = (what: string): never => {
      throw new SimdnetError('FORMAT', `the model's preprocessing (metadata.preprocessing) ${what}`);
    };
    if (p.input !== 'table' && p.input !== 'matrix')
      bad(`has input ${JSON.stringify(p.input)}, expected "table" or "matrix"`);
    if (p.task !== 'classification' && p.task !== 'regression') bad(`has task ${JSON.stringify(p.task)}`);
    if (!Number.isInteger(p.inputs) || p.inputs < 1) bad(`has inputs ${JSON.stringify(p.inputs)}`);
    if (inputs !== undefined && p.inputs !== inputs) bad(`is for ${p.inputs} inputs a row, the model takes ${inputs}`);
    if (p.classes !== undefined && !strings(p.classes)) bad('has class names that are not strings');
    if (p.features !== undefined && !strings(p.features)) bad('has feature names that are not strings');
    if (p.input === 'table' && p.features === undefined) bad('reads a table but names no feature columns');
    if (p.oneHot !== undefined) {
      if (typeof p.oneHot !== 'object' || p.oneHot === null || Array.isArray(p.oneHot))
        bad('has a oneHot that is not an object');
      for (const [c, cats] of Object.entries(p.oneHot)) {
        if (!strings(cats) || cats.length === 0) bad(`has no categories for one-hot column '${c}'`);
        if (!p.features?.includes(c)) bad(`one-hot encodes '${c}', which is not a feature column`);
      }
    }
    if (p.features !== undefined) {
      const width = p.features.reduce(
        (n, f) => n + (p.oneHot && Object.hasOwn(p.oneHot, f) ? p.oneHot[f].length : 1),
        0,
      );
      if (width !== p.inputs)
        bad(`encodes its ${p.features.length} feature columns into ${width} values, not ${p.inputs}`);
    }
    let scaler: Scaler | undefined;
    if (p.scaler !== undefined) {
      try {
        scaler = scalerFromJSON(p.scaler);
      } catch (err) {
        bad(`has a scaler that does not read: ${(err as Error).message}`);
      }
      if (scaler!.cols !== p.inputs) bad(`has a scaler for ${scaler!.cols} columns, not ${p.inputs}`);
    }
    return new ModelPreprocessing(p);
  }

  /**
   * Checks and builds preprocessing for a model with `inputs` values a row and `outputs` outputs.
   * @throws SimdnetError STATE (an unfitted scaler), SHAPE (widths that do not fit the model), DTYPE / RANGE.
   */
  static fromOptions(o: PreprocessingOptions, inputs: number, outputs: number): ModelPreprocessing {
    check(
      typeof o === 'object' && o !== null && !Array.isArray(o),
      'DTYPE',
      'setPreprocessing() takes { scaler?, classes?, features?, oneHot? } (or null to remove it)',
    );
    const json: PreprocessingJSON = {
      version: 1,
      input: o.features !== undefined && o.features !== null ? 'table' : 'matrix',
      task: 'regression',
      inputs,
    };
    if (o.scaler !== undefined && o.scaler !== null) {
      const s =
        o.scaler instanceof Standardizer || o.scaler instanceof MinMaxScaler ? o.scaler : scalerFromJSON(o.scaler);
      check(
        s.cols > 0,
        'STATE',
        'setPreprocessing(): the scaler is not fitted: call scaler.fit(trainX) first (the model then applies it to every row it gets)',
      );
      check(
        s.cols === inputs,
        'SHAPE',
        () => `setPreprocessing(): the scaler was fitted on ${s.cols} columns, the model takes ${inputs} inputs`,
      );
      json.scaler = s.toJSON();
    }
    if (o.classes !== undefined && o.classes !== null) {
      check(strings(o.classes), 'DTYPE', 'setPreprocessing(): classes must be an array of strings');
      const want = outputs === 1 ? 2 : outputs;
      check(
        o.classes.length === want,
        'SHAPE',
        () =>
          `setPreprocessing(): ${o.classes!.length} class names for a model with ${outputs} output${outputs === 1 ? ' (a sigmoid: 2 classes)' : 's'}`,
      );
      check(
        new Set(o.classes).size === o.classes.length,
        'RANGE',
        'setPreprocessing(): two classes have the same name',
      );
      json.classes = [...o.classes];
      json.task = 'classification';
    }
    if (o.features !== undefined && o.features !== null) {
      check(
        strings(o.features) && o.features.length > 0,
        'DTYPE',
        'setPreprocessing(): features must be a non-empty array of column names',
      );
      check(
        new Set(o.features).size === o.features.length,
        'RANGE',
        'setPreprocessing(): a feature column is named twice',
      );
      json.features = [...o.features];
    }
    if (o.oneHot !== undefined && o.oneHot !== null) {
      check(
        json.features !== undefined,
        'RANGE',
        'setPreprocessing(): oneHot needs features (the column names of a row)',
      );
      check(
        typeof o.oneHot === 'object' && !Array.isArray(o.oneHot),
        'DTYPE',
        'setPreprocessing(): oneHot must be { column: [categories] }',
      );
      json.oneHot = {};
      for (const [c, cats] of Object.entries(o.oneHot)) {
        check(
          json.features.includes(c),
          'RANGE',
          () => `setPreprocessing(): one-hot column '${c}' is not among the features (${json.features!.join(', ')})`,
        );
        check(
          strings(cats) && cats.length > 0 && new Set(cats).size === cats.length,
          'DTYPE',
          () => `setPreprocessing(): oneHot['${c}'] must be a non-empty array of distinct category names`,
        );
        json.oneHot[c] = [...cats];
      }
    }
    if (json.features) {
      const width = json.features.reduce((n, f) => n + (json.oneHot?.[f]?.length ?? 1), 0);
      check(
        width === inputs,
        'SHAPE',
        () => `setPreprocessing(): the features encode into ${width} values a row, the model takes ${inputs}`,
      );
    }
    return new ModelPreprocessing(json);
  }

  /** Whether rows given as objects can be encoded (feature names known). */
  get takesRecords(): boolean {
    return this.features !== undefined;
  }

  /**
   * Encodes rows given as objects `{ column: value }` into model rows (before scaling): numbers as they are, one-hot
   * columns as one 0/1 value per category.
   * @throws SimdnetError FORMAT naming the row and column of a missing value, a non-number, or an unknown category.
   */
  encode(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Matrix {
    const feats = this.features;
    check(
      feats !== undefined,
      'STATE',
      'rows given as objects need the column names: setPreprocessing({ features: [...] })',
    );
    check(
      Array.isArray(rows),
      'DTYPE',
      () => `encode() takes an array of row objects, got ${rows === null ? 'null' : typeof rows}`,
    );
    check(rows.length > 0, 'EMPTY', 'no rows to encode');
    const oh = this.oneHot ?? {};
    const cats = new Map(Object.entries(oh).map(([c, v]) => [c, new Map(v.map((name, i) => [name, i]))]));
    const out = new Float32Array(rows.length * this.inputs);
    rows.forEach((row, r) => {
      check(
        typeof row === 'object' && row !== null && !Array.isArray(row),
        'DTYPE',
        () => `row ${r} is not an object of column values`,
      );
      let o = r * this.inputs;
      for (const f of feats) {
        const v = row[f];
        const table = cats.get(f);
        if (table) {
          const k = table.get(String(v));
          check(
            k !== undefined,
            'FORMAT',
            () => `row ${r}: '${f}' is ${JSON.stringify(v)}, not one of its categories (${oh[f].join(', ')})`,
          );
          out[o + k] = 1;
          o += table.size;
        } else {
          const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
          check(
            typeof n === 'number' && Number.isFinite(n),
            'FORMAT',
            () => `row ${r}: '${f}' is ${v === undefined ? 'missing' : JSON.stringify(v)}, not a finite number`,
          );
          out[o++] = n;
        }
      }
    });
    return { data: out, rows: rows.length, cols: this.inputs };
  }

  /** Scales model rows with the scaler into a fresh matrix (the kernel's f32 arithmetic); a copy when there is none. */
  transform(input: MatrixInput): Matrix {
    const x = toMatrix(input, 'x', this.inputs);
    const out = new Float32Array(x.data.length);
    const a = this.affine;
    if (!a) {
      out.set(x.data);
    } else {
      const n = x.cols;
      for (let i = 0; i < out.length; i++) out[i] = Math.fround(x.data[i] - a.center[i % n]) * a.scale[i % n];
    }
    return { data: out, rows: x.rows, cols: x.cols };
  }

  /** The class name of each class index. @throws SimdnetError STATE when there are no class names. */
  names(idx: ArrayLike<number>): string[] {
    const c = this.classes;
    check(c !== undefined, 'STATE', 'the model has no class names: setPreprocessing({ classes: [...] })');
    check(
      idx !== null && typeof idx === 'object' && typeof idx.length === 'number',
      'DTYPE',
      'names() takes an array of class indices',
    );
    return Array.from(idx, (i, j) => {
      check(
        Number.isInteger(i) && i >= 0 && i < c.length,
        'RANGE',
        () => `class index ${j} is ${String(i)}, outside [0, ${c.length})`,
      );
      return c[i];
    });
  }

  /** The stored JSON (a copy). */
  toJSON(): PreprocessingJSON {
    return structuredClone(this.json);
  }
}

/** The scaler as y = (x − center) · scale per column, in f32. */
function affineOf(s: Scaler): { center: Float32Array; scale: Float32Array } {
  const n = s.cols;
  const center = new Float32Array(n);
  const scale = new Float32Array(n);
  const j = s.toJSON();
  if (j.type === 'standardizer') {
    for (let c = 0; c < n; c++) {
      center[c] = j.mean[c];
      scale[c] = j.std[c] > 0 ? 1 / j.std[c] : 1;
    }
  } else {
    const [lo, hi] = j.range;
    for (let c = 0; c < n; c++) {
      const k = j.max[c] > j.min[c] ? (hi - lo) / (j.max[c] - j.min[c]) : 1;
      scale[c] = k;
      center[c] = j.min[c] - lo / k;
    }
  }
  return { center, scale };
}

/** @internal Rows given as objects (`[{ col: v, … }, …]`), which only a model with feature names can take. */
export function isRecordRows(x: unknown): x is ReadonlyArray<Record<string, unknown>> {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    typeof x[0] === 'object' &&
    x[0] !== null &&
    !Array.isArray(x[0]) &&
    !ArrayBuffer.isView(x[0])
  );
}

/** @internal toMatrix for a model's inputs, encoding object rows first. */
export function encodeInputs(p: ModelPreprocessing | undefined, x: unknown): unknown {
  if (p?.takesRecords && isRecordRows(x)) return p.encode(x);
  return x;
}

/**
 * @internal A model's parsed `metadata.preprocessing`, parsed again only when that value is replaced (models read
 * it on every predict; Sequential and the planned models each keep one).
 */
export class PreprocessingCache {
  private src: unknown;
  private parsed: ModelPreprocessing | undefined;
  private filled = false;

  /** The preprocessing `src` describes for rows of `inputDim` values (undefined when it has none). */
  get(src: unknown, inputDim: number | undefined): ModelPreprocessing | undefined {
    if (!this.filled || this.src !== src) {
      this.parsed = ModelPreprocessing.fromJSON(src, inputDim);
      this.src = src;
      this.filled = true;
    }
    return this.parsed;
  }
}
