// The thread pool: workers that each run the same module on the engine's shared WebAssembly.Memory, as dumb
// executors of kernel calls the calling thread hands them. In a SharedArrayBuffer of its own (not the wasm memory,
// so the arena never sees it): per worker a control block (a state word, its own scratch pointers, room for an
// error message), and one call area (the kernel's index, a claim counter and each part's arguments as f64). The
// caller cuts a call into parts (threads-split.ts), wakes workers, and every thread — the caller too — claims parts
// of its home range, then what is left of the others' (atomic counters), so a slow or late thread takes fewer. Workers spin for 2 ms after a
// call, waiting for the next, then sleep in Atomics.wait: an idle pool costs no CPU.
import { SimdnetError } from '../errors.js';
import type { Kernels } from './abi.js';
import { Engine, MAX_THREADS } from './engine.js';
import { compileBytes, readWasm, type WasmSource } from './loader.js';
import { syncFs } from './node.js';
import { instantiateRelaxed, RELAXED_KERNELS, relaxedBytes, relaxedModule } from './relaxed.js';
import { sharedMemoryVariant } from './shared-variant.js';
import {
  type DxWsSize,
  LIMITS,
  MAX_PARTS,
  PER_THREAD,
  SPLITTERS,
  type SplitContext,
  type Splitter,
} from './threads-split.js';

// Control block layout (bytes per worker): i32 words, the worker's scratch pointers as f64 (its GEMM workspace,
// its block for PER_THREAD scratch), then the message as UTF-16 units.
const BLOCK = 1024;
const W_STATE = 0;
const W_SLEEP = 1; // 1 while the worker sleeps (or is about to): only then does posting a call notify it
const W_WAITER = 2; // 1 while the caller sleeps on this worker's state: only then does finishing notify it
const W_MSGLEN = 3;
const OWN_AT = 32; // bytes: f64 [gemm workspace, scratch block]
const MSG_AT = 64;
const MSG_MAX = (BLOCK - MSG_AT) / 2;
// The call area after the blocks: i32 words, then the parts' arguments (MAX_PARTS rows of MAX_ARGS f64).
const C_THREADS = 0; // threads taking part: the caller (thread 0) and workers 0.. (threads 1..)
const C_PARTS = 1;
const C_KERNEL = 2;
const C_NARGS = 3;
const C_WS = 4; // the argument a thread replaces with its GEMM workspace (-1: none)
const C_SCRATCH = 5; // … with its scratch block (-1: none)
const C_CLAIMED = 8; // per thread t: parts claimed so far of t's home range (Atomics.add)
const TABLE_AT = 4 * (C_CLAIMED + MAX_THREADS); // bytes into the call area
const MAX_ARGS = 24;

// States of a worker's block.
const IDLE = 0; // nothing to do (also: the last call is done)
const POSTED = 1; // a call is waiting for the worker
const RUNNING = 2; // the worker has claimed it
const FAILED = 3; // the call threw (message in the block)
const STOP = 4; // terminate

/**
 * How long an idle worker spins before it sleeps. Waking a sleeping worker (Atomics.notify → futex → the OS
 * scheduling it) took tens to a hundred microseconds on this project's VM, often longer than the caller's own half
 * of a split convolution (~0.3 ms), which it then ran too: LeNet's split conv kernels went from ~1.75x to ~1.95x
 * with a 2 ms window (2026-12-07). A training step's split calls come well within 2 ms of each other; an idle pool
 * stops costing CPU 2 ms after its last call.
 */
const SPIN_MS = 2;
/** The caller counts the workers awake this long after a call or a wake-up (half their spin: a safe margin). */
const AWAKE_MS = SPIN_MS / 2;

/** Waiting longer than this for a worker to claim a posted call means it is gone (it claims within microseconds). */
const CLAIM_TIMEOUT_MS = 10_000;

/**
 * The worker's program, as source text so no separate file has to ship or be found by bundlers. `node` selects
 * node:worker_threads' parentPort over a web worker's `self`.
 */
