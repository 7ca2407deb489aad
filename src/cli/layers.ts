/**
 * Layers described on the command line or in a JSON file.
 *
 *   --layers conv:16x5:relu,maxpool:2,conv:32x5:relu,maxpool:2,flatten,dropout:0.3,128:relu,10:softmax
 *
 *     N[:act]                         dense layer of N units (activation default linear)
 *     dropout:R                       dropout of rate R in [0, 1)
 *     act                             a standalone activation (linear, relu, leakyRelu, sigmoid, tanh, softmax)
 *     conv:FxK[xK2][/S[xS2]][:same][:act]
 *                                     2-D convolution: F filters, a KxK (or KxK2) window, stride S (default 1),
 *                                     'valid' padding unless :same, activation default linear
 *     maxpool[:P[xP2][/S[xS2]][:same]] max pooling over PxP windows (default 2), stride default P
 *     avgpool[:P[xP2][/S[xS2]][:same]] average pooling, the same way
 *     gap                             global average pooling: (h, w, c) → (c)
 *     flatten                         (h, w, c) → (h·w·c)
 *     reshape:D1xD2[x…]               another shape of the same size (one dimension may be -1)
 *     permute:A1xA2[x…]               the sample's axes in another order, 1-based as Keras: permute:2x3x1 turns
 *                                     [c, h, w] into [h, w, c] (x-joined, as commas separate the items)
 *     zeropad:N | zeropad:RxC | zeropad:TxBxLxR
 *                                     zeros around each map (Keras ZeroPadding2D): N on every side, R rows above and
 *                                     below and C columns left and right, or top x bottom x left x right
 *     bn[:M] | batchnorm[:M]          batch normalization over the channels (moving-average momentum M, default 0.99)
 *
 *   The input shape is not part of the list: it comes from the data (--image-shape, 3-D IDX images, MNIST).
 *   describeLayers() writes this grammar back: parseLayerList(describeLayers(x)) gives x again for every spec the
 *   grammar can express (default names, default initializers, no regularizer, no declared input shape).
 *
 *   --layers-file net.json   [ {"type": "conv2d", "filters": 8, "kernelSize": 3, "activation": "relu",
 *                               "inputShape": [28, 28, 1]}, {"type": "flatten"}, {"type": "dense", "units": 10,
 *                               "activation": "softmax"} ]   (or { "layers": [ … ] })
 *     Every layer type of the library, with the options of its API factory (dense, conv2d, maxPooling2d,
 *     averagePooling2d, globalAveragePooling2d, flatten, reshape, permute, zeroPadding2d, batchNormalization, dropout,
 *     activation),
 *     checked by the library's own layer records; "name" defaults to <type>_<n> counted per type.
 */
import { SimdnetError } from '../errors.js';
import {
  activation,
  activationOf,
  averagePooling2d,
  batchNormalization,
  conv2d,
  declaredInputShape,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  inferShapes,
  kindOf,
  maxPooling2d,
  permute,
  reshape,
  zeroPadding2d,
  showShape,
  sizeOf,
  validateSpec,
  type Activation,
  type LayerSpec,
  type Shape,
} from '../layers/index.js';
import { suggest } from './args.js';

const ACTS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  leakyrelu: 'leakyRelu',
  leaky_relu: 'leakyRelu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
};

const ACT_LIST = 'linear, relu, leakyRelu, sigmoid, tanh, softmax';

function act(name: string, where: string): Activation {
  const a = ACTS[name.toLowerCase()];
  if (!a) throw new SimdnetError('FORMAT', `${where}: unknown activation '${name}' (one of ${ACT_LIST})`);
  return a;
}

/**
 * Layer names are given here (not from the API's global counter) so the same command always builds the same
 * names: dense_1, dropout_1, conv2d_1, dense_2, … counted per layer type within one list.
 */
function namer(): (kind: string) => string {
  const counts: Record<string, number> = {};
  return (kind) => `${kind}_${(counts[kind] = (counts[kind] ?? 0) + 1)}`;
}

const fail = (where: string, why: string): never => {
  throw new SimdnetError('FORMAT', `${where}: ${why}`);
};

/** `5` or `5x3` → [5, 5] / [5, 3] (positive integers, at most `max` parts). */
function dims(text: string, where: string, what: string, max: number): number[] {
  if (!/^\d+(x\d+)*$/i.test(text)) fail(where, `${what} must be whole numbers joined by x, got '${text}'`);
  const d = text.toLowerCase().split('x').map(Number);
  if (d.length > max) fail(where, `${what} has at most ${max} numbers, got '${text}'`);
  if (d.some((v) => v < 1 || v > 1 << 20)) fail(where, `${what} must be between 1 and ${1 << 20}, got '${text}'`);
  return d;
}

