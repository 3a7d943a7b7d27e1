/**
 * Whole networks pinned against an independent implementation (test/fixtures/onnx/
 * make_onnx_fixtures.py, float64): every gradient method against PyTorch autograd and every named
 * LRP composite against Zennit's rules and composites, on the project's default CNN (read from
 * tfjs, weights from a formula both sides compute) and on a residual network with a concatenation
 * (read from ONNX). Maps agree to 1e-4 of their largest value (docs/methods.md lists the rule
 * parameters both sides use).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { readOnnxNetwork } from '../src/explain/onnx/from-onnx.ts';
import { explainClassifier, parseClassifierMethods } from '../src/explain/classifier-methods.ts';
import { COMPOSITE_NAMES } from '../src/explain/composites.ts';
import { GRADIENT_METHOD_NAMES } from '../src/explain/gradient-methods.ts';
import type { ExplainableNetwork } from '../src/explain/network.ts';

const FIXTURES = new URL('./fixtures/onnx/', import.meta.url);

interface Fixture {
  inputShape: number[];
  input: string;
  target: number[];
  logits: string;
  options: { igSteps: number; sgSamples: number; sgNoise: number };
  maps: Record<string, string>;
}

const floats = (base64: string) => new Float32Array(Uint8Array.from(Buffer.from(base64, 'base64')).buffer);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Fixture;

/** The fixture script's formula weights (make_onnx_fixtures.py, formula_weights). */
function formula(count: number, fanIn: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  const a = Math.sqrt(6 / fanIn);
  for (let i = 0; i < count; i++) {
    const v = Math.sin(12.9898 * i + 78.233 * seed) * 43758.5453;
    out[i] = scale * a * (2 * (v - Math.floor(v)) - 1);
  }
  return out;
}

/** The default CNN of src/features/feature-network.ts with the formula's weights, read as every tfjs model is. */
function defaultCnn(): ExplainableNetwork {
  const model = buildFeatureNetwork('cnn', [28, 28, 1], 10);
  ['conv1', 'conv2', 'features', 'logits'].forEach((name, k) => {
    const layer = model.getLayer(name);
    const [W, b] = layer.getWeights();
    const fanIn = W.shape.slice(0, -1).reduce((p, q) => p * q, 1);
    layer.setWeights([
      tf.tensor(formula(W.size, fanIn, 2 * k + 1), W.shape),
      tf.tensor(formula(b.size, 1, 2 * k + 2, 0.1), b.shape),
    ]);
  });
  const network = fromLayersModel(model);
  model.dispose();
  return network;
}

const CASES: Array<[string, string, () => ExplainableNetwork]> = [
  ['default CNN (tfjs)', 'default-cnn.json', defaultCnn],
  ['residual network (ONNX)', 'resnet.json', () => readOnnxNetwork(new URL('resnet.onnx', FIXTURES).pathname)],
];

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

for (const [label, file, build] of CASES) {
  describe(label, () => {
    const fx = fixture(file);
    let network: ExplainableNetwork;
    let x: tf.Tensor;
    beforeAll(() => {
      network = build();
      x = tf.tensor(floats(fx.input), fx.inputShape);
    });
    afterAll(() => {
      network?.dispose();
      x?.dispose();
    });

    it('covers every gradient method and composite, and the logits agree', () => {
      expect(Object.keys(fx.maps).sort()).toEqual([...GRADIENT_METHOD_NAMES, ...COMPOSITE_NAMES].sort());
      const ours = tf.tidy(() => network.forward(x).dataSync());
      const logits = floats(fx.logits);
      ours.forEach((v, i) => expect(Math.abs(v - logits[i])).toBeLessThan(1e-5));
    });

    for (const method of [...GRADIENT_METHOD_NAMES, ...COMPOSITE_NAMES]) {
      it(method, () => {
        const reference = floats(fx.maps[method]);
        const [parsed] = parseClassifierMethods(method);
        const { maps } = explainClassifier(network, x, Int32Array.from(fx.target), parsed, {
          steps: fx.options.igSteps,
          samples: fx.options.sgSamples,
          noiseLevel: fx.options.sgNoise,
          seed: 0,
        });
        const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        const tolerance = 1e-4 * scale;
        let worst = 0;
        reference.forEach((v, i) => (worst = Math.max(worst, Math.abs(maps[i] - v))));
        expect(worst).toBeLessThanOrEqual(tolerance);
      });
    }
  });
}
