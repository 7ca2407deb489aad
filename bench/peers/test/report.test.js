import { describe, expect, it } from 'vitest';
import {
  BEGIN,
  END,
  MISSED_NOTES,
  checkBars,
  injectBlock,
  num,
  renderMarkdown,
  trainFlopsPerSample,
} from '../lib/report.js';

describe('RESULTS.md block', () => {
  it('appends the markers to a file without them, keeping its text', () => {
    const t = injectBlock('# Results\n\nkernels table\n', 'PEERS');
    expect(t).toBe(`# Results\n\nkernels table\n\n${BEGIN}\nPEERS\n${END}\n`);
    expect(injectBlock('', 'X')).toBe(`${BEGIN}\nX\n${END}\n`);
  });

  it('replaces only what is between the markers', () => {
    const before = `head\n${BEGIN}\nold\n${END}\ntail\n`;
    const t = injectBlock(before, 'new');
    expect(t).toBe(`head\n${BEGIN}\nnew\n${END}\ntail\n`);
    expect(injectBlock(t, 'newer')).toBe(`head\n${BEGIN}\nnewer\n${END}\ntail\n`);
  });
});

const impls = {
  'simdnet-wasm': 'simdnet (wasm)',
  'tfjs-wasm': 'TensorFlow.js wasm',
  'ort-1t': 'ORT 1t',
  'ort-2t': 'ORT 2t',
};
const gemm = (g) =>
  Object.fromEntries(
    Object.entries(g).map(([n, v]) => [n, { gflops: v, gflopsMin: v, gflopsMax: v, ok: true, cpuPerWall: 1 }]),
  );
const stat = (v) => ({ median: v, min: v, max: v, n: 4 });
const report = (over = {}) => ({
  machine: {
    cpu: 'X',
    cores: 2,
    memoryGiB: 1,
    platform: 'linux x64',
    node: 'v20',
    v8: '11',
    date: 'd',
    loadAverage: [0, 0, 0],
    loadAverageAfter: [0, 0, 0],
    seconds: 1,
    quick: false,
  },
  versions: { simdnet: '0.1.0' },
  implementations: impls,
  results: {
    'simdnet-wasm': {
      gemm: gemm({ 256: 40, 512: 40, 1024: 40 }),
      train: {
        sgd: { samplesPerSec: stat(50_000), accAfter1: 0.9, accAfterLast: 0.95, epochsDone: 5, lastEpoch: 5 },
        adam: { samplesPerSec: stat(40_000), accAfter1: 0.9, accAfterLast: 0.95, epochsDone: 5, lastEpoch: 5 },
      },
      infer: {
        b1: { latencyUs: 8, latencyUsMin: 7, latencyUsMax: 9, maxAbsDiff: 1e-7, ok: true },
        b256: { samplesPerSec: 100_000, samplesPerSecMin: 1, samplesPerSecMax: 2, maxAbsDiff: 1e-7, ok: true },
      },
      big: { samplesPerSec: stat(8000), rowsPerRepeat: 1024 },
      ...over.simd,
    },
    'tfjs-wasm': {
      gemm: gemm({ 256: 31, 512: 31, 1024: 36 }),
      train: { sgd: { samplesPerSec: stat(10_000) }, adam: { samplesPerSec: stat(9_000) } },
      infer: {
        b1: { latencyUs: 100, maxAbsDiff: 1e-7, ok: true },
        b256: { samplesPerSec: 50_000, maxAbsDiff: 1e-7, ok: true },
      },
      big: { samplesPerSec: stat(900), rowsPerRepeat: 256 },
    },
    'ort-1t': {
      gemm: gemm({ 256: 20, 512: 20, 1024: 20 }),
      train: { na: 'inference only' },
      infer: {
        b1: { latencyUs: 21, maxAbsDiff: 1e-7, ok: true },
        b256: { samplesPerSec: 90_000, maxAbsDiff: 1e-7, ok: true },
      },
    },
    // Two threads are not a single-thread peer: its faster GEMM must not count against the bar.
    'ort-2t': { gemm: gemm({ 256: 80, 512: 80, 1024: 80 }) },
  },
  cold: { 'simdnet-wasm': { ms: stat(60) }, 'tfjs-wasm': { ms: stat(400) }, 'ort-1t': { ms: stat(50) } },
  sizes: {
    'simdnet-wasm': { bytes: 400_000, packages: 1 },
    'tfjs-wasm': { bytes: 90e6, packages: 18 },
    'ort-1t': { bytes: 150e6, packages: 19 },
  },
});