function workerSource(node: boolean): string {
  return `'use strict';
const port = ${node ? "process.getBuiltinModule('node:worker_threads').parentPort" : 'self'};
const on = (f) => ${node ? "port.on('message', f)" : "self.addEventListener('message', (e) => f(e.data))"};
let started = false;
on(async (msg) => {
  if (started) return;
  started = true;
  try {
    const { memory, ctrl, index, names, spinMs } = msg;
    const module = msg.module || await WebAssembly.compile(msg.bytes);
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    const ex = { ...exports };
    const relaxed = msg.relaxed || (msg.relaxedBytes && await WebAssembly.compile(msg.relaxedBytes));
    if (relaxed) {
      // The fused multiply-add kernels, as the calling thread runs them (src/runtime/relaxed.ts): same results.
      const r = (await WebAssembly.instantiate(relaxed, { env: { memory } })).exports;
      for (const n of msg.relaxedNames) ex[n] = r[n];
    }
    const fns = names.map((n) => ex[n]);
    const base = index * ${BLOCK};
    const i32 = new Int32Array(ctrl, base, ${BLOCK / 4});
    const own = new Float64Array(ctrl, base + ${OWN_AT}, 2);
    const msgArr = new Uint16Array(ctrl, base + ${MSG_AT}, ${MSG_MAX});
    const call = new Int32Array(ctrl, msg.callAt, ${TABLE_AT / 4});
    const table = new Float64Array(ctrl, msg.callAt + ${TABLE_AT}, msg.maxParts * ${MAX_ARGS});
    const argv = [];
    port.postMessage({ ready: true });
    for (;;) {
      let s = Atomics.load(i32, ${W_STATE});
      // Spin for spinMs after the last call (a training step's next split call is usually that close), then sleep;
      // woken without a call (ThreadPool.warm: calls are coming), spin again.
      let until = performance.now() + spinMs;
      for (let n = 0; s !== ${POSTED} && s !== ${STOP}; s = Atomics.load(i32, ${W_STATE})) {
        if ((++n & 255) === 0 && performance.now() > until) {
          // Say so, then look once more: a call posted before the flag is seen here, one posted after sees the flag
          // and notifies (a notify costs the caller a lock even with nobody waiting).
          Atomics.store(i32, ${W_SLEEP}, 1);
          s = Atomics.load(i32, ${W_STATE});
          if (s !== ${POSTED} && s !== ${STOP}) Atomics.wait(i32, ${W_STATE}, s);
          Atomics.store(i32, ${W_SLEEP}, 0);
          until = performance.now() + spinMs;
        }
      }
      if (s === ${STOP}) break;
      if (Atomics.compareExchange(i32, ${W_STATE}, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
      const fn = fns[call[${C_KERNEL}]];
      const nargs = call[${C_NARGS}], parts = call[${C_PARTS}], wsArg = call[${C_WS}], scrArg = call[${C_SCRATCH}];
      const threads = call[${C_THREADS}];
      argv.length = nargs;
      let next = ${IDLE};
      try {
        memory.buffer; // (a grown shared memory: refresh this thread's view of its length before the call)
        // Its home range first (thread index + 1), then what is left of the others' (as ThreadPool.claim).
        for (let r = 0; r < threads; r++) {
          const t = (index + 1 + r) % threads;
          const s = Math.floor((t * parts) / threads), e = Math.floor(((t + 1) * parts) / threads);
          for (let i = s + Atomics.add(call, ${C_CLAIMED} + t, 1); i < e; i = s + Atomics.add(call, ${C_CLAIMED} + t, 1)) {
            const row = i * ${MAX_ARGS};
            for (let a = 0; a < nargs; a++) argv[a] = table[row + a];
            if (wsArg >= 0) argv[wsArg] = own[0];
            if (scrArg >= 0) argv[scrArg] = own[1];
            fn.apply(null, argv);
          }
        }
      } catch (err) {
        const text = String(err && err.stack || err).slice(0, ${MSG_MAX});
        for (let c = 0; c < text.length; c++) msgArr[c] = text.charCodeAt(c);
        i32[${W_MSGLEN}] = text.length;
        next = ${FAILED};
      }
      Atomics.store(i32, ${W_STATE}, next);
      if (Atomics.load(i32, ${W_WAITER}) !== 0) Atomics.notify(i32, ${W_STATE});
    }
  } catch (err) {
    port.postMessage({ error: String(err && err.stack || err) });
  }
});
`;
}

interface WorkerLike {
  postMessage(msg: unknown): void;
  terminate(): unknown;
}

