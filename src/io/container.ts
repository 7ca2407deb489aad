import { SimdnetError } from '../errors.js';
import { crc32 } from './crc32.js';

/**
 * The envelope all simdnet files share (integers little-endian):
 *
 *   0   4  magic (4 ASCII letters: which kind of file)
 *   4   2  format version of that kind
 *   6   2  flags (0)
 *   8   4  H = header length in bytes
 *   12  H  header: UTF-8 JSON, { format: <kind's name>, … }
 *   ..     zero padding to a multiple of 4
 *   D  ..  data chunks, each starting at a multiple of 4
 *   end−4  CRC-32 of every byte before it
 *
 * A reader gets a clear FORMAT error for a short file, another kind of simdnet file (naming the function that
 * reads it), a wrong magic, a newer version, a header outside the file, a checksum mismatch or unreadable JSON;
 * what the header says is then the kind's own business.
 */
export interface FileKind {
  magic: string;
  version: number;
  /** The header's `format` field. */
  format: string;
  /** For messages: "simdnet model", … */
  what: string;
  /** The function that reads it, for messages about a file of the wrong kind. */
  reader: string;
}

export const MODEL_FILE: FileKind = { magic: 'SDNT', version: 1, format: 'simdnet', what: 'simdnet model', reader: 'loadModel' };
export const QUANTIZED_FILE: FileKind = { magic: 'SDNQ', version: 1, format: 'simdnet-quantized', what: 'simdnet quantized model', reader: 'loadQuantized' };
export const SPARSE_FILE: FileKind = { magic: 'SDSP', version: 1, format: 'simdnet-sparse', what: 'simdnet sparse model', reader: 'SparseModel.load' };
const KINDS = [MODEL_FILE, QUANTIZED_FILE, SPARSE_FILE];

/** A typed array as stored in a file. */
export type Chunk = Float32Array | Int32Array | Uint16Array | Int8Array;
type ChunkCtor<T extends Chunk> = { new (n: number): T; BYTES_PER_ELEMENT: number };

/** Typed arrays here store little-endian, as the files do (true on every platform wasm runs on in practice). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Offsets (from the data start) the chunks get in writeFile: back to back, each aligned to 4 bytes. */
export function chunkOffsets(chunks: readonly Chunk[]): number[] {
  let off = 0;
  return chunks.map((c) => {
    const at = off;
    off += align4(c.byteLength);
    return at;
  });
}

/** Serializes a header and its data chunks (laid out as chunkOffsets says) into a file of `kind`. */
export function writeFile(kind: FileKind, header: object, chunks: readonly Chunk[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ format: kind.format, version: kind.version, ...header }));
  const offsets = chunkOffsets(chunks);
  const dataStart = align4(12 + json.length);
  const dataLen = chunks.length === 0 ? 0 : offsets[chunks.length - 1] + align4(chunks[chunks.length - 1].byteLength);
  const total = dataStart + dataLen + 4;
  const bytes = new Uint8Array(total);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = kind.magic.charCodeAt(i);
  dv.setUint16(4, kind.version, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, json.length, true);
  bytes.set(json, 12);
  chunks.forEach((c, i) => writeLE(bytes, dataStart + offsets[i], c));
  dv.setUint32(total - 4, crc32(bytes, 0, total - 4), true);
  return bytes;
}

/** An opened file: its version, parsed header, and checked reads of its data. */
export interface OpenedFile {
  version: number;
  header: Record<string, unknown>;
  /** Bytes of data (between the header and the checksum). */
  dataLength: number;
  /** Throws FORMAT with "not a valid <kind> file: <why>". */
  bad(why: string): never;
  /** n elements at byte `offset` of the data, copied; FORMAT error when outside the data or misaligned. */
  read<T extends Chunk>(offset: number, n: number, Ctor: ChunkCtor<T>, what: string): T;
  /** The raw bytes [offset, offset + length) of the data, not copied; same checks as read(). */
  bytesOf(offset: number, length: number, what: string): Uint8Array;
}

/** CRC-32 of bytes[0, n): the JS loop by default; loaders may pass a faster one (the wasm kernel). */
export type Checksum = (bytes: Uint8Array, n: number) => number;

/** Checks the envelope of `input` as a file of `kind` and parses its header. */
export function openFile(input: unknown, kind: FileKind, checksum: Checksum = (b, n) => crc32(b, 0, n)): OpenedFile {
  const bad = (why: string): never => {
    throw new SimdnetError('FORMAT', `not a valid ${kind.what} file: ${why}`);
  };
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) bad('expected a Uint8Array or ArrayBuffer');
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : (input as Uint8Array);
  if (bytes.length < 16) bad(`only ${bytes.length} bytes (truncated?)`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== kind.magic) {
    const other = KINDS.find((k) => k.magic === magic);
    // Name a file of another kind, so the caller learns which function reads it.
    if (other) bad(`this is a ${other === MODEL_FILE ? 'plain (f32) simdnet model' : other.what} file: read it with ${other.reader}() (wrong magic bytes for a ${kind.what})`);
    bad(`wrong magic bytes (this is not a ${kind.what})`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version === 0 || version > kind.version) {
    throw new SimdnetError('FORMAT', `${kind.what} file format version ${version} is not supported (this simdnet reads version ${kind.version})`);
  }
  const hlen = dv.getUint32(8, true);
  if (12 + hlen + 4 > bytes.length) bad(`the header claims ${hlen} bytes but the file has ${bytes.length} (truncated?)`);
  if (checksum(bytes, bytes.length - 4) !== dv.getUint32(bytes.length - 4, true)) bad('checksum mismatch (the file is corrupt or truncated)');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + hlen)));
  } catch (err) {
    bad(`unreadable header (${String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header) || (header as { format?: unknown }).format !== kind.format) {
    bad(`the header is not a ${kind.format} header`);
  }
  const dataStart = align4(12 + hlen);
  const dataLength = bytes.length - 4 - dataStart;
  return {
    version,
    header: header as Record<string, unknown>,
    dataLength,
    bad,
    bytesOf(offset: number, length: number, what: string): Uint8Array {
      if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || !Number.isInteger(length) || length < 0 || offset + length > dataLength) {
        bad(`${what} lies outside the file's data (truncated?)`);
      }
      return bytes.subarray(dataStart + offset, dataStart + offset + length);
    },
    read<T extends Chunk>(offset: number, n: number, Ctor: ChunkCtor<T>, what: string): T {
      const raw = this.bytesOf(offset, n * Ctor.BYTES_PER_ELEMENT, what);
      return readLE(raw, 0, n, Ctor);
    },
  };
}

function writeLE(bytes: Uint8Array, at: number, a: Chunk): void {
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, a.byteLength);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(4 * i, a[i], true);
    else if (a instanceof Int32Array) dv.setInt32(4 * i, a[i], true);
    else dv.setUint16(2 * i, a[i], true);
  }
}

function readLE<T extends Chunk>(bytes: Uint8Array, at: number, n: number, Ctor: ChunkCtor<T>): T {
  const out = new Ctor(n);
  const len = n * Ctor.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN || Ctor.BYTES_PER_ELEMENT === 1) {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + len));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, len);
  for (let i = 0; i < n; i++) {
    if (out instanceof Float32Array) out[i] = dv.getFloat32(4 * i, true);
    else if (out instanceof Int32Array) out[i] = dv.getInt32(4 * i, true);
    else out[i] = dv.getUint16(2 * i, true);
  }
  return out;
}
