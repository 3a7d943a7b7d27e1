/**
 * Gradient methods against references computed independently in float64 JS loops: a two-layer
 * softplus / ReLU net with explicit matrices whose input gradient is written out by hand.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import {
  GRADIENT_METHOD_NAMES,
  explainByGradient,
  parseGradientMethod,
  selectPerSample,
  sumChannels,
  type GradientOptions,
} from '../src/explain/gradient-methods.ts';
import { UserError } from '../src/errors.ts';

/** Deterministic pseudo-random numbers in [−1, 1) (a small LCG), independent of tfjs. */
function numbers(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const D = 18; // a 3 × 3 × 2 image
const H = 5;
const W1 = Array.from({ length: H }, (_, j) => numbers(D, 100 + j)); // W1[j][i]
const B1 = numbers(H, 7).map((v) => 0.3 * v);
const W2 = numbers(H, 11);
const B2 = 0.2;

const softplus = (z: number) => Math.log1p(Math.exp(z));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The net in float64: f(x) = Σ_j w2_j act(W1_j·x + b1_j) + b2, and its gradient by hand. */
function reference(x: number[], act: 'softplus' | 'relu'): { f: number; grad: number[] } {
  let f = B2;
  const grad = new Array<number>(D).fill(0);
  for (let j = 0; j < H; j++) {
    let z = B1[j];
    for (let i = 0; i < D; i++) z += W1[j][i] * x[i];
    f += W2[j] * (act === 'softplus' ? softplus(z) : Math.max(0, z));
    const slope = act === 'softplus' ? sigmoid(z) : z > 0 ? 1 : 0;
    for (let i = 0; i < D; i++) grad[i] += W2[j] * slope * W1[j][i];
  }
  return { f, grad };
}

/** The same net in tfjs on image batches [N, 3, 3, 2]. */
function net(act: 'softplus' | 'relu') {
  return (x: tf.Tensor) => {
    const flat = tf.reshape(x, [x.shape[0], D]);
    const z = tf.add(tf.matMul(flat, tf.tensor2d(W1), false, true), tf.tensor1d(B1));
    const a = act === 'softplus' ? tf.softplus(z) : tf.relu(z);
    return tf.add(tf.squeeze(tf.matMul(a, tf.tensor2d(W2, [H, 1])), [1]), B2);
  };
}

const SAMPLES = [numbers(D, 1), numbers(D, 2), numbers(D, 3).map((v) => 2 * v)];
const batch = () => tf.tensor4d(SAMPLES.flat(), [SAMPLES.length, 3, 3, 2]);

function explain(
  f: (x: tf.Tensor) => tf.Tensor,
  method: (typeof GRADIENT_METHOD_NAMES)[number],
  options?: GradientOptions,
) {
  const x = batch();
  const e = explainByGradient(f, x, method, options);
  const relevance = Array.from(e.relevance.dataSync());
  e.relevance.dispose();
  x.dispose();
  return { ...e, relevance };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

const perSampleSums = (r: number[]) => SAMPLES.map((_, n) => r.slice(n * D, (n + 1) * D).reduce((a, b) => a + b, 0));

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('the float64 reference', () => {
  it('has the gradient of its own function (central finite differences)', () => {
    const x = SAMPLES[0];
    const { grad } = reference(x, 'softplus');
    const h = 1e-6;
    const fd = x.map((_, i) => {
      const up = [...x];
      const down = [...x];
      up[i] += h;
      down[i] -= h;
      return (reference(up, 'softplus').f - reference(down, 'softplus').f) / (2 * h);
    });
    expectClose(grad, fd, 1e-7);
  });
});

describe('sensitivity and gradient × input', () => {
  for (const act of ['softplus', 'relu'] as const) {
    it(`match the hand-written gradient of a ${act} net`, () => {
      const grads = SAMPLES.map((x) => reference(x, act).grad);
      const sens = explain(net(act), 'gradient');
      expectClose(
        sens.relevance,
        grads.flat().map((g) => g * g),
        1e-4,
      );
      expectClose(
        sens.output,
        SAMPLES.map((x) => reference(x, act).f),
        1e-4,
      );
      const gxi = explain(net(act), 'gxi');
      expectClose(
        gxi.relevance,
        grads.flatMap((g, n) => g.map((v, i) => v * SAMPLES[n][i])),
        1e-4,
      );
    });
  }

  it('sumChannels adds the channels of each pixel', () => {
    const x = batch();
    const maps = sumChannels(x);
    expect(maps.shape).toEqual([3, 3, 3]);
    const expected = SAMPLES.flatMap((s) => Array.from({ length: 9 }, (_, p) => s[2 * p] + s[2 * p + 1]));
    expectClose(maps.dataSync(), expected, 1e-6);
    const vectors = tf.zeros([2, 5]);
    expect(sumChannels(vectors)).toBe(vectors);
    tf.dispose([x, maps, vectors]);
  });
});

describe('integrated gradients', () => {
  const w = numbers(D, 42);
  const linear = (x: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.reshape(x, [x.shape[0], D]), tf.tensor1d(w)), 1), 0.5);

  it('equal (x − x̄)·w on a linear function, for every kind of baseline', () => {
    const sampleBaseline = numbers(D, 9);
    const perSample = SAMPLES.map((_, n) => numbers(D, 20 + n));
    const cases: Array<[GradientOptions['baseline'] | (() => tf.Tensor), (n: number, i: number) => number]> = [
      [undefined, () => 0],
      [0.25, () => 0.25],
      [() => tf.tensor3d(sampleBaseline, [3, 3, 2]), (_, i) => sampleBaseline[i]],
      [() => tf.tensor4d(perSample.flat(), [3, 3, 3, 2]), (n, i) => perSample[n][i]],
    ];
    for (const [baseline, base] of cases) {
      const b = typeof baseline === 'function' ? baseline() : baseline;
      const e = explain(linear, 'ig', { steps: 3, baseline: b });
      if (b instanceof tf.Tensor) b.dispose();
      const expected = SAMPLES.flatMap((x, n) => x.map((v, i) => (v - base(n, i)) * w[i]));
      expectClose(e.relevance, expected, 1e-5);
      for (const err of e.completenessError!) expect(err).toBeLessThan(1e-5);
    }
  });

  it('equal a float64 right Riemann sum of the hand-written gradient on a nonlinear net', () => {
    const m = 10;
    const expected = SAMPLES.flatMap((x) => {
      const sum = new Array<number>(D).fill(0);
      for (let k = 1; k <= m; k++) {
        const g = reference(
          x.map((v) => (k / m) * v),
          'softplus',
        ).grad;
        for (let i = 0; i < D; i++) sum[i] += g[i];
      }
      return x.map((v, i) => (v * sum[i]) / m);
    });
    const whole = explain(net('softplus'), 'ig', { steps: m });
    expectClose(whole.relevance, expected, 1e-5);
    // chunking the interpolation points (here one sample-batch per pass) changes nothing
    const chunked = explain(net('softplus'), 'ig', { steps: m, batchSize: 1 });
    expectClose(chunked.relevance, whole.relevance, 1e-6);
    const fx = SAMPLES.map((x) => reference(x, 'softplus').f);
    const f0 = reference(new Array<number>(D).fill(0), 'softplus').f;
    const sums = perSampleSums(expected);
    expectClose(
      whole.completenessError!,
      sums.map((s, n) => Math.abs(s - (fx[n] - f0))),
      1e-5,
    );
  });

  it('completeness error shrinks as the number of steps grows', () => {
    const errors = [2, 8, 32, 128].map((steps) => {
      const e = explain(net('softplus'), 'ig', { steps });
      return Math.max(...e.completenessError!);
    });
    expect(errors[0]).toBeGreaterThan(1e-3);
    for (let k = 1; k < errors.length; k++) expect(errors[k]).toBeLessThan(errors[k - 1] / 2);
    expect(errors[3]).toBeLessThan(0.02 * errors[0]);
  });
});

