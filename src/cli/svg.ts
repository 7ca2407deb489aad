/**
 * Small, dependency-free SVG line charts, and the training report `simdnet train` writes (loss and accuracy
 * curves plus a few summary lines). Pure string building with no Node APIs, so the web page draws its live
 * charts with the same code.
 */

/** One line of a chart. */
export interface Series {
  name: string;
  values: readonly number[];
  color: string;
  /** Dashed line (e.g. validation curves). */
  dashed?: boolean;
  /** x of each value (default: xStart + index), e.g. fractional epochs for per-batch points. */
  x?: readonly number[];
}

/** Options of {@link lineChart}. */
export interface ChartOptions {
  title: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  xLabel?: string;
  /** x value of the first point (default 1: epochs count from 1). */
  xStart?: number;
  /** Show the y axis as percentages of [0, 1] values. */
  percent?: boolean;
  /** Fixed y range; default: the data's range, padded. */
  yMin?: number;
  yMax?: number;
  /** A labelled vertical line at a point index (e.g. the epoch whose weights were kept). */
  marker?: { index: number; label: string };
}

/** Escapes text for SVG/XML content and attributes. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" tick positions (1, 2, 5 × 10^k steps) covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const fmt = (v: number, percent: boolean, step: number): string => {
  if (percent) return `${(100 * v).toFixed(step * 100 < 1 ? 1 : 0)}%`;
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step || 1))));
  return v.toFixed(digits);
};

/** A line chart as an `<svg>` element (standalone, or to nest in a bigger SVG with x/y attributes). */
export function lineChart(o: ChartOptions, at: { x?: number; y?: number } = {}): string {
  const W = o.width ?? 420;
  const H = o.height ?? 260;
  const m = { l: 54, r: 14, t: 44, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x0 = o.xStart ?? 1;
  const finite = o.series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const n = Math.max(1, ...o.series.map((s) => s.values.length));
  let lo = o.yMin ?? (finite.length ? Math.min(...finite) : 0);
  let hi = o.yMax ?? (finite.length ? Math.max(...finite) : 1);
  if (o.yMin === undefined && o.yMax === undefined) {
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 0.5;
    lo -= pad;
    hi += pad;
    if (o.percent) {
      lo = Math.max(0, lo);
      hi = Math.min(1, hi);
    } else if (finite.length && Math.min(...finite) >= 0) {
      lo = Math.max(0, lo);
    }
  }
  if (!(hi > lo)) hi = lo + 1;
  // x is either the point index (x0 + i) or a series' own x values; the axis spans all of them.
  const xOf = (s: Series, i: number): number => s.x?.[i] ?? x0 + i;
  const allX = o.series.flatMap((s) => s.values.map((_, i) => xOf(s, i)));
  const xLo = Math.min(x0, ...allX);
  const xHi = Math.max(x0 + 1, ...allX);
  const xs = (x: number): number =>
    m.l + (n === 1 && !o.series.some((s) => s.x) ? pw / 2 : ((x - xLo) / (xHi - xLo)) * pw);
  const ys = (v: number): number => m.t + ph - ((v - lo) / (hi - lo)) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"${at.x !== undefined ? ` x="${at.x}"` : ''}${at.y !== undefined ? ` y="${at.y}"` : ''} font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(o.title)}</text>`);
  const yt = niceTicks(lo, hi, 5);
  const yStep = yt.length > 1 ? yt[1] - yt[0] : 1;
  for (const v of yt) {
    const y = ys(v).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#555">${fmt(v, o.percent ?? false, yStep)}</text>`,
    );
  }
  const xt = niceTicks(xLo, xHi, Math.min(8, Math.ceil(xHi - xLo) || 1)).filter((v) => Number.isInteger(v));
  for (const v of xt) {
    const x = xs(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#888"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle" fill="#555">${v}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  if (o.marker && o.marker.index >= 0 && o.marker.index < n) {
    const x = xs(x0 + o.marker.index).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="#2ca02c" stroke-dasharray="2 3"/>`);
    const anchor = o.marker.index > (n - 1) / 2 ? 'end' : 'start';
    parts.push(
      `<text x="${x}" dx="${anchor === 'end' ? -3 : 3}" y="${m.t + 12}" text-anchor="${anchor}" fill="#2ca02c">${escapeXml(o.marker.label)}</text>`,
    );
  }
  if (o.xLabel)
    parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#333">${escapeXml(o.xLabel)}</text>`);
  // Legend positions: item widths estimated from the text (about 6 px per character at 11 px).
  const legendX: number[] = [];
  let lxAcc = 0;
  for (const s of o.series) {
    legendX.push(lxAcc);
    lxAcc += 23 + s.name.length * 6 + 14;
  }
  o.series.forEach((s, si) => {
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) pts.push(`${xs(xOf(s, i)).toFixed(1)},${ys(Math.min(hi, Math.max(lo, v))).toFixed(1)}`);
    });
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.join(' ')}"><title>${escapeXml(s.name)}</title></polyline>`,
      );
    if (pts.length <= 30)
      for (const p of pts)
        parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`);
    // Legend in the top margin, one item after another, so it never hides the curves.
    const lx = m.l + legendX[si];
    const ly = m.t - 10;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${lx + 23}" y="${ly}" dominant-baseline="middle" fill="#333">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** What the training report shows. */
export interface ReportInput {
  title: string;
  /** fit()'s per-epoch history (loss, accuracy, val_loss, val_accuracy as present). */
  history: Record<string, readonly number[]>;
  /** Short lines printed under the charts (final metrics, data, timing). */
  lines: readonly string[];
  /** Epoch (0-based) whose weights were kept, marked on the charts. */
  bestEpoch?: number;
}

const TRAIN = '#1f77b4';
const VAL = '#d62728';

/** The whole report: a loss chart, an accuracy chart when there is accuracy, and the summary lines. */
export function trainingReport(r: ReportInput): string {
  const h = r.history;
  const charts: string[] = [];
  const lossSeries: Series[] = [];
  if (h.loss) lossSeries.push({ name: 'train loss', values: h.loss, color: TRAIN });
  if (h.val_loss) lossSeries.push({ name: 'validation loss', values: h.val_loss, color: VAL, dashed: true });
  const accSeries: Series[] = [];
  if (h.accuracy) accSeries.push({ name: 'train accuracy', values: h.accuracy, color: TRAIN });
  if (h.val_accuracy) accSeries.push({ name: 'validation accuracy', values: h.val_accuracy, color: VAL, dashed: true });
  const marker = r.bestEpoch !== undefined && r.bestEpoch >= 0 ? { index: r.bestEpoch, label: 'kept' } : undefined;
  const cw = 420;
  const ch = 260;
  charts.push(
    lineChart({ title: 'Loss', series: lossSeries, xLabel: 'epoch', width: cw, height: ch, marker }, { x: 0, y: 40 }),
  );
  if (accSeries.length)
    charts.push(
      lineChart(
        { title: 'Accuracy', series: accSeries, xLabel: 'epoch', width: cw, height: ch, percent: true, marker },
        { x: cw, y: 40 },
      ),
    );
  const W = cw * charts.length;
  const textY = 40 + ch + 22;
  const H = textY + r.lines.length * 17 + 10;
  const text = r.lines.map((l, i) => `<text x="14" y="${textY + i * 17}" fill="#222">${escapeXml(l)}</text>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="14" y="26" font-size="16" font-weight="600" fill="#111">${escapeXml(r.title)}</text>` +
    charts.join('') +
    text +
    `</svg>\n`
  );
}
