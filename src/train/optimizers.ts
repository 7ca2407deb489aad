import { SimdnetError } from '../errors.js';
import { checkOptions } from '../args.js';
import type { Engine } from '../runtime/engine.js';

/** Plain or momentum SGD. */
export interface SgdConfig {
  /** Which optimizer. */
  type: 'sgd';
  /** Step size (default 0.01). */
  learningRate: number;
  /** Momentum in [0, 1] (default 0: plain SGD). */
  momentum: number;
  /** Nesterov momentum: the gradient is taken a step ahead (default false). */
  nesterov: boolean;
  /** L2 weight decay added to every gradient: g + weightDecay · w. */
  weightDecay: number;
}

/** Adam (Kingma & Ba 2015); `decoupled` makes it AdamW (Loshchilov & Hutter 2019). */
export interface AdamConfig {
  /** Which optimizer. */
  type: 'adam';
  /** Step size (default 0.001). */
  learningRate: number;
  /** Decay of the running mean of the gradients (default 0.9). */
  beta1: number;
  /** Decay of the running mean of their squares (default 0.999). */
  beta2: number;
  /** Added to the root of the second moment, for stability (default 1e-7). */
  epsilon: number;
  /** Weight decay: added to the gradient as weightDecay · w (L2), or applied to the weights directly with `decoupled` (AdamW); default 0. */
  weightDecay: number;
  /** AdamW: decay the weights directly instead of through the gradient (default false). */
  decoupled: boolean;
}

/** RMSprop as Keras's (no momentum, not centered): v = rho·v + (1 − rho)·g²; w −= lr · g / √(v + epsilon). */
export interface RmspropConfig {
  type: 'rmsprop';
  learningRate: number;
  rho: number;
  epsilon: number;
  /** L2 weight decay added to every gradient: g + weightDecay · w. */
  weightDecay: number;
}

/** Adagrad as Keras's: acc (starting at initialAccumulatorValue) += g²; w −= lr · g / √(acc + epsilon). */
export interface AdagradConfig {
  type: 'adagrad';
  learningRate: number;
  initialAccumulatorValue: number;
  epsilon: number;
  weightDecay: number;
}

/** An optimizer's settings, as sgd(), adam(), rmsprop() or adagrad() make them. */
export type OptimizerConfig = SgdConfig | AdamConfig | RmspropConfig | AdagradConfig;