/** Where threads cannot run, why (undefined: they can). */
export function threadsUnavailable(): string | undefined {
  const g = globalThis as {
    SharedArrayBuffer?: unknown;
    crossOriginIsolated?: boolean;
    Worker?: unknown;
    Atomics?: unknown;
  };
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object') {
    return g.crossOriginIsolated === false
      ? 'SharedArrayBuffer needs cross-origin isolation: serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp'
      : 'this runtime has no SharedArrayBuffer / Atomics';
  }
  if (g.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
  }
  if (nodeWorkers() === undefined && typeof g.Worker !== 'function')
    return 'this runtime has no workers (no Worker, no node:worker_threads)';
  return undefined;
}

type NodeWorkerThreads = typeof import('node:worker_threads');

/**
 * node:worker_threads where the runtime has it (Node, Bun, Deno 2): unlike a web Worker there, its workers can be
 * unref()'d, so an engine never disposed does not keep the process from exiting.
 */
function nodeWorkers(): NodeWorkerThreads | undefined {
  const g = globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } };
  if (typeof g.process?.versions?.node !== 'string' || typeof g.process.getBuiltinModule !== 'function')
    return undefined;
  return g.process.getBuiltinModule('node:worker_threads') as NodeWorkerThreads | undefined;
}

/** The `threads: 'auto'` count: the cores the runtime reports (at least 1). */
export function autoThreads(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let n = nav?.hardwareConcurrency;
  if (!(typeof n === 'number' && n >= 1)) {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const os = p?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
    n = os?.availableParallelism?.() ?? 1;
  }
  return Math.max(1, Math.min(MAX_THREADS, Math.floor(n)));
}

/**
 * The workers of one engine. Starts them (awaited by createEngine), runs split calls, reports a worker that died
 * as a SimdnetError on the call that needed it, and terminates them on dispose.
 */
export class ThreadPool {
  private readonly workers: WorkerLike[] = [];
  private readonly i32: Int32Array;
  private readonly owns: Float64Array[] = [];
  private readonly msgs: Uint16Array[] = [];
  private readonly call: Int32Array;
  private readonly table: Float64Array;
  /** Set when a worker errored outside a call or exited: the reason. */
  private dead: string | undefined;
  /** Split calls run (for tests and benches). */
  calls = 0;
  /** Workers withdrawn from a call because every part was taken before they woke. */
  taken = 0;
  /** Whether the calling thread claims parts too (tests switch it off to make workers run every part). */
  steal = true;
  /** True once a call has thrown for `dead`. */
  private reported = false;
  /** performance.now() when the workers were last known awake: a call's end, or a wake-up sent by warm(). */
  private awake = -Infinity;
  /** When warm() last found them asleep. */
  private asked = -Infinity;
  /** Wake-ups sent by warm() (for tests). */
  wakes = 0;
  private readonly canWait: boolean;
  private urls: string[] = [];

  private constructor(readonly size: number) {
    const ctrl = new SharedArrayBuffer(BLOCK * size + TABLE_AT + MAX_PARTS * MAX_ARGS * 8);
    this.i32 = new Int32Array(ctrl);
    for (let w = 0; w < size; w++) {
      this.owns.push(new Float64Array(ctrl, w * BLOCK + OWN_AT, 2));
      this.msgs.push(new Uint16Array(ctrl, w * BLOCK + MSG_AT, MSG_MAX));
    }
    this.call = new Int32Array(ctrl, this.callAt, TABLE_AT / 4);
    this.table = new Float64Array(ctrl, this.callAt + TABLE_AT, MAX_PARTS * MAX_ARGS);
    // A browser's main thread may not block: Atomics.wait throws there, and the caller spins instead.
    let ok = true;
    try {
      Atomics.wait(this.i32, 0, 1, 0);
    } catch {
      ok = false;
    }
    this.canWait = ok;
  }

  /** The control buffer (shared with the workers). */
  private get ctrl(): SharedArrayBuffer {
    return this.i32.buffer as SharedArrayBuffer;
  }

  /** Byte offset of the call area in the control buffer. */
  private get callAt(): number {
    return BLOCK * this.size;
  }

  /** Sets worker w's own scratch: its GEMM workspace and its PER_THREAD block (pointers into the wasm memory). */
  setOwn(w: number, gemmWs: number, scratch: number): void {
    this.owns[w][0] = gemmWs;
    this.owns[w][1] = scratch;
  }

