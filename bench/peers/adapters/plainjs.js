// The CNN written by hand in plain JavaScript: straightforward f32 loops over Float32Arrays, no SIMD, no
// library — the "what you'd write yourself" baseline. Keras layouts throughout (NHWC activations, HWIO conv
// kernels, dense kernel in × out), so the weights need no conversion. Buffers are allocated once per batch size;
// the loops are ordered so the innermost one runs over contiguous output channels. CNN workload only.
import { CNN, CNN_WEIGHTS } from '../lib/cnn.js';
import { shuffle } from '../lib/common.js';

const [H, W, C] = [CNN.h, CNN.w, CNN.c];
const K = 5;
const C1 = 8;
const C2 = 16;
const H1 = H - K + 1; // 24
const P1 = H1 / 2; // 12
const H2 = P1 - K + 1; // 8
const P2 = H2 / 2; // 4
const FLAT = P2 * P2 * C2; // 256
const OUT = CNN.classes;

/** conv valid stride 1 + bias + relu: x (n, h, w, ci) → y (n, h−K+1, w−K+1, co), NHWC, kernel HWIO. */
function convRelu(x, n, h, w, ci, k, b, co, y) {
  const oh = h - K + 1;
  const ow = w - K + 1;
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const yo = ((s * oh + oy) * ow + ox) * co;
        for (let o = 0; o < co; o++) y[yo + o] = b[o];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const xo = ((s * h + oy + ky) * w + ox + kx) * ci;
            const ko = (ky * K + kx) * ci * co;
            for (let i = 0; i < ci; i++) {
              const v = x[xo + i];
              const kr = ko + i * co;
              for (let o = 0; o < co; o++) y[yo + o] += v * k[kr + o];
            }
          }
        for (let o = 0; o < co; o++) if (y[yo + o] < 0) y[yo + o] = 0;
      }
}

/** 2x2 max pool stride 2, remembering the input index of each maximum. */
function maxPool(x, n, h, w, c, y, arg) {
  const ph = h >> 1;
  const pw = w >> 1;
  for (let s = 0; s < n; s++)
    for (let py = 0; py < ph; py++)
      for (let px = 0; px < pw; px++)
        for (let ch = 0; ch < c; ch++) {
          const i0 = ((s * h + 2 * py) * w + 2 * px) * c + ch;
          let at = i0;
          for (const i of [i0 + c, i0 + w * c, i0 + w * c + c]) if (x[i] > x[at]) at = i;
          const o = ((s * ph + py) * pw + px) * c + ch;
          y[o] = x[at];
          arg[o] = at;
        }
}

/** Gradient of conv (after its relu) given dy on the relu output: accumulates gK, gb, and dx when given. */
function convBackward(dy, y, x, n, h, w, ci, k, co, gK, gb, dx) {
  const oh = h - K + 1;
  const ow = w - K + 1;
  if (dx) dx.fill(0);
  for (let s = 0; s < n; s++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const yo = ((s * oh + oy) * ow + ox) * co;
        for (let o = 0; o < co; o++) if (y[yo + o] <= 0) dy[yo + o] = 0; // relu'
        for (let o = 0; o < co; o++) gb[o] += dy[yo + o];
        for (let ky = 0; ky < K; ky++)
          for (let kx = 0; kx < K; kx++) {
            const xo = ((s * h + oy + ky) * w + ox + kx) * ci;
            const ko = (ky * K + kx) * ci * co;
            for (let i = 0; i < ci; i++) {
              const v = x[xo + i];
              const kr = ko + i * co;
              let acc = 0;
              for (let o = 0; o < co; o++) {
                const d = dy[yo + o];
                gK[kr + o] += v * d;
                acc += k[kr + o] * d;
              }
              if (dx) dx[xo + i] += acc;
            }
          }
      }
}

/** A CNN with its own copy of the weights (Keras layouts) and buffers for batches of up to `cap` rows. */
class Net {
  constructor(weights, cap) {
    this.w = weights.map((t) => Float32Array.from(t.data));
    this.g = weights.map((t) => new Float32Array(t.data.length));
    this.cap = cap;
    this.a1 = new Float32Array(cap * H1 * H1 * C1);
    this.p1 = new Float32Array(cap * P1 * P1 * C1);
    this.i1 = new Int32Array(this.p1.length);
    this.a2 = new Float32Array(cap * H2 * H2 * C2);
    this.p2 = new Float32Array(cap * FLAT);
    this.i2 = new Int32Array(this.p2.length);
    this.prob = new Float32Array(cap * OUT);
    this.dp2 = new Float32Array(cap * FLAT);
    this.da2 = new Float32Array(this.a2.length);
    this.dp1 = new Float32Array(this.p1.length);
    this.da1 = new Float32Array(this.a1.length);
  }

