/**
 * Reader for the IDX format of MNIST-style datasets (train-images-idx3-ubyte, train-labels-idx1-ubyte, …):
 *
 *   0  2  zero
 *   2  1  type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
 *   3  1  number of dimensions D
 *   4  4D sizes, big-endian u32
 *   …     the values, big-endian, row-major
 *
 * Gzip-compressed files (the form they are usually downloaded in) are inflated first by the caller (data.ts).
 */
import { SimdnetError } from '../errors.js';

/** The element types IDX defines. */
export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

/** A decoded IDX file: its dimensions and values (as float32, exact for every integer type but i32 > 2^24). */
export interface IdxArray {
  type: IdxType;
  dims: number[];
  data: Float32Array;
}

const TYPES: Record<number, { type: IdxType; size: number }> = {
  8: { type: 'u8', size: 1 },
  9: { type: 'i8', size: 1 },
  11: { type: 'i16', size: 2 },
  12: { type: 'i32', size: 4 },
  13: { type: 'f32', size: 4 },
  14: { type: 'f64', size: 8 },
};

/**
 * Decodes IDX bytes.
 * @throws SimdnetError FORMAT for a short file, a wrong magic, an unknown type, or a size that does not match the
 *   header; NONFINITE for NaN/Inf in a float file. Messages name `source`.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX file'): IdxArray {
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `${source} is not a valid IDX file: ${why}`);
  };
  if (bytes.length < 4) bad(`only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) bad('it does not start with two zero bytes (wrong magic number)');
  const t = TYPES[bytes[2]];
  if (!t) bad(`unknown element type 0x${bytes[2].toString(16).padStart(2, '0')}`);
  const nd = bytes[3];
  if (nd === 0) bad('zero dimensions');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = 4 + 4 * nd;
  if (bytes.length < start) bad(`the header needs ${start} bytes, the file has ${bytes.length} (truncated?)`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < nd; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (count === 0) bad(`no values (dimensions ${dims.join('×')})`);
  const expected = start + count * t.size;
  if (bytes.length !== expected) {
    bad(
      `dimensions ${dims.join('×')} need ${expected} bytes, the file has ${bytes.length}${bytes.length < expected ? ' (truncated?)' : ''}`,
    );
  }
  const data = new Float32Array(count);
  switch (t.type) {
    case 'u8':
      data.set(bytes.subarray(start, expected));
      break;
    case 'i8':
      data.set(new Int8Array(bytes.buffer, bytes.byteOffset + start, count));
      break;
    default:
      for (let i = 0; i < count; i++) {
        const at = start + i * t.size;
        const v =
          t.type === 'i16'
            ? dv.getInt16(at, false)
            : t.type === 'i32'
              ? dv.getInt32(at, false)
              : t.type === 'f32'
                ? dv.getFloat32(at, false)
                : dv.getFloat64(at, false);
        if (!Number.isFinite(v))
          throw new SimdnetError('NONFINITE', `${source}: value ${i} is ${v} (values must be finite)`);
        data[i] = v;
      }
  }
  return { type: t.type, dims, data };
}

/** Encodes an IDX file (used to write test fixtures and to export data). Values are written as `type`. */
export function encodeIdx(type: IdxType, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const code = Number(Object.entries(TYPES).find(([, v]) => v.type === type)![0]);
  const size = TYPES[code].size;
  const start = 4 + 4 * dims.length;
  const out = new Uint8Array(start + values.length * size);
  const dv = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < values.length; i++) {
    const at = start + i * size;
    const v = values[i];
    if (type === 'u8') dv.setUint8(at, v);
    else if (type === 'i8') dv.setInt8(at, v);
    else if (type === 'i16') dv.setInt16(at, v, false);
    else if (type === 'i32') dv.setInt32(at, v, false);
    else if (type === 'f32') dv.setFloat32(at, v, false);
    else dv.setFloat64(at, v, false);
  }
  return out;
}