  /**
   * Starts `size` workers on `module` (the shared-memory variant compiled from `bytes`) and `memory`; resolves once
   * every one has instantiated the module.
   */
  static async start(
    size: number,
    module: WebAssembly.Module,
    bytes: Uint8Array,
    memory: WebAssembly.Memory,
    names: string[],
    relaxed?: { module: WebAssembly.Module; bytes: Uint8Array },
  ): Promise<ThreadPool> {
    const pool = new ThreadPool(size);
    const nodeWt = nodeWorkers();
    const spinMs = SPIN_MS;
    const ready: Array<Promise<void>> = [];
    try {
      for (let index = 0; index < size; index++) {
        let w: WorkerLike;
        ready.push(
          new Promise<void>((resolve, reject) => {
            const fail = (why: string): void => {
              pool.dead ??= `a simdnet worker thread stopped: ${why}`;
              reject(new SimdnetError('UNSUPPORTED', `a simdnet worker thread failed to start: ${why}`));
            };
            let stopListening = (): void => {};
            const onMessage = (m: { ready?: boolean; error?: string }): void => {
              stopListening(); // the one message a worker sends (a listener left on would keep Node from exiting)
              if (m?.ready) resolve();
              else if (m?.error) fail(m.error);
            };
            if (nodeWt) {
              const nw = new nodeWt.Worker(workerSource(true), { eval: true });
              nw.unref(); // idle workers must not keep the process alive
              nw.on('message', onMessage);
              stopListening = () => nw.off('message', onMessage);
              nw.on('error', (err) => fail(String(err)));
              nw.on('exit', (code) => fail(`exited with code ${code}`));
              w = nw;
            } else {
              const url = URL.createObjectURL(new Blob([workerSource(false)], { type: 'text/javascript' }));
              pool.urls.push(url);
              const ww = new Worker(url, { type: 'module' });
              (ww as { unref?: () => void }).unref?.(); // Deno: idle workers must not keep the process alive
              const listener = (e: Event): void => onMessage((e as MessageEvent).data);
              ww.addEventListener('message', listener);
              stopListening = () => ww.removeEventListener('message', listener);
              ww.addEventListener('error', (e) => {
                (e as Event).preventDefault?.();
                fail(String((e as ErrorEvent).message ?? e));
              });
              w = ww;
            }
            pool.workers.push(w);
            const msg = {
              memory,
              ctrl: pool.ctrl,
              callAt: pool.callAt,
              maxParts: MAX_PARTS,
              index,
              names,
              spinMs,
              relaxedNames: RELAXED_KERNELS,
            };
            try {
              w.postMessage({ ...msg, module, relaxed: relaxed?.module });
            } catch {
              // A runtime that cannot post a compiled module: the worker compiles.
              w.postMessage({ ...msg, bytes, relaxedBytes: relaxed?.bytes });
            }
          }),
        );
      }
      await Promise.all(ready);
    } catch (err) {
      pool.terminate();
      throw err;
    }
    return pool;
  }

  /**
   * Whether the workers are awake (a call ended, or they were woken, under AWAKE_MS ago): then handing them a part
   * costs about a microsecond, and work too small to pay for waking a sleeping worker splits (LIMITS.hotMacs).
   * Asleep, and asked twice within AWAKE_MS (small calls back to back: a prediction loop), it wakes them for the
   * calls that follow; this one runs on the calling thread. Calls further apart never wake anyone.
   */
  warm(): boolean {
    const now = performance.now();
    if (now - this.awake < AWAKE_MS) return true;
    if (now - this.asked < AWAKE_MS && this.dead === undefined) {
      for (let w = 0; w < this.size; w++) {
        const at = (w * BLOCK) >> 2;
        if (Atomics.load(this.i32, at + W_SLEEP) !== 0) Atomics.notify(this.i32, at + W_STATE);
      }
      this.awake = now;
      this.wakes++;
    }
    this.asked = now;
    return false;
  }

  /** Why the pool cannot run calls (a worker died), or undefined. */
  get failure(): string | undefined {
    return this.dead;
  }

