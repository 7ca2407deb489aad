import { SimdnetError, check } from '../errors.js';
import { checkOptions } from '../args.js';
import type { Sequential } from '../model/sequential.js';
import { saveModel } from '../io/format.js';
import { nodeFs } from '../runtime/node.js';

/** Logs at the end of an epoch: training loss/accuracy (means over the epoch) and validation ones. */
export interface EpochLogs {
  /** Mean training loss over the epoch. */
  loss: number;
  /** Mean training accuracy over the epoch (with metrics: ['accuracy']), in [0, 1]. */
  accuracy?: number;
  /** Loss on the validation data, when there is some. */
  val_loss?: number;
  /** Accuracy on the validation data, when there is some and accuracy is a metric. */
  val_accuracy?: number;
  [metric: string]: number | undefined;
}

/** Logs after each batch: running means over the epoch so far. */
export interface BatchLogs {
  /** The epoch this batch belongs to (0-based). */
  epoch: number;
  /** Rows in this batch. */
  size: number;
  /** Mean loss over the epoch so far. */
  loss: number;
  /** Mean accuracy over the epoch so far (with metrics: ['accuracy']). */
  accuracy?: number;
}

/** What a callback learns when training starts. */
export interface TrainBegin {
  /** The model being trained. */
  model: Sequential;
  /** Epochs fit() will run (unless stopped early). */
  epochs: number;
  /** Rows per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Training rows (after the validation split). */
  samples: number;
  /** Batches in each epoch. */
  batchesPerEpoch: number;
  /** Validation rows (0 without validation data). */
  validationSamples: number;
  /** True for fit(source) on a stream of batches: samples and batchesPerEpoch are then 0 (not known ahead). */
  stream?: boolean;
}

/**
 * Hooks into fit(). Any hook may return a promise; fit() awaits it. Set `model.stopTraining = true` to stop
 * after the current batch.
 */
export interface Callback {
  /** Called once before the first epoch. */
  onTrainBegin?(info: TrainBegin): void | Promise<void>;
  /** Called before each epoch (0-based). */
  onEpochBegin?(epoch: number, model: Sequential): void | Promise<void>;
  /** Before a batch runs (its rows not yet gathered): `info.size` rows of epoch `info.epoch`. */
  onBatchBegin?(batch: number, info: { epoch: number; size: number }, model: Sequential): void | Promise<void>;
  /** Called after each batch (0-based within the epoch) with running means. */
  onBatchEnd?(batch: number, logs: BatchLogs, model: Sequential): void | Promise<void>;
  /** Called after each epoch, with its training and validation logs. */
  onEpochEnd?(epoch: number, logs: EpochLogs, model: Sequential): void | Promise<void>;
  /** Called once when training ends (finished or stopped), with the whole history. */
  onTrainEnd?(history: History, model: Sequential): void | Promise<void>;
}

/** What fit() returns: per-epoch logs, Keras style. */
export interface History {
  /** The epochs run, 0-based. */
  epochs: number[];
  /** Each log's value per epoch, e.g. history.loss[3] is the training loss of epoch 3. */
  history: Record<string, number[]>;
  /** Set by earlyStopping: the epoch whose weights the model holds at the end. */
  bestEpoch?: number;
  /** Set by earlyStopping: whether it stopped training before the last epoch. */
  stoppedEarly?: boolean;
}

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** Default 'val_loss' (falls back to 'loss' when there is no validation data). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min' for losses, 'max' for accuracies; 'auto' picks by the name (default). */
  mode?: 'auto' | 'min' | 'max';
  /** Put back the best epoch's weights at the end (default true). */
  restoreBestWeights?: boolean;
}

