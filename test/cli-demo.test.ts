/**
 * `oc-explain demo` on a tiny configuration (two digits, anomalies planted into 5 % of each): the
 * per-class run, the explanations of the top outliers of each class, the report with its planted
 * section and the printed summary; its areas equal those of `evaluate` on the same run; a second
 * call reuses the run, --fresh trains again; bad input stops with one message and writes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli, cliInProcess, errorLines, type CliResult } from './helpers/run-cli.ts';

const SMALL = [
  '--data',
  'mnist:0,1,limit=200,planted=0.05',
  '--epochs',
  '1',
  '--top',
  '5',
  '--report-top',
  '4',
  '--flip-top',
  '6',
  '--flip-steps',
  '8',
  '--ig-steps',
  '8',
  '--planted-rows',
  '3',
];
let root: string;
let out: string;
let first: CliResult;

beforeAll(async () => {
  await initRuntime({ quiet: true, backend: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'oc-demo-'));
  out = join(root, 'demo');
  first = await cli('demo', '--out', out, ...SMALL);
  expect(first.code, first.stderr).toBe(0);
}, 90_000);

/** method → mean area from a printed area table. */
function printedAreas(text: string): Record<string, number> {
  const areas: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(ocdtd|sa|gi|ig|nn|edge|random)\s+(\d\.\d{4})\s+\d\.\d{4}\s+(\d+)$/.exec(line.trim());
    if (m) areas[m[1]] = Number(m[2]);
  }
  return areas;
}

describe('oc-explain demo', () => {
  it('writes the run, the explanations of the top outliers and the report', () => {
    expect(readdirSync(out).sort()).toEqual(['explain', 'oc-explain-output.json', 'report.html', 'run']);
    const scores = readScoresCsv(join(out, 'run', 'scores.csv'));
    const topOf = (label: string) =>
      scores
        .filter((s) => s.label === label)
        .sort((a, b) => a.decision - b.decision || a.index - b.index)
        .slice(0, 5);
    const explained = JSON.parse(readFileSync(join(out, 'explain', 'explain.json'), 'utf8'));
    expect(explained.samples.map((s: any) => s.index)).toEqual([...topOf('0'), ...topOf('1')].map((s) => s.index));
    expect(readdirSync(join(out, 'explain')).sort()).toEqual([
      'edge',
      'explain.json',
      'gi',
      'ig',
      'inputs',
      'nn',
      'oc-explain-output.json',
      'ocdtd',
      'sa',
    ]);
    const page = readFileSync(join(out, 'report.html'), 'utf8');
    for (const id of ['run', 'outliers', 'planted', 'flipping', 'masks'])
      expect(page).toContain(`<section id="${id}">`);
    // 4 of each class, then the 3 best-ranked planted samples (their maps scored against the masks: the table only)
    expect(page.match(/class="outlier-row"/g)!.length).toBe(4 + 4 + 3);
    expect(page.match(/class="group-row"/g)!.length).toBe(2);
  });

  it('prints the top outliers, the area table with the random floor, the step times and the report path', () => {
    expect(first.stdout).toContain('top 5 outliers of each class');
    expect(first.stdout).toMatch(/ROC AUC planted vs untouched \(mean over the classes\): \d\.\d{3}/);
    expect(Object.keys(printedAreas(first.stdout)).sort()).toEqual(['edge', 'gi', 'ig', 'nn', 'ocdtd', 'random', 'sa']);
    for (const step of ['train', 'explain 12 outliers', 'pixel flipping of 12 outliers', 'report', 'total'])
      expect(first.stdout).toContain(step);
    expect(first.stdout.trim().split('\n').at(-1)).toBe(`report: ${join(out, 'report.html')}`);
  });

  it('its areas equal those of evaluate on the same run and settings', async () => {
    const r = await cliInProcess('evaluate', join(out, 'run'), '--top', '6', '--steps', '8', '--ig-steps', '8');
    expect(r.code, r.stderr).toBe(0);
    const demo = printedAreas(first.stdout);
    const evaluated = printedAreas(r.stdout);
    for (const method of ['ocdtd', 'sa', 'gi', 'ig', 'nn', 'edge'])
      expect(Math.abs(demo[method] - evaluated[method]), method).toBeLessThanOrEqual(2e-4);
  });

  it('reuses a run trained with the same settings, and trains again with --fresh', async () => {
    const created = () => JSON.parse(readFileSync(join(out, 'run', 'config.json'), 'utf8')).createdAt;
    const before = created();
    const again = await cliInProcess('demo', '--out', out, ...SMALL);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('train (reused)');
    expect(created()).toBe(before);
    const fresh = await cliInProcess('demo', '--out', out, '--fresh', ...SMALL);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).not.toContain('train (reused)');
    expect(created()).not.toBe(before);
  }, 120_000); // two whole demos: generous for a busy machine
});

describe('oc-explain demo: bad input', () => {
  it.each([
    [['--top', '0'], '--top must be a whole number ≥ 1'],
    [['--data', 'mnist:3,limit=40', '--features', 'cnn', '--epochs', '1'], "has only one class ('3')"],
    [['--data', 'mnist:planted=0.9'], 'planted must be a share of the samples in (0, 0.5]'],
  ])('%j → one message, nothing written', async (args, message) => {
    const bad = join(root, 'bad');
    const r = await cliInProcess('demo', '--out', bad, ...args);
    expect(r.code).not.toBe(0);
    // progress lines may come first; the failure is one 'oc-explain:' message and no stack trace
    const lines = errorLines(r).filter((l) => l.startsWith('oc-explain:'));
    expect(lines.length, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(lines[0]).toContain(message);
    expect(existsSync(bad)).toBe(false);
  });
});
