// The ONNX form of a QuantizedModel (src/compress/quantize.ts), computing the numbers simdnet computes.
//
// An int8 layer that computes in int8 is written as integer arithmetic that reproduces simdnet's step for step,
// not as the usual float QDQ pattern (DequantizeLinear → float op), which rounds otherwise in rare cases:
//   quantize  Clip(x · (1/s_in), −127, 127) → QuantizeLinear(scale 1, zero point uint8 128): simdnet multiplies by
//             the f32 inverse of the scale and clamps to ±127 before rounding half to even; ONNX's QuantizeLinear
//             divides (ORT 1.30: x / s, which rounds apart from x · (1/s) near ties) and saturates at −128, hence
//             Mul and Clip first and a scale of 1. The values are stored as uint8 q + 128 because ORT-web's
//             MatMulInteger is ~17x faster for uint8 × int8 than for int8 × int8 (measured, 256×784×256).
//   multiply  dense: MatMulInteger(x_q, W_q, 128) — the exact int32 sums of simdnet's q8_gemm (+ the int32 bias).
//             conv2d: a float Conv over the integers, DequantizeLinear(x_q, 1, 128) and DequantizeLinear(W_q, 1, 0)
//             (OIHW) with the int32 bias as its float B: exact because every partial sum is an integer below 2^24
//             (checked per filter from the weights: 127·Σ|w_q| + |b_q| < 2^24) and 3–4x faster in ORT-web than
//             ConvInteger, which is the fallback where that bound does not hold.
//   rescale   static: (acc + b_q) · (s_in·s_w[j]) in f32 — DequantizeLinear of the int32 sums (per channel, axis 1)
//             or Mul for the float conv's — q8_dequantize's one rounding; dynamic: acc · s_w[j] · s_in + b (f32);
//             int8 for the next int8 layer (static): · multiplier[j], Clip (0 or −127, 127), QuantizeLinear(1,
//             128), as q8_requantize; ReLU follows (or is the Clip at 0).
// Dynamic activation scales are computed in the graph: s = ReduceMax(Abs(x)) / 127 over the WHOLE input tensor
// (1 when that is 0 or not finite), as simdnet computes one scale per predict() batch — the same numbers when the
// ONNX batch is the batch simdnet ran (predict's batchSize, 256 rows by default).
// The standard QDQ form (option int8: 'qdq', static scales only) is written instead for tools that take QDQ graphs
// (TensorRT, OpenVINO, ONNX Runtime's QDQ fusions): QuantizeLinear(x, s_in, int8 0) → DequantizeLinear at each
// int8 layer's input, the int8 kernel through a per-output-channel DequantizeLinear, a float bias, a float Gemm /
// Conv; every layer quantizes its float input at its own (calibrated) scale, the scale simdnet requantizes to.
// It is not bit-identical to predict: QuantizeLinear divides by s and saturates at −128 where simdnet multiplies by
// the f32 1/s and clamps at −127, the float op sums rounded products, and the value between two int8 layers passes
// through float; an activation near a rounding tie lands one int8 step apart. Measured on 2000 MNIST rows, 5 seeds,
// ORT 1.30 at levels 'all' and 'disabled' alike: 0–6 rows beyond 1e-5, at most 5.6e-3, the class never differed
// (test/onnx/export.test.ts). Dynamic-scale models are refused: standard QDQ scales are constants (the 'integer'
// form computes dynamic scales in the graph). In ORT-web, whose QDQ fusions (level 'extended' and up) turn this
// into int8 × int8 kernels, it ran ~2x slower than at 'disabled' (one measurement on a loaded machine).
// Layers that simdnet runs in f32 keep that form: an int8 conv that computes in f32 (int8Compute) is its int8
// kernel through a per-channel DequantizeLinear (axis 0, zero point 0) into a float Conv; f16 kernels are FLOAT16
// initializers Cast to float; f32 layers are plain. A batch norm folded into a kernel is exported folded (the
// weights simdnet runs); one that was not folded is a BatchNormalization.
import { SimdnetError } from '../errors.js';
import { int8Wiring, type Int8Wiring, type QuantLayer, type QuantMode, type QuantParts } from '../compress/quantize.js';
import { hasKernel } from '../compress/support.js';
import { geometry } from '../layers/conv2d.js';
import type { Shape } from '../layers/index.js';
import type { Conv2dSpec, DenseSpec } from '../layers/spec.js';
import { floatTensor, int8Tensor } from './codec.js';
import {
  channelsFirst,
  float16Tensor,
  floatChannel,
  floatKernel,
  hwioToOihw,
  int32Channel,
  int8Kernel,
  kernelDims,
  kernelLayer,
  plainLayer,
  windowAttrs,
  activationNodes,
  type GraphBuilder,
  type Value,
} from './export-graph.js';
import { DataType } from './types.js';

