/**
 * The training worker: loads the MNIST asset, trains the MLP with the SIMD kernels (the page stays responsive),
 * streams progress and each epoch's weights to the page, and runs the compression and SIMD-vs-JS comparisons.
 */
import { quantizeModel } from '../../src/compress/quantize.js';
import { startPruning } from '../../src/compress/prune.js';
import { SparseModel } from '../../src/compress/prune-sparse.js';
import { saveQuantized } from '../../src/compress/quant-format.js';
import type { Dataset } from '../../src/data/dataset.js';
import { mnistFromDigitArrays, mnistSplit } from '../../src/data/mnist.js';
import { SimdnetError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/io/format.js';
import { dense, dropout } from '../../src/layers/index.js';
import { sequential, type Sequential } from '../../src/model/sequential.js';
import { init } from '../../src/runtime/engine.js';
import { simdSupported } from '../../src/runtime/loader.js';
import { adam } from '../../src/train/optimizers.js';
import { decodeMnistAsset } from './asset.js';
import type { CompressRow, FromWorker, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);

let train: Dataset | undefined;
let test: Dataset | undefined;
let model: Sequential | undefined;
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

async function runTraining(o: Extract<ToWorker, { type: 'train' }>): Promise<void> {
  if (!train || !test) throw new Error('the data is not loaded yet');
  model?.dispose();
  const m = sequential([dense(o.hidden, { activation: 'relu', inputDim: 784 }), dropout(0.2), dense(10, { activation: 'softmax' })], { seed: o.seed, name: 'mnist-web' });
  model = m;
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: o.learningRate }), metrics: ['accuracy'] });
  m.build(784);
  // Epoch 0: the untrained model, so the charts start at chance level.
  const bytes0 = saveModel(m);
  post({ type: 'epoch', epoch: 0, loss: NaN, accuracy: NaN, valLoss: NaN, valAccuracy: NaN, testAccuracy: testAccuracy(m), model: bytes0 }, [bytes0.buffer]);
  training = true;
  const t0 = now();
  let tEpoch = t0;
  let seen = 0;
  let lastPost = 0;
  let batches = 1;
  try {
    const h = await m.fit(train.x, train.y, {
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
            tEpoch = now();
            seen = 0;
          },
          onBatchEnd: (batch, logs) => {
            seen += logs.size;
            const t = now();
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
                { type: 'epoch', epoch: epoch + 1, loss: logs.loss, accuracy: logs.accuracy ?? NaN, valLoss: logs.val_loss ?? NaN, valAccuracy: logs.val_accuracy ?? NaN, testAccuracy: acc, model: bytes },
                [bytes.buffer],
              );
            } finally {
              mm.busy = true;
            }
          },
        },
      ],
    });
    post({ type: 'done', epochs: h.epochs.length, seconds: (now() - t0) / 1000, testAccuracy: testAccuracy(m), stopped: m.stopTraining && h.epochs.length < o.epochs });
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
  return { name: 'float32 model', bytes: saveModel(m).length, accuracy: testAccuracy(m), rowsPerSecond: rowsPerSecond((x) => m.predict(x)), note: '' };
}

async function compress(what: 'quantize' | 'prune'): Promise<void> {
  const m = trained();
  const before = floatRow(m);
  if (what === 'quantize') {
    // Static int8: activation scales calibrated on 256 training digits.
    const q = quantizeModel(m, { calibration: { data: train!.x.data.subarray(0, 256 * 784), rows: 256, cols: 784 } });
    try {
      const after: CompressRow = {
        name: 'int8 quantized',
        bytes: saveQuantized(q).length,
        accuracy: q.evaluate(test!.x, test!.y).accuracy!,
        rowsPerSecond: rowsPerSecond((x) => q.predict(x)),
        note: q.plan.join(', '),
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
    const session = startPruning(copy);
    const rep = session.prune({ sparsity: 0.8 });
    await copy.fit(train!.x, train!.y, { epochs: 1, batchSize: 64, seed: 2, augment: { imageShape: [28, 28], maxShift: 2 }, yieldEveryMs: 30 });
    session.end();
    sparse = SparseModel.fromModel(copy);
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

/** Milliseconds per training step of the same MLP on one backend (same seed, same batches). */
async function stepMs(backend: 'wasm' | 'js', hidden: number, batchSize: number, steps: number): Promise<number> {
  await init({ backend }); // the js kernels load on first use
  const m = sequential([dense(hidden, { activation: 'relu', inputDim: 784 }), dropout(0.2), dense(10, { activation: 'softmax' })], { backend, seed: 3 });
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

async function bench(steps: number): Promise<void> {
  if (!train) throw new Error('the data is not loaded yet');
  if (training) throw new Error('wait for training to finish (or stop it) first');
  const hidden = 256;
  const batchSize = 64;
  const wasmMs = await stepMs('wasm', hidden, batchSize, steps * 4);
  const jsMs = await stepMs('js', hidden, batchSize, steps);
  post({ type: 'bench', batchSize, layers: `784-${hidden}-10`, wasmMs, jsMs });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const fail = (err: unknown): void => post({ type: 'error', message: err instanceof SimdnetError || err instanceof Error ? err.message : String(err) });
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
        bench(msg.steps).catch(fail);
        break;
    }
  } catch (err) {
    fail(err);
  }
};