  /**
   * Runs every part of a call of kernel `id` (`direct`: the module's function, on this thread) across this thread
   * and the workers: each claims the parts of its home range, then what is left of the others' (see claim), so the
   * parts end up spread by how fast each thread is. In a worker, argument `wsArg` (>= 0) is replaced by its GEMM workspace and `scratchArg` by its
   * scratch block (see setOwn). Returns when all are done. A part that threw in a worker, or a worker that is gone,
   * throws a SimdnetError after every live part has finished (the memory is never written behind the caller's back).
   */
  run(id: number, direct: (...a: number[]) => unknown, parts: number[][], wsArg = -1, scratchArg = -1): void {
    if (this.dead) {
      if (!this.reported) {
        this.reported = true;
        throw new SimdnetError('STATE', `${this.dead}; this call did not run, the next ones run on one thread`);
      }
      for (const p of parts) direct(...p); // the same parts one after another: the same results
      return;
    }
    this.calls++;
    const count = parts.length;
    const call = this.call;
    const table = this.table;
    for (let i = 0; i < count; i++) table.set(parts[i], i * MAX_ARGS);
    // As many workers as there are parts beyond this thread's first (all of them when this thread claims none).
    const n = Math.min(this.size, this.steal ? count - 1 : count);
    const threads = n + 1;
    call[C_THREADS] = threads;
    call[C_PARTS] = count;
    call[C_KERNEL] = id;
    call[C_NARGS] = parts[0].length;
    call[C_WS] = wsArg;
    call[C_SCRATCH] = scratchArg;
    for (let t = 0; t < threads; t++) Atomics.store(call, C_CLAIMED + t, 0);
    const i32 = this.i32;
    for (let w = 0; w < n; w++) {
      const at = ((w * BLOCK) >> 2) + W_STATE;
      Atomics.store(i32, at, POSTED);
      if (Atomics.load(i32, at - W_STATE + W_SLEEP) !== 0) Atomics.notify(i32, at);
    }
    let mine: unknown;
    let threw = false;
    if (this.steal) {
      try {
        this.claim(threads, count, (i) => direct(...parts[i]));
      } catch (err) {
        threw = true;
        mine = err;
      }
    }
    let problem: string | undefined;
    for (let w = 0; w < n; w++) {
      // A worker that has not woken yet (asleep, descheduled on a busy machine, or gone) when every part is taken
      // is withdrawn: it never runs late, and the call does not wait for it.
      const at = ((w * BLOCK) >> 2) + W_STATE;
      if (
        this.steal &&
        this.allClaimed(threads, count) &&
        Atomics.load(i32, at) === POSTED &&
        Atomics.compareExchange(i32, at, POSTED, IDLE) === POSTED
      ) {
        this.taken++;
        continue;
      }
      const why = this.await(w);
      problem ??= why;
    }
    this.awake = performance.now();
    if (threw) throw mine;
    if (problem) {
      if (this.dead) this.reported = true;
      throw new SimdnetError('STATE', problem);
    }
  }

  /**
   * The calling thread's claims (thread 0; workers run the same loop in their source): parts are dealt out in
   * contiguous home ranges, one per thread — as a static split would, so consecutive calls cut alike (a conv, its
   * ReLU, its pooling) find their part of the data in the same core's cache — and a thread done with its own range
   * takes what is left of the others', one part at a time, so a slow core holds the call up by one part at most.
   */
  private claim(threads: number, count: number, run: (i: number) => void): void {
    const call = this.call;
    for (let t = 0; t < threads; t++) {
      const s = Math.floor((t * count) / threads);
      const e = Math.floor(((t + 1) * count) / threads);
      for (let i = s + Atomics.add(call, C_CLAIMED + t, 1); i < e; i = s + Atomics.add(call, C_CLAIMED + t, 1)) run(i);
    }
  }

  /** True when every part of the call has been claimed. */
  private allClaimed(threads: number, count: number): boolean {
    for (let t = 0; t < threads; t++) {
      const len = Math.floor(((t + 1) * count) / threads) - Math.floor((t * count) / threads);
      if (Atomics.load(this.call, C_CLAIMED + t) < len) return false;
    }
    return true;
  }

