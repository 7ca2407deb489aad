// Maps a chain-shaped ONNX graph onto simdnet layer specs and weights. It walks from the graph input to the
// output, one node at a time, keeping track of how the running tensor as ONNX sees it relates to the one simdnet
// holds:
//   same     the same values in the same row-major order (the shapes may still differ, e.g. [C,1,1] vs [C]);
//   chw      ONNX holds an NCHW map [C,H,W], simdnet the same map NHWC [H,W,C] (its native layout);
//   chwFlat  ONNX flattened that NCHW map to C·H·W values, simdnet flattened its NHWC map (H·W·C order).
// Layout changes cost nothing where possible: NHWC↔NCHW Transposes cancel, a dense layer after a flattened NCHW
// map takes its weight rows permuted, and only what cannot be absorbed becomes a permute layer. Anything the
// layers cannot represent exactly is refused, naming the node.
import { SimdnetError } from '../errors.js';
import { activation } from '../layers/activation.js';
import type { Activation } from '../layers/activations.js';
import { batchNormalization } from '../layers/batchnorm.js';
import { conv2d } from '../layers/conv2d.js';
import { dense } from '../layers/dense.js';
import { dropout } from '../layers/dropout.js';
import { windowAxis } from '../layers/options.js';
import { averagePooling2d, globalAveragePooling2d, maxPooling2d } from '../layers/pooling.js';
import { permute } from '../layers/permute.js';
import { flatten, reshape } from '../layers/reshape.js';
import { zeroPadding2d } from '../layers/zero-padding.js';
import type { Conv2dSpec, DenseSpec, LayerSpec } from '../layers/spec.js';
import { dataTypeName } from './codec.js';
import {
  CONST_OPS,
  GraphView,
  MAX_ELEMENTS,
  SUPPORTED_OPS,
  shortestFloat32,
  type FloatValue,
  type Sym,
} from './import-graph.js';
import { DataType, type OnnxModel, type OnnxValueInfo } from './types.js';

/** The newest default-domain opset whose operators the mapping has been checked against. */
export const MAX_OPSET = 23;

type Order = 'same' | 'chw' | 'chwFlat';

/** Ops whose layer is a flatten or reshape view. */
const VIEW_OPS = ['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze'];

/** The running tensor: its ONNX sample shape, simdnet's sample shape and how their values correspond. */
interface State {
  onnx: number[];
  sim: number[];
  order: Order;
  /** [C, H, W] of the NCHW map, for 'chw' and 'chwFlat'. */
  chw?: [number, number, number];
  /** A zero Pad waiting to become the next Conv's padding: its node, pads [top, left, bottom, right], the map before it. */
  pad?: { node: number; pads: [number, number, number, number]; before: State };
}

/** What importOnnx builds from: the layers, their weights by slot name, and the model's input. */
export interface ImportPlan {
  layers: LayerSpec[];
  /** `<layer>/<param>` → values in simdnet's layout (dense (in, out), conv2d HWIO). */
  weights: Map<string, Float32Array>;
  /** `<layer>/<param>` → the ONNX tensor(s) it was computed from, for messages ("initializer 'fc.weight' (B of node 'Gemm_0')"). */
  sources: Map<string, string>;
  /** simdnet's sample shape of the input rows. */
  inputShape: number[];
  inputName: string;
  outputName: string;
  /** The graph's other outputs, left out with the nodes only they need (e.g. a classifier's `label`). */
  droppedOutputs: string[];
  /** The ONNX input's dims: a size, the batch's symbolic name, or null when unknown. */
  onnxInputDims: Array<number | string | null>;
  onnxOutputDims: Array<number | string | null>;
  opset: number;
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
const sameDims = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const show = (dims: readonly (number | string)[]): string => `[${dims.join(', ')}]`;

/** Index map of a flattened NCHW map inside simdnet's flattened NHWC one: onnxIndex[s] for simdnet position s. */
function chwToHwc(c: number, h: number, w: number): Int32Array {
  const out = new Int32Array(c * h * w);
  let s = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[s++] = (ch * h + y) * w + x;
  return out;
}

class Mapper {
  readonly layers: LayerSpec[] = [];
  readonly weights = new Map<string, Float32Array>();
  readonly sources = new Map<string, string>();
  inputShape: number[] = [];
  private readonly names = new Set<string>();
  /** The dense/conv2d layer the previous op made, while an activation or a bias Add may still fold into it. */
  private fuse: DenseSpec | Conv2dSpec | undefined;
  private fuseKept = false;
  /** Node being mapped (for messages). */
  private at = -1;

  constructor(readonly g: GraphView) {}

  private fail(code: 'UNSUPPORTED' | 'FORMAT', why: string): never {
    return this.g.fail(code, this.at, why);
  }

