// The build scripts a user of the repository runs: scripts/asbuild.js keeps asc's optimizer note ("Last converge
// was suboptimal.") off the terminal and passes everything else through, exit code included.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../runtimes/helpers/pack.js';
import { describeRun, run } from '../runtimes/helpers/proc.js';

const script = join(repoRoot, 'scripts', 'asbuild.js');

describe('scripts/asbuild.js', () => {
  it('builds the .wasm with no "Last converge was suboptimal." on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-asbuild-'));
    try {
      const out = join(dir, 'simdnet.wasm');
      const r = await run(process.execPath, [script, '--outFile', out, '--textFile', join(dir, 'simdnet.wat')], {
        cwd: repoRoot,
        timeoutMs: 300_000,
      });
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stderr).not.toMatch(/converge/i);
      expect(statSync(out).size).toBeGreaterThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("passes asc's real errors and its exit code through", async () => {
    const r = await run(process.execPath, [script, '--enable', 'no-such-feature'], { cwd: repoRoot });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Feature 'no-such-feature' is unknown/);
  });
});
