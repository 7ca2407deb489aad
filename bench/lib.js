// Helpers the bench section modules share.
import { Bench } from 'tinybench';

/**
 * Median latency (ms) of each [name, fn] task, measured together by tinybench. The 500 ms warm-up is there
 * because V8 moves hot wasm to its optimizing tier only after a while (numbers swing 2x without it).
 */
export async function medianMs(tasks, { quick = false, time = 1500, warmupIterations } = {}) {
  const bench = new Bench({ warmupTime: 500, ...(warmupIterations ? { warmupIterations } : {}), time: quick ? 400 : time });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return Object.fromEntries(bench.tasks.map((t) => [t.name, t.result.latency.p50]));
}

/** medianMs in µs. */
export async function medianUs(tasks, quick) {
  return Object.fromEntries(Object.entries(await medianMs(tasks, { quick })).map(([k, ms]) => [k, ms * 1000]));
}

/** Median of numbers. */
export function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0..1) of numbers, nearest rank. */
export const quantile = (a, q) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))];
