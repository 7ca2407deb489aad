// Magnitude weight pruning (Han et al. 2015, "Learning both Weights and Connections for Efficient Neural
// Networks"): zero the smallest weights of dense and conv2d kernels, per layer or with one global threshold, keep
// them at zero while fine-tuning (a mask applied by the mask_f32 kernel after every optimizer step), and prune in
// steps with retraining at a tenth of the learning rate in between. Biases are never pruned (they are few and cheap).
// Choosing what to prune is one-time host work; the per-step masking runs in the kernel.
import type { MatrixInput } from '../data/matrix.js';
import { SimdnetError, check } from '../errors.js';
import type { Conv2dSpec, DenseSpec } from '../layers/spec.js';
import type { Net, TensorSlot } from '../model/net.js';
import type { EvalResult, TargetInput, TrainHook } from '../model/sequential.js';
import { Sequential, idleModel } from '../model/sequential.js';
import type { Engine } from '../runtime/engine.js';
import type { Callback } from '../train/callbacks.js';
import { hasKernel, requireSupported } from './support.js';

/** 'layer': each layer loses the same fraction of its kernel; 'global': one magnitude threshold over all of them. */
export type PruneScope = 'layer' | 'global';

/** Options of {@link pruneMagnitude}. */
export interface PruneOptions {
  /**
   * Fraction of each kernel's weights to be zero afterwards, in [0, 1). With scope 'layer' it may be a map from
   * layer name to fraction (only those layers are pruned). Weights already zero count towards it, and pruning
   * never brings a zero weight back.
   */
  sparsity: number | Readonly<Record<string, number>>;
  /** Default 'layer'. */
  scope?: PruneScope;
  /**
   * Dense and conv2d layers to prune, by index or name. Default: every trainable one (frozen layers are skipped);
   * naming a frozen layer is an error.
   */
  layers?: ReadonlyArray<number | string>;
}

/** Zeros in one dense or conv2d kernel. */
export interface LayerSparsity {
  /** The layer's index in the model. */
  layer: number;
  /** The layer's name. */
  name: string;
  /** Weights in the kernel (fan_in × fan_out; kh × kw × c × filters). */
  size: number;
  /** Weights that are zero. */
  zeros: number;
  /** zeros / size, in [0, 1]. */
  sparsity: number;
}

/** Zeros per kernel and over all of them (biases excluded). */
export interface SparsityReport {
  /** Per layer. */
  layers: LayerSparsity[];
  /** Weights in all the kernels. */
  size: number;
  /** Zero weights in all the kernels. */
  zeros: number;
  /** zeros / size over all the kernels, in [0, 1]. */
  sparsity: number;
}

/** The kernels' zeros, for every dense and conv2d layer (or the given ones). */
export function sparsityOf(model: Sequential, layers?: ReadonlyArray<number | string>): SparsityReport {
  idleModel(model, 'sparsityOf()');
  requireSupported(model.layers, 'sparsityOf()');
  check(model.built, 'STATE', 'sparsityOf(): the model is not built yet (no weights)');
  check(
    layers === undefined || Array.isArray(layers),
    'DTYPE',
    () =>
      `sparsityOf(): layers must be an array of layer indices or names, got ${layers === null ? 'null' : typeof layers}`,
  );
  const idx =
    layers === undefined ? kernelLayers(model) : layers.map((l) => kernelLayerIndex(model, l, 'sparsityOf()'));
  const weights = model.getWeights();
  return report(model, idx, (i) => weights[kernelIndex(model, i)].data);
}

/**
 * Zeros the smallest-magnitude weights of dense and conv2d kernels so that each selected kernel (scope 'layer') or
 * all of them together (scope 'global') reach `sparsity`. Changes the model's weights in place and returns the
 * resulting sparsity. Everything is checked before a weight changes: a rejected call leaves the model as it was.
 * If a {@link PruningSession} is active on the model, its masks follow the new zeros.
 */
export function pruneMagnitude(model: Sequential, options: PruneOptions): SparsityReport {
  idleModel(model, 'pruneMagnitude()');
  requireSupported(model.layers, 'pruneMagnitude()');
  const plan = planPrune(model, options, 'pruneMagnitude()');
  const weights = model.getWeights();
  const kernels = plan.layers.map((i) => weights[kernelIndex(model, i)].data);
  if (plan.scope === 'global') {
    const total = kernels.reduce((s, w) => s + w.length, 0);
    zeroSmallest(kernels, Math.round(plan.global * total));
  } else {
    kernels.forEach((w, j) => zeroSmallest([w], Math.round(plan.perLayer[j] * w.length)));
  }
  model.setWeights(weights);
  sessions.get(model)?.refresh();
  return report(model, plan.layers, (i) => weights[kernelIndex(model, i)].data);
}

