// permute_forward (wasm) against its twin and against plain index arithmetic: every permutation of rank 2 and 3
// and all of rank 4 over shapes sweeping 1..9 (the 4x4 tiles' edges), with the arguments the layer passes
// (permuteArgs: merged, size-1 axes dropped) and raw ones (every tile position, no contiguous axis at all).
import { describe, expect, it } from 'vitest';
import { permuteArgs } from '../../src/layers/permute.js';
import { permute_forward } from '../../src/reference/permute.js';
import { rng } from '../helpers/check.js';
import { loadRaw } from '../helpers/wasm.js';

const raw = loadRaw();

/** Every ordering of 0..n−1. */
function perms(n: number): number[][] {
  if (n === 1) return [[0]];
  return perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** m samples of `shape` with output axis i = input axis perm[i], by decomposing each output index. */
function expected(x: Float32Array, m: number, shape: number[], perm: number[]): Float32Array {
  const out = perm.map((p) => shape[p]);
  const stride = shape.map((_, k) => size(shape.slice(k + 1)));
  const n = size(shape);
  const y = new Float32Array(m * n);
  for (let o = 0; o < n; o++) {
    let rest = o;
    let src = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      src += (rest % out[i]) * stride[perm[i]];
      rest = Math.floor(rest / out[i]);
    }
    for (let b = 0; b < m; b++) y[b * n + o] = x[b * n + src];
  }
  return y;
}

/** Distinct values (the sample index and position), so any misplaced value shows. */
const iota = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i + 0.5);

/**
 * Runs the kernel on wasm and the twin with the same arguments (y has 7 sentinel floats past the end, which must
 * stay); returns the two outputs. Data movement: both must be bit-identical.
 */
function both(x: Float32Array, m: number, args: number[]): { wasm: Float32Array; twin: Float32Array } {
  const n = m * size(args.slice(0, 4));
  raw.reset();
  const px = raw.put(x);
  const py = raw.put(new Float32Array(n + 7).fill(-7));
  raw.k.permute_forward(py, px, m, ...(args as [number, number, number, number, number, number, number, number]));
  const wasm = raw.f32(py, n + 7);
  if (!wasm.subarray(n).every((v) => v === -7))
    expect(Array.from(wasm.subarray(n)), 'nothing written past the output').toEqual(new Array(7).fill(-7));
  const after = raw.f32(px, x.length);
  if (!sameBits(after, x)) expect(after, 'input untouched').toEqual(x);
  const twin = new Float32Array(n);
  permute_forward(twin, x, m, ...(args as [number, number, number, number, number, number, number, number]));
  return { wasm: wasm.subarray(0, n), twin };
}

/** Bit-identical (NaN payloads included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const v = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return u.length === v.length && u.every((w, i) => w === v[i]);
}

/** The arguments without any merging: every output axis with its input stride, padded in front to 4. */
function plainArgs(shape: number[], perm: number[]): number[] {
  const stride = shape.map((_, k) => size(shape.slice(k + 1)));
  const d = [...new Array(4 - perm.length).fill(1), ...perm.map((p) => shape[p])];
  const s = [...new Array(4 - perm.length).fill(0), ...perm.map((p) => stride[p])];
  return [...d, ...s];
}

function check(shape: number[], perm: number[], m: number, plain = false): void {
  const n = size(shape);
  const x = iota(m * n);
  const args = plain ? plainArgs(shape, perm) : permuteArgs(shape, perm);
  const r = both(x, m, args);
  const e = expected(x, m, shape, perm);
  // Only a mismatch goes through expect (it names the first differing index); thousands of cases run here.
  const what = (): string => `shape [${shape}] perm [${perm}] m=${m} args [${args}]`;
  if (!sameBits(r.twin, e)) expect(r.twin, `twin ${what()}`).toEqual(e);
  if (!sameBits(r.wasm, e)) expect(r.wasm, `wasm ${what()}`).toEqual(e);
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9];

