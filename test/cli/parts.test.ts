// The CLI's pure parts: argument parsing, layer specs, metrics, the SVG report, preprocessing fit/replay.
import { describe, expect, it } from 'vitest';
import { type CommandSpec, UsageError, helpText, parseArgs } from '../../src/cli/args.js';
import { type Loaded, applyPreprocessing, fitPreprocessing } from '../../src/cli/data.js';
import {
  declareInput,
  describeLayers,
  inputShapeFor,
  parseImageShape,
  parseLayerJson,
  parseLayerList,
} from '../../src/cli/layers.js';
import { inferShapes } from '../../src/layers/index.js';
import { formatClassReport, formatConfusion, regressionStats } from '../../src/cli/metrics.js';
import { classificationReport, confusionMatrix } from '../../src/metrics/index.js';
import { lineChart, niceTicks, trainingReport } from '../../src/cli/svg.js';
import { parseCsv } from '../../src/cli/csv.js';
import { SimdnetError } from '../../src/errors.js';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  usage: '<file> [options]',
  positionals: ['<file>', '[extra]?'],
  options: [
    { name: 'epochs', type: 'int', short: 'e', min: 0, help: 'passes' },
    { name: 'lr', type: 'number', min: 0, help: 'rate', defaultText: '0.001' },
    { name: 'mode', type: 'string', choices: ['a', 'b'], help: 'mode' },
    { name: 'fast', type: 'boolean', help: 'go fast' },
    { name: 'min', type: 'number', help: 'low end' },
  ],
};

function usage(argv: string[], message: RegExp): void {
  expect(() => parseArgs(spec, argv)).toThrow(UsageError);
  expect(() => parseArgs(spec, argv)).toThrow(message);
}

describe('argument parser', () => {
  it('parses long, inline, short, boolean options and positionals', () => {
    const p = parseArgs(spec, ['f.csv', '--epochs', '3', '--lr=0.5', '--fast', '--mode', 'b', '--min', '-1']);
    expect(p.positionals).toEqual(['f.csv']);
    expect(p.options).toEqual({ epochs: 3, lr: 0.5, fast: true, mode: 'b', min: -1 });
    expect(parseArgs(spec, ['-e', '2', 'x', 'y']).positionals).toEqual(['x', 'y']);
    expect(parseArgs(spec, ['--', '--not-an-option']).positionals).toEqual(['--not-an-option']);
    expect(parseArgs(spec, ['--help']).help).toBe(true);
  });

  it('names the problem for every kind of mistake', () => {
    usage(['f', '--epoch', '3'], /unknown option --epoch for 'demo' \(did you mean --epochs\?\)/);
    usage(['f', '--epochs'], /--epochs needs a value \(int\)/);
    usage(['f', '--epochs', '--fast'], /--epochs needs a value/);
    usage(['f', '--epochs', '2.5'], /--epochs takes a whole number, got '2.5'/);
    usage(['f', '--epochs', 'ten'], /--epochs takes a number, got 'ten'/);
    usage(['f', '--epochs', '-1'], /--epochs must be >= 0, got -1/);
    usage(['f', '--mode', 'c'], /--mode must be one of a, b, got 'c'/);
    usage(['f', '--fast=yes'], /--fast is a switch/);
    usage(['f', '--lr', '1', '--lr', '2'], /--lr is given twice/);
    usage([], /'demo' needs <file>/);
    usage(['a', 'b', 'c'], /unexpected argument 'c'/);
    usage(['f', '-x'], /unknown option -x/);
  });

  it('prints help with values, choices and defaults', () => {
    const h = helpText(spec);
    expect(h).toMatch(/^usage: simdnet demo <file> \[options\]/);
    expect(h).toMatch(/-e, --epochs <int>\s+passes/);
    expect(h).toMatch(/--mode <a\|b>/);
    expect(h).toMatch(/rate \[default: 0\.001\]/);
    expect(h).toMatch(/-h, --help/);
  });
});

