// Keras layer configs (as TensorFlow.js and Keras serialize them) to simdnet layer specs. Each supported class is
// mapped option by option; an option that would change what the layer computes and has no simdnet equivalent is
// refused naming the layer, its class and what is supported, so an import is either the same model or an error.
// Options that only shape training (bias/activity regularizers, constraints, initializers) are dropped with a
// note. Keys are read in Keras's snake_case or TF.js's camelCase, and string values in either case, as
// tf.loadLayersModel accepts both.
import { SimdnetError, type ErrorCode } from '../errors.js';
import {
  activation,
  averagePooling2d,
  batchNormalization,
  conv2d,
  dense,
  dropout,
  flatten,
  globalAveragePooling2d,
  maxPooling2d,
  permute,
  reshape,
  zeroPadding2d,
  type Activation,
  type LayerSpec,
  type Regularizer,
  type Shape,
} from '../layers/index.js';
import { describe } from './weights.js';

/** The classes {@link mapLayer} takes (InputLayer is read by the importer itself). */
export const SUPPORTED_CLASSES = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Reshape',
  'Permute',
  'ZeroPadding2D',
  'Dropout',
  'Activation',
  'LeakyReLU',
  'ReLU',
  'Softmax',
  'BatchNormalization',
] as const;

/** Keras's other names for the same classes. */
const ALIASES: Record<string, string> = {
  Convolution2D: 'Conv2D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
};

const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;

/** One Keras weight of a layer: its name in the manifest (after the layer's name) and the simdnet param it fills. */
export interface KerasWeight {
  name: string;
  param: number;
}

/** A Keras layer as simdnet sees it. */
export interface MappedLayer {
  kerasName: string;
  className: string;
  /** `layer 'name' (Class)`, for messages. */
  where: string;
  spec: LayerSpec;
  /** The weights Keras stores for it, in Keras's order (the order of the Keras-3 index names `layer/0`, ...). */
  weights: KerasWeight[];
  /** Params Keras does not store (batch norm without center or scale) and the constant that stands for them. */
  fills: Array<{ param: number; value: number }>;
  /** Checks the layer's input shape beyond what simdnet's record checks (a Keras option that depends on it). */
  checkInput?(input: Shape): void;
}

/** A config value under its snake_case key or its camelCase one. */
export function opt(cfg: Record<string, unknown>, key: string): unknown {
  const v = cfg[key];
  return v !== undefined ? v : cfg[camel(key)];
}

/** TF.js's toCamelCase: `channels_last` → `channelsLast`. */
export function camel(s: string): string {
  return s.replace(/_+(\w|$)/g, (_, c: string) => c.toUpperCase());
}

export const fail = (code: ErrorCode, where: string, what: string): never => {
  throw new SimdnetError(code, `${where}: ${what}`);
};

/** Runs a simdnet layer constructor, naming the Keras layer in what it refuses. */
function build<T>(where: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof SimdnetError) throw new SimdnetError(err.code, `${where}: ${err.message}`);
    throw err;
  }
}

