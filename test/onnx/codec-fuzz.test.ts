// Seeded mutation fuzzing of decodeModel: real model files (python3-onnx's, torch's) and files our encoder wrote,
// with bytes flipped, inserted, deleted, duplicated, truncated or overwritten with hostile varints. Decoding must
// return or throw SimdnetError — never another error, never hang — and what it returns must be no bigger than the
// input (every length is checked before anything is allocated). The same holds for the tensor helpers and for
// re-encoding what was decoded.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/errors.js';
import {
  decodeModel,
  encodeModel,
  floatTensor,
  int64Tensor,
  int8Tensor,
  makeNode,
  tensorToFloat32,
  tensorToInt8,
  tensorToNumbers,
  valueInfo,
} from '../../src/onnx/codec.js';
import { Writer } from '../../src/onnx/proto.js';
import { DataType, type OnnxModel } from '../../src/onnx/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'fixtures');

/** mulberry32: a small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function encodedModel(): Uint8Array {
  const m: OnnxModel = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'simdnet fuzz',
    producerVersion: '1',
    domain: '',
    modelVersion: -2,
    docString: 'seed',
    metadataProps: [{ key: 'k', value: 'v' }],
    graph: {
      name: 'fuzz',
      node: [
        makeNode('Gemm', ['x', 'w', 'b'], ['g'], 'gemm', { alpha: { f: 1 }, transB: 1 }),
        makeNode('Reshape', ['g', 'shape'], ['r'], 'reshape'),
        makeNode('Transpose', ['r'], ['t'], 'tr', { perm: [0, 2, 1] }),
        makeNode('Pad', ['t', '', 'zp'], ['y'], 'pad', {
          mode: 'constant',
          names: ['a', 'b'],
          scales: { floats: [0.5, 2] },
        }),
      ],
      initializer: [
        floatTensor(
          'w',
          [4, 3],
          Array.from({ length: 12 }, (_, i) => i / 7 - 1),
        ),
        { name: 'b', dims: [4], dataType: DataType.FLOAT, floatData: [0.1, 0.2, 0.3, 0.4] },
        int64Tensor('shape', [3], [-1, 2, 2]),
        { name: 'i64', dims: [2], dataType: DataType.INT64, int64Data: [-5, 2 ** 40] },
        int8Tensor('zp', [2], [-128, 127]),
        { name: 'h', dims: [2], dataType: DataType.FLOAT16, int32Data: [0x3c00, 0xc000] },
        { name: 'd', dims: [1], dataType: DataType.DOUBLE, doubleData: [0.25] },
      ],
      input: [valueInfo('x', DataType.FLOAT, ['N', 3])],
      output: [valueInfo('y', DataType.FLOAT, ['N', null, 2])],
      valueInfo: [valueInfo('g', DataType.FLOAT)],
    },
  };
  return encodeModel(m);
}

/** skl2onnx's classifier parts the decoder counts or marks: STRING class labels and a ZipMap (sequence) output. */
function stringsAndSequence(): Uint8Array {
  const w = new Writer();
  w.int64(1, 8);
  w.message(7, (g) => {
    g.string(2, 'zip');
    g.message(5, (t) => {
      t.int64(1, 3);
      t.int64(2, 8);
      for (const s of ['cat', 'dog', 'émeu']) t.string(6, s);
      t.string(8, 'classes');
    });
    g.message(12, (v) => {
      v.string(1, 'output_probability');
      // sequence(map(string, tensor(float)))
      v.message(2, (tp) =>
        tp.message(4, (sq) =>
          sq.message(1, (e) =>
            e.message(5, (mp) => {
              mp.int64(1, 8);
              mp.message(2, (vt) => vt.message(1, (tt) => tt.int64(1, 1)));
            }),
          ),
        ),
      );
    });
  });
  return w.finish();
}

/** The seed files: small real models and encoded ones (each skipped when absent). */
function seeds(): Array<{ name: string; bytes: Uint8Array }> {
  const files = [
    'codec/all-fields.onnx',
    'codec/refuse-if.onnx',
    'codec/refuse-external.onnx',
    'codec/refuse-function.onnx',
    'codec/refuse-string.onnx',
    'codec/refuse-sequence.onnx',
    'torch-cnn-rgb.onnx',
    'torch-cnn-rgb-flat.onnx',
  ];
  const out: Array<{ name: string; bytes: Uint8Array }> = files
    .filter((f) => existsSync(join(FIXTURES, f)))
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(FIXTURES, f))) }));
  out.push({ name: 'encoded', bytes: encodedModel() });
  out.push({ name: 'strings and a sequence type', bytes: stringsAndSequence() });
  const decoded = decodeModel(out[0].bytes);
  out.push({ name: 'all-fields re-encoded', bytes: encodeModel(decoded) });
  return out;
}

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;

