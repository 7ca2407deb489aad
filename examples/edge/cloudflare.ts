/**
 * The same endpoint as a Cloudflare Worker. Workers forbid compiling WebAssembly at run time, so the .wasm comes
 * in as a precompiled `WebAssembly.Module` (wrangler's default CompiledWasm rule for `*.wasm` imports) and the
 * model as bytes (add a Data rule: `[[rules]] type = "Data"  globs = ["**\/*.simdnet"]` in wrangler.toml).
 * Tested in Cloudflare's own runtime (test/runtimes/edge.test.ts: bundled into one ES module, run by `workerd serve`
 * with the .wasm as a compiled-module binding; workerd refuses `WebAssembly.compile` at run time, as production does).
 */
// @ts-expect-error -- resolved by wrangler to a WebAssembly.Module
import wasm from 'simdnet/simdnet.wasm';
// @ts-expect-error -- resolved by wrangler's Data rule to an ArrayBuffer
import model from './model.simdnet';
import { createPredictHandler } from './handler.ts';

export default createPredictHandler({ wasm: wasm as WebAssembly.Module, model: model as ArrayBuffer });
