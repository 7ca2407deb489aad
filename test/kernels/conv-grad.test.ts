// The conv twins' backward passes checked in f64 (twins run on Float64Array): im2col / col2im and the average
// poolings by adjointness (<back(a), x> == <a, fwd(x)>), max pooling backward and batch norm backward (dx,
// dgamma, dbeta) against central finite differences of the scalar loss Σ r·y.
import { describe, expect, it } from 'vitest';
import { expectClose, randArray, rng } from '../helpers/check.js';
import { asF32, centralDiff } from '../helpers/elem-kernels.js';
import * as ref from '../../src/reference/conv.js';

const f64 = (n: number, seed: number, lo = -1, hi = 1): Float64Array => Float64Array.from(randArray(n, seed, lo, hi));
const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i], 0);

// [n, h, w, c, kh, kw, sh, sw, padT, padL, oh, ow]: valid, same, strided, lopsided and oversize pads.
type G = [number, number, number, number, number, number, number, number, number, number, number, number];
const GEOS: G[] = [
  [2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 5, 5],
  [1, 7, 6, 1, 5, 5, 1, 1, 0, 0, 3, 2],
  [3, 6, 7, 4, 2, 3, 2, 3, 0, 1, 3, 3],
  [1, 8, 8, 5, 3, 3, 3, 2, 1, 0, 3, 4],
  [2, 3, 4, 2, 5, 5, 1, 1, 4, 4, 7, 8],
  [1, 1, 1, 7, 3, 3, 1, 1, 1, 1, 1, 1],
];
const ins = (g: G): number => g[0] * g[1] * g[2] * g[3];
const outs = (g: G): number => g[0] * g[10] * g[11] * g[3];
const colsN = (g: G): number => g[0] * g[10] * g[11] * g[4] * g[5] * g[3];

describe('adjointness of the conv data movers and average poolings (f64, twins)', () => {
  it.each(GEOS)('im2col / col2im n=%i %ix%ix%i k%ix%i s%i,%i pad%i,%i -> %ix%i', (...g) => {
    const x = f64(ins(g), 1),
      a = f64(colsN(g), 2);
    const cols = new Float64Array(colsN(g)),
      back = new Float64Array(ins(g));
    ref.im2col_nhwc(asF32(cols), asF32(x), ...g);
    ref.col2im_nhwc(asF32(back), asF32(a), ...g);
    const l = dot(back, x),
      r = dot(a, cols);
    expect(Math.abs(l - r)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(r)));
  });

  it.each(GEOS)('avgpool2d n=%i %ix%ix%i k%ix%i s%i,%i pad%i,%i -> %ix%i', (...g) => {
    const x = f64(ins(g), 3),
      dy = f64(outs(g), 4);
    const y = new Float64Array(outs(g)),
      dx = new Float64Array(ins(g));
    ref.avgpool2d_forward(asF32(y), asF32(x), ...g);
    ref.avgpool2d_backward(asF32(dx), asF32(dy), ...g);
    expect(Math.abs(dot(dx, x) - dot(dy, y))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(dot(dy, y))));
  });

  it.each([
    [1, 1, 1],
    [2, 9, 5],
    [3, 49, 16],
  ])('global_avgpool n=%i hw=%i c=%i', (n, hw, c) => {
    const x = f64(n * hw * c, 5),
      dy = f64(n * c, 6);
    const y = new Float64Array(n * c),
      dx = new Float64Array(n * hw * c);
    ref.global_avgpool_forward(asF32(y), asF32(x), n, hw, c);
    ref.global_avgpool_backward(asF32(dx), asF32(dy), n, hw, c);
    expect(Math.abs(dot(dx, x) - dot(dy, y))).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(dot(dy, y))));
  });

  it('a wrong adjoint is caught (col2im with the wrong stride)', () => {
    const g = GEOS[3];
    const x = f64(ins(g), 1),
      a = f64(colsN(g), 2);
    const cols = new Float64Array(colsN(g)),
      back = new Float64Array(ins(g));
    ref.im2col_nhwc(asF32(cols), asF32(x), ...g);
    const bad = [...g] as G;
    bad[6] = 2;
    ref.col2im_nhwc(asF32(back), asF32(a), ...bad);
    expect(Math.abs(dot(back, x) - dot(a, cols))).toBeGreaterThan(1e-6);
  });
});

describe('direct conv twins: backward_w and backward_x vs finite differences of conv2d_forward_nhwc (f64)', () => {
  it.each(GEOS)('n=%i %ix%ix%i k%ix%i s%i,%i pad%i,%i -> %ix%i', (...g) => {
    const f = 3,
      K = g[4] * g[5] * g[3];
    const x = f64(ins(g), 11),
      wk = f64(K * f, 12),
      bias = f64(f, 13),
      rr = f64(g[0] * g[10] * g[11] * f, 14);
    const loss = (xx: Float64Array, ww: Float64Array): number => {
      const y = new Float64Array(rr.length);
      ref.conv2d_forward_nhwc(asF32(y), asF32(xx), asF32(ww), asF32(bias), ...g, f);
      return dot(rr, y);
    };
    const h = 1e-6;
    const dw0 = f64(K * f, 15),
      dw = dw0.slice();
    ref.conv2d_backward_w_nhwc(asF32(dw), asF32(x), asF32(rr), ...g, f);
    const fdw = Array.from(wk, (_, i) => centralDiff((ww) => loss(x, ww), wk, i, h));
    expectClose(
      dw.map((v, i) => v - dw0[i]),
      fdw,
      1e-8,
      1e-6,
      'dw (accumulated)',
    );
    const dx = new Float64Array(ins(g)).fill(9);
    ref.conv2d_backward_x_nhwc(asF32(dx), null, asF32(rr), asF32(wk), ...g, f);
    const fdx = Array.from(x, (_, i) => centralDiff((xx) => loss(xx, wk), x, i, h));
    expectClose(dx, fdx, 1e-8, 1e-6, 'dx');
  });
});

