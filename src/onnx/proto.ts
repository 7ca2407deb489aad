// A small protobuf wire-format reader and writer, enough for ONNX's messages (src/onnx/codec.ts walks the schema).
//
// Why our own and not protobufjs: the part of protobuf ONNX needs (varints, fixed32/64, length-delimited fields,
// packed repeated scalars) is this file, ~6 KB minified (with codec.ts's schema walk, ~25 KB, 8 KB gzipped),
// against protobufjs' 100+ KB (plus a .proto parser or generated code) and its cold start; simdnet has zero
// runtime dependencies and keeps it so. Reading a hostile file
// must be safe too, which is easier to guarantee in code we own: every declared length is checked against the bytes
// left before anything is allocated, nesting is bounded, and every malformation is a SimdnetError('FORMAT').
//
// Integers: protobuf int64 arrives here as a JS number and is refused past ±2^53 (ONNX dims, attribute ints and
// int64 tensors stay far below in practice). A negative int64 (or int32/enum) is a 10-byte two's-complement varint;
// ONNX uses no zigzag (sint*) fields, so none is implemented.

import { SimdnetError } from '../errors.js';

/** Protobuf wire types. 3 and 4 are the deprecated groups, refused. */
export const Wire = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5,
} as const;

/** How deep messages may nest before a file is refused (ONNX's deepest path we read is ~8). */
export const MAX_DEPTH = 32;

const TWO32 = 4294967296;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function formatError(message: string): SimdnetError {
  return new SimdnetError('FORMAT', message);
}

/** The exact value of a 64-bit two's-complement pair, for error messages only. */
function int64Text(lo: number, hi: number): string {
  return BigInt.asIntN(64, (BigInt(hi >>> 0) << BigInt(32)) | BigInt(lo >>> 0)).toString();
}

