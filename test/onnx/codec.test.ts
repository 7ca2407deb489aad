import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/errors.js';
import {
  attribute,
  decodeModel,
  encodeModel,
  floatTensor,
  int32Tensor,
  int64Tensor,
  int8Tensor,
  makeNode,
  tensorSize,
  tensorToFloat32,
  tensorToInt8,
  tensorToNumbers,
  uint8Tensor,
  valueInfo,
} from '../../src/onnx/codec.js';
import { MAX_DEPTH, Reader, Wire, Writer } from '../../src/onnx/proto.js';
import {
  AttrType,
  DataType,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from '../../src/onnx/types.js';

/** The attribute `name` of a decoded node (the importer has its own checked getters; here the decoded fields). */
function attrOf(node: OnnxNode, name: string): OnnxAttribute {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) throw new Error(`no attribute ${name}`);
  return a;
}

ort.env.wasm.numThreads = 1;

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'fixtures');
const CODEC = join(FIXTURES, 'codec');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Runs fn and returns the SimdnetError it throws (failing when it throws nothing or something else). */
function caught(fn: () => unknown): SimdnetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SimdnetError);
    return e as SimdnetError;
  }
  throw new Error('expected a SimdnetError, nothing was thrown');
}

function bytes(...b: number[]): Uint8Array {
  return new Uint8Array(b);
}

/** A model around `graph` parts, with defaults for everything else. */
function model(parts: Partial<OnnxModel['graph']>, opset = 13): OnnxModel {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'simdnet test',
    producerVersion: '0',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: { name: 'g', node: [], initializer: [], input: [], output: [], valueInfo: [], ...parts },
    metadataProps: [],
  };
}

const f32 = (xs: number[]): number[] => Array.from(Float32Array.from(xs));

// ---------------------------------------------------------------------------------------------------------------

