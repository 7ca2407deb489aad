// TensorFlow.js / Keras layers models (model.json + weight shards, as tf.io and tensorflowjs_converter write them)
// as simdnet Sequential models. The topology is a Sequential, or a Functional model that is a plain chain; each
// layer maps to one simdnet layer (./layers.ts) and its weights are found in the manifest by the layer's name
// (./weights.ts), checked for shape and finiteness, and set. Anything simdnet cannot run exactly as the source
// does is refused before a model is built, naming the layer, its class and what is supported.
import { SimdnetError } from '../errors.js';
import { checkMagnitudes } from '../io/bounds.js';
import { kindOf, paramDefs, showShape, sizeOf, type Shape } from '../layers/index.js';
import { Sequential } from '../model/sequential.js';
import type { Backend, Engine } from '../runtime/engine.js';
import { classNameOf, fail, mapLayer, opt, type MappedLayer } from './layers.js';
import { WeightStore, describe, type ManifestEntry, type WeightData } from './weights.js';

export type { WeightData } from './weights.js';

/** Options of {@link importTfjsLayers}. */
export interface TfjsImportOptions {
  /** Kernels to run on (default 'wasm': call `await init()` first). */
  backend?: Backend;
  /** An engine of your own (createEngine), instead of the backend's shared one. */
  engine?: Engine;
  /** The model's name (default: the one in model.json). */
  name?: string;
}

/** What the importer records in `model.metadata.tfjs`. */
export interface TfjsImportInfo {
  /** model.json's generatedBy / convertedBy / keras_version, when given. */
  producer?: string;
  /** The source model's name. */
  modelName?: string;
  /** What was dropped because only the source's training uses it (regularizers, constraints, ...). */
  notes: string[];
}

/** No sample of any layer may be larger than this (values): a guard against corrupt shapes, 512 MiB of floats. */
const MAX_SAMPLE = 2 ** 27;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const bad = (message: string): never => {
  throw new SimdnetError('FORMAT', message);
};

/**
 * Imports a TensorFlow.js layers model: `modelJson` is model.json (text or parsed), `weightData` the weight
 * bytes — one buffer, or the shards in manifest order (each group's `paths`, in order). Keras's layer names are
 * kept (characters other than letters, digits, `_`, `.` and `-` become `_`). The model is built, its weights set,
 * ready to predict, compile and fine-tune, and counts as trained; `metadata.tfjs` records the source and what
 * was dropped.
 * @throws SimdnetError FORMAT for a broken or inconsistent model.json or weight data, UNSUPPORTED for a valid model
 *   simdnet cannot run exactly (the message names the layer, its class and what is supported), SHAPE for weights or
 *   layers that do not fit, DTYPE for weights that are not float32, NONFINITE for a NaN/Inf weight (named), FORMAT
 *   for finite weights so large that a forward pass on inputs with |x| <= 1e3 could overflow f32 (named).
 */
