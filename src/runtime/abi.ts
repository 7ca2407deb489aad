/**
 * The kernel ABI: every function the host may call, exactly as `assembly/index.ts` exports it.
 *
 * Conventions (see ../shared/DESIGN.md):
 * - outputs first, then inputs, then sizes (`i32`), then scalars (`f32`; seeds and flags `i32`);
 * - pointers are byte offsets into the one linear memory, f32 data 16-byte aligned by the arena;
 * - matrices are row-major; `m` rows (batch), `k` inner, `n` columns;
 * - backward kernels ACCUMULATE into parameter gradients (dW, db: `+=`) and OVERWRITE activation gradients
 *   (dX, dZ: `=`); elementwise kernels allow in-place use (`y == x`, `dx == dy`);
 * - losses return the batch mean (sum over classes, mean over rows for cross-entropy; mean over all elements for
 *   MSE and BCE, as Keras) and their backward writes d(mean loss)/d(input).
 * The plain-TS twins in `src/reference/` take the same arguments with typed arrays in place of pointers.
 */
export interface Kernels {
  /** First byte above the module's static data: the host's arena starts here. */
  heap_base(): number;

  // ---- GEMM (assembly/gemm) ----
  /**
   * Bytes of the GEMM workspace (16-byte aligned) every f32 and int8 GEMM takes as its `ws` argument: packed
   * panels and partial-tile spills. No kernel keeps scratch of its own, so each thread brings its workspace.
   */
  gemm_workspace_size(): number;
  /** Benchmark only (the wasm module has it, the js backend not): `iters` rounds of 12 independent f32x4 mul+add chains (96 flops each): this machine's peak. */
  peak_f32x4?(iters: number): number;
  /** y (m,n) = x (m,k) · w (k,n) + b (n); b == 0 means no bias; ws: the GEMM workspace. */
  gemm_forward(y: number, ws: number, x: number, w: number, b: number, m: number, k: number, n: number): void;
  /**
   * Columns [j0, j0 + nc) of gemm_forward's y (the rest untouched; columns outside [0, n) ignored): how threads
   * split a wide forward GEMM. With j0 a multiple of 8 and at least 8 columns, bit-identical to the whole call.
   */
  gemm_forward_cols(
    y: number,
    ws: number,
    x: number,
    w: number,
    b: number,
    m: number,
    k: number,
    n: number,
    j0: number,
    nc: number,
  ): void;
  /** dw (k,n) += x (m,k)ᵀ · dy (m,n); ws: the GEMM workspace. */
  gemm_backward_w(dw: number, ws: number, x: number, dy: number, m: number, k: number, n: number): void;
  /**
   * Rows [k0, k0 + kc) of gemm_backward_w's dw (k,n) += x (m,k)ᵀ · dy (m,n), the other rows untouched: how threads
   * split the weight gradient (by rows of dw, never by the batch). Rows outside [0, k) are ignored.
   */
  gemm_backward_w_rows(
    dw: number,
    ws: number,
    x: number,
    dy: number,
    m: number,
    k: number,
    n: number,
    k0: number,
    kc: number,
  ): void;
  /** dx (m,k) = dy (m,n) · w (k,n)ᵀ; ws: the GEMM workspace. */
  gemm_backward_x(dx: number, ws: number, dy: number, w: number, m: number, k: number, n: number): void;

  // ---- bias (assembly/bias.ts) ----
  /** y (m,n) += b (n) broadcast over rows. */
  bias_forward(y: number, b: number, m: number, n: number): void;
  /** db (n) += column sums of dy (m,n). */
  bias_backward(db: number, dy: number, m: number, n: number): void;

  // ---- activations (assembly/activations.ts) ----
  sigmoid_forward(y: number, x: number, n: number): void;
  /** dx = dy · y · (1 − y), from the forward output y. */
  sigmoid_backward(dx: number, dy: number, y: number, n: number): void;
  tanh_forward(y: number, x: number, n: number): void;
  /** dx = dy · (1 − y²), from the forward output y. */
  tanh_backward(dx: number, dy: number, y: number, n: number): void;
  relu_forward(y: number, x: number, n: number): void;
  /** dx = y > 0 ? dy : 0, from the forward output y. */
  relu_backward(dx: number, dy: number, y: number, n: number): void;
  leaky_relu_forward(y: number, x: number, n: number, alpha: number): void;
  /** dx = x > 0 ? dy : alpha · dy, from the forward input x (or output: same sign for alpha > 0). */
  leaky_relu_backward(dx: number, dy: number, x: number, n: number, alpha: number): void;
  /** Row-wise softmax of x (m,n), max-subtracted. */
  softmax_forward(y: number, x: number, m: number, n: number): void;
  /** dx = y ⊙ (dy − rowsum(dy ⊙ y)). */
  softmax_backward(dx: number, dy: number, y: number, m: number, n: number): void;

