/**
 * tfjs models beyond chains: functional graphs with Add and Concatenate, nested Sequential models,
 * separable, depthwise and dilated convolutions, zero padding, leaky ReLU, ReLU6 and a batch norm
 * that cannot be fused. The read network computes what model.predict computes; without biases and
 * with ReLU only, LRP-0 equals gradient × input (an identity the engine does not use); tensor
 * count stable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { explainByGradient, selectPerSample } from '../src/explain/gradient-methods.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

let seed = 1;
const uniform = () => tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ });
const bias = (useBias: boolean) => ({
  biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed++ }),
  useBias,
});
const init = (useBias: boolean) => ({ kernelInitializer: uniform(), ...bias(useBias) });

/**
 * input → zero padding → separable conv → [nested Sequential: depthwise conv → dilated conv] and a
 * 1×1 conv → Add → relu → Concatenate with a max-pooled branch of itself → flatten → dense.
 */
function graphModel(useBias: boolean, extras: boolean): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 2] });
  let h = tf.layers.zeroPadding2d({ padding: 1 }).apply(input) as tf.SymbolicTensor;
  h = tf.layers
    .separableConv2d({
      filters: 4,
      kernelSize: 3,
      depthMultiplier: 2,
      activation: 'relu',
      depthwiseInitializer: uniform(),
      pointwiseInitializer: uniform(),
      ...bias(useBias),
    })
    .apply(h) as tf.SymbolicTensor;
  const nested = tf.sequential({
    layers: [
      tf.layers.depthwiseConv2d({
        inputShape: [9, 9, 4],
        kernelSize: 3,
        padding: 'same',
        depthwiseInitializer: uniform(),
        ...bias(useBias),
      }),
      ...(extras ? [tf.layers.leakyReLU({ alpha: 0.2 })] : [tf.layers.reLU()]),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', ...init(useBias) }),
    ],
  });
  const left = nested.apply(h) as tf.SymbolicTensor;
  const right = tf.layers.conv2d({ filters: 4, kernelSize: 1, ...init(useBias) }).apply(h) as tf.SymbolicTensor;
  let sum = tf.layers.add().apply([left, right]) as tf.SymbolicTensor;
  sum = (extras ? tf.layers.reLU({ maxValue: 6 }) : tf.layers.reLU()).apply(sum) as tf.SymbolicTensor;
  if (extras) sum = tf.layers.batchNormalization().apply(sum) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(sum) as tf.SymbolicTensor;
  let out = tf.layers.concatenate().apply([sum, pooled]) as tf.SymbolicTensor;
  out = tf.layers.flatten().apply(out) as tf.SymbolicTensor;
  out = tf.layers.dense({ units: 3, ...init(useBias) }).apply(out) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

describe('tfjs graphs and the layers users hit', () => {
  it('computes what model.predict computes (with biases, leaky ReLU, ReLU6, unfused batch norm)', () => {
    const model = graphModel(true, true);
    // give the batch norm statistics that are not the identity
    const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    bn.setWeights(
      bn
        .getWeights()
        .map((w, k) => tf.add(tf.mul(tf.randomUniform(w.shape, 0, 1, 'float32', k + 5), 0.5), k === 3 ? 0.5 : 0)),
    );
    const network = fromLayersModel(model);
    const kinds = network.layers.map((l) => l.kind);
    for (const kind of ['pad', 'add', 'concat', 'leaky-relu', 'clip', 'affine']) expect(kinds).toContain(kind);
    expect(network.isChain).toBe(false);
    const x = tf.randomUniform([4, 9, 9, 2], 0, 1, 'float32', 9);
    const ours = tf.tidy(() => network.forward(x).dataSync());
    const theirs = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    ours.forEach((v, i) => expect(v).toBeCloseTo(theirs[i], 5));
    tf.dispose(x);
    network.dispose();
    model.dispose();
  });

  it('LRP-0 equals gradient × input without biases; the tensor count stays stable', () => {
    const model = graphModel(false, false);
    const network = fromLayersModel(model);
    const x = tf.randomUniform([3, 9, 9, 2], 0, 1, 'float32', 10);
    const target = Int32Array.of(0, 1, 2);
    const before = tf.memory().numTensors;
    const lrp = explainLRP(network, x, { composite: parseComposite('lrp:0'), target: Array.from(target) });
    const gxi = explainByGradient((z) => selectPerSample(network.forward(z), target), x, 'gxi');
    const a = lrp.relevance.dataSync() as Float32Array;
    const b = gxi.relevance.dataSync() as Float32Array;
    const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0);
    a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4 * scale));
    tf.dispose([lrp.relevance, lrp.output, gxi.relevance]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    network.dispose();
    model.dispose();
  });
});
