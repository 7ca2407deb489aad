import { inferShapes, kindOf, paramDefs, sizeOf, type LayerKind, type Shape } from '../layers/index.js';
import type { BackwardCall } from '../layers/layer.js';
import type { LayerSpec, Regularizer } from '../layers/spec.js';
import type { Engine } from '../runtime/engine.js';

/** One parameter tensor's place in the slabs. */
export interface TensorSlot {
  layer: number;
  /** `<layer name>/<param>`: kernel, bias, gamma, beta, movingMean, movingVariance. */
  name: string;
  shape: number[];
  size: number;
  /** Offset in floats from the slab start (a multiple of 4, so every tensor is 16-byte aligned). */
  offset: number;
  trainable: boolean;
}

/**
 * The compiled form of a model on one engine: parameters, gradients and optimizer state in flat slabs of the
 * same layout (trainable tensors first, so an optimizer update is one kernel call over a prefix), and the
 * activation buffers for batches of up to `cap` rows. Forward and backward walk the layers' records
 * (src/layers), each a few kernel calls on buffers the net gives it.
 */
export class Net {
  readonly slots: TensorSlot[] = [];
  /** shapes[i]: the sample shape into layer i; shapes[L]: the model's output. */
  readonly shapes: Shape[];
  /** dims[i] = size of shapes[i] (floats per sample). */
  readonly dims: number[];
  /** The largest of dims. */
  private readonly widest: number;
  /**
   * The most multiply-adds a layer takes per row, estimated as its parameters × its output positions (a dense
   * layer's weights, a convolution's filters × output pixels): whether a one-row prediction may split.
   */
  private readonly rowMacs: number;
  /** Total floats in a slab and the trainable prefix of it. */
  readonly slabFloats: number;
  readonly trainableFloats: number;
  /** First layer that has trainable parameters (backward stops there); L when none. */
  readonly firstTrainable: number;
  params = 0;
  grads = 0;
  cap = 0;
  private readonly kinds: LayerKind<LayerSpec>[];
  /** Per layer: its slots (ParamDef order) and their regularizers. */
  private readonly layerSlots: TensorSlot[][];
  private readonly regs: Array<Regularizer | undefined>;
  /** Per layer: output buffer (0 for views), own buffers, gradient buffer (shared through views). */
  private outBuf: number[] = [];
  private ownBufs: number[][] = [];
  private gradBuf: number[] = [];
  private scratch = 0;
  /** Reused per-layer call records (the pointers change only when buffers are reserved again). */
  private calls: BackwardCall[] = [];
  /** Per layer: its gradient pointers (0 for frozen slots), and all zeros (input gradients only). */
  private gradPtrs: number[][] = [];
  private noGrads: number[][] = [];
  /** Input staging (cap × inputs), target staging and the head (activated outputs) (cap × outputs). */
  xBuf = 0;
  tBuf = 0;
  headBuf = 0;
  /** Input of the last forward pass (xBuf, or rows resident elsewhere). */
  private input = 0;
  /** Whether the last forward pass was a training one: only then did dropout draw masks for backward to use. */
  private trainingPass = false;
  /** Pointers of each layer's output in the last forward pass. */
  readonly outs: number[];
  /** When true the last layer leaves its activation to the loss kernel (softmax+CE, sigmoid+BCE). */
  fused = false;
  /** Columns of a target row (the loss's; outputs unless a loss carries more, such as a teacher's). */
  targetCols: number;

  /** Throws SHAPE (naming the layer and both shapes) before allocating anything when a layer does not fit. */
  constructor(
    readonly engine: Engine,
    readonly specs: LayerSpec[],
    input: Shape | number,
  ) {
    const L = specs.length;
    this.kinds = specs.map((s) => kindOf(s));
    this.shapes = inferShapes(specs, typeof input === 'number' ? [input] : [...input]);
    this.dims = this.shapes.map(sizeOf);
    this.widest = Math.max(...this.dims);
    const defs = paramDefs(specs, this.shapes);
    // Layout: trainable tensors first (a stable order otherwise: layer, then the layer's own order).
    const all = defs.flatMap((ps, layer) => ps.map((p, j) => ({ p, layer, j })));
    const order = [...all].sort((a, b) => Number(b.p.trainable) - Number(a.p.trainable));
    let off = 0;
    let trainableFloats = 0;
    this.layerSlots = defs.map(() => []);
    this.regs = [];
    for (const { p, layer, j } of order) {
      const size = sizeOf(p.shape);
      const slot: TensorSlot = {
        layer,
        name: `${specs[layer].name}/${p.name}`,
        shape: [...p.shape],
        size,
        offset: off,
        trainable: p.trainable,
      };
      this.layerSlots[layer][j] = slot;
      off += Math.ceil(size / 4) * 4;
      if (p.trainable) trainableFloats = off;
    }
    for (let i = 0; i < L; i++) {
      this.slots.push(...this.layerSlots[i]);
      for (let j = 0; j < defs[i].length; j++) this.regs.push(defs[i][j].regularizer);
    }
    this.slabFloats = off;
    this.trainableFloats = trainableFloats;
    this.rowMacs = Math.max(
      0,
      ...defs.map((ps, i) => {
        const out = this.shapes[i + 1];
        const positions = this.dims[i + 1] / Math.max(1, out[out.length - 1] ?? 1);
        return ps.reduce((sum, p) => sum + sizeOf(p.shape), 0) * positions;
      }),
    );
    let ft = L;
    for (let i = 0; i < L; i++)
      if (defs[i].some((p) => p.trainable)) {
        ft = i;
        break;
      }
    this.firstTrainable = ft;
    this.outs = new Array<number>(L).fill(0);
    this.targetCols = this.outputs;
    this.params = engine.allocF32(Math.max(4, this.slabFloats));
  }

