// Small real models and their saved files, for the loader tests and the loader fuzz: a float MLP and CNN, their
// quantized forms (static and dynamic int8, f16, mixed) and sparse forms; plus helpers to rewrite a file's header
// or data and seal it again (src/io/container.ts: the checksum covers every byte before the last 4).
import { expect } from 'vitest';
import {
  activation,
  averagePooling2d,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  flatten,
  maxPooling2d,
  permute,
  saveModel,
  sequential,
  type Sequential,
} from '../../src/index.js';
import { quantizeModel, saveQuantized, SparseModel } from '../../src/compress/index.js';
import { INPUT_RANGE } from '../../src/io/bounds.js';
import { reseal } from '../helpers/files.js';

/** A deterministic generator (LCG) of floats in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const rows = (n: number, cols: number, seed: number): { data: Float32Array; shape: [number, number] } => {
  const r = lcg(seed);
  return { data: Float32Array.from({ length: n * cols }, r), shape: [n, cols] };
};

/** A trained MLP: 8 → 16 relu → dropout → 6 leakyRelu → 4 softmax. */
export async function mlp(): Promise<Sequential> {
  const m = sequential(
    [
      dense(16, { activation: 'relu', inputDim: 8, name: 'h1' }),
      dropout(0.1, { name: 'drop' }),
      dense(6, { activation: 'leakyRelu', alpha: 0.2, name: 'h2' }),
      dense(4, { activation: 'softmax', name: 'out' }),
    ],
    { seed: 3, name: 'mlp' },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  await m.fit(
    rows(64, 8, 1),
    Int32Array.from({ length: 64 }, (_, i) => i % 4),
    { epochs: 2, batchSize: 16, seed: 1 },
  );
  return m;
}

/**
 * A trained CNN on 6x6x2 maps: conv (linear, same) → batch norm → relu → max pool → permute (rows and columns
 * swapped) → conv 1x1 (4 channels: int8
 * compute when quantized) → average pool → flatten → dense tanh → dense softmax.
 */
export async function cnn(): Promise<Sequential> {
  const m = sequential(
    [
      conv2d(4, 3, { padding: 'same', inputShape: [6, 6, 2], name: 'c1' }),
      batchNormalization({ name: 'bn' }),
      activation('relu', { name: 'r1' }),
      maxPooling2d(2, { name: 'p1' }),
      permute([2, 1, 3], { name: 'swap' }),
      conv2d(4, 1, { activation: 'relu', name: 'c2' }),
      averagePooling2d(1, { name: 'p2' }),
      flatten({ name: 'flat' }),
      dense(5, { activation: 'tanh', name: 'd1' }),
      dense(3, { activation: 'softmax', name: 'out' }),
    ],
    { seed: 5, name: 'cnn' },
  );
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  await m.fit(
    rows(48, 72, 2),
    Int32Array.from({ length: 48 }, (_, i) => i % 3),
    { epochs: 2, batchSize: 16, seed: 2 },
  );
  return m;
}

export type Kind = 'float' | 'quantized' | 'sparse';

/** One saved file the tests start from. */
export interface Sample {
  name: string;
  kind: Kind;
  bytes: Uint8Array;
  cols: number;
}

/** Saved files of every format from the two models: float, quantized int8/f16/mixed, sparse. */
export async function sampleFiles(): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const [name, make, cols] of [
    ['mlp', mlp, 8],
    ['cnn', cnn, 72],
  ] as const) {
    const m = await make();
    const calibration = rows(32, cols, 9);
    out.push({ name: `${name}.sdnt`, kind: 'float', bytes: saveModel(m), cols });
    const quantized = [
      ['static', quantizeModel(m, { mode: 'static', calibration })],
      ['dynamic', quantizeModel(m, { mode: 'dynamic' })],
      ['f16', quantizeModel(m, { plan: 'f16' })],
      ['mixed', quantizeModel(m, { mode: 'static', calibration, plan: 'mixed' })],
    ] as const;
    for (const [q, qm] of quantized) {
      out.push({ name: `${name}-${q}.sdnq`, kind: 'quantized', bytes: saveQuantized(qm), cols });
      qm.dispose();
    }
    for (const minSparsity of [0, 1]) {
      const s = SparseModel.fromModel(m, { minSparsity });
      out.push({ name: `${name}-${minSparsity === 0 ? 'csr' : 'dense'}.sdsp`, kind: 'sparse', bytes: s.save(), cols });
      s.dispose();
    }
    m.dispose();
  }
  return out;
}

/** A file's header (parsed) and data (a copy of the bytes between the header and the checksum). */
export function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Record<string, unknown>;
  const dataStart = Math.ceil((12 + hlen) / 4) * 4;
  return { header, data: bytes.slice(dataStart, bytes.length - 4) };
}

/** A file with `bytes`' prelude, the given header and data, sealed with a valid checksum. */
export function join(bytes: Uint8Array, header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.length) / 4) * 4;
  const out = new Uint8Array(dataStart + data.length + 4);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, dataStart);
  return reseal(out);
}

/** `bytes` with its header changed by `edit` (which may mutate it in place or return a new one), sealed again. */
export function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => unknown): Uint8Array {
  const { header, data } = split(bytes);
  const r = edit(header);
  return join(bytes, r === undefined ? header : r, data);
}

/** Byte offset (from the data start) and length of a tensor by name, from a quantized or float file's table. */
export function tensorAt(bytes: Uint8Array, name: string): { offset: number; length: number; dtype: string } {
  const t = (
    split(bytes).header.tensors as Array<{ name: string; offset: number; length: number; dtype: string }>
  ).find((e) => e.name === name);
  if (!t) throw new Error(`no tensor ${name}`);
  return t;
}

/** `bytes` with its data changed by `edit` (a DataView over the data), sealed again. */
export function withData(bytes: Uint8Array, edit: (dv: DataView, data: Uint8Array) => void): Uint8Array {
  const { header, data } = split(bytes);
  edit(new DataView(data.buffer), data);
  return join(bytes, header, data);
}

/**
 * Inputs in the documented range (|x| <= INPUT_RANGE): zeros, both extremes, alternating extremes, tiny
 * (subnormal) values and uniform draws.
 */
export function rangeInputs(cols: number, seed: number): { data: Float32Array; shape: [number, number] } {
  const R = INPUT_RANGE;
  const r = lcg(seed);
  const patterns: Array<(i: number) => number> = [
    () => 0,
    () => R,
    () => -R,
    (i) => (i % 2 ? R : -R),
    (i) => (i % 3 ? -R : R),
    () => 1e-40,
    () => r() * R,
    () => r() * R,
    () => r(),
  ];
  const data = new Float32Array(patterns.length * cols);
  patterns.forEach((p, row) => {
    for (let i = 0; i < cols; i++) data[row * cols + i] = p(i);
  });
  return { data, shape: [patterns.length, cols] };
}

/** Every output is finite. */
export function expectFinite(out: Float32Array, what: string): void {
  const bad = out.findIndex((v) => !Number.isFinite(v));
  expect(bad, `${what}: output ${bad} is ${out[bad]}`).toBe(-1);
}
