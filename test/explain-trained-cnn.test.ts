/**
 * The explanation engine on the trained default MNIST CNN, 100 digits, every gradient method and
 * every LRP composite/rule name: no NaN/Inf anywhere; the conserving rules keep Σ R = the explained
 * logit at every layer; the others lose exactly what the test computes, per layer, from the layer's
 * own weights, bias and input (the bias share of ε/γ/LRP-0, the α·P − β·N imbalance of αβ, the
 * neurons whose z⁺ is zero); integrated gradients' completeness error is small with enough steps.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { trainNetwork, accuracy } from '../src/features/train-network.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { COMPOSITE_NAMES, assignRules, parseComposite } from '../src/explain/composites.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { DIVISION_GUARD } from '../src/explain/rules.ts';
import { GRADIENT_METHOD_NAMES, explainByGradient, selectPerSample } from '../src/explain/gradient-methods.ts';
import type { ExplainableNetwork } from '../src/explain/network.ts';

const TRAIN = 2000;
const EXPLAINED = 100;

let model: tf.LayersModel;
let network: ExplainableNetwork;
let x: tf.Tensor;
let testAccuracy = 0;

function subset(ds: Dataset, from: number, to: number): Dataset {
  const size = 784;
  return { ...ds, n: to - from, x: ds.x.subarray(from * size, to * size), labels: ds.labels!.subarray(from, to) };
}

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const all = loadMnist({ limit: TRAIN + EXPLAINED });
  const train = subset(all, 0, TRAIN);
  const held = subset(all, TRAIN, TRAIN + EXPLAINED);
  model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 0 });
  await trainNetwork(model, train, { epochs: 1, progress: false, seed: 0 });
  testAccuracy = accuracy(model, held);
  network = fromLayersModel(model);
  x = tf.tensor(held.x, [EXPLAINED, 28, 28, 1]);
}, 300_000);

afterAll(() => {
  x?.dispose();
  network?.dispose();
  model?.dispose();
});

function finite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** out[j] = fn(values[j], j) as float64 (a plain loop: Float64Array.from with a map is slow). */
function map64(values: ArrayLike<number>, fn: (v: number, j: number) => number): Float64Array {
  const out = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) out[j] = fn(values[j], j);
  return out;
}

/** Σ over every axis but the batch axis, as float64 per sample. */
function sumsPerSample(t: tf.Tensor): Float64Array {
  const v = t.dataSync();
  const per = v.length / t.shape[0];
  const out = new Float64Array(t.shape[0]);
  for (let i = 0; i < v.length; i++) out[Math.floor(i / per)] += v[i];
  return out;
}

/** The tfjs model's own kernel and bias of a layer (not the engine's copies). */
function modelWeights(name: string): { W: tf.Tensor; b: tf.Tensor } {
  const [W, b] = model.getLayer(name).getWeights();
  return { W, b };
}

/** a ⊛ W for the tfjs layer `name` (conv: valid padding, stride 1 — the default CNN's). */
function linear(name: string, a: tf.Tensor, W: tf.Tensor): tf.Tensor {
  return W.rank === 4
    ? tf.conv2d(a as tf.Tensor4D, W as tf.Tensor4D, 1, 'valid')
    : tf.matMul(a as tf.Tensor2D, W as tf.Tensor2D);
}

/**
 * The factor f_j per output neuron such that the rule's Σ_i R_i = Σ_j f_j R_j, written from
 * docs/methods.md#lrp-conservation for the rule name: 1 − (bias share) for LRP-0/ε/γ, α·P/(P+g) − β·N/(N−g) for αβ,
 * D/(D+g) (0 where the denominator D is zero) for z⁺ and z^B, 1 for w² and flat.
 */
const factorCache = new Map<string, Float64Array>();
function sumFactor(ruleName: string, layer: string, a: tf.Tensor): Float64Array {
  const key = `${ruleName}|${layer}`;
  if (!factorCache.has(key)) tf.tidy(() => void factorCache.set(key, computeSumFactor(ruleName, layer, a)));
  return factorCache.get(key)!;
}