  /**
   * A unique layer name from the node's (or `<op>_<index>` for an unnamed node). A layer the node only needs on
   * the side (a permute before a Conv, a flatten before a Gemm) gets `suffix`; the layer a node stands for
   * (a Transpose's permute, a Flatten's or Reshape's view) keeps the node's name, so names survive a round trip.
   */
  private layerName(suffix = '', ownOps: readonly string[] = []): string {
    const n = this.g.nodes[this.at];
    const own = n !== undefined && ownOps.includes(n.opType);
    const base = (n?.name ? n.name : n ? `${n.opType}_${this.at}` : 'input') + (own ? '' : suffix);
    let name = base;
    for (let k = 2; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private push(spec: LayerSpec): void {
    this.layers.push(spec);
    this.fuse = undefined;
    this.lastView = undefined;
  }

  private setWeight(layer: string, param: string, data: Float32Array, source: string): void {
    this.weights.set(`${layer}/${param}`, data);
    this.sources.set(`${layer}/${param}`, source);
  }

  /** What to call a weight's ONNX tensor in messages: `initializer 'W' (weight of node 'conv1' (Conv))`. */
  private sourceOf(v: FloatValue, what: string, extra = ''): string {
    const kind = this.g.inits.has(v.source) ? 'initializer' : 'constant';
    return `${kind} '${v.source}' (${what} of node ${this.g.label(this.at)}${extra})`;
  }

  /**
   * A view (flatten/reshape) to `shape`; before any layer it reshapes the model's input instead, and right after
   * another view it replaces that one (two reshapes in a row are one).
   */
  private toSim(st: State, shape: number[]): State {
    if (sameDims(st.sim, shape)) return st;
    let from = st.sim;
    if (this.lastView && this.layers[this.layers.length - 1] === this.lastView.spec) {
      from = this.lastView.from;
      this.names.delete(this.layers.pop()!.name);
      this.lastView = undefined;
    }
    if (this.layers.length === 0) this.inputShape = [...shape];
    else if (!sameDims(from, shape)) {
      const spec =
        shape.length === 1
          ? flatten({ name: this.layerName('_flatten', VIEW_OPS) })
          : reshape(shape, { name: this.layerName('_reshape', VIEW_OPS) });
      this.push(spec);
      this.lastView = { spec, from };
    }
    return { ...st, sim: [...shape] };
  }

  /** The view toSim pushed last and the shape before it, while it is the last layer. */
  private lastView: { spec: LayerSpec; from: number[] } | undefined;

  private permute(dims: number[]): void {
    this.push(permute(dims, { name: this.layerName('_permute', ['Transpose']) }));
  }

  /** The running tensor as an NCHW map (ONNX rank 4), simdnet holding it NHWC. */
  private asMap(st: State, op: string): State {
    if (st.order === 'chw') return st;
    if (st.order !== 'same' || st.onnx.length !== 3) {
      this.fail('UNSUPPORTED', `${op} needs a 4-D NCHW tensor; its input is ${show(['N', ...st.onnx])}`);
    }
    const [c, h, w] = st.onnx;
    if (c === 1 || h * w === 1) {
      // The same values in either layout: only the shape changes.
      const s = this.toSim(st, [h, w, c]);
      return { onnx: [c, h, w], sim: s.sim, order: 'chw', chw: [c, h, w] };
    }
    this.toSim(st, [c, h, w]);
    this.permute([2, 3, 1]); // NCHW values into simdnet's NHWC layout
    return { onnx: [c, h, w], sim: [h, w, c], order: 'chw', chw: [c, h, w] };
  }

  /** The running tensor with simdnet's values in ONNX's order. */
  private asSame(st: State): State {
    if (st.order === 'same') return st;
    const [c, h, w] = st.chw!;
    if (c === 1 || h * w === 1) return { onnx: st.onnx, sim: st.sim, order: 'same' };
    if (st.order === 'chwFlat') this.toSim(st, [h, w, c]);
    this.permute([3, 1, 2]); // back to NCHW order
    if (st.order === 'chwFlat') {
      this.push(flatten({ name: this.layerName('_flatten', VIEW_OPS) }));
      return { onnx: st.onnx, sim: [c * h * w], order: 'same' };
    }
    return { onnx: st.onnx, sim: [c, h, w], order: 'same' };
  }

  /** The running tensor flattened to one vector per sample (ONNX Flatten with axis 1). */
  private flattenTo(st: State): State {
    const n = size(st.onnx);
    if (st.order === 'chwFlat') return st;
    if (st.order === 'chw') {
      const [c, h, w] = st.chw!;
      if (c > 1 && h * w > 1) {
        // NHWC flattening differs from NCHW: the next dense layer takes its rows permuted (or asSame permutes).
        const s = this.toSim(st, [n]);
        return { onnx: [n], sim: s.sim, order: 'chwFlat', chw: st.chw };
      }
    }
    const s = this.toSim(st, [n]);
    return { onnx: [n], sim: s.sim, order: 'same' };
  }

  /** The running tensor given ONNX sample shape `target` (same number of values). */
  private reshapeTo(st: State, target: number[]): State {
    if (sameDims(st.onnx, target)) return st;
    if (target.length === 1) return this.flattenTo(st);
    if (st.order === 'chwFlat' && sameDims(target, st.chw!)) {
      // Unflattening what was flattened: back to the map.
      const [c, h, w] = st.chw!;
      const s = this.toSim(st, [h, w, c]);
      return { onnx: [...target], sim: s.sim, order: 'chw', chw: st.chw };
    }
    const same = this.asSame(st);
    const s = this.toSim(same, target);
    return { onnx: [...target], sim: s.sim, order: 'same' };
  }

  /** Applies an activation: folded into the dense/conv2d layer just made when it has none, else a layer. */
  private activate(act: Activation, alpha = 0.01): void {
    if (this.fuse && this.fuse.activation === 'linear') {
      this.fuse.activation = act;
      this.fuse.alpha = alpha;
      return;
    }
    this.push(activation(act, { alpha, name: this.layerName() }));
  }

  // --- the walk -------------------------------------------------------------------------------------------------

  run(requested?: string): ImportPlan {
    const g = this.g;
    const graph = g.model.graph;
    if (g.opset > MAX_OPSET) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `ONNX opset ${g.opset} is newer than the importer knows (opsets 1–${MAX_OPSET})`,
      );
    }
    const inputs = graph.input.filter((v) => !g.inits.has(v?.name));
    if (inputs.length !== 1) {
      throw new SimdnetError(
        inputs.length === 0 ? 'FORMAT' : 'UNSUPPORTED',
        `ONNX graph has ${inputs.length} inputs${inputs.length ? ` (${inputs.map((v) => `'${v?.name}'`).join(', ')})` : ''}; simdnet imports graphs with exactly one data input`,
      );
    }
    const { output, dropped } = chooseOutput(g, requested);
    g.keepOnly(output.name);
    const input = inputs[0];
    if (!g.producer.has(output.name) && output.name !== input.name) {
      throw new SimdnetError(
        'FORMAT',
        `ONNX graph output '${output.name}' is written by no node${g.inits.has(output.name) ? ' (it is an initializer, a constant)' : ''}`,
      );
    }
    const sample = inputShape(input);
    this.inputShape = [...sample];
    let st: State = { onnx: [...sample], sim: [...sample], order: 'same' };
    let name = input.name;
    const visited = new Set<number>();
    for (;;) {
      g.shapes.set(name, st.onnx);
      const readers = (g.consumers.get(name) ?? []).filter((c) => g.nodes[c.node].opType !== 'Shape');
      if (name === output.name) {
        if (readers.length > 0) {
          throw new SimdnetError(
            'UNSUPPORTED',
            `ONNX graph output '${name}' is also read by node ${g.label(readers[0].node)}: simdnet imports chains (no branches)`,
          );
        }
        break;
      }
      if (readers.length === 0 && name === input.name) {
        // Only the nodes the output depends on are left: none reads the input.
        throw new SimdnetError(
          'FORMAT',
          `ONNX graph output '${output.name}' does not depend on the input '${input.name}'`,
        );
      }
      if (readers.length === 0) {
        const p = g.producer.get(output.name);
        throw new SimdnetError(
          'FORMAT',
          `ONNX graph: '${name}' is read by no node and is not the graph output '${output.name}'${p === undefined && !g.inits.has(output.name) ? ' (which no node writes)' : ''}`,
        );
      }
      if (readers.length > 1) {
        throw new SimdnetError(
          'UNSUPPORTED',
          `ONNX graph: '${name}' is read by ${readers.length} nodes (${readers.map((r) => g.label(r.node)).join(', ')}): simdnet imports chains, not branches or skip connections (supported ops: ${SUPPORTED_OPS})`,
        );
      }
      const { node: i, slot } = readers[0];
      if (visited.has(i)) throw new SimdnetError('FORMAT', `ONNX graph has a cycle through node ${g.label(i)}`);
      visited.add(i);
      this.at = i;
      const n = g.nodes[i];
      if (n.domain !== '' && n.domain !== 'ai.onnx' && n.domain !== undefined) {
        this.fail(
          'UNSUPPORTED',
          `op domain '${n.domain}' is not supported (only the default ONNX domain; supported ops: ${SUPPORTED_OPS})`,
        );
      }
      if (n.input.filter((x) => x === name).length !== 1)
        this.fail('UNSUPPORTED', `reads '${name}' more than once (simdnet imports chains)`);
      if (!n.output[0]) this.fail('FORMAT', 'has no output');
      for (const extra of n.output.slice(1)) {
        if (extra && ((g.consumers.get(extra)?.length ?? 0) > 0 || extra === output.name)) {
          this.fail(
            'UNSUPPORTED',
            `its extra output '${extra}' is used; only the first output of ${n.opType} is supported`,
          );
        }
      }
      // A zero Pad folds into the Conv it feeds; before anything else it is a zeroPadding2d layer of its own.
      if (st.pad && n.opType !== 'Conv') st = this.padLayer(st);
      this.fuseKept = false;
      st = this.apply(i, slot, st);
      if (!this.fuseKept) this.fuse = undefined;
      name = n.output[0];
      if (size(st.onnx) > MAX_ELEMENTS)
        this.fail(
          'UNSUPPORTED',
          `its output ${show(['N', ...st.onnx])} is too large (more than ${MAX_ELEMENTS} values per sample)`,
        );
    }
    if (st.pad) st = this.padLayer(st);
    st = this.asSame(st); // layers it adds are named after the last node
    this.at = -1;
    checkOutput(output, st.onnx);
    // Every node must be accounted for: on the chain, computing a constant or a shape, or dead constant arithmetic.
    g.nodes.forEach((n, i) => {
      if (visited.has(i) || g.evaluated.has(i) || !g.isLive(i)) return;
      if (
        CONST_OPS.has(n.opType) &&
        (n.domain === '' || n.domain === 'ai.onnx' || n.domain === undefined) &&
        n.input.every((x) => x === '' || g.isConstant(x) || g.shapes.has(x))
      )
        return;
      g.fail(
        'UNSUPPORTED',
        i,
        `is not on the chain from the input '${input.name}' to the output '${output.name}' (simdnet imports chains of ${SUPPORTED_OPS})`,
      );
    });
    if (this.layers.length === 0) {
      // A graph of views only (Identity, Flatten, ...): the model still needs a layer.
      this.at = -1;
      this.push(activation('linear', { name: this.layerName('_identity') }));
    }
    const dims = (vi: OnnxValueInfo): Array<number | string | null> =>
      (vi.shape ?? []).map((d) => d.value ?? d.param ?? null);
    return {
      layers: this.layers,
      weights: this.weights,
      sources: this.sources,
      inputShape: this.inputShape,
      inputName: input.name,
      outputName: output.name,
      droppedOutputs: dropped,
      onnxInputDims: dims(input),
      onnxOutputDims: dims(output),
      opset: g.opset,
    };
  }

