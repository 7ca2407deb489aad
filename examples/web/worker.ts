/**
 * The training worker: loads the MNIST asset, trains the MLP or the CNN with the SIMD kernels (the page stays
 * responsive), streams progress and each epoch's weights to the page, and runs the compression and SIMD-vs-JS
 * comparisons.
 */
import { quantizeModel } from '../../src/compress/quantize.js';
import { startPruning } from '../../src/compress/prune.js';
import { SparseModel } from '../../src/compress/prune-sparse.js';
import { saveQuantized } from '../../src/compress/quant-format.js';
import type { Dataset } from '../../src/data/dataset.js';
import { mnistFromDigitArrays, mnistSplit } from '../../src/data/mnist.js';
import { SimdnetError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/io/format.js';
import { conv2d, dense, dropout, flatten, maxPooling2d, type LayerSpec } from '../../src/layers/index.js';
import { sequential, type Sequential } from '../../src/model/sequential.js';
import { init } from '../../src/runtime/engine.js';
import { simdSupported } from '../../src/runtime/loader.js';
import { adam } from '../../src/train/optimizers.js';
import { decodeMnistAsset } from './asset.js';
import type { Action, Arch, CompressRow, FromWorker, ToWorker } from './protocol.js';
import { checkSettings } from './settings.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void =>
  (self as unknown as Worker).postMessage(m, transfer);

let train: Dataset | undefined;
let test: Dataset | undefined;
let model: Sequential | undefined;
/** How the current model was trained (the pruning fine-tune reuses it). */
let trainedWith: { arch: Arch; batchSize: number; trainRows: number } | undefined;
let training = false;

const now = (): number => performance.now();

async function start(wasmUrl: string, dataUrl: string): Promise<void> {
  const t0 = now();
  await init({ wasm: wasmUrl });
  const res = await fetch(dataUrl);
  if (!res.ok) throw new Error(`could not load ${dataUrl}: HTTP ${res.status}`);
  // The same seeded, stratified 8,000 / 2,000 split as loadMnist({ seed: 1 }) in Node.
  const split = mnistSplit(mnistFromDigitArrays(decodeMnistAsset(await res.arrayBuffer())), { seed: 1 });
  train = split.train;
  test = split.test;
  post({ type: 'ready', train: train.size, test: test.size, simd: simdSupported(), loadMs: now() - t0 });
}

/** Accuracy on the 2,000 test digits. Mid-fit, batchSize must not exceed fit's (its buffers are reused as they are). */
function testAccuracy(m: Sequential, batchSize = 256): number {
  return m.evaluate(test!.x, test!.y, { batchSize }).accuracy!;
}

/**
 * The layers of the two networks. The CNN takes the same 784-column rows, read as 28×28×1 maps (NHWC): conv 5×5×16
 * relu → maxpool 2 → conv 5×5×32 relu → maxpool 2 → flatten → dropout 0.3 → dense 128 relu → dropout 0.3 → dense 10.
 */
function layersOf(arch: Arch, hidden: number): LayerSpec[] {
  if (arch === 'cnn') {
    return [
      conv2d(16, 5, { activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d(2),
      conv2d(32, 5, { activation: 'relu' }),
      maxPooling2d(2),
      flatten(),
      dropout(0.3),
      dense(128, { activation: 'relu' }),
      dropout(0.3),
      dense(10, { activation: 'softmax' }),
    ];
  }
  return [dense(hidden, { activation: 'relu', inputDim: 784 }), dropout(0.2), dense(10, { activation: 'softmax' })];
}

async function runTraining(o: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  if (!train || !test) throw new Error('the data is not loaded yet');
  // The page checked the form already; a message from elsewhere is held to the same limits.
  const bad = checkSettings(o);
  if (bad) throw new Error(bad.message);
  model?.dispose();
  model = undefined;
  trainedWith = undefined;
  const m = sequential(layersOf(o.arch, o.hidden), { seed: o.seed, name: `mnist-web-${o.arch}` });
  model = m;
  m.compile({
    loss: 'categoricalCrossentropy',
    optimizer: adam({ learningRate: o.learningRate }),
    metrics: ['accuracy'],
  });
  m.build(784);
  const data = o.trainRows < train.size ? train.take(o.trainRows) : train;
  trainedWith = { arch: o.arch, batchSize: o.batchSize, trainRows: data.size };
  // Epoch 0: the untrained model, so the charts start at chance level.
  const bytes0 = saveModel(m);
  post(
    {
      type: 'epoch',
      arch: o.arch,
      epoch: 0,
      loss: NaN,
      accuracy: NaN,
      valLoss: NaN,
      valAccuracy: NaN,
      testAccuracy: testAccuracy(m),
      model: bytes0,
    },
    [bytes0.buffer],
  );
  training = true;
  const t0 = now();
  let tEpoch = t0;
  let seen = 0;
  let lastPost = 0;
  let batches = 1;
  // Time from each epoch's start to its last batch (no evaluation or saving), for the done message's samples/s.
  let doneMs = 0;
  let doneSamples = 0;
  let epochMs = 0;
  const commit = (): void => {
    doneMs += epochMs;
    doneSamples += seen;
    epochMs = 0;
    seen = 0;
  };
  try {
    const h = await m.fit(data.x, data.y, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      validationSplit: 0.1,
      seed: o.seed,
      augment: { imageShape: [28, 28], maxShift: 2 },
      // Let 'stop' messages in between batches.
      yieldEveryMs: 30,
      callbacks: [
        {
          onTrainBegin: (info) => {
            batches = info.batchesPerEpoch;
          },
          onEpochBegin: () => {
            commit();
            tEpoch = now();
          },
          onBatchEnd: (batch, logs) => {
            seen += logs.size;
            const t = now();
            epochMs = t - tEpoch;
            if (t - lastPost < 100 && batch + 1 < batches) return;
            lastPost = t;
            const done = logs.epoch + (batch + 1) / batches;
            post({
              type: 'progress',
              epoch: logs.epoch,
              epochs: o.epochs,
              batch,
              batches,
              loss: logs.loss,
              accuracy: logs.accuracy ?? NaN,
              samplesPerSecond: seen / ((t - tEpoch) / 1000),
              etaSeconds: ((t - t0) / 1000 / done) * (o.epochs - done),
            });
          },
          onEpochEnd: (epoch, logs, mm) => {
            // fit() is between epochs here and its next step has not started, so reading the model is safe;
            // the public calls refuse while fit() runs, hence the brief lift of the (internal) busy flag.
            mm.busy = false;
            try {
              const acc = testAccuracy(mm, o.batchSize);
              const bytes = saveModel(mm);
              post(
                {
                  type: 'epoch',
                  arch: o.arch,
                  epoch: epoch + 1,
                  loss: logs.loss,
                  accuracy: logs.accuracy ?? NaN,
                  valLoss: logs.val_loss ?? NaN,
                  valAccuracy: logs.val_accuracy ?? NaN,
                  testAccuracy: acc,
                  model: bytes,
                },
                [bytes.buffer],
              );
            } finally {
              mm.busy = true;
            }
          },
        },
      ],
    });
    const seconds = (now() - t0) / 1000;
    commit();
    post({
      type: 'done',
      arch: o.arch,
      epochs: h.epochs.length,
      seconds,
      samplesPerSecond: doneMs > 0 ? (doneSamples * 1000) / doneMs : NaN,
      trainRows: data.size,
      testAccuracy: testAccuracy(m),
      stopped: m.stopTraining && h.epochs.length < o.epochs,
    });
  } finally {
    training = false;
  }
}

/** Inference throughput of `predict` over the test digits, for about `ms` milliseconds. */
function rowsPerSecond(predict: (x: Dataset['x']) => unknown, ms = 400): number {
  predict(test!.x);
  let rows = 0;
  const t = now();
  while (now() - t < ms || rows === 0) {
    predict(test!.x);
    rows += test!.x.rows;
  }
  return (rows * 1000) / (now() - t);
}

function trained(): Sequential {
  if (!model) throw new Error('train a model first');
  if (training) throw new Error('wait for training to finish (or stop it) first');
  return model;
}

function floatRow(m: Sequential): CompressRow {
  return {
    name: `float32 ${trainedWith!.arch.toUpperCase()}`,
    bytes: saveModel(m).length,
    accuracy: testAccuracy(m),
    rowsPerSecond: rowsPerSecond((x) => m.predict(x)),
    note: '',
  };
}

/** The precision plan of a quantized model, short: 'int8 ×4 layers' when they agree, else one entry per layer. */
function planNote(plan: readonly string[]): string {
  return plan.every((p) => p === plan[0])
    ? `${plan[0]} ×${plan.length} layer${plan.length === 1 ? '' : 's'}`
    : plan.join(', ');
}

/** The library's refusal of a technique for this model (UNSUPPORTED, e.g. a conv layer), or rethrows anything else. */
function refusal(err: unknown): string {
  if (err instanceof SimdnetError && err.code === 'UNSUPPORTED') return err.message;
  throw err;
}

async function compress(what: 'quantize' | 'prune'): Promise<void> {
  const m = trained();
  const before = floatRow(m);
  const how = trainedWith!;
  if (what === 'quantize') {
    // Static int8: activation scales calibrated on 256 training digits.
    let q: ReturnType<typeof quantizeModel>;
    try {
      q = quantizeModel(m, { calibration: { data: train!.x.data.subarray(0, 256 * 784), rows: 256, cols: 784 } });
    } catch (err) {
      post({ type: 'compressed', what, before, refused: refusal(err) });
      return;
    }
    try {
      const after: CompressRow = {
        name: 'int8 quantized',
        bytes: saveQuantized(q).length,
        accuracy: q.evaluate(test!.x, test!.y).accuracy!,
        rowsPerSecond: rowsPerSecond((x) => q.predict(x)),
        note: planNote(q.plan),
      };
      post({ type: 'compressed', what, before, after });
    } finally {
      q.dispose();
    }
    return;
  }
  // Prune a copy (the page's model stays as trained): the 80% smallest weights of each kernel go to zero, one epoch
  // of fine-tuning with the zeros held (a pruning session) recovers accuracy, then the kernels are stored as CSR.
  const copy = loadModel(saveModel(m));
  let sparse: SparseModel | undefined;
  try {
    let session: ReturnType<typeof startPruning>;
    try {
      session = startPruning(copy);
    } catch (err) {
      post({ type: 'compressed', what, before, refused: refusal(err) });
      return;
    }
    const rep = session.prune({ sparsity: 0.8 });
    const data = train!.take(how.trainRows);
    await copy.fit(data.x, data.y, {
      epochs: 1,
      batchSize: how.batchSize,
      seed: 2,
      augment: { imageShape: [28, 28], maxShift: 2 },
      yieldEveryMs: 30,
    });
    session.end();
    try {
      sparse = SparseModel.fromModel(copy);
    } catch (err) {
      post({ type: 'compressed', what, before, refused: refusal(err) });
      return;
    }
    const s = sparse;
    const after: CompressRow = {
      name: 'pruned 80% (sparse)',
      bytes: s.save().length,
      accuracy: s.evaluate(test!.x, test!.y).accuracy,
      rowsPerSecond: rowsPerSecond((x) => s.predict(x)),
      note: `${(100 * rep.sparsity).toFixed(0)}% zeros, 1 epoch fine-tuned`,
    };
    post({ type: 'compressed', what, before, after });
  } finally {
    sparse?.dispose();
    copy.dispose();
  }
}

/** Milliseconds per training step of the same network on one backend (same seed, same batches). */
async function stepMs(
  backend: 'wasm' | 'js',
  arch: Arch,
  hidden: number,
  batchSize: number,
  steps: number,
): Promise<number> {
  await init({ backend }); // the js kernels load on first use
  const m = sequential(layersOf(arch, hidden), { backend, seed: 3 });
  try {
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam(), metrics: ['accuracy'] });
    const rows = batchSize * steps;
    const x = { data: train!.x.data.subarray(0, rows * 784), rows, cols: 784 };
    const y = { data: train!.y.data.subarray(0, rows * 10), rows, cols: 10 };
    const warm = { data: x.data.subarray(0, batchSize * 784), rows: batchSize, cols: 784 };
    const warmY = { data: y.data.subarray(0, batchSize * 10), rows: batchSize, cols: 10 };
    // V8 runs new wasm on its baseline tier first and optimizes hot functions after a while: warm up ≥ 400 ms,
    // or the first backend timed looks several times slower than it is.
    const t0 = now();
    do await m.fit(warm, warmY, { epochs: 1, batchSize, seed: 1 });
    while (now() - t0 < 400);
    const t = now();
    await m.fit(x, y, { epochs: 1, batchSize, shuffle: false, seed: 1 });
    return (now() - t) / steps;
  } finally {
    m.dispose();
  }
}

