// Quantization-aware fine-tuning: train with the int8 layers' weights fake-quantized (quantized and dequantized
// on the same per-channel grid quantizeModel will use) in the forward and backward passes, while the optimizer
// updates the f32 master weights with those gradients: the straight-through estimator (Bengio et al. 2013;
// Jacob et al. 2018, §3). Implemented with train-step hooks and the q8_fake_quant kernel: before each forward
// the master kernels are copied aside and replaced by their fake-quantized form; after backward they are put
// back, so the update lands on the master weights. Activations are not fake-quantized (the hooks see whole
// passes, not layer boundaries); at 8 bits their per-tensor rounding costs far less than a coarse weight grid.
import { checkOptions } from '../args.js';
import type { MatrixInput } from '../data/matrix.js';
import { check } from '../errors.js';
import type { Net } from '../model/net.js';
import { Sequential, type TargetInput, type TrainHook, idleModel } from '../model/sequential.js';
import type { History } from '../train/callbacks.js';
import type { FitOptions } from '../train/fit.js';
import { resolvePlan, type PrecisionPlan } from './quantize.js';
import { requireSupported } from './support.js';

/** Options of {@link fakeQuantize}: the same plan and weightBits that quantizeModel will get. */
export interface FakeQuantOptions {
  /** Which dense/conv2d layers will be int8 (default 'int8': all); only those are fake-quantized. */
  plan?: PrecisionPlan;
  /** Weight grid bits, 2–8 (default 8). */
  weightBits?: number;
}

/** An active fake quantization on a model (from {@link fakeQuantize}). */
export interface FakeQuantHandle {
  /** Names of the fake-quantized dense/conv2d layers. */
  readonly layers: readonly string[];
  /** Stops fake quantization and frees its buffers; the model keeps its (f32 master) weights. */
  remove(): void;
}

const active = new WeakMap<Sequential, FakeQuantHandle>();

/**
 * Makes every later training step of `model` (fit) run its int8-planned layers on fake-quantized weights until
 * remove() is called. For a model that loses too much accuracy in post-training quantization: fine-tune a few
 * epochs (at a lower learning rate), remove, then quantizeModel with the same plan and weightBits.
 */
export function fakeQuantize(model: Sequential, options: FakeQuantOptions = {}): FakeQuantHandle {
  check(model instanceof Sequential, 'DTYPE', 'fakeQuantize() takes a Sequential model');
  idleModel(model, 'fakeQuantize()');
  requireSupported(model.layers, 'fakeQuantize()');
  check(model.built, 'STATE', `fakeQuantize(): model '${model.name}' is not built (it has no weights yet)`);
  check(
    !active.has(model),
    'STATE',
    `fakeQuantize(): model '${model.name}' is already fake-quantized (remove() the first one)`,
  );
  checkOptions(options, 'fakeQuantize()', { weightBits: 'count' });
  const bits = options.weightBits ?? 8;
  check(
    Number.isInteger(bits) && bits >= 2 && bits <= 8,
    'RANGE',
    `fakeQuantize(): weightBits must be an integer in [2, 8], got ${String(bits)}`,
  );
  const plan = resolvePlan(model.layers, options.plan ?? 'int8', 'fakeQuantize()');
  const names = [...plan].filter(([, p]) => p === 'int8').map(([i]) => model.layers[i].name);
  const qmax = 2 ** (bits - 1) - 1;
  const net0 = model.net!;
  const e = net0.engine;
  // One backup and one scale buffer per layer, sized from the slots (the layout may change, the sizes do not).
  const buffers = names.map((name) => {
    const slot = net0.slots.find((s) => s.name === `${name}/kernel`)!;
    // A dense kernel (k, n) or a conv2d HWIO kernel read as the (kh·kw·c, filters) matrix: per-column = per filter.
    const n = slot.shape[slot.shape.length - 1];
    return { name, size: slot.size, n, k: slot.size / n, backup: e.allocF32(slot.size), scale: e.allocF32(n) };
  });
  const kernelPtr = (net: Net, name: string): number =>
    net.ptr(net.params, net.slots.find((s) => s.name === `${name}/kernel`)!);
  let swapped = false;
  const hook: TrainHook = {
    beforeForward(net) {
      for (const b of buffers) {
        const w = kernelPtr(net, b.name);
        e.f32(b.backup, b.size).set(e.f32(w, b.size)); // a bulk copy (memcpy), not per-element math
        net.engine.k.q8_fake_quant(w, b.scale, b.backup, b.k, b.n, qmax);
      }
      swapped = true;
    },
    afterBackward(net) {
      if (!swapped) return;
      for (const b of buffers) e.f32(kernelPtr(net, b.name), b.size).set(e.f32(b.backup, b.size));
      swapped = false;
    },
  };
  let removed = false;
  const handle: FakeQuantHandle = {
    layers: names,
    remove() {
      if (removed) return;
      check(!model.busy, 'STATE', 'fakeQuantize(): remove() while fit() is running on this model');
      removed = true;
      const i = model.trainHooks.indexOf(hook);
      if (i >= 0) model.trainHooks.splice(i, 1);
      active.delete(model);
      for (const b of buffers) {
        e.free(b.backup);
        e.free(b.scale);
      }
    },
  };
  model.trainHooks.push(hook);
  active.set(model, handle);
  return handle;
}

/**
 * Quantization-aware fine-tuning in one call: fakeQuantize, fit, remove. Takes fit's options plus the plan and
 * weightBits the model will be quantized with; resolves to fit's history.
 */
export async function fineTuneQuantized(
  model: Sequential,
  x: MatrixInput,
  y: TargetInput,
  options: FitOptions & FakeQuantOptions = {},
): Promise<History> {
  // fit()'s own checks come after the weights are fake-quantized: check the option types up front.
  checkOptions(options, 'fineTuneQuantized()', {
    epochs: 'index',
    batchSize: 'count',
    seed: 'number',
    shuffle: 'boolean',
    validationSplit: 'number',
    yieldEveryMs: 'number',
    weightBits: 'count',
  });
  const { plan, weightBits, ...fitOptions } = options;
  const fq: FakeQuantOptions = {};
  if (plan !== undefined) fq.plan = plan;
  if (weightBits !== undefined) fq.weightBits = weightBits;
  const handle = fakeQuantize(model, fq);
  try {
    return await model.fit(x, y, fitOptions);
  } finally {
    handle.remove();
  }
}