/** A window `P[xP2][/S[xS2]]` → size and strides (strides default `defaultStride`, or the size when undefined). */
function window(
  text: string,
  where: string,
  what: string,
  defaultStride?: [number, number],
): { size: [number, number]; strides: [number, number] } {
  const [sz, st, extra] = text.split('/');
  if (extra !== undefined) fail(where, `one '/' before the stride, got '${text}'`);
  const s = dims(sz, where, what, 2);
  const size: [number, number] = [s[0], s[1] ?? s[0]];
  if (st === undefined) return { size, strides: defaultStride ?? size };
  const t = dims(st, where, 'the stride', 2);
  return { size, strides: [t[0], t[1] ?? t[0]] };
}

/** The `:same` / `:valid` / `:act` modifiers after an item's numbers, each at most once. */
function modifiers(
  mods: string[],
  where: string,
  allowActivation: boolean,
): { padding: 'valid' | 'same'; activation: Activation } {
  let padding: 'valid' | 'same' | undefined;
  let activationName: Activation | undefined;
  for (const m of mods) {
    const lower = m.toLowerCase();
    if (lower === 'same' || lower === 'valid') {
      if (padding !== undefined) fail(where, 'the padding is given twice');
      padding = lower;
    } else if (allowActivation && ACTS[lower]) {
      if (activationName !== undefined) fail(where, 'the activation is given twice');
      activationName = ACTS[lower];
    } else {
      fail(
        where,
        allowActivation
          ? `expected same, valid or an activation (${ACT_LIST}), got '${m}'`
          : `expected same or valid, got '${m}'`,
      );
    }
  }
  return { padding: padding ?? 'valid', activation: activationName ?? 'linear' };
}

/** `/S` or `/SxS2` when the strides are not `usual`. */
const strideText = (s: readonly number[], usual: readonly number[]): string =>
  s[0] === usual[0] && s[1] === usual[1] ? '' : s[0] === s[1] ? `/${s[0]}` : `/${s[0]}x${s[1]}`;
const sizeText = (s: readonly number[]): string => (s[0] === s[1] ? `${s[0]}` : `${s[0]}x${s[1]}`);

/** One layer type's words in the grammar: how an item becomes a spec, and how a spec is written back. */
interface Grammar<S extends LayerSpec> {
  /** Words an item may start with (lower case); empty for dense (a number) and activation (its name). */
  words: string[];
  parse(args: string[], where: string, name: string): S;
  describe(s: S): string;
}

/** The spec of a layer type (pooling specs carry both pooling types). */
type SpecOf<T extends LayerSpec['type'], S = LayerSpec> = S extends LayerSpec
  ? T extends S['type']
    ? S
    : never
  : never;
type Grammars = { [T in LayerSpec['type']]: Grammar<SpecOf<T>> };

const pooling = (type: 'maxPooling2d' | 'averagePooling2d', word: string): Grammar<SpecOf<'maxPooling2d'>> => ({
  words: [word],
  parse(args, where, name) {
    const [size, ...mods] = args;
    const w =
      size === undefined
        ? { size: [2, 2] as [number, number], strides: [2, 2] as [number, number] }
        : window(size, where, 'the pool size');
    const { padding } = modifiers(mods, where, false);
    const f = type === 'maxPooling2d' ? maxPooling2d : averagePooling2d;
    return f(w.size, { strides: w.strides, padding, name });
  },
  describe: (s) =>
    `${word}:${sizeText(s.poolSize)}${strideText(s.strides, s.poolSize)}${s.padding === 'same' ? ':same' : ''}`,
});

function noArgs(args: string[], where: string): void {
  if (args.length > 0) fail(where, 'takes no options');
}

