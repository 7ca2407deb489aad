// The weights half of a TensorFlow.js layers model: `weightsManifest` (groups of { paths, weights: [{ name, shape,
// dtype, quantization? }] }) over the shard bytes, as tf.io writes and reads them. Every tensor's bytes follow the
// previous one's, across shards and groups; quantized tensors are dequantized as tf.io does (v · scale + min for
// uint8/uint16, IEEE half for float16). Nothing is decoded until a layer asks for a tensor by name, and the sizes
// are all checked against the bytes first, so a corrupt manifest never allocates what the data cannot hold.
import { SimdnetError } from '../errors.js';
import { halfToFloat } from '../io/bounds.js';

/** Bytes of weight data: one buffer, or the shards in manifest order (the order of every group's `paths`). */
export type WeightData =
  | ArrayBuffer
  | Uint8Array
  | ArrayBufferView
  | ReadonlyArray<ArrayBuffer | Uint8Array | ArrayBufferView>;

/** One tensor of the manifest, placed in the bytes. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  /** How it is stored: 'float32', or a quantization dtype. */
  stored: 'float32' | 'uint8' | 'uint16' | 'float16';
  scale: number;
  min: number;
  /** Byte offset in the concatenated data, and byte length. */
  offset: number;
  bytes: number;
  /** Index in the manifest (all groups, in order). */
  index: number;
}

/** A tensor's element count may not exceed this (2^31 bytes of float32: more than any layer here could use). */
const MAX_ELEMENTS = 2 ** 29;

const BYTES = { float32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

const bad = (message: string): never => {
  throw new SimdnetError('FORMAT', message);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The bytes of one ArrayBuffer or view (a Node Buffer is a view into a larger pool: its offset counts). */
function bytesOf(b: unknown, what: string): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new SimdnetError(
    'DTYPE',
    `${what} must be an ArrayBuffer or a Uint8Array, got ${b === null ? 'null' : typeof b}`,
  );
}

/** Checks and places every tensor of `manifest` in `data`; tensors are decoded later by {@link WeightStore.read}. */
export class WeightStore {
  readonly entries: ManifestEntry[] = [];
  private readonly byName = new Map<string, ManifestEntry>();
  private readonly data: Uint8Array;

  constructor(manifest: unknown, weightData: WeightData | undefined) {
    if (!Array.isArray(manifest))
      bad(`weightsManifest must be a list of groups ({ paths, weights }), got ${describe(manifest)}`);
    const groups = manifest as unknown[];
    const groupBytes: number[] = [];
    const groupPaths: number[] = [];
    let offset = 0;
    groups.forEach((g, gi) => {
      if (!isObject(g)) return bad(`weightsManifest[${gi}] must be an object { paths, weights }, got ${describe(g)}`);
      const paths = g.paths ?? [];
      if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
        bad(`weightsManifest[${gi}].paths must be a list of file names`);
      if (!Array.isArray(g.weights))
        bad(`weightsManifest[${gi}].weights must be a list of { name, shape, dtype }, got ${describe(g.weights)}`);
      const start = offset;
      (g.weights as unknown[]).forEach((w, wi) => {
        const e = entry(w, `weightsManifest[${gi}].weights[${wi}]`, offset, this.entries.length);
        if (this.byName.has(e.name)) bad(`weightsManifest names the weight '${e.name}' twice`);
        this.byName.set(e.name, e);
        this.entries.push(e);
        offset += e.bytes;
      });
      groupBytes.push(offset - start);
      groupPaths.push((paths as string[]).length);
    });
    const need = offset;
    if (Array.isArray(weightData)) {
      // Shards: as many as the manifest's paths, each group's tensors exactly filling its own shards.
      const shards = weightData.map((b, i) => bytesOf(b, `weight shard ${i}`));
      const paths = groupPaths.reduce((a, b) => a + b, 0);
      if (shards.length !== paths) {
        bad(
          `got ${shards.length} weight shard(s), the manifest lists ${paths} (${groups.map((g) => ((g as { paths: string[] }).paths ?? []).join(', ')).join('; ')})`,
        );
      }
      let s = 0;
      groupBytes.forEach((n, gi) => {
        const mine = shards.slice(s, s + groupPaths[gi]);
        s += groupPaths[gi];
        const have = mine.reduce((a, b) => a + b.byteLength, 0);
        if (have !== n)
          bad(`weight group ${gi}: its tensors take ${n} bytes, its ${mine.length} shard(s) hold ${have}`);
      });
      this.data = concat(shards, need);
    } else if (weightData === undefined || weightData === null) {
      if (need > 0) bad(`the manifest's weights take ${need} bytes and no weight data was given`);
      this.data = new Uint8Array(0);
    } else {
      this.data = bytesOf(weightData, 'weight data');
      if (this.data.byteLength !== need) {
        bad(
          `the manifest's weights take ${need} bytes, the weight data holds ${this.data.byteLength}${this.data.byteLength < need ? ' (truncated?)' : ''}`,
        );
      }
    }
  }

  get(name: string): ManifestEntry | undefined {
    return this.byName.get(name);
  }

  /** The tensor's values as float32, dequantized as tf.io does; NONFINITE naming it when any is NaN or ±Inf. */
  read(e: ManifestEntry, owner: string): Float32Array {
    const n = e.bytes / BYTES[e.stored];
    const out = new Float32Array(n);
    const v = new DataView(this.data.buffer, this.data.byteOffset + e.offset, e.bytes);
    if (e.stored === 'float32') for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
    else if (e.stored === 'uint8') for (let i = 0; i < n; i++) out[i] = v.getUint8(i) * e.scale + e.min;
    else if (e.stored === 'uint16') for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true) * e.scale + e.min;
    else for (let i = 0; i < n; i++) out[i] = halfToFloat(v.getUint16(2 * i, true));
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(out[i])) {
        throw new SimdnetError(
          'NONFINITE',
          `weight '${e.name}' (${owner}) holds ${out[i]} at index ${i}: weights must be finite`,
        );
      }
    }
    return out;
  }
}