describe('bars', () => {
  it('marks each bar met or missed against the right peer', () => {
    const bars = Object.fromEntries(
      checkBars(report()).map((b) => [
        b.bar.split(' ')[0] + (b.bar.includes('Adam') ? 'A' : b.bar.includes('512-512') ? 'B' : ''),
        b,
      ]),
    );
    // GEMM: the worst n is 1024 (40 / 36 = 1.11 < 1.2), ORT with 2 threads ignored.
    expect(bars.GEMM.status).toBe('missed');
    expect(bars.GEMM.value).toBeCloseTo(40 / 36);
    expect(bars.GEMM.detail).toContain('n=1024: 1.11x vs TensorFlow.js wasm');
    expect(bars.MLP.status).toBe('met'); // SGD 5x
    expect(bars.MLPA.value).toBeCloseTo(40 / 9);
    expect(bars.MLPB.status).toBe('met'); // 8.9x
    expect(bars['Batch-1'].value).toBeCloseTo(21 / 8);
    expect(bars['Batch-1'].status).toBe('met');
    expect(bars['Batch-256'].value).toBeCloseTo(100 / 90);
    expect(bars['Batch-256'].status).toBe('missed');
    expect(bars.Cold.status).toBe('missed'); // ORT 50 ms beats 60 ms
    expect(bars.Installed.status).toBe('met');
  });

  it('says unknown when a number is missing, and renders every section', () => {
    const r = report({ simd: { big: { error: 'boom' } } });
    const big = checkBars(r).find((b) => b.bar.includes('512-512'));
    expect(big.status).toBe('unknown');
    const md = renderMarkdown(r);
    expect(md).toContain('### 1. Square f32 GEMM');
    expect(md).toContain('### 5. Cold start and footprint');
    expect(md).toMatch(/\*\*missed\*\* \(1\.11x of 1\.20x: 7\.4% short\)/);
    expect(md).toContain('error: boom');
    expect(md).toContain('n/a (inference only)');
    expect(md).toContain('| TensorFlow.js wasm | 10,000 (10,000–10,000) | 9,000 (9,000–9,000) |');
  });

  it('prints a note under each missed bar that has one, and only then', () => {
    const md = renderMarkdown(report());
    expect(md).toContain(
      `- *GEMM GFLOP/s, n ≥ 256, vs the best single-thread peer*: ${MISSED_NOTES['GEMM GFLOP/s, n ≥ 256, vs the best single-thread peer']}`,
    );
    expect(md).not.toContain(MISSED_NOTES['MLP 784-512-512-10 training vs TensorFlow.js wasm']); // that bar is met
    for (const b of checkBars(report()))
      if (b.bar !== 'Installed size') expect(MISSED_NOTES[b.bar], b.bar).toBeTypeOf('string');
  });

  it('counts the nominal training flops per sample (no dX for the first layer)', () => {
    expect(trainFlopsPerSample([784, 128, 10])).toBe(2 * 784 * 128 * 2 + 2 * 128 * 10 * 3);
    expect(trainFlopsPerSample([784, 512, 512, 10])).toBe(3_209_216);
  });

  it('flags a busy machine from the load average', () => {
    expect(renderMarkdown(report())).not.toContain('Busy machine');
    const busy = report();
    busy.machine.loadAverageAfter = [3.5, 2, 1];
    busy.results['tfjs-wasm'].gemm[256].cpuPerWall = 0.5;
    const md = renderMarkdown(busy);
    expect(md).toContain('**Busy machine**: load average up to 3.5 on 2 cores');
    // 31 GFLOP/s at half a core is 62 GFLOP per CPU-second.
    expect(md).toContain('| TensorFlow.js wasm | 62.0 | 31.0 | 36.0 | – |');
    expect(renderMarkdown(report())).not.toContain('per CPU-second');
  });

  it('judges the CNN bars, renders section 6 with every implementation, and keeps CNN-only ones out of sections 1-5', () => {
    const r = report();
    r.implementations = { ...impls, convnetjs: 'convnetjs', 'plain-js': 'plain JS' };
    r.cnnOnly = ['convnetjs', 'plain-js'];
    const train = (v) => ({
      samplesPerSec: stat(v),
      gflopsEquiv: 1,
      rowsPerRepeat: 64,
      losses: [2.3, 2.1],
      cpuPerWall: 0.98,
      note: 'n',
    });
    const infer = (b1, b256) => ({
      b1: { latencyUs: b1, latencyUsMin: b1, latencyUsMax: b1, maxAbsDiff: 1e-7, ok: true },
      b256: { samplesPerSec: b256, samplesPerSecMin: b256, samplesPerSecMax: b256, maxAbsDiff: 2e-7, ok: true },
    });
    Object.assign(r.results['simdnet-wasm'], { 'cnn-train': train(6000), 'cnn-infer': infer(50, 30_000) });
    r.results['tfjs-wasm']['cnn-train'] = {
      error: "Error: Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm' | at x",
    };
    r.results['ort-1t']['cnn-infer'] = infer(120, 20_000);
    r.results['ort-1t']['cnn-train'] = { na: 'inference only' };
    r.results.convnetjs = { 'cnn-train': train(300), 'cnn-infer': infer(3000, 600) };
    r.results['plain-js'] = { 'cnn-train': train(500) };
    // A CNN-only peer must not count for the MLP bars: its results have no MLP numbers anyway, and no cold start.
    const bars = Object.fromEntries(checkBars(r).map((b) => [b.bar, b]));
    expect(bars['CNN training vs convnetjs'].value).toBeCloseTo(20);
    expect(bars['CNN training vs convnetjs'].status).toBe('met');
    expect(bars['CNN training samples/s, one thread'].value).toBeCloseTo(1.2);
    expect(bars['CNN training samples/s, one thread'].status).toBe('met');
    expect(bars['CNN batch-1 inference latency vs ONNX Runtime Web (1 thread)'].value).toBeCloseTo(2.4);
    expect(bars['CNN batch-256 inference throughput vs ONNX Runtime Web (1 thread)'].value).toBeCloseTo(1.5);
    r.results['simdnet-wasm']['cnn-train'] = train(4000);
    const missed = Object.fromEntries(checkBars(r).map((b) => [b.bar, b]));
    expect(missed['CNN training samples/s, one thread'].status).toBe('missed');
    expect(missed['CNN training vs convnetjs'].value).toBeCloseTo(4000 / 300);
    const md = renderMarkdown(r);
    expect(md).toContain('### 6. CNN');
    expect(md).toContain(
      "| TensorFlow.js wasm | error: Error: Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm' |",
    );
    expect(md).toContain('| convnetjs | 300 (300–300) | 1.00 | 64 | 2.300 → 2.100 (2 ep.) | 13x | 0.98 | n |');
    expect(md).toContain('| plain JS | not run |'); // its inference row
    const before6 = md.slice(md.indexOf('### 1. '), md.indexOf('### 6. CNN'));
    expect(before6).not.toContain('convnetjs |');
    expect(before6).not.toContain('plain JS |');
    expect(md).toContain(
      `- *CNN training samples/s, one thread*: ${MISSED_NOTES['CNN training samples/s, one thread']}`,
    );
  });

  it('formats numbers to three significant digits', () => {
    expect(num(12345)).toBe('12,300');
    expect(num(31.25)).toBe('31.3');
    expect(num(1.234)).toBe('1.23');
    expect(num(0.01234)).toBe('0.012');
    expect(num(NaN)).toBe('–');
  });
});
