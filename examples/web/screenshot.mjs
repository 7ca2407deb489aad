#!/usr/bin/env node
// Takes the screenshot of docs/img/web-demo.png: builds and serves the page, trains the CNN with the page's
// defaults (5 epochs on the 8,000 training digits) in headless Chromium (Debian's /usr/bin/chromium or
// $CHROMIUM_PATH; never a downloaded browser), draws a 7, asks for int8 quantization and 80% pruning, times SIMD vs JS, then
// writes the full page and prints what the page reported. `node examples/web/screenshot.mjs [--out file.png]
// [--epochs n]`; needs build/simdnet.wasm (npm run asbuild).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildWeb } from './build.mjs';
import { serveStatic } from './serve.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = resolve(arg('--out', join(here, '../../docs/img/web-demo.png')));
const epochs = arg('--epochs', '5');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: node scripts/ensure-chromium.js`);

const work = mkdtempSync(join(tmpdir(), 'simdnet-shot-'));
const { url, close } = await serveStatic(await buildWeb(join(work, 'site')));
const context = await chromium.launchPersistentContext(join(work, 'profile'), {
  executablePath,
  headless: true,
  viewport: { width: 1180, height: 1100 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  const idle = (s, timeout = 300_000) =>
    page.waitForFunction((want) => document.body.dataset.state === want, s, { timeout, polling: 100 });
  const status = async () => console.log(await page.locator('#status').textContent());
  await page.goto(url);
  await idle('ready', 60_000);
  await page.selectOption('#arch', 'cnn');
  await page.fill('#epochs', epochs);
  await page.click('#train');
  await idle('trained');
  await status();
  // A 7: a bar across the top and a stroke down to the lower left.
  const box = await page.locator('#pad').boundingBox();
  const pts = [
    [75, 60],
    [205, 60],
    [185, 110],
    [125, 240],
  ];
  await page.mouse.move(box.x + pts[0][0], box.y + pts[0][1]);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => document.getElementById('prediction').dataset.digit !== '');
  console.log(
    `drawn 7 predicted as ${await page.locator('#prediction').textContent()}: ${await page.locator('#model-info').textContent()}`,
  );
  for (const what of ['quantize', 'prune']) {
    await page.click(`#${what}`);
    await idle('trained', 120_000);
  }
  console.log((await page.locator('#compress-out').textContent()).trim());
  await page.click('#bench');
  await idle('trained', 120_000);
  console.log((await page.locator('#bench-out').textContent()).trim());
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await context.close();
  await close();
  rmSync(work, { recursive: true, force: true });
}