interface Plan {
  layers: number[];
  scope: PruneScope;
  global: number;
  perLayer: number[];
}

/** Validates options into the layers to prune and their target sparsities (throws before anything changes). */
function planPrune(model: Sequential, options: PruneOptions, what: string): Plan {
  check(typeof options === 'object' && options !== null, 'RANGE', `${what} needs { sparsity, scope?, layers? }`);
  check(model.built, 'STATE', `${what}: the model is not built yet (no weights to prune); fit or build it first`);
  const scope = options.scope ?? 'layer';
  check(
    scope === 'layer' || scope === 'global',
    'RANGE',
    `${what}: scope must be 'layer' or 'global', got ${JSON.stringify(scope)}`,
  );
  const s = options.sparsity;
  const perName = typeof s === 'object' && s !== null;
  check(
    typeof s === 'number' || perName,
    'RANGE',
    `${what}: sparsity must be a number in [0, 1) or a map of layer names to numbers`,
  );
  check(
    !(perName && scope === 'global'),
    'RANGE',
    `${what}: a per-layer sparsity map needs scope 'layer' (a global threshold takes one number)`,
  );
  check(
    !(perName && options.layers !== undefined),
    'RANGE',
    `${what}: give either a per-layer sparsity map or layers, not both`,
  );
  let layers: number[];
  if (perName) {
    const names = Object.keys(s);
    check(names.length > 0, 'RANGE', `${what}: the sparsity map names no layer`);
    layers = names.map((n) => kernelLayerIndex(model, n, what));
  } else if (options.layers !== undefined) {
    check(
      Array.isArray(options.layers) && options.layers.length > 0,
      'RANGE',
      `${what}: layers must be a non-empty array of layer indices or names`,
    );
    layers = [...new Set(options.layers.map((l) => kernelLayerIndex(model, l, what)))];
  } else {
    layers = kernelLayers(model).filter((i) => (model.layers[i] as DenseSpec | Conv2dSpec).trainable);
    check(
      layers.length > 0,
      'STATE',
      `${what}: every dense/conv2d layer is frozen, nothing to prune (frozen layers are skipped)`,
    );
  }
  for (const i of layers) {
    const l = model.layers[i] as DenseSpec | Conv2dSpec;
    check(
      l.trainable,
      'STATE',
      `${what}: layer '${l.name}' is frozen; unfreeze it with setTrainable('${l.name}', true) to prune it, or leave it out of layers`,
    );
  }
  layers.sort((a, b) => a - b);
  const perLayer = layers.map((i) =>
    checkSparsity(perName ? (s as Record<string, number>)[model.layers[i].name] : s, what, model.layers[i].name),
  );
  return { layers, scope, global: perName ? 0 : checkSparsity(s, what), perLayer };
}

function checkSparsity(v: unknown, what: string, layer?: string): number {
  const where = layer === undefined ? 'sparsity' : `sparsity of '${layer}'`;
  check(
    typeof v === 'number' && Number.isFinite(v),
    'RANGE',
    `${what}: ${where} must be a number in [0, 1), got ${String(v)}`,
  );
  check(
    v < 1,
    'RANGE',
    `${what}: ${where} is ${v}: pruning ${Math.round(v * 100)}% of the weights would remove all of them (or more); use a fraction below 1`,
  );
  check(v >= 0, 'RANGE', `${what}: ${where} is ${v}: it must be in [0, 1)`);
  return v;
}

/**
 * Zeros the `count` smallest |w| across the arrays (zeros already there come first, ties broken by position);
 * existing zeros beyond `count` stay zero.
 */
function zeroSmallest(arrays: Float32Array[], count: number): void {
  if (count <= 0) return;
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const mags = new Float32Array(total);
  let o = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) mags[o + i] = Math.abs(a[i]);
    o += a.length;
  }
  const sorted = mags.slice().sort();
  const t = sorted[Math.min(count, total) - 1];
  let below = 0;
  while (below < total && sorted[below] < t) below++;
  let ties = Math.min(count, total) - below;
  o = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const m = mags[o + i];
      if (m < t) a[i] = 0;
      else if (m === t && ties > 0) {
        a[i] = 0;
        ties--;
      }
    }
    o += a.length;
  }
}

