// Real tables (scikit-learn's iris, wine, breast_cancer and digits, written once by scripts/fixtures/
// tables_fixture.py): a model trained by `simdnet train` carries its preprocessing into the library.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { loadModel, saveModel } from '../../src/io/format.js';
import { dense } from '../../src/layers/index.js';
import { sequential } from '../../src/model/sequential.js';
import { loadQuantized } from '../../src/compress/quant-format.js';
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

const testAccuracy = (stdout: string): number =>
  Number(/^test: loss [\d.]+, accuracy ([\d.]+)% on/m.exec(stdout)![1]) / 100;

beforeAll(async () => {
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  await init();
}, 120_000);

describe('a model trained by the CLI carries its preprocessing into the library', () => {
  it("digits (64 features): `train --standardize`, then loadModel + predict on raw rows gives the CLI's test accuracy", async () => {
    const out = join(scratch(), 'digits.simdnet');
    {
      const r = await simdnet([
        'train',
        '--data',
        'digits-train.csv',
        '--label',
        'label',
        '--standardize',
        '--test',
        'digits-test.csv',
        '--seed',
        '1',
        '-o',
        out,
        '--report',
        `${out}.svg`,
      ]);
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
      // quantize (calibrated on the training rows, which the model scales itself) keeps the preprocessing in its file.
      const q = await simdnet([
        'quantize',
        out,
        '--data',
        'digits-train.csv',
        '--label',
        'label',
        '--test',
        'digits-test.csv',
        '-o',
        `${out}.int8`,
      ]);
      expect(q.code, q.stderr).toBe(0);
      const qm = loadQuantized(readFileSync(`${out}.int8`));
      expect(qm.preprocessing?.scaler?.cols).toBe(64);
      const qNames = qm.predictClasses(x, { names: true });
      expect(qNames.filter((c, i) => c === labels[i]).length / labels.length).toBeGreaterThan(cliAccuracy - 0.01);
      qm.dispose();
      // What the issue saw: the same weights on unscaled rows are far worse.
      model.setPreprocessing(null);
      const unscaled = model.predictClasses(x);
      expect(unscaled.filter((c, i) => String(c) === labels[i]).length / labels.length).toBeLessThan(
        cliAccuracy - 0.05,
      );
      model.dispose();
    }
  });
});

interface SklearnTable {
  train: number;
  test: number;
  standardized: number[];
  raw: number[];
  standardized_mean: number;
  raw_mean: number;
}
const sklearn = JSON.parse(readFileSync(join(TABLES, 'sklearn-mlp.json'), 'utf8')) as {
  sklearn: string;
  tables: Record<string, SklearnTable>;
};

describe('defaults that work on tables: only --data, --label and --test', () => {
  // scikit-learn's MLPClassifier() after StandardScaler (its defaults otherwise), mean over 5 seeds, same split.
  it.each(['iris', 'wine', 'breast_cancer', 'digits'])(
    '%s: within a point of scikit-learn (or better)',
    async (name) => {
      const dir = scratch();
      const r = await simdnet([
        'train',
        '--data',
        `${name}-train.csv`,
        '--label',
        'label',
        '--test',
        `${name}-test.csv`,
        '-o',
        join(dir, 'm.simdnet'),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(''); // no warnings on these defaults
      expect(r.stdout).toMatch(/Total params/);
      const ours = testAccuracy(r.stdout);
      const ref = sklearn.tables[name];
      expect(
        ours,
        `simdnet ${(100 * ours).toFixed(2)} % vs scikit-learn ${(100 * ref.standardized_mean).toFixed(2)} %`,
      ).toBeGreaterThanOrEqual(ref.standardized_mean - 0.01);
      // The model standardizes its inputs itself: the saved file has the scaler.
      const m = loadModel(readFileSync(join(dir, 'm.simdnet')));
      expect(m.preprocessing?.scaler?.cols).toBe(readTable(`${name}-test.csv`).header.length - 1);
      m.dispose();
    },
  );

  it('warns when unscaled columns differ by orders of magnitude, and when the loss is still falling at the end', async () => {
    const dir = scratch();
    const r = await simdnet([
      'train',
      '--data',
      'wine-train.csv',
      '--label',
      'label',
      '--no-standardize',
      '--epochs',
      '5',
      '-o',
      join(dir, 'w.simdnet'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: the input columns differ in scale by 3 orders of magnitude \('[a-z_/0-9]+' std [\d.e-]+, 'proline' std [\d.e+]+\) and are not scaled/m,
    );
    const m = loadModel(readFileSync(join(dir, 'w.simdnet')));
    expect(m.preprocessing?.scaler).toBeUndefined();
    m.dispose();
    const short = await simdnet([
      'train',
      '--data',
      'iris-train.csv',
      '--label',
      'label',
      '--epochs',
      '6',
      '-o',
      join(dir, 'i.simdnet'),
    ]);
    expect(short.code, short.stderr).toBe(0);
    expect(short.stderr).toMatch(
      /^warning: the training loss was still falling at the last epoch \([\d.]+ → [\d.]+ over the last 5\): more --epochs may help$/m,
    );
    expect(short.stderr).not.toMatch(/differ in scale/);
    const both = await simdnet([
      'train',
      '--data',
      'iris-train.csv',
      '--label',
      'label',
      '--standardize',
      '--no-standardize',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--no-standardize leaves the columns unscaled: leave out --standardize/);
  });
});

describe('simdnet evaluate counts a class the model never predicts as scikit-learn does', () => {
  it("the issue's case: macro F1 34.6 %, not an average over the classes that happen to be predicted", async () => {
    // A fixed 3-class model that answers A for x = (1, 0) and C for x = (0, 1): class B is never predicted.
    const m = sequential([dense(3, { inputDim: 2, activation: 'softmax' })], { seed: 1 });
    m.build(2);
    m.setWeights([Float32Array.of(10, -100, 0, 0, -100, 10), Float32Array.of(0, -100, 0)]);
    m.setPreprocessing({ features: ['x1', 'x2'], classes: ['A', 'B', 'C'] });
    const dir = scratch();
    writeFileSync(join(dir, 'never-b.simdnet'), saveModel(m));
    m.dispose();
    // True A: 7 predicted A, 3 C; true B: 5 A, 5 C; true C: 4 A, 6 C (the fixture case of test/metrics).
    const rows: string[] = ['x1,x2,label'];
    const add = (label: string, a: number, c: number): void => {
      for (let i = 0; i < a; i++) rows.push(`1,0,${label}`);
      for (let i = 0; i < c; i++) rows.push(`0,1,${label}`);
    };
    add('A', 7, 3);
    add('B', 5, 5);
    add('C', 4, 6);
    writeFileSync(join(dir, 'rows.csv'), `${rows.join('\n')}\n`);
    const e = await runNode(bin, ['evaluate', 'never-b.simdnet', '--data', 'rows.csv', '--label', 'label'], dir);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^B +0\.0% +0\.0% +0\.0% +10$/m);
    expect(e.stdout).toMatch(/^macro avg +28\.9% +43\.3% +34\.6% +30$/m);
    const j = await runNode(
      bin,
      ['evaluate', 'never-b.simdnet', '--data', 'rows.csv', '--label', 'label', '--json'],
      dir,
    );
    const r = JSON.parse(j.stdout) as { macro: { f1: number }; perClass: Array<{ precision: number }> };
    expect(r.macro.f1).toBeCloseTo(0.34615384615, 9);
    expect(r.perClass[1].precision).toBe(0);
  });
});
