import { SimdnetError } from '../errors.js';
import { crc32 } from './crc32.js';
import { XXH32_STATE_BYTES, xxh32, xxh32Digest, xxh32Reset, xxh32Update } from './xxh32.js';

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
 *   end−4  checksum of every byte before it: XXH32 (seed 0) from version 2 on, CRC-32 in version 1 files
 *
 * A reader gets a clear FORMAT error for a short file, another kind of simdnet file (naming the function that
 * reads it), a wrong magic, a newer version, a header outside the file, a checksum mismatch or unreadable JSON;
 * what the header says is then the kind's own business. Version 2 changed only the checksum (XXH32 is a vector loop
 * where CRC-32 is a byte-serial table walk: a cold-start cost); the kinds read both versions.
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

export const MODEL_FILE: FileKind = {
  magic: 'SDNT',
  version: 2,
  format: 'simdnet',
  what: 'simdnet model',
  reader: 'loadModel',
};
export const QUANTIZED_FILE: FileKind = {
  magic: 'SDNQ',
  version: 2,
  format: 'simdnet-quantized',
  what: 'simdnet quantized model',
  reader: 'loadQuantized',
};
export const SPARSE_FILE: FileKind = {
  magic: 'SDSP',
  version: 2,
  format: 'simdnet-sparse',
  what: 'simdnet sparse model',
  reader: 'SparseModel.load',
};
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
  dv.setUint32(total - 4, xxh32(bytes, 0, total - 4), true);
  return bytes;
}

/** Where a file is read from: its bytes in memory, or an open file (io/file.ts reads one straight into a model). */
export interface ByteSource {
  /** Length of the file in bytes. */
  readonly length: number;
  /** The whole file, when it is in memory. */
  readonly bytes?: Uint8Array;
  /** Fills `into` with the file's bytes from `position` on (the range lies inside the file). */
  read(into: Uint8Array, position: number): void;
}

/** A file held in memory as a ByteSource. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return { length: bytes.length, bytes, read: (into, pos) => into.set(bytes.subarray(pos, pos + into.length)) };
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
  /** The raw bytes [offset, offset + length) of the data (not copied from a file in memory); same checks as read(). */
  bytesOf(offset: number, length: number, what: string): Uint8Array;
  /** Copies the raw bytes [offset, offset + into.length) of the data into `into`; same checks as read(). */
  readInto(offset: number, into: Uint8Array, what: string): void;
  /** Where the data starts: the bytes before it are the prelude, the header and its padding. */
  dataStart: number;
  /** The checksum the file stores (over every byte before its last 4). */
  stored: number;
}

/** The checksum a file of format `version` carries. */
export type ChecksumKind = 'xxh32' | 'crc32';
export const checksumKind = (version: number): ChecksumKind => (version >= 2 ? 'xxh32' : 'crc32');

/** The checksum of a file's first n bytes: the JS loops by default; loaders may pass a faster one (io/checksum.ts). */
export type Checksum = (src: ByteSource, n: number, kind: ChecksumKind) => number;

/** The JS loops, through a 64 KiB buffer when the file is not in memory. */
export const jsChecksum: Checksum = (src, n, kind) => {
  if (src.bytes) return kind === 'xxh32' ? xxh32(src.bytes, 0, n) : crc32(src.bytes, 0, n);
  const buf = new Uint8Array(Math.min(n, 65536));
  const state = new Uint8Array(XXH32_STATE_BYTES);
  xxh32Reset(state);
  let crc = 0;
  for (let pos = 0; pos < n; pos += buf.length) {
    const piece = buf.subarray(0, Math.min(buf.length, n - pos));
    src.read(piece, pos);
    if (kind === 'xxh32') xxh32Update(state, piece);
    else crc = crc32(piece, 0, piece.length, crc);
  }
  return kind === 'xxh32' ? xxh32Digest(state) : crc;
};

/** Throws FORMAT "not a valid <kind> file: <why>". */
export function badFile(kind: FileKind): (why: string) => never {
  return (why: string): never => {
    throw new SimdnetError('FORMAT', `not a valid ${kind.what} file: ${why}`);
  };
}

