import * as ref from '../reference/index.js';
import type { Kernels } from './abi.js';

/**
 * The js backend: the reference twins behind the same pointer ABI as the wasm module, over the same kind of
 * linear memory, so a model runs unchanged on either. Each call wraps its pointers in fresh typed-array views
 * (the memory may have grown since the last call).
 */
export function jsKernels(memory: WebAssembly.Memory): Kernels {
  const F = (p: number, n: number): Float32Array => new Float32Array(memory.buffer, p, n);
  const I = (p: number, n: number): Int32Array => new Int32Array(memory.buffer, p, n);
  const B = (p: number, n: number): Int8Array => new Int8Array(memory.buffer, p, n);
  const U8 = (p: number, n: number): Uint8Array => new Uint8Array(memory.buffer, p, n);
  /** An optional weight vector: pointer 0 means none. */
  const W = (p: number, n: number): Float32Array | null => (p === 0 ? null : F(p, n));
  return {
    heap_base: () => 16,
    gemm_workspace_size: () => 0,
    gemm_forward: (y, _ws, x, w, b, m, k, n) =>
      ref.gemm_forward(F(y, m * n), null, F(x, m * k), F(w, k * n), b === 0 ? null : F(b, n), m, k, n),
    gemm_forward_cols: (y, _ws, x, w, b, m, k, n, j0, nc) =>
      ref.gemm_forward_cols(F(y, m * n), null, F(x, m * k), F(w, k * n), b === 0 ? null : F(b, n), m, k, n, j0, nc),
    gemm_backward_w: (dw, _ws, x, dy, m, k, n) =>
      ref.gemm_backward_w(F(dw, k * n), null, F(x, m * k), F(dy, m * n), m, k, n),
    gemm_backward_w_rows: (dw, _ws, x, dy, m, k, n, k0, kc) =>
      ref.gemm_backward_w_rows(F(dw, k * n), null, F(x, m * k), F(dy, m * n), m, k, n, k0, kc),
    gemm_backward_x: (dx, _ws, dy, w, m, k, n) =>
      ref.gemm_backward_x(F(dx, m * k), null, F(dy, m * n), F(w, k * n), m, k, n),
    bias_forward: (y, b, m, n) => ref.bias_forward(F(y, m * n), F(b, n), m, n),
    bias_backward: (db, dy, m, n) => ref.bias_backward(F(db, n), F(dy, m * n), m, n),
    sigmoid_forward: (y, x, n) => ref.sigmoid_forward(F(y, n), F(x, n), n),
    sigmoid_backward: (dx, dy, y, n) => ref.sigmoid_backward(F(dx, n), F(dy, n), F(y, n), n),
    tanh_forward: (y, x, n) => ref.tanh_forward(F(y, n), F(x, n), n),
    tanh_backward: (dx, dy, y, n) => ref.tanh_backward(F(dx, n), F(dy, n), F(y, n), n),
    relu_forward: (y, x, n) => ref.relu_forward(F(y, n), F(x, n), n),
    relu_backward: (dx, dy, y, n) => ref.relu_backward(F(dx, n), F(dy, n), F(y, n), n),
    leaky_relu_forward: (y, x, n, a) => ref.leaky_relu_forward(F(y, n), F(x, n), n, a),
    leaky_relu_backward: (dx, dy, x, n, a) => ref.leaky_relu_backward(F(dx, n), F(dy, n), F(x, n), n, a),
    softmax_forward: (y, x, m, n) => ref.softmax_forward(F(y, m * n), F(x, m * n), m, n),
    softmax_backward: (dx, dy, y, m, n) => ref.softmax_backward(F(dx, m * n), F(dy, m * n), F(y, m * n), m, n),
    mse_forward: (y, t, w, m, n) => ref.mse_forward(F(y, m * n), F(t, m * n), W(w, m), m, n),
    mse_backward: (dy, y, t, w, m, n) => ref.mse_backward(F(dy, m * n), F(y, m * n), F(t, m * n), W(w, m), m, n),
    mae_forward: (y, t, w, m, n) => ref.mae_forward(F(y, m * n), F(t, m * n), W(w, m), m, n),
    mae_backward: (dy, y, t, w, m, n) => ref.mae_backward(F(dy, m * n), F(y, m * n), F(t, m * n), W(w, m), m, n),
    huber_forward: (y, t, w, m, n, d) => ref.huber_forward(F(y, m * n), F(t, m * n), W(w, m), m, n, d),
    huber_backward: (dy, y, t, w, m, n, d) =>
      ref.huber_backward(F(dy, m * n), F(y, m * n), F(t, m * n), W(w, m), m, n, d),
    bce_forward: (p, t, w, m, n) => ref.bce_forward(F(p, m * n), F(t, m * n), W(w, m), m, n),
    bce_backward: (dp, p, t, w, m, n) => ref.bce_backward(F(dp, m * n), F(p, m * n), F(t, m * n), W(w, m), m, n),
    bce_logits_forward: (z, t, w, m, n) => ref.bce_logits_forward(F(z, m * n), F(t, m * n), W(w, m), m, n),
    bce_logits_backward: (dz, z, t, w, m, n) =>
      ref.bce_logits_backward(F(dz, m * n), F(z, m * n), F(t, m * n), W(w, m), m, n),
    softmax_ce_forward: (p, z, t, w, m, n) =>
      ref.softmax_ce_forward(F(p, m * n), F(z, m * n), F(t, m * n), W(w, m), m, n),
    softmax_ce_backward: (dz, p, t, w, m, n) =>
      ref.softmax_ce_backward(F(dz, m * n), F(p, m * n), F(t, m * n), W(w, m), m, n),
    ce_forward: (p, t, w, m, n) => ref.ce_forward(F(p, m * n), F(t, m * n), W(w, m), m, n),
    ce_backward: (dp, p, t, w, m, n) => ref.ce_backward(F(dp, m * n), F(p, m * n), F(t, m * n), W(w, m), m, n),
    sparse_softmax_ce_forward: (p, z, l, w, m, n) =>
      ref.sparse_softmax_ce_forward(F(p, m * n), F(z, m * n), F(l, m), W(w, m), m, n),
    sparse_softmax_ce_backward: (dz, p, l, w, m, n) =>
      ref.sparse_softmax_ce_backward(F(dz, m * n), F(p, m * n), F(l, m), W(w, m), m, n),
    sparse_accuracy_count: (y, l, m, n) => ref.sparse_accuracy_count(F(y, m * n), F(l, m), m, n),
    l1_forward: (w, n) => ref.l1_forward(F(w, n), n),
    l1_backward: (g, w, n, l) => ref.l1_backward(F(g, n), F(w, n), n, l),
    l2_forward: (w, n) => ref.l2_forward(F(w, n), n),
    l2_backward: (g, w, n, l) => ref.l2_backward(F(g, n), F(w, n), n, l),
    sgd_update: (w, g, n, lr, wd) => ref.sgd_update(F(w, n), F(g, n), n, lr, wd),
    momentum_update: (w, v, g, n, lr, mu, wd) => ref.momentum_update(F(w, n), F(v, n), F(g, n), n, lr, mu, wd),
    nesterov_update: (w, v, g, n, lr, mu, wd) => ref.nesterov_update(F(w, n), F(v, n), F(g, n), n, lr, mu, wd),
    adam_update: (w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2) =>
      ref.adam_update(F(w, n), F(m, n), F(v, n), F(g, n), n, lr, b1, b2, eps, wd, bc1, bc2),
    adamw_update: (w, m, v, g, n, lr, b1, b2, eps, wd, bc1, bc2) =>
      ref.adamw_update(F(w, n), F(m, n), F(v, n), F(g, n), n, lr, b1, b2, eps, wd, bc1, bc2),
    rms_update: (w, s, g, n, lr, d, c, eps, wd) => ref.rms_update(F(w, n), F(s, n), F(g, n), n, lr, d, c, eps, wd),
    dropout_forward: (y, mask, x, n, rate, seed) => ref.dropout_forward(F(y, n), F(mask, n), F(x, n), n, rate, seed),
    dropout_backward: (dx, dy, mask, n) => ref.dropout_backward(F(dx, n), F(dy, n), F(mask, n), n),
    fill_f32: (x, n, v) => ref.fill_f32(F(x, n), n, v),
    scale_f32: (x, n, s) => ref.scale_f32(F(x, n), n, s),
    sum_squares: (x, n) => ref.sum_squares(F(x, n), n),
    count_nonfinite: (x, n) => ref.count_nonfinite(F(x, n), n),
    gather_rows: (y, x, idx, m, n) => {
      // x's row count is not in the ABI; the view spans to the end of memory, which the twin only indexes.
      const src = new Float32Array(memory.buffer, x);
      ref.gather_rows(F(y, m * n), src, I(idx, m), m, n);
    },
    argmax_rows: (idx, x, m, n) => ref.argmax_rows(I(idx, m), F(x, m * n), m, n),
    accuracy_count: (y, t, m, n) => ref.accuracy_count(F(y, m * n), F(t, m * n), m, n),
    binary_accuracy_count: (y, t, n, th) => ref.binary_accuracy_count(F(y, n), F(t, n), n, th),
    image_shift: (y, x, s, count, h, w) =>
      ref.image_shift(F(y, count * h * w), F(x, count * h * w), I(s, 2 * count), count, h, w),
    permute_forward: (y, x, m, d0, d1, d2, d3, s0, s1, s2, s3) => {
      const n = m * d0 * d1 * d2 * d3;
      ref.permute_forward(F(y, n), F(x, n), m, d0, d1, d2, d3, s0, s1, s2, s3);
    },
    zero_pad2d_forward: (y, x, m, h, w, c, t, b, l, r) =>
      ref.zero_pad2d_forward(F(y, m * (t + h + b) * (l + w + r) * c), F(x, m * h * w * c), m, h, w, c, t, b, l, r),
    crop2d_backward: (dx, dy, m, h, w, c, t, b, l, r) =>
      ref.crop2d_backward(F(dx, m * h * w * c), F(dy, m * (t + h + b) * (l + w + r) * c), m, h, w, c, t, b, l, r),
    mask_f32: (w, mask, n) => ref.mask_f32(F(w, n), F(mask, n), n),
    sparse_csr_forward: (y, ws, x, rowptr, cols, vals, b, m, k, n) => {
      const rp = I(rowptr, k + 1);
      const nnz = rp[k];
      ref.sparse_csr_forward(
        F(y, m * n),
        null,
        F(x, m * k),
        rp,
        new Uint16Array(memory.buffer, cols, nnz),
        F(vals, nnz),
        b === 0 ? null : F(b, n),
        m,
        k,
        n,
      );
    },
    distill_forward: (p, z, t, m, n, temp, a) =>
      ref.distill_forward(F(p, m * n), F(z, m * n), F(t, 2 * m * n), m, n, temp, a),
    distill_backward: (dz, p, z, t, m, n, temp, a) =>
      ref.distill_backward(F(dz, m * n), F(p, m * n), F(z, m * n), F(t, 2 * m * n), m, n, temp, a),
    distill_accuracy_count: (z, t, m, n) => ref.distill_accuracy_count(F(z, m * n), F(t, 2 * m * n), m, n),
    q8_packed_size: (k, n) => ref.q8_packed_size(k, n),
    q8_pack_b: (bp, b, k, n) => ref.q8_pack_b(B(bp, ref.q8_packed_size(k, n)), B(b, k * n), k, n),
    q8_gemm: (c, _ws, a, bp, m, k, n) =>
      ref.q8_gemm(I(c, m * n), null, B(a, m * k), B(bp, ref.q8_packed_size(k, n)), m, k, n),
    q8_absmax: (x, n) => ref.q8_absmax(F(x, n), n),
    q8_quantize: (q, x, n, s) => ref.q8_quantize(B(q, n), F(x, n), n, s),
    q8_dequantize: (y, acc, bq, scale, bf, m, n, s, relu) =>
      ref.q8_dequantize(
        F(y, m * n),
        I(acc, m * n),
        bq === 0 ? null : I(bq, n),
        F(scale, n),
        bf === 0 ? null : F(bf, n),
        m,
        n,
        s,
        relu,
      ),
    q8_requantize: (q, acc, bq, mult, m, n, relu) =>
      ref.q8_requantize(B(q, m * n), I(acc, m * n), bq === 0 ? null : I(bq, n), F(mult, n), m, n, relu),
    q8_quantize_weights: (q, scale, w, k, n, qmax) =>
      ref.q8_quantize_weights(B(q, k * n), F(scale, n), F(w, k * n), k, n, qmax),
    q8_fake_quant: (y, scale, w, k, n, qmax) => ref.q8_fake_quant(F(y, k * n), F(scale, n), F(w, k * n), k, n, qmax),
    f16_from_f32: (h, x, n) => ref.f16_from_f32(new Uint16Array(memory.buffer, h, n), F(x, n), n),
    f16_to_f32: (x, h, n) => ref.f16_to_f32(F(x, n), new Uint16Array(memory.buffer, h, n), n),
    im2col_nhwc: (cols, x, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow) =>
      ref.im2col_nhwc(
        F(cols, n * oh * ow * kh * kw * c),
        F(x, n * h * w * c),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
      ),
    im2col_nhwc_i8: (cols, x, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow) =>
      ref.im2col_nhwc_i8(
        B(cols, n * oh * ow * kh * kw * c),
        B(x, n * h * w * c),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
      ),
    col2im_nhwc: (dx, dcols, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow) =>
      ref.col2im_nhwc(
        F(dx, n * h * w * c),
        F(dcols, n * oh * ow * kh * kw * c),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
      ),
    conv2d_forward_nhwc: (y, x, wk, b, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f) =>
      ref.conv2d_forward_nhwc(
        F(y, n * oh * ow * f),
        F(x, n * h * w * c),
        F(wk, kh * kw * c * f),
        b === 0 ? null : F(b, f),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
        f,
      ),
    conv2d_forward_nhwc_rows: (y, x, wk, b, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f, r0, rc) =>
      ref.conv2d_forward_nhwc_rows(
        F(y, n * oh * ow * f),
        F(x, n * h * w * c),
        F(wk, kh * kw * c * f),
        b === 0 ? null : F(b, f),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
        f,
        r0,
        rc,
      ),
    conv2d_backward_w_nhwc: (dw, x, dy, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f) =>
      ref.conv2d_backward_w_nhwc(
        F(dw, kh * kw * c * f),
        F(x, n * h * w * c),
        F(dy, n * oh * ow * f),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
        f,
      ),
    conv2d_backward_w_nhwc_rows: (dw, x, dy, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f, p0, pc) =>
      ref.conv2d_backward_w_nhwc_rows(
        F(dw, kh * kw * c * f),
        F(x, n * h * w * c),
        F(dy, n * oh * ow * f),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
        f,
        p0,
        pc,
      ),
    conv2d_backward_x_workspace_size: (kh, kw, c, f) => ref.conv2d_backward_x_workspace_size(kh, kw, c, f),
    conv2d_backward_x_nhwc: (dx, _ws, dy, wk, n, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f) =>
      ref.conv2d_backward_x_nhwc(
        F(dx, n * h * w * c),
        null,
        F(dy, n * oh * ow * f),
        F(wk, kh * kw * c * f),
        n,
        h,
        w,
        c,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
        f,
      ),
    maxpool2d_forward: (y, idx, x, n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow) =>
      ref.maxpool2d_forward(
        F(y, n * oh * ow * c),
        idx === 0 ? null : I(idx, n * oh * ow * c),
        F(x, n * h * w * c),
        n,
        h,
        w,
        c,
        ph,
        pw,
        sh,
        sw,
        pt,
        pl,
        oh,
        ow,
      ),
    maxpool2d_backward: (dx, dy, idx, n, sx, sy) =>
      ref.maxpool2d_backward(F(dx, n * sx), F(dy, n * sy), I(idx, n * sy), n, sx, sy),
    avgpool2d_forward: (y, x, n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow) =>
      ref.avgpool2d_forward(F(y, n * oh * ow * c), F(x, n * h * w * c), n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow),
    avgpool2d_backward: (dx, dy, n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow) =>
      ref.avgpool2d_backward(F(dx, n * h * w * c), F(dy, n * oh * ow * c), n, h, w, c, ph, pw, sh, sw, pt, pl, oh, ow),
    global_avgpool_forward: (y, x, n, hw, c) => ref.global_avgpool_forward(F(y, n * c), F(x, n * hw * c), n, hw, c),
    global_avgpool_backward: (dx, dy, n, hw, c) =>
      ref.global_avgpool_backward(F(dx, n * hw * c), F(dy, n * c), n, hw, c),
    batchnorm_stats: (mean, v, x, m, c) => ref.batchnorm_stats(F(mean, c), F(v, c), F(x, m * c), m, c),
    batchnorm_forward: (y, x, mean, v, g, b, m, c, eps) =>
      ref.batchnorm_forward(F(y, m * c), F(x, m * c), F(mean, c), F(v, c), F(g, c), F(b, c), m, c, eps),
    batchnorm_backward: (dx, dg, db, dy, x, mean, v, g, m, c, eps) =>
      ref.batchnorm_backward(
        F(dx, m * c),
        F(dg, c),
        F(db, c),
        F(dy, m * c),
        F(x, m * c),
        F(mean, c),
        F(v, c),
        F(g, c),
        m,
        c,
        eps,
      ),
    ema_update: (run, x, n, mom) => ref.ema_update(F(run, n), F(x, n), n, mom),
    channel_affine: (y, x, s, t, m, c) => ref.channel_affine(F(y, m * c), F(x, m * c), F(s, c), F(t, c), m, c),
    xxh32_reset: (state, seed) => ref.xxh32_reset(U8(state, 48), seed),
    xxh32_update: (state, src, n) => ref.xxh32_update(U8(state, 48), U8(src, n), n),
    xxh32_digest: (state) => ref.xxh32_digest(U8(state, 48)),
    confusion_counts: (cm, y, t, m, n) => ref.confusion_counts(I(cm, n * n), F(y, m * n), F(t, m * n), m, n),
    confusion_counts_binary: (cm, y, t, m, th) => ref.confusion_counts_binary(I(cm, 4), F(y, m), F(t, m), m, th),
    regression_sums: (acc, y, t, m, n) => ref.regression_sums(F(acc, 2 * n), F(y, m * n), F(t, m * n), m, n),
    center_scale_cols: (y, x, c, s, m, n) => ref.center_scale_cols(F(y, m * n), F(x, m * n), F(c, n), F(s, n), m, n),
  };
}
