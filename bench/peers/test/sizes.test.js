import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closureSize } from '../lib/sizes.js';

describe('installed size from the lockfile', () => {
  it('walks dependencies (nested before hoisted, peers included) and sums each package once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-size-'));
    try {
      const pkg = (path, bytes) => {
        mkdirSync(join(dir, path, 'lib'), { recursive: true });
        writeFileSync(join(dir, path, 'lib', 'f.js'), 'x'.repeat(bytes));
      };
      pkg('node_modules/a', 100);
      pkg('node_modules/b', 10);
      pkg('node_modules/a/node_modules/b', 20); // a's own b shadows the hoisted one
      pkg('node_modules/c', 1);
      pkg('node_modules/p', 1000);
      pkg('node_modules/unrelated', 5000);
      writeFileSync(
        join(dir, 'package-lock.json'),
        JSON.stringify({
          packages: {
            '': {},
            'node_modules/a': { dependencies: { b: '2', c: '1' }, peerDependencies: { p: '1' } },
            'node_modules/a/node_modules/b': { dependencies: { c: '1' } },
            'node_modules/b': {},
            'node_modules/c': { optionalDependencies: { missing: '1' } },
            'node_modules/p': {},
            'node_modules/unrelated': {},
          },
        }),
      );
      const r = closureSize(['a'], dir);
      expect(r.names).toEqual(['a', 'b', 'c', 'p']);
      expect(r.bytes).toBe(100 + 20 + 1 + 1000); // nested node_modules counted once, as its own package
      expect(closureSize(['b'], dir).bytes).toBe(10);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
