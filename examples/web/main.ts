/**
 * The page: controls, live charts, the drawing pad. Training (the MLP or the CNN) runs in a worker; after each epoch
 * the worker sends the model file's bytes and the page loads them into its own (main-thread) copy, so predictions
 * and their integrated-gradients map follow the drawing instantly while training goes on, with whichever model was trained last.
 */
import { lineChart, type Series } from '../../src/cli/svg.js';
import { integratedGradients } from '../../src/compress/explain.js';
import { loadModel } from '../../src/io/format.js';
import type { Sequential } from '../../src/model/sequential.js';
import { init } from '../../src/runtime/engine.js';
import { centerDigit, inkOf } from './digit.js';
import type { Action, Arch, CompressRow, FromWorker, ToWorker } from './protocol.js';
import { LIMITS, rangeText, readSettings, type FieldId } from './settings.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const wasmUrl = new URL('simdnet.wasm', document.baseURI).href;
const dataUrl = new URL('mnist.bin', document.baseURI).href;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);

type State = 'loading' | 'ready' | 'training' | 'trained' | 'busy' | 'error';
function setState(s: State, status?: string): void {
  document.body.dataset.state = s;
  if (status !== undefined) $('status').textContent = status;
  const idle = s === 'ready' || s === 'trained';
  $<HTMLButtonElement>('train').disabled = !idle;
  $<HTMLButtonElement>('stop').disabled = s !== 'training';
  $<HTMLButtonElement>('bench').disabled = !idle;
  $<HTMLButtonElement>('quantize').disabled = s !== 'trained';
  $<HTMLButtonElement>('prune').disabled = s !== 'trained';
  for (const id of ['arch', 'hidden', 'epochs', 'batch', 'lr', 'rows'])
    $<HTMLInputElement>(id).disabled = s === 'training' || s === 'busy';
  if (idle) $<HTMLSelectElement>('hidden').disabled = arch() !== 'mlp';
}

// ---- limits and errors ------------------------------------------------------------------------------------------
// The form states its limits (settings.ts) beside each field and in the inputs' min/max.
for (const l of Object.values(LIMITS)) {
  const el = $<HTMLInputElement>(l.id);
  el.min = String(l.min);
  el.max = String(l.max);
  $(`${l.id}-range`).textContent = rangeText(l);
}

/** Where each action's errors go: the message box of its card, next to its controls. */
const ERROR_BOX: Record<Action | 'draw', string> = {
  init: 'train-error',
  train: 'train-error',
  compress: 'compress-error',
  bench: 'bench-error',
  draw: 'draw-error',
};

function clearError(action: Action | 'draw'): void {
  const box = $(ERROR_BOX[action]);
  box.hidden = true;
  box.textContent = '';
  delete box.dataset.field;
  if (action === 'train')
    for (const id of ['arch', 'hidden', 'epochs', 'batch', 'lr', 'rows']) $(id).removeAttribute('aria-invalid');
}

/**
 * Shows an error where the user is looking: in the card of the action that failed, right after the form field it
 * is about when there is one (marked invalid and focused), scrolled into view.
 */
function showError(action: Action | 'draw', message: string, field?: FieldId): void {
  const box = $(ERROR_BOX[action]);
  box.textContent = message;
  box.hidden = false;
  box.dataset.field = field ?? '';
  if (field) {
    const control = $(field);
    control.setAttribute('aria-invalid', 'true');
    // Right below the field's own line of the form (the error box spans the row after it).
    control.closest('label')?.after(box);
    control.focus({ preventScroll: true });
    if (control instanceof HTMLInputElement) control.select();
  } else if (action === 'train' || action === 'init') {
    $('train-form').after(box);
  }
  box.scrollIntoView({ block: 'nearest' });
  if (!field) box.focus({ preventScroll: true });
}

