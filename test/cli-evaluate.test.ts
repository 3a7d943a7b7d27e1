/**
 * `oc-explain evaluate` end to end on tiny runs: the outlier areas equal a plain-loop pixel flipping
 * (float64 o(x) from the saved SVM, brute-force nearest inlier) of the relevance that `explain`
 * writes; the classifier areas equal pixelFlipping called directly with the saved tfjs model's
 * logit; the random floor is always there; bad input stops with one message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { loadDataset } from '../src/data/data-spec.ts';
import { loadModel } from '../src/features/model-io.ts';
import { readNpy } from '../src/io/npy.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { pixelFlipping } from '../src/metrics/pixel-flipping.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli, cliInProcess, errorLines, type CliResult } from './helpers/run-cli.ts';
import { outlierness, type ReferenceModel } from './helpers/ocsvm-reference.ts';

const DATA = 'mnist:0,6,limit=120';
const STEPS = 12;
let root: string;
let pixelRun: string;
let mlpRun: string;
let outlierJson: any;
let blurredJson: any;
let classifierJson: any;
let classifierOut: CliResult;

beforeAll(async () => {
  await initRuntime({ quiet: true, backend: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'oc-evaluate-'));
  pixelRun = join(root, 'pixels');
  mlpRun = join(root, 'mlp');
  const trained = await Promise.all([
    cli('train', '--data', DATA, '--features', 'pixels', '--normal', '0', '--nu', '0.2', '--out', pixelRun),
    cli('train', '--data', DATA, '--features', 'mlp', '--epochs', '1', '--out', mlpRun),
  ]);
  for (const t of trained) expect(t.code, t.stderr).toBe(0);
  const [explained, evaluated, evaluatedBlurred, explainedClassifier, evaluatedClassifier] = await Promise.all([
    cli('explain', pixelRun, '--top', '4', '--method', 'ocdtd,nn,edge,sa', '--out', join(root, 'explain')),
    cli('evaluate', pixelRun, '--top', '4', '--methods', 'ocdtd,nn,edge,sa,random', '--steps', String(STEPS), '--json'),
    cli(
      'evaluate',
      pixelRun,
      '--top',
      '4',
      '--methods',
      'ocdtd,nn,edge,sa,random',
      '--steps',
      String(STEPS),
      '--reference',
      'blurred',
      '--normalize',
      'span',
      '--json',
    ),
    cli(
      'explain-classifier',
      '--model',
      join(mlpRun, 'features'),
      '--data',
      DATA,
      '--first',
      '5',
      '--method',
      'gradient,lrp:epsilon-plus',
      '--out',
      join(root, 'explain-classifier'),
    ),
    cli(
      'evaluate',
      mlpRun,
      '--classifier',
      '--top',
      '5',
      '--methods',
      'gradient,lrp:epsilon-plus,random',
      '--steps',
      '10',
      '--json',
    ),
  ]);
  for (const r of [explained, evaluated, evaluatedBlurred, explainedClassifier]) expect(r.code, r.stderr).toBe(0);
  blurredJson = JSON.parse(evaluatedBlurred.stdout);
  classifierOut = evaluatedClassifier;
  outlierJson = JSON.parse(evaluated.stdout);
  classifierJson = evaluatedClassifier.code === 0 ? JSON.parse(evaluatedClassifier.stdout) : null;
}, 120_000);

/** Patch order of a map: 2×2 patches by decreasing summed relevance, ties by lower index. */
function patchOrderByLoop(map: Float32Array, side: number): number[][] {
  const patches: Array<{ pixels: number[]; sum: number; k: number }> = [];
  for (let r = 0; r < side; r += 2) {
    for (let c = 0; c < side; c += 2) {
      const pixels = [r * side + c, r * side + c + 1, (r + 1) * side + c, (r + 1) * side + c + 1];
      patches.push({ pixels, sum: pixels.reduce((s, p) => s + map[p], 0), k: patches.length });
    }
  }
  return patches.sort((a, b) => b.sum - a.sum || a.k - b.k).map((p) => p.pixels);
}

/** Area under the curve scaled by its start, or to the span start → end (NaN for a span under a tenth of the start). */
function trapezoidArea(fractions: number[], scores: number[], normalize: 'start' | 'span'): number {
  const end = scores[scores.length - 1];
  const span = scores[0] - end;
  if (normalize === 'span' && !(span > 0.1 * Math.abs(scores[0]))) return NaN;
  const y = scores.map((v) => (normalize === 'span' ? (v - end) / span : v / scores[0]));
  let area = 0;
  for (let s = 1; s < fractions.length; s++) area += ((fractions[s] - fractions[s - 1]) * (y[s] + y[s - 1])) / 2;
  return area;
}