  /** Maps one node; returns the state of its output. */
  private apply(i: number, slot: number, st: State): State {
    const g = this.g;
    const op = g.nodes[i].opType;
    const inputsAtMost = (k: number): void => {
      const n = g.nodes[i].input.length;
      if (n > k) this.fail('FORMAT', `has ${n} inputs; ${op} takes at most ${k}`);
    };
    if (op !== 'Add' && slot !== 0) this.fail('UNSUPPORTED', `the data must be its first input (it is input ${slot})`);
    switch (op) {
      case 'Identity':
        inputsAtMost(1);
        this.fuseKept = true;
        return st;
      case 'Cast': {
        // skl2onnx starts with Cast(float_input, to=FLOAT): on float data, a no-op. Any other type would change values.
        inputsAtMost(1);
        g.onlyAttrs(i, ['to', 'saturate']);
        const to = g.attrInt(i, 'to');
        if (to !== DataType.FLOAT)
          this.fail(
            'UNSUPPORTED',
            `a Cast of the data to ${to === undefined ? '(no type)' : dataTypeName(to)} is not supported (only to FLOAT, which float data already is)`,
          );
        this.fuseKept = true;
        return st;
      }
      case 'Relu':
      case 'Tanh':
      case 'Sigmoid':
        inputsAtMost(1);
        g.onlyAttrs(i, []);
        this.activate(op === 'Relu' ? 'relu' : op === 'Tanh' ? 'tanh' : 'sigmoid');
        return st;
      case 'LeakyRelu': {
        inputsAtMost(1);
        g.onlyAttrs(i, ['alpha']);
        const alpha = g.attrFloat(i, 'alpha', 0.01);
        if (!(alpha >= 0 && Number.isFinite(alpha)))
          this.fail('UNSUPPORTED', `alpha ${alpha} is not supported (simdnet's leakyRelu takes a finite alpha >= 0)`);
        this.activate('leakyRelu', alpha);
        return st;
      }
      case 'Softmax':
        inputsAtMost(1);
        return this.softmax(i, st);
      case 'Dropout':
        return this.dropout(i, st);
      case 'Flatten': {
        inputsAtMost(1);
        g.onlyAttrs(i, ['axis']);
        const rank = st.onnx.length + 1;
        const axis = g.attrInt(i, 'axis', 1);
        if ((axis < 0 ? axis + rank : axis) !== 1) {
          this.fail(
            'UNSUPPORTED',
            `axis ${axis} of a ${rank}-D input is not supported (only axis 1: the batch stays the first dimension)`,
          );
        }
        return this.flattenTo(st);
      }
      case 'Reshape':
        return this.reshapeNode(i, st);
      case 'Squeeze':
      case 'Unsqueeze':
        return this.squeeze(i, st, op === 'Unsqueeze');
      case 'Transpose':
        return this.transpose(i, st);
      case 'Pad':
        return this.pad(i, st);
      case 'Conv':
        return this.conv(i, st);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(i, st, op === 'MaxPool');
      case 'GlobalAveragePool': {
        inputsAtMost(1);
        g.onlyAttrs(i, []);
        const m = this.asMap(st, op);
        this.push(globalAveragePooling2d({ name: this.layerName() }));
        return { onnx: [m.chw![0], 1, 1], sim: [m.chw![0]], order: 'same' };
      }
      case 'ReduceMean':
        return this.reduceMean(i, st);
      case 'BatchNormalization':
        return this.batchNorm(i, st);
      case 'Gemm':
        return this.gemm(i, st);
      case 'MatMul':
        return this.matmul(i, st);
      case 'Add':
        return this.addBias(i, slot, st);
      default:
        return this.fail('UNSUPPORTED', `op ${op} is not supported (supported ops: ${SUPPORTED_OPS})`);
    }
  }

  private softmax(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, ['axis']);
    const axis = g.attrInt(i, 'axis', g.opset >= 13 ? -1 : 1);
    const rank = st.onnx.length + 1;
    if (rank !== 2 || (axis < 0 ? axis + rank : axis) !== 1) {
      this.fail(
        'UNSUPPORTED',
        `axis ${axis} of a ${rank}-D input is not supported (only the last axis of a 2-D [batch, classes] tensor)`,
      );
    }
    // Over a whole vector the order of its values does not matter: 'chwFlat' stays as it is.
    this.activate('softmax');
    return st;
  }

