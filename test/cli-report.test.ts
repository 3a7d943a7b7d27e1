/**
 * `oc-explain report` end to end on a tiny labelled PNG data set whose class names are HTML
 * (an MLP run, so every section exists): the file has every section, the run facts of config.json,
 * the top outliers in order with every method (OC-DTD first), decodable images only, class names
 * escaped; bad input stops with one message and leaves no file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { D3Node } from 'd3-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { formatNumber } from '../src/report/html.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli, cliInProcess, errorLines, type CliResult } from './helpers/run-cli.ts';
import { encodeRawPng } from './helpers/raw-png.ts';
import { seededRandom } from './helpers/ocsvm-reference.ts';

const RING = '<x-ring>o';
const BAR = `bar&"q'`;
const SIDE = 12;
let root: string;
let runDir: string;
let reportPath: string;
let reported: CliResult;
let page: string;
let doc: Document;

/** 24 noisy rings, 24 noisy vertical bars and 24 noisy dots, 12 × 12 grey, one folder per class. */
function writeImages(dir: string): void {
  const random = seededRandom(7);
  for (const [name, inside] of [
    [RING, (r: number, c: number) => Math.abs(Math.hypot(r - 5.5, c - 5.5) - 4) < 1.2],
    [BAR, (_r: number, c: number) => c >= 5 && c <= 6],
    ['dot', (r: number, c: number) => Math.hypot(r - 5.5, c - 5.5) < 2],
  ] as const) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let n = 0; n < 24; n++) {
      const bytes = new Uint8Array(SIDE * SIDE);
      for (let r = 0; r < SIDE; r++)
        for (let c = 0; c < SIDE; c++)
          bytes[r * SIDE + c] = Math.min(255, (inside(r, c) ? 200 : 0) + Math.floor(random() * 50));
      writeFileSync(join(dir, name, `img-${n}.png`), encodeRawPng(SIDE, SIDE, 0, bytes));
    }
  }
}

beforeAll(async () => {
  await initRuntime({ quiet: true, backend: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'oc-report-'));
  writeImages(join(root, 'images'));
  runDir = join(root, 'run');
  const trained = await cli(
    'train',
    '--data',
    `png:${join(root, 'images')}`,
    '--features',
    'mlp',
    '--epochs',
    '1',
    '--normal',
    `${RING},${BAR}`, // a classifier learns from two or more normal classes
    '--nu',
    '0.2',
    '--out',
    runDir,
  );
  expect(trained.code, trained.stderr).toBe(0);
  reportPath = join(root, 'out', 'report.html');
  reported = await cli(
    'report',
    runDir,
    '--out',
    reportPath,
    '--top',
    '4',
    '--classifier-samples',
    '3',
    '--clusters',
    '2',
    '--steps',
    '8',
  );
  expect(reported.code, reported.stderr).toBe(0);
  page = readFileSync(reportPath, 'utf8');
  doc = new D3Node({ container: page }).document;
}, 120_000);

describe('oc-explain report', () => {
  it('prints the path and writes one file, nothing half-written beside it', () => {
    expect(reported.stdout.trim()).toBe(reportPath);
    expect(readdirSync(join(root, 'out'))).toEqual(['report.html']);
  });

  it('has every section and the run facts of config.json', () => {
    for (const id of ['run', 'outliers', 'flipping', 'classifier', 'clusters'])
      expect(doc.getElementById(id), id).not.toBeNull();
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    const facts = Object.fromEntries(
      [...doc.querySelectorAll('#run tr')].map((tr) => [
        tr.querySelector('th')!.textContent,
        tr.querySelector('td')!.textContent,
      ]),
    );
    expect(facts['ROC AUC']).toBe(formatNumber(config.rocAuc));
    expect(facts['training time']).toBe(
      `${formatNumber(config.featureNetworks[0].trainSeconds + config.models[0].fitSeconds, 3)} s`,
    );
    expect(facts['support vectors']).toBe(String(config.models[0].nSupport));
    expect(facts['normal classes']).toBe(`${RING}, ${BAR}`);
  });

  it('shows the top outliers in order with every method, OC-DTD first', () => {
    const headers = [...doc.querySelectorAll('#outliers th')].map((th) => th.textContent);
    expect(headers).toEqual(['sample', 'image', 'ocdtd', 'sa', 'gi', 'ig', 'nn', 'edge']);
    const top = readScoresCsv(join(runDir, 'scores.csv'))
      .sort((a, b) => a.decision - b.decision || a.index - b.index)
      .slice(0, 4);
    const rows = [...doc.querySelectorAll('#outliers tr.outlier-row')];
    expect(rows.map((r) => Number(/#(\d+)/.exec(r.textContent!)![1]))).toEqual(top.map((s) => s.index));
    rows.forEach((row) => expect(row.querySelectorAll('img.heat').length).toBe(6));
    // the per-sample flipping areas are labelled by sample index, the flipped samples being these outliers
    const perSample = [...doc.querySelectorAll('#flipping details th')].slice(1).map((th) => th.textContent);
    expect(perSample).toEqual(top.map((s) => `#${s.index}`));
    expect(doc.querySelectorAll('.cluster').length).toBe(2);
    expect(doc.querySelectorAll('#classifier tr.classifier-row').length).toBeGreaterThan(0);
  });

  it('every image is a PNG data URI that decodes to its declared size', () => {
    const images = [...doc.querySelectorAll('img')];
    expect(images.length).toBeGreaterThan(40);
    for (const img of images) {
      const src = img.getAttribute('src')!;
      expect(src.startsWith('data:image/png;base64,')).toBe(true);
      const png = PNG.sync.read(Buffer.from(src.slice('data:image/png;base64,'.length), 'base64'));
      expect([png.width, png.height]).toEqual([Number(img.getAttribute('width')), Number(img.getAttribute('height'))]);
    }
  });

  it('class names are escaped: shown as text, never as markup', () => {
    expect(page).not.toContain(RING);
    expect(page).not.toContain(BAR);
    expect(doc.querySelectorAll('x-ring').length).toBe(0);
    expect(doc.body.textContent).toContain(RING);
    expect(doc.body.textContent).toContain(BAR);
  });
});

describe('oc-explain report: bad input', () => {
  it.each([
    [['--clusters', '1'], '--clusters must be a whole number ≥ 2'],
    [['--methods', 'ocdtd,wild'], "unknown outlier explanation method 'wild'"],
    [['--classifier-methods', 'lrp:wild'], "unknown LRP method 'lrp:wild'"],
    [['--top', '0'], '--top must be a whole number ≥ 1'],
    [['--clusters', '100000'], '--clusters 100000: the run has only'],
  ])('%j → one message, no file', async (args, message) => {
    const out = join(root, 'bad', 'report.html');
    const r = await cliInProcess('report', runDir, '--out', out, ...args);
    expect(r.code).not.toBe(0);
    const lines = errorLines(r);
    expect(lines.length, r.stderr).toBe(1);
    expect(lines[0]).toContain(message);
    expect(existsSync(join(root, 'bad'))).toBe(false);
  });

  it('a missing run folder → one message, no file', async () => {
    const r = await cliInProcess('report', join(root, 'nowhere'), '--out', join(root, 'bad.html'));
    expect(r.code).not.toBe(0);
    expect(errorLines(r).length).toBe(1);
    expect(existsSync(join(root, 'bad.html'))).toBe(false);
  });
});
