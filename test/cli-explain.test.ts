/**
 * `oc-explain explain` on small runs (pixel features and an MLP): the written OC-DTD maps conserve
 * what their variant explains (plain: o(x)), o(x) reproduces the decision value in scores.csv
 * through f = νl·exp(−γ o) − ρ, and the hull's distance is bounded by the nearest inlier's.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli } from './helpers/run-cli.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'oc-explain-'));
});

describe.each([
  ['pixels', ['--features', 'pixels', '--normal', '0'], 1e-4],
  // a classifier learns from two or more normal classes
  ['mlp', ['--features', 'mlp', '--epochs', '1', '--normal', '0,6'], 1e-3],
])('explain on a %s run', (name, featureArgs, tolerance) => {
  let runDir: string;
  let outDir: string;
  let stdout: string;

  beforeAll(async () => {
    runDir = join(root, `run-${name}`);
    outDir = join(root, `explain-${name}`);
    const trained = await cli(
      'train',
      '--data',
      'mnist:0,6,8,limit=240',
      ...featureArgs,
      '--nu',
      '0.2',
      '--out',
      runDir,
    );
    expect(trained.code, trained.stderr).toBe(0);
    const explained = await cli('explain', runDir, '--top', '4', '--method', 'ocdtd,gi,nn,edge', '--out', outDir);
    expect(explained.code, explained.stderr).toBe(0);
    stdout = explained.stdout;
  });

  it('writes the top outliers, each method as NPY [N, 28, 28]', () => {
    const summary = JSON.parse(readFileSync(join(outDir, 'explain.json'), 'utf8'));
    const lowest = readScoresCsv(join(runDir, 'scores.csv'))
      .sort((a, b) => a.decision - b.decision)
      .slice(0, 4);
    expect(summary.samples.map((s: { index: number }) => s.index)).toEqual(lowest.map((s) => s.index));
    for (const method of ['ocdtd', 'gi', 'nn', 'edge']) {
      expect(readNpy(join(outDir, method, 'relevance.npy')).shape).toEqual([4, 28, 28]);
      for (const s of lowest) expect(existsSync(join(outDir, method, `sample-${s.index}.png`))).toBe(true);
    }
  });

  it('o(x) gives back the decision value, and the OC-DTD maps sum to the output their variant explains', () => {
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    const { gamma, rho, nFit, threshold } = config.models[0];
    const { nu } = config.svm;
    const summary = JSON.parse(readFileSync(join(outDir, 'explain.json'), 'utf8'));
    const maps = readNpy(join(outDir, 'ocdtd', 'relevance.npy')).data;
    expect(summary.ocdtd).toBe('hull');
    summary.samples.forEach((s: { outlierness: number; decision: number; explained: number }, k: number) => {
      const decision = nu * nFit * Math.exp(-gamma * s.outlierness) - rho;
      expect(Math.abs(decision - s.decision)).toBeLessThan(1e-4 * Math.max(1, Math.abs(s.decision)) + 1e-4 * rho);
      let sum = 0;
      for (let i = k * 784; i < (k + 1) * 784; i++) sum += maps[i];
      expect(s.explained).toBeGreaterThan(0);
      expect(Math.abs(sum - s.explained) / s.explained).toBeLessThan(tolerance);
      // every top outlier is beyond the threshold
      expect(s.outlierness).toBeGreaterThan(threshold);
    });
    expect(stdout).toMatch(/o\(x\) > θ ⇔ outlier/);
  });

  it("--ocdtd plain: the maps sum to the SVM's own o(x), the published conservation", async () => {
    const plainDir = join(root, `explain-${name}-plain`);
    const r = await cli('explain', runDir, '--top', '4', '--method', 'ocdtd', '--ocdtd', 'plain', '--out', plainDir);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(plainDir, 'explain.json'), 'utf8'));
    const maps = readNpy(join(plainDir, 'ocdtd', 'relevance.npy')).data;
    summary.samples.forEach((s: { outlierness: number }, k: number) => {
      let sum = 0;
      for (let i = k * 784; i < (k + 1) * 784; i++) sum += maps[i];
      expect(Math.abs(sum - s.outlierness) / s.outlierness).toBeLessThan(tolerance);
    });
  });

  if (name === 'pixels') {
    it('OC-DTD on pixels is non-negative', () => {
      const maps = readNpy(join(outDir, 'ocdtd', 'relevance.npy')).data;
      expect(Math.min(...maps)).toBeGreaterThanOrEqual(0);
    });

    it('the hull distance is at most the squared distance to the nearest inlier (whose hull it is)', () => {
      const summary = JSON.parse(readFileSync(join(outDir, 'explain.json'), 'utf8'));
      const nn = readNpy(join(outDir, 'nn', 'relevance.npy')).data;
      summary.samples.forEach((s: { explained: number }, k: number) => {
        let nearest = 0;
        for (let i = k * 784; i < (k + 1) * 784; i++) nearest += nn[i];
        expect(s.explained).toBeLessThanOrEqual(nearest * (1 + 1e-4));
        expect(s.explained).toBeGreaterThan(0);
      });
    });
  }
});

describe('explain --compress', () => {
  it('reports the largest change of o(x), and the explained o(x) stays within it of the exact one', async () => {
    const runDir = join(root, 'run-pixels');
    const out = join(root, 'explain-compressed');
    const { code, stdout, stderr } = await cli(
      'explain',
      runDir,
      '--top',
      '4',
      '--method',
      'ocdtd',
      '--ocdtd',
      'plain',
      '--compress',
      '6',
      '--out',
      out,
    );
    expect(code, stderr).toBe(0);
    const m =
      /compressed from (\d+) vectors to (\d+) prototypes: o\(x\) changes by at most ([\d.e+-]+) on the (\d+) training samples/.exec(
        stdout,
      );
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBe(6);
    const maxChange = Number(m![3]);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    const { gamma, rho, nFit } = config.models[0];
    const { nu } = config.svm;
    expect(Number(m![4])).toBe(nFit);
    const summary = JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8'));
    const maps = readNpy(join(out, 'ocdtd', 'relevance.npy')).data;
    summary.samples.forEach((s: { outlierness: number; decision: number }, k: number) => {
      // the exact o(x) from the uncompressed decision value: f = νl·exp(−γ o) − ρ
      const exact = -Math.log((s.decision + rho) / (nu * nFit)) / gamma;
      expect(Math.abs(s.outlierness - exact)).toBeLessThanOrEqual(maxChange * 1.0001 + 1e-3);
      let sum = 0;
      for (let i = k * 784; i < (k + 1) * 784; i++) sum += maps[i];
      expect(Math.abs(sum - s.outlierness) / s.outlierness).toBeLessThan(1e-4);
    });
  });
});

describe('explain: bad input', () => {
  it('unknown method, conflicting selections, out-of-range index: one message, nothing written', async () => {
    const runDir = join(root, 'run-pixels');
    const cases: Array<[string[], RegExp]> = [
      [['--method', 'ocdtd,magic'], /unknown outlier explanation method 'magic'/],
      [['--top', '3', '--index', '1'], /not both/],
      [['--index', '99999'], /not a sample index/],
      [['--composite', 'nonsense'], /unknown LRP method/],
      [['--compress', '0'], /--compress must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const out = join(root, 'bad-explain');
      const { code, stderr } = await cli('explain', runDir, ...args, '--out', out);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });
});