/** How int8-computing layers are written: simdnet's exact integer form, or the standard QDQ form. */
export type Int8Form = 'integer' | 'qdq';

/** The graph of a quantized model's layers from the input value `x`; returns the last value. */
export function quantizedLayers(
  b: GraphBuilder,
  parts: QuantParts,
  shapes: readonly Shape[],
  x: Value,
  form: Int8Form = 'integer',
): Value {
  const layers = parts.layers;
  const byLayer = new Map(parts.kernels.map((q) => [q.layer, q]));
  const others = new Map(parts.others.map((o) => [o.layer, o.tensors]));
  const wiring = int8Wiring(parts, shapes, form === 'integer');
  if (form === 'qdq' && parts.mode === 'dynamic' && wiring.size > 0) {
    const names = [...wiring.keys()].map((i) => `'${layers[i].name}'`).join(', ');
    throw new SimdnetError(
      'UNSUPPORTED',
      `exportOnnx(): int8 'qdq' writes constant activation scales (as TensorRT and OpenVINO take QDQ graphs), but this model ` +
        `was quantized with dynamic scales (one per batch) for its int8 layers ${names}: export it with int8: 'integer' ` +
        `(the default, which computes the scales in the graph), or quantize with calibration data for static scales ` +
        `(quantizeModel(model, { calibration }))`,
    );
  }
  let v = x;
  for (let i = 0; i < layers.length; ) {
    const spec = layers[i];
    const q = byLayer.get(i);
    if (q && hasKernel(spec)) {
      const wi = wiring.get(i);
      if (wi) {
        v =
          form === 'qdq' ? qdqLayer(b, q, spec, v, shapes[i], wi) : int8Layer(b, parts.mode, q, spec, v, shapes[i], wi);
        i = wi.last + 1;
      } else {
        v = f32ComputeLayer(b, q, spec, v, shapes[i]);
        i = (q.bn ?? i) + 1;
      }
    } else {
      v = plainLayer(b, spec, v, shapes[i], shapes[i + 1], others.get(i) ?? []);
      i += 1;
    }
  }
  return v;
}

