// Every exported function and public class method of the public entries, called with a valid argument list (the
// row proves the function works) and then with each argument replaced by something that does not conform: null,
// undefined (where required), wrong primitive types, NaN/±Infinity, empty or ragged arrays, objects of the wrong
// shape. Each bad call must throw (or reject with) a SimdnetError — never a TypeError/RangeError — and settle; a
// method on a model must leave the model bit-identical and usable. Unknown option keys are ignored (as TypeScript
// flags them at compile time): a valid call with a junk key must succeed.
//
// The exports are enumerated from the module namespaces, so a new function without a row fails the coverage test.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as main from '../../src/index.js';
import * as compress from '../../src/compress/index.js';
import * as onnx from '../../src/onnx/index.js';
import * as tfjs from '../../src/tfjs/index.js';
import * as mnistNode from '../../src/data/mnist-node.js';
import { SimdnetError } from '../../src/errors.js';
import type { Sequential } from '../../src/index.js';
import type { QuantizedModel, SparseModel } from '../../src/compress/index.js';
import { lcg } from './models.js';

const MODULES: Record<string, Record<string, unknown>> = {
  main,
  compress,
  onnx,
  tfjs,
  'mnist-node': mnistNode,
};

// ---------------------------------------------------------------------------------------------------------------
// Bad values by the kind of an argument.

type Kind =
  | 'num' // a finite number
  | 'count' // a positive integer
  | 'str'
  | 'bool'
  | 'arr' // ArrayLike<number>
  | 'matrix' // MatrixInput
  | 'model' // a live Sequential
  | 'bytes' // Uint8Array | ArrayBuffer
  | 'opts' // an options object (fields fuzzed separately)
  | 'fn'
  | 'layer' // a layer index or name
  | 'dataset'
  | 'any'; // no generic bad values (only the row's own)

const BAD: Record<Kind, Array<[string, unknown]>> = {
  num: [
    ['null', null],
    ['undefined', undefined],
    ['"3"', '3'],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['{}', {}],
    ['[1]', [1]],
    ['true', true],
  ],
  count: [
    ['null', null],
    ['undefined', undefined],
    ['"3"', '3'],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['{}', {}],
    ['[1]', [1]],
    ['2.5', 2.5],
    ['-1', -1],
  ],
  str: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['{}', {}],
    ['[]', []],
    ['true', true],
  ],
  bool: [
    ['null', null],
    ['"yes"', 'yes'],
    ['5', 5],
    ['{}', {}],
  ],
  arr: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['"ab"', 'ab'],
    ['{}', {}],
    ['["a","b"]', ['a', 'b']],
    ['[{}]', [{}]],
  ],
  matrix: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['"abc"', 'abc'],
    ['{}', {}],
    ['{data:null}', { data: null }],
    ['{data,shape:"x"}', { data: new Float32Array(8), shape: 'x' }],
    ['ragged rows', [[1, 2], [3]]],
    ['rows of strings', [['a', 'b']]],
    ['true', true],
    ['[]', []],
  ],
  model: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['"m"', 'm'],
    ['{}', {}],
    ['{getWeights:1}', { getWeights: 1 }],
    ['[]', []],
  ],
  bytes: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['"abc"', 'abc'],
    ['[1,2,3]', [1, 2, 3]],
    ['{}', {}],
    ['empty bytes', new Uint8Array(0)],
    ['zero bytes', new Uint8Array(64)],
  ],
  opts: [
    ['null', null],
    ['5', 5],
    ['"x"', 'x'],
    ['true', true],
  ],
  fn: [
    ['null', null],
    ['5', 5],
    ['"x"', 'x'],
    ['{}', {}],
  ],
  layer: [
    ['null', null],
    ['undefined', undefined],
    ['NaN', NaN],
    ['1.5', 1.5],
    ['-1', -1],
    ['99', 99],
    ['"nope"', 'nope'],
    ['{}', {}],
    ['[]', []],
  ],
  dataset: [
    ['null', null],
    ['undefined', undefined],
    ['5', 5],
    ['{}', {}],
    ['"d"', 'd'],
    ['[]', []],
  ],
  any: [],
};

interface Arg {
  kind: Kind;
  /** May be left out (undefined is then a valid value). */
  optional?: boolean;
  /** For 'opts': the fields to fuzz, each with its kind (optional fields: undefined is fine). */
  fields?: Record<string, Kind>;
  /** More bad values for this argument. */
  bad?: Array<[string, unknown]> | (() => Array<[string, unknown]>);
  /** Generic bad values of the kind that are in fact valid here (by label). */
  allow?: string[];
}

