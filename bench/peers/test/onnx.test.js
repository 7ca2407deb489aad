import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randArray, referenceMlp } from '../lib/common.js';
import { referenceCnn } from '../lib/cnn.js';
import { Message, cnnModel, matmulModel, mlpModel, tensor } from '../lib/onnx.js';
import { cnnFixture } from './cnnFixture.js';
import { decode, str } from './proto.js';

const weights = (sizes, seed) => {
  const w = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const W = randArray(sizes[l] * sizes[l + 1], seed + l).map((v) => v * 0.5);
    const b = randArray(sizes[l + 1], seed + 100 + l).map((v) => v * 0.1);
    w.push(
      { name: `d${l}/kernel`, shape: [sizes[l], sizes[l + 1]], data: W },
      { name: `d${l}/bias`, shape: [sizes[l + 1]], data: b },
    );
  }
  return w;
};

describe('protobuf writer', () => {
  it('encodes varints, strings and floats as the wire format says', () => {
    const m = new Message().int(1, 300).string(2, 'hi').float(3, 1.5).int(4, 0).finish();
    // key(1,varint)=0x08, 300 = 0xAC 0x02; key(2,len)=0x12, 2, 'h' 'i'; key(3,fixed32)=0x1d + LE 1.5; key(4)=0x20, 0
    expect([...m]).toEqual([0x08, 0xac, 0x02, 0x12, 2, 0x68, 0x69, 0x1d, 0, 0, 0xc0, 0x3f, 0x20, 0]);
  });

  it('rejects negative or unsafe integers', () => {
    expect(() => new Message().int(1, -1)).toThrow(/non-negative/);
    expect(() => new Message().int(1, 2 ** 60)).toThrow(/safe/);
  });

  it('stores tensors as dims, FLOAT and little-endian raw_data, also from a subarray', () => {
    const big = Float32Array.from([9, 1, 2, 3, 4, 5, 6, 9]);
    const t = decode(tensor('W', [2, 3], big.subarray(1, 7)).finish());
    expect(t[1]).toEqual([2, 3]);
    expect(t[2]).toEqual([1]);
    expect(str(t[8][0])).toBe('W');
    const raw = t[9][0];
    expect([...new Float32Array(raw.slice().buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => tensor('bad', [2, 2], new Float32Array(3))).toThrow(/3 values/);
  });
});

describe('ONNX models', () => {
  it('writes the MLP as Gemm/Relu/Gemm/Softmax with its initializers, IR 8, opset 17', () => {
    const w = weights([5, 4, 3], 1);
    const model = decode(mlpModel(w));
    expect(model[1]).toEqual([8]);
    const opset = decode(model[8][0]);
    expect(opset[2]).toEqual([17]);
    const graph = decode(model[7][0]);
    const nodes = graph[1].map(decode);
    expect(nodes.map((n) => str(n[4][0]))).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax']);
    expect(nodes[0][1].map(str)).toEqual(['x', 'W0', 'b0']);
    expect(nodes[3][2].map(str)).toEqual(['y']);
    const attr = decode(nodes[3][5][0]);
    expect(str(attr[1][0])).toBe('axis');
    expect(attr[3]).toEqual([1]);
    expect(attr[20]).toEqual([2]);
    const inits = graph[5].map(decode);
    expect(inits.map((t) => str(t[8][0]))).toEqual(['W0', 'b0', 'W1', 'b1']);
    expect(inits[2][1]).toEqual([4, 3]);
    expect([...new Float32Array(inits[2][9][0].slice().buffer)]).toEqual([...w[2].data]);
    // input x: [N (symbolic), 5]
    const x = decode(graph[11][0]);
    const shape = decode(decode(decode(x[2][0])[1][0])[2][0])[1].map(decode);
    expect(str(shape[0][2][0])).toBe('N');
    expect(shape[1][1]).toEqual([5]);
  });

  it('writes a single MatMul graph with two fixed-size inputs', () => {
    const graph = decode(decode(matmulModel(7))[7][0]);
    expect(graph[1].map(decode).map((n) => str(n[4][0]))).toEqual(['MatMul']);
    expect(graph[11].map((v) => str(decode(v)[1][0]))).toEqual(['A', 'B']);
    expect(graph[5]).toBeUndefined();
  });

  it('writes the CNN as Conv/Relu/MaxPool twice, Flatten, Gemm, Softmax with INTS attributes and OIHW kernels', () => {
    const { w } = cnnFixture(1, 4);
    const graph = decode(decode(cnnModel(w))[7][0]);
    const nodes = graph[1].map(decode);
    expect(nodes.map((n) => str(n[4][0]))).toEqual([
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'MaxPool',
      'Flatten',
      'Gemm',
      'Softmax',
    ]);
    const attrs = (n) => Object.fromEntries(n[5].map(decode).map((a) => [str(a[1][0]), a]));
    const pool = attrs(nodes[2]);
    expect(pool.kernel_shape[8]).toEqual([2, 2]);
    expect(pool.kernel_shape[20]).toEqual([7]);
    expect(pool.strides[8]).toEqual([2, 2]);
    expect(attrs(nodes[3]).kernel_shape[8]).toEqual([5, 5]);
    expect(attrs(nodes[6]).axis[3]).toEqual([1]);
    const inits = graph[5].map(decode);
    expect(inits.map((t) => str(t[8][0]))).toEqual(['W1', 'b1', 'W2', 'b2', 'Wd', 'bd']);
    expect(inits[2][1]).toEqual([16, 8, 5, 5]);
    // W2[o=3][i=2][y=1][x=4] is the HWIO kernel's [1][4][2][3]
    const W2 = new Float32Array(inits[2][9][0].slice().buffer);
    expect(W2[((3 * 8 + 2) * 5 + 1) * 5 + 4]).toBe(w[2].data[((1 * 5 + 4) * 8 + 2) * 16 + 3]);
    const x = decode(graph[11][0]);
    const dims = decode(decode(decode(x[2][0])[1][0])[2][0])[1].map(decode);
    expect(dims.slice(1).map((d) => d[1][0])).toEqual([1, 28, 28]);
  });

  const ortInstalled = existsSync(new URL('../node_modules/onnxruntime-web/package.json', import.meta.url));
  it.skipIf(!ortInstalled)(
    'runs in ONNX Runtime Web and matches the f64 reference (needs bench/peers deps)',
    async () => {
      const ort = await import('onnxruntime-web');
      ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).pathname;
      ort.env.wasm.numThreads = 1;
      const w = weights([13, 9, 4], 3);
      const s = await ort.InferenceSession.create(mlpModel(w), { executionProviders: ['wasm'] });
      const x = randArray(3 * 13, 5);
      const y = (await s.run({ x: new ort.Tensor('float32', x, [3, 13]) })).y.data;
      const ref = referenceMlp(w, x, 3);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i] - ref[i])).toBeLessThan(1e-5);
      const mm = await ort.InferenceSession.create(matmulModel(3), { executionProviders: ['wasm'] });
      const A = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const I = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      const C = (await mm.run({ A: new ort.Tensor('float32', A, [3, 3]), B: new ort.Tensor('float32', I, [3, 3]) })).C
        .data;
      expect([...C]).toEqual([...A]);
    },
  );

  it.skipIf(!ortInstalled)('runs the CNN in ONNX Runtime Web on NHWC data and matches the f64 reference', async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.wasmPaths = new URL('../node_modules/onnxruntime-web/dist/', import.meta.url).pathname;
    ort.env.wasm.numThreads = 1;
    const { w, x } = cnnFixture(4, 5);
    const s = await ort.InferenceSession.create(cnnModel(w), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    const y = (await s.run({ x: new ort.Tensor('float32', x, [4, 1, 28, 28]) })).y.data;
    const ref = referenceCnn(w, x, 4);
    expect(y.length).toBe(40);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...ref) - Math.min(...ref)).toBeGreaterThan(0.05); // not a flat output that any model would match
  });
});
