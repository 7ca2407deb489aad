// Seeded mutations of the fixture files (bytes) and of decoded / in-memory graphs (ops swapped, attributes of the
// wrong type or value, inputs missing or renamed, huge or negative dims, NaN weights, cycles, branches): importOnnx
// either builds a model or throws a SimdnetError — never another exception, never a hang. A mutant it accepts must
// still compute what ONNX Runtime computes for it (when ONNX Runtime takes it): accepting means representing exactly.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/errors.js';
import { init } from '../../src/index.js';
import { decodeModel, encodeModel } from '../../src/onnx/codec.js';
import { importOnnx } from '../../src/onnx/import.js';
import { AttrType, DataType, type OnnxModel, type OnnxTensor } from '../../src/onnx/types.js';
import { ChainBuilder, f, floatTensor, int64Tensor, lcg, ortRun, randomTensor } from './graph-builder.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixtures = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((n) => n.endsWith('.onnx'))
      .sort()
  : [];

beforeAll(async () => {
  await init({ backend: 'js' });
});

/** A seeded integer in [0, n). */
function rng(seed: number): (n: number) => number {
  const r = lcg(seed, 1);
  return (n) => Math.min(n - 1, Math.floor(((r() + 1) / 2) * n));
}

type Outcome = { ok: true; model: ReturnType<typeof importOnnx> } | { ok: false; code: string };

/** importOnnx, allowing only a SimdnetError; anything else fails the test with the mutation that caused it. */
function tryImport(source: Uint8Array | OnnxModel, what: string): Outcome {
  try {
    return { ok: true, model: importOnnx(source, { backend: 'js' }) };
  } catch (err) {
    if (!(err instanceof SimdnetError)) {
      throw new Error(
        `${what}: importOnnx threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack}`,
      );
    }
    expect(err.message.length, what).toBeGreaterThan(10);
    return { ok: false, code: err.code };
  }
}