/** Checks the envelope of `input` (the file's bytes) as a file of `kind` and parses its header. */
export function openFile(input: unknown, kind: FileKind, checksum: Checksum = jsChecksum): OpenedFile {
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer))
    badFile(kind)('expected a Uint8Array or ArrayBuffer');
  return openSource(
    bytesSource(input instanceof ArrayBuffer ? new Uint8Array(input) : (input as Uint8Array)),
    kind,
    checksum,
  );
}

/**
 * Checks the envelope of a file of `kind` and parses its header: length, magic (naming the reader of another
 * simdnet kind), version, a header that fits, the checksum (before anything the header says is believed), JSON.
 * `checksum` null leaves the checksum to the caller (`stored`), who must verify it before trusting the data.
 */
export function openSource(src: ByteSource, kind: FileKind, checksum: Checksum | null = jsChecksum): OpenedFile {
  const bad = badFile(kind);
  const bytesAt = (pos: number, n: number): Uint8Array => {
    if (src.bytes) return src.bytes.subarray(pos, pos + n);
    const b = new Uint8Array(n);
    src.read(b, pos);
    return b;
  };
  if (src.length < 16) bad(`only ${src.length} bytes (truncated?)`);
  const first = bytesAt(0, 12);
  const magic = String.fromCharCode(first[0], first[1], first[2], first[3]);
  if (magic !== kind.magic) {
    const other = KINDS.find((k) => k.magic === magic);
    // Name a file of another kind, so the caller learns which function reads it.
    if (other)
      bad(
        `this is a ${other === MODEL_FILE ? 'plain (f32) simdnet model' : other.what} file: read it with ${other.reader}() (wrong magic bytes for a ${kind.what})`,
      );
    bad(`wrong magic bytes (this is not a ${kind.what})`);
  }
  const dv = new DataView(first.buffer, first.byteOffset, 12);
  const version = dv.getUint16(4, true);
  if (version === 0 || version > kind.version) {
    throw new SimdnetError(
      'FORMAT',
      `${kind.what} file format version ${version} is not supported (this simdnet reads version ${kind.version})`,
    );
  }
  const hlen = dv.getUint32(8, true);
  if (12 + hlen + 4 > src.length) bad(`the header claims ${hlen} bytes but the file has ${src.length} (truncated?)`);
  const last4 = bytesAt(src.length - 4, 4);
  const stored = new DataView(last4.buffer, last4.byteOffset, 4).getUint32(0, true);
  if (checksum && checksum(src, src.length - 4, checksumKind(version)) !== stored)
    bad('checksum mismatch (the file is corrupt or truncated)');
  let header: unknown;
  try {
    header = JSON.parse(utf8(bytesAt(12, hlen)));
  } catch (err) {
    bad(`unreadable header (${String(err)})`);
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    Array.isArray(header) ||
    (header as { format?: unknown }).format !== kind.format
  ) {
    bad(`the header is not a ${kind.format} header`);
  }
  const dataStart = align4(12 + hlen);
  const dataLength = src.length - 4 - dataStart;
  const checkRange = (offset: number, length: number, what: string): void => {
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset % 4 !== 0 ||
      !Number.isInteger(length) ||
      length < 0 ||
      offset + length > dataLength
    ) {
      bad(`${what} lies outside the file's data (truncated?)`);
    }
  };
  return {
    version,
    header: header as Record<string, unknown>,
    dataLength,
    dataStart,
    stored,
    bad,
    bytesOf(offset: number, length: number, what: string): Uint8Array {
      checkRange(offset, length, what);
      return bytesAt(dataStart + offset, length);
    },
    readInto(offset: number, into: Uint8Array, what: string): void {
      checkRange(offset, into.length, what);
      src.read(into, dataStart + offset);
    },
    read<T extends Chunk>(offset: number, n: number, Ctor: ChunkCtor<T>, what: string): T {
      return readLE(this.bytesOf(offset, n * Ctor.BYTES_PER_ELEMENT, what), 0, n, Ctor);
    },
  };
}

/**
 * Strict UTF-8 decoding of a header. Headers are nearly always ASCII, which String.fromCharCode turns into a string
 * directly: Node sets TextDecoder up on first use, a few tenths of a ms of a cold start.
 */
function utf8(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length && ascii; i++) ascii = b[i] < 0x80;
  if (!ascii) return new TextDecoder('utf-8', { fatal: true }).decode(b);
  let s = '';
  for (let i = 0; i < b.length; i += 8192)
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
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