/** One manifest tensor, checked: a name, a shape of safe sizes, a dtype whose bytes per value are known. */
function entry(w: unknown, where: string, offset: number, index: number): ManifestEntry {
  if (!isObject(w)) return bad(`${where} must be an object { name, shape, dtype }, got ${describe(w)}`);
  if (typeof w.name !== 'string' || w.name === '') bad(`${where} has no name`);
  const name = w.name as string;
  const shape = w.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad(`weight '${name}': shape must be a list of non-negative integers, got ${describe(shape)}`);
  }
  let n = 1;
  for (const d of shape as number[]) {
    n *= d;
    if (n > MAX_ELEMENTS) bad(`weight '${name}': shape ${JSON.stringify(shape)} has more than ${MAX_ELEMENTS} values`);
  }
  const dtype = w.dtype;
  if (typeof dtype !== 'string')
    return bad(`weight '${name}': dtype must be a string such as "float32", got ${describe(dtype)}`);
  let stored: ManifestEntry['stored'];
  let scale = 1;
  let min = 0;
  if (w.quantization !== undefined && w.quantization !== null) {
    const q = w.quantization;
    if (!isObject(q))
      return bad(`weight '${name}': quantization must be an object { dtype, scale, min }, got ${describe(q)}`);
    if (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16') {
      throw new SimdnetError(
        'DTYPE',
        `weight '${name}': quantization dtype ${describe(q.dtype)} is not supported (uint8, uint16, float16)`,
      );
    }
    stored = q.dtype;
    if (dtype !== 'float32')
      throw new SimdnetError(
        'DTYPE',
        `weight '${name}' has dtype ${describe(dtype)}: layer weights must be float32 (quantized or not)`,
      );
    if (stored !== 'float16') {
      if (
        typeof q.scale !== 'number' ||
        typeof q.min !== 'number' ||
        !Number.isFinite(q.scale) ||
        !Number.isFinite(q.min)
      ) {
        bad(
          `weight '${name}': ${stored} quantization needs finite numbers scale and min, got scale ${describe(q.scale)}, min ${describe(q.min)}`,
        );
      }
      scale = q.scale as number;
      min = q.min as number;
    }
  } else if (dtype === 'float32') {
    stored = 'float32';
  } else {
    // int32, bool, string, complex64 are tf.io dtypes, but no layer here has such weights.
    throw new SimdnetError(
      'DTYPE',
      `weight '${name}' has dtype ${describe(dtype)}: layer weights must be float32 (or float32 quantized to uint8, uint16 or float16)`,
    );
  }
  return { name, shape: [...(shape as number[])], stored, scale, min, offset, bytes: n * BYTES[stored], index };
}

/** The shards as one run of bytes (no copy for a single shard). */
function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A short description of a JSON value for messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length > 8 ? `a list of ${v.length}` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return String(v);
}