/** Small graphs covering the mapping rules, rebuilt fresh for every mutation. */
const GRAPHS: Array<() => OnnxModel> = [
  () => {
    const b = new ChainBuilder(['N', 6]);
    b.add(
      'Gemm',
      [b.init(randomTensor('w1', [5, 6], 1)), b.init(randomTensor('b1', [5], 2))],
      { alpha: f(1), beta: f(1), transB: 1 },
      'fc1',
    );
    b.add('Relu', [], {}, 'relu');
    b.add('Dropout', [b.init(floatTensor('ratio', [], [0.2]))], {}, 'drop');
    b.add('MatMul', [b.init(randomTensor('w2', [5, 3], 3))], {}, 'mm');
    b.add('Add', [b.init(randomTensor('b2', [1, 3], 4))], {}, 'add');
    b.add('Softmax', [], { axis: 1 }, 'softmax');
    return b.finish();
  },
  () => {
    const b = new ChainBuilder(['N', 2, 6, 6]);
    b.add(
      'Conv',
      [b.init(randomTensor('cw', [3, 2, 3, 3], 5)), b.init(randomTensor('cb', [3], 6))],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      'conv',
    );
    const one = (n: string, v: (i: number) => number): string => b.init(floatTensor(n, [3], v));
    b.add(
      'BatchNormalization',
      [one('g', () => 1.1), one('be', () => 0.1), one('mu', (i) => i / 10), one('var', () => 0.8)],
      { epsilon: f(1e-5) },
      'bn',
    );
    b.add('Relu', [], {}, 'relu');
    b.add('MaxPool', [], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool');
    b.add('Flatten', [], { axis: 1 }, 'flatten');
    b.add('Gemm', [b.init(randomTensor('fw', [4, 27], 7)), b.init(randomTensor('fb', [4], 8))], { transB: 1 }, 'fc');
    return b.finish();
  },
  () => {
    const b = new ChainBuilder(['N', 6, 6, 1]);
    b.add('Transpose', [], { perm: [0, 3, 1, 2] }, 'to_nchw');
    b.add('Conv', [b.init(randomTensor('cw', [2, 1, 3, 3], 9))], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, 'conv');
    b.add('Add', [b.init(randomTensor('cb', [1, 2, 1, 1], 10))], {}, 'bias');
    b.add('AveragePool', [], { kernel_shape: [3, 3], strides: [1, 1] }, 'avg');
    b.add('Transpose', [], { perm: [0, 2, 3, 1] }, 'to_nhwc');
    b.add('Reshape', [b.init(int64Tensor('shape', [2], [-1, 2]))], {}, 'reshape');
    b.add('MatMul', [b.init(randomTensor('k', [2, 2], 11))], {}, 'mm');
    b.add('Sigmoid', [], {}, 'sigmoid');
    return b.finish();
  },
  () => {
    const b = new ChainBuilder(['N', 1, 5, 5]);
    b.add('Conv', [b.init(randomTensor('cw', [3, 1, 3, 3], 12)), b.init(randomTensor('cb', [3], 13))], {}, 'conv');
    b.add('GlobalAveragePool', [], {}, 'gap');
    const x = b.tensor;
    b.nodes.push(
      { name: 'shape', opType: 'Shape', domain: '', input: [x], output: ['s'], attribute: [] },
      {
        name: 'c0',
        opType: 'Constant',
        domain: '',
        input: [],
        output: ['zero'],
        attribute: [{ name: 'value', type: AttrType.TENSOR, t: int64Tensor('', [], [0]) }],
      },
      {
        name: 'gather',
        opType: 'Gather',
        domain: '',
        input: ['s', 'zero'],
        output: ['n'],
        attribute: [{ name: 'axis', type: AttrType.INT, i: 0 }],
      },
      {
        name: 'unsq',
        opType: 'Unsqueeze',
        domain: '',
        input: ['n'],
        output: ['n1'],
        attribute: [{ name: 'axes', type: AttrType.INTS, ints: [0] }],
      },
      {
        name: 'concat',
        opType: 'Concat',
        domain: '',
        input: ['n1', 'm1'],
        output: ['target'],
        attribute: [{ name: 'axis', type: AttrType.INT, i: 0 }],
      },
    );
    b.init(int64Tensor('m1', [1], [-1]));
    b.add('Reshape', ['target'], {}, 'view');
    b.add('Gemm', [b.init(randomTensor('fw', [3, 2], 14))], {}, 'fc');
    b.add('LeakyRelu', [], { alpha: f(0.1) }, 'leaky');
    return b.finish({ opset: 11 });
  },
];

const OPS = [
  'Relu',
  'Tanh',
  'Sigmoid',
  'LeakyRelu',
  'Softmax',
  'Gemm',
  'MatMul',
  'Add',
  'Conv',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'BatchNormalization',
  'Dropout',
  'Identity',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Transpose',
  'Pad',
  'Shape',
  'Gather',
  'Concat',
  'Constant',
  'Erf',
  'Mul',
  'Cast',
  'Slice',
];
const WILD_INTS = [0, 1, -1, 2, 3, -2, 7, 2 ** 31, -(2 ** 31), 2 ** 53, 1e6];
const WILD_FLOATS = [NaN, Infinity, -Infinity, 0, -1, 1e30, 0.5, 1e-40];

/** One structural mutation of a decoded model, in place; returns what it did. */
function mutate(m: OnnxModel, pick: (n: number) => number): string {
  const g = m.graph;
  const nodes = g.node;
  const anyNode = () => nodes[pick(nodes.length)];
  const choose = <T>(list: readonly T[]): T => list[pick(list.length)];
  switch (pick(16)) {
    case 0: {
      const n = anyNode();
      const op = choose(OPS);
      const was = n.opType;
      n.opType = op;
      return `node '${n.name}' ${was} → ${op}`;
    }
    case 1: {
      const n = anyNode();
      if (!n.attribute.length) return 'no attribute to retype';
      const a = choose(n.attribute);
      const t = choose([
        AttrType.FLOAT,
        AttrType.INT,
        AttrType.STRING,
        AttrType.INTS,
        AttrType.FLOATS,
        AttrType.TENSOR,
        AttrType.GRAPH,
        42,
      ]);
      a.type = t;
      return `attribute ${n.name}.${a.name} type → ${t}`;
    }
    case 2: {
      const n = anyNode();
      if (!n.attribute.length) return 'no attribute to change';
      const a = choose(n.attribute);
      if (a.ints) a.ints = a.ints.map(() => choose(WILD_INTS));
      else if (a.i !== undefined) a.i = choose(WILD_INTS);
      else if (a.f !== undefined) a.f = choose(WILD_FLOATS);
      else if (a.s !== undefined) a.s = choose(['', 'SAME_LOWER', 'reflect', 'VALID', 'bogus']);
      return `attribute ${n.name}.${a.name} value changed`;
    }
    case 3: {
      const n = anyNode();
      n.attribute.push({
        name: choose(['axis', 'perm', 'pads', 'group', 'dilations', 'ceil_mode', 'mystery', 'alpha']),
        type: AttrType.INTS,
        ints: [choose(WILD_INTS), 1],
      });
      return `attribute added to ${n.name}`;
    }
    case 4: {
      const n = anyNode();
      if (!n.input.length) return 'no input to drop';
      const k = pick(n.input.length);
      n.input.splice(k, 1);
      return `input ${k} of ${n.name} removed`;
    }
    case 5: {
      const n = anyNode();
      if (!n.input.length) return 'no input to rename';
      const k = pick(n.input.length);
      n.input[k] = choose([
        'missing',
        '',
        g.input[0].name,
        nodes[pick(nodes.length)].output[0] ?? 'x',
        n.output[0] ?? 'y',
      ]);
      return `input ${k} of ${n.name} renamed to ${n.input[k]}`;
    }
    case 6: {
      if (!g.initializer.length) return 'no initializer';
      const t = choose(g.initializer);
      const k = pick(Math.max(t.dims.length, 1));
      t.dims = [...t.dims];
      t.dims[k] = choose([0, -1, 2 ** 40, 2 ** 31, 3, 1e9, 1.5]);
      return `initializer ${t.name} dim ${k} → ${t.dims[k]}`;
    }
    case 7: {
      const floats = g.initializer.filter((t) => t.dataType === DataType.FLOAT);
      if (!floats.length) return 'no float initializer';
      const t = choose(floats);
      const value = choose([NaN, Infinity, -Infinity, 1e3]);
      if (t.rawData) {
        const bytes = t.rawData.slice();
        const data = new Float32Array(bytes.buffer, 0, bytes.length >> 2);
        if (data.length) data[pick(data.length)] = value;
        t.rawData = bytes;
      } else if (t.floatData?.length) {
        t.floatData = [...t.floatData];
        t.floatData[pick(t.floatData.length)] = value;
      }
      return `initializer ${t.name} gets a non-finite value`;
    }
    case 8: {
      if (!g.initializer.length) return 'no initializer';
      const t = choose(g.initializer);
      if (t.rawData) t.rawData = t.rawData.subarray(0, pick(t.rawData.length));
      else if (t.int64Data) t.int64Data = t.int64Data.slice(1);
      return `initializer ${t.name} truncated`;
    }
    case 9: {
      if (!g.initializer.length) return 'no initializer';
      const t = choose(g.initializer);
      t.dataType = choose([DataType.DOUBLE, DataType.INT64, DataType.FLOAT16, DataType.BOOL, 0, 99]);
      return `initializer ${t.name} data type → ${t.dataType}`;
    }
    case 10: {
      const shape = g.input[0].shape;
      if (!shape) return 'input without shape';
      const k = pick(shape.length);
      shape[k] = choose([
        { value: 2 ** 40 },
        { value: 0 },
        { value: -3 },
        { param: 'h' },
        {},
        { value: 1 },
        { value: 2 ** 20 },
      ]);
      return `input dim ${k} changed`;
    }
    case 11: {
      g.input[0].elemType = choose([DataType.DOUBLE, DataType.INT64, 0, DataType.FLOAT16]);
      return 'input type changed';
    }
    case 12: {
      const n = anyNode();
      const copy = {
        ...n,
        name: `${n.name}_dup`,
        input: [...n.input],
        output: n.output.map((o) => `${o}_dup`),
        attribute: [...n.attribute],
      };
      nodes.push(copy);
      return `node ${n.name} duplicated (a branch)`;
    }
    case 13: {
      const k = pick(nodes.length);
      const [gone] = nodes.splice(k, 1);
      return `node ${gone.name} deleted`;
    }
    case 14: {
      const n = anyNode();
      if (n.input.length && n.output.length) n.input[0] = n.output[0];
      return `node ${n.name} reads its own output (a cycle)`;
    }
    default: {
      m.opsetImport = [
        { domain: choose(['', 'ai.onnx', 'com.microsoft']), version: choose([1, 5, 7, 9, 11, 12, 13, 17, 21, 30]) },
      ];
      return `opset → ${m.opsetImport[0].domain}:${m.opsetImport[0].version}`;
    }
  }
}

/** Two rows through an accepted model, compared with ONNX Runtime on the same (mutated) bytes when it runs them. */
async function sameAsOrt(
  model: ReturnType<typeof importOnnx>,
  mutant: OnnxModel,
  what: string,
): Promise<'compared' | 'ort refused'> {
  const shape = model.inputShape!;
  const n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i));
  const got = model.predict({ data: x, shape: [2, n] });
  const dims = mutant.graph.input
    .find((v) => !mutant.graph.initializer.some((t) => t.name === v.name))!
    .shape!.slice(1)
    .map((d) => d.value!);
  let want: Float32Array;
  try {
    want = await ortRun(encodeModel(mutant), x, [2, ...dims]);
  } catch {
    return 'ort refused'; // e.g. the batch dim fixed to 1 by the mutation, while simdnet runs any batch
  }
  // Relative: a mutant may hold huge (finite) weights.
  const bad = want.findIndex((w, i) => {
    const g = got.data[i];
    // Overflow (huge finite weights) may end in Inf or NaN depending on the order of the sums.
    if (!Number.isFinite(w) || !Number.isFinite(g)) return Number.isFinite(w) !== Number.isFinite(g);
    return Math.abs(g - w) > 1e-4 * Math.max(1, Math.abs(w));
  });
  expect(bad, `${what}: output ${bad} is ${got.data[bad]}, ONNX Runtime says ${want[bad]}`).toBe(-1);
  return 'compared';
}