/** Stops training when `monitor` stops improving, and (by default) restores the best weights. */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callback & {
  /** The best epoch so far by the monitored log (-1 before the first epoch ends). */
  readonly bestEpoch: number;
} {
  checkOptions(options, 'earlyStopping()', {
    monitor: 'string',
    patience: 'index',
    minDelta: 'number',
    mode: 'string',
    restoreBestWeights: 'boolean',
  });
  const patience = options.patience ?? 3;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new SimdnetError('RANGE', `earlyStopping patience must be an integer >= 0, got ${patience}`);
  }
  const mode = options.mode ?? 'auto';
  check(
    mode === 'auto' || mode === 'min' || mode === 'max',
    'RANGE',
    () => `earlyStopping(): option mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`,
  );
  const minDelta = Math.abs(options.minDelta ?? 0);
  const restore = options.restoreBestWeights ?? true;
  let monitor = options.monitor ?? 'val_loss';
  let sign = 1; // +1: lower is better
  let best = Infinity;
  let bestEpoch = -1;
  let wait = 0;
  let weights: Float32Array | undefined;
  let stopped = false;
  return {
    get bestEpoch() {
      return bestEpoch;
    },
    onTrainBegin(info) {
      if ((options.monitor === undefined || options.monitor === null) && info.validationSamples === 0) monitor = 'loss';
      sign = mode === 'max' || (mode === 'auto' && /acc/.test(monitor)) ? -1 : 1;
      best = Infinity;
      bestEpoch = -1;
      wait = 0;
      weights = undefined;
      stopped = false;
    },
    onEpochEnd(epoch, logs, model) {
      const v = logs[monitor];
      if (v === undefined) {
        throw new SimdnetError(
          'RANGE',
          `earlyStopping monitors '${monitor}', which the logs do not have (${Object.keys(logs).join(', ')})`,
        );
      }
      if (sign * v < best - minDelta) {
        best = sign * v;
        bestEpoch = epoch;
        wait = 0;
        if (restore) weights = model.net!.snapshot();
      } else if (++wait > patience) {
        stopped = true;
        model.stopTraining = true;
      }
    },
    onTrainEnd(history, model) {
      if (restore && weights && bestEpoch >= 0) model.net!.restore(weights);
      history.bestEpoch = bestEpoch;
      history.stoppedEarly = stopped;
    },
  };
}

/** 'min' when lower is better: losses, errors; 'max' for names with acc/auc/precision/recall/f1/r2. */
function signOf(mode: 'auto' | 'min' | 'max', monitor: string): 1 | -1 {
  return mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall|f1|r2/i.test(monitor)) ? -1 : 1;
}

/** The monitored value of an epoch's logs, or RANGE naming what the logs have. */
function monitored(logs: EpochLogs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (v === undefined)
    throw new SimdnetError(
      'RANGE',
      `${who} monitors '${monitor}', which the logs do not have (${Object.keys(logs).join(', ')})`,
    );
  return v;
}

function modeOf(mode: unknown, who: string): 'auto' | 'min' | 'max' {
  const m = mode ?? 'auto';
  check(
    m === 'auto' || m === 'min' || m === 'max',
    'RANGE',
    () => `${who}: option mode must be 'auto', 'min' or 'max', got ${JSON.stringify(m)}`,
  );
  return m as 'auto' | 'min' | 'max';
}