export function importTfjsLayers(
  modelJson: string | object,
  weightData: WeightData,
  options: TfjsImportOptions = {},
): Sequential {
  if (typeof options !== 'object' || options === null)
    throw new SimdnetError('RANGE', 'importTfjsLayers(): options must be an object');
  const doc = parseJson(modelJson);
  const format = doc.format;
  if (format !== undefined && format !== null && format !== 'layers-model') {
    const hint =
      format === 'graph-model'
        ? ' (a graph model from tensorflowjs_converter --output_format tfjs_graph_model; convert to tfjs_layers_model instead)'
        : '';
    throw new SimdnetError(
      'UNSUPPORTED',
      `model.json format ${describe(format)} is not supported: only 'layers-model'${hint}`,
    );
  }
  let topology = doc.modelTopology;
  if (!isObject(topology))
    return bad(
      `model.json has no modelTopology object (got ${describe(topology)}): is this a TensorFlow.js layers model?`,
    );
  const producer = [doc.generatedBy, doc.convertedBy, topology.keras_version]
    .filter((s) => typeof s === 'string' && s !== '')
    .join('; ');
  if (topology.model_config !== undefined && topology.model_config !== null) topology = topology.model_config;
  if (!isObject(topology)) return bad(`modelTopology.model_config must be an object, got ${describe(topology)}`);

  const { layers, modelName } = layerList(topology);
  const notes: string[] = [];
  const { mapped, input } = mapAll(layers, notes);
  // The manifest: tf.io's weightsManifest, or the weightSpecs of ModelArtifacts (tf.io.withSaveHandler's), whose
  // weightData may be a list of buffers to join (tf.io's CompositeArrayBuffer) rather than named shards.
  let manifest = doc.weightsManifest;
  if ((manifest === undefined || manifest === null) && Array.isArray(doc.weightSpecs)) {
    manifest = [
      { paths: Array.isArray(weightData) ? weightData.map((_, i) => `part ${i}`) : [], weights: doc.weightSpecs },
    ];
  }
  const store = new WeightStore(manifest ?? [], weightData);
  const shape = input ?? inferInput(mapped, store);
  const shapes = inferAll(mapped, shape);
  const layerWeights = collectWeights(mapped, shapes, store);

  const specs = mapped.map((m) => m.spec);
  // Finite but extreme weights (a kernel of 1e30 feeding another, a LeakyReLU alpha of 1e20) are refused as
  // simdnet's own loaders refuse them, before anything is allocated: a forward pass on inputs with |x| <= 1e3 must
  // stay finite.
  checkMagnitudes(
    specs,
    shape,
    (i) => (layerWeights[i].tensors.length === 0 ? { kind: 'none' } : { kind: 'float', ...layerWeights[i] }),
    bad,
  );
  const model = new Sequential(specs, {
    backend: options.backend,
    engine: options.engine,
    name: options.name ?? modelName ?? 'sequential',
  });
  try {
    model.build(shape, 0, false);
    model.setWeights(layerWeights.flatMap((l) => l.tensors));
  } catch (err) {
    model.dispose();
    throw err;
  }
  const info: TfjsImportInfo = { notes };
  if (producer) info.producer = producer;
  if (modelName) info.modelName = modelName;
  model.metadata.tfjs = info;
  // Trained elsewhere (the source's step count is unknown): counted as trained, so quantization, transfer and
  // distillation, which refuse untrained models, take it.
  model.trainedSteps = 1;
  return model;
}

