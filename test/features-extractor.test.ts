import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { saveModel } from '../src/features/model-io.ts';
import { defaultFeatureLayer, modelExtractor, networkExtractor, pixelExtractor } from '../src/features/extractor.ts';

let dir: string;
let cnn: tf.LayersModel;
let mlp: tf.LayersModel;

/** Deterministic values in [0, 1) from a fixed LCG (independent of tfjs). */
function values(count: number, seed: number): Float32Array {
  const x = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

function images(n: number): Dataset {
  return { x: values(n * 784, 99), n, sampleShape: [28, 28, 1], labels: null, classNames: [], source: 'test-images' };
}

/** Random weights, so that no ReLU is trivially dead or alive and biases matter. */
function randomise(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((w, k) => {
      const shape = w.shape as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(
        Array.from(values(size, seed + k), (v) => (v - 0.5) * 0.3),
        shape,
      );
    }),
  );
}

beforeAll(async () => {
  await initRuntime({ quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'oc-extractor-'));
  cnn = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 1 });
  mlp = buildFeatureNetwork('mlp', [28, 28, 1], 10, { seed: 2 });
  randomise(cnn, 10);
  randomise(mlp, 20);
});
afterAll(async () => {
  cnn.dispose();
  mlp.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** y = relu(x W + b) with plain loops, W stored input-major (as a tfjs dense kernel). */
function denseRelu(x: Float32Array, n: number, W: Float32Array, b: Float32Array): Float32Array {
  const inDim = W.length / b.length;
  const outDim = b.length;
  const y = new Float32Array(n * outDim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < outDim; j++) {
      let z = b[j];
      for (let k = 0; k < inDim; k++) z += x[i * inDim + k] * W[k * outDim + j];
      y[i * outDim + j] = Math.max(0, z);
    }
  }
  return y;
}

function weightsOf(model: tf.LayersModel, layer: string): Float32Array[] {
  return model
    .getLayer(layer)
    .getWeights()
    .map((w) => w.dataSync() as Float32Array);
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  expect(worst).toBeLessThan(tolerance);
}

describe('feature extractors', () => {
  it('have the expected output shapes: cnn, mlp, pixels, a named conv layer', () => {
    const ds = images(5);
    const cases: Array<[ReturnType<typeof pixelExtractor>, number[], string]> = [
      [networkExtractor(cnn), [128], 'network:features'],
      [networkExtractor(mlp), [128], 'network:features'],
      [networkExtractor(cnn, { layer: 'conv2' }), [11, 11, 64], 'network:conv2'],
      [networkExtractor(cnn, { layer: 'pool1' }), [13, 13, 32], 'network:pool1'],
      [pixelExtractor([28, 28, 1]), [784], 'pixels'],
    ];
    for (const [extractor, shape, name] of cases) {
      expect(extractor.name).toBe(name);
      expect(extractor.outputShape).toEqual(shape);
      expect(extractor.featureDim).toBe(shape.reduce((a, b) => a * b, 1));
      expect(extractor.extract(ds).length).toBe(5 * extractor.featureDim);
    }
  });

  it('pixels are the samples themselves, flattened (a copy)', () => {
    const ds = images(3);
    const features = pixelExtractor(ds.sampleShape).extract(ds);
    expect(Array.from(features)).toEqual(Array.from(ds.x));
    expect(features).not.toBe(ds.x);
  });

  it('mlp features equal relu(relu(x W1 + b1) W2 + b2) computed with plain loops', () => {
    const ds = images(6);
    const [W1, b1] = weightsOf(mlp, 'hidden');
    const [W2, b2] = weightsOf(mlp, 'features');
    const expected = denseRelu(denseRelu(ds.x, 6, W1, b1), 6, W2, b2);
    expectClose(networkExtractor(mlp).extract(ds), expected, 1e-5);
  });

  it('cnn features equal a forward pass written with raw tf ops from the layer weights', () => {
    const ds = images(7);
    const expected = tf.tidy(() => {
      const [k1, c1] = cnn.getLayer('conv1').getWeights();
      const [k2, c2] = cnn.getLayer('conv2').getWeights();
      const [W, b] = cnn.getLayer('features').getWeights();
      let h: tf.Tensor4D = tf.tensor4d(ds.x, [7, 28, 28, 1]);
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, k1 as tf.Tensor4D, 1, 'valid'), c1)) as tf.Tensor4D, 2, 2, 'valid');
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, k2 as tf.Tensor4D, 1, 'valid'), c2)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.relu(tf.add(tf.matMul(tf.reshape(h, [7, -1]), W as tf.Tensor2D), b)).dataSync() as Float32Array;
    });
    expectClose(networkExtractor(cnn).extract(ds), expected, 1e-4);
    // the conv layer itself, against tf.conv2d alone
    const conv1 = tf.tidy(() => {
      const [k1, c1] = cnn.getLayer('conv1').getWeights();
      return tf
        .relu(tf.add(tf.conv2d(tf.tensor4d(ds.x, [7, 28, 28, 1]), k1 as tf.Tensor4D, 1, 'valid'), c1))
        .dataSync() as Float32Array;
    });
    expectClose(networkExtractor(cnn, { layer: 'conv1' }).extract(ds), conv1, 1e-5);
  });

  it('gives the same features whatever the batch size, from a Dataset or a raw batch', () => {
    const ds = images(20);
    const whole = networkExtractor(cnn, { batchSize: 512 }).extract(ds);
    expect(Array.from(networkExtractor(cnn, { batchSize: 7 }).extract(ds))).toEqual(Array.from(whole));
    expect(Array.from(networkExtractor(cnn).extract(ds.x))).toEqual(Array.from(whole));
  });

  it('model:PATH loads a saved model and extracts the same features (default and named layer)', async () => {
    const path = join(dir, 'cnn');
    await saveModel(cnn, path);
    const ds = images(4);
    const fromFile = await modelExtractor(path);
    expect(fromFile.name).toBe(`model:${join(path, 'model.json')}:features`);
    expect(fromFile.outputShape).toEqual([128]);
    expect(fromFile.layer).toBe('features');
    expect(Array.from(fromFile.extract(ds))).toEqual(Array.from(networkExtractor(cnn).extract(ds)));
    fromFile.dispose();
    const named = await modelExtractor(join(path, 'model.json'), { layer: 'pool2' });
    expect(named.outputShape).toEqual([5, 5, 64]);
    expect(Array.from(named.extract(ds))).toEqual(Array.from(networkExtractor(cnn, { layer: 'pool2' }).extract(ds)));
    named.dispose();
    expect(pixelExtractor([28, 28, 1]).outputShape).toEqual([784]);
    expect(pixelExtractor([28, 28, 1]).layer).toBeNull();
    expect(networkExtractor(mlp).name).toBe('network:features');
  });

  it("default layer of a user's model is its last hidden ReLU layer, even behind a softmax", () => {
    const input = tf.input({ shape: [6] });
    const a = tf.layers.dense({ units: 5, activation: 'relu', name: 'a' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 4, activation: 'tanh', name: 'b' }).apply(a) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: 3, name: 'z' }).apply(b) as tf.SymbolicTensor;
    const probabilities = tf.layers.activation({ activation: 'softmax', name: 'p' }).apply(logits) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: probabilities });
    expect(defaultFeatureLayer(model)).toBe('a');
    expect(defaultFeatureLayer(cnn)).toBe('features');
    const noRelu = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [6], units: 4, name: 'h' }), tf.layers.dense({ units: 2, name: 'out' })],
    });
    expect(defaultFeatureLayer(noRelu)).toBe('h');
    model.dispose();
    noRelu.dispose();
  });

  it('bad layer names, model paths, specs and input sizes are UserErrors', async () => {
    expect(() => networkExtractor(cnn, { layer: 'conv9' })).toThrow(UserError);
    expect(() => networkExtractor(cnn, { layer: 'conv9' })).toThrow(
      /no layer named 'conv9'; its layers: input, conv1, pool1, conv2, pool2, flatten, features, logits/,
    );
    const missing = join(dir, 'absent');
    await expect(modelExtractor(missing)).rejects.toThrow(`model file ${join(missing, 'model.json')} does not exist`);
    await saveModel(mlp, join(dir, 'mlp'));
    await expect(modelExtractor(join(dir, 'mlp'), { layer: 'nope' })).rejects.toThrow(
      /model:.*mlp.*no layer named 'nope'; its layers: input, flatten, hidden, features, logits/,
    );
    expect(() => networkExtractor(cnn).extract(new Float32Array(100))).toThrow(/whole samples of 784 values, got 100/);
    const vectors: Dataset = {
      x: new Float32Array(30),
      n: 3,
      sampleShape: [10],
      labels: null,
      classNames: [],
      source: 'csv:v.csv',
    };
    expect(() => networkExtractor(cnn).extract(vectors)).toThrow(/csv:v\.csv has samples of shape \[10\]/);
  });

  it('leaves no tensors behind over many calls', () => {
    const extractor = networkExtractor(cnn, { batchSize: 3 });
    const ds = images(8);
    extractor.extract(ds);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) extractor.extract(ds);
    expect(tf.memory().numTensors).toBe(before);
  });
});