function computeSumFactor(ruleName: string, layer: string, a: tf.Tensor): Float64Array {
  const { W, b } = modelWeights(layer);
  const pos = tf.relu(W);
  const neg = tf.neg(tf.relu(tf.neg(W)));
  const withBias = (Wr: tf.Tensor, br: tf.Tensor, eps: number) => {
    const zT = tf.add(linear(layer, a, Wr), br);
    const z = zT.dataSync();
    const bias = tf.add(tf.zerosLike(zT), br).dataSync();
    return map64(z, (v, j) => (v - bias[j]) / (v + (v >= 0 ? eps : -eps)));
  };
  const ratio = (d: tf.Tensor) => map64(d.dataSync(), (v) => v / (v + (v >= 0 ? DIVISION_GUARD : -DIVISION_GUARD)));
  let match: RegExpMatchArray | null;
  if (ruleName === 'lrp-0') return withBias(W, b, DIVISION_GUARD);
  if ((match = ruleName.match(/^epsilon\((.+)\)$/))) return withBias(W, b, Math.max(Number(match[1]), DIVISION_GUARD));
  if ((match = ruleName.match(/^gamma\((.+)\)$/))) {
    const g = Number(match[1]);
    return withBias(tf.add(W, tf.mul(pos, g)), tf.add(b, tf.mul(tf.relu(b), g)), DIVISION_GUARD);
  }
  if ((match = ruleName.match(/^alpha(.+)-beta(.+)$/))) {
    const [alpha, beta] = [Number(match[1]), Number(match[2])];
    const P = linear(layer, tf.relu(a), pos).dataSync(); // inputs here are ≥ 0: (a w)⁺ = a w⁺
    const N = linear(layer, tf.relu(a), neg).dataSync();
    return map64(
      P,
      (p, j) => alpha * (p / (p + DIVISION_GUARD)) - beta * (N[j] < 0 ? N[j] / (N[j] - DIVISION_GUARD) : 0),
    );
  }
  if (ruleName === 'z-plus') return ratio(linear(layer, a, pos));
  if ((match = ruleName.match(/^z-box\((.+), (.+)\)$/))) {
    const [low, high] = [Number(match[1]), Number(match[2])];
    return ratio(
      tf.sub(
        tf.sub(linear(layer, a, W), linear(layer, tf.fill(a.shape, low), pos)),
        linear(layer, tf.fill(a.shape, high), neg),
      ),
    );
  }
  if (ruleName === 'w-square' || ruleName === 'flat')
    return ratio(linear(layer, tf.onesLike(a), ruleName === 'flat' ? tf.onesLike(W) : tf.square(W)));
  throw new Error(`no reference for rule ${ruleName}`);
}

/** Composites that conserve Σ R = logit at every layer (no bias enters, every denominator > 0 here). */
const CONSERVING = new Set(['lrp:deep-taylor', 'lrp:w-square', 'lrp:flat']);

/**
 * z^B assumes low ≤ a ≤ high. Used on hidden layers whose activations exceed its bounds (lrp:z-box
 * with [0, 1] everywhere), its denominator Σ_i (a_i w_ij − l w⁺ − h w⁻) can vanish, and R_i = c_ij/D_j
 * is then float32 noise; such layers are outside the rule's domain and get no balance check.
 */
function outsideBoxBounds(ruleName: string | undefined, a: tf.Tensor): boolean {
  const match = ruleName?.match(/^z-box\((.+), (.+)\)$/);
  if (!match) return false;
  const [low, high] = tf.tidy(() => [tf.min(a).dataSync()[0], tf.max(a).dataSync()[0]]);
  return low < Number(match[1]) || high > Number(match[2]);
}

