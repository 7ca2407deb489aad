import type { Kernels } from './abi.js';

/**
 * The fused multiply-add path. simdnet.wasm carries, in a custom section, a second build of the GEMM and conv
 * kernels (assembly/relaxed.ts) whose micro-kernels use `f32x4.relaxed_madd`. Where the runtime validates relaxed
 * SIMD (Deno, Chromium, Node ≥ 22; Node 20 with --experimental-wasm-relaxed-simd) it is instantiated on the main
 * module's memory and its kernels take the place of the SIMD128 ones; elsewhere nothing changes. Runtimes that
 * ignore custom sections (all of them, for execution) load the file as before.
 */

/** Name of the custom section of simdnet.wasm that holds the relaxed-SIMD module (scripts/embed-relaxed.js). */
export const RELAXED_SECTION = 'simdnet.relaxed';

/** The kernels the relaxed module overrides, exactly as assembly/relaxed.ts exports them. */
export const RELAXED_KERNELS = [
  'gemm_forward',
  'gemm_forward_cols',
  'gemm_backward_w',
  'gemm_backward_w_rows',
  'gemm_backward_x',
  'conv2d_forward_nhwc',
  'conv2d_forward_nhwc_rows',
  'conv2d_backward_w_nhwc',
  'conv2d_backward_w_nhwc_rows',
  'conv2d_backward_x_nhwc',
] as const satisfies readonly (keyof Kernels)[];

/** The overriding entries: spread over the SIMD128 kernels (`{ ...k, ...relaxed }`). */
export type RelaxedKernels = Pick<Kernels, (typeof RELAXED_KERNELS)[number]>;

/** How to compile the relaxed module (see {@link relaxedKernels}). */
export interface RelaxedOptions {
  /** Compile and instantiate synchronously (Node, Deno, workers); default: asynchronously. */
  sync?: boolean;
  /**
   * Rewrites the module bytes before they are compiled: e.g. the threads pool marks the memory import shared.
   * Applied to the bytes as carried in simdnet.wasm, before validation.
   */
  transform?: (bytes: Uint8Array) => Uint8Array;
}

/** The relaxed module's bytes carried by `main`, or undefined when it carries none (an older or foreign build). */
export function relaxedBytes(main: WebAssembly.Module): Uint8Array<ArrayBuffer> | undefined {
  const s = WebAssembly.Module.customSections(main, RELAXED_SECTION);
  return s.length === 1 ? new Uint8Array(s[0]) : undefined;
}

/**
 * The relaxed module compiled, or undefined where it cannot run: no section, a runtime that does not validate
 * relaxed SIMD, or one that refuses run-time compilation (Cloudflare Workers and other precompiled-only hosts).
 * The compiled module can be posted to workers and instantiated there on their memory.
 */
export async function relaxedModule(
  main: WebAssembly.Module,
  options: RelaxedOptions = {},
): Promise<WebAssembly.Module | undefined> {
  const bytes = relaxedBytes(main);
  if (bytes === undefined) return undefined;
  const b = (options.transform ? options.transform(bytes) : bytes) as Uint8Array<ArrayBuffer>;
  try {
    if (!WebAssembly.validate(b)) return undefined;
    return options.sync ? new WebAssembly.Module(b) : await WebAssembly.compile(b);
  } catch {
    // A host that forbids compiling at run time (workerd: "Wasm code generation disallowed by embedder").
    return undefined;
  }
}

/**
 * Instantiates a relaxed module (from {@link relaxedModule}) on `memory` and returns the kernel entries it
 * overrides, after checking it agrees with the SIMD128 kernels `k` on the scratch they take (the same source
 * computes the same gemm_workspace_size() and conv2d_backward_x_workspace_size()). Undefined when it cannot be
 * used (instantiation refused, or a module that does not match).
 */
export async function instantiateRelaxed(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  k: Pick<Kernels, 'gemm_workspace_size' | 'conv2d_backward_x_workspace_size'>,
  sync = false,
): Promise<RelaxedKernels | undefined> {
  let ex: Record<string, unknown>;
  try {
    const imports = { env: { memory } };
    const instance = sync ? new WebAssembly.Instance(module, imports) : await WebAssembly.instantiate(module, imports);
    ex = instance.exports as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const r = ex as unknown as RelaxedKernels & Pick<Kernels, 'gemm_workspace_size' | 'conv2d_backward_x_workspace_size'>;
  if (!RELAXED_KERNELS.every((name) => typeof ex[name] === 'function')) return undefined;
  if (typeof r.gemm_workspace_size !== 'function' || r.gemm_workspace_size() !== k.gemm_workspace_size())
    return undefined;
  if (typeof r.conv2d_backward_x_workspace_size !== 'function') return undefined;
  if (r.conv2d_backward_x_workspace_size(3, 3, 5, 7) !== k.conv2d_backward_x_workspace_size(3, 3, 5, 7))
    return undefined;
  const out = {} as Record<string, unknown>;
  for (const name of RELAXED_KERNELS) out[name] = ex[name];
  return out as unknown as RelaxedKernels;
}

/**
 * The hook: the relaxed-SIMD kernels for the main module `main` on `memory`, or undefined where they do not run
 * (then the SIMD128 kernels stay). Spread the result over the kernels of an instance of `main` on the same memory.
 */
export async function relaxedKernels(
  main: WebAssembly.Module,
  memory: WebAssembly.Memory,
  k: Pick<Kernels, 'gemm_workspace_size' | 'conv2d_backward_x_workspace_size'>,
  options: RelaxedOptions = {},
): Promise<RelaxedKernels | undefined> {
  const module = await relaxedModule(main, options);
  return module && instantiateRelaxed(module, memory, k, options.sync);
}
