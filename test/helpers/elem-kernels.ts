// Helpers for the non-GEMM kernel tests: run one kernel on the wasm module and on its twin with the same
// inputs, and compare every buffer (outputs and untouched inputs) plus the return value.
import * as activations from '../../src/reference/activations.js';
import * as bias from '../../src/reference/bias.js';
import * as conv from '../../src/reference/conv.js';
import * as dropout from '../../src/reference/dropout.js';
import * as losses from '../../src/reference/losses.js';
import * as metrics from '../../src/reference/metrics.js';
import * as optim from '../../src/reference/optim.js';
import * as util from '../../src/reference/util.js';
import type { KernelName } from '../../src/runtime/abi.js';
import { expectClose } from './check.js';
import { loadRaw, type RawWasm } from './wasm.js';

type AnyFn = (...args: unknown[]) => unknown;
const twins: Record<string, AnyFn> = {
  ...activations,
  ...bias,
  ...conv,
  ...dropout,
  ...losses,
  ...metrics,
  ...optim,
  ...util,
} as never;

/** The twin of a kernel, by name. */
export function twin(name: KernelName): AnyFn {
  const f = twins[name];
  if (!f) throw new Error(`no twin for ${name}`);
  return f;
}

/** One kernel argument: a buffer, a scalar, or `{ same: i }` to pass argument i's buffer again (in-place use). */
export type Arg = Float32Array | Int32Array | number | { same: number };

export interface Both {
  /** Buffers after the call, one entry per argument (undefined for scalars), wasm and twin. */
  wasm: (Float32Array | Int32Array | undefined)[];
  ref: (Float32Array | Int32Array | undefined)[];
  wasmRet: unknown;
  refRet: unknown;
}

let raw: RawWasm | undefined;
/** The shared module instance (allocations are reset per call). */
export function wasm(): RawWasm {
  raw ??= loadRaw();
  return raw;
}

/** Runs kernel `name` with `args` on wasm and on the twin, each on its own copies of the buffers. */
export function runBoth(name: KernelName, args: Arg[]): Both {
  const w = wasm();
  w.reset();
  const ptrs: number[] = [];
  const wargs: number[] = [];
  args.forEach((a, i) => {
    if (typeof a === 'number') wargs.push(a);
    else if (a instanceof Float32Array || a instanceof Int32Array) {
      ptrs[i] = w.put(a);
      wargs.push(ptrs[i]);
    } else wargs.push(ptrs[a.same]);
  });
  const fn = (w.k as unknown as Record<string, (...a: number[]) => unknown>)[name];
  const wasmRet = fn(...wargs);
  const wasmOut = args.map((a, i) => {
    if (a instanceof Float32Array) return w.f32(ptrs[i], a.length);
    if (a instanceof Int32Array) return w.i32(ptrs[i], a.length);
    return undefined;
  });
  const copies = args.map((a) => (a instanceof Float32Array || a instanceof Int32Array ? a.slice() : undefined));
  const rargs = args.map((a, i) => (typeof a === 'number' ? a : (copies[i] ?? copies[(a as { same: number }).same])));
  const refRet = twin(name)(...rargs);
  return { wasm: wasmOut, ref: copies, wasmRet, refRet };
}

/** runBoth, then expectClose on every buffer and on a numeric return value. */
export function compareBoth(name: KernelName, args: Arg[], atol: number, rtol: number, what = ''): Both {
  const r = runBoth(name, args);
  r.wasm.forEach((a, i) => {
    const e = r.ref[i];
    if (a && e) expectClose(a, e, atol, rtol, `${name} ${what} arg ${i}`);
  });
  if (typeof r.refRet === 'number')
    expectClose([r.wasmRet as number], [r.refRet], atol, rtol, `${name} ${what} return`);
  return r;
}

/** Sizes that sweep the f32x4 body / tail split and the 8- and 16-wide unrolls. */
export const SIZES = [1, 3, 4, 5, 7, 8, 9, 11, 16, 17, 37, 1000, 4099];
/** Column counts for row-wise kernels, and row counts to pair them with. */
export const GRID_N = [1, 2, 3, 4, 5, 9, 10, 17];
export const GRID_M = [1, 2, 7];

/** Special values every elementwise kernel meets. */
export const SPECIALS = [0, -0, 1e-30, -1e-30, 1e-40, -1e-40, 1e30, -1e30, 100, -100, 3.4e38, -3.4e38];
export const NONFINITE = [NaN, Infinity, -Infinity];

/** A seeded array of n values in [lo, hi) with `specials` written at seeded positions (cycling). */
export function withSpecials(n: number, seed: number, specials: number[], lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * next();
  // Enough specials to be seen in both the SIMD body and the scalar tail, but never all of a small array.
  const count = Math.min(specials.length, Math.max(1, Math.floor(n / 3)));
  for (let j = 0; j < count; j++) a[Math.floor(next() * n)] = specials[(j + seed) % specials.length];
  return a;
}

/** Central finite difference of f at x (f64 buffer), entry i, step h. */
export function centralDiff(f: (x: Float64Array) => number, x: Float64Array, i: number, h: number): number {
  const x0 = x[i];
  x[i] = x0 + h;
  const fp = f(x);
  x[i] = x0 - h;
  const fm = f(x);
  x[i] = x0;
  return (fp - fm) / (2 * h);
}

/** Float64Array viewed as the Float32Array type the twins declare: the twins then run entirely in f64. */
export const asF32 = (a: Float64Array): Float32Array => a as unknown as Float32Array;