/** The class name of a serialized Keras object (`class_name` or TF.js's `className`). */
export function classNameOf(o: Record<string, unknown>): unknown {
  return o.class_name ?? o.className;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Maps one Keras layer. `name` is the simdnet name (already made unique and valid); `notes` collects what was
 * dropped because it only matters to Keras's training.
 */
export function mapLayer(
  classNameIn: string,
  kerasName: string,
  cfg: Record<string, unknown>,
  name: string,
  notes: string[],
): MappedLayer {
  const className = ALIASES[classNameIn] ?? classNameIn;
  const where = `layer '${kerasName}' (${classNameIn})`;
  const str = (key: string, dflt: string): string => {
    const v = opt(cfg, key) ?? dflt;
    if (typeof v !== 'string') return fail('FORMAT', where, `${key} must be a string, got ${describe(v)}`);
    return camel(v);
  };
  const num = (key: string, dflt?: number): number => {
    const v = opt(cfg, key) ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v))
      return fail('FORMAT', where, `${key} must be a number, got ${describe(v)}`);
    return v;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = opt(cfg, key) ?? dflt;
    if (typeof v !== 'boolean') return fail('FORMAT', where, `${key} must be true or false, got ${describe(v)}`);
    return v;
  };
  const pair = (key: string, dflt?: number | [number, number]): [number, number] => {
    const v = opt(cfg, key) ?? dflt;
    const p = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isSafeInteger(d) && d > 0)) {
      return fail('FORMAT', where, `${key} must be a positive integer or a pair of them, got ${describe(v)}`);
    }
    return [p[0], p[1]];
  };
  const channelsLast = (): void => {
    const f = str('data_format', 'channels_last');
    if (f !== 'channelsLast')
      fail('UNSUPPORTED', where, `data_format '${f}' is not supported: simdnet runs channels_last (NHWC) maps only`);
  };
  const padding = (): 'valid' | 'same' => {
    const p = str('padding', 'valid');
    if (p !== 'valid' && p !== 'same') fail('UNSUPPORTED', where, `padding '${p}' is not supported (valid, same)`);
    return p as 'valid' | 'same';
  };
  const trainable = (): boolean => bool('trainable', true);
  const act = (key: string): { activation: Activation; alpha?: number } => activationOf(opt(cfg, key), where);
  /** Drops what only Keras's training sees, with a note. */
  const trainingOnly = (...keys: string[]): void => {
    for (const k of keys) {
      const v = opt(cfg, k);
      if (v !== undefined && v !== null)
        notes.push(
          `${where}: ${k} ${describe(classNameOf(isObject(v) ? v : {}) ?? v)} ignored (it only affects training)`,
        );
    }
  };
  const kernelRegularizer = (): Regularizer | undefined => regularizerOf(opt(cfg, 'kernel_regularizer'), where, notes);
  const noLora = (): void => {
    const r = opt(cfg, 'lora_rank');
    if (r !== undefined && r !== null) fail('UNSUPPORTED', where, `lora_rank ${describe(r)} is not supported`);
  };
  const mapped = (spec: LayerSpec, weights: KerasWeight[] = [], extra: Partial<MappedLayer> = {}): MappedLayer => ({
    kerasName,
    className: classNameIn,
    where,
    spec,
    weights,
    fills: [],
    ...extra,
  });

  switch (className) {
    case 'Dense': {
      noLora();
      const a = act('activation');
      const useBias = bool('use_bias', true);
      trainingOnly('bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint');
      const spec = build(where, () =>
        dense(num('units') as number, {
          ...a,
          useBias,
          kernelRegularizer: kernelRegularizer(),
          trainable: trainable(),
          name,
        }),
      );
      return mapped(
        spec,
        useBias
          ? [
              { name: 'kernel', param: 0 },
              { name: 'bias', param: 1 },
            ]
          : [{ name: 'kernel', param: 0 }],
        {
          checkInput(input) {
            if (input.length !== 1) {
              fail(
                'UNSUPPORTED',
                where,
                `Dense on an input of shape [${input.join(', ')}] (Keras applies it to the last axis) is not supported: simdnet's dense takes vectors (put Flatten or GlobalAveragePooling2D before it)`,
              );
            }
          },
        },
      );
    }
    case 'Conv2D': {
      noLora();
      channelsLast();
      const dil = pair('dilation_rate', 1);
      if (dil[0] !== 1 || dil[1] !== 1)
        fail('UNSUPPORTED', where, `dilation_rate [${dil.join(', ')}] is not supported (1 only)`);
      const groups = opt(cfg, 'groups') ?? 1;
      if (groups !== 1) fail('UNSUPPORTED', where, `groups ${describe(groups)} is not supported (1 only)`);
      const a = act('activation');
      const useBias = bool('use_bias', true);
      trainingOnly('bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint');
      const spec = build(where, () =>
        conv2d(num('filters'), pair('kernel_size'), {
          strides: pair('strides', 1),
          padding: padding(),
          ...a,
          useBias,
          kernelRegularizer: kernelRegularizer(),
          trainable: trainable(),
          name,
        }),
      );
      return mapped(
        spec,
        useBias
          ? [
              { name: 'kernel', param: 0 },
              { name: 'bias', param: 1 },
            ]
          : [{ name: 'kernel', param: 0 }],
      );
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      channelsLast();
      const size = pair('pool_size', 2);
      const s = opt(cfg, 'strides');
      const strides = s === undefined || s === null ? size : pair('strides');
      const make = className === 'MaxPooling2D' ? maxPooling2d : averagePooling2d;
      return mapped(build(where, () => make(size, { strides, padding: padding(), name })));
    }
    case 'GlobalAveragePooling2D': {
      channelsLast();
      if (bool('keepdims', false))
        fail('UNSUPPORTED', where, 'keepdims true is not supported (the output is one value per channel)');
      return mapped(build(where, () => globalAveragePooling2d({ name })));
    }
    case 'Flatten':
      channelsLast();
      return mapped(build(where, () => flatten({ name })));
    case 'Reshape': {
      const t = opt(cfg, 'target_shape');
      if (!Array.isArray(t))
        return fail('FORMAT', where, `target_shape must be a list of dimensions, got ${describe(t)}`);
      return mapped(build(where, () => reshape(t as number[], { name })));
    }
    case 'Permute': {
      const dims = opt(cfg, 'dims');
      if (!Array.isArray(dims)) return fail('FORMAT', where, `dims must be a list of axes, got ${describe(dims)}`);
      return mapped(build(where, () => permute(dims as number[], { name })));
    }
    case 'ZeroPadding2D': {
      // Keras writes padding as [[top, bottom], [left, right]] (or n, or [rows, columns]); the default is 1.
      channelsLast();
      const pad = opt(cfg, 'padding') ?? 1;
      return mapped(build(where, () => zeroPadding2d(pad as number, { name })));
    }
    case 'Dropout': {
      const ns = opt(cfg, 'noise_shape');
      if (ns !== undefined && ns !== null)
        fail('UNSUPPORTED', where, `noise_shape ${describe(ns)} is not supported (dropout of each value on its own)`);
      return mapped(build(where, () => dropout(num('rate'), { name })));
    }
    case 'Activation':
      return mapped(build(where, () => activation(act('activation').activation, { name })));
    case 'LeakyReLU': {
      // TF.js and Keras 2 call the slope alpha, Keras 3 negative_slope; both default to 0.3.
      const alpha = opt(cfg, 'negative_slope') !== undefined ? num('negative_slope') : num('alpha', 0.3);
      return mapped(build(where, () => activation('leakyRelu', { alpha, name })));
    }
    case 'ReLU': {
      const max = opt(cfg, 'max_value');
      if (max !== undefined && max !== null)
        fail('UNSUPPORTED', where, `max_value ${describe(max)} is not supported (a ReLU without a cap only)`);
      if (num('threshold', 0) !== 0)
        fail('UNSUPPORTED', where, `threshold ${describe(opt(cfg, 'threshold'))} is not supported (0 only)`);
      const slope = num('negative_slope', 0);
      return mapped(
        build(where, () =>
          slope === 0 ? activation('relu', { name }) : activation('leakyRelu', { alpha: slope, name }),
        ),
      );
    }
    case 'Softmax':
      return mapped(
        build(where, () => activation('softmax', { name })),
        [],
        { checkInput: lastAxis(opt(cfg, 'axis') ?? -1, where, 'softmax') },
      );
    case 'BatchNormalization': {
      const center = bool('center', true);
      const scale = bool('scale', true);
      if (bool('renorm', false)) fail('UNSUPPORTED', where, 'renorm is not supported');
      for (const k of ['virtual_batch_size', 'adjustment']) {
        const v = opt(cfg, k);
        if (v !== undefined && v !== null) fail('UNSUPPORTED', where, `${k} ${describe(v)} is not supported`);
      }
      trainingOnly('beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint');
      const spec = build(where, () =>
        batchNormalization({
          momentum: num('momentum', 0.99),
          epsilon: num('epsilon', 1e-3),
          trainable: trainable(),
          name,
        }),
      );
      // Keras stores gamma only with scale, beta only with center; the rest stand at 1 and 0 (and simdnet trains
      // them when fine-tuning, where Keras would keep them fixed).
      const weights: KerasWeight[] = [];
      const fills: MappedLayer['fills'] = [];
      if (scale) weights.push({ name: 'gamma', param: 0 });
      else fills.push({ param: 0, value: 1 });
      if (center) weights.push({ name: 'beta', param: 1 });
      else fills.push({ param: 1, value: 0 });
      weights.push({ name: 'moving_mean', param: 2 }, { name: 'moving_variance', param: 3 });
      if (!scale || !center)
        notes.push(
          `${where}: ${[!scale && 'scale', !center && 'center'].filter(Boolean).join(' and ')} false: ${[!scale && 'gamma = 1', !center && 'beta = 0'].filter(Boolean).join(', ')} (trainable in simdnet when fine-tuned)`,
        );
      return mapped(spec, weights, {
        fills,
        checkInput: lastAxis(opt(cfg, 'axis') ?? -1, where, 'batch normalization'),
      });
    }
    default:
      if (className === 'Sequential' || className === 'Model' || className === 'Functional') {
        return fail(
          'UNSUPPORTED',
          where,
          `a model nested as a layer is not supported (supported layers: ${SUPPORTED_CLASSES.join(', ')})`,
        );
      }
      return fail(
        'UNSUPPORTED',
        where,
        `class ${className} is not supported (supported: ${SUPPORTED_CLASSES.join(', ')})`,
      );
  }
}