/** A dense/conv2d layer simdnet runs in f32: f32, f16 (Cast) or int8 storage (DequantizeLinear). */
function f32ComputeLayer(b: GraphBuilder, q: QuantLayer, spec: DenseSpec | Conv2dSpec, v: Value, input: Shape): Value {
  const dims = kernelDims(spec, q.shape);
  let kernel: string;
  let bias = q.bias as Float32Array | undefined;
  if (q.precision === 'f32') {
    kernel = floatKernel(b, spec, q.shape, q.kernel as Float32Array);
  } else if (q.precision === 'f16') {
    const bits = spec.type === 'conv2d' ? hwioToOihw(q.kernel as Uint16Array, q.shape) : (q.kernel as Uint16Array);
    const half = b.init(`${spec.name}/kernel_f16`, (n) => float16Tensor(n, dims, bits));
    kernel = b.node('Cast', [half], `${spec.name}/kernel/Cast`, { to: DataType.FLOAT });
  } else {
    // int8 storage, f32 compute: the kernel dequantized (q · s_w[j] in f32, as simdnet), the bias in real units.
    const ws = q.wScale!;
    const w8 = int8Kernel(b, spec, q.shape, q.kernel as Int8Array);
    const scale = b.init(`${spec.name}/kernel_scale`, (n) => floatTensor(n, [ws.length], ws));
    const zero = b.init(`${spec.name}/kernel_zero_point`, (n) => int8Tensor(n, [ws.length], new Int8Array(ws.length)));
    kernel = b.node('DequantizeLinear', [w8, scale, zero], `${spec.name}/kernel/DequantizeLinear`, {
      axis: spec.type === 'conv2d' ? 0 : 1,
    });
    if (q.bias instanceof Int32Array) bias = Float32Array.from(q.bias, (bq, j) => bq * Math.fround(q.inScale! * ws[j]));
  }
  // A folded batch norm gives a layer without a bias one.
  const s = bias && !spec.useBias ? { ...spec, useBias: true } : spec;
  const biasName = bias ? b.init(`${spec.name}/bias`, (n) => floatTensor(n, [bias.length], bias)) : undefined;
  return kernelLayer(b, s, v, input, { kernel, ...(biasName === undefined ? {} : { bias: biasName }) });
}

/**
 * float → simdnet's int8 (stored as uint8 q + 128): QuantizeLinear(Clip(x · inv, −127, 127), 1, 128); `inv` a
 * tensor name.
 */
function quantizeNodes(b: GraphBuilder, v: Value, inv: string, base: string): Value {
  const scaled = b.node('Mul', [v.name, inv], `${base}/quantize/Mul`);
  const clipped = b.node('Clip', [scaled, b.scalarF32(-127), b.scalarF32(127)], `${base}/quantize/Clip`);
  return {
    ...v,
    name: b.node('QuantizeLinear', [clipped, b.scalarF32(1), b.zeroPointU8()], `${base}/QuantizeLinear`),
    int8: true,
  };
}

/**
 * A dynamic activation scale: max|x| / 127 over the whole tensor, 1 when that is 0 or not finite (scaleOf), and
 * its f32 inverse. The inverse goes through a Where too: ORT's DivMulFusion rewrites Div(1, s) → Mul(x, ·) into
 * Div(x, s) (measured in 1.30, from the 'basic' level on), which rounds otherwise than simdnet's x · (1/s).
 */
function dynamicScale(b: GraphBuilder, v: Value, base: string): { scale: string; inv: string } {
  const abs = b.node('Abs', [v.name], `${base}/scale/Abs`);
  const max = b.node('ReduceMax', [abs], `${base}/scale/ReduceMax`, { keepdims: 0 });
  const div = b.node('Div', [max, b.scalarF32(127)], `${base}/scale/Div`);
  const pos = b.node('Greater', [max, b.scalarF32(0)], `${base}/scale/Greater`);
  const fin = b.node('Less', [max, b.scalarF32(Infinity)], `${base}/scale/Less`);
  const ok = b.node('And', [pos, fin], `${base}/scale/And`);
  const one = b.scalarF32(1);
  const scale = b.node('Where', [ok, div, one], `${base}/scale`);
  const reciprocal = b.node('Div', [one, div], `${base}/scale/Reciprocal`);
  const inv = b.node('Where', [ok, reciprocal, one], `${base}/scale/inverse`);
  return { scale, inv };
}

/**
 * Whether a float Conv over this layer's quantized integers is exact: every partial sum an integer below 2^24
 * (|x_q| <= 127), with the int32 bias when it is added in the Conv.
 */
function floatConvExact(q: QuantLayer, bias: Int32Array | undefined): boolean {
  const w = q.kernel as Int8Array;
  const sums = new Float64Array(q.n);
  for (let i = 0; i < w.length; i++) sums[i % q.n] += Math.abs(w[i]);
  return sums.every((s, j) => 127 * s + (bias ? Math.abs(bias[j]) : 0) < 2 ** 24);
}

