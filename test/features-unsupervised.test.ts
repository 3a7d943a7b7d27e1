/**
 * The feature networks trained without labels: the autoencoder (shapes, the loss falls, the
 * encoder explains with conservation, the residual's map is its own feature relevance) and the
 * transformation network (its pixel maps against tfjs's reverse/transpose, the loss falls).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadMnist, mnistDigitImages } from '../src/data/mnist.ts';
import { buildAutoencoder, trainAutoencoder } from '../src/features/autoencoder.ts';
import {
  buildTransformationNetwork,
  geometricTransforms,
  trainTransformationNetwork,
} from '../src/features/transformation-network.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { featureMap, forwardRows } from '../src/explain/feature-map.ts';
import { uniformComposite } from '../src/explain/composites.ts';
import { lrp0 } from '../src/explain/rules.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { handMadeModel, seededRandom } from './helpers/ocsvm-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const digits = (n: number, digit: number): Dataset => ({
  x: mnistDigitImages(digit).slice(0, n * 784),
  n,
  sampleShape: [28, 28, 1],
  labels: null,
  classNames: [],
  source: `mnist:${digit}`,
});

/** A hand-made OC-SVM on feature rows, neuralized (γ from the rows' variance). */
function svmOn(rows: Float32Array, n: number, d: number) {
  const mean = rows.reduce((a, v) => a + v, 0) / rows.length;
  const variance = rows.reduce((a, v) => a + (v - mean) ** 2, 0) / rows.length;
  return neuralize(
    handMadeModel(rows, n, d, {
      kernel: 'rbf',
      gamma: 1 / (d * variance),
      nSupport: 6,
      outlierFraction: 0.25,
      seed: 3,
    }),
  );
}

