// The loader's runtime-facing paths, in-process (the packed package is exercised in runtimes.test.ts): where the
// default .wasm is looked for, what a failed fetch or read says, and the path for runtimes without process.getBuiltinModule.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/runtime/engine.js';
import { loadModel, loadModelFileSync, saveModel, sequential, dense } from '../../src/index.js';
import { compileWasm, defaultWasmUrl } from '../../src/runtime/loader.js';
import { nodeFs, readFileUrl, syncFs } from '../../src/runtime/node.js';
import { expectSimdnetError } from '../helpers/errors.js';

describe('loader sources', () => {
  it('looks for the .wasm beside the package root module (dist/simdnet.wasm from dist/runtime/)', () => {
    // From src/runtime/loader.ts the same relative URL is src/simdnet.wasm; the dev fallback then finds build/.
    expect(defaultWasmUrl().href).toMatch(/\/src\/simdnet\.wasm$/);
  });

  it('fetches http(s) URLs, and turns network failures and HTTP errors into SimdnetError FORMAT', async () => {
    const wasm = (await nodeFs()).readFileSync(new URL('../../build/simdnet.wasm', import.meta.url));
    const server = createServer((req, res) => {
      if (req.url === '/simdnet.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(wasm);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const m = await compileWasm(`http://127.0.0.1:${port}/simdnet.wasm`);
      expect(WebAssembly.Module.exports(m).length).toBeGreaterThan(10);
      await expect(compileWasm(new URL(`http://127.0.0.1:${port}/nope.wasm`))).rejects.toMatchObject({
        code: 'FORMAT',
        message: expect.stringMatching(/could not fetch .*nope\.wasm: HTTP 404/),
      });
    } finally {
      server.close();
    }
    // Nothing listens on the closed server's port any more: a network error, not a bare TypeError.
    await expect(compileWasm(`http://127.0.0.1:${port}/simdnet.wasm`)).rejects.toMatchObject({
      name: 'SimdnetError',
      code: 'FORMAT',
      message: expect.stringMatching(/could not fetch http:\/\/127\.0\.0\.1:\d+\/simdnet\.wasm: TypeError/),
    });
  });

  it('reads the first existing file, and names the path when it cannot', async () => {
    const here = new URL('./', import.meta.url);
    const fs = await nodeFs();
    const bytes = readFileUrl(fs, new URL('no-such.wasm', here), [
      new URL('../../build/simdnet.wasm', import.meta.url),
    ]);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0x61, 0x73, 0x6d]);
    expect(() => readFileUrl(fs, new URL('no-such.wasm', here), [])).toThrow(
      /simdnet\.wasm not found at .*no-such\.wasm; run `npm run build`/,
    );
    expect(() => readFileUrl(fs, here, [])).toThrow(
      expect.objectContaining({ code: 'FORMAT', message: expect.stringMatching(/could not read .*runtimes.*EISDIR/) }),
    );
  });
});

describe('without process.getBuiltinModule (Node before 20.16)', () => {
  it('loads the .wasm through import(node:fs) and an async compile, and loadModelFileSync says what it needs', async () => {
    const proc = process as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(syncFs()).toBeUndefined();
      expect(typeof (await nodeFs()).readFileSync).toBe('function'); // the dynamic import
      const engine = await createEngine('wasm');
      const m = sequential([dense(3, { activation: 'softmax', inputDim: 2 })], { engine, seed: 1 });
      const back = loadModel(saveModel(m), { engine });
      expect(Array.from(back.predict([[1, 2]]).data)).toEqual(Array.from(m.predict([[1, 2]]).data));
      expectSimdnetError(
        () => loadModelFileSync('model.sdnt', { engine }),
        'UNSUPPORTED',
        /needs process\.getBuiltinModule .*use loadModelFile/,
      );
      m.dispose();
      back.dispose();
    } finally {
      proc.getBuiltinModule = saved;
    }
    expect(syncFs()).toBeDefined();
  });
});