describe('importOnnx under seeded mutations', () => {
  it('fixture bytes with flipped, inserted and cut bytes: a model or a SimdnetError', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    const codes = new Map<string, number>();
    let built = 0;
    for (const file of fixtures) {
      const original = new Uint8Array(readFileSync(new URL(file, FIXTURES)));
      for (let s = 0; s < 40; s++) {
        const pick = rng(1000 * s + file.length);
        const bytes = original.slice();
        let what = `${file} seed ${s}:`;
        let out: Uint8Array = bytes;
        switch (s % 4) {
          case 0:
            for (let k = 0; k < 1 + pick(8); k++) {
              const at = pick(bytes.length);
              bytes[at] ^= 1 << pick(8);
              what += ` flip@${at}`;
            }
            break;
          case 1: {
            const at = pick(bytes.length);
            out = bytes.subarray(0, at);
            what += ` cut@${at}`;
            break;
          }
          case 2: {
            const at = pick(bytes.length);
            out = new Uint8Array([
              ...bytes.subarray(0, at),
              ...Array.from({ length: 1 + pick(16) }, () => pick(256)),
              ...bytes.subarray(at),
            ]);
            what += ` insert@${at}`;
            break;
          }
          default:
            // Overwrite a run in the first kilobyte, where the graph's structure (not the weights) lives.
            for (let k = 0, at = pick(Math.min(1024, bytes.length)); k < 4; k++) bytes[at + k] = pick(256);
            what += ' header run';
        }
        const r = tryImport(out, what);
        if (r.ok) {
          built++;
          r.model.dispose();
        } else codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      }
    }
    console.log(`byte mutants: ${built} imported, refused ${JSON.stringify(Object.fromEntries(codes))}`);
  }, 15_000);

  it('structural mutations of in-memory graphs and decoded fixtures: a model that matches ONNX Runtime, or a SimdnetError', async () => {
    const sources: Array<{ name: string; make: () => OnnxModel }> = [
      ...GRAPHS.map((make, k) => ({ name: `graph ${k}`, make })),
      ...fixtures.map((file) => {
        const bytes = new Uint8Array(readFileSync(new URL(file, FIXTURES)));
        return { name: file, make: () => decodeModel(bytes) };
      }),
    ];
    const codes = new Map<string, number>();
    let built = 0;
    let compared = 0;
    let ortRefused = 0;
    for (const src of sources) {
      // Unmutated, each source imports.
      const clean = tryImport(src.make(), src.name);
      expect(clean.ok, `${src.name} imports`).toBe(true);
      if (clean.ok) clean.model.dispose();
      const rounds = src.name.startsWith('graph') ? 150 : 25;
      for (let s = 0; s < rounds; s++) {
        const pick = rng(7919 * s + src.name.length * 31 + 1);
        const m = src.make();
        const steps = 1 + pick(2);
        const what = [`${src.name} seed ${s}`];
        for (let k = 0; k < steps; k++) what.push(mutate(m, pick));
        const label = what.join('; ');
        const r = tryImport(m, label);
        if (!r.ok) {
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          continue;
        }
        built++;
        // Only the small graphs run in ONNX Runtime (the fixtures' own outputs are checked in import.test.ts).
        if (src.name.startsWith('graph')) {
          const how = await sameAsOrt(r.model, m, label);
          if (how === 'compared') compared++;
          else ortRefused++;
        }
        r.model.dispose();
      }
    }
    console.log(
      `structural mutants: ${built} imported (${compared} matched ONNX Runtime, ${ortRefused} ONNX Runtime refused), refused ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(codes.get('NONFINITE') ?? 0).toBeGreaterThan(0);
  }, 15_000);

  it('NaN/Inf weights are refused with NONFINITE naming the initializer', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const m = GRAPHS[1]();
      const t = m.graph.initializer.find((x) => x.name === 'fw') as OnnxTensor;
      const data = new Float32Array(t.rawData!.slice().buffer);
      data[5] = bad;
      t.rawData = new Uint8Array(data.buffer);
      expect(() => importOnnx(m, { backend: 'js' })).toThrowError(/'fw' holds (NaN|Infinity|-Infinity) at index 5/);
      try {
        importOnnx(m, { backend: 'js' });
      } catch (err) {
        expect((err as SimdnetError).code).toBe('NONFINITE');
      }
    }
  });
});
