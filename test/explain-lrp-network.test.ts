/**
 * The LRP engine on whole networks read from tfjs models: conservation at every layer, LRP-0 =
 * gradient × input, batch-norm fusion, pooling routes by hand, the model reader's errors, custom
 * appended layers, and no tensor leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { explainLRP, propagate } from '../src/explain/lrp.ts';
import { parseComposite, COMPOSITE_NAMES, assignRules, type Composite } from '../src/explain/composites.ts';
import { flatRule, lrp0, zPlusRule, type Rule } from '../src/explain/rules.ts';
import { ExplainableNetwork, type ExplainableLayer, type Tensor } from '../src/explain/network.ts';
import { MaxPooling2DLayer } from '../src/explain/layers/max-pooling2d.ts';
import { AveragePooling2DLayer } from '../src/explain/layers/average-pooling2d.ts';
import { GlobalAveragePooling2DLayer } from '../src/explain/layers/global-average-pooling2d.ts';
import { seededRandom, uniform } from './explain-lrp-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

/** conv (same) → maxpool → conv (stride 2, valid) → avgpool → flatten → dense → dropout → dense, all ReLU. */
function smallCnn(useBias: boolean, seed = 1): tf.LayersModel {
  let s = seed;
  const init = () => ({
    kernelInitializer: tf.initializers.randomUniform({ minval: -0.6, maxval: 0.6, seed: s++ }),
    useBias,
  });
  const biasInit = useBias
    ? { biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 99 }) }
    : {};
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [10, 10, 2],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv1',
        ...init(),
        ...biasInit,
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({
        filters: 6,
        kernelSize: 3,
        strides: 2,
        padding: 'valid',
        activation: 'relu',
        name: 'conv2',
        ...init(),
        ...biasInit,
      }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 1, name: 'pool2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 8, activation: 'relu', name: 'features', ...init(), ...biasInit }),
      tf.layers.dropout({ rate: 0.5, name: 'drop' }),
      tf.layers.dense({ units: 3, name: 'logits', ...init(), ...biasInit }),
    ],
  });
}

function batch(n: number, shape: number[], seed: number, low = 0, high = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(uniform(seededRandom(seed), n * size, low, high), [n, ...shape]);
}

/** Per-sample sums of a [N, ...] tensor. */
function sampleSums(t: Tensor): number[] {
  return Array.from(tf.tidy(() => tf.sum(tf.reshape(t, [t.shape[0], -1]), 1)).dataSync());
}

describe('conservation', () => {
  // w² and flat only at the first layer: above it they would send relevance to dead neurons, which
  // the average pooling (LRP-0) cannot pass on
  const firstThen = (first: Rule): Composite => ({
    name: `${first.name}+z-plus`,
    first,
    byKind: { conv2d: zPlusRule(), dense: lrp0() },
  });
  const CONSERVING: Array<[string, Composite]> = [
    ...['lrp:0', 'lrp:z-plus', 'lrp:alpha1-beta0', 'lrp:deep-taylor'].map((m): [string, Composite] => [
      m,
      parseComposite(m),
    ]),
    ['deep-taylor, unbounded (w² first)', parseComposite('lrp:deep-taylor', { unbounded: true })],
    ['flat first, then z-plus / LRP-0', firstThen(flatRule())],
  ];
  it.each(CONSERVING)('%s: Σ R is the explained logit at every layer of a bias-free network', (_label, composite) => {
    const model = smallCnn(false);
    const net = fromLayersModel(model);
    const x = batch(4, [10, 10, 2], 5);
    const r = explainLRP(net, x, { composite, target: 'predicted', returnLayers: true });
    const logits = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const top = Array.from(r.target, (c, n) => logits[n][c]);
    expect(r.layers).toHaveLength(net.layers.length + 1);
    r.layers!.forEach((R, k) => {
      const sums = sampleSums(R);
      sums.forEach((s, n) =>
        expect(Math.abs(s - top[n]), `layer ${k} (${net.layers[k]?.name ?? 'top'}), sample ${n}`).toBeLessThan(
          1e-4 * Math.abs(top[n]) + 1e-6,
        ),
      );
    });
    expect(r.relevance.shape).toEqual([4, 10, 10, 2]);
    tf.dispose([x, r.relevance, r.output, ...r.layers!]);
    net.dispose();
    model.dispose();
  });

  it('deep-taylor puts only non-negative relevance on pixels of a network whose chosen logit is positive', () => {
    const model = smallCnn(false, 3);
    const net = fromLayersModel(model);
    const x = batch(4, [10, 10, 2], 6);
    const r = explainLRP(net, x, { composite: parseComposite('lrp:deep-taylor'), target: 'predicted' });
    const logits = r.output.arraySync() as number[][];
    const values = r.relevance.arraySync() as number[][][][];
    Array.from(r.target).forEach((c, n) => {
      if (logits[n][c] > 0) expect(Math.min(...values[n].flat(2))).toBeGreaterThanOrEqual(-1e-7);
    });
    tf.dispose([x, r.relevance, r.output]);
    net.dispose();
    model.dispose();
  });
});

