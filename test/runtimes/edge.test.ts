// The edge example (examples/edge/) from the packed package: the fetch handler in-process in Node for the fine
// cases (limits, deadline, concurrency, buffer budget), under `deno serve` for real sockets (stalled bodies, oversize
// chunked bodies, RSS under load), and the Cloudflare Worker in Cloudflare's own runtime, workerd, which refuses to
// compile WebAssembly at run time as production does, so the precompiled-Module path is exercised for real.
//
// Needs: deno and workerd (pinned devDependencies; workerd's binary comes in its optional platform package — if that
// is absent the workerd part is skipped with a message saying so). Nothing is downloaded.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, type Installed } from './helpers/pack.js';
import { describeRun, run, startServer } from './helpers/proc.js';

const require = createRequire(import.meta.url);
// The deno binary itself (not the bin.cjs wrapper), so a stop signal and RSS readings reach the server process.
const deno = (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
const denoEnv = {
  ...process.env,
  NO_COLOR: '1',
  DENO_NO_UPDATE_CHECK: '1',
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};
// workerd's npm package resolves its platform binary from the optional dependency (and throws when it is absent).
let workerd: { bin: string; compatibilityDate: string } | { missing: string };
try {
  const w = require('workerd') as { default: string; compatibilityDate: string };
  workerd = { bin: w.default, compatibilityDate: w.compatibilityDate };
} catch (err) {
  workerd = { missing: err instanceof Error ? err.message.trim().split('\n')[0]! : String(err) };
}

interface Handler {
  fetch(request: Request): Promise<Response>;
}
type CreateHandler = (options: Record<string, unknown>) => Handler;

let inst: Installed;
let modelBytes: Uint8Array;
let rows: number[][];
/** Node's predictions for `rows` from the packed package: what every other place must answer, bit for bit. */
let expected: number[];
/**
 * The same from Node running the fused multiply-add kernels (relaxed SIMD; Node 20 behind its flag): what a runtime
 * that validates relaxed SIMD (Deno) answers, bit for bit, since its engine picks those kernels (docs/runtimes.md).
 */
let expectedFma: number[];
let createPredictHandler: CreateHandler;

beforeAll(async () => {
  inst = await packAndInstall();
  const lib = (await import(pathToFileURL(join(inst.pkg, 'dist', 'bundle', 'index.js')).href)) as Record<
    string,
    unknown
  > & { init(): Promise<void>; saveModel(m: unknown): Uint8Array };
  const work = (await import(pathToFileURL(join(inst.app, 'workload.mjs')).href)) as {
    trainModel(lib: unknown): Promise<{ model: unknown }>;
    probe(m: unknown): number[];
    probeRows(): Float32Array;
    INPUTS: number;
  };
  await lib.init();
  const { model } = await work.trainModel(lib);
  modelBytes = lib.saveModel(model);
  expected = work.probe(model);
  writeFileSync(join(inst.app, 'edge', 'model.simdnet'), modelBytes);
  const fmaRun = await run(
    process.execPath,
    [
      ...(process.versions.node.startsWith('20.') ? ['--experimental-wasm-relaxed-simd'] : []),
      '--input-type=module',
      '-e',
      `import * as lib from ${JSON.stringify(pathToFileURL(join(inst.pkg, 'dist', 'bundle', 'index.js')).href)};
       import * as work from ${JSON.stringify(pathToFileURL(join(inst.app, 'workload.mjs')).href)};
       import { readFileSync } from 'node:fs';
       const e = await lib.init();
       if (!e.fma) throw new Error('relaxed SIMD did not validate');
       console.log(JSON.stringify(work.probe(lib.loadModel(readFileSync(${JSON.stringify(join(inst.app, 'edge', 'model.simdnet'))})))));`,
    ],
    { timeoutMs: 60_000 },
  );
  expect(fmaRun.code, describeRun(fmaRun)).toBe(0);
  expectedFma = JSON.parse(fmaRun.stdout) as number[];
  const flat = Array.from(work.probeRows());
  rows = Array.from({ length: flat.length / work.INPUTS }, (_, i) =>
    flat.slice(i * work.INPUTS, (i + 1) * work.INPUTS),
  );
  // The handler as the user has it, resolving 'simdnet' from the scratch project's node_modules.
  ({ createPredictHandler } = (await import(pathToFileURL(join(inst.app, 'edge', 'handler.ts')).href)) as {
    createPredictHandler: CreateHandler;
  });
}, 300_000);

afterAll(() => {
  if (inst && !process.env.SIMDNET_KEEP_RUNTIMES && !process.env.SIMDNET_REUSE_PACK)
    rmSync(inst.work, { recursive: true, force: true });
});

/** Bit-identical to Node's SIMD128 or (a runtime with relaxed SIMD) FMA predictions: Object.is for every value. */
function expectSame(actual: number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const same = (ref: number[]): boolean => actual.every((v, i) => Object.is(v, ref[i]));
  if (same(expectedFma)) return;
  const bad = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  expect(bad, `${what}: first differing index (${actual[bad]} vs Node's ${expected[bad]})`).toBe(-1);
}

async function expectGood(res: Response, what: string): Promise<void> {
  expect(res.status, what).toBe(200);
  const body = (await res.json()) as { predictions: number[][]; classes: number[] };
  expectSame(body.predictions.flat(), what);
  expect(body.classes).toHaveLength(rows.length);
}

const goodBody = (): string => JSON.stringify({ inputs: rows });

/**
 * A body stream that sends `prefix` and then nothing; records whether the handler cancelled it. `bytes`: a byte
 * stream (as Deno's and workerd's request bodies are; the handler reads those with a BYOB reader).
 */
function stalledStream(
  prefix = '{"inputs": [[1,',
  bytes = false,
): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let cancelled = false;
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    ...(bytes ? { type: 'bytes' as const } : {}),
    pull(c) {
      if (!sent) {
        sent = true;
        c.enqueue(new TextEncoder().encode(prefix));
      }
      return new Promise(() => {}); // never more
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

const request = (
  body: BodyInit | null,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  path = '/predict',
): Request =>
  new Request(`http://edge.test${path}`, {
    method: 'POST',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);

describe('edge handler in-process (Node): limits enforced by the handler itself', () => {
  it('refuses bad limits when it is built', () => {
    for (const [k, v] of [
      ['maxInFlight', 0],
      ['readTimeoutMs', -1],
      ['maxBodyBytes', 1.5],
      ['maxBufferedBytes', Number.NaN],
    ] as const) {
      expect(() => createPredictHandler({ model: modelBytes, [k]: v }), k).toThrow(
        new RegExp(`${k} must be a positive integer`),
      );
    }
    expect(() => createPredictHandler({ model: modelBytes, maxBodyBytes: 2000, maxBufferedBytes: 1000 })).toThrow(
      /maxBufferedBytes \(1000\) must be at least maxBodyBytes \(2000\)/,
    );
  });

  it.each([
    ['default', false],
    ['byte', true],
  ])(
    '413: by Content-Length before reading anything; a chunked body (%s stream) is cut off at the limit and its stream cancelled',
    async (_, bytes) => {
      const h = createPredictHandler({ model: modelBytes, maxBodyBytes: 4096 });
      let pulled = 0;
      let cancelled = false;
      const endless = new ReadableStream<Uint8Array>({
        ...(bytes ? { type: 'bytes' as const } : {}),
        pull(c) {
          pulled += 1000;
          c.enqueue(new Uint8Array(1000).fill(32));
        },
        cancel() {
          cancelled = true;
        },
      });
      const res = await h.fetch(request(endless));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/larger than the limit of 4096 bytes/);
      expect(cancelled, 'the oversize stream is cancelled').toBe(true);
      // Read up to the limit and one chunk past it (plus what the stream queued ahead), not the endless rest.
      expect(pulled).toBeLessThanOrEqual(4096 + 3000);

      const declared = await h.fetch(
        request(new Uint8Array(5000).fill(32), { 'content-type': 'application/json', 'content-length': '5000' }),
      );
      expect(declared.status).toBe(413);
      await expectGood(await h.fetch(request(goodBody())), 'after 413s');
    },
  );

  it.each([
    ['default', false],
    ['byte', true],
  ])(
    '408: a body (%s stream) that does not arrive within readTimeoutMs; its stream is cancelled and nothing stays held',
    async (_, bytes) => {
      const h = createPredictHandler({ model: modelBytes, readTimeoutMs: 150 });
      const stalled = Array.from({ length: 200 }, () => stalledStream(undefined, bytes));
      const answers = await Promise.all(stalled.map((s) => h.fetch(request(s.stream))));
      for (const res of answers) {
        expect(res.status).toBe(408);
        expect(((await res.json()) as { error: string }).error).toMatch(/did not arrive within 150 ms/);
      }
      expect(
        stalled.every((s) => s.cancelled()),
        'every stalled stream cancelled',
      ).toBe(true);
      const health = (await (await h.fetch(new Request('http://edge.test/health'))).json()) as Record<string, number>;
      expect(health).toMatchObject({ ok: true, inFlight: 0, bufferedBytes: 0 });
      await expectGood(await h.fetch(request(goodBody())), 'after 408s');
    },
  );

  it('503 + Retry-After past maxInFlight, answered at once; good requests served again once slots free', async () => {
    const h = createPredictHandler({ model: modelBytes, maxInFlight: 3, readTimeoutMs: 300 });
    const holders = Array.from({ length: 3 }, () => h.fetch(request(stalledStream().stream)));
    const shed = await h.fetch(request(goodBody()));
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(((await shed.json()) as { error: string }).error).toMatch(/limit of 3 requests in flight/);
    // Cheap refusals (route, method, type, declared size) still get their own 4xx while full.
    expect((await h.fetch(new Request('http://edge.test/predict'))).status).toBe(405);
    for (const res of await Promise.all(holders)) expect(res.status).toBe(408);
    await expectGood(await h.fetch(request(goodBody())), 'after the slots freed');
  });

  it.each([
    ['default', false],
    ['byte', true],
  ])('503 + Retry-After when the bodies (%s streams) held at once would pass maxBufferedBytes', async (_, bytes) => {
    // Room for one good request's body but not two.
    const size = goodBody().length;
    const h = createPredictHandler({
      model: modelBytes,
      maxBodyBytes: size,
      maxBufferedBytes: Math.ceil(size * 1.5),
      readTimeoutMs: 300,
    });
    const big = 'x'.repeat(size);
    const first = h.fetch(request(stalledStream(big, bytes).stream));
    await new Promise((r) => setTimeout(r, 20)); // let the first claim its bytes
    const second = await h.fetch(request(stalledStream(big, bytes).stream));
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await first).status).toBe(408);
    const health = (await (await h.fetch(new Request('http://edge.test/health'))).json()) as Record<string, number>;
    expect(health).toMatchObject({ inFlight: 0, bufferedBytes: 0 });
    await expectGood(await h.fetch(request(goodBody())), 'after the budget freed');
  });
});

