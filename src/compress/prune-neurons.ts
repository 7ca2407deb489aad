// Structured pruning: remove whole hidden units of dense layers and whole filters of conv2d layers by an
// importance score and build a physically smaller model. The pruned layer keeps fewer kernel columns (units,
// filters) and bias entries; what reads its channels shrinks with it: a batch norm after it loses the same
// channels, and the next dense or conv2d layer loses the matching input rows — a conv2d kernel its input channels
// (HWIO axis 2), a dense layer after flatten every row of a removed channel (NHWC order: row, column, channel, so
// feature t of the flattened map is channel t mod c). Pooling, activation and dropout layers in between pass
// channels through unchanged. Unlike zeroed weights this shrinks every product with no sparse kernel needed.
// Scoring and slicing the weights is one-time host work.
import { toMatrix, type Matrix, type MatrixInput } from '../data/matrix.js';
import { SimdnetError, check } from '../errors.js';
import type { Conv2dSpec, DenseSpec, LayerSpec } from '../layers/spec.js';
import { Sequential, idleModel } from '../model/sequential.js';
import { kernelLayerIndex, kernelLayers } from './prune.js';
import { requireSupported } from './support.js';

/**
 * How a unit's (filter's) importance is measured:
 * - 'weight': for a dense unit, the L1 norm of its outgoing weights (its rows of the next layer's kernel); for a
 *   conv2d filter, the L1 norm of the filter itself (Li et al. 2017, "Pruning Filters for Efficient ConvNets");
 *   needs no data;
 * - 'activation': mean |activation| of the unit (of the filter's map, over its pixels) on `data`;
 * - 'contribution': E|a − c| · ‖outgoing weights‖₁ on `data`, how far removing the unit moves the next layer's
 *   inputs when its mean c = E[a] is folded into the next layer's bias (c = 0 without compensateBias).
 */
export type NeuronScore = 'weight' | 'activation' | 'contribution';

/** Options of {@link pruneNeurons}. */
export interface NeuronPruneOptions {
  /**
   * Hidden dense and conv2d layers to shrink, by index or name. Default: every dense/conv2d layer but the output
   * one whose channels feed a trainable dense/conv2d layer and which is itself trainable (frozen layers are
   * skipped; naming one is an error).
   */
  layers?: number | string | ReadonlyArray<number | string>;
  /** Fraction of each layer's units (filters) to remove, in [0, 1). */
  fraction?: number;
  /** Units (filters) to remove: one count for every layer, or a count per layer name. */
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
   * lost; for a conv2d next layer, as if the removed map were constant at its mean). Needs data. Default true for
   * score 'contribution', false otherwise.
   */
  compensateBias?: boolean;
}

type KernelSpec = DenseSpec | Conv2dSpec;

/** Layer types that pass channels through unchanged between a pruned layer and the layer that reads them. */
const PASSES = new Set<LayerSpec['type']>([
  'dropout',
  'activation',
  'maxPooling2d',
  'averagePooling2d',
  'globalAveragePooling2d',
  'flatten',
  'batchNormalization',
]);

/**
 * Removes the least important hidden units (dense) and filters (conv2d) and returns a NEW, smaller model (same
 * layer names, same backend and engine, compiled again with the same settings when they are plain data;
 * metadata and trainedSteps copied, `metadata.neuronPruning` records the widths). The given model is not
 * changed. Fine-tune the result for a few epochs to recover accuracy. Its predictions equal those of the model
 * with the removed units masked out (their kernel columns and bias zeroed, a following batch norm's gamma and
 * beta too), without bias compensation.
 */
