/**
 * The prediction endpoint under `deno serve`, with the .wasm compiled once here and injected as a
 * `WebAssembly.Module` (the way edge platforms hand it over). Put your saved model beside this file as model.simdnet:
 *
 *   deno serve --host 127.0.0.1 --port 8000 --allow-read=. edge/deno.ts
 *   curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"inputs": [[0, 0, 0, 0, 0, 0, 0, 0]]}'
 *
 * The handler's limits (body size, read deadline, requests in flight, bytes held) are options of
 * createPredictHandler; the defaults are used here.
 */
import { createPredictHandler } from './handler.ts';

const wasm = await WebAssembly.compile(await Deno.readFile(new URL(import.meta.resolve('simdnet/simdnet.wasm'))));

export default createPredictHandler({
  wasm,
  model: () => Deno.readFile(new URL('./model.simdnet', import.meta.url)),
});
