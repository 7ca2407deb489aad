// XXH32 (xxHash's 32-bit hash, seed 0: the content checksum of the LZ4 frame format), the checksum of simdnet files
// from version 2 on. Streaming over a 48-byte state laid out as assembly/xxh32.ts lays it out in wasm memory:
// [0,16) accumulators v1..v4 · [16,32) bytes not yet in a 16-byte stripe · 32 their count · 36 total length
// mod 2^32 · 40 1 once 16 bytes or more were fed · 44 seed (u32 little-endian).

export const XXH32_STATE_BYTES = 48;

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (acc: number, input: number): number => Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);
const view = (state: Uint8Array): DataView => new DataView(state.buffer, state.byteOffset, XXH32_STATE_BYTES);

/** Starts a hash with `seed` in `state` (48 bytes). */
export function xxh32Reset(state: Uint8Array, seed = 0): void {
  const s = view(state);
  s.setUint32(0, (seed + P1 + P2) >>> 0, true);
  s.setUint32(4, (seed + P2) >>> 0, true);
  s.setUint32(8, seed >>> 0, true);
  s.setUint32(12, (seed - P1) >>> 0, true);
  for (let o = 32; o < 44; o += 4) s.setUint32(o, 0, true);
  s.setUint32(44, seed >>> 0, true);
}

/** Feeds bytes[start, end) to the hash in `state`. */
export function xxh32Update(state: Uint8Array, bytes: Uint8Array, start = 0, end = bytes.length): void {
  const s = view(state);
  const n = end - start;
  const total = (s.getUint32(36, true) + n) >>> 0;
  s.setUint32(36, total, true);
  if (n >= 16 || total >= 16) s.setUint32(40, 1, true);
  const pending = s.getUint32(32, true);
  if (pending + n < 16) {
    state.set(bytes.subarray(start, end), 16 + pending);
    s.setUint32(32, pending + n, true);
    return;
  }
  let v1 = s.getUint32(0, true);
  let v2 = s.getUint32(4, true);
  let v3 = s.getUint32(8, true);
  let v4 = s.getUint32(12, true);
  let p = start;
  if (pending > 0) {
    state.set(bytes.subarray(p, p + 16 - pending), 16 + pending);
    p += 16 - pending;
    v1 = round(v1, s.getUint32(16, true));
    v2 = round(v2, s.getUint32(20, true));
    v3 = round(v3, s.getUint32(24, true));
    v4 = round(v4, s.getUint32(28, true));
  }
  const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (; p + 16 <= end; p += 16) {
    v1 = round(v1, d.getUint32(p, true));
    v2 = round(v2, d.getUint32(p + 4, true));
    v3 = round(v3, d.getUint32(p + 8, true));
    v4 = round(v4, d.getUint32(p + 12, true));
  }
  state.set(bytes.subarray(p, end), 16);
  s.setUint32(32, end - p, true);
  s.setUint32(0, v1 >>> 0, true);
  s.setUint32(4, v2 >>> 0, true);
  s.setUint32(8, v3 >>> 0, true);
  s.setUint32(12, v4 >>> 0, true);
}

/** The XXH32 (unsigned) of everything fed since the reset; `state` is left as it was. */
export function xxh32Digest(state: Uint8Array): number {
  const s = view(state);
  let h = s.getUint32(40, true)
    ? (rotl(s.getUint32(0, true), 1) +
        rotl(s.getUint32(4, true), 7) +
        rotl(s.getUint32(8, true), 12) +
        rotl(s.getUint32(12, true), 18)) |
      0
    : (s.getUint32(44, true) + P5) | 0;
  h = (h + s.getUint32(36, true)) | 0;
  const end = 16 + s.getUint32(32, true);
  let p = 16;
  for (; p + 4 <= end; p += 4) h = Math.imul(rotl((h + Math.imul(s.getUint32(p, true), P3)) | 0, 17), P4);
  for (; p < end; p++) h = Math.imul(rotl((h + Math.imul(state[p], P5)) | 0, 11), P1);
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** XXH32 (unsigned) of bytes[start, end) with `seed`. */
export function xxh32(bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number {
  const state = new Uint8Array(XXH32_STATE_BYTES);
  xxh32Reset(state, seed);
  xxh32Update(state, bytes, start, end);
  return xxh32Digest(state);
}
