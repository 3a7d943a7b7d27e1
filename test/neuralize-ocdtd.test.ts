/**
 * OC-DTD against float64 loops over docs/methods.md#ocdtd: on pixels it conserves o(x), is non-negative
 * and equals the explicit formula (Gaussian and Laplacian, samples at zero distance from a support
 * vector included); through a small ReLU network it conserves o(x) at the features and, with
 * deep-taylor, down to the pixels.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { ExplainableNetwork } from '../src/explain/network.ts';
import { Conv2DLayer } from '../src/explain/layers/conv2d.ts';
import { ReluLayer } from '../src/explain/layers/relu.ts';
import { MaxPooling2DLayer } from '../src/explain/layers/max-pooling2d.ts';
import { ReshapeLayer } from '../src/explain/layers/reshape.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { deepTaylor } from '../src/explain/composites.ts';
import { propagate } from '../src/explain/lrp.ts';
import { sumChannels } from '../src/explain/gradient-methods.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import {
  handMadeModel,
  neuronValues,
  ocdtdReference,
  outlierness,
  row,
  seededRandom,
} from './helpers/ocsvm-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const uniform = (length: number, seed: number, low = 0, high = 1) => {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length }, () => low + (high - low) * rnd());
};

describe.each([
  ['rbf', 0.5],
  ['laplacian', 0.3],
] as const)('OC-DTD on pixels, %s kernel', (kernel, gamma) => {
  const n = 60;
  const shape = [4, 4, 2];
  const d = 32;

  it('conserves o(x), is non-negative and equals the explicit formula on every sample', () => {
    const X = uniform(n * d, 11);
    const model = handMadeModel(X, n, d, { kernel, gamma, nSupport: 20, outlierFraction: 0.25, seed: 2 });
    const nz = neuralize(model);
    const network = nz.network(null, shape);
    const x = tf.tensor4d(X, [n, ...shape] as [number, number, number, number]);
    const { relevance, outlierness: o } = ocdtd(network, x);
    expect(relevance.shape).toEqual([n, ...shape]);
    const R = relevance.dataSync();
    const perPixel = tf.tidy(() => sumChannels(relevance)).arraySync() as number[][][];
    for (let s = 0; s < n; s++) {
      const xs = row(X, s, d);
      const expectedO = outlierness(model, xs);
      expect(Math.abs(o[s] - expectedO)).toBeLessThanOrEqual(1e-5 * expectedO);
      const expected = ocdtdReference(model, xs);
      let sum = 0;
      for (let i = 0; i < d; i++) {
        const r = R[s * d + i];
        sum += r;
        expect(r).toBeGreaterThanOrEqual(0);
        expect(Math.abs(r - expected[i])).toBeLessThanOrEqual(1e-4 * expectedO);
      }
      expect(Math.abs(sum - o[s])).toBeLessThanOrEqual(1e-4 * o[s]);
      // per pixel = sum over the two channels
      expect(
        Math.abs(perPixel[s][1][2] - (expected[(1 * 4 + 2) * 2] + expected[(1 * 4 + 2) * 2 + 1])),
      ).toBeLessThanOrEqual(1e-4 * expectedO);
    }
    tf.dispose([x, relevance]);
    nz.dispose();
  });

  it('keeps the tensor count stable over many explanations', () => {
    const X = uniform(n * d, 12);
    const model = handMadeModel(X, n, d, { kernel, gamma, nSupport: 20, outlierFraction: 0.25, seed: 3 });
    const nz = neuralize(model);
    const network = nz.network(null, shape);
    const x = tf.tensor4d(X, [n, ...shape] as [number, number, number, number]);
    ocdtd(network, x).relevance.dispose();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 10; k++) ocdtd(network, x).relevance.dispose();
    const withLayers = ocdtd(network, x, { returnLayers: true });
    tf.dispose([withLayers.relevance, ...withLayers.layers!]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    nz.dispose();
  });
});

describe('OC-DTD with hard min-pooling', () => {
  it('gives all of o(x) = min_j h_j to the winning neuron, then by its squared differences', () => {
    const n = 30;
    const d = 8;
    const X = uniform(n * d, 13);
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 1, nSupport: 10, outlierFraction: 0.3, seed: 9 });
    const nz = neuralize(model, { pooling: 'hard' });
    const x = tf.tensor2d(X, [n, d]);
    const { relevance, outlierness: o } = ocdtd(nz.network(null, [d]), x);
    const R = relevance.dataSync();
    for (let s = 0; s < n; s++) {
      const xs = row(X, s, d);
      const h = neuronValues(model, xs);
      const j = h.indexOf(Math.min(...h));
      const u = row(model.supportVectors, j, d);
      const dj = u.reduce((acc, v, i) => acc + (xs[i] - v) ** 2, 0);
      expect(Math.abs(o[s] - h[j])).toBeLessThanOrEqual(1e-5 * h[j]);
      for (let i = 0; i < d; i++) {
        const expected = dj === 0 ? h[j] / d : (h[j] * (xs[i] - u[i]) ** 2) / dj;
        expect(Math.abs(R[s * d + i] - expected)).toBeLessThanOrEqual(1e-4 * h[j]);
      }
    }
    tf.dispose([x, relevance]);
    nz.dispose();
  });
});

describe('OC-DTD through a feature network', () => {
  /** conv 3×3×1→4 → ReLU → max-pool 2 → flatten → dense 36→10 → ReLU, mostly positive weights */
  function featureNetwork(): ExplainableNetwork {
    return new ExplainableNetwork(
      [
        new Conv2DLayer(
          'conv',
          tf.tensor4d(uniform(36, 21, -0.4, 1), [3, 3, 1, 4]),
          tf.tensor1d(uniform(4, 22, -0.1, 0.1)),
          [1, 1],
          'valid',
        ),
        new ReluLayer('conv/relu'),
        new MaxPooling2DLayer('pool', [2, 2], [2, 2], 'valid'),
        new ReshapeLayer('flatten', [-1]),
        new DenseLayer(
          'features',
          tf.tensor2d(uniform(360, 23, -0.4, 1), [36, 10]),
          tf.tensor1d(uniform(10, 24, -0.1, 0.1)),
        ),
        new ReluLayer('features/relu'),
      ],
      [8, 8, 1],
    );
  }

  it('conserves o(x) at the features (equal to the explicit formula) and down to the pixels', () => {
    const n = 40;
    const features = featureNetwork();
    const X = uniform(n * 64, 25);
    const x = tf.tensor4d(X, [n, 8, 8, 1]);
    const phi = features.forward(x).dataSync() as Float32Array;
    let mean = 0;
    let sq = 0;
    for (const v of phi) {
      mean += v;
      sq += v * v;
    }
    mean /= phi.length;
    const gamma = 1 / (10 * (sq / phi.length - mean * mean)); // 'scale'
    const model = handMadeModel(phi, n, 10, { kernel: 'rbf', gamma, nSupport: 12, outlierFraction: 0.25, seed: 4 });
    const nz = neuralize(model);
    const network = nz.network(features, [8, 8, 1]);
    const { relevance, outlierness: o, layers } = ocdtd(network, x, { composite: 'deep-taylor', returnLayers: true });
    const distanceIndex = network.indexOf('ocsvm/distance');
    const atFeatures = layers![distanceIndex].dataSync();
    const pixelSums = tf.tidy(() => tf.sum(relevance, [1, 2, 3])).dataSync();
    for (let s = 0; s < n; s++) {
      const expected = ocdtdReference(model, row(phi, s, 10));
      const expectedO = outlierness(model, row(phi, s, 10));
      let sum = 0;
      for (let i = 0; i < 10; i++) {
        sum += atFeatures[s * 10 + i];
        expect(Math.abs(atFeatures[s * 10 + i] - expected[i])).toBeLessThanOrEqual(1e-4 * expectedO);
      }
      expect(Math.abs(sum - o[s])).toBeLessThanOrEqual(1e-4 * o[s]);
      // z⁺ and z^B conserve exactly here (every neuron has a positive contribution, biases ignored)
      expect(Math.abs(pixelSums[s] - o[s])).toBeLessThanOrEqual(1e-3 * o[s]);
    }
    // the pixel map is the feature relevance sent through the feature network with the same composite
    const below = propagate(features, x, layers![distanceIndex], deepTaylor());
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(below.relevance, relevance)))).dataSync()[0];
    expect(diff).toBeLessThan(1e-5 * Math.max(...o));
    tf.dispose([x, relevance, ...layers!, below.relevance, below.output]);
    nz.dispose();
    features.dispose();
  });

  it('works on the default CNN read from tfjs, cut at its features layer', () => {
    const n = 24;
    const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 3 });
    const full = fromLayersModel(model);
    const features = full.upTo('features');
    const x = tf.tensor4d(mnistDigitImages(2).slice(0, n * 784), [n, 28, 28, 1]);
    const phi = features.forward(x);
    const rows = phi.dataSync() as Float32Array;
    phi.dispose();
    const mean = rows.reduce((a, v) => a + v, 0) / rows.length;
    const variance = rows.reduce((a, v) => a + (v - mean) ** 2, 0) / rows.length;
    const model2 = handMadeModel(rows, n, 128, {
      kernel: 'rbf',
      gamma: 1 / (128 * variance),
      nSupport: 8,
      outlierFraction: 0.25,
      seed: 5,
    });
    const nz = neuralize(model2);
    const network = nz.network(features);
    const { relevance, outlierness: o, layers } = ocdtd(network, x, { returnLayers: true });
    const k = network.indexOf('ocsvm/distance');
    const sums = tf.tidy(() => tf.sum(layers![k], 1)).dataSync();
    const below = propagate(features, x, layers![k], deepTaylor());
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(below.relevance, relevance)))).dataSync()[0];
    for (let s = 0; s < n; s++) {
      expect(Math.abs(o[s] - outlierness(model2, row(rows, s, 128)))).toBeLessThanOrEqual(1e-4 * o[s]);
      expect(Math.abs(sums[s] - o[s])).toBeLessThanOrEqual(1e-4 * o[s]);
    }
    expect(diff).toBeLessThan(1e-5 * Math.max(...o));
    tf.dispose([x, relevance, ...layers!, below.relevance, below.output]);
    nz.dispose();
    full.dispose();
    model.dispose();
  });
});
