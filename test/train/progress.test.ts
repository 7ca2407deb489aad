// The progress display: a live bar in a terminal, plain lines in logs.
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, init, progressLogger, sequential } from '../../src/index.js';
import { randArray } from '../helpers/check.js';

beforeAll(async () => {
  await init();
});

async function run(live: boolean): Promise<string> {
  let out = '';
  const m = sequential([dense(4, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], { seed: 1 });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  const x = { data: randArray(100 * 3, 1), shape: [100, 3] as [number, number] };
  const y = Int32Array.from({ length: 100 }, (_, i) => i % 2);
  await m.fit(x, y, { epochs: 3, batchSize: 10, validationSplit: 0.2, seed: 1, callbacks: progressLogger({ write: (s) => void (out += s), live, intervalMs: 0 }) });
  m.dispose();
  return out;
}

describe('progressLogger', () => {
  it('prints one plain line per epoch when not a terminal', async () => {
    const out = await run(false);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/training on 80 samples \(20 validation\), batch 10, 3 epochs/);
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines[1]).toMatch(/^epoch 1\/3 {2}loss \d+\.\d{4} {2}acc \d+\.\d\d% {2}val_loss \d+\.\d{4} {2}val_acc \d+\.\d\d% {2}\d+ samples\/s .*ETA/);
    expect(lines[3]).not.toMatch(/ETA/);
    expect(out).not.toMatch(/\r/);
  });

  it('redraws a bar with batch, loss, accuracy, samples/s and ETA in a terminal', async () => {
    const out = await run(true);
    expect(out).toMatch(/\r\x1b\[2Kepoch 2\/3 \[=+ *\] 8\/8 loss \d+\.\d{4} acc \d+\.\d\d% \d+ samples\/s ETA \d+s/);
    expect(out.match(/\n/g)).toHaveLength(4);
  });
});
