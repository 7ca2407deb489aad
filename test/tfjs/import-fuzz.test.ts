// importTfjsLayers on seeded mutations of the TF.js fixtures: keys deleted, values of the wrong type, huge or
// negative numbers and shapes, other class and activation names, weight bytes truncated, extended or overwritten.
// Each import either gives a model that predicts or throws a SimdnetError; never another error, never a hang
// (the timeout bounds the whole run).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimdnetError, init } from '../../src/index.js';
import { importTfjsLayers } from '../../src/tfjs/import.js';
import { rng } from '../helpers/check.js';

type Json = unknown;

function fixture(name: string): { json: Json; data: Uint8Array } {
  const dir = new URL(`./fixtures/${name}/`, import.meta.url);
  const json = JSON.parse(readFileSync(new URL('model.json', dir), 'utf8')) as {
    weightsManifest: Array<{ paths: string[] }>;
  };
  const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(new URL(p, dir)));
  return { json, data: new Uint8Array(Buffer.concat(shards)) };
}

/** Every place in a JSON tree: the parent and the key (or index) of each value below the root. */
function places(root: Json): Array<[Record<string | number, Json>, string | number]> {
  const out: Array<[Record<string | number, Json>, string | number]> = [];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push([v as unknown as Record<number, Json>, i]);
        walk(x);
      });
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        out.push([v as Record<string, Json>, k]);
        walk(x);
      }
    }
  };
  walk(root);
  return out;
}

const ODD_VALUES: Json[] = [
  null,
  true,
  'x',
  '',
  0,
  -1,
  1.5,
  1e9,
  2 ** 53,
  -(2 ** 31),
  NaN,
  Infinity,
  [],
  [null],
  [1e9, 1e9],
  [-1, 3],
  {},
  { class_name: 'L1L2', config: { l1: -1 } },
];
const ODD_STRINGS = [
  'Conv1D',
  'Dense',
  'Add',
  'elu',
  'relu6',
  'softmax',
  'channels_first',
  'same',
  'causal',
  'float16',
  'int32',
  'uint8',
  'Functional',
  'graph-model',
];

/** One seeded change to the model.json tree or the weight bytes. */
function mutate(json: Json, data: Uint8Array, r: () => number): { json: Json; data: Uint8Array } {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  const all = places(json);
  const [parent, key] = pick(all);
  const old = parent[key];
  switch (Math.floor(r() * 7)) {
    case 0: // delete a key (or empty an array slot)
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 1:
      parent[key] = structuredClone(pick(ODD_VALUES));
      break;
    case 2: // a number far off, or negative
      parent[key] =
        typeof old === 'number' ? pick([old * 1000, -old, old + 1, 0, 2 ** 40]) : structuredClone(pick(ODD_VALUES));
      break;
    case 3:
      parent[key] = typeof old === 'string' ? pick(ODD_STRINGS) : structuredClone(pick(ODD_VALUES));
      break;
    case 4: // a huge dimension in some shape
      for (const [p, k] of all)
        if (Array.isArray(p[k]) && (p[k] as Json[]).every((d) => typeof d === 'number' || d === null) && r() < 0.3)
          (p[k] as Json[])[0] = pick([1e9, 2 ** 31, 0, -4]);
      break;
    case 5: // the weight bytes cut short or extended
      return {
        json,
        data:
          r() < 0.7
            ? data.subarray(0, Math.floor(r() * data.length))
            : new Uint8Array([...data.subarray(0, 64), ...data]),
      };
    default: {
      // some bytes overwritten (NaN patterns among them)
      const d = data.slice();
      for (let i = 0; i < 4; i++)
        d.fill(pick([0xff, 0x7f, 0x00, 0x80]), Math.floor(r() * d.length), Math.floor(r() * d.length) + 4);
      return { json, data: d };
    }
  }
  return { json, data };
}

beforeAll(async () => {
  await init();
});

describe.each(['tfjs-mlp', 'tfjs-cnn'])('fuzzed %s', (name) => {
  it('gives a working model or a SimdnetError, for 400 seeded mutations', () => {
    const base = fixture(name);
    const r = rng(12345);
    const codes = new Map<string, number>();
    let imported = 0;
    for (let i = 0; i < 400; i++) {
      let m = { json: structuredClone(base.json), data: base.data };
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) m = mutate(m.json, m.data, r);
      // Half of the cases as text, as files are read.
      const input = i % 2 ? JSON.stringify(m.json) : m.json;
      try {
        const model = importTfjsLayers(input as object, m.data);
        try {
          imported++;
          const width = model.inputDim!;
          if (width <= 1e5) expect(model.predict(new Float32Array(2 * width)).rows).toBe(2);
        } finally {
          model.dispose();
        }
      } catch (err) {
        if (!(err instanceof SimdnetError))
          throw new Error(`mutation ${i}: ${String(err)}\n${JSON.stringify(m.json).slice(0, 2000)}`, { cause: err });
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
    }
    // The mutations reach the checks of several kinds, and some still import.
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect(imported).toBeGreaterThan(0);
  }, 10_000);
});
