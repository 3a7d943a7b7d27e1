/**
 * NEON against float64 loops over docs/methods.md#neon: the network's output is the cluster logit, the
 * relevance equals the explicit soft-min + midpoint rule and conserves f_c(x) exactly (own cluster
 * and a fixed target), and the k-means fit is ml-kmeans's, a fixed point of Lloyd's algorithm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from 'ml-kmeans';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { fitKMeans, neon, neuralizeKMeans } from '../src/neuralize/neon.ts';
import { UserError } from '../src/errors.ts';
import { ExplainableNetwork } from '../src/explain/network.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { ReluLayer } from '../src/explain/layers/relu.ts';
import { propagate } from '../src/explain/lrp.ts';
import { deepTaylor } from '../src/explain/composites.ts';
import { row, seededRandom } from './helpers/ocsvm-reference.ts';

const n = 90;
const dim = 4;
const k = 3;
let X: Float32Array;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const rnd = seededRandom(31);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const centres = [
    [0, 0, 0, 0],
    [3, 1, 0, -1],
    [0, 3, 2, 1],
  ];
  X = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) X[i * dim + t] = centres[i % k][t] + 0.6 * gauss();
});

const sq = (a: number[], b: number[]) => a.reduce((s, v, t) => s + (v - b[t]) ** 2, 0);

/** f_c and R_i by the formulas, in float64. */
function neonReference(mu: number[][], x: number[], beta: number, target?: number) {
  const D = mu.map((m) => sq(x, m));
  const c = target ?? D.indexOf(Math.min(...D));
  const ks = mu.map((_, j) => j).filter((j) => j !== c);
  const z = ks.map((j) => D[j] - D[c]);
  const f = Math.min(...z);
  const e = z.map((v) => Math.exp(-beta * (v - f)));
  const total = e.reduce((a, b) => a + b, 0);
  const R = new Array<number>(x.length).fill(0);
  ks.forEach((j, q) => {
    const Rk = (e[q] / total) * f;
    let denom = 0;
    for (let i = 0; i < x.length; i++) denom += (x[i] - (mu[c][i] + mu[j][i]) / 2) * 2 * (mu[c][i] - mu[j][i]);
    for (let i = 0; i < x.length; i++) {
      R[i] += (((x[i] - (mu[c][i] + mu[j][i]) / 2) * 2 * (mu[c][i] - mu[j][i])) / denom) * Rk;
    }
  });
  return { c, f, R };
}

describe('k-means fit', () => {
  it('returns ml-kmeans centroids, a fixed point of Lloyd (each centroid the mean of its members)', () => {
    const fit = fitKMeans(X, n, dim, { k, seed: 5 });
    const direct = kmeans(
      Array.from({ length: n }, (_, i) => row(X, i, dim)),
      k,
      { seed: 5, initialization: 'kmeans++' },
    );
    expect(Array.from(fit.clusters)).toEqual(direct.clusters);
    const mu = Array.from({ length: k }, (_, j) => row(fit.centroids, j, dim));
    for (let j = 0; j < k; j++) {
      const members = Array.from({ length: n }, (_, i) => i).filter((i) => fit.clusters[i] === j);
      expect(members.length).toBeGreaterThan(0);
      for (let t = 0; t < dim; t++) {
        expect(fit.centroids[j * dim + t]).toBeCloseTo(direct.centroids[j][t], 5);
        const mean = members.reduce((s, i) => s + X[i * dim + t], 0) / members.length;
        expect(fit.centroids[j * dim + t]).toBeCloseTo(mean, 4);
      }
    }
    for (let i = 0; i < n; i++) {
      const D = mu.map((m) => sq(row(X, i, dim), m));
      expect(fit.clusters[i]).toBe(D.indexOf(Math.min(...D)));
    }
  });

  it('rejects impossible cluster counts', () => {
    expect(() => fitKMeans(X, n, dim, { k: 0 })).toThrow(UserError);
    expect(() => fitKMeans(X.subarray(0, 2 * dim), 2, dim, { k: 3 })).toThrow(/at most one cluster per sample/);
    expect(() => neuralizeKMeans({ centroids: X.subarray(0, dim), k: 1 })).toThrow(UserError);
  });
});