function report(model: Sequential, layers: number[], kernel: (layer: number) => Float32Array): SparsityReport {
  let size = 0;
  let zeros = 0;
  const out = layers.map((i) => {
    const w = kernel(i);
    let z = 0;
    for (let j = 0; j < w.length; j++) if (w[j] === 0) z++;
    size += w.length;
    zeros += z;
    return {
      layer: i,
      name: model.layers[i].name,
      size: w.length,
      zeros: z,
      sparsity: w.length > 0 ? z / w.length : 0,
    };
  });
  return { layers: out, size, zeros, sparsity: size > 0 ? zeros / size : 0 };
}

/** @internal Indices of the layers with a kernel (dense, conv2d). */
export function kernelLayers(model: Sequential): number[] {
  const out: number[] = [];
  model.layers.forEach((l, i) => {
    if (hasKernel(l)) out.push(i);
  });
  return out;
}

/** @internal A layer by index or name that must have a kernel (dense, conv2d; RANGE otherwise, naming the layers). */
export function kernelLayerIndex(model: Sequential, layer: number | string, what: string): number {
  check(
    typeof layer === 'number' || typeof layer === 'string',
    'RANGE',
    `${what}: a layer is given by index or name, got ${String(layer)}`,
  );
  const i = model.layerIndex(layer);
  const l = model.layers[i];
  check(
    hasKernel(l),
    'RANGE',
    `${what}: layer '${l.name}' is a ${l.type} layer and has no weights${l.type === 'batchNormalization' ? ' to prune (only dense and conv2d kernels are)' : ''}`,
  );
  return i;
}

/** @internal Position of a dense or conv2d layer's kernel in getWeights()/tensors(). */
export function kernelIndex(model: Sequential, layer: number): number {
  const name = `${model.layers[layer].name}/kernel`;
  const i = model.tensors().findIndex((t) => t.name === name);
  if (i < 0) throw new SimdnetError('STATE', `no kernel tensor for layer '${model.layers[layer].name}'`);
  return i;
}

const sessions = new WeakMap<Sequential, PruningSession>();

/**
 * Keeps pruned weights at zero while a model trains: one 0/1 mask per dense/conv2d kernel, in the engine's memory,
 * multiplied into the kernel by the `mask_f32` kernel after every optimizer step of fit(). A weight that is zero
 * when the session starts (or after {@link PruningSession.prune}) is masked. Call {@link PruningSession.end}
 * when done: it frees the masks (the zeros stay in the weights).
 */
export class PruningSession {
  private readonly engine: Engine;
  /** Mask pointer per kernel tensor name. */
  private readonly masks = new Map<string, { ptr: number; size: number }>();
  private readonly hook: TrainHook;
  /** (weight pointer, mask pointer, size) for the net the pointers were resolved on (re-resolved after a re-layout). */
  private resolved: { net: Net; list: Array<[number, number, number]> } | undefined;
  private ended = false;

  /**
   * Use {@link startPruning}.
   * @param model The model whose kernels the session masks.
   */
  constructor(readonly model: Sequential) {
    idleModel(model, 'new PruningSession()');
    check(
      model.built,
      'STATE',
      'startPruning(): the model is not built yet (no weights to mask); fit or build it first',
    );
    check(
      !sessions.has(model),
      'STATE',
      'startPruning(): a pruning session is already active on this model; end() it first',
    );
    const net = model.net!;
    this.engine = net.engine;
    try {
      for (const slot of net.slots) {
        if (slot.name.endsWith('/kernel'))
          this.masks.set(slot.name, { ptr: this.engine.allocF32(slot.size), size: slot.size });
      }
    } catch (err) {
      for (const m of this.masks.values()) this.engine.free(m.ptr);
      throw err;
    }
    this.refresh();
    this.hook = { afterUpdate: (n) => this.applyTo(n) };
    model.trainHooks.push(this.hook);
    sessions.set(model, this);
  }

  /** False once end() was called. */
  get active(): boolean {
    return !this.ended;
  }

  /** Prunes further (see {@link pruneMagnitude}); the masks follow. */
  prune(options: PruneOptions): SparsityReport {
    this.assertActive();
    return pruneMagnitude(this.model, options);
  }

  /** The kernels' current zeros. */
  sparsity(): SparsityReport {
    this.assertActive();
    return sparsityOf(this.model);
  }

