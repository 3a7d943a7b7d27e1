/**
 * The train and outliers commands end to end on a small pixel run: the run folder's scores equal
 * the saved SVM's decision values, the AUC equals a brute-force pair count, and bad options stop
 * with one message and no run folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/data-spec.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli } from './helpers/run-cli.ts';

const DATA = 'mnist:0,6,limit=240';
let root: string;
let runDir: string;
let trainOutput: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-train-'));
  runDir = join(root, 'run');
  trainOutput = await cli(
    'train',
    '--data',
    DATA,
    '--features',
    'pixels',
    '--normal',
    '0',
    '--nu',
    '0.2',
    '--out',
    runDir,
  );
});

describe('oc-explain train', () => {
  it('writes a complete run folder and nothing else', () => {
    expect(trainOutput.code, trainOutput.stderr).toBe(0);
    expect(readdirSync(runDir).sort()).toEqual(['config.json', 'oc-explain-output.json', 'ocsvm.json', 'scores.csv']);
    expect(readdirSync(root)).toEqual(['run']);
  });

  it('scores every sample with the decision function of the saved SVM, fitted on the normal class only', () => {
    const ds = loadDataset(DATA);
    const svm = OneClassSVM.load(join(runDir, 'ocsvm.json'));
    const zeros = Array.from(ds.labels!).filter((l) => l === 0).length;
    expect(svm.nTrain).toBe(zeros);
    // Σ_j α_j exp(−γ‖x − u_j‖²) − ρ by plain loops, in float64
    const sv = svm.supportVectors;
    const expected = Array.from({ length: ds.n }, (_, i) => {
      let sum = 0;
      for (let j = 0; j < svm.nSupport; j++) {
        let d2 = 0;
        for (let t = 0; t < 784; t++) d2 += (ds.x[i * 784 + t] - sv[j * 784 + t]) ** 2;
        sum += svm.dualCoef[j] * Math.exp(-svm.gamma * d2);
      }
      return sum - svm.rho;
    });
    const scores = readScoresCsv(join(runDir, 'scores.csv'));
    expect(scores.length).toBe(ds.n);
    scores.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.name).toBe(ds.names![i]);
      expect(s.label).toBe(String(ds.labels![i]));
      expect(Math.abs(s.decision - expected[i])).toBeLessThan(1e-5 * svm.rho);
    });
  });

  it('reports the ROC AUC of a brute-force pair count', () => {
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    const scores = readScoresCsv(join(runDir, 'scores.csv'));
    const normal = scores.filter((s) => s.label === '0');
    const anomalies = scores.filter((s) => s.label !== '0');
    let wins = 0;
    for (const a of anomalies)
      for (const b of normal) wins += a.decision < b.decision ? 1 : a.decision === b.decision ? 0.5 : 0;
    expect(config.rocAuc).toBeCloseTo(wins / (normal.length * anomalies.length), 12);
    expect(trainOutput.stdout).toContain(`ROC AUC (normal: 0; on the training samples): ${config.rocAuc.toFixed(4)}`);
  });
});

describe('oc-explain outliers', () => {
  it('lists the lowest decision values first', async () => {
    const { code, stdout } = await cli('outliers', runDir, '--top', '7', '--json');
    expect(code).toBe(0);
    const listed = JSON.parse(stdout).outliers as Array<{ rank: number; index: number; decision: number }>;
    const sorted = readScoresCsv(join(runDir, 'scores.csv')).sort((a, b) => a.decision - b.decision);
    expect(listed.map((o) => o.index)).toEqual(sorted.slice(0, 7).map((s) => s.index));
    expect(listed.map((o) => o.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('prints a table with the AUC', async () => {
    const { code, stdout } = await cli('outliers', runDir, '--top', '3');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/rank\s+index\s+name\s+label\s+decision/);
    expect(stdout).toContain('ROC AUC');
  });
});

describe('bad input stops with one message and no run folder', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['ν outside (0, 1]', ['--nu', '1.5'], /--nu must be in \(0, 1\]/],
    ['γ ≤ 0', ['--gamma', '-2'], /--gamma must be a positive number/],
    ['γ NaN', ['--gamma', 'NaN'], /--gamma must be a positive number/],
    ['unknown kernel', ['--kernel', 'poly'], /kernel.*poly/i],
    ['unknown class', ['--normal', 'seven'], /no class 'seven'/],
    ['class without samples', ['--normal', '9'], /no sample/],
    ['unknown features', ['--features', 'resnet'], /resnet/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const out = join(root, `bad-${what.replace(/\W+/g, '-')}`);
      const { code, stderr } = await cli(
        'train',
        '--data',
        'mnist:0,6,limit=40',
        '--features',
        'pixels',
        ...args,
        '--out',
        out,
      );
      expect(code).not.toBe(0);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('an --out folder that is not an earlier run is left untouched', async () => {
    const out = join(root, 'my-photos');
    mkdirSync(out);
    writeFileSync(join(out, 'holiday.png'), 'precious');
    const { code, stderr } = await cli('train', '--data', 'mnist:0,6,limit=40', '--features', 'pixels', '--out', out);
    expect(code).toBe(2);
    expect(stderr).toMatch(/my-photos is not empty and was not written by oc-explain/);
    expect(readdirSync(out)).toEqual(['holiday.png']);
  });

  it('a missing run folder', async () => {
    const { code, stderr } = await cli('outliers', join(root, 'nothing-here'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/does not exist/);
  });
});