  /** Softmax probabilities of n rows of x (NHWC) into this.prob. */
  forward(x, n) {
    const [k1, b1, k2, b2, wd, bd] = this.w;
    convRelu(x, n, H, W, C, k1, b1, C1, this.a1);
    maxPool(this.a1, n, H1, H1, C1, this.p1, this.i1);
    convRelu(this.p1, n, P1, P1, C1, k2, b2, C2, this.a2);
    maxPool(this.a2, n, H2, H2, C2, this.p2, this.i2);
    const p = this.prob;
    for (let s = 0; s < n; s++) {
      const z = s * OUT;
      for (let j = 0; j < OUT; j++) p[z + j] = bd[j];
      for (let i = 0; i < FLAT; i++) {
        const v = this.p2[s * FLAT + i];
        for (let j = 0; j < OUT; j++) p[z + j] += v * wd[i * OUT + j];
      }
      let mx = p[z];
      for (let j = 1; j < OUT; j++) if (p[z + j] > mx) mx = p[z + j];
      let sum = 0;
      for (let j = 0; j < OUT; j++) sum += p[z + j] = Math.exp(p[z + j] - mx);
      for (let j = 0; j < OUT; j++) p[z + j] /= sum;
    }
    return p;
  }

  /** One SGD step on n rows (x NHWC, y one-hot); returns the batch's mean cross-entropy (before the step). */
  step(x, y, n, lr) {
    const p = this.forward(x, n);
    const [k1, , k2, , wd] = this.w;
    const [gk1, gb1, gk2, gb2, gwd, gbd] = this.g;
    for (const g of this.g) g.fill(0);
    let loss = 0;
    this.dp2.fill(0, 0, n * FLAT);
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < OUT; j++) {
        const t = y[s * OUT + j];
        if (t) loss -= t * Math.log(p[s * OUT + j]);
        const d = (p[s * OUT + j] - t) / n;
        gbd[j] += d;
        for (let i = 0; i < FLAT; i++) {
          gwd[i * OUT + j] += this.p2[s * FLAT + i] * d;
          this.dp2[s * FLAT + i] += wd[i * OUT + j] * d;
        }
      }
    }
    this.da2.fill(0, 0, n * H2 * H2 * C2);
    for (let o = 0; o < n * FLAT; o++) this.da2[this.i2[o]] += this.dp2[o];
    convBackward(this.da2, this.a2, this.p1, n, P1, P1, C1, k2, C2, gk2, gb2, this.dp1.subarray(0, n * P1 * P1 * C1));
    this.da1.fill(0, 0, n * H1 * H1 * C1);
    for (let o = 0; o < n * P1 * P1 * C1; o++) this.da1[this.i1[o]] += this.dp1[o];
    convBackward(this.da1, this.a1, x, n, H, W, C, k1, C1, gk1, gb1, undefined);
    for (let t = 0; t < this.w.length; t++) {
      const w = this.w[t];
      const g = this.g[t];
      for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
    }
    return loss / n;
  }
}

export async function create() {
  return {
    id: 'plain-js',
    library: 'plain JS (hand-written loops)',
    version: process.versions.node.replace(/^v/, ''),
    backend: 'f32 loops, no SIMD',
    threads: 1,

    /** Mini-batch SGD over (x, y) in a seeded shuffled order per epoch; epoch() returns the mean loss. */
    cnnTrainer({ weights, lr, batchSize, x, y }) {
      const net = new Net(weights, batchSize);
      const xb = new Float32Array(batchSize * H * W * C);
      const yb = new Float32Array(batchSize * OUT);
      const order = Array.from({ length: x.rows }, (_, i) => i);
      const predictor = new Net(weights, 256);
      return {
        note: `batch ${batchSize}, rows gathered into a batch buffer`,
        epoch(e) {
          shuffle(order, 1000 + e);
          let sum = 0;
          let seen = 0;
          for (let b = 0; b < x.rows; b += batchSize) {
            const n = Math.min(batchSize, x.rows - b);
            for (let r = 0; r < n; r++) {
              const i = order[b + r];
              xb.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), r * x.cols);
              yb.set(y.data.subarray(i * y.cols, (i + 1) * y.cols), r * y.cols);
            }
            sum += net.step(xb, yb, n, lr) * n;
            seen += n;
          }
          return sum / seen;
        },
        weights: () => CNN_WEIGHTS.map((t, i) => ({ name: t.name, shape: t.shape, data: Float32Array.from(net.w[i]) })),
        predict(tx) {
          predictor.w = net.w;
          const out = new Float32Array(tx.rows * OUT);
          for (let b = 0; b < tx.rows; b += 256) {
            const n = Math.min(256, tx.rows - b);
            out.set(
              predictor.forward(tx.data.subarray(b * tx.cols, (b + n) * tx.cols), n).subarray(0, n * OUT),
              b * OUT,
            );
          }
          return out;
        },
        dispose() {},
      };
    },

    cnnInference({ weights }) {
      return {
        prepare(xm) {
          const net = new Net(weights, xm.rows);
          const run = () => net.forward(xm.data, xm.rows).slice(0, xm.rows * OUT);
          return { run, output: run };
        },
        dispose() {},
      };
    },
  };
}
