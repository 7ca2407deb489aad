// `simdnet bench`: a short timing of one model's training step and inference on the SIMD and JS backends.
import type { Matrix } from '../../data/matrix.js';
import { sizeOf, type LayerSpec, type Shape } from '../../layers/index.js';
import { sequential, type CompileOptions, type Sequential } from '../../model/sequential.js';
import { Rng } from '../../random.js';
import { init, type Backend } from '../../runtime/engine.js';
import { type CommandSpec, type ParsedArgs, UsageError, getters } from '../args.js';
import { SimdnetError } from '../../errors.js';
import type { CliIo, Command } from '../common.js';
import { loadAnyModel } from '../models.js';
import {
  declareInput,
  describeLayers,
  inputShapeFor,
  lastActivation,
  parseImageShape,
  parseLayerList,
  shapeText,
} from '../layers.js';

const spec: CommandSpec = {
  name: 'bench',
  summary:
    'Time a training step and inference of a model (default: the MNIST MLP 784-256-10) on the wasm-simd and js backends.',
  usage: '[model.simdnet] [options]',
  positionals: ['[model.simdnet]?'],
  options: [
    {
      name: 'layers',
      type: 'string',
      value: 'spec',
      help: 'time these layers instead (with --inputs)',
      defaultText: '256:relu,dropout:0.2,10:softmax',
    },
    {
      name: 'inputs',
      type: 'string',
      value: 'n|HxWxC',
      help: 'input width (or image shape, for convolutional --layers)',
      defaultText: '784; 28x28x1 for conv layers',
    },
    { name: 'batch-size', type: 'int', short: 'b', min: 1, max: 65536, help: 'rows per step', defaultText: '64' },
    { name: 'seconds', type: 'number', min: 0.01, max: 600, help: 'time budget per measurement', defaultText: '0.5' },
    {
      name: 'backend',
      type: 'string',
      choices: ['wasm', 'js', 'both'],
      help: 'which backends to time',
      defaultText: 'both',
    },
    {
      name: 'kernels',
      type: 'boolean',
      help: "run the repository's kernel benchmarks instead (bench/kernels.js; a checkout after npm run build)",
    },
    { name: 'quick', type: 'boolean', help: 'with --kernels: the short run' },
  ],
  notes: [
    'Timings are wall-clock on this machine; a busy machine makes them noisy. The kernel benchmarks are `npm run bench` in the repository.',
  ],
};

interface Timing {
  backend: Backend;
  stepMs: number;
  trainRate: number;
  inferRate: number;
}

const now = (): number => performance.now();

/** Random inputs in [0, 1) and random one-hot (or uniform) targets: setup, not timed. */
function randomData(rows: number, inputs: number, outputs: number, seed: number): { x: Matrix; y: Matrix } {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = new Float32Array(rows * outputs);
  for (let r = 0; r < rows; r++) y[r * outputs + rng.int(outputs)] = 1;
  return { x: { data: x, rows, cols: inputs }, y: { data: y, rows, cols: outputs } };
}

async function timeBackend(
  backend: Backend,
  layers: LayerSpec[],
  shape: Shape,
  compile: CompileOptions,
  batch: number,
  budget: number,
): Promise<Timing> {
  const model: Sequential = sequential(
    layers.map((l) => ({ ...l })),
    { backend, seed: 1 },
  );
  try {
    model.compile(compile);
    model.build(shape);
    const inputs = sizeOf(shape);
    const outputs = model.outputDim;
    const train = async (steps: number): Promise<number> => {
      const d = randomData(batch * steps, inputs, outputs, steps);
      const t = now();
      await model.fit(d.x, d.y, { epochs: 1, batchSize: batch, shuffle: false, seed: 1 });
      return now() - t;
    };
    // Warm up (JIT, memory growth), then size the run to the budget from a first estimate.
    const est = (await train(2)) / 2;
    const steps = Math.max(3, Math.min(2000, Math.round((budget * 1000) / Math.max(est, 0.01))));
    const stepMs = (await train(steps)) / steps;
    const rows = Math.max(batch, Math.min(65536, Math.round((budget * 1000) / Math.max(stepMs / 3, 0.01)) * batch));
    const px = randomData(Math.min(rows, 16384), inputs, outputs, 7).x;
    model.predict(px);
    const t = now();
    let done = 0;
    while (now() - t < budget * 1000 || done === 0) {
      model.predict(px, { batchSize: 256 });
      done += px.rows;
    }
    return { backend, stepMs, trainRate: (batch * 1000) / stepMs, inferRate: (done * 1000) / (now() - t) };
  } finally {
    model.dispose();
  }
}

