// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zip and PNG: catches corrupt bytes.
let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/**
 * CRC-32 of bytes[start, end), continuing `crc` (the CRC of whatever came before; 0 for nothing), so a file's
 * checksum can be taken in pieces: crc32(b, m, n, crc32(b, 0, m)) === crc32(b, 0, n).
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = (table ??= makeTable());
  let c = ~crc;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
