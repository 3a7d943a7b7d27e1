/**
 * The neuralized one-class SVM reproduces the SVM: f(x) = νl·exp(−γ o(x)) − ρ on every training
 * sample, outliers are exactly o(x) > θ, the soft minimum never overflows, and the hard variant is
 * the minimum of h_j — all against float64 loops over the SVM's own formulas.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { softMin, softMinWeights } from '../src/neuralize/min-pooling.ts';
import { UserError } from '../src/errors.ts';
import { OneClassSVM } from '../src/ocsvm/one-class-svm.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { decision, handMadeModel, neuronValues, outlierness, row, seededRandom } from './helpers/ocsvm-reference.ts';

const n = 80;
const d = 6;
let X: Float32Array;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const rnd = seededRandom(7);
  X = Float32Array.from({ length: n * d }, () => rnd());
});

function outliernessOf(
  model: Parameters<typeof neuralize>[0],
  x: Float32Array,
  rows: number,
  pooling?: 'soft' | 'hard',
) {
  const nz = neuralize(model, { pooling });
  const o = tf.tidy(() => nz.outlierness(tf.tensor2d(x, [rows, x.length / rows]))).dataSync() as Float32Array;
  return { nz, o: Float32Array.from(o) };
}

describe.each([
  ['rbf', 2],
  ['laplacian', 1],
] as const)('neuralized %s one-class SVM', (kernel, gamma) => {
  it('gives f(x) = νl·exp(−γ o(x)) − ρ on every training sample (1e-5 of the kernel sum)', () => {
    const model = handMadeModel(X, n, d, { kernel, gamma, nSupport: 25, outlierFraction: 0.2, seed: 3 });
    const { nz, o } = outliernessOf(model, X, n);
    const f = nz.decisionFromOutlierness(o);
    for (let i = 0; i < n; i++) {
      const x = row(X, i, d);
      const expected = decision(model, x);
      expect(Math.abs(f[i] - expected)).toBeLessThanOrEqual(1e-5 * (expected + model.rho));
      expect(Math.abs(o[i] - outlierness(model, x))).toBeLessThanOrEqual(1e-5 * outlierness(model, x));
      expect(o[i]).toBeGreaterThanOrEqual(0);
    }
    nz.dispose();
  });

  it('marks exactly the samples with f(x) < 0 as outliers (o(x) > θ)', () => {
    const model = handMadeModel(X, n, d, { kernel, gamma, nSupport: 25, outlierFraction: 0.2, seed: 4 });
    const { nz, o } = outliernessOf(model, X, n);
    const flagged = nz.outliers(o);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const isOutlier = decision(model, row(X, i, d)) < 0;
      expect(flagged[i]).toBe(isOutlier ? 1 : 0);
      count += flagged[i];
    }
    expect(count).toBe(Math.floor(0.2 * n));
    // θ is where the decision function crosses zero
    expect(Math.abs(nz.decisionFromOutlierness([nz.threshold])[0])).toBeLessThan(1e-9 * model.rho);
    nz.dispose();
  });
});

describe.each(['rbf', 'laplacian'])('neuralized OneClassSVM fitted on 300 MNIST zeros (%s)', (kernel) => {
  it('reproduces the fitted decision function on every training sample and flags the same outliers', () => {
    const rows = 300;
    const pixels = 784;
    const data = mnistDigitImages(0).slice(0, rows * pixels);
    const svm = new OneClassSVM({ kernel, nu: 0.1 }).fit({ data, n: rows, d: pixels });
    const expected = svm.decisionFunction({ data, n: rows, d: pixels });
    const { nz, o } = outliernessOf(svm, data, rows);
    const f = nz.decisionFromOutlierness(o);
    const flagged = nz.outliers(o);
    let outliers = 0;
    for (let i = 0; i < rows; i++) {
      expect(Math.abs(f[i] - expected[i])).toBeLessThanOrEqual(1e-5 * (expected[i] + svm.rho));
      expect(flagged[i]).toBe(expected[i] < 0 ? 1 : 0);
      outliers += flagged[i];
    }
    expect(outliers).toBeGreaterThan(10);
    nz.dispose();
  });
});

describe('soft min-pooling', () => {
  it('never overflows, however large γ, and tends to the hard minimum', () => {
    const base = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 2, nSupport: 25, outlierFraction: 0.2, seed: 5 });
    for (const gamma of [50, 1e4, 1e30, 1e50]) {
      const model = { ...base, gamma };
      const { nz, o } = outliernessOf(model, X, n);
      for (let i = 0; i < n; i += 7) {
        const x = row(X, i, d);
        expect(Number.isFinite(o[i])).toBe(true);
        const expected = gamma > 1e38 ? Math.min(...neuronValues(model, x)) : outlierness(model, x);
        expect(Math.abs(o[i] - expected)).toBeLessThanOrEqual(1e-5 * expected + 1e-7);
      }
      nz.dispose();
    }
  });

  it('weights are finite, non-negative and sum to 1 for extreme temperatures', () => {
    const h = tf.tensor2d([
      [1e6, 3, 3.5, 1e-3],
      [0, 0, 0, 0],
    ]);
    for (const gamma of [1e-6, 1, 1e6, 1e40]) {
      const w = softMinWeights(h, gamma).arraySync() as number[][];
      for (const r of w) {
        expect(r.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
        expect(Math.abs(r.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      }
      const o = softMin(h, gamma).arraySync() as number[];
      expect(o.every(Number.isFinite)).toBe(true);
    }
    // all-equal row: smin = h − log(m)/γ
    expect((softMin(tf.tensor2d([[2, 2, 2, 2]]), 0.5).arraySync() as number[])[0]).toBeCloseTo(
      2 - Math.log(4) / 0.5,
      5,
    );
    h.dispose();
  });

  it('hard variant outputs min_j h_j', () => {
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 2, nSupport: 25, outlierFraction: 0.2, seed: 6 });
    const { nz, o } = outliernessOf(model, X, n, 'hard');
    for (let i = 0; i < n; i++) {
      const expected = Math.min(...neuronValues(model, row(X, i, d)));
      expect(Math.abs(o[i] - expected)).toBeLessThanOrEqual(1e-5 * expected);
    }
    nz.dispose();
  });
});

describe('neuralize input checks', () => {
  it('rejects models it cannot neuralize with a UserError naming the problem', () => {
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 2, nSupport: 5, outlierFraction: 0.2, seed: 1 });
    expect(() => neuralize({ ...model, kernel: 'poly' as 'rbf' })).toThrow(UserError);
    expect(() => neuralize({ ...model, kernel: 'poly' as 'rbf' })).toThrow(/allowed: rbf/);
    expect(() => neuralize({ ...model, gamma: 0 })).toThrow(/gamma/);
    expect(() => neuralize({ ...model, supportVectors: model.supportVectors.subarray(1) })).toThrow(
      /support-vector values/,
    );
    expect(() => neuralize({ ...model, dualCoef: Float64Array.from([1, -1, 1, 1, 1]) })).toThrow(/dual coefficient -1/);
    const nz = neuralize(model);
    expect(() => nz.network(null, [d + 1])).toThrow(UserError);
    const wrong = tf.zeros([2, d + 1]);
    expect(() => nz.outlierness(wrong)).toThrow(
      /inputs have 7 values each, but the one-class SVM's support vectors have 6/,
    );
    wrong.dispose();
    nz.dispose();
  });
});

describe('tensor bookkeeping', () => {
  it('keeps tf.memory().numTensors stable over many calls', () => {
    const model = handMadeModel(X, n, d, {
      kernel: 'laplacian',
      gamma: 1,
      nSupport: 25,
      outlierFraction: 0.2,
      seed: 8,
    });
    const nz = neuralize(model);
    const x = tf.tensor2d(X, [n, d]);
    tf.dispose(nz.outlierness(x));
    const before = tf.memory().numTensors;
    for (let k = 0; k < 20; k++) tf.dispose(nz.outlierness(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    nz.dispose();
  });
});
