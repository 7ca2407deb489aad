import type { Matrix } from '../data/matrix.js';
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import type { Kernels } from './abi.js';
import { Arena } from './arena.js';
import type { jsKernels } from './backend-js.js';
import { compileWasm, type WasmSource } from './loader.js';
import { syncFs } from './node.js';
import { relaxedKernels } from './relaxed.js';
import type { ThreadPool } from './threads.js';

/** Which implementation of the kernels runs: the SIMD .wasm, or the plain-TS twins. */
export type Backend = 'wasm' | 'js';

/** Options for {@link init} and {@link createEngine}. */
export interface EngineOptions {
  /** Where the .wasm comes from (default: beside the package's modules). */
  wasm?: WasmSource;
  /** Upper bound of the linear memory in MiB (default 2048); allocations past it fail with code MEMORY. */
  maxMemoryMB?: number;
  /**
   * Fused multiply-add (default true): where the runtime validates relaxed SIMD, the GEMM and conv kernels run
   * their `f32x4.relaxed_madd` build (see `engine.fma`); false keeps the SIMD128 kernels everywhere, which
   * round every product and sum separately, bit-identical across runtimes. No effect on the js backend.
   */
  fma?: boolean;
  /**
   * Threads the kernels run on (default 1): a number, or 'auto' for every core the runtime reports. Large GEMMs,
   * convolutions, pooling, element-wise kernels and optimizer updates split across a pool of workers on one shared
   * memory, with results bit-identical to one thread. Where threads cannot run (no SharedArrayBuffer, a page
   * without cross-origin isolation, a precompiled module, the js backend) the engine runs on one thread and
   * `engine.threadsNote` says why.
   */
  threads?: number | 'auto';
}

const PAGE = 65536;

/** How an engine runs threaded: its pool and the kernel names the workers index by, or why it has none. */
export interface ThreadSetup {
  pool?: ThreadPool;
  /** Wraps the engine's splittable kernels over the pool (threads.ts attachPool). */
  attach?: (engine: Engine) => void;
  note: string;
  /** True when the GEMM and conv kernels are the fused multiply-add (relaxed SIMD) build. */
  fma?: boolean;
}

/** The most threads an engine takes. */
export const MAX_THREADS = 64;

/**
 * One linear memory, its allocator and the kernels that compute on it. Models allocate their slabs here.
 * Typed-array views are made fresh on every call (`f32`, `i32`): growth detaches old ones.
 *
 * WebAssembly memory never shrinks: freed blocks are reused, but what a call grew (a large model, a batch, a
 * failed load that allocated before refusing) stays committed until the engine is dropped. `dispose()` drops it.
 */
export class Engine {
  /** The GEMM workspace of the engine's thread (gemm_workspace_size() bytes; 0 on the js backend). */
  readonly gemmWs: number;
  /**
   * The kernels: a plain object of their own, so dispose() can swap every entry for one that throws DISPOSED
   * in place — models and plans that keep `engine.k` then no longer reach the module or its memory either.
   */
  readonly k: Kernels;
  /** True when the GEMM and conv kernels are the fused multiply-add (relaxed SIMD) build (see EngineOptions.fma). */
  readonly fma: boolean;
  private mem: WebAssembly.Memory | undefined;
  private heap: Arena | undefined;
  /** The last `memory.buffer` read (see bufferFor). */
  private buf: ArrayBufferLike | undefined;
  private pool: ThreadPool | undefined;
  private note = '';
  /** A threaded engine's unwrapped kernels, and when a batch may use them (see kernelsFor). */
  private whole: { k: Kernels; fits: (rows: number, floats: number, macs: number) => boolean } | undefined;

