import { selectRows, type Matrix, type MatrixInput } from '../data/matrix.js';
import { checkOptions } from '../args.js';
import { SimdnetError, check } from '../errors.js';
import type { Compiled, EvalResult, Sequential, TargetInput } from '../model/sequential.js';
import { Rng } from '../random.js';
import { init } from '../runtime/engine.js';
import type { BatchLogs, Callback, EpochLogs, History } from './callbacks.js';
import type { Loss } from './losses.js';
import { checkSchedule, scheduledRate, type LearningRateSchedule } from './schedules.js';

/** Options of fit(). */
export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle the training rows every epoch (default true). */
  shuffle?: boolean;
  /** Fraction of the rows (chosen by the seed) held out for validation. */
  validationSplit?: number;
  /** Explicit validation data (takes precedence over validationSplit). */
  validationData?: [MatrixInput, TargetInput];
  /** Seeds shuffling, the validation split, dropout and augmentation (and the weights, if fit builds the model). */
  seed?: number;
  /** Hooks called as training goes (progressLogger, earlyStopping or your own), in order. */
  callbacks?: Callback | Callback[];
  /** Random whole-pixel shifts of image rows (h × w) each epoch: more training data for free. */
  augment?: {
    /** [height, width] of the image each row holds (h · w must equal the row's length: one channel). */
    imageShape: [number, number];
    /** Largest shift in pixels, each way, along each axis. */
    maxShift: number;
  };
  /** Yield to the event loop at least this often (ms) so a page or server stays responsive (default: never). */
  yieldEveryMs?: number;
  /**
   * One weight (finite, >= 0) per training row: each row's loss is multiplied by it, and a batch's loss is
   * Σ w·loss / (rows in the batch), Keras's default 'sum over batch size' reduction. Validation stays unweighted.
   */
  sampleWeight?: Float32Array | number[];
  /**
   * A weight per class, `{ 0: 1, 1: 5 }`: each training row's loss is multiplied by its class's weight (the
   * class is the target's argmax, its 0/1 value for one output, or the label for sparse cross-entropy); classes
   * not listed weigh 1. Multiplies sampleWeight when both are given.
   */
  classWeight?: Record<number, number>;
  /**
   * The learning rate for each batch, `(epoch, step) => lr` (steps counted from 0 in this fit() call), e.g.
   * exponentialDecay({...}); overrides the optimizer's learningRate during this fit() (model.optimizer.learningRate
   * reads it), which applies again afterwards. RANGE naming the epoch and step when it returns something other than
   * a finite number in [0, 1e6].
   */
  schedule?: LearningRateSchedule;
}

/** Checks a batch size option. */
export function batchSizeOf(b: unknown): number {
  check(
    typeof b === 'number' && Number.isInteger(b) && b >= 1 && b <= 1 << 20,
    'RANGE',
    `batchSize must be an integer in [1, 1048576], got ${String(b)}`,
  );
  return b;
}

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/** fit()'s callbacks as a list, each an object whose hooks are functions (RANGE naming the first that is not). */
export function checkCallbacks(given: unknown): Callback[] {
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  list.forEach((cb, i) => {
    const which = Array.isArray(given) ? `callback ${i}` : 'the callback';
    check(
      typeof cb === 'object' && cb !== null,
      'RANGE',
      () => `fit(): ${which} must be an object with hooks such as onEpochEnd, got ${cb === null ? 'null' : typeof cb}`,
    );
    for (const h of HOOKS) {
      const f = (cb as Record<string, unknown>)[h];
      check(
        f === undefined || typeof f === 'function',
        'RANGE',
        () => `fit(): ${which}'s ${h} must be a function, got ${typeof f}`,
      );
    }
  });
  return list as Callback[];
}

/**
 * The per-row loss weights of fit(): sampleWeight times classWeight's weight of each row's class, or undefined
 * when neither is given. Checked here, before training touches the model.
 */
