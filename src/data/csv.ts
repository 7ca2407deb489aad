/**
 * CSV / TSV reading (RFC 4180 and the usual variations): a header row (or none), quoted fields with "" escapes and
 * embedded delimiters and newlines, LF, CRLF and lone-CR line endings, an optional UTF-8 BOM, blank lines ignored,
 * comment lines, missing-value words and a decimal comma.
 *
 * Text is parsed as it arrives: {@link readCsv}, {@link readCsvFile} and {@link csvRows} decode bytes incrementally
 * and keep only the unfinished last record between chunks, so memory is bounded by a chunk plus the parsed columns
 * (numbers as Float32Array), never a whole-file string; files past JavaScript's maximum string length read fine.
 *
 * Column types: columns named in `text` keep their strings; every other column is numeric. With `numbers: 'infer'`
 * (the default) a column is numeric when its first `inferRows` rows hold only numbers or missing values, else text;
 * with `numbers: 'all'` every other column must be numeric. Missing values (`missing`, default '', NA, N/A, NaN,
 * null) are NaN in numeric columns (or `fill`); training refuses NaN with NONFINITE naming row and column.
 *
 * Errors are SimdnetErrors naming the source, the line (1-based, counting LF, CRLF and lone CR alike) and the column.
 */
import { SimdnetError } from '../errors.js';
import { nodeFs } from '../runtime/node.js';
import type { Matrix } from './matrix.js';

/** One column of a {@link CsvTable}: numbers (float32, NaN where missing) or text. */
export type CsvColumn =
  | {
      /** The column's name (from the header, or column_<n>). */
      name: string;
      /** A numeric column. */
      kind: 'number';
      /** One value per row; NaN (or the `fill` option) where a cell was missing. */
      values: Float32Array;
      /** How many cells were missing. */
      missing: number;
    }
  | {
      /** The column's name (from the header, or column_<n>). */
      name: string;
      /** A text column (labels, categories). */
      kind: 'text';
      /** One cell per row, as text. */
      values: string[];
    };

/** Named columns of equal length; `source` names the file in messages. */
export interface CsvTable {
  /** What the data is called in messages (the `source` option or the path). */
  source: string;
  /** Data rows (the header excluded). */
  rows: number;
  /** The columns, in the file's order. */
  columns: CsvColumn[];
}

/** Options of the CSV readers. */
export interface CsvOptions {
  /** Name of the data in messages (default 'CSV'; the path for {@link readCsvFile}). */
  source?: string;
  /** Field separator, one character (default ',', ';' with `decimal: ','`, tab for a .tsv file). */
  delimiter?: string;
  /** The first record names the columns (default true); without it columns are column_1, column_2, … */
  header?: boolean;
  /** Lines starting with this text (outside quotes) are skipped, e.g. '#'. */
  comment?: string;
  /**
   * Cell texts (after trimming) that mean "no value": NaN (or `fill`) in numeric columns, kept as they are in text
   * columns. Default ['', 'NA', 'N/A', 'NaN', 'null']; [] makes every numeric cell required.
   */
  missing?: readonly string[];
  /** Number stored for a missing numeric cell instead of NaN. */
  fill?: number;
  /** Decimal mark: '.' (default) or ',' (then the delimiter defaults to ';' and '.' in a number is refused). */
  decimal?: '.' | ',';
  /** Columns kept as text, or a function choosing them from the header (it may throw to refuse the header). */
  text?: readonly string[] | ((header: readonly string[]) => readonly string[]);
  /** 'infer' (default): other columns are numeric if their first `inferRows` rows are; 'all': all must be. */
  numbers?: 'infer' | 'all';
  /** Rows looked at to infer column types (default 1000). */
  inferRows?: number;
  /** Extra words appended to a "not a number" message for a column (e.g. how to declare it categorical). */
  nonNumericHint?: (column: string) => string;
  /** Bytes read at a time from a file (default 1 MiB). */
  chunkSize?: number;
  /** Called after each chunk: bytes read so far, rows parsed, characters held for an unfinished record. */
  onProgress?: (p: CsvProgress) => void;
}

/** What {@link CsvOptions.onProgress} is told after each chunk. */
export interface CsvProgress {
  /** Bytes (or characters, for text sources) consumed so far. */
  bytes: number;
  /** Data rows parsed so far. */
  rows: number;
  /** Characters the parser held at once while parsing the last chunk (the chunk plus any unfinished record). */
  buffered: number;
}

/** Options of {@link csvRows}: those of the readers plus the batch size. */
export interface CsvRowsOptions extends CsvOptions {
  /** Rows per batch (default 1024). */
  batchSize?: number;
}