async function bench(arch: Arch, steps: number): Promise<void> {
  if (!train) throw new Error('the data is not loaded yet');
  if (training) throw new Error('wait for training to finish (or stop it) first');
  // The MLP at 784-256-10, batch 64; the CNN at the page's batch 32 (a js step of it takes ~0.5 s: fewer steps).
  const hidden = 256;
  const batchSize = arch === 'cnn' ? 32 : 64;
  const jsSteps = arch === 'cnn' ? Math.max(1, Math.ceil(steps / 2)) : steps;
  const wasmMs = await stepMs('wasm', arch, hidden, batchSize, steps * 4);
  const jsMs = await stepMs('js', arch, hidden, batchSize, jsSteps);
  const layers = arch === 'cnn' ? 'the CNN' : `784-${hidden}-10`;
  post({ type: 'bench', arch, batchSize, layers, wasmMs, jsMs });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const action: Action = msg.type === 'stop' ? 'train' : msg.type;
  const fail = (err: unknown): void =>
    post({
      type: 'error',
      action,
      message: err instanceof SimdnetError || err instanceof Error ? err.message : String(err),
    });
  try {
    switch (msg.type) {
      case 'init':
        start(msg.wasmUrl, msg.dataUrl).catch(fail);
        break;
      case 'train':
        if (training) throw new Error('already training');
        runTraining(msg).catch(fail);
        break;
      case 'stop':
        if (model && training) model.stopTraining = true;
        break;
      case 'compress':
        compress(msg.what).catch(fail);
        break;
      case 'bench':
        bench(msg.arch, msg.steps).catch(fail);
        break;
    }
  } catch (err) {
    fail(err);
  }
};
