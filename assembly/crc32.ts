// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: zip, PNG) for the simdnet file checksum. In wasm because the
// host would run it as cold JavaScript when a process starts (several ms for a 400 KB model).
// Slicing-by-4 (four tables, one u32 load per 4 bytes): a model load runs this once, in V8's baseline compiler
// (Liftoff), where it is ~2x the byte-at-a-time loop. The 4 KB of tables are filled on first use.
const TABLES: usize = memory.data(4096, 16);
let tablesReady = false;

function fillTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(TABLES + (<usize>n << 2), c);
  }
  // Table t, entry n: the CRC register after byte n and t more zero bytes.
  for (let t: usize = 1; t < 4; t++) {
    for (let n: usize = 0; n < 256; n++) {
      const prev = load<u32>(TABLES + ((t - 1) << 10) + (n << 2));
      store<u32>(TABLES + (t << 10) + (n << 2), (prev >>> 8) ^ load<u32>(TABLES + (<usize>(prev & 0xff) << 2)));
    }
  }
  tablesReady = true;
}

// @ts-ignore: decorator
@inline function entry(t: usize, b: u32): u32 {
  return load<u32>(TABLES + (t << 10) + (<usize>b << 2));
}

// crc' (returned; JS sees a signed i32) = CRC-32 of the bytes before src followed by src (n bytes), given
// crc = CRC-32 of the bytes before (0 for none): a file's checksum can be taken in pieces, in file order.
export function crc32_update(crc: u32, src: usize, n: i32): u32 {
  if (!tablesReady) fillTables();
  let c: u32 = ~crc;
  let p = src;
  const end = src + <usize>n;
  for (; p + 4 <= end; p += 4) {
    c ^= load<u32>(p); // little-endian: byte 0 in the low bits, as the reflected CRC consumes it
    c = entry(3, c & 0xff) ^ entry(2, (c >>> 8) & 0xff) ^ entry(1, (c >>> 16) & 0xff) ^ entry(0, c >>> 24);
  }
  for (; p < end; p++) c = entry(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
  return ~c;
}
