// The ABI of simdnet.wasm: everything the host may call. src/runtime/abi.ts mirrors it as a TS interface.
// Conventions: outputs first, then inputs, then sizes (i32), then scalars (f32; seeds i32); pointers usize.

export function heap_base(): usize {
  return __heap_base;
}

export * from './gemm/index';
export * from './bias';
export * from './activations';
export * from './losses';
export * from './optim';
export * from './dropout';
export * from './util';
export * from './permute';
export * from './sparse/index';
export * from './distill';
export * from './quant/index';
export * from './xxh32';
export * from './conv/index';
export * from './metrics';
