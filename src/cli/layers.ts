/**
 * Layers described on the command line or in a JSON file.
 *
 *   --layers 128:relu,dropout:0.2,10:softmax
 *     N[:activation]   a dense layer of N units (activation default linear)
 *     dropout:R        dropout of rate R in [0, 1)
 *     activation       a standalone activation layer (relu, leakyRelu, sigmoid, tanh, softmax, linear)
 *
 *   --layers-file net.json   [ {"type": "dense", "units": 128, "activation": "relu"}, {"type": "dropout", "rate": 0.2}, … ]
 *                            (or { "layers": [ … ] }; "units"/"rate"/"activation" as in the API's dense/dropout/activation)
 */
import { SimdnetError } from '../errors.js';
import { activation, activationOf, dense, dropout, type Activation, type LayerSpec } from '../layers/index.js';

const ACTS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  leakyrelu: 'leakyRelu',
  leaky_relu: 'leakyRelu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
};

function act(name: string, where: string): Activation {
  const a = ACTS[name.toLowerCase()];
  if (!a) throw new SimdnetError('FORMAT', `${where}: unknown activation '${name}' (one of linear, relu, leakyRelu, sigmoid, tanh, softmax)`);
  return a;
}

/**
 * Layer names are given here (not from the API's global counter) so the same command always builds the same
 * names: dense_1, dropout_1, dense_2, … counted per kind within one list.
 */
function namer(): (kind: string) => string {
  const counts: Record<string, number> = {};
  return (kind) => `${kind}_${(counts[kind] = (counts[kind] ?? 0) + 1)}`;
}

/**
 * Parses a `--layers` string.
 * @throws SimdnetError FORMAT naming the item that is wrong.
 */
export function parseLayerList(text: string): LayerSpec[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw new SimdnetError('FORMAT', `--layers '${text}' has an empty item (write e.g. 128:relu,dropout:0.2,10:softmax)`);
  }
  const named = namer();
  return items.map((item, i) => {
    const where = `--layers item ${i + 1} '${item}'`;
    const parts = item.split(':');
    const head = parts[0];
    if (/^\d+$/.test(head)) {
      if (parts.length > 2) throw new SimdnetError('FORMAT', `${where}: expected N or N:activation`);
      const units = Number(head);
      if (units < 1 || units > 1 << 20) throw new SimdnetError('FORMAT', `${where}: units must be between 1 and ${1 << 20}`);
      return dense(units, { activation: parts[1] === undefined ? 'linear' : act(parts[1], where), name: named('dense') });
    }
    if (head.toLowerCase() === 'dropout') {
      const rate = parts.length === 2 && parts[1].trim() !== '' ? Number(parts[1]) : NaN;
      if (!(rate >= 0 && rate < 1)) throw new SimdnetError('FORMAT', `${where}: dropout needs a rate in [0, 1), e.g. dropout:0.2`);
      return dropout(rate, { name: named('dropout') });
    }
    if (parts.length === 1 && ACTS[head.toLowerCase()]) return activation(act(head, where), { name: named('activation') });
    throw new SimdnetError('FORMAT', `${where}: expected N[:activation], dropout:RATE or an activation name`);
  });
}

/**
 * Parses the JSON of a `--layers-file`.
 * @throws SimdnetError FORMAT naming the file and the layer that is wrong.
 */
export function parseLayerJson(text: string, source = 'layers file'): LayerSpec[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimdnetError('FORMAT', `${source} is not valid JSON (${(err as Error).message})`);
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as { layers?: unknown }).layers : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new SimdnetError('FORMAT', `${source}: expected a non-empty array of layers, e.g. [{"type": "dense", "units": 10, "activation": "softmax"}]`);
  }
  const named = namer();
  return list.map((l: unknown, i) => {
    const where = `${source} layer ${i + 1}`;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) throw new SimdnetError('FORMAT', `${where} is not an object`);
    const o = l as Record<string, unknown>;
    try {
      switch (o.type) {
        case 'dense': {
          if (typeof o.units !== 'number') throw new SimdnetError('FORMAT', `"units" must be a number`);
          return dense(o.units, {
            activation: o.activation === undefined ? 'linear' : act(String(o.activation), where),
            name: typeof o.name === 'string' ? o.name : named('dense'),
            ...(typeof o.alpha === 'number' ? { alpha: o.alpha } : {}),
            ...(typeof o.useBias === 'boolean' ? { useBias: o.useBias } : {}),
            ...(typeof o.trainable === 'boolean' ? { trainable: o.trainable } : {}),
            ...(o.kernelRegularizer ? { kernelRegularizer: o.kernelRegularizer as { l1?: number; l2?: number } } : {}),
          });
        }
        case 'dropout':
          if (typeof o.rate !== 'number') throw new SimdnetError('FORMAT', `"rate" must be a number`);
          return dropout(o.rate, { name: typeof o.name === 'string' ? o.name : named('dropout') });
        case 'activation':
          return activation(act(String(o.activation), where), { name: typeof o.name === 'string' ? o.name : named('activation') });
        default:
          throw new SimdnetError('FORMAT', `"type" must be "dense", "dropout" or "activation", got ${JSON.stringify(o.type)}`);
      }
    } catch (err) {
      if (err instanceof SimdnetError && !err.message.startsWith(where)) throw new SimdnetError('FORMAT', `${where}: ${err.message}`);
      throw err;
    }
  });
}

/** The output width of a layer list: the units of its last dense layer. */
export function outputUnits(layers: readonly LayerSpec[]): number | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.type === 'dense') return l.units;
  }
  return undefined;
}

/** The activation applied last (ignoring dropout). */
export function lastActivation(layers: readonly LayerSpec[]): Activation {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.type !== 'dropout') return (activationOf(l) ?? 'linear') as Activation;
  }
  return 'linear';
}

/** Compact form of a layer list, as --layers would write it. */
export function describeLayers(layers: readonly LayerSpec[]): string {
  return layers
    .map((l) => (l.type === 'dense' ? (l.activation === 'linear' ? `${l.units}` : `${l.units}:${l.activation}`) : l.type === 'dropout' ? `dropout:${l.rate}` : l.type === 'activation' ? l.activation : l.type))
    .join(',');
}