  /** Multiplies the masks into the weights now (e.g. after setWeights()). */
  apply(): void {
    this.assertActive();
    this.model.assertIdle('PruningSession.apply()');
    this.applyTo(this.model.requireNet());
  }

  /** Stops masking and frees the masks; the weights keep their zeros. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const hooks = this.model.trainHooks;
    const at = hooks.indexOf(this.hook);
    if (at >= 0) hooks.splice(at, 1);
    sessions.delete(this.model);
    for (const m of this.masks.values()) this.engine.free(m.ptr);
    this.masks.clear();
    this.resolved = undefined;
  }

  /** @internal Recomputes the masks from the weights' zeros (one pass at prune time, not per step). */
  refresh(): void {
    const net = this.model.requireNet();
    const params = this.engine.f32(net.params, net.slabFloats);
    for (const slot of net.slots) {
      const m = this.masks.get(slot.name);
      if (!m) continue;
      const mask = this.engine.f32(m.ptr, m.size);
      for (let i = 0; i < slot.size; i++) mask[i] = params[slot.offset + i] === 0 ? 0 : 1;
    }
  }

  private applyTo(net: Net): void {
    if (this.resolved?.net !== net) {
      // setTrainable() lays the slabs out again: find the kernels by name in the new layout.
      const list: Array<[number, number, number]> = [];
      for (const slot of net.slots as TensorSlot[]) {
        const m = this.masks.get(slot.name);
        if (m) list.push([net.ptr(net.params, slot), m.ptr, m.size]);
      }
      this.resolved = { net, list };
    }
    const k = net.engine.k;
    for (const [w, mask, n] of this.resolved.list) k.mask_f32(w, mask, n);
  }

  private assertActive(): void {
    if (this.ended) throw new SimdnetError('STATE', 'this pruning session has ended');
  }
}

/**
 * Starts keeping the model's pruned (zero) weights at zero through training; see {@link PruningSession}.
 * One session per model at a time.
 */
export function startPruning(model: Sequential): PruningSession {
  idleModel(model, 'startPruning()');
  requireSupported(model.layers, 'startPruning()');
  return new PruningSession(model);
}

/** The active pruning session of a model, if any. */
export function pruningSession(model: Sequential): PruningSession | undefined {
  // Not idleModel: a callback may ask during fit().
  check(
    model instanceof Sequential,
    'DTYPE',
    () =>
      `pruningSession() takes a Sequential model, got ${model === null ? 'null' : Array.isArray(model) ? 'an array' : typeof model}`,
  );
  return sessions.get(model);
}

/** Options of {@link pruneIteratively}. */
export interface IterativePruneOptions {
  /** Final sparsity in [0, 1) (required unless `schedule` is given). */
  sparsity?: number;
  /**
   * Prune-and-retrain rounds (default 3). Each round removes the same fraction of the weights still left, so
   * round i of n reaches 1 − (1 − sparsity)^(i/n): 90% in 3 rounds goes 53.6%, 78.5%, 90%.
   */
  steps?: number;
  /** Explicit increasing sparsities per round (instead of sparsity/steps); the last one is the final sparsity. */
  schedule?: number[];
  /** 'layer' (default): each kernel reaches the sparsity; 'global': one threshold over all of them. */
  scope?: PruneScope;
  /** Dense and conv2d layers to prune, by index or name (default: every trainable one). */
  layers?: ReadonlyArray<number | string>;
  /** Fine-tuning epochs after each round (default 1). */
  epochs?: number;
  /** Learning rate while fine-tuning (default: the compiled optimizer's divided by 10, as Han et al.); restored after. */
  learningRate?: number;
  /** Batch size while fine-tuning (default: fit()'s). */
  batchSize?: number;
  /** Seed of the fine-tuning's shuffling and dropout. */
  seed?: number;
  /** Inputs and targets evaluated after each pruning and each fine-tuning. */
  validationData?: [MatrixInput, TargetInput];
  /** Callbacks of the fine-tuning fit() calls. */
  callbacks?: Callback | Callback[];
  /** Keep the pruning session (masks) active after the last round, for more fine-tuning (default false). */
  keepSession?: boolean;
}

/** One prune-and-retrain round. */
export interface PruneRound {
  /** Target of the round. */
  target: number;
  /** Sparsity right after pruning and after fine-tuning (equal: the masks hold). */
  sparsity: number;
  /** Training loss of the last fine-tuning epoch. */
  loss: number;
  /** On validationData after pruning (before fine-tuning). */
  pruned?: EvalResult;
  /** On validationData after fine-tuning. */
  tuned?: EvalResult;
}