export function rowWeights(
  options: Pick<FitOptions, 'sampleWeight' | 'classWeight'>,
  y: Matrix,
  loss: Loss,
  rows: number,
  classes: number,
  where = 'x',
): Float32Array | undefined {
  const sw = options.sampleWeight;
  const cw = options.classWeight;
  const hasSw = sw !== undefined && sw !== null;
  const hasCw = cw !== undefined && cw !== null;
  if (!hasSw && !hasCw) return undefined;
  check(
    loss.weighted === true,
    'RANGE',
    () => `fit(): sampleWeight/classWeight need a built-in loss (the loss '${loss.name}' does not take row weights)`,
  );
  const w = new Float32Array(rows).fill(1);
  if (hasSw) {
    check(
      sw instanceof Float32Array || Array.isArray(sw),
      'DTYPE',
      () => `fit(): sampleWeight must be a Float32Array or an array of numbers, got ${typeof sw}`,
    );
    check(
      sw.length === rows,
      'SHAPE',
      () => `fit(): sampleWeight has ${sw.length} weights but ${where} has ${rows} rows`,
    );
    for (let i = 0; i < rows; i++) {
      const v = sw[i];
      check(
        typeof v === 'number' && Number.isFinite(v) && v >= 0 && Math.abs(Math.fround(v)) < 3e38,
        'RANGE',
        () => `fit(): sampleWeight[${i}] is ${String(v)}: weights must be finite and >= 0`,
      );
      w[i] = v;
    }
  }
  if (hasCw) {
    check(
      typeof cw === 'object' && !Array.isArray(cw),
      'DTYPE',
      'fit(): classWeight must be an object { class: weight }, e.g. { 0: 1, 1: 5 }',
    );
    const nClasses = loss.targetCols(classes) === 1 && classes === 1 ? 2 : classes; // one output: classes 0 and 1
    const table = new Float64Array(nClasses).fill(1);
    for (const [key, v] of Object.entries(cw)) {
      const c = Number(key);
      check(
        Number.isInteger(c) && c >= 0 && c < nClasses,
        'RANGE',
        () => `fit(): classWeight key '${key}' is not a class index in [0, ${nClasses - 1}]`,
      );
      check(
        typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 3e38,
        'RANGE',
        () => `fit(): classWeight[${key}] is ${String(v)}: weights must be finite and >= 0`,
      );
      table[c] = v;
    }
    check(
      loss.classOf !== undefined,
      'RANGE',
      () =>
        `fit(): classWeight needs a classification loss (binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy), not '${loss.name}'`,
    );
    const classOf = loss.classOf;
    for (let i = 0; i < rows; i++) w[i] *= table[classOf(y, i)];
  }
  return w;
}

/**
 * @internal One optimizer step on the m rows staged in net.xBuf / net.tBuf (and their weights at WB, or 0):
 * forward, loss, backward, regularization, the finite check and the update. A non-finite loss or gradient puts
 * back `start` (the weights at the start of the epoch) and throws DIVERGED naming the epoch and batch.
 */