// ---- the model choice -------------------------------------------------------------------------------------------
const arch = (): Arch => ($<HTMLSelectElement>('arch').value === 'cnn' ? 'cnn' : 'mlp');
const ARCHS: Record<Arch, { name: string; describe: () => string; epochs: number; batch: number; lr: number }> = {
  mlp: {
    name: 'MLP',
    describe: () =>
      `MLP 784 → ${$<HTMLSelectElement>('hidden').value} (ReLU, dropout 0.2) → 10 (softmax), ±2 px shifts, Adam`,
    epochs: 8,
    batch: 64,
    lr: 0.001,
  },
  cnn: {
    name: 'CNN',
    describe: () =>
      'CNN 28×28×1 → conv 5×5×16 ReLU → max pool 2 → conv 5×5×32 ReLU → max pool 2 → dropout 0.3 → 128 ReLU → dropout 0.3 → 10 (softmax), ±2 px shifts, Adam',
    epochs: 5,
    batch: 32,
    lr: 0.002,
  },
};
/** A model choice sets its own defaults (epochs, batch, learning rate) and the description line. */
function chooseArch(): void {
  const a = ARCHS[arch()];
  $<HTMLInputElement>('epochs').value = String(a.epochs);
  $<HTMLInputElement>('batch').value = String(a.batch);
  $<HTMLInputElement>('lr').value = String(a.lr);
  $<HTMLSelectElement>('hidden').disabled = arch() !== 'mlp';
  $('progress-text').textContent = a.describe();
}
$('arch').addEventListener('change', chooseArch);
$('hidden').addEventListener('change', () => {
  if (document.body.dataset.state !== 'training') $('progress-text').textContent = ARCHS[arch()].describe();
});
// ?train=N presets the number of training digits (a quick run; the browser test uses it).
{
  const n = Number(new URLSearchParams(location.search).get('train'));
  if (Number.isInteger(n) && n >= 100) $<HTMLInputElement>('rows').value = String(Math.min(8000, n));
}

// ---- charts ---------------------------------------------------------------------------------------------------
interface Curve {
  x: number[];
  y: number[];
}
const curve = (): Curve => ({ x: [], y: [] });
let curves = { trainLoss: curve(), valLoss: curve(), trainAcc: curve(), valAcc: curve(), testAcc: curve() };
const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

function series(name: string, c: Curve, color: string, dashed = false): Series {
  return { name, values: c.y, x: c.x, color, dashed };
}

function drawCharts(): void {
  const w = Math.max(260, Math.min(560, $('loss-chart').clientWidth || 520));
  $('loss-chart').innerHTML = lineChart({
    title: 'Loss',
    xLabel: 'epoch',
    xStart: 0,
    width: w,
    height: 260,
    series: [
      series('train (running)', curves.trainLoss, '#1f77b4'),
      series('validation', curves.valLoss, '#d62728', true),
    ],
  });
  $('acc-chart').innerHTML = lineChart({
    title: 'Accuracy',
    xLabel: 'epoch',
    xStart: 0,
    width: w,
    height: 260,
    percent: true,
    yMin: 0,
    yMax: 1,
    series: [
      series('train (running)', curves.trainAcc, '#1f77b4'),
      series('validation', curves.valAcc, '#d62728', true),
      series('test', curves.testAcc, '#2ca02c'),
    ],
  });
}