/** The kernel section of the repository's benchmarks (GEMM and friends, wasm-simd vs js), printed as Markdown. */
async function kernels(quick: boolean, io: CliIo): Promise<number> {
  // dist/cli/commands/bench.js → <checkout>/bench/kernels.js; the npm package does not ship bench/.
  const url = new URL('../../../bench/kernels.js', import.meta.url);
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  if (!existsSync(fileURLToPath(url))) {
    throw new SimdnetError(
      'UNSUPPORTED',
      `the kernel benchmarks are part of the repository (bench/kernels.js, not found at ${fileURLToPath(url)}); run them from a checkout, or use simdnet bench without --kernels`,
    );
  }
  const section = (await import(url.href)) as {
    run(o: { quick: boolean }): Promise<{ title: string; markdown: string }>;
  };
  io.out(`running ${fileURLToPath(url)}${quick ? ' (quick)' : ''}; timings are noisy on a busy machine\n`);
  const r = await section.run({ quick });
  io.out(`## ${r.title}\n\n${r.markdown}\n`);
  return 0;
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const g = getters(args);
  if (g.flag('kernels')) return kernels(g.flag('quick'), io);
  const batch = g.num('batch-size') ?? 64;
  const budget = g.num('seconds') ?? 0.5;
  const which = g.str('backend') ?? 'both';
  const backends: Backend[] = which === 'both' ? ['wasm', 'js'] : [which as Backend];
  let layers: LayerSpec[];
  let inputs: Shape;
  let compile: CompileOptions = { loss: 'categoricalCrossentropy', optimizer: 'adam' };
  const path = args.positionals[0];
  if (path !== undefined) {
    await init({ backend: 'js' }); // only its architecture is read from the file
    const any = await loadAnyModel(path, 'js');
    if (!any.float) {
      any.dispose();
      throw new SimdnetError(
        'FORMAT',
        `${path} is a ${any.kind} model; bench times training steps of a float model (as written by simdnet train)`,
      );
    }
    const m = any.float;
    layers = m.layers.map((l) => ({ ...l }));
    inputs = m.inputShape ?? [m.inputDim!];
    compile = m.compileSettings() ?? {
      loss: m.outputDim === 1 ? 'binaryCrossentropy' : 'categoricalCrossentropy',
      optimizer: 'adam',
    };
    m.dispose();
  } else {
    const parsed = parseLayerList(g.str('layers') ?? '256:relu,dropout:0.2,10:softmax');
    const text = g.str('inputs');
    let image: Shape | undefined;
    let width = 784;
    if (text !== undefined && /x/i.test(text)) {
      image = parseImageShape(text, '--inputs');
      width = sizeOf(image);
    } else if (text !== undefined) {
      width = Number(text);
      if (!Number.isInteger(width) || width < 1 || width > 1 << 20)
        throw new UsageError(`--inputs takes a width such as 784 or an image shape such as 28x28x1, got '${text}'`);
    } else {
      image = [28, 28, 1]; // the MNIST digits: flat for an MLP, maps for convolutional layers
    }
    inputs = inputShapeFor(parsed, width, image, text !== undefined, '--inputs');
    layers = declareInput(parsed, inputs);
  }
  const act = lastActivation(layers);
  if (act !== 'softmax' && act !== 'sigmoid') compile = { ...compile, loss: 'mse' };
  for (const b of backends) await init({ backend: b });
  io.out(
    `bench: ${shapeText(inputs)} inputs → ${describeLayers(layers)}, batch ${batch}, ~${budget}s per measurement (wall clock; noisy on a busy machine)\n`,
  );
  const rows = [['backend', 'train step', 'train samples/s', 'inference rows/s']];
  const results: Timing[] = [];
  for (const b of backends) {
    const r = await timeBackend(b, layers, inputs, compile, batch, budget);
    results.push(r);
    rows.push([
      b === 'wasm' ? 'wasm-simd' : 'js',
      `${r.stepMs.toFixed(2)} ms`,
      Math.round(r.trainRate).toLocaleString('en-US'),
      Math.round(r.inferRate).toLocaleString('en-US'),
    ]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) io.out(`${r.map((s, c) => (c === 0 ? s.padEnd(w[c]) : s.padStart(w[c]))).join('  ')}\n`);
  if (results.length === 2) {
    io.out(
      `wasm-simd vs js: ${(results[1].stepMs / results[0].stepMs).toFixed(1)}x per training step, ${(results[0].inferRate / results[1].inferRate).toFixed(1)}x for inference\n`,
    );
  }
  return 0;
}

/** The `bench` command. */
export const benchCommand: Command = { spec, run };