  // ---- losses (assembly/losses.ts); t is the target (m,n); w (m) per-row weights or 0 (Σ w·loss / m) ----
  mse_forward(y: number, t: number, w: number, m: number, n: number): number;
  mse_backward(dy: number, y: number, t: number, w: number, m: number, n: number): void;
  /** Mean absolute error; backward sign(y − t) / (m·n) (sign(0) = 0). */
  mae_forward(y: number, t: number, w: number, m: number, n: number): number;
  mae_backward(dy: number, y: number, t: number, w: number, m: number, n: number): void;
  /** Huber (Keras): ½d² for |d| <= delta, else delta·(|d| − ½delta); backward clamp(d, ±delta) / (m·n). */
  huber_forward(y: number, t: number, w: number, m: number, n: number, delta: number): number;
  huber_backward(dy: number, y: number, t: number, w: number, m: number, n: number, delta: number): void;
  /** Binary cross-entropy on probabilities p, clamped to [eps, 1 − eps], eps = 1e-7. */
  bce_forward(p: number, t: number, w: number, m: number, n: number): number;
  bce_backward(dp: number, p: number, t: number, w: number, m: number, n: number): void;
  /** Binary cross-entropy on logits z: max(z,0) − z·t + log1p(exp(−|z|)). */
  bce_logits_forward(z: number, t: number, w: number, m: number, n: number): number;
  bce_logits_backward(dz: number, z: number, t: number, w: number, m: number, n: number): void;
  /** Fused softmax + categorical cross-entropy: writes the probabilities p (m,n), returns the loss. */
  softmax_ce_forward(p: number, z: number, t: number, w: number, m: number, n: number): number;
  /** dz = (p − t) / m · w[r]. */
  softmax_ce_backward(dz: number, p: number, t: number, w: number, m: number, n: number): void;
  /** Categorical cross-entropy on probabilities p (clamped at eps = 1e-7). */
  ce_forward(p: number, t: number, w: number, m: number, n: number): number;
  ce_backward(dp: number, p: number, t: number, w: number, m: number, n: number): void;
  /** Fused softmax + sparse categorical cross-entropy: labels (m) are class indices as f32; writes p (m,n). */
  sparse_softmax_ce_forward(p: number, z: number, labels: number, w: number, m: number, n: number): number;
  /** dz = (p − onehot(label)) / m · w[r]. */
  sparse_softmax_ce_backward(dz: number, p: number, labels: number, w: number, m: number, n: number): void;
  /** Rows of y (m,n) whose argmax is labels[r]. */
  sparse_accuracy_count(y: number, labels: number, m: number, n: number): number;

  // ---- regularization and optimizers over flat slabs (assembly/optim.ts) ----
  /** Σ|w|. */
  l1_forward(w: number, n: number): number;
  /** g += lambda · sign(w). */
  l1_backward(g: number, w: number, n: number, lambda: number): void;
  /** Σw². */
  l2_forward(w: number, n: number): number;
  /** g += 2 · lambda · w (the gradient of lambda · Σw², as Keras). */
  l2_backward(g: number, w: number, n: number, lambda: number): void;
  /** w −= lr · (g + wd · w). */
  sgd_update(w: number, g: number, n: number, lr: number, wd: number): void;
  /** v = mu · v + (g + wd · w); w −= lr · v. */
  momentum_update(w: number, v: number, g: number, n: number, lr: number, mu: number, wd: number): void;
  /** v = mu · v + g'; w −= lr · (g' + mu · v), g' = g + wd · w. */
  nesterov_update(w: number, v: number, g: number, n: number, lr: number, mu: number, wd: number): void;
  /** Adam with L2 (coupled) decay: g' = g + wd·w; bc1 = 1 − beta1^t, bc2 = 1 − beta2^t from the host. */
  adam_update(
    w: number,
    m: number,
    v: number,
    g: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    wd: number,
    bc1: number,
    bc2: number,
  ): void;
  /** AdamW (decoupled decay): w −= lr · (wd · w + m̂ / (√v̂ + eps)). */
  adamw_update(
    w: number,
    m: number,
    v: number,
    g: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    wd: number,
    bc1: number,
    bc2: number,
  ): void;
  /**
   * RMSprop and Adagrad (Keras): s = decay·s + gain·g'²; w −= lr · g' / √(s + eps), g' = g + wd·w. RMSprop: decay
   * rho, gain 1 − rho; Adagrad: decay = gain = 1.
   */
  rms_update(
    w: number,
    s: number,
    g: number,
    n: number,
    lr: number,
    decay: number,
    gain: number,
    eps: number,
    wd: number,
  ): void;