/** A check that `axis` (an int or a one-element list, Keras counting the batch as axis 0) is the last axis. */
function lastAxis(axis: unknown, where: string, what: string): (input: Shape) => void {
  return (input) => {
    const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
    if (a !== -1 && a !== input.length) {
      fail(
        'UNSUPPORTED',
        where,
        `axis ${describe(axis)} is not supported: simdnet's ${what} runs over the last axis (-1, or ${input.length} for an input of shape [${input.join(', ')}])`,
      );
    }
  };
}

/** A Keras activation identifier (a name, or { class_name }) as simdnet's. */
export function activationOf(v: unknown, where: string): { activation: Activation; alpha?: number } {
  if (v === undefined || v === null) return { activation: 'linear' };
  const raw = isObject(v) ? classNameOf(v) : v;
  if (typeof raw !== 'string') return fail('FORMAT', where, `activation must be a name, got ${describe(v)}`);
  const a = camel(raw);
  if ((SUPPORTED_ACTIVATIONS as readonly string[]).includes(a)) return { activation: a as Activation };
  return fail(
    'UNSUPPORTED',
    where,
    `activation '${raw}' is not supported (${SUPPORTED_ACTIVATIONS.join(', ')}; leaky ReLU as a LeakyReLU layer)`,
  );
}

