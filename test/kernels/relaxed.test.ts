// The fused multiply-add path (src/runtime/relaxed.ts): the relaxed-SIMD module carried in simdnet.wasm, how the
// engine chooses it, and what its results are worth. Runs in both vitest projects: `default` (plain Node 20, where
// relaxed SIMD does not validate, so the SIMD128 kernels must be chosen) and `relaxed` (Node 20 with
// --experimental-wasm-relaxed-simd: the relaxed kernels against the SIMD128 ones, within what one rounding per
// multiply-add instead of two allows). The tile-edge sweeps of gemm.test.ts and conv*.test.ts run on the relaxed
// kernels in the `relaxed` project too (test/helpers/wasm.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { conv2d, dense, flatten, maxPooling2d, sequential, sgd } from '../../src/index.js';
import * as conv from '../../src/reference/conv.js';
import * as gemm from '../../src/reference/gemm.js';
import type { Kernels } from '../../src/runtime/abi.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import {
  instantiateRelaxed,
  RELAXED_KERNELS,
  RELAXED_SECTION,
  relaxedBytes,
  relaxedKernels,
  relaxedModule,
} from '../../src/runtime/relaxed.js';
import { expectClose, randArray } from '../helpers/check.js';
import { relaxedModuleSync, relaxedRun } from '../helpers/wasm.js';

const wasmPath = process.env.SIMDNET_WASM ?? fileURLToPath(new URL('../../build/simdnet.wasm', import.meta.url));
const fileBytes = readFileSync(wasmPath);
const main = new WebAssembly.Module(fileBytes);
const bytes = relaxedBytes(main);
const validates = bytes !== undefined && WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
const U = 2 ** -24; // f32 unit roundoff

/** Sections of a module: [id, body offset, body length] (custom sections included). */
function sections(b: Uint8Array): [number, number, number][] {
  const out: [number, number, number][] = [];
  let p = 8;
  const leb = (): number => {
    let r = 0;
    let s = 0;
    let x: number;
    do {
      x = b[p++];
      r += (x & 0x7f) * 2 ** s;
      s += 7;
    } while (x & 0x80);
    return r;
  };
  while (p < b.length) {
    const id = b[p++];
    const len = leb();
    out.push([id, p, len]);
    p += len;
  }
  expect(p, 'sections end at the end of the module').toBe(b.length);
  return out;
}

