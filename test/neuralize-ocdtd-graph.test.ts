/**
 * OC-DTD through a feature network with a skip connection, read from ONNX: the neuralized SVM's
 * distance and pooling layers are appended to the graph; o(x) equals the SVM's own outlierness
 * (f(x) = νl·exp(−γ o(x)) − ρ), the relevance at the features sums to o(x), and below them the
 * relevance is the composite's propagation of exactly that (checked by running it separately).
 */
import { beforeAll, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { readOnnxNetwork } from '../src/explain/onnx/from-onnx.ts';
import { deepTaylor } from '../src/explain/composites.ts';
import { propagate } from '../src/explain/lrp.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { defaultFeatureLayerOf } from '../src/run/explainable-model.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

it('OC-DTD through an ONNX residual feature network conserves o(x) at the features', () => {
  const n = 40;
  const full = readOnnxNetwork(new URL('./fixtures/onnx/mnist-small.onnx', import.meta.url).pathname);
  const features = full.upTo(defaultFeatureLayerOf(full));
  expect(features.isChain).toBe(false);
  const x = tf.tensor4d(mnistDigitImages(4).slice(0, n * 784), [n, 28, 28, 1]);
  const phi = features.forward(x);
  const rows = Float32Array.from(phi.dataSync());
  const d = phi.shape[1] as number;
  phi.dispose();
  const svm = new OneClassSVM({ kernel: 'gaussian', nu: 0.2, gamma: 'scale' }).fit({ data: rows, n, d });
  const nz = neuralize(svm);
  const network = nz.network(features);
  const { relevance, outlierness: o, layers } = ocdtd(network, x, { returnLayers: true });
  const decision = svm.decisionFunction({ data: rows, n, d });
  const fromO = nz.decisionFromOutlierness(o);
  const k = network.indexOf('ocsvm/distance');
  const sums = tf.tidy(() => tf.sum(layers![k], 1)).dataSync();
  const below = propagate(features, x, layers![k], deepTaylor());
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(below.relevance, relevance)))).dataSync()[0];
  for (let s = 0; s < n; s++) {
    expect(Math.abs(fromO[s] - decision[s])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(decision[s])));
    expect(Math.abs(sums[s] - o[s])).toBeLessThanOrEqual(1e-4 * o[s]);
  }
  expect(diff).toBeLessThan(1e-5 * Math.max(...o));
  tf.dispose([x, relevance, ...layers!, below.relevance, below.output]);
  nz.dispose();
  full.dispose();
});