/**
 * Reads protobuf fields from `buf[start, end)`. A nested message is a new Reader over the same bytes (no copy).
 * Byte offsets in errors are absolute offsets into the whole buffer.
 */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly depth: number;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length, depth = 0) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.depth = depth;
  }

  /** True when every byte of this message has been read. */
  done(): boolean {
    return this.pos >= this.end;
  }

  /** Bytes left in this message. */
  left(): number {
    return this.end - this.pos;
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** High 32 bits of the last varint read. */
  private hi = 0;
  /** Wire type of the last tag read. */
  wire = 0;

  /**
   * Reads a varint: returns its low 32 bits and leaves the high 32 in `hi`. At most 10 bytes; the 10th may only
   * carry bit 63.
   */
  private varint64(): number {
    const buf = this.buf;
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    // Bytes 0..3: 28 bits of the low word.
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) throw formatError(`truncated varint at byte ${start}`);
      b = buf[this.pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.hi = 0;
        return lo >>> 0;
      }
    }
    // Byte 4: 4 more low bits, 3 high bits.
    if (this.pos >= this.end) throw formatError(`truncated varint at byte ${start}`);
    b = buf[this.pos++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      // Bytes 5..9: 7 high bits each (the 10th holds bit 63 only).
      for (let shift = 3; ; shift += 7) {
        if (this.pos >= this.end) throw formatError(`truncated varint at byte ${start}`);
        b = buf[this.pos++];
        if (shift === 31) {
          if (b > 1) throw formatError(`varint longer than 64 bits at byte ${start}`);
          hi |= b << 31;
          break;
        }
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** A varint that must fit in 32 unsigned bits (tags, lengths). */
  uint32(): number {
    const start = this.pos;
    const lo = this.varint64();
    if (this.hi !== 0) throw formatError(`varint at byte ${start} exceeds 32 bits`);
    return lo;
  }

  /** A signed int64 as a JS number; refused past ±2^53 (the exact value is in the message). */
  int64(): number {
    const start = this.pos;
    const lo = this.varint64();
    const hi = this.hi;
    const v = (hi | 0) * TWO32 + lo;
    if (!Number.isSafeInteger(v)) {
      throw formatError(
        `int64 value ${int64Text(lo, hi)} at byte ${start} is beyond ±2^53, which simdnet cannot represent exactly`,
      );
    }
    return v;
  }

  /** int32 and enum fields: the varint's low 32 bits, two's complement (as protobuf does). */
  int32(): number {
    return this.varint64() | 0;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw formatError(`${what} at byte ${this.pos} needs ${n} bytes but only ${this.end - this.pos} are left`);
    }
  }

  /** fixed32 as an IEEE float. */
  float(): number {
    this.need(4, 'float');
    const v = this.dv().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** fixed64 as an IEEE double. */
  double(): number {
    this.need(8, 'double');
    const v = this.dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix, checked against the bytes left in this message before anything uses it. */
  length(): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > this.end - this.pos) {
      throw formatError(`length ${n} at byte ${at} exceeds the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** Length-delimited bytes as a view into the buffer (copy it to keep it independent). */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * A length-delimited UTF-8 string. Invalid UTF-8 is refused (names must survive a round trip), unless `lenient`
   * (free text such as doc strings, which proto2 writers do not validate): then it is replaced with U+FFFD.
   */
  string(lenient = false): string {
    const at = this.pos;
    const n = this.length();
    // Names are short ASCII: decode them here (TextDecoder's per-call cost would dominate a model's decode).
    if (n <= 32) {
      const buf = this.buf;
      let s = '';
      let i = this.pos;
      const end = i + n;
      for (; i < end && buf[i] < 0x80; i++) s += String.fromCharCode(buf[i]);
      if (i === end) {
        this.pos = end;
        return s;
      }
    }
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    if (lenient) return utf8Lenient.decode(b);
    try {
      return utf8.decode(b);
    } catch {
      throw formatError(`invalid UTF-8 in the string at byte ${at}`);
    }
  }

  /** A nested message: a Reader over its bytes, one level deeper. */
  message(): Reader {
    const n = this.length();
    if (this.depth + 1 > MAX_DEPTH)
      throw formatError(`messages nested deeper than ${MAX_DEPTH} levels at byte ${this.pos}`);
    const sub = new Reader(this.buf, this.pos, this.pos + n, this.depth + 1);
    this.pos += n;
    return sub;
  }

  /** Reads a tag: returns the field number and sets `wire`. Field 0 and unknown wire types are refused. */
  tag(): number {
    const at = this.pos;
    const t = this.uint32();
    const field = t >>> 3;
    const wire = t & 7;
    if (field === 0) throw formatError(`field number 0 at byte ${at} (not a protobuf message, or corrupt)`);
    if (wire === Wire.SGROUP || wire === Wire.EGROUP) {
      throw formatError(
        `field ${field} at byte ${at} uses the deprecated group encoding, which ONNX never writes (not an ONNX file, or corrupt)`,
      );
    }
    if (wire > 5) throw formatError(`invalid wire type ${wire} for field ${field} at byte ${at}`);
    this.wire = wire;
    return field;
  }

  /** Skips the value of a field of wire type `wire` (an unknown field). */
  skip(wire: number): void {
    switch (wire) {
      case Wire.VARINT:
        this.varint64();
        return;
      case Wire.I64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case Wire.LEN: {
        const n = this.length();
        this.pos += n;
        return;
      }
      case Wire.I32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      default:
        throw formatError(`cannot skip wire type ${wire} at byte ${this.pos}`);
    }
  }

  /** Refuses a known field found with the wrong wire type. */
  expect(field: number, wire: number, want: number): void {
    if (wire !== want) {
      throw formatError(`field ${field} at byte ${this.pos} has wire type ${wire}, expected ${want}`);
    }
  }

  /**
   * Appends a repeated scalar to `out`, accepting both encodings: packed (one LEN field holding all values) and
   * unpacked (one field per value; older exporters and proto2 fields without [packed=true] write this).
   * `kind` is the scalar's wire type: VARINT (int64/int32 per `int32`), I32 (float) or I64 (double).
   */
  repeated(field: number, wire: number, kind: 'int64' | 'int32' | 'float' | 'double', out: number[]): void {
    const elemWire = kind === 'float' ? Wire.I32 : kind === 'double' ? Wire.I64 : Wire.VARINT;
    if (wire === elemWire) {
      out.push(this.scalar(kind));
      return;
    }
    if (wire !== Wire.LEN) {
      throw formatError(
        `repeated field ${field} at byte ${this.pos} has wire type ${wire}, expected ${elemWire} or packed (2)`,
      );
    }
    const n = this.length();
    const end = this.pos + n;
    if (kind === 'float' || kind === 'double') {
      const size = kind === 'float' ? 4 : 8;
      if (n % size !== 0)
        throw formatError(
          `packed ${kind}s of field ${field} at byte ${this.pos}: ${n} bytes is not a multiple of ${size}`,
        );
      const dv = this.dv();
      for (let p = this.pos; p < end; p += size) out.push(size === 4 ? dv.getFloat32(p, true) : dv.getFloat64(p, true));
      this.pos = end;
      return;
    }
    // Varints: read within the packed run only (a varint may not straddle its end).
    const sub = new Reader(this.buf, this.pos, end, this.depth);
    while (!sub.done()) out.push(kind === 'int64' ? sub.int64() : sub.int32());
    this.pos = end;
  }

  private scalar(kind: 'int64' | 'int32' | 'float' | 'double'): number {
    switch (kind) {
      case 'int64':
        return this.int64();
      case 'int32':
        return this.int32();
      case 'float':
        return this.float();
      default:
        return this.double();
    }
  }
}

/**
 * Writes protobuf fields into one growing buffer. A nested message's length is not known until its fields are
 * written, so one byte is reserved for it and, when the length needs more, the message is moved up by the extra
 * bytes (a memmove; per nesting level, so a model's raw tensor data moves ~3 times — far cheaper than the small
 * buffers and chunk lists a fork/join writer allocates per message, which made GC dominate encoding).
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes (at least doubling, so appends stay amortized O(1)). */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** An unsigned varint from a 64-bit pair. */
  private rawVarint(lo: number, hi: number): void {
    this.reserve(10);
    const buf = this.buf;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0 || lo > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  /** A non-negative 32-bit varint (tags, lengths). */
  private rawUint32(v: number): void {
    this.rawVarint(v >>> 0, 0);
  }

  /** A signed integer as a 64-bit two's-complement varint (int64, int32 and enum fields). */
  private rawInt64(v: number): void {
    if (!Number.isSafeInteger(v)) {
      throw new SimdnetError('RANGE', `cannot write ${v} as an int64: not an integer within ±2^53`);
    }
    const hi = Math.floor(v / TWO32);
    const lo = v - hi * TWO32;
    this.rawVarint(lo, hi);
  }

  tag(field: number, wire: number): void {
    this.rawUint32(((field << 3) | wire) >>> 0);
  }

  /** An int64/int32/enum field (negative values take 10 bytes, as protobuf writes them). */
  int64(field: number, v: number): void {
    this.tag(field, Wire.VARINT);
    this.rawInt64(v);
  }

  float(field: number, v: number): void {
    this.tag(field, Wire.I32);
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, Wire.I64);
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Length-delimited bytes. */
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, Wire.LEN);
    this.rawUint32(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A UTF-8 string (lone surrogates become U+FFFD, as TextEncoder does). */
  string(field: number, s: string): void {
    this.tag(field, Wire.LEN);
    // Short ASCII strings (names) are copied directly; otherwise encodeInto writes in place, the length patched.
    let ascii = s.length <= 64;
    for (let i = 0; ascii && i < s.length; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.rawUint32(s.length);
      this.reserve(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
      return;
    }
    this.delimited(() => {
      this.reserve(s.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
      this.pos += utf8Encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
    });
  }

  /** Writes `body` after a length prefix, patching the prefix (1 byte reserved) once the length is known. */
  private delimited(body: () => void): void {
    this.reserve(1);
    const at = this.pos++;
    body();
    const n = this.pos - at - 1;
    if (n < 0x80) {
      this.buf[at] = n;
      return;
    }
    let size = 1;
    for (let v = n >>> 7; v > 0; v >>>= 7) size++;
    this.reserve(size - 1);
    this.buf.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let v = n;
    for (let i = 0; i < size - 1; i++, v >>>= 7) this.buf[at + i] = (v & 0x7f) | 0x80;
    this.buf[at + size - 1] = v;
  }

  /** A nested message: `write` writes its fields, which follow the tag and the length. */
  message(field: number, write: (w: Writer) => void): void {
    this.tag(field, Wire.LEN);
    this.delimited(() => write(this));
  }

  /** Repeated int64 (or int32) values, unpacked: one field per value (proto2 fields without [packed=true]). */
  repeatedInt64(field: number, values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.int64(field, values[i]);
  }

  /** Repeated floats, unpacked. */
  repeatedFloat(field: number, values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.float(field, values[i]);
  }

  /** Packed repeated int64 (or int32) values; nothing is written for an empty list. */
  packedInt64(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    this.tag(field, Wire.LEN);
    this.delimited(() => {
      for (let i = 0; i < values.length; i++) this.rawInt64(values[i]);
    });
  }

  /** Packed repeated floats (fixed32). */
  packedFloat(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    this.tag(field, Wire.LEN);
    this.rawUint32(values.length * 4);
    this.reserve(values.length * 4);
    for (let i = 0; i < values.length; i++, this.pos += 4) this.view.setFloat32(this.pos, values[i], true);
  }

  /** Packed repeated doubles (fixed64). */
  packedDouble(field: number, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    this.tag(field, Wire.LEN);
    this.rawUint32(values.length * 8);
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++, this.pos += 8) this.view.setFloat64(this.pos, values[i], true);
  }

  /** The bytes written (a copy trimmed to size when the buffer is much larger). */
  finish(): Uint8Array {
    return this.buf.length > this.pos + (this.pos >> 3) + 64
      ? this.buf.slice(0, this.pos)
      : this.buf.subarray(0, this.pos);
  }
}
