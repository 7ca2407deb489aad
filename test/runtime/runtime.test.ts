// Loader and memory: SIMD detection, every kind of wasm source, clear errors, and an allocator that survives growth.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/runtime/arena.js';
import { compileWasm, simdSupported } from '../../src/runtime/loader.js';
import { createEngine, dense, getEngine, init, sequential, SimdnetError } from '../../src/index.js';
import { expectSimdnetError } from '../helpers/errors.js';

const wasmUrl = new URL('../../build/simdnet.wasm', import.meta.url);

describe('loader', () => {
  it('detects SIMD and compiles from bytes, a URL, a path and a Module', async () => {
    expect(simdSupported()).toBe(true);
    const bytes = readFileSync(wasmUrl);
    const fromBytes = await compileWasm(bytes);
    expect(WebAssembly.Module.exports(fromBytes).some((e) => e.name === 'gemm_forward')).toBe(true);
    expect(await compileWasm(fromBytes)).toBe(fromBytes);
    await compileWasm(wasmUrl);
    await compileWasm(wasmUrl.pathname);
    await compileWasm(); // the default location (falls back to build/ when run from src/)
    const e = await createEngine('wasm', {
      wasm: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    expect(e.backend).toBe('wasm');
  });

  it('says clearly what is wrong with a bad source', async () => {
    await expect(compileWasm(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rejects.toThrow(/not a WebAssembly module/);
    await expect(compileWasm(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99]))).rejects.toThrow(
      /failed to compile/,
    );
    await expect(compileWasm('/no/such/simdnet.wasm')).rejects.toThrow(/not found/);
    await expect(createEngine('gpu' as never)).rejects.toThrow(/unknown backend 'gpu'/);
  });
});

describe('backends', () => {
  it("loads the js backend only when asked: before init({ backend: 'js' }) its models say what to do", async () => {
    expectSimdnetError(() => getEngine('js'), 'STATE', "await init({ backend: 'js' })");
    expectSimdnetError(
      () => sequential([dense(2, { inputDim: 3 })], { backend: 'js' }).build(3),
      'STATE',
      "await init({ backend: 'js' })",
    );
    await expect(init({ backend: 'gpu' as never })).rejects.toThrow(/unknown backend 'gpu'/);
    const e = await init({ backend: 'js' });
    expect(e.backend).toBe('js');
    expect(await init({ backend: 'js' })).toBe(e);
    expect(getEngine('js')).toBe(e);
    const m = sequential([dense(2, { inputDim: 3 })], { backend: 'js', seed: 1 });
    expect(m.predict([[1, 2, 3]]).data.length).toBe(2);
    const own = await createEngine('js');
    expect(own).not.toBe(e);
    expect(own.backend).toBe('js');
  });
});

describe('arena', () => {
  it('allocates aligned zeroed blocks, reuses freed ones, coalesces, and grows the memory', () => {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const a = new Arena(mem, 100, 64 * 2 ** 20);
    const p1 = a.alloc(10);
    const p2 = a.alloc(1000);
    const p3 = a.alloc(20);
    for (const p of [p1, p2, p3]) expect(p % 64).toBe(0); // cache lines
    expect(p1).toBeGreaterThanOrEqual(100);
    expect(p2).toBeGreaterThanOrEqual(p1 + 64);
    new Uint8Array(mem.buffer, p2, 1000).fill(7);
    a.release(p2);
    const p4 = a.alloc(500); // first fit reuses the hole, zeroed
    expect(p4).toBe(p2);
    expect(new Uint8Array(mem.buffer, p4, 500).every((b) => b === 0)).toBe(true);
    a.release(p1);
    a.release(p4);
    const p5 = a.alloc(1000 + 64); // p1's and p2's holes merged (64 + 1024 bytes: blocks are whole cache lines)
    expect(p5).toBe(p1);
    const before = mem.buffer.byteLength;
    const big = a.alloc(4 * 2 ** 20);
    expect(mem.buffer.byteLength).toBeGreaterThan(before);
    expect(big + 4 * 2 ** 20).toBeLessThanOrEqual(mem.buffer.byteLength);
    expect(() => a.release(12345)).toThrow(/unknown pointer/);
    expect(() => a.alloc(100 * 2 ** 20)).toThrow(SimdnetError);
    a.release(big);
    // A block given back at the top and handed out again is zeroed too (only never-used memory skips the fill).
    new Uint8Array(mem.buffer, p3, 20).fill(9);
    a.release(p3);
    const p6 = a.alloc(20);
    expect(p6).toBe(p3);
    expect(new Uint8Array(mem.buffer, p6, 20).every((b) => b === 0)).toBe(true);
    a.release(p6);
    a.release(p5);
    expect(a.used).toBe(0);
  });
});

describe('engine views across growth', () => {
  it.each([
    ['one thread (a plain memory: growth detaches the old buffer)', 1],
    ['two threads (a shared memory: old buffers stay, shorter)', 2],
  ])('%s: f32/i32 views past the last buffer read come from the grown memory', async (_what, threads) => {
    const e = await createEngine('wasm', { threads });
    try {
      const a = e.allocF32(16);
      e.f32(a, 16).fill(3); // the engine keeps this buffer
      const before = e.memory.buffer.byteLength;
      const big = e.allocF32(8 << 20); // 32 MiB: the memory grows
      expect(e.memory.buffer.byteLength).toBeGreaterThan(before);
      const end = big + (8 << 20) * 4 - 64;
      e.f32(end, 16).fill(7); // past the old buffer's end
      e.i32(big, 4).set([1, 2, 3, 4]);
      expect(Array.from(new Float32Array(e.memory.buffer, end, 16))).toEqual(new Array(16).fill(7));
      expect(Array.from(new Int32Array(e.memory.buffer, big, 4))).toEqual([1, 2, 3, 4]);
      expect(Array.from(e.f32(a, 16))).toEqual(new Array(16).fill(3)); // below it: still the same memory
      e.k.fill_f32(a, 16, 5);
      expect(Array.from(e.f32(a, 16))).toEqual(new Array(16).fill(5));
    } finally {
      e.dispose();
    }
    expectSimdnetError(() => e.f32(0, 4), 'DISPOSED', /engine was disposed/);
  });
});
