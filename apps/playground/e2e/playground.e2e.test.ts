// Drives the built page in headless Chromium: backend chosen and shown, curves drawn, a bad
// formula refused and a good one trained, the toy training with a falling loss and moving
// points, no request leaving the origin, no page errors, both layouts. Saves the README
// screenshots. One build (reused while it is newer than every source it was made from), one
// browser, one page for the whole run.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
/** Steps the toy trains before its loss and points are judged: enough for a clear trend. */
const TRAIN_STEPS = 150;
/** Steps the custom margin trains: enough to show that it trains at all. */
const CUSTOM_STEPS = 20;

if (!hasChromium) {
  console.warn(`[playground e2e] skipped: ${CHROMIUM} is absent (apt-get install -y chromium to run it)`);
}

/** Newest modification time under `path` (ms). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

/** Everything the bundle is made from: the app and the workspace libraries it bundles from source. */
const BUILD_INPUTS = [
  join(APP, 'src'),
  join(APP, 'index.html'),
  join(APP, 'vite.config.ts'),
  join(APP, 'package.json'),
  ...['core', 'margins', 'backend', 'data', 'trainer'].flatMap((name) => [join(REPO, 'packages', name, 'src'), join(REPO, 'packages', name, 'package.json')]),
];

/** A step counter the page keeps on the toy's status line. */
const stepOf = (page: Page): Promise<number> => page.$eval('[data-testid=toy-status]', (el) => Number((el as HTMLElement).dataset.step ?? -1));
const waitForStep = (page: Page, step: number, timeout = 60_000) =>
  page.waitForFunction((n) => Number((document.querySelector('[data-testid=toy-status]') as HTMLElement).dataset.step ?? -1) >= n, step, { timeout });

