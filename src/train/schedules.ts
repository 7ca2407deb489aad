import { checkOptions } from '../args.js';
import { SimdnetError, check } from '../errors.js';

/**
 * A learning-rate schedule: the rate for the batch about to run, from the epoch (from 0) and the step (batches
 * run so far in this fit() call, from 0). Given to `fit({ schedule })`, it is called before every batch and its
 * value is the rate of that step; the optimizer's configured learningRate (the one saved with the model) is left as
 * it is and applies again once fit() returns.
 */
export type LearningRateSchedule = (epoch: number, step: number) => number;

function positive(v: unknown, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0) || v > 1e6) {
    throw new SimdnetError(
      'RANGE',
      `${what} must be a finite number ${allowZero ? '>= 0' : '> 0'} (at most 1e6), got ${String(v)}`,
    );
  }
  return v;
}

function integer(v: unknown, what: string, min: number): number {
  check(
    typeof v === 'number' && Number.isInteger(v) && v >= min,
    'RANGE',
    () => `${what} must be an integer >= ${min}, got ${String(v)}`,
  );
  return v as number;
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  initialLearningRate: number;
  /** Multiplies the rate every `everyEpochs` epochs (default 0.5). */
  factor?: number;
  /** Default 10. */
  everyEpochs?: number;
}

/** initialLearningRate · factor^floor(epoch / everyEpochs): the classic "halve every 10 epochs". */
export function stepDecay(o: StepDecayOptions): LearningRateSchedule {
  checkOptions(o, 'stepDecay()', { initialLearningRate: 'number', factor: 'number', everyEpochs: 'count' });
  check(o !== undefined && o !== null, 'RANGE', 'stepDecay() needs { initialLearningRate }');
  const lr0 = positive(o.initialLearningRate, 'stepDecay initialLearningRate');
  const factor = o.factor ?? 0.5;
  check(factor > 0 && factor <= 1, 'RANGE', () => `stepDecay factor must be in (0, 1], got ${factor}`);
  const every = integer(o.everyEpochs ?? 10, 'stepDecay everyEpochs', 1);
  return (epoch) => lr0 * factor ** Math.floor(epoch / every);
}

/** Options of {@link exponentialDecay} (Keras's ExponentialDecay). */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole intervals of decaySteps (default false: smoothly). */
  staircase?: boolean;
}

/** initialLearningRate · decayRate^(step / decaySteps), the exponent floored when `staircase` (as Keras). */
export function exponentialDecay(o: ExponentialDecayOptions): LearningRateSchedule {
  checkOptions(o, 'exponentialDecay()', {
    initialLearningRate: 'number',
    decaySteps: 'count',
    decayRate: 'number',
    staircase: 'boolean',
  });
  check(
    o !== undefined && o !== null,
    'RANGE',
    'exponentialDecay() needs { initialLearningRate, decaySteps, decayRate }',
  );
  const lr0 = positive(o.initialLearningRate, 'exponentialDecay initialLearningRate');
  const steps = integer(o.decaySteps, 'exponentialDecay decaySteps', 1);
  const rate = o.decayRate;
  check(
    typeof rate === 'number' && rate > 0 && rate <= 1,
    'RANGE',
    () => `exponentialDecay decayRate must be in (0, 1], got ${String(rate)}`,
  );
  const staircase = o.staircase ?? false;
  return (_epoch, step) => {
    const p = step / steps;
    return lr0 * rate ** (staircase ? Math.floor(p) : p);
  };
}

/** Options of {@link cosineDecay} (Keras 3's CosineDecay, with its linear warm-up). */
export interface CosineDecayOptions {
  /** The rate at step 0: the start of the warm-up, or of the decay when there is none. */
  initialLearningRate: number;
  /** Steps of the cosine decay (after the warm-up). */
  decaySteps: number;
  /** The floor, as a fraction of the decay's starting rate (default 0). */
  alpha?: number;
  /** Steps of linear warm-up from initialLearningRate to warmupTarget (default 0: none). */
  warmupSteps?: number;
  /** The rate the warm-up reaches and the decay starts from (needed when warmupSteps > 0). */
  warmupTarget?: number;
}

/**
 * Linear warm-up from initialLearningRate to warmupTarget over warmupSteps, then
 * peak · ((1 − alpha) · ½(1 + cos(π · min(s, decaySteps) / decaySteps)) + alpha), s = step − warmupSteps
 * (peak: warmupTarget, or initialLearningRate without a warm-up).
 */
export function cosineDecay(o: CosineDecayOptions): LearningRateSchedule {
  checkOptions(o, 'cosineDecay()', {
    initialLearningRate: 'number',
    decaySteps: 'count',
    alpha: 'number',
    warmupSteps: 'index',
    warmupTarget: 'number',
  });
  check(o !== undefined && o !== null, 'RANGE', 'cosineDecay() needs { initialLearningRate, decaySteps }');
  const lr0 = positive(o.initialLearningRate, 'cosineDecay initialLearningRate', true);
  const steps = integer(o.decaySteps, 'cosineDecay decaySteps', 1);
  const alpha = o.alpha ?? 0;
  check(alpha >= 0 && alpha <= 1, 'RANGE', () => `cosineDecay alpha must be in [0, 1], got ${alpha}`);
  const warm = integer(o.warmupSteps ?? 0, 'cosineDecay warmupSteps', 0);
  check(
    warm === 0 || (o.warmupTarget !== undefined && o.warmupTarget !== null),
    'RANGE',
    'cosineDecay: warmupSteps > 0 needs warmupTarget (the rate the warm-up reaches)',
  );
  const peak =
    o.warmupTarget === undefined || o.warmupTarget === null
      ? lr0
      : positive(o.warmupTarget, 'cosineDecay warmupTarget');
  check(peak > 0, 'RANGE', 'cosineDecay: the decay starts from 0 (initialLearningRate 0 needs a warmupTarget)');
  return (_epoch, step) => {
    if (step < warm) return lr0 + ((peak - lr0) * step) / warm;
    const s = Math.min(step - warm, steps);
    return peak * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * s) / steps)) + alpha);
  };
}

/** fit()'s schedule option: a function, or undefined. */
export function checkSchedule(s: unknown): LearningRateSchedule | undefined {
  if (s === undefined || s === null) return undefined;
  check(
    typeof s === 'function',
    'DTYPE',
    () =>
      `fit(): schedule must be a function (epoch, step) => learningRate, such as exponentialDecay({...}), got ${typeof s}`,
  );
  return s as LearningRateSchedule;
}

/** The schedule's value for a batch, checked: finite, >= 0 and at most 1e6, else RANGE naming the epoch and step. */
export function scheduledRate(s: LearningRateSchedule, epoch: number, step: number): number {
  const lr = s(epoch, step);
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0 || lr > 1e6) {
    throw new SimdnetError(
      'RANGE',
      `fit(): the schedule returned ${typeof lr === 'number' ? lr : typeof lr} at epoch ${epoch + 1}, step ${step}: a learning rate must be a finite number in [0, 1e6]`,
    );
  }
  return lr;
}
