// Files that are well formed but cannot give finite outputs are refused when read, with FORMAT naming the tensor:
// f16 weights that are Inf/NaN, header values that overflow f32, finite but extreme weights, scales, biases and
// slopes (every one of these loaded and predicted Inf/NaN before). And a file's size claims are checked against
// its bytes before the model allocates anything.
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, dense, init, loadModel, saveModel, sequential } from '../../src/index.js';
import { loadQuantized, quantizeModel, saveQuantized, SparseModel } from '../../src/compress/index.js';
import { expectSimdnetError } from '../helpers/errors.js';
import { cnn, expectFinite, mlp, rangeInputs, tensorAt, withData, withHeader } from './models.js';

let mlpFile: Uint8Array;
let cnnFile: Uint8Array;
let staticFile: Uint8Array;
let dynamicFile: Uint8Array;
let f16File: Uint8Array;
let csrFile: Uint8Array;

beforeAll(async () => {
  await init();
  const m = await mlp();
  const c = await cnn();
  mlpFile = saveModel(m);
  cnnFile = saveModel(c);
  const calibration = rangeInputs(8, 1);
  const q = [
    quantizeModel(m, { mode: 'static', calibration }),
    quantizeModel(m, { mode: 'dynamic' }),
    quantizeModel(m, { plan: 'f16' }),
  ];
  [staticFile, dynamicFile, f16File] = q.map((x) => saveQuantized(x));
  const s = SparseModel.fromModel(m, { minSparsity: 0 });
  csrFile = s.save();
  for (const x of [...q, s, m, c]) x.dispose();
});

/** Sets every f32 of a tensor to v. */
const fillF32 = (file: Uint8Array, name: string, v: number): Uint8Array => {
  const t = tensorAt(file, name);
  return withData(file, (dv) => {
    for (let o = t.offset; o < t.offset + t.length; o += 4) dv.setFloat32(o, v, true);
  });
};

describe('quantized files: values checked after the conversion the computation uses', () => {
  it('f16 weights that are Inf or NaN are refused, naming the tensor', () => {
    const t = tensorAt(f16File, 'h2/kernel');
    expect(t.dtype).toBe('f16');
    for (const bits of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
      const bad = withData(f16File, (dv) => dv.setUint16(t.offset + 6, bits, true));
      expectSimdnetError(() => loadQuantized(bad), 'FORMAT', /h2\/kernel.*(NaN|Inf)/);
    }
    // The largest finite half (65504) is fine.
    const big = loadQuantized(withData(f16File, (dv) => dv.setUint16(t.offset + 6, 0x7bff, true)));
    expectFinite(big.predict(rangeInputs(8, 2)).data, 'f16 65504');
    big.dispose();
  });

  it('an input scale that Math.fround turns into Infinity (or 0) is refused', () => {
    for (const s of [1e308, 1e39, 1e-50]) {
      const bad = withHeader(staticFile, (h) => {
        h.dense[1].inScale = s;
      });
      expectSimdnetError(() => loadQuantized(bad), 'FORMAT', /h2.*input scale/);
    }
  });

  it('finite but extreme kernel scales, biases and weights are refused, naming the tensor', () => {
    for (const file of [staticFile, dynamicFile]) {
      expectSimdnetError(
        () => loadQuantized(fillF32(file, 'h2/kernel_scale', 3.4e38)),
        'FORMAT',
        /h2\/kernel_scale is too large/,
      );
      expectSimdnetError(
        () => loadQuantized(fillF32(file, 'h1/kernel_scale', 1e36)),
        'FORMAT',
        /h1\/kernel_scale is too large/,
      );
    }
    expectSimdnetError(
      () => loadQuantized(fillF32(dynamicFile, 'out/bias', 3.4e38)),
      'FORMAT',
      /out\/bias is too large/,
    );
    // A static int32 bias is in accumulator units: 2^31 steps of a large scale overflow too.
    const t = tensorAt(staticFile, 'h1/bias');
    const hugeBias = withData(fillF32(staticFile, 'h1/kernel_scale', 1e28), (dv) =>
      dv.setInt32(t.offset, 2 ** 31 - 1, true),
    );
    expectSimdnetError(() => loadQuantized(hugeBias), 'FORMAT', /h1\/(bias|kernel_scale) is too large/);
    // f16 kernels hold at most 65504: a 3.4e38 f32 bias of an f16 layer is the overflow there.
    expectSimdnetError(() => loadQuantized(fillF32(f16File, 'h1/bias', 3.4e38)), 'FORMAT', /h1\/bias is too large/);
  });
});

