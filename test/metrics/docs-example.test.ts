// The examples at the top of docs/metrics.md and docs/preprocessing.md run as written (imports pointed at this
// checkout), and what they say they give is what they give.
import { expect, it } from 'vitest';
import type { Sequential } from '../../src/index.js';
import { runDocExample } from '../helpers/doc-example.js';

it('docs/metrics.md: the example runs and prints the report shown', async () => {
  const { mod, logged, text } = await runDocExample('metrics.md', ['history', 'f1', 'auc']);
  const shown = /```\n( {14}precision[\s\S]*?)```/.exec(text)![1];
  expect(String(logged[0][0])).toBe(shown);
  expect((mod.history as { history: Record<string, number[]> }).history.val_f1).toHaveLength(10);
  expect(mod.f1).toBeGreaterThan(0.9); // the toy problem is easy
  expect(mod.auc).toBeGreaterThan(0.9);
});

it('docs/preprocessing.md: the example runs; the loaded model names the class and shows the fitted mean', async () => {
  const { mod } = await runDocExample('preprocessing.md', ['again']);
  const again = mod.again as Sequential;
  expect(again.predictClasses([[1000, 0.012]], { names: true })).toEqual(['heavy']);
  const mean = (again.preprocessing!.scaler as { mean: number[] }).mean;
  expect(mean[0]).toBeCloseTo(1035, 9);
  expect(mean[1]).toBeCloseTo(0.0066, 9);
});