  /**
   * Use {@link createEngine} or {@link init}.
   * @param backend Which kernels this engine runs: 'wasm' (SIMD) or 'js' (the plain TypeScript twins).
   */
  constructor(
    readonly backend: Backend,
    memory: WebAssembly.Memory,
    k: Kernels,
    maxBytes: number,
    threads?: ThreadSetup,
  ) {
    this.mem = memory;
    this.k = { ...k };
    this.heap = new Arena(memory, k.heap_base(), maxBytes);
    const ws = k.gemm_workspace_size();
    this.gemmWs = ws > 0 ? this.heap.alloc(ws) : 0;
    // Threads: the splittable kernels wrapped over the pool (threads.ts), or why there is none.
    this.note = threads?.note ?? '';
    this.fma = threads?.fma ?? false;
    if (threads?.pool) {
      this.pool = threads.pool;
      threads.attach?.(this);
    }
  }

  /**
   * Threads the kernels run on: 1, or the pool's workers plus the calling thread. Drops to 1 if a worker dies
   * (that call throws; later calls run on the calling thread, with the same results).
   */
  get threads(): number {
    return this.pool && this.pool.failure === undefined ? this.pool.size + 1 : 1;
  }

  /** Why `threads` is 1 when more were asked for ('' otherwise). */
  get threadsNote(): string {
    return this.pool?.failure ?? this.note;
  }

  /**
   * The kernels for an inference batch of `rows` rows whose widest tensor holds `floats` floats per row: on a
   * threaded engine, the module's own functions when no forward (or data-gradient) call of that batch could split
   * (one row of a model whose tensors are below the element-wise threshold and whose heaviest layer takes `macs`
   * multiply-adds a row, too few to split, or the workers asleep: ThreadPool.warm), so such a batch skips the
   * pool's per-call wrapper (~65 ns a call, measured) and costs what it costs on one thread; `k` otherwise. Not
   * for training: a filter gradient splits by taps even at batch 1.
   * @internal
   */
  kernelsFor(rows: number, floats: number, macs = 0): Kernels {
    const w = this.whole;
    return w?.fits(rows, floats, macs) ? w.k : this.k;
  }

  /**
   * Set by the thread pool when it wraps `k`: the unwrapped kernels and the batches that never split.
   * @internal
   */
  setWhole(k: Kernels, fits: (rows: number, floats: number, macs: number) => boolean): void {
    this.whole = { k: { ...k }, fits };
  }

  /** True once dispose() has run. */
  get disposed(): boolean {
    return this.mem === undefined;
  }

  /** The linear memory (DISPOSED after dispose()). */
  get memory(): WebAssembly.Memory {
    return this.mem ?? disposedError();
  }

  /** The allocator over the memory (DISPOSED after dispose()). */
  get arena(): Arena {
    return this.heap ?? disposedError();
  }

