/**
 * JSON data files, in either of two shapes:
 *
 *   records:  [ { "sepal_length": 5.1, …, "species": "setosa" }, … ]   → a {@link Table} (columns by key)
 *   arrays:   { "x": [[…], …], "y": [ … ] }                             → features and (optional) targets
 *
 * In the arrays form `y` holds class labels (numbers or strings), or rows of target values; `labels` is accepted
 * as another name for it.
 */
import { SimdnetError } from '../errors.js';
import type { Matrix } from '../data/matrix.js';
import type { Table, TableColumn } from './table.js';

/** The arrays form: x as a matrix, y as text labels, numeric labels, or target rows. */
export interface JsonArrays {
  source: string;
  x: Matrix;
  y?: { kind: 'labels'; values: string[] } | { kind: 'targets'; values: Matrix };
}

function finite(v: unknown, where: string): number {
  if (typeof v !== 'number') {
    throw new SimdnetError(
      'FORMAT',
      `${where} is ${v === null ? 'null' : typeof v === 'string' ? `'${v}'` : typeof v}, not a number`,
    );
  }
  if (!Number.isFinite(v)) throw new SimdnetError('NONFINITE', `${where} is ${v}`);
  return v;
}

function rowsOf(v: unknown, where: string): Matrix {
  if (!Array.isArray(v) || v.length === 0)
    throw new SimdnetError('FORMAT', `${where} must be a non-empty array of rows`);
  const first: unknown = v[0];
  if (!Array.isArray(first) || first.length === 0)
    throw new SimdnetError('FORMAT', `${where}[0] must be a non-empty array of numbers`);
  const cols = first.length;
  const data = new Float32Array(v.length * cols);
  for (let r = 0; r < v.length; r++) {
    const row: unknown = v[r];
    if (!Array.isArray(row)) throw new SimdnetError('FORMAT', `${where}[${r}] is not an array`);
    if (row.length !== cols)
      throw new SimdnetError('FORMAT', `${where}[${r}] has ${row.length} values, row 0 has ${cols} (ragged rows)`);
    for (let c = 0; c < cols; c++) data[r * cols + c] = finite(row[c], `${where}[${r}][${c}]`);
  }
  return { data, rows: v.length, cols };
}

/**
 * Parses a JSON data file's text.
 * @throws SimdnetError FORMAT (invalid JSON, neither shape, ragged rows or records, a non-number) or NONFINITE.
 */
export function parseJsonData(text: string, source = 'JSON'): { table: Table } | { arrays: JsonArrays } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimdnetError('FORMAT', `${source} is not valid JSON (${(err as Error).message})`);
  }
  if (Array.isArray(doc)) return { table: recordsTable(doc, source) };
  if (typeof doc === 'object' && doc !== null && 'x' in doc) {
    const o = doc as Record<string, unknown>;
    const x = rowsOf(o.x, `${source}: x`);
    const yRaw = o.y ?? o.labels;
    if (yRaw === undefined) return { arrays: { source, x } };
    const name = o.y !== undefined ? 'y' : 'labels';
    if (!Array.isArray(yRaw) || yRaw.length !== x.rows) {
      throw new SimdnetError(
        'FORMAT',
        `${source}: ${name} must be an array with one entry per row of x (${x.rows}), got ${Array.isArray(yRaw) ? yRaw.length : typeof yRaw}`,
      );
    }
    if (Array.isArray(yRaw[0]))
      return { arrays: { source, x, y: { kind: 'targets', values: rowsOf(yRaw, `${source}: ${name}`) } } };
    const labels = yRaw.map((v: unknown, i) => {
      if (typeof v === 'string') return v.trim();
      return String(finite(v, `${source}: ${name}[${i}]`));
    });
    return { arrays: { source, x, y: { kind: 'labels', values: labels } } };
  }
  throw new SimdnetError(
    'FORMAT',
    `${source}: expected an array of records [{…}, …] or an object { "x": [[…]], "y": […] }`,
  );
}

/** Records → columns; a column is text if any of its values is a string, else numeric (finite). */
function recordsTable(doc: unknown[], source: string): Table {
  if (doc.length === 0) throw new SimdnetError('FORMAT', `${source} has no records`);
  const first = doc[0];
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw new SimdnetError('FORMAT', `${source}[0] is not an object (expected records like {"a": 1, "label": "x"})`);
  }
  const names = Object.keys(first);
  if (names.length === 0) throw new SimdnetError('FORMAT', `${source}[0] has no fields`);
  const isText = names.map((n) =>
    doc.some((r) => typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>)[n] === 'string'),
  );
  const columns: TableColumn[] = names.map((name, c) =>
    isText[c]
      ? { name, kind: 'text', values: new Array<string>(doc.length) }
      : { name, kind: 'number', values: new Float32Array(doc.length) },
  );
  doc.forEach((rec, r) => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec))
      throw new SimdnetError('FORMAT', `${source}[${r}] is not an object`);
    const o = rec as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== names.length || names.some((n) => !(n in o))) {
      const missing = names.filter((n) => !(n in o));
      const extra = keys.filter((k) => !names.includes(k));
      throw new SimdnetError(
        'FORMAT',
        `${source}[${r}] has fields that differ from record 0 (ragged records:${missing.length ? ` missing ${missing.join(', ')}` : ''}${extra.length ? ` extra ${extra.join(', ')}` : ''})`,
      );
    }
    columns.forEach((col) => {
      const v = o[col.name];
      if (col.kind === 'text')
        col.values[r] = typeof v === 'string' ? v.trim() : String(finite(v, `${source}[${r}].${col.name}`));
      else col.values[r] = finite(v, `${source}[${r}].${col.name}`);
    });
  });
  return { source, rows: doc.length, columns };
}
