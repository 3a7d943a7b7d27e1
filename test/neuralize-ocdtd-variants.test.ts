/**
 * Every OC-DTD variant against plain float64 loops over its formula (test/helpers/
 * ocdtd-variant-reference.ts), on a handful of prototypes: the explained output, every relevance,
 * conservation of what the variant explains, and the samples that are support vectors (or training
 * inliers) themselves, which the leave-self-out variants explain without their own prototype.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { ExplainableNetwork } from '../src/explain/network.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { ReluLayer } from '../src/explain/layers/relu.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import {
  OCDTD_VARIANT_NAMES,
  parseOcdtdVariant,
  variantLabel,
  type OcdtdVariant,
} from '../src/neuralize/ocdtd-variant-names.ts';
import { variantLayers, variantNetwork } from '../src/neuralize/ocdtd-variants.ts';
import { simplexLeastSquares } from '../src/neuralize/simplex-least-squares.ts';
import { explainOutliers } from '../src/neuralize/outlier-methods.ts';
import { mulberry32 } from '../src/data/random.ts';
import { nearestHullMixture, nearestHullPoint, pooledReference } from './helpers/ocdtd-variant-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const d = 5;
const nTrain = 20;
const random = mulberry32(21);
/** training rows: the first six are the support vectors, the last fourteen the inliers */
const X = Float32Array.from({ length: nTrain * d }, () => random());
const rows = (data: Float32Array, from: number, to: number) =>
  Array.from({ length: to - from }, (_, j) => Array.from(data.subarray((from + j) * d, (from + j + 1) * d)));
const alpha = [1, 1, 0.6, 0.3, 1, 0.8];
const gamma = 1.7;
const model = {
  kernel: 'rbf',
  gamma,
  rho: 0.9,
  nu: alpha.reduce((a, b) => a + b, 0) / nTrain,
  nTrain,
  dualCoef: Float64Array.from(alpha),
  supportVectors: X.slice(0, 6 * d),
};
const scale = model.nu * nTrain;
const theta = -Math.log(model.rho / scale) / gamma;
const supportRows = rows(X, 0, 6);
const inlierData = X.slice(6 * d);
const inlierRows = rows(X, 6, nTrain);
/** explained: the six support vectors, two inliers, and four samples farther out */
const samples = [
  ...rows(X, 0, 8),
  ...Array.from({ length: 4 }, () => Array.from({ length: d }, () => 2 * random() - 0.5)),
];

/** What each variant should compute, from its definition. */
function expected(
  variant: OcdtdVariant,
  x: number[],
  support = supportRows,
  inliers = inlierRows,
): { output: number; relevance: number[] } {
  const lso = variant.leaveSelfOut;
  if (variant.prototypes === 'inliers' && variant.pooling === 'hull') {
    const kept = inliers
      .filter((u) => !(lso && u.every((v, i) => v === x[i])))
      .sort((p, q) => sq(x, p) - sq(x, q))
      .slice(0, variant.k);
    const point = nearestHullPoint(x, kept);
    const relevance = x.map((v, i) => (v - point[i]) ** 2);
    return { output: relevance.reduce((a, b) => a + b, 0), relevance };
  }
  if (variant.prototypes === 'inliers') {
    const b = inliers.map(() => Math.log(inliers.length) / gamma);
    return pooledReference(x, inliers, b, { t: variant.kappa * gamma, k: variant.k, leaveSelfOut: lso });
  }
  const chosen = alpha.map((a, j) => j).filter((j) => variant.prototypes === 'support' || alpha[j] < 1);
  const total = variant.prototypes === 'support' ? scale : chosen.reduce((s, j) => s + alpha[j], 0);
  return pooledReference(
    x,
    chosen.map((j) => support[j]),
    chosen.map((j) => Math.log(total / alpha[j]) / gamma),
    {
      t: variant.pooling === 'hard' ? Infinity : variant.kappa * gamma,
      k: variant.k,
      leaveSelfOut: lso,
      theta: variant.explain === 'excess' ? theta : 0,
    },
  );
}

const sq = (x: number[], u: number[]) => x.reduce((s, v, i) => s + (v - u[i]) ** 2, 0);