/** What a raw-socket client saw: the status of the answer and how long it took to come. */
interface RawAnswer {
  status: number;
  ms: number;
}

/**
 * Sends request headers and part of a body over a raw socket, then stalls (a slow or malicious client). Resolves
 * with the status the server answered, once the whole answer is in (then hangs up, as a client would); status 0 if
 * no answer came within `waitMs`.
 */
function stalledClient(port: number, chunked: boolean, waitMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const done = (status: number): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ status, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done(0), waitMs);
    sock.on('connect', () => {
      const head = chunked
        ? 'POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n8\r\n{"inputs\r\n'
        : 'POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{"inputs": [[1, 2,';
      sock.write(head);
    });
    sock.on('data', (d: Buffer) => {
      data += d.toString();
      const m = /^HTTP\/1\.1 (\d{3})[^]*?content-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(data);
      if (m && data.length - m[0].length >= Number(m[2])) done(Number(m[1]));
    });
    sock.on('close', () => done(0));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Declares a body of `bytes` and sends only its first KiB, then reads the answer (status and body) — what a client
 * sees when the server refuses the size from the headers alone.
 */
function oversizeClient(port: number, bytes: number, waitMs = 15_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const done = (status: number, body: string): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ status, body });
    };
    const timer = setTimeout(() => done(0, data), waitMs);
    sock.on('connect', () => {
      sock.write(
        `POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n`,
      );
      sock.write(' '.repeat(1024));
    });
    sock.on('data', (d: Buffer) => {
      data += d.toString();
      const m = /^HTTP\/1\.1 (\d{3})[^]*?content-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(data);
      if (m && data.length - m[0].length >= Number(m[2])) done(Number(m[1]), data.slice(m[0].length));
    });
    sock.on('close', () => done(0, data));
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Resident set size of a process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const serveArgs = (entry: string): string[] => [
  'serve',
  '--no-lock',
  '--no-prompt',
  '--host',
  '127.0.0.1',
  '--port',
  '0',
  '--allow-read=edge/model.simdnet,node_modules/simdnet/dist/simdnet.wasm',
  entry,
];