function parseJson(modelJson: unknown): Record<string, unknown> {
  let doc = modelJson;
  if (typeof modelJson === 'string') {
    try {
      doc = JSON.parse(modelJson);
    } catch (err) {
      return bad(`model.json is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(doc))
    throw new SimdnetError(
      typeof modelJson === 'string' ? 'FORMAT' : 'DTYPE',
      `model.json must be a JSON object, got ${describe(doc)}`,
    );
  return doc;
}

/** One serialized layer: its class, Keras name and config. */
interface RawLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

function rawLayer(o: unknown, where: string): RawLayer {
  if (!isObject(o)) return bad(`${where} must be an object { class_name, config }, got ${describe(o)}`);
  const className = classNameOf(o);
  if (typeof className !== 'string' || className === '') return bad(`${where} has no class_name`);
  const config = o.config ?? {};
  if (!isObject(config)) return bad(`${where} (${className}): config must be an object, got ${describe(config)}`);
  const name = config.name ?? o.name;
  if (typeof name !== 'string' || name === '') return bad(`${where} (${className}) has no name`);
  return { className, name, config };
}

/** The layers in order: a Sequential's list, or a Functional model's chain from its input to its output. */
function layerList(topology: Record<string, unknown>): { layers: RawLayer[]; modelName?: string } {
  const cls = classNameOf(topology);
  const config = topology.config;
  const modelName = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
  if (cls === 'Sequential') {
    // Keras 2.2 and older wrote the layer list itself as the config.
    const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(list))
      return bad(
        `the Sequential model has no list of layers (config.layers is ${describe(isObject(config) ? config.layers : config)})`,
      );
    if (list.length === 0) throw new SimdnetError('EMPTY', 'the Sequential model has no layers');
    return { layers: list.map((l, i) => rawLayer(l, `layer ${i}`)), modelName };
  }
  if (cls === 'Model' || cls === 'Functional') {
    if (!isObject(config) || !Array.isArray(config.layers)) return bad(`the ${cls} model has no list of layers`);
    return { layers: chain(config, cls), modelName };
  }
  if (typeof cls !== 'string') return bad('modelTopology has no class_name (expected Sequential, Model or Functional)');
  throw new SimdnetError(
    'UNSUPPORTED',
    `model class ${cls} is not supported (Sequential, or a Model/Functional that is a chain of layers)`,
  );
}

/**
 * A Functional model's layers from input to output, when they form a chain: one input, one output, each layer
 * called once on the previous one's output. Branches, merges and shared layers are refused, naming the layer.
 */
function chain(config: Record<string, unknown>, cls: string): RawLayer[] {
  const entries = config.layers as unknown[];
  const layers = entries.map((l, i) => rawLayer(l, `layer ${i}`));
  const byName = new Map<string, number>();
  layers.forEach((l, i) => {
    if (byName.has(l.name)) bad(`two layers are named '${l.name}'`);
    byName.set(l.name, i);
  });
  const ends = (key: string): string => {
    const v = opt(config, key);
    if (!Array.isArray(v) || v.length !== 1) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `a ${cls} model with ${Array.isArray(v) ? v.length : 'no'} ${key.replace('_layers', 's')} is not supported (one input, one output)`,
      );
    }
    const first = Array.isArray(v[0]) ? v[0][0] : v[0];
    if (typeof first !== 'string' || !byName.has(first)) return bad(`${key} names an unknown layer ${describe(first)}`);
    return first;
  };
  const inputName = ends('input_layers');
  const outputName = ends('output_layers');
  // Each layer's one parent (the layer whose output it is called on).
  const parent = new Map<number, number>();
  const children = new Map<number, number[]>();
  layers.forEach((l, i) => {
    const where = `layer '${l.name}' (${l.className})`;
    const nodes = opt(entries[i] as Record<string, unknown>, 'inbound_nodes') ?? [];
    if (!Array.isArray(nodes)) return bad(`${where}: inbound_nodes must be a list, got ${describe(nodes)}`);
    if (nodes.length === 0) return;
    if (nodes.length > 1)
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where} is called ${nodes.length} times (a shared layer): only a chain of layers is supported`,
      );
    const from = inboundOf(nodes[0], where);
    const p = byName.get(from);
    if (p === undefined) return bad(`${where} takes the output of an unknown layer '${from}'`);
    parent.set(i, p);
    children.set(p, [...(children.get(p) ?? []), i]);
  });
  const order: RawLayer[] = [];
  let at = byName.get(inputName)!;
  if (parent.has(at)) return bad(`the input layer '${inputName}' takes an input itself`);
  for (;;) {
    order.push(layers[at]);
    if (layers[at].name === outputName) break;
    const next = children.get(at) ?? [];
    const l = layers[at];
    if (next.length === 0)
      return bad(`layer '${l.name}' (${l.className}) leads nowhere: the output '${outputName}' is not reached`);
    if (next.length > 1) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `layer '${l.name}' (${l.className}) feeds ${next.length} layers (${next.map((j) => layers[j].name).join(', ')}): only a chain of layers (no branches) is supported`,
      );
    }
    at = next[0];
  }
  if (order.length !== layers.length) {
    const off = layers.filter((l) => !order.includes(l)).map((l) => l.name);
    throw new SimdnetError(
      'UNSUPPORTED',
      `layers ${off.join(', ')} are not on the path from '${inputName}' to '${outputName}': only a chain of layers is supported`,
    );
  }
  return order;
}

/** The layer a call node takes its one input from: Keras 2 / TF.js `[[name, node, tensor, kwargs]]` or Keras 3's `{ args, kwargs }`. */
function inboundOf(node: unknown, where: string): string {
  const merge = (n: number): never => {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${where} takes ${n} inputs: only layers of one input (a chain) are supported`,
    );
  };
  if (Array.isArray(node)) {
    if (node.length !== 1) return merge(node.length);
    const t = node[0];
    if (!Array.isArray(t) || typeof t[0] !== 'string')
      return bad(`${where}: an inbound node must be [layer name, node index, tensor index, kwargs]`);
    const kwargs = t[3];
    if (isObject(kwargs) && Object.values(kwargs).some((v) => v !== null && v !== false)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where} is called with arguments ${JSON.stringify(kwargs)}: not supported`,
      );
    }
    return t[0];
  }
  if (isObject(node) && Array.isArray(node.args)) {
    if (node.args.length !== 1) return merge(node.args.length);
    const a = node.args[0];
    const hist = isObject(a) && isObject(a.config) ? opt(a.config, 'keras_history') : undefined;
    if (!Array.isArray(hist) || typeof hist[0] !== 'string') {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where} is called on ${Array.isArray(a) ? `${a.length} inputs` : 'something other than one tensor'}: only a chain of layers is supported`,
      );
    }
    const kwargs = node.kwargs;
    if (isObject(kwargs) && Object.values(kwargs).some((v) => v !== null && v !== false)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${where} is called with arguments ${JSON.stringify(kwargs)}: not supported`,
      );
    }
    return hist[0];
  }
  return bad(`${where}: inbound node ${describe(node)} is neither TF.js/Keras 2 nor Keras 3 form`);
}

