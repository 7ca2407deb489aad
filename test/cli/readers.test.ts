// The CLI's data readers on their own: CSV (quotes, CRLF, BOM, errors by line and column), IDX, JSON.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { forEachRecord, parseCsv } from '../../src/cli/csv.js';
import { encodeIdx, parseIdx } from '../../src/cli/idx.js';
import { parseJsonData } from '../../src/cli/json-data.js';
import { column, parseNumberCell } from '../../src/cli/table.js';
import { expectSimdnetError } from '../helpers/errors.js';

const fails = expectSimdnetError;

describe('CSV', () => {
  it('reads numbers and text columns, quotes with commas, "" escapes and newlines, CRLF, BOM, blank lines', () => {
    const text = '\ufeffa,b,name\r\n1,2.5,"x, y"\r\n\r\n-3,1e-3,"say ""hi"""\n4,.5,"two\nlines"\n';
    const t = parseCsv(text, { source: 't.csv', textColumns: ['name'] });
    expect(t.rows).toBe(3);
    expect(t.columns.map((c) => c.name)).toEqual(['a', 'b', 'name']);
    expect(Array.from(column(t, 'a').values as Float32Array)).toEqual([1, -3, 4]);
    expect(Array.from(column(t, 'b').values as Float32Array)).toEqual([2.5, Math.fround(1e-3), 0.5]);
    expect(column(t, 'name').values).toEqual(['x, y', 'say "hi"', 'two\nlines']);
  });

  it('counts lines across quoted newlines in messages', () => {
    fails(
      () => parseCsv('a,b\n"multi\nline",1\n2,oops\n', { source: 'q.csv', textColumns: ['a'] }),
      'FORMAT',
      /q\.csv line 4, column 'b': 'oops' is not a number/,
    );
  });

  it('takes another delimiter', () => {
    const t = parseCsv('a;b\n1;2\n', { delimiter: ';' });
    expect(Array.from(column(t, 'b').values as Float32Array)).toEqual([2]);
  });

  it('rejects ragged rows, naming the line and the counts', () => {
    fails(
      () => parseCsv('a,b,c\n1,2,3\n4,5\n', { source: 'r.csv' }),
      'FORMAT',
      /r\.csv line 3: 2 cells, but the header has 3 columns \(ragged row\)/,
    );
    fails(() => parseCsv('a,b\n1,2,3\n', { source: 'r.csv' }), 'FORMAT', /line 2: 3 cells/);
  });

  it('rejects non-numeric, empty and NaN/Inf cells with line and column', () => {
    fails(
      () => parseCsv('x,y\n1,2\n3,abc\n', { source: 'd.csv' }),
      'FORMAT',
      /d\.csv line 3, column 'y': 'abc' is not a number/,
    );
    fails(() => parseCsv('x,y\n1,\n', { source: 'd.csv' }), 'FORMAT', /line 2, column 'y': empty cell/);
    fails(() => parseCsv('x,y\nNaN,2\n', { source: 'd.csv' }), 'NONFINITE', /line 2, column 'x': 'NaN' is not allowed/);
    fails(() => parseCsv('x,y\n1,-inf\n', { source: 'd.csv' }), 'NONFINITE', /'-inf' is not allowed/);
    fails(() => parseCsv('x\n1e999\n', { source: 'd.csv' }), 'NONFINITE', /overflows/);
    // Number() would accept these; a data file should not.
    fails(() => parseCsv('x\n0x10\n'), 'FORMAT', /'0x10' is not a number/);
  });

  it('rejects an empty file, a header alone, duplicate columns, unknown text columns and unclosed quotes', () => {
    fails(() => parseCsv('', { source: 'e.csv' }), 'FORMAT', /e\.csv is empty/);
    fails(() => parseCsv('a,b\n', { source: 'e.csv' }), 'FORMAT', /header but no data rows/);
    fails(() => parseCsv('a,a\n1,2\n'), 'FORMAT', /names column 'a' twice/);
    fails(() => parseCsv('a,b\n1,2\n', { textColumns: ['c'] }), 'FORMAT', /no column 'c' \(columns: a, b\)/);
    fails(() => parseCsv('a,b\n"1,2\n'), 'FORMAT', /line 2: a quoted field is never closed/);
  });

  it('names empty header cells and hands text hints through', () => {
    const t = parseCsv(',v\n0,1\n');
    expect(t.columns[0].name).toBe('column_1');
    fails(
      () => parseCsv('v\nred\n', { nonNumericHint: (c) => ` (try --one-hot ${c})` }),
      'FORMAT',
      /'red' is not a number \(try --one-hot v\)/,
    );
  });

  it('forEachRecord stops when asked (the CLI reads just the header first)', () => {
    const seen: string[][] = [];
    forEachRecord('h1,h2\n1,2\n3,4\n', ',', 's', (f) => {
      seen.push(f);
      return false;
    });
    expect(seen).toEqual([['h1', 'h2']]);
  });

  it('parseNumberCell trims and accepts exponents and signs', () => {
    expect(parseNumberCell(' +1.5e2 ', 'w')).toBe(150);
    expect(parseNumberCell('-.25', 'w')).toBe(-0.25);
  });
});

