// The CLI reading CSV through the library's streaming reader: lone-CR files, wide tables, encodings, gzip.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, flowersCsv, runNode, scratch, type RunResult } from './helpers.js';

let bin: string;
let work: string;
const simdnet = (args: string[]): Promise<RunResult> => runNode(bin, args, work);

function ok(r: RunResult): RunResult {
  expect(r.code, `stderr: ${r.stderr}`).toBe(0);
  return r;
}

function accuracy(stdout: string): number {
  const m = /accuracy[^\d]*([\d.]+)\s*%/i.exec(stdout);
  if (!m) throw new Error(`no accuracy in:\n${stdout}`);
  return Number(m[1]);
}

beforeAll(() => {
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  const lf = flowersCsv(240, 1);
  work = scratch({
    'lf.csv': lf,
    // Old Mac line endings: every row ends in a lone CR (was read as one row, then a misleading NaN error).
    'cr.csv': lf.replace(/\n/g, '\r'),
    'test.csv': flowersCsv(60, 2),
  });
}, 120_000);

describe('CLI CSV reading', () => {
  it('trains on a lone-CR file exactly as on the LF file', async () => {
    const args = [
      '--label',
      'species',
      '--one-hot',
      'soil',
      '--standardize',
      '--layers',
      '16:relu,3:softmax',
      '--epochs',
      '40',
      '--lr',
      '0.01',
      '--seed',
      '3',
      '--validation-split',
      '0',
    ];
    const cr = ok(await simdnet(['train', '--data', 'cr.csv', ...args, '-o', 'cr.simdnet']));
    expect(cr.stdout).toMatch(/data: cr\.csv, 240 rows × 7 inputs, 3 classes/);
    const lf = ok(await simdnet(['train', '--data', 'lf.csv', ...args, '-o', 'lf.simdnet']));
    expect(lf.stdout).toMatch(/data: lf\.csv, 240 rows × 7 inputs, 3 classes/);
    const a = ok(await simdnet(['evaluate', 'cr.simdnet', '--data', 'test.csv']));
    const b = ok(await simdnet(['evaluate', 'lf.simdnet', '--data', 'test.csv']));
    expect(accuracy(a.stdout)).toBeGreaterThan(85);
    expect(accuracy(a.stdout)).toBe(accuracy(b.stdout));
  }, 120_000);

  it('trains on 100k feature columns (column lookups by name, not scans)', async () => {
    const n = 100_000;
    const lines = [[...Array.from({ length: n }, (_, i) => `f${i}`), 'y'].join(',')];
    for (let r = 0; r < 5; r++)
      lines.push([...Array.from({ length: n }, (_, i) => ((i * 7 + r * 3) % 10) / 10), r % 2 ? 'b' : 'a'].join(','));
    writeFileSync(join(work, 'wide.csv'), `${lines.join('\n')}\n`);
    const r = ok(
      await simdnet([
        'train',
        '--data',
        'wide.csv',
        '--label',
        'y',
        '--layers',
        '2:softmax',
        '--epochs',
        '1',
        '--validation-split',
        '0',
        '-o',
        'wide.simdnet',
      ]),
    );
    expect(r.stdout).toMatch(/data: wide\.csv, 5 rows × 100000 inputs, 2 classes/);
    // ~1 s now; 45 s before (a scan of the columns per feature). The limit is 20× slack, not a benchmark.
  }, 30_000);

  it('names bad bytes as bad UTF-8 with their place, reads gzipped CSV, keeps its messages', async () => {
    // 'é' in Latin-1 (one byte 0xe9) on line 3.
    const latin1 = new Uint8Array([...Buffer.from('a,b,y\n1,2,x\n3,'), 0xe9, 0x0a]);
    writeFileSync(join(work, 'latin1.csv'), latin1);
    const bad = await simdnet(['train', '--data', 'latin1.csv', '--label', 'y']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/latin1\.csv is not valid UTF-8 text: an invalid byte sequence at byte 14, line 3/);
    writeFileSync(join(work, 'lf.csv.gz'), gzipSync(flowersCsv(240, 1)));
    const gz = ok(
      await simdnet([
        'train',
        '--data',
        'lf.csv.gz',
        '--label',
        'species',
        '--one-hot',
        'soil',
        '--layers',
        '3:softmax',
        '--epochs',
        '1',
        '-o',
        'gz.simdnet',
      ]),
    );
    expect(gz.stdout).toMatch(/240 rows × 7 inputs/);
    writeFileSync(join(work, 'holes.csv'), 'a,b,y\r1,2,x\r3,,z\r');
    const holes = await simdnet(['train', '--data', 'holes.csv', '--label', 'y']);
    expect(holes.code).toBe(1);
    expect(holes.stderr).toMatch(/holes\.csv line 3, column 'b': empty cell \(missing value\)/);
    // No extension: the format is told from the bytes, and the CSV still goes through the chunked reader.
    writeFileSync(join(work, 'noext'), 'a,b,y\r1,2,x\r3,4,z\r5,6,x\r7,8,z\r');
    const noext = ok(
      await simdnet([
        'train',
        '--data',
        'noext',
        '--label',
        'y',
        '--layers',
        '2:softmax',
        '--epochs',
        '1',
        '--validation-split',
        '0',
        '-o',
        'noext.simdnet',
      ]),
    );
    expect(noext.stdout).toMatch(/data: noext, 4 rows × 2 inputs, 2 classes/);
  }, 120_000);
});
