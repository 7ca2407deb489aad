// The package as a user meets it: packed (`npm pack`, which runs `prepack` = the full build), its types checked from
// every way a TypeScript project imports it, the README's example run as pasted, the README's links checked against
// the tarball (they are what the npm page shows), and the publish path itself: the tarball published to a registry
// on loopback (verdaccio, no uplinks), installed from there with `npm install simdnet` into a fresh project, run
// from an ES module and a CommonJS program, and imported by Deno as `npm:simdnet`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, repoRoot, type Installed } from '../runtimes/helpers/pack.js';
import { describeRun, run, startServer } from '../runtimes/helpers/proc.js';

const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const offline = {
  ...process.env,
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};

let inst: Installed;
beforeAll(async () => {
  inst = await packAndInstall();
}, 600_000);
afterAll(() => {
  if (inst && !process.env.SIMDNET_KEEP_RUNTIMES && !process.env.SIMDNET_REUSE_PACK)
    rmSync(inst.work, { recursive: true, force: true });
});

/** The README's first ```js block after the heading `## A first model`: the example a user pastes. */
function readmeExample(): string {
  const at = readme.indexOf('\n## A first model');
  expect(at, 'README has a "## A first model" section').toBeGreaterThan(0);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error('no ```js block under "## A first model" in README.md');
  return m[1]!;
}

describe('types for every way a TypeScript project imports simdnet', () => {
  const subpaths = `
import { init, sequential, dense, SimdnetError, type Sequential, type FitOptions } from 'simdnet';
import { quantizeModel, type QuantizeOptions } from 'simdnet/compress';
import { importOnnx, exportOnnx } from 'simdnet/onnx';
import { importTfjsLayers } from 'simdnet/tfjs';
import { loadMnist } from 'simdnet/mnist';
const m: Sequential = sequential([dense(2, { inputDim: 2, activation: 'softmax' })]);
const fit: FitOptions = { epochs: 1 };
const q: QuantizeOptions = {};
export const all = [init, m, fit, q, SimdnetError, quantizeModel, importOnnx, exportOnnx, importTfjsLayers, loadMnist];
`;
  const cts = `
import simdnet = require('simdnet');
import compress = require('simdnet/compress');
import onnx = require('simdnet/onnx');
import tfjs = require('simdnet/tfjs');
import mnist = require('simdnet/mnist');
const m: simdnet.Sequential = simdnet.sequential([simdnet.dense(2, { inputDim: 2 })]);
void simdnet.init().then(() => m.dispose());
export const all = [compress.quantizeModel, onnx.importOnnx, onnx.exportOnnx, tfjs.importTfjsLayers, mnist.loadMnist];
`;
  // skipLibCheck off: the shipped declarations themselves must check (a member removed by stripInternal but still
  // named elsewhere would show here).
  const base = { target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, lib: ['ES2022', 'DOM'], types: [] };
  const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
    [
      'module node16, an ES module (.mts)',
      { module: 'node16', moduleResolution: 'node16' },
      { 'main.mts': `${subpaths}await init();\n` },
    ],
    [
      'module node16, CommonJS (.cts with import = require)',
      { module: 'node16', moduleResolution: 'node16' },
      { 'main.cts': cts },
    ],
    [
      'module nodenext, both in one project',
      { module: 'nodenext', moduleResolution: 'nodenext' },
      { 'a.mts': subpaths, 'b.cts': cts },
    ],
    [
      'moduleResolution node (node10), module commonjs',
      { module: 'commonjs', moduleResolution: 'node' },
      { 'main.ts': subpaths },
    ],
    [
      'moduleResolution bundler, module esnext',
      { module: 'esnext', moduleResolution: 'bundler' },
      { 'main.ts': `${subpaths}await init();\n` },
    ],
  ];
  for (const [name, options, files] of cases) {
    it(name, async () => {
      const dir = join(inst.app, 'types', name.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { ...base, ...options }, files: Object.keys(files) }),
      );
      const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });
      expect(r.code, describeRun(r)).toBe(0);
    }, 120_000);
  }

  it('hides @internal members from the declarations', () => {
    const seq = readFileSync(join(inst.pkg, 'dist', 'model', 'sequential.d.ts'), 'utf8');
    expect(seq).toContain('class Sequential');
    expect(seq, 'an @internal member of Sequential').not.toMatch(/\btrainHooks\b/);
    expect(seq).not.toContain('@internal');
  });
});

