/**
 * The generated report in a real headless Chromium: loads from file:// without errors or requests
 * that fail, shows every image, and the hover read-out gives a heat-map pixel's exact value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { initRuntime } from '../src/runtime/runtime.ts';
import type { ReportData } from '../src/report/report-data.ts';
import { writeReport } from '../src/report/report.ts';
import { SIDE, syntheticReport } from './report-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let context: BrowserContext;
let page: Page | undefined;
let data: ReportData;
const problems: string[] = [];
const MISSING = `the browser test needs Chromium at ${CHROMIUM}, which is missing: install it with 'apt-get install -y chromium' (.ci/run does this)`;

/** Every test fails (not skips) with the install hint when Chromium is missing. */
function openPage(): Page {
  if (!page) throw new Error(MISSING);
  return page;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  await initRuntime({ quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'oc-report-browser-'));
  data = await syntheticReport('<script>alert(1)</script>');
  await writeReport(join(dir, 'report.html'), data);
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1200, height: 900 },
  });
  const p = context.pages()[0] ?? (await context.newPage());
  page = p;
  p.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} ${r.failure()?.errorText}`));
  p.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await p.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
});

afterAll(async () => {
  await context?.close();
  // the report and its screenshot stay in the temp folder for a look; the browser profile goes
  if (dir) await rm(join(dir, 'profile'), { recursive: true, force: true });
});

describe('report in headless Chromium', () => {
  it('loads with no console error, no failed request, no dialog, and every image has a size', async () => {
    const page = openPage();
    const sizes = await page.$$eval('img', (imgs) => imgs.map((i) => [i.naturalWidth, i.naturalHeight]));
    expect(sizes.length).toBe(27);
    for (const [w, h] of sizes) {
      expect(w).toBeGreaterThan(0);
      expect(h).toBeGreaterThan(0);
    }
    expect(await page.locator('script').count()).toBe(2);
    expect(problems).toEqual([]);
  });

  it('hovering a heat-map pixel shows its exact value and the sample index', async () => {
    const page = openPage();
    const row = 1;
    const [r, c] = [5, 2];
    const img = page.locator(`#outliers img.heat[data-index="${data.outliers[row].index}"][data-method="OC-DTD"]`);
    await img.scrollIntoViewIfNeeded();
    const box = (await img.boundingBox())!;
    await page.mouse.move(box.x + ((c + 0.5) * box.width) / SIDE, box.y + ((r + 0.5) * box.height) / SIDE);
    const tip = page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = await tip.innerText();
    const expected = data.outliers[row].maps.find((m) => m.method === 'OC-DTD')!.values[r * SIDE + c];
    expect(await tip.locator('.tip-index').innerText()).toBe(String(data.outliers[row].index));
    expect(await tip.locator('.tip-pixel').innerText()).toBe(`${r}, ${c}`);
    expect(await tip.locator('.tip-method').innerText()).toBe('OC-DTD');
    expect(Math.fround(Number(await tip.locator('.tip-value').innerText()))).toBe(expected);
    expect(text).toContain(`sample ${data.outliers[row].index}`);

    await page.mouse.move(2, 2);
    await expect.poll(() => tip.isVisible()).toBe(false);
    expect(problems).toEqual([]);
  });

  it('saves a screenshot', async () => {
    const page = openPage();
    const path = join(dir, 'report.png');
    await page.screenshot({ path, fullPage: true });
    expect((await stat(path)).size).toBeGreaterThan(0);
    const png = PNG.sync.read(await readFile(path));
    expect(png.width).toBe(1200);
    expect(png.height).toBeGreaterThan(900);
    console.log(`report screenshot: ${path}`);
  });
});
