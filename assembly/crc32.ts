// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: zip, PNG) for the model file checksum. In wasm because the
// host would run it as cold JavaScript when a process starts (several ms for a 400 KB model); here it is one table
// lookup per byte. The 1 KB table is filled on first use.
const TABLE: usize = memory.data(1024, 16);
let tableReady = false;

function fillTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(TABLE + (<usize>n << 2), c);
  }
  tableReady = true;
}

// crc (returned; the JS side sees it as a signed i32) = CRC-32 of src (n bytes).
export function crc32_bytes(src: usize, n: i32): u32 {
  if (!tableReady) fillTable();
  let c: u32 = 0xffffffff;
  const end = src + <usize>n;
  for (let p = src; p < end; p++) c = load<u32>(TABLE + (<usize>((c ^ <u32>load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
  return c ^ 0xffffffff;
}
