// The CNN workload's network, its seeded initial weights, layout conversions, and the f64 reference of one
// forward + backward + SGD step (the oracle every CNN adapter is checked against).
//
// The network (LeNet-like, MNIST 28x28x1, NHWC): conv 5x5x8 valid stride 1 + bias → relu → maxpool 2x2 stride 2
// → conv 5x5x16 valid + bias → relu → maxpool 2x2 → flatten (h, w, c order) → dense 256→10 + bias → softmax,
// categorical cross-entropy averaged over the batch, plain SGD.
//
// Weights use Keras' layouts, in getWeights() order: conv kernels HWIO (kh, kw, cin, cout), dense kernel
// (in, out), each followed by its bias. Every adapter converts from these to its library's own layout.
import { rng } from './common.js';

/** Names and shapes of the CNN's weights, in order. */
export const CNN_WEIGHTS = [
  { name: 'conv2d_1/kernel', shape: [5, 5, 1, 8] },
  { name: 'conv2d_1/bias', shape: [8] },
  { name: 'conv2d_2/kernel', shape: [5, 5, 8, 16] },
  { name: 'conv2d_2/bias', shape: [16] },
  { name: 'dense_1/kernel', shape: [256, 10] },
  { name: 'dense_1/bias', shape: [10] },
];

/** Input height, width, channels; classes; learning rate and batch size of the workload. */
export const CNN = { h: 28, w: 28, c: 1, classes: 10, lr: 0.01, batchSize: 32 };

/**
 * Nominal flops of one training sample: the forward pass, dW of every layer, and dX of every layer but the first
 * (2 flops per multiply-add). conv1 24·24·8·25, conv2 8·8·16·200, dense 256·10 multiply-adds.
 */
export const CNN_FORWARD_FLOPS = 2 * (24 * 24 * 8 * 25 + 8 * 8 * 16 * 200 + 256 * 10);
export const CNN_TRAIN_FLOPS = 2 * CNN_FORWARD_FLOPS + 2 * (8 * 8 * 16 * 200 + 256 * 10);

/**
 * Seeded initial weights as Keras makes them by default: Glorot-uniform kernels (limit √(6 / (fan_in + fan_out)),
 * fans including the receptive field: kh·kw·cin and kh·kw·cout), zero biases.
 */
export function initialCnnWeights(seed = 1) {
  const r = rng(seed);
  return CNN_WEIGHTS.map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (shape.length > 1) {
      const receptive = shape.length === 4 ? shape[0] * shape[1] : 1;
      const fanIn = receptive * shape[shape.length - 2];
      const fanOut = receptive * shape[shape.length - 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) data[i] = (2 * r() - 1) * limit;
    }
    return { name, shape: [...shape], data };
  });
}

/** HWIO (kh, kw, cin, cout) → OIHW (cout, cin, kh, kw): ONNX's Conv layout. */
export function hwioToOihw(k, [kh, kw, ci, co]) {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o];
  return out;
}

/**
 * Rows of a dense kernel (in × out) whose input was flattened from (h, w, c) re-ordered for an input flattened
 * from (c, h, w): the same function of an NCHW activation.
 */
export function hwcRowsToChw(k, [h, w, c], out) {
  const r = new Float32Array(k.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++)
        r.set(k.subarray(((y * w + x) * c + ch) * out, ((y * w + x) * c + ch + 1) * out), ((ch * h + y) * w + x) * out);
  return r;
}

// ---- The f64 reference: written for clarity, index by index, in double precision ----

/** Valid convolution (cross-correlation), stride 1, NHWC input (n, h, w, ci), HWIO kernel, plus bias. */
function conv(x, [n, h, w, ci], k, [kh, kw, , co], b) {
  const oh = h - kh + 1;
  const ow = w - kw + 1;
  const y = new Float64Array(n * oh * ow * co);
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          let a = b[o];
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              for (let i = 0; i < ci; i++)
                a += x[((s * h + oy + ky) * w + ox + kx) * ci + i] * k[((ky * kw + kx) * ci + i) * co + o];
          y[((s * oh + oy) * ow + ox) * co + o] = a;
        }
  return { y, shape: [n, oh, ow, co] };
}

const relu = (z) => z.map((v) => (v > 0 ? v : 0));

/** 2x2 max pooling, stride 2; `arg` is the input index each output came from (the first maximum in y, x order). */
function pool(x, [n, h, w, c]) {
  const ph = h >> 1;
  const pw = w >> 1;
  const y = new Float64Array(n * ph * pw * c);
  const arg = new Int32Array(y.length);
  for (let s = 0; s < n; s++)
    for (let py = 0; py < ph; py++)
      for (let px = 0; px < pw; px++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const i = ((s * h + 2 * py + dy) * w + 2 * px + dx) * c + ch;
              if (x[i] > best) {
                best = x[i];
                at = i;
              }
            }
          const o = ((s * ph + py) * pw + px) * c + ch;
          y[o] = best;
          arg[o] = at;
        }
  return { y, arg, shape: [n, ph, pw, c] };
}

