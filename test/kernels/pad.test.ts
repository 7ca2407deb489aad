// zero_pad2d_forward and crop2d_backward (wasm) against their twins and plain index arithmetic: pads 0..3 on each
// side, h and w 1..6, c 1..9, 1 and 2 samples. y starts full of sentinels (every float must be overwritten) with
// sentinels before and after it (nothing written outside), and the input stays as it was.
import { describe, expect, it } from 'vitest';
import { crop2d_backward, zero_pad2d_forward } from '../../src/reference/pad.js';
import { loadRaw } from '../helpers/wasm.js';

const raw = loadRaw();
const GUARD = 5;
const SENTINEL = -7.25;

const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i + 0.5);

type Dims = [number, number, number, number, number, number, number, number]; // m h w c t b l r

function expectedPad([m, h, w, c, t, b, l, r]: Dims, x: Float32Array): Float32Array {
  const oh = h + t + b;
  const ow = w + l + r;
  const y = new Float32Array(m * oh * ow * c);
  for (let q = 0; q < m; q++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const inside = i >= t && i < t + h && j >= l && j < l + w;
        for (let k = 0; k < c; k++)
          y[((q * oh + i) * ow + j) * c + k] = inside ? x[((q * h + i - t) * w + j - l) * c + k] : 0;
      }
    }
  }
  return y;
}

function expectedCrop([m, h, w, c, t, b, l, r]: Dims, dy: Float32Array): Float32Array {
  const oh = h + t + b;
  const ow = w + l + r;
  const dx = new Float32Array(m * h * w * c);
  for (let q = 0; q < m; q++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++) dx[((q * h + i) * w + j) * c + k] = dy[((q * oh + i + t) * ow + j + l) * c + k];
    }
  }
  return dx;
}

/** Runs one kernel on wasm into a sentinel-filled buffer with guards either side; returns the output. */
function runWasm(
  name: 'zero_pad2d_forward' | 'crop2d_backward',
  outLen: number,
  input: Float32Array,
  d: Dims,
  what: string,
): Float32Array {
  raw.reset();
  const px = raw.put(input);
  const buf = raw.put(new Float32Array(outLen + 2 * GUARD).fill(SENTINEL));
  const py = buf + GUARD * 4;
  raw.k[name](py, px, ...d);
  const all = raw.f32(buf, outLen + 2 * GUARD);
  const guards = [...all.subarray(0, GUARD), ...all.subarray(GUARD + outLen)];
  if (!guards.every((v) => v === SENTINEL))
    expect(guards, `${what}: nothing written outside the output`).toEqual(new Array(2 * GUARD).fill(SENTINEL));
  const after = raw.f32(px, input.length);
  if (!after.every((v, i) => Object.is(v, input[i]))) expect(after, `${what}: input untouched`).toEqual(input);
  return all.slice(GUARD, GUARD + outLen);
}

function check(d: Dims): void {
  const [m, h, w, c, t, b, l, r] = d;
  const nIn = m * h * w * c;
  const nOut = m * (h + t + b) * (w + l + r) * c;
  const what = `m=${m} h=${h} w=${w} c=${c} pads ${t},${b},${l},${r}`;
  // Forward: from sentinels, so a float the kernel forgets shows.
  const x = iota(nIn);
  const e = expectedPad(d, x);
  const twin = new Float32Array(nOut).fill(SENTINEL);
  zero_pad2d_forward(twin, x, ...d);
  if (!twin.every((v, i) => v === e[i])) expect(twin, `twin forward ${what}`).toEqual(e);
  const wasm = runWasm('zero_pad2d_forward', nOut, x, d, `forward ${what}`);
  if (!wasm.every((v, i) => v === e[i])) expect(wasm, `wasm forward ${what}`).toEqual(e);
  // Backward: the interior of a gradient whose border holds values too (they must not leak in).
  const dy = iota(nOut);
  const ec = expectedCrop(d, dy);
  const twinDx = new Float32Array(nIn).fill(SENTINEL);
  crop2d_backward(twinDx, dy, ...d);
  if (!twinDx.every((v, i) => v === ec[i])) expect(twinDx, `twin backward ${what}`).toEqual(ec);
  const wasmDx = runWasm('crop2d_backward', nIn, dy, d, `backward ${what}`);
  if (!wasmDx.every((v, i) => v === ec[i])) expect(wasmDx, `wasm backward ${what}`).toEqual(ec);
}

describe('zero_pad2d_forward / crop2d_backward', () => {
  it('pads 0..3 on every side over h, w 1..6 and c 1..9 (wasm = twin = index arithmetic)', () => {
    let cases = 0;
    for (let t = 0; t <= 3; t++) {
      for (let b = 0; b <= 3; b++) {
        for (let l = 0; l <= 3; l++) {
          for (let r = 0; r <= 3; r++) {
            // Every pad combination over a spread of map sizes; h, w and c each sweep their whole range.
            for (let s = 0; s < 6; s++) {
              const h = 1 + ((s + t + 2 * l) % 6);
              const w = 1 + ((s * 5 + b + 3 * r) % 6);
              const c = 1 + ((s * 4 + t + b + l + r) % 9);
              check([1 + (s % 2), h, w, c, t, b, l, r]);
              cases++;
            }
          }
        }
      }
    }
    expect(cases).toBe(256 * 6);
  });

  it('every h, w in 1..6 and c in 1..9 at pads (1, 2, 0, 3) and (3, 0, 2, 1), three samples', () => {
    for (let h = 1; h <= 6; h++)
      for (let w = 1; w <= 6; w++)
        for (let c = 1; c <= 9; c++) {
          check([3, h, w, c, 1, 2, 0, 3]);
          check([3, h, w, c, 3, 0, 2, 1]);
        }
  });

  it('moves bits: NaN payloads, -0 and infinities pass through; the border is +0', () => {
    const bits = Uint32Array.from([0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000]);
    const x = new Float32Array(bits.buffer); // 1 sample of 2x1x3
    const d: Dims = [1, 2, 1, 3, 1, 0, 0, 1];
    const y = runWasm('zero_pad2d_forward', 3 * 2 * 3, x, d, 'bits');
    const u = new Uint32Array(y.buffer);
    expect(Array.from(u)).toEqual([
      0, 0, 0, 0, 0, 0, 0x7fc00001, 0x80000000, 0x7f800000, 0, 0, 0, 0xff800000, 0x00000001, 0x3f800000, 0, 0, 0,
    ]);
  });
});
