// Benchmark harness: runs each section module (every bench/<name>.js but this one, kernels and mlp first; or the
// ones named on the command line), prints progress, and writes bench/RESULTS.md and bench/results.json with the
// machine.
// Each section exports `async function run({ quick })` returning `{ title, markdown, json }`.
// Usage: node --expose-gc bench/run.js [--quick] [section ...]    (BENCH_QUICK=1 also selects the short run)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadAverage, machine as describeMachine } from './machine.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const named = args.filter((a) => !a.startsWith('--'));
// Default: every bench/<name>.js but this file, kernels and mlp first, the rest in name order.
// (lib.js and machine.js are helpers of the sections, not sections.)
const found = readdirSync(new URL('./', import.meta.url))
  .filter((f) => f.endsWith('.js') && !['run.js', 'lib.js', 'machine.js'].includes(f))
  .map((f) => f.slice(0, -3));
const first = ['kernels', 'mlp'];
const all = [...first.filter((s) => found.includes(s)), ...found.filter((s) => !first.includes(s)).sort()];
const sections = (named.length > 0 ? named : all).filter((s) => {
  const ok = existsSync(new URL(`./${s}.js`, import.meta.url));
  if (!ok) console.log(`(skipping ${s}: bench/${s}.js not found)`);
  return ok;
});

const machine = describeMachine(quick);
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}${quick ? ' (quick run)' : ''}`);

const results = [];
for (const name of sections) {
  console.log(`\n== ${name}`);
  globalThis.gc?.();
  const t0 = performance.now();
  try {
    const mod = await import(`./${name}.js`);
    const r = await mod.run({ quick });
    const seconds = (performance.now() - t0) / 1000;
    console.log(`   (${seconds.toFixed(1)} s)`);
    results.push({ name, seconds, ...r });
  } catch (err) {
    // A broken section is reported, not fatal: the others still run and the exit code says it failed.
    console.error(`section ${name} failed:`, err);
    process.exitCode = 1;
    const message = err instanceof Error ? err.message : String(err);
    results.push({
      name,
      seconds: 0,
      title: `${name} (failed)`,
      markdown: `Failed: \`${message}\``,
      json: { error: message },
    });
  }
}
machine.loadAverageAfter = loadAverage();

// RESULTS.md is made of marked blocks: `<!-- section:NAME -->` … `<!-- /section:NAME -->` per section, and the
// peer comparison between `<!-- peers:begin -->` and `<!-- peers:end -->` (written by bench/peers/run.js).
// A run replaces the blocks of the sections it ran and keeps every other block, so `run.js kernels` does not
// wipe the MLP numbers or the peers.
const resultsUrl = new URL('./RESULTS.md', import.meta.url);
const previous = existsSync(resultsUrl) ? readFileSync(resultsUrl, 'utf8') : '';
const blockRe = /<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->/g;
const blocks = new Map([...previous.matchAll(blockRe)].map((m) => [m[1], m[0]]));
for (const r of results) {
  blocks.set(
    r.name,
    [
      `<!-- section:${r.name} -->`,
      `## ${r.title}`,
      '',
      `_Measured ${machine.date.slice(0, 16).replace('T', ' ')} UTC, load average ${machine.loadAverage.join(' ')} → ${machine.loadAverageAfter.join(' ')}._`,
      '',
      r.markdown,
      `<!-- /section:${r.name} -->`,
    ].join('\n'),
  );
}
const order = [...all, ...[...blocks.keys()].filter((k) => !all.includes(k))].filter((k) => blocks.has(k));
const peers = /<!-- peers:begin -->[\s\S]*?<!-- peers:end -->/.exec(previous)?.[0];

const md = [
  '# simdnet benchmarks',
  '',
  `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
  `- Node ${machine.node} (V8 ${machine.v8}), single thread, WebAssembly SIMD128 (relaxed SIMD only in the fma section, in a child process)`,
  '- Each section says when it was measured and the load average around it (other processes share the cores: numbers are noisy when it is high).',
  '- Produced by `npm run bench` (`node --expose-gc bench/run.js [section ...]`); raw numbers per section in `results.json`.',
  '',
  ...order.flatMap((k) => [blocks.get(k), '']),
  ...(peers ? [peers, ''] : []),
].join('\n');
writeFileSync(resultsUrl, md);
// results.json merges the same way: the sections run now replace their previous entries (each keeps its machine).
const jsonUrl = new URL('./results.json', import.meta.url);
let prevSections = [];
try {
  prevSections = JSON.parse(readFileSync(jsonUrl, 'utf8')).sections ?? [];
} catch {
  // none yet, or unreadable: start afresh
}
const fresh = results.map(({ name, title, seconds, json }) => ({ name, title, seconds, machine, json }));
const merged = [...prevSections.filter((p) => !fresh.some((f) => f.name === p.name)), ...fresh];
merged.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
writeFileSync(jsonUrl, `${JSON.stringify({ sections: merged }, null, 2)}\n`);
console.log('\nwrote bench/RESULTS.md and bench/results.json');