  /**
   * Drops the engine's memory, its allocator and its kernels so the memory can be garbage-collected: the only
   * way to give back linear memory, which never shrinks. Afterwards the engine and every model on it refuse use
   * with DISPOSED (disposing such a model is a no-op). A shared engine (init()) is forgotten: the next init()
   * makes a new one. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.pool?.terminate();
    this.pool = undefined;
    this.mem = undefined;
    this.buf = undefined;
    this.heap = undefined;
    const k = this.k as unknown as Record<string, unknown>;
    for (const name of Object.keys(k)) k[name] = disposedError;
    const whole = this.whole?.k as unknown as Record<string, unknown> | undefined;
    for (const name of Object.keys(whole ?? {})) whole![name] = disposedError;
    for (const b of ['wasm', 'js'] as const) {
      if (engines[b] === this) {
        delete engines[b];
        if (b === 'wasm') pending = undefined;
      }
    }
  }

  /** A fresh Float32Array view of n floats at ptr (never keep it across an allocation). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.bufferFor(ptr + n * 4), ptr, n);
  }

  /** A fresh Int32Array view of n ints at ptr. */
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.bufferFor(ptr + n * 4), ptr, n);
  }

  /**
   * The memory's buffer, if it reaches byte `end`. Reading `memory.buffer` of a shared memory costs ~30 ns (V8
   * asks the backing store for its length each time; measured), several times per batch-1 prediction, so the
   * last one is kept: a buffer from before a growth stays valid over its old length when shared, and reads 0
   * bytes once detached when not, so any view it cannot hold asks the memory again.
   */
  private bufferFor(end: number): ArrayBufferLike {
    const b = this.buf;
    if (b !== undefined && end < b.byteLength) return b;
    this.buf = this.memory.buffer;
    return this.buf;
  }

  /** Allocates n zeroed floats (64-byte aligned: a cache line); returns the byte pointer. */
  allocF32(n: number): number {
    return this.arena.alloc(n * 4);
  }

  /** Allocates and fills with a copy of `data`. */
  upload(data: Float32Array | Int32Array): number {
    const p = this.arena.alloc(data.byteLength);
    if (data instanceof Float32Array) this.f32(p, data.length).set(data);
    else this.i32(p, data.length).set(data);
    return p;
  }

  /**
   * Copies rows [r0, r0 + m) of x to `dst`; unless `checked` (x already validated, e.g. by toMatrix), a kernel then
   * checks them for NaN/Inf there, so inference never walks its input element by element in JS.
   */
  stageRows(dst: number, x: Matrix, r0: number, m: number, checked = false): void {
    const n = m * x.cols;
    this.f32(dst, n).set(x.data.subarray(r0 * x.cols, r0 * x.cols + n));
    if (checked || this.k.count_nonfinite(dst, n) === 0) return;
    const v = this.f32(dst, n);
    const i = v.findIndex((a) => !Number.isFinite(a)); // only on the error path
    throw new SimdnetError(
      'NONFINITE',
      `x has ${v[i]} at row ${r0 + Math.floor(i / x.cols)}, col ${i % x.cols}; all values must be finite`,
    );
  }

  /** Copies n floats at ptr out of the memory. */
  download(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }

  /** Returns a block from allocF32/upload (nothing to do once the engine is disposed: its memory is gone). */
  free(ptr: number): void {
    if (ptr !== 0 && this.heap) this.heap.release(ptr);
  }
}

function disposedError(): never {
  throw new SimdnetError(
    'DISPOSED',
    'this engine was disposed (engine.dispose()): its memory is released; create a new engine and model',
  );
}

let makeJsKernels: typeof jsKernels | undefined;

/**
 * The js backend (every kernel's plain TypeScript twin, a sixth of the library's code) is a chunk of its own,
 * loaded on first use: a program on the wasm backend never reads or compiles it, which it would on every start.
 */
async function loadJsKernels(): Promise<typeof jsKernels> {
  return (makeJsKernels ??= (await import('./backend-js.js')).jsKernels);
}

function newMemory(maxMB: number): { memory: WebAssembly.Memory; maxBytes: number } {
  if (!(maxMB > 0)) throw new SimdnetError('RANGE', `maxMemoryMB must be positive, got ${maxMB}`);
  const maxBytes = Math.min(maxMB * 2 ** 20, 4 * 2 ** 30 - PAGE);
  return { memory: new WebAssembly.Memory({ initial: 16 }), maxBytes };
}

/** The thread count asked for: 1 (the default), an integer in [1, MAX_THREADS], or 'auto'; RANGE otherwise. */
function threadsWanted(t: unknown, where: string): number | 'auto' {
  if (t === undefined || t === null) return 1;
  if (t === 'auto') return t;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_THREADS) {
    throw new SimdnetError(
      'RANGE',
      `${where}: option threads must be an integer from 1 to ${MAX_THREADS} or 'auto', got ${typeof t === 'string' ? JSON.stringify(t) : String(t)}`,
    );
  }
  return t;
}

