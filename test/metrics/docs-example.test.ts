// The example at the top of docs/metrics.md runs as written (its import rewritten to this checkout), and the report
// it prints is the one the page shows.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';

const page = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('docs/metrics.md: the example runs and prints the report shown', async () => {
  const code = /```ts\n([\s\S]*?)```/.exec(page)![1];
  const src = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const file = join(dir, 'example.ts');
  writeFileSync(file, `${code.replace("from 'simdnet'", `from ${JSON.stringify(src)}`)}\nexport { history, f1, auc };\n`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  let mod: { history: { history: Record<string, number[]> }; f1: number; auc: number };
  let printed = '';
  try {
    mod = await import(/* @vite-ignore */ file);
    printed = String(log.mock.calls[0]?.[0]);
  } finally {
    log.mockRestore();
  }
  const shown = /```\n( {14}precision[\s\S]*?)```/.exec(page)![1];
  expect(printed).toBe(shown);
  expect(mod.history.history.val_f1).toHaveLength(10);
  expect(mod.f1).toBeGreaterThan(0.9); // the toy problem is easy
  expect(mod.auc).toBeGreaterThan(0.9);
});
