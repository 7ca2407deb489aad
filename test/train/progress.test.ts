// The progress display: a live bar in a terminal, plain lines in logs.
import { beforeAll, describe, expect, it } from 'vitest';
import { dense, init, progressLogger, sequential } from '../../src/index.js';
import { liveLine } from '../../src/train/progress.js';
import { randArray } from '../helpers/check.js';

beforeAll(async () => {
  await init();
});

async function run(live: boolean, columns?: number): Promise<string> {
  let out = '';
  const m = sequential([dense(4, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], {
    seed: 1,
  });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  const x = { data: randArray(100 * 3, 1), shape: [100, 3] as [number, number] };
  const y = Int32Array.from({ length: 100 }, (_, i) => i % 2);
  await m.fit(x, y, {
    epochs: 3,
    batchSize: 10,
    validationSplit: 0.2,
    seed: 1,
    callbacks: progressLogger({ write: (s) => void (out += s), live, intervalMs: 0, ...(columns ? { columns } : {}) }),
  });
  m.dispose();
  return out;
}

describe('progressLogger', () => {
  it('prints one plain line per epoch when not a terminal', async () => {
    const out = await run(false);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/training on 80 samples \(20 validation\), batch 10, 3 epochs/);
    expect(lines.slice(1)).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^epoch 1\/3 {2}loss \d+\.\d{4} {2}acc \d+\.\d\d% {2}val_loss \d+\.\d{4} {2}val_acc \d+\.\d\d% {2}\d+ samples\/s .*ETA/,
    );
    expect(lines[3]).not.toMatch(/ETA/);
    expect(out).not.toMatch(/\r/);
  });

  it('redraws a bar with batch, loss, accuracy, samples/s and ETA in a terminal', async () => {
    const out = await run(true);
    expect(out).toMatch(/\r\x1b\[2Kepoch 2\/3 \[=+ *\] 8\/8 loss \d+\.\d{4} acc \d+\.\d\d% \d+ samples\/s ETA \d+s/);
    expect(out.match(/\n/g)).toHaveLength(4);
  });

  /** The live redraws (what follows each \r\x1b[2K up to the next one or a newline). */
  const redraws = (out: string): string[] =>
    out
      .split('\r\x1b[2K')
      .slice(1)
      .map((l) => l.split('\n')[0]!);

  it('fits the live line to the terminal: 80 columns never wrap (at most 79 characters)', async () => {
    const out = await run(true, 80);
    const draws = redraws(out).filter((l) => /\[/.test(l));
    expect(draws.length).toBeGreaterThan(5);
    for (const l of draws) expect(l.length, l).toBeLessThanOrEqual(79);
    expect(draws.at(-1)).toMatch(/^epoch 3\/3 \[=+\] 8\/8 loss \d\.\d{4} acc \d+\.\d\d% \d+ samples\/s ETA/);
  });

  it('on a narrow terminal, drops samples/s, then accuracy, and keeps the loss; never wider than the terminal', () => {
    const parts = ['loss 0.1234', 'acc 97.50%', '123456 samples/s', 'ETA 1m05s'];
    const full = liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, 200);
    expect(full).toBe(
      'epoch 12/100 [============            ] 1234/1875 loss 0.1234 acc 97.50% 123456 samples/s ETA 1m05s',
    );
    for (let columns = 1; columns <= 120; columns++) {
      const l = liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, columns);
      expect(l.length, `${columns} columns: ${l}`).toBeLessThanOrEqual(Math.max(columns - 1, 1));
    }
    expect(liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, 90)).toMatch(
      /^epoch 12\/100 \[=+ +\] 1234\/1875 loss 0\.1234 acc 97\.50% 123456 samples\/s ETA 1m05s$/,
    );
    expect(liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, 70)).toMatch(
      /\] 1234\/1875 loss 0\.1234 acc 97\.50% ETA 1m05s$/,
    );
    expect(liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, 60)).toMatch(/\] 1234\/1875 loss 0\.1234 ETA 1m05s$/);
    const w45 = liveLine('epoch 12/100', 0.5, '1234/1875', parts, 24, 45);
    expect(w45).toMatch(/\[=+ *\] 1234\/1875 loss 0\.1234/);
    expect(w45).not.toMatch(/acc/);
  });

  it('refuses a columns option that is not a positive integer', () => {
    expect(() => progressLogger({ columns: 0 })).toThrow(/columns must be a positive integer/);
  });
});

describe('progressLogger on a stream of batches', () => {
  it('says it trains on a stream (no "0 samples"), and the live line counts batches without a bar or an ETA', async () => {
    let out = '';
    const m = sequential([dense(4, { activation: 'relu', inputDim: 3 }), dense(2, { activation: 'softmax' })], {
      seed: 1,
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const data = randArray(60 * 3, 2);
    const labels = Int32Array.from({ length: 60 }, (_, i) => i % 2);
    const source = function* () {
      for (let r = 0; r < 60; r += 20) {
        yield { x: { data: data.slice(r * 3, (r + 20) * 3), rows: 20, cols: 3 }, y: labels.slice(r, r + 20) };
      }
    };
    await m.fit(source, {
      epochs: 2,
      batchSize: 10,
      callbacks: progressLogger({ write: (s) => void (out += s), live: true, intervalMs: 0, columns: 80 }),
    });
    m.dispose();
    expect(out.split('\n')[0]).toMatch(/^training on a stream of batches \(0 validation\), batch 10, 2 epochs$/);
    expect(out).not.toMatch(/training on 0 samples/);
    const draws = out
      .split('\r\x1b[2K')
      .slice(1)
      .map((l) => l.split('\n')[0]!)
      .filter((l) => / batch \d/.test(l));
    expect(draws).toContain(
      draws.find((l) => /^epoch 2\/2 batch 6 {2}loss \d+\.\d{4} {2}acc \d+\.\d\d% {2}\d+ samples\/s$/.test(l)),
    );
    for (const l of draws) {
      expect(l).not.toMatch(/\[|ETA|NaN|Infinity/);
      expect(l.length).toBeLessThanOrEqual(79);
    }
  });
});