/** Bytes or text as they arrive: a web ReadableStream, a Node stream, or any (async) iterable of chunks. */
export type CsvSource =
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'null'];
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NONFINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Why a header row has a repeated name when the row is really data (a file with no header): its cells read as
 * numbers. Said plainly, with both ways out.
 */
export function headerMissingHint(names: readonly string[]): string {
  const numeric = names.filter((n) => NUMBER.test(n.trim())).length;
  if (numeric < Math.max(1, names.length / 2)) return '';
  return (
    ': the first line looks like data (its cells are numbers), so the file seems to have no header row; ' +
    'add a first line naming the columns (e.g. x1,x2,label), or read it with header: false (--no-header on the ' +
    'command line), which names the columns column_1, column_2, …'
  );
}

/** A field that starts with spaces and then a quote: the quote is text there (RFC 4180), not the start of a quoted field. */
const SPACE_QUOTE = /^[ \t]+"/;

function spaceQuoteHint(cell: string): string {
  return SPACE_QUOTE.test(cell)
    ? ' (a space before the opening quote makes the quote part of the text: remove the space after the delimiter)'
    : '';
}

/** The likely cause of a ragged row, when the row shows one: a delimiter at the end of the line, or a space before a quote. */
function raggedHint(fields: readonly string[], columns: number, delimiter: string): string {
  const shown = delimiter === '\t' ? 'tab' : `'${delimiter}'`;
  if (fields.length === columns + 1 && fields[fields.length - 1]!.trim() === '') {
    return `: the line ends with a delimiter (${shown}), which starts one more, empty cell; remove the trailing delimiter`;
  }
  if (fields.some((f) => SPACE_QUOTE.test(f))) {
    return `: a field starts with a space and then a quote, so the quote is read as text and a ${shown} inside it splits the field; remove the space after the delimiter`;
  }
  return '';
}

