/**
 * Feature maps from several layers: shapes and values against tfjs's own layer outputs reduced by
 * plain loops; the residual of an autoencoder against x − model.predict(x); the relevance of
 * concatenated branches against explicit matrices; the feature scaling against float64 loops.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { buildAutoencoder } from '../src/features/autoencoder.ts';
import { Standardizer } from '../src/features/standardizer.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { featureMap, forwardRows, tapSizes } from '../src/explain/feature-map.ts';
import { ExplainableNetwork } from '../src/explain/network.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { StandardizeLayer } from '../src/explain/layers/standardize.ts';
import { Conv2DTransposeLayer } from '../src/explain/layers/conv2d-transpose.ts';
import { propagate } from '../src/explain/lrp.ts';
import { seededRandom } from './helpers/ocsvm-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const uniform = (length: number, seed: number, low = 0, high = 1) => {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length }, () => low + (high - low) * rnd());
};

describe('feature maps', () => {
  it('conv maps pooled to their strongest response per channel, side by side with a dense layer, as tfjs computes them', () => {
    const n = 5;
    const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 2 });
    const network = fromLayersModel(model);
    const x = mnistDigitImages(4).slice(0, n * 784);
    const taps = ['conv1', 'pool2', 'features'].map((layer) => ({ network, layer }));
    expect(tapSizes(taps)).toEqual([32, 64, 128]);
    const before = tf.memory().numTensors;
    const phi = forwardRows(featureMap(taps), x);
    expect(tf.memory().numTensors).toBe(before);
    expect(phi.length).toBe(n * 224);

    // reference: tfjs's layer outputs, each [h, w, c] map reduced by loops
    const outputs = ['conv1', 'pool2', 'features'].map((name) => model.getLayer(name).output as tf.SymbolicTensor);
    const probe = tf.model({ inputs: model.inputs, outputs });
    const [conv1, pool2, dense] = tf.tidy(() =>
      (probe.predict(tf.tensor4d(x, [n, 28, 28, 1])) as tf.Tensor[]).map((t) => t.arraySync()),
    ) as [number[][][][], number[][][][], number[][]];
    const globalMax = (map: number[][][]) =>
      map[0][0].map((_, c) => Math.max(...map.flatMap((rowOfMap) => rowOfMap.map((pixel) => pixel[c]))));
    for (let s = 0; s < n; s++) {
      const expected = [...globalMax(conv1[s]), ...globalMax(pool2[s]), ...dense[s]];
      const got = Array.from(phi.subarray(s * 224, (s + 1) * 224));
      got.forEach((v, j) => expect(Math.abs(v - expected[j])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(expected[j]))));
    }
    network.dispose();
    model.dispose();
  });

  it("an autoencoder's residual is x − x̂, one feature per pixel", () => {
    const n = 4;
    const model = buildAutoencoder([28, 28, 1], { seed: 3 });
    const network = fromLayersModel(model);
    const x = mnistDigitImages(7).slice(0, n * 784);
    const residual = forwardRows(featureMap([{ network, layer: 'residual' }]), x);
    const reconstruction = tf.tidy(() => (model.predict(tf.tensor4d(x, [n, 28, 28, 1])) as tf.Tensor).dataSync());
    expect(residual.length).toBe(n * 784);
    residual.forEach((v, k) => expect(Math.abs(v - (x[k] - reconstruction[k]))).toBeLessThan(1e-5));
    network.dispose();
    model.dispose();
  });

  it('names the layers it knows when asked for one it does not, and refuses a residual of a classifier', () => {
    const model = buildFeatureNetwork('mlp', [4], 3, { seed: 1 });
    const network = fromLayersModel(model);
    expect(() => featureMap([{ network, layer: 'conv9' }])).toThrow(UserError);
    expect(() => featureMap([{ network, layer: 'conv9' }])).toThrow(
      /no layer named 'conv9'; its layers: hidden, features, logits/,
    );
    expect(() => featureMap([{ network, layer: 'residual' }])).toThrow(/needs an autoencoder/);
    expect(() =>
      featureMap([
        { network, layer: 'features' },
        { network, layer: 'features' },
      ]),
    ).toThrow(/named twice/);
    network.dispose();
    model.dispose();
  });

  it('relevance of taps of two networks: each slice sent down its own network, summed at the input (LRP-0 by hand)', () => {
    // two dense branches from a 3-value input: z1 = x W1 (2 outputs), z2 = x W2 (1 output)
    const W1 = [
      [1, -2],
      [0.5, 1],
      [2, 0.25],
    ];
    const W2 = [[0.5], [-1], [3]];
    const x = [0.3, 0.8, 0.5];
    const R = [0.7, -0.2, 1.1]; // relevance of [z1 | z2]
    const branch = (name: string, W: number[][]) =>
      new ExplainableNetwork([new DenseLayer(name, tf.tensor2d(W), null)], [3]);
    const b1 = branch('b1', W1);
    const b2 = branch('b2', W2);
    const network = featureMap([
      { network: b1, layer: 'b1' },
      { network: b2, layer: 'b2' },
    ]);
    const input = tf.tensor2d([x]);
    const { relevance, output } = propagate(network, input, tf.tensor2d([R]), null);
    // LRP-0 by hand: R_i = Σ_j x_i w_ij R_j / z_j over both branches
    const expected = x.map((xi, i) => {
      let sum = 0;
      for (const [W, offset] of [
        [W1, 0],
        [W2, 2],
      ] as const) {
        W[0].forEach((_, j) => {
          const z = x.reduce((acc, xk, k) => acc + xk * W[k][j], 0);
          sum += (xi * W[i][j] * R[offset + j]) / z;
        });
      }
      return sum;
    });
    const got = Array.from(relevance.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(
      R.reduce((a, b) => a + b, 0),
      5,
    ); // no bias: conserved
    expect(Array.from(output.dataSync())).toEqual(
      Array.from(tf.tidy(() => tf.concat([b1.forward(input), b2.forward(input)], 1).dataSync())),
    );
    tf.dispose([relevance, output, input]);
    b1.dispose();
    b2.dispose();
  });

  it('a transposed convolution reads from tfjs and its transpose is its adjoint', () => {
    const layer = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', useBias: true });
    const a = tf.tensor4d(uniform(2 * 4 * 5 * 3, 11, -1, 1), [2, 4, 5, 3]);
    const reference = layer.apply(a) as tf.Tensor;
    const [kernel, bias] = layer.getWeights().map((w) => tf.clone(w));
    const ours = new Conv2DTransposeLayer('t', kernel, bias, [2, 2], 'same');
    const out = ours.forward(a);
    expect(out.shape).toEqual([2, 8, 10, 2]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(out, reference))).dataSync()[0])).toBeLessThan(1e-5);
    // ⟨T a, s⟩ = ⟨a, Tᵀ s⟩ for the bias-free operator
    const s = tf.tensor4d(uniform(2 * 8 * 10 * 2, 12, -1, 1), [2, 8, 10, 2]);
    const [left, right] = tf.tidy(() => [
      tf.sum(tf.mul(ours.apply(a, ours.weight, null), s)).dataSync()[0],
      tf.sum(tf.mul(a, ours.transpose(s, ours.weight))).dataSync()[0],
    ]);
    expect(left).toBeCloseTo(right, 3);
    tf.dispose([a, reference, out, s]);
    ours.dispose();
  });
});

describe('feature scaling', () => {
  // 7 rows: a block of 3 layer features (the last one constant) and a block of 4 pixel-unit features
  const n = 7;
  const d = 7;
  const rows = uniform(n * d, 5, -2, 3);
  for (let i = 0; i < n; i++) rows[i * d + 2] = 1.5;
  const blocks = [
    { size: 3, perFeature: true },
    { size: 4, perFeature: false },
  ];

  it('standardises per feature in a layer block, keeps a pixel block in proportion, gives each block unit total variance', () => {
    const scaler = new Standardizer().fit(rows, d, blocks);
    // float64 loops
    const column = (j: number) => Array.from({ length: n }, (_, i) => rows[i * d + j]);
    const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const varOf = (v: number[]) => meanOf(v.map((x) => (x - meanOf(v)) ** 2));
    const sd = [0, 1, 2].map((j) => Math.sqrt(varOf(column(j))));
    const floor = (0.01 * (sd[0] + sd[1] + sd[2])) / 3;
    const base = sd.map((s) => Math.max(s, floor));
    const layerTotal = [0, 1, 2].reduce((t, j) => t + varOf(column(j)) / base[j] ** 2, 0);
    const pixelTotal = [3, 4, 5, 6].reduce((t, j) => t + varOf(column(j)), 0);
    const expectedScale = [
      ...base.map((b) => b * Math.sqrt(layerTotal)),
      ...[3, 4, 5, 6].map(() => Math.sqrt(pixelTotal)),
    ];
    Array.from(scaler.scale).forEach((s, j) => expect(s).toBeCloseTo(expectedScale[j], 10));
    Array.from(scaler.mean).forEach((m, j) => expect(m).toBeCloseTo(meanOf(column(j)), 6));
    // the scaled rows: each block's total variance is 1, layer features share one variance
    const z = scaler.transform(rows);
    const zColumn = (j: number) => Array.from({ length: n }, (_, i) => z[i * d + j]);
    expect([0, 1, 2].reduce((t, j) => t + varOf(zColumn(j)), 0)).toBeCloseTo(1, 5);
    expect([3, 4, 5, 6].reduce((t, j) => t + varOf(zColumn(j)), 0)).toBeCloseTo(1, 5);
    expect(varOf(zColumn(0))).toBeCloseTo(varOf(zColumn(1)), 5);
    expect(varOf(zColumn(2))).toBe(0);
  });

  it('the explainable standardisation layer computes the same rows and passes relevance through', () => {
    const scaler = new Standardizer().fit(rows, d, blocks);
    const layer = new StandardizeLayer('standardize', scaler.mean, scaler.scale);
    const input = tf.tensor2d(rows, [n, d]);
    const out = layer.forward(input);
    const expected = scaler.transform(rows);
    Array.from(out.dataSync()).forEach((v, k) => expect(v).toBeCloseTo(expected[k], 4));
    const R = tf.tensor2d(uniform(n * d, 6), [n, d]);
    const back = layer.relevance(input, R);
    expect(Array.from(back.dataSync())).toEqual(Array.from(R.dataSync()));
    tf.dispose([input, out, R, back]);
    layer.dispose();
  });

  it('refuses blocks that do not cover the columns', () => {
    expect(() => new Standardizer().fit(rows, d, [{ size: 3, perFeature: true }])).toThrow(/cover 3 columns, not 7/);
  });
});