  /** Waits for worker w's call; returns a message if it failed or the worker is gone. */
  private await(w: number): string | undefined {
    const i32 = this.i32;
    const at = ((w * BLOCK) >> 2) + W_STATE;
    const t0 = Date.now();
    for (let n = 0; ; n++) {
      const s = Atomics.load(i32, at);
      if (s === IDLE) return undefined;
      if (s === FAILED) {
        const len = i32[((w * BLOCK) >> 2) + W_MSGLEN];
        const text = String.fromCharCode(...this.msgs[w].subarray(0, len));
        Atomics.store(i32, at, IDLE);
        return `a kernel failed in a simdnet worker thread: ${text}`;
      }
      if (n < 2000) continue; // the part is usually done within microseconds of ours
      if (this.canWait) {
        // Flag first: a worker that finishes after the flag notifies; one that finished before changed the state,
        // and the wait returns at once.
        Atomics.store(i32, at - W_STATE + W_WAITER, 1);
        Atomics.wait(i32, at, s, 50);
        Atomics.store(i32, at - W_STATE + W_WAITER, 0);
      } else if ((n & 1023) !== 0) continue;
      if (
        s === POSTED &&
        Date.now() - t0 > CLAIM_TIMEOUT_MS &&
        Atomics.compareExchange(i32, at, POSTED, IDLE) === POSTED
      ) {
        // Never claimed: the worker is gone (terminated, crashed). Withdrawn, so it can never run late.
        this.dead ??= `simdnet worker thread ${w + 1} stopped responding`;
        return this.dead;
      }
    }
  }

  /** Stops every worker (idempotent). */
  terminate(): void {
    this.dead ??= 'the thread pool was terminated';
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.i32, (w * BLOCK) >> 2, STOP);
      Atomics.notify(this.i32, (w * BLOCK) >> 2);
      void this.workers[w].terminate();
    }
    this.workers.length = 0;
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
  }

  /** For tests: the workers (e.g. to terminate one and see the next call refuse). */
  get handles(): readonly WorkerLike[] {
    return this.workers;
  }
}

/**
 * Makes `engine` threaded: its `k` entries for the kernels in SPLITTERS cut calls above their thresholds across
 * `pool` (the calling thread claims parts too); the rest call the module directly. `names` is the kernel table the
 * workers index into.
 */
export function attachPool(engine: Engine, pool: ThreadPool, names: string[]): void {
  const k = engine.k as unknown as Record<string, (...a: number[]) => unknown>;
  const arena = engine.arena;
  const wsBytes = engine.k.gemm_workspace_size();
  // Each worker's own scratch: a GEMM workspace, and a block for PER_THREAD scratch grown on demand.
  const own = Array.from({ length: pool.size }, () => ({ ws: arena.alloc(wsBytes), block: 0, bytes: 0 }));
  own.forEach((o, w) => pool.setOwn(w, o.ws, 0));
  const ensure = (bytes: number): void => {
    own.forEach((o, w) => {
      if (o.bytes >= bytes) return;
      if (o.block) {
        engine.free(o.block);
        o.block = 0;
        o.bytes = 0;
        pool.setOwn(w, o.ws, 0);
      }
      o.block = engine.arena.alloc(bytes); // (MEMORY here leaves the worker with none: the call did not start)
      o.bytes = bytes;
      pool.setOwn(w, o.ws, o.block);
    });
  };
  const dxWsSize = k.conv2d_backward_x_workspace_size as DxWsSize;
  const ctx: SplitContext = { threads: pool.size + 1, hot: () => pool.warm() };
  const ids = new Map(names.map((n, i) => [n, i]));
  const raw = { ...k }; // the module's own functions, before any is wrapped
  // One row never splits a convolution or pooling (one sample) or a row-wise kernel; an element-wise one over
  // >= LIMITS.elements floats (up to 8 operands counted) could, and a GEMV of >= LIMITS.hotMacs weights when the
  // workers are awake (a prediction loop: warm() wakes them when asked twice in a row).
  engine.setWhole(
    raw as unknown as Kernels,
    (rows, floats, macs) => rows === 1 && floats * 8 < LIMITS.elements && !(macs >= LIMITS.hotMacs && pool.warm()),
  );
  const wrap = (name: string, split: Splitter, target: string, toTarget?: (a: number[]) => number[]): void => {
    const direct = raw[name];
    const directTarget = raw[target];
    const id = ids.get(target);
    if (typeof direct !== 'function' || typeof directTarget !== 'function' || id === undefined) return;
    const per = PER_THREAD[target];
    k[name] = (...a: number[]) => {
      const args = toTarget ? toTarget(a) : a;
      const parts = split(args, ctx);
      if (!parts) return direct(...a);
      if (per?.bytes) {
        ensure(per.bytes(args, dxWsSize));
        pool.run(id, directTarget, parts, -1, per.arg);
      } else pool.run(id, directTarget, parts, per ? per.arg : -1);
    };
  };
  for (const [name, split] of Object.entries(SPLITTERS)) wrap(name, split, name);
  // The whole forward GEMM is columns [0, n) of gemm_forward_cols.
  wrap('gemm_forward', SPLITTERS.gemm_forward_cols, 'gemm_forward_cols', (a) => [...a, 0, a[7]]);
  // The whole weight gradient is rows [0, k) of gemm_backward_w_rows.
  wrap('gemm_backward_w', SPLITTERS.gemm_backward_w_rows, 'gemm_backward_w_rows', (a) => [...a, 0, a[5]]);
  // …the whole convolution output rows [0, oh) of conv2d_forward_nhwc_rows…
  wrap('conv2d_forward_nhwc', SPLITTERS.conv2d_forward_nhwc_rows, 'conv2d_forward_nhwc_rows', (a) => [...a, 0, a[14]]);
  // …and the whole filter gradient taps [0, kh·kw·c) of conv2d_backward_w_nhwc_rows.
  wrap('conv2d_backward_w_nhwc', SPLITTERS.conv2d_backward_w_nhwc_rows, 'conv2d_backward_w_nhwc_rows', (a) => [
    ...a,
    0,
    a[7] * a[8] * a[6],
  ]);
}

