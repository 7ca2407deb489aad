// An f64 reference of a whole model's forward pass, written from the layer definitions (Keras semantics, NHWC)
// and sharing no code with src/: the oracle for model-level tests of the layer records (outputs, and gradients
// by central finite differences of a loss computed here).
import type { LayerSpec } from '../../src/layers/spec.js';

type Shape = number[];
const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

function act(name: string, alpha: number, v: Float64Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    if (name === 'softmax') {
      let mx = -Infinity;
      for (let j = 0; j < n; j++) mx = Math.max(mx, v[o + j]);
      let s = 0;
      for (let j = 0; j < n; j++) s += v[o + j] = Math.exp(v[o + j] - mx);
      for (let j = 0; j < n; j++) v[o + j] /= s;
      continue;
    }
    for (let j = 0; j < n; j++) {
      const x = v[o + j];
      v[o + j] =
        name === 'relu'
          ? Math.max(0, x)
          : name === 'leakyRelu'
            ? x > 0
              ? x
              : alpha * x
            : name === 'sigmoid'
              ? 1 / (1 + Math.exp(-x))
              : name === 'tanh'
                ? Math.tanh(x)
                : x;
    }
  }
}

function axis(size: number, win: number, stride: number, padding: string): { out: number; pad: number } {
  if (padding === 'valid') return { out: Math.floor((size - win) / stride) + 1, pad: 0 };
  const out = Math.ceil(size / stride);
  return { out, pad: Math.floor(Math.max((out - 1) * stride + win - size, 0) / 2) };
}

/**
 * Runs `specs` on m samples of `inputShape` (x row-major, NHWC) with `weights` in getWeights() order.
 * `training`: batch norm uses the batch's statistics (as in a training step); dropout is never applied.
 */