describe('layer specs', () => {
  it('parses the --layers mini-language', () => {
    const l = parseLayerList('128:relu, dropout:0.2,64:leaky_relu,tanh,10:softmax');
    expect(l.map((s) => s.type)).toEqual(['dense', 'dropout', 'dense', 'activation', 'dense']);
    expect(l.map((s) => s.name)).toEqual(['dense_1', 'dropout_1', 'dense_2', 'activation_1', 'dense_3']);
    expect(describeLayers(l)).toBe('128:relu,dropout:0.2,64:leakyRelu,tanh,10:softmax');
    expect(describeLayers(parseLayerList('3'))).toBe('3');
  });

  it('rejects malformed items with the item named', () => {
    const bad = (s: string, m: RegExp): void => {
      expect(() => parseLayerList(s)).toThrow(SimdnetError);
      expect(() => parseLayerList(s)).toThrow(m);
    };
    bad('128:relu,,10', /empty item/);
    bad('128:relux', /item 1 '128:relux': unknown activation 'relux'/);
    bad('dropout:1.5', /dropout needs a rate in \[0, 1\)/);
    bad('dropout', /dropout needs a rate/);
    bad('0:relu', /units must be between 1/);
    bad('ten:relu', /expected N\[:activation\]/);
    bad('10:relu:x', /expected N or N:activation/);
  });

  it('parses a JSON layer file (array or {layers}) and names the bad layer', () => {
    const l = parseLayerJson(
      '{"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.1}, {"type": "dense", "units": 2, "activation": "softmax", "name": "out"}]}',
      'n.json',
    );
    expect(describeLayers(l)).toBe('8:relu,dropout:0.1,2:softmax');
    expect(l[2].name).toBe('out');
    expect(() => parseLayerJson('[{"type": "conv"}]', 'n.json')).toThrow(
      /n\.json layer 1: unknown layer type 'conv' \(one of dense, dropout, activation, conv2d, maxPooling2d/,
    );
    expect(() => parseLayerJson('[{"type": "dense", "units": -1}]', 'n.json')).toThrow(
      /n\.json layer 1: dense units must be a positive integer/,
    );
    expect(() => parseLayerJson('[]', 'n.json')).toThrow(/non-empty array of layers/);
    expect(() => parseLayerJson('[{', 'n.json')).toThrow(/n\.json is not valid JSON/);
  });
});

describe('convolutional layer specs', () => {
  const CNN = 'conv:16x5:relu,maxpool:2,conv:32x5:relu,maxpool:2,flatten,dropout:0.3,128:relu,dropout:0.3,10:softmax';

  it("parses the MNIST CNN into the library's specs, named per type", () => {
    const l = parseLayerList(CNN);
    expect(l.map((s) => s.name)).toEqual([
      'conv2d_1',
      'maxPooling2d_1',
      'conv2d_2',
      'maxPooling2d_2',
      'flatten_1',
      'dropout_1',
      'dense_1',
      'dropout_2',
      'dense_2',
    ]);
    expect(l[0]).toMatchObject({
      type: 'conv2d',
      filters: 16,
      kernelSize: [5, 5],
      strides: [1, 1],
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: 'heNormal',
    });
    expect(l[1]).toMatchObject({ type: 'maxPooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    expect(inferShapes(l, [28, 28, 1]).map((s) => s.join('x'))).toEqual([
      '28x28x1',
      '24x24x16',
      '12x12x16',
      '8x8x32',
      '4x4x32',
      '512',
      '512',
      '128',
      '128',
      '10',
    ]);
    expect(describeLayers(l)).toBe(CNN);
  });

  it('reads every option and writes the canonical form back', () => {
    const cases: Array<[string, string]> = [
      ['conv:8x3', 'conv:8x3'],
      ['CONV2D:8x3x3/1:valid:linear', 'conv:8x3'],
      ['conv:8x3x5/2:same:tanh', 'conv:8x3x5/2:same:tanh'],
      ['conv:8x3/1x2:leaky_relu:same', 'conv:8x3/1x2:same:leakyRelu'],
      ['maxpool', 'maxpool:2'],
      ['maxpool:3/2:same', 'maxpool:3/2:same'],
      ['maxpool:2x2/2x2', 'maxpool:2'],
      ['avgpool:2x3', 'avgpool:2x3'],
      ['avgpool:2/1x2:valid', 'avgpool:2/1x2'],
      ['gap', 'gap'],
      ['Flatten', 'flatten'],
      ['reshape:28x28x1', 'reshape:28x28x1'],
      ['reshape:-1x4', 'reshape:-1x4'],
      ['batchnorm', 'bn'],
      ['bn:0.9', 'bn:0.9'],
      ['bn:0.99', 'bn'],
      ['64', '64'],
      ['64:linear', '64'],
      ['sigmoid', 'sigmoid'],
      ['dropout:0', 'dropout:0'],
    ];
    for (const [text, canonical] of cases) expect(describeLayers(parseLayerList(text)), text).toBe(canonical);
    const l = parseLayerList('conv:8x3x5/2:same:tanh,avgpool:2/1x2,bn:0.9,reshape:-1x4');
    expect(l[0]).toMatchObject({
      filters: 8,
      kernelSize: [3, 5],
      strides: [2, 2],
      padding: 'same',
      activation: 'tanh',
      kernelInitializer: 'glorotUniform',
    });
    expect(l[1]).toMatchObject({ type: 'averagePooling2d', poolSize: [2, 2], strides: [1, 2] });
    expect(l[2]).toMatchObject({ type: 'batchNormalization', momentum: 0.9, epsilon: 1e-3 });
    expect(l[3]).toMatchObject({ type: 'reshape', targetShape: [-1, 4] });
  });

  it('round trip: parse(describe(specs)) gives the same specs, for text and for JSON files', () => {
    const lists = [
      CNN,
      'reshape:28x28x1,conv:8x3/2:same:relu,bn,avgpool:3/2:same,conv:4x1:sigmoid,gap,softmax',
      'bn:0.5,conv:6x2x3/1x2:leakyRelu,maxpool:2x1/1,flatten,dropout:0.25,32:tanh,4',
      '128:relu,dropout:0.2,64:leakyRelu,tanh,10:softmax',
    ];
    for (const text of lists) {
      const specs = parseLayerList(text);
      expect(parseLayerList(describeLayers(specs)), text).toEqual(specs);
      expect(describeLayers(specs)).toBe(text);
    }
    // A file with every layer type (and names of its own) comes back the same apart from the names.
    const file = parseLayerJson(
      JSON.stringify([
        { type: 'reshape', targetShape: [8, 8, 1] },
        { type: 'conv2d', filters: 4, kernelSize: [3, 2], strides: 1, padding: 'same', activation: 'relu', name: 'c1' },
        { type: 'batchNormalization', momentum: 0.9 },
        { type: 'maxPooling2d', poolSize: 2 },
        { type: 'averagePooling2d', poolSize: [2, 1], strides: [1, 1] },
        { type: 'conv2d', filters: 2, kernelSize: 1 },
        { type: 'globalAveragePooling2d' },
        { type: 'activation', activation: 'leaky_relu' },
        { type: 'dropout', rate: 0.1 },
        { type: 'flatten' },
        { type: 'dense', units: 3, activation: 'softmax' },
      ]),
      'all.json',
    );
    expect(file.map((s) => s.name)).toEqual([
      'reshape_1',
      'c1',
      'batchNormalization_1',
      'maxPooling2d_1',
      'averagePooling2d_1',
      'conv2d_1',
      'globalAveragePooling2d_1',
      'activation_1',
      'dropout_1',
      'flatten_1',
      'dense_1',
    ]);
    const back = parseLayerList(describeLayers(file));
    expect(back.map(({ name: _n, ...s }) => s)).toEqual(file.map(({ name: _n, ...s }) => s));
    expect(inferShapes(file, [64]).at(-1)).toEqual([3]);
  });

  it('rejects malformed convolutional items with the item named', () => {
    const bad = (s: string, m: RegExp): void => {
      expect(() => parseLayerList(s)).toThrow(SimdnetError);
      expect(() => parseLayerList(s)).toThrow(m);
    };
    bad('conv', /item 1 'conv': conv needs filters and a kernel size, e\.g\. conv:16x5:relu/);
    bad('8:relu,conv:16', /item 2 'conv:16': give filters and a kernel size as FxK, e\.g\. conv:16x3/);
    bad('conv:0x3', /item 1 'conv:0x3': filters x kernel must be between 1 and/);
    bad('conv:8x3x3x3', /filters x kernel has at most 3 numbers/);
    bad('conv:8xk', /filters x kernel must be whole numbers joined by x, got '8xk'/);
    bad('conv:8x3/0', /the stride must be between 1/);
    bad('conv:8x3/2/2', /one '\/' before the stride/);
    bad('conv:8x3:relu:tanh', /the activation is given twice/);
    bad('conv:8x3:same:valid', /the padding is given twice/);
    bad(
      'conv:8x3:full',
      /expected same, valid or an activation \(linear, relu, leakyRelu, sigmoid, tanh, softmax\), got 'full'/,
    );
    bad('maxpool:2:relu', /item 1 'maxpool:2:relu': expected same or valid, got 'relu'/);
    bad('maxpol:2', /item 1 'maxpol:2': expected N\[:activation\], dropout:R, conv:FxK.* \(did you mean 'maxpool'\?\)/);
    bad('gap:2', /item 1 'gap:2': takes no options/);
    bad('flatten:1', /takes no options/);
    bad('reshape', /reshape needs a shape such as reshape:28x28x1/);
    bad('reshape:28x?', /reshape needs a shape/);
    bad('reshape:-1x-1', /item 1 'reshape:-1x-1': reshape targetShape takes positive integers and at most one -1/);
    bad('bn:1.5', /the momentum of bn must be in \[0, 1\)/);
    bad('bn:0.9:1', /expected bn or bn:MOMENTUM/);
  });

  it('a JSON file takes every layer type, checked by the library, and names the layer and field', () => {
    const l = parseLayerJson(
      '[{"type": "conv2d", "filters": 8, "kernelSize": 3, "activation": "relu", "inputShape": [8, 8, 1]}, {"type": "flatten"}, {"type": "dense", "units": 2, "activation": "softmax"}]',
      'c.json',
    );
    expect(l[0]).toMatchObject({
      type: 'conv2d',
      name: 'conv2d_1',
      kernelSize: [3, 3],
      inputShape: [8, 8, 1],
      useBias: true,
      trainable: true,
    });
    expect(describeLayers(l)).toBe('conv:8x3:relu,flatten,2:softmax');
    const bad = (json: string, m: RegExp): void => expect(() => parseLayerJson(json, 'c.json')).toThrow(m);
    bad(
      '[{"type": "conv2d", "filters": 8, "kernelSize": [3, 0]}]',
      /c\.json layer 1: conv2d kernelSize\[1\] must be a positive integer, got 0/,
    );
    bad(
      '[{"type": "conv2d", "filters": 8, "kernelSize": 3, "activaton": "relu"}]',
      /c\.json layer 1: a conv2d layer has no field "activaton" \(did you mean "activation"\?\); its fields: type, name, filters/,
    );
    bad(
      '[{"type": "maxPooling2d", "poolSize": 2, "padding": "full"}]',
      /c\.json layer 1: maxPooling2d: padding must be 'valid' or 'same', got "full"/,
    );
    bad(
      '[{"type": "flatten"}, {"type": "dense", "units": 2, "inputShape": [4]}]',
      /c\.json layer 2: a dense layer has no field "inputShape"/,
    );
    bad(
      '[{"type": "batchNormalization", "momentum": 2}]',
      /c\.json layer 1: batchNormalization momentum must be in \[0, 1\)/,
    );
  });

  it('image shapes and the input shape a list is built on', () => {
    expect(parseImageShape('28x28x1')).toEqual([28, 28, 1]);
    expect(parseImageShape('8X8')).toEqual([8, 8, 1]);
    expect(() => parseImageShape('28x28x')).toThrow(
      /--image-shape takes HEIGHTxWIDTHxCHANNELS, e\.g\. 28x28x1 \(channels default 1\), got '28x28x'/,
    );
    expect(() => parseImageShape('0x4x1')).toThrow(/--image-shape takes/);
    const cnn = parseLayerList('conv:4x3:relu,flatten,2:softmax');
    const mlp = parseLayerList('16:relu,2:softmax');
    expect(inputShapeFor(cnn, 64, [8, 8, 1])).toEqual([8, 8, 1]);
    expect(inputShapeFor(mlp, 64, [8, 8, 1])).toEqual([64]); // an MLP reads images as vectors
    expect(inputShapeFor(parseLayerList('reshape:8x8x1,conv:2x3,flatten,2'), 64)).toEqual([64]);
    expect(() => inputShapeFor(cnn, 64)).toThrow(
      /layer 'conv2d_1' \(conv2d\) cannot take input \[64\].*give their image shape with --image-shape HxWxC/,
    );
    expect(() => inputShapeFor(parseLayerList('conv:4x9,flatten,2'), 64, [8, 8, 1])).toThrow(
      /layer 'conv2d_1' \(conv2d\) cannot take input \[8, 8, 1\]: a 9x9 window/,
    );
    const declared = parseLayerJson(
      '[{"type": "conv2d", "filters": 2, "kernelSize": 3, "inputShape": [4, 4, 4]}, {"type": "flatten"}]',
    );
    expect(inputShapeFor(declared, 64, [8, 8, 1])).toEqual([4, 4, 4]);
    expect(() => inputShapeFor(declared, 64, [8, 8, 1], true)).toThrow(
      /--image-shape 8x8x1 differs from the input \[4, 4, 4\] the first layer declares/,
    );
    expect(() => inputShapeFor(declared, 60)).toThrow(
      /the first layer declares input \[4, 4, 4\] \(64 values\) but the data has 60 values per row/,
    );
    // The first layer declares the shape when its type can.
    expect(declareInput(cnn, [8, 8, 1])[0]).toMatchObject({ type: 'conv2d', inputShape: [8, 8, 1] });
    expect(declareInput(mlp, [64])[0]).toMatchObject({ type: 'dense', inputDim: 64 });
    expect(declareInput(parseLayerList('dropout:0.1,2'), [64])[0]).not.toHaveProperty('inputShape');
    expect(cnn[0]).not.toHaveProperty('inputShape'); // the caller's specs are left alone
  });
});

describe('metrics', () => {
  it('confusion matrix, precision/recall/F1 and macro averages by hand', () => {
    // truth: 0 0 0 1 1 2 ; predicted: 0 0 1 1 2 2
    const cm = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
    expect(Array.from(cm.counts)).toEqual([2, 1, 0, 0, 1, 1, 0, 0, 1]);
    const r = classificationReport(cm, { names: ['a', 'b', 'c'] });
    expect(r.accuracy).toBeCloseTo(4 / 6);
    expect(r.perClass[0]).toMatchObject({ name: 'a', precision: 1, recall: 2 / 3, support: 3 });
    expect(r.perClass[1].precision).toBeCloseTo(0.5);
    expect(r.perClass[2]).toMatchObject({ precision: 0.5, recall: 1 });
    expect(r.perClass[2].f1).toBeCloseTo(2 / 3);
    expect(r.macro.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3);
    expect(formatConfusion(cm, ['a', 'b', 'c']).split('\n')[1]).toMatch(/^a\s+2\s+1\s+0$/);
  });

  it('a class never predicted has precision 0 and counts in the macro average (scikit-learn zero_division=0)', () => {
    const r = classificationReport(confusionMatrix([0, 1], [0, 0], 2), { names: ['x', 'y'] });
    expect(r.perClass[1].precision).toBe(0);
    expect(r.perClass[1].recall).toBe(0);
    expect(r.macro.precision).toBeCloseTo(0.25); // (0.5 + 0) / 2, not 0.5 over the "defined" class only
    expect(formatClassReport(r)).toMatch(/^macro avg\s+25\.0%\s+50\.0%\s+33\.3%\s+2$/m);
  });

  it('rejects labels outside the classes', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/yTrue\[1\] is 3, outside \[0, 3\)/);
  });

  it('regression statistics', () => {
    const s = regressionStats(Float32Array.of(1, 2, 3), Float32Array.of(1, 2, 5), 1);
    expect(s.mse).toBeCloseTo(4 / 3);
    expect(s.mae).toBeCloseTo(2 / 3);
    // targets mean 8/3, total sum of squares 25/9 + 4/9 + 49/9 = 78/9
    expect(s.r2).toBeCloseTo(1 - 4 / (78 / 9));
  });
});