/** The kernel names a pool's workers index by (every exported function of the module). */
function kernelNames(exports: WebAssembly.Exports): string[] {
  return Object.keys(exports)
    .filter((n) => typeof exports[n] === 'function')
    .sort();
}

/**
 * A wasm engine on `threads` (a count or 'auto') > 1: the module's shared-memory variant, instantiated here on a
 * shared memory, and a pool of threads − 1 workers on the same memory. Where that cannot be (threadsUnavailable();
 * a precompiled module, whose bytes cannot be had back) the reason instead, for engine.threadsNote; '' when
 * 'auto' finds one core.
 */
export async function threadedEngine(
  source: WasmSource | undefined,
  maxBytes: number,
  threads: number | 'auto',
  fma: boolean,
): Promise<Engine | string> {
  const n = threads === 'auto' ? autoThreads() : threads;
  if (n <= 1) return '';
  const why = threadsUnavailable();
  if (why) return why;
  const got = await readWasm(source);
  if (got instanceof WebAssembly.Module)
    return 'the .wasm was given as a compiled WebAssembly.Module, whose bytes a shared-memory variant needs';
  const bytes = sharedMemoryVariant(got);
  const module = await compileBytes(bytes, syncFs() !== undefined);
  let memory: WebAssembly.Memory;
  try {
    // A shared memory reserves its maximum up front (it cannot move when it grows): a 32-bit device may refuse.
    memory = new WebAssembly.Memory({ initial: 16, maximum: Math.floor(maxBytes / 65536), shared: true });
  } catch (err) {
    return `a shared memory of ${Math.round(maxBytes / 2 ** 20)} MiB could not be reserved (${String(err)}); a smaller maxMemoryMB may fit`;
  }
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (err) {
    throw new SimdnetError('FORMAT', `simdnet.wasm (shared-memory variant) failed to instantiate: ${String(err)}`);
  }
  const names = kernelNames(instance.exports);
  const k = instance.exports as unknown as Kernels;
  // Fused multiply-add where it runs: the relaxed module, its memory import made shared too, here and in every
  // worker (a relaxed module that cannot be posted is not used at all: every thread must round alike).
  const sync = syncFs() !== undefined;
  const relaxed = fma ? await relaxedModule(module, { sync, transform: sharedMemoryVariant }) : undefined;
  const fmaK = relaxed && (await instantiateRelaxed(relaxed, memory, k, sync));
  let pool: ThreadPool;
  try {
    const carried =
      fmaK && relaxed
        ? { module: relaxed, bytes: sharedMemoryVariant(relaxedBytes(module) ?? new Uint8Array()) }
        : undefined;
    pool = await ThreadPool.start(n - 1, module, bytes, memory, names, carried);
  } catch (err) {
    // E.g. a Content-Security-Policy without worker-src blob:, or a worker that could not instantiate the module.
    return `the worker threads could not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  const kernels = fmaK ? { ...k, ...fmaK } : k;
  return new Engine('wasm', memory, kernels, maxBytes, {
    pool,
    note: '',
    fma: fmaK !== undefined,
    attach: (e) => attachPool(e, pool, names),
  });
}
