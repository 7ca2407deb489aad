#!/usr/bin/env node
// The long run of the loader fuzz (test/reliability/loader-fuzz.test.ts): mutated model files of every format, each
// sealed with a valid checksum, through loadModel, loadQuantized and SparseModel.load.
//   node scripts/fuzz-loaders.mjs [cases = 40000] [seed = 1]
// Prints the tally (cases, loaded, refused by error code, failures) and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [cases = '40000', seed = '1'] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync('npx', ['vitest', 'run', 'test/reliability/loader-fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SIMDNET_FUZZ_CASES: cases, SIMDNET_FUZZ_SEED: seed },
});
process.exit(r.status ?? 1);