// ---- the inference copy and the drawing pad ---------------------------------------------------------------------
let model: Sequential | undefined;
/** What the inference copy is: which network, after which epoch, its test accuracy, still training or done. */
let modelInfo: { arch: Arch; epoch: number; testAccuracy: number; final: boolean } | undefined;
let input: Float32Array | undefined;
const pad = $<HTMLCanvasElement>('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true })!;

function clearPad(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
  input = undefined;
  showPrediction();
}

/** '81%', '4.2%', '0%': a probability as the bar's label (one decimal below 10%, so small ones still read). */
function percentText(v: number): string {
  const p = 100 * v;
  return p >= 9.95 ? `${Math.round(p)}%` : p >= 0.05 ? `${p.toFixed(1)}%` : '0%';
}

function probBars(p?: Float32Array, top = -1): void {
  const box = $('probs');
  if (box.childElementCount !== 10)
    box.innerHTML = Array.from({ length: 10 }, (_, d) => `<div><b></b><i></i><span>${d}</span></div>`).join('');
  Array.from(box.children).forEach((el, d) => {
    const v = p ? p[d] : 0;
    const [label, bar] = Array.from(el.children) as HTMLElement[];
    label.textContent = p ? percentText(v) : '';
    bar.style.height = `${Math.max(0.5, 75 * v)}%`;
    el.className = d === top ? 'top' : '';
    el.setAttribute('title', `${d}: ${(100 * v).toFixed(1)}%`);
    (el as HTMLElement).dataset.p = p ? String(v) : '';
  });
}

function paint28(
  id: string,
  values: Float32Array | undefined,
  color: (v: number, i: number) => [number, number, number],
): void {
  const c = $<HTMLCanvasElement>(id).getContext('2d')!;
  const img = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const [r, g, b] = values ? color(values[i], i) : [0, 0, 0];
    img.data.set([r, g, b, 255], 4 * i);
  }
  c.putImageData(img, 0, 0);
}

function showModelInfo(): void {
  const el = $('model-info');
  el.dataset.model = modelInfo?.arch ?? '';
  // The layer types of the copy that predicts, read from the loaded model file itself.
  el.dataset.layers = model ? model.layers.map((l) => l.type).join(' ') : '';
  if (!modelInfo) {
    el.textContent = 'no model yet';
    return;
  }
  const { arch: a, epoch, testAccuracy, final } = modelInfo;
  const when =
    epoch === 0
      ? 'untrained'
      : `${final ? '' : 'after '}${epoch} epoch${epoch === 1 ? '' : 's'}${final ? '' : ', training'}`;
  el.textContent = `predicting with the ${ARCHS[a].name} (${when}; ${pct(testAccuracy)} on the test digits)`;
}

