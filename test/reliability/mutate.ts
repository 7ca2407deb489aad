// Seeded mutations of simdnet files for the loader fuzz: the header's JSON edited field by field, the data's values
// set to extremes (f32, f16, i32, i8) or bit-flipped, sizes cut or grown, raw bytes changed anywhere; every result is
// sealed again with a valid checksum, so the mutation reaches the parser instead of the checksum check.
import { reseal } from '../helpers/files.js';
import { join, split } from './models.js';

/** A small seeded generator (mulberry32). */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
}

/** Numbers that break things: zero, signs, the f32 and f64 edges, sizes just past limits, huge counts. */
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  3,
  4,
  7,
  0.5,
  -0.5,
  1.5,
  1e-45,
  1e-39,
  1e-30,
  1e-12,
  1e-300,
  5e-324,
  1e3,
  1e6,
  1e18,
  1e20,
  1e30,
  1e36,
  1e38,
  3.4e38,
  3.5e38,
  1e39,
  1e300,
  -1e300,
  -3.4e38,
  1.7976931348623157e308,
  65504,
  65535,
  65536,
  65537,
  127,
  128,
  255,
  256,
  2 ** 24,
  2 ** 24 + 1,
  2 ** 28,
  2 ** 28 + 1,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  30_000_000,
  1e15,
  -(2 ** 31),
];

/** Values of other types, for any field. */
const OTHERS: unknown[] = [
  null,
  true,
  false,
  '',
  'x',
  [],
  {},
  [1],
  [null],
  { a: 1 },
  '1',
  'NaN',
  'Infinity',
  [1, 2],
  [1, 2, 3],
  [3, 3, 2],
  [-1],
  [0],
];

/** Strings a header uses, swapped between fields (a layer type for another, an activation, a storage, a dtype). */
const STRINGS = [
  'dense',
  'conv2d',
  'dropout',
  'activation',
  'flatten',
  'reshape',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'batchNormalization',
  'permute',
  'relu',
  'leakyRelu',
  'sigmoid',
  'tanh',
  'softmax',
  'linear',
  'same',
  'valid',
  'csr',
  'dense',
  'i8',
  'f16',
  'i32',
  'f32',
  'int8',
  'static',
  'dynamic',
  'glorotUniform',
  'zeros',
  'mse',
  'categoricalCrossentropy',
  'simdnet',
  'simdnet-quantized',
  'simdnet-sparse',
  'h1/kernel',
  'out/bias',
];

type Path = Array<string | number>;

/** Every path in a JSON value (objects' keys and arrays' indices), the value itself included (empty path). */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function get(root: unknown, p: Path): unknown {
  let v = root as Record<string | number, unknown>;
  for (const k of p) v = v[k] as Record<string | number, unknown>;
  return v;
}

/** One edit of the header: a field set to another value, removed, or an array entry dropped, doubled or moved. */
function mutateHeader(h: Record<string, unknown>, r: Prng): string {
  const all = paths(h).filter((p) => p.length > 0);
  const p = r.pick(all);
  const parent = get(h, p.slice(0, -1)) as Record<string | number, unknown>;
  const key = p[p.length - 1];
  const old = parent[key];
  const where = p.join('.');
  const roll = r.next();
  if (roll < 0.45) {
    // A number: nearby, scaled, or one of the edge values.
    const base = typeof old === 'number' ? old : 1;
    const v = r.pick([
      base + 1,
      base - 1,
      base * 2,
      base * 1e30,
      -base,
      Math.fround(base * 1e38),
      r.pick(NUMBERS),
      r.pick(NUMBERS),
      r.pick(NUMBERS),
    ]);
    parent[key] = v;
    return `${where} = ${v}`;
  }
  if (roll < 0.6) {
    const v = r.pick(STRINGS);
    parent[key] = v;
    return `${where} = '${v}'`;
  }
  if (roll < 0.75) {
    const v = structuredClone(r.pick(OTHERS));
    parent[key] = v;
    return `${where} = ${JSON.stringify(v)}`;
  }
  if (Array.isArray(parent)) {
    const i = key as number;
    const op = r.int(3);
    if (op === 0) parent.splice(i, 1);
    else if (op === 1) parent.splice(i, 0, structuredClone(parent[i]));
    else {
      const j = r.int(parent.length);
      [parent[i], parent[j]] = [parent[j], parent[i]];
    }
    return `${p.slice(0, -1).join('.')}: ${['drop', 'double', 'swap'][op]} entry ${i}`;
  }
  delete parent[key];
  return `delete ${where}`;
}

const F32 = [
  3.4e38,
  -3.4e38,
  3.4028234663852886e38,
  1e38,
  1e36,
  1e30,
  1e20,
  1e10,
  Infinity,
  -Infinity,
  NaN,
  1e-45,
  -0,
  0,
  65504,
  1e5,
  -1e5,
];
const F16 = [0x7c00, 0xfc00, 0x7e00, 0x7c01, 0x7bff, 0xfbff, 0xffff, 0x0001, 0x8000, 0x3c00];
const I32 = [2 ** 31 - 1, -(2 ** 31), 0, 1, -1, 65536, 1 << 24, 127, 128, 1e9];