/** "a, b, c", shortened for wide tables. */
function listNames(names: readonly string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … ${names.length - max} more`;
}

const kindOf = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? JSON.stringify(v.slice(0, 20))
        : typeof v === 'number'
          ? String(v)
          : typeof v;

function checkCsvOptions(o: unknown, where: string): void {
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new SimdnetError('DTYPE', `${where}: CSV options must be an object, got ${kindOf(o)}`);
}

interface Resolved {
  source: string;
  delimiter: string;
  header: boolean;
  comment: string | undefined;
  missing: Set<string>;
  fill: number;
  decimalComma: boolean;
  text: CsvOptions['text'];
  infer: boolean;
  inferRows: number;
  hint: ((column: string) => string) | undefined;
}

function resolve(o: CsvOptions, where: string, defaults: { source?: string; delimiter?: string } = {}): Resolved {
  checkCsvOptions(o, where);
  if (o.header !== undefined && typeof o.header !== 'boolean')
    throw new SimdnetError('DTYPE', `${where}: option header must be true or false, got ${kindOf(o.header)}`);
  if (o.source !== undefined && typeof o.source !== 'string')
    throw new SimdnetError('DTYPE', `${where}: option source must be a string, got ${kindOf(o.source)}`);
  const decimalComma = o.decimal === ',';
  if (o.decimal !== undefined && o.decimal !== '.' && o.decimal !== ',')
    throw new SimdnetError('RANGE', `decimal must be '.' or ',', got '${String(o.decimal)}'`);
  const delimiter = o.delimiter ?? (decimalComma ? ';' : (defaults.delimiter ?? ','));
  if (
    typeof delimiter !== 'string' ||
    delimiter.length !== 1 ||
    delimiter === '"' ||
    delimiter === '\n' ||
    delimiter === '\r'
  ) {
    throw new SimdnetError(
      'RANGE',
      `the CSV delimiter must be one character other than a quote or newline, got '${String(delimiter)}'`,
    );
  }
  if (decimalComma && delimiter === ',')
    throw new SimdnetError('RANGE', "with decimal ',' the delimiter cannot also be ',' (use ';' or a tab)");
  if (o.comment !== undefined && (typeof o.comment !== 'string' || o.comment === '' || o.comment.includes('"'))) {
    throw new SimdnetError('RANGE', `comment must be a non-empty text without quotes, got '${String(o.comment)}'`);
  }
  const missing = o.missing ?? DEFAULT_MISSING;
  if (!Array.isArray(missing) || missing.some((m) => typeof m !== 'string'))
    throw new SimdnetError('DTYPE', 'missing must be an array of strings');
  if (o.fill !== undefined && (typeof o.fill !== 'number' || !Number.isFinite(Math.fround(o.fill)))) {
    throw new SimdnetError('RANGE', `fill must be a finite float32 number, got ${String(o.fill)}`);
  }
  if (o.numbers !== undefined && o.numbers !== 'infer' && o.numbers !== 'all')
    throw new SimdnetError('RANGE', `numbers must be 'infer' or 'all', got '${String(o.numbers)}'`);
  const inferRows = o.inferRows ?? 1000;
  if (!Number.isInteger(inferRows) || inferRows < 1)
    throw new SimdnetError('RANGE', `inferRows must be a positive integer, got ${String(inferRows)}`);
  if (o.text !== undefined && typeof o.text !== 'function' && !Array.isArray(o.text))
    throw new SimdnetError('DTYPE', 'text must be an array of column names or a function of the header');
  return {
    source: o.source ?? defaults.source ?? 'CSV',
    delimiter,
    header: o.header ?? true,
    comment: o.comment,
    missing: new Set(missing.map((m) => m.trim())),
    fill: o.fill ?? NaN,
    decimalComma,
    text: o.text,
    infer: o.numbers !== 'all',
    inferRows,
    hint: o.nonNumericHint,
  };
}

type OnRecord = (fields: string[], line: number) => boolean | void;

/** Line breaks in a quoted field's text: LF, CRLF and lone CR each count once. */
function countBreaks(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) k++;
    else if (c === 13) {
      k++;
      if (s.charCodeAt(i + 1) === 10) i++;
    }
  }
  return k;
}

/**
 * Splits text into records as it arrives. Between pushes it keeps only the unfinished last record; a record longer
 * than what is buffered is retried only once the buffer has doubled, so a huge record costs linear time, not
 * quadratic.
 */
export class CsvRecordReader {
  /** 1-based line where the next record starts. */
  line = 1;
  /** Most characters held at once (a chunk plus an unfinished record). */
  peakBuffered = 0;
  /** Set once `onRecord` returned false: later text is ignored. */
  stopped = false;
  private pieces: string[] = [];
  private pending = 0;
  private retryAt = 0;
  private started = false;
  private readonly d: number;

  constructor(
    delimiter: string,
    private readonly comment: string | undefined,
    private readonly source: string,
    private readonly onRecord: OnRecord,
  ) {
    this.d = delimiter.charCodeAt(0);
  }

  push(chunk: string): void {
    if (this.stopped || chunk.length === 0) return;
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.pieces.push(chunk);
    this.pending += chunk.length;
    if (this.pending >= this.retryAt) this.run(false);
  }

  end(): void {
    if (!this.stopped && this.pending > 0) this.run(true);
    this.pieces = [];
    this.pending = 0;
  }

  private run(final: boolean): void {
    let buf: string;
    try {
      buf = this.pieces.length === 1 ? this.pieces[0] : this.pieces.join('');
    } catch (err) {
      if (err instanceof RangeError) {
        throw new SimdnetError(
          'FORMAT',
          `${this.source} line ${this.line}: a record longer than a JavaScript string can hold (${this.pending} characters; is a quote never closed?)`,
        );
      }
      throw err;
    }
    this.peakBuffered = Math.max(this.peakBuffered, buf.length);
    const pos = this.scan(buf, final);
    const rest = pos < buf.length ? buf.slice(pos) : '';
    this.pieces = rest ? [rest] : [];
    this.pending = rest.length;
    this.retryAt = 2 * rest.length;
  }

  /** Parses whole records of `s`; returns where the first unfinished one starts (s.length when none). */
  private scan(s: string, final: boolean): number {
    const n = s.length;
    const d = this.d;
    const comment = this.comment;
    let i = 0;
    while (i < n) {
      const start = i;
      let line = this.line;
      if (comment !== undefined && s.startsWith(comment, i)) {
        let j = i;
        while (j < n) {
          const c = s.charCodeAt(j);
          if (c === 10 || c === 13) break;
          j++;
        }
        if (j >= n - 1 && !final) return start; // the line end (or the LF of a CRLF) may be in the next chunk
        if (s.charCodeAt(j) === 13) j++;
        if (s.charCodeAt(j) === 10) j++;
        this.line++;
        i = j;
        continue;
      }
      const fields: string[] = [];
      let blank = true;
      let incomplete = false;
      for (;;) {
        let field: string;
        if (s.charCodeAt(i) === 34 /* " */) {
          blank = false;
          let j = i + 1;
          let buf = '';
          for (;;) {
            const q = s.indexOf('"', j);
            if (q < 0 || (q + 1 >= n && !final)) {
              if (final)
                throw new SimdnetError('FORMAT', `${this.source} line ${this.line}: a quoted field is never closed`);
              incomplete = true;
              break;
            }
            buf += s.slice(j, q);
            if (s.charCodeAt(q + 1) === 34) {
              buf += '"';
              j = q + 2;
              continue;
            }
            i = q + 1;
            break;
          }
          if (incomplete) break;
          line += countBreaks(buf);
          field = buf;
          const c = s.charCodeAt(i);
          if (i < n && c !== d && c !== 10 && c !== 13) {
            throw new SimdnetError(
              'FORMAT',
              `${this.source} line ${line}, field ${fields.length + 1}: unexpected text after a closing quote`,
            );
          }
        } else {
          let j = i;
          while (j < n) {
            const c = s.charCodeAt(j);
            if (c === d || c === 10 || c === 13) break;
            j++;
          }
          if (j >= n && !final) {
            incomplete = true;
            break;
          }
          field = s.slice(i, j);
          if (blank && field.trim() !== '') blank = false;
          i = j;
        }
        fields.push(field);
        const c = s.charCodeAt(i);
        if (i < n && c === d) {
          blank = false;
          i++;
          continue;
        }
        // End of record: CRLF, LF, lone CR or end of text.
        if (c === 13) {
          if (i + 1 >= n && !final) {
            incomplete = true;
            break;
          }
          i++;
          if (s.charCodeAt(i) === 10) i++;
        } else if (c === 10) i++;
        line++;
        break;
      }
      if (incomplete) return start;
      const at = this.line;
      this.line = line;
      if (!blank && this.onRecord(fields, at) === false) {
        this.stopped = true;
        return n;
      }
    }
    return n;
  }
}

/**
 * Calls `onRecord(fields, line)` for each non-blank record of `text` (`line`: 1-based line where it starts); stops
 * when `onRecord` returns false.
 */
export function forEachCsvRecord(
  text: string,
  delimiter: string,
  source: string,
  onRecord: OnRecord,
  comment?: string,
): void {
  const r = new CsvRecordReader(delimiter, comment, source, onRecord);
  r.push(text);
  r.end();
}

/** Numbers of a column: full blocks of BLOCK rows, then the block being filled. */
type Col = {
  name: string;
  num?: Float32Array;
  blocks: Float32Array[];
  text?: string[];
  missing: number;
  inferred: boolean;
};

/**
 * Rows per storage block of a whole table. The first block grows from 16 rows by doubling (a 100k-column table
 * must not reserve much per column); past BLOCK rows, full blocks are kept and joined once at the end, so reading
 * never copies the data to grow and the peak is the data plus one column.
 */
const BLOCK = 1 << 16;

/** Turns records into typed columns: whole tables, or batches of `batch` rows handed to `emit`. */
class TableBuilder {
  rows = 0;
  private names?: string[];
  private cols?: Col[];
  private pending: Array<{ fields: string[]; line: number }> = [];
  private textSet = new Set<string>();
  private capacity = 0;
  /** Rows in the block being filled (rows − rows in full blocks). */
  private filled = 0;

  constructor(
    private readonly o: Resolved,
    private readonly batch?: { size: number; emit: (t: CsvTable) => void },
  ) {}

  /** Data rows parsed so far (all batches). */
  total = 0;

  record = (fields: string[], line: number): void => {
    const o = this.o;
    if (!this.names) {
      const named = o.header;
      const names = named
        ? fields.map((f, i) => f.trim() || `column_${i + 1}`)
        : fields.map((_, i) => `column_${i + 1}`);
      const seen = new Set<string>();
      for (const h of names) {
        if (seen.has(h))
          throw new SimdnetError(
            'FORMAT',
            `${o.source} line ${line}: the header names column '${h}' twice${named ? headerMissingHint(names) : ''}`,
          );
        seen.add(h);
      }
      const text = typeof o.text === 'function' ? o.text(names) : (o.text ?? []);
      for (const t of text) {
        if (!seen.has(t))
          throw new SimdnetError(
            'FORMAT',
            `${o.source}: no column '${t}' (columns: ${listNames(names)})${named ? headerMissingHint(names) : ''}`,
          );
        this.textSet.add(t);
      }
      this.names = names;
      if (!o.infer) this.setTypes(undefined);
      if (named) return;
    }
    if (fields.length !== this.names.length) {
      const k = fields.length;
      throw new SimdnetError(
        'FORMAT',
        `${o.source} line ${line}: ${k} cell${k === 1 ? '' : 's'}, but the ${o.header ? 'header has' : 'first row has'} ${this.names.length} columns (ragged row)${raggedHint(fields, this.names.length, o.delimiter)}`,
      );
    }
    if (!this.cols) {
      this.pending.push({ fields, line });
      if (this.pending.length >= o.inferRows) this.decide();
      return;
    }
    this.add(fields, line);
  };

  /** Fixes the column types from the rows seen so far and replays them. */
  private decide(): void {
    const names = this.names!;
    const numeric = names.map(
      (name, c) => !this.textSet.has(name) && this.pending.every((r) => this.numberLike(r.fields[c])),
    );
    this.setTypes(numeric);
    const rows = this.pending;
    this.pending = [];
    for (const r of rows) this.add(r.fields, r.line);
  }

  private numberLike(cell: string): boolean {
    const s = cell.trim();
    // An empty cell does not make a column text: it is missing (or, with `missing: []`, refused as empty).
    if (s === '' || this.o.missing.has(s)) return true;
    const t = this.o.decimalComma ? s.replace(',', '.') : s;
    return NUMBER.test(t) || NONFINITE.test(s);
  }

  private setTypes(numeric: boolean[] | undefined): void {
    this.capacity = this.batch ? this.batch.size : 16;
    this.cols = this.names!.map((name, c) => {
      const num = numeric ? numeric[c] : !this.textSet.has(name);
      const inferred = numeric !== undefined;
      return num
        ? { name, num: new Float32Array(this.capacity), blocks: [], missing: 0, inferred }
        : { name, text: [], blocks: [], missing: 0, inferred: false };
    });
  }

  private add(fields: string[], line: number): void {
    const cols = this.cols!;
    if (this.filled === this.capacity) this.grow(cols);
    const r = this.filled;
    for (let c = 0; c < fields.length; c++) {
      const col = cols[c];
      if (col.text) col.text.push(fields[c].trim());
      else col.num![r] = this.number(fields[c], col, line);
    }
    this.rows++;
    this.filled++;
    this.total++;
    if (this.batch && this.rows === this.batch.size) this.flush();
  }

  /** Room for more rows of a whole table (batches are emitted when full and never grow). */
  private grow(cols: Col[]): void {
    if (this.capacity < BLOCK) {
      this.capacity = Math.min(BLOCK, this.capacity * 2);
      for (const col of cols) {
        if (!col.num) continue;
        const a = new Float32Array(this.capacity);
        a.set(col.num);
        col.num = a;
      }
      return;
    }
    for (const col of cols) {
      if (!col.num) continue;
      col.blocks.push(col.num);
      col.num = new Float32Array(BLOCK);
    }
    this.filled = 0;
  }

  private number(cell: string, col: Col, line: number): number {
    const o = this.o;
    const s = cell.trim();
    if (o.missing.has(s)) {
      col.missing++;
      return o.fill;
    }
    const where = () => `${o.source} line ${line}, column '${col.name}'`;
    let t = s;
    if (o.decimalComma) {
      if (s.includes('.') && NUMBER.test(s.replace(',', '.')))
        throw new SimdnetError('FORMAT', `${where()}: '${s}' has a '.', but the decimal mark is ','`);
      t = s.replace(',', '.');
    }
    if (NUMBER.test(t)) {
      const v = Number(t);
      if (Number.isFinite(Math.fround(v))) return v;
      throw new SimdnetError(
        'NONFINITE',
        `${where()}: '${s}' overflows to ${Number.isFinite(v) ? `${v < 0 ? '-' : ''}Infinity in float32` : v}`,
      );
    }
    if (s === '') throw new SimdnetError('FORMAT', `${where()}: empty cell (missing value)`);
    if (NONFINITE.test(s))
      throw new SimdnetError('NONFINITE', `${where()}: '${s}' is not allowed (values must be finite numbers)`);
    const inferred = col.inferred
      ? ` (the column was read as numbers from its first ${o.inferRows} rows; name it in the \`text\` option to read it as text)`
      : '';
    throw new SimdnetError(
      'FORMAT',
      `${where()}: '${s}' is not a number${spaceQuoteHint(cell)}${o.hint?.(col.name) ?? ''}${inferred}`,
    );
  }

  /** The rows gathered so far as a table; the builder starts a new one. */
  private take(): CsvTable {
    const rows = this.rows;
    const filled = this.filled;
    const columns: CsvColumn[] = this.cols!.map((c) => {
      if (c.text) {
        const values = c.text;
        c.text = [];
        return { name: c.name, kind: 'text', values };
      }
      let values: Float32Array;
      if (c.blocks.length === 0) values = filled === c.num!.length ? c.num! : c.num!.slice(0, filled);
      else {
        values = new Float32Array(rows);
        let off = 0;
        for (const b of c.blocks) {
          values.set(b, off);
          off += b.length;
        }
        values.set(c.num!.subarray(0, filled), off);
        c.blocks = [];
      }
      const missing = c.missing;
      c.missing = 0;
      c.num = new Float32Array(this.batch ? this.capacity : 0);
      return { name: c.name, kind: 'number', values, missing };
    });
    this.rows = 0;
    this.filled = 0;
    return { source: this.o.source, rows, columns };
  }

  private flush(): void {
    if (this.rows > 0) this.batch!.emit(this.take());
  }

  /** Call at the end of the data: decides types if still pending, emits the last batch. */
  finish(): void {
    if (this.names && !this.cols) this.decide();
    if (this.batch && this.cols) this.flush();
  }

  /** The whole table (not in batch mode). */
  table(): CsvTable {
    const o = this.o;
    if (!this.names)
      throw new SimdnetError(
        'FORMAT',
        `${o.source} is empty (expected ${o.header ? 'a header row and ' : ''}data rows)`,
      );
    if (this.rows === 0) throw new SimdnetError('FORMAT', `${o.source} has a header but no data rows`);
    return this.take();
  }
}

