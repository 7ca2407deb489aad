import type { Callback } from './callbacks.js';

/** Options of {@link progressLogger}. */
export interface ProgressOptions {
  /** Where text goes (default: process.stdout.write in Node, else console.log per line). */
  write?: (s: string) => void;
  /** Redraw one line in place (a terminal) or print plain lines (logs, CI). Default: stdout is a TTY. */
  live?: boolean;
  /** Bar width in characters (default 24; narrower when the line would not fit `columns`). */
  width?: number;
  /**
   * Terminal width the live line must fit (default: the width of process.stdout when it is a terminal, read at each
   * redraw so a resized window is followed; else 80). A line as wide as the terminal would wrap, and each redraw
   * would then leave a line behind.
   */
  columns?: number;
  /** Minimum ms between live redraws (default 100). */
  intervalMs?: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}

/**
 * A fit() callback that shows progress: epoch, batch, loss, accuracy, samples/s and ETA. In a terminal it
 * redraws one bar in place; elsewhere it prints a line per epoch.
 */
export function progressLogger(options: ProgressOptions = {}): Callback {
  checkOptions(options, 'progressLogger()', { write: 'function', live: 'boolean', width: 'index', columns: 'count' });
  const proc = (globalThis as { process?: { stdout?: { isTTY?: boolean; columns?: number; write(s: string): void } } })
    .process;
  const write =
    options.write ??
    (proc?.stdout ? (s: string) => proc.stdout!.write(s) : (s: string) => console.log(s.replace(/\n$/, '')));
  const live = options.live ?? Boolean(proc?.stdout?.isTTY);
  const width = options.width ?? 24;
  const interval = options.intervalMs ?? 100;
  const columns = (): number =>
    options.columns ?? (proc?.stdout?.isTTY && proc.stdout.columns ? proc.stdout.columns : 80);
  let epochs = 0;
  let batches = 0;
  let samples = 0;
  let stream = false;
  let t0 = 0;
  let tEpoch = 0;
  let seenEpoch = 0;
  let lastDraw = 0;
  return {
    onTrainBegin(info) {
      epochs = info.epochs;
      batches = info.batchesPerEpoch;
      samples = info.samples;
      stream = info.stream === true;
      t0 = now();
      // A stream's rows and batches are not known ahead: no bar, no ETA, the batch count and the speed instead.
      const rows = stream ? 'a stream of batches' : `${info.samples} samples`;
      write(
        `training on ${rows} (${info.validationSamples} validation), batch ${info.batchSize}, ${info.epochs} epochs\n`,
      );
    },
    onEpochBegin() {
      tEpoch = now();
      seenEpoch = 0;
    },
    onBatchEnd(batch, logs) {
      seenEpoch += logs.size;
      if (!live) return;
      const t = now();
      if (t - lastDraw < interval && (stream || batch + 1 < batches)) return;
      lastDraw = t;
      if (stream) {
        const rate = seenEpoch / ((t - tEpoch) / 1000);
        const acc = logs.accuracy !== undefined ? `  acc ${(100 * logs.accuracy).toFixed(2)}%` : '';
        const line = `epoch ${logs.epoch + 1}/${epochs} batch ${batch + 1}  loss ${logs.loss.toFixed(4)}${acc}  ${Math.round(rate)} samples/s`;
        write(`\r\x1b[2K${line.slice(0, Math.max(columns() - 1, 1))}`);
        return;
      }
      const frac = (batch + 1) / batches;
      const rate = seenEpoch / ((t - tEpoch) / 1000);
      const done = logs.epoch * samples + seenEpoch;
      const eta = (epochs * samples - done) / (done / ((t - t0) / 1000));
      const parts = [`loss ${logs.loss.toFixed(4)}`];
      if (logs.accuracy !== undefined) parts.push(`acc ${(100 * logs.accuracy).toFixed(2)}%`);
      parts.push(`${Math.round(rate)} samples/s`, `ETA ${fmtTime(eta)}`);
      write(
        `\r\x1b[2K${liveLine(`epoch ${logs.epoch + 1}/${epochs}`, frac, `${batch + 1}/${batches}`, parts, width, columns())}`,
      );
    },
    onEpochEnd(epoch, logs) {
      const t = now();
      const secs = (t - tEpoch) / 1000;
      const parts = [`epoch ${epoch + 1}/${epochs}`, `loss ${logs.loss.toFixed(4)}`];
      if (logs.accuracy !== undefined) parts.push(`acc ${(100 * logs.accuracy).toFixed(2)}%`);
      if (logs.val_loss !== undefined) parts.push(`val_loss ${logs.val_loss.toFixed(4)}`);
      if (logs.val_accuracy !== undefined) parts.push(`val_acc ${(100 * logs.val_accuracy).toFixed(2)}%`);
      parts.push(`${Math.round(seenEpoch / secs)} samples/s`, `${secs.toFixed(1)}s`);
      const eta = ((t - t0) / 1000 / (epoch + 1)) * (epochs - epoch - 1);
      if (epoch + 1 < epochs) parts.push(`ETA ${fmtTime(eta)}`);
      write(`${live ? '\r\x1b[2K' : ''}${parts.join('  ')}\n`);
    },
  };
}
import { checkOptions } from '../args.js';

/**
 * The live line, at most `columns - 1` characters (a character in the last column makes some terminals wrap):
 * the bar narrows first (to 8), then the least useful parts go (samples/s, then accuracy; the loss and ETA stay
 * longest), then the bar, and at last the line is cut.
 */
export function liveLine(
  head: string,
  frac: number,
  count: string,
  parts: string[],
  width: number,
  columns: number,
): string {
  const max = Math.max(columns - 1, 1);
  const kept = [...parts];
  const drop = (pattern: RegExp): boolean => {
    const i = kept.findIndex((p) => pattern.test(p));
    if (i >= 0) kept.splice(i, 1);
    return i >= 0;
  };
  for (;;) {
    const tail = ` ${[count, ...kept].join(' ')}`;
    const room = max - head.length - tail.length - 3; // ' [' and ']'
    const bar = Math.min(width, room);
    if (bar >= 8 || (bar >= 1 && kept.length <= 1) || bar === width) {
      const filled = Math.round(frac * bar);
      return `${head} [${'='.repeat(filled)}${' '.repeat(bar - filled)}]${tail}`;
    }
    if (drop(/samples\/s$/) || drop(/^acc /) || (kept.length > 1 && drop(/^ETA /))) continue;
    return `${head}${tail}`.slice(0, max);
  }
}
