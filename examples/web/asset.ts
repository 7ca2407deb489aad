/**
 * The page's MNIST asset (written by build.mjs from the `mnist` package, fetched by the worker), little-endian:
 *
 *   0   4   magic "MNS1"
 *   4   4   N, the number of images
 *   8   40  ten u32 counts: images of digit 0, 1, …, 9 (in that order in the pixel block)
 *   48  N·784 u8 pixels (round(value · 255); the package stores value = byte / 255 to 3 decimals)
 *
 * 7.8 MB for the 10,000 digits, versus ~21 MB of JSON.
 */
export const MNIST_ASSET_MAGIC = 'MNS1';

/** The ten per-digit pixel arrays (values in [0, 1]) of an asset, as mnistFromDigitArrays takes them. */
export function decodeMnistAsset(buf: ArrayBuffer): Float32Array[] {
  const bytes = new Uint8Array(buf);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MNIST_ASSET_MAGIC) throw new Error(`mnist.bin: wrong magic '${magic}'`);
  const dv = new DataView(buf);
  const n = dv.getUint32(4, true);
  if (bytes.length !== 48 + n * 784) throw new Error(`mnist.bin: ${bytes.length} bytes, expected ${48 + n * 784}`);
  const out: Float32Array[] = [];
  let at = 48;
  for (let d = 0; d < 10; d++) {
    const count = dv.getUint32(8 + 4 * d, true);
    const px = new Float32Array(count * 784);
    const src = bytes.subarray(at, at + count * 784);
    for (let i = 0; i < px.length; i++) px[i] = src[i] / 255;
    out.push(px);
    at += count * 784;
  }
  return out;
}
