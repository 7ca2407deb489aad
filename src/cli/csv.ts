/**
 * CSV reader (RFC 4180): a header row, quoted fields with "" escapes and embedded newlines, CRLF or LF, an optional
 * UTF-8 BOM, blank lines ignored. Every row must have as many cells as the header; numeric columns must hold
 * finite numbers. Errors name the file, the line and the column.
 */
import { SimdnetError } from '../errors.js';
import { type Table, type TableColumn, parseNumberCell } from './table.js';

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Name of the file in messages (default 'CSV'). */
  source?: string;
  /** Field separator: one character (default ','). */
  delimiter?: string;
  /** Columns kept as text (labels, categories); all others must be numeric. */
  textColumns?: readonly string[];
  /** Extra words for the "not a number" message (e.g. how to declare a categorical column). */
  nonNumericHint?: (column: string) => string;
}

/**
 * Calls `onRecord(fields, line)` for each non-blank record of `text`; `line` is the 1-based line where the record
 * starts. Stops if `onRecord` returns false.
 */
export function forEachRecord(text: string, delimiter: string, source: string, onRecord: (fields: string[], line: number) => boolean | void): void {
  const d = delimiter.charCodeAt(0);
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      // One field.
      let field: string;
      if (text.charCodeAt(i) === 34 /* " */) {
        blank = false;
        let j = i + 1;
        let buf = '';
        for (;;) {
          const q = text.indexOf('"', j);
          if (q < 0) throw new SimdnetError('FORMAT', `${source} line ${startLine}: a quoted field is never closed`);
          for (let k = j; k < q; k++) if (text.charCodeAt(k) === 10) line++;
          buf += text.slice(j, q);
          if (text.charCodeAt(q + 1) === 34) {
            buf += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        field = buf;
        const c = text.charCodeAt(i);
        if (i < n && c !== d && c !== 10 && c !== 13) {
          throw new SimdnetError('FORMAT', `${source} line ${line}: unexpected text after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === d || c === 10 || c === 13) break;
          j++;
        }
        field = text.slice(i, j);
        if (field.trim() !== '') blank = false;
        i = j;
      }
      fields.push(field);
      const c = text.charCodeAt(i);
      if (i < n && c === d) {
        blank = false;
        i++;
        continue;
      }
      // End of record: CRLF, LF, lone CR or end of text.
      if (c === 13) i++;
      if (text.charCodeAt(i) === 10) i++;
      line++;
      break;
    }
    if (blank) continue;
    if (onRecord(fields, startLine) === false) return;
  }
}

/** Counts line feeds: an upper bound on the data rows, to size the columns once. */
function countLines(text: string): number {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/**
 * Parses CSV text with a header row into a {@link Table}.
 * @throws SimdnetError FORMAT (no header, duplicate or unknown column, ragged row, non-numeric cell, unclosed
 *   quote, no data rows) or NONFINITE (NaN/Inf cells), each naming file, line and column.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Table {
  const source = options.source ?? 'CSV';
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new SimdnetError('RANGE', `the CSV delimiter must be one character other than a quote or newline, got '${delimiter}'`);
  }
  const capacity = countLines(text);
  let header: string[] | undefined;
  let cols: Array<{ name: string; num?: Float32Array; text?: string[] }> = [];
  let rows = 0;
  const textSet = new Set(options.textColumns ?? []);
  forEachRecord(text, delimiter, source, (fields, line) => {
    if (!header) {
      header = fields.map((f, i) => f.trim() || `column_${i + 1}`);
      const seen = new Set<string>();
      for (const h of header) {
        if (seen.has(h)) throw new SimdnetError('FORMAT', `${source} line ${line}: the header names column '${h}' twice`);
        seen.add(h);
      }
      for (const t of textSet) {
        if (!seen.has(t)) throw new SimdnetError('FORMAT', `${source}: no column '${t}' (columns: ${header.join(', ')})`);
      }
      cols = header.map((name) => (textSet.has(name) ? { name, text: [] } : { name, num: new Float32Array(capacity) }));
      return;
    }
    if (fields.length !== header.length) {
      throw new SimdnetError('FORMAT', `${source} line ${line}: ${fields.length} cell${fields.length === 1 ? '' : 's'}, but the header has ${header.length} columns (ragged row)`);
    }
    for (let c = 0; c < fields.length; c++) {
      const col = cols[c];
      if (col.text) col.text.push(fields[c].trim());
      else col.num![rows] = parseNumberCell(fields[c], `${source} line ${line}, column '${col.name}'`, options.nonNumericHint?.(col.name) ?? '');
    }
    rows++;
  });
  if (!header) throw new SimdnetError('FORMAT', `${source} is empty (expected a header row and data rows)`);
  if (rows === 0) throw new SimdnetError('FORMAT', `${source} has a header but no data rows`);
  const columns: TableColumn[] = cols.map((c) =>
    c.text ? { name: c.name, kind: 'text', values: c.text } : { name: c.name, kind: 'number', values: c.num!.slice(0, rows) },
  );
  return { source, rows, columns };
}