describe.each([
  ['own cluster', undefined, 1],
  ['own cluster, stiff', undefined, 20],
  ['fixed target 1', 1, 1],
] as const)('NEON relevance (%s)', (_label, target, beta) => {
  it('equals the explicit formula and conserves f_c(x) exactly', () => {
    const fit = fitKMeans(X, n, dim, { k, seed: 5 });
    const mu = Array.from({ length: k }, (_, j) => row(fit.centroids, j, dim));
    const nk = neuralizeKMeans(fit, { beta, target });
    const network = nk.network(null, [dim]);
    const x = tf.tensor2d(X, [n, dim]);
    const { relevance, logit } = neon(network, x);
    const R = relevance.dataSync();
    const clusters = nk.competitors.clusterOf(x);
    const c = clusters.dataSync();
    for (let i = 0; i < n; i++) {
      const ref = neonReference(mu, row(X, i, dim), beta, target);
      const scale = Math.max(Math.abs(ref.f), 1e-3);
      expect(c[i]).toBe(ref.c);
      expect(Math.abs(logit[i] - ref.f)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.f)));
      let sum = 0;
      for (let t = 0; t < dim; t++) {
        sum += R[i * dim + t];
        expect(Math.abs(R[i * dim + t] - ref.R[t])).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
      }
      expect(Math.abs(sum - logit[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(logit[i])));
      if (target === undefined) expect(logit[i]).toBeGreaterThanOrEqual(0);
    }
    tf.dispose([x, relevance, clusters]);
    nk.dispose();
  });
});

describe('NEON through a feature network', () => {
  it('conserves f_c exactly at the features and hands that relevance to the composite below', () => {
    const rnd = seededRandom(41);
    const features = new ExplainableNetwork(
      [
        new DenseLayer(
          'hidden',
          tf.tensor2d(
            Float32Array.from({ length: dim * 6 }, () => rnd() * 1.4 - 0.4),
            [dim, 6],
          ),
          tf.zeros([6]),
        ),
        new ReluLayer('hidden/relu'),
      ],
      [dim],
    );
    const x = tf.tensor2d(
      X.map((v) => Math.abs(v)),
      [n, dim],
    );
    const phi = features.forward(x);
    const fit = fitKMeans(phi.dataSync() as Float32Array, n, 6, { k, seed: 2 });
    const mu = Array.from({ length: k }, (_, j) => row(fit.centroids, j, 6));
    const phiRows = phi.dataSync();
    const nk = neuralizeKMeans(fit);
    const network = nk.network(features);
    const { relevance, logit, layers } = neon(network, x, {
      composite: deepTaylor({ unbounded: true }),
      returnLayers: true,
    });
    const atFeatures = layers![network.indexOf('kmeans/competitors')].dataSync();
    for (let i = 0; i < n; i++) {
      const ref = neonReference(mu, row(phiRows, i, 6), 1);
      let sum = 0;
      for (let t = 0; t < 6; t++) {
        sum += atFeatures[i * 6 + t];
        expect(Math.abs(atFeatures[i * 6 + t] - ref.R[t])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.f)));
      }
      expect(Math.abs(sum - logit[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(logit[i])));
    }
    const below = propagate(
      features,
      x,
      layers![network.indexOf('kmeans/competitors')],
      deepTaylor({ unbounded: true }),
    );
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(below.relevance, relevance)))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5 * Math.max(...Array.from(logit, Math.abs)));
    tf.dispose([x, phi, relevance, ...layers!, below.relevance, below.output]);
    nk.dispose();
    features.dispose();
  });
});

describe('NEON tensor bookkeeping', () => {
  it('keeps tf.memory().numTensors stable over many explanations', () => {
    const fit = fitKMeans(X, n, dim, { k, seed: 5 });
    const nk = neuralizeKMeans(fit);
    const network = nk.network(null, [dim]);
    const x = tf.tensor2d(X, [n, dim]);
    neon(network, x).relevance.dispose();
    const before = tf.memory().numTensors;
    for (let r = 0; r < 10; r++) {
      neon(network, x).relevance.dispose();
      tf.dispose(nk.logit(x));
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    nk.dispose();
  });
});
