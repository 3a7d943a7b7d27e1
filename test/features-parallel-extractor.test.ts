/**
 * ParallelExtractor (main thread + worker threads, each worker with the model rebuilt from its
 * topology and weights) gives the features of the one-thread networkExtractor, and for the MLP the
 * features of plain loops over its weights; rows keep their order across slices and batches; no
 * tensors are left behind and a closed extractor refuses work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { networkExtractor } from '../src/features/extractor.ts';
import { ParallelExtractor, modelFromData, modelToData } from '../src/features/parallel-extractor.ts';

const d = 784;
let cnn: tf.LayersModel;
let mlp: tf.LayersModel;
let digits: Dataset;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  cnn = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 3 });
  mlp = buildFeatureNetwork('mlp', [28, 28, 1], 10, { seed: 4 });
  // non-zero biases, so that a bias lost on the way to the worker would show
  for (const model of [cnn, mlp]) {
    for (const layer of model.layers) {
      const w = layer.getWeights();
      if (w.length === 2) layer.setWeights([w[0], tf.randomUniform(w[1].shape, -0.2, 0.2, 'float32', 7)]);
    }
  }
  // 37 digits (odd, not a multiple of the batch): sample i is the ⌊i/10⌋-th image of digit i mod 10
  const x = new Float32Array(37 * d);
  for (let i = 0; i < 37; i++) {
    const at = Math.floor(i / 10) * d;
    x.set(mnistDigitImages(i % 10).subarray(at, at + d), i * d);
  }
  digits = { x, n: 37, sampleShape: [28, 28, 1], labels: null, classNames: [], source: 'test digits' };
});

afterAll(() => {
  cnn?.dispose();
  mlp?.dispose();
});

/** relu(x W + b) with plain loops (W input-major, as a tfjs dense kernel). */
function denseRelu(x: Float32Array, n: number, W: Float32Array, b: Float32Array): Float32Array {
  const out = b.length;
  const inDim = W.length / out;
  const y = new Float32Array(n * out);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < out; j++) {
      let z = b[j];
      for (let k = 0; k < inDim; k++) z += x[i * inDim + k] * W[k * out + j];
      y[i * out + j] = Math.max(0, z);
    }
  return y;
}

const weights = (model: tf.LayersModel, layer: string) =>
  model
    .getLayer(layer)
    .getWeights()
    .map((w) => w.dataSync() as Float32Array);

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

describe('ParallelExtractor', () => {
  it('a model rebuilt from its data has the same layers and the same weights, bit for bit', async () => {
    const copy = await modelFromData(await modelToData(cnn));
    expect(copy.layers.map((l) => l.name)).toEqual(cnn.layers.map((l) => l.name));
    const a = cnn.getWeights().map((w) => Array.from(w.dataSync()));
    expect(copy.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(a);
    copy.dispose();
  });

  it('CNN features: equal to the one-thread extractor, across slices and batches; no tensors left', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const pool = await ParallelExtractor.start(cnn, { workers: 1, batchSize: 8 });
    try {
      expect(pool.threads).toBe(2);
      expect(pool.layer).toBe('features');
      expect(pool.featureDim).toBe(128);
      const single = networkExtractor(cnn, { batchSize: 8 }).extract(digits);
      const parallel = await pool.extract(digits);
      expect(Math.max(...single)).toBeGreaterThan(0);
      expect(maxRelativeDifference(parallel, single)).toBeLessThan(1e-5);
      // a plain array of samples gives the same; repeated calls keep the tensor count
      const steady = tf.memory().numTensors;
      for (let i = 0; i < 3; i++)
        expect(maxRelativeDifference(await pool.extract(digits.x), single)).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(steady);
      await expect(pool.extract(new Float32Array(d + 1))).rejects.toThrow(UserError);
      await expect(pool.extract(new Float32Array(d + 1))).rejects.toThrow(/whole samples of 784 values/);
    } finally {
      await pool.close();
    }
    await pool.close(); // harmless twice
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expect(pool.extract(digits)).rejects.toThrow(/already closed/);
  }, 30_000);

  it("MLP, a named layer, two workers: the layer's activations by plain loops, rows in order", async () => {
    const pool = await ParallelExtractor.start(mlp, { workers: 2, layer: 'hidden', batchSize: 5 });
    try {
      expect(pool.threads).toBe(3);
      const [W, b] = weights(mlp, 'hidden');
      const expected = denseRelu(digits.x, digits.n, W, b);
      expect(maxRelativeDifference(await pool.extract(digits), expected)).toBeLessThan(1e-5);
      // fewer samples than threads
      const two = digits.x.slice(0, 2 * d);
      expect(maxRelativeDifference(await pool.extract(two), expected.subarray(0, 2 * 256))).toBeLessThan(1e-5);
      expect((await pool.extract(new Float32Array(0))).length).toBe(0);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('refuses an unknown layer and a negative worker count as UserErrors', async () => {
    await expect(ParallelExtractor.start(cnn, { layer: 'nope' })).rejects.toThrow(/no layer named 'nope'/);
    await expect(ParallelExtractor.start(cnn, { workers: -1 })).rejects.toThrow(UserError);
  });
});
