import { activationBackward, activationForward } from '../layers/activations.js';
import type { LayerSpec } from '../layers/spec.js';
import type { Engine } from '../runtime/engine.js';

/** One parameter tensor's place in the slabs. */
export interface TensorSlot {
  layer: number;
  /** `<layer name>/kernel` or `<layer name>/bias`. */
  name: string;
  shape: [number, number] | [number];
  size: number;
  /** Offset in floats from the slab start (a multiple of 4, so every tensor is 16-byte aligned). */
  offset: number;
  trainable: boolean;
}

/**
 * The compiled form of a model on one engine: parameters, gradients and optimizer state in flat slabs of the
 * same layout (trainable tensors first, so an optimizer update is one kernel call over a prefix), and the
 * activation buffers for batches of up to `cap` rows. Forward and backward are sequences of kernel calls.
 */
export class Net {
  readonly slots: TensorSlot[] = [];
  readonly dims: number[]; // dims[i] = width of layer i's input; dims[L] = outputs
  /** Total floats in a slab and the trainable prefix of it. */
  readonly slabFloats: number;
  readonly trainableFloats: number;
  /** First layer that has trainable parameters (backward stops there); L when none. */
  readonly firstTrainable: number;
  params = 0;
  grads = 0;
  cap = 0;
  /** Per layer: output buffer (0 when the output aliases the input), dropout mask, gradient buffer. */
  private outBuf: number[] = [];
  private maskBuf: number[] = [];
  private gradBuf: number[] = [];
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
  /** Per layer: the kernel and bias slots (undefined for layers without them). */
  private kernelSlot: Array<TensorSlot | undefined> = [];
  private biasSlot: Array<TensorSlot | undefined> = [];