  // ---- dropout (assembly/dropout.ts) ----
  /** Inverted dropout: mask[i] = u(seed, i) >= rate ? 1/(1−rate) : 0; y = x · mask. u from the shared hash. */
  dropout_forward(y: number, mask: number, x: number, n: number, rate: number, seed: number): void;
  dropout_backward(dx: number, dy: number, mask: number, n: number): void;

  // ---- utilities (assembly/util.ts) ----
  /** x[i] = value. */
  fill_f32(x: number, n: number, value: number): void;
  /** x[i] *= s. */
  scale_f32(x: number, n: number, s: number): void;
  /** Σx² (accumulated in f64 where it matters), returned as f32. */
  sum_squares(x: number, n: number): number;
  /** Count of NaN or ±Inf entries. */
  count_nonfinite(x: number, n: number): number;
  /** y (m,n) row r = x row idx[r]; idx is i32 (m). */
  gather_rows(y: number, x: number, idx: number, m: number, n: number): void;
  /** idx (m) i32 = argmax of each row of x (m,n), first index on ties. */
  argmax_rows(idx: number, x: number, m: number, n: number): void;
  /** Rows where argmax(y) == argmax(t); y, t (m,n). */
  accuracy_count(y: number, t: number, m: number, n: number): number;
  /** Entries where (y >= threshold) == (t >= 0.5). */
  binary_accuracy_count(y: number, t: number, n: number, threshold: number): number;
  /**
   * Shift each of `count` images (h,w) by whole pixels, zero fill: y[i](r,c) = x[i](r − dy, c − dx) with
   * (dx, dy) = shifts[2i], shifts[2i+1] (i32).
   */
  image_shift(y: number, x: number, shifts: number, count: number, h: number, w: number): void;

  // ---- axis permutation (assembly/permute.ts) ----
  /**
   * y (m, d0, d1, d2, d3) row-major = each of m samples (n = d0·d1·d2·d3 floats) with its axes permuted:
   * y[b, i0, i1, i2, i3] = x[b·n + i0·s0 + i1·s1 + i2·s2 + i3·s3], s the input strides (floats) of the output
   * axes; y must not overlap x. The permute layer passes a canonical form (permuteArgs in src/layers/permute.ts).
   */
  permute_forward(
    y: number,
    x: number,
    m: number,
    d0: number,
    d1: number,
    d2: number,
    d3: number,
    s0: number,
    s1: number,
    s2: number,
    s3: number,
  ): void;

  // ---- zero padding (assembly/conv/pad.ts) ----
  /**
   * y (m, top+h+bottom, left+w+right, c) = x (m, h, w, c) NHWC with zero borders (Keras ZeroPadding2D); every
   * float of y is written, y must not overlap x.
   */
  zero_pad2d_forward(
    y: number,
    x: number,
    m: number,
    h: number,
    w: number,
    c: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
  ): void;
  /** dx (m, h, w, c) = the interior of dy (m, top+h+bottom, left+w+right, c): zero_pad2d_forward's gradient. */
  crop2d_backward(
    dx: number,
    dy: number,
    m: number,
    h: number,
    w: number,
    c: number,
    top: number,
    bottom: number,
    left: number,
    right: number,
  ): void;

  // ---- pruning and sparse inference (assembly/sparse) ----
  /** w (n) *= mask (n): puts pruned weights back to zero after an optimizer step. */
  mask_f32(w: number, mask: number, n: number): void;
  /**
   * y (m,n) = x (m,k) · W (k,n) + b (n) with W in CSR by input row: rowptr (k+1) i32, cols (nnz) u16, vals (nnz)
   * f32; b == 0 means no bias. Inputs equal to zero skip their row of W. ws: scratch of n × 4 floats used from
   * m = 4 on (0: one row at a time). vals must be finite.
   */
  sparse_csr_forward(
    y: number,
    ws: number,
    x: number,
    rowptr: number,
    cols: number,
    vals: number,
    b: number,
    m: number,
    k: number,
    n: number,
  ): void;