describe('SVG report', () => {
  it('nice ticks are round numbers that cover the range', () => {
    expect(niceTicks(0, 1, 5).map((v) => Number(v.toFixed(10)))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = niceTicks(0.13, 0.87, 4);
    expect(t[0]).toBeGreaterThanOrEqual(0.13);
    expect(t.at(-1)!).toBeLessThanOrEqual(0.87);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('draws one polyline per series, escapes text, and is well-formed enough to parse', () => {
    const svg = lineChart({
      title: 'Loss <&>',
      series: [
        { name: 'a', values: [1, 0.5, 0.25], color: '#f00' },
        { name: 'b', values: [1.2, 0.7, NaN], color: '#00f', dashed: true },
      ],
    });
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('Loss &lt;&amp;&gt;');
    expect(svg).not.toContain('NaN');
    const report = trainingReport({
      title: 't',
      history: { loss: [1, 0.5], val_loss: [1.1, 0.6], accuracy: [0.5, 0.8], val_accuracy: [0.4, 0.7] },
      lines: ['test: 70%'],
      bestEpoch: 1,
    });
    expect(report.startsWith('<?xml')).toBe(true);
    expect(report.match(/<svg/g)?.length).toBe(3); // the page plus two charts
    expect(report).toContain('Accuracy');
    expect(report).toContain('test: 70%');
    expect(report).toContain('kept');
    // Balanced tags: every opened element is closed.
    const opened = (report.match(/<(svg|text|polyline)\b/g) ?? []).length;
    const closed = (report.match(/<\/(svg|text|polyline)>/g) ?? []).length;
    expect(closed).toBe(opened);
  });

  it('a regression report has only the loss chart', () => {
    const report = trainingReport({ title: 't', history: { loss: [3, 2, 1] }, lines: [] });
    expect(report).not.toContain('Accuracy');
    expect(report.match(/<polyline/g)?.length).toBe(1);
  });
});

describe('preprocessing fit and replay', () => {
  const train: Loaded = {
    kind: 'table',
    table: parseCsv('h,c,size,kind\n1,red,10,big\n2,blue,20,small\n3,red,30,big\n4,green,40,small\n', {
      source: 'p.csv',
      textColumns: ['c', 'kind'],
    }),
  };

  it('picks classes, one-hot categories and a scaler, and replays them on new rows', () => {
    const { prep, data } = fitPreprocessing(train, { label: 'kind', oneHot: 'c' }, { scale: 'minmax' });
    expect(prep.task).toBe('classification');
    expect(prep.classes).toEqual(['big', 'small']);
    expect(prep.features).toEqual(['h', 'c', 'size']);
    expect(prep.oneHot).toEqual({ c: ['blue', 'green', 'red'] });
    expect(prep.inputs).toBe(5);
    // h (min-max), c one-hot (3 columns, then min-max leaves 0/1), size.
    expect(Array.from(data.x.data.subarray(0, 5))).toEqual([0, 0, 0, 1, 0]);
    expect(Array.from(data.labels!)).toEqual([0, 1, 0, 1]);
    const test: Loaded = { kind: 'table', table: parseCsv('size,c,h\n25,green,2.5\n', { textColumns: ['c'] }) };
    const p = applyPreprocessing(test, prep, true, true);
    expect(Array.from(p.x.data)).toEqual([0.5, 0, 1, 0, 0.5]);
    expect(p.y).toBeUndefined(); // no label column: predict-only data
    const unseen: Loaded = {
      kind: 'table',
      table: parseCsv('size,c,h\n25,purple,2.5\n', { source: 'u.csv', textColumns: ['c'] }),
    };
    expect(() => applyPreprocessing(unseen, prep, false)).toThrow(
      /u\.csv row 1, column 'c': category 'purple' was not in the training data/,
    );
    const missing: Loaded = { kind: 'table', table: parseCsv('size,h\n25,2.5\n', { source: 'm.csv' }) };
    expect(() => applyPreprocessing(missing, prep, false)).toThrow(/m\.csv: no column 'c'/);
  });

  it('decides regression for real-valued labels and classification for few integers', () => {
    const reg: Loaded = { kind: 'table', table: parseCsv('a,y\n1,0.5\n2,1.7\n3,2.2\n4,3.9\n', { textColumns: ['y'] }) };
    const r = fitPreprocessing(reg, { label: 'y' }, {});
    expect(r.prep.task).toBe('regression');
    expect(Array.from(r.data.y!.data)).toEqual([0.5, 1.7, 2.2, 3.9].map(Math.fround));
    const cls: Loaded = { kind: 'table', table: parseCsv('a,y\n1,1\n2,0\n3,1\n4,0\n5,1\n', { textColumns: ['y'] }) };
    expect(fitPreprocessing(cls, { label: 'y' }, {}).prep.classes).toEqual(['0', '1']);
  });

  it('rejects a missing label column, a label that is a feature, and a single class', () => {
    expect(() => fitPreprocessing(train, { label: 'nope' }, {})).toThrow(/p\.csv: no column 'nope'/);
    expect(() => fitPreprocessing(train, {}, {})).toThrow(/name the label column with --label/);
    expect(() => fitPreprocessing(train, { label: 'kind', features: 'h,kind' }, {})).toThrow(
      /'kind' is both a feature and the label/,
    );
    const one: Loaded = { kind: 'table', table: parseCsv('a,y\n1,x\n2,x\n', { textColumns: ['y'] }) };
    expect(() => fitPreprocessing(one, { label: 'y' }, {})).toThrow(/only one class/);
  });

  it('array data: labels must be known classes and widths must match', () => {
    const d: Loaded = {
      kind: 'matrix',
      source: 'a.json',
      x: { data: new Float32Array([0, 1, 1, 0]), rows: 2, cols: 2 },
      y: { kind: 'labels', values: ['3', '7'] },
    };
    const { prep } = fitPreprocessing(d, {}, {});
    expect(prep.classes).toEqual(['3', '7']);
    const other: Loaded = { ...d, y: { kind: 'labels', values: ['3', '8'] } };
    expect(() => applyPreprocessing(other, prep, true)).toThrow(
      /a\.json row 2: label '8' is not one of the classes the model knows \(3, 7\)/,
    );
    const wide: Loaded = { kind: 'matrix', source: 'w.json', x: { data: new Float32Array(3), rows: 1, cols: 3 } };
    expect(() => applyPreprocessing(wide, prep, false)).toThrow(/the model takes 2 inputs per row, w\.json has 3/);
  });
});
