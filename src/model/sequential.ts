import { borrowMatrix, toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { toTargets } from '../data/preprocess.js';
import { checkOptions, checkValue } from '../args.js';
import { SimdnetError, check } from '../errors.js';
import {
  activationOf,
  declaredInputShape,
  dropDeclaredInput,
  inferShapes,
  isTrainable,
  kindOf,
  paramDefs,
  sizeOf,
  validateSpec,
  type Shape,
} from '../layers/index.js';
import { showShape } from '../layers/layer.js';
import type { Activation, LayerSpec } from '../layers/index.js';
import { Rng } from '../random.js';
import { getEngine, type Backend, type Engine } from '../runtime/engine.js';
import {
  checkLabels,
  isCustomLoss,
  isLoss,
  planLoss,
  viewLoss,
  type CustomLoss,
  type Loss,
  type LossName,
  type LossOptions,
} from '../train/losses.js';
import type { History } from '../train/callbacks.js';
import { batchSizeOf, fit, type FitOptions } from '../train/fit.js';
import { fitStream, isBatchSource, type BatchSource } from '../train/stream.js';
import { Optimizer, resolveOptimizer, type OptimizerConfig } from '../train/optimizers.js';
import { initKernel } from './init.js';
import { Net, type TensorSlot } from './net.js';
import { classifyRows, inferenceRows, predictRows, scoreResident, type Runner } from './plan.js';
import {
  checkMetricTargets,
  planMetrics,
  savedMetricNames,
  type Metric,
  type MetricPlan,
} from '../metrics/evaluate.js';
import {
  encodeInputs,
  ModelPreprocessing,
  PreprocessingCache,
  type PreprocessingOptions,
} from '../data/model-preprocessing.js';
import { withScaler } from './plan.js';

/** Options of {@link sequential}. */
export interface ModelOptions {
  /** Kernels to run on (default 'wasm': call `await init()` first, or let fit() do it). */
  backend?: Backend;
  /** An engine of your own (createEngine), instead of the backend's shared one. */
  engine?: Engine;
  /** Seeds the weight initialization (default: fit's seed when fit builds the model, else random). */
  seed?: number;
  /** The model's name (default 'sequential'). */
  name?: string;
}

/** What compile() takes. */
export interface CompileOptions {
  /** A built-in loss by name, a {@link CustomLoss} on Float32Array views, or a pointer-level {@link Loss} (such as distillation's). */
  loss: LossName | CustomLoss | Loss;
  /** Options of a built-in loss: `{ delta }` for 'huber' (default 1). */
  lossOptions?: LossOptions;
  /** 'sgd', 'adam', 'rmsprop', 'adagrad' or a config from sgd({...}) / adam({...}) / rmsprop({...}) / adagrad({...}). Default 'adam'. */
  optimizer?: 'sgd' | 'adam' | 'rmsprop' | 'adagrad' | OptimizerConfig;
  /**
   * Metrics for evaluate() and fit's validation logs (`val_<name>`), e.g. ['accuracy', 'f1', 'auc']: names from
   * {@link MetricName} or custom `{ name, fn(outputs, targets) }` (see docs/metrics.md). 'accuracy' is also
   * logged per training batch.
   */
  metrics?: Metric[];
}

/** Labels: a matrix of targets (one-hot, probabilities, regression values), or class indices for several outputs. */
export type TargetInput = MatrixInput;

/** One weight tensor as getWeights() returns it (row-major; a kernel is fan_in × fan_out, as Keras). */
export interface WeightTensor {
  /** `<layer>/<weight>`, e.g. 'dense_1/kernel'. */
  name: string;
  /** Keras's layout: dense kernels [fan_in, fan_out], conv2d kernels [kh, kw, in, filters], biases [n]. */
  shape: number[];
  /** The values, row-major in that shape. */
  data: Float32Array;
}

/**
 * Loss, accuracy (argmax agreement; for one output, rounding at 0.5) and every other compiled (or asked) metric
 * of evaluate(), by name.
 */
export interface EvalResult {
  /** Mean loss over the rows. */
  loss: number;
  /** Fraction of rows classified right, in [0, 1] (with metrics: ['accuracy']). */
  accuracy?: number;
  [metric: string]: number | undefined;
}

/** Options of evaluate(). */
export interface EvaluateOptions {
  batchSize?: number;
  /** Metrics for this call instead of the compiled ones (same forms as compile's). */
  metrics?: Metric[];
}

/** @internal The compiled training setup. */
export interface Compiled {
  loss: Loss;
  optimizer: Optimizer;
  accuracy: boolean;
  /** The compiled metrics besides accuracy. */
  metrics: MetricPlan;
}

/**
 * Hooks into each training step, for tools that change how a step works without forking the loop (simdnet's own:
 * fake quantization swaps weights around forward/backward, pruning masks re-apply after the update; not a stable API).
 */
export interface TrainHook {
  /** Before the forward pass of a training step. */
  beforeForward?(net: Net): void;
  /** After backward (gradients in net.grads), before the optimizer update. */
  afterBackward?(net: Net): void;
  /** After the optimizer update. */
  afterUpdate?(net: Net): void;
}

/**
 * A stack of layers, trained and run on one engine. Parameters live in the engine's linear memory; call
 * dispose() to give it back.
 */
export class Sequential {
  /** The layers' specs, in order. */
  readonly layers: LayerSpec[];
  /** The model's name. */
  readonly name: string;
  /** Set to true from a callback to end fit() after the current batch. */
  stopTraining = false;
  /** Free-form data saved with the model (e.g. a fitted scaler's toJSON()). */
  metadata: Record<string, unknown> = {};
  private readonly backendName: Backend;
  private readonly ownEngine: Engine | undefined;
  private seed: number | undefined;
  /** The input shape the layers declare (inputShape / inputDim of the first layer that gives one). */
  private readonly declared: Shape | undefined;
  /** @internal */ net: Net | undefined;
  /** @internal */ compiled: Compiled | undefined;
  private compileOptions: CompileOptions | undefined;
  private disposed = false;
  /** @internal true while fit() runs (re-entrant calls are refused). */
  busy = false;
  /** Optimizer steps taken on this model so far (saved with it): 0 means untrained. */
  trainedSteps = 0;
  /** @internal Step hooks run by fit() (see TrainHook). */
  trainHooks: TrainHook[] = [];

  constructor(layers: LayerSpec[], options: ModelOptions = {}) {
    check(Array.isArray(layers) && layers.length > 0, 'EMPTY', 'a model needs at least one layer');
    checkOptions(options, 'sequential()', { backend: 'string', seed: 'number', name: 'string' });
    // validateSpec returns a fresh, normalized copy (the caller's objects stay theirs). Not structuredClone: in
    // Node 20 it opens a MessageChannel, whose handles cost milliseconds at process exit (cold start).
    this.layers = layers.map((l, i) => validateSpec(l, i));
    const names = new Set<string>();
    for (const l of this.layers) {
      check(!names.has(l.name), 'RANGE', `two layers are named '${l.name}'`);
      names.add(l.name);
    }
    // The first layer that declares an input shape gives the model's; any later declaration is dropped.
    const first = this.layers.findIndex((l) => declaredInputShape([l]) !== undefined);
    this.layers.forEach((l, i) => {
      if (i !== first) dropDeclaredInput(l);
    });
    this.declared = first >= 0 ? declaredInputShape([this.layers[first]]) : undefined;
    this.backendName = options.engine?.backend ?? options.backend ?? 'wasm';
    check(
      this.backendName === 'wasm' || this.backendName === 'js',
      'RANGE',
      `unknown backend '${String(this.backendName)}'`,
    );
    this.ownEngine = options.engine;
    if (options.seed !== undefined) {
      check(Number.isInteger(options.seed), 'RANGE', `seed must be an integer, got ${options.seed}`);
    }
    this.seed = options.seed;
    this.name = options.name ?? 'sequential';
  }

  /** The backend this model computes on. */
  get backend(): Backend {
    return this.backendName;
  }

  /** Input width: values per sample, an image's h·w·c (undefined until known). */
  get inputDim(): number | undefined {
    if (this.net) return this.net.inputs;
    return this.declared ? sizeOf(this.declared) : undefined;
  }

  /** The shape of one input sample, e.g. [28, 28, 1] (undefined until known). */
  get inputShape(): Shape | undefined {
    const s = this.net?.shapes[0] ?? this.declared;
    return s ? [...s] : undefined;
  }

  /** The shape of one output sample (undefined until the input shape is known). */
  get outputShape(): Shape | undefined {
    const s = this.net
      ? this.net.shapes[this.layers.length]
      : this.declared && inferShapes(this.layers, this.declared).at(-1);
    return s ? [...s] : undefined;
  }

  /** Output width. */
  get outputDim(): number {
    const shape = this.outputShape;
    if (shape) return sizeOf(shape);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      if (l.type === 'dense') return l.units;
      if (
        !kindOf(l).isView?.(l, false) &&
        l.type !== 'dropout' &&
        l.type !== 'activation' &&
        l.type !== 'batchNormalization'
      )
        break;
    }
    throw new SimdnetError(
      'STATE',
      'the output width is not known until the model is built: give the first layer an input shape',
    );
  }

  /** True once parameters exist (the input width is known). */
  get built(): boolean {
    return this.net !== undefined;
  }

  /** The optimizer after compile() (its learningRate can be changed between steps). */
  get optimizer(): Optimizer | undefined {
    return this.compiledIfAny()?.optimizer;
  }

  /** @internal */
  assertLive(): void {
    if (this.disposed) throw new SimdnetError('DISPOSED', `model '${this.name}' was disposed`);
  }

  /** @internal */
  assertIdle(what: string): void {
    this.assertLive();
    if (this.busy) throw new SimdnetError('STATE', `${what} while fit() is running on this model`);
  }

  /** @internal True when the model runs on an engine given to it (options.engine) rather than init()'s. */
  get hasOwnEngine(): boolean {
    return this.ownEngine !== undefined;
  }

  private engine(): Engine {
    return this.ownEngine ?? getEngine(this.backendName);
  }

  /**
   * Creates the parameters for an input width or sample shape (done for you by fit/predict when the first layer
   * declares no input shape; a width fits a declared shape of that size). Weights are initialized from the
   * model's seed. A layer that does not fit its input is refused here, naming the layer and both shapes.
   * @param initialize internal: false leaves the (zeroed) weights for the caller to set, e.g. loadModel.
   */
  build(input: number | Shape, seed?: number, initialize = true): this {
    this.assertIdle('build()');
    if (seed !== undefined) checkValue(seed, 'number', 'build(): seed');
    const shape = this.resolveInput(input);
    if (this.net) return this;
    const layerDefs = paramDefs(this.layers, inferShapes(this.layers, shape)); // SHAPE errors before any allocation
    const net = new Net(this.engine(), this.layers, shape);
    this.seed ??= seed ?? (Math.random() * 2 ** 31) | 0;
    const rng = new Rng(this.seed);
    const view = net.engine.f32(net.params, net.slabFloats);
    for (const slot of initialize ? net.slots : []) {
      const def = layerDefs[slot.layer][net.slotsOf(slot.layer).indexOf(slot)];
      const w = view.subarray(slot.offset, slot.offset + slot.size);
      if (def.init === 'ones') w.fill(1);
      else if (def.init !== 'zeros') initKernel(w, def.init, def.fanIn, def.fanOut, rng);
    }
    this.net = net;
    if (this.compileOptions) this.compile(this.compileOptions);
    return this;
  }

  /** The sample shape for a build() argument, checked against the declared or built one. */
  private resolveInput(input: number | Shape): Shape {
    const known = this.net?.shapes[0] ?? this.declared;
    if (typeof input === 'number') {
      check(Number.isInteger(input) && input > 0, 'SHAPE', `input width must be a positive integer, got ${input}`);
      if (known) {
        check(
          sizeOf(known) === input,
          'SHAPE',
          `the model takes ${sizeOf(known)} inputs${known.length > 1 ? ` (${showShape(known)})` : ''}, got ${input}`,
        );
        return [...known];
      }
      return [input];
    }
    check(
      Array.isArray(input) && input.length > 0 && input.every((d) => Number.isInteger(d) && d > 0),
      'SHAPE',
      `input shape must be a list of positive integers, got ${JSON.stringify(input)}`,
    );
    if (known) {
      const same = known.length === input.length && known.every((d, j) => d === input[j]);
      check(same, 'SHAPE', `the model takes input ${showShape(known)}, got ${showShape(input)}`);
    }
    return [...input];
  }

  /** @internal The built net (throws when not built yet). */
  requireNet(): Net {
    this.assertLive();
    if (!this.net) {
      if (this.declared === undefined)
        throw new SimdnetError(
          'STATE',
          'the model is not built: give the first layer an inputDim (or inputShape), or fit/predict first',
        );
      this.build(this.declared);
    }
    return this.net!;
  }

  /** Sets the loss, optimizer and metrics for fit/evaluate. Optimizer state starts fresh. */
  compile(options: CompileOptions): this {
    this.assertIdle('compile()');
    check(typeof options === 'object' && options !== null, 'RANGE', 'compile() needs { loss, optimizer?, metrics? }');
    const last = [...this.layers].reverse().find((l) => l.type !== 'dropout');
    const lastAct = (last && activationOf(last)) ?? 'linear';
    // The trailing fusion works only when the activation is the very last layer (no dropout after it), on
    // outputs that are one vector per sample (a softmax over a map's channels is not one distribution a row).
    const outRank = this.outputShape?.length ?? 1;
    const canFuse = this.layers[this.layers.length - 1] === last && outRank === 1;
    const loss = isLoss(options.loss)
      ? options.loss
      : isCustomLoss(options.loss)
        ? viewLoss(options.loss, () => this.requireNet().engine.memory)
        : planLoss(options.loss, lastAct as Activation, canFuse, options.lossOptions ?? {});
    check(!loss.fused || canFuse, 'RANGE', `loss '${loss.name}' reads logits, so the model must end in its activation`);
    const optConfig = resolveOptimizer(options.optimizer ?? 'adam');
    const metrics = planMetrics(options.metrics, 'compile()');
    if (this.net) checkMetricTargets(metrics, this.net.outputs, loss.targetCols(this.net.outputs), loss.name);
    this.compileOptions = { ...options };
    if (!this.net) return this; // finished by build()
    const targetCols = loss.targetCols(this.net.outputs);
    this.compiled?.optimizer.dispose();
    if (this.net.fused !== loss.fused || this.net.targetCols !== targetCols) {
      this.net.releaseBuffers();
      this.net.fused = loss.fused;
      this.net.targetCols = targetCols;
    }
    this.compiled = {
      loss,
      optimizer: new Optimizer(optConfig, this.net.engine, this.net.trainableFloats),
      accuracy: metrics.accuracy,
      metrics,
    };
    return this;
  }

  /** The options given to compile() (with the optimizer's full config), or undefined. */
  compileSettings(): CompileOptions | undefined {
    this.assertLive();
    const o = this.compileOptions;
    if (!o) return undefined;
    if (typeof o.loss !== 'string') return undefined; // a custom loss is code, not data: not saved
    const optimizer = this.compiled?.optimizer.config ?? resolveOptimizer(o.optimizer ?? 'adam');
    return {
      loss: o.loss,
      ...(o.lossOptions ? { lossOptions: { ...o.lossOptions } } : {}),
      optimizer: { ...optimizer },
      metrics: savedMetricNames(o.metrics),
    };
  }

  /**
   * @internal Keeps compile settings (from a file) to apply once training, evaluation or the optimizer needs
   * them: a model loaded only to predict then never pays for compile().
   */
  compileLater(options: CompileOptions): void {
    this.compileOptions = { ...options };
  }

  /** The compile state, compiling settings kept by compileLater() or an unbuilt compile() on a built model. */
  private compiledIfAny(): Compiled | undefined {
    if (!this.compiled && this.compileOptions && this.net && !this.disposed) this.compile(this.compileOptions);
    return this.compiled;
  }

  /** @internal Compile state for a built model (throws if compile() was never called). */
  requireCompiled(): Compiled {
    this.requireNet(); // building finishes a compile() made before the model was built
    const c = this.compiledIfAny();
    if (!c) throw new SimdnetError('STATE', 'call compile({ loss, optimizer }) before fit() or evaluate()');
    return c;
  }

  /**
   * @internal Validates and converts inputs, building the model on first use; `borrow`: see borrowMatrix. Rows
   * given as objects are encoded and rows are scaled by the model's preprocessing (a fresh matrix then).
   */
  toInputs(x: MatrixInput | ReadonlyArray<Record<string, unknown>>, name = 'x', borrow = false): Matrix {
    this.assertLive();
    const cols = this.net?.inputs ?? this.inputDim;
    const p = this.preprocessing;
    const given = encodeInputs(p, x) as MatrixInput;
    const mx = borrow ? borrowMatrix(given, name, cols) : toMatrix(given, name, cols);
    if (!this.net) this.build(mx.cols);
    return p?.affine ? p.transform(mx) : mx;
  }

  private readonly prepCache = new PreprocessingCache();

  /**
   * What the model does to its input rows before its first layer — a fitted scaler, one-hot encoding of named
   * columns — and the names of its classes, or undefined. Read from `metadata.preprocessing`, so it is saved with
   * the model (float, quantized and sparse files) and loadModel brings it back; `simdnet train` writes it too.
   */
  get preprocessing(): ModelPreprocessing | undefined {
    return this.prepCache.get(this.metadata?.preprocessing, this.inputDim);
  }

  /**
   * Makes the model apply preprocessing itself (as a Keras Normalization layer would): `scaler` (a fitted
   * Standardizer / MinMaxScaler) scales every row fit, evaluate, predict and predictClasses get — give them raw
   * rows from then on —, `features` (+ `oneHot` categories) let rows be objects `{ column: value }`, `classes` names
   * the outputs (`predictClasses(x, { names: true })`). null removes it. Saved with the model.
   * @throws SimdnetError STATE (unfitted scaler, unknown input width), SHAPE (a width that does not fit the model).
   */
  setPreprocessing(options: PreprocessingOptions | null): this {
    this.assertIdle('setPreprocessing()');
    if (options === null) {
      const { preprocessing: _drop, ...rest } = this.metadata;
      this.metadata = rest;
      return this;
    }
    const inputs = this.inputDim;
    check(
      inputs !== undefined,
      'STATE',
      'setPreprocessing(): the input width is not known yet: give the first layer an inputDim (or inputShape), or build() the model',
    );
    const p = ModelPreprocessing.fromOptions(options, inputs, this.outputDim);
    this.metadata = { ...this.metadata, preprocessing: p.toJSON() };
    return this;
  }

  /** @internal Validates targets against the outputs and the loss. */
  toTargets(y: TargetInput, rows: number, name = 'y'): Matrix {
    const out = this.outputDim;
    const loss = this.compiledIfAny()?.loss;
    const cols = loss ? loss.targetCols(out) : out;
    const my = toTargets(y, out, name, cols);
    check(my.rows === rows, 'SHAPE', `${name} has ${my.rows} rows but x has ${rows}`);
    loss?.checkTargets(my, name);
    if (loss?.name === 'sparseCategoricalCrossentropy') checkLabels(my, out, name);
    return my;
  }

  /**
   * Trains the model on (x, y) with the compiled loss and optimizer; see {@link FitOptions}. Resolves to the
   * per-epoch history. The model must not be used for anything else until it resolves.
   */
  fit(x: MatrixInput, y: TargetInput, options?: FitOptions): Promise<History>;
  /**
   * Trains on batches `{ x, y }` streamed from `source`: an (async) iterable or generator, or a function returning a
   * new one per epoch (see {@link BatchSource}). Memory stays that of one batch, whatever the size of the data.
   */
  fit(source: BatchSource, options?: FitOptions): Promise<History>;
  fit(x: MatrixInput | BatchSource, y?: TargetInput | FitOptions, options: FitOptions = {}): Promise<History> {
    if (isBatchSource(x)) {
      // biome-ignore lint/complexity/noArguments: a third argument after a stream is a misuse the overloads' types cannot stop in JS
      if (arguments.length > 2) {
        return Promise.reject(
          new SimdnetError(
            'RANGE',
            'fit(source, options): a stream of batches carries its targets in each batch { x, y }; pass the options second',
          ),
        );
      }
      return fitStream(this, x, (y ?? {}) as FitOptions);
    }
    return fit(this, x, y as TargetInput, options);
  }

  /**
   * Outputs for each row of x (probabilities after softmax/sigmoid), as a rows × outputs matrix. With
   * preprocessing (see setPreprocessing) x is raw rows: the model scales them (and encodes object rows) itself.
   */
  predict(x: MatrixInput | ReadonlyArray<Record<string, unknown>>, options: { batchSize?: number } = {}): Matrix {
    this.assertIdle('predict()');
    checkOptions(options, 'predict()', { batchSize: 'count' });
    return this.runInference(x, this.layers.length - 1, options.batchSize);
  }

  /**
   * Inference up to layer `upTo` over all rows of x, in batches (the loops of model/plan.ts, shared with the
   * compressed models). Float32Array inputs are staged straight into the engine's memory and checked for NaN/Inf
   * by a kernel there; other inputs go through toMatrix (copy + check).
   */
  private runInference(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    upTo: number,
    batchSize: number | undefined,
  ): Matrix {
    const p = this.preprocessing;
    const { mx, checked } = inferenceRows(encodeInputs(p, x) as MatrixInput, this.net?.inputs ?? this.inputDim);
    if (!this.net) this.build(mx.cols);
    const net = this.requireNet();
    const r = this.runnerOf(net);
    return withScaler(net.engine, p, (sc) => {
      if (upTo === this.layers.length - 1) return predictRows(r, mx, checked, batchSize, undefined, r.outputs, sc);
      return predictRows(
        r,
        mx,
        checked,
        batchSize,
        (m, input) => net.forward(m, false, 0, input, upTo),
        net.dims[upTo + 1],
        sc,
      );
    });
  }

  /**
   * The class index (argmax of the outputs; output >= 0.5 for a single output) of each row of x; with
   * `names: true` the class names of the model's preprocessing (setPreprocessing({ classes }), or simdnet train's).
   */
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options?: { batchSize?: number; names?: false },
  ): Int32Array;
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options: { batchSize?: number; names: true },
  ): string[];
  predictClasses(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    options: { batchSize?: number; names?: boolean } = {},
  ): Int32Array | string[] {
    this.assertIdle('predict()');
    checkOptions(options, 'predictClasses()', { batchSize: 'count', names: 'boolean' });
    const p = this.preprocessing;
    check(
      !options?.names || p?.classes !== undefined,
      'STATE',
      'predictClasses({ names: true }): the model has no class names: setPreprocessing({ classes: [...] })',
    );
    const { mx, checked } = inferenceRows(encodeInputs(p, x) as MatrixInput, this.net?.inputs ?? this.inputDim);
    if (!this.net) this.build(mx.cols);
    const net = this.requireNet();
    const idx = withScaler(net.engine, p, (sc) =>
      classifyRows(this.runnerOf(net), mx, checked, options?.batchSize, sc),
    );
    return options?.names ? p!.names(idx) : idx;
  }

  private runner: NetRunner | undefined;

  /** @internal The built net as the shared inference loops (model/plan.ts) run it. */
  runnerOf(net: Net): Runner {
    if (this.runner?.net !== net) this.runner = new NetRunner(net, this.layers);
    return this.runner;
  }

  /**
   * Mean loss (the compiled loss, plus regularization) and accuracy over (x, y), in inference mode: the same
   * meaning as QuantizedModel's and SparseModel's evaluate.
   */
  evaluate(
    x: MatrixInput | ReadonlyArray<Record<string, unknown>>,
    y: TargetInput,
    options: EvaluateOptions = {},
  ): EvalResult {
    this.assertIdle('evaluate()');
    checkOptions(options, 'evaluate()', { batchSize: 'count' });
    const asked =
      options.metrics !== undefined && options.metrics !== null
        ? planMetrics(options.metrics, 'evaluate()')
        : undefined;
    const mx = this.toInputs(x, 'x', true); // uploaded below, before any other code runs
    const c = this.requireCompiled();
    const my = this.toTargets(y, mx.rows);
    const net = this.requireNet();
    const e = net.engine;
    const bs = batchSizeOf(options.batchSize ?? 256);
    const xs = e.upload(mx.data);
    const ys = e.upload(my.data);
    try {
      return this.evaluateResident(net, c, xs, ys, mx.rows, bs, asked ? asked.accuracy : true, asked ?? c.metrics);
    } finally {
      e.free(xs);
      e.free(ys);
    }
  }

  /**
   * @internal Evaluates data already in the engine's memory (x rows × inputs at xs, targets at ys); accuracy when
   * asked (default: when compiled with metrics ['accuracy'], as fit's validation logs).
   */
  evaluateResident(
    net: Net,
    c: Compiled,
    xs: number,
    ys: number,
    rows: number,
    batchSize: number,
    accuracy = c.accuracy,
    metrics = c.metrics,
  ): EvalResult {
    const r = scoreResident(this.runnerOf(net), c.loss, accuracy, xs, ys, rows, net.targetCols, batchSize, metrics);
    const res: EvalResult = { loss: r.loss! + net.regularizationLoss() };
    if (r.accuracy !== undefined) res.accuracy = r.accuracy;
    Object.assign(res, r.metrics);
    return res;
  }

  /**
   * The outputs of one inner layer (by index or name) for each row of x, in inference mode: features from a
   * trained body for use elsewhere (transfer learning, embeddings).
   */
  features(x: MatrixInput, layer: number | string, options: { batchSize?: number } = {}): Matrix {
    this.assertIdle('features()');
    checkOptions(options, 'features()', { batchSize: 'count' });
    const i = this.layerIndex(layer);
    check(!(this.net?.fused && i === this.layers.length - 1), 'RANGE', 'features() of the last layer: use predict()');
    return this.runInference(x, i, options.batchSize);
  }

  /** Index of a layer given by index or name (throws RANGE naming the layers when unknown). */
  layerIndex(layer: number | string): number {
    this.assertLive();
    const i = typeof layer === 'number' ? layer : this.layers.findIndex((l) => l.name === layer);
    check(
      Number.isInteger(i) && i >= 0 && i < this.layers.length,
      'RANGE',
      `no layer ${JSON.stringify(layer)} (the model has ${this.layers.length}: ${this.layers.map((l) => l.name).join(', ')})`,
    );
    return i;
  }

  /**
   * Freezes (false) or unfreezes (true) layers with weights, by index or name. A frozen layer gets no gradients,
   * no updates and no optimizer state (a frozen batch norm also normalizes with its moving statistics while
   * training); the slabs are laid out again (weights kept) and optimizer state restarts.
   */
  setTrainable(layers: number | string | Array<number | string>, trainable: boolean): this {
    this.assertIdle('setTrainable()');
    checkValue(trainable, 'boolean', 'setTrainable(): trainable');
    const idx = (Array.isArray(layers) ? layers : [layers]).map((l) => this.layerIndex(l));
    for (const i of idx)
      check(
        isTrainable(this.layers[i]) !== undefined,
        'RANGE',
        `layer ${this.layers[i].name} has no weights to freeze`,
      );
    const old = this.net;
    const weights = old ? this.getWeights() : undefined;
    const before = idx.map((i) => isTrainable(this.layers[i])!);
    const set = (i: number, on: boolean): void => kindOf(this.layers[i]).setTrainable!(this.layers[i], on);
    for (const i of idx) set(i, trainable);
    if (!old || !weights) return this;
    let net: Net;
    try {
      net = new Net(old.engine, this.layers, old.shapes[0]);
    } catch (err) {
      idx.forEach((i, j) => set(i, before[j])); // out of memory: as before
      throw err;
    }
    net.fused = old.fused;
    net.targetCols = old.targetCols;
    this.compiled?.optimizer.dispose();
    this.compiled = undefined;
    old.dispose();
    this.net = net;
    this.setWeights(weights);
    if (this.compileOptions) this.compile(this.compileOptions);
    return this;
  }

  /**
   * Copies of the weights, in layer order, each layer's in Keras's order and layout: a dense kernel is
   * (fan_in, fan_out), a conv2d kernel (kh, kw, in_channels, filters), then the bias; batch norm's gamma, beta,
   * moving mean, moving variance.
   */
  getWeights(): WeightTensor[] {
    this.assertIdle('getWeights()');
    const net = this.requireNet();
    const view = net.engine.f32(net.params, net.slabFloats);
    return net.slots.map((s) => ({ name: s.name, shape: [...s.shape], data: view.slice(s.offset, s.offset + s.size) }));
  }

  /** Replaces the weights (same order and shapes as getWeights()); checked fully before anything changes. */
  setWeights(weights: ReadonlyArray<{ shape?: readonly number[]; data: ArrayLike<number> } | ArrayLike<number>>): void {
    this.assertIdle('setWeights()');
    const net = this.requireNet();
    check(Array.isArray(weights), 'DTYPE', 'setWeights() takes an array of tensors');
    check(
      weights.length === net.slots.length,
      'SHAPE',
      `setWeights() got ${weights.length} tensors, the model has ${net.slots.length} (${net.slots.map((s) => s.name).join(', ')})`,
    );
    const arrays: ArrayLike<number>[] = weights.map((w, i) => {
      const slot = net.slots[i];
      check(
        w !== null && typeof w === 'object',
        'DTYPE',
        () => `setWeights(): ${slot.name} is ${w === null ? 'null' : typeof w}, not a tensor or array of numbers`,
      );
      const data =
        'data' in w && !ArrayBuffer.isView(w) ? (w as { data: ArrayLike<number> }).data : (w as ArrayLike<number>);
      const shape = (w as { shape?: readonly number[] }).shape;
      if (shape !== undefined) {
        check(
          Array.isArray(shape) && shape.length === slot.shape.length && shape.every((d, j) => d === slot.shape[j]),
          'SHAPE',
          `setWeights(): ${slot.name} has shape [${slot.shape}], got [${shape}]`,
        );
      }
      check(
        data !== null && typeof data === 'object' && typeof data.length === 'number',
        'DTYPE',
        `setWeights(): ${slot.name} has no numeric data`,
      );
      check(
        data.length === slot.size,
        'SHAPE',
        `setWeights(): ${slot.name} needs ${slot.size} values, got ${data.length}`,
      );
      // Typed arrays hold numbers; a plain array may hold anything (a string would become NaN, then NONFINITE).
      if (!ArrayBuffer.isView(data)) {
        for (let j = 0; j < data.length; j++)
          check(
            typeof data[j] === 'number',
            'DTYPE',
            () => `setWeights(): ${slot.name} holds ${typeof data[j]} at ${j}, not a number`,
          );
      }
      return data;
    });
    const e = net.engine;
    const tmp = e.allocF32(net.slabFloats);
    try {
      const view = e.f32(tmp, net.slabFloats);
      view.set(e.f32(net.params, net.slabFloats));
      arrays.forEach((a, i) => view.set(a, net.slots[i].offset));
      const bad = e.k.count_nonfinite(tmp, net.slabFloats);
      if (bad > 0) {
        const v = e.f32(tmp, net.slabFloats);
        const at = net.slots.find((s) => v.subarray(s.offset, s.offset + s.size).some((x) => !Number.isFinite(x)));
        throw new SimdnetError('NONFINITE', `setWeights(): ${bad} NaN/Inf value(s)${at ? ` in ${at.name}` : ''}`);
      }
      e.f32(net.params, net.slabFloats).set(e.f32(tmp, net.slabFloats));
    } finally {
      e.free(tmp);
    }
  }

  /** Number of parameters (trainable and frozen; batch norm's moving statistics count as frozen, as Keras). */
  countParams(): {
    /** Every parameter (weights, biases, batch-norm statistics). */
    total: number;
    /** Those the optimizer updates (frozen layers' and moving statistics are not). */
    trainable: number;
  } {
    this.assertLive();
    let total = 0;
    let trainable = 0;
    for (const p of this.paramDefsIfKnown()?.flat() ?? []) {
      total += sizeOf(p.shape);
      if (p.trainable) trainable += sizeOf(p.shape);
    }
    return { total, trainable };
  }

  private shapesIfKnown(): Shape[] | undefined {
    if (this.net) return this.net.shapes;
    return this.declared && inferShapes(this.layers, this.declared);
  }

  private paramDefsIfKnown(): ReturnType<typeof paramDefs> | undefined {
    const shapes = this.shapesIfKnown();
    return shapes && paramDefs(this.layers, shapes);
  }

  /** A table of layers, output shapes and parameter counts. */
  summary(): string {
    this.assertLive();
    const shapes = this.shapesIfKnown();
    const defs = this.paramDefsIfKnown();
    const rows: string[][] = [['Layer (type)', 'Output shape', 'Activation', 'Params', 'Trainable']];
    this.layers.forEach((l, i) => {
      const out = shapes ? shapes[i + 1].join(', ') : '?';
      const params = defs ? String(defs[i].reduce((n, p) => n + sizeOf(p.shape), 0)) : '?';
      const t = isTrainable(l);
      rows.push([
        `${l.name} (${l.type})`,
        `[batch, ${out}]`,
        kindOf(l).describe(l),
        params,
        t === undefined ? '' : t ? 'yes' : 'no',
      ]);
    });
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]): string => r.map((s, c) => s.padEnd(widths[c])).join('  ');
    const rule = '-'.repeat(line(rows[0]).length);
    const { total, trainable } = this.countParams();
    return [
      `Model: ${this.name} (${this.backendName} backend, input ${shapes ? shapes[0].join('x') : '?'})`,
      rule,
      line(rows[0]),
      rule,
      ...rows.slice(1).map(line),
      rule,
      `Total params: ${total}  Trainable: ${trainable}  Frozen: ${total - trainable}`,
    ].join('\n');
  }

  /** The parameter tensors' places (for tools such as compression): name, shape and trainability. */
  tensors(): Array<Omit<TensorSlot, 'offset'>> {
    return this.requireNet().slots.map(({ offset: _o, ...s }) => s);
  }

  /** Frees the model's memory; any later call throws a DISPOSED error. */
  dispose(): void {
    if (this.disposed) return;
    this.assertIdle('dispose()');
    this.compiled?.optimizer.dispose();
    this.net?.dispose();
    this.compiled = undefined;
    this.net = undefined;
    this.disposed = true;
  }

  /** @internal The seed used for initialization. */
  get initSeed(): number | undefined {
    return this.seed;
  }
}