  // ---- knowledge distillation (assembly/distill.ts); t (m,2n) rows are [y hard label | zt teacher logits] ----
  /**
   * p (m,n) = softmax(z); returns the mean over rows of alpha·CE(y, softmax(z)) + (1 − alpha)·T²·
   * KL(softmax(zt/T) ‖ softmax(z/T)).
   */
  distill_forward(p: number, z: number, t: number, m: number, n: number, temperature: number, alpha: number): number;
  /** dz (m,n) = [alpha (p − y) + (1 − alpha)·T·(softmax(z/T) − softmax(zt/T))] / m; may alias p or z. */
  distill_backward(
    dz: number,
    p: number,
    z: number,
    t: number,
    m: number,
    n: number,
    temperature: number,
    alpha: number,
  ): void;
  /** Rows where argmax(z) == argmax(y), the hard part of t (m,2n). */
  distill_accuracy_count(z: number, t: number, m: number, n: number): number;

  // ---- quantization and mixed precision (assembly/quant); i8/i32/u16 pointers hold int8, int32, f16 bits ----
  /** Bytes q8_pack_b writes for b (k,n): ceil(k/2) · ceil(n/8) · 16. */
  q8_packed_size(k: number, n: number): number;
  /** bp = b (k,n) i8 packed for q8_gemm: 8-column panels of k-pairs (zero-padded to even k, n to a multiple of 8). */
  q8_pack_b(bp: number, b: number, k: number, n: number): void;
  /** c (m,n) i32 = a (m,k) i8 · b (k,n) i8, b packed by q8_pack_b: exact integer accumulation (dot_i16x8_s). */
  q8_gemm(c: number, ws: number, a: number, bp: number, m: number, k: number, n: number): void;
  /** max |x| over x (n) f32 (NaN ignored): the per-tensor range of a batch for dynamic quantization. */
  q8_absmax(x: number, n: number): number;
  /** q (n) i8 = clamp(round_half_even(x · inv_scale), −127, 127); NaN → 0. */
  q8_quantize(q: number, x: number, n: number, inv_scale: number): void;
  /**
   * y (m,n) f32 = ((acc + bias_q[j]) · scale[j]) · s + bias_f[j], ReLU if relu ≠ 0; acc i32, bias_q (n) i32 and
   * bias_f (n) f32 optional (0).
   */
  q8_dequantize(
    y: number,
    acc: number,
    bias_q: number,
    scale: number,
    bias_f: number,
    m: number,
    n: number,
    s: number,
    relu: number,
  ): void;
  /** q (m,n) i8 = clamp(round((acc + bias_q[j]) · mult[j]), relu ? 0 : −127, 127); bias_q optional (0). */
  q8_requantize(q: number, acc: number, bias_q: number, mult: number, m: number, n: number, relu: number): void;
  /** Per-column symmetric: scale (n) = max|w(:,j)| / qmax, q (k,n) i8 = clamp(round(w / scale[j]), ±qmax). */
  q8_quantize_weights(q: number, scale: number, w: number, k: number, n: number, qmax: number): void;
  /** y (k,n) f32 = dequantized q8_quantize_weights(w) (scale (n) written too); y may be w. For QAT. */
  q8_fake_quant(y: number, scale: number, w: number, k: number, n: number, qmax: number): void;
  /** h (n) u16 = IEEE half of x (n) f32, round to nearest even, overflow → ±Inf, NaN → 0x7e00 | sign. */
  f16_from_f32(h: number, x: number, n: number): void;
  /** x (n) f32 = h (n) f16 (exact). */
  f16_to_f32(x: number, h: number, n: number): void;