  constructor(
    readonly engine: Engine,
    readonly specs: LayerSpec[],
    inputDim: number,
  ) {
    const L = specs.length;
    this.dims = [inputDim];
    for (const s of specs) this.dims.push(s.type === 'dense' ? s.units : this.dims[this.dims.length - 1]);
    // Layout: trainable tensors first.
    const order = [...specs.keys()].sort((a, b) => Number(trainable(specs[b])) - Number(trainable(specs[a])));
    let off = 0;
    let trainableFloats = 0;
    for (const i of order) {
      const s = specs[i];
      if (s.type !== 'dense') continue;
      const add = (name: string, shape: [number, number] | [number]): void => {
        const size = shape.reduce((a, b) => a * b, 1);
        this.slots.push({ layer: i, name: `${s.name}/${name}`, shape, size, offset: off, trainable: s.trainable });
        off += Math.ceil(size / 4) * 4;
        if (s.trainable) trainableFloats = off;
      };
      add('kernel', [this.dims[i], s.units]);
      if (s.useBias) add('bias', [s.units]);
    }
    this.slots.sort((a, b) => a.layer - b.layer || (a.name < b.name ? 1 : -1)); // layer order, kernel before bias
    this.slabFloats = off;
    this.trainableFloats = trainableFloats;
    let ft = L;
    for (let i = 0; i < L; i++) if (trainable(specs[i])) { ft = i; break; }
    this.firstTrainable = ft;
    this.outs = new Array<number>(L).fill(0);
    this.targetCols = this.outputs;
    for (const slot of this.slots) (slot.name.endsWith('/bias') ? this.biasSlot : this.kernelSlot)[slot.layer] = slot;
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

  private slotOf(layer: number, kind: 'kernel' | 'bias'): TensorSlot | undefined {
    return (kind === 'kernel' ? this.kernelSlot : this.biasSlot)[layer];
  }

  /** Makes sure activation buffers hold `rows` rows (and gradient buffers too when `training`). */
  reserve(rows: number, training: boolean): void {
    if (rows <= this.cap && (!training || this.grads !== 0)) return;
    const cap = Math.max(rows, this.cap);
    const e = this.engine;
    this.releaseBuffers();
    this.cap = cap;
    const L = this.specs.length;
    for (let i = 0; i < L; i++) {
      const s = this.specs[i];
      const w = this.dims[i + 1];
      const aliasOut = s.type === 'activation' && (s.activation === 'linear' || (this.fused && i === L - 1));
      this.outBuf[i] = aliasOut ? 0 : e.allocF32(cap * w);
      this.maskBuf[i] = s.type === 'dropout' && training ? e.allocF32(cap * w) : 0;
      this.gradBuf[i] = training ? e.allocF32(cap * w) : 0;
    }
    this.xBuf = e.allocF32(cap * this.inputs);
    this.tBuf = e.allocF32(cap * this.targetCols);
    this.headBuf = e.allocF32(cap * this.outputs);
    if (training) this.grads = e.allocF32(Math.max(4, this.slabFloats));
  }

  /** Frees activation and gradient buffers (parameters stay). */
  releaseBuffers(): void {
    const e = this.engine;
    for (const p of [...this.outBuf, ...this.maskBuf, ...this.gradBuf, this.xBuf, this.tBuf, this.headBuf, this.grads]) {
      e.free(p);
    }
    this.outBuf = [];
    this.maskBuf = [];
    this.gradBuf = [];
    this.xBuf = this.tBuf = this.headBuf = this.grads = 0;
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
    const k = this.engine.k;
    const L = upTo + 1;
    const last = this.specs.length - 1;
    this.input = input;
    this.trainingPass = training;
    let x = input;
    for (let i = 0; i < L; i++) {
      const s = this.specs[i];
      const n = this.dims[i + 1];
      const y = this.outBuf[i];
      switch (s.type) {
        case 'dense': {
          const W = this.ptr(this.params, this.slotOf(i, 'kernel')!);
          const b = s.useBias ? this.ptr(this.params, this.slotOf(i, 'bias')!) : 0;
          k.gemm_forward(y, x, W, b, m, this.dims[i], n);
          if (s.activation !== 'linear' && !(this.fused && i === last)) {
            activationForward(k, s.activation, y, y, m, n, s.alpha);
          }
          x = y;
          break;
        }
        case 'dropout':
          if (training && s.rate > 0) {
            k.dropout_forward(y, this.maskBuf[i], x, m * n, s.rate, (seed + Math.imul(i, 0x2545f491)) | 0);
            x = y;
          }
          break;
        case 'activation':
          if (y !== 0) {
            activationForward(k, s.activation, y, x, m, n, s.alpha);
            x = y;
          }
          break;
      }
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
    const k = e.k;
    const L = this.specs.length;
    if (paramGrads) k.fill_f32(this.grads, this.trainableFloats, 0);
    const stop = inputGrad !== 0 ? 0 : this.firstTrainable;
    for (let i = L - 1; i >= stop; i--) {
      const s = this.specs[i];
      const n = this.dims[i + 1];
      const dy = this.gradBuf[i];
      const x = i > 0 ? this.outs[i - 1] : this.input;
      const dx = i > stop ? this.gradBuf[i - 1] : i === 0 ? inputGrad : 0;
      switch (s.type) {
        case 'dense': {
          if (s.activation !== 'linear' && !(this.fused && i === L - 1)) {
            activationBackward(k, s.activation, dy, dy, this.outs[i], m, n, s.alpha);
          }
          const W = this.slotOf(i, 'kernel')!;
          if (s.trainable && paramGrads) {
            k.gemm_backward_w(this.ptr(this.grads, W), x, dy, m, this.dims[i], n);
            if (s.useBias) k.bias_backward(this.ptr(this.grads, this.slotOf(i, 'bias')!), dy, m, n);
          }
          if (dx !== 0) k.gemm_backward_x(dx, dy, this.ptr(this.params, W), m, this.dims[i], n);
          break;
        }
        case 'dropout':
          if (dx === 0) break;
          if (s.rate > 0 && this.trainingPass) k.dropout_backward(dx, dy, this.maskBuf[i], m * n);
          else e.f32(dx, m * n).set(e.f32(dy, m * n));
          break;
        case 'activation':
          if (dx === 0) break;
          if (this.outBuf[i] === 0) e.f32(dx, m * n).set(e.f32(dy, m * n)); // identity here
          else activationBackward(k, s.activation, dx, dy, this.outs[i], m, n, s.alpha);
          break;
      }
    }
  }

  /** Adds the kernel regularizers' gradients; returns their loss term. */
  regularize(): number {
    const k = this.engine.k;
    let loss = 0;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i];
      if (s.type !== 'dense' || !s.kernelRegularizer || !s.trainable) continue;
      const slot = this.slotOf(i, 'kernel')!;
      const w = this.ptr(this.params, slot);
      const g = this.ptr(this.grads, slot);
      const { l1 = 0, l2 = 0 } = s.kernelRegularizer;
      if (l1 > 0) {
        loss += l1 * k.l1_forward(w, slot.size);
        k.l1_backward(g, w, slot.size, l1);
      }
      if (l2 > 0) {
        loss += l2 * k.l2_forward(w, slot.size);
        k.l2_backward(g, w, slot.size, l2);
      }
    }
    return loss;
  }

  /** The regularizers' loss term alone (for evaluation). */
  regularizationLoss(): number {
    const k = this.engine.k;
    let loss = 0;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i];
      if (s.type !== 'dense' || !s.kernelRegularizer) continue;
      const slot = this.slotOf(i, 'kernel')!;
      const w = this.ptr(this.params, slot);
      loss += (s.kernelRegularizer.l1 ?? 0) * k.l1_forward(w, slot.size) + (s.kernelRegularizer.l2 ?? 0) * k.l2_forward(w, slot.size);
    }
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

function trainable(s: LayerSpec): boolean {
  return s.type === 'dense' && s.trainable;
}