  private dropout(i: number, st: State): State {
    const g = this.g;
    let ratio = 0.5;
    if (g.opset < 12) {
      g.onlyAttrs(i, ['ratio', 'is_test', 'consumed_inputs', 'seed']);
      if (g.nodes[i].input.length > 1)
        this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; Dropout before opset 12 takes 1`);
      ratio = g.attrFloat(i, 'ratio', 0.5);
    } else {
      g.onlyAttrs(i, ['seed']);
      if (g.nodes[i].input.length > 3)
        this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; Dropout takes at most 3`);
      if (g.input(i, 1) !== undefined) {
        const r = g.floatInput(i, 1, 'ratio');
        if (r.data.length !== 1)
          this.fail('FORMAT', `ratio '${r.source}' must be a scalar, it has ${r.data.length} values`);
        ratio = shortestFloat32(r.data[0]);
      }
      if (g.input(i, 2) !== undefined) {
        const t = g.intInput(i, 2, 'training_mode');
        if (t.v.length !== 1 || (t.v[0] !== 0 && t.v[0] !== 1))
          this.fail('FORMAT', 'training_mode must be one boolean');
        if (t.v[0] === 1)
          this.fail(
            'UNSUPPORTED',
            'training_mode true is not supported (an inference graph: export the model in eval mode)',
          );
      }
    }
    if (!(ratio >= 0 && ratio < 1))
      this.fail('UNSUPPORTED', `ratio ${ratio} is not supported (simdnet's dropout takes a rate in [0, 1))`);
    // Identity at inference, as in ONNX; kept as a layer so that fine-tuning regularizes as the original did.
    this.push(dropout(ratio, { name: this.layerName() }));
    return st;
  }

  /** The target ONNX sample shape of a Reshape, resolving 0 (copy) and -1 (infer); the batch must stay first. */
  private reshapeNode(i: number, st: State): State {
    const g = this.g;
    let v: Sym[];
    if (g.opset < 5) {
      g.onlyAttrs(i, ['shape', 'consumed_inputs']);
      const s = g.attrInts(i, 'shape');
      if (!s) this.fail('FORMAT', "has no 'shape' attribute");
      v = s;
    } else {
      g.onlyAttrs(i, ['allowzero']);
      if (g.nodes[i].input.length !== 2)
        this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; Reshape takes 2 (data, shape)`);
      const shape = g.intInput(i, 1, 'shape');
      if (shape.dims.length !== 1) this.fail('FORMAT', `its shape input must be 1-D, it has dims ${show(shape.dims)}`);
      v = shape.v;
    }
    const allowZero = g.attrInt(i, 'allowzero', 0) === 1;
    const full: Sym[] = ['N', ...st.onnx];
    const out: Sym[] = v.map((d, k) => {
      if (d === 0 && !allowZero) {
        if (k >= full.length)
          this.fail(
            'FORMAT',
            `shape ${show(v)} copies dimension ${k} (a 0), which the ${full.length}-D input does not have`,
          );
        return full[k];
      }
      if (d === 0) this.fail('UNSUPPORTED', `shape ${show(v)} with allowzero makes an empty tensor`);
      if (d === 'N' && k !== 0)
        this.fail('UNSUPPORTED', `shape ${show(v)} moves the batch size away from the first dimension`);
      if (d !== 'N' && d < -1) this.fail('FORMAT', `shape ${show(v)} has a negative size`);
      return d;
    });
    return this.reshapeTo(st, this.sampleTarget(out, st, `shape ${show(v)}`));
  }

  /** The sample part of a full target shape whose first entry must be the batch. */
  private sampleTarget(out: Sym[], st: State, what: string): number[] {
    const n = size(st.onnx);
    if (out.length < 2)
      this.fail('UNSUPPORTED', `${what} leaves no dimension for the batch and the sample (simdnet needs [batch, ...])`);
    const rest = out.slice(1);
    if (rest.some((d) => d === 'N'))
      this.fail('UNSUPPORTED', `${what} moves the batch size away from the first dimension`);
    const free = rest.filter((d) => d === -1).length;
    const first = out[0];
    if (free > 1 || (first === -1 && free > 0)) this.fail('FORMAT', `${what} has more than one -1`);
    const known = size((rest as number[]).filter((d) => d !== -1));
    const sample = (rest as number[]).map((d) => (d === -1 ? n / known : d));
    const batchKept =
      first === 'N' ||
      (first === -1 && known === n) ||
      (typeof first === 'number' && first > 0 && first === this.fixedBatch);
    if (!batchKept) {
      this.fail(
        'UNSUPPORTED',
        `${what} does not keep the batch as the first dimension (give 0 or -1 there, or compute it with Shape; input ${show(['N', ...st.onnx])})`,
      );
    }
    if (!sample.every((d) => Number.isSafeInteger(d) && d > 0) || size(sample) !== n) {
      this.fail('FORMAT', `${what} does not fit the ${n} values of each sample of ${show(['N', ...st.onnx])}`);
    }
    return sample;
  }

  fixedBatch: number | undefined;

  private squeeze(i: number, st: State, un: boolean): State {
    const g = this.g;
    const op = un ? 'Unsqueeze' : 'Squeeze';
    let axes: Sym[] | undefined;
    if (g.opset < 13) {
      g.onlyAttrs(i, ['axes']);
      axes = g.attrInts(i, 'axes');
    } else {
      g.onlyAttrs(i, []);
      axes = g.input(i, 1) === undefined ? undefined : g.intInput(i, 1, 'axes').v;
    }
    if (!axes || axes.length === 0 || !axes.every((a) => typeof a === 'number')) {
      this.fail(
        'UNSUPPORTED',
        `${op} without explicit axes is not supported (the batch dimension could be ${un ? 'moved' : 'removed'})`,
      );
    }
    const full: Sym[] = ['N', ...st.onnx];
    const rank = un ? full.length + axes.length : full.length;
    const norm = (axes as number[]).map((a) => (a < 0 ? a + rank : a));
    if (new Set(norm).size !== norm.length || norm.some((a) => a < 0 || a >= rank))
      this.fail('FORMAT', `axes ${show(axes)} are not valid for a ${rank}-D tensor`);
    if (norm.includes(0)) this.fail('UNSUPPORTED', `axes ${show(axes)} include the batch dimension 0`);
    let out: Sym[];
    if (un) {
      out = [];
      let k = 0;
      for (let a = 0; a < rank; a++) out.push(norm.includes(a) ? 1 : full[k++]);
    } else {
      if (norm.some((a) => full[a] !== 1))
        this.fail('FORMAT', `axes ${show(axes)} of ${show(full)} are not all of size 1`);
      out = full.filter((_, a) => !norm.includes(a));
    }
    if (out.length < 2) this.fail('UNSUPPORTED', `${op} to ${show(out)} leaves no sample dimension`);
    return this.reshapeTo(st, out.slice(1) as number[]);
  }

  private transpose(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, ['perm']);
    const rank = st.onnx.length + 1;
    const perm = g.attrInts(i, 'perm') ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
    if (perm.length !== rank || !perm.every((p) => p >= 0 && p < rank) || new Set(perm).size !== rank) {
      this.fail('FORMAT', `perm ${show(perm)} is not a permutation of the ${rank} axes`);
    }
    if (perm[0] !== 0) this.fail('UNSUPPORTED', `perm ${show(perm)} moves the batch dimension (it must stay first)`);
    if (perm.every((p, k) => p === k)) return st;
    const is = (p: number[]): boolean => sameDims(perm, p);
    if (st.order === 'chw' && is([0, 2, 3, 1])) {
      // NCHW → NHWC: what simdnet holds already.
      const [c, h, w] = st.chw!;
      return { onnx: [h, w, c], sim: st.sim, order: 'same' };
    }
    if (st.order === 'same' && rank === 4 && is([0, 3, 1, 2])) {
      // NHWC → NCHW (tf2onnx before a Conv): simdnet keeps the NHWC map and reads it as the NCHW one.
      const [h, w, c] = st.onnx;
      const s = this.toSim(st, [h, w, c]);
      return { onnx: [c, h, w], sim: s.sim, order: 'chw', chw: [c, h, w] };
    }
    if (rank > 5)
      this.fail(
        'UNSUPPORTED',
        `perm ${show(perm)} is not supported (simdnet's permute layer takes at most 4 sample axes)`,
      );
    const same = this.asSame(st);
    const s = this.toSim(same, same.onnx);
    this.permute(perm.slice(1));
    const onnx = perm.slice(1).map((p) => s.onnx[p - 1]);
    return { onnx, sim: [...onnx], order: 'same' };
  }

  private pad(i: number, st: State): State {
    const g = this.g;
    let pads: number[] | undefined;
    let value = 0;
    const mode = g.attrString(i, 'mode', 'constant');
    if (g.opset < 11) {
      g.onlyAttrs(i, ['mode', 'pads', 'paddings', 'value']);
      pads = g.attrInts(i, g.opset < 2 ? 'paddings' : 'pads');
      value = g.attrFloat(i, 'value', 0);
    } else {
      g.onlyAttrs(i, ['mode']);
      if (g.nodes[i].input.length > 3) this.fail('UNSUPPORTED', 'Pad with axes is not supported');
      const p = g.input(i, 1) === undefined ? undefined : g.intInput(i, 1, 'pads');
      if (p && !p.v.every((d) => typeof d === 'number'))
        this.fail('UNSUPPORTED', 'pads computed from the batch size are not supported');
      pads = p?.v as number[] | undefined;
      if (g.input(i, 2) !== undefined) {
        const c = g.floatInput(i, 2, 'constant_value');
        if (c.data.length !== 1) this.fail('FORMAT', 'constant_value must be a scalar');
        value = c.data[0];
      }
    }
    const rank = st.onnx.length + 1;
    if (!pads || pads.length !== 2 * rank)
      this.fail('FORMAT', `pads ${pads ? show(pads) : '(none)'} must give ${2 * rank} values for a ${rank}-D input`);
    if (pads.every((p) => p === 0)) {
      this.fuseKept = true;
      return st; // PyTorch writes a zero Pad before AveragePool
    }
    if (mode !== 'constant' || value !== 0)
      this.fail(
        'UNSUPPORTED',
        `only zero padding (mode 'constant', value 0) is supported, got mode '${mode}', value ${value}`,
      );
    if (pads.some((p) => p < 0)) this.fail('UNSUPPORTED', `negative pads ${show(pads)} (cropping) are not supported`);
    if (rank !== 4 || pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0) {
      this.fail('UNSUPPORTED', `pads ${show(pads)} are supported only on the height and width of a 4-D NCHW tensor`);
    }
    const m = this.asMap(st, 'Pad');
    const [c, h, w] = m.chw!;
    const [t, l, b, r] = [pads[2], pads[3], pads[6], pads[7]];
    return {
      onnx: [c, h + t + b, w + l + r],
      sim: m.sim,
      order: 'chw',
      chw: m.chw,
      pad: { node: i, pads: [t, l, b, r], before: m },
    };
  }

  /**
   * 'valid' or 'same' for ONNX window padding, or a refusal. Explicit pads match a mode when they put the windows
   * where it does: the same leading pad on each axis (0 for 'valid'; TensorFlow's floor(total / 2) for 'same', with
   * total = max((ceil(in/s) − 1)·s + k − in, 0)) and the same number of outputs. Trailing padding no window
   * reaches changes nothing (PyTorch writes some for ceil_mode at opset 9).
   * With strict false: undefined where it would refuse the pads.
   */
  private matchPadding(
    hw: [number, number],
    k: [number, number],
    s: [number, number],
    autoPad: string,
    pads: number[] | undefined,
    ceil: boolean,
    strict: boolean,
  ): 'valid' | 'same' | undefined {
    const axes = [0, 1];
    const totals = axes.map((a) => Math.max((Math.ceil(hw[a] / s[a]) - 1) * s[a] + k[a] - hw[a], 0));
    switch (autoPad) {
      case 'NOTSET':
      case '':
      case 'VALID': {
        // VALID is no padding, but ONNX Runtime still rounds up with ceil_mode: the same comparison.
        const p = autoPad === 'VALID' ? [0, 0, 0, 0] : (pads ?? [0, 0, 0, 0]);
        if (p.length !== 4) this.fail('FORMAT', `pads ${show(p)} must have 4 values for a 2-D window`);
        if (p.some((x) => x < 0)) this.fail('UNSUPPORTED', `negative pads ${show(p)} (cropping) are not supported`);
        const round = ceil ? Math.ceil : Math.floor;
        const outs = axes.map((a) => round((hw[a] + p[a] + p[a + 2] - k[a]) / s[a]) + 1);
        const valid = axes.every((a) => p[a] === 0 && outs[a] === windowAxis(hw[a], k[a], s[a], 'valid').out);
        if (valid) return 'valid';
        const same = axes.every((a) => p[a] === Math.floor(totals[a] / 2) && outs[a] === Math.ceil(hw[a] / s[a]));
        if (same) return 'same';
        if (!strict) return undefined;
        const want = [
          Math.floor(totals[0] / 2),
          Math.floor(totals[1] / 2),
          totals[0] - Math.floor(totals[0] / 2),
          totals[1] - Math.floor(totals[1] / 2),
        ];
        return this.fail(
          'UNSUPPORTED',
          `pads ${show(p)}${ceil ? ' with ceil_mode 1' : ''} on a ${hw[0]}x${hw[1]} input are not supported: simdnet pads 'valid' (none) or ` +
            `'same' (${show(want)} here: TensorFlow's split, the odd pixel at the end), and these put the windows elsewhere`,
        );
      }
      case 'SAME_UPPER':
        return 'same';
      case 'SAME_LOWER':
        if (totals.some((t) => t % 2 !== 0)) {
          if (!strict) return undefined;
          this.fail(
            'UNSUPPORTED',
            `auto_pad SAME_LOWER puts the odd padding pixel first on this ${hw[0]}x${hw[1]} input; simdnet's 'same' puts it last`,
          );
        }
        return 'same';
      default:
        return this.fail('FORMAT', `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
  }

  /**
   * The explicit [top, left, bottom, right] pads an ONNX window op puts around its input (auto_pad resolved), or
   * undefined when ceil_mode adds a window these pads do not hold (then only a match with 'valid'/'same' will do).
   */
  private explicitPads(
    hw: [number, number],
    k: [number, number],
    s: [number, number],
    autoPad: string,
    pads: number[] | undefined,
    ceil: boolean,
  ): [number, number, number, number] | undefined {
    let p: number[];
    if (autoPad === 'NOTSET' || autoPad === '') p = pads ?? [0, 0, 0, 0];
    else if (autoPad === 'VALID') p = [0, 0, 0, 0];
    else {
      const totals = [0, 1].map((a) => Math.max((Math.ceil(hw[a] / s[a]) - 1) * s[a] + k[a] - hw[a], 0));
      const lead = totals.map((t) => (autoPad === 'SAME_LOWER' ? Math.ceil(t / 2) : Math.floor(t / 2)));
      p = [lead[0], lead[1], totals[0] - lead[0], totals[1] - lead[1]];
    }
    if (p.length !== 4) this.fail('FORMAT', `pads ${show(p)} must have 4 values for a 2-D window`);
    if (p.some((x) => x < 0)) this.fail('UNSUPPORTED', `negative pads ${show(p)} (cropping) are not supported`);
    if (ceil && [0, 1].some((a) => (hw[a] + p[a] + p[a + 2] - k[a]) % s[a] !== 0)) return undefined;
    return [p[0], p[1], p[2], p[3]];
  }

  /** A zeroPadding2d layer (pads [top, left, bottom, right]) on a map; the padded map's state. */
  private zeroPad(m: State, p: readonly number[]): State {
    const [c, h, w] = m.chw!;
    const [t, l, b, r] = p;
    if (t + l + b + r === 0) return m;
    this.push(
      zeroPadding2d(
        [
          [t, b],
          [l, r],
        ],
        { name: this.layerName('_pad', ['Pad']) },
      ),
    );
    const chw: [number, number, number] = [c, h + t + b, w + l + r];
    return { onnx: [...chw], sim: [chw[1], chw[2], c], order: 'chw', chw };
  }

  /** A zero Pad that feeds no Conv: a zeroPadding2d layer named after the Pad node. */
  private padLayer(st: State): State {
    const at = this.at;
    this.at = st.pad!.node;
    const out = this.zeroPad(st.pad!.before, st.pad!.pads);
    this.at = at;
    return out;
  }

  /** A 2-value list attribute (kernel_shape, strides, dilations) of positive integers. */
  private pair(i: number, name: string, dflt?: [number, number]): [number, number] {
    const v = this.g.attrInts(i, name);
    if (v === undefined) {
      if (!dflt) this.fail('FORMAT', `has no '${name}'`);
      return dflt;
    }
    if (v.length !== 2) this.fail('UNSUPPORTED', `${name} ${show(v)} is not supported (2-D windows only)`);
    if (!v.every((d) => d >= 1 && d <= 1 << 16)) this.fail('FORMAT', `${name} ${show(v)} must be positive`);
    return [v[0], v[1]];
  }

  private conv(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
    const n = g.nodes[i];
    if (n.input.length < 2 || n.input.length > 3)
      this.fail('FORMAT', `has ${n.input.length} inputs; Conv takes 2 or 3 (X, W, B)`);
    const wt = g.floatInput(i, 1, 'weight');
    if (wt.dims.length !== 4)
      this.fail(
        'UNSUPPORTED',
        `a weight of dims ${show(wt.dims)} is not supported (2-D convolutions: [filters, channels, kh, kw])`,
      );
    const [f, cg, kh, kw] = wt.dims;
    const group = g.attrInt(i, 'group', 1);
    if (group !== 1)
      this.fail(
        'UNSUPPORTED',
        `group ${group} is not supported (grouped and depthwise convolutions; simdnet's conv2d has group 1)`,
      );
    const dil = this.pair(i, 'dilations', [1, 1]);
    if (dil[0] !== 1 || dil[1] !== 1) this.fail('UNSUPPORTED', `dilations ${show(dil)} are not supported (only 1)`);
    const ks = g.attrInts(i, 'kernel_shape');
    if (ks && !sameDims(ks, [kh, kw]))
      this.fail('FORMAT', `kernel_shape ${show(ks)} does not match the weight's ${show([kh, kw])}`);
    const strides = this.pair(i, 'strides', [1, 1]);
    const autoPad = g.attrString(i, 'auto_pad', 'NOTSET');
    let pads = g.attrInts(i, 'pads');
    let m: State;
    if (st.pad && (autoPad === 'NOTSET' || autoPad === '')) {
      const own = pads ?? [0, 0, 0, 0];
      if (own.length !== 4) this.fail('FORMAT', `pads ${show(own)} must have 4 values`);
      pads = own.map((p, k) => p + st.pad!.pads[k]);
      m = st.pad.before;
    } else {
      m = this.asMap(st.pad ? this.padLayer(st) : st, 'Conv');
    }
    if (m.chw![0] !== cg)
      this.fail(
        'FORMAT',
        `the weight '${wt.source}' takes ${cg} input channels; the input ${show(['N', ...m.chw!])} has ${m.chw![0]}`,
      );
    // Pads that are neither 'valid' nor 'same' (PyTorch's padding=1 at stride 2): zeros first, then 'valid'.
    let padding = this.matchPadding([m.chw![1], m.chw![2]], [kh, kw], strides, autoPad, pads, false, false);
    if (padding === undefined) {
      m = this.zeroPad(m, this.explicitPads([m.chw![1], m.chw![2]], [kh, kw], strides, autoPad, pads, false)!);
      padding = 'valid';
    }
    const [c, h, w] = m.chw!;
    const y = windowAxis(h, kh, strides[0], padding);
    const x = windowAxis(w, kw, strides[1], padding);
    if (y.out < 1 || x.out < 1) this.fail('FORMAT', `a ${kh}x${kw} kernel does not fit the ${h}x${w} input`);
    let bias: Float32Array | undefined;
    let biasSource = '';
    if (g.input(i, 2) !== undefined) {
      const b = g.floatInput(i, 2, 'bias');
      if (b.data.length !== f || b.dims.length !== 1)
        this.fail('FORMAT', `the bias '${b.source}' has dims ${show(b.dims)}; ${f} filters need [${f}]`);
      bias = b.data;
      biasSource = this.sourceOf(b, 'bias');
    }
    // OIHW → HWIO.
    const k = new Float32Array(wt.data.length);
    for (let o = 0; o < f; o++)
      for (let ch = 0; ch < c; ch++)
        for (let r = 0; r < kh; r++)
          for (let q = 0; q < kw; q++) k[((r * kw + q) * c + ch) * f + o] = wt.data[((o * c + ch) * kh + r) * kw + q];
    const spec = conv2d(f, [kh, kw], { strides, padding, useBias: bias !== undefined, name: this.layerName() });
    this.push(spec);
    this.setWeight(spec.name, 'kernel', k, this.sourceOf(wt, 'weight'));
    if (bias) this.setWeight(spec.name, 'bias', bias, biasSource);
    this.fuse = spec;
    this.fuseKept = true;
    return { onnx: [f, y.out, x.out], sim: [y.out, x.out, f], order: 'chw', chw: [f, y.out, x.out] };
  }

  private pool(i: number, st: State, max: boolean): State {
    const g = this.g;
    const op = max ? 'MaxPool' : 'AveragePool';
    g.onlyAttrs(
      i,
      max
        ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
        : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    );
    if (g.nodes[i].input.length > 1) this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; ${op} takes 1`);
    const m = this.asMap(st, op);
    const [c, h, w] = m.chw!;
    const k = this.pair(i, 'kernel_shape');
    const strides = this.pair(i, 'strides', [1, 1]);
    const dil = this.pair(i, 'dilations', [1, 1]);
    if (dil[0] !== 1 || dil[1] !== 1) this.fail('UNSUPPORTED', `dilations ${show(dil)} are not supported (only 1)`);
    // storage_order only orders the Indices output, which must be unused (checked by the walk).
    const autoPad = g.attrString(i, 'auto_pad', 'NOTSET');
    // ceil_mode only changes the output size, which the padding check compares.
    const ceil = g.attrInt(i, 'ceil_mode', 0) !== 0;
    const pads = g.attrInts(i, 'pads');
    // Zeros then 'valid' is exact for an average that counts the padding (count_include_pad 1), and for a max
    // over values known >= 0 (a window always holds one input pixel, and ONNX's padding is −∞).
    const countPad = !max && g.attrInt(i, 'count_include_pad', 0) !== 0;
    let explicit =
      countPad || (max && this.nonNegative()) ? this.explicitPads([h, w], k, strides, autoPad, pads, ceil) : undefined;
    // A max window wholly in the padding would be −∞ in ONNX and 0 here.
    if (max && explicit?.some((p, j) => p >= k[j % 2])) explicit = undefined;
    let padding: 'valid' | 'same' | undefined;
    let src = m;
    if (countPad && explicit) {
      src = this.zeroPad(m, explicit);
      padding = 'valid';
    } else {
      padding = this.matchPadding([h, w], k, strides, autoPad, pads, ceil, explicit === undefined);
      if (padding === undefined) {
        src = this.zeroPad(m, explicit!);
        padding = 'valid';
      }
    }
    const [ph, pw] = [src.chw![1], src.chw![2]];
    const y = windowAxis(ph, k[0], strides[0], padding);
    const x = windowAxis(pw, k[1], strides[1], padding);
    if (y.out < 1 || x.out < 1) this.fail('FORMAT', `a ${k[0]}x${k[1]} window does not fit the ${h}x${w} input`);
    const total = [ph, pw].map((d, a) =>
      padding === 'valid' ? 0 : Math.max(((a === 0 ? y : x).out - 1) * strides[a] + k[a] - d, 0),
    );
    if (countPad && total.some((t) => t > 0)) {
      this.fail(
        'UNSUPPORTED',
        `count_include_pad 1 with ceil_mode 1 and these pads is not supported (simdnet's averagePooling2d does not count the padding)`,
      );
    }
    const opts = { strides, padding, name: this.layerName() };
    this.push(max ? maxPooling2d(k, opts) : averagePooling2d(k, opts));
    return { onnx: [c, y.out, x.out], sim: [y.out, x.out, c], order: 'chw', chw: [c, y.out, x.out] };
  }

  /**
   * True when the running values are known >= 0: the last layer that computes values ends in a ReLU (the layers
   * after it only move, pad with zeros, take maxima or averages of them).
   */
  private nonNegative(): boolean {
    for (let j = this.layers.length - 1; j >= 0; j--) {
      const l = this.layers[j];
      if (
        [
          'flatten',
          'reshape',
          'permute',
          'zeroPadding2d',
          'maxPooling2d',
          'averagePooling2d',
          'globalAveragePooling2d',
          'dropout',
        ].includes(l.type)
      )
        continue;
      return 'activation' in l && l.activation === 'relu';
    }
    return false;
  }

  /** ReduceMean over the two spatial axes of a map (tf2onnx's GlobalAveragePooling2D): a global average pooling. */
  private reduceMean(i: number, st: State): State {
    const g = this.g;
    let axes: Sym[] | undefined;
    if (g.opset < 18) {
      g.onlyAttrs(i, ['axes', 'keepdims']);
      axes = g.attrInts(i, 'axes');
    } else {
      g.onlyAttrs(i, ['keepdims', 'noop_with_empty_axes']);
      if (g.attrInt(i, 'noop_with_empty_axes', 0) !== 0)
        this.fail('UNSUPPORTED', 'noop_with_empty_axes is not supported');
      axes = g.input(i, 1) === undefined ? undefined : g.intInput(i, 1, 'axes').v;
    }
    const keep = g.attrInt(i, 'keepdims', 1) !== 0;
    const rank = st.onnx.length + 1;
    if (axes && !axes.every((a) => typeof a === 'number'))
      this.fail('UNSUPPORTED', 'axes computed from the batch size are not supported');
    const norm = ((axes ?? []) as number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    const spatial = (pair: number[]): boolean => norm.length === 2 && norm[0] === pair[0] && norm[1] === pair[1];
    let c: number;
    let onnxKept: number[];
    if (rank === 4 && (st.order === 'chw' || st.order === 'same') && spatial([2, 3])) {
      // Over H and W of an NCHW map.
      const m = this.asMap(st, 'ReduceMean');
      c = m.chw![0];
      onnxKept = [c, 1, 1];
    } else if (rank === 4 && st.order === 'same' && spatial([1, 2])) {
      // Over H and W of an NHWC map: simdnet's own layout.
      const [h, w] = st.onnx;
      c = st.onnx[2];
      this.toSim(st, [h, w, c]);
      onnxKept = [1, 1, c];
    } else {
      return this.fail(
        'UNSUPPORTED',
        `axes ${show(axes ?? [])} of a ${rank}-D input are not supported (only the two spatial axes of a 4-D map: a global average pooling)`,
      );
    }
    this.push(globalAveragePooling2d({ name: this.layerName() }));
    return { onnx: keep ? onnxKept : [c], sim: [c], order: 'same' };
  }

  private batchNorm(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, ['epsilon', 'momentum', 'spatial', 'is_test', 'consumed_inputs', 'training_mode']);
    if (g.nodes[i].input.length !== 5)
      this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; BatchNormalization takes 5 (X, scale, B, mean, var)`);
    if (g.attrInt(i, 'spatial', 1) !== 1)
      this.fail('UNSUPPORTED', 'spatial 0 (statistics per value rather than per channel) is not supported');
    if (g.attrInt(i, 'training_mode', 0) !== 0)
      this.fail('UNSUPPORTED', 'training_mode 1 is not supported (an inference graph: export the model in eval mode)');
    const epsilon = g.attrFloat(i, 'epsilon', 1e-5);
    if (!(epsilon >= 1e-12 && epsilon <= 1))
      this.fail('UNSUPPORTED', `epsilon ${epsilon} is not supported (simdnet's batch norm takes [1e-12, 1])`);
    // ONNX's momentum weighs the old running value, as simdnet's does (PyTorch's 0.1 is written as 0.9).
    const mom = g.attrFloat(i, 'momentum', 0.9);
    const momentum = mom >= 0 && mom < 1 ? mom : 0.9;
    let m = st;
    let perm: Int32Array | undefined;
    if (st.onnx.length === 3) m = this.asMap(st, 'BatchNormalization');
    else if (st.onnx.length !== 1)
      this.fail(
        'UNSUPPORTED',
        `an input of ${show(['N', ...st.onnx])} is not supported (2-D [batch, features] or 4-D NCHW)`,
      );
    else if (st.order === 'chwFlat') perm = chwToHwc(...st.chw!);
    if (st.onnx.length === 1 && m.sim.length !== 1) m = this.toSim(m, [st.onnx[0]]);
    const ch = st.onnx[0];
    const from: string[] = [];
    const read = (slot: number, what: string): Float32Array => {
      const v = g.floatInput(i, slot, what);
      if (v.data.length !== ch || v.dims.length !== 1)
        this.fail('FORMAT', `${what} '${v.source}' has dims ${show(v.dims)}; ${ch} channels need [${ch}]`);
      from.push(this.sourceOf(v, what));
      return perm ? Float32Array.from(perm, (o) => v.data[o]) : v.data;
    };
    const [gamma, beta, mean, variance] = [read(1, 'scale'), read(2, 'B'), read(3, 'mean'), read(4, 'var')];
    const neg = variance.findIndex((v) => !(v + epsilon > 0));
    if (neg >= 0) this.fail('UNSUPPORTED', `var holds ${variance[neg]} (a variance plus epsilon must be positive)`);
    const spec = batchNormalization({ momentum, epsilon, name: this.layerName() });
    this.push(spec);
    this.setWeight(spec.name, 'gamma', gamma, from[0]);
    this.setWeight(spec.name, 'beta', beta, from[1]);
    this.setWeight(spec.name, 'movingMean', mean, from[2]);
    this.setWeight(spec.name, 'movingVariance', variance, from[3]);
    return m;
  }

  /** A dense layer from a (K, M) kernel in ONNX row order, permuting its rows after a flattened NCHW map. */
  private dense(
    st: State,
    kernel: Float32Array,
    units: number,
    bias: Float32Array | undefined,
    sources: { kernel: string; bias: string },
  ): State {
    let kern = kernel;
    if (st.order === 'chwFlat') {
      const perm = chwToHwc(...st.chw!);
      kern = new Float32Array(kernel.length);
      for (let s = 0; s < perm.length; s++)
        kern.set(kernel.subarray(perm[s] * units, perm[s] * units + units), s * units);
    }
    const spec = dense(units, { useBias: bias !== undefined, name: this.layerName() });
    this.push(spec);
    this.setWeight(spec.name, 'kernel', kern, sources.kernel);
    if (bias) this.setWeight(spec.name, 'bias', bias, sources.bias);
    this.fuse = spec;
    this.fuseKept = true;
    return { onnx: [units], sim: [units], order: 'same' };
  }

  /** The width of the running tensor as the 2-D input of Gemm/MatMul. */
  private rowWidth(st: State, op: string): number {
    if (st.onnx.length !== 1)
      this.fail(
        'UNSUPPORTED',
        `${op} of a ${st.onnx.length + 1}-D input ${show(['N', ...st.onnx])} is not supported (flatten it first: [batch, features])`,
      );
    if (st.sim.length !== 1) this.toSim(st, [st.onnx[0]]);
    return st.onnx[0];
  }

  private gemm(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, ['alpha', 'beta', 'transA', 'transB', 'broadcast']);
    const n = g.nodes[i];
    if (n.input.length < 2 || n.input.length > 3)
      this.fail('FORMAT', `has ${n.input.length} inputs; Gemm takes 2 or 3 (A, B, C)`);
    if (g.opset < 11 && g.input(i, 2) === undefined) this.fail('FORMAT', `has no C; Gemm before opset 11 requires it`);
    if (g.attrInt(i, 'transA', 0) !== 0)
      this.fail('UNSUPPORTED', 'transA 1 is not supported (the batch must be the rows of A)');
    const transB = g.attrInt(i, 'transB', 0) !== 0;
    const alpha = g.attrFloat(i, 'alpha', 1);
    const beta = g.attrFloat(i, 'beta', 1);
    if (!Number.isFinite(alpha) || !Number.isFinite(beta))
      this.fail('UNSUPPORTED', `alpha ${alpha} and beta ${beta} must be finite`);
    const k = this.rowWidth(st, 'Gemm');
    const b = g.floatInput(i, 1, 'B');
    if (b.dims.length !== 2) this.fail('FORMAT', `B '${b.source}' has dims ${show(b.dims)}; Gemm needs a matrix`);
    const [rows, cols] = b.dims;
    const units = transB ? rows : cols;
    if ((transB ? cols : rows) !== k) {
      this.fail(
        'FORMAT',
        `B '${b.source}' has dims ${show(b.dims)}${transB ? ' (transB)' : ''}; the input has ${k} features`,
      );
    }
    const kernel = new Float32Array(k * units);
    for (let r = 0; r < k; r++)
      for (let c = 0; c < units; c++)
        kernel[r * units + c] = alpha * (transB ? b.data[c * k + r] : b.data[r * units + c]);
    let bias: Float32Array | undefined;
    let biasSource = '';
    if (g.input(i, 2) !== undefined) {
      const c = g.floatInput(i, 2, 'C');
      bias = this.broadcastBias(c.data, c.dims, units, `C '${c.source}'`);
      if (beta !== 1) bias = bias.map((v) => v * beta);
      biasSource = this.sourceOf(c, 'C', beta !== 1 ? `, times beta ${beta}` : '');
    }
    return this.dense(st, kernel, units, bias, {
      kernel: this.sourceOf(b, 'B', alpha !== 1 ? `, times alpha ${alpha}` : ''),
      bias: biasSource,
    });
  }

  /** A bias of `units` values from a tensor broadcast over the rows ([], [1], [M], [1, M]). */
  private broadcastBias(data: Float32Array, dims: number[], units: number, what: string): Float32Array {
    const lead = dims.slice(0, -1);
    const last = dims.length ? dims[dims.length - 1] : 1;
    if (dims.length > 2 || lead.some((d) => d !== 1) || (last !== units && last !== 1)) {
      this.fail(
        'UNSUPPORTED',
        `${what} has dims ${show(dims)}; only a bias broadcast over the batch ([${units}], [1, ${units}] or a scalar) is supported`,
      );
    }
    return last === units ? Float32Array.from(data) : new Float32Array(units).fill(data[0]);
  }

  private matmul(i: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, []);
    if (g.nodes[i].input.length !== 2) this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; MatMul takes 2`);
    const k = this.rowWidth(st, 'MatMul');
    const b = g.floatInput(i, 1, 'B');
    if (b.dims.length !== 2)
      this.fail(
        'UNSUPPORTED',
        `B '${b.source}' has dims ${show(b.dims)}; only a 2-D weight matrix [features, units] is supported`,
      );
    if (b.dims[0] !== k) this.fail('FORMAT', `B '${b.source}' has dims ${show(b.dims)}; the input has ${k} features`);
    return this.dense(st, Float32Array.from(b.data), b.dims[1], undefined, { kernel: this.sourceOf(b, 'B'), bias: '' });
  }

  /** Add of a constant right after a dense/conv2d layer without activation: that layer's bias. */
  private addBias(i: number, slot: number, st: State): State {
    const g = this.g;
    g.onlyAttrs(i, []);
    if (g.nodes[i].input.length !== 2) this.fail('FORMAT', `has ${g.nodes[i].input.length} inputs; Add takes 2`);
    const target = this.fuse;
    if (target?.activation !== 'linear') {
      this.fail(
        'UNSUPPORTED',
        `Add is supported only as the bias of the MatMul, Gemm or Conv right before it (supported ops: ${SUPPORTED_OPS})`,
      );
    }
    const c = g.floatInput(i, 1 - slot, 'bias');
    let add: Float32Array;
    if (target.type === 'dense') {
      add = this.broadcastBias(c.data, c.dims, target.units, `the addend '${c.source}'`);
    } else {
      const f = target.filters;
      // Per channel of an NCHW map: [f, 1, 1] or [1, f, 1, 1], or one value for all.
      const d = c.dims;
      const perChannel =
        (d.length === 3 || d.length === 4) &&
        d[d.length - 3] === f &&
        d.slice(-2).every((x) => x === 1) &&
        (d.length === 3 || d[0] === 1);
      if (perChannel) add = Float32Array.from(c.data);
      else if (c.data.length === 1 && d.length <= 4) add = new Float32Array(f).fill(c.data[0]);
      else
        return this.fail(
          'UNSUPPORTED',
          `the addend '${c.source}' has dims ${show(d)}; only a per-channel bias ([${f}, 1, 1] or [1, ${f}, 1, 1]) is supported after a Conv`,
        );
    }
    const key = `${target.name}/bias`;
    const old = this.weights.get(key);
    const source = this.sourceOf(c, 'the addend');
    // A bias already there (Gemm's C, Conv's B) and the addend sum up: name both.
    this.setWeight(
      target.name,
      'bias',
      old ? old.map((v, j) => v + add[j]) : add,
      old ? `${this.sources.get(key)} + ${source}` : source,
    );
    target.useBias = true;
    this.fuseKept = true;
    return st;
  }
}

/** The sample shape (without the batch) of the graph input; refuses what simdnet cannot take. */
function inputShape(vi: OnnxValueInfo): number[] {
  const name = `ONNX graph input '${vi?.name}'`;
  if (vi.kind !== undefined)
    throw new SimdnetError('UNSUPPORTED', `${name} has a ${vi.kind} type; simdnet takes FLOAT (float32) tensor inputs`);
  if (vi.elemType !== DataType.FLOAT) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${name} has element type ${vi.elemType ? dataTypeName(vi.elemType) : '(none)'}; simdnet takes FLOAT (float32) inputs`,
    );
  }
  if (!vi.shape)
    throw new SimdnetError(
      'UNSUPPORTED',
      `${name} has no shape; simdnet needs the sample shape (e.g. [batch, 784] or [batch, 1, 28, 28])`,
    );
  if (vi.shape.length < 2) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `${name} has ${vi.shape.length} dimension(s); simdnet needs [batch, ...sample] (at least 2)`,
    );
  }
  const sample = vi.shape.slice(1).map((d, k) => {
    const v = d?.value;
    if (v === undefined || !Number.isSafeInteger(v) || v < 1) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `${name}: dimension ${k + 1} is ${d?.param ? `'${d.param}'` : (v ?? 'unknown')}; only the batch (the first) may be dynamic`,
      );
    }
    return v;
  });
  if (size(sample) > MAX_ELEMENTS)
    throw new SimdnetError('UNSUPPORTED', `${name}: a sample of ${show(sample)} is too large`);
  return sample;
}

