// The web example in real headless Chromium (Debian's chromium, driven by Playwright): the page loads without
// console errors, training the MLP and the CNN in the worker improves test accuracy, a drawn digit is predicted by
// the model trained last, the compression and SIMD-vs-JS buttons report (or show the library's refusal for the
// CNN). The page is served twice: plain, and cross-origin isolated (COOP/COEP); only 127.0.0.1 is reachable.
// Screenshots go to build/test-artifacts/web/ (CI keeps them as artifacts).
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
let closeIsolated: () => Promise<void>;
let isolatedUrl: string;
const problems: string[] = [];
let work: string;

/** Collects console errors, page errors and failed requests of `p` into `into`. */
function watch(p: Page, into: string[]): void {
  p.on('console', (m) => {
    if (m.type() === 'error') into.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => into.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => into.push(`request failed: ${r.url()}`));
}

beforeAll(async () => {
  if (skip) return;
  expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set SIMDNET_SKIP_BROWSER=1`).toBe(true);
  work = mkdtempSync(join(tmpdir(), 'simdnet-web-'));
  // @ts-expect-error plain ESM build script without type declarations
  const { buildWeb } = (await import('../../examples/web/build.mjs')) as { buildWeb(out: string): Promise<string> };
  // @ts-expect-error plain ESM server without type declarations
  const { serveStatic } = (await import('../../examples/web/serve.mjs')) as {
    serveStatic(dir: string, o?: { isolated?: boolean }): Promise<{ url: string; close(): Promise<void> }>;
  };
  const out = await buildWeb(join(work, 'site'));
  ({ url, close } = await serveStatic(out));
  ({ url: isolatedUrl, close: closeIsolated } = await serveStatic(out, { isolated: true }));
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1180, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // Only the two loopback servers: any other request is refused (and shows up as a failed request).
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  page = context.pages()[0] ?? (await context.newPage());
  watch(page, problems);
  mkdirSync(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await context?.close();
  await close?.();
  await closeIsolated?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

const state = (p = page): Promise<string | undefined> => p.evaluate(() => document.body.dataset.state);
const waitState = (s: string, timeout = 90_000, p = page): Promise<unknown> =>
  p.waitForFunction((want) => document.body.dataset.state === want, s, { timeout, polling: 100 });

/** Draws a polyline on the pad with the mouse, in pad coordinates (0–280). */
async function draw(points: Array<[number, number]>, p = page): Promise<void> {
  const box = (await p.locator('#pad').boundingBox())!;
  await p.mouse.move(box.x + points[0][0], box.y + points[0][1]);
  await p.mouse.down();
  for (const [x, y] of points.slice(1)) await p.mouse.move(box.x + x, box.y + y, { steps: 4 });
  await p.mouse.up();
}

/** The pad's prediction, and which network made it (the page's data-model, and the loaded model's layer types). */
async function prediction(p = page): Promise<{ digit: string; confidence: number; model: string; layers: string; info: string }> {
  await p.waitForFunction(() => (document.getElementById('prediction')!.dataset.digit ?? '') !== '', undefined, { timeout: 10_000 });
  return p.evaluate(() => {
    const el = document.getElementById('prediction')!;
    const info = document.getElementById('model-info')!;
    return { digit: el.dataset.digit!, confidence: Number(el.dataset.confidence), model: el.dataset.model!, layers: info.dataset.layers!, info: info.textContent! };
  });
}

/** The red of the saliency canvas (> 0 when the map has heat). */
const heatOf = (p = page): Promise<number> =>
  p.evaluate(() => {
    const d = (document.getElementById('saliency') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
    let red = 0;
    for (let i = 0; i < d.length; i += 4) red += d[i];
    return red;
  });

const CNN_LAYERS = 'conv2d maxPooling2d conv2d maxPooling2d flatten dropout dense dropout dense';

/** Chooses the CNN, trains it for 1 epoch on the first 3,000 training digits; returns the test accuracy and status. */
async function trainCnn(p: Page): Promise<{ accuracy: number; epoch: number; model: string; status: string }> {
  await p.selectOption('#arch', 'cnn');
  await p.fill('#epochs', '1');
  await p.fill('#rows', '3000');
  await p.click('#train');
  await waitState('trained', 60_000, p);
  const r = await p.evaluate(() => {
    const el = document.getElementById('test-acc')!;
    return { accuracy: Number(el.dataset.value), epoch: Number(el.dataset.epoch), model: el.dataset.model!, status: document.getElementById('status')!.textContent! };
  });
  console.log(`web: ${r.status}`);
  return r;
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
    expect(one.model).toBe('mlp');
    expect(one.layers).toBe('dense dropout dense');
    expect(await heatOf()).toBeGreaterThan(0);
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

  it('trains the CNN in the worker (1 epoch, 3,000 digits): the MLP\'s results are cleared, test accuracy well above chance', async () => {
    // The MLP's compression rows and timing are on the page from the tests above.
    expect(await page.locator('#compress-out tbody tr').count()).toBeGreaterThan(0);
    await page.selectOption('#arch', 'cnn');
    // The CNN's own defaults; the MLP's hidden units do not apply.
    expect(await page.inputValue('#epochs')).toBe('5');
    expect(await page.inputValue('#batch')).toBe('32');
    expect(await page.inputValue('#lr')).toBe('0.002');
    expect(await page.locator('#hidden').isDisabled()).toBe(true);
    const t0 = Date.now();
    const r = await trainCnn(page);
    expect(Date.now() - t0).toBeLessThan(30_000);
    // Retraining cleared the previous model's results (they are only refilled by the buttons).
    expect(await page.locator('#compress-out tbody tr').count()).toBe(0);
    expect(await page.locator('#bench-out').getAttribute('data-ratio')).toBe('');
    expect(r.model).toBe('cnn');
    expect(r.epoch).toBe(1);
    expect(r.accuracy).toBeGreaterThan(0.7);
    expect(r.status).toMatch(/^trained the CNN 1 epoch on 3,000 digits in [\d.]+s, [\d,]+ samples\/s: [\d.]+% on the test digits/);
    // The time stays on the page beside the accuracy (the status line moves on).
    expect(await page.locator('#train-time').textContent()).toMatch(/^· the CNN, 1 epoch on 3,000 digits in [\d.]+s \([\d,]+ samples\/s while training\)$/);
    // Running train accuracy and test accuracy are lines (validation has one point after one epoch).
    expect(await page.locator('#acc-chart polyline').count()).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  }, 90_000);

  it('draw-a-digit predicts with the CNN, with its saliency map', async () => {
    // The ellipse from before is still on the pad: it is now predicted by the CNN.
    const before = await prediction();
    expect(before.model).toBe('cnn');
    await page.click('#clear');
    await draw([[140, 40], [140, 240]]);
    const one = await prediction();
    expect(one.digit).toBe('1');
    expect(one.confidence).toBeGreaterThan(0.5);
    expect(one.model).toBe('cnn');
    expect(one.layers).toBe(CNN_LAYERS);
    expect(one.info).toMatch(/^predicting with the CNN \(1 epoch; [\d.]+% on the test digits\)$/);
    expect(await heatOf()).toBeGreaterThan(0);
    await page.locator('#draw-card').screenshot({ path: join(ARTIFACTS, 'draw-one-cnn.png') });
  }, 60_000);

  it('compressing the CNN shows what the library says: a row, or its refusal in plain words', async () => {
    for (const what of ['quantize', 'prune']) {
      await page.click(`#${what}`);
      await waitState('trained', 60_000);
    }
    const rows = await page.locator('#compress-out tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        what: tr.getAttribute('data-what'),
        refused: tr.classList.contains('refused'),
        text: tr.textContent ?? '',
        cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? ''),
      })),
    );
    expect(rows.map((r) => r.what)).toEqual(['float', 'quantize', 'prune']);
    expect(rows[0].text).toMatch(/^float32 CNN/);
    const kib = (r: { cells: string[] }): number => Number(r.cells[1].replace(' KiB', ''));
    for (const r of rows.slice(1)) {
      // Until quantization and pruning handle conv layers the library refuses them (UNSUPPORTED); then a real row.
      if (r.refused) expect(r.text).toMatch(/not available for this model yet: .*conv2d.*not supported yet/);
      else {
        expect(kib(r)).toBeLessThan(kib(rows[0]) / 2);
        expect(Number(r.cells[2].replace('%', ''))).toBeGreaterThan(70);
        expect(r.cells[3]).toMatch(/^[\d,]+ digits\/s$/);
      }
      console.log(`web: CNN ${r.what}: ${r.cells.join(' | ')}`);
    }
    expect(problems).toEqual([]);
  }, 150_000);

  it('times a training step of the CNN on wasm-simd and js', async () => {
    await page.click('#bench');
    await waitState('trained', 90_000);
    expect(await page.locator('#bench-out').getAttribute('data-arch')).toBe('cnn');
    expect(Number(await page.locator('#bench-out').getAttribute('data-ratio'))).toBeGreaterThan(1);
    console.log(`web: ${await page.locator('#status').textContent()}`);
    await page.screenshot({ path: join(ARTIFACTS, 'page-cnn.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('Stop ends a long training run after the current batch', async () => {
    await page.selectOption('#arch', 'mlp');
    expect(await page.inputValue('#epochs')).toBe('8');
    await page.fill('#rows', '8000');
    await page.fill('#epochs', '50');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.getElementById('bar')!.getAttribute('value') ?? (document.getElementById('bar') as HTMLProgressElement).value) > 0, undefined, { timeout: 30_000 });
    await page.click('#stop');
    await waitState('trained', 30_000);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/trained the MLP \d+ epochs? on 8,000 digits in [\d.]+s \(stopped\)/);
    expect(problems).toEqual([]);
  }, 60_000);
});

describe.skipIf(skip)('web example, cross-origin isolated (COOP/COEP), ?train=3000', () => {
  it('loads, trains the CNN in the worker and predicts a drawn digit with it', async () => {
    const p = await context.newPage();
    const seen: string[] = [];
    watch(p, seen);
    try {
      await p.goto(`${isolatedUrl}?train=3000`);
      await waitState('ready', 60_000, p);
      expect(await p.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await p.inputValue('#rows')).toBe('3000'); // preset by ?train=
      const r = await trainCnn(p);
      expect(r.model).toBe('cnn');
      expect(r.accuracy).toBeGreaterThan(0.7);
      await draw([[140, 40], [140, 240]], p);
      const one = await prediction(p);
      expect(one.digit).toBe('1');
      expect(one.model).toBe('cnn');
      expect(one.layers).toBe(CNN_LAYERS);
      expect(await heatOf(p)).toBeGreaterThan(0);
      expect(seen).toEqual([]);
    } finally {
      await p.close();
    }
  }, 120_000);
});
