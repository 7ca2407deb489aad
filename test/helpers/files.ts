// Helpers for tests that tamper with simdnet files (src/io/container.ts envelope), and the legacy fixtures.
import { readFileSync } from 'node:fs';
import { crc32 } from '../../src/io/crc32.js';
import { xxh32 } from '../../src/io/xxh32.js';

/** Rewrites the trailing checksum of file `b` (in place) as its format version has it: XXH32 from 2 on, else CRC-32. */
export function reseal(b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = b.length - 4;
  dv.setUint32(n, dv.getUint16(4, true) >= 2 ? xxh32(b, 0, n) : crc32(b, 0, n), true);
  return b;
}

/** The same file as format version 1 wrote it (version 1 in the prelude and the header, a CRC-32). */
export function asVersion1(file: Uint8Array): Uint8Array {
  const b = file.slice();
  const dv = new DataView(b.buffer);
  dv.setUint16(4, 1, true);
  const hlen = dv.getUint32(8, true);
  const header = new TextDecoder().decode(b.subarray(12, 12 + hlen));
  if (!header.includes('"version":2,')) throw new Error('expected a version 2 header');
  b.set(new TextEncoder().encode(header.replace('"version":2,', '"version":1,')), 12);
  return reseal(b);
}

/** The fixture generators' inputs: an LCG in [-1, 1), rounded to f32 (make-legacy.mjs and the fixtures' makers). */
export function lcgInputs(rows: number, cols: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: rows * cols }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32) * 2 - 1);
  });
}

/** One fixture of legacy.json: the generator's outputs for its inputs, per backend. */
export interface LegacyCase {
  file?: string;
  cols: number;
  wasm: number[];
  js: number[];
}

/**
 * A legacy-fixture folder: its legacy.json, each case's file bytes, and each case's inputs (lcgInputs with the
 * generator's rows and seed) as a matrix.
 */
export function legacyFixtures(dir: URL): {
  rows: number;
  cases: Array<[string, LegacyCase]>;
  bytes(file: string): Uint8Array;
  inputs(c: LegacyCase): { data: Float32Array; shape: [number, number] };
} {
  const legacy = JSON.parse(readFileSync(new URL('legacy.json', dir), 'utf8')) as {
    rows: number;
    inputSeed: number;
    cases: Record<string, LegacyCase>;
  };
  return {
    rows: legacy.rows,
    cases: Object.entries(legacy.cases),
    bytes: (file) => new Uint8Array(readFileSync(new URL(file, dir))),
    inputs: (c) => ({ data: lcgInputs(legacy.rows, c.cols, legacy.inputSeed), shape: [legacy.rows, c.cols] }),
  };
}