/** What {@link pruneIteratively} returns. */
export interface IterativePruneResult {
  /** One entry per round. */
  rounds: PruneRound[];
  /** The kernels' sparsity at the end. */
  sparsity: SparsityReport;
  /** The active session when keepSession was set. */
  session?: PruningSession;
}

/**
 * Iterative magnitude pruning with retraining (Han et al. 2015): each round prunes to the next sparsity of the
 * schedule and fine-tunes with the masks held, at a tenth of the compiled learning rate. The model must be
 * compiled. Options and data are checked before the first weight changes.
 */
export async function pruneIteratively(
  model: Sequential,
  x: MatrixInput,
  y: TargetInput,
  options: IterativePruneOptions,
): Promise<IterativePruneResult> {
  const what = 'pruneIteratively()';
  idleModel(model, what);
  check(typeof options === 'object' && options !== null, 'RANGE', `${what} needs options { sparsity, steps?, ... }`);
  const opt = model.optimizer;
  check(
    opt !== undefined,
    'STATE',
    `${what}: compile the model (and build or fit it) first: fine-tuning needs its loss and optimizer`,
  );
  let schedule: number[];
  if (options.schedule !== undefined) {
    check(
      Array.isArray(options.schedule) && options.schedule.length > 0,
      'RANGE',
      `${what}: schedule must be a non-empty array of sparsities`,
    );
    schedule = options.schedule.map((s) => checkSparsity(s, what));
    check(
      schedule.every((s, i) => i === 0 || s >= schedule[i - 1]),
      'RANGE',
      `${what}: schedule must not decrease, got [${schedule.join(', ')}]`,
    );
  } else {
    const target = checkSparsity(options.sparsity, what);
    const steps = options.steps ?? 3;
    check(
      Number.isInteger(steps) && steps >= 1 && steps <= 1000,
      'RANGE',
      `${what}: steps must be an integer in [1, 1000], got ${String(steps)}`,
    );
    schedule = Array.from({ length: steps }, (_, i) =>
      i === steps - 1 ? target : 1 - (1 - target) ** ((i + 1) / steps),
    );
  }
  const epochs = options.epochs ?? 1;
  check(
    Number.isInteger(epochs) && epochs >= 0,
    'RANGE',
    `${what}: epochs must be an integer >= 0, got ${String(epochs)}`,
  );
  const lr = options.learningRate ?? opt.learningRate / 10;
  check(
    typeof lr === 'number' && Number.isFinite(lr) && lr > 0,
    'RANGE',
    `${what}: learningRate must be a positive number, got ${String(lr)}`,
  );
  const base = { scope: options.scope, layers: options.layers };
  // Validate the layers and the data now, so a bad call changes nothing.
  planPrune(model, { ...base, sparsity: schedule[0] }, what);
  const mx = model.toInputs(x);
  model.toTargets(y, mx.rows);
  if (options.validationData) {
    const [vx, vy] = options.validationData;
    model.toTargets(vy, model.toInputs(vx, 'validationData x').rows, 'validationData y');
  }

  const existing = sessions.get(model);
  const session = existing ?? startPruning(model);
  const savedLr = opt.learningRate;
  const rounds: PruneRound[] = [];
  const evalVal = (): EvalResult | undefined =>
    options.validationData ? model.evaluate(...options.validationData) : undefined;
  try {
    opt.learningRate = lr;
    for (let r = 0; r < schedule.length; r++) {
      const rep = session.prune({ ...base, sparsity: schedule[r] });
      const pruned = evalVal();
      const h = await model.fit(x, y, {
        epochs,
        batchSize: options.batchSize,
        seed: options.seed === undefined ? undefined : options.seed + r,
        callbacks: options.callbacks,
      });
      const round: PruneRound = { target: schedule[r], sparsity: rep.sparsity, loss: h.history.loss?.at(-1) ?? NaN };
      if (pruned) {
        round.pruned = pruned;
        round.tuned = evalVal();
      }
      rounds.push(round);
    }
  } finally {
    if (model.optimizer === opt) opt.learningRate = savedLr;
    if (!existing && !options.keepSession) session.end();
  }
  const out: IterativePruneResult = {
    rounds,
    sparsity: sparsityOf(model, planPrune(model, { ...base, sparsity: 0 }, what).layers),
  };
  if (session.active) out.session = session;
  return out;
}
