// Files written before the one execution plan (test/compress/fixtures, made at commit 7c579c6 by
// legacy-fixtures.make.test.ts): quantized (static, dynamic, mixed, f16, a per-layer plan with a 4-bit grid, a
// binary classifier) and sparse (CSR and dense layers) dense models still load, as version 2 and as version 1,
// and predict the very same bits that version predicted, on wasm and on js.
import { beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { loadQuantized, SparseModel } from '../../src/compress/index.js';
import { asVersion1, legacyFixtures } from '../helpers/files.js';

const legacy = legacyFixtures(new URL('./fixtures/', import.meta.url));

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
});

describe('files written by earlier versions', () => {
  for (const [name, c] of legacy.cases) {
    it(`${c.file} loads (version 2 and 1) and predicts the same bits on wasm and js`, () => {
      const bytes = legacy.bytes(c.file!);
      const x = legacy.inputs(c);
      for (const b of [bytes, asVersion1(bytes)]) {
        for (const backend of ['wasm', 'js'] as const) {
          const m = name.startsWith('q') ? loadQuantized(b, { backend }) : SparseModel.load(b, { backend });
          const want = Float32Array.from(c[backend]);
          const got = m.predict(x).data;
          const same = Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer));
          expect(same, `${c.file} on ${backend}: predictions differ from the ones that version made`).toBe(true);
          m.dispose();
        }
      }
    });
  }
});
