// The shipped .wasm imports a plain (non-shared) memory: workerd and other runtimes that forbid compiling at run
// time load it precompiled, and must keep working. Threads need the same code on a shared memory, whose import
// must say `shared` and carry a maximum. This derives that variant from the module's bytes at run time: the
// import section is re-encoded with the memory import's limits set to shared (flag 0x03), same minimum, maximum
// 65536 pages (any engine memory fits under it); every other byte is copied unchanged.
import { SimdnetError } from '../errors.js';

const MAX_PAGES = 65536;

function readLeb(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 5; i++) {
    v += (b[i] & 0x7f) * mul;
    if ((b[i] & 0x80) === 0) return [v, i + 1];
    mul *= 128;
  }
  throw new SimdnetError('FORMAT', `malformed LEB128 at byte ${at} of the WebAssembly module`);
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/** Skips a `name` (length-prefixed bytes). */
function skipName(b: Uint8Array, at: number): number {
  const [len, next] = readLeb(b, at);
  return next + len;
}

/** Skips limits: flag, min, and max when the flag's bit 0 is set (bit 2: 64-bit indices, same LEB form). */
function skipLimits(b: Uint8Array, at: number): number {
  const flag = b[at];
  let p = readLeb(b, at + 1)[1];
  if (flag & 1) p = readLeb(b, p)[1];
  return p;
}

/**
 * The module bytes with the imported memory shared (limits flag 0x03, its minimum, maximum 65536 pages); throws
 * FORMAT when the bytes have no memory import. The result is a new array; `bytes` is not modified.
 */
export function sharedMemoryVariant(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new SimdnetError('FORMAT', 'the given bytes are not a WebAssembly module (no \\0asm header)');
  }
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, body] = readLeb(bytes, p + 1);
    const end = body + size;
    if (id === 2) {
      // Import section: count, then (module name, field name, kind, description) per import.
      let [count, q] = readLeb(bytes, body);
      for (; count > 0; count--) {
        q = skipName(bytes, skipName(bytes, q));
        const kind = bytes[q++];
        if (kind === 0)
          q = readLeb(bytes, q)[1]; // function: type index
        else if (kind === 1)
          q = skipLimits(bytes, q + 1); // table: ref type, limits
        else if (kind === 3)
          q += 2; // global: value type, mutability
        else if (kind === 4)
          q = readLeb(bytes, q + 1)[1]; // tag: attribute, type index
        else if (kind === 2) {
          const limitsEnd = skipLimits(bytes, q);
          const min = readLeb(bytes, q + 1)[0];
          const limits = [0x03, ...leb(min), ...leb(MAX_PAGES)];
          const newBody = [...bytes.subarray(body, q), ...limits, ...bytes.subarray(limitsEnd, end)];
          const head = [2, ...leb(newBody.length)];
          const out = new Uint8Array(p + head.length + newBody.length + (bytes.length - end));
          out.set(bytes.subarray(0, p), 0);
          out.set(head, p);
          out.set(newBody, p + head.length);
          out.set(bytes.subarray(end), p + head.length + newBody.length);
          return out;
        } else break;
      }
    }
    p = end;
  }
  throw new SimdnetError('FORMAT', 'the WebAssembly module imports no memory: it is not simdnet.wasm');
}
