import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { accuracy, trainFeatureNetwork, trainNetwork } from '../src/features/train-network.ts';

let digits: Dataset;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  digits = loadMnist({ limit: 600 });
});

/** Accuracy by hand: arg-max of the predicted logits, one sample at a time. */
function accuracyByHand(model: tf.LayersModel, ds: Dataset): number {
  let correct = 0;
  for (let i = 0; i < ds.n; i++) {
    const logits = tf.tidy(() =>
      (model.predict(tf.tensor(ds.x.subarray(i * 784, (i + 1) * 784), [1, 28, 28, 1])) as tf.Tensor).dataSync(),
    );
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k;
    if (best === ds.labels![i]) correct++;
  }
  return correct / ds.n;
}

describe('feature network training', () => {
  it('one epoch of the MLP on 600 digits lifts held-out accuracy far above chance (10 %)', async () => {
    const trained = await trainFeatureNetwork(digits, {
      network: 'mlp',
      epochs: 1,
      batchSize: 32,
      progress: false,
      seed: 1,
    });
    expect(trained.trainSize + trained.heldOutSize).toBe(600);
    expect(trained.heldOutSize).toBe(60);
    expect(trained.heldOutAccuracy).toBeGreaterThan(0.5);
    expect(trained.history.loss).toHaveLength(1);
    expect(trained.history.secondsPerEpoch[0]).toBeGreaterThan(0);
    expect(trained.model.getUserDefinedMetadata()).toMatchObject({
      classNames: digits.classNames,
      sampleShape: [28, 28, 1],
      source: 'mnist',
    });
    trained.model.dispose();
  });

  it('one epoch of the CNN trains on the wasm backend (conv gradients) and beats chance', async () => {
    const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 4 });
    const before = accuracy(model, digits);
    const history = await trainNetwork(model, digits, { epochs: 1, batchSize: 32, progress: false });
    const after = accuracy(model, digits);
    expect(after).toBeGreaterThan(0.3);
    expect(after).toBeGreaterThan(before + 0.15);
    expect(history.loss[0]).toBeLessThan(Math.log(10) + 0.1); // mean over the epoch, from ≈ ln 10 at the start
    expect(after).toBeCloseTo(accuracyByHand(model, digits), 10);
    model.dispose();
  });

  it('loss falls epoch over epoch, and the same seed repeats the training exactly', async () => {
    const subset = loadMnist({ limit: 300 });
    const run = async () => {
      const model = buildFeatureNetwork('mlp', [28, 28, 1], 10, { seed: 9 });
      const history = await trainNetwork(model, subset, { epochs: 3, batchSize: 50, seed: 2, progress: false });
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return { history, weights };
    };
    const first = await run();
    expect(first.history.loss[1]).toBeLessThan(first.history.loss[0]);
    expect(first.history.loss[2]).toBeLessThan(first.history.loss[1]);
    const second = await run();
    expect(second.history.loss).toEqual(first.history.loss);
    expect(second.weights).toEqual(first.weights);
  });

  it('the same seed gives the same initial weights (seed 0 too), another seed other weights', () => {
    const weightsOf = (seed: number) => {
      const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    const zero = weightsOf(0);
    expect(weightsOf(0)).toEqual(zero);
    const one = weightsOf(1);
    zero.forEach((w, k) => {
      if (w.some((v) => v !== 0)) expect(one[k]).not.toEqual(w); // kernels differ; zero biases agree
    });
  });

  it('leaves no tensors behind (Adam state freed, batches tidied)', async () => {
    const subset = loadMnist({ limit: 100 });
    const model = buildFeatureNetwork('mlp', [28, 28, 1], 10);
    const before = tf.memory().numTensors;
    await trainNetwork(model, subset, { epochs: 2, batchSize: 16, progress: false });
    accuracy(model, subset);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('unlabelled data or a single class is a UserError', async () => {
    const unlabelled: Dataset = { ...digits, labels: null, source: 'png:/tmp/faces' };
    await expect(trainFeatureNetwork(unlabelled, { network: 'mlp', progress: false })).rejects.toThrow(UserError);
    await expect(trainFeatureNetwork(unlabelled, { network: 'mlp', progress: false })).rejects.toThrow(
      /png:\/tmp\/faces has no labels/,
    );
    const zeros = loadMnist({ digits: [0], limit: 50 });
    await expect(trainFeatureNetwork(zeros, { network: 'mlp', progress: false })).rejects.toThrow(
      /mnist:0 has only one class \('0'\)/,
    );
    const model = buildFeatureNetwork('mlp', [28, 28, 1], 10);
    await expect(trainNetwork(model, digits, { epochs: 0, progress: false })).rejects.toThrow(
      /epochs must be a positive whole number/,
    );
    model.dispose();
    expect(() => buildFeatureNetwork('cnn', [10], 2)).toThrow(/network 'cnn' needs image samples/);
  });
});
