import { SimdnetError, check } from '../errors.js';
import { checkOptions } from '../args.js';
import type { Sequential } from '../model/sequential.js';

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
  checkOptions(options, 'earlyStopping()', { monitor: 'string', patience: 'index', minDelta: 'number', mode: 'string', restoreBestWeights: 'boolean' });
  const patience = options.patience ?? 3;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new SimdnetError('RANGE', `earlyStopping patience must be an integer >= 0, got ${patience}`);
  }
  const mode = options.mode ?? 'auto';
  check(mode === 'auto' || mode === 'min' || mode === 'max', 'RANGE', () => `earlyStopping(): option mode must be 'auto', 'min' or 'max', got ${JSON.stringify(mode)}`);
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
        throw new SimdnetError('RANGE', `earlyStopping monitors '${monitor}', which the logs do not have (${Object.keys(logs).join(', ')})`);
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