describe('max pooling backward vs finite differences (f64, distinct values, h = 1e-6)', () => {
  it.each(GEOS.filter((g) => g[8] < g[4] && g[9] < g[5]))('n=%i %ix%ix%i k%ix%i s%i,%i pad%i,%i -> %ix%i', (...g) => {
    // Distinct values at least 1e-3 apart: no window's argmax switches under a 1e-6 step.
    const r = rng(9);
    const perm = Array.from({ length: ins(g) }, (_, i) => i).sort(() => r() - 0.5);
    const x = Float64Array.from(perm, (p) => -1 + p * 1e-3);
    const rr = f64(outs(g), 10);
    const idx = new Int32Array(outs(g));
    const loss = (xx: Float64Array): number => {
      const y = new Float64Array(outs(g));
      ref.maxpool2d_forward(asF32(y), null, asF32(xx), ...g);
      return dot(rr, y);
    };
    ref.maxpool2d_forward(asF32(new Float64Array(outs(g))), idx, asF32(x), ...g);
    const dx = new Float64Array(ins(g)).fill(5);
    ref.maxpool2d_backward(asF32(dx), asF32(rr), idx, g[0], ins(g) / g[0], outs(g) / g[0]);
    const fd = Array.from(x, (_, i) => centralDiff(loss, x, i, 1e-6));
    expectClose(dx, fd, 1e-8, 1e-6, 'maxpool dx');
  });
});

describe('batch norm backward vs finite differences of an f64 forward with batch statistics', () => {
  /** y = gamma·(x − mean)/sqrt(var + eps) + beta, mean and biased var of x per channel: all in f64. */
  const forward64 = (
    x: Float64Array,
    gamma: Float64Array,
    beta: Float64Array,
    m: number,
    c: number,
    eps: number,
  ): Float64Array => {
    const y = new Float64Array(m * c);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += x[r * c + ch];
      const mu = s / m;
      let q = 0;
      for (let r = 0; r < m; r++) q += (x[r * c + ch] - mu) ** 2;
      const is = 1 / Math.sqrt(q / m + eps);
      for (let r = 0; r < m; r++) y[r * c + ch] = gamma[ch] * (x[r * c + ch] - mu) * is + beta[ch];
    }
    return y;
  };

  it.each([
    [1, 3],
    [2, 1],
    [7, 5],
    [24, 4],
    [50, 2],
  ])('m=%i c=%i: dx, dgamma, dbeta (also with dx aliasing dy)', (m, c) => {
    const eps = 1e-3;
    const x = f64(m * c, m + c, -2, 3),
      gamma = f64(c, 2, 0.5, 2),
      beta = f64(c, 3),
      rr = f64(m * c, 4);
    const loss = (xx: Float64Array, gg = gamma, bb = beta): number => dot(rr, forward64(xx, gg, bb, m, c, eps));
    // The twins' own forward matches the f64 forward.
    const mean = new Float64Array(c),
      variance = new Float64Array(c),
      y = new Float64Array(m * c);
    ref.batchnorm_stats(asF32(mean), asF32(variance), asF32(x), m, c);
    ref.batchnorm_forward(asF32(y), asF32(x), asF32(mean), asF32(variance), asF32(gamma), asF32(beta), m, c, eps);
    expectClose(y, forward64(x, gamma, beta, m, c, eps), 1e-12, 1e-12, 'forward');

    const dg0 = f64(c, 5),
      db0 = f64(c, 6);
    const dgamma = dg0.slice(),
      dbeta = db0.slice(),
      dx = new Float64Array(m * c).fill(7);
    ref.batchnorm_backward(
      asF32(dx),
      asF32(dgamma),
      asF32(dbeta),
      asF32(rr),
      asF32(x),
      asF32(mean),
      asF32(variance),
      asF32(gamma),
      m,
      c,
      eps,
    );
    const h = 1e-6;
    const fdx = Array.from(x, (_, i) => centralDiff(loss, x, i, h));
    const fdg = Array.from(gamma, (_, i) => centralDiff((g) => loss(x, g), gamma, i, h));
    const fdb = Array.from(beta, (_, i) => centralDiff((b) => loss(x, gamma, b), beta, i, h));
    expectClose(dx, fdx, 1e-8, 1e-6, 'dx');
    expectClose(
      dgamma.map((v, i) => v - dg0[i]),
      fdg,
      1e-8,
      1e-6,
      'dgamma (accumulated)',
    );
    expectClose(
      dbeta.map((v, i) => v - db0[i]),
      fdb,
      1e-8,
      1e-6,
      'dbeta (accumulated)',
    );

    const inplace = rr.slice();
    ref.batchnorm_backward(
      asF32(inplace),
      asF32(dg0.slice()),
      asF32(db0.slice()),
      asF32(inplace),
      asF32(x),
      asF32(mean),
      asF32(variance),
      asF32(gamma),
      m,
      c,
      eps,
    );
    expectClose(inplace, dx, 0, 0, 'dx aliasing dy');
  });
});