function showPrediction(): void {
  const pred = $('prediction');
  paint28('input28', input, (v) => [255 * v, 255 * v, 255 * v]);
  pred.dataset.model = model ? (modelInfo?.arch ?? '') : '';
  if (!model || !input) {
    pred.textContent = '?';
    pred.dataset.digit = '';
    $('confidence').textContent = model ? 'draw a digit' : 'train first';
    probBars();
    paint28('saliency', undefined, () => [0, 0, 0]);
    for (const k of ['method', 'sum', 'change', 'delta']) delete $('saliency').dataset[k];
    return;
  }
  try {
    predictAndExplain(model, input);
    clearError('draw');
  } catch (err) {
    showError('draw', `could not predict: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function predictAndExplain(model: Sequential, input: Float32Array): void {
  const pred = $('prediction');
  const p = model.predict({ data: input, rows: 1, cols: 784 }).data;
  let top = 0;
  for (let d = 1; d < 10; d++) if (p[d] > p[top]) top = d;
  pred.textContent = String(top);
  pred.dataset.digit = String(top);
  pred.dataset.confidence = String(p[top]);
  $('confidence').textContent = `${(100 * p[top]).toFixed(1)}% sure`;
  probBars(p, top);
  showAttribution(model, input);
}

/**
 * Integrated gradients of the predicted class's score (logit) from a black image, 32 steps: how much each pixel's
 * ink added to (red) or took from (blue) the score, summing to the score's change from the black image. With a
 * black baseline a pixel without ink gets exactly 0, so the heat sits on the strokes.
 */
function showAttribution(model: Sequential, x: Float32Array): void {
  const ig = integratedGradients(model, { data: x, rows: 1, cols: 784 }, { steps: 32, space: 'logit', baseline: 0 });
  const a = ig.attributions.data;
  let max = 0;
  let sum = 0;
  for (const v of a) {
    max = Math.max(max, Math.abs(v));
    sum += v;
  }
  const el = $('saliency');
  el.dataset.method = 'integrated-gradients';
  el.dataset.sum = String(sum);
  el.dataset.change = String(ig.fx[0] - ig.fBaseline[0]);
  el.dataset.delta = String(ig.delta[0]);
  paint28('saliency', a, (v, i) => {
    // Signed and scaled by the largest |attribution|; a square root lifts the weaker strokes into view.
    const k = max > 0 ? Math.sqrt(Math.abs(v) / max) : 0;
    const ink = 45 * x[i]; // the drawing, faintly, under the heat
    return v >= 0
      ? [Math.min(255, ink + 255 * k), ink + 40 * k, ink]
      : [ink + 30 * k, Math.min(255, ink + 120 * k), Math.min(255, ink + 255 * k)];
  });
}

let pending = false;
function scheduleUpdate(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const ink = inkOf(ctx.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height);
    input = centerDigit(ink.data, ink.width, ink.height);
    showPrediction();
  });
}

let last: { x: number; y: number } | undefined;
function at(ev: PointerEvent): { x: number; y: number } {
  const r = pad.getBoundingClientRect();
  return { x: ((ev.clientX - r.left) * pad.width) / r.width, y: ((ev.clientY - r.top) * pad.height) / r.height };
}
pad.addEventListener('pointerdown', (ev) => {
  pad.setPointerCapture(ev.pointerId);
  last = at(ev);
  stroke(last);
});
pad.addEventListener('pointermove', (ev) => {
  if (last) stroke(at(ev));
});
const end = (): void => {
  last = undefined;
};
pad.addEventListener('pointerup', end);
pad.addEventListener('pointercancel', end);

function stroke(p: { x: number; y: number }): void {
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(last!.x, last!.y);
  ctx.lineTo(p.x + 0.01, p.y);
  ctx.stroke();
  last = p;
  scheduleUpdate();
}
$('clear').addEventListener('click', clearPad);

// ---- buttons --------------------------------------------------------------------------------------------------
/** The form's values as typed, for readSettings (which refuses what is empty or out of range). */
function formValues(): Record<FieldId, string> {
  const v = (id: string): string => $<HTMLInputElement>(id).value;
  return { arch: v('arch'), hidden: v('hidden'), epochs: v('epochs'), batch: v('batch'), lr: v('lr'), rows: v('rows') };
}

$('train-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (document.body.dataset.state !== 'ready' && document.body.dataset.state !== 'trained') return;
  clearError('train');
  const read = readSettings(formValues());
  if ('error' in read) {
    // Nothing starts and nothing of the current model is cleared: the form says what to fix, at the field.
    showError('train', read.error.message, read.error.field);
    return;
  }
  const settings = read.settings;
  const a = settings.arch;
  // A new model: the previous one's results go (charts, test accuracy, compression rows, timings, its predictions).
  curves = { trainLoss: curve(), valLoss: curve(), trainAcc: curve(), valAcc: curve(), testAcc: curve() };
  drawCharts();
  $('compress-out').querySelector('tbody')!.innerHTML = '';
  clearError('compress');
  clearError('bench');
  clearError('draw');
  const bench = $('bench-out');
  bench.innerHTML = '';
  bench.dataset.ratio = '';
  bench.dataset.arch = '';
  const acc = $('test-acc');
  acc.textContent = '–';
  $('train-time').textContent = '';
  for (const k of ['value', 'initial', 'epoch', 'model']) delete acc.dataset[k];
  model?.dispose();
  model = undefined;
  modelInfo = undefined;
  showModelInfo();
  showPrediction();
  $<HTMLProgressElement>('bar').value = 0;
  $('progress-text').textContent = ARCHS[a].describe();
  setState('training', `training the ${ARCHS[a].name} in a Web Worker: the page stays responsive (try drawing)`);
  send({ type: 'train', ...settings, seed: 1 });
});
$('stop').addEventListener('click', () => send({ type: 'stop' }));
for (const what of ['quantize', 'prune'] as const) {
  $(what).addEventListener('click', () => {
    clearError('compress');
    setState('busy', `${what === 'quantize' ? 'quantizing' : 'pruning'} and timing both models…`);
    send({ type: 'compress', what });
  });
}
$('bench').addEventListener('click', () => {
  clearError('bench');
  setState('busy', 'timing the same training step on the wasm-simd and js backends…');
  send({ type: 'bench', arch: arch(), steps: 6 });
});

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
function compressRow(what: string, r: CompressRow): string {
  return `<tr data-what="${what}"><td>${r.name}</td><td>${kib(r.bytes)}</td><td>${pct(r.accuracy)}</td><td>${Math.round(r.rowsPerSecond).toLocaleString('en-US')} digits/s</td><td>${r.note}</td></tr>`;
}
const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** The library declined the technique for this model: its message, as it is, where the row would be. */
function refusedRow(what: string, message: string): string {
  const name = what === 'quantize' ? 'int8 quantized' : 'pruned 80% (sparse)';
  return `<tr data-what="${what}" class="refused"><td>${name}</td><td colspan="4">not available for this model yet: <code>${escapeHtml(message)}</code></td></tr>`;
}

// ---- worker messages ------------------------------------------------------------------------------------------
worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'ready':
      setState(
        'ready',
        `${m.train.toLocaleString('en-US')} training and ${m.test.toLocaleString('en-US')} test digits loaded in ${(m.loadMs / 1000).toFixed(1)}s; WebAssembly SIMD ${m.simd ? 'on' : 'missing'}. Press Train.`,
      );
      break;
    case 'progress': {
      const x = m.epoch + (m.batch + 1) / m.batches;
      curves.trainLoss.x.push(x);
      curves.trainLoss.y.push(m.loss);
      curves.trainAcc.x.push(x);
      curves.trainAcc.y.push(m.accuracy);
      $<HTMLProgressElement>('bar').value = x / m.epochs;
      $('progress-text').textContent =
        `epoch ${m.epoch + 1}/${m.epochs}  batch ${m.batch + 1}/${m.batches}  loss ${m.loss.toFixed(4)}  acc ${pct(m.accuracy)}  ` +
        `${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s  ETA ${Math.max(0, m.etaSeconds).toFixed(0)}s`;
      drawCharts();
      break;
    }
    case 'epoch':
      if (m.epoch > 0) {
        curves.valLoss.x.push(m.epoch);
        curves.valLoss.y.push(m.valLoss);
        curves.valAcc.x.push(m.epoch);
        curves.valAcc.y.push(m.valAccuracy);
      }
      curves.testAcc.x.push(m.epoch);
      curves.testAcc.y.push(m.testAccuracy);
      $('test-acc').textContent = `${pct(m.testAccuracy)}${m.epoch === 0 ? ' (untrained)' : ` after epoch ${m.epoch}`}`;
      $('test-acc').dataset.value = String(m.testAccuracy);
      if (m.epoch === 0) $('test-acc').dataset.initial = String(m.testAccuracy);
      $('test-acc').dataset.epoch = String(m.epoch);
      $('test-acc').dataset.model = m.arch;
      model?.dispose();
      model = loadModel(m.model);
      modelInfo = { arch: m.arch, epoch: m.epoch, testAccuracy: m.testAccuracy, final: false };
      showModelInfo();
      drawCharts();
      if (input) showPrediction();
      else $('confidence').textContent = 'draw a digit';
      break;
    case 'done':
      $<HTMLProgressElement>('bar').value = 1;
      if (modelInfo) modelInfo = { ...modelInfo, final: true };
      showModelInfo();
      // Kept beside the test accuracy (the status line moves on with the next action).
      $('train-time').textContent =
        `· the ${ARCHS[m.arch].name}, ${m.epochs} epoch${m.epochs === 1 ? '' : 's'} on ${m.trainRows.toLocaleString('en-US')} digits in ${m.seconds.toFixed(1)}s ` +
        `(${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s while training)${m.stopped ? ', stopped' : ''}`;
      $('train-time').dataset.seconds = String(m.seconds);
      $('train-time').dataset.samplesPerSecond = String(m.samplesPerSecond);
      setState(
        'trained',
        `trained the ${ARCHS[m.arch].name} ${m.epochs} epoch${m.epochs === 1 ? '' : 's'} on ${m.trainRows.toLocaleString('en-US')} digits in ${m.seconds.toFixed(1)}s` +
          `${m.stopped ? ' (stopped)' : ''}, ${Math.round(m.samplesPerSecond).toLocaleString('en-US')} samples/s: ` +
          `${pct(m.testAccuracy)} on the test digits. Draw a digit, or compress the model.`,
      );
      break;
    case 'compressed': {
      const body = $('compress-out').querySelector('tbody')!;
      body.querySelectorAll(`tr[data-what="${m.what}"], tr[data-what="float"]`).forEach((r) => r.remove());
      body.insertAdjacentHTML('afterbegin', compressRow('float', m.before));
      if (!m.after) {
        body.insertAdjacentHTML('beforeend', refusedRow(m.what, m.refused ?? 'refused'));
        setState(
          'trained',
          `${m.what === 'quantize' ? 'quantization' : 'pruning'} is not available for this model yet (see the table)`,
        );
        break;
      }
      body.insertAdjacentHTML('beforeend', compressRow(m.what, m.after));
      setState(
        'trained',
        `${m.after.name}: ${kib(m.after.bytes)} instead of ${kib(m.before.bytes)} (${(m.before.bytes / m.after.bytes).toFixed(1)}× smaller), ${pct(m.after.accuracy)} vs ${pct(m.before.accuracy)} accuracy`,
      );
      break;
    }
    case 'bench': {
      const ratio = m.jsMs / m.wasmMs;
      const out = $('bench-out');
      out.dataset.ratio = String(ratio);
      out.dataset.arch = m.arch;
      out.innerHTML =
        `<table><thead><tr><th>backend</th><th>one training step (${m.layers}, batch ${m.batchSize})</th><th>samples/s</th></tr></thead><tbody>` +
        `<tr><td>wasm-simd</td><td>${m.wasmMs.toFixed(2)} ms</td><td>${Math.round((m.batchSize * 1000) / m.wasmMs).toLocaleString('en-US')}</td></tr>` +
        `<tr><td>js</td><td>${m.jsMs.toFixed(2)} ms</td><td>${Math.round((m.batchSize * 1000) / m.jsMs).toLocaleString('en-US')}</td></tr></tbody></table>` +
        `<p><strong>${ratio.toFixed(1)}×</strong> faster with the SIMD kernels (same model, seed and batches; wall clock in this tab).</p>`;
      setState(model ? 'trained' : 'ready', `SIMD vs JS: ${ratio.toFixed(1)}× per training step of ${m.layers}`);
      break;
    }
    case 'error':
      // Also on the console, so that a test (or a developer) sees it.
      console.error(`simdnet worker: ${m.message}`);
      setState(
        model ? 'trained' : document.body.dataset.state === 'loading' ? 'error' : 'ready',
        `error: ${m.message}`,
      );
      showError(m.action, `${m.action === 'init' ? 'could not start' : `${m.action} failed`}: ${m.message}`);
      break;
  }
};
worker.onerror = (ev) => {
  setState('error', `worker failed: ${ev.message}`);
  showError('init', `the worker failed: ${ev.message}`);
};

chooseArch();
showModelInfo();
clearPad();
drawCharts();
probBars();
setState('loading');
// The page's own engine (for the inference copy); the worker loads its own.
await init({ wasm: wasmUrl });
send({ type: 'init', wasmUrl, dataUrl });
