// Runs every ```ts block of docs/training.md as written, with `from 'simdnet'` pointing at the source: a doc
// example that stops working fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const doc = readFileSync(resolve(__dirname, '../../docs/training.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const src = resolve(__dirname, '../../src/index.ts');
const dir = mkdtempSync(join(tmpdir(), 'simdnet-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/training.md examples run as written', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(6));
  it.each(blocks.map((b, i) => [i + 1, b] as const))(
    'example %i',
    async (i, code) => {
      const file = join(dir, `example-${i}.ts`);
      writeFileSync(file, code.replaceAll("from 'simdnet'", `from ${JSON.stringify(src)}`));
      await import(file);
    },
    120_000,
  );
});