/** A row: how to call one function or method. */
interface Row<S = unknown> {
  /** The subject a method is called on (made once per row); absent for plain functions. */
  subject?: () => S | Promise<S>;
  /** A fingerprint of the subject's state (e.g. its weights' bits) that a refused call must leave unchanged. */
  state?: (s: S) => string;
  /** Proves the subject still works after the refused calls. */
  usable?: (s: S) => unknown;
  args: Arg[];
  /** A fresh valid argument list. */
  valid: () => unknown[] | Promise<unknown[]>;
  call: (s: S, ...a: any[]) => unknown;
  /** Checks the valid call's result. */
  ok?: (result: any, s: S) => void;
  /** Cleans up the valid call's result (dispose a model). */
  cleanup?: (result: any) => void;
  /** Why some bad calls cannot be made to fail yet (key: "arg i: label" or "no arguments"). */
  todo?: Record<string, string>;
  /** The valid call mutates the subject: make a new subject for it (the bad calls run on the first). */
  validMutates?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

let dir: string;
const X8 = (): { data: Float32Array; shape: [number, number] } => ({
  data: Float32Array.from({ length: 12 * 8 }, lcg(5)),
  shape: [12, 8],
});
const Y4 = (): Int32Array => Int32Array.from({ length: 12 }, (_, i) => i % 4);

function mlp(seed = 3): Sequential {
  const m = main.sequential(
    [
      main.dense(16, { activation: 'relu', inputDim: 8, name: 'h1' }),
      main.dense(4, { activation: 'softmax', name: 'out' }),
    ],
    { seed, name: 'mlp' },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  m.build(8);
  return m;
}
const bits = (m: Sequential): string =>
  m
    .getWeights()
    .map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex'))
    .join('/');
const preds = (m: { predict(x: unknown): { data: Float32Array } }): string =>
  Buffer.from(m.predict(X8()).data.buffer).toString('hex');
const live = (m: { predict(x: unknown): { rows: number } }): void => void expect(m.predict(X8()).rows).toBe(12);
const trained = async (): Promise<Sequential> => {
  const m = mlp();
  await m.fit(X8(), Y4(), { epochs: 1, batchSize: 6, seed: 1 });
  return m;
};
const disposed = (): Sequential => {
  const m = mlp();
  m.dispose();
  return m;
};
const seqRow = (r: Omit<Row<Sequential>, 'subject' | 'state' | 'usable'>): Row<Sequential> => ({
  subject: () => mlp(),
  state: bits,
  usable: live,
  ...r,
});
const quant = async (): Promise<QuantizedModel> => compress.quantizeModel(await trained(), { mode: 'dynamic' });
const sparse = (): SparseModel => {
  const m = mlp();
  compress.pruneMagnitude(m, { sparsity: 0.5 });
  return compress.SparseModel.fromModel(m);
};
const planRow = <S extends { predict(x: unknown): { data: Float32Array; rows: number } }>(
  make: () => S | Promise<S>,
  r: Omit<Row<S>, 'subject' | 'state' | 'usable'>,
): Row<S> => ({ subject: make, state: preds, usable: live, ...r });

const tfjsFixture = (): { json: object; shards: Uint8Array } => {
  const d = new URL('../tfjs/fixtures/tfjs-mlp/', import.meta.url);
  return {
    json: JSON.parse(readFileSync(new URL('model.json', d), 'utf8')),
    shards: readFileSync(new URL('model.weights.bin', d)),
  };
};
const csvText = 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n';
const csvPath = (): string => join(dir, 'data.csv');
const table = (): ReturnType<typeof main.parseCsv> => main.parseCsv(csvText);
const dataset = (): InstanceType<typeof main.Dataset> => main.Dataset.fromLabels(X8(), Y4(), 4);
const digits = (): Float32Array[] =>
  Array.from({ length: 10 }, (_, d) => Float32Array.from({ length: 784 * 3 }, (_, i) => ((i * 7 + d) % 256) / 255));
const isModel = (m: Sequential): void => {
  expect(m).toBeInstanceOf(main.Sequential);
  m.dispose();
};

const predictOpts: Arg = { kind: 'opts', optional: true, fields: { batchSize: 'count' } };
const loadOpts: Arg = {
  kind: 'opts',
  optional: true,
  fields: { backend: 'str', engine: 'any' },
  bad: [
    ['engine: {}', { engine: {} }],
    ['backend: "gpu"', { backend: 'gpu' }],
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// The table. Keys: "<module>:<export>" for functions, "<module>:new <Class>", "<module>:<Class>.<static>",
// "<module>:<Class>#<method>".

const ROWS: Record<string, Row<any>> = {
  // --- runtime
  'main:init': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: { backend: 'str', maxMemoryMB: 'count', wasm: 'any', fma: 'bool', threads: 'count' },
      },
    ],
    valid: () => [],
    call: (_s, o) => main.init(o),
    ok: (e) => expect(e).toBeInstanceOf(main.Engine),
  },
  'main:createEngine': {
    args: [
      { kind: 'str', bad: [['"gpu"', 'gpu']] },
      { kind: 'opts', optional: true, fields: { maxMemoryMB: 'count', wasm: 'any', fma: 'bool', threads: 'count' } },
    ],
    valid: () => ['js', { maxMemoryMB: 64 }],
    call: (_s, b, o) => main.createEngine(b, o),
    ok: (e) => {
      expect(e.backend).toBe('js');
      e.dispose();
    },
  },
  'main:getEngine': {
    args: [
      {
        kind: 'str',
        optional: true,
        bad: [
          ['"gpu"', 'gpu'],
          ['5', 5],
          ['null', null],
        ],
      },
    ],
    valid: () => ['wasm'],
    call: (_s, b) => main.getEngine(b),
    ok: (e) => expect(e.backend).toBe('wasm'),
  },
  'main:Engine#dispose': {
    subject: () => main.createEngine('js'),
    args: [],
    valid: () => [],
    call: (e) => e.dispose(),
    ok: (_r, e) => expect(e.disposed).toBe(true),
  },
  'main:simdSupported': {
    args: [],
    valid: () => [],
    call: () => main.simdSupported(),
    ok: (r) => expect(typeof r).toBe('boolean'),
  },
  'main:new Rng': {
    args: [{ kind: 'num' }],
    valid: () => [7],
    call: (_s, seed) => new main.Rng(seed),
    ok: (r) => expect(r.next()).toBeTypeOf('number'),
  },
  'main:Rng#u32': {
    subject: () => new main.Rng(1),
    args: [],
    valid: () => [],
    call: (r) => r.u32(),
    ok: (v) => expect(Number.isInteger(v)).toBe(true),
  },
  'main:Rng#next': {
    subject: () => new main.Rng(1),
    args: [],
    valid: () => [],
    call: (r) => r.next(),
    ok: (v) => expect(v).toBeLessThan(1),
  },
  'main:Rng#normal': {
    subject: () => new main.Rng(1),
    args: [],
    valid: () => [],
    call: (r) => r.normal(),
    ok: (v) => expect(Number.isFinite(v)).toBe(true),
  },
  'main:Rng#int': {
    subject: () => new main.Rng(1),
    args: [{ kind: 'count', bad: [['0', 0]] }],
    valid: () => [5],
    call: (r, n) => r.int(n),
    ok: (v) => expect(v).toBeLessThan(5),
  },
  'main:Rng#shuffle': {
    subject: () => new main.Rng(1),
    args: [{ kind: 'arr', allow: ['["a","b"]', '[{}]'] }],
    valid: () => [[1, 2, 3]],
    call: (r, a) => r.shuffle(a),
    ok: (v) => expect([...v].sort()).toEqual([1, 2, 3]),
  },
  'main:Rng#permutation': {
    subject: () => new main.Rng(1),
    args: [{ kind: 'count', allow: [] }],
    valid: () => [4],
    call: (r, n) => r.permutation(n),
    ok: (v) => expect([...v].sort()).toEqual([0, 1, 2, 3]),
  },
  'main:new SimdnetError': {
    args: [{ kind: 'str', bad: [['"NOPE"', 'NOPE']] }, { kind: 'str' }],
    valid: () => ['SHAPE', 'x'],
    call: (_s, c, m) => new SimdnetError(c, m),
    ok: (e) => expect(e.code).toBe('SHAPE'),
  },

  // --- layers
  'main:dense': {
    args: [
      { kind: 'count', bad: [['0', 0]] },
      {
        kind: 'opts',
        optional: true,
        fields: { activation: 'str', name: 'str', inputDim: 'count', useBias: 'bool', alpha: 'num' },
        bad: [['activation "nope"', { activation: 'nope' }]],
      },
    ],
    valid: () => [4, { activation: 'relu' }],
    call: (_s, u, o) => main.dense(u, o),
    ok: (s) => expect(s.type).toBe('dense'),
  },
  'main:dropout': {
    args: [
      {
        kind: 'num',
        bad: [
          ['1', 1],
          ['-0.1', -0.1],
        ],
      },
      { kind: 'opts', optional: true, fields: { name: 'str' } },
    ],
    valid: () => [0.5],
    call: (_s, r, o) => main.dropout(r, o),
    ok: (s) => expect(s.type).toBe('dropout'),
  },
  'main:activation': {
    args: [
      { kind: 'str', bad: [['"nope"', 'nope']] },
      { kind: 'opts', optional: true, fields: { name: 'str', alpha: 'num' } },
    ],
    valid: () => ['relu'],
    call: (_s, a, o) => main.activation(a, o),
    ok: (s) => expect(s.type).toBe('activation'),
  },
  'main:conv2d': {
    args: [
      { kind: 'count', bad: [['0', 0]] },
      {
        kind: 'count',
        bad: [
          ['[3]', [3]],
          ['[3,"a"]', [3, 'a']],
        ],
        allow: [],
      },
      {
        kind: 'opts',
        optional: true,
        fields: { strides: 'count', padding: 'str', activation: 'str', name: 'str', useBias: 'bool' },
        bad: [
          ['inputShape "x"', { inputShape: 'x' }],
          ['padding "full"', { padding: 'full' }],
        ],
      },
    ],
    valid: () => [2, 3, { padding: 'same' }],
    call: (_s, f, k, o) => main.conv2d(f, k, o),
    ok: (s) => expect(s.type).toBe('conv2d'),
  },
  'main:maxPooling2d': {
    args: [
      { kind: 'count', optional: true, bad: [['[2,"a"]', [2, 'a']]] },
      { kind: 'opts', optional: true, fields: { strides: 'count', padding: 'str', name: 'str' } },
    ],
    valid: () => [2, { padding: 'same' }],
    call: (_s, p, o) => main.maxPooling2d(p, o),
    ok: (s) => expect(s.type).toBe('maxPooling2d'),
  },
  'main:averagePooling2d': {
    args: [
      { kind: 'count', optional: true, bad: [['[2,"a"]', [2, 'a']]] },
      { kind: 'opts', optional: true, fields: { strides: 'count', padding: 'str', name: 'str' } },
    ],
    valid: () => [2, { padding: 'same' }],
    call: (_s, p, o) => main.averagePooling2d(p, o),
    ok: (s) => expect(s.type).toBe('averagePooling2d'),
  },
  'main:globalAveragePooling2d': {
    args: [{ kind: 'opts', optional: true, fields: { name: 'str' } }],
    valid: () => [],
    call: (_s, o) => main.globalAveragePooling2d(o),
    ok: (s) => expect(s.type).toBe('globalAveragePooling2d'),
  },
  'main:flatten': {
    args: [{ kind: 'opts', optional: true, fields: { name: 'str' } }],
    valid: () => [],
    call: (_s, o) => main.flatten(o),
    ok: (s) => expect(s.type).toBe('flatten'),
  },
  'main:reshape': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[]', []],
          ['[0]', [0]],
          ['[2.5]', [2.5]],
        ],
      },
      { kind: 'opts', optional: true, fields: { name: 'str' } },
    ],
    valid: () => [[2, 4]],
    call: (_s, t, o) => main.reshape(t, o),
    ok: (s) => expect(s.type).toBe('reshape'),
  },
  'main:permute': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[]', []],
          ['[1,1]', [1, 1]],
          ['[0,1]', [0, 1]],
        ],
      },
      { kind: 'opts', optional: true, fields: { name: 'str' } },
    ],
    valid: () => [[2, 1]],
    call: (_s, d, o) => main.permute(d, o),
    ok: (s) => expect(s.type).toBe('permute'),
  },
  'main:zeroPadding2d': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['-1', -1],
          ['1.5', 1.5],
          ['NaN', NaN],
          ['"same"', 'same'],
          ['[1,2,3]', [1, 2, 3]],
          ['[[1],[2]]', [[1], [2]]],
          ['{}', {}],
        ],
      },
      { kind: 'opts', optional: true, fields: { name: 'str' } },
    ],
    valid: () => [
      [
        [1, 0],
        [0, 1],
      ],
    ],
    call: (_s, p, o) => main.zeroPadding2d(p, o),
    ok: (s) =>
      expect(s.padding).toEqual([
        [1, 0],
        [0, 1],
      ]),
  },
  'main:batchNormalization': {
    args: [{ kind: 'opts', optional: true, fields: { momentum: 'num', epsilon: 'num', name: 'str' } }],
    valid: () => [],
    call: (_s, o) => main.batchNormalization(o),
    ok: (s) => expect(s.type).toBe('batchNormalization'),
  },

  // --- models
  'main:sequential': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[null]', [null]],
          ['[{type:"nope"}]', [{ type: 'nope' }]],
        ],
      },
      { kind: 'opts', optional: true, fields: { backend: 'str', seed: 'num', name: 'str', engine: 'any' } },
    ],
    valid: () => [[main.dense(2, { inputDim: 3 })], { seed: 1 }],
    call: (_s, l, o) => main.sequential(l, o),
    ok: isModel,
  },
  'main:new Sequential': {
    args: [
      { kind: 'arr', bad: [['[null]', [null]]] },
      { kind: 'opts', optional: true, fields: { backend: 'str', seed: 'num', name: 'str' } },
    ],
    valid: () => [[main.dense(2, { inputDim: 3 })]],
    call: (_s, l, o) => new main.Sequential(l, o),
    ok: isModel,
  },
  'main:Sequential#build': seqRow({
    args: [
      {
        kind: 'arr',
        bad: [
          ['[4]', [4]],
          ['0', 0],
          ['"8"', '8'],
          ['NaN', NaN],
        ],
      },
      { kind: 'num', optional: true },
    ],
    valid: () => [8],
    call: (m, i, s) => m.build(i, s),
    ok: (r) => expect(r.built).toBe(true),
  }),
  'main:Sequential#compile': seqRow({
    args: [
      {
        kind: 'opts',
        fields: { loss: 'str', optimizer: 'any', metrics: 'arr', lossOptions: 'any' },
        bad: [
          ['undefined', undefined],
          ['loss "nope"', { loss: 'nope' }],
          ['optimizer "nope"', { loss: 'mse', optimizer: 'nope' }],
          ['metrics ["x"]', { loss: 'mse', metrics: ['x'] }],
          ['huber delta -1', { loss: 'huber', lossOptions: { delta: -1 } }],
          ['lossOptions 5', { loss: 'huber', lossOptions: 5 }],
        ],
      },
    ],
    valid: () => [{ loss: 'categoricalCrossentropy', optimizer: 'sgd' }],
    call: (m, o) => m.compile(o),
  }),
  'main:Sequential#compileSettings': seqRow({
    args: [],
    valid: () => [],
    call: (m) => m.compileSettings(),
    ok: (r) => expect(r.loss).toBe('categoricalCrossentropy'),
  }),
  'main:Sequential#fit': seqRow({
    args: [
      { kind: 'matrix' },
      { kind: 'matrix', bad: [['labels 7', Int32Array.from({ length: 12 }, () => 7)]] },
      {
        kind: 'opts',
        optional: true,
        fields: {
          epochs: 'count',
          batchSize: 'count',
          seed: 'num',
          shuffle: 'bool',
          validationSplit: 'num',
          callbacks: 'any',
          verbose: 'any',
          sampleWeight: 'arr',
          classWeight: 'any',
          schedule: 'fn',
        },
        bad: [
          ['validationSplit 1', { validationSplit: 1 }],
          ['callbacks 5', { callbacks: 5 }],
          ['sampleWeight of -1', { sampleWeight: new Array(12).fill(-1) }],
          ['classWeight {9: 1}', { classWeight: { 9: 1 } }],
          ['classWeight 5', { classWeight: 5 }],
        ],
      },
    ],
    valid: () => [X8(), Y4(), { epochs: 1, batchSize: 6, seed: 1 }],
    validMutates: true,
    call: (m, x, y, o) => m.fit(x, y, o),
    ok: (h) => expect(h.epochs).toEqual([0]),
  }),
  'main:Sequential#predict': seqRow({
    args: [
      {
        kind: 'matrix',
        bad: [
          ['wrong width', { data: new Float32Array(14), shape: [2, 7] }],
          ['NaN row', { data: new Float32Array(8).fill(NaN), shape: [1, 8] }],
        ],
      },
      predictOpts,
    ],
    valid: () => [X8()],
    call: (m, x, o) => m.predict(x, o),
    ok: (r) => expect(r.rows).toBe(12),
  }),
  'main:Sequential#predictClasses': seqRow({
    args: [{ kind: 'matrix' }, predictOpts],
    valid: () => [X8()],
    call: (m, x, o) => m.predictClasses(x, o),
    ok: (r) => expect(r.length).toBe(12),
  }),
  'main:Sequential#evaluate': seqRow({
    args: [{ kind: 'matrix' }, { kind: 'matrix', bad: [['too few', Y4().subarray(0, 3)]] }, predictOpts],
    valid: () => [X8(), Y4()],
    call: (m, x, y, o) => m.evaluate(x, y, o),
    ok: (r) => expect(Number.isFinite(r.loss)).toBe(true),
  }),
  'main:Sequential#features': seqRow({
    args: [{ kind: 'matrix' }, { kind: 'layer' }, predictOpts],
    valid: () => [X8(), 'h1'],
    call: (m, x, l, o) => m.features(x, l, o),
    ok: (r) => expect(r.cols).toBe(16),
  }),
  'main:Sequential#layerIndex': seqRow({
    args: [{ kind: 'layer' }],
    valid: () => ['out'],
    call: (m, l) => m.layerIndex(l),
    ok: (r) => expect(r).toBe(1),
  }),
  'main:Sequential#setTrainable': seqRow({
    args: [
      { kind: 'layer', allow: ['[]'] },
      { kind: 'bool', bad: [['undefined', undefined]] },
    ],
    valid: () => ['h1', true],
    call: (m, l, t) => m.setTrainable(l, t),
  }),
  'main:Sequential#getWeights': seqRow({
    args: [],
    valid: () => [],
    call: (m) => m.getWeights(),
    ok: (r) => expect(r).toHaveLength(4),
  }),
  'main:Sequential#setWeights': seqRow({
    args: [
      {
        kind: 'arr',
        bad: () => [
          ['[]', []],
          ['[null]', [null]],
          ['one short', mlp().getWeights().slice(1)],
          [
            'NaN weights',
            mlp()
              .getWeights()
              .map((w) => ({ ...w, data: w.data.map(() => NaN) })),
          ],
        ],
      },
    ],
    valid: () => [mlp(9).getWeights()],
    validMutates: true,
    call: (m, w) => m.setWeights(w),
  }),
  'main:Sequential#countParams': seqRow({
    args: [],
    valid: () => [],
    call: (m) => m.countParams(),
    ok: (r) => expect(r.total).toBe(8 * 16 + 16 + 16 * 4 + 4),
  }),
  'main:Sequential#summary': seqRow({
    args: [],
    valid: () => [],
    call: (m) => m.summary(),
    ok: (r) => expect(r).toContain('h1'),
  }),
  'main:Sequential#tensors': seqRow({
    args: [],
    valid: () => [],
    call: (m) => m.tensors(),
    ok: (r) => expect(r).toHaveLength(4),
  }),
  'main:Sequential#dispose': { subject: () => mlp(), args: [], valid: () => [], call: (m) => m.dispose() },

  // --- training
  'main:sgd': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: { learningRate: 'num', momentum: 'num', nesterov: 'bool', weightDecay: 'num' },
      },
    ],
    valid: () => [{ learningRate: 0.1 }],
    call: (_s, o) => main.sgd(o),
    ok: (c) => expect(c.type).toBe('sgd'),
  },
  'main:adam': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: {
          learningRate: 'num',
          beta1: 'num',
          beta2: 'num',
          epsilon: 'num',
          weightDecay: 'num',
          decoupled: 'bool',
        },
      },
    ],
    valid: () => [{ learningRate: 0.01 }],
    call: (_s, o) => main.adam(o),
    ok: (c) => expect(c.type).toBe('adam'),
  },
  'main:planLoss': {
    args: [
      { kind: 'str', bad: [['"nope"', 'nope']] },
      { kind: 'str', bad: [['"nope"', 'nope']] },
      { kind: 'bool', optional: true },
    ],
    valid: () => ['mse', 'linear'],
    call: (_s, l, a, f) => main.planLoss(l, a, f),
    ok: (l) => expect(l.name).toBe('mse'),
  },
  'main:rmsprop': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: { learningRate: 'num', rho: 'num', epsilon: 'num', weightDecay: 'num' },
        bad: [['rho 1', { rho: 1 }]],
      },
    ],
    valid: () => [{ learningRate: 0.01 }],
    call: (_s, o) => main.rmsprop(o),
    ok: (c) => expect(c.type).toBe('rmsprop'),
  },
  'main:adagrad': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: { learningRate: 'num', initialAccumulatorValue: 'num', epsilon: 'num', weightDecay: 'num' },
        bad: [['initialAccumulatorValue -1', { initialAccumulatorValue: -1 }]],
      },
    ],
    valid: () => [{ learningRate: 0.01 }],
    call: (_s, o) => main.adagrad(o),
    ok: (c) => expect(c.type).toBe('adagrad'),
  },
  'main:stepDecay': {
    args: [
      {
        kind: 'opts',
        fields: { initialLearningRate: 'num', factor: 'num', everyEpochs: 'count' },
        bad: [
          ['undefined', undefined],
          ['factor 2', { initialLearningRate: 0.1, factor: 2 }],
        ],
      },
    ],
    valid: () => [{ initialLearningRate: 0.1 }],
    call: (_s, o) => main.stepDecay(o),
    ok: (f) => expect(f(10, 0)).toBe(0.05),
  },
  'main:exponentialDecay': {
    args: [
      {
        kind: 'opts',
        fields: { initialLearningRate: 'num', decaySteps: 'count', decayRate: 'num', staircase: 'bool' },
        bad: [
          ['undefined', undefined],
          ['decayRate 0', { initialLearningRate: 0.1, decaySteps: 5, decayRate: 0 }],
        ],
      },
    ],
    valid: () => [{ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }],
    call: (_s, o) => main.exponentialDecay(o),
    ok: (f) => expect(f(0, 5)).toBe(0.05),
  },
  'main:cosineDecay': {
    args: [
      {
        kind: 'opts',
        fields: {
          initialLearningRate: 'num',
          decaySteps: 'count',
          alpha: 'num',
          warmupSteps: 'count',
          warmupTarget: 'num',
        },
        bad: [
          ['undefined', undefined],
          ['warm-up without target', { initialLearningRate: 0.1, decaySteps: 5, warmupSteps: 2 }],
        ],
      },
    ],
    valid: () => [{ initialLearningRate: 0.1, decaySteps: 10 }],
    call: (_s, o) => main.cosineDecay(o),
    ok: (f) => expect(f(0, 10)).toBe(0),
  },
  'main:modelCheckpoint': {
    args: [
      {
        kind: 'opts',
        fields: { path: 'str', onSave: 'fn', monitor: 'str', mode: 'str', saveBestOnly: 'bool' },
        bad: [
          ['undefined', undefined],
          ['{}', {}],
          ['mode "up"', { onSave: () => {}, mode: 'up' }],
        ],
      },
    ],
    valid: () => [{ onSave: () => {} }],
    call: (_s, o) => main.modelCheckpoint(o),
    ok: (c) => expect(typeof c.onEpochEnd).toBe('function'),
  },
  'main:reduceLROnPlateau': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: {
          monitor: 'str',
          factor: 'num',
          patience: 'count',
          mode: 'str',
          minDelta: 'num',
          cooldown: 'count',
          minLr: 'num',
        },
        bad: [
          ['factor 1', { factor: 1 }],
          ['mode "up"', { mode: 'up' }],
        ],
      },
    ],
    valid: () => [{ patience: 2 }],
    call: (_s, o) => main.reduceLROnPlateau(o),
    ok: (c) => expect(typeof c.onEpochEnd).toBe('function'),
  },
  'main:earlyStopping': {
    args: [
      {
        kind: 'opts',
        optional: true,
        fields: { monitor: 'str', patience: 'count', minDelta: 'num', mode: 'str', restoreBestWeights: 'bool' },
        bad: [['mode "up"', { mode: 'up' }]],
      },
    ],
    valid: () => [{ patience: 2 }],
    call: (_s, o) => main.earlyStopping(o),
    ok: (c) => expect(typeof c.onEpochEnd).toBe('function'),
  },
  'main:progressLogger': {
    args: [{ kind: 'opts', optional: true, fields: { write: 'fn', live: 'bool', columns: 'count' } }],
    valid: () => [{ write: () => {} }],
    call: (_s, o) => main.progressLogger(o),
    ok: (c) => expect(typeof c).toBe('object'),
  },

  // --- files
  'main:saveModel': {
    args: [{ kind: 'model', bad: () => [['disposed', disposed()]] }],
    valid: () => [mlp()],
    call: (_s, m) => main.saveModel(m),
    ok: (b) => expect(b).toBeInstanceOf(Uint8Array),
  },
  'main:loadModel': {
    args: [{ kind: 'bytes' }, loadOpts],
    valid: () => [main.saveModel(mlp())],
    call: (_s, b, o) => main.loadModel(b, o),
    ok: isModel,
  },
  'main:saveModelFile': {
    args: [{ kind: 'model' }, { kind: 'str', bad: [['""', '']] }],
    valid: () => [mlp(), join(dir, 'm.simdnet')],
    call: (_s, m, p) => main.saveModelFile(m, p),
  },
  'main:loadModelFile': {
    args: [{ kind: 'str', bad: [['""', '']] }, loadOpts],
    valid: async () => {
      await main.saveModelFile(mlp(), join(dir, 'l.simdnet'));
      return [join(dir, 'l.simdnet')];
    },
    call: (_s, p, o) => main.loadModelFile(p, o),
    ok: isModel,
  },
  'main:loadModelFileSync': {
    args: [{ kind: 'str', bad: [['""', '']] }, loadOpts],
    valid: async () => {
      await main.saveModelFile(mlp(), join(dir, 'ls.simdnet'));
      return [join(dir, 'ls.simdnet')];
    },
    call: (_s, p, o) => main.loadModelFileSync(p, o),
    ok: isModel,
  },

  // --- transfer and explanations
  'main:transfer': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        optional: true,
        fields: { keep: 'layer', head: 'arr', freeze: 'bool', seed: 'num', name: 'str' },
      },
    ],
    valid: async () => [await trained(), { keep: 'h1', head: [main.dense(2)] }],
    call: (_s, m, o) => main.transfer(m, o),
    ok: isModel,
  },
  'main:featureExtractor': {
    args: [{ kind: 'model' }, { kind: 'opts', optional: true, fields: { keep: 'layer', name: 'str' } }],
    valid: async () => [await trained(), { keep: 'h1' }],
    call: (_s, m, o) => main.featureExtractor(m, o),
    ok: isModel,
  },
  'main:freezeLayers': {
    args: [{ kind: 'model' }, { kind: 'layer' }, { kind: 'bool', optional: true }],
    valid: () => [mlp(), 'h1'],
    call: (_s, m, l, f) => main.freezeLayers(m, l, f),
    ok: (m) => expect(m.countParams().trainable).toBe(68),
  },
  'main:saliency': {
    args: [
      { kind: 'model' },
      { kind: 'matrix' },
      {
        kind: 'opts',
        optional: true,
        fields: { output: 'any', space: 'str', absolute: 'bool', batchSize: 'count' },
        bad: [
          ['output 9', { output: 9 }],
          ['output "x"', { output: 'x' }],
        ],
      },
    ],
    valid: () => [mlp(), X8()],
    call: (_s, m, x, o) => main.saliency(m, x, o),
    ok: (r) => expect(r.cols).toBe(8),
  },
  'main:integratedGradients': {
    args: [
      { kind: 'model' },
      { kind: 'matrix' },
      {
        kind: 'opts',
        optional: true,
        fields: { output: 'any', baseline: 'any', steps: 'count', space: 'str', batchRows: 'count' },
        bad: [
          ['baseline "x"', { baseline: 'x' }],
          ['baseline NaN', { baseline: NaN }],
        ],
      },
    ],
    valid: () => [mlp(), X8(), { steps: 4 }],
    call: (_s, m, x, o) => main.integratedGradients(m, x, o),
    ok: (r) => expect(r.attributions.cols).toBe(8),
  },
  'main:logits': {
    args: [{ kind: 'model' }, { kind: 'matrix' }, predictOpts],
    valid: () => [mlp(), X8()],
    call: (_s, m, x, o) => main.logits(m, x, o),
    ok: (r) => expect(r.cols).toBe(4),
  },

  // --- data: matrices
  'main:isMatrix': {
    args: [{ kind: 'any', optional: true }],
    valid: () => [main.zeros(2, 2)],
    call: (_s, v) => main.isMatrix(v),
    ok: (r) => expect(r).toBe(true),
  },
  'main:isFlatNumbers': {
    args: [{ kind: 'any', optional: true }],
    valid: () => [[1, 2]],
    call: (_s, v) => main.isFlatNumbers(v),
    ok: (r) => expect(r).toBe(true),
  },
  'main:f32View': {
    args: [
      { kind: 'any', optional: true },
      { kind: 'any', optional: true },
    ],
    valid: () => [main.zeros(2, 2), 2],
    call: (_s, x, c) => main.f32View(x, c),
    ok: (r) => expect(r.rows).toBe(2),
  },
  'main:rowOf': {
    args: [
      { kind: 'matrix', allow: ['[]', 'ragged rows', 'rows of strings'] },
      { kind: 'count', bad: [['9', 9]], allow: [] },
    ],
    valid: () => [main.zeros(2, 3), 1],
    call: (_s, m, r) => main.rowOf(m, r),
    ok: (r) => expect(r.length).toBe(3),
  },
  'main:selectRows': {
    args: [
      { kind: 'matrix', allow: ['[]'] },
      {
        kind: 'arr',
        bad: [
          ['[9]', [9]],
          ['[0.5]', [0.5]],
        ],
      },
    ],
    valid: () => [main.zeros(3, 2), [2, 0]],
    call: (_s, m, i) => main.selectRows(m, i),
    ok: (r) => expect(r.rows).toBe(2),
  },
  'main:toMatrix': {
    args: [{ kind: 'matrix' }, { kind: 'str', optional: true }, { kind: 'count', optional: true }],
    valid: () => [
      [
        [1, 2],
        [3, 4],
      ],
    ],
    call: (_s, x, n, c) => main.toMatrix(x, n, c),
    ok: (r) => expect(r.cols).toBe(2),
  },
  'main:zeros': {
    args: [{ kind: 'count', allow: [] }, { kind: 'count' }],
    valid: () => [2, 3],
    call: (_s, r, c) => main.zeros(r, c),
    ok: (r) => expect(r.data.length).toBe(6),
  },

  // --- data: datasets
  'main:new Dataset': {
    args: [
      { kind: 'matrix' },
      { kind: 'matrix', bad: [['too few', new Float32Array(3)]] },
      { kind: 'arr', optional: true },
    ],
    valid: () => [X8(), main.oneHot(Y4(), 4)],
    call: (_s, x, y, l) => new main.Dataset(x, y, l),
    ok: (d) => expect(d.size).toBe(12),
  },
  'main:Dataset.fromLabels': {
    args: [
      { kind: 'matrix' },
      {
        kind: 'arr',
        bad: [
          ['[]', []],
          ['labels 7', Int32Array.from({ length: 12 }, () => 7)],
        ],
      },
      { kind: 'count' },
    ],
    valid: () => [X8(), Y4(), 4],
    call: (_s, x, l, c) => main.Dataset.fromLabels(x, l, c),
    ok: (d) => expect(d.size).toBe(12),
  },
  'main:Dataset#classes': {
    subject: dataset,
    args: [],
    valid: () => [],
    call: (d) => d.classes(),
    ok: (r) => expect(r.length).toBe(12),
  },
  'main:Dataset#subset': {
    subject: dataset,
    args: [
      {
        kind: 'arr',
        bad: [
          ['[99]', [99]],
          ['[1.5]', [1.5]],
        ],
      },
    ],
    valid: () => [[0, 3]],
    call: (d, i) => d.subset(i),
    ok: (r) => expect(r.size).toBe(2),
  },
  'main:Dataset#shuffle': {
    subject: dataset,
    args: [{ kind: 'num' }],
    valid: () => [3],
    call: (d, s) => d.shuffle(s),
    ok: (r) => expect(r.size).toBe(12),
  },
  'main:Dataset#take': {
    subject: dataset,
    args: [{ kind: 'count' }],
    valid: () => [5],
    call: (d, n) => d.take(n),
    ok: (r) => expect(r.size).toBe(5),
  },
  'main:Dataset#split': {
    subject: dataset,
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['"x"', 'x'],
          ['NaN', NaN],
          ['1.5', 1.5],
          ['{}', {}],
          ['{test:NaN}', { test: NaN }],
        ],
      },
    ],
    valid: () => [{ test: 0.25, seed: 1 }],
    call: (d, o) => d.split(o),
    ok: (r) => expect(r.test.size).toBe(3),
  },
  'main:trainTestSplit': {
    args: [
      { kind: 'matrix' },
      { kind: 'matrix' },
      { kind: 'opts', fields: { testFraction: 'num', seed: 'num', stratify: 'bool' }, bad: [['undefined', undefined]] },
    ],
    valid: () => [X8(), main.oneHot(Y4(), 4), { testFraction: 0.25, seed: 1 }],
    call: (_s, x, y, o) => main.trainTestSplit(x, y, o),
    ok: (r) => expect(r.xTest.rows).toBe(3),
  },

  // --- data: preprocessing
  'main:new MinMaxScaler': {
    args: [
      {
        kind: 'arr',
        optional: true,
        bad: [
          ['[1,0]', [1, 0]],
          ['[0]', [0]],
          ['[0,NaN]', [0, NaN]],
        ],
      },
    ],
    valid: () => [[-1, 1]],
    call: (_s, r) => new main.MinMaxScaler(r),
    ok: (s) => expect(s.cols).toBe(0),
  },
  'main:MinMaxScaler.fromJSON': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['5', 5],
          ['{}', {}],
          ['"x"', 'x'],
        ],
      },
    ],
    valid: () => [
      new main.MinMaxScaler()
        .fit([
          [0, 1],
          [2, 3],
        ])
        .toJSON(),
    ],
    call: (_s, j) => main.MinMaxScaler.fromJSON(j),
    ok: (s) => expect(s.cols).toBe(2),
  },
  'main:MinMaxScaler#fit': {
    subject: () => new main.MinMaxScaler(),
    args: [{ kind: 'matrix' }],
    valid: () => [
      [
        [0, 1],
        [2, 3],
      ],
    ],
    call: (s, x) => s.fit(x),
    ok: (s) => expect(s.cols).toBe(2),
  },
  'main:MinMaxScaler#transform': {
    subject: () =>
      new main.MinMaxScaler().fit([
        [0, 1],
        [2, 3],
      ]),
    state: (s) => JSON.stringify(s.toJSON()),
    args: [{ kind: 'matrix', bad: [['3 columns', [[1, 2, 3]]]] }],
    valid: () => [[[1, 2]]],
    call: (s, x) => s.transform(x),
    ok: (r) => expect([...r.data]).toEqual([0.5, 0.5]),
  },
  'main:MinMaxScaler#fitTransform': {
    subject: () => new main.MinMaxScaler(),
    args: [{ kind: 'matrix' }],
    valid: () => [
      [
        [0, 1],
        [2, 3],
      ],
    ],
    call: (s, x) => s.fitTransform(x),
    ok: (r) => expect(r.rows).toBe(2),
  },
  'main:MinMaxScaler#toJSON': {
    subject: () =>
      new main.MinMaxScaler().fit([
        [0, 1],
        [2, 3],
      ]),
    args: [],
    valid: () => [],
    call: (s) => s.toJSON(),
    ok: (j) => expect(j.type).toBeDefined(),
  },
  'main:Standardizer.fromJSON': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['5', 5],
          ['{}', {}],
          ['"x"', 'x'],
        ],
      },
    ],
    valid: () => [
      new main.Standardizer()
        .fit([
          [0, 1],
          [2, 3],
        ])
        .toJSON(),
    ],
    call: (_s, j) => main.Standardizer.fromJSON(j),
    ok: (s) => expect(s.cols).toBe(2),
  },
  'main:new Standardizer': {
    args: [],
    valid: () => [],
    call: () => new main.Standardizer(),
    ok: (s) => expect(s.cols).toBe(0),
  },
  'main:Standardizer#fit': {
    subject: () => new main.Standardizer(),
    args: [{ kind: 'matrix' }],
    valid: () => [
      [
        [0, 1],
        [2, 3],
      ],
    ],
    call: (s, x) => s.fit(x),
    ok: (s) => expect(s.cols).toBe(2),
  },
  'main:Standardizer#transform': {
    subject: () =>
      new main.Standardizer().fit([
        [0, 1],
        [2, 3],
      ]),
    state: (s) => JSON.stringify(s.toJSON()),
    args: [{ kind: 'matrix', bad: [['3 columns', [[1, 2, 3]]]] }],
    valid: () => [[[1, 2]]],
    call: (s, x) => s.transform(x),
    ok: (r) => expect([...r.data]).toEqual([0, 0]),
  },
  'main:Standardizer#fitTransform': {
    subject: () => new main.Standardizer(),
    args: [{ kind: 'matrix' }],
    valid: () => [
      [
        [0, 1],
        [2, 3],
      ],
    ],
    call: (s, x) => s.fitTransform(x),
    ok: (r) => expect(r.rows).toBe(2),
  },
  'main:Standardizer#inverseTransform': {
    subject: () =>
      new main.Standardizer().fit([
        [0, 1],
        [2, 3],
      ]),
    state: (s) => JSON.stringify(s.toJSON()),
    args: [{ kind: 'matrix', bad: [['3 columns', [[1, 2, 3]]]] }],
    valid: () => [[[0, 0]]],
    call: (s, x) => s.inverseTransform(x),
    ok: (r) => expect([...r.data]).toEqual([1, 2]),
  },
  'main:Standardizer#toJSON': {
    subject: () =>
      new main.Standardizer().fit([
        [0, 1],
        [2, 3],
      ]),
    args: [],
    valid: () => [],
    call: (s) => s.toJSON(),
    ok: (j) => expect(j.type).toBeDefined(),
  },
  'main:scalerFromJSON': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['5', 5],
          ['{}', {}],
          ['{type:"x"}', { type: 'x' }],
        ],
      },
    ],
    valid: () => [
      new main.Standardizer()
        .fit([
          [0, 1],
          [2, 3],
        ])
        .toJSON(),
    ],
    call: (_s, j) => main.scalerFromJSON(j),
    ok: (s) => expect(s.cols).toBe(2),
  },
  // Metrics (src/metrics): labels, scores, regression values; bad labels and shapes are SimdnetErrors.
  'main:confusionMatrix': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[-1]', [-1]],
          ['[0.5]', [0.5]],
        ],
      },
      { kind: 'arr', bad: [['too few', [0]]] },
      { kind: 'count', optional: true, bad: [['1 (labels up to 2)', 1]] },
    ],
    valid: () => [[0, 1, 2, 1], [0, 2, 2, 1], 3],
    call: (_s, t, p, k) => main.confusionMatrix(t, p, k),
    ok: (r) => expect([...r.counts]).toEqual([1, 0, 0, 0, 1, 1, 0, 0, 1]),
  },
  'main:confusionRows': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['5', 5],
          ['{}', {}],
          ['{classes:2,counts:[]}', { classes: 2, counts: [] }],
        ],
      },
    ],
    valid: () => [main.confusionMatrix([0, 1], [1, 1])],
    call: (_s, cm) => main.confusionRows(cm),
    ok: (r) =>
      expect(r).toEqual([
        [0, 1],
        [0, 1],
      ]),
  },
  'main:accuracy': {
    args: [
      { kind: 'arr', bad: [['[-1]', [-1]]] },
      { kind: 'arr', bad: [['too few', [0]]] },
    ],
    valid: () => [
      [0, 1, 2, 1],
      [0, 2, 2, 1],
    ],
    call: (_s, t, p) => main.accuracy(t, p),
    ok: (r) => expect(r).toBe(0.75),
  },
  ...Object.fromEntries(
    (['precision', 'recall', 'f1Score'] as const).map((f) => [
      `main:${f}`,
      {
        args: [
          { kind: 'arr', bad: [['[-1]', [-1]]] },
          { kind: 'arr', bad: [['too few', [0]]] },
          {
            kind: 'opts',
            optional: true,
            fields: { classes: 'count', average: 'str', positive: 'count' },
            bad: [
              ['average "mean"', { average: 'mean' }],
              ['classes 2 (labels up to 2)', { classes: 2 }],
              ['positive 7', { positive: 7 }],
            ],
          },
        ],
        valid: () => [[0, 1, 2, 1], [0, 2, 2, 1], { average: 'macro' }],
        call: (_s: unknown, t: number[], p: number[], o: object) => main[f](t, p, o),
        ok: (r: number) => expect(r).toBeGreaterThan(0.5),
      } satisfies Row,
    ]),
  ),
  'main:classificationReport': {
    args: [
      { kind: 'arr', bad: [['[-1]', [-1]]] },
      { kind: 'arr', bad: [['too few', [0]]] },
      {
        kind: 'opts',
        optional: true,
        fields: { classes: 'count' },
        bad: [
          ['names ["a"]', { names: ['a'] }],
          ['names [1,2,3]', { names: [1, 2, 3] }],
        ],
      },
    ],
    valid: () => [[0, 1, 2, 1], [0, 2, 2, 1], { names: ['a', 'b', 'c'] }],
    call: (_s, t, p, o) => main.classificationReport(t, p, o),
    ok: (r) => expect(r.toString()).toMatch(/macro avg/),
  },
  'main:rocAuc': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[2,0,1,1]', [2, 0, 1, 1]],
          ['one class', [1, 1, 1, 1]],
        ],
      },
      {
        kind: 'matrix',
        bad: [
          ['3 scores', [0.1, 0.2, 0.3]],
          ['NaN score', [0.1, NaN, 0.3, 0.2]],
        ],
      },
      { kind: 'opts', optional: true, fields: { average: 'str' }, bad: [['average "micro"', { average: 'micro' }]] },
    ],
    valid: () => [
      [0, 1, 0, 1],
      [0.1, 0.9, 0.4, 0.4],
    ],
    call: (_s, t, s, o) => main.rocAuc(t, s, o),
    ok: (r) => expect(r).toBe(0.875),
  },
  'main:topKAccuracy': {
    args: [
      { kind: 'arr', bad: [['[3,0]', [3, 0]]] },
      { kind: 'matrix', bad: [['1 row', [[0.1, 0.2, 0.7]]]] },
      { kind: 'count', optional: true },
    ],
    valid: () => [
      [2, 0],
      [
        [0.1, 0.2, 0.7],
        [0.3, 0.5, 0.2],
      ],
      2,
    ],
    call: (_s, t, s, k) => main.topKAccuracy(t, s, k),
    ok: (r) => expect(r).toBe(1),
  },
  ...Object.fromEntries(
    (['meanSquaredError', 'meanAbsoluteError', 'r2Score'] as const).map((f) => [
      `main:${f}`,
      {
        args: [{ kind: 'matrix' }, { kind: 'matrix', bad: [['too few', [1, 2]]] }],
        valid: () => [
          [1, 2, 3],
          [1, 2, 5],
        ],
        call: (_s: unknown, t: number[], p: number[]) => main[f](t, p),
        ok: (r: number) => expect(Number.isFinite(r)).toBe(true),
      } satisfies Row,
    ]),
  ),
  'main:Sequential#setPreprocessing': seqRow({
    args: [
      {
        kind: 'opts',
        allow: ['null'],
        fields: { scaler: 'any', classes: 'arr', features: 'arr', oneHot: 'any' },
        bad: [
          ['unfitted scaler', { scaler: new main.Standardizer() }],
          [
            'scaler of 2 columns',
            {
              scaler: new main.Standardizer().fit([
                [1, 2],
                [3, 4],
              ]),
            },
          ],
          ['oneHot without features', { oneHot: { a: ['x'] } }],
          ['classes ["a","a","b","c"]', { classes: ['a', 'a', 'b', 'c'] }],
        ],
      },
    ],
    valid: () => [{ scaler: new main.Standardizer().fit(X8()), classes: ['a', 'b', 'c', 'd'] }],
    call: (m, o) => m.setPreprocessing(o),
    ok: (m) => expect(m.predictClasses(X8(), { names: true })).toHaveLength(12),
    validMutates: true,
  }),
  'main:ModelPreprocessing.fromJSON': {
    args: [
      {
        kind: 'any',
        optional: true,
        bad: [
          ['{version:1}', { version: 1 }],
          ['inputs 3', { version: 1, input: 'matrix', task: 'regression', inputs: 3 }],
          ['bad scaler', { version: 1, input: 'matrix', task: 'regression', inputs: 8, scaler: { type: 'minmax' } }],
        ],
      },
      { kind: 'count', optional: true },
    ],
    valid: () => [{ version: 1, input: 'matrix', task: 'classification', inputs: 8, classes: ['a', 'b'] }, 8],
    call: (_s, j, n) => main.ModelPreprocessing.fromJSON(j, n),
    ok: (p) => expect(p.classes).toEqual(['a', 'b']),
  },
  'main:ModelPreprocessing.fromOptions': {
    args: [
      { kind: 'opts', fields: { scaler: 'any', classes: 'arr', features: 'arr', oneHot: 'any' } },
      { kind: 'count' },
      { kind: 'count' },
    ],
    valid: () => [{ scaler: new main.Standardizer().fit(X8()), classes: ['a', 'b', 'c', 'd'] }, 8, 4],
    call: (_s, o, i, n) => main.ModelPreprocessing.fromOptions(o, i, n),
    ok: (p) => expect(p.inputs).toBe(8),
  },
  'main:ModelPreprocessing#encode': {
    subject: () => main.ModelPreprocessing.fromOptions({ features: ['n', 'c'], oneHot: { c: ['x', 'y'] } }, 3, 1),
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['5', 5],
          ['[]', []],
          ['[{}]', [{}]],
          ['["a"]', ['a']],
          ['unknown category', [{ n: 1, c: 'z' }]],
          ['n "a"', [{ n: 'a', c: 'x' }]],
        ],
      },
    ],
    valid: () => [[{ n: 2, c: 'y' }]],
    call: (p, r) => p.encode(r),
    ok: (m) => expect([...m.data]).toEqual([2, 0, 1]),
  },
  'main:ModelPreprocessing#transform': {
    subject: () =>
      main.ModelPreprocessing.fromOptions(
        {
          scaler: new main.Standardizer().fit([
            [0, 1],
            [2, 3],
          ]),
        },
        2,
        1,
      ),
    args: [{ kind: 'matrix', bad: [['3 columns', [[1, 2, 3]]]] }],
    valid: () => [[[1, 2]]],
    call: (p, x) => p.transform(x),
    ok: (m) => expect([...m.data]).toEqual([0, 0]),
  },
  'main:ModelPreprocessing#names': {
    subject: () => main.ModelPreprocessing.fromOptions({ classes: ['no', 'yes'] }, 2, 1),
    args: [
      {
        kind: 'arr',
        bad: [
          ['[2]', [2]],
          ['[-1]', [-1]],
          ['[0.5]', [0.5]],
        ],
      },
    ],
    valid: () => [[1, 0]],
    call: (p, i) => p.names(i),
    ok: (r) => expect(r).toEqual(['yes', 'no']),
  },
  'main:ModelPreprocessing#toJSON': {
    subject: () => main.ModelPreprocessing.fromOptions({ classes: ['no', 'yes'] }, 2, 1),
    args: [],
    valid: () => [],
    call: (p) => p.toJSON(),
    ok: (j) => expect(j.classes).toEqual(['no', 'yes']),
  },
  'main:argmaxRows': {
    args: [{ kind: 'matrix', allow: ['[]', 'ragged rows', 'rows of strings'] }],
    valid: () => [main.oneHot([2, 0], 3)],
    call: (_s, m) => main.argmaxRows(m),
    ok: (r) => expect([...r]).toEqual([2, 0]),
  },
  'main:labelsFromOneHot': {
    args: [{ kind: 'matrix', allow: ['[]', 'ragged rows', 'rows of strings'] }],
    valid: () => [main.oneHot([2, 0], 3)],
    call: (_s, m) => main.labelsFromOneHot(m),
    ok: (r) => expect([...r]).toEqual([2, 0]),
  },
  'main:oneHot': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[3]', [3]],
          ['[-1]', [-1]],
          ['[0.5]', [0.5]],
        ],
      },
      { kind: 'count' },
    ],
    valid: () => [[2, 0], 3],
    call: (_s, l, c) => main.oneHot(l, c),
    ok: (r) => expect(r.cols).toBe(3),
  },
  'main:toTargets': {
    args: [{ kind: 'matrix' }, { kind: 'count' }, { kind: 'str', optional: true }, { kind: 'count', optional: true }],
    valid: () => [[2, 0], 3],
    call: (_s, y, n, name, c) => main.toTargets(y, n, name, c),
    ok: (r) => expect(r.rows).toBe(2),
  },
  'main:randomShifts': {
    args: [
      { kind: 'count' },
      { kind: 'count', allow: [] },
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['"x"', 'x'],
          ['{}', {}],
          ['NaN', NaN],
        ],
      },
    ],
    valid: () => [4, 2, 1],
    call: (_s, n, s, r) => main.randomShifts(n, s, r),
    ok: (r) => expect(r.length).toBe(8),
  },
  'main:shiftImages': {
    args: [
      { kind: 'matrix', allow: ['[]', 'ragged rows', 'rows of strings'] },
      { kind: 'count' },
      { kind: 'count' },
      {
        kind: 'arr',
        bad: [
          ['[]', []],
          ['[0.5,0]', [0.5, 0]],
        ],
      },
    ],
    valid: () => [main.zeros(1, 16), 4, 4, [1, 0]],
    call: (_s, x, h, w, sh) => main.shiftImages(x, h, w, sh),
    ok: (r) => expect(r.rows).toBe(1),
  },
  'main:apportion': {
    args: [
      { kind: 'arr', bad: [['[-1]', [-1]]] },
      { kind: 'count', allow: [] },
      { kind: 'arr', optional: true },
    ],
    valid: () => [[1, 3], 4],
    call: (_s, c, t, caps) => main.apportion(c, t, caps),
    ok: (r) => expect(r[0] + r[1]).toBe(4),
  },

  // --- data: MNIST
  'main:mnistFromDigitArrays': {
    args: [
      {
        kind: 'arr',
        bad: [
          ['[]', []],
          ['9 digits', digits().slice(1)],
          ['odd length', Array.from({ length: 10 }, () => new Float32Array(5))],
        ],
      },
    ],
    valid: () => [digits()],
    call: (_s, d) => main.mnistFromDigitArrays(d),
    ok: (d) => expect(d.size).toBe(30),
  },
  'main:mnistSplit': {
    args: [
      { kind: 'dataset' },
      { kind: 'opts', optional: true, fields: { train: 'count', test: 'count', seed: 'num' } },
    ],
    valid: () => [main.mnistFromDigitArrays(digits()), { train: 20, test: 10 }],
    call: (_s, d, o) => main.mnistSplit(d, o),
    ok: (r) => expect(r.test.size).toBe(10),
  },
  'main:mnistSplitIndices': {
    args: [
      { kind: 'dataset' },
      { kind: 'opts', optional: true, fields: { train: 'count', test: 'count', seed: 'num' } },
    ],
    valid: () => [main.mnistFromDigitArrays(digits()), { train: 20, test: 10 }],
    call: (_s, d, o) => main.mnistSplitIndices(d, o),
    ok: (r) => expect(r.test.length).toBe(10),
  },
  'mnist-node:findMnistDigits': {
    args: [
      {
        kind: 'any',
        optional: true,
        bad: [
          ['null', null],
          ['5', 5],
          ['{}', {}],
        ],
      },
    ],
    valid: () => [],
    call: (_s, f) => mnistNode.findMnistDigits(f),
    ok: (d) => expect(d).toMatch(/digits$/),
  },
  'mnist-node:readMnistDigits': {
    args: [
      {
        kind: 'str',
        optional: true,
        bad: [
          ['null', null],
          ['missing', '/nonexistent'],
        ],
      },
    ],
    valid: () => [],
    call: (_s, d) => mnistNode.readMnistDigits(d),
    ok: (r) => expect(r).toHaveLength(10),
  },
  'mnist-node:loadMnist': {
    args: [{ kind: 'opts', optional: true, fields: { train: 'count', test: 'count', seed: 'num', dir: 'str' } }],
    valid: () => [{ train: 100, test: 50 }],
    call: (_s, o) => mnistNode.loadMnist(o),
    ok: (r) => expect(r.test.size).toBe(50),
  },

  // --- data: CSV
  'main:parseCsv': {
    args: [
      { kind: 'str' },
      {
        kind: 'opts',
        optional: true,
        fields: { delimiter: 'str', header: 'bool', source: 'str', missing: 'any' },
        bad: [['delimiter ",,"', { delimiter: ',,' }]],
      },
    ],
    valid: () => [csvText],
    call: (_s, t, o) => main.parseCsv(t, o),
    ok: (t) => expect(t.rows).toBe(3),
  },
  'main:readCsv': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['5', 5],
          ['{}', {}],
        ],
      },
      { kind: 'opts', optional: true, fields: { delimiter: 'str', header: 'bool' } },
    ],
    valid: () => [[csvText]],
    call: (_s, s, o) => main.readCsv(s, o),
    ok: (t) => expect(t.rows).toBe(3),
  },
  'main:csvRows': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['5', 5],
          ['{}', {}],
        ],
      },
      { kind: 'opts', optional: true, fields: { delimiter: 'str', header: 'bool', batchSize: 'count' } },
    ],
    valid: () => [[csvText]],
    call: (_s, s, o) => main.csvRows(s, o),
    ok: (t) => expect(t.rows).toBe(3),
  },
  'main:readCsvFile': {
    args: [
      { kind: 'str', bad: [['""', '']] },
      { kind: 'opts', optional: true, fields: { delimiter: 'str', header: 'bool' } },
    ],
    valid: () => [csvPath()],
    call: (_s, p, o) => main.readCsvFile(p, o),
    ok: (t) => expect(t.rows).toBe(3),
  },
  'main:csvFileRows': {
    args: [
      { kind: 'str', bad: [['""', '']] },
      { kind: 'opts', optional: true, fields: { delimiter: 'str', header: 'bool', batchSize: 'count' } },
    ],
    valid: () => [csvPath()],
    call: (_s, p, o) => main.csvFileRows(p, o),
    ok: (t) => expect(t.rows).toBe(3),
  },
  'main:tableToMatrix': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['5', 5],
          ['{}', {}],
        ],
      },
      {
        kind: 'arr',
        allow: ['["a","b"]'],
        bad: [
          ['["nope"]', ['nope']],
          ['[]', []],
        ],
      },
    ],
    valid: () => [table(), ['a', 'b']],
    call: (_s, t, c) => main.tableToMatrix(t, c),
    ok: (m) => expect(m.cols).toBe(2),
  },

  // --- compress
  'compress:distill': {
    args: [
      { kind: 'model' },
      { kind: 'model' },
      { kind: 'matrix' },
      { kind: 'matrix', allow: ['null'] },
      {
        kind: 'opts',
        optional: true,
        fields: { temperature: 'num', alpha: 'num', epochs: 'count', batchSize: 'count' },
      },
    ],
    valid: async () => [await trained(), mlp(5), X8(), Y4(), { epochs: 1, seed: 1 }],
    call: (_s, t, s, x, y, o) => compress.distill(t, s, x, y, o),
    ok: (h) => expect(h.epochs).toEqual([0]),
  },
  'compress:distillationLoss': {
    args: [{ kind: 'opts', optional: true, fields: { temperature: 'num', alpha: 'num' } }],
    valid: () => [{ temperature: 2 }],
    call: (_s, o) => compress.distillationLoss(o),
    ok: (l) => expect(l.name).toBeDefined(),
  },
  'compress:distillationTargets': {
    args: [{ kind: 'model' }, { kind: 'matrix' }, { kind: 'matrix', allow: ['null'] }],
    valid: async () => [await trained(), X8(), Y4()],
    call: (_s, t, x, y) => compress.distillationTargets(t, x, y),
    ok: (m) => expect(m.rows).toBe(12),
  },
  'compress:pruneMagnitude': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        fields: { sparsity: 'num', scope: 'str' },
        bad: [
          ['undefined', undefined],
          ['sparsity 1', { sparsity: 1 }],
        ],
      },
    ],
    valid: () => [mlp(), { sparsity: 0.5 }],
    call: (_s, m, o) => compress.pruneMagnitude(m, o),
    ok: (r) => expect(r.sparsity).toBeCloseTo(0.5, 1),
  },
  'compress:pruneIteratively': {
    args: [
      { kind: 'model' },
      { kind: 'matrix' },
      { kind: 'matrix' },
      {
        kind: 'opts',
        fields: { sparsity: 'num', steps: 'count', epochs: 'count', schedule: 'arr' },
        bad: [
          ['undefined', undefined],
          ['{}', {}],
        ],
      },
    ],
    valid: () => [mlp(), X8(), Y4(), { sparsity: 0.5, steps: 1, epochs: 1 }],
    call: (_s, m, x, y, o) => compress.pruneIteratively(m, x, y, o),
    ok: (r) => expect(r.rounds).toHaveLength(1),
  },
  'compress:startPruning': {
    args: [{ kind: 'model' }],
    valid: () => [mlp()],
    call: (_s, m) => compress.startPruning(m),
    ok: (s) => expect(s.active).toBe(true),
  },
  'compress:pruningSession': {
    args: [{ kind: 'model' }],
    valid: () => [mlp()],
    call: (_s, m) => compress.pruningSession(m),
    ok: (s) => expect(s).toBeUndefined(),
  },
  'compress:sparsityOf': {
    args: [{ kind: 'model' }, { kind: 'arr', optional: true, allow: ['["a","b"]'], bad: [['[99]', [99]]] }],
    valid: () => [mlp()],
    call: (_s, m, l) => compress.sparsityOf(m, l),
    ok: (r) => expect(r.layers).toHaveLength(2),
  },
  'compress:new PruningSession': {
    args: [{ kind: 'model' }],
    valid: () => [mlp()],
    call: (_s, m) => new compress.PruningSession(m),
    ok: (s) => expect(s.active).toBe(true),
  },
  'compress:PruningSession#prune': {
    subject: () => compress.startPruning(mlp()),
    state: (s) => bits(s.model),
    args: [
      {
        kind: 'opts',
        fields: { sparsity: 'num', scope: 'str' },
        bad: [
          ['undefined', undefined],
          ['sparsity 1', { sparsity: 1 }],
        ],
      },
    ],
    valid: () => [{ sparsity: 0.5 }],
    validMutates: true,
    call: (s, o) => s.prune(o),
  },
  'compress:PruningSession#sparsity': {
    subject: () => compress.startPruning(mlp()),
    args: [],
    valid: () => [],
    call: (s) => s.sparsity(),
    ok: (r) => expect(r.layers).toHaveLength(2),
  },
  'compress:PruningSession#apply': {
    subject: () => compress.startPruning(mlp()),
    args: [],
    valid: () => [],
    call: (s) => s.apply(),
  },
  'compress:PruningSession#end': {
    subject: () => compress.startPruning(mlp()),
    args: [],
    valid: () => [],
    call: (s) => s.end(),
    ok: (_r, s) => expect(s.active).toBe(false),
  },
  'compress:pruneNeurons': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        fields: {
          layers: 'layer',
          fraction: 'num',
          count: 'any',
          score: 'str',
          data: 'matrix',
          compensateBias: 'bool',
        },
        bad: [
          ['undefined', undefined],
          ['fraction 1', { fraction: 1 }],
        ],
      },
    ],
    valid: () => [mlp(), { layers: 'h1', fraction: 0.5 }],
    call: (_s, m, o) => compress.pruneNeurons(m, o),
    ok: isModel,
  },
  'compress:SparseModel.fromModel': {
    args: [{ kind: 'model' }, { kind: 'opts', optional: true, fields: { minSparsity: 'num' } }],
    valid: () => [mlp()],
    call: (_s, m, o) => compress.SparseModel.fromModel(m, o),
    ok: (s) => expect(s.layers).toHaveLength(2),
  },
  'compress:SparseModel.load': {
    args: [{ kind: 'bytes' }, loadOpts],
    valid: () => [sparse().save()],
    call: (_s, b, o) => compress.SparseModel.load(b, o),
    ok: (s) => live(s),
  },
  'compress:SparseModel#save': planRow(sparse, {
    args: [],
    valid: () => [],
    call: (s) => s.save(),
    ok: (b) => expect(b).toBeInstanceOf(Uint8Array),
  }),
  'compress:SparseModel#evaluate': planRow(sparse, {
    args: [
      { kind: 'matrix' },
      { kind: 'matrix' },
      { kind: 'opts', optional: true, fields: { batchSize: 'count', loss: 'str' } },
    ],
    valid: () => [X8(), Y4()],
    call: (s, x, y, o) => s.evaluate(x, y, o),
    ok: (r) => expect(r.accuracy).toBeDefined(),
  }),
  'compress:SparseModel#predict': planRow(sparse, {
    args: [{ kind: 'matrix' }, predictOpts],
    valid: () => [X8()],
    call: (s, x, o) => s.predict(x, o),
    ok: (r) => expect(r.rows).toBe(12),
  }),
  'compress:SparseModel#predictClasses': planRow(sparse, {
    args: [{ kind: 'matrix' }, predictOpts],
    valid: () => [X8()],
    call: (s, x, o) => s.predictClasses(x, o),
    ok: (r) => expect(r.length).toBe(12),
  }),
  'compress:SparseModel#dispose': { subject: sparse, args: [], valid: () => [], call: (s) => s.dispose() },
  'compress:quantizeModel': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        optional: true,
        fields: { mode: 'str', calibration: 'matrix', plan: 'any', weightBits: 'count', name: 'str' },
        bad: [
          ['mode "x"', { mode: 'x' }],
          ['plan "x"', { plan: 'x' }],
          ['weightBits 9', { weightBits: 9 }],
        ],
      },
    ],
    valid: async () => [await trained(), { mode: 'static', calibration: X8() }],
    call: (_s, m, o) => compress.quantizeModel(m, o),
    ok: (q) => live(q),
  },
  'compress:QuantizedModel#info': planRow(quant, {
    args: [],
    valid: () => [],
    call: (q) => q.info(),
    ok: (r) => expect(r).toHaveLength(2),
  }),
  'compress:QuantizedModel#summary': planRow(quant, {
    args: [],
    valid: () => [],
    call: (q) => q.summary(),
    ok: (r) => expect(r).toContain('h1'),
  }),
  'compress:QuantizedModel#evaluate': planRow(quant, {
    args: [
      { kind: 'matrix' },
      { kind: 'matrix' },
      { kind: 'opts', optional: true, fields: { batchSize: 'count', loss: 'str' } },
    ],
    valid: () => [X8(), Y4()],
    call: (q, x, y, o) => q.evaluate(x, y, o),
    ok: (r) => expect(r.accuracy).toBeDefined(),
  }),
  'compress:QuantizedModel#predict': planRow(quant, {
    args: [{ kind: 'matrix' }, predictOpts],
    valid: () => [X8()],
    call: (q, x, o) => q.predict(x, o),
    ok: (r) => expect(r.rows).toBe(12),
  }),
  'compress:QuantizedModel#predictClasses': planRow(quant, {
    args: [{ kind: 'matrix' }, predictOpts],
    valid: () => [X8()],
    call: (q, x, o) => q.predictClasses(x, o),
    ok: (r) => expect(r.length).toBe(12),
  }),
  'compress:QuantizedModel#dispose': { subject: quant, args: [], valid: () => [], call: (q) => q.dispose() },
  'compress:saveQuantized': {
    args: [{ kind: 'model' }],
    valid: async () => [await quant()],
    call: (_s, q) => compress.saveQuantized(q),
    ok: (b) => expect(b).toBeInstanceOf(Uint8Array),
  },
  'compress:loadQuantized': {
    args: [{ kind: 'bytes' }, loadOpts],
    valid: async () => [compress.saveQuantized(await quant())],
    call: (_s, b, o) => compress.loadQuantized(b, o),
    ok: (q) => live(q),
  },
  'compress:saveQuantizedFile': {
    args: [{ kind: 'model' }, { kind: 'str', bad: [['""', '']] }],
    valid: async () => [await quant(), join(dir, 'q.simdnet')],
    call: (_s, q, p) => compress.saveQuantizedFile(q, p),
  },
  'compress:loadQuantizedFile': {
    args: [{ kind: 'str', bad: [['""', '']] }, loadOpts],
    valid: async () => {
      await compress.saveQuantizedFile(await quant(), join(dir, 'lq.simdnet'));
      return [join(dir, 'lq.simdnet')];
    },
    call: (_s, p, o) => compress.loadQuantizedFile(p, o),
    ok: (q) => live(q),
  },
  'compress:fakeQuantize': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        optional: true,
        fields: { plan: 'any', weightBits: 'count' },
        bad: [['plan "x"', { plan: 'x' }]],
      },
    ],
    valid: () => [mlp()],
    call: (_s, m, o) => compress.fakeQuantize(m, o),
    ok: (h) => h.remove(),
  },
  'compress:fineTuneQuantized': {
    args: [
      { kind: 'model' },
      { kind: 'matrix' },
      { kind: 'matrix' },
      {
        kind: 'opts',
        optional: true,
        fields: { epochs: 'count', batchSize: 'count', plan: 'any', weightBits: 'count' },
      },
    ],
    valid: () => [mlp(), X8(), Y4(), { epochs: 1, seed: 1 }],
    call: (_s, m, x, y, o) => compress.fineTuneQuantized(m, x, y, o),
    ok: (h) => expect(h.epochs).toEqual([0]),
  },

  // --- interop
  'onnx:importOnnx': {
    args: [
      { kind: 'bytes' },
      { kind: 'opts', optional: true, fields: { backend: 'str', engine: 'any', name: 'str', output: 'str' } },
    ],
    valid: () => [onnx.exportOnnx(mlp())],
    call: (_s, b, o) => onnx.importOnnx(b, o),
    ok: isModel,
  },
  'onnx:exportOnnx': {
    args: [
      { kind: 'model' },
      {
        kind: 'opts',
        optional: true,
        fields: { inputName: 'str', outputName: 'str', opset: 'count', producerName: 'str', int8: 'str' },
      },
    ],
    valid: () => [mlp()],
    call: (_s, m, o) => onnx.exportOnnx(m, o),
    ok: (b) => expect(b).toBeInstanceOf(Uint8Array),
  },
  'onnx:decodeModel': {
    args: [{ kind: 'bytes', allow: ['zero bytes'] }],
    valid: () => [onnx.exportOnnx(mlp())],
    call: (_s, b) => onnx.decodeModel(b),
    ok: (m) => expect(m.graph).toBeDefined(),
  },
  'onnx:encodeModel': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['5', 5],
          ['{}', {}],
          ['"x"', 'x'],
        ],
      },
    ],
    valid: () => [onnx.decodeModel(onnx.exportOnnx(mlp()))],
    call: (_s, m) => onnx.encodeModel(m),
    ok: (b) => expect(b).toBeInstanceOf(Uint8Array),
  },
  'tfjs:importTfjsLayers': {
    args: [
      {
        kind: 'any',
        bad: [
          ['null', null],
          ['undefined', undefined],
          ['5', 5],
          ['{}', {}],
          ['"x"', 'x'],
          ['[]', []],
        ],
      },
      { kind: 'bytes', allow: ['zero bytes'], bad: [['too few', new Uint8Array(8)]] },
      { kind: 'opts', optional: true, fields: { backend: 'str', engine: 'any', name: 'str' } },
    ],
    valid: () => {
      const f = tfjsFixture();
      return [f.json, f.shards];
    },
    call: (_s, j, w, o) => tfjs.importTfjsLayers(j, w, o),
    ok: isModel,
  },
};