describe('simple Taylor', () => {
  const sphere = (x: tf.Tensor) => tf.sub(tf.sum(tf.square(tf.reshape(x, [x.shape[0], D])), 1), 9);

  it('finds the root 3x/‖x‖ of ‖x‖² − 9 and uses the gradient there', () => {
    // the samples have norms above and below 1: the search goes inwards and outwards
    expect(SAMPLES.map((x) => Math.hypot(...x)).some((r) => r < 3)).toBe(true);
    expect(SAMPLES.map((x) => Math.hypot(...x)).some((r) => r > 3)).toBe(true);
    const e = explain(sphere, 'taylor');
    const expected = SAMPLES.flatMap((x) => {
      const root = x.map((v) => (3 * v) / Math.hypot(...x));
      return x.map((v, i) => 2 * root[i] * (v - root[i]));
    });
    expectClose(e.relevance, expected, 1e-4);
    for (const r of e.rootResidual!) expect(Math.abs(r)).toBeLessThan(1e-5);
  });

  it('conserves f(x) exactly on a linear function', () => {
    const w = numbers(D, 5);
    const linear = (x: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.reshape(x, [x.shape[0], D]), tf.tensor1d(w)), 1), 0.3);
    const e = explain(linear, 'taylor');
    const w2 = w.reduce((a, v) => a + v * v, 0);
    const expected = SAMPLES.flatMap((x) => {
      const f = x.reduce((a, v, i) => a + v * w[i], 0.3);
      return w.map((wi) => (wi * wi * f) / w2);
    });
    expectClose(e.relevance, expected, 1e-5);
    expectClose(perSampleSums(e.relevance), e.output, 1e-5);
  });

  it('reports the residual when the line never reaches a root', () => {
    // softplus net with positive output weights is > 0 everywhere: no root exists
    const positive = (x: tf.Tensor) => tf.sum(tf.softplus(tf.reshape(x, [x.shape[0], D])), 1);
    const e = explain(positive, 'taylor', { maxIterations: 20 });
    for (const r of e.rootResidual!) expect(r).toBeGreaterThan(0);
    for (let n = 0; n < SAMPLES.length; n++) expect(e.rootResidual![n]).toBeLessThan(e.output[n]);
  });
});

