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
 *
 * The handler sheds bad or excess clients itself, whatever the platform in front of it does:
 *   - a body larger than `maxBodyBytes` → 413, by Content-Length or counted while streaming (a chunked body is cut
 *     off at the limit);
 *   - a body that has not fully arrived `readTimeoutMs` after the request came in → 408 (its stream is cancelled);
 *   - more than `maxInFlight` requests being read or predicted at once, or more than `maxBufferedBytes` of request
 *     bodies held at once → 503 with `Retry-After`, answered before reading anything.
 * So what a burst of slow or malformed clients can hold is bounded: at most `maxInFlight` requests for at most
 * `readTimeoutMs` each, and at most `maxBufferedBytes` of their bodies.
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
  /** Time for the whole body to arrive, in ms from the request's arrival (default 2000); later → 408. */
  readTimeoutMs?: number;
  /** Most requests being read, parsed or predicted at once (default 256); past it → 503 + Retry-After. */
  maxInFlight?: number;
  /** Most request-body bytes held at once over all requests (default 16 MiB); past it → 503 + Retry-After. */
  maxBufferedBytes?: number;
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
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Sent with every answer given before the body was read through (408, 413, 503): the rest of that body is never
 * read, so the connection cannot carry another request; this tells the server to close it rather than keep a
 * stalled peer's socket open. (Platforms that manage connections themselves ignore it.)
 */
const CLOSE = { connection: 'close' };

/** A positive integer option, or its default; anything else is a programming error, refused at construction. */
function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** What a body read may use: its size limit, its deadline, and the shared buffer budget. */
interface ReadLimits {
  maxBytes: number;
  /** When the body must have arrived (a Date.now() time) and what the 408 says. */
  deadline: number;
  timeoutMs: number;
  /** Claims `n` more bytes of the shared budget; false when it is spent. */
  claim(n: number): boolean;
}

/** The first buffer a body is read into when the stream lets us supply it (grown by doubling as data comes). */
const FIRST_READ_BYTES = 4096;

/**
 * Reads the body within the limits: at most `maxBytes` (413; a longer stream is cut off), all of it before the
 * deadline (408), the memory for it claimed from the shared budget first (503). On any failure the stream is
 * cancelled, so a stalled or oversize client holds nothing here once it has its answer.
 *
 * Where the body is a byte stream (Deno, Workers) it is read with a BYOB reader into a buffer we size: a stalled
 * body then pins 4 KiB while it waits, not the 64 KiB a default read allocates (under a flood of stalled bodies
 * that difference is most of the server's memory growth until the next full GC).
 */
async function readBody(request: Request, limits: ReadLimits): Promise<Uint8Array> {
  const tooLarge = (): HttpError =>
    new HttpError(413, `request body is larger than the limit of ${limits.maxBytes} bytes`, CLOSE);
  const spent = (): HttpError =>
    new HttpError(503, 'the server holds too many request bodies right now; retry shortly', {
      'retry-after': '1',
      ...CLOSE,
    });
  if (!request.body) return new Uint8Array(0);
  const body = request.body;
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    // not a byte stream (e.g. a Request built in Node from a plain stream): read its chunks as they come
  }
  const reader = byob ?? body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(408, `the request body did not arrive within ${limits.timeoutMs} ms`, CLOSE)),
      Math.max(0, limits.deadline - Date.now()),
    );
  });
  expired.catch(() => {}); // observed through the races below; this keeps a late rejection from being "unhandled"
  let finished = false;
  try {
    const bytes = byob
      ? await readInto(byob, limits, expired, tooLarge, spent)
      : await readChunks(reader as ReadableStreamDefaultReader<Uint8Array>, limits, expired, tooLarge, spent);
    finished = true;
    return bytes;
  } finally {
    clearTimeout(timer);
    if (!finished) reader.cancel().catch(() => {}); // not awaited: a stalled peer must not hold the answer back
  }
}

/**
 * BYOB: reads into one buffer, doubled as it fills, never offering a read less than 1 KiB of room (Deno 2.9 was
 * seen to stall on a 1-byte read), up to maxBytes + 4 KiB so that a body one byte past the limit shows as such.
 * The budget is charged for the buffer's size, counted up to maxBytes.
 */
async function readInto(
  reader: ReadableStreamBYOBReader,
  limits: ReadLimits,
  expired: Promise<never>,
  tooLarge: () => HttpError,
  spent: () => HttpError,
): Promise<Uint8Array> {
  const cap = limits.maxBytes + FIRST_READ_BYTES;
  const charged = (size: number): number => Math.min(size, limits.maxBytes);
  let buf = new Uint8Array(FIRST_READ_BYTES);
  if (!limits.claim(charged(buf.byteLength))) throw spent();
  let total = 0;
  for (;;) {
    if (total > limits.maxBytes) throw tooLarge();
    if (buf.byteLength - total < 1024) {
      // total ≤ maxBytes here, so the capped size still leaves ≥ 4 KiB of room
      const bigger = new Uint8Array(Math.min(cap, buf.byteLength * 2));
      if (!limits.claim(charged(bigger.byteLength) - charged(buf.byteLength))) throw spent();
      bigger.set(buf.subarray(0, total));
      buf = bigger;
    }
    const { done, value } = await Promise.race([reader.read(buf.subarray(total)), expired]);
    // The read transferred our buffer; `value` views the same memory under its new owner.
    if (value) buf = new Uint8Array(value.buffer, 0, value.buffer.byteLength);
    if (done) break;
    total += value!.byteLength;
  }
  if (total > limits.maxBytes) throw tooLarge();
  return buf.subarray(0, total);
}

