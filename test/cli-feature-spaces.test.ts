/**
 * Runs beyond one SVM on one layer, end to end through the CLI: one SVM per class (each fitted on
 * its class only, against a direct fit; explanations by the sample's own model), a held-out --test
 * set (decisions by loops, AUC by a pair count), sample names for PNG and CSV data, networks
 * trained on the normal classes only, and a feature space of two networks.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadDataset } from '../src/data/data-spec.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { readScoresCsv, type SampleScore } from '../src/run/scores-csv.ts';
import { cli, cliInProcess, errorLines } from './helpers/run-cli.ts';
import { encodeRawPng } from './helpers/raw-png.ts';

const DATA = 'mnist:0,6,limit=120';
let root: string;

beforeAll(async () => {
  await initRuntime({ quiet: true, backend: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'oc-spaces-'));
});

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Σ_j α_j exp(−γ‖x − u_j‖²) − ρ by plain loops, in float64. */
function decisionByLoops(svm: OneClassSVM, x: Float32Array, i: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < svm.nSupport; j++) {
    let d2 = 0;
    for (let t = 0; t < d; t++) d2 += (x[i * d + t] - svm.supportVectors[j * d + t]) ** 2;
    sum += svm.dualCoef[j] * Math.exp(-svm.gamma * d2);
  }
  return sum - svm.rho;
}

/** P(anomaly scores lower than normal), ties one half: the AUC by a pair count. */
function aucByPairs(scores: SampleScore[], isNormal: (s: SampleScore) => boolean): number {
  const normal = scores.filter(isNormal);
  const anomalies = scores.filter((s) => !isNormal(s));
  let wins = 0;
  for (const a of anomalies)
    for (const b of normal) wins += a.decision < b.decision ? 1 : a.decision === b.decision ? 0.5 : 0;
  return wins / (normal.length * anomalies.length);
}