describe('IDX', () => {
  it('round-trips every element type through encodeIdx / parseIdx', () => {
    const cases: Array<[Parameters<typeof encodeIdx>[0], number[]]> = [
      ['u8', [0, 7, 255, 128]],
      ['i8', [-128, 0, 5, 127]],
      ['i16', [-300, 0, 300, 32767]],
      ['i32', [-70000, 0, 1, 70000]],
      ['f32', [0.5, -1.25, 3, 1e-3]],
      ['f64', [0.25, -2, 1e10, 3]],
    ];
    for (const [type, vals] of cases) {
      const a = parseIdx(encodeIdx(type, [2, 2], vals), type);
      expect(a.type).toBe(type);
      expect(a.dims).toEqual([2, 2]);
      expect(Array.from(a.data)).toEqual(vals.map(Math.fround));
    }
  });

  it('reads an MNIST-shaped image file (n × 28 × 28, big-endian sizes)', () => {
    const px = Array.from({ length: 3 * 784 }, (_, i) => i % 256);
    const a = parseIdx(encodeIdx('u8', [3, 28, 28], px));
    expect(a.dims).toEqual([3, 28, 28]);
    expect(a.data[785]).toBe(785 % 256);
    // Header bytes as in the MNIST files: 00 00 08 03, then 3, 28, 28 big-endian.
    expect(Array.from(encodeIdx('u8', [3, 28, 28], px).subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 3]);
  });

  it('rejects wrong magic, unknown types, truncation, extra bytes and NaN', () => {
    fails(
      () => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5]), 'x.idx'),
      'FORMAT',
      /x\.idx is not a valid IDX file: .*magic/,
    );
    fails(() => parseIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 1, 5])), 'FORMAT', /unknown element type 0x42/);
    const good = encodeIdx('u8', [4, 2], new Array(8).fill(1));
    fails(
      () => parseIdx(good.subarray(0, good.length - 1)),
      'FORMAT',
      /need 20 bytes, the file has 19 \(truncated\?\)/,
    );
    const long = new Uint8Array(good.length + 1);
    long.set(good);
    fails(() => parseIdx(long), 'FORMAT', /the file has 21/);
    fails(() => parseIdx(encodeIdx('f32', [2], [1, NaN])), 'NONFINITE', /value 1 is NaN/);
    fails(() => parseIdx(new Uint8Array([0, 0, 8])), 'FORMAT', /only 3 bytes/);
    fails(() => parseIdx(gzipSync(good)), 'FORMAT', /magic/);
  });
});

describe('JSON data', () => {
  it('reads records into a table (text columns where any value is a string)', () => {
    const r = parseJsonData('[{"a": 1, "b": 2, "c": "x"}, {"a": 3, "b": 4, "c": "y"}]', 'r.json');
    if (!('table' in r)) throw new Error('expected a table');
    expect(r.table.rows).toBe(2);
    expect(Array.from(column(r.table, 'b').values as Float32Array)).toEqual([2, 4]);
    expect(column(r.table, 'c').values).toEqual(['x', 'y']);
  });

  it('reads the {x, y} form with labels or target rows', () => {
    const a = parseJsonData('{"x": [[1, 2], [3, 4]], "y": ["cat", "dog"]}', 'a.json');
    if (!('arrays' in a)) throw new Error('expected arrays');
    expect(a.arrays.x).toEqual({ data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 });
    expect(a.arrays.y).toEqual({ kind: 'labels', values: ['cat', 'dog'] });
    const b = parseJsonData('{"x": [[1], [2]], "labels": [[0.5], [1.5]]}');
    if (!('arrays' in b)) throw new Error('expected arrays');
    expect(b.arrays.y?.kind).toBe('targets');
  });

  it('rejects invalid JSON, ragged rows and records, non-numbers, and a y of the wrong length', () => {
    fails(() => parseJsonData('{"x": [1,', 'bad.json'), 'FORMAT', /bad\.json is not valid JSON/);
    fails(
      () => parseJsonData('{"x": [[1, 2], [3]]}', 'j.json'),
      'FORMAT',
      /j\.json: x\[1\] has 1 values, row 0 has 2 \(ragged rows\)/,
    );
    fails(
      () => parseJsonData('[{"a": 1, "b": 2}, {"a": 3}]', 'j.json'),
      'FORMAT',
      /j\.json\[1\] has fields that differ .*missing b/,
    );
    fails(() => parseJsonData('{"x": [[1, "2"]]}', 'j.json'), 'FORMAT', /x\[0\]\[1\] is '2', not a number/);
    fails(
      () => parseJsonData('{"x": [[1], [2]], "y": [1]}', 'j.json'),
      'FORMAT',
      /one entry per row of x \(2\), got 1/,
    );
    fails(() => parseJsonData('{"rows": []}', 'j.json'), 'FORMAT', /expected an array of records/);
    fails(() => parseJsonData('[{"a": null}]', 'j.json'), 'FORMAT', /j\.json\[0\]\.a is null/);
  });
});