/** A Keras kernel regularizer (L1L2, L1, L2) as simdnet's; any other is dropped with a note. */
function regularizerOf(v: unknown, where: string, notes: string[]): Regularizer | undefined {
  if (v === undefined || v === null) return undefined;
  // The identifiers 'l1' and 'l2' are Keras's L1() and L2(), whose factor defaults to 0.01.
  if (v === 'l1' || v === 'l2') return { [v]: 0.01 };
  const cls = isObject(v) ? classNameOf(v) : v;
  const keys = cls === 'L1L2' ? ['l1', 'l2'] : cls === 'L1' ? ['l1'] : cls === 'L2' ? ['l2'] : undefined;
  if (!keys) {
    notes.push(
      `${where}: kernel_regularizer ${describe(cls)} ignored (only L1L2, L1 and L2 map to simdnet; it only affects training)`,
    );
    return undefined;
  }
  const cfg = isObject(v) && isObject(v.config) ? v.config : {};
  const reg: Regularizer = {};
  for (const k of keys as Array<'l1' | 'l2'>) {
    const x = cfg[k];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
      return fail('FORMAT', where, `kernel_regularizer ${String(cls)} needs a non-negative ${k}, got ${describe(x)}`);
    if (x > 0) reg[k] = x;
  }
  return reg.l1 !== undefined || reg.l2 !== undefined ? reg : undefined;
}