describe('LRP-0 and the gradient', () => {
  it('LRP-0 equals gradient × input on a bias-free ReLU network (max and average pooling included)', () => {
    const model = smallCnn(false, 7);
    const net = fromLayersModel(model);
    const x = batch(3, [10, 10, 2], 8, -1, 1);
    const target = [0, 2, 1];
    const r = explainLRP(net, x, { composite: parseComposite('lrp:0'), target });
    const mask = tf.tensor2d(target.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
    const gradient = tf.grad((input: tf.Tensor) =>
      tf.sum(tf.mul(model.apply(input, { training: false }) as tf.Tensor, mask)),
    )(x);
    const expected = tf.mul(gradient, x).dataSync();
    const got = r.relevance.dataSync();
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(scale).toBeGreaterThan(0);
    expected.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThan(1e-5 * scale));
    tf.dispose([x, r.relevance, r.output, mask, gradient]);
    net.dispose();
    model.dispose();
  });
});

describe('batch normalisation fused into the layer before it', () => {
  it('the fused network gives the logits of the tfjs model, and the final softmax is dropped', () => {
    const rand = seededRandom(31);
    const input = tf.input({ shape: [6, 6, 2] });
    let h = tf.layers
      .conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv', biasInitializer: 'glorotUniform' })
      .apply(input) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: 'bn1' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.activation({ activation: 'relu', name: 'act' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten({ name: 'flat' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: 5, useBias: false, name: 'dense' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: 'bn2', center: false, epsilon: 0.01 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: 'relu' }).apply(h) as tf.SymbolicTensor;
    const logits = tf.layers.dense({ units: 3, name: 'logits' }).apply(h) as tf.SymbolicTensor;
    const probabilities = tf.layers.softmax({ name: 'softmax' }).apply(logits) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: probabilities });
    // non-trivial moving statistics and affine parameters
    for (const name of ['bn1', 'bn2']) {
      const bn = model.getLayer(name);
      bn.setWeights(
        bn.getWeights().map((w, k) => {
          const isVariance = k === bn.getWeights().length - 1;
          const values = uniform(rand, w.size, isVariance ? 0.2 : -1, isVariance ? 2 : 1.5);
          return tf.tensor(values, w.shape);
        }),
      );
    }
    const net = fromLayersModel(model);
    expect(net.layers.map((l) => l.name)).toEqual(['conv', 'act', 'pool', 'flat', 'dense', 'relu', 'logits']);
    const x = batch(5, [6, 6, 2], 32, -1, 1);
    const logitModel = tf.model({ inputs: input, outputs: logits });
    const expected = (logitModel.predict(x) as tf.Tensor).dataSync();
    const got = net.forward(x).dataSync();
    const scale = Math.max(...Array.from(expected, Math.abs));
    expected.forEach((e, i) => expect(Math.abs(got[i] - e)).toBeLessThan(1e-5 * scale));
    net.dispose();
    model.dispose();
  });
});