/** Exports that are not functions a user calls with arguments, or members the code marks private or @internal. */
const NOT_COVERED: Record<string, string> = {
  'main:new Engine': 'made by init()/createEngine() from a compiled instance; not constructed by users',
  'main:Engine#f32': 'raw memory view for kernels (pointer-level; the hot path of every batch)',
  'main:Engine#i32': 'raw memory view for kernels (pointer-level)',
  'main:Engine#allocF32': 'pointer-level allocator used by the library itself',
  'main:Engine#upload': 'pointer-level allocator used by the library itself',
  'main:Engine#stageRows': 'pointer-level staging used by the library itself',
  'main:Engine#download': 'pointer-level copy used by the library itself',
  'main:Engine#free': 'pointer-level allocator used by the library itself',
  'main:Engine#kernelsFor': '@internal',
  'main:Engine#setWhole': '@internal',
  'main:Engine#bufferFor': 'private',
  'main:new ModelPreprocessing': 'made by setPreprocessing(), ModelPreprocessing.fromOptions / fromJSON and loadModel',
  'main:new Optimizer':
    "made by compile() over the model's weight slabs (pointer-level); users pass sgd()/adam() configs",
  'main:Optimizer#prepare': 'pointer-level, driven by fit()',
  'main:Optimizer#apply': 'pointer-level, driven by fit()',
  'main:Optimizer#reset': 'driven by fit()',
  'main:Optimizer#dispose': "driven by the model's dispose()",
  'main:Sequential#assertLive': '@internal',
  'main:Sequential#assertIdle': '@internal',
  'main:Sequential#engine': 'private',
  'main:Sequential#resolveInput': 'private',
  'main:Sequential#requireNet': '@internal',
  'main:Sequential#compileLater': '@internal',
  'main:Sequential#compiledIfAny': 'private',
  'main:Sequential#requireCompiled': '@internal',
  'main:Sequential#toInputs': '@internal',
  'main:Sequential#toTargets': '@internal',
  'main:Sequential#runInference': 'private',
  'main:Sequential#runnerOf': '@internal',
  'main:Sequential#evaluateResident': '@internal',
  'main:Sequential#shapesIfKnown': 'private',
  'main:Sequential#paramDefsIfKnown': 'private',
  'main:Dataset#rows': 'private',
  'main:MinMaxScaler#setStats': 'private',
  'main:MinMaxScaler#fitted': 'private',
  'main:MinMaxScaler#apply': 'private',
  'main:Standardizer#setStats': 'private',
  'main:Standardizer#fitted': 'private',
  'main:Standardizer#fitMatrix': 'private',
  'compress:PruningSession#refresh': '@internal',
  'compress:PruningSession#applyTo': 'private',
  'compress:PruningSession#assertActive': 'private',
  'compress:new SparseModel': 'private constructor (SparseModel.fromModel / SparseModel.load)',
  'compress:new QuantizedModel': 'takes the internal QuantParts; made by quantizeModel() / loadQuantized()',
  'compress:SparseModel#assertLive': '@internal',
  'compress:QuantizedModel#assertLive': '@internal',
  'compress:SparseModel#upload': 'private',
  'compress:SparseModel#rows': 'private',
  'compress:QuantizedModel#rows': 'private',
};