describe.skipIf(!hasChromium)('playground in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // `pnpm test` builds first (turbo: test depends on build); a lone run builds when stale.
    const index = join(DIST, 'index.html');
    if (!existsSync(index) || statSync(index).mtimeMs < Math.max(...BUILD_INPUTS.map(newest))) {
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

  it('bundles only browser code: every import is a chunk of the build', () => {
    const assets = join(DIST, 'assets');
    const specifiers = readdirSync(assets)
      .filter((file) => file.endsWith('.js'))
      .flatMap((file) => {
        const code = readFileSync(join(assets, file), 'utf8');
        // The minifier writes specifiers in double quotes: `from"./x.js"`, `import("./x.js")`.
        const imports = [...code.matchAll(/\b(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((match) => `${file}: ${match[1]}`);
        const builtins = [...code.matchAll(/["'`](node:[a-z_/]+)/g)].map((match) => `${file}: ${match[1]}`);
        return [...imports, ...builtins];
      });
    expect(specifiers.length).toBeGreaterThan(3);
    // No bare package names, no node: built-ins: a static host has nothing to resolve them.
    expect(specifiers.filter((entry) => !/: \.\.?\//.test(entry))).toEqual([]);
  });

  it('chooses a backend at run time and shows it with the reason', async () => {
    await page.waitForFunction(() => document.querySelector('[data-testid=backend-name]')?.textContent !== '…', undefined, { timeout: 60_000 });
    const name = await page.textContent('[data-testid=backend-name]');
    expect(['WEBGL', 'WASM']).toContain(name);
    const attempts = (await page.getAttribute('[data-testid=backend-reason]', 'title')) ?? '';
    console.info(`[playground e2e] backend ${name}:\n${attempts}`);
    expect((await page.textContent('[data-testid=backend-reason]'))?.length).toBeGreaterThan(5);
    // The report of @arcface/backend's selectBackend: every browser candidate, one chosen.
    expect(attempts).toMatch(/webgpu\s+(skipped|failed)/);
    expect(attempts).toMatch(new RegExp(`✓ ${name?.toLowerCase()}\\s+chosen`));
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
    // checkMargin's verdicts: the built-ins at their defaults pass.
    expect(await page.textContent('[data-testid=verdict-additive-angular]')).toContain('passes');
    await page.selectOption('[data-testid=param-arcBoundary]', 'none');
    await expect.poll(() => page.textContent('[data-testid=verdict-additive-angular]')).toMatch(/fails .*monotone/);
    await page.selectOption('[data-testid=param-arcBoundary]', 'thmm');
    await expect.poll(() => page.textContent('[data-testid=verdict-additive-angular]')).toContain('passes');
  });

  it("shows the toy's 8 people, rendered in the worker by @arcface/data", async () => {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=toy-faces] canvas').length === 8, undefined, { timeout: 60_000 });
    const images = await page.$$eval('[data-testid=toy-faces] canvas', (canvases) =>
      canvases.map((canvas) => {
        const { data } = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height);
        return Array.from({ length: data.length / 4 }, (_, p) => (data[p * 4]! + data[p * 4 + 1]! + data[p * 4 + 2]!) / 3);
      }),
    );
    const spread = (values: number[]) => Math.sqrt(values.reduce((a, v) => a + (v - values.reduce((b, w) => b + w, 0) / values.length) ** 2, 0) / values.length);
    for (const image of images) {
      expect(image.length).toBe(16 * 16);
      // A face on a grey backdrop, not a blank canvas.
      expect(spread(image)).toBeGreaterThan(10);
    }
    // Eight different people.
    for (let a = 0; a < 8; a += 1) {
      for (let b = a + 1; b < 8; b += 1) {
        const difference = images[a]!.reduce((sum, v, p) => sum + Math.abs(v - images[b]![p]!), 0) / images[a]!.length;
        expect(difference, `${a}–${b}`).toBeGreaterThan(2);
      }
    }
  });

  it('refuses a bad formula with an error, judges a valid one, registers it and trains it', async () => {
    await page.waitForFunction(() => !(document.querySelector('[data-testid=toy-start]') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
    await page.fill('[data-testid=custom-formula]', 'cos(θ + ');
    await expect.poll(() => page.isVisible('[data-testid=custom-error]')).toBe(true);
    expect(await page.textContent('[data-testid=custom-error]')).toMatch(/ends too early/);
    expect(await page.isDisabled('[data-testid=custom-register]')).toBe(true);
    await page.fill('[data-testid=custom-formula]', 'alert(1)');
    expect(await page.textContent('[data-testid=custom-error]')).toMatch(/not a known name/);
    // Parses, but rises past 90°: checkMargin says where.
    await page.fill('[data-testid=custom-formula]', 'cos(2θ)');
    expect(await page.textContent('[data-testid=custom-verdict]')).toMatch(/✗ checkMargin: monotone fails at θ = 90\.\d°/);

    await page.fill('[data-testid=custom-name]', 'sine-margin');
    await page.fill('[data-testid=custom-formula]', 'cos(θ + m·sin(θ)) − 0.05');
    expect(await page.isVisible('[data-testid=custom-error]')).toBe(false);
    expect(await page.textContent('[data-testid=custom-verdict]')).toMatch(/✓ checkMargin/);
    const customPath = parsePath((await page.getAttribute('[data-testid=custom-curve-svg] path[data-series=sine-margin]', 'd')) ?? '').flat();
    expect(customPath.length).toBeGreaterThan(150);
    await page.click('[data-testid=custom-register]');
    expect(await page.$eval('[data-testid=toy-margin]', (el) => (el as HTMLSelectElement).value)).toBe('sine-margin');
    expect(await page.$$eval('[data-testid=target-logits-svg] path[data-series=sine-margin]', (els) => els.length)).toBe(1);
    await waitForStep(page, CUSTOM_STEPS);
    expect(await page.textContent('[data-testid=toy-margin-plot-svg] text')).toContain('sine-margin');
    const loss = Number((await page.textContent('[data-testid=toy-stats-margin] [data-stat=loss]'))?.replace('−', '-'));
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
  });

  it(`trains the toy ${TRAIN_STEPS} steps: loss falls and the points move`, { timeout: 120_000 }, async () => {
    // Back to ArcFace: a new run from the same start, drawn before its first step.
    await page.selectOption('[data-testid=toy-margin]', 'additive-angular');
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid=toy-status]') as HTMLElement).dataset.step === '0' &&
        (document.querySelector('[data-testid=toy-margin-plot-svg] text')?.textContent ?? '').includes('additive-angular') &&
        !(document.querySelector('[data-testid=toy-start]') as HTMLButtonElement).disabled,
      undefined,
      { timeout: 60_000 },
    );
    const positions = () => page.$$eval('[data-testid=toy-margin-plot-svg] circle[data-label]', (els) => els.map((el) => [Number(el.getAttribute('cx')), Number(el.getAttribute('cy'))]));
    const before = await positions();
    const started = Date.now();
    await page.click('[data-testid=toy-start]');
    await waitForStep(page, TRAIN_STEPS, 90_000);
    await page.click('[data-testid=toy-pause]');
    console.info(`[playground e2e] ${await stepOf(page)} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const after = await positions();
    expect(after.length).toBe(before.length);
    expect(after.length).toBeGreaterThan(100);
    const moved = after.filter((p, i) => Math.hypot(p[0]! - before[i]![0]!, p[1]! - before[i]![1]!) > 2).length;
    expect(moved).toBeGreaterThan(after.length / 2);
    for (const series of ['baseline', 'margin']) {
      const d = await page.getAttribute(`[data-testid=toy-loss-svg] path[data-series=${series}]`, 'd');
      const points = parsePath(d ?? '').flat();
      expect(points.length).toBeGreaterThanOrEqual(TRAIN_STEPS);
      // y grows downwards: a falling loss ends lower on the page than it started.
      const head = points.slice(20, 40).reduce((a, p) => a + p[1], 0) / 20;
      const tail = points.slice(-20).reduce((a, p) => a + p[1], 0) / 20;
      expect(tail, series).toBeGreaterThan(head + 5);
    }
    expect(await page.textContent('[data-testid=toy-stats-margin] [data-stat=gap]')).toMatch(/°/);
  });

  it('is usable at 1280×800 and 390×844, and saves both screenshots', async () => {
    mkdirSync(IMAGES, { recursive: true });
    // Nothing wider than the window at either size: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.evaluate(() => document.getElementById('toy')?.scrollIntoView());
    await page.screenshot({ path: join(IMAGES, 'playground-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // The controls stay on screen and reachable: the backend switch and the first slider.
    for (const id of ['backend-select', 'param-s']) {
      const box = await page.locator(`[data-testid=${id}]`).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.x, id).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, id).toBeLessThanOrEqual(390);
    }
    await page.screenshot({ path: join(IMAGES, 'playground-mobile.png') });
  });

  it('switches the backend from the page', async () => {
    await page.selectOption('[data-testid=backend-select]', 'cpu');
    await page.waitForFunction(() => document.querySelector('[data-testid=backend-name]')?.textContent === 'CPU', undefined, { timeout: 60_000 });
    expect(await page.textContent('[data-testid=backend-reason]')).toBe('forced from the page');
    expect(await page.getAttribute('[data-testid=backend-reason]', 'title')).toMatch(/✓ cpu\s+chosen/);
  });

  it('made no request outside its origin and threw no page errors', () => {
    const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(requests.some((url) => url.endsWith('.wasm')) || requests.length > 3).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The toy on WebGPU: Chromium's SwiftShader gives the page an adapter on any machine, and both
 * sides then train through the compiled step (one submission per step), shown on the status line.
 */
describe.skipIf(!hasChromium)('playground on WebGPU (SwiftShader) in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const index = join(DIST, 'index.html');
    if (!existsSync(index) || statSync(index).mtimeMs < Math.max(...BUILD_INPUTS.map(newest))) {
      await build({ root: APP, configFile: join(APP, 'vite.config.ts'), logLevel: 'warn' });
    }
    server = await serveStatic(DIST);
    userDataDir = mkdtempSync(join(tmpdir(), 'playground-webgpu-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=native', '--disable-vulkan-surface', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.origin}/`);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('trains the toy through the compiled WebGPU step on both sides', { timeout: 180_000 }, async () => {
    const adapter = await page.evaluate(async () => ((navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu ? (await (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu.requestAdapter()) !== null : false));
    if (!adapter) {
      console.warn('[playground e2e] WebGPU test skipped: Chromium offers no WebGPU adapter here');
      return;
    }
    await page.selectOption('[data-testid=backend-select]', 'webgpu');
    await page.waitForFunction(() => /webgpu/i.test(document.querySelector('[data-testid=backend-name]')?.textContent ?? ''), undefined, { timeout: 90_000 });
    await page.waitForFunction(() => !(document.querySelector('[data-testid=toy-start]') as HTMLButtonElement).disabled, undefined, { timeout: 90_000 });
    await page.click('[data-testid=toy-start]');
    await waitForStep(page, 40, 150_000);
    await page.click('[data-testid=toy-pause]');
    const status = await page.$eval('[data-testid=toy-status]', (el) => ({ text: el.textContent ?? '', compiled: (el as HTMLElement).dataset.compiled }));
    expect(status.compiled).toBe('2');
    expect(status.text).toMatch(/both sides on the compiled WebGPU step/);
    expect(pageErrors).toEqual([]);
  });
});