describe('train --per-class', () => {
  let run: string;
  beforeAll(async () => {
    run = join(root, 'per-class');
    const r = await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--per-class', '--out', run);
    expect(r.code, r.stderr).toBe(0);
  });

  it('fits each class its own SVM on its samples only, equal to a direct fit, and ranks each sample by it', () => {
    const ds = loadDataset(DATA);
    const config = readJson(join(run, 'config.json'));
    expect(config.perClass).toBe(true);
    expect(config.models.map((m: { className: string }) => m.className)).toEqual(['0', '6']);
    const scores = readScoresCsv(join(run, 'scores.csv'));
    config.models.forEach((m: { className: string; dir: string; nFit: number }) => {
      const label = Number(m.className);
      const rows = Array.from(ds.labels!).flatMap((l, i) => (l === label ? [i] : []));
      const x = new Float32Array(rows.length * 784);
      rows.forEach((i, k) => x.set(ds.x.subarray(i * 784, (i + 1) * 784), k * 784));
      const direct = new OneClassSVM({ kernel: 'gaussian', nu: 0.1, gamma: 'scale' }).fit({
        data: x,
        n: rows.length,
        d: 784,
      });
      const saved = OneClassSVM.load(join(run, m.dir, 'ocsvm.json'));
      expect(saved.nTrain).toBe(rows.length);
      expect(m.nFit).toBe(rows.length);
      expect(saved.nSupport).toBe(direct.nSupport);
      expect(saved.rho).toBeCloseTo(direct.rho, 6);
      expect(Array.from(saved.supportVectors)).toEqual(Array.from(direct.supportVectors));
      for (const i of rows) {
        const expected = decisionByLoops(saved, ds.x, i, 784);
        expect(Math.abs(scores[i].decision - expected)).toBeLessThan(1e-5 * saved.rho);
      }
    });
  });

  it('outliers lists the top of each class against its own class', async () => {
    const r = await cliInProcess('outliers', run, '--top', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { byClass } = JSON.parse(r.stdout);
    const scores = readScoresCsv(join(run, 'scores.csv'));
    expect(byClass.map((g: { className: string }) => g.className)).toEqual(['0', '6']);
    for (const g of byClass) {
      const ofClass = scores.filter((s) => s.label === g.className).sort((a, b) => a.decision - b.decision);
      expect(g.outliers.map((o: SampleScore) => o.index)).toEqual(ofClass.slice(0, 2).map((s) => s.index));
      expect(g.outliers.map((o: SampleScore) => o.name)).toEqual(ofClass.slice(0, 2).map((s) => s.name));
    }
  });

  it("explains each sample with its own class's model: o(x) and θ are those of that SVM; OC-DTD conserves what it explains", async () => {
    const config = readJson(join(run, 'config.json'));
    const scores = readScoresCsv(join(run, 'scores.csv'));
    // plain explains o(x) itself; hull (the default) its distance to the hull of the own class's inliers
    for (const variant of ['plain', 'hull']) {
      const out = join(root, `per-class-explain-${variant}`);
      const r = await cliInProcess(
        'explain',
        run,
        '--index',
        '0,1',
        '--method',
        'ocdtd',
        '--ocdtd',
        variant,
        '--out',
        out,
      );
      expect(r.code, r.stderr).toBe(0);
      for (const s of readJson(join(out, 'explain.json')).samples) {
        const model = config.models.find((m: { className: string }) => m.className === s.label);
        const svm = OneClassSVM.load(join(run, model.dir, 'ocsvm.json'));
        // o(x) = −(1/γ) log((f(x) + ρ)/(νl)) of the own model
        const o = -Math.log((scores[s.index].decision + svm.rho) / (0.1 * model.nFit)) / svm.gamma;
        expect(s.outlierness).toBeCloseTo(o, 3);
        expect(s.threshold).toBe(model.threshold);
        const explained = variant === 'plain' ? s.outlierness : s.explained;
        expect(explained).toBeGreaterThan(0);
        expect(Math.abs(s.ocdtdSum - explained)).toBeLessThan(1e-3 * explained);
        expect(s.name).toBe(scores[s.index].name);
      }
    }
  });

  it('refuses --per-class with --normal, in one line', async () => {
    const r = await cliInProcess(
      'train',
      '--data',
      DATA,
      '--features',
      'pixels',
      '--per-class',
      '--normal',
      '0',
      '--out',
      join(root, 'x'),
    );
    expect(r.code).toBe(2);
    expect(errorLines(r)).toEqual([
      expect.stringMatching(/--per-class fits a model to every class.*leave out --normal/),
    ]);
  });
});

describe('names and --test', () => {
  // a PNG folder of held-out digits: images 200… of 0 and 6 (the training run uses the first ones)
  let testDir: string;
  beforeAll(() => {
    testDir = join(root, 'held-out');
    for (const digit of [0, 6]) {
      mkdirSync(join(testDir, String(digit)), { recursive: true });
      const images = mnistDigitImages(digit);
      for (let k = 0; k < 12; k++) {
        const bytes = Uint8Array.from(images.subarray((200 + k) * 784, (201 + k) * 784), (v) => Math.round(v * 255));
        writeFileSync(
          join(testDir, String(digit), `d${String(k).padStart(2, '0')}.png`),
          encodeRawPng(28, 28, 0, bytes),
        );
      }
    }
  });

  it('scores the held-out set with the SVM fitted without it; its AUC is a pair count over those decisions', async () => {
    const run = join(root, 'with-test');
    const r = await cliInProcess(
      'train',
      '--data',
      DATA,
      '--features',
      'pixels',
      '--normal',
      '0',
      '--test',
      `png:${testDir}`,
      '--out',
      run,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(run).sort()).toEqual([
      'config.json',
      'oc-explain-output.json',
      'ocsvm.json',
      'scores.csv',
      'test-scores.csv',
    ]);
    const svm = OneClassSVM.load(join(run, 'ocsvm.json'));
    const test = loadDataset(`png:${testDir}`);
    const scored = readScoresCsv(join(run, 'test-scores.csv'));
    expect(scored.map((s) => s.name)).toEqual([
      ...Array.from({ length: 12 }, (_, k) => `0/d${String(k).padStart(2, '0')}.png`),
      ...Array.from({ length: 12 }, (_, k) => `6/d${String(k).padStart(2, '0')}.png`),
    ]);
    scored.forEach((s, i) =>
      expect(Math.abs(s.decision - decisionByLoops(svm, test.x, i, 784))).toBeLessThan(1e-5 * svm.rho),
    );
    const config = readJson(join(run, 'config.json'));
    expect(config.test.nSamples).toBe(24);
    expect(config.test.rocAuc).toBeCloseTo(
      aucByPairs(scored, (s) => s.label === '0'),
      12,
    );
    expect(r.stdout).toContain(`ROC AUC on them: ${config.test.rocAuc.toFixed(4)}`);
  });

  it('names samples by their PNG path and CSV line in scores.csv', async () => {
    const run = join(root, 'png-names');
    expect((await cliInProcess('train', '--data', `png:${testDir}`, '--features', 'pixels', '--out', run)).code).toBe(
      0,
    );
    expect(
      readScoresCsv(join(run, 'scores.csv'))
        .map((s) => s.name)
        .slice(10, 14),
    ).toEqual(['0/d10.png', '0/d11.png', '6/d00.png', '6/d01.png']);
    const csv = join(root, 'points.csv');
    writeFileSync(csv, 'a,b,kind\n0.1,0.2,x\n\n0.3,0.1,"y, z"\n0.2,0.2,x\n5,5,x\n');
    const csvRun = join(root, 'csv-names');
    const c = await cliInProcess('train', '--data', `csv:${csv},label=last`, '--features', 'pixels', '--out', csvRun);
    expect(c.code, c.stderr).toBe(0);
    const lines = readFileSync(join(csvRun, 'scores.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('index,name,label,decision');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      '0,line 2',
      '1,line 4',
      '2,line 5',
      '3,line 6',
    ]);
    expect(readScoresCsv(join(csvRun, 'scores.csv')).map((s) => s.label)).toEqual(['x', 'y, z', 'x', 'x']);
  });
});

describe('feature networks trained without labels', () => {
  it('with --normal the autoencoder learns from the normal class only (a classifier cannot: one class)', async () => {
    const run = join(root, 'ae-normal');
    const r = await cliInProcess(
      'train',
      '--data',
      DATA,
      '--features',
      'ae',
      '--epochs',
      '1',
      '--normal',
      '0',
      '--out',
      run,
    );
    expect(r.code, r.stderr).toBe(0);
    const config = readJson(join(run, 'config.json'));
    const zeros = Array.from(loadDataset(DATA).labels!).filter((l) => l === 0).length;
    expect(config.featureNetworks).toEqual([
      expect.objectContaining({ kind: 'ae', trainedOn: zeros, dir: 'features' }),
    ]);
    expect(config.featureLayers).toEqual(['residual']);
    expect(config.models[0].nFit).toBe(zeros);
    const cnn = await cliInProcess(
      'train',
      '--data',
      DATA,
      '--features',
      'cnn',
      '--normal',
      '0',
      '--out',
      join(root, 'y'),
    );
    expect(cnn.code).toBe(2);
    expect(errorLines(cnn)).toEqual([
      expect.stringMatching(/classifier and learns from the labels of two or more classes.*--features ae or geo/),
    ]);
  });

  it('two networks side by side: their layers concatenated, both saved, explained end to end', async () => {
    const run = join(root, 'ae-geo');
    const r = await cli(
      'train',
      '--data',
      'mnist:0,6,limit=60',
      '--features',
      'ae+geo',
      '--layer',
      'ae:residual,geo:conv1,geo:features',
      '--epochs',
      '1',
      '--out',
      run,
    );
    expect(r.code, r.stderr).toBe(0);
    const config = readJson(join(run, 'config.json'));
    expect(config.featureDim).toBe(784 + 32 + 128);
    expect(config.featureLayers).toEqual(['ae:residual', 'geo:conv1', 'geo:features']);
    expect(readdirSync(run).sort()).toEqual([
      'config.json',
      'features-ae',
      'features-geo',
      'oc-explain-output.json',
      'ocsvm.json',
      'scores.csv',
      'standardization.json',
    ]);
    const scale = readJson(join(run, 'standardization.json')).scale as number[];
    expect(new Set(scale.slice(0, 784)).size).toBe(1); // the residual keeps its proportions: one factor
    const out = join(root, 'ae-geo-explain');
    const e = await cli('explain', run, '--top', '2', '--method', 'ocdtd,gi', '--out', out);
    expect(e.code, e.stderr).toBe(0);
    for (const s of readJson(join(out, 'explain.json')).samples) expect(Number.isFinite(s.ocdtdSum)).toBe(true);
    const bad = await cliInProcess(
      'train',
      '--data',
      'mnist:0,6,limit=60',
      '--features',
      'ae+geo',
      '--layer',
      'residual',
      '--out',
      join(root, 'z'),
    );
    expect(errorLines(bad)).toEqual([
      expect.stringMatching(/--layer residual: with several networks say whose layer it is \(ae:LAYER, geo:LAYER\)/),
    ]);
  }, 120_000);
});
