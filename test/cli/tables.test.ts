// Real tables (scikit-learn's iris, wine, breast_cancer and digits, written once by scripts/fixtures/
// tables_fixture.py): a model trained by `simdnet train` carries its preprocessing into the library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/io/format.js';
import { init } from '../../src/runtime/engine.js';
import { buildCli, runNode, scratch, type RunResult } from './helpers.js';

const TABLES = join(import.meta.dirname, 'fixtures/tables');
let bin: string;
const simdnet = (args: string[]): Promise<RunResult> => runNode(bin, args, TABLES, { timeoutMs: 600_000 });

/** A fixture table as rows of numbers and the label column's text. */
function readTable(name: string): { header: string[]; x: number[][]; labels: string[] } {
  const [head, ...lines] = readFileSync(join(TABLES, name), 'utf8').trimEnd().split('\n');
  const header = head.split(',');
  const x: number[][] = [];
  const labels: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    labels.push(cells.pop()!);
    x.push(cells.map(Number));
  }
  return { header, x, labels };
}

const testAccuracy = (stdout: string): number => Number(/^test: loss [\d.]+, accuracy ([\d.]+)% on/m.exec(stdout)![1]) / 100;

beforeAll(async () => {
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  await init();
}, 120_000);

describe('a model trained by the CLI carries its preprocessing into the library', () => {
  it("digits (64 features): `train --standardize`, then loadModel + predict on raw rows gives the CLI's test accuracy", async () => {
    const out = join(scratch(), 'digits.simdnet');
    {
      const r = await simdnet(['train', '--data', 'digits-train.csv', '--label', 'label', '--standardize', '--test', 'digits-test.csv', '--seed', '1', '-o', out, '--report', `${out}.svg`]);
      expect(r.code, r.stderr).toBe(0);
      const cliAccuracy = testAccuracy(r.stdout);
      expect(cliAccuracy).toBeGreaterThan(0.95);
      const model = loadModel(readFileSync(out));
      const { x, labels } = readTable('digits-test.csv');
      expect(model.preprocessing?.scaler?.cols).toBe(64);
      expect(model.preprocessing?.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      const names = model.predictClasses(x, { names: true }); // raw pixel counts 0..16, as in the file
      const right = names.filter((c, i) => c === labels[i]).length;
      expect(right / labels.length).toBeCloseTo(cliAccuracy, 4);
      // And `simdnet evaluate` on the same file agrees (the model scales; the CLI no longer does it twice).
      const e = await simdnet(['evaluate', out, '--data', 'digits-test.csv', '--label', 'label', '--json']);
      expect(e.code, e.stderr).toBe(0);
      expect((JSON.parse(e.stdout) as { accuracy: number }).accuracy).toBeCloseTo(cliAccuracy, 4);
      // What the issue saw: the same weights on unscaled rows are far worse.
      model.setPreprocessing(null);
      const unscaled = model.predictClasses(x);
      expect(unscaled.filter((c, i) => String(c) === labels[i]).length / labels.length).toBeLessThan(cliAccuracy - 0.05);
      model.dispose();
    }
  });
});