describe('finite but extreme weights in float and sparse files', () => {
  it('a float file with every weight at 3.4e38 is refused (it predicted Inf/NaN)', () => {
    expectSimdnetError(
      () => loadModel(fillF32(mlpFile, 'h1/kernel', 3.4e38)),
      'FORMAT',
      /tensor h1\/kernel is too large: layer 'h1'/,
    );
    expectSimdnetError(
      () => loadModel(fillF32(mlpFile, 'out/bias', 3.4e38)),
      'FORMAT',
      /tensor out\/bias is too large/,
    );
    // Weights of 1e20: finite in every layer's own f32, but a 16-wide sum of 1e20 · 1e3 inputs then 1e20 again overflows.
    let f = fillF32(mlpFile, 'h1/kernel', 1e20);
    f = fillF32(f, 'h2/kernel', 1e20);
    expectSimdnetError(() => loadModel(f), 'FORMAT', /tensor h2\/kernel is too large/);
    // Large but harmless: a weight of 1e30 on an input whose every value is 0 after relu... is not knowable from
    // the file; 1e30 on the first layer alone with a bounded activation after it is fine.
    const ok = loadModel(fillF32(mlpFile, 'h1/bias', 1e6));
    expectFinite(ok.predict(rangeInputs(8, 3)).data, 'bias 1e6');
    ok.dispose();
  });

  it('what only the per-channel pass can clear still loads: huge weights behind a relu that is always 0', () => {
    // h1's bias of -1e30 keeps every h1 output below 0, so relu gives 0 and h2's weights of 1e30 multiply zeros.
    // The float loader's first, norm-based bound cannot see that (1e30 · 1e30); the per-channel intervals can.
    const f = fillF32(fillF32(mlpFile, 'h1/bias', -1e30), 'h2/kernel', 1e30);
    const m = loadModel(f);
    expectFinite(m.predict(rangeInputs(8, 4)).data, 'dead relu');
    m.dispose();
  });

  it('a CNN file with extreme batch-norm statistics or a negative variance is refused', () => {
    expectSimdnetError(() => loadModel(fillF32(cnnFile, 'bn/gamma', 3e38)), 'FORMAT', /bn\/gamma is too large/);
    expectSimdnetError(
      () => loadModel(fillF32(cnnFile, 'bn/movingMean', 3.4e38)),
      'FORMAT',
      /bn\/movingMean is too large/,
    );
    expectSimdnetError(
      () => loadModel(fillF32(cnnFile, 'bn/movingVariance', -1)),
      'FORMAT',
      /bn\/movingVariance holds a negative variance/,
    );
    expectSimdnetError(() => loadModel(fillF32(cnnFile, 'c1/kernel', 1e36)), 'FORMAT', /c1\/kernel is too large/);
  });

  it('a sparse file with two CSR weights at 3.4e38 is refused', () => {
    // The values of layer h1's CSR: after the row pointers (9 i32) at the data start.
    const bad = withData(csrFile, (dv) => {
      dv.setFloat32(9 * 4, 3.4e38, true);
      dv.setFloat32(9 * 4 + 4, 3.4e38, true);
    });
    expectSimdnetError(() => SparseModel.load(bad), 'FORMAT', /layer 'h1'.* too large/);
  });

  it('a leakyRelu alpha of 1e300 is refused in a file (FORMAT) and when building (RANGE), naming the option', () => {
    const bad = withHeader(mlpFile, (h) => {
      h.layers[2].alpha = 1e300;
    });
    expectSimdnetError(() => loadModel(bad), 'FORMAT', /layer 2: .*alpha/);
    expectSimdnetError(
      () => loadQuantized(withHeader(dynamicFile, (h) => void (h.layers[2].alpha = 1e300))),
      'FORMAT',
      /alpha/,
    );
    expectSimdnetError(
      () => SparseModel.load(withHeader(csrFile, (h) => void (h.layers[1].alpha = 1e300))),
      'FORMAT',
      /alpha/,
    );
    expectSimdnetError(() => dense(4, { activation: 'leakyRelu', alpha: 1e300 }), 'RANGE', /dense alpha/);
    expectSimdnetError(() => dense(4, { kernelRegularizer: { l2: 1e39 } }), 'RANGE', /kernelRegularizer.l2/);
  });
});

describe('size claims are checked before anything is allocated', () => {
  it('a small checksum-valid file claiming 30,000,000 units is refused without growing the memory', async () => {
    const e = await createEngine('wasm');
    const bad = withHeader(mlpFile, (h) => {
      h.layers[0].units = 30_000_000;
    });
    expect(bad.length).toBeLessThan(4096);
    const before = e.memory.buffer.byteLength;
    expectSimdnetError(() => loadModel(bad, { engine: e }), 'FORMAT', /need .* bytes, the file holds/);
    expect(e.memory.buffer.byteLength).toBe(before);
  });

  it('a tensor table that does not fit the architecture or the file is refused before the net is built', async () => {
    const m = sequential([dense(1024, { inputDim: 1024, name: 'big' })], { seed: 1 });
    m.build(1024);
    const file = saveModel(m);
    m.dispose();
    const cases: Array<[(h: Record<string, any>) => void, RegExp]> = [
      [(h) => void (h.tensors[0].name = 'big/other'), /tensor 0 is 'big\/other', expected 'big\/kernel'/],
      [(h) => void (h.tensors[1].shape = [1023]), /big\/bias has shape/],
      [(h) => void (h.tensors[1].offset = 8 * 2 ** 20), /big\/bias lies outside the file's data/],
      [(h) => void (h.tensors[1] = null), /tensor 1 .*not an entry|tensor 1 is null/],
      [(h) => void h.tensors.pop(), /1 tensors for an architecture that has 2/],
    ];
    for (const [edit, message] of cases) {
      const e = await createEngine('wasm');
      const before = e.memory.buffer.byteLength;
      expectSimdnetError(() => loadModel(withHeader(file, edit), { engine: e }), 'FORMAT', message);
      expect(e.memory.buffer.byteLength, String(message)).toBe(before);
    }
  });
});