describe('OC-DTD variants against float64 loops', () => {
  const variants = [
    ...OCDTD_VARIANT_NAMES.map((name) => parseOcdtdVariant(name)),
    parseOcdtdVariant('nearest:k=3'),
    parseOcdtdVariant('sharp:kappa=9'),
    parseOcdtdVariant('inliers:k=4,kappa=2'),
    parseOcdtdVariant('hull:k=3'),
    parseOcdtdVariant('hull:k=1'),
  ];

  it.each(variants.map((v) => [variantLabel(v), v] as const))(
    '%s: output, relevance and conservation equal the formula, own prototypes left out',
    (_label, variant) => {
      const layers = variantLayers(model, variant, { inliers: inlierData });
      const network = new ExplainableNetwork(layers, [d]);
      const x = tf.tensor2d(samples.flat(), [samples.length, d]);
      const { relevance, outlierness: output } = ocdtd(network, x);
      const R = relevance.dataSync();
      samples.forEach((xs, s) => {
        const want = expected(variant, xs);
        const size = Math.max(Math.abs(want.output), 1e-3);
        expect(Math.abs(output[s] - want.output)).toBeLessThanOrEqual(2e-4 * size);
        let sum = 0;
        for (let i = 0; i < d; i++) {
          sum += R[s * d + i];
          expect(Math.abs(R[s * d + i] - want.relevance[i])).toBeLessThanOrEqual(2e-4 * size);
        }
        // conservation: the relevance sums to what the variant explains
        expect(Math.abs(sum - output[s])).toBeLessThanOrEqual(1e-4 * size);
      });
      tf.dispose([x, relevance]);
      layers.forEach((l) => l.dispose());
    },
  );

  it('hand-checkable: two prototypes at distance 2 from x = (1, 1)', () => {
    // u1 = (0, 0), α = 1; u2 = (2, 0), α = 0.5; νl = 1.5, γ = 1: α̂ = 2/3, 1/3 and both d = 2, so
    // o = −log(e⁻²) = 2 exactly, p = (2/3, 1/3), R = 2/3·2·(1, 1)/2 + 1/3·2·(1, 1)/2 = (1, 1);
    // hard: h1 = 2 + log 1.5 wins, R = h1·(1, 1)/2
    const tiny = {
      kernel: 'rbf',
      gamma: 1,
      rho: 0.1,
      nu: 0.5,
      nTrain: 3,
      dualCoef: Float64Array.from([1, 0.5]),
      supportVectors: Float32Array.from([0, 0, 2, 0]),
    };
    const x = tf.tensor2d([1, 1], [1, 2]);
    for (const [name, o, r] of [
      ['plain', 2, 1],
      ['hard', 2 + Math.log(1.5), (2 + Math.log(1.5)) / 2],
    ] as const) {
      const layers = variantLayers(tiny, parseOcdtdVariant(name));
      const { relevance, outlierness } = ocdtd(new ExplainableNetwork(layers, [2]), x);
      expect(outlierness[0]).toBeCloseTo(o, 5);
      Array.from(relevance.dataSync()).forEach((v) => expect(v).toBeCloseTo(r, 5));
      relevance.dispose();
      layers.forEach((l) => l.dispose());
    }
    x.dispose();
  });

  it('leave-self-out: a support vector explained without its own neuron; plain keeps o(x) of the SVM', () => {
    const svm = neuralize(model);
    const selfOut = variantLayers(model, parseOcdtdVariant('self-out'));
    const x = tf.tensor2d(samples.slice(0, 6).flat(), [6, d]);
    const o = svm.outlierness(x).dataSync();
    const { relevance, outlierness: oMinus } = ocdtd(new ExplainableNetwork(selfOut, [d]), x);
    const R = relevance.dataSync();
    for (let s = 0; s < 6; s++) {
      // o₋ is the soft minimum over the other five support vectors, larger than o
      const others = [0, 1, 2, 3, 4, 5].filter((j) => j !== s);
      const reference = pooledReference(
        samples[s],
        others.map((j) => supportRows[j]),
        others.map((j) => Math.log(scale / alpha[j]) / gamma),
        { t: gamma },
      );
      expect(oMinus[s]).toBeCloseTo(reference.output, 4);
      expect(oMinus[s]).toBeGreaterThan(o[s]);
      // no equal share: a dimension where x equals every other prototype would get nothing
      for (let i = 0; i < d; i++) expect(R[s * d + i]).toBeCloseTo(reference.relevance[i], 4);
    }
    tf.dispose([x, relevance]);
    selfOut.forEach((l) => l.dispose());
    svm.dispose();
  });

  it('explains the excess o − θ: negative for an inlier, the plain maps scaled by (o − θ)/o', () => {
    const excess = variantLayers(model, parseOcdtdVariant('excess'));
    const selfOut = variantLayers(model, parseOcdtdVariant('self-out'));
    const x = tf.tensor2d(samples.flat(), [samples.length, d]);
    const a = ocdtd(new ExplainableNetwork(excess, [d]), x);
    const b = ocdtd(new ExplainableNetwork(selfOut, [d]), x);
    const Ra = a.relevance.dataSync();
    const Rb = b.relevance.dataSync();
    samples.forEach((_, s) => {
      expect(a.outlierness[s]).toBeCloseTo(b.outlierness[s] - theta, 4);
      for (let i = 0; i < d; i++) {
        expect(Ra[s * d + i]).toBeCloseTo((Rb[s * d + i] * (b.outlierness[s] - theta)) / b.outlierness[s], 4);
      }
    });
    expect(a.outlierness.some((v) => v < 0)).toBe(true);
    tf.dispose([x, a.relevance, b.relevance]);
    [...excess, ...selfOut].forEach((l) => l.dispose());
  });

  it('keeps the tensor count stable', () => {
    const x = tf.tensor2d(samples.flat(), [samples.length, d]);
    const all = OCDTD_VARIANT_NAMES.map((name) =>
      variantLayers(model, parseOcdtdVariant(name), { inliers: inlierData }),
    );
    const before = tf.memory().numTensors;
    for (const layers of all) ocdtd(new ExplainableNetwork(layers, [d]), x).relevance.dispose();
    expect(tf.memory().numTensors).toBe(before);
    all.flat().forEach((l) => l.dispose());
    x.dispose();
  });
});