export function trainStep(
  model: Sequential,
  c: Compiled,
  m: number,
  rng: Rng,
  WB: number,
  start: Float32Array,
  epoch: number,
  b: number,
): { loss: number; reg: number; correct: number } {
  const net = model.net!;
  const k = net.engine.k;
  const nOut = net.outputs;
  const hooks = model.trainHooks;
  for (const h of hooks) h.beforeForward?.(net);
  const out = net.forward(m, true, rng.u32() | 0);
  const loss = WB
    ? c.loss.forward(k, out, net.headBuf, net.tBuf, m, nOut, WB)
    : c.loss.forward(k, out, net.headBuf, net.tBuf, m, nOut);
  const correct = c.accuracy ? c.loss.correct(k, out, net.tBuf, m, nOut) : 0;
  if (WB) c.loss.backward(k, net.lossGrad, out, net.headBuf, net.tBuf, m, nOut, WB);
  else c.loss.backward(k, net.lossGrad, out, net.headBuf, net.tBuf, m, nOut);
  net.backward(m);
  for (const h of hooks) h.afterBackward?.(net);
  const reg = net.regularize();
  const g2 = k.sum_squares(net.grads, net.trainableFloats);
  if (!Number.isFinite(loss) || !Number.isFinite(g2) || !Number.isFinite(reg)) {
    net.restore(start);
    c.optimizer.reset();
    throw new SimdnetError(
      'DIVERGED',
      `training diverged at epoch ${epoch + 1}, batch ${b + 1}: ${!Number.isFinite(loss) ? `loss is ${loss}` : 'a gradient is not finite'}. ` +
        `The weights were restored to the start of epoch ${epoch + 1}; try a lower learning rate or scaled inputs.`,
    );
  }
  c.optimizer.apply(net.params, net.grads);
  for (const h of hooks) h.afterUpdate?.(net);
  model.trainedSteps++;
  return { loss, reg, correct };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * Trains `model` on (x, y) with its compiled loss and optimizer. Every step runs in kernels on data resident in
 * the engine's memory: rows are gathered by index, nothing is allocated per step. A non-finite loss or gradient
 * stops training with a DIVERGED error and puts back the weights from the start of that epoch.
 */
export async function fit(
  model: Sequential,
  x: MatrixInput,
  y: TargetInput,
  options: FitOptions = {},
): Promise<History> {
  await claimForFit(model);
  // Option types first (null or undefined means the default), so a wrong one trains nothing.
  checkOptions(options, 'fit()', {
    epochs: 'index',
    batchSize: 'count',
    seed: 'number',
    shuffle: 'boolean',
    validationSplit: 'number',
    yieldEveryMs: 'number',
  });
  const epochs = options.epochs ?? 1;
  check(Number.isInteger(epochs) && epochs >= 0, 'RANGE', `epochs must be an integer >= 0, got ${epochs}`);
  const batchSize = batchSizeOf(options.batchSize ?? 32);
  const seed = options.seed ?? (Math.random() * 2 ** 31) | 0;
  check(Number.isInteger(seed), 'RANGE', `seed must be an integer, got ${seed}`);
  const callbacks = checkCallbacks(options.callbacks);
  const schedule = checkSchedule(options.schedule);
  const vs = options.validationSplit ?? 0;
  check(typeof vs === 'number' && vs >= 0 && vs < 1, 'RANGE', `validationSplit must be in [0, 1), got ${vs}`);

  // Validate everything before touching the model.
  // Borrowed (not copied) inputs: from here to their upload into wasm memory no other code runs.
  const mx = model.toInputs(x, 'x', true);
  if (!model.built) model.build(mx.cols, seed);
  const c = model.requireCompiled();
  const my = model.toTargets(y, mx.rows);
  const weights = rowWeights(options, my, c.loss, mx.rows, model.outputDim!);
  let trainW = weights;
  let train = { x: mx, y: my };
  let val: { x: Matrix; y: Matrix } | undefined;
  const rng = new Rng(seed);
  if (options.validationData !== undefined && options.validationData !== null) {
    check(
      Array.isArray(options.validationData) && options.validationData.length === 2,
      'RANGE',
      'fit(): validationData must be [x, y]',
    );
    const [vx, vy] = options.validationData;
    const mvx = model.toInputs(vx, 'validationData x', true);
    val = { x: mvx, y: model.toTargets(vy, mvx.rows, 'validationData y') };
  } else if (vs > 0) {
    const nVal = Math.round(mx.rows * vs);
    check(
      nVal > 0 && nVal < mx.rows,
      'EMPTY',
      `validationSplit ${vs} of ${mx.rows} rows leaves no ${nVal === 0 ? 'validation' : 'training'} rows`,
    );
    const perm = rng.permutation(mx.rows);
    const vi = perm.subarray(0, nVal).slice().sort();
    const ti = perm.subarray(nVal).slice().sort();
    val = { x: selectRows(mx, vi), y: selectRows(my, vi) };
    train = { x: selectRows(mx, ti), y: selectRows(my, ti) };
    if (weights) trainW = selectRows({ data: weights, rows: mx.rows, cols: 1 } as Matrix, ti).data;
  }
  const aug = options.augment;
  if (aug !== undefined && aug !== null) {
    check(typeof aug === 'object', 'RANGE', 'fit(): augment must be { imageShape: [h, w], maxShift }');
    const [h, w] = Array.isArray(aug.imageShape) && aug.imageShape.length === 2 ? aug.imageShape : [NaN, NaN];
    check(
      Number.isInteger(h) && Number.isInteger(w) && h * w === mx.cols,
      'SHAPE',
      `augment.imageShape [${aug.imageShape}] does not match ${mx.cols} inputs`,
    );
    check(
      Number.isInteger(aug.maxShift) && aug.maxShift >= 0,
      'RANGE',
      `augment.maxShift must be an integer >= 0, got ${aug.maxShift}`,
    );
  }

  const net = model.net!;
  const e = net.engine;
  const k = e.k;
  const n = train.x.rows;
  const nIn = net.inputs;
  const bs = Math.min(batchSize, n);
  const batches = Math.ceil(n / bs);
  const history: History = { epochs: [], history: {} };
  const owned: number[] = [];
  const own = (p: number): number => (owned.push(p), p);
  model.busy = true;
  model.stopTraining = false;
  try {
    net.reserve(bs, true);
    const X = own(e.upload(train.x.data));
    const Y = own(e.upload(train.y.data));
    const WALL = trainW ? own(e.upload(trainW)) : 0;
    const WB = trainW ? own(e.allocF32(bs)) : 0; // this batch's weights, gathered like its rows
    const VX = val ? own(e.upload(val.x.data)) : 0;
    const VY = val ? own(e.upload(val.y.data)) : 0;
    const order = own(e.allocF32(n)); // i32 row indices, reshuffled per epoch
    const staged = aug ? own(e.allocF32(bs * nIn)) : 0;
    const shifts = aug ? own(e.allocF32(2 * bs)) : 0;
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    const opt = c.optimizer;
    opt.prepare();
    const info = {
      model,
      epochs,
      batchSize: bs,
      samples: n,
      batchesPerEpoch: batches,
      validationSamples: val?.x.rows ?? 0,
    };
    for (const cb of callbacks) await cb.onTrainBegin?.(info);
    let lastYield = now();
    let step = 0; // batches run in this call: the schedule's clock
    for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, model);
      if (options.shuffle ?? true) rng.shuffle(perm);
      e.i32(order, n).set(perm);
      const start = net.snapshot(); // for recovery if this epoch diverges
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const r0 = b * bs;
        const m = Math.min(bs, n - r0);
        const idx = order + r0 * 4;
        for (const cb of callbacks) await cb.onBatchBegin?.(b, { epoch, size: m }, model);
        if (schedule) opt.scheduled = scheduledRate(schedule, epoch, step);
        if (aug) {
          k.gather_rows(staged, X, idx, m, nIn);
          const sv = e.i32(shifts, 2 * m);
          for (let i = 0; i < 2 * m; i++) sv[i] = rng.int(2 * aug.maxShift + 1) - aug.maxShift;
          k.image_shift(net.xBuf, staged, shifts, m, aug.imageShape[0], aug.imageShape[1]);
        } else {
          k.gather_rows(net.xBuf, X, idx, m, nIn);
        }
        k.gather_rows(net.tBuf, Y, idx, m, net.targetCols);
        if (WB) k.gather_rows(WB, WALL, idx, m, 1);
        const r = trainStep(model, c, m, rng, WB, start, epoch, b);
        correct += r.correct;
        const { loss, reg } = r;
        step++;
        lossSum += (loss + reg) * m;
        seen += m;
        if (callbacks.length > 0) {
          const logs: BatchLogs = { epoch, size: m, loss: lossSum / seen };
          if (c.accuracy) logs.accuracy = correct / seen;
          for (const cb of callbacks) await cb.onBatchEnd?.(b, logs, model);
        }
        if (
          options.yieldEveryMs !== undefined &&
          options.yieldEveryMs !== null &&
          now() - lastYield >= options.yieldEveryMs
        ) {
          await tick();
          lastYield = now();
        }
        if (model.stopTraining) break;
      }
      const logs: EpochLogs = { loss: lossSum / seen };
      if (c.accuracy) logs.accuracy = correct / seen;
      if (val) {
        addValidationLogs(logs, model.evaluateResident(net, c, VX, VY, val.x.rows, bs));
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

/** The validation results as Keras names them in the epoch logs: val_loss, val_accuracy and every compiled metric (val_f1, …). */
export function addValidationLogs(logs: EpochLogs, r: EvalResult): void {
  for (const [key, v] of Object.entries(r)) if (v !== undefined) logs[`val_${key}`] = v;
}

/**
 * fit()'s start, for arrays and streams: the model is claimed before the first await, so a second fit() started in
 * the same tick is refused instead of interleaving its steps with this one's; released while the caller's checks
 * use the model's own (busy-refusing) methods — nothing else runs between here and the training loop, which claims
 * it again. Loads the shared engine unless the model has one of its own.
 */
export async function claimForFit(model: Sequential): Promise<void> {
  model.assertIdle('fit()');
  model.busy = true;
  try {
    if (model.backend === 'wasm' && !model.hasOwnEngine) await init();
  } finally {
    model.busy = false;
  }
  model.assertLive();
}
