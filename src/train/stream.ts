import type { MatrixInput } from '../data/matrix.js';
import { checkOptions } from '../args.js';
import { SimdnetError, check } from '../errors.js';
import type { Sequential, TargetInput } from '../model/sequential.js';
import { Rng } from '../random.js';
import type { BatchLogs, EpochLogs, History } from './callbacks.js';
import {
  addValidationLogs,
  batchSizeOf,
  claimForFit,
  checkCallbacks,
  rowWeights,
  trainStep,
  type FitOptions,
} from './fit.js';
import { checkSchedule, scheduledRate } from './schedules.js';

/** One batch of a streamed source: rows of inputs and their targets (any number of rows; fit splits big ones). */
export interface Batch {
  x: MatrixInput;
  y: TargetInput;
  /** One loss weight per row (finite, >= 0), as fit's sampleWeight. */
  sampleWeight?: Float32Array | number[];
}

/** Batches as they come: an (async) iterable or generator, or a function returning a fresh one per epoch. */
export type BatchSource = AsyncIterable<Batch> | Iterable<Batch> | (() => AsyncIterable<Batch> | Iterable<Batch>);

/** True for what fit() treats as a stream of batches rather than a matrix: a function or a non-array iterable. */
export function isBatchSource(v: unknown): v is BatchSource {
  if (typeof v === 'function') return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  return (
    typeof (v as AsyncIterable<Batch>)[Symbol.asyncIterator] === 'function' ||
    typeof (v as Iterable<Batch>)[Symbol.iterator] === 'function'
  );
}

type It = AsyncIterator<Batch> | Iterator<Batch>;

/** An iterator over the source for one epoch (a function is called each time; an iterable asked for a new iterator). */
function open(source: BatchSource): It {
  const s: unknown = typeof source === 'function' ? source() : source;
  const a = s as AsyncIterable<Batch> & Iterable<Batch>;
  if (typeof s === 'object' && s !== null && typeof a[Symbol.asyncIterator] === 'function')
    return a[Symbol.asyncIterator]();
  if (typeof s === 'object' && s !== null && typeof a[Symbol.iterator] === 'function') return a[Symbol.iterator]();
  throw new SimdnetError(
    'DTYPE',
    `fit(): the batch source function must return an (async) iterable of { x, y } batches, got ${s === null ? 'null' : typeof s}`,
  );
}

/** Options that need all the rows at once, refused for a stream. */
const NOT_FOR_STREAMS = ['validationSplit', 'sampleWeight', 'augment'] as const;

/**
 * Trains on batches streamed from `source` (see {@link BatchSource}): each batch is checked, copied into the
 * model's staging buffers in pieces of at most batchSize rows, and trained on; nothing in the engine's memory
 * grows with the data, so a file far larger than the memory trains in the memory of one batch. Validation data,
 * callbacks, schedules, early stopping and classWeight work as with arrays; row weights come with each batch. Rows are used in the order the source gives them
 * (shuffle at the source). With epochs > 1 the source must be re-readable: a function returning a new iterable per
 * epoch, or an iterable (not a one-shot iterator such as a generator object).
 */