/** A sample shape from a config: batch_input_shape / batch_shape (batch first) or input_shape. */
function declaredShape(cfg: Record<string, unknown>, where: string): Shape | undefined {
  let s: unknown;
  let batch = true;
  for (const k of ['batch_input_shape', 'batch_shape']) if (s === undefined || s === null) s = opt(cfg, k);
  if (s === undefined || s === null) {
    s = opt(cfg, 'input_shape');
    batch = false;
  }
  if (s === undefined || s === null) {
    const bc = opt(cfg, 'build_config');
    if (isObject(bc)) {
      s = opt(bc, 'input_shape');
      batch = true;
    }
  }
  if (s === undefined || s === null) return undefined;
  if (!Array.isArray(s) || s.length < (batch ? 2 : 1))
    return bad(
      `${where}: the input shape must be a list of dimensions${batch ? ' (batch first)' : ''}, got ${describe(s)}`,
    );
  const dims = batch ? s.slice(1) : s;
  if (dims.some((d) => d === null || d === -1)) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${where}: input shape ${JSON.stringify(s)} has a dimension of variable size: simdnet needs every sample dimension fixed`,
    );
  }
  if (!dims.every((d) => Number.isSafeInteger(d) && d > 0) || sizeOf(dims as number[]) > MAX_SAMPLE) {
    return bad(
      `${where}: input shape ${JSON.stringify(s)} must hold positive integers, at most ${MAX_SAMPLE} values in all`,
    );
  }
  return dims as Shape;
}

/** Unique simdnet names for Keras's (`/` and other characters outside [A-Za-z0-9_.-] become `_`). */
function simdnetNames(layers: RawLayer[]): string[] {
  const used = new Set<string>();
  return layers.map((l, i) => {
    const base = l.name.replace(/[^A-Za-z0-9_.-]/g, '_') || `layer_${i}`;
    let n = base;
    for (let k = 2; used.has(n); k++) n = `${base}_${k}`;
    used.add(n);
    return n;
  });
}

/** The simdnet layers (InputLayer gives the input shape and no layer) and the declared input shape. */
function mapAll(layers: RawLayer[], notes: string[]): { mapped: MappedLayer[]; input: Shape | undefined } {
  let input: Shape | undefined;
  let rest = layers;
  if (layers[0].className === 'InputLayer') {
    const l = layers[0];
    const where = `layer '${l.name}' (InputLayer)`;
    for (const k of ['sparse', 'ragged']) {
      if (opt(l.config, k) === true) throw new SimdnetError('UNSUPPORTED', `${where}: ${k} inputs are not supported`);
    }
    input = declaredShape(l.config, where);
    if (!input) return bad(`${where} declares no input shape (batch_input_shape)`);
    rest = layers.slice(1);
  } else {
    input = declaredShape(layers[0].config, `layer '${layers[0].name}' (${layers[0].className})`);
  }
  if (rest.length === 0) throw new SimdnetError('EMPTY', 'the model has no layers after its InputLayer');
  const names = simdnetNames(rest);
  const mapped = rest.map((l, i) => {
    if (l.className === 'InputLayer')
      throw new SimdnetError('UNSUPPORTED', `layer '${l.name}' (InputLayer) is not the first layer`);
    return mapLayer(l.className, l.name, l.config, names[i], notes);
  });
  return { mapped, input };
}

/** Without a declared input shape, a first Dense layer's kernel gives its width; anything else is refused. */
function inferInput(mapped: MappedLayer[], store: WeightStore): Shape {
  const first = mapped[0];
  if (first.spec.type === 'dense') {
    const k = findWeight(first, 0, store);
    if (k && k.shape.length === 2 && k.shape[0] > 0) return [k.shape[0]];
  }
  return bad(
    `${first.where}: the model declares no input shape (batch_input_shape on the first layer, or an InputLayer)`,
  );
}

/** Every layer's input and output shapes, each layer's Keras options checked against its input. */
function inferAll(mapped: MappedLayer[], input: Shape): Shape[] {
  const shapes: Shape[] = [input];
  for (const m of mapped) {
    const x = shapes[shapes.length - 1];
    m.checkInput?.(x);
    let y: Shape;
    try {
      y = kindOf(m.spec).outputShape(m.spec, x);
    } catch (err) {
      if (err instanceof SimdnetError) throw new SimdnetError(err.code, `${m.where}: ${err.message}`);
      throw err;
    }
    if (sizeOf(y) > MAX_SAMPLE)
      fail('RANGE', m.where, `output ${showShape(y)} has more than ${MAX_SAMPLE} values per sample`);
    shapes.push(y);
  }
  return shapes;
}

/** The manifest entry of a layer's k-th Keras weight: `layer/weight`, `layer/cell/weight` (TF 2.2+), `layer/k` (Keras 3). */
function findWeight(
  m: MappedLayer,
  k: number,
  store: WeightStore,
  used?: Set<ManifestEntry>,
): ManifestEntry | undefined {
  const w = m.weights[k].name;
  const direct = store.get(`${m.kerasName}/${w}`) ?? store.get(`${m.kerasName}/${k}`);
  if (direct) return direct;
  const cells = store.entries.filter((e) => {
    const t = e.name.split('/');
    return t.length >= 3 && t[t.length - 1] === w && t.slice(0, -2).join('/') === m.kerasName && !used?.has(e);
  });
  if (cells.length > 1)
    fail('FORMAT', m.where, `weights ${cells.map((e) => `'${e.name}'`).join(' and ')} both match its ${w}`);
  return cells[0];
}

/**
 * Each layer's weight tensors in simdnet's order (paramDefs, as getWeights()), each found by name and checked, and
 * what to call each in messages (its manifest name, or what stands for a param Keras does not store).
 */
function collectWeights(
  mapped: MappedLayer[],
  shapes: Shape[],
  store: WeightStore,
): Array<{ tensors: Float32Array[]; names: string[] }> {
  const defs = paramDefs(
    mapped.map((m) => m.spec),
    shapes,
  );
  const used = new Set<ManifestEntry>();
  const out: Array<{ tensors: Float32Array[]; names: string[] }> = [];
  mapped.forEach((m, i) => {
    const arrays: Float32Array[] = new Array(defs[i].length);
    const labels: string[] = new Array(defs[i].length);
    m.weights.forEach((w, k) => {
      const def = defs[i][w.param];
      const e = findWeight(m, k, store, used);
      if (!e) {
        const near = store.entries
          .filter((x) => !used.has(x))
          .map((x) => x.name)
          .slice(0, 6);
        return fail(
          'FORMAT',
          m.where,
          `its weight '${m.kerasName}/${w.name}' is not in the weights manifest${near.length ? ` (unused there: ${near.join(', ')})` : ''}`,
        );
      }
      if (used.has(e)) fail('FORMAT', m.where, `weight '${e.name}' is claimed twice`);
      if (e.shape.length !== def.shape.length || e.shape.some((d, j) => d !== def.shape[j])) {
        fail(
          'SHAPE',
          m.where,
          `weight '${e.name}' has shape ${showShape(e.shape)}, the layer needs ${showShape(def.shape)} on input ${showShape(shapes[i])}`,
        );
      }
      used.add(e);
      arrays[w.param] = store.read(e, m.where);
      labels[w.param] = `TF.js weight '${e.name}' (${m.where})`;
    });
    for (const f of m.fills) {
      arrays[f.param] = new Float32Array(sizeOf(defs[i][f.param].shape)).fill(f.value);
      labels[f.param] = `the ${defs[i][f.param].name} of ${m.where} (not stored: ${f.value})`;
    }
    out.push({ tensors: arrays, names: labels });
  });
  const unused = store.entries.filter((e) => !used.has(e));
  if (unused.length > 0) {
    bad(
      `the weights manifest has ${unused.length} weight(s) no layer takes: ${unused
        .slice(0, 6)
        .map((e) => `'${e.name}'`)
        .join(', ')}${unused.length > 6 ? ', …' : ''}`,
    );
  }
  return out;
}