/**
 * Parses CSV text into a table.
 * @throws SimdnetError FORMAT (empty, duplicate or unknown column, ragged row, non-numeric cell, unclosed quote, no
 *   data rows), NONFINITE (Inf/NaN cells not listed as missing, float32 overflow), RANGE/DTYPE (bad options).
 */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  if (typeof text !== 'string')
    throw new SimdnetError(
      'DTYPE',
      `parseCsv takes the CSV text as a string, got ${text === null ? 'null' : typeof text}`,
    );
  const o = resolve(options, 'parseCsv');
  const b = new TableBuilder(o);
  forEachCsvRecord(text, o.delimiter, o.source, b.record, o.comment);
  b.finish();
  return b.table();
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    x !== null && typeof x === 'object' && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** The chunks of any source, as an async iterable (web streams through their reader: not all runtimes iterate them). */
async function* chunksOf(source: CsvSource, name: string): AsyncGenerator<Uint8Array | string> {
  if (source !== null && typeof source === 'object' && typeof (source as ReadableStream).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array | string>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (isAsyncIterable(source)) {
    yield* source as AsyncIterable<Uint8Array | string>;
    return;
  }
  if (
    source !== null &&
    typeof source === 'object' &&
    typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function' &&
    typeof source !== 'string'
  ) {
    yield* source as Iterable<Uint8Array | string>;
    return;
  }
  throw new SimdnetError(
    'DTYPE',
    `${name}: a CSV source must be a ReadableStream, a Node stream or an (async) iterable of Uint8Array/string chunks, got ${source === null ? 'null' : typeof source}`,
  );
}

function asBytes(chunk: unknown, name: string): Uint8Array | string {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new SimdnetError(
    'DTYPE',
    `${name}: a chunk must be a Uint8Array or a string, got ${chunk === null ? 'null' : typeof chunk}`,
  );
}

/** Inflates gzip bytes (recognized by their magic number in the first chunk) with the standard DecompressionStream. */
async function* gunzipped(
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array | string>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const DS = (globalThis as { DecompressionStream?: new (f: string) => TransformStream<Uint8Array, Uint8Array> })
    .DecompressionStream;
  if (!DS) throw new SimdnetError('UNSUPPORTED', `${name} is gzipped and this runtime has no DecompressionStream`);
  const input = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(first);
    },
    async pull(c) {
      const r = await rest.next();
      if (r.done) c.close();
      else c.enqueue(asBytes(r.value, name) as Uint8Array);
    },
  });
  const reader = input.pipeThrough(new DS('gzip')).getReader();
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        if (err instanceof SimdnetError) throw err;
        throw new SimdnetError('FORMAT', `${name} looks gzipped but does not inflate (${(err as Error).message})`);
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Decodes a source's chunks as UTF-8, incrementally; reports bytes consumed through `onBytes`. */
async function* textOf(
  source: CsvSource,
  name: string,
  where: () => number,
  onBytes: (n: number) => void,
): AsyncGenerator<string> {
  const it = chunksOf(source, name)[Symbol.asyncIterator]();
  let first = await it.next();
  if (first.done) return;
  let head = asBytes(first.value, name);
  let bytes: AsyncIterator<Uint8Array | string> = it;
  if (typeof head !== 'string' && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    bytes = gunzipped(head, it, name);
    first = await bytes.next();
    if (first.done) return;
    head = first.value;
  }
  try {
    yield* decodeAll(head, bytes, name, where, onBytes);
  } finally {
    // An early stop (a consumer that breaks out) must still close the file or stream underneath.
    await bytes.return?.(undefined);
    if (bytes !== it) await it.return?.(undefined);
  }
}

