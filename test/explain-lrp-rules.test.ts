/**
 * Every LRP rule of the engine, on single dense / conv / average-pooling layers with bias and
 * mixed-sign weights, against the rule's formula evaluated on the layer's explicit weight matrix
 * (conv unrolled by loops) in test/explain-lrp-reference.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { Conv2DLayer } from '../src/explain/layers/conv2d.ts';
import { AveragePooling2DLayer } from '../src/explain/layers/average-pooling2d.ts';
import type { ExplainableLayer } from '../src/explain/network.ts';
import {
  alphaBetaRule,
  epsilonRule,
  flatRule,
  gammaRule,
  lrp0,
  wSquareRule,
  zBoxRule,
  zPlusRule,
  type Rule,
} from '../src/explain/rules.ts';
import {
  convOutputSize,
  explicitDense,
  forwardExplicit,
  referenceRelevance,
  seededRandom,
  uniform,
  unrollConv,
  type ConvGeometry,
  type ExplicitLinear,
  type RuleSpec,
} from './explain-lrp-reference.ts';

const RULES: Array<[string, () => Rule, RuleSpec]> = [
  ['LRP-0', lrp0, { rule: '0' }],
  ['epsilon 0.1', () => epsilonRule(0.1), { rule: 'epsilon', epsilon: 0.1 }],
  ['gamma 0.25', () => gammaRule(0.25), { rule: 'gamma', gamma: 0.25 }],
  ['alpha2-beta1', () => alphaBetaRule(2, 1), { rule: 'alpha-beta', alpha: 2, beta: 1 }],
  ['alpha1-beta0', () => alphaBetaRule(1, 0), { rule: 'alpha-beta', alpha: 1, beta: 0 }],
  ['z-plus', zPlusRule, { rule: 'z-plus' }],
  ['z-box [-1, 1]', () => zBoxRule(-1, 1), { rule: 'z-box', low: -1, high: 1 }],
  // bounds given as tensors take the three-term route (per-pixel bounds)
  [
    'z-box [-1, 1] as tensors',
    () => zBoxRule(tf.keep(tf.scalar(-1)), tf.keep(tf.scalar(1))),
    { rule: 'z-box', low: -1, high: 1 },
  ],
  ['w-square', wSquareRule, { rule: 'w-square' }],
  ['flat', flatRule, { rule: 'flat' }],
];

/** Inputs in [-1, 1] (so that z^B's bounds hold) and in [0, 1] (as after a ReLU). */
const INPUT_RANGES: Array<[string, number, number]> = [
  ['mixed-sign input', -1, 1],
  ['non-negative input', 0, 1],
];

const SAMPLES = 3;

/** Biases of both signs (alternating by output), so that rules which treat b⁺ and b⁻ differently (γ) are exercised. */
function mixedSignBias(rand: () => number, n: number): number[] {
  const bias = uniform(rand, n, 0.1, 0.5).map((v, j) => (j % 2 === 0 ? v : -v));
  expect(bias.some((v) => v > 0) && bias.some((v) => v < 0)).toBe(true);
  return bias;
}

/** Per-input box bounds for z^B: low_i ∈ [−1.5, −1], high_i ∈ [1, 1.5], so inputs in [−1, 1] lie inside. */
function perInputBounds(n: number, seed: number): { low: number[]; high: number[] } {
  const rand = seededRandom(seed);
  return { low: uniform(rand, n, -1.5, -1), high: uniform(rand, n, 1, 1.5) };
}

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/**
 * Runs `layer.relevance` on a batch and compares each sample with the reference on `explicit`:
 * every R_i within 1e-5 of the reference's largest magnitude, plus float32 rounding amplified by
 * the conditioning of the denominators it depends on (8 ulp · sensitivity, see the reference).
 */
function expectAgreement(
  layer: ExplainableLayer,
  explicit: ExplicitLinear,
  inputShape: number[],
  rule: Rule,
  spec: RuleSpec,
  low: number,
  high: number,
  seed: number,
) {
  const rand = seededRandom(seed);
  const nIn = explicit.w.length;
  const nOut = explicit.b.length;
  const a = Array.from({ length: SAMPLES }, () => uniform(rand, nIn, low, high));
  const R = Array.from({ length: SAMPLES }, () => uniform(rand, nOut, -1, 1));
  const engine = tf.tidy(() => {
    const input = tf.tensor(a.flat(), [SAMPLES, ...inputShape]);
    const output = layer.forward(input);
    // the forward pass itself agrees with the explicit matrix
    const zRef = a.map((s) => forwardExplicit(explicit, s)).flat();
    const z = output.dataSync();
    expect(maxAbs(Array.from(z, (v, k) => v - zRef[k]))).toBeLessThan(1e-5 * maxAbs(zRef) + 1e-6);
    const rel = tf.reshape(tf.tensor(R.flat()), output.shape);
    return layer.relevance(input, rel, rule, { output }).dataSync();
  });
  expect(engine.length).toBe(SAMPLES * nIn);
  const ULP8 = 8 * 2 ** -24;
  for (let n = 0; n < SAMPLES; n++) {
    const { relevance: expected, sensitivity } = referenceRelevance(spec, explicit, a[n], R[n]);
    const scale = maxAbs(expected);
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < nIn; i++) {
      const got = engine[n * nIn + i];
      const tolerance = 1e-5 * scale + ULP8 * sensitivity[i];
      expect(
        Math.abs(got - expected[i]),
        `sample ${n}, input ${i}: ${got} vs ${expected[i]} (scale ${scale})`,
      ).toBeLessThanOrEqual(tolerance);
    }
  }
}