/** Options of {@link modelCheckpoint}: a file `path`, an `onSave` callback, or both. */
export interface ModelCheckpointOptions {
  /** A file to write (Node, Deno, Bun); `{epoch}` in it becomes the epoch number from 1 (Keras's `{epoch}`). */
  path?: string;
  /** Receives the saved model's bytes (any runtime, e.g. to IndexedDB); may return a promise, which is awaited. */
  onSave?: (bytes: Uint8Array, epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Default 'val_loss' (falls back to 'loss' when there is no validation data). */
  monitor?: string;
  mode?: 'auto' | 'min' | 'max';
  /** Save only when `monitor` improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
}

/**
 * Saves the model (saveModel's bytes) at the end of each epoch, or only when the monitored value improves.
 * `saved` lists the epochs saved.
 */
export function modelCheckpoint(options: ModelCheckpointOptions): Callback & { readonly saved: number[] } {
  check(typeof options === 'object' && options !== null, 'RANGE', 'modelCheckpoint() needs { path } or { onSave }');
  checkOptions(options, 'modelCheckpoint()', {
    path: 'string',
    onSave: 'function',
    monitor: 'string',
    mode: 'string',
    saveBestOnly: 'boolean',
  });
  const { path, onSave } = options;
  check(
    (path !== undefined && path !== null && path.length > 0) || typeof onSave === 'function',
    'RANGE',
    'modelCheckpoint() needs a non-empty path or an onSave(bytes) function',
  );
  const mode = modeOf(options.mode, 'modelCheckpoint()');
  const bestOnly = options.saveBestOnly ?? false;
  let monitor = options.monitor ?? 'val_loss';
  let best = Infinity;
  let sign: 1 | -1 = 1;
  const saved: number[] = [];
  return {
    saved,
    onTrainBegin(info) {
      if ((options.monitor === undefined || options.monitor === null) && info.validationSamples === 0) monitor = 'loss';
      sign = signOf(mode, monitor);
      best = Infinity;
      saved.length = 0;
    },
    async onEpochEnd(epoch, logs, model) {
      if (bestOnly) {
        const v = sign * monitored(logs, monitor, 'modelCheckpoint');
        if (!(v < best)) return;
        best = v;
      }
      // saveModel refuses a model in training; here fit() is paused between epochs and saveModel is synchronous.
      const was = model.busy;
      model.busy = false;
      let bytes: Uint8Array;
      try {
        bytes = saveModel(model);
      } finally {
        model.busy = was;
      }
      if (path) {
        const fs = await nodeFs();
        await fs.promises.writeFile(path.replaceAll('{epoch}', String(epoch + 1)), bytes);
      }
      if (onSave) await onSave(bytes, epoch, logs);
      saved.push(epoch);
    },
  };
}

/** Options of {@link reduceLROnPlateau} (Keras's defaults). */
export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss' (falls back to 'loss' when there is no validation data). */
  monitor?: string;
  /** New rate = rate · factor (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this (default 0). */
  minLr?: number;
}

/** Multiplies the optimizer's learning rate by `factor` when `monitor` has not improved for `patience` epochs. */
export function reduceLROnPlateau(
  options: ReduceLROnPlateauOptions = {},
): Callback & { readonly reductions: number[] } {
  checkOptions(options, 'reduceLROnPlateau()', {
    monitor: 'string',
    factor: 'number',
    patience: 'index',
    mode: 'string',
    minDelta: 'number',
    cooldown: 'index',
    minLr: 'number',
  });
  const factor = options.factor ?? 0.1;
  check(factor > 0 && factor < 1, 'RANGE', () => `reduceLROnPlateau factor must be in (0, 1), got ${factor}`);
  const patience = options.patience ?? 10;
  const cooldown = options.cooldown ?? 0;
  const minLr = options.minLr ?? 0;
  check(minLr >= 0, 'RANGE', () => `reduceLROnPlateau minLr must be >= 0, got ${minLr}`);
  const minDelta = Math.abs(options.minDelta ?? 1e-4);
  const mode = modeOf(options.mode, 'reduceLROnPlateau()');
  let monitor = options.monitor ?? 'val_loss';
  let sign: 1 | -1 = 1;
  let best = Infinity;
  let wait = 0;
  let cooling = 0;
  const reductions: number[] = [];
  return {
    reductions,
    onTrainBegin(info) {
      if ((options.monitor === undefined || options.monitor === null) && info.validationSamples === 0) monitor = 'loss';
      sign = signOf(mode, monitor);
      best = Infinity;
      wait = 0;
      cooling = 0;
      reductions.length = 0;
    },
    onEpochEnd(epoch, logs, model) {
      const v = sign * monitored(logs, monitor, 'reduceLROnPlateau');
      // Keras's order: the cooldown counts down first; no waiting while it lasts.
      if (cooling > 0) {
        cooling--;
        wait = 0;
      }
      if (v < best - minDelta) {
        best = v;
        wait = 0;
      } else if (cooling === 0 && ++wait >= patience) {
        const opt = model.optimizer!;
        const lr = opt.learningRate;
        if (lr > minLr) {
          opt.learningRate = Math.max(lr * factor, minLr);
          reductions.push(epoch);
        }
        cooling = cooldown;
        wait = 0;
      }
    },
  };
}
