// The `simdnet` command driven as a user would: spawned processes, real files, exit codes and output.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/cli/idx.js';
import { loadModel } from '../../src/io/format.js';
import { init } from '../../src/runtime/engine.js';
import { barsCsv, buildCli, flowersCsv, rand, runNode, scratch, type RunResult } from './helpers.js';

let bin: string;
let work: string;
const simdnet = (args: string[], opts: Parameters<typeof runNode>[3] = {}): Promise<RunResult> =>
  runNode(bin, args, work, opts);

/** A user mistake: the given exit code, exactly one line on stderr naming the problem, no stack trace. */
function expectUserError(r: RunResult, code: number, message: RegExp): void {
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^simdnet: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  bin = join(buildCli(), 'dist/bin/simdnet.js');
  work = scratch({
    'flowers.csv': flowersCsv(240, 1),
    'flowers-test.csv': flowersCsv(60, 2),
    'layers.json': JSON.stringify([
      { type: 'dense', units: 12, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ]),
  });
}, 120_000);

describe('help and usage', () => {
  it('prints the commands with no arguments (exit 2) and with --help (exit 0)', async () => {
    const none = await simdnet([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/usage: simdnet <command>/);
    for (const c of ['train', 'evaluate', 'predict', 'quantize', 'prune', 'distill', 'info', 'bench'])
      expect(none.stdout).toContain(`  ${c}`);
    expect((await simdnet(['--help'])).code).toBe(0);
  });

  it('--optimizer takes rmsprop and adagrad too, and the saved model says which', async () => {
    for (const opt of ['rmsprop', 'adagrad']) {
      const out = `out/flowers-${opt}.simdnet`;
      const t = await simdnet([
        'train',
        '--data',
        'flowers.csv',
        '--label',
        'species',
        '--one-hot',
        'soil',
        '--epochs',
        '5',
        '--optimizer',
        opt,
        '--out',
        out,
      ]);
      expect(t.code, t.stderr).toBe(0);
      const i = await simdnet(['info', out]);
      expect(i.stdout).toMatch(new RegExp(`optimizer ${opt} \\(learning rate`));
    }
    expectUserError(await simdnet(['train', '--optimizer', 'adadelta']), 2, /--optimizer/);
  });

  it('every command has --help', async () => {
    for (const c of ['train', 'evaluate', 'predict', 'quantize', 'prune', 'distill', 'info', 'bench']) {
      const r = await simdnet([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: simdnet ${c} `));
      expect(r.stdout).toMatch(/-h, --help/);
    }
  });

  it('unknown commands and options get one line and exit 2', async () => {
    expectUserError(await simdnet(['trian']), 2, /unknown command 'trian' \(did you mean 'train'\?\)/);
    expectUserError(await simdnet(['train', '--epoch', '3']), 2, /unknown option --epoch .*did you mean --epochs\?/);
    expectUserError(await simdnet(['train', '--epochs', 'many']), 2, /--epochs takes a number, got 'many'/);
    expectUserError(await simdnet(['evaluate']), 2, /'evaluate' needs <model\.simdnet>/);
    expectUserError(await simdnet(['train']), 2, /no data: give --data <file>/);
  });
});

describe('a CSV classification session', () => {
  it('trains with one-hot + standardize, writes the model and an SVG report, then evaluates, predicts and describes it', async () => {
    const t = await simdnet([
      'train',
      '--data',
      'flowers.csv',
      '--label',
      'species',
      '--one-hot',
      'soil',
      '--standardize',
      '--layers',
      '16:relu,3:softmax',
      '--epochs',
      '60',
      '--lr',
      '0.01',
      '--validation-split',
      '0.1',
      '--test',
      'flowers-test.csv',
      '--out',
      'out/flowers.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/data: flowers\.csv, 240 rows × 7 inputs, 3 classes/);
    expect(t.stdout).toMatch(/^epoch 1\/60 {2}loss \d/m); // plain lines when not a terminal
    expect(t.stdout).not.toContain('\r');
    const acc = Number(/test: loss [\d.]+, accuracy ([\d.]+)% on 60 test rows/.exec(t.stdout)?.[1]);
    expect(acc).toBeGreaterThan(90);
    expect(t.stdout).toMatch(/saved out\/flowers\.simdnet/);
    const svg = readFileSync(join(work, 'out/flowers.report.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml[^]*<svg[^]*Loss[^]*Accuracy[^]*<\/svg>\s*$/);
    expect(svg).toMatch(/<polyline/);
    const report = JSON.parse(readFileSync(join(work, 'out/flowers.report.json'), 'utf8')) as {
      history: Record<string, number[]>;
    };
    expect(report.history.val_accuracy.length).toBeGreaterThan(1);

    const e = await simdnet(['evaluate', 'out/flowers.simdnet', '--data', 'flowers-test.csv']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(new RegExp(`accuracy ${acc.toFixed(2)}% \\(\\d+ of 60\\)`));
    expect(e.stdout).toMatch(/class\s+precision\s+recall\s+f1\s+support/);
    expect(e.stdout).toMatch(/^versicolor\s+[\d.]+%\s+[\d.]+%/m);
    expect(e.stdout).toMatch(/confusion matrix[^]*true \\ predicted\s+setosa\s+versicolor\s+virginica/);
    const j = JSON.parse(
      (await simdnet(['evaluate', 'out/flowers.simdnet', '--data', 'flowers-test.csv', '--json'])).stdout,
    ) as { accuracy: number; confusion: number[][] };
    expect(j.accuracy * 100).toBeCloseTo(acc, 1);
    expect(j.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);

    // Predict on rows without the label column, columns in another order: the model finds its columns by name.
    const lines = readFileSync(join(work, 'flowers-test.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    const unlabeled = lines.map((c) => [c[4], c[3], c[2], c[1], c[0]].join(',')).join('\n');
    writeFileSync(join(work, 'new.csv'), `${unlabeled}\n`);
    const p = await simdnet(['predict', 'out/flowers.simdnet', '--data', 'new.csv', '--probabilities']);
    expect(p.code, p.stderr).toBe(0);
    const rows = p.stdout.trim().split('\n');
    expect(rows[0]).toBe('prediction,p_setosa,p_versicolor,p_virginica');
    expect(rows).toHaveLength(61);
    const right = rows.slice(1).filter((r, i) => r.split(',')[0] === lines[i + 1][5]).length;
    expect(right / 60).toBeCloseTo(acc / 100, 5);
    for (const r of rows.slice(1)) {
      const ps = r.split(',').slice(1).map(Number);
      expect(ps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const po = await simdnet(['predict', 'out/flowers.simdnet', '--data', 'new.csv', '--out', 'pred/p.csv']);
    expect(po.code).toBe(0);
    expect(po.stdout).toBe('');
    expect(readFileSync(join(work, 'pred/p.csv'), 'utf8').split('\n')[0]).toBe('prediction');

    const i = await simdnet(['info', 'out/flowers.simdnet']);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/task: classification, 3 classes \(setosa, versicolor, virginica\)/);
    expect(i.stdout).toMatch(/one-hot: soil \(3 categories\)/);
    expect(i.stdout).toMatch(/scaling: standardize/);
    expect(i.stdout).toMatch(/Total params: 179/); // 7·16+16 + 16·3+3
  });

  it('takes layers from a JSON file, and --validation-split 0 watches the training accuracy', async () => {
    const r = await simdnet([
      'train',
      '--data',
      'flowers.csv',
      '--label',
      'species',
      '--one-hot',
      'soil',
      '--layers-file',
      'layers.json',
      '--epochs',
      '3',
      '--validation-split',
      '0',
      '-o',
      'lj.simdnet',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training on 240 samples \(0 validation\)/);
    await init({ backend: 'js' });
    const m = loadModel(readFileSync(join(work, 'lj.simdnet')), { backend: 'js' });
    expect(m.layers.map((l) => l.type)).toEqual(['dense', 'dense']);
    expect(m.inputDim).toBe(7);
    m.dispose();
  });
});

describe('user mistakes: one line, non-zero exit, no stack trace', () => {
  it('missing files, wrong columns, ragged rows, non-numeric and NaN cells', async () => {
    writeFileSync(join(work, 'ragged.csv'), 'a,b,y\n1,2,x\n3,4\n');
    writeFileSync(join(work, 'text.csv'), 'a,b,y\n1,2,x\n3,four,z\n');
    writeFileSync(join(work, 'nan.csv'), 'a,b,y\n1,2,x\nNaN,4,z\n');
    writeFileSync(join(work, 'empty.csv'), '');
    expectUserError(
      await simdnet(['train', '--data', 'nope.csv', '--label', 'y']),
      1,
      /data file 'nope\.csv' does not exist/,
    );
    expectUserError(
      await simdnet(['train', '--data', 'flowers.csv', '--label', 'specie']),
      1,
      /flowers\.csv: no column 'specie' \(columns: sepal_length, .*species\)/,
    );
    expectUserError(
      await simdnet(['train', '--data', 'ragged.csv', '--label', 'y']),
      1,
      /ragged\.csv line 3: 2 cells, but the header has 3 columns/,
    );
    expectUserError(
      await simdnet(['train', '--data', 'text.csv', '--label', 'y']),
      1,
      /text\.csv line 3, column 'b': 'four' is not a number/,
    );
    expectUserError(
      await simdnet(['train', '--data', 'nan.csv', '--label', 'y']),
      1,
      /nan\.csv line 3, column 'a': 'NaN' is not allowed/,
    );
    expectUserError(await simdnet(['train', '--data', 'empty.csv', '--label', 'y']), 1, /empty\.csv is empty/);
    expectUserError(await simdnet(['train', '--data', 'flowers.csv']), 2, /name the label column with --label/);
    expectUserError(await simdnet(['train', '--data', '.', '--label', 'y']), 1, /'\.' is a directory/);
  });

  it('layers that do not fit the data', async () => {
    const base = ['train', '--data', 'flowers.csv', '--label', 'species', '--one-hot', 'soil'];
    expectUserError(
      await simdnet([...base, '--layers', '8:relu,4:softmax']),
      2,
      /the layers end in 4 outputs but the data has 3 classes .*end the layers with 3:softmax/,
    );
    expectUserError(await simdnet([...base, '--layers', '8:relu,3:relu']), 2, /needs a softmax output/);
    expectUserError(await simdnet([...base, '--layers', '8:rleu,3:softmax']), 1, /unknown activation 'rleu'/);
    expectUserError(
      await simdnet([...base, '--layers-file', 'missing.json']),
      1,
      /layers file 'missing\.json' does not exist/,
    );
    expectUserError(await simdnet([...base, '--shift', '2']), 2, /--shift augments images/);
  });

  it('a model file that is not one, and data that does not fit the model', async () => {
    writeFileSync(join(work, 'fake.simdnet'), 'this is not a model\n');
    writeFileSync(join(work, 'cut.simdnet'), readFileSync(join(work, 'lj.simdnet')).subarray(0, 200));
    expectUserError(
      await simdnet(['evaluate', 'fake.simdnet', '--data', 'flowers.csv']),
      1,
      /fake\.simdnet: not a valid simdnet model file: wrong magic/,
    );
    expectUserError(
      await simdnet(['predict', 'cut.simdnet', '--data', 'flowers.csv']),
      1,
      /cut\.simdnet: not a valid simdnet model file/,
    );
    expectUserError(await simdnet(['info', 'flowers.csv']), 1, /flowers\.csv: not a valid simdnet model file/);
    expectUserError(await simdnet(['info', 'gone.simdnet']), 1, /model file 'gone\.simdnet' does not exist/);
    writeFileSync(join(work, 'nosoil.csv'), 'sepal_length,sepal_width,petal_length,petal_width\n5,3,1,0.2\n');
    expectUserError(
      await simdnet(['predict', 'lj.simdnet', '--data', 'nosoil.csv']),
      1,
      /nosoil\.csv: no column 'soil'/,
    );
    writeFileSync(join(work, 'purple.csv'), 'sepal_length,sepal_width,petal_length,petal_width,soil\n5,3,1,0.2,peat\n');
    expectUserError(
      await simdnet(['predict', 'lj.simdnet', '--data', 'purple.csv']),
      1,
      /category 'peat' was not in the training data/,
    );
    expectUserError(
      await simdnet(['evaluate', 'lj.simdnet', '--data', 'new.csv']),
      1,
      /new\.csv has no labels to evaluate against/,
    );
  });
});

describe('other data formats', () => {
  it('IDX image and label files (gzipped, MNIST style): train, evaluate, predict', async () => {
    // Two classes of 4×4 "images": a bright left half or a bright right half, with noise.
    const r = rand(5);
    const n = 200;
    const px = new Uint8Array(n * 16);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 16; p++) px[i * 16 + p] = Math.floor((p % 4 < 2 === (i % 2 === 0) ? 180 : 40) + r() * 60);
    }
    writeFileSync(join(work, 'img-idx3-ubyte.gz'), gzipSync(encodeIdx('u8', [n, 4, 4], px)));
    writeFileSync(join(work, 'lbl-idx1-ubyte.gz'), gzipSync(encodeIdx('u8', [n], labels)));
    writeFileSync(join(work, 'bad-lbl-idx1-ubyte'), encodeIdx('u8', [n - 1], labels.subarray(1)));
    const t = await simdnet([
      'train',
      '--data',
      'img-idx3-ubyte.gz',
      '--labels',
      'lbl-idx1-ubyte.gz',
      '--layers',
      '8:relu,2:softmax',
      '--epochs',
      '30',
      '--lr',
      '0.01',
      '--shift',
      '1',
      '-o',
      'idx.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/200 rows × 16 inputs, 2 classes/);
    const e = await simdnet([
      'evaluate',
      'idx.simdnet',
      '--data',
      'img-idx3-ubyte.gz',
      '--labels',
      'lbl-idx1-ubyte.gz',
      '--json',
    ]);
    expect((JSON.parse(e.stdout) as { accuracy: number }).accuracy).toBeGreaterThan(0.95);
    const p = await simdnet(['predict', 'idx.simdnet', '--data', 'img-idx3-ubyte.gz', '--limit', '4']);
    expect(p.stdout.trim().split('\n')).toEqual(['prediction', '0', '1', '0', '1']);
    expectUserError(
      await simdnet(['evaluate', 'idx.simdnet', '--data', 'img-idx3-ubyte.gz', '--labels', 'bad-lbl-idx1-ubyte']),
      1,
      /has 199 labels but img-idx3-ubyte\.gz has 200 rows/,
    );
    expectUserError(
      await simdnet(['evaluate', 'idx.simdnet', '--data', 'flowers.csv', '--label', 'species']),
      1,
      /the model was trained on array data/,
    );
  });

  it('JSON records and {x, y} arrays; a sigmoid binary classifier', async () => {
    const r = rand(9);
    const recs = Array.from({ length: 120 }, (_, i) => {
      const a = r() * 2 - 1;
      const b = r() * 2 - 1;
      return { a, b, side: a + b > 0 ? 'up' : 'down', i };
    });
    writeFileSync(join(work, 'recs.json'), JSON.stringify(recs.map(({ a, b, side }) => ({ a, b, side }))));
    const t = await simdnet([
      'train',
      '--data',
      'recs.json',
      '--label',
      'side',
      '--layers',
      '1:sigmoid',
      '--epochs',
      '80',
      '--lr',
      '0.05',
      '-o',
      'bin.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/2 classes/);
    const e = JSON.parse((await simdnet(['evaluate', 'bin.simdnet', '--data', 'recs.json', '--json'])).stdout) as {
      accuracy: number;
      classes: string[];
    };
    expect(e.classes).toEqual(['down', 'up']);
    expect(e.accuracy).toBeGreaterThan(0.9);
    writeFileSync(
      join(work, 'arr.json'),
      JSON.stringify({ x: recs.map((q) => [q.a, q.b]), y: recs.map((q) => (q.a + q.b > 0 ? 1 : 0)) }),
    );
    const a = await simdnet([
      'train',
      '--data',
      'arr.json',
      '--layers',
      '4:tanh,2:softmax',
      '--epochs',
      '40',
      '--lr',
      '0.05',
      '-o',
      'arr.simdnet',
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect((await simdnet(['predict', 'arr.simdnet', '--data', 'arr.json', '--limit', '2'])).stdout).toMatch(
      /^prediction\n[01]\n[01]\n$/,
    );
    // --lr-decay: epoch e trains at lr·f^(e/epochs); the saved optimizer holds the last epoch's rate.
    const d = await simdnet([
      'train',
      '--data',
      'arr.json',
      '--layers',
      '2:softmax',
      '--epochs',
      '4',
      '--lr',
      '0.05',
      '--lr-decay',
      '0.01',
      '--patience',
      '100',
      '-o',
      'decay.simdnet',
    ]);
    expect(d.code, d.stderr).toBe(0);
    await init();
    const saved = loadModel(readFileSync(join(work, 'decay.simdnet')));
    expect((saved.compileSettings()!.optimizer as { learningRate: number }).learningRate).toBeCloseTo(
      0.05 * 0.01 ** (3 / 4),
      12,
    );
    saved.dispose();
    writeFileSync(join(work, 'nan.json'), '{"x": [[1, 2], [3, null]], "y": [0, 1]}');
    expectUserError(await simdnet(['train', '--data', 'nan.json']), 1, /nan\.json: x\[1\]\[1\] is null, not a number/);
  });

  it('regression from a CSV (several target columns), scored by MSE and R²', async () => {
    const r = rand(3);
    const lines = ['x1,x2,y1,y2'];
    for (let i = 0; i < 300; i++) {
      const x1 = r() * 2 - 1;
      const x2 = r() * 2 - 1;
      lines.push([x1, x2, 2 * x1 - x2 + 0.5, x1 * 0.5].map((v) => v.toFixed(4)).join(','));
    }
    writeFileSync(join(work, 'reg.csv'), `${lines.join('\n')}\n`);
    const t = await simdnet([
      'train',
      '--data',
      'reg.csv',
      '--label',
      'y1,y2',
      '--layers',
      '16:tanh,2',
      '--epochs',
      '100',
      '--lr',
      '0.01',
      '-o',
      'reg.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/2 targets \(regression\)/);
    const e = JSON.parse((await simdnet(['evaluate', 'reg.simdnet', '--data', 'reg.csv', '--json'])).stdout) as {
      r2: number;
      mse: number;
    };
    expect(e.r2).toBeGreaterThan(0.95);
    const p = await simdnet(['predict', 'reg.simdnet', '--data', 'reg.csv', '--limit', '3']);
    expect(p.stdout.split('\n')[0]).toBe('y1,y2');
    expectUserError(
      await simdnet(['train', '--data', 'reg.csv', '--label', 'y1,y2', '--layers', '16:tanh,3']),
      2,
      /the layers end in 3 outputs but there are 2 targets/,
    );
  });
});

describe('convolutional networks', () => {
  const CNN = 'conv:6x3:relu,maxpool:2,flatten,3:softmax';

  it('--image-shape: a small CNN learns 8x8 bars from a CSV; evaluate, predict and info read it', async () => {
    writeFileSync(join(work, 'bars.csv'), barsCsv(360, 11));
    writeFileSync(join(work, 'bars-test.csv'), barsCsv(90, 12));
    const t = await simdnet([
      'train',
      '--data',
      'bars.csv',
      '--label',
      'shape',
      '--image-shape',
      '8x8x1',
      '--layers',
      CNN,
      '--epochs',
      '40',
      '--lr',
      '0.01',
      '--shift',
      '1',
      '--test',
      'bars-test.csv',
      '-o',
      'cnn/bars.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/data: bars\.csv, 360 rows × 64 inputs, 3 classes/);
    expect(t.stdout).toMatch(/Model: simdnet-cnn \(wasm backend, input 8x8x1\)/);
    expect(t.stdout).toMatch(/conv2d_1 \(conv2d\) +\[batch, 6, 6, 6\] +3x3 valid relu +60 /);
    expect(t.stdout).toMatch(/maxPooling2d_1 \(maxPooling2d\) +\[batch, 3, 3, 6\]/);
    expect(t.stdout).toMatch(/Total params: 225 /); // 3·3·1·6+6 + 54·3+3
    const acc = Number(/test: loss [\d.]+, accuracy ([\d.]+)% on 90 test rows/.exec(t.stdout)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(95);
    expect(readFileSync(join(work, 'cnn/bars.report.svg'), 'utf8')).toContain(
      'model: input 8×8×1, conv:6x3:relu,maxpool:2,flatten,3:softmax (225 parameters)',
    );

    const e = JSON.parse(
      (await simdnet(['evaluate', 'cnn/bars.simdnet', '--data', 'bars-test.csv', '--json'])).stdout,
    ) as { accuracy: number; rows: number };
    expect(e.rows).toBe(90);
    expect(100 * e.accuracy).toBeCloseTo(acc, 1);
    const p = await simdnet(['predict', 'cnn/bars.simdnet', '--data', 'bars-test.csv', '--limit', '6']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')[0]).toBe('prediction');
    expect(
      p.stdout
        .trim()
        .split('\n')
        .slice(1)
        .filter((c, i) => c === ['horizontal', 'vertical', 'diagonal'][i % 3]).length,
    ).toBeGreaterThanOrEqual(5);
    const i = await simdnet(['info', 'cnn/bars.simdnet']);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/^input: 8×8×1 \(64 values per row, NHWC order\)$/m);
    expect(i.stdout).toMatch(/conv2d_1 \(conv2d\) +\[batch, 6, 6, 6\]/);
    expect(i.stdout).toMatch(/^images: 8×8×1$/m);
    const ij = JSON.parse((await simdnet(['info', 'cnn/bars.simdnet', '--json'])).stdout) as {
      inputShape: number[];
      layers: Array<{ type: string; inputShape?: number[] }>;
    };
    expect(ij.inputShape).toEqual([8, 8, 1]);
    expect(ij.layers[0]).toMatchObject({ type: 'conv2d', inputShape: [8, 8, 1] }); // the first layer declares it

    // Distillation into an MLP student (it reads the rows flat) and into a small CNN.
    const d = await simdnet([
      'distill',
      'cnn/bars.simdnet',
      '--data',
      'bars.csv',
      '--label',
      'shape',
      '--layers',
      '16:relu,3:softmax',
      '--epochs',
      '2',
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(
      /teacher conv:6x3:relu,maxpool:2,flatten,3:softmax \(225 parameters\) → student 16:relu,3:softmax \(1091 parameters\)/,
    );
    const dc = await simdnet([
      'distill',
      'cnn/bars.simdnet',
      '--data',
      'bars.csv',
      '--label',
      'shape',
      '--layers',
      'conv:2x3:relu,gap,3:softmax',
      '--epochs',
      '1',
      '-o',
      'cnn/s2.simdnet',
    ]);
    expect(dc.code, dc.stderr).toBe(0);
    expect(dc.stdout).toMatch(/student conv:2x3:relu,gap,3:softmax \(29 parameters\)/);
    // Compression of a CNN: either the library does it (the file reads back and scores) or it refuses, and the
    // CLI prints that refusal (UNSUPPORTED, naming the layer) as one line with exit code 1.
    const compress = async (args: string[], out: string): Promise<void> => {
      const r = await simdnet([...args, '-o', out]);
      if (r.code !== 0) return expectUserError(r, 1, /^simdnet: error: .*layer 'conv2d_1' \(conv2d\)/);
      const ev = await simdnet(['evaluate', out, '--data', 'bars-test.csv', '--json']);
      expect(ev.code, ev.stderr).toBe(0);
      expect((JSON.parse(ev.stdout) as { rows: number }).rows).toBe(90);
      expect((await simdnet(['info', out])).code).toBe(0);
    };
    await compress(['quantize', 'cnn/bars.simdnet', '--data', 'bars.csv', '--label', 'shape'], 'cnn/q.simdnet');
    await compress(['prune', 'cnn/bars.simdnet', '--sparsity', '0.5'], 'cnn/p.simdnet');
    await compress(
      [
        'prune',
        'cnn/bars.simdnet',
        '--sparsity',
        '0.5',
        '--fine-tune',
        '1',
        '--data',
        'bars.csv',
        '--label',
        'shape',
        '--sparse',
      ],
      'cnn/sp.simdnet',
    );
    expectUserError(
      await simdnet(['evaluate', 'cnn/bars.simdnet', '--data', 'flowers.csv', '--label', 'species']),
      1,
      /flowers\.csv: no column 'p0'/,
    );
  }, 120_000);

  it('output piped into a reader that stops early (| head) ends quietly, without a stack trace', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(
      'sh',
      ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} info cnn/bars.simdnet | head -1`],
      { cwd: work, encoding: 'utf8' },
    );
    expect(r.stdout).toMatch(/^cnn\/bars\.simdnet: simdnet model, [\d.]+ KiB\n$/);
    expect(r.stderr).toBe('');
  });

  it('takes the image shape from a layers file, and conv layers in bench', async () => {
    writeFileSync(
      join(work, 'cnn.json'),
      JSON.stringify({
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] },
          { type: 'globalAveragePooling2d' },
          { type: 'dense', units: 3, activation: 'softmax' },
        ],
      }),
    );
    const t = await simdnet([
      'train',
      '--data',
      'bars.csv',
      '--label',
      'shape',
      '--layers-file',
      'cnn.json',
      '--epochs',
      '2',
      '-o',
      'cnn/file.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/conv2d_1 \(conv2d\) +\[batch, 8, 8, 4\] +3x3 same relu/);
    expect((await simdnet(['info', 'cnn/file.simdnet'])).stdout).toMatch(/^images: 8×8×1$/m);
    const b = await simdnet([
      'bench',
      '--layers',
      'conv:4x3:relu,maxpool:2,flatten,4:softmax',
      '--inputs',
      '8x8x1',
      '--seconds',
      '0.05',
      '--batch-size',
      '8',
    ]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/bench: 8×8×1 inputs → conv:4x3:relu,maxpool:2,flatten,4:softmax, batch 8/);
    expect(b.stdout).toMatch(/^wasm-simd +[\d.]+ ms/m);
    expectUserError(
      await simdnet(['bench', '--layers', 'conv:4x3,flatten,4:softmax', '--inputs', '64']),
      1,
      /cannot take input \[64\].*--inputs HxWxC/,
    );
  }, 60_000);

  it('image shapes and layers that do not fit, in one line', async () => {
    writeFileSync(join(work, 'rgb.csv'), barsCsv(30, 13, 4, 3));
    const base = ['train', '--data', 'bars.csv', '--label', 'shape', '--epochs', '1'];
    expectUserError(
      await simdnet([...base, '--image-shape', '8x8x2', '--layers', CNN]),
      1,
      /--image-shape 8x8x2 needs 128 values per row, but bars\.csv has 64 \(64 input columns\)/,
    );
    expectUserError(
      await simdnet([...base, '--image-shape', '8by8', '--layers', CNN]),
      1,
      /--image-shape takes HEIGHTxWIDTHxCHANNELS, e\.g\. 28x28x1/,
    );
    expectUserError(
      await simdnet([...base, '--layers', CNN]),
      1,
      /layer 'conv2d_1' \(conv2d\) cannot take input \[64\].*give their image shape with --image-shape HxWxC/,
    );
    expectUserError(
      await simdnet([...base, '--image-shape', '8x8x1', '--layers', 'conv:4x9,flatten,3:softmax']),
      1,
      /layer 'conv2d_1' \(conv2d\) cannot take input \[8, 8, 1\]: a 9x9 window with 'valid' padding gives an output of 0x0/,
    );
    expectUserError(
      await simdnet([...base, '--image-shape', '8x8x1', '--layers', 'conv:3x3:softmax']),
      2,
      /the layers end in 6×6×3 maps, not one vector per row: end them with flatten \(or gap\) and a dense layer, e\.g\. …,flatten,3:softmax/,
    );
    expectUserError(
      await simdnet([...base, '--image-shape', '8x8x1', '--layers', 'conv:4x3,gap,4:softmax']),
      2,
      /the layers end in 4 outputs but the data has 3 classes/,
    );
    expectUserError(
      await simdnet([...base, '--image-shape', '8x8x1', '--layers', 'conv:4x3:relu,maxpool:2:relu,flatten,3:softmax']),
      1,
      /--layers item 2 'maxpool:2:relu': expected same or valid, got 'relu'/,
    );
    expectUserError(
      await simdnet([
        'train',
        '--data',
        'rgb.csv',
        '--label',
        'shape',
        '--image-shape',
        '4x4x3',
        '--layers',
        'conv:2x3,flatten,3:softmax',
        '--shift',
        '1',
      ]),
      2,
      /--shift moves one-channel images; these rows are 4×4×3 images/,
    );
    const rgb = await simdnet([
      'train',
      '--data',
      'rgb.csv',
      '--label',
      'shape',
      '--image-shape',
      '4x4x3',
      '--layers',
      'conv:2x3,flatten,3:softmax',
      '--epochs',
      '1',
      '-o',
      'cnn/rgb.simdnet',
    ]);
    expect(rgb.code, rgb.stderr).toBe(0);
    expect(rgb.stdout).toMatch(/input 4x4x3/);
    expectUserError(
      await simdnet(['train', '--data', 'bars.csv', '--label', 'shape', '--cnn']),
      2,
      /--cnn trains the MNIST CNN \(use it with --mnist\)/,
    );
  }, 60_000);

  it('IDX images carry their shape: a CNN trains on them without --image-shape', async () => {
    const r = rand(21);
    const n = 120;
    const px = new Uint8Array(n * 36);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let p = 0; p < 36; p++) px[i * 36 + p] = Math.floor((p % 6 < 3 === (i % 2 === 0) ? 180 : 40) + r() * 60);
    }
    writeFileSync(join(work, 'six-idx3-ubyte'), encodeIdx('u8', [n, 6, 6], px));
    writeFileSync(join(work, 'six-labels-idx1-ubyte'), encodeIdx('u8', [n], labels));
    const t = await simdnet([
      'train',
      '--data',
      'six-idx3-ubyte',
      '--labels',
      'six-labels-idx1-ubyte',
      '--layers',
      'conv:2x3:relu,gap,2:softmax',
      '--epochs',
      '2',
      '--shift',
      '1',
      '-o',
      'cnn/six.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/input 6x6x1/);
    expect((await simdnet(['info', 'cnn/six.simdnet'])).stdout).toMatch(/^images: 6×6$/m);
  });
});

describe('MNIST, progress and Ctrl-C', () => {
  it('Ctrl-C stops training after the batch, keeps the best weights, saves the model and exits 130', async () => {
    let sent = false;
    const r = await simdnet(
      [
        'train',
        '--mnist',
        '--epochs',
        '200',
        '--patience',
        '200',
        '--layers',
        '32:relu,10:softmax',
        '-o',
        'int/mnist.simdnet',
      ],
      {
        onStdout: (all, child) => {
          if (!sent && /^epoch 2\/200 /m.test(all)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/interrupted: stopping after this batch/);
    expect(r.stdout).toMatch(/trained \d+ epochs in [\d.]+s; kept the weights of epoch \d+ \(interrupted\)/);
    expect(existsSync(join(work, 'int/mnist.report.svg'))).toBe(true);
    const i = await simdnet(['info', 'int/mnist.simdnet']);
    expect(i.code).toBe(0);
    const e = JSON.parse((await simdnet(['evaluate', 'int/mnist.simdnet', '--mnist', '--json'])).stdout) as {
      accuracy: number;
      rows: number;
    };
    expect(e.rows).toBe(2000);
    expect(e.accuracy).toBeGreaterThan(0.8);
  });

  it('npm start (src/bin/train-mnist.ts = simdnet train --mnist) reaches 96% on the held-out digits and saves the model', async () => {
    const r = await runNode(join(bin, '../train-mnist.js'), [], work, { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/256:relu|dense_1 \(dense\) +\[batch, 256\]/);
    const acc = Number(/test: loss [\d.]+, accuracy ([\d.]+)% on 2000 held-out digits/.exec(r.stdout)?.[1]);
    expect(acc).toBeGreaterThanOrEqual(96);
    expect(r.stdout).toMatch(/saved models\/mnist\.simdnet/);
    expect(existsSync(join(work, 'models/mnist.report.svg'))).toBe(true);
    const e = JSON.parse((await simdnet(['evaluate', 'models/mnist.simdnet', '--mnist', '--json'])).stdout) as {
      accuracy: number;
    };
    expect(100 * e.accuracy).toBeCloseTo(acc, 1);
  }, 300_000);

  it('train --mnist --cnn (and npm start -- --cnn) wires the CNN job: layers, settings, file names', async () => {
    const r = await runNode(join(bin, '../train-mnist.js'), ['--cnn', '--limit', '400', '--epochs', '1'], work, {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/data: MNIST train digits, 400 rows × 784 inputs, 10 classes/);
    expect(r.stdout).toMatch(/Model: mnist-cnn \(wasm backend, input 28x28x1\)/);
    expect(r.stdout).toMatch(/conv2d_1 \(conv2d\) +\[batch, 24, 24, 16\] +5x5 valid relu +416 /);
    expect(r.stdout).toMatch(/dense_1 \(dense\) +\[batch, 128\] +relu +65664 /);
    expect(r.stdout).toMatch(/Total params: 80202 /);
    expect(r.stdout).toMatch(/training on 400 samples \(0 validation\), batch 32, 1 epochs/); // the CNN job holds no rows out (fixed schedule)
    expect(r.stdout).toMatch(/test: loss [\d.]+, accuracy [\d.]+% on 2000 held-out digits/);
    expect(r.stdout).toMatch(/saved models\/mnist-cnn\.simdnet/);
    expect(existsSync(join(work, 'models/mnist-cnn.report.svg'))).toBe(true);
    const svg = readFileSync(join(work, 'models/mnist-cnn.report.svg'), 'utf8');
    expect(svg).toContain(
      'conv:16x5:relu,maxpool:2,conv:32x5:relu,maxpool:2,flatten,dropout:0.3,128:relu,dropout:0.3,10:softmax (80202 parameters), categoricalCrossentropy, adam lr 0.002 decaying ×0.1 over the run, batch 32',
    );
    const i = await simdnet(['info', 'models/mnist-cnn.simdnet']);
    expect(i.stdout).toMatch(/^input: 28×28×1 \(784 values per row, NHWC order\)$/m);
    expect(i.stdout).toMatch(/compiled: loss categoricalCrossentropy, optimizer adam \(learning rate 0\.002\)/);
    const e = JSON.parse(
      (await simdnet(['evaluate', 'models/mnist-cnn.simdnet', '--mnist', '--limit', '200', '--json'])).stdout,
    ) as { rows: number; accuracy: number };
    expect(e.rows).toBe(200);
    expect(e.accuracy).toBeGreaterThan(0.3);
    expect((await simdnet(['predict', 'models/mnist-cnn.simdnet', '--mnist', '--limit', '2'])).stdout).toMatch(
      /^prediction\n\d\n\d\n$/,
    );
  }, 120_000);

  it('shows a live progress bar in a terminal (a real pty via script(1))', async () => {
    const { spawnSync } = await import('node:child_process');
    if (spawnSync('script', ['--version']).status !== 0) return; // util-linux script is not installed
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} train --data flowers.csv --label species --one-hot soil --epochs 3 --batch-size 8 --validation-split 0.1 -o tty.simdnet`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // The bar redraws one line in place: carriage return + erase line, a bar, loss, accuracy, rate and ETA.
    expect(r.stdout).toMatch(/\r\x1b\[2Kepoch 1\/3 \[=+ *\] \d+\/27 loss [\d.]+ acc [\d.]+% \d+ samples\/s ETA \S+/);
    expect(r.stdout).toMatch(/\r\x1b\[2Kepoch 3\/3 {2}loss/);
  });
});

describe('bench', () => {
  it('times a training step and inference on both backends', async () => {
    const r = await simdnet([
      'bench',
      '--layers',
      '16:relu,4:softmax',
      '--inputs',
      '8',
      '--seconds',
      '0.05',
      '--batch-size',
      '16',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bench: 8 inputs → 16:relu,4:softmax, batch 16/);
    expect(r.stdout).toMatch(/^wasm-simd +[\d.]+ ms +[\d,]+ +[\d,]+$/m);
    expect(r.stdout).toMatch(/^js +[\d.]+ ms +[\d,]+ +[\d,]+$/m);
    expect(r.stdout).toMatch(/wasm-simd vs js: [\d.]+x per training step/);
    // The kernel benchmarks live in the repository, not beside a built CLI: a clear refusal.
    expectUserError(await simdnet(['bench', '--kernels']), 1, /the kernel benchmarks are part of the repository/);
  }, 60_000);
});

describe('compression commands on an MNIST model', () => {
  const num = (re: RegExp, text: string): number => Number(re.exec(text)?.[1]);

  it('quantize, prune (dense and sparse, with fine-tuning) and distill; evaluate/predict/info read every file kind', async () => {
    const t = await simdnet([
      'train',
      '--mnist',
      '--epochs',
      '3',
      '--layers',
      '128:relu,10:softmax',
      '--shift',
      '0',
      '-o',
      'c/m.simdnet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    const base = num(/test: loss [\d.]+, accuracy ([\d.]+)%/, t.stdout);
    expect(base).toBeGreaterThan(90);

    const q = await simdnet(['quantize', 'c/m.simdnet', '--mnist']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/activations calibrated on 256 rows/);
    const ratio = num(/\(([\d.]+)x smaller\)/, q.stdout);
    expect(ratio).toBeGreaterThan(3.5);
    const [fa, qa] = [num(/float accuracy ([\d.]+)%/, q.stdout), num(/quantized accuracy ([\d.]+)%/, q.stdout)];
    expect(fa).toBeCloseTo(base, 1);
    expect(qa).toBeGreaterThan(base - 1.5);
    expect(q.stdout).toMatch(/saved c\/m\.int8\.simdnet/);
    const qe = JSON.parse((await simdnet(['evaluate', 'c/m.int8.simdnet', '--mnist', '--json'])).stdout) as {
      accuracy: number;
    };
    expect(100 * qe.accuracy).toBeCloseTo(qa, 1);
    expect((await simdnet(['info', 'c/m.int8.simdnet'])).stdout).toMatch(/quantized simdnet model[^]*int8/);

    const p = await simdnet(['prune', 'c/m.simdnet', '--sparsity', '0.7']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/total: 70\.0% zeros/);
    const ps = await simdnet([
      'prune',
      'c/m.simdnet',
      '--sparsity',
      '0.9',
      '--fine-tune',
      '1',
      '--mnist',
      '--sparse',
      '-o',
      'c/m90.simdnet',
    ]);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/fine-tuning 1 epoch with the zeros held/);
    expect(ps.stdout).toMatch(/dense_1 +\d+ of +100352 weights zero \(90\.0%\)/);
    const after = num(/after accuracy ([\d.]+)%/, ps.stdout);
    expect(after).toBeGreaterThan(85);
    const pe = JSON.parse((await simdnet(['evaluate', 'c/m90.simdnet', '--mnist', '--json'])).stdout) as {
      accuracy: number;
    };
    expect(100 * pe.accuracy).toBeCloseTo(after, 1);
    expect((await simdnet(['info', 'c/m90.simdnet'])).stdout).toMatch(
      /sparse \(pruned\) simdnet model[^]*90\.0% zeros/,
    );
    expect((await simdnet(['predict', 'c/m90.simdnet', '--mnist', '--limit', '3'])).stdout).toMatch(
      /^prediction\n\d\n\d\n\d\n$/,
    );

    const d = await simdnet(['distill', 'c/m.simdnet', '--mnist', '--layers', '32:relu,10:softmax', '--epochs', '3']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/student 32:relu,10:softmax \(25450 parameters\)/);
    expect(num(/student accuracy ([\d.]+)%/, d.stdout)).toBeGreaterThan(80);
    const di = await simdnet(['info', 'c/m.student.simdnet']);
    expect(di.stdout).toMatch(/task: classification, 10 classes/); // the teacher's preprocessing travels along
  }, 240_000);

  it('refuses what it cannot do, in one line', async () => {
    expectUserError(
      await simdnet(['quantize', 'c/m.int8.simdnet']),
      1,
      /c\/m\.int8\.simdnet is a quantized model; quantize takes a float model/,
    );
    expectUserError(await simdnet(['prune', 'c/m.simdnet']), 2, /prune needs --sparsity/);
    expectUserError(await simdnet(['prune', 'c/m.simdnet', '--sparsity', '1.5']), 2, /--sparsity must be <= 0\.999/);
    expectUserError(
      await simdnet(['prune', 'c/m.simdnet', '--sparsity', '0.5', '--fine-tune', '2']),
      2,
      /--fine-tune needs data/,
    );
    expectUserError(await simdnet(['distill', 'c/m.simdnet', '--mnist']), 2, /distill needs the student's layers/);
    expectUserError(
      await simdnet(['distill', 'c/m.simdnet', '--mnist', '--layers', '16:relu,5:softmax']),
      2,
      /the student must end like the teacher, in 10:softmax \(its last layer is 5:softmax\)/,
    );
    expectUserError(
      await simdnet(['bench', 'c/m90.simdnet']),
      1,
      /is a sparse model; bench times training steps of a float model/,
    );
  }, 60_000);
});