/** Creates an engine of its own (its own memory): for isolation, or for a memory limit of its own. */
export async function createEngine(backend: Backend, options: EngineOptions = {}): Promise<Engine> {
  checkOptions(options, 'createEngine()', { maxMemoryMB: 'count', fma: 'boolean' });
  const threads = threadsWanted(options.threads, 'createEngine()');
  const { memory, maxBytes } = newMemory(options.maxMemoryMB ?? 2048);
  if (backend === 'js') {
    const note = threads !== 1 ? 'the js backend runs on one thread' : '';
    return new Engine('js', memory, (await loadJsKernels())(memory), maxBytes, { note });
  }
  if (backend !== 'wasm') throw new SimdnetError('RANGE', `unknown backend '${String(backend)}' (use 'wasm' or 'js')`);
  let note = '';
  if (threads !== 1) {
    // The pool's code is a chunk of its own, loaded only here: one thread costs no start-up time for it.
    const { threadedEngine } = await import('./threads.js');
    const threaded = await threadedEngine(options.wasm, maxBytes, threads, options.fma !== false);
    if (typeof threaded !== 'string') return threaded;
    note = threaded;
  }
  const module = await compileWasm(options.wasm);
  let instance: WebAssembly.Instance;
  try {
    // Synchronously where a synchronous compile was allowed too (see compileWasm): no extra task at start-up.
    const imports = { env: { memory } };
    instance = syncFs() ? new WebAssembly.Instance(module, imports) : await WebAssembly.instantiate(module, imports);
  } catch (err) {
    throw new SimdnetError('FORMAT', `simdnet.wasm failed to instantiate: ${String(err)}`);
  }
  const k = instance.exports as unknown as Kernels;
  // Fused multiply-add: the relaxed-SIMD GEMM and conv kernels carried in simdnet.wasm, on the same memory, where
  // the runtime runs them (src/runtime/relaxed.ts); otherwise the SIMD128 kernels stay.
  const fma =
    options.fma === false ? undefined : await relaxedKernels(module, memory, k, { sync: syncFs() !== undefined });
  return new Engine('wasm', memory, fma ? { ...k, ...fma } : k, maxBytes, { note, fma: fma !== undefined });
}

const engines: Partial<Record<Backend, Engine>> = {};
let pending: Promise<Engine> | undefined;

/**
 * Loads a backend once for the whole program: the .wasm (default), or with `{ backend: 'js' }` the plain
 * TypeScript kernels. Call (and await) it before creating models on that backend. Repeated calls return the
 * same engine.
 */
export async function init(options: EngineOptions & { backend?: Backend } = {}): Promise<Engine> {
  checkOptions(options, 'init()', { backend: 'string', maxMemoryMB: 'count', fma: 'boolean' });
  threadsWanted(options.threads, 'init()');
  const backend = options.backend ?? 'wasm';
  if (backend === 'js') {
    const make = await loadJsKernels();
    if (!engines.js) {
      const { memory, maxBytes } = newMemory(options.maxMemoryMB ?? 2048);
      engines.js = new Engine('js', memory, make(memory), maxBytes);
    }
    return engines.js;
  }
  if (backend !== 'wasm') throw new SimdnetError('RANGE', `unknown backend '${String(backend)}' (use 'wasm' or 'js')`);
  if (engines.wasm) return engines.wasm;
  pending ??= createEngine('wasm', options).then(
    (e) => (engines.wasm = e),
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

/** The shared engine of a backend, once init() (for the js backend: init({ backend: 'js' })) has resolved. */
export function getEngine(backend: Backend = 'wasm'): Engine {
  if (backend !== 'wasm' && backend !== 'js')
    throw new SimdnetError('RANGE', `unknown backend '${String(backend)}' (use 'wasm' or 'js')`);
  const e = engines[backend];
  if (!e) {
    throw new SimdnetError(
      'STATE',
      backend === 'wasm'
        ? "the wasm backend is not loaded yet: `await init()` first (or `await init({ backend: 'js' })` and backend 'js')"
        : "the js backend is not loaded yet: `await init({ backend: 'js' })` first",
    );
  }
  return e;
}
