/**
 * The outlier baselines against hand-written references: sensitivity and gradient × input of o
 * against the analytic gradient ∂o/∂x = Σ_j p_j · 2(x − u_j), nearest neighbour against a brute
 * force search, Sobel against explicit loops with repeated borders; the registry's names and errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { explainOutliers, OUTLIER_METHOD_NAMES, parseOutlierMethod } from '../src/neuralize/outlier-methods.ts';
import { NearestInlier } from '../src/neuralize/nearest-inlier.ts';
import { sobelMagnitude } from '../src/neuralize/edge-detection.ts';
import { UserError } from '../src/errors.ts';
import { handMadeModel, neuronValues, row, seededRandom } from './helpers/ocsvm-reference.ts';

const H = 5;
const W = 4;
const C = 2;
const d = H * W * C;
const n = 40;
let X: Float32Array;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const rnd = seededRandom(17);
  X = Float32Array.from({ length: n * d }, () => rnd());
});

/** ∂o/∂x for the Gaussian kernel: Σ_j p_j 2(x − u_j), p the soft-min weights. */
function gradientOfO(model: ReturnType<typeof handMadeModel>, x: number[]): number[] {
  const h = neuronValues(model, x);
  const m = Math.min(...h);
  const w = h.map((v) => Math.exp(-model.gamma * (v - m)));
  const total = w.reduce((a, b) => a + b, 0);
  const g = new Array<number>(x.length).fill(0);
  h.forEach((_, j) => {
    const u = row(model.supportVectors, j, x.length);
    for (let i = 0; i < x.length; i++) g[i] += (w[j] / total) * 2 * (x[i] - u[i]);
  });
  return g;
}

const perPixel = (values: number[], s = 0) =>
  Array.from({ length: H * W }, (_, p) =>
    Array.from({ length: C }, (_, c) => values[s * d + p * C + c]).reduce((a, b) => a + b, 0),
  );

describe('gradient baselines of o(x)', () => {
  it('sa = Σ_channels (∂o/∂x)², gi = Σ_channels x·∂o/∂x, per pixel', () => {
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 0.3, nSupport: 15, outlierFraction: 0.2, seed: 5 });
    const nz = neuralize(model);
    const network = nz.network(null, [H, W, C]);
    const x = tf.tensor4d(X.subarray(20 * d, 30 * d), [10, H, W, C]);
    const sa = explainOutliers('sa', { network }, x);
    const gi = explainOutliers('gi', { network }, x);
    expect(sa.relevance.shape).toEqual([10, H, W]);
    const saR = sa.relevance.dataSync();
    const giR = gi.relevance.dataSync();
    for (let s = 0; s < 10; s++) {
      const xs = row(X, 20 + s, d);
      const g = gradientOfO(model, xs);
      const expectedSa = perPixel(g.map((v) => v * v));
      const expectedGi = perPixel(g.map((v, i) => v * xs[i]));
      const scale = Math.max(...g.map(Math.abs)) ** 2 + 1e-6;
      for (let p = 0; p < H * W; p++) {
        expect(Math.abs(saR[s * H * W + p] - expectedSa[p])).toBeLessThanOrEqual(1e-3 * scale);
        expect(Math.abs(giR[s * H * W + p] - expectedGi[p])).toBeLessThanOrEqual(1e-3 * Math.sqrt(scale));
      }
    }
    tf.dispose([x, sa.relevance, gi.relevance]);
    nz.dispose();
  });
});

describe('nearest-neighbour baseline', () => {
  it('uses the brute-force nearest inlier, R = (x − n)² summed over channels', () => {
    const inliers = X.subarray(0, 25 * d);
    const nn = new NearestInlier(Float32Array.from(inliers), d);
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 0.3, nSupport: 15, outlierFraction: 0.2, seed: 5 });
    const nz = neuralize(model);
    const x = tf.tensor4d(X.subarray(25 * d), [15, H, W, C]);
    const { relevance } = explainOutliers('nn', { network: nz.network(null, [H, W, C]), nearestInlier: nn }, x);
    const R = relevance.dataSync();
    for (let s = 0; s < 15; s++) {
      const xs = row(X, 25 + s, d);
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < 25; j++) {
        const dist = row(inliers, j, d).reduce((a, v, i) => a + (xs[i] - v) ** 2, 0);
        if (dist < bestD) {
          bestD = dist;
          best = j;
        }
      }
      const u = row(inliers, best, d);
      const expected = perPixel(xs.map((v, i) => (v - u[i]) ** 2));
      for (let p = 0; p < H * W; p++) expect(R[s * H * W + p]).toBeCloseTo(expected[p], 5);
    }
    tf.dispose([x, relevance]);
    nn.dispose();
    nz.dispose();
  });
});