/** A 28 × 28 image blurred by a Gaussian (σ = 2, |offset| ≤ 6) over the in-image window, weights renormalised. */
function blurByLoop(image: number[]): number[] {
  const weight = (o: number) => Math.exp(-(o * o) / 8);
  return image.map((_, p) => {
    const [r, c] = [Math.floor(p / 28), p % 28];
    let [sum, total] = [0, 0];
    for (let dr = -6; dr <= 6; dr++) {
      for (let dc = -6; dc <= 6; dc++) {
        if (r + dr < 0 || r + dr >= 28 || c + dc < 0 || c + dc >= 28) continue;
        sum += weight(dr) * weight(dc) * image[(r + dr) * 28 + c + dc];
        total += weight(dr) * weight(dc);
      }
    }
    return sum / total;
  });
}

describe('oc-explain evaluate (outliers)', () => {
  it('flips the top outliers and lists every method with the random floor', () => {
    const scores = readScoresCsv(join(pixelRun, 'scores.csv')).sort(
      (a, b) => a.decision - b.decision || a.index - b.index,
    );
    expect(outlierJson.samples.map((s: any) => s.index)).toEqual(scores.slice(0, 4).map((s) => s.index));
    expect(outlierJson.mode).toBe('outliers');
    expect(outlierJson.reference).toBe('nearest');
    expect(outlierJson.curves.map((c: any) => c.method)).toEqual(['ocdtd', 'nn', 'edge', 'sa', 'random']);
    const means = outlierJson.areas.map((a: any) => a.meanArea);
    expect(means).toEqual([...means].sort((a, b) => a - b));
    expect(outlierJson.areas.find((a: any) => a.method === 'random').nSamples).toBe(4);
    expect(outlierJson.fractions.length).toBe(STEPS + 1);
  });

  it.each([
    ['nearest inlier, start-normalised (the defaults)', () => outlierJson, 'nearest', 'start'],
    ['blurred image, span-normalised', () => blurredJson, 'blurred', 'span'],
  ] as const)(
    "each area equals a plain-loop flip of explain's written relevance, scored by a float64 o(x): %s",
    (_, json, reference, normalize) => {
      const result = json();
      expect(result.reference).toBe(reference);
      expect(result.normalize).toBe(normalize);
      const ds = loadDataset(DATA);
      const svm = OneClassSVM.load(join(pixelRun, 'ocsvm.json'));
      const model: ReferenceModel = {
        kernel: 'rbf',
        gamma: svm.gamma,
        rho: svm.rho,
        nu: svm.nu,
        nTrain: svm.nTrain,
        dualCoef: svm.dualCoef,
        supportVectors: svm.supportVectors,
      };
      const scores = readScoresCsv(join(pixelRun, 'scores.csv'));
      const inliers = scores.filter((s) => s.decision > 0 && s.label === '0').map((s) => s.index);
      const pixelsOf = (i: number) => Array.from(ds.x.subarray(i * 784, (i + 1) * 784));
      const nearestInlier = (x: number[]) => {
        let nearest = inliers[0];
        let best = Infinity;
        for (const j of inliers) {
          const u = pixelsOf(j);
          const d = x.reduce((s, v, t) => s + (v - u[t]) ** 2, 0);
          if (d < best) [best, nearest] = [d, j];
        }
        return pixelsOf(nearest);
      };
      const counts = Array.from({ length: STEPS + 1 }, (_, s) => Math.round((196 * s) / STEPS));
      const fractions = counts.map((c) => c / 196);
      let compared = 0;
      for (const method of ['ocdtd', 'nn', 'edge', 'sa']) {
        const written = readNpy(join(root, 'explain', method, 'relevance.npy'));
        const curve = result.curves.find((c: any) => c.method === method);
        result.samples.forEach((sample: any, k: number) => {
          const x = pixelsOf(sample.index);
          const replacement = reference === 'nearest' ? nearestInlier(x) : blurByLoop(x);
          const order = patchOrderByLoop(written.data.subarray(k * 784, (k + 1) * 784) as Float32Array, 28);
          const image = [...x];
          const curveScores = [outlierness(model, image)];
          for (let s = 1; s < counts.length; s++) {
            for (let p = counts[s - 1]; p < counts[s]; p++)
              for (const pixel of order[p]) image[pixel] = replacement[pixel];
            curveScores.push(outlierness(model, image));
          }
          expect(sample.outlierness).toBeCloseTo(curveScores[0], 2);
          const expected = trapezoidArea(fractions, curveScores, normalize);
          if (Number.isNaN(expected))
            expect(curve.areas[k]).toBeNull(); // JSON writes NaN as null
          else {
            expect(Math.abs(curve.areas[k] - expected)).toBeLessThan(5e-5);
            compared++;
          }
        });
      }
      expect(compared).toBeGreaterThan(8);
    },
  );
});