/** A Net as the shared inference loops see it: its forward pass, and the head a fused loss leaves unapplied. */
class NetRunner implements Runner {
  private out = 0;
  private m = 0;
  private headDone = false;
  private readonly act: string;

  constructor(
    readonly net: Net,
    layers: readonly LayerSpec[],
  ) {
    this.act = activationOf(layers[layers.length - 1]) ?? 'linear';
  }

  get engine(): Engine {
    return this.net.engine;
  }

  get inputs(): number {
    return this.net.inputs;
  }

  get outputs(): number {
    return this.net.outputs;
  }

  get stage(): number {
    return this.net.xBuf;
  }

  get head(): number {
    return this.net.headBuf;
  }

  reserve(rows: number): number {
    this.net.reserve(rows, false);
    return this.net.cap;
  }

  run(m: number, input: number): void {
    this.out = this.net.forward(m, false, 0, input);
    this.m = m;
    this.headDone = false;
  }

  /** When compiled with a fused loss the last layer leaves its softmax/sigmoid out: applied here. */
  activated(): number {
    const net = this.net;
    if (!net.fused) return this.out;
    if (!this.headDone) {
      const k = net.engine.kernelsFor(this.m, net.outputs);
      if (this.act === 'softmax') k.softmax_forward(net.headBuf, this.out, this.m, net.outputs);
      else k.sigmoid_forward(net.headBuf, this.out, this.m * net.outputs);
      this.headDone = true;
    }
    return net.headBuf;
  }

  /** compile() makes the net fused exactly when its loss is. */
  lossInput(): number {
    return this.out;
  }
}

/** Creates a model from a list of layers: `sequential([dense(128, {activation: 'relu'}), dense(10, ...)])`. */
export function sequential(layers: LayerSpec[], options: ModelOptions = {}): Sequential {
  return new Sequential(layers, options);
}

/** @internal For functions that take a model: a live, idle Sequential (DTYPE naming `where` otherwise). */
export function idleModel(model: unknown, where: string): asserts model is Sequential {
  check(
    model instanceof Sequential,
    'DTYPE',
    () =>
      `${where} takes a Sequential model, got ${model === null ? 'null' : Array.isArray(model) ? 'an array' : typeof model}`,
  );
  model.assertIdle(where);
}