describe('pooling routes, by hand on a 4×4 example', () => {
  const image = [
    [1, 2, 0, 3],
    [4, 1, 1, 1],
    [0, 0, 2, 5],
    [1, 3, 1, 0],
  ];
  const top = [
    [1, 2],
    [3, 4],
  ];
  const run = (layer: ExplainableLayer) =>
    tf.tidy(() => {
      const x = tf.tensor4d(image.flat(), [1, 4, 4, 1]);
      const output = layer.forward(x);
      return tf
        .reshape(layer.relevance(x, tf.tensor4d(top.flat(), [1, 2, 2, 1]), undefined, { output }), [4, 4])
        .arraySync() as number[][];
    });

  it('max pooling gives each window relevance to its winner', () => {
    const R = run(new MaxPooling2DLayer('max', [2, 2], [2, 2], 'valid'));
    expect(R).toEqual([
      [0, 0, 0, 2],
      [1, 0, 0, 0],
      [0, 0, 0, 4],
      [0, 3, 0, 0],
    ]);
  });

  it('average pooling shares relevance in proportion to the inputs (weights 1/k, LRP-0)', () => {
    const R = run(new AveragePooling2DLayer('avg', [2, 2], [2, 2], 'valid'));
    const expected = [
      [1 / 8, 2 / 8, 0, 6 / 5],
      [4 / 8, 1 / 8, 2 / 5, 2 / 5],
      [0, 0, 1, 20 / 8],
      [3 / 4, 9 / 4, 4 / 8, 0],
    ];
    R.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i], 6));
  });

  it('global average pooling shares a channel relevance in proportion to the inputs', () => {
    const layer = new GlobalAveragePooling2DLayer('gap');
    const R = tf.tidy(() => {
      const x = tf.tensor4d(image.flat(), [1, 4, 4, 1]);
      return layer.relevance(x, tf.tensor2d([[10]]), undefined, { output: layer.forward(x) }).dataSync();
    });
    const total = image.flat().reduce((a, b) => a + b, 0);
    Array.from(R).forEach((v, i) => expect(v).toBeCloseTo((image.flat()[i] / total) * 10, 5));
    layer.dispose();
  });
});

describe('reading tfjs models', () => {
  it('splits fused activations and names the cut after an activation', () => {
    const model = smallCnn(true);
    const net = fromLayersModel(model);
    expect(net.layers.map((l) => `${l.kind}:${l.name}`)).toEqual([
      'conv2d:conv1',
      'relu:conv1/relu',
      'max-pooling2d:pool1',
      'conv2d:conv2',
      'relu:conv2/relu',
      'average-pooling2d:pool2',
      'reshape:flatten',
      'dense:features',
      'relu:features/relu',
      'identity:drop',
      'dense:logits',
    ]);
    expect(
      net
        .upTo('features')
        .layers.map((l) => l.name)
        .at(-1),
    ).toBe('features/relu');
    const x = batch(3, [10, 10, 2], 9);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const got = net.forward(x).dataSync();
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
    net.dispose();
    model.dispose();
  });

  it('rejects an unsupported layer class, naming the layer and its class', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 3, name: 'd1' }),
        tf.layers.elu({ name: 'smooth' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(() => fromLayersModel(model)).toThrow(UserError);
    expect(() => fromLayersModel(model)).toThrow(/'smooth' \(ELU\).*supported: InputLayer, Dense/);
    model.dispose();
  });

  it('rejects an unsupported activation, freeing the weights copied before the error', () => {
    const tanh = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [4], units: 3, name: 'first' }),
        tf.layers.dense({ units: 3, activation: 'tanh', name: 'squash' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    expect(() => fromLayersModel(tanh)).toThrow(/'squash' \(Dense\): activation 'tanh'/);
    const memory = tf.memory().numTensors;
    expect(() => fromLayersModel(tanh)).toThrow(UserError);
    expect(tf.memory().numTensors).toBe(memory);
    tanh.dispose();
  });
});