describe('oc-explain evaluate --classifier', () => {
  it("each area equals pixelFlipping of explain-classifier's relevance with the saved model's predicted logit", async () => {
    expect(classifierOut.code, classifierOut.stderr).toBe(0);
    expect(classifierJson.mode).toBe('classifier');
    expect(classifierJson.reference).toBe('zero');
    const ds = loadDataset(DATA);
    const model = await loadModel(join(mlpRun, 'features'));
    const logits = tf
      .tidy(() => model.predict(tf.tensor(ds.x.subarray(0, 5 * 784), [5, 28, 28, 1])) as tf.Tensor)
      .arraySync() as number[][];
    const predicted = logits.map((row) => row.indexOf(Math.max(...row)));
    const flipped = [0, 1, 2, 3, 4].filter((i) => logits[i][predicted[i]] > 0);
    expect(classifierJson.samples.map((s: any) => s.index)).toEqual(flipped);
    expect(classifierJson.skipped).toEqual([0, 1, 2, 3, 4].filter((i) => !flipped.includes(i)));
    const written = {
      gradient: readNpy(join(root, 'explain-classifier', 'gradient', 'relevance.npy')).data,
      'lrp:epsilon-plus': readNpy(join(root, 'explain-classifier', 'lrp-epsilon-plus', 'relevance.npy')).data,
    };
    for (const [k, i] of flipped.entries()) {
      const x = tf.tensor(ds.x.subarray(i * 784, (i + 1) * 784), [1, 28, 28, 1]);
      const methods = Object.entries(written).map(([method, maps]) => ({
        method,
        relevance: Float32Array.from(maps.subarray(i * 784, (i + 1) * 784)),
      }));
      const c = predicted[i];
      const result = await pixelFlipping(
        (batch) => tf.tidy(() => tf.gather(model.predict(batch) as tf.Tensor, [c], 1).reshape([-1])),
        x,
        methods,
        { steps: 10 },
      );
      x.dispose();
      for (const curve of result.curves.filter((cv) => cv.method !== 'random')) {
        const got = classifierJson.curves.find((cv: any) => cv.method === curve.method).areas[k];
        expect(Math.abs(got - curve.areas[0])).toBeLessThan(1e-4);
      }
    }
    model.dispose();
    expect(classifierJson.curves.map((c: any) => c.method)).toContain('random');
  });

  it('prints the area table without --json', async () => {
    const r = await cliInProcess(
      'evaluate',
      pixelRun,
      '--top',
      '2',
      '--methods',
      'edge',
      '--steps',
      '4',
      '--reference',
      'zero',
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['method', 'mean', 'area', 'std', 'n']);
    expect(
      lines
        .slice(1, 3)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['edge', 'random']);
    expect(r.stdout).toContain('reference zero');
  });
});

describe('oc-explain evaluate: bad input', () => {
  it.each([
    [['--methods', 'ocdtd,magic'], "unknown outlier explanation method 'magic'"],
    [['--top', '0'], '--top must be a whole number ≥ 1'],
    [['--reference', 'grey'], "unknown reference 'grey'"],
    [['--normalize', 'sideways'], "--normalize: unknown normalisation 'sideways'; allowed: start, span"],
    [['--classifier'], 'no classifier'],
    [['--composite', 'lrp:nonsense'], "unknown LRP method 'lrp:nonsense'"],
  ])('%j → one message', async (args, message) => {
    const r = await cliInProcess('evaluate', pixelRun, ...args);
    expect(r.code).not.toBe(0);
    const lines = errorLines(r);
    expect(lines.length, r.stderr).toBe(1);
    expect(lines[0]).toContain(message);
  });

  it('a missing run folder → one message', async () => {
    const r = await cliInProcess('evaluate', join(root, 'nowhere'));
    expect(r.code).not.toBe(0);
    expect(errorLines(r)).toEqual([
      `oc-explain: run folder ${join(root, 'nowhere')} does not exist (make one with 'oc-explain train --out ${join(root, 'nowhere')}')`,
    ]);
  });
});