/** Default reader: keeps the chunks the stream gives, each claimed as it comes; joined at the end. */
async function readChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limits: ReadLimits,
  expired: Promise<never>,
  tooLarge: () => HttpError,
  spent: () => HttpError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await Promise.race([reader.read(), expired]);
    if (done) break;
    total += value.byteLength;
    if (total > limits.maxBytes) throw tooLarge();
    if (!limits.claim(value.byteLength)) throw spent();
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
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new HttpError(422, '"inputs" must be a non-empty array of rows');
  if (inputs.length > maxRows)
    throw new HttpError(422, `"inputs" has ${inputs.length} rows; at most ${maxRows} per request`);
  inputs.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new HttpError(422, `inputs[${i}] must be an array of ${width} numbers`);
    if (row.length !== width)
      throw new HttpError(422, `inputs[${i}] has ${row.length} values; the model takes ${width}`);
    const bad = row.findIndex((v: unknown) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new HttpError(422, `inputs[${i}][${bad}] is not a finite number`);
  });
  return inputs as number[][];
}

/** Builds the handler; nothing is loaded until the first request. */
export function createPredictHandler(options: PredictHandlerOptions): FetchHandler {
  const maxBodyBytes = limit('maxBodyBytes', options.maxBodyBytes, 2 ** 20);
  const maxRows = limit('maxRows', options.maxRows, 256);
  const readTimeoutMs = limit('readTimeoutMs', options.readTimeoutMs, 2000);
  const maxInFlight = limit('maxInFlight', options.maxInFlight, 256);
  const maxBufferedBytes = limit('maxBufferedBytes', options.maxBufferedBytes, Math.max(16 * 2 ** 20, maxBodyBytes));
  // Otherwise a body within maxBodyBytes could never be served, only told to retry.
  if (maxBufferedBytes < maxBodyBytes)
    throw new RangeError(`maxBufferedBytes (${maxBufferedBytes}) must be at least maxBodyBytes (${maxBodyBytes})`);
  // Requests past the cheap header checks and not yet answered, and the body bytes they hold.
  let inFlight = 0;
  let buffered = 0;
  // A slot frees within the read deadline at worst; say so in whole seconds.
  const retryAfter = String(Math.max(1, Math.ceil(readTimeoutMs / 1000)));
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

  async function handle(request: Request, arrived: number): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/health' && request.method === 'GET') {
      const m = await model();
      return json(200, { ok: true, inputs: m.inputDim, outputs: m.outputDim, inFlight, bufferedBytes: buffered });
    }
    if (pathname !== '/predict') throw new HttpError(404, `no route ${pathname}; use POST /predict`);
    if (request.method !== 'POST') throw new HttpError(405, `use POST for /predict, not ${request.method}`);
    const type = request.headers.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw new HttpError(415, `the body must be JSON (content-type: application/json), got ${JSON.stringify(type)}`);
    }
    // An oversize body announced by Content-Length is refused before it takes a slot or is read at all.
    if (Number(request.headers.get('content-length') ?? NaN) > maxBodyBytes) {
      throw new HttpError(413, `request body is larger than the limit of ${maxBodyBytes} bytes`, CLOSE);
    }
    if (inFlight >= maxInFlight) {
      throw new HttpError(503, `the server is at its limit of ${maxInFlight} requests in flight; retry shortly`, {
        'retry-after': retryAfter,
        ...CLOSE,
      });
    }
    inFlight++;
    let held = 0;
    try {
      const bytes = await readBody(request, {
        maxBytes: maxBodyBytes,
        deadline: arrived + readTimeoutMs,
        timeoutMs: readTimeoutMs,
        claim: (n) => {
          if (buffered + n > maxBufferedBytes) return false;
          buffered += n;
          held += n;
          return true;
        },
      });
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
      for (let r = 0; r < out.rows; r++)
        predictions.push(Array.from(out.data.subarray(r * out.cols, (r + 1) * out.cols)));
      return json(200, { predictions, classes: Array.from(argmaxRows(out)) });
    } finally {
      inFlight--;
      buffered -= held;
    }
  }

  return {
    async fetch(request: Request): Promise<Response> {
      const arrived = Date.now();
      try {
        return await handle(request, arrived);
      } catch (err) {
        if (err instanceof HttpError)
          return json(
            err.status,
            { error: err.message },
            err.status === 405 ? { allow: 'POST', ...err.headers } : err.headers,
          );
        // Input the checks above let through but the library refuses (e.g. a value beyond float32 range).
        if (err instanceof SimdnetError && ['SHAPE', 'NONFINITE', 'RANGE', 'EMPTY', 'DTYPE'].includes(err.code)) {
          return json(422, { error: err.message });
        }
        console.error(err);
        return json(500, {
          error: `the model could not be served: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    },
  };
}
