// dense: y = act(x · W + b), W (inputs, units) as Keras stores it.
import { checkOptions } from '../args.js';
import { SimdnetError } from '../errors.js';
import { activationBackward, activationForward, checkActivation, type Activation } from './activations.js';
import { autoName, checkShape, positiveInt, shapeError, showShape, type LayerKind } from './layer.js';
import { checkAlpha, checkInitializer, checkRegularizer, defaultInitializer } from './options.js';
import type { DenseSpec, Initializer, Regularizer } from './spec.js';

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Default 'linear'. */
  activation?: Activation;
  /** Slope below zero for 'leakyRelu' (default 0.01). */
  alpha?: number;
  /** Default true. */
  useBias?: boolean;
  /** Default 'heNormal' for relu-family activations, 'glorotUniform' otherwise. */
  kernelInitializer?: Initializer;
  /** L1/L2 penalty on the kernel, added to the training loss. */
  kernelRegularizer?: Regularizer;
  /** Default true; false freezes the layer (no gradients, updates or optimizer state). */
  trainable?: boolean;
  /** Input width of the first layer (else taken from the data at the first fit or predict). */
  inputDim?: number;
  /** Keras-style alternative to inputDim. */
  inputShape?: [number];
  /** Unique name in the model (default `dense_<n>`). */
  name?: string;
}

/** A fully connected layer with `units` outputs: y = activation(x · W + b). */
export function dense(units: number, options: DenseOptions = {}): DenseSpec {
  checkOptions(options, 'dense()', {
    name: 'string',
    activation: 'string',
    useBias: 'boolean',
    inputDim: 'count',
    alpha: 'number',
  });
  positiveInt(units, 'dense units');
  const activation = checkActivation(options.activation ?? 'linear', 'dense');
  const init = checkInitializer(options.kernelInitializer ?? defaultInitializer(activation), 'dense');
  if (options.inputShape !== undefined && checkShape(options.inputShape, 'dense inputShape').length !== 1) {
    throw new SimdnetError(
      'RANGE',
      `dense inputShape must have one dimension (flatten() first), got ${showShape(options.inputShape)}`,
    );
  }
  const inputDim = options.inputDim ?? options.inputShape?.[0];
  if (inputDim !== undefined) positiveInt(inputDim, 'dense inputDim');
  const spec: DenseSpec = {
    type: 'dense',
    name: options.name ?? autoName('dense'),
    units,
    activation,
    alpha: checkAlpha(options.alpha ?? 0.01, 'dense'),
    useBias: options.useBias ?? true,
    kernelInitializer: init,
    trainable: options.trainable ?? true,
  };
  const reg = checkRegularizer(options.kernelRegularizer);
  if (reg) spec.kernelRegularizer = reg;
  if (inputDim !== undefined) spec.inputDim = inputDim;
  return spec;
}

export const denseKind: LayerKind<DenseSpec> = {
  type: 'dense',
  parse(o) {
    const d = dense(o.units as number, {
      activation: o.activation as Activation,
      alpha: o.alpha as number,
      useBias: o.useBias as boolean,
      kernelInitializer: o.kernelInitializer as Initializer,
      kernelRegularizer: o.kernelRegularizer as Regularizer | undefined,
      trainable: o.trainable as boolean,
      inputDim: o.inputDim as number | undefined,
      name: o.name as string,
    });
    if (typeof o.useBias !== 'boolean' || typeof o.trainable !== 'boolean') {
      throw new SimdnetError('RANGE', 'useBias/trainable must be booleans');
    }
    return d;
  },
  declaredInput: (s) => (s.inputDim === undefined ? undefined : [s.inputDim]),
  dropDeclaredInput(s) {
    delete s.inputDim;
  },
  outputShape(s, input) {
    if (input.length !== 1)
      shapeError(
        s.name,
        'dense',
        input,
        'dense takes a flat vector (put flatten() or globalAveragePooling2d() before it)',
      );
    return [s.units];
  },
  params(s, input) {
    const kernel = {
      name: 'kernel',
      shape: [input[0], s.units],
      init: s.kernelInitializer,
      fanIn: input[0],
      fanOut: s.units,
      trainable: s.trainable,
      regularizer: s.kernelRegularizer,
    };
    if (!s.useBias) return [kernel];
    return [kernel, { name: 'bias', shape: [s.units], init: 'zeros', fanIn: 0, fanOut: 0, trainable: s.trainable }];
  },
  activation: (s) => s.activation,
  forward(s, c, input) {
    c.k.gemm_forward(c.y, c.engine.gemmWs, c.x, c.params[0], s.useBias ? c.params[1] : 0, c.m, input[0], s.units);
    if (s.activation !== 'linear' && !c.skipActivation)
      activationForward(c.k, s.activation, c.y, c.y, c.m, s.units, s.alpha);
    return c.y;
  },
  backward(s, c, input) {
    const k = c.k;
    const n = s.units;
    if (s.activation !== 'linear' && !c.skipActivation)
      activationBackward(k, s.activation, c.dy, c.dy, c.out, c.m, n, s.alpha);
    if (c.grads[0] !== 0) {
      k.gemm_backward_w(c.grads[0], c.engine.gemmWs, c.x, c.dy, c.m, input[0], n);
      if (s.useBias) k.bias_backward(c.grads[1], c.dy, c.m, n);
    }
    if (c.dx !== 0) k.gemm_backward_x(c.dx, c.engine.gemmWs, c.dy, c.params[0], c.m, input[0], n);
  },
  describe: (s) => s.activation,
  trainable: (s) => s.trainable,
  setTrainable(s, on) {
    s.trainable = on;
  },
};