describe('autoencoder', () => {
  it('reconstructs samples of its input shape: images with sides divisible by 4 or not, and vectors', () => {
    for (const shape of [[28, 28, 1], [10, 14, 3], [9, 7, 1], [7]]) {
      const model = buildAutoencoder(shape, { seed: 1, bottleneck: 8 });
      expect(model.outputs[0].shape.slice(1)).toEqual(shape);
      expect(model.getLayer('bottleneck').outputShape).toEqual([null, 8]);
      model.dispose();
    }
  });

  it('trains without labels: the reconstruction loss falls epoch over epoch on a small set, no tensor left behind', async () => {
    const model = buildAutoencoder([28, 28, 1], { seed: 2 });
    const before = tf.memory().numTensors;
    const history = await trainAutoencoder(model, digits(64, 3), { epochs: 3, batchSize: 16, progress: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(history.loss[1]).toBeLessThan(history.loss[0]);
    expect(history.loss[2]).toBeLessThan(history.loss[1]);
    expect(history.accuracy).toEqual([]);
    await expect(
      trainAutoencoder(model, { ...digits(4, 3), sampleShape: [10], x: new Float32Array(4 * 10) }, { progress: false }),
    ).rejects.toThrow(UserError);
    model.dispose();
  });

  it('its encoder explains o(x) at the bottleneck with conservation down to the pixels (LRP-0, no biases yet)', () => {
    const n = 12;
    const model = buildAutoencoder([28, 28, 1], { seed: 4 });
    const network = fromLayersModel(model);
    const encoder = featureMap([{ network, layer: 'bottleneck' }]);
    const x = mnistDigitImages(1).slice(0, n * 784);
    const rows = forwardRows(encoder, x);
    const nz = svmOn(rows, n, 32);
    const input = tf.tensor4d(x, [n, 28, 28, 1]);
    const { relevance, outlierness, layers } = ocdtd(nz.network(encoder), input, {
      composite: uniformComposite(lrp0()),
      returnLayers: true,
    });
    const atFeatures = tf.tidy(() => tf.sum(layers![encoder.layers.length], 1).dataSync());
    const atPixels = tf.tidy(() => tf.sum(tf.reshape(relevance, [n, -1]), 1).dataSync());
    for (let s = 0; s < n; s++) {
      expect(Math.abs(atFeatures[s] - outlierness[s])).toBeLessThanOrEqual(1e-4 * outlierness[s]);
      expect(Math.abs(atPixels[s] - outlierness[s])).toBeLessThanOrEqual(2e-3 * outlierness[s]);
    }
    tf.dispose([input, relevance, ...layers!]);
    nz.dispose();
    network.dispose();
    model.dispose();
  });

  it("with the residual as features, the pixel map is the features' own relevance, summing to o(x)", () => {
    const n = 10;
    const model = buildAutoencoder([28, 28, 1], { seed: 5 });
    const network = fromLayersModel(model);
    const residual = featureMap([{ network, layer: 'residual' }]);
    const x = mnistDigitImages(8).slice(0, n * 784);
    const nz = svmOn(forwardRows(residual, x), n, 784);
    const input = tf.tensor4d(x, [n, 28, 28, 1]);
    const { relevance, outlierness, layers } = ocdtd(nz.network(residual), input, { returnLayers: true });
    const atFeatures = layers![residual.layers.length].dataSync();
    const map = relevance.dataSync();
    map.forEach((v, k) => expect(v).toBe(atFeatures[k]));
    const sums = tf.tidy(() => tf.sum(tf.reshape(relevance, [n, -1]), 1).dataSync());
    for (let s = 0; s < n; s++) expect(Math.abs(sums[s] - outlierness[s])).toBeLessThanOrEqual(1e-4 * outlierness[s]);
    tf.dispose([input, relevance, ...layers!]);
    nz.dispose();
    network.dispose();
    model.dispose();
  });
});

describe('transformation network', () => {
  it('its eight pixel maps of a square image are the flips and quarter turns that tfjs makes; four for other shapes', () => {
    const [h, w, c] = [5, 5, 2];
    const rnd = seededRandom(9);
    const image = Float32Array.from({ length: h * w * c }, () => rnd());
    const apply = (map: Int32Array) => {
      const out = new Float32Array(image.length);
      for (let p = 0; p < map.length; p++) for (let k = 0; k < c; k++) out[p * c + k] = image[map[p] * c + k];
      return Array.from(out).join(',');
    };
    const ours = new Set(geometricTransforms(h, w).map(apply));
    const reference = new Set(
      tf.tidy(() => {
        const t = tf.tensor3d(image, [h, w, c]);
        const turn = (a: tf.Tensor3D) => tf.reverse(tf.transpose(a, [1, 0, 2]), 1) as tf.Tensor3D;
        const all: tf.Tensor3D[] = [];
        let a = t;
        for (let k = 0; k < 4; k++) {
          all.push(a, tf.reverse(a, 1) as tf.Tensor3D);
          a = turn(a);
        }
        return all.map((r) => Array.from(r.dataSync()).join(','));
      }),
    );
    expect(ours.size).toBe(8);
    expect(ours).toEqual(reference);
    expect(new Set(geometricTransforms(4, 6).map((m) => Array.from(m).join(','))).size).toBe(4);
  });

  it('trains without labels to tell the transformations apart: the loss falls', async () => {
    const model = buildTransformationNetwork([28, 28, 1], 1);
    const history = await trainTransformationNetwork(model, digits(40, 4), {
      epochs: 2,
      batchSize: 32,
      progress: false,
    });
    expect(history.loss[1]).toBeLessThan(history.loss[0]);
    expect(history.loss[0]).toBeLessThan(Math.log(8) + 0.5);
    model.dispose();
    expect(() => buildTransformationNetwork([12])).toThrow(/needs images/);
  });
});

describe('data', () => {
  it('MNIST samples carry their name: digit file and position', () => {
    const ds = loadMnist({ digits: [3, 5], limit: 4 });
    expect(ds.names).toEqual(['3/0', '5/0', '3/1', '5/1']);
  });
});
