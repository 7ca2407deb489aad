// XXH32 (xxHash, 32-bit; the content checksum of the LZ4 frame format) for simdnet files. Its four accumulators
// are the four lanes of one i32x4, so a 16-byte stripe is one vector round: V8 runs it fast in its baseline
// compiler, and hashing up to ~480 KB (measured; the 398 KB MNIST model of the cold-start bench) stays below the
// work that makes V8 (11.3) optimize the function on a background thread: an optimizing compile still running when
// a short program ends holds up its exit by ms. Larger files tier it up, which then also makes it faster.
// Streaming, as in the reference: a 48-byte state in memory, fed in pieces of any length.
//
// state (16-byte aligned): [0,16) accumulators v1..v4 · [16,32) bytes not yet in a stripe · +32 u32 how many ·
// +36 u32 total length mod 2^32 · +40 u32 1 once 16 bytes or more were fed · +44 u32 seed.

const P1: u32 = 0x9e3779b1;
const P2: u32 = 0x85ebca77;
const P3: u32 = 0xc2b2ae3d;
const P4: u32 = 0x27d4eb2f;
const P5: u32 = 0x165667b1;

// The primes as vectors, read from memory in the loop: as constants they would be inlined into each round
// (16 bytes of code each), which V8 counts as work done toward optimizing the function.
const PRIMES: usize = memory.data<u32>([P1, P1, P1, P1, P2, P2, P2, P2]);

// @ts-ignore: decorator
@inline function round(acc: v128, p: usize, p1: v128, p2: v128): v128 {
  const a = i32x4.add(acc, i32x4.mul(v128.load(p), p2));
  return i32x4.mul(v128.or(i32x4.shl(a, 13), i32x4.shr_u(a, 19)), p1);
}

/** Starts a hash with `seed` in `state` (48 bytes). */
export function xxh32_reset(state: usize, seed: u32): void {
  store<u32>(state, seed + P1 + P2);
  store<u32>(state, seed + P2, 4);
  store<u32>(state, seed, 8);
  store<u32>(state, seed - P1, 12);
  store<u32>(state, 0, 32);
  store<u32>(state, 0, 36);
  store<u32>(state, 0, 40);
  store<u32>(state, seed, 44);
}

/** Feeds n bytes at src (any alignment, n >= 0) to the hash in `state`. */
export function xxh32_update(state: usize, src: usize, n: i32): void {
  const total = load<u32>(state, 36) + <u32>n;
  store<u32>(state, total, 36);
  if (n >= 16 || total >= 16) store<u32>(state, 1, 40);
  const pending = load<u32>(state, 32);
  if (pending + <u32>n < 16) {
    memory.copy(state + 16 + pending, src, n);
    store<u32>(state, pending + <u32>n, 32);
    return;
  }
  const p1 = v128.load(PRIMES);
  const p2 = v128.load(PRIMES, 16);
  let acc = v128.load(state);
  let p = src;
  const end = src + <usize>n;
  if (pending > 0) {
    const k = 16 - pending;
    memory.copy(state + 16 + pending, p, k);
    acc = round(acc, state + 16, p1, p2);
    p += k;
  }
  for (; p + 64 <= end; p += 64) {
    acc = round(acc, p, p1, p2);
    acc = round(acc, p + 16, p1, p2);
    acc = round(acc, p + 32, p1, p2);
    acc = round(acc, p + 48, p1, p2);
  }
  for (; p + 16 <= end; p += 16) acc = round(acc, p, p1, p2);
  memory.copy(state + 16, p, end - p);
  store<u32>(state, <u32>(end - p), 32);
  v128.store(state, acc);
}

/** The XXH32 of everything fed since the reset (JS sees a signed i32). `state` is left as it was. */
export function xxh32_digest(state: usize): u32 {
  let h: u32;
  if (load<u32>(state, 40)) {
    h = rotl<u32>(load<u32>(state), 1) + rotl<u32>(load<u32>(state, 4), 7) + rotl<u32>(load<u32>(state, 8), 12) + rotl<u32>(load<u32>(state, 12), 18);
  } else {
    h = load<u32>(state, 44) + P5;
  }
  h += load<u32>(state, 36);
  let p = state + 16;
  const end = p + <usize>load<u32>(state, 32);
  for (; p + 4 <= end; p += 4) h = rotl<u32>(h + load<u32>(p) * P3, 17) * P4;
  for (; p < end; p++) h = rotl<u32>(h + <u32>load<u8>(p) * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}