describe('protobuf wire format', () => {
  it("writes and reads int64 varints, negatives as 10-byte two's complement", () => {
    const values = [
      0,
      1,
      127,
      128,
      300,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      2 ** 35 + 7,
      MAX_SAFE,
      -1,
      -2,
      -(2 ** 31),
      -(2 ** 40),
      -MAX_SAFE,
    ];
    for (const v of values) {
      const w = new Writer();
      w.int64(1, v);
      const out = w.finish();
      const r = new Reader(out);
      expect(r.tag()).toBe(1);
      expect(r.wire).toBe(Wire.VARINT);
      expect(r.int64()).toBe(v);
      expect(r.done()).toBe(true);
      if (v < 0) expect(out.length).toBe(11); // tag + 10 bytes
    }
    const w = new Writer();
    w.int64(1, 300);
    w.int64(2, -1);
    expect(Array.from(w.finish())).toEqual([
      0x08, 0xac, 0x02, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  it('refuses int64 values beyond ±2^53, quoting the exact value', () => {
    // 2^53 = 0x20000000000000 as a varint.
    const e1 = caught(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10)).int64());
    expect(e1.code).toBe('FORMAT');
    expect(e1.message).toContain('9007199254740992');
    expect(e1.message).toContain('±2^53');
    // -2^63.
    const e2 = caught(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).int64());
    expect(e2.message).toContain('-9223372036854775808');
    // The writer refuses too.
    expect(caught(() => new Writer().int64(1, 2 ** 53)).code).toBe('RANGE');
    expect(caught(() => new Writer().int64(1, 0.5)).code).toBe('RANGE');
  });

  it('reads int32 from sign-extended varints and refuses malformed varints', () => {
    const w = new Writer();
    w.int64(1, -5);
    const r = new Reader(w.finish());
    r.tag();
    expect(r.int32()).toBe(-5);
    const trunc = caught(() => new Reader(bytes(0x80, 0x80)).int64());
    expect(trunc.code).toBe('FORMAT');
    expect(trunc.message).toContain('truncated varint at byte 0');
    const long = caught(() => new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)).int64());
    expect(long.message).toContain('longer than 64 bits');
    expect(caught(() => new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).uint32()).message).toContain(
      'exceeds 32 bits',
    );
  });

  it('writes and reads floats, doubles, strings and bytes', () => {
    const w = new Writer();
    w.float(1, 0.1);
    w.double(2, 0.1);
    w.string(3, 'héllo ✓');
    w.bytes(4, bytes(1, 2, 3));
    const r = new Reader(w.finish());
    expect(r.tag()).toBe(1);
    expect(r.wire).toBe(Wire.I32);
    expect(r.float()).toBe(Math.fround(0.1));
    expect(r.tag()).toBe(2);
    expect(r.wire).toBe(Wire.I64);
    expect(r.double()).toBe(0.1);
    r.tag();
    expect(r.string()).toBe('héllo ✓');
    r.tag();
    expect(Array.from(r.bytes())).toEqual([1, 2, 3]);
    expect(r.done()).toBe(true);
    const bad = caught(() => new Reader(bytes(0x02, 0xc3, 0x28)).string());
    expect(bad.code).toBe('FORMAT');
    expect(bad.message).toContain('invalid UTF-8');
  });

  it('decodes packed and unpacked repeated scalars alike, and both forms mixed', () => {
    const ints = [3, -1, 0, 2 ** 40, -MAX_SAFE];
    const floats = [1.5, -0.25, 3];
    const doubles = [0.1, -1e300];
    const packed = new Writer();
    packed.packedInt64(1, ints);
    packed.packedFloat(2, floats);
    packed.packedDouble(3, doubles);
    const unpacked = new Writer();
    unpacked.repeatedInt64(1, ints);
    unpacked.repeatedFloat(2, floats);
    for (const d of doubles) unpacked.double(3, d);
    for (const buf of [packed.finish(), unpacked.finish()]) {
      const r = new Reader(buf);
      const got: Record<number, number[]> = { 1: [], 2: [], 3: [] };
      while (!r.done()) {
        const f = r.tag();
        r.repeated(f, r.wire, f === 1 ? 'int64' : f === 2 ? 'float' : 'double', got[f]);
      }
      expect(got).toEqual({ 1: ints, 2: floats, 3: doubles });
    }
    // One packed run followed by single values appends to the same list.
    const mixed = new Writer();
    mixed.packedInt64(1, [1, 2]);
    mixed.int64(1, 3);
    const r = new Reader(mixed.finish());
    const got: number[] = [];
    while (!r.done()) r.repeated(r.tag(), r.wire, 'int64', got);
    expect(got).toEqual([1, 2, 3]);
  });

  it('refuses a packed run whose size does not fit its element type', () => {
    const r = new Reader(bytes(0x12, 0x03, 0, 0, 0));
    const f = r.tag();
    const e = caught(() => r.repeated(f, r.wire, 'float', []));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain('not a multiple of 4');
    const r2 = new Reader(bytes(0x0d, 0, 0, 0, 0));
    const f2 = r2.tag();
    expect(caught(() => r2.repeated(f2, r2.wire, 'int64', [])).message).toContain('wire type 5');
  });

  it('skips unknown fields of every wire type and refuses groups and invalid wire types', () => {
    const w = new Writer();
    w.int64(90, -7); // VARINT
    w.double(91, 2.5); // I64
    w.string(92, 'skip me'); // LEN
    w.float(93, 1); // I32
    w.int64(1, 42);
    const r = new Reader(w.finish());
    let found: number | undefined;
    while (!r.done()) {
      const f = r.tag();
      if (f === 1) found = r.int64();
      else r.skip(r.wire);
    }
    expect(found).toBe(42);
    for (const tag of [0x0b /* field 1 start group */, 0x0c /* end group */]) {
      const e = caught(() => new Reader(bytes(tag)).tag());
      expect(e.code).toBe('FORMAT');
      expect(e.message).toContain('group');
    }
    expect(caught(() => new Reader(bytes(0x0e)).tag()).message).toContain('invalid wire type 6');
    expect(caught(() => new Reader(bytes(0x00)).tag()).message).toContain('field number 0');
  });

  it('checks every length against the bytes left before using it', () => {
    // A field declaring 2^32-1 bytes in a 6-byte buffer.
    const huge = bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f);
    const r = new Reader(huge);
    r.tag();
    const e = caught(() => r.bytes());
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain('length 4294967295 at byte 1 exceeds the 0 bytes left');
    // Skipping an unknown field checks it too.
    const r2 = new Reader(bytes(0x0a, 0x05, 1, 2));
    r2.tag();
    expect(caught(() => r2.skip(r2.wire)).message).toContain('exceeds the 2 bytes left');
    // A nested message cannot read past its own end into its parent.
    const w = new Writer();
    w.message(1, (s) => s.int64(2, 1));
    w.int64(3, 5);
    const outer = new Reader(w.finish());
    outer.tag();
    const sub = outer.message();
    sub.tag();
    sub.int64();
    expect(sub.done()).toBe(true);
    expect(outer.tag()).toBe(3);
    const f = new Reader(bytes(0x0d, 1, 2));
    f.tag();
    expect(caught(() => f.float()).message).toContain('needs 4 bytes but only 2 are left');
  });

  it('bounds nesting depth', () => {
    let buf = bytes();
    for (let i = 0; i < MAX_DEPTH + 2; i++) {
      const w = new Writer();
      w.bytes(1, buf);
      buf = w.finish();
    }
    let r = new Reader(buf);
    const e = caught(() => {
      for (;;) {
        r.tag();
        r = r.message();
      }
    });
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain(`deeper than ${MAX_DEPTH}`);
  });

  it('back-patches lengths of 1 to 3 varint bytes at every nesting level, strings included', () => {
    for (const size of [0, 127, 128, 16383, 16384, 70000]) {
      const long = 'é✓'.repeat(size >> 2) + 'x'.repeat(size & 3);
      const w = new Writer(16);
      w.message(1, (a) => {
        a.message(2, (b) => {
          b.string(3, long);
          b.bytes(4, new Uint8Array(size).fill(7));
        });
        a.int64(5, -1);
      });
      const r = new Reader(w.finish());
      r.tag();
      const a = r.message();
      a.tag();
      const b = a.message();
      b.tag();
      expect(b.string()).toBe(long);
      b.tag();
      const got = b.bytes();
      expect(got.length).toBe(size);
      expect(got.every((v) => v === 7)).toBe(true);
      expect(b.done()).toBe(true);
      a.tag();
      expect(a.int64()).toBe(-1);
      expect(a.done() && r.done()).toBe(true);
    }
  });

  it('writes nested messages and large byte fields with correct length prefixes', () => {
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    const w = new Writer();
    w.message(1, (a) => {
      a.string(1, 'x');
      a.message(2, (b) => {
        b.bytes(9, big);
        b.int64(3, -1);
      });
    });
    w.int64(2, 7);
    const out = w.finish();
    expect(out.length).toBe(w.length);
    const r = new Reader(out);
    expect(r.tag()).toBe(1);
    const a = r.message();
    a.tag();
    expect(a.string()).toBe('x');
    a.tag();
    const b = a.message();
    b.tag();
    expect(b.bytes()).toEqual(big);
    b.tag();
    expect(b.int64()).toBe(-1);
    expect(b.done() && a.done()).toBe(true);
    r.tag();
    expect(r.int64()).toBe(7);
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** A normalized model using every field the codec writes. */
function everything(): OnnxModel {
  const t: OnnxTensor = { name: 'typed', dims: [2, 2], dataType: DataType.FLOAT, floatData: f32([0.1, -2, 3.5, 1e-8]) };
  return {
    irVersion: 9,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.example', version: 2 },
    ],
    producerName: 'simdnet',
    producerVersion: '0.1.0',
    domain: 'org.example',
    modelVersion: -(2 ** 40),
    docString: 'doc ✓',
    metadataProps: [
      { key: 'a', value: 'b' },
      { key: '', value: 'empty key' },
    ],
    graph: {
      name: 'main',
      docString: '',
      node: [
        {
          name: 'n1',
          opType: 'Custom',
          domain: 'com.example',
          input: ['x', '', 'w'],
          output: ['y'],
          attribute: [
            { name: 'f', type: AttrType.FLOAT, f: Math.fround(0.01) },
            { name: 'zero_f', type: AttrType.FLOAT, f: 0 },
            { name: 'i', type: AttrType.INT, i: -3 },
            { name: 'big', type: AttrType.INT, i: -MAX_SAFE },
            { name: 's', type: AttrType.STRING, s: 'NOTSET' },
            { name: 'empty_s', type: AttrType.STRING, s: '' },
            { name: 't', type: AttrType.TENSOR, t },
            { name: 'fs', type: AttrType.FLOATS, floats: f32([1.5, -0.1]) },
            { name: 'is', type: AttrType.INTS, ints: [0, -1, 2 ** 33] },
            { name: 'no_ints', type: AttrType.INTS, ints: [] },
            { name: 'ss', type: AttrType.STRINGS, strings: ['a', '', 'ü'] },
          ],
        },
        { name: '', opType: 'Relu', domain: '', input: ['y'], output: ['z'], attribute: [] },
      ],
      initializer: [
        floatTensor('w', [2, 3], [1, 2, 3, 4, 5, 6]),
        { name: 'i64', dims: [3], dataType: DataType.INT64, int64Data: [-1, MAX_SAFE, 0] },
        { name: 'i32', dims: [2], dataType: DataType.INT32, int32Data: [-(2 ** 31), 7] },
        { name: 'dbl', dims: [1], dataType: DataType.DOUBLE, doubleData: [0.1] },
        { name: 'empty_raw', dims: [0], dataType: DataType.FLOAT, rawData: new Uint8Array(0) },
        { name: 'scalar', dims: [], dataType: DataType.INT8, rawData: bytes(0xff) },
        { name: '', dims: [1], dataType: DataType.FLOAT, floatData: [2] },
      ],
      input: [valueInfo('x', DataType.FLOAT, ['N', 2, null]), valueInfo('untyped', 0)],
      output: [valueInfo('z', DataType.FLOAT, [0])],
      valueInfo: [
        valueInfo('y', DataType.FLOAT),
        valueInfo('scalar_v', DataType.INT64, []),
        { name: 'shape_only', elemType: 0, shape: [{ value: 3 }] },
      ],
    },
  };
}

describe('decodeModel / encodeModel', () => {
  it('round-trips every field (decode(encode(m)) deep-equals m)', () => {
    const m = everything();
    const enc = encodeModel(m);
    expect(decodeModel(enc)).toEqual(m);
    // Twice: encoding the decoded model gives the same bytes.
    expect(encodeModel(decodeModel(enc))).toEqual(enc);
    // ArrayBuffer input and a Buffer view at an odd offset decode alike.
    expect(decodeModel(enc.slice().buffer)).toEqual(m);
    const shifted = Buffer.alloc(enc.length + 3);
    shifted.set(enc, 3);
    expect(decodeModel(shifted.subarray(3))).toEqual(m);
  });

  it('normalizes: float fields round to float32, empty typed lists vanish, an absent attribute value gets its default', () => {
    const m = model({
      node: [
        {
          name: 'n',
          opType: 'LeakyRelu',
          domain: '',
          input: ['x'],
          output: ['y'],
          attribute: [{ name: 'alpha', type: AttrType.FLOAT, f: 0.01 }],
        },
      ],
      initializer: [{ name: 'w', dims: [1], dataType: DataType.FLOAT, floatData: [0.1], int64Data: [] }],
    });
    const d = decodeModel(encodeModel(m));
    expect(d.graph.node[0].attribute[0].f).toBe(Math.fround(0.01));
    expect(d.graph.initializer[0]).toEqual({
      name: 'w',
      dims: [1],
      dataType: DataType.FLOAT,
      floatData: [Math.fround(0.1)],
    });
    // An INT attribute written without its i (proto2 presence) decodes as 0; old files without a type infer it.
    const w = new Writer();
    w.int64(1, 8);
    w.message(7, (g) => {
      g.message(1, (n) => {
        n.string(4, 'Op');
        n.message(5, (a) => {
          a.string(1, 'k');
          a.int64(20, AttrType.INT);
        });
        n.message(5, (a) => {
          a.string(1, 'legacy');
          a.repeatedInt64(8, [1, 2]);
        });
      });
    });
    const node = decodeModel(w.finish()).graph.node[0];
    expect(node.attribute).toEqual([
      { name: 'k', type: AttrType.INT, i: 0 },
      { name: 'legacy', type: AttrType.INTS, ints: [1, 2] },
    ]);
  });

  it('decodes unpacked typed data and packed dims and ints (both encodings of repeated fields)', () => {
    const build = (packed: boolean): Uint8Array => {
      const w = new Writer();
      w.int64(1, 8);
      w.message(7, (g) => {
        g.message(1, (n) => {
          n.string(4, 'Op');
          n.message(5, (a) => {
            a.string(1, 'ints');
            if (packed) a.packedInt64(8, [-1, 2]);
            else a.repeatedInt64(8, [-1, 2]);
            a.int64(20, AttrType.INTS);
          });
          n.message(5, (a) => {
            a.string(1, 'floats');
            if (packed) a.packedFloat(7, [0.5, 2]);
            else a.repeatedFloat(7, [0.5, 2]);
            a.int64(20, AttrType.FLOATS);
          });
        });
        g.message(5, (t) => {
          if (packed) t.packedInt64(1, [2, 1]);
          else t.repeatedInt64(1, [2, 1]);
          t.int64(2, DataType.FLOAT);
          if (packed) t.packedFloat(4, [1.5, -2]);
          else t.repeatedFloat(4, [1.5, -2]);
          if (packed) t.packedInt64(7, [5, -6]);
          else t.repeatedInt64(7, [5, -6]);
          t.string(8, 'w');
          if (packed) t.packedDouble(10, [0.25]);
          else t.double(10, 0.25);
        });
      });
      return w.finish();
    };
    const a = decodeModel(build(true));
    const b = decodeModel(build(false));
    expect(b).toEqual(a);
    expect(a.graph.initializer[0]).toEqual({
      name: 'w',
      dims: [2, 1],
      dataType: DataType.FLOAT,
      floatData: [1.5, -2],
      int64Data: [5, -6],
      doubleData: [0.25],
    });
    expect(attrOf(a.graph.node[0], 'ints')).toMatchObject({ type: AttrType.INTS, ints: [-1, 2] });
    expect(attrOf(a.graph.node[0], 'floats')).toMatchObject({ type: AttrType.FLOATS, floats: [0.5, 2] });
  });

  it('replaces invalid UTF-8 in doc strings but refuses it in names', () => {
    const build = (field: number): Uint8Array => {
      const w = new Writer();
      w.int64(1, 8);
      w.message(7, (g) => {
        g.string(2, 'g');
        g.message(1, (n) => {
          n.string(4, 'Relu');
          if (field === 3) n.bytes(3, bytes(0x61, 0xff));
        });
        if (field === 10) g.bytes(10, bytes(0x61, 0xff));
      });
      if (field === 6) w.bytes(6, bytes(0xe9, 0x74, 0xe9)); // latin-1 'été'
      return w.finish();
    };
    expect(decodeModel(build(6)).docString).toBe('\ufffdt\ufffd');
    expect(decodeModel(build(10)).graph.docString).toBe('a\ufffd');
    const e = caught(() => decodeModel(build(3)));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toMatch(/^graph 'g' node #0 \(Relu\): invalid UTF-8 in the string at byte \d+$/);
  });

  it('skips fields it does not use (doc strings, annotations, denotations, unknown fields)', () => {
    const w = new Writer();
    w.int64(1, 8);
    w.string(99, 'a future field');
    w.message(7, (g) => {
      g.message(1, (n) => {
        n.string(4, 'Relu');
        n.string(6, 'node doc');
        n.message(8, (x) => x.string(1, 'future overload'));
      });
      g.message(14, (a) => a.string(1, 'annotated'));
      g.message(11, (v) => {
        v.string(1, 'x');
        v.string(3, 'value doc');
        v.message(2, (tp) => {
          tp.string(6, 'IMAGE');
          tp.message(1, (tt) => tt.int64(1, 1));
        });
      });
    });
    const m = decodeModel(w.finish());
    expect(m.graph.node[0].opType).toBe('Relu');
    expect(m.graph.input).toEqual([{ name: 'x', elemType: 1 }]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Expected {
  producer: string;
  irVersion: number;
  opsetImport: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadataProps: Array<{ key: string; value: string }>;
  graph: {
    name: string;
    docString: string;
    nodes: Array<[string, string, string, string[], string[]]>;
    input: unknown[];
    output: unknown[];
    valueInfo: unknown[];
  };
  tensors: Record<string, { dims: number[]; dataType: number; storage: 'raw' | 'typed'; values: number[] }>;
  attributes: Record<
    string,
    {
      type: number;
      f?: number;
      i?: number;
      s?: string;
      t?: string;
      floats?: number[];
      ints?: number[];
      strings?: string[];
    }
  >;
  leakyAlpha: number;
}

describe('a model written by python3-onnx (test/onnx/fixtures/codec/all-fields.onnx)', () => {
  const file = readFileSync(join(CODEC, 'all-fields.onnx'));
  const exp = JSON.parse(readFileSync(join(CODEC, 'all-fields.json'), 'utf8')) as Expected;
  const m = decodeModel(file);

  it('has the model and graph fields onnx wrote', () => {
    expect(m.irVersion).toBe(exp.irVersion);
    expect(m.opsetImport).toEqual(exp.opsetImport);
    expect(m.producerName).toBe(exp.producerName);
    expect(m.producerVersion).toBe(exp.producerVersion);
    expect(m.domain).toBe(exp.domain);
    expect(m.modelVersion).toBe(exp.modelVersion);
    expect(m.docString).toBe(exp.docString);
    expect(m.metadataProps).toEqual(exp.metadataProps);
    expect(m.graph.name).toBe(exp.graph.name);
    expect(m.graph.docString).toBe(exp.graph.docString);
    expect(m.graph.node.map((n) => [n.name, n.opType, n.domain, n.input, n.output])).toEqual(exp.graph.nodes);
    expect(m.graph.input).toEqual(exp.graph.input);
    expect(m.graph.output).toEqual(exp.graph.output);
    expect(m.graph.valueInfo).toEqual(exp.graph.valueInfo);
  });

  it('reads every tensor, from raw_data and from the typed fields', () => {
    const tensors = new Map<string, OnnxTensor>(m.graph.initializer.map((t) => [t.name, t]));
    const kinds = m.graph.node.find((n) => n.name === 'kinds')!;
    tensors.set('const_value', attrOf(kinds, 'a_tensor').t!);
    expect(new Set(tensors.keys())).toEqual(new Set(Object.keys(exp.tensors)));
    const floaty = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);
    for (const [name, e] of Object.entries(exp.tensors)) {
      const t = tensors.get(name)!;
      expect(t.dims, name).toEqual(e.dims);
      expect(t.dataType, name).toBe(e.dataType);
      expect(t.rawData !== undefined, `${name} storage`).toBe(e.storage === 'raw');
      expect(tensorSize(t)).toBe(e.values.length);
      const got = floaty.has(t.dataType) ? Array.from(tensorToFloat32(t)) : tensorToNumbers(t);
      expect(got, name).toEqual(e.values);
      if (t.dataType === DataType.INT8) expect(Array.from(tensorToInt8(t)), name).toEqual(e.values);
    }
    // The typed fields are what onnx wrote (not raw_data) where expected.
    expect(tensors.get('big_i64')!.int64Data).toEqual([-MAX_SAFE, MAX_SAFE, -(2 ** 40)]);
    expect(tensors.get('h_typed')!.int32Data).toHaveLength(6);
    expect(tensors.get('d_typed')!.doubleData).toEqual([0.1, -1.5]);
  });

  it('reads every attribute kind with its type', () => {
    const kinds = m.graph.node.find((n) => n.name === 'kinds')!;
    expect(kinds.domain).toBe('test.codec');
    expect(kinds.attribute.map((a) => a.name).sort()).toEqual(Object.keys(exp.attributes).sort());
    for (const [name, e] of Object.entries(exp.attributes)) {
      const a = attrOf(kinds, name);
      expect(a.type, name).toBe(e.type);
      if (e.f !== undefined) expect(a.f).toBe(e.f);
      if (e.i !== undefined) expect(a.i).toBe(e.i);
      if (e.s !== undefined) expect(a.s).toBe(e.s);
      if (e.t !== undefined) expect(a.t!.name).toBe(e.t);
      if (e.floats !== undefined) expect(a.floats).toEqual(e.floats);
      if (e.ints !== undefined) expect(a.ints).toEqual(e.ints);
      if (e.strings !== undefined) expect(a.strings).toEqual(e.strings);
    }
    const leaky = m.graph.node.find((n) => n.opType === 'LeakyRelu')!;
    expect(leaky.name).toBe('');
    expect(attrOf(leaky, 'alpha')).toMatchObject({ type: AttrType.FLOAT, f: exp.leakyAlpha });
  });

  it('re-encodes to a file that decodes the same', () => {
    expect(decodeModel(encodeModel(m))).toEqual(m);
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** The model with raw tensor bytes as base64 (deep-equality of large typed arrays is slow in vitest). */
function comparable(m: OnnxModel): unknown {
  return JSON.parse(
    JSON.stringify(m, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : v,
    ),
  );
}

const fixtureFiles = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.onnx'))
      .sort()
  : [];

describe('models from real exporters (test/onnx/fixtures/*.onnx)', () => {
  it.skipIf(fixtureFiles.length === 0)('decode, convert their initializers and re-encode to the same model', () => {
    for (const f of fixtureFiles) {
      const file = readFileSync(join(FIXTURES, f));
      const m = decodeModel(file);
      expect(m.graph.node.length, f).toBeGreaterThan(0);
      expect(m.graph.input.length, f).toBeGreaterThan(0);
      for (const t of m.graph.initializer) {
        const n = tensorSize(t);
        const values =
          t.dataType === DataType.INT64 || t.dataType === DataType.INT32 ? tensorToNumbers(t) : tensorToFloat32(t);
        expect(values.length, `${f} ${t.name}`).toBe(n);
      }
      const again = encodeModel(m);
      expect(comparable(decodeModel(again)), f).toEqual(comparable(m));
      // torch.onnx.export writes canonical protobuf (field order, packing) with no fields we drop: same bytes.
      if (f.startsWith('torch-')) expect(Buffer.compare(Buffer.from(again), file), f).toBe(0);
    }
  });

  it.skipIf(fixtureFiles.length === 0)('re-encoded files compute the same outputs in ONNX Runtime', async () => {
    for (const f of fixtureFiles) {
      const file = readFileSync(join(FIXTURES, f));
      const m = decodeModel(file);
      const input = m.graph.input.find((v) => !m.graph.initializer.some((t) => t.name === v.name))!;
      const shape = input.shape!.map((d) => d.value ?? 2);
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
      const run = async (bytes: Uint8Array): Promise<Float32Array> => {
        const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
        const out = await s.run({ [input.name]: new ort.Tensor('float32', data.slice(), shape) });
        const y = out[s.outputNames[0]].data as Float32Array;
        await s.release();
        return y;
      };
      const a = await run(file);
      const b = await run(encodeModel(m));
      expect(b.length, f).toBeGreaterThan(0);
      expect(Array.from(b), f).toEqual(Array.from(a));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

async function runOrt(
  m: OnnxModel,
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
): Promise<Record<string, number[]>> {
  const s = await ort.InferenceSession.create(encodeModel(m));
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.dims);
  const out = await s.run(inputs);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

const hasPythonOnnx = ((): boolean => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A model using the helpers the exporter uses: attributes of each kind, float, int64, int8 and uint8 tensors. */
function exporterStyle(): OnnxModel {
  return model({
    name: 'exported',
    node: [
      makeNode('Gemm', ['x', 'w', 'b'], ['g'], 'gemm', { alpha: { f: 1 }, beta: 0.5, transB: 1 }),
      makeNode('LeakyRelu', ['g'], ['l'], 'leaky', { alpha: 0.1 }),
      makeNode('Reshape', ['l', 'shape'], ['r'], 'reshape'),
      makeNode('Transpose', ['r'], ['t'], 'transpose', { perm: [0, 2, 1] }),
      makeNode('Flatten', ['t'], ['f'], 'flatten', { axis: 1 }),
      makeNode('QuantizeLinear', ['f', 'scale', 'zp'], ['q'], 'quant'),
      makeNode('DequantizeLinear', ['q', 'scale', 'zp'], ['dq'], 'dequant'),
      makeNode('DequantizeLinear', ['w8', 'scale', 'zp8'], ['w8f'], 'dequant_w'),
      makeNode('MatMul', ['dq', 'w8f'], ['y'], 'mm'),
      makeNode('Pad', ['x', 'pads'], ['p'], 'pad', { mode: 'constant' }),
    ],
    initializer: [
      floatTensor('w', [4, 3], [1, 0, -1, 2, 0.5, 0, 0, 0, 1, -1, -1, -1]),
      floatTensor('b', [4], [0.1, 0.2, 0.3, 0.4]),
      int64Tensor('shape', [3], [-1, 2, 2]),
      floatTensor('scale', [], [0.05]),
      uint8Tensor('zp', [], [128]),
      int8Tensor('w8', [4, 2], [1, -1, 2, -2, 127, -128, 0, 3]),
      int8Tensor('zp8', [], [0]),
      int64Tensor('pads', [4], [0, 1, 0, 0]),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', 3])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 2]), valueInfo('p', DataType.FLOAT, ['N', 4])],
  });
}

describe('encoded models run in ONNX Runtime', () => {
  it('a one-node Relu graph', async () => {
    const m = model({
      node: [makeNode('Relu', ['x'], ['y'], 'relu')],
      input: [valueInfo('x', DataType.FLOAT, [2, 3])],
      output: [valueInfo('y', DataType.FLOAT, [2, 3])],
    });
    const out = await runOrt(m, { x: { data: Float32Array.from([-1, 2, -3, 4, 0, -0.5]), dims: [2, 3] } });
    expect(out.y).toEqual([0, 2, 0, 4, 0, 0]);
  });

  it('an Add with a float initializer and a dynamic batch', async () => {
    const m = model({
      node: [makeNode('Add', ['x', 'bias'], ['y'], 'add')],
      initializer: [floatTensor('bias', [3], [0.5, -1, 10])],
      input: [valueInfo('x', DataType.FLOAT, ['batch', 3])],
      output: [valueInfo('y', DataType.FLOAT, ['batch', 3])],
    });
    const out = await runOrt(m, { x: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
    expect(out.y).toEqual([1.5, 1, 13, 4.5, 4, 16]);
  });

  it("a graph built with the exporter's helpers (typed attributes, int64/int8/uint8 tensors) computes the right values", async () => {
    const x = Float32Array.from([1, 2, 3, -1, 0, 2]);
    const out = await runOrt(exporterStyle(), { x: { data: x, dims: [2, 3] } });
    // The same computation by hand.
    const w = [
      [1, 0, -1],
      [2, 0.5, 0],
      [0, 0, 1],
      [-1, -1, -1],
    ];
    const b = [0.1, 0.2, 0.3, 0.4];
    const w8 = [
      [1, -1],
      [2, -2],
      [127, -128],
      [0, 3],
    ];
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = [x[r * 3], x[r * 3 + 1], x[r * 3 + 2]];
      const g = w.map((wr, j) => Math.fround(wr.reduce((s, v, k) => s + v * row[k], 0) + 0.5 * b[j]));
      const l = g.map((v) => (v < 0 ? Math.fround(0.1 * v) : v));
      // Reshape [-1,2,2] then Transpose [0,2,1] swaps the middle pair; Flatten back to 4.
      const t = [l[0], l[2], l[1], l[3]];
      const dq = t.map((v) => {
        const q = Math.min(255, Math.max(0, Math.round(v / Math.fround(0.05)) + 128));
        return Math.fround((q - 128) * Math.fround(0.05));
      });
      // w8 dequantizes with the same scale (zero point 0).
      for (let j = 0; j < 2; j++) expected.push(dq.reduce((s, v, k) => s + v * w8[k][j] * 0.05, 0));
    }
    expect(out.y.length).toBe(4);
    out.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    expect(out.p).toEqual([0, 1, 2, 3, 0, -1, 0, 2]); // pads [0, 1, 0, 0]: one zero before each row
  });

  it.skipIf(!hasPythonOnnx)('passes onnx.checker (full check, python3-onnx)', () => {
    for (const m of [exporterStyle(), everythingValid()]) {
      const out = execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys, onnx; m = onnx.load_from_string(sys.stdin.buffer.read()); onnx.checker.check_model(m, full_check=True); print(len(m.graph.node))',
        ],
        { input: Buffer.from(encodeModel(m)) },
      );
      expect(Number(out.toString().trim())).toBe(m.graph.node.length);
    }
  });
});

/** everything() with a graph onnx.checker accepts (the custom domain op and dangling names removed). */
function everythingValid(): OnnxModel {
  const m = everything();
  m.graph.node = [makeNode('Relu', ['x'], ['z'], 'relu')];
  m.graph.input = [valueInfo('x', DataType.FLOAT, ['N', 2])];
  m.graph.output = [valueInfo('z', DataType.FLOAT, ['N', 2])];
  m.graph.valueInfo = [];
  m.graph.initializer = m.graph.initializer.filter((t) => t.name !== '');
  m.opsetImport = [{ domain: '', version: 17 }];
  m.irVersion = 8; // python3-onnx 1.12's checker knows IR versions up to 8
  return m;
}

// ---------------------------------------------------------------------------------------------------------------

describe('refusals', () => {
  const refusal = (file: string): SimdnetError => caught(() => decodeModel(readFileSync(join(CODEC, file))));

  it('external data, naming the initializer and the file', () => {
    const e = refusal('refuse-external.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toMatch(
      /^graph 'ext_graph' initializer 'ext_w': its data is stored outside the \.onnx file \(external data in 'refuse-external\.bin'\)/,
    );
    expect(e.message).toContain('save_as_external_data=False');
    // data_location = EXTERNAL alone is refused too.
    const w = new Writer();
    w.int64(1, 8);
    w.message(7, (g) => {
      g.string(2, 'g');
      g.message(5, (t) => {
        t.string(8, 'w');
        t.int64(14, 1);
      });
    });
    expect(caught(() => decodeModel(w.finish())).message).toContain(
      "graph 'g' initializer 'w': its data is stored outside",
    );
  });

  it('sparse initializers', () => {
    const e = refusal('refuse-sparse.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toBe(
      "graph 'sparse_graph': sparse initializer 'sp_w' is not supported (SparseTensorProto); save the model with dense initializers",
    );
  });

  it('subgraph attributes (an If node)', () => {
    const e = refusal('refuse-if.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toMatch(
      /^graph 'if_graph' node 'branchy' \(If\) attribute '(then|else)_branch': holds a subgraph \(as the bodies of If, Loop and Scan do\)/,
    );
    // A GRAPH type without the graph field, and GRAPHS.
    for (const type of [5, 10]) {
      const m = model({
        node: [
          { name: 'loop', opType: 'Loop', domain: '', input: [], output: [], attribute: [{ name: 'body', type }] },
        ],
      });
      const e2 = caught(() => decodeModel(encodeModel(m)));
      expect(e2.message).toContain(
        `graph 'g' node 'loop' (Loop) attribute 'body': is of type ${type === 5 ? 'GRAPH' : 'GRAPHS'} (a subgraph`,
      );
    }
  });

  it('model-local functions, naming them', () => {
    const e = refusal('refuse-function.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain("the model defines local functions 'local.fn.DoubleRelu'");
  });

  it('training_info', () => {
    const e = refusal('refuse-training.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain('training_info');
  });

  it('tensor segments', () => {
    const e = refusal('refuse-segment.onnx');
    expect(e.code).toBe('FORMAT');
    expect(e.message).toBe(
      "graph 'seg_graph' initializer 'seg_w': is a segment of a larger tensor (TensorProto.segment), which simdnet does not read",
    );
  });

  it('string tensors and non-tensor value types decode (counted, kind kept) but do not re-encode', () => {
    // onnx.helper's STRING tensor: its strings are counted, their bytes neither kept nor copied.
    const str = decodeModel(readFileSync(join(CODEC, 'refuse-string.onnx')));
    const labels = str.graph.initializer.find((t) => t.name === 'labels')!;
    expect(labels).toEqual({ name: 'labels', dims: [2], dataType: 8, stringCount: 2 });
    for (const f of [tensorToFloat32, tensorToNumbers, tensorToInt8]) {
      const e = caught(() => f(labels));
      expect(e.code).toBe('DTYPE');
      expect(e.message).toMatch(
        /^tensor 'labels' is STRING; expected .* \(simdnet computes with numbers, not strings\)$/,
      );
    }
    let e = caught(() => encodeModel(str));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe(
      "graph 'str_graph' initializer 'labels': holds 2 strings (string_data), which the decoder counted but did not keep; " +
        'encodeModel cannot write it back (simdnet writes numeric tensors and tensor types only)',
    );
    // A sequence-typed input: its kind, no element type, no shape.
    const seq = decodeModel(readFileSync(join(CODEC, 'refuse-sequence.onnx')));
    expect(seq.graph.input[0]).toEqual({ name: 'xs', elemType: 0, kind: 'sequence' });
    expect(seq.graph.input[1]).toEqual(valueInfo('i', DataType.INT64, []));
    e = caught(() => encodeModel(seq));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(
      /^graph 'seq_graph' input 'xs': has a sequence type, whose inner types the decoder did not keep; encodeModel cannot/,
    );
    // Made by hand: value infos and a tensor inside a node's attribute.
    e = caught(() => encodeModel(model({ output: [{ name: 'probs', elemType: 0, kind: 'map' }] })));
    expect(e.message).toMatch(/^graph 'g' output 'probs': has a map type/);
    const node = makeNode('Constant', [], ['c'], 'k', {
      value: { t: { name: 'names', dims: [1], dataType: 8, stringCount: 1 } },
    });
    expect(caught(() => encodeModel(model({ node: [node] }))).message).toMatch(
      /^graph 'g' node 'k' \(Constant\) attribute 'value': holds 1 strings/,
    );
  });

  it('every TypeProto kind, the last of the oneof winning, and string_data however many and however long', () => {
    // TypeProto fields: 1 tensor_type, 4 sequence_type, 5 map_type, 8 sparse_tensor_type, 9 optional_type.
    const file = (
      types: Array<[number, (t: Writer) => void]>,
      strings: Uint8Array[],
      stringWire: number = Wire.LEN,
    ): Uint8Array => {
      const w = new Writer();
      w.int64(1, 8);
      w.message(7, (g) => {
        g.string(2, 'g');
        g.message(5, (t) => {
          t.int64(1, strings.length);
          t.int64(2, 8);
          for (const s of strings) {
            if (stringWire === Wire.LEN) t.bytes(6, s);
            else t.int64(6, 1);
          }
          t.string(8, 'classes');
        });
        types.forEach(([field, write], i) =>
          g.message(12, (v) => {
            v.string(1, `o${i}`);
            v.message(2, (tp) => tp.message(field, write));
          }),
        );
      });
      return w.finish();
    };
    const tensor = (t: Writer): void => {
      t.int64(1, DataType.FLOAT);
      t.message(2, (sh) => sh.message(1, (d) => d.string(2, 'N')));
    };
    const nested = (t: Writer): void => t.message(1, (e) => e.message(1, tensor)); // e.g. sequence(tensor(float))
    const big = new Uint8Array(100000).fill(0x41);
    const m = decodeModel(
      file(
        [
          [1, tensor],
          [4, nested],
          [5, (t) => t.int64(1, DataType.INT64)],
          [8, tensor],
          [9, nested],
        ],
        [new Uint8Array(0), big, Uint8Array.of(0xff, 0xfe)],
      ),
    );
    expect(m.graph.output).toEqual([
      valueInfo('o0', DataType.FLOAT, ['N']),
      { name: 'o1', elemType: 0, kind: 'sequence' },
      { name: 'o2', elemType: 0, kind: 'map' },
      { name: 'o3', elemType: 0, kind: 'sparse' },
      { name: 'o4', elemType: 0, kind: 'optional' },
    ]);
    // Strings are bytes (not validated as UTF-8) and none is kept: 100 kB of labels decode to a count.
    expect(m.graph.initializer).toEqual([{ name: 'classes', dims: [3], dataType: 8, stringCount: 3 }]);
    // The oneof: a tensor type after a sequence type is a tensor; a sequence type after a tensor type drops its shape.
    const twice = (first: number, second: number): Uint8Array => {
      const w = new Writer();
      w.int64(1, 8);
      w.message(7, (g) =>
        g.message(12, (v) => {
          v.string(1, 'y');
          v.message(2, (tp) => {
            tp.message(first, first === 1 ? tensor : nested);
            tp.message(second, second === 1 ? tensor : nested);
          });
        }),
      );
      return w.finish();
    };
    expect(decodeModel(twice(4, 1)).graph.output[0]).toEqual(valueInfo('y', DataType.FLOAT, ['N']));
    expect(decodeModel(twice(1, 4)).graph.output[0]).toEqual({ name: 'y', elemType: 0, kind: 'sequence' });
    // string_data with the wrong wire type is malformed.
    const e = caught(() => decodeModel(file([], [new Uint8Array(1)], Wire.VARINT)));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toMatch(/^graph 'g' initializer 'classes': field 6 at byte \d+ has wire type 0, expected 2$/);
    // Strings in a numeric tensor: the value helpers refuse it rather than report missing data.
    const odd: OnnxTensor = { name: 'w', dims: [1], dataType: DataType.FLOAT, stringCount: 1 };
    expect(caught(() => tensorToFloat32(odd)).message).toBe("tensor 'w' is FLOAT but holds strings (string_data)");
  });

  it('attributes simdnet cannot hold: tensor lists, sparse tensors, type protos, function references, uint64 data', () => {
    const withAttr = (write: (a: Writer) => void): Uint8Array => {
      const w = new Writer();
      w.int64(1, 8);
      w.message(7, (g) => {
        g.string(2, 'g');
        g.message(1, (n) => {
          n.string(3, 'n0');
          n.string(4, 'Op');
          n.message(5, (a) => {
            a.string(1, 'x');
            write(a);
          });
        });
      });
      return w.finish();
    };
    const cases: Array<[(a: Writer) => void, string]> = [
      [(a) => a.message(10, (t) => t.int64(2, 1)), 'holds a list of tensors (TENSORS)'],
      [(a) => a.message(22, () => {}), 'holds a sparse tensor'],
      [(a) => a.message(14, () => {}), 'holds a type (TYPE_PROTO)'],
      [(a) => a.string(21, 'alpha'), "refers to a function attribute (ref_attr_name 'alpha')"],
      [(a) => a.int64(20, 11), 'is of type SPARSE_TENSOR'],
      [(a) => a.int64(20, 99), 'is of type type 99'],
      [() => {}, 'has no type and no value'],
      [(a) => (a.int64(3, 1), a.float(2, 1)), 'has no type and several values (FLOAT, INT)'],
      [
        (a) => (a.message(5, (t) => (t.string(8, 'u'), t.packedInt64(11, [1]))), a.int64(20, 4)),
        "attribute 'x' tensor 'u': holds uint64_data",
      ],
    ];
    for (const [write, text] of cases) {
      const e = caught(() => decodeModel(withAttr(write)));
      expect(e.code).toBe('FORMAT');
      expect(e.message).toContain(`graph 'g' node 'n0' (Op) attribute 'x`);
      expect(e.message).toContain(text);
    }
  });

  it('things that are not an ONNX model, or not one model', () => {
    const json = caught(() => decodeModel(new TextEncoder().encode('{"format": "layers-model"}')));
    expect(json.code).toBe('FORMAT');
    expect(json.message).toContain('deprecated group encoding');
    expect(caught(() => decodeModel(new Uint8Array(0))).message).toContain('not an ONNX model');
    const noGraph = new Writer();
    noGraph.int64(1, 8);
    expect(caught(() => decodeModel(noGraph.finish())).message).toBe('the ONNX model has no graph');
    const two = new Writer();
    two.int64(1, 8);
    two.message(7, () => {});
    two.message(7, () => {});
    expect(caught(() => decodeModel(two.finish())).message).toContain('holds two graphs');
    expect(caught(() => decodeModel('x' as unknown as Uint8Array)).code).toBe('DTYPE');
  });

  it('int64 values beyond ±2^53, naming where', () => {
    const w = new Writer();
    w.int64(1, 8);
    w.message(7, (g) => {
      g.string(2, 'g');
      g.message(5, (t) => {
        t.bytes(1, bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10)); // packed dims [2^53]
        t.string(8, 'huge');
      });
    });
    const e = caught(() => decodeModel(w.finish()));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toMatch(
      /^graph 'g' initializer 'huge': int64 value 9007199254740992 at byte \d+ is beyond ±2\^53/,
    );
  });

  it('a truncated file, naming the node being read', () => {
    const enc = encodeModel(exporterStyle());
    const e = caught(() => decodeModel(enc.subarray(0, 40)));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toContain('exceeds');
    // A bad length inside a node's attribute: the graph and the node are named (looked ahead), the attribute by index.
    const w = new Writer();
    w.int64(1, 8);
    w.message(7, (g) => {
      g.string(2, 'cut');
      g.message(1, (n) => {
        n.string(3, 'r1');
        n.string(4, 'Relu');
        n.bytes(5, bytes(0x0a, 0x09, 0x61)); // attribute whose name claims 9 bytes
      });
    });
    const e2 = caught(() => decodeModel(w.finish()));
    expect(e2.message).toMatch(
      /^graph 'cut' node 'r1' \(Relu\) attribute #0: length 9 at byte \d+ exceeds the 1 bytes left$/,
    );
  });

  it('duplicate attribute names', () => {
    const n: OnnxNode = makeNode('Flatten', ['x'], ['y'], 'fl', { axis: 1 });
    n.attribute.push(attribute('axis', 2));
    const e = caught(() => decodeModel(encodeModel(model({ node: [n] }))));
    expect(e.message).toBe("graph 'g' node 'fl' (Flatten): attribute 'axis' appears twice");
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('tensor helpers', () => {
  it('floatTensor writes little-endian raw_data whatever the host', () => {
    const t = floatTensor('a', [2], [1, -2]);
    expect(Array.from(t.rawData!)).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    expect(t).toMatchObject({ name: 'a', dims: [2], dataType: DataType.FLOAT });
    expect(Array.from(tensorToFloat32(t))).toEqual([1, -2]);
    // A Float32Array view at an offset is copied, not aliased.
    const backing = new Float32Array([9, 3, 4]);
    const v = floatTensor('v', [2], backing.subarray(1));
    backing[1] = 0;
    expect(Array.from(tensorToFloat32(v))).toEqual([3, 4]);
  });

  it("integer constructors write two's-complement little-endian bytes and check ranges", () => {
    expect(Array.from(int64Tensor('s', [2], [-1, 2 ** 40]).rawData!)).toEqual([
      255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 1, 0, 0,
    ]);
    expect(Array.from(int32Tensor('i', [1], [-2]).rawData!)).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect(Array.from(int8Tensor('q', [2], [-128, 127]).rawData!)).toEqual([0x80, 0x7f]);
    expect(Array.from(uint8Tensor('u', [1], [255]).rawData!)).toEqual([255]);
    expect(tensorToNumbers(int64Tensor('s', [3], [-MAX_SAFE, 0, MAX_SAFE]))).toEqual([-MAX_SAFE, 0, MAX_SAFE]);
    expect(Array.from(tensorToInt8(int8Tensor('q', [2, 1], [-5, 6])))).toEqual([-5, 6]);
    const r1 = caught(() => int8Tensor('q', [1], [200]));
    expect(r1.code).toBe('RANGE');
    expect(r1.message).toBe("tensor 'q': value 200 at 0 is not a INT8");
    expect(caught(() => uint8Tensor('u', [1], [-1])).code).toBe('RANGE');
    expect(caught(() => int64Tensor('s', [1], [0.5])).code).toBe('RANGE');
    const s = caught(() => floatTensor('w', [2, 3], [1, 2]));
    expect(s.code).toBe('SHAPE');
    expect(s.message).toBe("tensor 'w': dims [2, 3] make 6 elements but 2 values were given");
    expect(caught(() => floatTensor('w', [-1], [])).code).toBe('SHAPE');
  });

  it('checks the element count against dims before reading, naming the tensor', () => {
    const short: OnnxTensor = { name: 'w', dims: [2, 3], dataType: DataType.FLOAT, rawData: new Uint8Array(20) };
    const e = caught(() => tensorToFloat32(short));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toBe("tensor 'w' has 20 bytes of raw_data; its 6 FLOAT elements (dims [2, 3]) need 24");
    const typed: OnnxTensor = { name: 'b', dims: [3], dataType: DataType.FLOAT, floatData: [1, 2] };
    expect(caught(() => tensorToFloat32(typed)).message).toBe(
      "tensor 'b' has 2 values in float_data but dims [3] make 3",
    );
    const none: OnnxTensor = { name: 'n', dims: [1e6, 1e6], dataType: DataType.FLOAT };
    expect(caught(() => tensorToFloat32(none)).message).toBe(
      "tensor 'n' holds no data for its 1000000000000 elements (dims [1000000, 1000000])",
    );
    const both: OnnxTensor = {
      name: 'x',
      dims: [1],
      dataType: DataType.FLOAT,
      rawData: new Uint8Array(4),
      floatData: [1],
    };
    expect(caught(() => tensorToFloat32(both)).message).toBe("tensor 'x' has both raw_data and float_data");
    const neg: OnnxTensor = { name: 'd', dims: [-1, 2], dataType: DataType.FLOAT, floatData: [1, 2] };
    expect(caught(() => tensorToFloat32(neg)).message).toContain("tensor 'd' has an invalid dimension -1");
    // An empty tensor needs no data.
    expect(tensorToFloat32({ name: 'e', dims: [0, 4], dataType: DataType.FLOAT }).length).toBe(0);
  });

  it('refuses the wrong element type with DTYPE', () => {
    const i64 = int64Tensor('shape', [1], [4]);
    const e = caught(() => tensorToFloat32(i64));
    expect(e.code).toBe('DTYPE');
    expect(e.message).toBe("tensor 'shape' is INT64; expected FLOAT, DOUBLE, FLOAT16 or BFLOAT16");
    expect(caught(() => tensorToNumbers(floatTensor('w', [1], [1]))).code).toBe('DTYPE');
    expect(caught(() => tensorToInt8(uint8Tensor('u', [1], [1]))).message).toBe("tensor 'u' is UINT8; expected INT8");
  });

  it('converts doubles, float16 and bfloat16 to float32', () => {
    const dv = new DataView(new ArrayBuffer(16));
    dv.setFloat64(0, 0.1, true);
    dv.setFloat64(8, -3, true);
    expect(
      Array.from(
        tensorToFloat32({ name: 'd', dims: [2], dataType: DataType.DOUBLE, rawData: new Uint8Array(dv.buffer) }),
      ),
    ).toEqual(f32([0.1, -3]));
    // float16 bits: 1.0, -2.0, 65504, smallest subnormal, +Inf, NaN.
    const half = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00];
    const fromTyped = tensorToFloat32({ name: 'h', dims: [6], dataType: DataType.FLOAT16, int32Data: half });
    expect(Array.from(fromTyped.subarray(0, 5))).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect(fromTyped[5]).toBeNaN();
    const raw = new Uint8Array(new Uint16Array(half).buffer.slice(0)); // little-endian hosts only run these tests
    expect(
      Array.from(tensorToFloat32({ name: 'h', dims: [6], dataType: DataType.FLOAT16, rawData: raw })).slice(0, 5),
    ).toEqual([1, -2, 65504, 2 ** -24, Infinity]);
    expect(Array.from(tensorToFloat32({ name: 'bf', dims: [2], dataType: 16, int32Data: [0x3f80, 0xc040] }))).toEqual([
      1, -3,
    ]);
  });

  it('reads every integer type and refuses values outside it', () => {
    expect(tensorToNumbers({ name: 'b', dims: [3], dataType: DataType.BOOL, rawData: bytes(1, 0, 1) })).toEqual([
      1, 0, 1,
    ]);
    expect(
      caught(() => tensorToNumbers({ name: 'b', dims: [1], dataType: DataType.BOOL, rawData: bytes(2) })).message,
    ).toBe("tensor 'b' element 0 is 2, not a BOOL (0 or 1)");
    expect(tensorToNumbers({ name: 'u16', dims: [1], dataType: 4, rawData: bytes(0xff, 0xff) })).toEqual([65535]);
    expect(tensorToNumbers({ name: 'i16', dims: [1], dataType: 5, rawData: bytes(0xff, 0xff) })).toEqual([-1]);
    expect(tensorToNumbers({ name: 'u32', dims: [1], dataType: 12, rawData: bytes(0xff, 0xff, 0xff, 0xff) })).toEqual([
      4294967295,
    ]);
    expect(
      caught(() => tensorToInt8({ name: 'q', dims: [1], dataType: DataType.INT8, int32Data: [300] })).message,
    ).toBe("tensor 'q' element 0 is 300, outside INT8");
    const big = new Uint8Array(8).fill(0xff);
    big[7] = 0x7f; // 2^63 - 1
    const e = caught(() => tensorToNumbers({ name: 'big', dims: [1], dataType: DataType.INT64, rawData: big }));
    expect(e.code).toBe('FORMAT');
    expect(e.message).toBe("tensor 'big' element 0 is an int64 beyond ±2^53, which simdnet cannot represent exactly");
  });
});

describe('attribute helpers', () => {
  const node = makeNode('Conv', ['x', 'w'], ['y'], 'conv1', {
    group: 1,
    pads: [0, 1, 0, 1],
    alpha: 0.01,
    auto_pad: 'NOTSET',
    scales: { floats: [1, 2] },
    names: ['a', 'b'],
    beta: { f: 1 },
    empty: [],
    value: { t: floatTensor('v', [1], [3]) },
  });

  it('makeNode types attributes from their values', () => {
    expect(node).toMatchObject({ name: 'conv1', opType: 'Conv', domain: '', input: ['x', 'w'], output: ['y'] });
    expect(node.attribute).toEqual([
      { name: 'group', type: AttrType.INT, i: 1 },
      { name: 'pads', type: AttrType.INTS, ints: [0, 1, 0, 1] },
      { name: 'alpha', type: AttrType.FLOAT, f: 0.01 },
      { name: 'auto_pad', type: AttrType.STRING, s: 'NOTSET' },
      { name: 'scales', type: AttrType.FLOATS, floats: [1, 2] },
      { name: 'names', type: AttrType.STRINGS, strings: ['a', 'b'] },
      { name: 'beta', type: AttrType.FLOAT, f: 1 },
      { name: 'empty', type: AttrType.INTS, ints: [] },
      { name: 'value', type: AttrType.TENSOR, t: floatTensor('v', [1], [3]) },
    ]);
    expect(makeNode('X', [], [], 'n', {}, 'com.example').domain).toBe('com.example');
    const e = caught(() => attribute('scales', [1, 1.5]));
    expect(e.code).toBe('RANGE');
    expect(e.message).toContain(
      "attribute 'scales': [1, 1.5] is not a list of integers (INTS); write { floats: [...] }",
    );
    expect(caught(() => attribute('big', 2 ** 60)).code).toBe('RANGE');
  });
});
