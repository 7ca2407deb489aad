// Helpers the bench section modules share.
import { Bench } from 'tinybench';

/**
 * Median latency (ms) of each [name, fn] task, measured together by tinybench. The 500 ms warm-up is there
 * because V8 moves hot wasm to its optimizing tier only after a while (numbers swing 2x without it).
 */
export async function medianMs(tasks, { quick = false, time = 1500, warmupIterations } = {}) {
  const bench = new Bench({
    warmupTime: 500,
    ...(warmupIterations ? { warmupIterations } : {}),
    time: quick ? 400 : time,
  });
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

/**
 * Median over rounds of t(a) / t(b), each round one call of each back to back (order alternating), `reps` calls
 * per timing: the robust speed-up of b over a on a machine other processes share. Also the median ms per call.
 */
export function pairedRatio(fa, fb, rounds, reps = 1) {
  const time = (f) => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) fa(), fb();
  const ratios = [];
  const ta = [];
  const tb = [];
  for (let r = 0; r < rounds; r++) {
    let a;
    let b;
    if (r % 2 === 0) {
      a = time(fa);
      b = time(fb);
    } else {
      b = time(fb);
      a = time(fa);
    }
    ratios.push(a / b);
    ta.push(a / reps);
    tb.push(b / reps);
  }
  const med = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
  return { ratio: med(ratios), aMs: med(ta), bMs: med(tb) };
}
