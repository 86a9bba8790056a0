// Drives the built page in headless Chromium: backend chosen and shown, curves drawn, the toy
// training with a falling loss and moving points, a bad formula refused and a good one trained,
// no request leaving the origin. Saves the README screenshots.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePath } from '../src/plot/line-path';
import { serveStatic } from './static-server';

const CHROMIUM = '/usr/bin/chromium';
const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(APP, '../..');
const DIST = join(APP, 'dist');
const IMAGES = join(REPO, 'docs', 'images');
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`[playground e2e] skipped: ${CHROMIUM} is absent (apt-get install -y chromium to run it)`);
}

/** Newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

describe.skipIf(!hasChromium)('playground in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Rebuild unless dist is newer than every source the build reads.
    const sources = Math.max(newest(join(APP, 'src')), statSync(join(APP, 'index.html')).mtimeMs, statSync(join(APP, 'vite.config.ts')).mtimeMs);
    if (!existsSync(join(DIST, 'index.html')) || statSync(join(DIST, 'index.html')).mtimeMs < sources) {
      await build({ root: APP, configFile: join(APP, 'vite.config.ts'), logLevel: 'warn' });
    }
    server = await serveStatic(DIST);
    userDataDir = mkdtempSync(join(tmpdir(), 'playground-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    context.on('request', (request) => requests.push(request.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.origin}/`);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('chooses a backend at run time and shows it with the reason', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid=backend-name]')?.textContent !== '…', undefined, { timeout: 60_000 });
    const name = await page.textContent('[data-testid=backend-name]');
    expect(['WEBGL', 'WASM']).toContain(name);
    console.info(`[playground e2e] backend ${name}: ${await page.getAttribute('[data-testid=backend-reason]', 'title')}`);
    expect((await page.textContent('[data-testid=backend-reason]'))?.length).toBeGreaterThan(5);
  });

  it('draws a target-logit curve for every registered margin, ArcFace below cos θ', async () => {
    const paths = await page.$$eval('[data-testid=target-logits-svg] path[data-series]', (els) => els.map((el) => [el.getAttribute('data-series'), el.getAttribute('d')] as const));
    const byName = new Map(paths);
    for (const name of ['additive-angular', 'additive-cosine', 'multiplicative-angular', 'combined', 'softmax-normalized', 'cos']) {
      expect(byName.has(name), name).toBe(true);
      const points = parsePath(byName.get(name) ?? '').flat();
      expect(points.length, name).toBeGreaterThan(150);
      // A drawn curve spans the plot: its y pixels are not all the same.
      expect(Math.max(...points.map((p) => p[1])) - Math.min(...points.map((p) => p[1])), name).toBeGreaterThan(50);
    }
    const arc = parsePath(byName.get('additive-angular') ?? '').flat();
    const cos = parsePath(byName.get('cos') ?? '').flat();
    const at = (points: [number, number][], x: number) => points.reduce((best, p) => (Math.abs(p[0] - x) < Math.abs(best[0] - x) ? p : best));
    const middle = (Math.min(...cos.map((p) => p[0])) + Math.max(...cos.map((p) => p[0]))) / 2;
    // SVG y grows downwards: a target below cos θ is drawn lower.
    expect(at(arc, middle)[1]).toBeGreaterThan(at(cos, middle)[1] + 10);
    const verdicts = await page.textContent('[data-testid=verdicts]');
    expect(verdicts).toContain('passes');
  });

  it('trains the toy: loss falls and the points move', { timeout: 120_000 }, async () => {
    await page.waitForFunction(() => !(document.querySelector('[data-testid=toy-start]') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
    const before = await page.$$eval('[data-testid=toy-margin-plot-svg] circle[data-label]', (els) => els.map((el) => [Number(el.getAttribute('cx')), Number(el.getAttribute('cy'))]));
    await page.click('[data-testid=toy-start]');
    await page.waitForFunction(() => Number((document.querySelector('[data-testid=toy-status]') as HTMLElement).dataset.step ?? 0) >= 300, undefined, { timeout: 90_000 });
    console.info(`[playground e2e] ${await page.textContent('[data-testid=toy-status]')}`);
    await page.click('[data-testid=toy-pause]');
    const after = await page.$$eval('[data-testid=toy-margin-plot-svg] circle[data-label]', (els) => els.map((el) => [Number(el.getAttribute('cx')), Number(el.getAttribute('cy'))]));
    expect(after.length).toBe(before.length);
    const moved = after.filter((p, i) => Math.hypot(p[0]! - before[i]![0]!, p[1]! - before[i]![1]!) > 2).length;
    expect(moved).toBeGreaterThan(after.length / 2);
    for (const series of ['baseline', 'margin']) {
      const d = await page.getAttribute(`[data-testid=toy-loss-svg] path[data-series=${series}]`, 'd');
      const points = parsePath(d ?? '').flat();
      expect(points.length).toBeGreaterThan(200);
      // y grows downwards: a falling loss ends lower on the page than it started.
      const head = points.slice(20, 40).reduce((a, p) => a + p[1], 0) / 20;
      const tail = points.slice(-20).reduce((a, p) => a + p[1], 0) / 20;
      expect(tail, series).toBeGreaterThan(head + 5);
    }
    const gap = await page.textContent('[data-testid=toy-stats-margin] [data-stat=gap]');
    expect(gap).toMatch(/°/);
  });

  it('refuses a bad formula with an error, then registers a good one and trains it', async () => {
    await page.fill('[data-testid=custom-formula]', 'cos(θ + ');
    await expect.poll(() => page.isVisible('[data-testid=custom-error]')).toBe(true);
    expect(await page.textContent('[data-testid=custom-error]')).toMatch(/ends too early/);
    expect(await page.isDisabled('[data-testid=custom-register]')).toBe(true);
    await page.fill('[data-testid=custom-formula]', 'alert(1)');
    expect(await page.textContent('[data-testid=custom-error]')).toMatch(/not a known name/);

    await page.fill('[data-testid=custom-name]', 'e2e-margin');
    await page.fill('[data-testid=custom-formula]', 'cos(θ + 0.6m) − 0.1');
    expect(await page.isVisible('[data-testid=custom-error]')).toBe(false);
    expect(await page.textContent('[data-testid=custom-verdict]')).toMatch(/checkMargin/);
    const customPath = parsePath((await page.getAttribute('[data-testid=custom-curve-svg] path[data-series=e2e-margin]', 'd')) ?? '').flat();
    expect(customPath.length).toBeGreaterThan(150);
    await page.click('[data-testid=custom-register]');
    expect(await page.$eval('[data-testid=toy-margin]', (el) => (el as HTMLSelectElement).value)).toBe('e2e-margin');
    expect(await page.$$eval('[data-testid=target-logits-svg] path[data-series=e2e-margin]', (els) => els.length)).toBe(1);
    await page.waitForFunction(() => Number((document.querySelector('[data-testid=toy-status]') as HTMLElement).dataset.step ?? 0) >= 60, undefined, { timeout: 60_000 });
    expect(await page.textContent('[data-testid=toy-margin-plot-svg] text')).toContain('e2e-margin');
    const loss = await page.textContent('[data-testid=toy-stats-margin] [data-stat=loss]');
    expect(Number(loss?.replace('−', '-'))).toBeGreaterThan(0);
  });

  it('saves screenshots at 1280×800 and 390×844, usable at both sizes', async () => {
    mkdirSync(IMAGES, { recursive: true });
    await page.waitForFunction(() => Number((document.querySelector('[data-testid=toy-status]') as HTMLElement).dataset.step ?? 0) >= 200, undefined, { timeout: 60_000 });
    await page.click('[data-testid=toy-pause]');
    await page.evaluate(() => document.getElementById('curves')?.scrollIntoView());
    await page.screenshot({ path: join(IMAGES, 'playground-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    // Nothing wider than the phone's screen: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(IMAGES, 'playground-mobile.png') });
  });

  it('made no request outside its origin and threw no page errors', () => {
    const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(requests.some((url) => url.endsWith('.wasm')) || requests.length > 3).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