/** Every layer type of the library has an entry (a new type fails to compile here until it gets one). */
const GRAMMAR: Grammars = {
  dense: {
    words: [],
    parse([units, a, ...rest], where, name) {
      if (rest.length > 0) fail(where, 'expected N or N:activation');
      const n = Number(units);
      if (n < 1 || n > 1 << 20) fail(where, `units must be between 1 and ${1 << 20}`);
      return dense(n, { activation: a === undefined ? 'linear' : act(a, where), name });
    },
    describe: (s) => (s.activation === 'linear' ? `${s.units}` : `${s.units}:${s.activation}`),
  },
  dropout: {
    words: ['dropout'],
    parse(args, where, name) {
      const rate = args.length === 1 && args[0].trim() !== '' ? Number(args[0]) : NaN;
      if (!(rate >= 0 && rate < 1)) fail(where, 'dropout needs a rate in [0, 1), e.g. dropout:0.2');
      return dropout(rate, { name });
    },
    describe: (s) => `dropout:${s.rate}`,
  },
  activation: {
    words: [],
    parse: ([a], where, name) => activation(act(a, where), { name }),
    describe: (s) => s.activation,
  },
  conv2d: {
    words: ['conv', 'conv2d'],
    parse(args, where, name) {
      const [geometry, ...mods] = args;
      if (geometry === undefined)
        fail(where, 'conv needs filters and a kernel size, e.g. conv:16x5:relu (16 filters, 5x5 window)');
      const [fk, st, extra] = geometry.split('/');
      if (extra !== undefined) fail(where, `one '/' before the stride, got '${geometry}'`);
      const d = dims(fk, where, 'filters x kernel', 3);
      if (d.length < 2) fail(where, `give filters and a kernel size as FxK, e.g. conv:${d[0]}x3 (got '${fk}')`);
      const w = window(`${d[1]}x${d[2] ?? d[1]}${st === undefined ? '' : `/${st}`}`, where, 'the kernel size', [1, 1]);
      const { padding, activation: a } = modifiers(mods, where, true);
      return conv2d(d[0], w.size, { strides: w.strides, padding, activation: a, name });
    },
    describe: (s) =>
      `conv:${s.filters}x${sizeText(s.kernelSize)}${strideText(s.strides, [1, 1])}${s.padding === 'same' ? ':same' : ''}${s.activation === 'linear' ? '' : `:${s.activation}`}`,
  },
  maxPooling2d: pooling('maxPooling2d', 'maxpool'),
  averagePooling2d: pooling('averagePooling2d', 'avgpool'),
  globalAveragePooling2d: {
    words: ['gap'],
    parse(args, where, name) {
      noArgs(args, where);
      return globalAveragePooling2d({ name });
    },
    describe: () => 'gap',
  },
  flatten: {
    words: ['flatten'],
    parse(args, where, name) {
      noArgs(args, where);
      return flatten({ name });
    },
    describe: () => 'flatten',
  },
  reshape: {
    words: ['reshape'],
    parse(args, where, name) {
      if (args.length !== 1 || !/^(-1|\d+)(x(-1|\d+))*$/i.test(args[0]))
        fail(where, 'reshape needs a shape such as reshape:28x28x1 (one dimension may be -1)');
      return reshape(args[0].toLowerCase().split('x').map(Number), { name });
    },
    describe: (s) => `reshape:${s.targetShape.join('x')}`,
  },
  permute: {
    words: ['permute'],
    parse(args, where, name) {
      if (args.length !== 1 || !/^\d+(x\d+)*$/i.test(args[0]))
        fail(where, 'permute needs 1-based sample axes joined by x, such as permute:2x3x1 ([c, h, w] → [h, w, c])');
      return permute(args[0].toLowerCase().split('x').map(Number), { name });
    },
    describe: (s) => `permute:${s.dims.join('x')}`,
  },
  zeroPadding2d: {
    words: ['zeropad'],
    parse(args, where, name) {
      const ok = args.length === 1 && /^\d+(x\d+)*$/i.test(args[0]);
      const n = ok ? args[0].toLowerCase().split('x').map(Number) : [];
      if (n.length !== 1 && n.length !== 2 && n.length !== 4) {
        fail(where, 'zeropad needs N, RxC or TxBxLxR, such as zeropad:1 (one zero row and column on every side)');
      }
      const pads =
        n.length === 4
          ? ([
              [n[0], n[1]],
              [n[2], n[3]],
            ] as [[number, number], [number, number]])
          : n.length === 2
            ? ([n[0], n[1]] as [number, number])
            : n[0];
      return zeroPadding2d(pads, { name });
    },
    describe: (s) => {
      const [[t, b], [l, r]] = s.padding;
      if (t === b && l === r) return t === l ? `zeropad:${t}` : `zeropad:${t}x${l}`;
      return `zeropad:${t}x${b}x${l}x${r}`;
    },
  },
  batchNormalization: {
    words: ['bn', 'batchnorm'],
    parse(args, where, name) {
      if (args.length > 1) fail(where, 'expected bn or bn:MOMENTUM');
      const m = args.length === 1 && args[0].trim() !== '' ? Number(args[0]) : args.length === 0 ? 0.99 : NaN;
      if (!(m >= 0 && m < 1)) fail(where, 'the momentum of bn must be in [0, 1), e.g. bn:0.99');
      return batchNormalization({ momentum: m, name });
    },
    describe: (s) => (s.momentum === 0.99 ? 'bn' : `bn:${s.momentum}`),
  },
};