describe('the README, as the npm page shows it', () => {
  it('its example runs as pasted against the installed package', async () => {
    writeFileSync(join(inst.app, 'readme-example.mjs'), readmeExample());
    const r = await run(process.execPath, ['readme-example.mjs'], { cwd: inst.app, timeoutMs: 120_000 });
    expect(r.code, describeRun(r)).toBe(0);
    // The output the README's comment shows: XOR learned.
    expect(r.stdout).toContain("[ '0.00', '1.00', '1.00', '0.00' ]");
  }, 120_000);

  it('every relative link and image resolves to a file in the tarball', () => {
    const paths = new Set(inst.pack.files.map((f) => f.path));
    const links = [...readme.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((l) => !/^[a-z]+:/i.test(l) && !l.startsWith('#'));
    expect(links.length).toBeGreaterThan(5);
    const missing = links.filter((l) => {
      const path = l.replace(/#.*$/, '').replace(/^\.\//, '');
      return !paths.has(path) && ![...paths].some((p) => p.startsWith(`${path.replace(/\/$/, '')}/`));
    });
    expect(
      missing,
      `README links to files the published package does not hold (it holds ${[...paths].filter((p) => !p.startsWith('dist/')).join(', ')})`,
    ).toEqual([]);
  });
});

/** A port that was free a moment ago (verdaccio prints the port it was given, so port 0 would not tell us which). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const verdaccioBin = (() => {
  try {
    return require.resolve('verdaccio/bin/verdaccio');
  } catch {
    return undefined;
  }
})();

describe.skipIf(!verdaccioBin)('publish → install from a registry → run (verdaccio on loopback)', () => {
  if (!verdaccioBin) console.warn('skipped: verdaccio is not installed (npm ci installs it as a devDependency)');
  let registry = '';
  let stop: (() => Promise<void>) | undefined;
  let dir = '';
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(inst.work, 'registry-'));
    writeFileSync(join(dir, 'config.yaml'), readFileSync(join(repoRoot, 'test', 'package', 'verdaccio.yaml')));
    // Another process may take the port between freePort() and verdaccio's listen: try a few.
    let last: unknown;
    for (let attempt = 0; attempt < 4 && !stop; attempt++) {
      const port = await freePort();
      try {
        const server = await startServer(
          process.execPath,
          [verdaccioBin!, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
          /http address/,
          {
            cwd: dir,
            env: offline,
            timeoutMs: 60_000,
          },
        );
        registry = `http://127.0.0.1:${port}/`;
        stop = server.stop;
      } catch (err) {
        last = err;
      }
    }
    if (!stop) throw new Error(`verdaccio did not start: ${String(last)}`);
    // A user for publishing (verdaccio's htpasswd, created on first login); its token goes into a private npmrc.
    const res = await fetch(`${registry}-/user/org.couchdb.user:tester`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tester', password: 'a-test-password-1' }),
    });
    const { token } = (await res.json()) as { token?: string };
    expect(token, `verdaccio refused to create a user (HTTP ${res.status})`).toBeTruthy();
    const npmrc = join(dir, 'npmrc');
    writeFileSync(npmrc, `registry=${registry}\n//127.0.0.1:${new URL(registry).port}/:_authToken=${token}\n`);
    // npm's own cache in the scratch directory too, so nothing of the user's cache is read or written.
    env = {
      ...offline,
      NPM_CONFIG_USERCONFIG: npmrc,
      NPM_CONFIG_REGISTRY: registry,
      NPM_CONFIG_CACHE: join(dir, 'npm-cache'),
      NO_COLOR: '1',
    };
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  it('npm publish puts simdnet@<version> on the registry', async () => {
    const r = await run(npm, ['publish', inst.tarball, '--registry', registry], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code, describeRun(r)).toBe(0);
    const meta = (await (await fetch(`${registry}simdnet`)).json()) as { 'dist-tags': { latest: string } };
    expect(meta['dist-tags'].latest).toBe(inst.pack.version);
  }, 120_000);

  it('`npm install simdnet` in a fresh project; an ES module and a CommonJS program train XOR', async () => {
    const app = join(dir, 'user');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'xor-user', version: '1.0.0', private: true }));
    const inst2 = await run(npm, ['install', 'simdnet', '--no-audit', '--no-fund'], {
      cwd: app,
      env,
      timeoutMs: 180_000,
    });
    expect(inst2.code, describeRun(inst2)).toBe(0);
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.simdnet).toBe(`^${inst.pack.version}`);
    // The very tarball packed above (the registry is the only source: no uplinks, a fresh npm cache).
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { integrity?: string }>;
    };
    const sha = `sha512-${createHash('sha512').update(readFileSync(inst.tarball)).digest('base64')}`;
    expect(lock.packages['node_modules/simdnet']?.integrity).toBe(sha);

    const body = (imp: string) => `${imp}
const main = async () => {
  await init();
  const model = sequential([dense(8, { activation: 'tanh', inputDim: 2 }), dense(1, { activation: 'sigmoid' })], { seed: 1 });
  model.compile({ loss: 'binaryCrossentropy', optimizer: adam({ learningRate: 0.05 }) });
  const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
  await model.fit(x, [[0], [1], [1], [0]], { epochs: 300, batchSize: 4 });
  console.log(JSON.stringify(Array.from(loadModel(saveModel(model)).predict(x).data, Math.round)));
};
main();
`;
    writeFileSync(
      join(app, 'xor.mjs'),
      body("import { init, sequential, dense, adam, saveModel, loadModel } from 'simdnet';"),
    );
    writeFileSync(
      join(app, 'xor.cjs'),
      body("const { init, sequential, dense, adam, saveModel, loadModel } = require('simdnet');"),
    );
    for (const file of ['xor.mjs', 'xor.cjs']) {
      const r = await run(process.execPath, [file], { cwd: app, timeoutMs: 120_000 });
      expect(r.code, `${file}\n${describeRun(r)}`).toBe(0);
      expect(r.stdout.trim(), file).toBe('[0,1,1,0]');
    }
  }, 300_000);

  it('Deno imports npm:simdnet from the registry (NPM_CONFIG_REGISTRY) and trains XOR', async () => {
    const deno = (require('deno/install_api.cjs') as { runInstall(): string }).runInstall();
    const app = join(dir, 'deno-user');
    mkdirSync(app, { recursive: true });
    writeFileSync(
      join(app, 'xor.ts'),
      `import { init, sequential, dense, adam } from 'npm:simdnet@${inst.pack.version}';
await init();
const model = sequential([dense(8, { activation: 'tanh', inputDim: 2 }), dense(1, { activation: 'sigmoid' })], { seed: 1 });
model.compile({ loss: 'binaryCrossentropy', optimizer: adam({ learningRate: 0.05 }) });
const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
await model.fit(x, [[0], [1], [1], [0]], { epochs: 300, batchSize: 4 });
console.log(JSON.stringify(Array.from(model.predict(x).data, Math.round)));
`,
    );
    // Deno 2.9 refuses versions published less than 24 h ago by default; this one was published a moment ago.
    const r = await run(
      deno,
      ['run', '--no-lock', '--minimum-dependency-age=0', '--allow-read', '--allow-env', 'xor.ts'],
      {
        cwd: app,
        env: { ...env, DENO_DIR: join(dir, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' },
        timeoutMs: 180_000,
      },
    );
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout.trim()).toBe('[0,1,1,0]');
    expect(existsSync(join(dir, 'deno-dir')), 'Deno cached the package in its own directory').toBe(true);
  }, 240_000);
});
