// Runs the first ```ts block of a docs page as written (its `from 'simdnet'` pointed at this checkout's src) and
// returns the module (the names listed in `exports` are exported from it) and what it printed with console.log.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

export async function runDocExample(
  page: string,
  exports: string[],
): Promise<{ mod: Record<string, unknown>; logged: unknown[][]; text: string }> {
  const text = readFileSync(fileURLToPath(new URL(`../../docs/${page}`, import.meta.url)), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(text)![1];
  const src = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.doc-'));
  const file = join(dir, 'example.ts');
  writeFileSync(
    file,
    `${code.replace("from 'simdnet'", `from ${JSON.stringify(src)}`)}\nexport { ${exports.join(', ')} };\n`,
  );
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    return { mod, logged: log.mock.calls.map((c) => [...c]), text };
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
}