  get inputs(): number {
    return this.dims[0];
  }

  get outputs(): number {
    return this.dims[this.dims.length - 1];
  }

  /** Byte pointer of a slot in a slab. */
  ptr(slab: number, slot: TensorSlot): number {
    return slab + slot.offset * 4;
  }

  /** The parameter slots of layer i (its ParamDef order). */
  slotsOf(i: number): readonly TensorSlot[] {
    return this.layerSlots[i];
  }

  private isView(i: number): boolean {
    const s = this.specs[i];
    return this.kinds[i].isView?.(s, this.fused && i === this.specs.length - 1) ?? false;
  }

  /** Makes sure activation buffers hold `rows` rows (and gradient buffers too when `training`). */
  reserve(rows: number, training: boolean): void {
    if (rows <= this.cap && (!training || this.grads !== 0)) return;
    const cap = Math.max(rows, this.cap);
    const e = this.engine;
    this.releaseBuffers();
    this.cap = cap;
    const L = this.specs.length;
    let scratch = 0;
    for (let i = 0; i < L; i++) {
      const s = this.specs[i];
      const kind = this.kinds[i];
      const [inS, outS] = [this.shapes[i], this.shapes[i + 1]];
      this.outBuf[i] = this.isView(i) ? 0 : e.allocF32(cap * this.dims[i + 1]);
      this.ownBufs[i] = (kind.buffers?.(s, inS, outS) ?? []).map((b) => {
        const floats = (b.perRow ?? 0) * cap + (b.fixed ?? 0);
        return floats > 0 && (training || !b.trainingOnly) ? e.allocF32(floats) : 0;
      });
      scratch = Math.max(scratch, (kind.scratch?.(s, inS, outS, training) ?? 0) * cap);
    }
    // A view's input gradient is its output gradient: one buffer for both.
    for (let i = L - 1; i >= 0; i--) {
      this.gradBuf[i] = !training
        ? 0
        : i + 1 < L && this.isView(i + 1)
          ? this.gradBuf[i + 1]
          : e.allocF32(cap * this.dims[i + 1]);
    }
    this.scratch = scratch > 0 ? e.allocF32(scratch) : 0;
    this.xBuf = e.allocF32(cap * this.inputs);
    this.tBuf = e.allocF32(cap * this.targetCols);
    this.headBuf = e.allocF32(cap * this.outputs);
    if (training) this.grads = e.allocF32(Math.max(4, this.slabFloats));
    this.gradPtrs = this.layerSlots.map((slots) =>
      slots.map((slot) => (training && slot.trainable ? this.ptr(this.grads, slot) : 0)),
    );
    this.noGrads = this.layerSlots.map((slots) => slots.map(() => 0));
    this.calls = this.specs.map((_, i) => ({
      k: e.k,
      engine: e,
      m: 0,
      x: 0,
      y: this.outBuf[i],
      params: this.layerSlots[i].map((slot) => this.ptr(this.params, slot)),
      bufs: this.ownBufs[i],
      scratch: this.scratch,
      training: false,
      seed: 0,
      skipActivation: this.fused && i === L - 1,
      dy: this.gradBuf[i],
      dx: 0,
      grads: [],
      out: 0,
    }));
  }

  /** Frees activation and gradient buffers (parameters stay). */
  releaseBuffers(): void {
    const e = this.engine;
    const grads = new Set(this.gradBuf);
    for (const p of [
      ...this.outBuf,
      ...this.ownBufs.flat(),
      ...grads,
      this.scratch,
      this.xBuf,
      this.tBuf,
      this.headBuf,
      this.grads,
    ]) {
      e.free(p);
    }
    this.outBuf = [];
    this.ownBufs = [];
    this.gradBuf = [];
    this.calls = [];
    this.gradPtrs = [];
    this.noGrads = [];
    this.scratch = this.xBuf = this.tBuf = this.headBuf = this.grads = 0;
    this.cap = 0;
  }