describe('variants through a feature network', () => {
  it('conserve their output at the features and, with deep-taylor on a positive network, at the pixels', () => {
    const w = Float32Array.from({ length: 12 * d }, () => 0.1 + random());
    const features = new ExplainableNetwork(
      [new DenseLayer('features', tf.tensor2d(w, [12, d]), tf.zeros([d])), new ReluLayer('features/relu')],
      [12],
    );
    const pixels = Float32Array.from({ length: 10 * 12 }, () => random());
    const x = tf.tensor2d(pixels, [10, 12]);
    const phi = features.forward(x);
    const phiRows = phi.arraySync() as number[][];
    const deepModel = { ...model, supportVectors: Float32Array.from(phiRows.slice(0, 6).flat()) };
    const inliers = Float32Array.from(phiRows.slice(4).flat());
    for (const name of ['plain', 'inliers', 'hull'] as const) {
      const variant = parseOcdtdVariant(name === 'plain' ? name : `${name}:k=3`);
      const layers = variantLayers(deepModel, variant, { inliers });
      const network = features.extend(...layers);
      const {
        relevance,
        outlierness: output,
        layers: perLayer,
      } = ocdtd(network, x, {
        composite: 'deep-taylor',
        compositeOptions: { low: 0, high: 1 },
        returnLayers: true,
      });
      const atFeatures = perLayer![2].dataSync();
      const atPixels = tf.tidy(() => tf.sum(relevance, 1)).dataSync();
      phiRows.forEach((f, s) => {
        const want = expected(variant, f, phiRows.slice(0, 6), phiRows.slice(4)).relevance;
        const size = Math.max(Math.abs(output[s]), 1e-3);
        for (let i = 0; i < d; i++) expect(Math.abs(atFeatures[s * d + i] - want[i])).toBeLessThanOrEqual(1e-3 * size);
        expect(Math.abs(atPixels[s] - output[s])).toBeLessThanOrEqual(2e-3 * size);
      });
      tf.dispose([relevance, ...perLayer!]);
      layers.forEach((l) => l.dispose());
    }
    tf.dispose([x, phi]);
    features.dispose();
  });

  it('serve as the ocdtd method of explainOutliers, beside the exact o(x)', () => {
    const svm = neuralize(model);
    const network = svm.network(null, [d]);
    const layers = variantLayers(model, parseOcdtdVariant('hull:k=3'), { inliers: inlierData });
    const x = tf.tensor2d(samples.flat(), [samples.length, d]);
    const { relevance, outlierness } = explainOutliers(
      'ocdtd',
      { network, ocdtd: new ExplainableNetwork(layers, [d]) },
      x,
    );
    const R = relevance.dataSync();
    const o = svm.outlierness(x).dataSync();
    samples.forEach((xs, s) => {
      expect(outlierness[s]).toBeCloseTo(o[s], 5);
      const want = expected(parseOcdtdVariant('hull:k=3'), xs).relevance;
      for (let i = 0; i < d; i++) expect(R[s * d + i]).toBeCloseTo(want[i], 4);
    });
    tf.dispose([x, relevance]);
    layers.forEach((l) => l.dispose());
    svm.dispose();
  });
});