async function* decodeAll(
  head: Uint8Array | string,
  bytes: AsyncIterator<Uint8Array | string>,
  name: string,
  where: () => number,
  onBytes: (n: number) => void,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  const decode = (b: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(b, { stream });
    } catch {
      let at = 'at its end (a truncated character)';
      if (stream) {
        const i = invalidUtf8At(b);
        at =
          i < 0
            ? `in bytes ${offset}–${offset + b.length}`
            : `at byte ${offset + i}, line ${where() + countBreaks(latin1(b.subarray(0, i)))}`;
      }
      throw new SimdnetError(
        'FORMAT',
        `${name} is not valid UTF-8 text: an invalid byte sequence ${at} (is it a binary file, or text in another encoding such as Latin-1? re-save it as UTF-8)`,
      );
    }
  };
  for (let chunk: Uint8Array | string = head; ; ) {
    if (typeof chunk === 'string') {
      yield chunk;
      offset += chunk.length;
      onBytes(chunk.length);
    } else {
      const s = decode(chunk, true);
      offset += chunk.length;
      onBytes(chunk.length);
      if (s) yield s;
    }
    const r = await bytes.next();
    if (r.done) break;
    chunk = asBytes(r.value, name);
  }
  const tail = decode(new Uint8Array(0), false);
  if (tail) yield tail;
}

