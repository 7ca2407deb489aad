/**
 * The CLI's CSV reading: the library's parser (src/data/csv.ts) with the CLI's rules — every column not named as
 * text must hold finite numbers, and no cell may be missing (an empty or NaN cell is an error naming file, line
 * and column, not a NaN that training would trip over later).
 */
import { type CsvSource, type CsvTable, forEachCsvRecord, parseCsv as parseCsvLib, readCsv } from '../data/csv.js';
import type { Table } from './table.js';

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Name of the file in messages (default 'CSV'). */
  source?: string;
  /** Field separator: one character (default ','). */
  delimiter?: string;
  /** The first record names the columns (default true); false: columns column_1, column_2, … */
  header?: boolean;
  /** Columns kept as text (labels, categories), or a function choosing them from the header; all others must be numeric. */
  textColumns?: readonly string[] | ((header: readonly string[]) => readonly string[]);
  /** Extra words for the "not a number" message (e.g. how to declare a categorical column). */
  nonNumericHint?: (column: string) => string;
  /** Called after each chunk of a stream (bytes read, rows parsed, characters buffered). */
  onProgress?: (p: { bytes: number; rows: number; buffered: number }) => void;
}

/**
 * Calls `onRecord(fields, line)` for each non-blank record of `text`; `line` is the 1-based line where the record
 * starts. Stops if `onRecord` returns false.
 */
export function forEachRecord(
  text: string,
  delimiter: string,
  source: string,
  onRecord: (fields: string[], line: number) => boolean | void,
): void {
  forEachCsvRecord(text, delimiter, source, onRecord);
}

function libOptions(options: CsvOptions) {
  return {
    source: options.source ?? 'CSV',
    delimiter: options.delimiter ?? ',',
    header: options.header ?? true,
    text: options.textColumns ?? [],
    numbers: 'all' as const,
    missing: [],
    nonNumericHint: options.nonNumericHint,
    onProgress: options.onProgress,
  };
}

/** The library's table as the CLI's (the same shape; numeric columns never hold missing values here). */
function asTable(t: CsvTable): Table {
  return {
    source: t.source,
    rows: t.rows,
    columns: t.columns.map((c) => (c.kind === 'text' ? c : { name: c.name, kind: 'number', values: c.values })),
  };
}

/**
 * Parses CSV text with a header row into a {@link Table}.
 * @throws SimdnetError FORMAT (no header, duplicate or unknown column, ragged row, non-numeric or empty cell,
 *   unclosed quote, no data rows) or NONFINITE (NaN/Inf cells), each naming file, line and column.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Table {
  return asTable(parseCsvLib(text, libOptions(options)));
}

/** {@link parseCsv} over a stream of bytes (decoded as UTF-8 as they arrive; gzip recognized): never a whole-file string. */
export async function readCsvStream(source: CsvSource, options: CsvOptions = {}): Promise<Table> {
  return asTable(await readCsv(source, libOptions(options)));
}
