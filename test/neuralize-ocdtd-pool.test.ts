/**
 * The OC-DTD pool (main thread + a worker thread) gives the same relevance and o(x) as OC-DTD in
 * one thread, on pixels and through the default CNN, and leaves no tensors behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { OneClassSVM } from '../src/ocsvm/one-class-svm.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { OcdtdPool } from '../src/neuralize/ocdtd-pool.ts';
import type { ExplainableNetwork } from '../src/explain/network.ts';

const d = 784;
let digits: Float32Array;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  digits = mnistDigitImages(5).slice(0, 260 * d);
});

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b)))).dataSync()[0];
}

async function compare(svm: OneClassSVM, features: ExplainableNetwork | null, x: tf.Tensor) {
  const nz = neuralize(svm);
  const single = ocdtd(nz.network(features, [28, 28, 1]), x);
  const pool = await OcdtdPool.start(svm, { workers: 1, features, inputShape: [28, 28, 1] });
  const before = tf.memory().numTensors;
  const pooled = await pool.explain(x);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(pooled.relevance.shape).toEqual(single.relevance.shape);
  const scale = Math.max(...single.outlierness);
  expect(maxDifference(pooled.relevance, single.relevance)).toBeLessThanOrEqual(1e-5 * scale);
  for (let i = 0; i < x.shape[0]; i++)
    expect(Math.abs(pooled.outlierness[i] - single.outlierness[i])).toBeLessThanOrEqual(1e-6 * scale);
  tf.dispose([pooled.relevance, single.relevance]);
  await pool.close();
  nz.dispose();
}

describe('OC-DTD pool', () => {
  it('equals single-thread OC-DTD on pixels', async () => {
    const svm = new OneClassSVM({ kernel: 'rbf', nu: 0.2 }).fit({ data: digits.subarray(0, 200 * d), n: 200, d });
    const x = tf.tensor4d(digits.subarray(200 * d, 260 * d), [60, 28, 28, 1]);
    await compare(svm, null, x);
    x.dispose();
  });

  it('equals single-thread OC-DTD through the CNN', async () => {
    const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 1 });
    const full = fromLayersModel(model);
    const features = full.upTo('features');
    const train = tf.tensor4d(digits.subarray(0, 200 * d), [200, 28, 28, 1]);
    const phi = features.forward(train);
    const rows = phi.dataSync() as Float32Array;
    tf.dispose([train, phi]);
    const svm = new OneClassSVM({ kernel: 'rbf', nu: 0.2 }).fit({ data: rows, n: 200, d: 128 });
    const x = tf.tensor4d(digits.subarray(200 * d, 230 * d), [30, 28, 28, 1]);
    await compare(svm, features, x);
    x.dispose();
    full.dispose();
    model.dispose();
  });
});
