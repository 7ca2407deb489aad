// Twin of assembly/crc32.ts (same name and arguments, a typed array for the pointer): the checksum of io/crc32.ts,
// returned as a signed i32 as the wasm export reaches JS.
import { crc32 } from '../io/crc32.js';

/** CRC-32 (IEEE) of src[0, n), as a signed i32 (`>>> 0` for the usual unsigned value). */
export function crc32_bytes(src: Uint8Array, n: number): number {
  return crc32(src, 0, n) | 0;
}