/** Bytes as one character each (line breaks are ASCII, so counting them needs no decoding). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/**
 * Where the first invalid UTF-8 sequence of a chunk starts (-1: none found here). Leading continuation bytes may
 * finish a character begun in the previous chunk, and a sequence cut at the end may finish in the next one.
 */
function invalidUtf8At(b: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < b.length && (b[i] & 0xc0) === 0x80) i++;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0) return i;
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length) return -1;
      const x = b[i + k];
      if ((x & 0xc0) !== 0x80) return i;
      // Overlong forms, surrogates and code points past U+10FFFF are invalid in their second byte.
      if (
        k === 1 &&
        ((c === 0xe0 && x < 0xa0) || (c === 0xed && x > 0x9f) || (c === 0xf0 && x < 0x90) || (c === 0xf4 && x > 0x8f))
      )
        return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Feeds a source through a record reader into a table builder. */
async function pump(
  source: CsvSource,
  o: Resolved,
  b: TableBuilder,
  onProgress: CsvOptions['onProgress'],
): Promise<void> {
  const reader = new CsvRecordReader(o.delimiter, o.comment, o.source, b.record);
  let bytes = 0;
  for await (const text of textOf(
    source,
    o.source,
    () => reader.line,
    (n) => (bytes += n),
  )) {
    reader.push(text);
    onProgress?.({ bytes, rows: b.total, buffered: reader.peakBuffered });
    if (reader.stopped) break;
  }
  reader.end();
  b.finish();
  onProgress?.({ bytes, rows: b.total, buffered: reader.peakBuffered });
}

