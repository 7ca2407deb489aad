/**
 * Transfer learning: reuse what a trained model learned on one task for another. {@link transfer} builds a NEW
 * model from the first layers of a pretrained one (specs and weights copied, frozen by default) plus a fresh
 * head; fine-tune it with fit(), unfreeze with {@link freezeLayers} / setTrainable() for a second stage.
 * {@link featureExtractor} keeps the body alone: its predict() gives the features of an inner layer as a model
 * of its own (it can be saved), the counterpart of Sequential.features() on the original.
 * Frozen layers get no gradients, no updates and no optimizer state (the engine lays their weights out after
 * the trainable ones, so an optimizer step is one kernel call over the trainable prefix).
 */
import { checkOptions } from '../args.js';
import { check } from '../errors.js';
import { isTrainable, kindOf, validateSpec } from '../layers/index.js';
import type { LayerSpec } from '../layers/spec.js';
import { Sequential, idleModel } from '../model/sequential.js';

/** Options of {@link transfer}. */
export interface TransferOptions {
  /**
   * Layers of the pretrained model to keep, from the input side: a count, or the name of the last one kept.
   * Default: everything before the last layer with weights (the old head goes).
   */
  keep?: number | string;
  /** New layers on top, initialized fresh (default none: the body alone). */
  head?: LayerSpec[];
  /** Freeze the kept layers (default true); false fine-tunes them with the head from the start. */
  freeze?: boolean;
  /** Seeds the head's initialization. */
  seed?: number;
  /** Name of the new model (default `<pretrained name>-transfer`). */
  name?: string;
}

/** Index one past the last kept layer of `pretrained` (validated). */
function keepCount(pretrained: Sequential, keep: number | string | undefined): number {
  const L = pretrained.layers.length;
  if (keep === undefined) {
    let head = L - 1;
    while (head > 0 && isTrainable(pretrained.layers[head]) === undefined) head--;
    check(
      body(pretrained.layers.slice(0, head)),
      'RANGE',
      `the pretrained model '${pretrained.name}' has a single layer with weights: there is no body to keep before its head`,
    );
    return head;
  }
  if (typeof keep === 'string') return pretrained.layerIndex(keep) + 1;
  check(
    Number.isInteger(keep) && keep >= 1 && keep <= L,
    'RANGE',
    `keep must be a layer count in [1, ${L}] or a layer name, got ${String(keep)}`,
  );
  return keep;
}

/**
 * A new model: the first `keep` layers of `pretrained` (same specs, names and weights; frozen unless
 * `freeze: false`) followed by `head` (fresh weights from `seed`). It computes on the pretrained model's engine
 * and copies its metadata (e.g. a saved input scaler). The pretrained model is not changed. Rejects an untrained
 * or unbuilt pretrained model, a keep outside its layers and a body without a layer with weights. A head layer named
 * like a body layer is renamed `<name>_head`.
 */
export function transfer(pretrained: Sequential, options: TransferOptions = {}): Sequential {
  idleModel(pretrained, 'transfer()');
  check(
    pretrained.built && pretrained.trainedSteps > 0,
    'STATE',
    `the pretrained model '${pretrained.name}' is untrained (0 training steps): there is nothing to transfer`,
  );
  check(typeof options === 'object' && options !== null, 'RANGE', 'transfer() options must be an object');
  const keep = keepCount(pretrained, options.keep);
  const head = options.head ?? [];
  check(Array.isArray(head), 'RANGE', 'head must be an array of layers (e.g. [dense(5, { activation: "softmax" })])');
  const freeze = options.freeze ?? true;
  check(typeof freeze === 'boolean', 'RANGE', `freeze must be true or false, got ${String(freeze)}`);
  const kept = pretrained.layers.slice(0, keep).map((l) => structuredClone(l));
  check(body(kept), 'RANGE', `the kept layers (${kept.map((l) => l.name).join(', ')}) have no layer with weights`);
  const inputShape = pretrained.inputShape!;
  for (const l of kept) if (isTrainable(l) !== undefined) kindOf(l).setTrainable!(l, !freeze);
  if (kept[0].type === 'dense') kept[0].inputDim = pretrained.inputDim!;
  // Auto-generated names restart in every process, so a head made with dense() after loadModel() may repeat a
  // body name: such head layers get a suffix.
  const taken = new Set(kept.map((l) => l.name));
  const renamed = head.map((l, i) => {
    const spec = validateSpec(structuredClone(l), keep + i);
    if (taken.has(spec.name)) {
      let name = `${spec.name}_head`;
      for (let j = 2; taken.has(name); j++) name = `${spec.name}_head${j}`;
      spec.name = name;
    }
    taken.add(spec.name);
    return spec;
  });
  const layers = [...kept, ...renamed];
  const engine = pretrained.net!.engine;
  const model = new Sequential(layers, {
    engine,
    seed: options.seed,
    name: options.name ?? `${pretrained.name}-transfer`,
  });
  try {
    model.build(inputShape, options.seed);
    const source = new Map(pretrained.getWeights().map((w) => [w.name, w.data]));
    model.setWeights(model.getWeights().map((w) => ({ shape: w.shape, data: source.get(w.name) ?? w.data })));
  } catch (err) {
    model.dispose();
    throw err;
  }
  model.metadata = { ...structuredClone(pretrained.metadata), transferredFrom: { model: pretrained.name, keep } };
  return model;
}

/**
 * The first `keep` layers of `pretrained` as a frozen model of their own (default: all but the head): its
 * predict() returns the features of that layer, for use in another model or outside simdnet.
 */
export function featureExtractor(
  pretrained: Sequential,
  options: { keep?: number | string; name?: string } = {},
): Sequential {
  idleModel(pretrained, 'featureExtractor()'); // before its name is read
  checkOptions(options, 'featureExtractor()', { name: 'string' });
  return transfer(pretrained, {
    keep: options.keep,
    name: options.name ?? `${pretrained.name}-features`,
    freeze: true,
  });
}

/**
 * Freezes (or with `frozen: false` unfreezes) every layer with weights of `model` from the first up to and
 * including `upTo` (index or name): the body of a transferred model, for two-stage fine-tuning. Optimizer state
 * restarts.
 */
export function freezeLayers(model: Sequential, upTo: number | string, frozen = true): Sequential {
  idleModel(model, 'freezeLayers()');
  const last = model.layerIndex(upTo);
  check(typeof frozen === 'boolean', 'RANGE', `frozen must be true or false, got ${String(frozen)}`);
  const weighted = model.layers.slice(0, last + 1).flatMap((l, i) => (isTrainable(l) !== undefined ? [i] : []));
  check(weighted.length > 0, 'RANGE', `no layer with weights up to ${JSON.stringify(upTo)}`);
  return model.setTrainable(weighted, !frozen);
}

/** Whether a list of layers has one with weights. */
function body(layers: readonly LayerSpec[]): boolean {
  return layers.some((l) => isTrainable(l) !== undefined);
}