export function pruneNeurons(model: Sequential, options: NeuronPruneOptions): Sequential {
  const what = 'pruneNeurons()';
  idleModel(model, what);
  requireSupported(model.layers, what);
  check(
    typeof options === 'object' && options !== null,
    'RANGE',
    `${what} needs { fraction | count, layers?, score?, data? }`,
  );
  check(model.built, 'STATE', `${what}: the model is not built yet (no weights to score); fit or build it first`);
  const kernels = kernelLayers(model);
  const outputLayer = kernels[kernels.length - 1];
  const spec = (i: number): KernelSpec => model.layers[i] as KernelSpec;
  const width = (i: number): number =>
    spec(i).type === 'dense' ? (spec(i) as DenseSpec).units : (spec(i) as Conv2dSpec).filters;
  const unitWord = (i: number): string => (spec(i).type === 'dense' ? 'units' : 'filters');
  /** The layer reading layer i's channels, and the batch norms on the way (refusing what channels cannot pass). */
  const consumer = (i: number, strict = true): { next: number; norms: number[] } => {
    const norms: number[] = [];
    for (let j = i + 1; j < model.layers.length; j++) {
      const l = model.layers[j];
      if (l.type === 'dense' || l.type === 'conv2d') return { next: j, norms };
      if (l.type === 'batchNormalization') norms.push(j);
      if (PASSES.has(l.type) && (l.type !== 'activation' || l.activation !== 'softmax')) continue;
      if (!strict) return { next: -1, norms };
      throw new SimdnetError(
        'UNSUPPORTED',
        `${what}: layer '${l.name}' (${l.type}${l.type === 'activation' ? ` ${l.activation}` : ''}) between '${spec(i).name}' and the layer reading its channels mixes them; its ${unitWord(i)} cannot be removed`,
      );
    }
    return { next: -1, norms };
  };

  // Which layers.
  let layers: number[];
  const explicit = options.layers !== undefined;
  if (explicit) {
    const list = Array.isArray(options.layers) ? options.layers : [options.layers as number | string];
    check(list.length > 0, 'RANGE', `${what}: layers is empty`);
    layers = [...new Set(list.map((l) => kernelLayerIndex(model, l, what)))];
    for (const i of layers) {
      check(
        i !== outputLayer,
        'RANGE',
        `${what}: '${spec(i).name}' is the output layer; removing its ${unitWord(i)} would change what the model predicts`,
      );
      const { next } = consumer(i);
      for (const j of [i, next]) {
        check(
          spec(j).trainable,
          'STATE',
          `${what}: layer '${spec(j).name}' is frozen; unfreeze it with setTrainable('${spec(j).name}', true) to prune ${j === i ? `its ${unitWord(i)}` : `the ${unitWord(i)} feeding it`}`,
        );
      }
    }
  } else {
    layers = kernels.filter((i) => {
      if (i === outputLayer || !spec(i).trainable) return false;
      const { next } = consumer(i, false); // a layer whose channels cannot be followed is skipped
      return next >= 0 && spec(next).trainable;
    });
    check(
      layers.length > 0,
      'STATE',
      `${what}: no hidden dense/conv2d layer to prune (the output layer is never pruned; frozen layers are skipped)`,
    );
  }
  layers.sort((a, b) => a - b);

  // How many units each loses.
  const hasF = options.fraction !== undefined;
  const hasC = options.count !== undefined;
  check(hasF !== hasC, 'RANGE', `${what}: give exactly one of fraction or count`);
  const remove = layers.map((i) => {
    const units = width(i);
    let r: number;
    if (hasF) {
      const f = options.fraction;
      check(
        typeof f === 'number' && Number.isFinite(f) && f >= 0 && f < 1,
        'RANGE',
        `${what}: fraction must be in [0, 1), got ${String(f)}`,
      );
      r = Math.round(f * units);
    } else {
      const c = options.count;
      const v = typeof c === 'object' && c !== null ? (c as Record<string, number>)[spec(i).name] : c;
      if (typeof c === 'object' && c !== null) {
        for (const name of Object.keys(c)) {
          check(
            layers.some((l) => spec(l).name === name),
            'RANGE',
            `${what}: count names '${name}', which is not among the layers being pruned (${layers.map((l) => spec(l).name).join(', ')})`,
          );
        }
      }
      check(
        v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0),
        'RANGE',
        `${what}: count for '${spec(i).name}' must be an integer >= 0, got ${String(v)}`,
      );
      r = v ?? 0;
    }
    check(
      r < units,
      'RANGE',
      `${what}: removing ${r} of the ${units} ${unitWord(i)} of '${spec(i).name}' would leave none; keep at least one`,
    );
    return r;
  });

  const score = options.score ?? 'weight';
  check(
    score === 'weight' || score === 'activation' || score === 'contribution',
    'RANGE',
    `${what}: score must be 'weight', 'activation' or 'contribution', got ${JSON.stringify(score)}`,
  );
  const compensate = options.compensateBias ?? score === 'contribution';
  check(typeof compensate === 'boolean', 'RANGE', `${what}: compensateBias must be a boolean`);
  check(
    options.data !== undefined || (score === 'weight' && !compensate),
    'RANGE',
    `${what}: ${score !== 'weight' ? `score '${score}'` : 'compensateBias'} needs input rows: pass { data: x }`,
  );
  const data = options.data !== undefined ? toMatrix(options.data, 'data', model.inputDim) : undefined;

  // Layer by layer, bottom up: score the channels of a layer on the model as already shrunk below it
  // (data-driven scores see the activations the smaller model really produces), then slice its kernel's columns,
  // a batch norm's channels and the next kernel's rows. Every kernel is handled as the (k, n) matrix of its GEMM:
  // columns are units / filters, and row r of the next kernel reads channel r mod c (dense after dense: r itself;
  // after flatten: feature r of an NHWC map; conv2d HWIO: input channel r mod c of a (kh·kw·c, f) matrix).
  const net = model.requireNet();
  const names = model.tensors().map((t) => t.name);
  const at = (name: string): number => names.indexOf(name);
  const newLayers: LayerSpec[] = structuredClone(model.layers);
  const newWeights = model.getWeights().map((w) => ({ name: w.name, shape: [...w.shape], data: w.data }));
  const widths: Record<string, { before: number; after: number }> = {};
  let shrunk = false; // whether newWeights differ from the model's yet
  layers.forEach((i, li) => {
    const C = width(i);
    const { next, norms } = consumer(i);
    const nIdx = at(`${spec(next).name}/kernel`);
    const wn = newWeights[nIdx]; // K × nOut, rows reading channel r mod C
    const nOut = wn.shape[wn.shape.length - 1];
    const K = wn.data.length / nOut;
    const rowL1 = new Float64Array(K);
    const outL1 = new Float64Array(C);
    for (let r = 0; r < K; r++) {
      let s = 0;
      for (let o = 0; o < nOut; o++) s += Math.abs(wn.data[r * nOut + o]);
      rowL1[r] = s;
      outL1[r % C] += s;
    }
    const kIdx = at(`${spec(i).name}/kernel`);
    const wk = newWeights[kIdx];
    const rows = wk.data.length / C;
    let importance: Float64Array;
    if (spec(i).type === 'conv2d') {
      importance = new Float64Array(C); // the filter's own L1 norm
      for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) importance[c] += Math.abs(wk.data[r * C + c]);
    } else {
      importance = outL1;
    }
    /** Mean of each feature the next layer reads, over the data rows (for compensation). */
    let mean: Float64Array | undefined;
    if (data) {
      // The channels as the next layer sees them: after any batch norm, activation, pooling or flatten in between.
      const a = featuresOf(shrunk ? { layers: newLayers, weights: newWeights } : undefined, next - 1);
      const F = a.cols; // = K for a dense next layer; a map's h·w·C for a conv2d one
      mean = new Float64Array(F);
      for (let r = 0; r < a.rows; r++) for (let t = 0; t < F; t++) mean[t] += a.data[r * F + t];
      for (let t = 0; t < F; t++) mean[t] /= a.rows;
      if (score !== 'weight') {
        const centre = score === 'contribution' && compensate ? mean : new Float64Array(F);
        const dev = new Float64Array(F);
        for (let r = 0; r < a.rows; r++) for (let t = 0; t < F; t++) dev[t] += Math.abs(a.data[r * F + t] - centre[t]);
        importance = new Float64Array(C);
        const perChannel = F / C;
        for (let t = 0; t < F; t++) {
          const d = dev[t] / a.rows;
          if (score === 'activation') importance[t % C] += d / perChannel;
          // Dense next layer: each feature has rows of its own; conv2d: the map's mean deviation times all its rows.
          else if (spec(next).type === 'dense') importance[t % C] += d * rowL1[t];
          else importance[t % C] += (d / perChannel) * outL1[t % C];
        }
      }
    }
    // Keep the most important channels, in their original order (ties: the lower index stays).
    const order = Array.from({ length: C }, (_, u) => u).sort((p, q) => importance[q] - importance[p] || p - q);
    const keep = Int32Array.from(order.slice(0, C - remove[li])).sort();
    widths[spec(i).name] = { before: C, after: keep.length };
    if (keep.length === C) return;
    const isKept = new Uint8Array(C);
    for (const u of keep) isKept[u] = 1;
    const target = newLayers[i] as KernelSpec;
    if (target.type === 'dense') target.units = keep.length;
    else target.filters = keep.length;
    // This layer: keep columns (and bias entries); the batch norms after it: keep channels.
    const cols = new Float32Array(rows * keep.length);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < keep.length; c++) cols[r * keep.length + c] = wk.data[r * C + keep[c]];
    newWeights[kIdx] = { name: wk.name, shape: [...wk.shape.slice(0, -1), keep.length], data: cols };
    const pick = (idx: number): void => {
      if (idx < 0) return;
      newWeights[idx] = {
        name: newWeights[idx].name,
        shape: [keep.length],
        data: Float32Array.from(keep, (u) => newWeights[idx].data[u]),
      };
    };
    pick(at(`${spec(i).name}/bias`));
    for (const b of norms)
      for (const p of ['gamma', 'beta', 'movingMean', 'movingVariance']) pick(at(`${model.layers[b].name}/${p}`));
    // Next layer: keep the rows of kept channels, and take in the removed channels' mean output.
    const keptRows: number[] = [];
    for (let r = 0; r < K; r++) if (isKept[r % C]) keptRows.push(r);
    const kept = new Float32Array(keptRows.length * nOut);
    keptRows.forEach((r, j) => kept.set(wn.data.subarray(r * nOut, (r + 1) * nOut), j * nOut));
    const nb = at(`${spec(next).name}/bias`);
    if (compensate && mean && nb >= 0) {
      const bias = Float64Array.from(newWeights[nb].data);
      if (spec(next).type === 'dense') {
        for (let r = 0; r < K; r++) {
          if (isKept[r % C] || mean[r] === 0) continue;
          for (let o = 0; o < nOut; o++) bias[o] += mean[r] * wn.data[r * nOut + o];
        }
      } else {
        // A removed map taken as constant at its mean over pixels and rows.
        const perChannel = mean.length / C;
        const chMean = new Float64Array(C);
        for (let t = 0; t < mean.length; t++) chMean[t % C] += mean[t] / perChannel;
        for (let r = 0; r < K; r++) {
          if (isKept[r % C] || chMean[r % C] === 0) continue;
          for (let o = 0; o < nOut; o++) bias[o] += chMean[r % C] * wn.data[r * nOut + o];
        }
      }
      newWeights[nb] = { name: newWeights[nb].name, shape: [nOut], data: Float32Array.from(bias) };
    }
    const nShape = wn.shape.length === 4 ? [wn.shape[0], wn.shape[1], keep.length, nOut] : [keptRows.length, nOut];
    newWeights[nIdx] = { name: wn.name, shape: nShape, data: kept };
    shrunk = true;
  });

  /** Inference features of a layer: of the given model, or of a temporary model with the shrunk weights. */
  function featuresOf(
    shrunkModel: { layers: LayerSpec[]; weights: Array<{ data: Float32Array }> } | undefined,
    layer: number,
  ): Matrix {
    if (!shrunkModel) return model.features(data!, layer);
    const tmp = new Sequential(structuredClone(shrunkModel.layers), { engine: net.engine });
    try {
      tmp.build(net.shapes[0]);
      tmp.setWeights(shrunkModel.weights);
      return tmp.features(data!, layer);
    } finally {
      tmp.dispose();
    }
  }

  const small = new Sequential(newLayers, { engine: net.engine, name: model.name, seed: model.initSeed });
  try {
    small.build(net.shapes[0]);
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
    throw err instanceof SimdnetError
      ? err
      : new SimdnetError('STATE', `${what}: could not build the smaller model (${String(err)})`);
  }
}