describe('the relaxed module carried in simdnet.wasm', () => {
  it('is one custom section, last, with no data segments, no start function and only the memory import', () => {
    expect(WebAssembly.Module.customSections(main, RELAXED_SECTION)).toHaveLength(1);
    expect(bytes).toBeDefined();
    const own = sections(fileBytes);
    expect(own.at(-1)![0], 'the custom section comes last (appended by scripts/embed-relaxed.js)').toBe(0);
    const r = sections(bytes!);
    const ids = r.map((s) => s[0]);
    // Data segments would be written into the shared memory at instantiation, over the main module's data or arena.
    const data = r.find((s) => s[0] === 11);
    expect(data === undefined || bytes![data[1]] === 0, 'no data segments').toBe(true);
    expect(ids, 'no start function').not.toContain(8);
    expect(ids, 'no memory of its own').not.toContain(5);
    // The import section holds exactly one import: env.memory (module "env", field "memory", kind memory).
    const imp = r.find((s) => s[0] === 2)!;
    const body = bytes!.subarray(imp[1], imp[1] + imp[2]);
    expect(Array.from(body.subarray(0, 13))).toEqual([1, 3, ...Buffer.from('env'), 6, ...Buffer.from('memory'), 2]);
  });

  it.runIf(validates)(
    "exports exactly the overriding kernels (with the main module's arity) and the size queries",
    () => {
      const rm = new WebAssembly.Module(bytes!);
      const names = WebAssembly.Module.exports(rm)
        .filter((e) => e.kind === 'function')
        .map((e) => e.name)
        .sort();
      expect(names).toEqual(
        [...RELAXED_KERNELS, 'conv2d_backward_x_workspace_size', 'gemm_workspace_size', 'heap_base'].sort(),
      );
      const memory = new WebAssembly.Memory({ initial: 16 });
      const k = new WebAssembly.Instance(main, { env: { memory } }).exports as Record<
        string,
        (...a: number[]) => number
      >;
      const r = new WebAssembly.Instance(rm, { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
      for (const name of RELAXED_KERNELS) expect(r[name].length, name).toBe(k[name].length);
      expect(r.gemm_workspace_size()).toBe(k.gemm_workspace_size());
      expect(r.heap_base(), "its static data (none) ends below the main module's").toBeLessThanOrEqual(k.heap_base());
    },
  );
});

describe('choosing the kernels', () => {
  it('engine.fma is true exactly where the runtime validates relaxed SIMD; fma: false forces SIMD128', async () => {
    const e = await createEngine('wasm');
    expect(e.fma).toBe(validates);
    if (relaxedRun) expect(e.fma, 'the relaxed project runs with --experimental-wasm-relaxed-simd').toBe(true);
    if (!relaxedRun && process.versions.node.startsWith('20.'))
      expect(e.fma, 'plain Node 20 has no relaxed SIMD').toBe(false);
    const off = await createEngine('wasm', { fma: false });
    expect(off.fma).toBe(false);
    expect((await createEngine('js')).fma).toBe(false);
    e.dispose();
    off.dispose();
  });

  it('fma must be a boolean', async () => {
    await expect(createEngine('wasm', { fma: 1 as never })).rejects.toThrow(/option fma must be true or false/);
  });

  it('no section, bytes that do not validate, or a host that refuses run-time compilation: no FMA and no error', async () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const k = new WebAssembly.Instance(main, { env: { memory } }).exports as unknown as Kernels;
    const bare = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect(relaxedBytes(bare)).toBeUndefined();
    expect(await relaxedKernels(bare, memory, k)).toBeUndefined();
    expect(await relaxedKernels(main, memory, k, { transform: (b) => b.subarray(0, b.length - 3) })).toBeUndefined();
    const refuse = vi
      .spyOn(WebAssembly, 'compile')
      .mockRejectedValue(new WebAssembly.CompileError('Wasm code generation disallowed by embedder'));
    try {
      expect(await relaxedModule(main)).toBeUndefined();
    } finally {
      refuse.mockRestore();
    }
    // The transform sees the carried bytes (the threads pool rewrites the memory import there).
    let seen = 0;
    await relaxedKernels(main, memory, k, { sync: true, transform: (b) => ((seen = b.length), b) });
    expect(seen).toBe(bytes!.length);
  });

  it.runIf(validates)(
    "a relaxed module whose workspace layout differs from the main module's is not used",
    async () => {
      const memory = new WebAssembly.Memory({ initial: 16 });
      const k = new WebAssembly.Instance(main, { env: { memory } }).exports as unknown as Kernels;
      const rm = (await relaxedModule(main))!;
      expect(await instantiateRelaxed(rm, memory, k)).toBeDefined();
      expect(
        await instantiateRelaxed(rm, memory, { ...k, gemm_workspace_size: () => k.gemm_workspace_size() + 16 }),
      ).toBeUndefined();
      expect(await instantiateRelaxed(rm, memory, { ...k, conv2d_backward_x_workspace_size: () => 0 })).toBeUndefined();
    },
  );
});

// ---- the relaxed kernels against the SIMD128 ones, on one memory ----

interface Pair {
  memory: WebAssembly.Memory;
  simd: Kernels;
  fma: Kernels;
  alloc(bytes: number): number;
  put(a: Float32Array): number;
  get(p: number, n: number): Float32Array;
}

function pair(): Pair {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const simd = new WebAssembly.Instance(main, { env: { memory } }).exports as unknown as Kernels;
  const r = new WebAssembly.Instance(relaxedModuleSync(), { env: { memory } }).exports as Record<string, unknown>;
  const fma = { ...simd, ...Object.fromEntries(RELAXED_KERNELS.map((n) => [n, r[n]])) } as Kernels;
  let top = (simd.heap_base() + 15) & ~15;
  const alloc = (n: number): number => {
    const p = top;
    top = (top + n + 15) & ~15;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return p;
  };
  return {
    memory,
    simd,
    fma,
    alloc,
    put(a) {
      const p = alloc(a.byteLength);
      new Float32Array(memory.buffer, p, a.length).set(a);
      return p;
    },
    get: (p, n) => new Float32Array(memory.buffer, p, n).slice(),
  };
}

/**
 * |fma − simd| ≤ (2L + 2)·u·Σ|terms| elementwise: each path's sum of L products is within (L + 1)·u·Σ|aᵢbᵢ| of the
 * exact one (mul+add rounds each product and each partial sum; FMA only each partial sum). absSum holds Σ|aᵢbᵢ|.
 */
function expectWithinFmaBound(
  fma: Float32Array,
  simd: Float32Array,
  absSum: Float32Array,
  L: number,
  what: string,
): void {
  for (let i = 0; i < fma.length; i++) {
    const bound = (2 * L + 2) * U * absSum[i] * 1.01 + 1e-30;
    if (!(Math.abs(fma[i] - simd[i]) <= bound))
      expect.fail(`${what} [${i}]: fma ${fma[i]}, simd128 ${simd[i]}, bound ${bound}`);
  }
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

describe.runIf(relaxedRun)('relaxed kernels vs SIMD128 (fused multiply-add rounds once per step)', () => {
  it('a multiply-add whose product is inexact shows the fusion: 1·(−(1+2⁻¹¹)) + (1+2⁻¹²)² is 2⁻²⁴ fused, 0 unfused', () => {
    const P = pair();
    const a = 1 + 2 ** -12;
    const [m, k, n] = [4, 2, 8];
    const x = P.put(new Float32Array(m * k).map((_, i) => (i % 2 === 0 ? 1 : a)));
    const w = P.put(new Float32Array(k * n).map((_, i) => (i < n ? -(1 + 2 ** -11) : a)));
    const ws = P.alloc(P.simd.gemm_workspace_size());
    const y = P.alloc(m * n * 4);
    P.simd.gemm_forward(y, ws, x, w, 0, m, k, n);
    expect(Array.from(new Set(P.get(y, m * n))), 'SIMD128: the product rounds to 1 + 2⁻¹¹ first').toEqual([0]);
    P.fma.gemm_forward(y, ws, x, w, 0, m, k, n);
    const got = Array.from(new Set(P.get(y, m * n)));
    // relaxed_madd may be fused or not (the engine's choice per platform); x64 with FMA3 and arm64 fuse.
    expect([[0], [2 ** -24]]).toContainEqual(got);
    console.log(
      `relaxed_madd on this machine: ${got[0] === 2 ** -24 ? 'fused (one rounding)' : 'not fused (mul then add)'}`,
    );
  });

  const gemmShapes: [number, number, number][] = [
    [1, 37, 33],
    [3, 100, 70],
    [4, 19, 8],
    [5, 513, 9],
    [13, 257, 265],
    [37, 260, 520],
    [64, 784, 128],
    [17, 33, 1],
  ];
  it.each(gemmShapes)('gemm forward, backward_w, backward_x m=%i k=%i n=%i', (m, k, n) => {
    const P = pair();
    const ws = P.alloc(P.simd.gemm_workspace_size());
    const xs = randArray(m * k, m + k),
      wt = randArray(k * n, k + n),
      b = randArray(n, n),
      dy = randArray(m * n, m * n);
    const [x, w, bias, g] = [P.put(xs), P.put(wt), P.put(b), P.put(dy)];
    const run = (kk: Kernels, form: number): Float32Array => {
      const size = form === 0 ? m * n : form === 1 ? k * n : m * k;
      const out = P.alloc(size * 4);
      new Float32Array(P.memory.buffer, out, size).fill(form === 1 ? 0 : NaN);
      if (form === 0) kk.gemm_forward(out, ws, x, w, bias, m, k, n);
      else if (form === 1) kk.gemm_backward_w(out, ws, x, g, m, k, n);
      else kk.gemm_backward_x(out, ws, g, w, m, k, n);
      return P.get(out, size);
    };
    const sy = new Float32Array(m * n),
      sw = new Float32Array(k * n),
      sx = new Float32Array(m * k);
    gemm.gemm_forward(sy, null, abs(xs), abs(wt), abs(b), m, k, n);
    gemm.gemm_backward_w(sw, null, abs(xs), abs(dy), m, k, n);
    gemm.gemm_backward_x(sx, null, abs(dy), abs(wt), m, k, n);
    expectWithinFmaBound(run(P.fma, 0), run(P.simd, 0), sy, k + 1, 'forward');
    expectWithinFmaBound(run(P.fma, 1), run(P.simd, 1), sw, m, 'backward_w');
    expectWithinFmaBound(run(P.fma, 2), run(P.simd, 2), sx, n, 'backward_x');
  });

  // [n, h, w, c, kh, kw, sh, sw, padT, padL, f]
  const convShapes: number[][] = [
    [2, 9, 9, 3, 3, 3, 1, 1, 1, 1, 8],
    [1, 12, 10, 4, 5, 5, 2, 2, 2, 2, 13],
    [3, 7, 6, 1, 3, 3, 1, 1, 1, 1, 6],
    [2, 8, 8, 16, 3, 3, 1, 1, 0, 0, 32],
    [1, 6, 11, 5, 2, 3, 1, 2, 0, 1, 3],
  ];
  it.each(convShapes)(
    'conv forward, backward_w, backward_x n=%i h=%i w=%i c=%i k=%ix%i s=%ix%i pad=%i,%i f=%i',
    (n, h, w, c, kh, kw, sh, sw, pt, pl, f) => {
      const oh = Math.floor((h + 2 * pt - kh) / sh) + 1,
        ow = Math.floor((w + 2 * pl - kw) / sw) + 1;
      const P = pair();
      const xs = randArray(n * h * w * c, 1),
        wk = randArray(kh * kw * c * f, 2),
        b = randArray(f, 3),
        dy = randArray(n * oh * ow * f, 4);
      const [x, wp, bp, g] = [P.put(xs), P.put(wk), P.put(b), P.put(dy)];
      const ws = P.alloc(P.simd.conv2d_backward_x_workspace_size(kh, kw, c, f));
      const geo = [n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f] as const;
      const run = (kk: Kernels, form: number): Float32Array => {
        const size = form === 0 ? n * oh * ow * f : form === 1 ? kh * kw * c * f : n * h * w * c;
        const out = P.alloc(size * 4);
        new Float32Array(P.memory.buffer, out, size).fill(form === 1 ? 0 : NaN);
        if (form === 0) kk.conv2d_forward_nhwc(out, x, wp, bp, ...geo);
        else if (form === 1) kk.conv2d_backward_w_nhwc(out, x, g, ...geo);
        else kk.conv2d_backward_x_nhwc(out, ws, g, wp, ...geo);
        return P.get(out, size);
      };
      const sy = new Float32Array(n * oh * ow * f),
        sdw = new Float32Array(kh * kw * c * f),
        sdx = new Float32Array(n * h * w * c);
      conv.conv2d_forward_nhwc(sy, abs(xs), abs(wk), abs(b), ...geo);
      conv.conv2d_backward_w_nhwc(sdw, abs(xs), abs(dy), ...geo);
      conv.conv2d_backward_x_nhwc(sdx, null, abs(dy), abs(wk), ...geo);
      expectWithinFmaBound(run(P.fma, 0), run(P.simd, 0), sy, kh * kw * c + 1, 'forward');
      expectWithinFmaBound(run(P.fma, 1), run(P.simd, 1), sdw, n * oh * ow, 'backward_w');
      expectWithinFmaBound(run(P.fma, 2), run(P.simd, 2), sdx, kh * kw * f, 'backward_x');
    },
  );
});

// ---- whole models: the FMA engine trains and predicts as the SIMD128 one, up to rounding ----

function data(rows: number, cols: number, classes: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = randArray(rows * cols, seed);
  const y = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[i * cols + j] * ((j % 3) - 1);
    y[i * classes + (s > 0.3 ? 0 : s < -0.3 ? 1 : 2)] = 1;
  }
  return { x, y };
}

async function trainBoth(
  build: (engine: Engine) => ReturnType<typeof sequential>,
  x: { data: Float32Array; shape: [number, number] },
  y: Float32Array,
) {
  const out = [];
  for (const fma of [true, false]) {
    const engine = await createEngine('wasm', { fma });
    const m = build(engine);
    m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ learningRate: 0.05 }), metrics: ['accuracy'] });
    const h = await m.fit(
      x,
      { data: y, shape: [y.length / 3, 3] },
      { epochs: 3, batchSize: 16, seed: 3, shuffle: false },
    );
    out.push({ fma: engine.fma, loss: h.history.loss as number[], pred: m.predict(x).data.slice() });
    engine.dispose();
  }
  return out;
}