describe('edge-detection baseline', () => {
  it('is the Sobel magnitude per channel with repeated borders, summed over channels', () => {
    const x = tf.tensor4d(X.subarray(0, 3 * d), [3, H, W, C]);
    const E = sobelMagnitude(x).dataSync();
    const at = (s: number, r: number, c: number, ch: number) =>
      X[s * d + (Math.min(H - 1, Math.max(0, r)) * W + Math.min(W - 1, Math.max(0, c))) * C + ch];
    for (let s = 0; s < 3; s++) {
      for (let r = 0; r < H; r++) {
        for (let c = 0; c < W; c++) {
          let expected = 0;
          for (let ch = 0; ch < C; ch++) {
            const gx =
              at(s, r - 1, c + 1, ch) +
              2 * at(s, r, c + 1, ch) +
              at(s, r + 1, c + 1, ch) -
              at(s, r - 1, c - 1, ch) -
              2 * at(s, r, c - 1, ch) -
              at(s, r + 1, c - 1, ch);
            const gy =
              at(s, r + 1, c - 1, ch) +
              2 * at(s, r + 1, c, ch) +
              at(s, r + 1, c + 1, ch) -
              at(s, r - 1, c - 1, ch) -
              2 * at(s, r - 1, c, ch) -
              at(s, r - 1, c + 1, ch);
            expected += Math.hypot(gx, gy);
          }
          expect(E[(s * H + r) * W + c]).toBeCloseTo(expected, 4);
        }
      }
    }
    // a constant image has no edges, not even at its frame
    expect(Math.max(...sobelMagnitude(tf.fill([1, H, W, C], 0.7)).dataSync())).toBeCloseTo(0, 6);
    expect(() => sobelMagnitude(tf.zeros([2, 8]))).toThrow(UserError);
    x.dispose();
  });
});

describe('outlier method registry', () => {
  it('knows the CLI names and rejects others, saying what is allowed', () => {
    expect(OUTLIER_METHOD_NAMES).toEqual(['ocdtd', 'sa', 'gi', 'ig', 'nn', 'edge']);
    expect(parseOutlierMethod('ig')).toBe('ig');
    expect(() => parseOutlierMethod('lime', '--method')).toThrow(
      /--method: unknown .* allowed: ocdtd, sa, gi, ig, nn, edge/,
    );
  });

  it('gives the same maps and o(x) in small batches as in one pass', () => {
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 0.3, nSupport: 15, outlierFraction: 0.2, seed: 7 });
    const nz = neuralize(model);
    const nearestInlier = new NearestInlier(X.slice(0, 10 * d), d);
    const x = tf.tensor4d(X.subarray(10 * d, 21 * d), [11, H, W, C]);
    for (const m of OUTLIER_METHOD_NAMES) {
      const whole = explainOutliers(
        m,
        { network: nz.network(null, [H, W, C]), nearestInlier, gradient: { steps: 4 } },
        x,
      );
      const before = tf.memory().numTensors;
      const parts = explainOutliers(
        m,
        { network: nz.network(null, [H, W, C]), nearestInlier, gradient: { steps: 4 }, batchSize: 4 },
        x,
      );
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(parts.relevance.shape).toEqual(whole.relevance.shape);
      const a = whole.relevance.dataSync();
      const b = parts.relevance.dataSync();
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
      expect(Array.from(parts.outlierness)).toEqual(Array.from(whole.outlierness));
      tf.dispose([whole.relevance, parts.relevance]);
    }
    tf.dispose(x);
    nearestInlier.dispose();
    nz.dispose();
  });

  it('keeps the tensor count stable for every method', () => {
    const model = handMadeModel(X, n, d, {
      kernel: 'laplacian',
      gamma: 0.2,
      nSupport: 15,
      outlierFraction: 0.2,
      seed: 6,
    });
    const nz = neuralize(model);
    const nearestInlier = new NearestInlier(X.slice(0, 10 * d), d);
    const ctx = { network: nz.network(null, [H, W, C]), nearestInlier, gradient: { steps: 4 } };
    const x = tf.tensor4d(X.subarray(0, 6 * d), [6, H, W, C]);
    for (const m of OUTLIER_METHOD_NAMES) explainOutliers(m, ctx, x).relevance.dispose();
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) for (const m of OUTLIER_METHOD_NAMES) explainOutliers(m, ctx, x).relevance.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    nearestInlier.dispose();
    nz.dispose();
  });
});
