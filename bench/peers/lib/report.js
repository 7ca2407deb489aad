// Markdown for bench/RESULTS.md (the block between the peers markers) from run.js' report object, and the
// bar checks (met / missed and by how much). Ratios are simdnet (wasm) over the peer: > 1 means simdnet is
// faster (for latencies and cold starts: peer time over simdnet time; for sizes: peer bytes over simdnet bytes).
import { CNN_TRAIN_FLOPS } from './cnn.js';

export const BEGIN = '<!-- peers:begin -->';
export const END = '<!-- peers:end -->';

const SIMD = 'simdnet-wasm';

/** Replaces what is between the markers (adding them at the end of the file when absent). */
export function injectBlock(text, block) {
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  const body = `${BEGIN}\n${block.trim()}\n${END}`;
  if (b >= 0 && e > b) return text.slice(0, b) + body + text.slice(e + END.length);
  const sep = text.length === 0 ? '' : text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return `${text}${sep}${body}\n`;
}

/** Three significant digits, thousands separated. */
export function num(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  const r = a >= 1000 ? Number(x.toPrecision(3)) : x;
  return r.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const range = (med, lo, hi) => `${num(med)} (${num(lo)}–${num(hi)})`;
const ratio = (r) =>
  r === null || r === undefined || !Number.isFinite(r) ? '–' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;
const pct = (a) => (a === null || a === undefined ? '–' : `${(a * 100).toFixed(1)}%`);

/** Why a row has no number: n/a (not supported), skipped, stopped by the time bound, or an error. */
function why(w, r) {
  if (!w) return r?.errors?.includes('stopped by the time bound') ? 'stopped by the time bound' : 'not run';
  if (w.na) return `n/a (${w.na})`;
  if (w.skipped) return `skipped (${w.skipped})`;
  if (w.error) return `error: ${w.error.split(' | ')[0].slice(0, 80)}`;
  return undefined;
}

// Accessors: the headline number of each workload per implementation (undefined when missing).
const gemmOf = (r, n) => r?.gemm?.[n]?.gflops;
const trainOf = (r, opt) => r?.train?.[opt]?.samplesPerSec?.median;
const b1Of = (r) => r?.infer?.b1?.latencyUs;
const b256Of = (r) => r?.infer?.b256?.samplesPerSec;
const bigOf = (r) => r?.big?.samplesPerSec?.median;
const cnnTrainOf = (r) => r?.['cnn-train']?.samplesPerSec?.median;
const cnnB1Of = (r) => r?.['cnn-infer']?.b1?.latencyUs;
const cnnB256Of = (r) => r?.['cnn-infer']?.b256?.samplesPerSec;

/** The CNN bars' fixed numbers: ≥ 15x convnetjs and ≥ 5,000 samples/s training, one thread. */
export const CNN_BARS = { vsConvnetjs: 15, samplesPerSec: 5_000, b1: 2, b256: 1.2 };

/**
 * The bars of the issue, each { bar, target, value, status, detail }; status is 'met', 'missed' or
 * 'unknown' (a needed number is missing).
 */
export function checkBars(report) {
  const { results: R, cold, sizes, implementations } = report;
  // The MLP bars are judged among the libraries that run the MLP workloads (not the CNN-only ones).
  const ids = Object.keys(implementations).filter((id) => !(report.cnnOnly ?? []).includes(id));
  const peers = ids.filter((id) => !id.startsWith('simdnet'));
  const single = (id) => !id.endsWith('-2t');
  const s = R[SIMD];
  const bars = [];
  const best = (fn, pool) => {
    let b;
    for (const id of pool) {
      const v = fn(R[id]);
      if (Number.isFinite(v) && (!b || v > b.v)) b = { id, v };
    }
    return b;
  };
  const add = (bar, target, got, detail, need) => {
    let status = 'unknown';
    if (Number.isFinite(got)) status = got >= need ? 'met' : 'missed';
    bars.push({ bar, target, value: got, status, detail, need });
  };
  const label = (id) => implementations[id] ?? id;

  // GEMM: every n >= 256 at least 1.2x the best single-thread peer.
  const gemmRatios = [];
  for (const n of [256, 512, 1024]) {
    const b = best((r) => gemmOf(r, n), peers.filter(single));
    const v = gemmOf(s, n);
    if (b && Number.isFinite(v)) gemmRatios.push({ n, r: v / b.v, peer: b.id });
  }
  const worstGemm = gemmRatios.length ? gemmRatios.reduce((a, c) => (c.r < a.r ? c : a)) : undefined;
  add(
    'GEMM GFLOP/s, n ≥ 256, vs the best single-thread peer',
    '≥ 1.2x',
    worstGemm?.r,
    gemmRatios.map((g) => `n=${g.n}: ${ratio(g.r)} vs ${label(g.peer)}`).join('; ') || 'no data',
    1.2,
  );

  for (const opt of ['sgd', 'adam']) {
    const v = trainOf(s, opt) / trainOf(R['tfjs-wasm'], opt);
    add(
      `MLP 784-128-10 training (${opt === 'sgd' ? 'SGD' : 'Adam'}) vs TensorFlow.js wasm`,
      '≥ 4x',
      v,
      `${num(trainOf(s, opt))} vs ${num(trainOf(R['tfjs-wasm'], opt))} samples/s`,
      4,
    );
  }
  add(
    'MLP 784-512-512-10 training vs TensorFlow.js wasm',
    '≥ 8x',
    bigOf(s) / bigOf(R['tfjs-wasm']),
    `${num(bigOf(s))} vs ${num(bigOf(R['tfjs-wasm']))} samples/s`,
    8,
  );
  // Latency: simdnet's must be at most half of ORT's, i.e. ORT / simdnet >= 2.
  add(
    'Batch-1 inference latency vs ONNX Runtime Web (1 thread)',
    '≤ 0.5x (2x faster)',
    b1Of(R['ort-1t']) / b1Of(s),
    `${num(b1Of(s))} µs vs ${num(b1Of(R['ort-1t']))} µs`,
    2,
  );
  const b256 = best(b256Of, peers.filter(single));
  add(
    'Batch-256 inference throughput vs the best single-thread peer',
    '≥ 1.25x',
    b256 ? b256Of(s) / b256.v : undefined,
    b256 ? `${num(b256Of(s))} vs ${num(b256.v)} samples/s (${label(b256.id)})` : 'no data',
    1.25,
  );
  // Cold start and size: simdnet against the best peer (ratio > 1 = simdnet smaller / sooner).
  const coldPeers = peers.filter((id) => cold[id]?.ms);
  const fastestPeer = coldPeers.sort((a, b) => cold[a].ms.median - cold[b].ms.median)[0];
  add(
    'Cold start (new process to first prediction)',
    'fastest of all',
    fastestPeer && cold[SIMD]?.ms ? cold[fastestPeer].ms.median / cold[SIMD].ms.median : undefined,
    fastestPeer && cold[SIMD]?.ms
      ? `${num(cold[SIMD].ms.median)} ms vs ${num(cold[fastestPeer].ms.median)} ms (${label(fastestPeer)}, the fastest peer)`
      : 'no data',
    1 + 1e-9,
  );
  const sizePeers = peers.filter((id) => sizes[id]?.bytes);
  const smallest = sizePeers.sort((a, b) => sizes[a].bytes - sizes[b].bytes)[0];
  add(
    'Installed size',
    'smallest of all',
    smallest && sizes[SIMD]?.bytes ? sizes[smallest].bytes / sizes[SIMD].bytes : undefined,
    smallest && sizes[SIMD]?.bytes
      ? `${mb(sizes[SIMD].bytes)} vs ${mb(sizes[smallest].bytes)} (${label(smallest)}, the smallest peer)`
      : 'no data',
    1 + 1e-9,
  );

  // The CNN (section 6): training against convnetjs and in absolute terms, inference against ORT on one thread.
  add(
    'CNN training vs convnetjs',
    `≥ ${CNN_BARS.vsConvnetjs}x`,
    cnnTrainOf(s) / cnnTrainOf(R.convnetjs),
    `${num(cnnTrainOf(s))} vs ${num(cnnTrainOf(R.convnetjs))} samples/s`,
    CNN_BARS.vsConvnetjs,
  );
  // An absolute bar, as a ratio to its target (1.00x = exactly the target).
  add(
    'CNN training samples/s, one thread',
    `≥ ${num(CNN_BARS.samplesPerSec)} samples/s`,
    cnnTrainOf(s) / CNN_BARS.samplesPerSec,
    `${num(cnnTrainOf(s))} samples/s (the ratio column is over ${num(CNN_BARS.samplesPerSec)})`,
    1,
  );
  add(
    'CNN batch-1 inference latency vs ONNX Runtime Web (1 thread)',
    '≤ 0.5x (2x faster)',
    cnnB1Of(R['ort-1t']) / cnnB1Of(s),
    `${num(cnnB1Of(s))} µs vs ${num(cnnB1Of(R['ort-1t']))} µs`,
    CNN_BARS.b1,
  );
  add(
    'CNN batch-256 inference throughput vs ONNX Runtime Web (1 thread)',
    `≥ ${CNN_BARS.b256}x`,
    cnnB256Of(s) / cnnB256Of(R['ort-1t']),
    `${num(cnnB256Of(s))} vs ${num(cnnB256Of(R['ort-1t']))} samples/s`,
    CNN_BARS.b256,
  );
  return bars;
}

const mb = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(0)} KB`);

/** Nominal flops of one training sample: forward, dW and dX (dX skipped for the first layer) = 2·in·out each. */
export function trainFlopsPerSample(sizes) {
  let f = 0;
  for (let l = 0; l + 1 < sizes.length; l++) f += 2 * sizes[l] * sizes[l + 1] * (l === 0 ? 2 : 3);
  return f;
}

/**
 * The explanation printed under a missed bar: what limits it and what would reach it. Keyed by the bar's
 * text; written from what the harness measures (kernel-level numbers are in the kernels section above).
 */
export const MISSED_NOTES = {
  'GEMM GFLOP/s, n ≥ 256, vs the best single-thread peer':
    'both sides are one thread of SIMD128 without FMA (relaxed SIMD is off), so the ceiling is the same f32x4 mul+add peak ' +
    '(kernels section: `peak_f32x4`); the gap is how close each micro-kernel and its cache blocking get to it at that n. ' +
    'Reaching 1.2x needs simdnet at ≥ 1.2x the peer at every n — a larger register tile (fewer loads per mul+add) and ' +
    'blocking tuned for the n where the kernels table shows the fraction of peak dropping.',
  'MLP 784-128-10 training (SGD) vs TensorFlow.js wasm':
    'at this size a step is a few small GEMMs plus per-call overhead; simdnet runs whole epochs in kernels, so what is left ' +
    'is its GEMM speed at 64x784x128 (kernels section) and the once-per-fit() copy of the data set.',
  'MLP 784-512-512-10 training vs TensorFlow.js wasm':
    'this network is GEMM-bound (the "GFLOP/s equiv." column): simdnet already runs near its GEMM speed, so the ratio ' +
    "is capped by how far TensorFlow.js falls below its own GEMM speed; 8x needs simdnet's forward, dW and dX products " +
    'all near the f32x4 peak at 128x784x512 and 128x512x512 (kernels section), i.e. faster GEMM, not less overhead.',
  'Batch-1 inference latency vs ONNX Runtime Web (1 thread)':
    "the kernels alone take a few µs (kernels section: batch-1 inference at kernel level); the rest is predict()'s host " +
    'work per call — argument checks and a checked copy of the input in JS, staging into wasm memory, a new output array. ' +
    'A predict path for a prepared Float32Array into a caller-provided output, with the finiteness check done in wasm ' +
    '(`count_nonfinite`), would bring it close to the kernel time.',
  'Batch-256 inference throughput vs the best single-thread peer':
    "batch 256 is GEMM-bound (256x784x128), where the kernels are close to the peers'; predict() also checks and copies " +
    'the 200,704 input values in JS on every call. Checking in wasm after the staging copy, and the 256x784x128 GEMM ' +
    'nearer the f32x4 peak, are what would reach 1.25x.',
  'Cold start (new process to first prediction)':
    'cold start is module loading plus .wasm compilation plus the first call; the package entry is a bundle for this ' +
    'reason. What remains is V8 compiling the .wasm (size: the .wasm column) and the first-call tier-up.',
};
Object.assign(MISSED_NOTES, {
  'CNN training vs convnetjs':
    "convnetjs is f64 and one sample at a time, so this ratio is set by how fast simdnet's conv kernels are: see the next bar.",
  'CNN training samples/s, one thread':
    'a training sample is ~1.7 MFLOP (the "GFLOP/s equiv." column), most of it in the second conv (8x8x16 outputs of 5x5x8 windows) ' +
    'and its two gradients; 5,000 samples/s needs ~8.5 GFLOP/s over the whole step, i.e. the convolutions (as GEMMs: ' +
    'M = 32·64, K = 200, N = 16 for the second, M = 32·576, K = 25, N = 8 for the first) at a good fraction of GEMM speed.',
  'CNN batch-1 inference latency vs ONNX Runtime Web (1 thread)':
    "a batch-1 forward pass is 0.65 MFLOP: at simdnet's GEMM speed of section 1 (~31 GFLOP/s) about 21 µs, so half of " +
    "ONNX Runtime's latency leaves little for the rest — the convolutions' few output channels (8 and 16; the first has " +
    '25 taps per output) keep them well below the square-matrix speed, then the two pools, the dense layer and ' +
    "predict()'s per-call host work (checks, staging the input, the output array). Reaching it needs the batch-1 " +
    'convolutions nearer GEMM speed and less fixed cost per layer and per call.',
  'CNN batch-256 inference throughput vs ONNX Runtime Web (1 thread)':
    'batch 256 is ~165 MFLOP per call, nearly all in the two convolutions (as GEMMs: M = 256·576, K = 25, N = 8 and ' +
    'M = 256·64, K = 200, N = 16): 8 or 16 output channels, where a micro-kernel runs well below its square-matrix speed ' +
    '(compare samples/s × 0.65 MFLOP with the GEMM table). ONNX Runtime runs Conv as im2col + its MLAS SGEMM; ' +
    "TensorFlow.js wasm (XNNPACK) is the row to compare with. Reaching 1.2x needs simdnet's convolution forward pass " +
    'faster at these few-channel shapes.',
});
MISSED_NOTES['MLP 784-128-10 training (Adam) vs TensorFlow.js wasm'] =
  MISSED_NOTES['MLP 784-128-10 training (SGD) vs TensorFlow.js wasm'];

/** True when the load average (before or after) says other work shared the cores. */
const busy = (m) => Math.max(m.loadAverage[0], m.loadAverageAfter[0]) > m.cores * 0.75;

export function renderMarkdown(report) {
  const { machine: m, versions, implementations, results: R, cold, sizes } = report;
  const allIds = Object.keys(implementations);
  // Sections 1-5 list the implementations that run the MLP workloads; section 6 (the CNN) lists all of them.
  const ids = allIds.filter((id) => !(report.cnnOnly ?? []).includes(id));
  const s = R[SIMD];
  const L = [];
  const row = (cells) => L.push(`| ${cells.join(' | ')} |`);
  const label = (id) => implementations[id];
  const share = (w) => (Number.isFinite(w?.cpuPerWall) ? w.cpuPerWall.toFixed(2) : '–');

  L.push('## Side by side with other libraries (`npm run bench:peers`)', '');
  L.push(
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node} (V8 ${m.v8}); ${m.date}${m.quick ? ' — **quick run** (fewer sizes and epochs)' : ''}`,
  );
  L.push(
    `- Load average before / after: ${m.loadAverage.join(' ')} / ${m.loadAverageAfter.join(' ')}; the whole run took ${Math.round(m.seconds)} s. A "CPU share" well under 1 for a one-thread library means other processes were taking the core: those numbers are noisy.`,
  );
  if (busy(m)) {
    L.push(
      `- **Busy machine**: load average up to ${Math.max(m.loadAverage[0], m.loadAverageAfter[0])} on ${m.cores} cores during this run — other work shared the cores, so these numbers (and their ratios) are noisy; re-run \`npm run bench:peers\` on a quiet machine for representative ones.`,
    );
  }
  if (m.pinnedCpu !== undefined) {
    L.push(
      `- The cores of this VM are not alike (ms for the same loop per CPU at the start: ${m.cpuProbeMs.map((v) => v.toFixed(1)).join(', ')}): the main thread of each one-thread library's worker ran pinned to CPU ${m.pinnedCpu}, the faster; helper threads and cold starts unpinned.`,
    );
  }
  L.push(
    `- Versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (pinned in \`bench/peers/package-lock.json\`).`,
  );
  const sb = m.simdnetBuild;
  if (sb?.commit)
    L.push(
      `- simdnet built from commit ${sb.commit}${sb.uncommittedSrc ? ' **plus uncommitted changes in src/ or assembly/** (a work-tree build)' : ''}, measured from \`${sb.dist}\`.`,
    );
  L.push(
    '- One process per library; medians with min–max over repeats, after a warm-up of at least 400 ms. Same MNIST digits (`mnist` package, 8,000 train / 2,000 held out, seed 1) and, where the library allows it, the same initial weights (simdnet\'s seeded ones). "× simdnet" is how many times faster simdnet (wasm) is than that row (> 1: simdnet faster).',
  );
  L.push('');

  // Bars
  const bars = checkBars(report);
  L.push('### Bars', '');
  row(['bar', 'target', 'simdnet (wasm) / peer', 'status', 'numbers']);
  row(['---', '---', '---:', '---', '---']);
  for (const b of bars) {
    const st =
      b.status === 'met'
        ? '**met**'
        : b.status === 'missed'
          ? `**missed** (${ratio(b.value)} of ${ratio(b.need)}: ${pct(1 - b.value / b.need)} short)`
          : 'unknown (no data)';
    row([b.bar, b.target, ratio(b.value), st, b.detail]);
  }
  const missed = bars.filter((b) => b.status === 'missed' && MISSED_NOTES[b.bar]);
  if (missed.length) {
    L.push('');
    for (const b of missed) L.push(`- *${b.bar}*: ${MISSED_NOTES[b.bar]}`);
  }
  L.push('');

  // 1. GEMM
  const ns = [...new Set(ids.flatMap((id) => Object.keys(R[id]?.gemm ?? {}).filter((k) => /^\d+$/.test(k))))]
    .map(Number)
    .sort((a, b) => a - b);
  L.push('### 1. Square f32 GEMM, C = A·B (GFLOP/s)', '');
  L.push(
    '2n³ flops per call; inputs resident in the library (simdnet: `gemm_forward` on engine memory; TensorFlow.js: `tf.matMul` on tensors, result disposed; ONNX Runtime: a one-MatMul graph, `session.run`, which also copies A and B in and C out). Outputs spot-checked against f64 dot products.',
    '',
  );
  row(['implementation', ...ns.map((n) => `n=${n}`), ...ns.map((n) => `× simdnet n=${n}`), 'CPU share']);
  row(['---', ...ns.map(() => '---:'), ...ns.map(() => '---:'), '---:']);
  for (const id of ids) {
    const g = R[id]?.gemm;
    const w = why(g, R[id]) ?? (g && ns.every((n) => !g[n]) ? 'not run' : undefined);
    if (w) {
      row([label(id), w, ...ns.slice(1).map(() => ''), ...ns.map(() => ''), '']);
      continue;
    }
    row([
      label(id),
      ...ns.map((n) =>
        g[n]?.gflops
          ? `${range(g[n].gflops, g[n].gflopsMin, g[n].gflopsMax)}${g[n].ok ? '' : ' ⚠ wrong result'}`
          : (why(g[n]) ?? '–'),
      ),
      ...ns.map((n) => (id === SIMD ? '' : ratio(gemmOf(s, n) / gemmOf(R[id], n)))),
      share(g[ns[ns.length - 1]]),
    ]);
  }
  L.push('');

  // On a busy machine, wall-clock speed mostly measures how much CPU each process was given: dividing by the
  // CPU share (process CPU time / wall time) gives work per CPU-second, a fairer comparison until a quiet re-run.
  if (busy(m)) {
    const perCpu = (v, w) => (Number.isFinite(v) && w?.cpuPerWall > 0 ? v / w.cpuPerWall : undefined);
    L.push(
      'Busy-machine check — the same numbers per CPU-second (value ÷ CPU share; ONNX Runtime with 2 threads: per CPU-second of both). On a quiet machine these equal the wall-clock ones.',
      '',
    );
    row(['implementation', ...ns.map((n) => `GEMM n=${n} GFLOP per CPU-s`), 'batch-256 samples per CPU-s']);
    row(['---', ...ns.map(() => '---:'), '---:']);
    for (const id of ids) {
      const g = R[id]?.gemm;
      const f = R[id]?.infer?.b256;
      if (!g?.[ns[0]]?.gflops && !f) continue;
      row([label(id), ...ns.map((n) => num(perCpu(g?.[n]?.gflops, g?.[n]))), num(perCpu(f?.samplesPerSec, f))]);
    }
    L.push('');
  }

  // 2. Training 784-128-10
  L.push('### 2. MLP 784-128-10 training, batch 64 (samples/s over epochs 2–5; held-out accuracy)', '');
  L.push(
    'relu hidden layer, softmax + categorical cross-entropy; SGD lr 0.05 and Adam lr 0.001 (β 0.9 / 0.999); each epoch is one `fit()` call over the 8,000 shuffled digits. Accuracy on the 2,000 held-out digits after epoch 1 and epoch 5.',
    '',
  );
  row([
    'implementation',
    'SGD samples/s',
    'Adam samples/s',
    'SGD acc. 1 / 5 ep.',
    'Adam acc. 1 / 5 ep.',
    '× simdnet SGD',
    '× simdnet Adam',
    'how',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']);
  for (const id of ids) {
    const t = R[id]?.train;
    const w = why(t, R[id]);
    if (w) {
      row([label(id), w, '', '', '', '', '', '']);
      continue;
    }
    const cell = (o) =>
      o?.samplesPerSec
        ? `${range(o.samplesPerSec.median, o.samplesPerSec.min, o.samplesPerSec.max)}${o.epochsDone < o.lastEpoch ? ` [epochs ${o.epochsTimed}, time bound]` : ''}`
        : (why(o) ?? '–');
    const acc = (o) =>
      o?.accAfter1 !== undefined
        ? `${pct(o.accAfter1)} / ${o.accAfterLast !== null && o.epochsDone === o.lastEpoch ? pct(o.accAfterLast) : `– (${o.epochsDone} ep.)`}`
        : '–';
    row([
      label(id),
      cell(t.sgd),
      cell(t.adam),
      acc(t.sgd),
      acc(t.adam),
      id === SIMD ? '' : ratio(trainOf(s, 'sgd') / trainOf(R[id], 'sgd')),
      id === SIMD ? '' : ratio(trainOf(s, 'adam') / trainOf(R[id], 'adam')),
      t.sgd?.note ?? t.adam?.note ?? '',
    ]);
  }
  L.push('');

  // 3. Inference
  L.push('### 3. Inference of that MLP (trained weights): batch-1 latency and batch-256 throughput', '');
  L.push(
    'Each call runs the whole batch and returns the probabilities to JS (TensorFlow.js: `predict` + `dataSync`; ONNX Runtime: `session.run` from the ONNX file built in the harness; brain.js: `run` per row). "max |Δ|" is against an f64 reference of the same weights.',
    '',
  );
  row([
    'implementation',
    'batch-1 latency (µs)',
    'batch-256 samples/s',
    'max abs diff (1 / 256)',
    '× simdnet batch 1',
    '× simdnet batch 256',
    'CPU share',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const id of ids) {
    const f = R[id]?.infer;
    const w = why(f, R[id]);
    if (w) {
      row([label(id), w, '', '', '', '', '']);
      continue;
    }
    const d = (x) => (x ? `${x.maxAbsDiff.toExponential(1)}${x.ok ? '' : ' ⚠'}` : '–');
    row([
      label(id),
      f.b1 ? range(f.b1.latencyUs, f.b1.latencyUsMin, f.b1.latencyUsMax) : '–',
      f.b256 ? range(f.b256.samplesPerSec, f.b256.samplesPerSecMin, f.b256.samplesPerSecMax) : '–',
      `${d(f.b1)} / ${d(f.b256)}${f.head === 'relu' ? ' (relu head)' : ''}`,
      id === SIMD ? '' : ratio(b1Of(R[id]) / b1Of(s)),
      id === SIMD ? '' : ratio(b256Of(s) / b256Of(R[id])),
      share(f.b256),
    ]);
  }
  L.push('');

  // 4. Big MLP
  const bigFlops = trainFlopsPerSample([784, 512, 512, 10]);
  L.push('### 4. MLP 784-512-512-10 training, batch 128, Adam (samples/s)', '');
  L.push(
    `Repeats are epochs over the first R digits, R sized per library so a repeat lasts about 0.5 s (a one-batch pilot measures the speed first). "GFLOP/s equiv." is samples/s × ${num(bigFlops / 1e6)} MFLOP, the nominal GEMM work of a sample (forward, dW, dX except for the first layer): compare it with the GEMM table to see how GEMM-bound each library is.`,
    '',
  );
  row(['implementation', 'samples/s', 'GFLOP/s equiv.', 'rows per repeat', '× simdnet', 'how']);
  row(['---', '---:', '---:', '---:', '---:', '---']);
  for (const id of ids) {
    const b = R[id]?.big;
    const w = why(b, R[id]);
    if (w) {
      row([label(id), w, '', '', '', '']);
      continue;
    }
    row([
      label(id),
      range(b.samplesPerSec.median, b.samplesPerSec.min, b.samplesPerSec.max),
      num((b.samplesPerSec.median * bigFlops) / 1e9),
      String(b.rowsPerRepeat),
      id === SIMD ? '' : ratio(bigOf(s) / bigOf(R[id])),
      b.note ?? '',
    ]);
  }
  L.push('');

  // 5. Cold start and footprint
  L.push('### 5. Cold start and footprint', '');
  L.push(
    'Cold start: wall time from spawning `node` to the first prediction of the 784-128-10 MLP (import, runtime and .wasm set-up, model from the weight files — ONNX Runtime from the .onnx file — and one batch-1 predict); rounds interleaved across libraries after one uncounted round. Installed size: bytes on disk of the package and everything npm installs with it (simdnet: the files `npm pack` publishes; it has no dependencies).',
    '',
  );
  row([
    'implementation',
    'cold start (ms)',
    '× simdnet',
    'installed size',
    'packages',
    '× simdnet size',
    '.wasm loaded',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const id of ids) {
    const c = cold[id];
    const z = sizes[id];
    const coldCell = c?.ms ? range(c.ms.median, c.ms.min, c.ms.max) : c?.error ? `error: ${c.error}` : 'not run';
    const sizeCell = z?.bytes ? mb(z.bytes) : z?.error ? `error: ${z.error}` : 'not run';
    row([
      label(id),
      coldCell,
      id === SIMD || !c?.ms || !cold[SIMD]?.ms ? '' : ratio(c.ms.median / cold[SIMD].ms.median),
      sizeCell,
      z?.packages ? String(z.packages) : '',
      id === SIMD || !z?.bytes || !sizes[SIMD]?.bytes ? '' : ratio(z.bytes / sizes[SIMD].bytes),
      z?.wasmBytes ? mb(z.wasmBytes) : z ? 'none' : '',
    ]);
  }

  // 6. CNN
  if (allIds.some((id) => R[id]?.['cnn-train'] || R[id]?.['cnn-infer'])) {
    L.push('');
    renderCnn(L, row, allIds, R, label, share);
  }

  const errs = allIds.filter((id) => R[id]?.errors?.length);
  if (errs.length) {
    L.push('', `Errors: ${errs.map((id) => `${label(id)}: ${R[id].errors.join('; ')}`).join(' — ')}`);
  }
  L.push('', 'Raw numbers: `bench/peers/results.json`. Method and caveats: `docs/benchmarks-peers.md`.');
  return L.join('\n');
}

/** Section 6: the CNN's training and inference tables. */
function renderCnn(L, row, ids, R, label, share) {
  const s = R[SIMD];
  L.push('### 6. CNN (LeNet-like) on MNIST: training, batch 32, SGD lr 0.01 (samples/s)', '');
  L.push(
    'conv 5x5x8 + relu → maxpool 2 → conv 5x5x16 + relu → maxpool 2 → flatten → dense 256→10 → softmax, categorical cross-entropy; ' +
      'every library starts from the same seeded Glorot-uniform weights (Keras layouts, converted per library). Repeats are epochs over ' +
      'the first R digits, R a multiple of 32 sized per library so a repeat lasts about a second (a library slower than that repeats ' +
      `single 32-row steps, 3 to 5 of them). "GFLOP/s equiv." is samples/s × ${num(CNN_TRAIN_FLOPS / 1e6)} MFLOP, the nominal work of a ` +
      'sample (forward, dW, dX except for the first conv). Loss: mean cross-entropy of the first and the last epoch run. One step of every ' +
      'library is checked against an f64 reference in `bench/peers/test/cnn-adapters.test.js`.',
    '',
  );
  row([
    'implementation',
    'samples/s',
    'GFLOP/s equiv.',
    'rows per repeat',
    'loss first → last',
    '× simdnet',
    'CPU share',
    'how',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']);
  for (const id of ids) {
    const t = R[id]?.['cnn-train'];
    const w = why(t, R[id]);
    if (w) {
      row([label(id), w, '', '', '', '', '', '']);
      continue;
    }
    row([
      label(id),
      range(t.samplesPerSec.median, t.samplesPerSec.min, t.samplesPerSec.max),
      num(t.gflopsEquiv),
      String(t.rowsPerRepeat),
      t.losses?.length
        ? `${t.losses[0].toFixed(3)} → ${t.losses[t.losses.length - 1].toFixed(3)} (${t.losses.length} ep.)`
        : '–',
      id === SIMD ? '' : ratio(cnnTrainOf(s) / cnnTrainOf(R[id])),
      share(t),
      t.note ?? '',
    ]);
  }
  L.push('');
  L.push(
    'CNN inference (weights after one epoch of SGD over 2,048 digits): batch-1 latency and batch-256 throughput; each call returns the probabilities to JS. ' +
      '"max abs diff" is against the f64 reference forward pass (≤ 1e-4 passes). ONNX Runtime runs an ONNX graph of the same network written by the harness ' +
      '(Conv/Relu/MaxPool ×2, Flatten, Gemm, Softmax; the NHWC rows fed as NCHW, the same bytes with one channel). Calls slower than 0.3 s are timed over 3 single calls.',
    '',
  );
  row([
    'implementation',
    'batch-1 latency (µs)',
    'batch-256 samples/s',
    'max abs diff (1 / 256)',
    '× simdnet batch 1',
    '× simdnet batch 256',
    'CPU share',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const id of ids) {
    const f = R[id]?.['cnn-infer'];
    const w = why(f, R[id]);
    if (w) {
      row([label(id), w, '', '', '', '', '']);
      continue;
    }
    const d = (x) => (x ? `${x.maxAbsDiff.toExponential(1)}${x.ok ? '' : ' ⚠'}` : '–');
    row([
      label(id),
      f.b1 ? range(f.b1.latencyUs, f.b1.latencyUsMin, f.b1.latencyUsMax) : '–',
      f.b256 ? range(f.b256.samplesPerSec, f.b256.samplesPerSecMin, f.b256.samplesPerSecMax) : '–',
      `${d(f.b1)} / ${d(f.b256)}`,
      id === SIMD ? '' : ratio(cnnB1Of(R[id]) / cnnB1Of(s)),
      id === SIMD ? '' : ratio(cnnB256Of(s) / cnnB256Of(R[id])),
      share(f.b256),
    ]);
  }
}