  /** Frees everything. */
  dispose(): void {
    this.releaseBuffers();
    this.engine.free(this.params);
    this.params = 0;
  }

  /**
   * Runs the layers on m rows staged in xBuf; returns the pointer of the last layer's output (the logits when
   * fused). `seed` varies the dropout masks per step.
   */
  forward(m: number, training: boolean, seed: number, input = this.xBuf, upTo = this.specs.length - 1): number {
    this.input = input;
    this.trainingPass = training;
    let x = input;
    // Inference: the unwrapped kernels where this batch splits nothing (a backward pass after it, for input
    // gradients, has no larger tensors). Training keeps the pool: a filter gradient splits by taps even at batch 1.
    const k = training ? this.engine.k : this.engine.kernelsFor(m, this.widest, this.rowMacs);
    for (let i = 0; i <= upTo; i++) {
      const c = this.calls[i];
      c.k = k;
      c.m = m;
      c.x = x;
      c.training = training;
      c.seed = (seed + Math.imul(i, 0x2545f491)) | 0;
      x = this.kinds[i].forward(this.specs[i], c, this.shapes[i], this.shapes[i + 1]);
      this.outs[i] = x;
    }
    return x;
  }

  /** Gradient buffer of the last layer's output: the loss writes d(loss)/d(output or logits) here. */
  get lossGrad(): number {
    return this.gradBuf[this.specs.length - 1];
  }

  /**
   * Backpropagates lossGrad through the layers, accumulating into the gradient slab (zeroed first). Stops at
   * the first trainable layer; `inputGrad` (optional, cap × inputs) receives d(loss)/d(input) and forces the
   * pass all the way down. `paramGrads` false skips the weight gradients (input gradients only, e.g. saliency).
   * After an inference forward pass dropout is the identity both ways.
   */
  backward(m: number, inputGrad = 0, paramGrads = true): void {
    const e = this.engine;
    if (paramGrads) e.k.fill_f32(this.grads, this.trainableFloats, 0);
    const stop = inputGrad !== 0 ? 0 : this.firstTrainable;
    for (let i = this.specs.length - 1; i >= stop; i--) {
      const c = this.calls[i];
      const dy = this.gradBuf[i];
      const dx = i > stop ? this.gradBuf[i - 1] : i === 0 ? inputGrad : 0;
      if (this.isView(i)) {
        if (dx !== 0 && dx !== dy) e.f32(dx, m * this.dims[i]).set(e.f32(dy, m * this.dims[i]));
        continue;
      }
      c.m = m;
      c.x = i > 0 ? this.outs[i - 1] : this.input;
      c.out = this.outs[i];
      c.dy = dy;
      c.dx = dx;
      c.training = this.trainingPass;
      c.grads = paramGrads ? this.gradPtrs[i] : this.noGrads[i];
      this.kinds[i].backward(this.specs[i], c, this.shapes[i], this.shapes[i + 1]);
    }
  }

  /** Adds the kernel regularizers' gradients; returns their loss term. */
  regularize(): number {
    const k = this.engine.k;
    let loss = 0;
    this.slots.forEach((slot, j) => {
      const reg = this.regs[j];
      if (!reg || !slot.trainable) return;
      const w = this.ptr(this.params, slot);
      const g = this.ptr(this.grads, slot);
      const { l1 = 0, l2 = 0 } = reg;
      if (l1 > 0) {
        loss += l1 * k.l1_forward(w, slot.size);
        k.l1_backward(g, w, slot.size, l1);
      }
      if (l2 > 0) {
        loss += l2 * k.l2_forward(w, slot.size);
        k.l2_backward(g, w, slot.size, l2);
      }
    });
    return loss;
  }

  /** The regularizers' loss term alone (for evaluation). */
  regularizationLoss(): number {
    const k = this.engine.k;
    let loss = 0;
    this.slots.forEach((slot, j) => {
      const reg = this.regs[j];
      if (!reg) return;
      const w = this.ptr(this.params, slot);
      loss += (reg.l1 ?? 0) * k.l1_forward(w, slot.size) + (reg.l2 ?? 0) * k.l2_forward(w, slot.size);
    });
    return loss;
  }

  /** Copy of the parameter slab (for early stopping and divergence recovery). */
  snapshot(): Float32Array {
    return this.engine.download(this.params, this.slabFloats);
  }

  restore(s: Float32Array): void {
    this.engine.f32(this.params, this.slabFloats).set(s);
  }
}
