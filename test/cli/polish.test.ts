// What a user of the command meets at its edges: output piped into a reader that stops early, one error prefix for
// every failure, CSV mistakes explained (a missing header row, a trailing delimiter, a space before a quote), and
// model files under the older .sdnt name.
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, flowersCsv, runNode, scratch, type RunResult } from './helpers.js';

let bin: string;
let work: string;
const simdnet = (args: string[]): Promise<RunResult> => runNode(bin, args, work);

/** A failure: the exit code, one line on stderr starting `simdnet: error: `, no stack trace. */
function expectFailure(r: RunResult, code: number, message: RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^simdnet: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Runs the command with its stdout a pipe whose reading end is closed at once (what `| head -1` does after its
 * line, here before the first write, so every write the command makes fails with EPIPE).
 */
function runClosedStdout(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, FORCE_COLOR: '0' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
  });
}

beforeAll(async () => {
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  const rows = flowersCsv(200, 3).split('\n');
  work = scratch({
    'flowers.csv': rows.join('\n'),
    // The same table without its header row: every header cell would be a number.
    'no-header.csv': rows.slice(1).join('\n'),
    'trailing.csv': `${rows.slice(0, 5).join('\n')}\n${rows[5]},\n${rows.slice(6, 20).join('\n')}\n`,
    'space-quote.csv': 'a,b,label\n1, "2",x\n3,4,y\n5,6,x\n',
    'space-quote-comma.csv': 'a,b,label\n1,2,x\n3, "4,5",y\n',
  });
  const t = await simdnet([
    'train',
    '--data',
    'flowers.csv',
    '--label',
    'species',
    '--one-hot',
    'soil',
    '--layers',
    '8:relu,3:softmax',
    '--epochs',
    '2',
    '-o',
    'm.simdnet',
  ]);
  expect(t.code, t.stderr).toBe(0);
}, 180_000);

describe('output piped into a reader that stops (simdnet … | head -1)', () => {
  for (const args of [
    ['evaluate', 'm.simdnet', '--data', 'flowers.csv', '--label', 'species'],
    ['info', 'm.simdnet'],
    ['predict', 'm.simdnet', '--data', 'flowers.csv', '-p'],
    ['--help'],
  ]) {
    it(`${args[0]}: exits quietly, no EPIPE stack trace`, async () => {
      const r = await runClosedStdout(args);
      expect(r.stderr, 'stderr').not.toMatch(/EPIPE|\n\s+at |Error/);
      expect(r.code, r.stderr).toBe(0);
    });
  }
});

describe('the live bar in a real terminal (a pty via script(1))', () => {
  for (const cols of [80, 60]) {
    it(`fits ${cols} columns: no redraw is wider than ${cols - 1} characters`, async () => {
      const { spawnSync } = await import('node:child_process');
      if (spawnSync('script', ['--version']).status !== 0) return; // util-linux script is not installed
      const cmd = `stty cols ${cols}; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} train --data flowers.csv --label species --one-hot soil --epochs 3 --batch-size 4 -o tty-${cols}.simdnet`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const draws = r.stdout
        .split('\r\x1b[2K')
        .slice(1)
        .map((l) => l.split(/\r?\n/)[0]!)
        .filter((l) => / \[=* *\] /.test(l));
      expect(draws.length, r.stdout).toBeGreaterThan(0);
      for (const l of draws) expect(l.length, l).toBeLessThanOrEqual(cols - 1);
      expect(draws.at(-1)).toMatch(/^epoch 3\/3 \[=+\] \d+\/\d+ loss \d/);
    });
  }
});

describe('one prefix for every failure: `simdnet: error: `', () => {
  it('usage mistakes (exit 2) and bad data or files (exit 1) alike', async () => {
    expectFailure(await simdnet(['trian']), 2, /unknown command 'trian'/);
    expectFailure(await simdnet(['train', '--bogus']), 2, /unknown option --bogus/);
    expectFailure(await simdnet(['info', 'missing.simdnet']), 1, /missing\.simdnet' does not exist/);
    expectFailure(await simdnet(['info', 'flowers.csv']), 1, /flowers\.csv/);
  });
});

describe('CSV mistakes, explained', () => {
  it('a file with no header row: says the header seems missing and how to say so (--no-header)', async () => {
    const r = await simdnet(['train', '--data', 'no-header.csv', '--label', 'species', '--epochs', '1']);
    expectFailure(
      r,
      1,
      /the first line looks like data .*no header row; add a first line naming the columns .*--no-header/,
    );
  });

  it('--no-header reads it, with columns column_1, column_2, …', async () => {
    const r = await simdnet([
      'train',
      '--data',
      'no-header.csv',
      '--no-header',
      '--label',
      'column_6',
      '--one-hot',
      'column_5',
      '--layers',
      '8:relu,3:softmax',
      '--epochs',
      '1',
      '-o',
      'nh.simdnet',
    ]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a trailing delimiter: says the line ends with one', async () => {
    const r = await simdnet([
      'train',
      '--data',
      'trailing.csv',
      '--label',
      'species',
      '--one-hot',
      'soil',
      '--epochs',
      '1',
    ]);
    expectFailure(
      r,
      1,
      /trailing\.csv line 6: 7 cells, but the header has 6 columns \(ragged row\): the line ends with a delimiter \(','\).*remove the trailing delimiter/,
    );
  });

  it('a space before a quote: says the quote became text', async () => {
    expectFailure(
      await simdnet(['train', '--data', 'space-quote.csv', '--label', 'label', '--epochs', '1']),
      1,
      /'"2"' is not a number \(a space before the opening quote makes the quote part of the text/,
    );
    expectFailure(
      await simdnet(['train', '--data', 'space-quote-comma.csv', '--label', 'label', '--epochs', '1']),
      1,
      /ragged row\): a field starts with a space and then a quote/,
    );
  });
});

describe('model file names', () => {
  it('a model saved as .simdnet loads under the older .sdnt name too', async () => {
    copyFileSync(join(work, 'm.simdnet'), join(work, 'm.sdnt'));
    const a = await simdnet(['evaluate', 'm.simdnet', '--data', 'flowers.csv', '--label', 'species']);
    const b = await simdnet(['evaluate', 'm.sdnt', '--data', 'flowers.csv', '--label', 'species']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout.replace(/m\.sdnt/g, 'm.simdnet')).toBe(a.stdout);
  });
});