/**
 * Reads a whole table from a stream of bytes or text, parsing as it arrives (gzip is recognized and inflated).
 * @throws SimdnetError as {@link parseCsv}, and FORMAT for text that is not UTF-8.
 */
export async function readCsv(source: CsvSource, options: CsvOptions = {}): Promise<CsvTable> {
  const o = resolve(options, 'readCsv');
  const b = new TableBuilder(o);
  await pump(source, o, b, options.onProgress);
  return b.table();
}

/**
 * Streams the rows of a CSV source as tables of at most `batchSize` rows, with the same columns and types in each
 * (types are fixed from the first `inferRows` rows). Memory is bounded by a chunk and a batch, not the file.
 */
export async function* csvRows(source: CsvSource, options: CsvRowsOptions = {}): AsyncGenerator<CsvTable> {
  yield* rowsOf(source, options, 'csvRows');
}

async function* rowsOf(source: CsvSource, options: CsvRowsOptions, where: string): AsyncGenerator<CsvTable> {
  const o = resolve(options, where);
  const size = options.batchSize ?? 1024;
  if (!Number.isInteger(size) || size < 1)
    throw new SimdnetError('RANGE', `batchSize must be a positive integer, got ${String(size)}`);
  const ready: CsvTable[] = [];
  const b = new TableBuilder(o, { size, emit: (t) => ready.push(t) });
  const reader = new CsvRecordReader(o.delimiter, o.comment, o.source, b.record);
  let bytes = 0;
  let any = false;
  for await (const text of textOf(
    source,
    o.source,
    () => reader.line,
    (n) => (bytes += n),
  )) {
    reader.push(text);
    options.onProgress?.({ bytes, rows: b.total, buffered: reader.peakBuffered });
    while (ready.length) {
      any = true;
      yield ready.shift()!;
    }
  }
  reader.end();
  b.finish();
  options.onProgress?.({ bytes, rows: b.total, buffered: reader.peakBuffered });
  while (ready.length) {
    any = true;
    yield ready.shift()!;
  }
  if (!any) b.table(); // throws the "empty" / "no data rows" error
}

/**
 * The bytes of a file in chunks (Node, Deno, Bun). Open and read errors become FORMAT errors that call the file
 * `what` (e.g. 'CSV file', 'data file').
 */