describe('the deep path through the image of the root point', () => {
  it('images and projection: R ∝ (x − r)², r the mixed or projected prototype images, Σ R = output', () => {
    const pixelsPer = 12;
    const w = Float32Array.from({ length: pixelsPer * d }, () => random() - 0.3);
    const features = new ExplainableNetwork(
      [new DenseLayer('features', tf.tensor2d(w, [pixelsPer, d]), tf.zeros([d]))],
      [pixelsPer],
    );
    const images = Float32Array.from({ length: 14 * pixelsPer }, () => random());
    const imageRows = Array.from({ length: 14 }, (_, j) =>
      Array.from(images.subarray(j * pixelsPer, (j + 1) * pixelsPer)),
    );
    const phiOf = (v: number[]) => Array.from({ length: d }, (_, f) => v.reduce((s, x, i) => s + x * w[i * d + f], 0));
    const inliers = Float32Array.from(imageRows.flatMap(phiOf));
    const xs = [imageRows[2], ...Array.from({ length: 4 }, () => Array.from({ length: pixelsPer }, () => random()))];
    const x = tf.tensor2d(xs.flat(), [xs.length, pixelsPer]);
    for (const text of [
      'hull:k=3,deep=images',
      'hull:k=3,deep=projection',
      'inliers:k=4,deep=projection',
      'inliers:k=4,deep=images',
    ]) {
      const variant = parseOcdtdVariant(text);
      const built = variantNetwork(model, variant, features, [pixelsPer], { inliers, inlierImages: images });
      const { relevance, outlierness: output } = ocdtd(built.network, x);
      const R = relevance.dataSync();
      xs.forEach((xv, s) => {
        const f = phiOf(xv);
        // the k nearest inliers in feature space, the image itself left out
        const order = imageRows
          .map((_, j) => j)
          .filter((j) => sq(f, phiOf(imageRows[j])) > 1e-9)
          .sort((p, q) => sq(f, phiOf(imageRows[p])) - sq(f, phiOf(imageRows[q])))
          .slice(0, variant.k);
        let root: number[];
        if (variant.deep === 'projection') {
          root = nearestHullPoint(
            xv,
            order.map((j) => imageRows[j]),
          );
        } else {
          const u = order.map((j) => phiOf(imageRows[j]));
          const weights =
            variant.pooling === 'hull'
              ? nearestHullMixture(f, u).weights
              : (() => {
                  const h = u.map((uj) => sq(f, uj));
                  const m = Math.min(...h);
                  const e = h.map((v) => Math.exp(-variant.kappa * gamma * (v - m)));
                  const t = e.reduce((a, b) => a + b, 0);
                  return e.map((v) => v / t);
                })();
          root = xv.map((_, i) => order.reduce((acc, j, a) => acc + weights[a] * imageRows[j][i], 0));
        }
        const squared = xv.map((v, i) => (v - root[i]) ** 2);
        const total = squared.reduce((a, b) => a + b, 0);
        const size = Math.max(Math.abs(output[s]), 1e-3);
        let sum = 0;
        for (let i = 0; i < pixelsPer; i++) {
          sum += R[s * pixelsPer + i];
          expect(Math.abs(R[s * pixelsPer + i] - (output[s] * squared[i]) / total)).toBeLessThanOrEqual(2e-3 * size);
        }
        expect(Math.abs(sum - output[s])).toBeLessThanOrEqual(1e-4 * size);
      });
      relevance.dispose();
      built.dispose();
    }
    x.dispose();
    features.dispose();
  });
});

describe('variant names and the simplex solver', () => {
  it('parses names and parameters, labels them back, and refuses the rest with one line', () => {
    expect(variantLabel(parseOcdtdVariant('inliers'))).toBe('inliers');
    expect(variantLabel(parseOcdtdVariant('inliers:k=7,kappa=2'))).toBe('inliers:k=7,kappa=2');
    expect(parseOcdtdVariant('sharp:kappa=16').kappa).toBe(16);
    expect(() => parseOcdtdVariant('sharpest')).toThrow(UserError);
    expect(() => parseOcdtdVariant('hard:kappa=2')).toThrow(/kappa/);
    expect(() => parseOcdtdVariant('hull:k=0')).toThrow(/k=0/);
    expect(() => variantLayers(model, parseOcdtdVariant('hull'))).toThrow(/inliers/);
  });

  it('finds the nearest hull point of random prototype sets as the support-set enumeration does', () => {
    for (let trial = 0; trial < 20; trial++) {
      const k = 1 + (trial % 5);
      const x = Array.from({ length: 4 }, () => random() * 2);
      const u = Array.from({ length: k }, () => Array.from({ length: 4 }, () => random()));
      const M = Float64Array.from({ length: k * k }, (_, ab) => {
        const [a, b] = [Math.floor(ab / k), ab % k];
        return u[a].reduce((s, v, i) => s + (v - x[i]) * (u[b][i] - x[i]), 0);
      });
      const w = simplexLeastSquares(M, k);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      const point = x.map((_, i) => u.reduce((s, ua, a) => s + w[a] * ua[i], 0));
      const want = nearestHullPoint(x, u);
      point.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    }
  });
});