/** Compares the graph output's declared dims (where given) with what the chain computes. */
function checkOutput(vi: OnnxValueInfo, onnx: number[]): void {
  if (vi.kind !== undefined)
    throw new SimdnetError(
      'UNSUPPORTED',
      `ONNX graph output '${vi.name}' has a ${vi.kind} type; simdnet computes FLOAT tensors`,
    );
  if (vi.elemType && vi.elemType !== DataType.FLOAT) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `ONNX graph output '${vi.name}' has element type ${dataTypeName(vi.elemType)}; simdnet computes FLOAT`,
    );
  }
  if (!vi.shape || vi.shape.length === 0) return;
  const declared = vi.shape.slice(1);
  const fits =
    declared.length === onnx.length &&
    declared.every((d, k) => d?.value === undefined || d.value === 0 || d.value === onnx[k]);
  if (!fits) {
    const dims = vi.shape.map((d) => d?.value ?? d?.param ?? '?');
    throw new SimdnetError(
      'FORMAT',
      `ONNX graph output '${vi.name}' is declared ${show(dims)}, but the graph computes ${show(['N', ...onnx])}`,
    );
  }
}

const ZIPMAP_HINT =
  "a ZipMap output (a sequence of maps, skl2onnx's default for classifiers) is not a tensor simdnet can compute: " +
  "convert with options={id(model): {'zipmap': False}} to get a float 'probabilities' output";

