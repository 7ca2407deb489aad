/**
 * A named-column table: what the CSV and JSON-records readers produce and what the CLI turns into matrices.
 * Numeric columns are Float32Array (column-major, compact even for MNIST-sized CSVs); text columns (labels,
 * categories) keep their strings.
 */
import { SimdnetError } from '../errors.js';

/** One column of a {@link Table}. */
export type TableColumn =
  | { name: string; kind: 'number'; values: Float32Array }
  | { name: string; kind: 'text'; values: string[] };

/** Columns of equal length, named; `source` names the file in messages. */
export interface Table {
  source: string;
  rows: number;
  columns: TableColumn[];
}

/** The column called `name`, or a FORMAT error listing the columns there are. */
// Column lookup by name, built once per table: a wide table (100k columns) looked up column by column would scan
// quadratically.
const byName = new WeakMap<Table, Map<string, TableColumn>>();

export function column(t: Table, name: string): TableColumn {
  let index = byName.get(t);
  if (!index || index.size !== t.columns.length) {
    index = new Map(t.columns.map((col) => [col.name, col]));
    byName.set(t, index);
  }
  const c = index.get(name);
  if (!c)
    throw new SimdnetError(
      'FORMAT',
      `${t.source}: no column '${name}' (columns: ${listNames(t.columns.map((col) => col.name))})`,
    );
  return c;
}

/** "a, b, c" — shortened for wide tables such as 785 pixel columns. */
export function listNames(names: readonly string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … ${names.length - max} more`;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NONFINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Parses one cell as a finite number, or throws naming where it is. `where` is e.g. "data.csv line 7, column 'x'".
 * Plain decimal and exponent forms only: '0x10', '1_000' or '' are not numbers here (Number() would say they are).
 */
export function parseNumberCell(cell: string, where: string, hint = ''): number {
  const s = cell.trim();
  if (NUMBER.test(s)) {
    const v = Number(s);
    if (Number.isFinite(v)) return v;
    throw new SimdnetError('NONFINITE', `${where}: '${s}' overflows to ${v}`);
  }
  if (s === '') throw new SimdnetError('FORMAT', `${where}: empty cell (missing value)`);
  if (NONFINITE.test(s))
    throw new SimdnetError('NONFINITE', `${where}: '${s}' is not allowed (values must be finite numbers)`);
  throw new SimdnetError('FORMAT', `${where}: '${s}' is not a number${hint}`);
}
