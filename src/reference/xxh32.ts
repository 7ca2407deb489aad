// Twins of assembly/xxh32.ts (same names and arguments, typed arrays for the pointers): the hash of io/xxh32.ts
// over the same 48-byte state layout; the digest as a signed i32, as the wasm export reaches JS.
import { xxh32Digest, xxh32Reset, xxh32Update } from '../io/xxh32.js';

/** Starts an XXH32 with `seed` in `state` (48 bytes). */
export function xxh32_reset(state: Uint8Array, seed: number): void {
  xxh32Reset(state, seed);
}

/** Feeds src[0, n) to the XXH32 in `state`. */
export function xxh32_update(state: Uint8Array, src: Uint8Array, n: number): void {
  xxh32Update(state, src, 0, n);
}

/** The XXH32 of everything fed since the reset, as a signed i32. */
export function xxh32_digest(state: Uint8Array): number {
  return xxh32Digest(state) | 0;
}
