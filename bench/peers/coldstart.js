// Cold start: a new process that loads one library, builds the 784-128-10 MLP from the weight files (ONNX
// Runtime from the .onnx file) and makes its first prediction. Prints "READY <ms since process start>"; the
// parent times from spawn to that line. Usage: node coldstart.js <impl> <workdir>
import { readWeights, sizesOf } from './lib/common.js';
import { IMPLS } from './lib/impls.js';

const [id, dir] = process.argv.slice(2);
const adapter = await IMPLS[id].load();
const weights = readWeights(`${dir}/winfer`);
const inf = await adapter.inference({ sizes: sizesOf(weights), weights, modelFile: `${dir}/mlp.onnx` });
const y = await inf.prepare({ data: new Float32Array(784).fill(0.5), rows: 1, cols: 784 }).output();
process.stdout.write(`READY ${performance.now().toFixed(2)} ${y[0]}\n`);
process.exit(0);