describe('whole models on the FMA engine and on the SIMD128 engine', () => {
  it('an MLP and a CNN train and predict alike (bit for bit where relaxed SIMD is not available)', async () => {
    const { x, y } = data(96, 24, 3, 7);
    const mlp = await trainBoth(
      (engine) =>
        sequential([dense(40, { activation: 'tanh', inputDim: 24 }), dense(3, { activation: 'softmax' })], {
          engine,
          seed: 5,
        }),
      { data: x, shape: [96, 24] },
      y,
    );
    const img = data(48, 8 * 8 * 2, 3, 9);
    const cnn = await trainBoth(
      (engine) =>
        sequential(
          [
            conv2d(8, 3, { activation: 'relu', padding: 'same', inputShape: [8, 8, 2] }),
            maxPooling2d(2),
            flatten(),
            dense(3, { activation: 'softmax' }),
          ],
          {
            engine,
            seed: 6,
          },
        ),
      { data: img.x, shape: [48, 8 * 8 * 2] },
      img.y,
    );
    for (const [name, [a, b]] of [
      ['mlp', mlp],
      ['cnn', cnn],
    ] as const) {
      expect(a.fma, name).toBe(validates);
      expect(b.fma, name).toBe(false);
      if (!validates) {
        expect(Array.from(a.pred), `${name}: same kernels, same bits`).toEqual(Array.from(b.pred));
        continue;
      }
      expectClose(a.loss, b.loss, 1e-4, 1e-3, `${name} loss per epoch, FMA vs SIMD128`);
      expectClose(a.pred, b.pred, 1e-4, 1e-3, `${name} predictions, FMA vs SIMD128`);
    }
  });
});