  // ---- conv (assembly/conv): NHWC maps (n,h,w,c), channels last; a window / patch pixel is
  // (iy, ix) = (oy·sh − padT + ky, ox·sw − padL + kx), padding outside the map; oh, ow from the host ----
  /**
   * cols (n·oh·ow, kh·kw·c) = im2col of x (n,h,w,c): row (b, oy, ox), columns (ky, kx, ci), so a Keras HWIO kernel
   * (kh,kw,c,f) is the (kh·kw·c, f) matrix of gemm_forward; padding reads as 0.
   */
  im2col_nhwc(
    cols: number,
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /**
   * cols (n·oh·ow, kh·kw·c) int8 = patches of the int8 map x (n,h,w,c), as im2col_nhwc, for any c: the columns of
   * an int8 conv (q8_gemm) whose c is not a multiple of 4 (with c % 4 == 0, im2col_nhwc on c / 4 copies the same
   * bytes). Measured at batch 64 (q8_quantize + this + q8_gemm + q8_dequantize against conv2d_forward_nhwc + relu):
   * 1.2-1.5x faster at c = 6 (14x14x6 5x5x8/16, 16x16x6 3x3x32) and c = 10, 1.1-1.4x at c = 3 with 32 filters
   * (32x32x3 3x3 and 5x5 'same'); slower at c = 1 (0.55-0.65x) and 32x32x3 3x3x16 (0.85x).
   */
  im2col_nhwc_i8(
    cols: number,
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /** dx (n,h,w,c) = Σ of dcols (n·oh·ow, kh·kw·c) onto their pixels (adjoint of im2col_nhwc); overwrites dx. */
  col2im_nhwc(
    dx: number,
    dcols: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /**
   * y (n,oh,ow,f) = conv of x (n,h,w,c) with the HWIO kernel wk (kh,kw,c,f) + bias (f) (bias == 0: none): the
   * im2col_nhwc + gemm_forward product in one pass, without the columns (direct NHWC micro-kernels, 4 pixels x 8
   * filters, or x 4 for f % 8 <= 4; for inference, or a training forward that does not keep the columns).
   */
  conv2d_forward_nhwc(
    y: number,
    x: number,
    wk: number,
    bias: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    f: number,
  ): void;
  /**
   * Output rows [r0, r0 + rc) of every sample of conv2d_forward_nhwc's y, the other rows untouched: how threads
   * split a batch of one. Rows outside [0, oh) are ignored.
   */
  conv2d_forward_nhwc_rows(
    y: number,
    x: number,
    wk: number,
    bias: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    f: number,
    r0: number,
    rc: number,
  ): void;
  /**
   * dw (kh·kw·c, f) += im2col(x)ᵀ · dy (n·oh·ow, f): gemm_backward_w on the im2col_nhwc columns, without them
   * (direct micro-kernels: 4 taps x 8 filters, or x 4 for f % 8 <= 4, over the pixels where those taps are inside
   * the map). Accumulates.
   */
  conv2d_backward_w_nhwc(
    dw: number,
    x: number,
    dy: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    f: number,
  ): void;
  /**
   * Rows (taps) [p0, p0 + pc) of conv2d_backward_w_nhwc's dw (kh·kw·c, f), the other rows untouched: how threads
   * split the filter gradient (by taps, never by the batch). Rows outside [0, kh·kw·c) are ignored.
   */
  conv2d_backward_w_nhwc_rows(
    dw: number,
    x: number,
    dy: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    f: number,
    p0: number,
    pc: number,
  ): void;
  /** Bytes of scratch conv2d_backward_x_nhwc takes (the transposed kernel): kh·f·ceil(kw·c / 8)·8 floats. */
  conv2d_backward_x_workspace_size(kh: number, kw: number, c: number, f: number): number;
  /**
   * dx (n,h,w,c) = col2im_nhwc(dy (n·oh·ow, f) · wk (kh·kw·c, f)ᵀ): gemm_backward_x + col2im_nhwc without the
   * columns (tiles of dy·wkᵀ added straight onto their pixels; at c = 1 with stride 1, each pixel's dot products
   * along the filters, ws unused); ws: conv2d_backward_x_workspace_size bytes, 16-byte aligned. Overwrites dx.
   */
  conv2d_backward_x_nhwc(
    dx: number,
    ws: number,
    dy: number,
    wk: number,
    n: number,
    h: number,
    w: number,
    c: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
    f: number,
  ): void;
  /**
   * y (n,oh,ow,c) = max of x (n,h,w,c) over each ph x pw window's in-range pixels (padding never wins);
   * idx (n,oh,ow,c) i32 = flat index iy·w·c + ix·c + ch into the sample's map of the max (first in scan order ky, kx on
   * ties), or idx == 0 not to write it. A NaN in a window wins (the first NaN). An empty window: y = 0, idx = −1.
   */
  maxpool2d_forward(
    y: number,
    idx: number,
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ph: number,
    pw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /**
   * Per sample b < n (sx floats of dx, sy of dy and idx i32): dx = 0, then dx[b·sx + idx[i]] += dy[i] (negative
   * idx skipped); overwrites dx.
   */
  maxpool2d_backward(dx: number, dy: number, idx: number, n: number, sx: number, sy: number): void;
  /** y (n,oh,ow,c) = mean of x (n,h,w,c) over each window's in-range pixels (padding not counted, as Keras 'same'). */
  avgpool2d_forward(
    y: number,
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ph: number,
    pw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /** dx (n,h,w,c) = adjoint of avgpool2d_forward applied to dy (n,oh,ow,c); overwrites dx. */
  avgpool2d_backward(
    dx: number,
    dy: number,
    n: number,
    h: number,
    w: number,
    c: number,
    ph: number,
    pw: number,
    sh: number,
    sw: number,
    padT: number,
    padL: number,
    oh: number,
    ow: number,
  ): void;
  /** y (n,c) = mean over hw of x (n,hw,c). */
  global_avgpool_forward(y: number, x: number, n: number, hw: number, c: number): void;
  /** dx (n,hw,c) = dy (n,c) / hw broadcast; overwrites dx. */
  global_avgpool_backward(dx: number, dy: number, n: number, hw: number, c: number): void;
  /**
   * mean (c), variance (c) = per-channel mean and biased variance of x (m,c) (m = n·h·w for a map); two passes
   * with f64 block sums, accurate when |mean| >> std; m <= 0 gives zeros.
   */
  batchnorm_stats(mean: number, variance: number, x: number, m: number, c: number): void;
  /** y (m,c) = (x − mean) · gamma / sqrt(variance + eps) + beta per channel; y may alias x. */
  batchnorm_forward(
    y: number,
    x: number,
    mean: number,
    variance: number,
    gamma: number,
    beta: number,
    m: number,
    c: number,
    eps: number,
  ): void;
  /**
   * Training-mode gradient with batch statistics: xhat = (x − mean)·istd, istd = 1/sqrt(variance + eps);
   * dgamma (c) += Σ dy·xhat, dbeta (c) += Σ dy (accumulate); dx (m,c) = gamma·istd·(dy − Σdy/m − xhat·Σ(dy·xhat)/m)
   * (overwrite; dx may alias dy).
   */
  batchnorm_backward(
    dx: number,
    dgamma: number,
    dbeta: number,
    dy: number,
    x: number,
    mean: number,
    variance: number,
    gamma: number,
    m: number,
    c: number,
    eps: number,
  ): void;
  /** run (n) = momentum · run + (1 − momentum) · x (running mean / variance). */
  ema_update(run: number, x: number, n: number, momentum: number): void;
  /** y (m,c) = x · scale[ch] + shift[ch] (inference batch norm folded); y may alias x. */
  channel_affine(y: number, x: number, scale: number, shift: number, m: number, c: number): void;

  // ---- checksums (assembly/xxh32.ts) ----
  /** Starts an XXH32 with `seed` in the 48-byte `state` (16-byte aligned). */
  xxh32_reset(state: number, seed: number): void;
  /** Feeds n bytes at src (any alignment) to the XXH32 in `state`: a file is hashed in pieces, in file order. */
  xxh32_update(state: number, src: number, n: number): void;
  /** The XXH32 of everything fed since the reset, as a signed i32 (`>>> 0` for the usual value); state unchanged. */
  xxh32_digest(state: number): number;

  // ---- evaluation metrics (assembly/metrics.ts) ----
  /** cm (n,n) i32 += 1 at [argmax t_r, argmax y_r] per row of y, t (m,n): row = true class (accumulates). */
  confusion_counts(cm: number, y: number, t: number, m: number, n: number): void;
  /** cm (2,2) i32 += 1 at [t >= 0.5, y >= threshold] per entry of y, t (m) (accumulates). */
  confusion_counts_binary(cm: number, y: number, t: number, m: number, threshold: number): void;
  /** acc (2n) f32 = per column of y, t (m,n): Σ(y − t)², then Σ|y − t| (overwrites). */
  regression_sums(acc: number, y: number, t: number, m: number, n: number): void;
  /** y (m,n) = (x − center[j]) · scale[j] per column (a fitted scaler on staged rows); y may alias x. */
  center_scale_cols(y: number, x: number, center: number, scale: number, m: number, n: number): void;
}

/** Names of all kernels, in ABI order (drives tests and the JS backend adapter). */
export type KernelName = Exclude<keyof Kernels, 'heap_base' | 'gemm_workspace_size' | 'peak_f32x4'>;
