#!/usr/bin/env node
// Builds the web example into build/web (or --out <dir>): Vite bundles the page and its worker (importing the
// library's TypeScript sources directly), the kernels' .wasm is copied beside them, and the MNIST digits of the
// `mnist` package are packed into mnist.bin (format in asset.ts) so the page fetches them from its own server.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createLogger } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

/** Packs the ten digits/<d>.json files into the asset: header, per-digit counts, u8 pixels. */
export function writeMnistAsset(file) {
  const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const perDigit = [];
  for (let d = 0; d < 10; d++) perDigit.push(JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')).data);
  const counts = perDigit.map((a) => a.length / 784);
  const n = counts.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(48 + n * 784);
  const dv = new DataView(out.buffer);
  out.set(
    [...'MNS1'].map((c) => c.charCodeAt(0)),
    0,
  );
  dv.setUint32(4, n, true);
  counts.forEach((c, d) => dv.setUint32(8 + 4 * d, c, true));
  let at = 48;
  for (const a of perDigit) {
    for (let i = 0; i < a.length; i++) out[at + i] = Math.round(a[i] * 255);
    at += a.length;
  }
  writeFileSync(file, out);
  return n;
}

/** Builds the page into `out`; resolves to `out`. */
export async function buildWeb(
  out = join(repo, 'build/web'),
  wasm = process.env.SIMDNET_WASM ?? join(repo, 'build/simdnet.wasm'),
) {
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run npm run asbuild first`);
  // Two known, harmless warnings: node:fs in the library's file helpers (never called in the page) and the
  // library's default .wasm URL (the page passes its own). Everything else is shown.
  const logger = createLogger('warn');
  const known = /node:fs\/promises" has been externalized|simdnet\.wasm", import\.meta\.url\) doesn't exist/;
  for (const level of ['warn', 'warnOnce', 'info']) {
    const log = logger[level];
    logger[level] = (msg, options) => void (known.test(msg) ? undefined : log(msg, options));
  }
  await build({
    configFile: false,
    customLogger: logger,
    root: here,
    base: './',
    logLevel: 'warn',
    build: { outDir: out, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
    worker: { format: 'es' },
  });
  mkdirSync(out, { recursive: true });
  copyFileSync(wasm, join(out, 'simdnet.wasm'));
  writeMnistAsset(join(out, 'mnist.bin'));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = await buildWeb(i > 0 ? resolve(process.argv[i + 1]) : undefined);
  console.log(`built the web example into ${out}`);
}
