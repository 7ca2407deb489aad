// Benchmark harness: runs each section module (every bench/<name>.js but this one, kernels and mlp first; or the
// ones named on the command line), prints progress, and writes bench/RESULTS.md and bench/results.json with the
// machine.
// Each section exports `async function run({ quick })` returning `{ title, markdown, json }`.
// Usage: node --expose-gc bench/run.js [--quick] [section ...]    (BENCH_QUICK=1 also selects the short run)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const named = args.filter((a) => !a.startsWith('--'));
// Default: every bench/<name>.js but this file, kernels and mlp first, the rest in name order.
const found = readdirSync(new URL('./', import.meta.url))
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .map((f) => f.slice(0, -3));
const first = ['kernels', 'mlp'];
const all = [...first.filter((s) => found.includes(s)), ...found.filter((s) => !first.includes(s)).sort()];
const sections = (named.length > 0 ? named : all).filter((s) => {
  const ok = existsSync(new URL(`./${s}.js`, import.meta.url));
  if (!ok) console.log(`(skipping ${s}: bench/${s}.js not found)`);
  return ok;
});

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

const machine = {
  cpu: cpuModel(),
  cores: os.availableParallelism?.() ?? os.cpus().length,
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.arch()}`,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  loadAverage: os.loadavg().map((v) => v.toFixed(2)).join(' '),
  date: new Date().toISOString(),
  quick,
};
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
    results.push({ name, seconds: 0, title: `${name} (failed)`, markdown: `Failed: \`${message}\``, json: { error: message } });
  }
}
machine.loadAverageAfter = os.loadavg().map((v) => v.toFixed(2)).join(' ');

const md = [
  '# simdnet benchmarks',
  '',
  `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}`,
  `- Node ${machine.node} (V8 ${machine.v8}), single thread, WebAssembly SIMD128 (no relaxed SIMD)`,
  `- Date: ${machine.date}${quick ? ' (quick run: fewer sizes, shorter timing)' : ''}`,
  `- Load average before / after: ${machine.loadAverage} / ${machine.loadAverageAfter} (other processes share the cores: numbers are noisy when it is high)`,
  '- Produced by `npm run bench` (`node --expose-gc bench/run.js`); raw numbers in `results.json`.',
  '',
  ...results.flatMap((r) => [`## ${r.title}`, '', r.markdown, '']),
].join('\n');
writeFileSync(new URL('./RESULTS.md', import.meta.url), md);
writeFileSync(
  new URL('./results.json', import.meta.url),
  JSON.stringify({ machine, sections: results.map(({ name, title, seconds, json }) => ({ name, title, seconds, json })) }, null, 2) + '\n',
);
console.log('\nwrote bench/RESULTS.md and bench/results.json');