describe('explanations of the trained MNIST CNN (100 digits)', () => {
  it('trains well above chance', () => {
    expect(testAccuracy).toBeGreaterThan(0.7);
  });

  it('every gradient method gives finite relevance; IG completeness shrinks with the steps and is small at 16', () => {
    const target = tf.tidy(() => tf.argMax(network.forward(x), 1).dataSync() as Int32Array);
    const f = (z: tf.Tensor) => selectPerSample(network.forward(z), target);
    const igError: Record<number, number> = {};
    const igMean: Record<number, number> = {};
    for (const method of GRADIENT_METHOD_NAMES) {
      const steps = method === 'ig' ? [4, 16] : [undefined];
      for (const s of steps) {
        const started = performance.now();
        const e = explainByGradient(f, x, method, { steps: s, samples: 4 });
        console.log(`${method}${s ? ` (${s} steps)` : ''}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
        expect(finite(e.relevance.dataSync()), method).toBe(true);
        expect(finite(e.output), method).toBe(true);
        if (method === 'ig') {
          const fx = e.output;
          // independent check of the reported error: Σ R − (f(x) − f(0))
          const f0 = tf.tidy(() => f(tf.zerosLike(x)).dataSync());
          const sums = sumsPerSample(e.relevance);
          let worst = 0;
          let worstReported = 0;
          let mean = 0;
          for (let i = 0; i < EXPLAINED; i++) {
            const err = Math.abs(sums[i] - (fx[i] - f0[i])) / Math.max(Math.abs(fx[i] - f0[i]), 1e-6);
            worst = Math.max(worst, err);
            mean += err / EXPLAINED;
            worstReported = Math.max(worstReported, e.completenessError![i] / Math.max(Math.abs(fx[i] - f0[i]), 1e-6));
            expect(e.completenessError![i]).toBeCloseTo(Math.abs(sums[i] - (fx[i] - f0[i])), 3);
          }
          igError[s!] = worst;
          igMean[s!] = mean;
          console.log(
            `IG ${s} steps: relative completeness error mean ${mean.toExponential(2)}, largest ${worst.toExponential(2)} (reported ${worstReported.toExponential(2)})`,
          );
        }
        e.relevance.dispose();
      }
    }
    expect(igMean[16]).toBeLessThan(igMean[4]);
    expect(igError[16]).toBeLessThan(0.02);
  }, 300_000);

  for (const name of COMPOSITE_NAMES) {
    it(`${name}: finite at every layer, and Σ R per layer equals the rule's own balance`, () => {
      const started = performance.now();
      const composite = parseComposite(name);
      const rules = assignRules(network, composite);
      const result = explainLRP(network, x, { composite, target: 'predicted', returnLayers: true });
      const lrpSeconds = (performance.now() - started) / 1000;
      const { activations } = network.trace(x);
      try {
        const logit = tf.tidy(() => selectPerSample(result.output, result.target).dataSync());
        const layers = result.layers!;
        let worstConservation = 0;
        for (let k = layers.length - 1; k >= 0; k--) {
          expect(finite(layers[k].dataSync()), `${name} layer ${k}`).toBe(true);
          const sums = sumsPerSample(layers[k]);
          for (let i = 0; i < EXPLAINED; i++) {
            worstConservation = Math.max(worstConservation, Math.abs(sums[i] - logit[i]) / Math.abs(logit[i]));
          }
        }
        // per layer: Σ R_in = Σ_j f_j R_j with f_j computed here from the tfjs model's weights
        let worstBalance = 0;
        let worstLayer = '';
        const skipped: string[] = [];
        network.layers.forEach((layer, k) => {
          if (outsideBoxBounds(rules[k]?.name, activations[k])) {
            skipped.push(layer.name);
            return;
          }
          const above = layers[k + 1].dataSync();
          const below = sumsPerSample(layers[k]);
          const per = above.length / EXPLAINED;
          let expected: Float64Array;
          if (layer.kind === 'dense' || layer.kind === 'conv2d') {
            const factor = sumFactor(rules[k]?.name ?? 'lrp-0', layer.name, activations[k]);
            expected = new Float64Array(EXPLAINED);
            for (let j = 0; j < above.length; j++) expected[Math.floor(j / per)] += factor[j] * above[j];
          } else {
            expected = sumsPerSample(layers[k + 1]); // relu, max-pooling, reshape pass it all on
          }
          // float32 sums err relative to the magnitudes summed: Σ_j |R_j| (huge where a denominator nearly vanished)
          const magnitude = new Float64Array(EXPLAINED);
          for (let j = 0; j < above.length; j++) magnitude[Math.floor(j / per)] += Math.abs(above[j]);
          for (let i = 0; i < EXPLAINED; i++) {
            const err = Math.abs(below[i] - expected[i]) / Math.max(Math.abs(logit[i]), magnitude[i]);
            if (err > worstBalance) [worstBalance, worstLayer] = [err, layer.name];
          }
        });
        console.log(
          `${name}: largest |Σ R − logit|/|logit| over layers ${worstConservation.toExponential(2)}; largest deviation from the rule's balance ${worstBalance.toExponential(2)} (at ${worstLayer}; LRP ${lrpSeconds.toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s)${skipped.length ? `; z^B bounds violated, not checked: ${skipped.join(', ')}` : ''}`,
        );
        expect(skipped, 'the box rule is within its bounds at the pixels').not.toContain(network.layers[0].name);
        expect(worstBalance, `${name}: per-layer balance`).toBeLessThan(1e-4);
        if (CONSERVING.has(name)) expect(worstConservation, `${name}: Σ R = logit at every layer`).toBeLessThan(1e-4);
      } finally {
        tf.dispose([result.relevance, result.output, ...result.layers!, ...activations.slice(1)]);
      }
    }, 30_000);
  }
});
