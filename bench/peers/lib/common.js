// Shared pieces of the peer benchmarks: seeded data, weight files, the f64 reference MLP, and the timing loop.
// Everything here runs outside timed bodies except `measure`, whose loop is the timed body's harness.
import { readFileSync, writeFileSync } from 'node:fs';

/** A small seeded generator (mulberry32): the same inputs for every library. */
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [-1, 1). */
export function randArray(n, seed) {
  const r = rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * r() - 1;
  return a;
}

/** In-place Fisher–Yates shuffle with a seeded generator. */
export function shuffle(a, seed) {
  const r = rng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * Weight files: `<base>.json` lists {name, shape} in order, `<base>.bin` holds the f32 values back to back
 * (little-endian, as the platform). The format of simdnet's getWeights(): kernel (fan_in × fan_out), bias, ...
 */
export function writeWeights(base, weights) {
  writeFileSync(`${base}.json`, JSON.stringify(weights.map((w) => ({ name: w.name, shape: w.shape }))));
  const total = weights.reduce((s, w) => s + w.data.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const w of weights) {
    all.set(w.data, o);
    o += w.data.length;
  }
  writeFileSync(`${base}.bin`, new Uint8Array(all.buffer));
}

export function readWeights(base) {
  const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
  const buf = readFileSync(`${base}.bin`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let o = 0;
  return meta.map((m) => {
    const n = m.shape.reduce((a, b) => a * b, 1);
    const data = all.subarray(o, o + n);
    o += n;
    return { name: m.name, shape: m.shape, data };
  });
}

/** Layer widths of a weight list: [in, h1, ..., out]. */
export function sizesOf(weights) {
  const s = [weights[0].shape[0]];
  for (let i = 0; i < weights.length; i += 2) s.push(weights[i].shape[1]);
  return s;
}

/**
 * The MLP in f64: relu between layers, then `head` ('softmax' or 'relu') on the last. The oracle for every
 * library's outputs (x is rows × in, row-major).
 */
export function referenceMlp(weights, x, rows, head = 'softmax') {
  let a = Float64Array.from(x.subarray(0, rows * weights[0].shape[0]));
  const L = weights.length / 2;
  for (let l = 0; l < L; l++) {
    const W = weights[2 * l];
    const b = weights[2 * l + 1].data;
    const [k, n] = W.shape;
    const z = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let s = b[j];
        for (let i = 0; i < k; i++) s += a[r * k + i] * W.data[i * n + j];
        z[r * n + j] = s;
      }
    }
    if (l < L - 1 || head === 'relu') {
      for (let i = 0; i < z.length; i++) z[i] = z[i] > 0 ? z[i] : 0;
    } else {
      for (let r = 0; r < rows; r++) {
        let mx = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, z[r * n + j]);
        let s = 0;
        for (let j = 0; j < n; j++) s += z[r * n + j] = Math.exp(z[r * n + j] - mx);
        for (let j = 0; j < n; j++) z[r * n + j] /= s;
      }
    }
    a = z;
  }
  return a;
}

/** max |a − e| and the index where it occurs. */
export function maxAbsDiff(a, e) {
  if (a.length !== e.length) return { max: Infinity, at: -1, note: `length ${a.length} vs ${e.length}` };
  let max = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= max)) {
      max = d;
      at = i;
    }
  }
  return { max, at };
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(out, labels, classes) {
  let ok = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (out[r * classes + j] > out[r * classes + best]) best = j;
    if (best === labels[r]) ok++;
  }
  return ok / labels.length;
}

/** Median, min and max of a list of numbers. */
export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

const isThenable = (v) => v !== null && typeof v === 'object' && typeof v.then === 'function';

/**
 * Times `fn` (sync or async: detected on the first call, so sync code pays no `await`): warm-up for at least
 * `warmupMs` (V8 tiers wasm and JS up late), then `repeats` repeats of k calls each, k chosen so a repeat lasts
 * about `repeatMs`. Returns ms per call per repeat, summarized, plus the process CPU time over wall time during
 * the repeats (about 1 for one busy thread, about 2 for two).
 */
export async function measure(fn, { warmupMs = 400, repeats = 7, repeatMs = 60, budgetMs = 10_000 } = {}) {
  const t0 = performance.now();
  const first = fn();
  const async = isThenable(first);
  if (async) await first;
  let calls = 1;
  let el = performance.now() - t0;
  while (el < warmupMs) {
    if (async) await fn();
    else fn();
    calls++;
    el = performance.now() - t0;
  }
  const per = el / calls;
  const k = Math.max(1, Math.round(repeatMs / Math.max(per, 1e-6)));
  // Slow calls get fewer repeats (never under 5) so one cell cannot eat the whole time bound.
  const reps = Math.max(5, Math.min(repeats, Math.floor(budgetMs / (k * per))));
  const times = [];
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    if (async) for (let i = 0; i < k; i++) await fn();
    else for (let i = 0; i < k; i++) fn();
    times.push((performance.now() - s) / k);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - w0;
  return { ...summarize(times), callsPerRepeat: k, cpuPerWall: (cpu.user + cpu.system) / 1000 / wall };
}

/** package.json of a package installed in bench/peers/node_modules (read from disk: some packages do not export it). */
export function peerPackageJson(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8'));
}