function num(v: number, what: string, lo: number, hi: number, loOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (loOpen && v === lo)) {
    throw new SimdnetError('RANGE', `${what} must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/** Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay. */
export function sgd(o: Partial<Omit<SgdConfig, 'type'>> = {}): SgdConfig {
  checkOptions(o, 'sgd()', { nesterov: 'boolean' });
  return {
    type: 'sgd',
    learningRate: num(o.learningRate ?? 0.01, 'sgd learningRate', 0, 1e6, true),
    momentum: num(o.momentum ?? 0, 'sgd momentum', 0, 1),
    nesterov: o.nesterov ?? false,
    weightDecay: num(o.weightDecay ?? 0, 'sgd weightDecay', 0, 1e6),
  };
}

/** Adam with bias correction; weightDecay is L2 (coupled) unless `decoupled` (AdamW). */
export function adam(o: Partial<Omit<AdamConfig, 'type'>> = {}): AdamConfig {
  checkOptions(o, 'adam()', { decoupled: 'boolean' });
  return {
    type: 'adam',
    learningRate: num(o.learningRate ?? 0.001, 'adam learningRate', 0, 1e6, true),
    beta1: num(o.beta1 ?? 0.9, 'adam beta1', 0, 0.9999999),
    beta2: num(o.beta2 ?? 0.999, 'adam beta2', 0, 0.9999999),
    epsilon: num(o.epsilon ?? 1e-7, 'adam epsilon', 0, 1, true),
    weightDecay: num(o.weightDecay ?? 0, 'adam weightDecay', 0, 1e6),
    decoupled: o.decoupled ?? false,
  };
}

/** RMSprop with Keras's defaults: learningRate 0.001, rho 0.9, epsilon 1e-7. */
export function rmsprop(o: Partial<Omit<RmspropConfig, 'type'>> = {}): RmspropConfig {
  checkOptions(o, 'rmsprop()', { learningRate: 'number', rho: 'number', epsilon: 'number', weightDecay: 'number' });
  return {
    type: 'rmsprop',
    learningRate: num(o.learningRate ?? 0.001, 'rmsprop learningRate', 0, 1e6, true),
    rho: num(o.rho ?? 0.9, 'rmsprop rho', 0, 0.9999999),
    epsilon: num(o.epsilon ?? 1e-7, 'rmsprop epsilon', 0, 1, true),
    weightDecay: num(o.weightDecay ?? 0, 'rmsprop weightDecay', 0, 1e6),
  };
}

/** Adagrad with Keras's defaults: learningRate 0.001, initialAccumulatorValue 0.1, epsilon 1e-7. */
export function adagrad(o: Partial<Omit<AdagradConfig, 'type'>> = {}): AdagradConfig {
  checkOptions(o, 'adagrad()', {
    learningRate: 'number',
    initialAccumulatorValue: 'number',
    epsilon: 'number',
    weightDecay: 'number',
  });
  return {
    type: 'adagrad',
    learningRate: num(o.learningRate ?? 0.001, 'adagrad learningRate', 0, 1e6, true),
    initialAccumulatorValue: num(o.initialAccumulatorValue ?? 0.1, 'adagrad initialAccumulatorValue', 0, 1e6),
    epsilon: num(o.epsilon ?? 1e-7, 'adagrad epsilon', 0, 1, true),
    weightDecay: num(o.weightDecay ?? 0, 'adagrad weightDecay', 0, 1e6),
  };
}

/** Resolves 'sgd' | 'adam' | 'rmsprop' | 'adagrad' | a config object. */
export function resolveOptimizer(o: unknown): OptimizerConfig {
  if (o === 'sgd') return sgd();
  if (o === 'adam') return adam();
  if (o === 'rmsprop') return rmsprop();
  if (o === 'adagrad') return adagrad();
  if (typeof o === 'object' && o !== null) {
    const t = (o as { type?: unknown }).type;
    if (t === 'sgd') return sgd(o as SgdConfig);
    if (t === 'adam') return adam(o as AdamConfig);
    if (t === 'rmsprop') return rmsprop(o as RmspropConfig);
    if (t === 'adagrad') return adagrad(o as AdagradConfig);
  }
  throw new SimdnetError(
    'RANGE',
    `unknown optimizer ${JSON.stringify(o)} (use 'sgd', 'adam', 'rmsprop', 'adagrad' or a config from sgd({...}), adam({...}), rmsprop({...}), adagrad({...}))`,
  );
}

/**
 * An optimizer bound to a model's slabs: its state (velocity, or Adam's moments) shares the parameter layout,
 * so one step is one kernel call over the trainable prefix of the slab.
 */
export class Optimizer {
  private m = 0;
  private v = 0;
  /** Steps taken (Adam's t). */
  step = 0;
  /**
   * @internal The rate a schedule set for the coming step (fit() clears it when it returns): used in place of
   * config.learningRate, which stays the configured (and saved) rate.
   */
  scheduled: number | undefined;

  /**
   * fit() makes one from the compiled settings.
   * @param config The settings (learningRate changes as a schedule sets it).
   */
  constructor(
    readonly config: OptimizerConfig,
    private readonly engine: Engine,
    private readonly floats: number,
  ) {}

  /**
   * Makes the state slabs (fit() calls it before its first step, so steps allocate nothing); a model that is only
   * loaded and run never pays for them.
   */
  prepare(): void {
    const c = this.config;
    if (this.m === 0 && (c.type !== 'sgd' || c.momentum > 0)) {
      this.m = this.engine.allocF32(Math.max(4, this.floats));
      if (c.type === 'adagrad') this.engine.k.fill_f32(this.m, this.floats, c.initialAccumulatorValue);
    }
    if (this.v === 0 && c.type === 'adam') this.v = this.engine.allocF32(Math.max(4, this.floats));
  }

  /** The learning rate now: a schedule's while fit() runs one, else the configured rate (settable between steps). */
  get learningRate(): number {
    return this.scheduled ?? this.config.learningRate;
  }

  /** Sets the learning rate for the next steps (a positive finite number). */
  set learningRate(lr: number) {
    this.config.learningRate = num(lr, 'learningRate', 0, 1e6, true);
    this.scheduled = undefined;
  }

  /** w −= update(g) over the first `floats` floats of the slabs. */
  apply(w: number, g: number): void {
    const k = this.engine.k;
    const c = this.config;
    const n = this.floats;
    if (n === 0) return;
    const lr = this.scheduled ?? c.learningRate;
    this.prepare();
    this.step++;
    if (c.type === 'sgd') {
      if (c.momentum === 0) k.sgd_update(w, g, n, lr, c.weightDecay);
      else if (c.nesterov) k.nesterov_update(w, this.m, g, n, lr, c.momentum, c.weightDecay);
      else k.momentum_update(w, this.m, g, n, lr, c.momentum, c.weightDecay);
      return;
    }
    if (c.type === 'rmsprop') return k.rms_update(w, this.m, g, n, lr, c.rho, 1 - c.rho, c.epsilon, c.weightDecay);
    if (c.type === 'adagrad') return k.rms_update(w, this.m, g, n, lr, 1, 1, c.epsilon, c.weightDecay);
    const bc1 = 1 - c.beta1 ** this.step;
    const bc2 = 1 - c.beta2 ** this.step;
    const f = c.decoupled ? k.adamw_update : k.adam_update;
    f(w, this.m, this.v, g, n, lr, c.beta1, c.beta2, c.epsilon, c.weightDecay, bc1, bc2);
  }

  /** Zeroes the state (after a diverged step, or when weights are replaced wholesale). */
  reset(): void {
    const k = this.engine.k;
    if (this.m)
      k.fill_f32(this.m, this.floats, this.config.type === 'adagrad' ? this.config.initialAccumulatorValue : 0);
    if (this.v) k.fill_f32(this.v, this.floats, 0);
    this.step = 0;
  }

  /** Frees the state slabs. */
  dispose(): void {
    this.engine.free(this.m);
    this.engine.free(this.v);
    this.m = this.v = 0;
  }
}