// ---------------------------------------------------------------------------------------------------------------
// Enumeration of the exports.

function exportedCallables(): string[] {
  const keys: string[] = [];
  for (const [mod, ns] of Object.entries(MODULES)) {
    for (const [name, v] of Object.entries(ns)) {
      if (typeof v !== 'function') continue;
      if (!/^class[\s{]/.test(Function.prototype.toString.call(v))) {
        keys.push(`${mod}:${name}`);
        continue;
      }
      keys.push(`${mod}:new ${name}`);
      for (const s of Object.getOwnPropertyNames(v)) {
        const d = Object.getOwnPropertyDescriptor(v, s)!;
        if (typeof d.value === 'function') keys.push(`${mod}:${name}.${s}`);
      }
      // Methods along the prototype chain (a subclass lists the base's methods too), not getters.
      const seen = new Set<string>();
      for (let p = v.prototype; p && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
        for (const m of Object.getOwnPropertyNames(p)) {
          const d = Object.getOwnPropertyDescriptor(p, m)!;
          if (m === 'constructor' || seen.has(m) || typeof d.value !== 'function') continue;
          seen.add(m);
          keys.push(`${mod}:${name}#${m}`);
        }
      }
    }
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------------------------
// Running a call: sync throw, rejected promise, or the first step of an async generator; never hanging.

const HANG_MS = 20_000;

// Bad calls not refused yet, per row (a ratchet: a new failure fails the test, and so does an entry that now
// passes). Regenerate with SIMDNET_UPDATE_KNOWN=1 after fixing some; never add entries to hide a regression.
const KNOWN_FILE = new URL('public-api.known.json', import.meta.url);
const KNOWN: Record<string, string[]> = JSON.parse(readFileSync(KNOWN_FILE, 'utf8'));
const UPDATE = process.env.SIMDNET_UPDATE_KNOWN === '1';
const found: Record<string, string[]> = {};

async function settle(fn: () => unknown): Promise<{ value?: unknown; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${HANG_MS / 1000} s`)), HANG_MS);
  });
  try {
    const run = async (): Promise<unknown> => {
      const r = fn();
      if (
        r &&
        typeof (r as AsyncGenerator).next === 'function' &&
        typeof (r as AsyncGenerator)[Symbol.asyncIterator] === 'function'
      ) {
        const g = r as AsyncGenerator;
        const first = await g.next();
        await g.return(undefined);
        return first.value;
      }
      return await r;
    };
    return { value: await Promise.race([run(), hang]) };
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

const describeError = (e: unknown): string =>
  e instanceof Error ? `${e.constructor.name}: ${e.message}` : `non-error ${String(e)}`;

interface BadCall {
  label: string;
  args: unknown[];
}

/** The bad argument lists of a row, built from a valid list. */
function badCalls(row: Row<any>, valid: unknown[]): BadCall[] {
  const out: BadCall[] = [];
  if (row.args.some((a) => !a.optional)) out.push({ label: 'no arguments', args: [] });
  row.args.forEach((arg, i) => {
    const allowed = new Set(arg.allow ?? []);
    const values: Array<[string, unknown]> = [
      ...BAD[arg.kind].filter(([l]) => !allowed.has(l)),
      ...(typeof arg.bad === 'function' ? arg.bad() : (arg.bad ?? [])),
    ];
    for (const [label, value] of values) {
      if (value === undefined && arg.optional) continue;
      const args = [...valid];
      while (args.length <= i) args.push(undefined);
      args[i] = value;
      out.push({ label: `arg ${i}: ${label}`, args });
    }
    if (arg.kind === 'opts' && arg.fields) {
      const base = (valid[i] && typeof valid[i] === 'object' ? valid[i] : {}) as Record<string, unknown>;
      for (const [field, kind] of Object.entries(arg.fields)) {
        for (const [label, value] of BAD[kind]) {
          if (value === undefined || value === null) continue; // an option given as null or undefined means its default
          const args = [...valid];
          while (args.length <= i) args.push(undefined);
          args[i] = { ...base, [field]: value };
          out.push({ label: `arg ${i}: { ${field}: ${label} }`, args });
        }
      }
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  await main.init();
  await main.init({ backend: 'js' });
  dir = mkdtempSync(join(tmpdir(), 'simdnet-api-'));
  writeFileSync(csvPath(), csvText);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (UPDATE)
    writeFileSync(KNOWN_FILE, `${JSON.stringify(Object.fromEntries(Object.entries(found).sort()), null, 1)}\n`);
});

let badCallCount = 0;

describe('the public API table', () => {
  it('has a row for every exported function and public method (new API must be added here)', () => {
    const missing = exportedCallables().filter((k) => !(k in ROWS) && !(k in NOT_COVERED));
    expect(missing, 'exports without a row in test/reliability/public-api.test.ts').toEqual([]);
    const stale = [...Object.keys(ROWS), ...Object.keys(NOT_COVERED)].filter((k) => !exportedCallables().includes(k));
    expect(stale, 'rows for things that are not exported').toEqual([]);
  });

  for (const [key, row] of Object.entries(ROWS)) {
    it(key, async () => {
      // 1. The valid call works (on a subject of its own when it changes it).
      const own = row.subject ? await row.subject() : undefined;
      const validArgs = await row.valid();
      const good = await settle(() => row.call(own, ...validArgs));
      expect(good.error, `valid call of ${key}: ${describeError(good.error)}`).toBeUndefined();
      row.ok?.(good.value, own);

      // Unknown option keys are ignored.
      const optAt = row.args.findIndex((a) => a.kind === 'opts');
      if (optAt >= 0 && key !== 'main:Sequential#dispose') {
        const subject = row.subject ? await row.subject() : undefined;
        const args = [...(await row.valid())];
        while (args.length <= optAt) args.push(undefined);
        args[optAt] = { ...((args[optAt] as object | undefined) ?? {}), notAnOption: 1 };
        if (row.args[optAt].optional || args[optAt]) {
          const r = await settle(() => row.call(subject, ...args));
          expect(r.error, `${key} with an unknown option key: ${describeError(r.error)}`).toBeUndefined();
        }
      }

      // 2. Each bad call is a SimdnetError and leaves the subject as it was.
      const subject = row.subject
        ? row.validMutates || key.endsWith('#dispose') || key.endsWith('#end')
          ? await row.subject()
          : own
        : undefined;
      let before = subject !== undefined && row.state ? row.state(subject) : undefined;
      const failures: string[] = [];
      for (const bad of badCalls(row, await row.valid())) {
        const todo = row.todo?.[bad.label];
        badCallCount++;
        const r = await settle(() => row.call(subject, ...bad.args));
        if (!(r.error instanceof SimdnetError)) {
          if (!todo) failures.push(`${bad.label}: ${r.error === undefined ? 'no error' : describeError(r.error)}`);
        } else if (todo) {
          failures.push(`${bad.label}: marked todo (${todo}) but now refused: remove the todo`);
        }
        if (before !== undefined && row.state!(subject) !== before) {
          failures.push(`${bad.label}: changed the subject`);
          before = row.state!(subject);
        }
      }
      const known = new Set(KNOWN[key] ?? []);
      if (UPDATE) {
        if (failures.length) found[key] = failures;
      } else {
        const fresh = failures.filter((f) => !known.has(f));
        const fixed = [...known].filter((f) => !failures.includes(f));
        if (fresh.length)
          throw new Error(`${key}: ${fresh.length} bad calls not refused as they should be:\n  ${fresh.join('\n  ')}`);
        if (fixed.length)
          throw new Error(`${key}: now refused, remove from public-api.known.json:\n  ${fixed.join('\n  ')}`);
      }
      if (subject !== undefined && row.usable && !key.endsWith('#dispose') && !key.endsWith('#end'))
        row.usable(subject);
    });
  }

  it('tried bad calls', () => {
    // Reported for the record (the per-row tests above assert each one).
    console.log(`public API: ${Object.keys(ROWS).length} functions and methods, ${badCallCount} bad calls`);
    expect(badCallCount).toBeGreaterThan(1000);
  });
});