/** One edit of the data: an extreme value at some position (as f32, f16, i32, i8), a tensor filled, a bit flipped. */
function mutateData(data: Uint8Array, header: Record<string, unknown>, r: Prng): string {
  if (data.length < 4) return 'data too short to edit';
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const tensors = Array.isArray(header.tensors)
    ? (header.tensors as Array<{ name?: string; offset?: number; length?: number; dtype?: string }>)
    : [];
  // Often aim at a named tensor (its scales, its f16 kernel), else anywhere.
  const t = tensors.length > 0 && r.next() < 0.6 ? r.pick(tensors) : undefined;
  const lo = t && Number.isInteger(t.offset) && t.offset! >= 0 && t.offset! < data.length ? t.offset! : 0;
  const len =
    t && Number.isInteger(t.length) && t.length! > 0 ? Math.min(t.length!, data.length - lo) : data.length - lo;
  const at4 = lo + 4 * r.int(Math.max(1, Math.floor(len / 4)));
  const what = t ? `tensor ${t.name}` : 'data';
  const roll = r.next();
  if (roll < 0.35 && at4 + 4 <= data.length) {
    const v = r.pick(F32);
    dv.setFloat32(at4, v, true);
    return `${what}: f32 ${v} at ${at4}`;
  }
  if (roll < 0.5) {
    // A run of one extreme value: every weight of a tensor (or of a stretch) at 3.4e38 and the like.
    const v = r.pick(F32);
    const end = Math.min(data.length, lo + len) & ~3;
    for (let o = lo & ~3; o + 4 <= end; o += 4) dv.setFloat32(o, v, true);
    return `${what}: filled with f32 ${v}`;
  }
  if (roll < 0.65) {
    const at2 = lo + 2 * r.int(Math.max(1, Math.floor(len / 2)));
    if (at2 + 2 > data.length) return 'no room for an f16';
    const v = r.pick(F16);
    dv.setUint16(at2, v, true);
    return `${what}: f16 bits ${v.toString(16)} at ${at2}`;
  }
  if (roll < 0.75 && at4 + 4 <= data.length) {
    const v = r.pick(I32);
    dv.setInt32(at4, v, true);
    return `${what}: i32 ${v} at ${at4}`;
  }
  if (roll < 0.85) {
    const at = lo + r.int(Math.max(1, len));
    if (at >= data.length) return 'no room for a byte';
    const v = r.pick([127, -127, -128, 0, 1]);
    dv.setInt8(at, v);
    return `${what}: i8 ${v} at ${at}`;
  }
  const at = r.int(data.length);
  const bit = r.int(8);
  data[at] ^= 1 << bit;
  return `data: bit ${bit} of byte ${at} flipped`;
}

/** A mutated copy of `file` (always sealed with a valid checksum) and what was done to it. */
export function mutate(file: Uint8Array, r: Prng): { bytes: Uint8Array; what: string } {
  const kinds = r.next();
  const steps = 1 + (r.next() < 0.25 ? 1 + r.int(2) : 0);
  let bytes = file;
  const done: string[] = [];
  for (let s = 0; s < steps; s++) {
    let header: Record<string, unknown>;
    let data: Uint8Array;
    try {
      ({ header, data } = split(bytes));
    } catch {
      break; // an earlier raw edit left no readable header: the rest would be raw edits of garbage anyway
    }
    const roll = s === 0 ? kinds : r.next();
    if (roll < 0.45) {
      done.push(mutateHeader(header, r));
      bytes = join(bytes, header, data);
    } else if (roll < 0.85) {
      done.push(mutateData(data, header, r));
      bytes = join(bytes, header, data);
    } else if (roll < 0.93) {
      // Sizes: data cut short, grown, or a stretch removed from its middle.
      const op = r.int(3);
      const n = 1 + r.int(Math.max(1, Math.min(64, data.length)));
      if (op === 0) data = data.slice(0, Math.max(0, data.length - n));
      else if (op === 1) data = Uint8Array.from([...data, ...new Uint8Array(n).map(() => r.int(256))]);
      else {
        const at = r.int(Math.max(1, data.length));
        data = Uint8Array.from([...data.subarray(0, at), ...data.subarray(at + n)]);
      }
      done.push(`data ${['cut', 'grown', 'shortened in the middle'][op]} by ${n} bytes`);
      bytes = join(bytes, header, data);
    } else {
      // Raw bytes anywhere, the prelude and the header's text included (then sealed again).
      const b = bytes.slice();
      const at = r.next() < 0.3 ? r.int(Math.min(16, b.length - 4)) : r.int(b.length - 4);
      b[at] = r.next() < 0.5 ? b[at] ^ (1 << r.int(8)) : r.int(256);
      bytes = reseal(b);
      done.push(`byte ${at} changed`);
    }
  }
  return { bytes, what: done.join('; ') };
}