export function refForward(
  specs: LayerSpec[],
  weights: Float64Array[],
  inputShape: Shape,
  x: Float64Array,
  m: number,
  training = false,
): Float64Array {
  let shape = inputShape;
  let v = Float64Array.from(x);
  let wi = 0;
  for (const s of specs) {
    switch (s.type) {
      case 'dense': {
        const k = shape[0];
        const W = weights[wi++];
        const b = s.useBias ? weights[wi++] : undefined;
        const y = new Float64Array(m * s.units);
        for (let r = 0; r < m; r++) {
          for (let j = 0; j < s.units; j++) {
            let acc = b ? b[j] : 0;
            for (let p = 0; p < k; p++) acc += v[r * k + p] * W[p * s.units + j];
            y[r * s.units + j] = acc;
          }
        }
        act(s.activation, s.alpha, y, m, s.units);
        v = y;
        shape = [s.units];
        break;
      }
      case 'conv2d': {
        const [h, w, c] = shape;
        const [kh, kw] = s.kernelSize;
        const [sh, sw] = s.strides;
        const ay = axis(h, kh, sh, s.padding);
        const ax = axis(w, kw, sw, s.padding);
        const f = s.filters;
        const K = weights[wi++];
        const b = s.useBias ? weights[wi++] : undefined;
        const y = new Float64Array(m * ay.out * ax.out * f);
        for (let n = 0; n < m; n++) {
          for (let oy = 0; oy < ay.out; oy++) {
            for (let ox = 0; ox < ax.out; ox++) {
              for (let o = 0; o < f; o++) {
                let acc = b ? b[o] : 0;
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * sh - ay.pad + ky;
                  if (iy < 0 || iy >= h) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * sw - ax.pad + kx;
                    if (ix < 0 || ix >= w) continue;
                    for (let ci = 0; ci < c; ci++)
                      acc += v[((n * h + iy) * w + ix) * c + ci] * K[((ky * kw + kx) * c + ci) * f + o];
                  }
                }
                y[((n * ay.out + oy) * ax.out + ox) * f + o] = acc;
              }
            }
          }
        }
        act(s.activation, s.alpha, y, m * ay.out * ax.out, f);
        v = y;
        shape = [ay.out, ax.out, f];
        break;
      }
      case 'maxPooling2d':
      case 'averagePooling2d': {
        const [h, w, c] = shape;
        const [ph, pw] = s.poolSize;
        const [sh, sw] = s.strides;
        const ay = axis(h, ph, sh, s.padding);
        const ax = axis(w, pw, sw, s.padding);
        const y = new Float64Array(m * ay.out * ax.out * c);
        for (let n = 0; n < m; n++) {
          for (let oy = 0; oy < ay.out; oy++) {
            for (let ox = 0; ox < ax.out; ox++) {
              for (let ci = 0; ci < c; ci++) {
                let mx = -Infinity;
                let sum = 0;
                let count = 0;
                for (let ky = 0; ky < ph; ky++) {
                  const iy = oy * sh - ay.pad + ky;
                  if (iy < 0 || iy >= h) continue;
                  for (let kx = 0; kx < pw; kx++) {
                    const ix = ox * sw - ax.pad + kx;
                    if (ix < 0 || ix >= w) continue;
                    const val = v[((n * h + iy) * w + ix) * c + ci];
                    mx = Math.max(mx, val);
                    sum += val;
                    count++;
                  }
                }
                y[((n * ay.out + oy) * ax.out + ox) * c + ci] = s.type === 'maxPooling2d' ? mx : sum / count;
              }
            }
          }
        }
        v = y;
        shape = [ay.out, ax.out, c];
        break;
      }
      case 'globalAveragePooling2d': {
        const [h, w, c] = shape;
        const y = new Float64Array(m * c);
        for (let n = 0; n < m; n++) {
          for (let p = 0; p < h * w; p++)
            for (let ci = 0; ci < c; ci++) y[n * c + ci] += v[(n * h * w + p) * c + ci] / (h * w);
        }
        v = y;
        shape = [c];
        break;
      }
      case 'batchNormalization': {
        const c = shape[shape.length - 1];
        const rows = (m * size(shape)) / c;
        const [gamma, beta, movMean, movVar] = weights.slice(wi, wi + 4);
        wi += 4;
        let mean = movMean;
        let variance = movVar;
        if (training && s.trainable) {
          mean = new Float64Array(c);
          variance = new Float64Array(c);
          for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j] += v[r * c + j] / rows;
          for (let r = 0; r < rows; r++)
            for (let j = 0; j < c; j++) variance[j] += (v[r * c + j] - mean[j]) ** 2 / rows;
        }
        const y = new Float64Array(v.length);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < c; j++)
            y[r * c + j] = (gamma[j] * (v[r * c + j] - mean[j])) / Math.sqrt(variance[j] + s.epsilon) + beta[j];
        }
        v = y;
        break;
      }
      case 'flatten':
        shape = [size(shape)];
        break;
      case 'reshape': {
        const n = size(shape);
        const known = size(s.targetShape.filter((d) => d !== -1));
        shape = s.targetShape.map((d) => (d === -1 ? n / known : d));
        break;
      }
      case 'permute': {
        // Output axis i is input axis dims[i] − 1: walk the output in order, reading each value's input offset.
        const out = s.dims.map((d) => shape[d - 1]);
        const inStride = shape.map((_, k) => size(shape.slice(k + 1)));
        const n = size(shape);
        const y = new Float64Array(v.length);
        for (let o = 0; o < n; o++) {
          let rest = o;
          let src = 0;
          for (let i = out.length - 1; i >= 0; i--) {
            src += (rest % out[i]) * inStride[s.dims[i] - 1];
            rest = Math.floor(rest / out[i]);
          }
          for (let r = 0; r < m; r++) y[r * n + o] = v[r * n + src];
        }
        v = y;
        shape = out;
        break;
      }
      case 'zeroPadding2d': {
        // Zeros around each [h, w, c] map: input (i, j) lands at (i + top, j + left).
        const [h, w, c] = shape;
        const [[t, b], [l, r]] = s.padding;
        const oh = h + t + b;
        const ow = w + l + r;
        const y = new Float64Array(m * oh * ow * c);
        for (let q = 0; q < m; q++) {
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++) {
              for (let k = 0; k < c; k++) y[((q * oh + i + t) * ow + j + l) * c + k] = v[((q * h + i) * w + j) * c + k];
            }
          }
        }
        v = y;
        shape = [oh, ow, c];
        break;
      }
      case 'activation':
        act(s.activation, s.alpha, v, (m * size(shape)) / shape[shape.length - 1], shape[shape.length - 1]);
        break;
      case 'dropout':
        break;
    }
  }
  return v;
}

/** Mean over rows of the categorical cross-entropy of probabilities p (m,n) against one-hot t. */
export function refCrossEntropy(p: Float64Array, t: ArrayLike<number>, m: number, n: number): number {
  let loss = 0;
  for (let r = 0; r < m; r++)
    for (let j = 0; j < n; j++) if (t[r * n + j] > 0) loss -= t[r * n + j] * Math.log(p[r * n + j]);
  return loss / m;
}
