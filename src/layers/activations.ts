import { SimdnetError } from '../errors.js';
import type { Kernels } from '../runtime/abi.js';

/** The activations a layer can apply. */
export type Activation = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax';

export const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax'];

export function checkActivation(a: unknown, where: string): Activation {
  if (!ACTIVATIONS.includes(a as Activation)) {
    throw new SimdnetError('RANGE', `${where}: unknown activation '${String(a)}' (one of ${ACTIVATIONS.join(', ')})`);
  }
  return a as Activation;
}

/** y = act(x) over m rows of n (in place allowed). */
export function activationForward(
  k: Kernels,
  act: Activation,
  y: number,
  x: number,
  m: number,
  n: number,
  alpha: number,
): void {
  const len = m * n;
  switch (act) {
    case 'linear':
      if (y !== x) throw new Error('linear activation is applied in place only');
      return;
    case 'relu':
      return k.relu_forward(y, x, len);
    case 'leakyRelu':
      return k.leaky_relu_forward(y, x, len, alpha);
    case 'sigmoid':
      return k.sigmoid_forward(y, x, len);
    case 'tanh':
      return k.tanh_forward(y, x, len);
    case 'softmax':
      return k.softmax_forward(y, x, m, n);
  }
}

/** dx = dy · act'(…) from the forward output y (in place allowed: dx == dy). */
export function activationBackward(
  k: Kernels,
  act: Activation,
  dx: number,
  dy: number,
  y: number,
  m: number,
  n: number,
  alpha: number,
): void {
  const len = m * n;
  switch (act) {
    case 'linear':
      if (dx !== dy) throw new Error('linear activation is applied in place only');
      return;
    case 'relu':
      return k.relu_backward(dx, dy, y, len);
    case 'leakyRelu':
      // y has the sign of x for alpha > 0, so the output serves as the kernel's x.
      return k.leaky_relu_backward(dx, dy, y, len, alpha);
    case 'sigmoid':
      return k.sigmoid_backward(dx, dy, y, len);
    case 'tanh':
      return k.tanh_backward(dx, dy, y, len);
    case 'softmax':
      return k.softmax_backward(dx, dy, y, m, n);
  }
}
