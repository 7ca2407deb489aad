// batchNormalization over the last axis (the channels of an NHWC map, the features of a vector): batch
// statistics while training, moving averages at inference. Weights in Keras's order: gamma, beta, moving mean,
// moving variance (the last two are statistics, never trained).
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { autoName, checkShape, sizeOf, type LayerKind, type Shape } from './layer.js';
import type { BatchNormalizationSpec } from './spec.js';

/** Options of {@link batchNormalization} (Keras's defaults). */
export interface BatchNormalizationOptions {
  /** Weight of the old moving average per step (default 0.99). */
  momentum?: number;
  /** Added to the variance (default 0.001). */
  epsilon?: number;
  /** Default true; false freezes gamma and beta and makes training use the moving statistics. */
  trainable?: boolean;
  /** Shape of one input sample, when this is the first layer. */
  inputShape?: number[];
  /** Unique name in the model (default `batchNormalization_<n>`). */
  name?: string;
}

/** Normalizes each channel to zero mean and unit variance, then scales by gamma and shifts by beta. */
export function batchNormalization(options: BatchNormalizationOptions = {}): BatchNormalizationSpec {
  checkOptions(options, 'batchNormalization()', {
    name: 'string',
    momentum: 'number',
    epsilon: 'number',
    center: 'boolean',
    scale: 'boolean',
  });
  const momentum = options.momentum ?? 0.99;
  const epsilon = options.epsilon ?? 1e-3;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
    throw new SimdnetError('RANGE', `batchNormalization momentum must be in [0, 1), got ${String(momentum)}`);
  }
  if (typeof epsilon !== 'number' || !(epsilon >= 1e-12 && epsilon <= 1)) {
    throw new SimdnetError('RANGE', `batchNormalization epsilon must be in [1e-12, 1], got ${String(epsilon)}`);
  }
  const trainable = options.trainable ?? true;
  if (typeof trainable !== 'boolean') throw new SimdnetError('RANGE', 'batchNormalization trainable must be a boolean');
  const spec: BatchNormalizationSpec = {
    type: 'batchNormalization',
    name: options.name ?? autoName('batchNormalization'),
    momentum,
    epsilon,
    trainable,
  };
  if (options.inputShape !== undefined)
    spec.inputShape = checkShape(options.inputShape, 'batchNormalization inputShape');
  return spec;
}

/** Rows and channels of m samples of `shape`. */
const rows = (m: number, shape: Shape): [number, number] => {
  const c = shape[shape.length - 1];
  return [(m * sizeOf(shape)) / c, c];
};

export const batchNormalizationKind: LayerKind<BatchNormalizationSpec> = {
  type: 'batchNormalization',
  parse: (o) =>
    batchNormalization({
      momentum: o.momentum as number,
      epsilon: o.epsilon as number,
      trainable: o.trainable as boolean,
      inputShape: o.inputShape as number[] | undefined,
      name: o.name as string,
    }),
  outputShape: (_s, input) => input,
  params(s, input) {
    const c = input[input.length - 1];
    const t = (name: string, init: 'ones' | 'zeros', trainable: boolean) => ({
      name,
      shape: [c],
      init,
      fanIn: 0,
      fanOut: 0,
      trainable,
    });
    return [
      t('gamma', 'ones', s.trainable),
      t('beta', 'zeros', s.trainable),
      t('movingMean', 'zeros', false),
      t('movingVariance', 'ones', false),
    ];
  },
  // Batch mean and variance of the last training pass (backward reads them); a per-channel scale and a zero
  // shift (inference backward); where gamma's and beta's gradients go when nobody wants them.
  buffers: (_s, input) => new Array(6).fill({ fixed: input[input.length - 1] }),
  forward(s, c, input) {
    const [r, ch] = rows(c.m, input);
    const [gamma, beta, movMean, movVar] = c.params;
    if (c.training && s.trainable) {
      const [mean, variance] = c.bufs;
      c.k.batchnorm_stats(mean, variance, c.x, r, ch);
      c.k.batchnorm_forward(c.y, c.x, mean, variance, gamma, beta, r, ch, s.epsilon);
      c.k.ema_update(movMean, mean, ch, s.momentum);
      c.k.ema_update(movVar, variance, ch, s.momentum);
    } else {
      c.k.batchnorm_forward(c.y, c.x, movMean, movVar, gamma, beta, r, ch, s.epsilon);
    }
    return c.y;
  },
  backward(s, c, input) {
    const [r, ch] = rows(c.m, input);
    const [gamma, , , movVar] = c.params;
    if (c.training && s.trainable) {
      const [mean, variance] = c.bufs;
      // The kernel writes dx; with no one below to take it, the scratch does.
      const dx = c.dx !== 0 ? c.dx : c.scratch;
      const dg = c.grads[0] !== 0 ? c.grads[0] : c.bufs[4];
      const db = c.grads[1] !== 0 ? c.grads[1] : c.bufs[5];
      c.k.batchnorm_backward(dx, dg, db, c.dy, c.x, mean, variance, gamma, r, ch, s.epsilon);
      return;
    }
    // Inference statistics are constants: the layer is the affine map x · gamma / sqrt(var + eps) + ...
    if (c.grads[0] !== 0) {
      throw new SimdnetError('STATE', `batch norm '${s.name}': parameter gradients need a training pass`);
    }
    if (c.dx === 0) return;
    const e = c.engine;
    const scale = c.bufs[2];
    const g = e.f32(gamma, ch);
    const v = e.f32(movVar, ch);
    const out = e.f32(scale, ch);
    for (let j = 0; j < ch; j++) out[j] = g[j] / Math.sqrt(v[j] + s.epsilon);
    c.k.channel_affine(c.dx, c.dy, scale, c.bufs[3], r, ch);
  },
  scratch: (s, input) => (s.trainable ? sizeOf(input) : 0),
  describe: (s) => `momentum ${s.momentum}`,
  trainable: (s) => s.trainable,
  setTrainable(s, on) {
    s.trainable = on;
  },
};
