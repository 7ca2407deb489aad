import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CsvTable,
  csvFileRows,
  csvRows,
  parseCsv,
  readCsv,
  readCsvFile,
  tableToMatrix,
} from '../../src/data/index.js';
import { CsvRecordReader } from '../../src/data/csv.js';
import { expectSimdnetError } from '../helpers/errors.js';

const fails = expectSimdnetError;
const dir = mkdtempSync(join(tmpdir(), 'simdnet-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function col(t: CsvTable, name: string): number[] | string[] {
  const c = t.columns.find((k) => k.name === name);
  if (!c) throw new Error(`no ${name}`);
  return c.kind === 'number' ? Array.from(c.values) : c.values;
}

/** Feeds text one piece of `size` characters at a time (as bytes), to cross every chunk boundary. */
function* bytesIn(text: string, size: number): Generator<Uint8Array> {
  const b = new TextEncoder().encode(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('parseCsv: line endings', () => {
  it('ends rows at LF, CRLF, lone CR and any mix, counting lines alike', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const t = parseCsv(['a,b', '1,2', '3,4', '5,6'].join(eol) + eol);
      expect(t.rows).toBe(3);
      expect(col(t, 'a')).toEqual([1, 3, 5]);
      expect(col(t, 'b')).toEqual([2, 4, 6]);
    }
    const mixed = parseCsv('a,b\r1,2\r\n3,4\n5,6\r7,8');
    expect(col(mixed, 'a')).toEqual([1, 3, 5, 7]);
    // Line numbers in messages count lone CRs too (line 5 is '7,x').
    fails(
      () => parseCsv('a,b\r1,2\r\n3,4\n5,6\r7,x\r', { source: 'm.csv', numbers: 'all' }),
      'FORMAT',
      /m\.csv line 5, column 'b': 'x' is not a number/,
    );
  });

  it('splits the same rows whatever the chunk boundaries (CR at one chunk end, LF at the next)', async () => {
    const text = 'a,b\r\n1,"x\r\ny"\r2,"q""r"\r\n3,z\r';
    const whole = parseCsv(text, { text: ['b'] });
    for (const size of [1, 2, 3, 5, 7]) {
      const t = await readCsv(bytesIn(text, size), { text: ['b'] });
      expect(t).toEqual(whole);
    }
    expect(col(whole, 'b')).toEqual(['x\r\ny', 'q"r', 'z']);
  });
});

describe('parseCsv: quotes, comments, header', () => {
  it('reads quoted delimiters, newlines and "" escapes, and counts the lines inside quotes', () => {
    const t = parseCsv('name,v\n"a, b",1\n"say ""hi""",2\n"two\nlines",3\n"cr\rline",4\n', { text: ['name'] });
    expect(col(t, 'name')).toEqual(['a, b', 'say "hi"', 'two\nlines', 'cr\rline']);
    fails(
      () => parseCsv('name,v\n"two\nlines",1\n"cr\rx",2\nq,w\n', { text: ['name'], numbers: 'all' }),
      'FORMAT',
      /line 6, column 'v': 'w' is not a number/,
    );
    fails(() => parseCsv('a,b\n1,2\n"open,3\n'), 'FORMAT', /line 3: a quoted field is never closed/);
    fails(() => parseCsv('a,b\n"x"y,2\n'), 'FORMAT', /line 2, field 1: unexpected text after a closing quote/);
  });

  it('skips comment lines (before the header too) but not a comment character inside quotes', () => {
    const t = parseCsv('# made by a script\na,b\n# a note\n1,2\r# another\r3,"#4"\n', { comment: '#', text: ['b'] });
    expect(t.rows).toBe(2);
    expect(col(t, 'a')).toEqual([1, 3]);
    expect(col(t, 'b')).toEqual(['2', '#4']);
    fails(() => parseCsv('#c\na\n#c\nx\n', { comment: '#', numbers: 'all' }), 'FORMAT', /line 4, column 'a'/);
    // Without the option a '#' line is data.
    expect(parseCsv('a\n#x\n').columns[0].kind).toBe('text');
  });

  it('reads headerless files with column_1… names and a BOM-prefixed header', () => {
    const t = parseCsv('1,2\n3,4\n', { header: false });
    expect(t.columns.map((c) => c.name)).toEqual(['column_1', 'column_2']);
    expect(col(t, 'column_2')).toEqual([2, 4]);
    expect(parseCsv('\ufeffx\n1\n').columns[0].name).toBe('x');
    fails(() => parseCsv('1,2\n3\n', { header: false }), 'FORMAT', /line 2: 1 cell, but the first row has 2 columns/);
  });

  it('takes a delimiter and tab', () => {
    expect(col(parseCsv('a;b\n1;2\n', { delimiter: ';' }), 'b')).toEqual([2]);
    expect(col(parseCsv('a\tb\n1\t2\n', { delimiter: '\t' }), 'b')).toEqual([2]);
    fails(() => parseCsv('a\n1\n', { delimiter: '"' }), 'RANGE', /one character other than a quote/);
  });
});

describe('parseCsv: types and missing values', () => {
  it('infers numeric and text columns; missing cells are NaN and counted', () => {
    const t = parseCsv('x,y,label\n1,NA,cat\n,2.5,dog\nNaN,null,\n4,N/A,cat\n');
    const [x, y, label] = t.columns;
    expect(x.kind).toBe('number');
    expect(col(t, 'x')).toEqual([1, NaN, NaN, 4]);
    expect(y.kind === 'number' && y.missing).toBe(3);
    expect(label).toEqual({ name: 'label', kind: 'text', values: ['cat', 'dog', '', 'cat'] });
  });

  it('fills missing numbers, takes its own missing words, or refuses missing cells', () => {
    expect(col(parseCsv('x\n1\n?\n\n3\n', { missing: ['?'], fill: 0 }), 'x')).toEqual([1, 0, 3]);
    fails(() => parseCsv('x,y\n1,\n', { missing: [] }), 'FORMAT', /line 2, column 'y': empty cell \(missing value\)/);
    fails(
      () => parseCsv('x\n1\nNaN\n', { missing: [], source: 'n.csv' }),
      'NONFINITE',
      /n\.csv line 3, column 'x': 'NaN' is not allowed/,
    );
    fails(() => parseCsv('x\n1\ninf\n'), 'NONFINITE', /line 3, column 'x': 'inf' is not allowed/);
    fails(() => parseCsv('x\n1e39\n'), 'NONFINITE', /'1e39' overflows to Infinity in float32/);
    fails(() => parseCsv('x\n1\n', { fill: Infinity }), 'RANGE', /fill must be a finite/);
  });

  it('keeps declared text columns, refuses unknown ones, and with numbers: "all" names the bad cell', () => {
    const t = parseCsv('id,v\n007,1\n010,2\n', { text: ['id'] });
    expect(col(t, 'id')).toEqual(['007', '010']);
    fails(() => parseCsv('a,b\n1,2\n', { text: ['c'] }), 'FORMAT', /no column 'c' \(columns: a, b\)/);
    fails(
      () => parseCsv('a,b\n1,2\n3,four\n', { numbers: 'all', source: 'd.csv' }),
      'FORMAT',
      /d\.csv line 3, column 'b': 'four' is not a number/,
    );
    fails(() => parseCsv('a,a\n1,2\n'), 'FORMAT', /names column 'a' twice/);
    fails(() => parseCsv('', { source: 'e.csv' }), 'FORMAT', /e\.csv is empty/);
    fails(() => parseCsv('a,b\n\n', { source: 'e.csv' }), 'FORMAT', /header but no data rows/);
  });

  it('fixes types from the first inferRows rows and names a later text cell with what to do', () => {
    const text = 'a,b\n1,2\n3,4\n5,x\n';
    expect(parseCsv(text).columns[1].kind).toBe('text');
    fails(
      () => parseCsv(text, { inferRows: 2 }),
      'FORMAT',
      /line 4, column 'b': 'x' is not a number \(the column was read as numbers from its first 2 rows; name it in the `text` option/,
    );
  });

  it('reads a decimal comma with ; as the default delimiter, and refuses a decimal point then', () => {
    const t = parseCsv('x;y\n1,5;-0,25\n2;3e-1\n', { decimal: ',' });
    expect(col(t, 'x')).toEqual([1.5, 2]);
    expect(col(t, 'y')).toEqual([-0.25, Math.fround(0.3)]);
    fails(
      () => parseCsv('x;y\n1,5;2.5\n', { decimal: ',' }),
      'FORMAT',
      /column 'y': '2\.5' has a '\.', but the decimal mark is ','/,
    );
    fails(() => parseCsv('x\n1\n', { decimal: ',', delimiter: ',' }), 'RANGE', /delimiter cannot also be ','/);
  });

  it('tableToMatrix picks numeric columns in the order given', () => {
    const t = parseCsv('a,b,c\n1,2,x\n3,4,y\n');
    expect(tableToMatrix(t, ['b', 'a'])).toEqual({ data: new Float32Array([2, 1, 4, 3]), rows: 2, cols: 2 });
    fails(() => tableToMatrix(t, ['c']), 'FORMAT', /column 'c' holds text/);
    fails(() => tableToMatrix(t, ['d']), 'FORMAT', /no column 'd' \(columns: a, b, c\)/);
  });
});

describe('streaming', () => {
  // 20,000 rows of 3 numbers and a label: ~500 KB, read in 4 KB chunks.
  const rows = 20000;
  const lines = ['x,y,z,label'];
  for (let i = 0; i < rows; i++)
    lines.push(`${i},${(i * 0.5).toFixed(1)},${i % 7},${i % 3 ? 'odd' : '"even, quoted"'}`);
  const text = `${lines.join('\r\n')}\r\n`;
  const path = join(dir, 'big.csv');
  writeFileSync(path, text);

  it('reads a file far bigger than the chunk holding one chunk and one record at a time', async () => {
    const seen: Array<{ bytes: number; buffered: number }> = [];
    const t = await readCsvFile(path, { chunkSize: 4096, onProgress: (p) => seen.push(p) });
    expect(t.rows).toBe(rows);
    expect(col(t, 'x')[rows - 1]).toBe(rows - 1);
    expect((col(t, 'label') as string[]).slice(0, 2)).toEqual(['even, quoted', 'odd']);
    expect(seen.length).toBeGreaterThan(text.length / 4096);
    expect(seen.at(-1)!.bytes).toBe(text.length);
    // The parser never held more than a chunk plus the unfinished row (< 40 characters here), not the file.
    expect(Math.max(...seen.map((s) => s.buffered))).toBeLessThan(4096 + 64);
  });

  it('csvRows yields batches with the same columns from a web ReadableStream and from a Node stream', async () => {
    const { createReadStream } = await import('node:fs');
    const { Readable } = await import('node:stream');
    for (const source of [
      () => Readable.toWeb(createReadStream(path, { highWaterMark: 8192 })) as ReadableStream<Uint8Array>,
      () => createReadStream(path, { highWaterMark: 8192 }),
    ]) {
      let total = 0;
      let sum = 0;
      let batches = 0;
      for await (const b of csvRows(source(), { batchSize: 1000 })) {
        batches++;
        expect(b.rows).toBe(1000);
        expect(b.columns.map((c) => `${c.name}:${c.kind}`)).toEqual(['x:number', 'y:number', 'z:number', 'label:text']);
        total += b.rows;
        for (const v of col(b, 'x') as number[]) sum += v;
      }
      expect([batches, total, sum]).toEqual([20, rows, (rows * (rows - 1)) / 2]);
    }
  });

  it('stops reading when the consumer breaks out, and streams a gzipped file', async () => {
    let n = 0;
    for await (const b of csvFileRows(path, { batchSize: 10, chunkSize: 1024 })) {
      n += b.rows;
      if (n >= 30) break;
    }
    expect(n).toBe(30);
    const gz = join(dir, 'big.csv.gz');
    writeFileSync(gz, gzipSync(text));
    const t = await readCsvFile(gz, { chunkSize: 1000 });
    expect(t.rows).toBe(rows);
    writeFileSync(join(dir, 'bad.csv.gz'), new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await expect(readCsvFile(join(dir, 'bad.csv.gz'))).rejects.toThrow(/looks gzipped but does not inflate/);
  });

  it('a TSV file is tab-separated; a missing file and a directory are named', async () => {
    writeFileSync(join(dir, 't.tsv'), 'a\tb\n1\t2\n');
    expect(col(await readCsvFile(join(dir, 't.tsv')), 'b')).toEqual([2]);
    await expect(readCsvFile(join(dir, 'nope.csv'))).rejects.toThrow(/CSV file '.*nope\.csv' does not exist/);
    await expect(readCsvFile(dir)).rejects.toThrow(/is a directory/);
  });

  it('says "not valid UTF-8" for bad bytes only, with where they are, even split across chunks', async () => {
    const bad = new Uint8Array([...new TextEncoder().encode('a,b\n1,2\n3,'), 0xc3, 0x28, 0x0a]);
    await expect(readCsv([bad], { source: 'l1.csv' })).rejects.toThrow(
      /l1\.csv is not valid UTF-8 text: an invalid byte sequence at byte 10, line 3 \(is it a binary file/,
    );
    // 'é' split over two chunks is fine; a file cut in the middle of a character is not.
    const e = new TextEncoder().encode('a\né\n');
    const t = await readCsv([e.subarray(0, 3), e.subarray(3)]);
    expect(col(t, 'a')).toEqual(['é']);
    await expect(readCsv([e.subarray(0, 3)])).rejects.toThrow(
      /not valid UTF-8 text: an invalid byte sequence at its end/,
    );
  });

  it('a record spanning many chunks costs linear work (retried only when the buffer doubled)', () => {
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',');
    let scans = 0;
    const r = new CsvRecordReader(',', undefined, 's', (f) => {
      scans++;
      expect(f.length).toBe(5000);
    });
    const spy = r as unknown as { scan: (s: string, f: boolean) => number };
    const scan = spy.scan.bind(r);
    let scanned = 0;
    spy.scan = (s, f) => {
      scanned += s.length;
      return scan(s, f);
    };
    for (let i = 0; i < header.length; i += 16) r.push(header.slice(i, i + 16));
    r.push('\n');
    r.end();
    expect(scans).toBe(1);
    // Re-scanning from the record's start at every 16-character chunk would be ~header²/32 ≈ 1.2M characters.
    expect(scanned).toBeLessThan(4 * header.length);
  });
});

describe('long tables', () => {
  it('keeps every row past the storage blocks (150,000 rows: three blocks and a partial one)', () => {
    const n = 150_000;
    let text = 'i,half\n';
    for (let i = 0; i < n; i++) text += `${i},${i % 2 ? 'NA' : i / 2}\n`;
    const t = parseCsv(text);
    expect(t.rows).toBe(n);
    const [i, half] = t.columns;
    expect(i.values.length).toBe(n);
    let bad = 0;
    for (let r = 0; r < n; r++)
      if (i.values[r] !== r || (r % 2 ? !Number.isNaN(half.values[r]) : half.values[r] !== r / 2)) bad++;
    expect(bad).toBe(0);
    expect(half.kind === 'number' && half.missing).toBe(n / 2);
  });
});

describe('wide tables', () => {
  it('parses 100k columns × 5 rows (linear work: finishes in seconds)', async () => {
    const n = 100_000;
    const head = Array.from({ length: n }, (_, i) => `f${i}`).join(',');
    const row = (k: number) => Array.from({ length: n }, (_, i) => (i + k) % 10).join(',');
    const text = `${[head, row(0), row(1), row(2), row(3), row(4)].join('\n')}\n`;
    const t = await readCsv(bytesIn(text, 1 << 16));
    expect(t.rows).toBe(5);
    expect(t.columns.length).toBe(n);
    expect(col(t, 'f99999')).toEqual([9, 0, 1, 2, 3]);
    expect(tableToMatrix(t, ['f3', 'f99999']).data[1]).toBe(9);
  });
});
