// Metrics on the per-epoch validation path: evaluate() over 10,000 rows of an MNIST-sized MLP (784 → 256 → 10) with
// loss + accuracy only, with F1 / precision / recall (the confusion_counts kernel on each batch's outputs), with AUC
// (scores copied out, sorted per class), and the same F1 computed from predictClasses() + the functions on labels.
// And predict() on raw rows through a model's scaler (center_scale_cols on each staged batch) against unscaled.
// Uses the built package (dist/): `npm run build` first. Section module for bench/run.js; `node bench/metrics.js
// [--quick]` runs it alone and prints the markdown.
import { Standardizer, dense, f1Score, init, sequential } from '../dist/index.js';
import { medianMs } from './lib.js';

export async function run({ quick = false } = {}) {
  await init();
  const rows = 10_000;
  let s = 7;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const x = new Float32Array(rows * 784).map(() => rnd());
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rnd() * 10));
  const model = sequential([dense(256, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed: 1,
  });
  model.compile({ loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const data = { data: x, shape: [rows, 784] };
  const scaled = sequential([dense(256, { activation: 'relu', inputDim: 784 }), dense(10, { activation: 'softmax' })], {
    seed: 1,
  });
  scaled.setPreprocessing({ scaler: new Standardizer().fit(data) });
  const t = await medianMs(
    [
      ['evaluate: loss + accuracy', () => model.evaluate(data, labels)],
      [
        'evaluate: + f1, precision, recall (kernel confusion)',
        () => model.evaluate(data, labels, { metrics: ['accuracy', 'f1', 'precision', 'recall'] }),
      ],
      ['evaluate: + auc (scores copied, sorted)', () => model.evaluate(data, labels, { metrics: ['accuracy', 'auc'] })],
      ['predictClasses + f1Score on labels (JS)', () => f1Score(labels, model.predictClasses(data), { classes: 10 })],
      ['predict, no preprocessing', () => model.predict(data)],
      ['predict on raw rows through a standardizer', () => scaled.predict(data)],
    ],
    { quick, time: 3000 },
  );
  const rowsMd = Object.entries(t).map(([k, ms]) => `| ${k} | ${ms.toFixed(2)} ms |`);
  const markdown = [
    `evaluate() over ${rows.toLocaleString('en')} rows, MLP 784 → 256 → 10 (median of repeated runs):`,
    '',
    '| what | time |',
    '|---|---|',
    ...rowsMd,
  ].join('\n');
  model.dispose();
  scaled.dispose();
  return { title: 'Metrics and preprocessing on the validation path', markdown, json: t };
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log((await run({ quick: process.argv.includes('--quick') })).markdown);
