/**
 * An edge/serverless prediction endpoint for simdnet: `export default createPredictHandler(...)` is a module with
 * a `fetch(request)` handler, the shape Cloudflare Workers, `deno serve` and Bun accept.
 *
 *   POST /predict   {"inputs": [[...], ...]}  →  200 {"predictions": [[...], ...], "classes": [...]}
 *   GET  /health    →  200 {"ok": true, "inputs": n, "outputs": k} (loads the model if needed)
 *
 * The model is loaded once, on the first request (platforms such as Workers allow no I/O at start-up), and every
 * later request reuses it. Every bad request gets a 4xx JSON answer `{"error": "..."}` that names the problem,
 * and the handler keeps serving.
 */
import { argmaxRows, init, loadModel, SimdnetError, type Sequential, type WasmSource } from 'simdnet';

export interface PredictHandlerOptions {
  /** The saved model (saveModel / saveModelFile bytes), or a function that returns them; called once. */
  model: Uint8Array | ArrayBuffer | (() => Promise<Uint8Array | ArrayBuffer> | Uint8Array | ArrayBuffer);
  /**
   * The .wasm. On platforms that forbid compiling at run time (Cloudflare Workers) pass the precompiled
   * `WebAssembly.Module` the platform gives for `import wasm from 'simdnet/simdnet.wasm'`. Default: the file
   * beside the package (read or fetched).
   */
  wasm?: WasmSource;
  /** Largest request body accepted, in bytes (default 1 MiB); larger ones get 413 without being read whole. */
  maxBodyBytes?: number;
  /** Most rows per request (default 256). */
  maxRows?: number;
}

/** The module shape edge runtimes call. */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>;
}

/** A 4xx/5xx answer carried through the handler. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Reads at most `limit` bytes of the body; a longer body is cut off (and its stream cancelled) with 413. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  const tooLarge = (): HttpError => new HttpError(413, `request body is larger than the limit of ${limit} bytes`);
  if (declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** Checks the parsed body against the model: an object with `inputs`, rows of exactly `width` finite numbers. */
function rowsOf(body: unknown, width: number, maxRows: number): number[][] {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('inputs' in body)) {
    throw new HttpError(422, 'the body must be a JSON object {"inputs": [[...numbers], ...]}');
  }
  const inputs = (body as { inputs: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new HttpError(422, '"inputs" must be a non-empty array of rows');
  if (inputs.length > maxRows) throw new HttpError(422, `"inputs" has ${inputs.length} rows; at most ${maxRows} per request`);
  inputs.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new HttpError(422, `inputs[${i}] must be an array of ${width} numbers`);
    if (row.length !== width) throw new HttpError(422, `inputs[${i}] has ${row.length} values; the model takes ${width}`);
    const bad = row.findIndex((v: unknown) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new HttpError(422, `inputs[${i}][${bad}] is not a finite number`);
  });
  return inputs as number[][];
}

/** Builds the handler; nothing is loaded until the first request. */
export function createPredictHandler(options: PredictHandlerOptions): FetchHandler {
  const maxBodyBytes = options.maxBodyBytes ?? 2 ** 20;
  const maxRows = options.maxRows ?? 256;
  let loading: Promise<Sequential> | undefined;

  const model = (): Promise<Sequential> =>
    (loading ??= (async () => {
      await init(options.wasm === undefined ? {} : { wasm: options.wasm });
      const src = typeof options.model === 'function' ? await options.model() : options.model;
      const m = loadModel(src instanceof Uint8Array ? src : new Uint8Array(src));
      console.log(`simdnet: model '${m.name}' loaded (${m.inputDim} inputs → ${m.outputDim} outputs)`);
      return m;
    })().catch((err: unknown) => {
      loading = undefined; // a failed load (e.g. a missing file) is retried by the next request
      throw err;
    }));

  async function handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/health' && request.method === 'GET') {
      const m = await model();
      return json(200, { ok: true, inputs: m.inputDim, outputs: m.outputDim });
    }
    if (pathname !== '/predict') throw new HttpError(404, `no route ${pathname}; use POST /predict`);
    if (request.method !== 'POST') throw new HttpError(405, `use POST for /predict, not ${request.method}`);
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw new HttpError(415, `the body must be JSON (content-type: application/json), got ${JSON.stringify(type)}`);
    }
    const bytes = await readBody(request, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (err) {
      throw new HttpError(400, `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const m = await model();
    const rows = rowsOf(body, m.inputDim ?? 0, maxRows);
    const out = m.predict(rows);
    const predictions: number[][] = [];
    for (let r = 0; r < out.rows; r++) predictions.push(Array.from(out.data.subarray(r * out.cols, (r + 1) * out.cols)));
    return json(200, { predictions, classes: Array.from(argmaxRows(out)) });
  }

  return {
    async fetch(request: Request): Promise<Response> {
      try {
        return await handle(request);
      } catch (err) {
        if (err instanceof HttpError) return json(err.status, { error: err.message }, err.status === 405 ? { allow: 'POST' } : {});
        // Input the checks above let through but the library refuses (e.g. a value beyond float32 range).
        if (err instanceof SimdnetError && ['SHAPE', 'NONFINITE', 'RANGE', 'EMPTY', 'DTYPE'].includes(err.code)) {
          return json(422, { error: err.message });
        }
        console.error(err);
        return json(500, { error: `the model could not be served: ${err instanceof Error ? err.message : String(err)}` });
      }
    },
  };
}