describe('edge: the fetch handler under deno serve', () => {
  it('type-checks against the shipped .d.ts (deno check)', async () => {
    const r = await run(deno, ['check', '--no-lock', 'edge/handler.ts', 'edge/deno.ts'], {
      cwd: inst.app,
      env: denoEnv,
      timeoutMs: 120_000,
    });
    expect(r.code, describeRun(r)).toBe(0);
  }, 180_000);

  it('answers POST /predict as Node predicts, rejects malformed requests with 4xx, sheds stalled bodies with 408 within the deadline and stays bounded in memory', async () => {
    const server = await startServer(deno, serveArgs('edge/deno.ts'), /Listening on (http:\/\/127\.0\.0\.1:(\d+))/, {
      cwd: inst.app,
      env: denoEnv,
      timeoutMs: 120_000,
    });
    const base = server.match[1]!;
    const port = Number(server.match[2]);
    const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${base}/predict`, {
        method: 'POST',
        headers,
        body,
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    const errorOf = async (res: Response): Promise<{ status: number; error: string }> => ({
      status: res.status,
      error: ((await res.json()) as { error: string }).error,
    });
    try {
      // Ten concurrent first requests: the model is loaded once and all get Node's predictions.
      for (const res of await Promise.all(Array.from({ length: 10 }, () => post(goodBody()))))
        await expectGood(res, 'first requests');
      expect(server.output().match(/model 'blobs' loaded/g), 'model loads').toHaveLength(1);

      const cases: [string, () => Promise<Response>, number, RegExp][] = [
        ['bad JSON', () => post('{"inputs": [[1, 2'), 400, /not valid JSON/],
        ['not UTF-8', () => post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, /not valid JSON/],
        ['no inputs', () => post('{"x": 1}'), 422, /"inputs"/],
        ['empty inputs', () => post('{"inputs": []}'), 422, /non-empty/],
        [
          'wrong length',
          () => post(JSON.stringify({ inputs: [rows[0], rows[1]!.slice(0, 7)] })),
          422,
          /inputs\[1\] has 7 values; the model takes 8/,
        ],
        [
          'a string value',
          () => post(JSON.stringify({ inputs: [[...rows[0]!.slice(0, 7), '1']] })),
          422,
          /inputs\[0\]\[7\] is not a finite number/,
        ],
        [
          'beyond float32',
          () => post(JSON.stringify({ inputs: [[1e39, 0, 0, 0, 0, 0, 0, 0]] })),
          422,
          /overflows float32/,
        ],
        [
          'too many rows',
          () => post(JSON.stringify({ inputs: Array.from({ length: 257 }, () => rows[0]) })),
          422,
          /257 rows; at most 256/,
        ],
        [
          // Over a raw socket: the 413 comes from the headers alone and the server then closes, so a fetch still
          // writing 3 MiB could die of EPIPE before reading it.
          'huge body (content-length)',
          async () => {
            const r = await oversizeClient(port, 3 * 2 ** 20);
            return new Response(r.body, { status: r.status });
          },
          413,
          /larger than the limit of 1048576 bytes/,
        ],
        [
          'huge body (chunked, no length)',
          () => {
            let sent = 0;
            const stream = new ReadableStream<Uint8Array>({
              pull(c) {
                if (sent >= 3 * 2 ** 20) return c.close();
                sent += 65536;
                c.enqueue(new Uint8Array(65536).fill(32));
              },
            });
            return post(stream);
          },
          413,
          /larger than the limit/,
        ],
        [
          'wrong content type',
          () => post('{"inputs": []}', { 'content-type': 'text/plain' }),
          415,
          /application\/json/,
        ],
        ['GET /predict', () => fetch(`${base}/predict`), 405, /use POST/],
        ['unknown path', () => fetch(`${base}/nope`), 404, /no route \/nope/],
      ];
      for (const [what, send, status, message] of cases) {
        const e = await errorOf(await send());
        expect(e.status, `${what}: ${e.error}`).toBe(status);
        expect(e.error, what).toMatch(message);
        await expectGood(await post(goodBody()), `after ${what}`); // ...and the server still answers a good request
      }

      // Rounds of 120 stalled bodies (half with content-length, half chunked), good requests meanwhile. Each is
      // answered 408 (the default deadline is 2 s; the client waits up to 15 s).
      const rss: number[] = [];
      for (let round = 0; round < 4; round++) {
        const stalls = Array.from({ length: 120 }, (_, i) => stalledClient(port, i % 2 === 1));
        await new Promise((r) => setTimeout(r, 300));
        for (const res of await Promise.all(Array.from({ length: 5 }, () => post(goodBody()))))
          await expectGood(res, `good request beside stalled round ${round}`);
        const answers = await Promise.all(stalls);
        const wrong = answers.filter((a) => a.status !== 408);
        expect(wrong, `round ${round}: stalled bodies not answered 408 (of ${answers.length})`).toEqual([]);
        console.log(
          `edge/deno: round ${round}: 120 stalled → 408 in ${Math.round(Math.max(...answers.map((a) => a.ms)))} ms at most; RSS ${rssMiB(server.child.pid!).toFixed(1)} MiB`,
        );
        rss.push(rssMiB(server.child.pid!));
      }
      const health = (await (await fetch(`${base}/health`)).json()) as Record<string, unknown>;
      expect(health).toEqual({ ok: true, inputs: 8, outputs: 3, inFlight: 0, bufferedBytes: 0 });
      // Memory is bounded: after the first round has warmed everything up, more rounds do not keep adding to it.
      expect(rss[3]! - rss[0]!, `RSS by round (MiB): ${rss.map((r) => r.toFixed(1)).join(', ')}`).toBeLessThan(24);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('past maxInFlight answers 503 with Retry-After at once, and serves good requests again once the stalled ones are cut off', async () => {
    // The same handler with a small limit, as a user would configure it.
    writeFileSync(
      join(inst.app, 'edge', 'deno-limited.ts'),
      [
        "import { createPredictHandler } from './handler.ts';",
        "const wasm = await WebAssembly.compile(await Deno.readFile(new URL(import.meta.resolve('simdnet/simdnet.wasm'))));",
        "export default createPredictHandler({ wasm, model: () => Deno.readFile(new URL('./model.simdnet', import.meta.url)), maxInFlight: 8, readTimeoutMs: 1500 });",
        '',
      ].join('\n'),
    );
    const server = await startServer(
      deno,
      serveArgs('edge/deno-limited.ts'),
      /Listening on (http:\/\/127\.0\.0\.1:(\d+))/,
      { cwd: inst.app, env: denoEnv, timeoutMs: 120_000 },
    );
    const base = server.match[1]!;
    const port = Number(server.match[2]);
    const post = () =>
      fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: goodBody() });
    try {
      await expectGood(await post(), 'before');
      const stalls = Array.from({ length: 8 }, (_, i) => stalledClient(port, i % 2 === 0));
      // Wait until all eight hold their slots (health does not take one).
      for (let i = 0; i < 100; i++) {
        const h = (await (await fetch(`${base}/health`)).json()) as { inFlight: number };
        if (h.inFlight === 8) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const shed = await post();
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('2');
      expect(((await shed.json()) as { error: string }).error).toMatch(/limit of 8 requests in flight/);
      for (const a of await Promise.all(stalls)) expect(a.status).toBe(408);
      await expectGood(await post(), 'after the stalled ones were cut off');
    } finally {
      await server.stop();
    }
  }, 60_000);
});

/** Starts workerd on dir/config.capnp; resolves with the ports its sockets listen on (reported on a control fd). */
function startWorkerd(
  bin: string,
  dir: string,
  sockets: string[],
): Promise<{ ports: Record<string, number>; output: () => string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', 'config.capnp', '--control-fd', '3'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' },
    });
    let out = '';
    let control = '';
    const ports: Record<string, number> = {};
    const stop = (): Promise<void> =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('close', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`workerd did not report a listening socket within 60 s:\n${out}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      control += d.toString();
      const lines = control.split('\n');
      control = lines.pop()!; // a partial line waits for the rest
      for (const line of lines) {
        const msg = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (msg.event === 'listen' && msg.socket && msg.port) ports[msg.socket] = msg.port;
      }
      if (sockets.every((s) => ports[s])) {
        clearTimeout(timer);
        resolve({ ports, output: () => out, stop });
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited (${code}) before it listened:\n${out}`));
    });
  });
}

const workerdSkip =
  'missing' in workerd ? `workerd binary absent (${workerd.missing}); the Cloudflare example is not run` : '';
if (workerdSkip) console.warn(`SKIPPED: ${workerdSkip}`);

describe.skipIf(workerdSkip !== '')("edge: the Cloudflare Worker in workerd (Cloudflare's runtime)", () => {
  it("runs the bundled example with the .wasm as a compiled-module binding: Node's predictions, 4xx for malformed requests; run-time compile is refused", async () => {
    const { bin, compatibilityDate } = workerd as { bin: string; compatibilityDate: string };
    const dir = join(inst.work, 'workerd');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    // One ES module, as wrangler would make it: the .wasm and the model stay imports, bound as modules of their own.
    const { build } = (await import('rolldown')) as typeof import('rolldown');
    await build({
      cwd: inst.app,
      input: join(inst.app, 'edge', 'cloudflare.ts'),
      // node:fs is reached only when no .wasm is given (a dynamic import never evaluated here)
      external: ['simdnet/simdnet.wasm', './model.simdnet', /^node:/],
      platform: 'browser',
      logLevel: 'warn',
      output: {
        file: join(dir, 'worker.js'),
        format: 'esm',
        codeSplitting: false,
        paths: { 'simdnet/simdnet.wasm': './simdnet.wasm' },
      },
    });
    copyFileSync(join(inst.pkg, 'dist', 'simdnet.wasm'), join(dir, 'simdnet.wasm'));
    copyFileSync(join(inst.app, 'edge', 'model.simdnet'), join(dir, 'model.simdnet'));
    // A second worker that tries to compile the same bytes at run time: workerd must refuse, as production does.
    writeFileSync(
      join(dir, 'compile.js'),
      [
        "import bytes from './simdnet.bin';",
        'export default { async fetch() {',
        "  try { await WebAssembly.compile(bytes); return new Response('compiled'); }",
        '  catch (err) { return new Response(String(err), { status: 500 }); }',
        '} };',
        '',
      ].join('\n'),
    );
    copyFileSync(join(inst.pkg, 'dist', 'simdnet.wasm'), join(dir, 'simdnet.bin'));
    writeFileSync(
      join(dir, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "edge", worker = .edge),
    (name = "compile", worker = .compile),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:0", http = (), service = "edge"),
    (name = "compile", address = "127.0.0.1:0", http = (), service = "compile"),
  ],
);

const edge :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "simdnet.wasm", wasm = embed "simdnet.wasm"),
    (name = "model.simdnet", data = embed "model.simdnet"),
  ],
  compatibilityDate = "${compatibilityDate}",
);

const compile :Workerd.Worker = (
  modules = [
    (name = "compile.js", esModule = embed "compile.js"),
    (name = "simdnet.bin", data = embed "simdnet.bin"),
  ],
  compatibilityDate = "${compatibilityDate}",
);
`,
    );
    const server = await startWorkerd(bin, dir, ['http', 'compile']);
    const base = `http://127.0.0.1:${server.ports.http}`;
    const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${base}/predict`, { method: 'POST', headers, body });
    try {
      for (const res of await Promise.all(Array.from({ length: 5 }, () => post(goodBody()))))
        await expectGood(res, 'workerd predictions');
      const cases: [string, () => Promise<Response>, number, RegExp][] = [
        ['bad JSON', () => post('{"inputs": [[1, 2'), 400, /not valid JSON/],
        [
          'wrong length',
          () => post(JSON.stringify({ inputs: [rows[0]!.slice(0, 7)] })),
          422,
          /inputs\[0\] has 7 values; the model takes 8/,
        ],
        [
          'beyond float32',
          () => post(JSON.stringify({ inputs: [[1e39, 0, 0, 0, 0, 0, 0, 0]] })),
          422,
          /overflows float32/,
        ],
        ['wrong content type', () => post('{}', { 'content-type': 'text/plain' }), 415, /application\/json/],
        ['GET /predict', () => fetch(`${base}/predict`), 405, /use POST/],
      ];
      for (const [what, send, status, message] of cases) {
        const res = await send();
        const e = (await res.json()) as { error: string };
        expect(res.status, `${what}: ${e.error}`).toBe(status);
        expect(e.error, what).toMatch(message);
        await expectGood(await post(goodBody()), `workerd after ${what}`);
      }
      // An oversize body over a raw socket: the answer comes before the body is read, and the server then closes the
      // connection — a fetch still writing its 3 MiB would die of EPIPE before it could read the 413.
      const big = await oversizeClient(server.ports.http!, 3 * 2 ** 20);
      expect(big.status, big.body).toBe(413);
      expect(big.body).toMatch(/larger than the limit of 1048576 bytes/);
      await expectGood(await post(goodBody()), 'workerd after huge body');
      const health = (await (await fetch(`${base}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ ok: true, inputs: 8, outputs: 3, inFlight: 0 });
      expect(server.output(), 'workerd log').toMatch(/model 'blobs' loaded/);
      // The same bytes compiled at run time are refused: so the 200s above came through the precompiled Module.
      const compiled = await fetch(`http://127.0.0.1:${server.ports.compile}/`);
      const text = await compiled.text();
      expect(compiled.status, text).toBe(500);
      expect(text).toMatch(/WebAssembly|code generation|disallowed/i);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