const int = (r: () => number, n: number): number => Math.floor(r() * n);

const MUTATIONS: Array<[string, Mutation]> = [
  [
    'flip a bit',
    (b, r) => {
      const c = b.slice();
      if (c.length) c[int(r, c.length)] ^= 1 << int(r, 8);
      return c;
    },
  ],
  [
    'set a byte',
    (b, r) => {
      const c = b.slice();
      if (c.length) c[int(r, c.length)] = int(r, 256);
      return c;
    },
  ],
  [
    'insert bytes',
    (b, r) => {
      const at = int(r, b.length + 1);
      const ins = Uint8Array.from({ length: 1 + int(r, 4) }, () => int(r, 256));
      const c = new Uint8Array(b.length + ins.length);
      c.set(b.subarray(0, at));
      c.set(ins, at);
      c.set(b.subarray(at), at + ins.length);
      return c;
    },
  ],
  [
    'delete bytes',
    (b, r) => {
      const at = int(r, b.length);
      const n = Math.min(1 + int(r, 8), b.length - at);
      const c = new Uint8Array(b.length - n);
      c.set(b.subarray(0, at));
      c.set(b.subarray(at + n), at);
      return c;
    },
  ],
  ['truncate', (b, r) => b.slice(0, int(r, b.length))],
  [
    'duplicate a range',
    (b, r) => {
      const at = int(r, b.length);
      const n = 1 + int(r, 32);
      const piece = b.slice(at, at + n);
      const c = new Uint8Array(b.length + piece.length);
      c.set(b.subarray(0, at + piece.length));
      c.set(piece, at + piece.length);
      c.set(b.subarray(at + piece.length), at + 2 * piece.length);
      return c;
    },
  ],
  [
    'hostile varint',
    (b, r) => {
      // Overwrite with a huge length / value: 2^32-1, 2^53, -1 (10 bytes) or a 10-byte varint with high bits.
      const forms = [
        [0xff, 0xff, 0xff, 0xff, 0x0f],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      ];
      const v = forms[int(r, forms.length)];
      const c = b.slice();
      const at = int(r, Math.max(1, c.length - v.length));
      c.set(v.slice(0, c.length - at), at);
      return c;
    },
  ],
];

/** Counts the decoded model's objects, array elements, string characters and raw bytes. */
function footprint(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + 1 + footprint(x), 0);
  if (v !== null && typeof v === 'object') return 1 + Object.values(v).reduce((s: number, x) => s + footprint(x), 0);
  return 0;
}

/** Decodes and exercises the result; returns 'ok' or the error code, failing on anything else. */
function exercise(bytes: Uint8Array): string {
  let m: OnnxModel;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    if (e instanceof SimdnetError) return e.code;
    throw e;
  }
  // No amplification: everything decoded came out of the input's bytes.
  expect(footprint(m)).toBeLessThanOrEqual(bytes.length);
  const tensors = [...m.graph.initializer];
  for (const n of m.graph.node) for (const a of n.attribute) if (a.t) tensors.push(a.t);
  for (const t of tensors) {
    for (const f of [tensorToFloat32, tensorToNumbers, tensorToInt8]) {
      try {
        const out = f(t);
        expect(out.length).toBeLessThanOrEqual(bytes.length);
      } catch (e) {
        if (!(e instanceof SimdnetError)) throw e;
      }
    }
  }
  // Strings and non-tensor types are counted or marked, not kept: such a model is refused by the encoder.
  const infos = [...m.graph.input, ...m.graph.output, ...m.graph.valueInfo];
  const strings = tensors.reduce((n, t) => n + (t.stringCount ?? 0), 0);
  expect(strings).toBeLessThanOrEqual(bytes.length / 2); // a tag and a length byte at least, each
  if (strings > 0 || infos.some((v) => v.kind !== undefined)) {
    let code: string | undefined;
    try {
      encodeModel(m);
    } catch (e) {
      if (!(e instanceof SimdnetError)) throw e;
      code = e.code;
    }
    expect(code).toBe('UNSUPPORTED');
    return 'ok';
  }
  // What decodes re-encodes and decodes to the same thing (names, values, everything).
  try {
    const again = decodeModel(encodeModel(m));
    expect(again).toEqual(m);
  } catch (e) {
    if (!(e instanceof SimdnetError)) throw e;
    throw new Error(`a decoded model failed to re-encode: ${e.message}`);
  }
  return 'ok';
}