const BY_WORD = new Map<string, LayerSpec['type']>(
  (Object.keys(GRAMMAR) as LayerSpec['type'][]).flatMap((t) =>
    GRAMMAR[t].words.map((w) => [w, t] as [string, LayerSpec['type']]),
  ),
);

const EXPECTED =
  'expected N[:activation], dropout:R, conv:FxK[:same][:activation], maxpool[:P], avgpool[:P], gap, flatten, reshape:HxWxC, permute:2x3x1, zeropad:N, bn or an activation name';

/**
 * Parses a `--layers` string.
 * @throws SimdnetError FORMAT naming the item that is wrong.
 */
export function parseLayerList(text: string): LayerSpec[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw new SimdnetError(
      'FORMAT',
      `--layers '${text}' has an empty item (write e.g. 128:relu,dropout:0.2,10:softmax)`,
    );
  }
  const named = namer();
  return items.map((item, i) => {
    const where = `--layers item ${i + 1} '${item}'`;
    const [head, ...args] = item.split(':');
    const word = head.toLowerCase();
    let type: LayerSpec['type'] | undefined;
    let parts = args;
    if (/^\d+$/.test(head)) {
      type = 'dense';
      parts = [head, ...args];
    } else if (BY_WORD.has(word)) {
      type = BY_WORD.get(word);
    } else if (args.length === 0 && ACTS[word]) {
      type = 'activation';
      parts = [head];
    }
    if (type === undefined) {
      const hint = suggest(word, [...BY_WORD.keys(), ...Object.keys(ACTS)]);
      return fail(where, `${EXPECTED}${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
    const g = GRAMMAR[type] as unknown as Grammar<LayerSpec>;
    try {
      return g.parse(parts, where, named(type));
    } catch (err) {
      // The library's own checks (e.g. "conv2d filters must be a positive integer"), named by the item.
      if (err instanceof SimdnetError && !err.message.startsWith(where))
        throw new SimdnetError('FORMAT', `${where}: ${err.message}`);
      throw err;
    }
  });
}

/** Compact form of a layer list, in the `--layers` grammar (see the top of this file for what it leaves out). */
export function describeLayers(layers: readonly LayerSpec[]): string {
  return layers
    .map((l) => (GRAMMAR[l.type] as unknown as Grammar<LayerSpec> | undefined)?.describe(l) ?? l.type)
    .join(',');
}

/** Spec fields that the records may normalize away (a zero regularizer), so their absence is not a typo. */
const OPTIONAL_FIELDS = new Set(['kernelRegularizer']);

/**
 * Parses the JSON of a `--layers-file`: each layer is checked by the library's record of its type.
 * @throws SimdnetError FORMAT naming the file and the layer that is wrong.
 */
export function parseLayerJson(text: string, source = 'layers file'): LayerSpec[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimdnetError('FORMAT', `${source} is not valid JSON (${(err as Error).message})`);
  }
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null
      ? (doc as { layers?: unknown }).layers
      : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SimdnetError(
      'FORMAT',
      `${source}: expected a non-empty array of layers, e.g. [{"type": "dense", "units": 10, "activation": "softmax"}]`,
    );
  }
  const named = namer();
  return list.map((l: unknown, i) => {
    const where = `${source} layer ${i + 1}`;
    if (typeof l !== 'object' || l === null || Array.isArray(l))
      throw new SimdnetError('FORMAT', `${where} is not an object`);
    const o: Record<string, unknown> = { ...(l as Record<string, unknown>) };
    o.name ??= named(typeof o.type === 'string' ? o.type : 'layer');
    if (typeof o.activation === 'string' && ACTS[o.activation.toLowerCase()])
      o.activation = ACTS[o.activation.toLowerCase()];
    // The records take the booleans as given; absent means the factories' default (true).
    o.useBias ??= true;
    o.trainable ??= true;
    let spec: LayerSpec;
    try {
      spec = validateSpec(o, i + 1);
    } catch (err) {
      if (err instanceof SimdnetError) {
        const msg = err.message.startsWith(`layer ${i + 1}: `)
          ? err.message.slice(`layer ${i + 1}: `.length)
          : err.message;
        throw new SimdnetError('FORMAT', `${where}: ${msg}`);
      }
      throw err;
    }
    const fields = Object.keys(spec);
    const given = Object.keys(l as object);
    for (const f of given) {
      if (!fields.includes(f) && !OPTIONAL_FIELDS.has(f)) {
        const hint = suggest(f, fields);
        throw new SimdnetError(
          'FORMAT',
          `${where}: a ${spec.type} layer has no field "${f}"${hint ? ` (did you mean "${hint}"?)` : ''}; its fields: ${fields.join(', ')}`,
        );
      }
    }
    return spec;
  });
}

/** The activation applied last (ignoring dropout). */
export function lastActivation(layers: readonly LayerSpec[]): Activation {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.type !== 'dropout') return (activationOf(l) ?? 'linear') as Activation;
  }
  return 'linear';
}

/** `28x28x1` (or `28x28`, one channel) → [28, 28, 1]. */
export function parseImageShape(text: string, flag = '--image-shape'): [number, number, number] {
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*(?:x\s*(\d+))?\s*$/i.exec(text);
  const d = m ? [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])] : [];
  if (!m || d.some((v) => v < 1 || v > 1 << 16)) {
    throw new SimdnetError(
      'FORMAT',
      `${flag} takes HEIGHTxWIDTHxCHANNELS, e.g. 28x28x1 (channels default 1), got '${text}'`,
    );
  }
  return d as [number, number, number];
}

/** `[28, 28, 1]` as `28×28×1`. */
export const shapeText = (s: readonly number[]): string => s.join('×');

const same = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The sample shape to build `layers` on for rows of `cols` values: the shape the first layer declares; else the
 * image shape when the layers take it (convolutions, pooling, flatten …); else flat rows ([cols]: an MLP reads
 * images as vectors). `image` is the data's image shape (--image-shape, 3-D IDX, MNIST), `explicit` when the user
 * gave it. A layer that fits neither is refused naming the layer and the shapes (the library's SHAPE error).
 */
export function inputShapeFor(
  layers: readonly LayerSpec[],
  cols: number,
  image?: Shape,
  explicit = false,
  flag = '--image-shape',
): Shape {
  const declared = declaredInputShape(layers);
  if (declared) {
    if (sizeOf(declared) !== cols) {
      throw new SimdnetError(
        'SHAPE',
        `the first layer declares input ${showShape(declared)} (${sizeOf(declared)} values) but the data has ${cols} values per row`,
      );
    }
    if (explicit && image && !same(image, declared)) {
      throw new SimdnetError(
        'SHAPE',
        `${flag} ${image.join('x')} differs from the input ${showShape(declared)} the first layer declares`,
      );
    }
    return declared;
  }
  if (image && image.length > 1) {
    try {
      inferShapes(layers, image);
      return [...image];
    } catch (err) {
      if (!(err instanceof SimdnetError) || err.code !== 'SHAPE') throw err;
      try {
        inferShapes(layers, [cols]);
        return [cols];
      } catch {
        throw err; // the image's error names the layer that does not fit
      }
    }
  }
  try {
    inferShapes(layers, [cols]);
  } catch (err) {
    if (!(err instanceof SimdnetError) || err.code !== 'SHAPE') throw err;
    throw new SimdnetError(
      'SHAPE',
      `${err.message}; the rows are flat vectors of ${cols} values: give their image shape with ${flag} HxWxC`,
    );
  }
  return [cols];
}

/**
 * The layers with the first one declaring `shape` as its input, when its record takes a declared input of that
 * shape (so the saved layers say what they take); otherwise the layers as they are.
 */
export function declareInput(layers: readonly LayerSpec[], shape: Shape): LayerSpec[] {
  const [first, ...rest] = layers;
  const kind = kindOf(first);
  try {
    const s = kind.parse({
      ...first,
      inputShape: [...shape],
      ...(shape.length === 1 ? { inputDim: shape[0] } : {}),
    } as Record<string, unknown>);
    if (same(declaredInputShape([s]), shape)) return [s, ...rest];
  } catch {
    // This layer type cannot declare that shape (a dense layer and a map): the model is built on it anyway.
  }
  return [...layers];
}
