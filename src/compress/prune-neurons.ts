// Structured (neuron) pruning: remove whole hidden units of dense layers by an importance score and build a
// physically smaller model: the layer keeps fewer columns (and bias entries), the next dense layer fewer input
// rows. Unlike zeroed weights this shrinks every product with no sparse kernel needed. Scoring and slicing the
// weights is one-time host work.
import { toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { SimdnetError, check } from '../errors.js';
import type { DenseSpec, LayerSpec } from '../layers/spec.js';
import { Sequential } from '../model/sequential.js';
import { denseIndex, denseLayers, kernelIndex } from './prune.js';
import { requireDenseStack } from './support.js';

/**
 * How a unit's importance is measured:
 * - 'weight': L1 norm of its outgoing weights (its row of the next layer's kernel); needs no data;
 * - 'activation': mean |activation| of the unit on `data`;
 * - 'contribution': E|a − c| · ‖outgoing weights‖₁ on `data`, how far removing the unit moves the next layer's
 *   inputs when its mean c = E[a] is folded into the next layer's bias (c = 0 without compensateBias).
 */
export type NeuronScore = 'weight' | 'activation' | 'contribution';

/** Options of {@link pruneNeurons}. */
export interface NeuronPruneOptions {
  /**
   * Hidden dense layers to shrink, by index or name. Default: every dense layer but the output one whose units
   * feed a trainable dense layer and which is itself trainable (frozen layers are skipped; naming one is an error).
   */
  layers?: number | string | ReadonlyArray<number | string>;
  /** Fraction of each layer's units to remove, in [0, 1). */
  fraction?: number;
  /** Units to remove: one count for every layer, or a count per layer name. */
  count?: number | Readonly<Record<string, number>>;
  /**
   * Default 'weight'. On MNIST it also recovers best with fine-tuning (see docs/compression-pruning.md); the
   * data-driven scores lose less before fine-tuning when a single layer is pruned.
   */
  score?: NeuronScore;
  /** Input rows for the data-driven scores and bias compensation (a few hundred are plenty). */
  data?: MatrixInput;
  /**
   * Fold each removed unit's mean activation on `data` into the next layer's bias (its constant part is then not
   * lost). Needs data. Default true for score 'contribution', false otherwise.
   */
  compensateBias?: boolean;
}

/**
 * Removes the least important hidden units and returns a NEW, smaller model (same layer names, same backend
 * and engine, compiled again with the same settings when they are plain data; metadata and trainedSteps
 * copied, `metadata.neuronPruning` records the widths). The given model is not changed. Fine-tune the result
 * for a few epochs to recover accuracy.
 */
export function pruneNeurons(model: Sequential, options: NeuronPruneOptions): Sequential {
  const what = 'pruneNeurons()';
  model.assertIdle(what);
  requireDenseStack(model.layers, what);
  check(typeof options === 'object' && options !== null, 'RANGE', `${what} needs { fraction | count, layers?, score?, data? }`);
  check(model.built, 'STATE', `${what}: the model is not built yet (no weights to score); fit or build it first`);
  const dense = denseLayers(model);
  const outputLayer = dense[dense.length - 1];
  /** The dense layer reading layer i's units. */
  const nextDense = (i: number): number => dense[dense.indexOf(i) + 1];
  const spec = (i: number): DenseSpec => model.layers[i] as DenseSpec;

  // Which layers.
  let layers: number[];
  const explicit = options.layers !== undefined;
  if (explicit) {
    const list = Array.isArray(options.layers) ? options.layers : [options.layers as number | string];
    check(list.length > 0, 'RANGE', `${what}: layers is empty`);
    layers = [...new Set(list.map((l) => denseIndex(model, l, what)))];
    for (const i of layers) {
      check(i !== outputLayer, 'RANGE', `${what}: '${spec(i).name}' is the output layer; removing its units would change what the model predicts`);
      for (const j of [i, nextDense(i)]) {
        check(spec(j).trainable, 'STATE', `${what}: layer '${spec(j).name}' is frozen; unfreeze it with setTrainable('${spec(j).name}', true) to prune ${j === i ? 'its units' : `the units feeding it`}`);
      }
    }
  } else {
    layers = dense.filter((i) => i !== outputLayer && spec(i).trainable && spec(nextDense(i)).trainable);
    check(layers.length > 0, 'STATE', `${what}: no hidden dense layer to prune (the output layer is never pruned; frozen layers are skipped)`);
  }
  layers.sort((a, b) => a - b);

  // How many units each loses.
  const hasF = options.fraction !== undefined;
  const hasC = options.count !== undefined;
  check(hasF !== hasC, 'RANGE', `${what}: give exactly one of fraction or count`);
  const remove = layers.map((i) => {
    const units = spec(i).units;
    let r: number;
    if (hasF) {
      const f = options.fraction;
      check(typeof f === 'number' && Number.isFinite(f) && f >= 0 && f < 1, 'RANGE', `${what}: fraction must be in [0, 1), got ${String(f)}`);
      r = Math.round(f * units);
    } else {
      const c = options.count;
      const v = typeof c === 'object' && c !== null ? (c as Record<string, number>)[spec(i).name] : c;
      if (typeof c === 'object' && c !== null) {
        for (const name of Object.keys(c)) {
          check(layers.some((l) => spec(l).name === name), 'RANGE', `${what}: count names '${name}', which is not among the layers being pruned (${layers.map((l) => spec(l).name).join(', ')})`);
        }
      }
      check(v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0), 'RANGE', `${what}: count for '${spec(i).name}' must be an integer >= 0, got ${String(v)}`);
      r = v ?? 0;
    }
    check(r < units, 'RANGE', `${what}: removing ${r} of the ${units} units of '${spec(i).name}' would leave none; keep at least one`);
    return r;
  });

  const score = options.score ?? 'weight';
  check(score === 'weight' || score === 'activation' || score === 'contribution', 'RANGE', `${what}: score must be 'weight', 'activation' or 'contribution', got ${JSON.stringify(score)}`);
  const compensate = options.compensateBias ?? score === 'contribution';
  check(typeof compensate === 'boolean', 'RANGE', `${what}: compensateBias must be a boolean`);
  check(options.data !== undefined || (score === 'weight' && !compensate), 'RANGE', `${what}: ${score !== 'weight' ? `score '${score}'` : 'compensateBias'} needs input rows: pass { data: x }`);
  const data = options.data !== undefined ? toMatrix(options.data, 'data', model.inputDim) : undefined;

  // Layer by layer, bottom up: score the units of a layer on the model as already shrunk below it (data-driven
  // scores see the activations the smaller model really produces), then slice its kernel's columns and the next
  // kernel's rows. Adjacent pruned layers: the second kernel first loses rows, then columns.
  const net = model.requireNet();
  const names = model.tensors().map((t) => t.name);
  const at = (name: string): number => names.indexOf(name);
  const newLayers: LayerSpec[] = structuredClone(model.layers);
  const newWeights = model.getWeights().map((w) => ({ name: w.name, shape: [...w.shape], data: w.data }));
  const widths: Record<string, { before: number; after: number }> = {};
  let shrunk = false; // whether newWeights differ from the model's yet
  layers.forEach((i, li) => {
    const units = spec(i).units;
    const next = nextDense(i);
    const nOut = spec(next).units;
    const nIdx = at(`${spec(next).name}/kernel`);
    const wn = newWeights[nIdx].data; // units × nOut
    const outL1 = new Float64Array(units);
    for (let u = 0; u < units; u++) {
      let s = 0;
      for (let o = 0; o < nOut; o++) s += Math.abs(wn[u * nOut + o]);
      outL1[u] = s;
    }
    let importance = outL1;
    let mean: Float64Array | undefined;
    if (data) {
      // The unit's output as the next dense layer sees it: after any activation layers in between.
      const a = featuresOf(shrunk ? { layers: newLayers, weights: newWeights } : undefined, next - 1);
      mean = new Float64Array(units);
      for (let r = 0; r < a.rows; r++) for (let u = 0; u < units; u++) mean[u] += a.data[r * units + u];
      for (let u = 0; u < units; u++) mean[u] /= a.rows;
      if (score !== 'weight') {
        const centre = score === 'contribution' && compensate ? mean : new Float64Array(units);
        const dev = new Float64Array(units);
        for (let r = 0; r < a.rows; r++) for (let u = 0; u < units; u++) dev[u] += Math.abs(a.data[r * units + u] - centre[u]);
        importance = dev.map((d, u) => (d / a.rows) * (score === 'contribution' ? outL1[u] : 1));
      }
    }
    // Keep the most important units, in their original order (ties: the lower index stays).
    const order = Array.from({ length: units }, (_, u) => u).sort((p, q) => importance[q] - importance[p] || p - q);
    const keep = Int32Array.from(order.slice(0, units - remove[li])).sort();
    widths[spec(i).name] = { before: units, after: keep.length };
    if (keep.length === units) return;
    (newLayers[i] as DenseSpec).units = keep.length;
    // This layer: keep columns (and bias entries).
    const kIdx = at(`${spec(i).name}/kernel`);
    const wk = newWeights[kIdx];
    const rows = wk.shape[0];
    const cols = new Float32Array(rows * keep.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < keep.length; c++) cols[r * keep.length + c] = wk.data[r * units + keep[c]];
    newWeights[kIdx] = { name: wk.name, shape: [rows, keep.length], data: cols };
    const bIdx = at(`${spec(i).name}/bias`);
    if (bIdx >= 0) newWeights[bIdx] = { name: newWeights[bIdx].name, shape: [keep.length], data: Float32Array.from(keep, (u) => newWeights[bIdx].data[u]) };
    // Next layer: keep rows, and take in the removed units' mean output.
    const kept = new Float32Array(keep.length * nOut);
    keep.forEach((u, r) => kept.set(wn.subarray(u * nOut, (u + 1) * nOut), r * nOut));
    const nb = at(`${spec(next).name}/bias`);
    if (compensate && mean && nb >= 0) {
      const bias = Float64Array.from(newWeights[nb].data);
      const isKept = new Uint8Array(units);
      for (const u of keep) isKept[u] = 1;
      for (let u = 0; u < units; u++) {
        if (isKept[u] || mean[u] === 0) continue;
        for (let o = 0; o < nOut; o++) bias[o] += mean[u] * wn[u * nOut + o];
      }
      newWeights[nb] = { name: newWeights[nb].name, shape: [nOut], data: Float32Array.from(bias) };
    }
    newWeights[nIdx] = { name: newWeights[nIdx].name, shape: [keep.length, nOut], data: kept };
    shrunk = true;
  });

  /** Inference features of a layer: of the given model, or of a temporary model with the shrunk weights. */
  function featuresOf(shrunkModel: { layers: LayerSpec[]; weights: Array<{ data: Float32Array }> } | undefined, layer: number): Matrix {
    if (!shrunkModel) return model.features(data!, layer);
    const tmp = new Sequential(structuredClone(shrunkModel.layers), { engine: net.engine });
    try {
      tmp.build(net.inputs);
      tmp.setWeights(shrunkModel.weights);
      return tmp.features(data!, layer);
    } finally {
      tmp.dispose();
    }
  }

  const small = new Sequential(newLayers, { engine: net.engine, name: model.name, seed: model.initSeed });
  try {
    small.build(net.inputs);
    small.setWeights(newWeights);
    const settings = model.compileSettings();
    if (settings) small.compile(settings);
    small.metadata = structuredClone(model.metadata);
    small.metadata.neuronPruning = {
      score,
      compensateBias: compensate,
      layers: widths,
    };
    small.trainedSteps = model.trainedSteps;
    return small;
  } catch (err) {
    small.dispose();
    throw err instanceof SimdnetError ? err : new SimdnetError('STATE', `${what}: could not build the smaller model (${String(err)})`);
  }
}