interface ConvCase extends Omit<ConvGeometry, 'kernel' | 'outChannels' | 'inChannels' | 'height' | 'width'> {
  label: string;
}
const CONV_CASES: ConvCase[] = [
  { label: '3×3 stride 1 same', kh: 3, kw: 3, strides: [1, 1], padding: 'same' },
  { label: '3×3 stride 1 valid', kh: 3, kw: 3, strides: [1, 1], padding: 'valid' },
  { label: '3×3 stride 2 same', kh: 3, kw: 3, strides: [2, 2], padding: 'same' },
  { label: '3×3 stride 2 valid', kh: 3, kw: 3, strides: [2, 2], padding: 'valid' },
  { label: '2×3 stride (2, 1) same', kh: 2, kw: 3, strides: [2, 1], padding: 'same' },
];

describe.each(['wasm', 'cpu'])('LRP rules against explicit-matrix references (%s backend)', (backend) => {
  beforeAll(async () => {
    await initRuntime({ quiet: true, backend });
  });

  describe.each(RULES)('%s', (_label, makeRule, spec) => {
    it.each(INPUT_RANGES)('dense layer, %s', (_range, low, high) => {
      const rand = seededRandom(11);
      const [nIn, nOut] = [7, 5];
      const w = Array.from({ length: nIn }, () => uniform(rand, nOut, -1, 1));
      const b = mixedSignBias(rand, nOut);
      const layer = new DenseLayer('d', tf.tensor2d(w), tf.tensor1d(b));
      expectAgreement(layer, explicitDense(w, b), [nIn], makeRule(), spec, low, high, 21);
      layer.dispose();
    });

    describe.each(CONV_CASES)('conv2d $label', (geometry) => {
      it.each(INPUT_RANGES)('%s', (_range, low, high) => {
        const rand = seededRandom(12);
        const g: ConvGeometry = { ...geometry, height: 5, width: 6, inChannels: 2, outChannels: 3, kernel: [] };
        g.kernel = uniform(rand, g.kh * g.kw * g.inChannels * g.outChannels, -1, 1);
        const bias = mixedSignBias(rand, g.outChannels);
        const layer = new Conv2DLayer(
          'c',
          tf.tensor4d(g.kernel, [g.kh, g.kw, g.inChannels, g.outChannels]),
          tf.tensor1d(bias),
          g.strides,
          g.padding,
        );
        const [ho, wo] = convOutputSize(g);
        expect(ho * wo).toBeGreaterThan(0);
        expectAgreement(layer, unrollConv(g, bias), [g.height, g.width, g.inChannels], makeRule(), spec, low, high, 22);
        layer.dispose();
      });
    });

    it('average pooling 2×2 stride 2 (weights 1/k) ', () => {
      // pooling is the convolution of each channel with a k×k kernel of 1/k, no bias
      const C = 2;
      const kernel = new Array<number>(2 * 2 * C * C).fill(0);
      for (let ky = 0; ky < 2; ky++)
        for (let kx = 0; kx < 2; kx++) for (let c = 0; c < C; c++) kernel[((ky * 2 + kx) * C + c) * C + c] = 1 / 4;
      const g: ConvGeometry = {
        height: 4,
        width: 6,
        inChannels: C,
        outChannels: C,
        kh: 2,
        kw: 2,
        strides: [2, 2],
        padding: 'valid',
        kernel,
      };
      const explicit = unrollConv(g, [0, 0]);
      // off-channel entries are not connections of a pooling window
      explicit.connected = explicit.connected.map((row, i) => row.map((on, j) => on && i % C === j % C));
      const layer = new AveragePooling2DLayer('p', [2, 2], [2, 2], 'valid');
      const positive = spec.rule === 'z-box' ? [-1, 1] : [0, 1];
      expectAgreement(layer, explicit, [4, 6, C], makeRule(), spec, positive[0], positive[1], 23);
      layer.dispose();
    });
  });

  describe('z-box with per-pixel bounds as tensors shaped like one sample', () => {
    it('dense layer', () => {
      const rand = seededRandom(13);
      const [nIn, nOut] = [7, 5];
      const w = Array.from({ length: nIn }, () => uniform(rand, nOut, -1, 1));
      const b = mixedSignBias(rand, nOut);
      const { low, high } = perInputBounds(nIn, 31);
      const layer = new DenseLayer('d', tf.tensor2d(w), tf.tensor1d(b));
      const [lowT, highT] = [tf.tensor(low, [nIn]), tf.tensor(high, [nIn])];
      expectAgreement(
        layer,
        explicitDense(w, b),
        [nIn],
        zBoxRule(lowT, highT),
        { rule: 'z-box', low, high },
        -1,
        1,
        24,
      );
      tf.dispose([lowT, highT]);
      layer.dispose();
    });

    it.each(CONV_CASES)('conv2d $label', (geometry) => {
      const rand = seededRandom(14);
      const g: ConvGeometry = { ...geometry, height: 5, width: 6, inChannels: 2, outChannels: 3, kernel: [] };
      g.kernel = uniform(rand, g.kh * g.kw * g.inChannels * g.outChannels, -1, 1);
      const bias = mixedSignBias(rand, g.outChannels);
      const shape = [g.height, g.width, g.inChannels];
      const { low, high } = perInputBounds(g.height * g.width * g.inChannels, 32);
      const layer = new Conv2DLayer(
        'c',
        tf.tensor4d(g.kernel, [g.kh, g.kw, g.inChannels, g.outChannels]),
        tf.tensor1d(bias),
        g.strides,
        g.padding,
      );
      const [lowT, highT] = [tf.tensor(low, shape), tf.tensor(high, shape)];
      expectAgreement(
        layer,
        unrollConv(g, bias),
        shape,
        zBoxRule(lowT, highT),
        { rule: 'z-box', low, high },
        -1,
        1,
        25,
      );
      tf.dispose([lowT, highT]);
      layer.dispose();
    });
  });
});