describe('SmoothGrad', () => {
  it('equals the gradient (and its variants) when σ = 0, and approaches it as σ → 0', () => {
    const grads = SAMPLES.map((x) => reference(x, 'softplus').grad);
    const plain = explain(net('softplus'), 'smoothgrad', { noiseLevel: 0, samples: 3 });
    expectClose(plain.relevance, grads.flat(), 1e-5);
    const squared = explain(net('softplus'), 'smoothgrad', { noiseLevel: 0, samples: 3, variant: 'squared' });
    expectClose(
      squared.relevance,
      grads.flat().map((g) => g * g),
      1e-4,
    );
    const times = explain(net('softplus'), 'smoothgrad', { noiseLevel: 0, samples: 3, variant: 'input' });
    expectClose(
      times.relevance,
      grads.flatMap((g, n) => g.map((v, i) => v * SAMPLES[n][i])),
      1e-5,
    );
    const tiny = explain(net('softplus'), 'smoothgrad', { noiseLevel: 1e-4, samples: 8 });
    expectClose(tiny.relevance, grads.flat(), 1e-3);
  });

  it('is deterministic for a seed, independent of chunking, and different for another seed', () => {
    const a = explain(net('softplus'), 'smoothgrad', { samples: 6, seed: 3 });
    const b = explain(net('softplus'), 'smoothgrad', { samples: 6, seed: 3, batchSize: 4 });
    const c = explain(net('softplus'), 'smoothgrad', { samples: 6, seed: 4 });
    expectClose(b.relevance, a.relevance, 1e-6);
    expect(Math.max(...c.relevance.map((v, i) => Math.abs(v - a.relevance[i])))).toBeGreaterThan(1e-3);
  });

  it('draws noise with σ = 0.1·(x_max − x_min) per sample', () => {
    // f = ½‖x‖² has gradient x + ε: squared − plain² estimates Var ε = σ² per value
    const half = (x: tf.Tensor) => tf.mul(tf.sum(tf.square(x), 1), 0.5);
    const dim = 50;
    const rows = [numbers(dim, 31).map((v) => (v + 1) / 2), numbers(dim, 32).map((v) => 3 * v)];
    const ranges = rows.map((r) => Math.max(...r) - Math.min(...r));
    const run = (variant: 'plain' | 'squared') => {
      const x = tf.tensor2d(rows);
      const e = explainByGradient(half, x, 'smoothgrad', { samples: 800, variant, seed: 1 });
      const v = Array.from(e.relevance.dataSync());
      tf.dispose([x, e.relevance]);
      return v;
    };
    const plain = run('plain');
    const squared = run('squared');
    rows.forEach((_, n) => {
      let variance = 0;
      for (let i = n * dim; i < (n + 1) * dim; i++) variance += squared[i] - plain[i] ** 2;
      const sigma = 0.1 * ranges[n];
      expect(variance / dim / sigma ** 2).toBeGreaterThan(0.93);
      expect(variance / dim / sigma ** 2).toBeLessThan(1.07);
    });
  });
});