/** An int8-computing dense/conv2d layer (with its folded batch norm and fused ReLU) in integer arithmetic. */
function int8Layer(
  b: GraphBuilder,
  mode: QuantMode,
  q: QuantLayer,
  spec: DenseSpec | Conv2dSpec,
  v: Value,
  input: Shape,
  wi: Int8Wiring,
): Value {
  const base = spec.name;
  const conv = spec.type === 'conv2d';
  const ws = q.wScale!;
  let x = conv ? b.channelsFirst(v, base) : b.natural(v, base);
  let dyn: { scale: string; inv: string } | undefined;
  if (!wi.takesInt8) {
    if (mode === 'dynamic') {
      dyn = dynamicScale(b, x, base);
      x = quantizeNodes(b, x, dyn.inv, base);
    } else {
      x = quantizeNodes(b, x, b.scalarF32(Math.fround(1 / q.inScale!)), base);
    }
  }
  const w = int8Kernel(b, spec, q.shape, q.kernel as Int8Array);
  const biasQ = mode === 'static' ? (q.bias as Int32Array | undefined) : undefined;
  // The sums (+ the static int32 bias): int32 from MatMulInteger/ConvInteger, or exact integers in f32 from Conv.
  let out: Value;
  let floatSums = false;
  if (!conv) {
    out = {
      name: b.node('MatMulInteger', [x.name, w, b.zeroPointU8()], base),
      shape: [spec.units],
      perm: [0, 1],
      int8: false,
    };
  } else {
    const g = geometry(spec.name, 'conv2d', input, spec.kernelSize, spec.strides, spec.padding);
    const shape = [g.oh, g.ow, spec.filters];
    if (floatConvExact(q, biasQ)) {
      const xf = b.node(
        'DequantizeLinear',
        [x.name, b.scalarF32(1), b.zeroPointU8()],
        `${base}/input/DequantizeLinear`,
      );
      const wf = b.node('DequantizeLinear', [w, b.scalarF32(1), b.zeroI8()], `${base}/kernel/DequantizeLinear`);
      const bias = biasQ ? [b.init(`${base}/bias_int32_as_float`, (n) => floatTensor(n, [biasQ.length], biasQ))] : [];
      out = {
        name: b.node('Conv', [xf, wf, ...bias], base, windowAttrs(spec, input)),
        shape,
        perm: channelsFirst(4),
        int8: false,
      };
      floatSums = true;
    } else {
      out = {
        name: b.node('ConvInteger', [x.name, w, b.zeroPointU8()], base, windowAttrs(spec, input)),
        shape,
        perm: channelsFirst(4),
        int8: false,
      };
    }
  }
  if (biasQ && !floatSums)
    out = {
      ...out,
      name: b.node('Add', [out.name, int32Channel(b, `${base}/bias_int32`, out, biasQ)], `${base}/bias/Add`),
    };
  // sums · scale[j] in f32: DequantizeLinear of int32 (float(a) · s), or Mul of the float sums.
  const rescale = (scale: Float32Array, what: string): string =>
    floatSums
      ? b.node('Mul', [out.name, floatChannel(b, `${base}/${what}`, out, scale)], `${base}/${what}/Mul`)
      : b.node(
          'DequantizeLinear',
          [out.name, b.init(`${base}/${what}`, (n) => floatTensor(n, [scale.length], scale))],
          `${base}/DequantizeLinear`,
          { axis: 1 },
        );
  if (mode === 'static') {
    if (wi.emitScale !== undefined) {
      // int8 for the next layer: round((acc + b) · mult[j]) clamped, as q8_requantize (mult computed as simdnet does).
      const mult = Float32Array.from(ws, (s) => (q.inScale! * s) / wi.emitScale!);
      const clipped = b.node(
        'Clip',
        [rescale(mult, 'requantize_scale'), b.scalarF32(wi.relu ? 0 : -127), b.scalarF32(127)],
        `${base}/requantize/Clip`,
      );
      return {
        ...out,
        name: b.node('QuantizeLinear', [clipped, b.scalarF32(1), b.zeroPointU8()], `${base}/requantize/QuantizeLinear`),
        int8: true,
      };
    }
    out = {
      ...out,
      name: rescale(
        Float32Array.from(ws, (s) => q.inScale! * s),
        'output_scale',
      ),
    };
  } else {
    out = { ...out, name: rescale(ws, 'kernel_scale') };
    // dyn is undefined only when the input came as int8, which static mode alone wires.
    out = { ...out, name: b.node('Mul', [out.name, dyn!.scale], `${base}/rescale/Mul`) };
    if (q.bias)
      out = {
        ...out,
        name: b.node(
          'Add',
          [out.name, floatChannel(b, `${base}/bias`, out, q.bias as Float32Array)],
          `${base}/bias/Add`,
        ),
      };
  }
  if (wi.relu) return activationNodes(b, out, 'relu', 0, base);
  return activationNodes(b, out, spec.activation, spec.alpha, base);
}