describe('permute_forward', () => {
  it('rank 2: both permutations, every size 1..9 by 1..9, 1 and 3 samples', () => {
    for (const perm of perms(2)) {
      for (let a = 1; a <= 9; a++) for (let b = 1; b <= 9; b++) for (const m of [1, 3]) check([a, b], perm, m);
    }
  });

  it('rank 3: every permutation over sizes 1, 2, 3, 4, 5, 7, 8, 9 in each axis', () => {
    for (const perm of perms(3)) {
      for (const a of SIZES) for (const b of SIZES) for (const c of SIZES) check([a, b, c], perm, 2);
    }
  });

  it('rank 4: every permutation over shapes drawn from 1..9 (and a longer batch)', () => {
    const r = rng(4);
    const pick = (): number => 1 + Math.floor(r() * 9);
    for (const perm of perms(4)) {
      for (let t = 0; t < 12; t++) check([pick(), pick(), pick(), pick()], perm, 1 + (t % 3));
      check([5, 4, 9, 8], perm, 5);
    }
  });

  it('without merging: the tile along each output axis, and no contiguous axis at all', () => {
    // Rank 4 unmerged puts the stride-1 axis at every output position; size-1 axes leave none.
    for (const perm of perms(4))
      for (const shape of [
        [3, 9, 5, 8],
        [4, 8, 4, 4],
        [2, 1, 7, 9],
        [9, 5, 1, 1],
      ])
        check(shape, perm, 2, true);
    // Strides with no 1 among them (the scalar path): every other value of a wider row.
    const x = iota(160);
    const r = both(x, 2, [1, 2, 4, 5, 0, 2, 32, 4]); // 40 values a sample, read from up to offset 40 + 2 + 96 + 16
    const e = new Float32Array(80);
    for (let b = 0, o = 0; b < 2; b++)
      for (let i1 = 0; i1 < 2; i1++)
        for (let i2 = 0; i2 < 4; i2++) for (let i3 = 0; i3 < 5; i3++) e[o++] = x[b * 40 + i1 * 2 + i2 * 32 + i3 * 4];
    expect(r.twin).toEqual(e);
    expect(r.wasm).toEqual(e);
  });

  it('moves bits: NaN payloads, -0, subnormals and infinities unchanged', () => {
    const shape = [5, 9, 4];
    const n = size(shape);
    const bits = new Uint32Array(n);
    const special = [0x7fc00001, 0xffa00000, 0x80000000, 0x00000001, 0x7f800000, 0xff800000];
    for (let i = 0; i < n; i++) bits[i] = i % 7 === 0 ? special[(i / 7) % special.length] : 0x3f800000 + i;
    const x = new Float32Array(bits.buffer);
    for (const perm of perms(3)) {
      const r = both(x, 1, permuteArgs(shape, perm));
      const e = expected(x, 1, shape, perm);
      expect(new Uint32Array(r.wasm.slice().buffer), `perm [${perm}]`).toEqual(new Uint32Array(e.buffer));
      expect(new Uint32Array(r.twin.buffer), `perm [${perm}]`).toEqual(new Uint32Array(e.buffer));
    }
  });

  it('the layer arguments: fewest, longest axes (NCHW → NHWC is one transpose; a kept last axis is a copy)', () => {
    expect(permuteArgs([3, 5, 7], [1, 2, 0])).toEqual([1, 1, 35, 3, 0, 0, 1, 35]);
    expect(permuteArgs([5, 7, 3], [2, 0, 1])).toEqual([1, 1, 3, 35, 0, 0, 1, 3]);
    expect(permuteArgs([4, 1, 6], [1, 0, 2])).toEqual([1, 1, 1, 24, 0, 0, 0, 1]);
    expect(permuteArgs([2, 3, 4, 5], [1, 0, 2, 3])).toEqual([1, 3, 2, 20, 0, 20, 60, 1]);
    expect(permuteArgs([1, 1], [1, 0])).toEqual([1, 1, 1, 1, 0, 0, 0, 1]);
  });
});