export async function* fileChunks(path: string, chunkSize = 1 << 20, what = 'CSV file'): AsyncGenerator<Uint8Array> {
  if (typeof path !== 'string' || path === '')
    throw new SimdnetError('DTYPE', `${what}: the path must be a non-empty string`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new SimdnetError('RANGE', `chunkSize must be a positive integer, got ${String(chunkSize)}`);
  const fs = await nodeFs();
  const fail = (err: unknown): never => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SimdnetError('FORMAT', `${what} '${path}' does not exist`);
    if (code === 'EISDIR') throw new SimdnetError('FORMAT', `${what} '${path}' is a directory, not a file`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new SimdnetError('FORMAT', `${what} '${path}' cannot be read (permission denied)`);
    throw new SimdnetError('FORMAT', `cannot read ${what} '${path}': ${(err as Error).message}`);
  };
  let fh: Awaited<ReturnType<typeof fs.promises.open>>;
  try {
    fh = await fs.promises.open(path, 'r');
  } catch (err) {
    return fail(err);
  }
  try {
    for (;;) {
      // A fresh buffer per chunk: the consumer (a gunzip stream) may still hold the previous one.
      const buf = new Uint8Array(chunkSize);
      let n: number;
      try {
        n = (await fh.read(buf, 0, chunkSize, null)).bytesRead;
      } catch (err) {
        return fail(err);
      }
      if (n === 0) return;
      yield n === chunkSize ? buf : buf.subarray(0, n);
    }
  } finally {
    await fh.close();
  }
}

/** The delimiter a file's name implies: tab for .tsv (also .tsv.gz), else undefined. */
export function delimiterForPath(path: string): string | undefined {
  return /\.tsv(\.gz)?$/i.test(path) ? '\t' : undefined;
}

/**
 * Reads a CSV (or TSV, or gzipped) file into a table, streaming it in `chunkSize` pieces (Node, Deno, Bun).
 * @throws SimdnetError as {@link readCsv}, and FORMAT for a file that does not exist or cannot be read.
 */
export async function readCsvFile(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  const o = resolve(options, 'readCsvFile', {
    source: path,
    delimiter: typeof path === 'string' ? delimiterForPath(path) : undefined,
  });
  const b = new TableBuilder(o);
  await pump(fileChunks(path, options.chunkSize ?? 1 << 20), o, b, options.onProgress);
  return b.table();
}

/** {@link csvRows} over a file (Node, Deno, Bun). */
export function csvFileRows(path: string, options: CsvRowsOptions = {}): AsyncGenerator<CsvTable> {
  checkCsvOptions(options, 'csvFileRows');
  const delimiter =
    options.delimiter ??
    (options.decimal === ',' ? undefined : typeof path === 'string' ? delimiterForPath(path) : undefined);
  return rowsOf(
    fileChunks(path, options.chunkSize ?? 1 << 20),
    { source: typeof path === 'string' ? path : 'CSV file', ...options, ...(delimiter ? { delimiter } : {}) },
    'csvFileRows',
  );
}

/**
 * Numeric columns of a table as a row-major float32 matrix (e.g. the features for `fit`), in the order given.
 * @throws SimdnetError FORMAT for an unknown or text column.
 */
export function tableToMatrix(table: CsvTable, columns: readonly string[]): Matrix {
  if (
    table === null ||
    typeof table !== 'object' ||
    !Array.isArray(table.columns) ||
    !Number.isSafeInteger(table.rows)
  ) {
    throw new SimdnetError(
      'DTYPE',
      `tableToMatrix: table must be a CsvTable (from parseCsv or readCsv), got ${kindOf(table)}`,
    );
  }
  if (!Array.isArray(columns))
    throw new SimdnetError('DTYPE', `tableToMatrix: columns must be an array of column names, got ${kindOf(columns)}`);
  if (columns.length === 0)
    throw new SimdnetError('EMPTY', 'tableToMatrix: columns is empty; name at least one numeric column');
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const cols = columns.map((name) => {
    const c = byName.get(name);
    if (!c)
      throw new SimdnetError(
        'FORMAT',
        `${table.source}: no column '${name}' (columns: ${listNames(table.columns.map((k) => k.name))})`,
      );
    if (c.kind !== 'number')
      throw new SimdnetError('FORMAT', `${table.source}: column '${name}' holds text, not numbers`);
    return c.values;
  });
  const w = cols.length;
  const data = new Float32Array(table.rows * w);
  for (let j = 0; j < w; j++) {
    const v = cols[j];
    for (let r = 0; r < table.rows; r++) data[r * w + j] = v[r];
  }
  return { data, rows: table.rows, cols: w };
}