/**
 * An int8-computing dense/conv2d layer in the standard QDQ form (static scales only): its float input through
 * QuantizeLinear(s_in, int8 0) → DequantizeLinear, its int8 kernel through a per-output-channel DequantizeLinear
 * (s_w[j], int8 zeros; axis 1 of the dense (in, out) kernel, axis 0 of the conv's OIHW one), a float bias
 * (b_q · s_in·s_w[j], the real-unit bias simdnet adds), then the float Gemm / Conv and the activation (the fused
 * ReLU of a folded batch norm included). The output stays float; the next int8 layer quantizes it at its own input
 * scale, which is the scale simdnet requantizes to, so the layers chain as simdnet's do.
 */
function qdqLayer(
  b: GraphBuilder,
  q: QuantLayer,
  spec: DenseSpec | Conv2dSpec,
  v: Value,
  input: Shape,
  wi: Int8Wiring,
): Value {
  const base = spec.name;
  const conv = spec.type === 'conv2d';
  const ws = q.wScale!;
  const x = conv ? b.channelsFirst(v, base) : b.natural(v, base);
  const s = b.scalarF32(q.inScale!);
  const xq = b.node('QuantizeLinear', [x.name, s, b.zeroI8()], `${base}/input/QuantizeLinear`);
  const xdq = b.node('DequantizeLinear', [xq, s, b.zeroI8()], `${base}/input/DequantizeLinear`);
  const w8 = int8Kernel(b, spec, q.shape, q.kernel as Int8Array);
  const scale = b.init(`${base}/kernel_scale`, (n) => floatTensor(n, [ws.length], ws));
  const zero = b.init(`${base}/kernel_zero_point`, (n) => int8Tensor(n, [ws.length], new Int8Array(ws.length)));
  const kernel = b.node('DequantizeLinear', [w8, scale, zero], `${base}/kernel/DequantizeLinear`, {
    axis: conv ? 0 : 1,
  });
  const bq = q.bias as Int32Array | undefined;
  const bias = bq ? Float32Array.from(bq, (v8, j) => v8 * Math.fround(q.inScale! * ws[j])) : undefined;
  const biasName = bias ? b.init(`${base}/bias`, (n) => floatTensor(n, [bias.length], bias)) : undefined;
  // A folded batch norm can give a layer without a bias one; a fused ReLU layer is the layer's activation here.
  const s2 = { ...spec, useBias: bias !== undefined, activation: wi.relu ? 'relu' : spec.activation } as
    | DenseSpec
    | Conv2dSpec;
  return kernelLayer(b, s2, { ...x, name: xdq }, input, {
    kernel,
    ...(biasName === undefined ? {} : { bias: biasName }),
  });
}
