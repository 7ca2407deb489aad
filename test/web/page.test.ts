// The web example in real headless Chromium (Debian's chromium, driven by Playwright): the page loads without
// console errors, training in the worker improves test accuracy, a drawn digit is predicted, the compression and
// SIMD-vs-JS buttons report. Screenshots go to build/test-artifacts/web/ (CI keeps them as artifacts).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'build/test-artifacts/web');
const skip = process.env.SIMDNET_SKIP_BROWSER === '1';

let context: BrowserContext;
let page: Page;
let close: () => Promise<void>;
let url: string;
const problems: string[] = [];
let work: string;

beforeAll(async () => {
  if (skip) return;
  expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set SIMDNET_SKIP_BROWSER=1`).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'simdnet-web-'));
  // @ts-expect-error plain ESM build script without type declarations
  const { buildWeb } = (await import('../../examples/web/build.mjs')) as { buildWeb(out: string): Promise<string> };
  // @ts-expect-error plain ESM server without type declarations
  const { serveStatic } = (await import('../../examples/web/serve.mjs')) as { serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> };
  const out = await buildWeb(join(work, 'site'));
  ({ url, close } = await serveStatic(out));
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1180, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  mkdirSync(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await context?.close();
  await close?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

const state = (): Promise<string | undefined> => page.evaluate(() => document.body.dataset.state);
const waitState = (s: string, timeout = 90_000): Promise<unknown> => page.waitForFunction((want) => document.body.dataset.state === want, s, { timeout, polling: 100 });

/** Draws a polyline on the pad with the mouse, in pad coordinates (0–280). */
async function draw(points: Array<[number, number]>): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await page.mouse.up();
}

async function prediction(): Promise<{ digit: string; confidence: number }> {
  await page.waitForFunction(() => (document.getElementById('prediction')!.dataset.digit ?? '') !== '', undefined, { timeout: 10_000 });
  return page.evaluate(() => {
    const el = document.getElementById('prediction')!;
    return { digit: el.dataset.digit!, confidence: Number(el.dataset.confidence) };
  });
}

describe.skipIf(skip)('web example in headless Chromium', () => {
  it('loads with no console errors and the digits and kernels ready', async () => {
    await page.goto(url);
    await waitState('ready', 60_000);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/8,000 training and 2,000 test digits loaded .* WebAssembly SIMD on/);
    expect(problems).toEqual([]);
  }, 90_000);

  it('trains in the worker: test accuracy climbs from chance to above 90%, the page stays responsive', async () => {
    await page.fill('#epochs', '3');
    await page.click('#train');
    expect(await state()).toBe('training');
    // While training runs the main thread answers at once (the work is in the worker).
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    expect(Date.now() - t0).toBeLessThan(2000);
    await waitState('trained');
    const { initial, final, epoch } = await page.evaluate(() => {
      const el = document.getElementById('test-acc')!;
      return { initial: Number(el.dataset.initial), final: Number(el.dataset.value), epoch: Number(el.dataset.epoch) };
    });
    expect(epoch).toBe(3);
    expect(initial).toBeLessThan(0.3);
    expect(final).toBeGreaterThan(0.9);
    // Both charts have curves.
    expect(await page.locator('#loss-chart polyline').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#acc-chart polyline').count()).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('predicts a drawn digit as it is drawn, with class probabilities and a saliency map', async () => {
    await draw([[140, 40], [140, 240]]); // a one
    const one = await prediction();
    expect(one.digit).toBe('1');
    expect(one.confidence).toBeGreaterThan(0.5);
    const bars = await page.locator('#probs div').evaluateAll((els) => els.map((e) => Number(/([\d.]+)%/.exec(e.getAttribute('title') ?? '')?.[1])));
    expect(bars).toHaveLength(10);
    expect(bars.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    const heat = await page.evaluate(() => {
      const d = (document.getElementById('saliency') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let red = 0;
      for (let i = 0; i < d.length; i += 4) red += d[i];
      return red;
    });
    expect(heat).toBeGreaterThan(0);
    await page.locator('#draw-card').screenshot({ path: join(ARTIFACTS, 'draw-one.png') });
    await page.click('#clear');
    expect(await page.evaluate(() => document.getElementById('prediction')!.dataset.digit)).toBe('');
    // A zero: an ellipse.
    const pts: Array<[number, number]> = [];
    for (let a = 0; a <= 2 * Math.PI + 0.3; a += 0.2) pts.push([140 + 60 * Math.sin(a), 140 - 90 * Math.cos(a)]);
    await draw(pts);
    expect((await prediction()).digit).toBe('0');
    await page.screenshot({ path: join(ARTIFACTS, 'page-trained.png'), fullPage: true });
  }, 60_000);

  it('quantize and prune report size, accuracy and speed before and after', async () => {
    await page.click('#quantize');
    await waitState('trained', 60_000);
    await page.click('#prune');
    await waitState('trained', 60_000);
    const rows = await page.locator('#compress-out tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ what: tr.getAttribute('data-what'), cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '') })),
    );
    expect(rows.map((r) => r.what)).toEqual(['float', 'quantize', 'prune']);
    const kib = (s: string): number => Number(s.replace(' KiB', ''));
    const pctOf = (s: string): number => Number(s.replace('%', ''));
    const [float, quant, pruned] = rows.map((r) => r.cells);
    expect(kib(quant[1])).toBeLessThan(kib(float[1]) / 3);
    expect(kib(pruned[1])).toBeLessThan(kib(float[1]) / 2);
    expect(pctOf(quant[2])).toBeGreaterThan(pctOf(float[2]) - 2);
    expect(pctOf(pruned[2])).toBeGreaterThan(85);
    for (const r of [float, quant, pruned]) expect(r[3]).toMatch(/^[\d,]+ digits\/s$/);
  }, 120_000);

  it('times the same training step on wasm-simd and js', async () => {
    await page.click('#bench');
    await waitState('trained', 90_000);
    const ratio = Number(await page.locator('#bench-out').getAttribute('data-ratio'));
    expect(ratio).toBeGreaterThan(1);
    await page.screenshot({ path: join(ARTIFACTS, 'page-final.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('Stop ends a long training run after the current batch', async () => {
    await page.fill('#epochs', '50');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.getElementById('bar')!.getAttribute('value') ?? (document.getElementById('bar') as HTMLProgressElement).value) > 0, undefined, { timeout: 30_000 });
    await page.click('#stop');
    await waitState('trained', 30_000);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/trained \d+ epochs in [\d.]+s \(stopped\)/);
    expect(problems).toEqual([]);
  }, 60_000);
});