/** Every intermediate of the forward pass (f64), x: rows × 784 NHWC. */
function forward(weights, x, rows) {
  const [K1, b1, K2, b2, W, bd] = weights.map((t) => t.data);
  const x0 = Float64Array.from(x.subarray(0, rows * CNN.h * CNN.w * CNN.c));
  const c1 = conv(x0, [rows, CNN.h, CNN.w, CNN.c], K1, weights[0].shape, b1);
  const r1 = relu(c1.y);
  const p1 = pool(r1, c1.shape);
  const c2 = conv(p1.y, p1.shape, K2, weights[2].shape, b2);
  const r2 = relu(c2.y);
  const p2 = pool(r2, c2.shape);
  const [nin, nout] = weights[4].shape;
  const z = new Float64Array(rows * nout);
  for (let s = 0; s < rows; s++)
    for (let j = 0; j < nout; j++) {
      let a = bd[j];
      for (let i = 0; i < nin; i++) a += p2.y[s * nin + i] * W[i * nout + j];
      z[s * nout + j] = a;
    }
  const p = new Float64Array(z.length);
  for (let s = 0; s < rows; s++) {
    let mx = -Infinity;
    for (let j = 0; j < nout; j++) mx = Math.max(mx, z[s * nout + j]);
    let sum = 0;
    for (let j = 0; j < nout; j++) sum += p[s * nout + j] = Math.exp(z[s * nout + j] - mx);
    for (let j = 0; j < nout; j++) p[s * nout + j] /= sum;
  }
  return { x0, c1, r1, p1, c2, r2, p2, z, p };
}

/** Softmax probabilities of the CNN in f64 (rows × 10), x: rows × 784 NHWC. */
export function referenceCnn(weights, x, rows) {
  return forward(weights, x, rows).p;
}

/**
 * Mean categorical cross-entropy of one batch, the gradient of every weight, and the weights after one SGD step
 * w − lr·g, all in f64. y is rows × 10 one-hot. Returns { loss, grads, weights } (grads and weights in the input's
 * order and layouts, Float64Array data).
 */
export function cnnStep64(weights, x, y, rows, lr) {
  const f = forward(weights, x, rows);
  const [K1, , K2, , W] = weights.map((t) => t.data);
  const [nin, nout] = weights[4].shape;
  let loss = 0;
  const dz = new Float64Array(rows * nout);
  for (let s = 0; s < rows; s++)
    for (let j = 0; j < nout; j++) {
      const t = y[s * nout + j];
      if (t) loss -= t * Math.log(f.p[s * nout + j]);
      dz[s * nout + j] = (f.p[s * nout + j] - t) / rows;
    }
  loss /= rows;
  // dense
  const gW = new Float64Array(nin * nout);
  const gbd = new Float64Array(nout);
  const dp2 = new Float64Array(rows * nin);
  for (let s = 0; s < rows; s++)
    for (let j = 0; j < nout; j++) {
      const d = dz[s * nout + j];
      gbd[j] += d;
      for (let i = 0; i < nin; i++) {
        gW[i * nout + j] += f.p2.y[s * nin + i] * d;
        dp2[s * nin + i] += W[i * nout + j] * d;
      }
    }
  // pool 2 → relu 2 → conv 2
  const dc2 = unpoolRelu(dp2, f.p2.arg, f.c2.y);
  const { gK: gK2, gb: gb2, dx: dp1 } = convBackward(dc2, f.c2.shape, f.p1.y, f.p1.shape, K2, weights[2].shape, true);
  // pool 1 → relu 1 → conv 1 (no gradient for the input)
  const dc1 = unpoolRelu(dp1, f.p1.arg, f.c1.y);
  const { gK: gK1, gb: gb1 } = convBackward(
    dc1,
    f.c1.shape,
    f.x0,
    [rows, CNN.h, CNN.w, CNN.c],
    K1,
    weights[0].shape,
    false,
  );
  const grads = [gK1, gb1, gK2, gb2, gW, gbd];
  const next = weights.map((t, i) => ({
    name: t.name,
    shape: t.shape,
    data: Float64Array.from(t.data, (v, j) => v - lr * grads[i][j]),
  }));
  return { loss, grads, weights: next, probs: f.p };
}

/** Gradient through max pooling (to the argmax) and the relu before it (zero where the conv output was ≤ 0). */
function unpoolRelu(dpool, arg, convOut) {
  const d = new Float64Array(convOut.length);
  for (let o = 0; o < dpool.length; o++) d[arg[o]] += dpool[o];
  for (let i = 0; i < d.length; i++) if (!(convOut[i] > 0)) d[i] = 0;
  return d;
}

/** Kernel, bias and (when wanted) input gradients of `conv` from the gradient of its output. */
function convBackward(dy, [n, oh, ow, co], x, [, h, w, ci], k, [kh, kw], wantDx) {
  const gK = new Float64Array(kh * kw * ci * co);
  const gb = new Float64Array(co);
  const dx = wantDx ? new Float64Array(x.length) : undefined;
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < co; o++) {
          const d = dy[((s * oh + oy) * ow + ox) * co + o];
          gb[o] += d;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              for (let i = 0; i < ci; i++) {
                const xi = ((s * h + oy + ky) * w + ox + kx) * ci + i;
                const ki = ((ky * kw + kx) * ci + i) * co + o;
                gK[ki] += x[xi] * d;
                if (dx) dx[xi] += k[ki] * d;
              }
        }
  return { gK, gb, dx };
}

/** Mean cross-entropy of the CNN on a batch in f64 (for gradient checks). */
export function cnnLoss64(weights, x, y, rows) {
  const p = referenceCnn(weights, x, rows);
  let loss = 0;
  for (let i = 0; i < p.length; i++) if (y[i]) loss -= y[i] * Math.log(p[i]);
  return loss / rows;
}
