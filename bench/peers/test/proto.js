// An independent, minimal protobuf reader for the tests: decodes a message into { field: [values] } where a
// value is a number (varint), a Uint8Array (length-delimited) or a float (fixed32).
export function decode(bytes) {
  const out = {};
  let i = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[i++];
      if (b === undefined) throw new Error('truncated varint');
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let v;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const n = varint();
      if (i + n > bytes.length) throw new Error('truncated bytes');
      v = bytes.subarray(i, i + n);
      i += n;
    } else if (wire === 5) {
      v = new DataView(bytes.buffer, bytes.byteOffset + i, 4).getFloat32(0, true);
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    (out[field] ??= []).push(v);
  }
  return out;
}

export const str = (u8) => new TextDecoder().decode(u8);