export async function fitStream(model: Sequential, source: BatchSource, options: FitOptions = {}): Promise<History> {
  await claimForFit(model);
  checkOptions(options, 'fit()', {
    epochs: 'index',
    batchSize: 'count',
    seed: 'number',
    shuffle: 'boolean',
    yieldEveryMs: 'number',
  });
  for (const key of NOT_FOR_STREAMS) {
    const v = (options as Record<string, unknown>)[key];
    check(
      v === undefined || v === null || (key === 'validationSplit' && v === 0),
      'RANGE',
      () =>
        `fit(): ${key} needs all the rows at once; with a stream of batches ${key === 'validationSplit' ? 'give validationData' : key === 'augment' ? 'augment in the source' : 'give each batch its weights: { x, y, sampleWeight }'}`,
    );
  }
  check(
    options.shuffle !== true,
    'RANGE',
    'fit(): a stream is read in its own order; shuffle at the source (shuffle: true needs all the rows)',
  );
  const epochs = options.epochs ?? 1;
  check(Number.isInteger(epochs) && epochs >= 0, 'RANGE', `epochs must be an integer >= 0, got ${epochs}`);
  const batchSize = batchSizeOf(options.batchSize ?? 32);
  const seed = options.seed ?? (Math.random() * 2 ** 31) | 0;
  check(Number.isInteger(seed), 'RANGE', `seed must be an integer, got ${seed}`);
  const callbacks = checkCallbacks(options.callbacks);
  const schedule = checkSchedule(options.schedule);
  const oneShot = typeof source !== 'function' && typeof (source as unknown as It).next === 'function';
  check(
    !oneShot || epochs <= 1,
    'RANGE',
    `fit(): the source is a one-shot iterator (a generator object), read once, but epochs is ${epochs}: pass a function returning a new one per epoch, e.g. fit(() => batches(), ...)`,
  );
  const history: History = { epochs: [], history: {} };
  if (epochs === 0) return history;

  // The first batch builds the model when needed; validation data is checked before any step. The model is
  // claimed while the source is awaited (a second fit() then is refused), released for the checks, which call the
  // model's own busy-refusing methods with no await in between.
  let it: It;
  let first: IteratorResult<Batch>;
  model.busy = true;
  try {
    it = open(source);
    first = await it.next();
  } finally {
    model.busy = false;
  }
  let nb = 0;
  const close = async (i: It): Promise<void> => void (await i.return?.());
  type Rows = { x: Float32Array; y: Float32Array; w: Float32Array | undefined; rows: number };
  const batchOf = (r: IteratorResult<Batch>): Rows => {
    const b = r.value as unknown;
    const where = `batch ${nb + 1}`;
    check(
      typeof b === 'object' && b !== null && 'x' in b && 'y' in b,
      'DTYPE',
      () => `fit(): ${where} of the source must be { x, y }, got ${b === null ? 'null' : typeof b}`,
    );
    const { x, y, sampleWeight } = b as Batch;
    const mx = model.toInputs(x, `${where} x`, true);
    const my = model.toTargets(y, mx.rows, `${where} y`);
    const w = rowWeights(
      { sampleWeight, classWeight: options.classWeight },
      my,
      model.requireCompiled().loss,
      mx.rows,
      model.outputDim!,
      where,
    );
    return { x: mx.data, y: my.data, w, rows: mx.rows };
  };
  let val: { x: Float32Array; y: Float32Array; rows: number } | undefined;
  let current: Rows | undefined;
  try {
    check(!first.done, 'EMPTY', 'fit(): the source gave no batches');
    current = batchOf(first);
    model.requireCompiled();
    if (options.validationData !== undefined && options.validationData !== null) {
      check(
        Array.isArray(options.validationData) && options.validationData.length === 2,
        'RANGE',
        'fit(): validationData must be [x, y]',
      );
      const [vx, vy] = options.validationData;
      const mvx = model.toInputs(vx, 'validationData x');
      val = { x: mvx.data, y: model.toTargets(vy, mvx.rows, 'validationData y').data, rows: mvx.rows };
    }
  } catch (err) {
    await close(it);
    throw err;
  }

  const c = model.requireCompiled();
  const net = model.net!;
  const e = net.engine;
  const nIn = net.inputs;
  const tc = net.targetCols;
  const rng = new Rng(seed);
  const owned: number[] = [];
  const own = (p: number): number => (owned.push(p), p);
  model.busy = true;
  model.stopTraining = false;
  try {
    net.reserve(batchSize, true);
    const VX = val ? own(e.upload(val.x)) : 0;
    const VY = val ? own(e.upload(val.y)) : 0;
    const WB = own(e.allocF32(batchSize)); // a batch's row weights, when it has them
    const opt = c.optimizer;
    opt.prepare();
    const info = {
      model,
      epochs,
      batchSize,
      samples: 0,
      batchesPerEpoch: 0,
      validationSamples: val?.rows ?? 0,
      stream: true,
    };
    for (const cb of callbacks) await cb.onTrainBegin?.(info);
    let step = 0;
    let lastYield = Date.now();
    for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, model);
      const start = net.snapshot();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let b = 0;
      if (epoch > 0) {
        it = open(source);
        nb = 0;
      }
      try {
        if (epoch > 0) {
          first = await it.next();
          current = first.done ? undefined : batchOf(first);
        }
        while (current && !model.stopTraining) {
          for (let r0 = 0; r0 < current.rows && !model.stopTraining; r0 += batchSize) {
            const m = Math.min(batchSize, current.rows - r0);
            for (const cb of callbacks) await cb.onBatchBegin?.(b, { epoch, size: m }, model);
            if (schedule) opt.scheduled = scheduledRate(schedule, epoch, step);
            // Views made now: the memory may have grown in a callback.
            e.f32(net.xBuf, m * nIn).set(current.x.subarray(r0 * nIn, (r0 + m) * nIn));
            e.f32(net.tBuf, m * tc).set(current.y.subarray(r0 * tc, (r0 + m) * tc));
            if (current.w) e.f32(WB, m).set(current.w.subarray(r0, r0 + m));
            const r = trainStep(model, c, m, rng, current.w ? WB : 0, start, epoch, b);
            step++;
            lossSum += (r.loss + r.reg) * m;
            correct += r.correct;
            seen += m;
            if (callbacks.length > 0) {
              const logs: BatchLogs = { epoch, size: m, loss: lossSum / seen };
              if (c.accuracy) logs.accuracy = correct / seen;
              for (const cb of callbacks) await cb.onBatchEnd?.(b, logs, model);
            }
            b++;
            if (
              options.yieldEveryMs !== undefined &&
              options.yieldEveryMs !== null &&
              Date.now() - lastYield >= options.yieldEveryMs
            ) {
              await new Promise((res) => setTimeout(res, 0));
              lastYield = Date.now();
            }
          }
          if (model.stopTraining) break;
          nb++;
          const next = await it.next();
          current = next.done ? undefined : batchOf(next);
        }
      } finally {
        // Left early (an error, or stopped): let the source release what it holds (a file handle).
        if (current || model.stopTraining) await close(it);
      }
      check(seen > 0, 'EMPTY', () => `fit(): epoch ${epoch + 1} of the source gave no rows`);
      current = undefined;
      const logs: EpochLogs = { loss: lossSum / seen };
      if (c.accuracy) logs.accuracy = correct / seen;
      if (val) {
        addValidationLogs(logs, model.evaluateResident(net, c, VX, VY, val.rows, batchSize));
      }
      history.epochs.push(epoch);
      for (const [key, v] of Object.entries(logs)) (history.history[key] ??= []).push(v as number);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, model);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(history, model);
    return history;
  } finally {
    for (const p of owned) e.free(p);
    c.optimizer.scheduled = undefined; // back to the configured rate
    model.busy = false;
  }
}