describe('composites and targets', () => {
  it('assigns rules by first layer, kind and name', () => {
    const model = smallCnn(true);
    const net = fromLayersModel(model);
    const names = (method: string) => assignRules(net, parseComposite(method)).map((r) => r?.name ?? '-');
    expect(names('lrp:epsilon-plus-flat')).toEqual([
      'flat',
      '-',
      '-',
      'z-plus',
      '-',
      '-',
      '-',
      'epsilon(0.000001)',
      '-',
      '-',
      'epsilon(0.000001)',
    ]);
    expect(names('lrp:epsilon-gamma-box')).toEqual([
      'z-box(0, 1)',
      '-',
      '-',
      'gamma(0.25)',
      '-',
      '-',
      '-',
      'epsilon(0.000001)',
      '-',
      '-',
      'epsilon(0.000001)',
    ]);
    expect(names('lrp:epsilon-alpha2-beta1')[3]).toBe('alpha2-beta1');
    expect(assignRules(net, { name: 'custom', byName: { conv2: flatRule() } }).map((r) => r?.name ?? '-')[3]).toBe(
      'flat',
    );
    expect(parseComposite('deep-taylor', { unbounded: true }).first?.name).toBe('w-square');
    expect(parseComposite('lrp:epsilon=0.25').byKind?.dense.name).toBe('epsilon(0.25)');
    net.dispose();
    model.dispose();
  });

  it('rejects an unknown method, listing the allowed ones', () => {
    expect(() => parseComposite('lrp:epsilon-plus-flatt')).toThrow(UserError);
    expect(() => parseComposite('lrp:epsilon-plus-flatt')).toThrow(
      /unknown LRP method 'lrp:epsilon-plus-flatt'.*lrp:epsilon-plus-flat/,
    );
    expect(() => parseComposite('lrp:flat=2')).toThrow(/only epsilon and gamma take a value/);
    expect(COMPOSITE_NAMES).toContain('lrp:epsilon-gamma-box');
  });

  it('explains the requested class: the top relevance is that logit, and a bad index is a UserError', () => {
    const model = smallCnn(true);
    const net = fromLayersModel(model);
    const x = batch(2, [10, 10, 2], 10);
    const r = explainLRP(net, x, { composite: parseComposite('lrp:0'), target: [2, 0], returnLayers: true });
    const top = (r.layers!.at(-1)!.arraySync() as number[][]).map((row) => row.map((v) => v + 0)); // -0 → 0
    const logits = r.output.arraySync() as number[][];
    expect(top[0]).toEqual([0, 0, logits[0][2]]);
    expect(top[1]).toEqual([logits[1][0], 0, 0]);
    tf.dispose([x, r.relevance, r.output, ...r.layers!]);
    const before = tf.memory().numTensors;
    const y = batch(2, [10, 10, 2], 11);
    expect(() => explainLRP(net, y, { composite: parseComposite('lrp:0'), target: 3 })).toThrow(
      /class index 3 out of range.*0…2/,
    );
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    model.dispose();
  });
});

/** A layer with its own relevance formula, as the neuralized SVM appends: f = Σ_i x_i², R_i = x_i²/f · R. */
class SquaredNormLayer implements ExplainableLayer {
  readonly kind = 'squared-norm';
  readonly name = 'norm';
  calls: Array<string | undefined> = [];
  forward(a: Tensor): Tensor {
    return tf.sum(tf.square(a), 1, true);
  }
  relevance(input: Tensor, R: Tensor, rule: { name: string } | undefined, ctx: { output: Tensor }): Tensor {
    this.calls.push(rule?.name);
    return tf.mul(tf.div(tf.square(input), ctx.output), R);
  }
  dispose(): void {}
}

describe('appended layers with their own relevance', () => {
  it('propagate runs a custom top layer with a custom top relevance, then the linear rules', () => {
    const model = smallCnn(false, 13);
    const base = fromLayersModel(model);
    const norm = new SquaredNormLayer();
    const net = base.upTo('features').extend(norm);
    expect(net).toBeInstanceOf(ExplainableNetwork);
    const x = batch(3, [10, 10, 2], 14);
    const r = propagate(net, x, (out) => tf.sqrt(out), parseComposite('lrp:0'), { returnLayers: true });
    expect(norm.calls).toEqual([undefined]);
    const out = r.output.dataSync();
    const features = r.layers![net.layers.length - 1];
    // the custom rule's relevance sums to the top relevance √f, and LRP-0 conserves it down to the pixels
    sampleSums(features).forEach((s, n) => expect(s).toBeCloseTo(Math.sqrt(out[n]), 4));
    sampleSums(r.relevance).forEach((s, n) =>
      expect(Math.abs(s - Math.sqrt(out[n]))).toBeLessThan(1e-4 * Math.sqrt(out[n])),
    );
    tf.dispose([x, r.relevance, r.output, ...r.layers!]);
    base.dispose();
    model.dispose();
  });
});

describe('memory', () => {
  it('1,000 explanations leave the tensor count unchanged', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3 }),
      ],
    });
    const net = fromLayersModel(model);
    const x = batch(2, [6, 6, 1], 15);
    const composites = [
      'lrp:epsilon-gamma-box',
      'lrp:epsilon-plus-flat',
      'lrp:epsilon-alpha2-beta1',
      'lrp:deep-taylor',
    ].map((m) => parseComposite(m));
    const run = (k: number) => {
      const r = explainLRP(net, x, {
        composite: composites[k % composites.length],
        target: 'predicted',
        returnLayers: k % 2 === 0,
      });
      tf.dispose([r.relevance, r.output, ...(r.layers ?? [])]);
    };
    run(0);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 1000; k++) run(k);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
    model.dispose();
  });
});