/** True when a ZipMap node writes `name` (its type, a sequence of maps, is the decoder's kind 'sequence'). */
function fromZipMap(g: GraphView, name: string): boolean {
  const p = g.producer.get(name);
  return p !== undefined && g.nodes[p].opType === 'ZipMap';
}

/**
 * The graph output to import: `requested`, or else the only FLOAT one (non-float outputs such as a classifier's
 * int64 or string `label` are left out). Several float outputs need `requested`; a ZipMap output is refused with
 * the skl2onnx option that avoids it.
 */
function chooseOutput(g: GraphView, requested: string | undefined): { output: OnnxValueInfo; dropped: string[] } {
  const outputs = g.model.graph.output;
  outputs.forEach((o, k) => {
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || o.name === '') {
      throw new SimdnetError('FORMAT', `ONNX graph output #${k} has no name`);
    }
  });
  if (outputs.length === 0) throw new SimdnetError('FORMAT', 'ONNX graph has no outputs');
  const typeOf = (o: OnnxValueInfo): string =>
    fromZipMap(g, o.name)
      ? 'ZipMap'
      : o.kind !== undefined
        ? `a ${o.kind}`
        : o.elemType
          ? dataTypeName(o.elemType)
          : 'type not given';
  const listAll = (): string => outputs.map((o) => `'${o.name}' (${typeOf(o)})`).join(', ');
  // An output whose type the file leaves out is taken as float (checkOutput compares what the chain computes); a
  // sequence, map, sparse or optional value never is.
  const isFloat = (o: OnnxValueInfo): boolean =>
    !fromZipMap(g, o.name) && o.kind === undefined && (!o.elemType || o.elemType === DataType.FLOAT);
  const floats = outputs.filter(isFloat);
  let output: OnnxValueInfo;
  if (requested !== undefined) {
    const found = outputs.filter((o) => o.name === requested);
    if (found.length === 0)
      throw new SimdnetError(
        'RANGE',
        `importOnnx(): output '${requested}' is not an output of the ONNX graph (outputs: ${listAll()})`,
      );
    if (found.length > 1)
      throw new SimdnetError('FORMAT', `ONNX graph lists output '${requested}' ${found.length} times`);
    output = found[0];
    if (fromZipMap(g, output.name))
      throw new SimdnetError('UNSUPPORTED', `ONNX graph output '${output.name}': ${ZIPMAP_HINT}`);
    if (!isFloat(output)) {
      throw new SimdnetError(
        'UNSUPPORTED',
        `ONNX graph output '${output.name}' has ${output.kind !== undefined ? `${typeOf(output)} type` : `element type ${typeOf(output)}`}; simdnet computes FLOAT outputs (${floats.length ? `the graph's: ${floats.map((o) => `'${o.name}'`).join(', ')}` : 'the graph has none'})`,
      );
    }
  } else if (floats.length === 1) {
    output = floats[0];
  } else if (floats.length > 1) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `ONNX graph has ${floats.length} float outputs (${floats.map((o) => `'${o.name}'`).join(', ')}); simdnet imports one: choose it with importOnnx(bytes, { output: '${floats[0].name}' })`,
    );
  } else {
    const zip = outputs.find((o) => fromZipMap(g, o.name));
    if (zip) throw new SimdnetError('UNSUPPORTED', `ONNX graph output '${zip.name}': ${ZIPMAP_HINT}`);
    throw new SimdnetError(
      'UNSUPPORTED',
      `ONNX graph has no FLOAT output (outputs: ${listAll()}); simdnet imports a float output`,
    );
  }
  return { output, dropped: outputs.filter((o) => o !== output).map((o) => o.name) };
}

/** Maps a decoded ONNX model onto layer specs and weights (nothing allocated yet); `output` picks the graph output. */
export function planImport(model: OnnxModel, output?: string): ImportPlan {
  if (typeof model !== 'object' || model === null) throw new SimdnetError('FORMAT', 'not an ONNX model');
  const g = new GraphView(model);
  const mapper = new Mapper(g);
  const input = model.graph.input.find((v) => !g.inits.has(v?.name));
  const batch = input?.shape?.[0]?.value;
  if (batch !== undefined && batch > 0) mapper.fixedBatch = batch;
  return mapper.run(output);
}
