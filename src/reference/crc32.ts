// Twin of assembly/crc32.ts (same name and arguments, a typed array for the pointer): the checksum of io/crc32.ts,
// returned as a signed i32 as the wasm export reaches JS.
import { crc32 } from '../io/crc32.js';

/** CRC-32 (IEEE) of the bytes before src (whose CRC is `crc`) followed by src[0, n), as a signed i32. */
export function crc32_update(crc: number, src: Uint8Array, n: number): number {
  return crc32(src, 0, n, crc >>> 0) | 0;
}