describe('per-sample targets', () => {
  it("selectPerSample picks each sample's class in every method's batches", () => {
    // a linear two-class model; sample n explains class n mod 2: IG and gxi give x·w_class exactly
    const w = [numbers(D, 61), numbers(D, 62)];
    const classes = Int32Array.from(SAMPLES.map((_, n) => n % 2));
    const f = (x: tf.Tensor) =>
      selectPerSample(tf.matMul(tf.reshape(x, [x.shape[0], D]), tf.tensor2d(w), false, true), classes);
    const expected = SAMPLES.flatMap((x, n) => x.map((v, i) => v * w[n % 2][i]));
    for (const method of ['gxi', 'ig'] as const) {
      expectClose(explain(f, method, { steps: 5, batchSize: 7 }).relevance, expected, 1e-5);
    }
    const sg = explain(f, 'smoothgrad', { samples: 4, variant: 'input', batchSize: 6 });
    expectClose(sg.relevance, expected, 1e-5);
    expect(() => tf.tidy(() => selectPerSample(tf.zeros([4, 2]), classes))).toThrow(/not k copies/);
  });
});

describe('registry and user errors', () => {
  it('knows the CLI names and rejects others, listing the allowed ones', () => {
    for (const name of ['gradient', 'taylor', 'gxi', 'ig', 'smoothgrad']) expect(parseGradientMethod(name)).toBe(name);
    expect(() => parseGradientMethod('saliency')).toThrow(UserError);
    expect(() => parseGradientMethod('saliency')).toThrow(/allowed: gradient, taylor, gxi, ig, smoothgrad/);
  });

  it('rejects bad options with a message saying what is allowed', () => {
    const bad: Array<[GradientOptions, RegExp]> = [
      [{ steps: 0 }, /steps.*integer ≥ 1/],
      [{ steps: 2.5 }, /steps.*integer ≥ 1/],
      [{ samples: -1 }, /samples.*integer ≥ 1/],
      [{ batchSize: 0 }, /batchSize/],
      [{ noiseLevel: -0.1 }, /noiseLevel.*≥ 0/],
      [{ variant: 'cubed' as never }, /allowed: plain, squared, input/],
      [{ stepz: 3 } as GradientOptions, /unknown gradient option 'stepz'; allowed: steps/],
    ];
    const x = batch();
    for (const [options, message] of bad) {
      expect(() => explainByGradient(net('relu'), x, 'ig', options)).toThrow(UserError);
      expect(() => explainByGradient(net('relu'), x, 'ig', options)).toThrow(message);
    }
    const wrong = tf.zeros([4, 4]);
    expect(() => explainByGradient(net('relu'), x, 'ig', { baseline: wrong })).toThrow(/baseline.*allowed/);
    expect(() => explainByGradient(net('relu'), x, 'nope' as never)).toThrow(UserError);
    tf.dispose([x, wrong]);
  });
});

describe('memory', () => {
  it('keeps the tensor count stable over 1,000 calls', () => {
    const x = batch();
    const f = net('softplus');
    const options: GradientOptions = { steps: 3, samples: 2, maxIterations: 4, batchSize: 4 };
    const once = (k: number) => {
      const e = explainByGradient(f, x, GRADIENT_METHOD_NAMES[k % GRADIENT_METHOD_NAMES.length], options);
      e.relevance.dispose();
    };
    for (let k = 0; k < 5; k++) once(k);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 1000; k++) once(k);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