describe('decodeModel under mutation', () => {
  it('returns or throws SimdnetError for thousands of mutated files, never amplifying the input', () => {
    const r = rng(20240612);
    const all = seeds();
    expect(all.length).toBeGreaterThanOrEqual(3);
    const tally: Record<string, number> = {};
    const ROUNDS = 4000;
    for (let i = 0; i < ROUNDS; i++) {
      const seed = all[i % all.length];
      let b = seed.bytes;
      const steps = 1 + int(r, 3);
      const applied: string[] = [];
      for (let s = 0; s < steps; s++) {
        const [name, mutate] = MUTATIONS[int(r, MUTATIONS.length)];
        b = mutate(b, r);
        applied.push(name);
      }
      let result: string;
      try {
        result = exercise(b);
      } catch (e) {
        throw new Error(`round ${i} (${seed.name}; ${applied.join(', ')}): ${(e as Error).stack ?? e}`);
      }
      tally[result] = (tally[result] ?? 0) + 1;
    }
    // Both outcomes happen (the mutations are not all fatal, nor all harmless), and refusals are FORMAT errors.
    expect(tally.ok).toBeGreaterThan(ROUNDS / 50);
    expect(tally.FORMAT).toBeGreaterThan(ROUNDS / 20);
    expect(Object.keys(tally).sort()).toEqual(['FORMAT', 'ok']);
  });

  it('every prefix of a real file decodes or throws FORMAT', () => {
    const file = seeds()[0].bytes;
    for (let n = 0; n < file.length; n++) {
      const res = exercise(file.subarray(0, n));
      expect(['ok', 'FORMAT']).toContain(res);
    }
  });

  it('huge declared lengths at every level throw FORMAT without allocating them', () => {
    const HUGE = [0xff, 0xff, 0xff, 0xff, 0x0f]; // 2^32 - 1
    const withLength = (path: number[]): Uint8Array => {
      // A chain of nested LEN fields along `path`, the innermost claiming HUGE bytes over a 4-byte payload.
      const tag = new Writer();
      tag.tag(path[path.length - 1], 2);
      let inner: Uint8Array = Uint8Array.from([...tag.finish(), ...HUGE, 1, 2, 3, 4]);
      for (let i = path.length - 2; i >= 0; i--) {
        const w = new Writer();
        w.bytes(path[i], inner);
        inner = w.finish();
      }
      const head = new Writer();
      head.int64(1, 8);
      const h = head.finish();
      const out = new Uint8Array(h.length + inner.length);
      out.set(h);
      out.set(inner, h.length);
      return out;
    };
    const paths = [
      [7], // the graph
      [7, 1], // a node
      [7, 5], // an initializer
      [7, 5, 9], // raw_data
      [7, 5, 4], // packed float_data
      [7, 5, 7], // packed int64_data
      [7, 1, 5], // an attribute
      [7, 1, 5, 7], // packed floats
      [7, 1, 3], // a node name (a string)
      [7, 5, 6], // a string_data entry (skipped, still checked)
      [7, 12, 2, 4], // a sequence type (skipped, still checked)
      [7, 11, 2, 1, 2, 1], // a shape dimension
      [25], // a function
      [99], // an unknown field
    ];
    for (const path of paths) {
      const bytes = withLength(path);
      let err: unknown;
      try {
        decodeModel(bytes);
      } catch (e) {
        err = e;
      }
      expect(err, path.join('.')).toBeInstanceOf(SimdnetError);
      expect((err as SimdnetError).code).toBe('FORMAT');
      expect((err as SimdnetError).message, path.join('.')).toContain('length 4294967295');
      expect((err as SimdnetError).message).toContain('exceeds the 4 bytes left');
    }
  });

  it('a tensor claiming 10^12 elements is refused before its values are read or allocated', () => {
    const w = new Writer();
    w.int64(1, 8);
    w.message(7, (g) => {
      g.message(5, (t) => {
        t.repeatedInt64(1, [1e6, 1e6]);
        t.int64(2, DataType.FLOAT);
        t.string(8, 'w');
        t.bytes(9, new Uint8Array(8));
      });
    });
    const m = decodeModel(w.finish());
    let err: unknown;
    try {
      tensorToFloat32(m.graph.initializer[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimdnetError);
    expect((err as SimdnetError).message).toBe(
      "tensor 'w' has 8 bytes of raw_data; its 1000000000000 FLOAT elements (dims [1000000, 1000000]) need 4000000000000",
    );
  });
});
