// Seeded fuzz of the three loaders (loadModel, loadQuantized, SparseModel.load) over real saved files: a float MLP and
// CNN, their int8 (static, dynamic), f16 and mixed quantized forms, their CSR and dense sparse forms. Each case
// mutates one file (test/reliability/mutate.ts) and seals it with a valid checksum, so the mutation reaches the
// parser. Every case must end in a SimdnetError, or in a model that predicts finite outputs for inputs in the
// documented range (|x| <= INPUT_RANGE: zeros, both extremes, alternating, subnormal, uniform).
//
// A few thousand cases run with the tests; a longer run:
//   SIMDNET_FUZZ_CASES=40000 npx vitest run test/reliability/loader-fuzz.test.ts     (or node scripts/fuzz-loaders.mjs)
// SIMDNET_FUZZ_SEED picks another sequence; SIMDNET_FUZZ_CASE=<n> replays one case and prints what it did;
// SIMDNET_FUZZ_REASONS=1 tallies the refusals by message.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel, SimdnetError } from '../../src/index.js';
import { loadQuantized, SparseModel, type InferenceModel } from '../../src/compress/index.js';
import { Prng, mutate } from './mutate.js';
import { rangeInputs, sampleFiles, type Sample } from './models.js';

const CASES = Number(process.env.SIMDNET_FUZZ_CASES ?? 3000);
const SEED = Number(process.env.SIMDNET_FUZZ_SEED ?? 1);
const REASONS = process.env.SIMDNET_FUZZ_REASONS === '1';
const ONLY = process.env.SIMDNET_FUZZ_CASE === undefined ? undefined : Number(process.env.SIMDNET_FUZZ_CASE);

let samples: Sample[];

beforeAll(async () => {
  await init();
  await init({ backend: 'js' });
  samples = await sampleFiles();
}, 60_000);

function load(
  s: Sample,
  bytes: Uint8Array,
  backend: 'wasm' | 'js',
): InferenceModel | { predict: InferenceModel['predict']; dispose(): void; inputDim?: number } {
  if (s.kind === 'float') return loadModel(bytes, { backend });
  if (s.kind === 'quantized') return loadQuantized(bytes, { backend });
  return SparseModel.load(bytes, { backend });
}

describe('loader fuzz', () => {
  it(
    `${ONLY === undefined ? CASES : 1} mutated files (seed ${SEED}): only SimdnetErrors, and finite predictions from every file that loads`,
    () => {
      expect(samples.length).toBe(14);
      // The unmutated files load and predict finite outputs: the property holds at the start.
      for (const s of samples) {
        const m = load(s, s.bytes, 'wasm');
        expect(m.predict(rangeInputs(s.cols, 0)).data.every(Number.isFinite), s.name).toBe(true);
        m.dispose();
      }
      const failures: string[] = [];
      const others: string[] = [];
      const reasons = new Map<string, number>();
      const codes = new Map<string, number>();
      let loaded = 0;
      const first = ONLY ?? 0;
      const last = ONLY === undefined ? CASES : ONLY + 1;
      for (let c = first; c < last; c++) {
        const r = new Prng((SEED * 0x9e3779b1 + c * 0x85ebca6b) >>> 0);
        const s = samples[c % samples.length];
        const backend = c % 10 === 9 ? 'js' : 'wasm';
        const { bytes, what } = mutate(s.bytes, r);
        const tag = `case ${c} (${s.name}, ${backend}): ${what}`;
        let m: ReturnType<typeof load>;
        try {
          m = load(s, bytes, backend);
        } catch (err) {
          if (err instanceof SimdnetError) {
            codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
            // A loader words what is wrong with a file as FORMAT; other codes are listed (and fail the test).
            if (err.code !== 'FORMAT') others.push(`${tag}\n  ${err.code}: ${err.message}`);
            if (REASONS) {
              const why = err.message
                .replace(/^not a valid [a-z ]+ file: /, '')
                .replace(/'[^']*'|\[[^\]]*\]|-?[0-9][0-9.e+-]*/g, '#')
                .slice(0, 60);
              reasons.set(why, (reasons.get(why) ?? 0) + 1);
            }
            if (ONLY !== undefined) console.log(`${tag}\n  refused: ${err.code} ${err.message}`);
          } else {
            failures.push(`${tag}\n  threw ${String(err)}`);
          }
          continue;
        }
        loaded++;
        try {
          const cols = (m as { inputDim?: number }).inputDim ?? s.cols;
          const out = m.predict(rangeInputs(cols, c)).data;
          const bad = out.findIndex((v) => !Number.isFinite(v));
          if (bad >= 0) failures.push(`${tag}\n  loaded, predicted ${out[bad]} at output ${bad}`);
          if (ONLY !== undefined)
            console.log(`${tag}\n  loaded, predicted ${Array.from(out.subarray(0, 8)).join(', ')}, ...`);
        } catch (err) {
          failures.push(`${tag}\n  loaded, predict threw ${String(err)}`);
        } finally {
          m.dispose();
        }
      }
      const refused = [...codes.values()].reduce((a, b) => a + b, 0);
      console.log(
        `loader fuzz, seed ${SEED}: ${last - first} cases, ${loaded} loaded, ${refused} refused (${[...codes].map(([k, v]) => `${k} ${v}`).join(', ')}), ${failures.length} failures`,
      );
      if (REASONS)
        console.log(
          [...reasons]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${String(v).padStart(6)}  ${k}`)
            .join('\n'),
        );
      expect(failures.slice(0, 20)).toEqual([]);
      expect(others.slice(0, 20)).toEqual([]);
      // The mutations reach the parser: most files are refused for what they say, not for their checksum.
      expect(loaded + refused).toBe(last - first);
    },
    60_000 + CASES * 10,
  );
});
