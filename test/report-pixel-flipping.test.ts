import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import {
  areaTable,
  pixelFlipping,
  RANDOM_METHOD,
  stepCounts,
  type FlipReference,
} from '../src/metrics/pixel-flipping.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

/** A linear score Σ w·x + b over [N, H, W, C] samples, and the same computed with plain loops. */
function linearModel(w: Float32Array, b: number) {
  const score = (x: tf.Tensor) =>
    tf.tidy(() =>
      x
        .reshape([x.shape[0], -1])
        .mul(tf.tensor(w).reshape([1, -1]))
        .sum(1)
        .add(b),
    );
  const plain = (x: ArrayLike<number>) => {
    let s = b;
    for (let i = 0; i < w.length; i++) s += w[i] * x[i];
    return s;
  };
  return { score, plain };
}

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** The curve expected by flipping patches in decreasing summed relevance, computed independently. */
function expectedCurve(
  sample: Float32Array,
  relevance: Float32Array,
  h: number,
  w: number,
  c: number,
  patch: number,
  reference: Float32Array | null,
  plain: (x: ArrayLike<number>) => number,
): number[] {
  const patches: Array<{ sum: number; pixels: number[]; id: number }> = [];
  for (let pr = 0; pr < h / patch; pr++) {
    for (let pc = 0; pc < w / patch; pc++) {
      const pixels: number[] = [];
      let sum = 0;
      for (let dr = 0; dr < patch; dr++) {
        for (let dc = 0; dc < patch; dc++) {
          const p = (pr * patch + dr) * w + pc * patch + dc;
          pixels.push(p);
          sum += relevance[p];
        }
      }
      patches.push({ sum, pixels, id: patches.length });
    }
  }
  patches.sort((a, b) => b.sum - a.sum || a.id - b.id);
  const x = Float32Array.from(sample);
  const curve = [plain(x)];
  for (const { pixels } of patches) {
    for (const p of pixels) for (let k = 0; k < c; k++) x[p * c + k] = reference ? reference[p * c + k] : 0;
    curve.push(plain(x));
  }
  return curve;
}

describe('pixel flipping', () => {
  it('matches a hand computation on a 2×2 linear example', async () => {
    const { score } = linearModel(new Float32Array([1, 2, 3, -1]), 1);
    const x = tf.ones([1, 2, 2]);
    // contributions w·x = 1, 2, 3, −1 → flip order 3, 2, 1, −1; scores 6, 3, 1, 0, 1
    const result = await pixelFlipping(score, x, [{ method: 'w·x', relevance: new Float32Array([1, 2, 3, -1]) }], {
      patchSize: 1,
    });
    x.dispose();
    expect(result.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const curve = result.curves[0];
    expect(curve.method).toBe('w·x');
    curve.perSample[0].forEach((v, i) => expect(v).toBeCloseTo([6, 3, 1, 0, 1][i], 5));
    // trapezoid: 0.25·(4.5 + 2 + 0.5 + 0.5) = 1.875, / 6
    expect(curve.areas[0]).toBeCloseTo(0.3125, 6);
    expect(result.curves[1].method).toBe(RANDOM_METHOD);
  });

  it('flipping by w·x on a linear model follows the loop computation and beats random', async () => {
    const h = 6,
      wd = 6,
      c = 2,
      n = 5;
    const rand = seeded(7);
    const w = Float32Array.from({ length: h * wd * c }, () => rand() * 2 - 0.5);
    const { score, plain } = linearModel(w, 0.5);
    const data = Float32Array.from({ length: n * h * wd * c }, () => rand());
    const relevance = new Float32Array(n * h * wd);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * wd; p++) {
        for (let k = 0; k < c; k++) relevance[i * h * wd + p] += w[p * c + k] * data[(i * h * wd + p) * c + k];
      }
    }
    for (let i = 0; i < n; i++) expect(plain(data.subarray(i * 72, (i + 1) * 72))).toBeGreaterThan(0);
    const x = tf.tensor(data, [n, h, wd, c]);
    const result = await pixelFlipping(score, x, [{ method: 'w·x', relevance }], {
      patchSize: 2,
      batchSize: 7,
      seed: 3,
    });
    x.dispose();
    expect(result.fractions.length).toBe(10);
    const [byRelevance, random] = result.curves;
    for (let i = 0; i < n; i++) {
      const sample = data.subarray(i * 72, (i + 1) * 72);
      const expected = expectedCurve(sample, relevance.subarray(i * 36, (i + 1) * 36), h, wd, c, 2, null, plain);
      byRelevance.perSample[i].forEach((v, s) => expect(v).toBeCloseTo(expected[s], 4));
      // removing the largest contributions first is the lowest curve at every step, hence the lowest area
      expect(byRelevance.areas[i]).toBeLessThan(random.areas[i]);
    }
    expect(byRelevance.meanArea).toBeLessThan(random.meanArea);
  });

  it('uses the mean and nearest references', async () => {
    const h = 4,
      wd = 4,
      n = 3;
    const rand = seeded(11);
    const w = Float32Array.from({ length: 16 }, () => rand() * 2 - 1);
    const { score, plain } = linearModel(w, 5);
    const data = Float32Array.from({ length: n * 16 }, () => rand());
    const relevance = Float32Array.from({ length: n * 16 }, () => rand() - 0.5);
    const mean = Float32Array.from({ length: 16 }, () => rand());
    const nearest = Float32Array.from({ length: n * 16 }, () => rand());
    const references: Array<[FlipReference, (i: number) => Float32Array]> = [
      [{ kind: 'mean', image: mean }, () => mean],
      [{ kind: 'nearest', images: nearest }, (i) => nearest.subarray(i * 16, (i + 1) * 16)],
    ];
    for (const [reference, refOf] of references) {
      const x = tf.tensor(data, [n, h, wd]);
      const result = await pixelFlipping(score, x, [{ method: 'm', relevance }], { patchSize: 2, reference });
      x.dispose();
      expect(result.reference).toBe(reference.kind);
      for (let i = 0; i < n; i++) {
        const expected = expectedCurve(
          data.subarray(i * 16, (i + 1) * 16),
          relevance.subarray(i * 16, (i + 1) * 16),
          h,
          wd,
          1,
          2,
          refOf(i),
          plain,
        );
        result.curves[0].perSample[i].forEach((v, s) => expect(v).toBeCloseTo(expected[s], 4));
      }
    }
  });

  it('scores in batches: same result for any batch size, one forward pass per batch', async () => {
    const { score } = linearModel(
      Float32Array.from({ length: 16 }, (_, i) => (i % 5) - 1),
      20,
    );
    let calls = 0;
    const counted = (x: tf.Tensor) => {
      calls++;
      return score(x);
    };
    const data = Float32Array.from({ length: 4 * 16 }, (_, i) => (i * 0.37) % 1);
    const relevance = Float32Array.from({ length: 4 * 16 }, (_, i) => Math.sin(i));
    const methods = [
      { method: 'a', relevance },
      { method: 'b', relevance: relevance.map((v) => -v) },
    ];
    const x = tf.tensor(data, [4, 4, 4]);
    const big = await pixelFlipping(counted, x, methods, { patchSize: 1, batchSize: 1000 });
    // 4 samples × 3 orders × 16 steps = 192 step images, in one pass, plus one pass for the starting scores
    expect(calls).toBe(2);
    calls = 0;
    const small = await pixelFlipping(counted, x, methods, { patchSize: 1, batchSize: 10 });
    expect(calls).toBe(1 + Math.ceil(192 / 10));
    x.dispose();
    expect(small.curves.map((c) => c.perSample)).toEqual(big.curves.map((c) => c.perSample));
  });

  it('a fixed number of steps, a reproducible random floor, stable tensor count', async () => {
    expect(stepCounts(196, { steps: 4 })).toEqual([0, 49, 98, 147, 196]);
    expect(stepCounts(10, { patchesPerStep: 4 })).toEqual([0, 4, 8, 10]);
    const { score } = linearModel(
      Float32Array.from({ length: 64 }, (_, i) => (i % 7) / 7),
      1,
    );
    const x = tf.tensor(
      Float32Array.from({ length: 2 * 64 }, (_, i) => (i % 3) / 3),
      [2, 8, 8],
    );
    const relevance = Float32Array.from({ length: 2 * 64 }, (_, i) => i % 11);
    const run = (seed: number) => pixelFlipping(score, x, [{ method: 'r', relevance }], { steps: 4, seed });
    const first = await run(1);
    expect(first.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) await run(1);
    expect(tf.memory().numTensors).toBe(before);
    expect((await run(1)).curves[1].perSample).toEqual(first.curves[1].perSample);
    expect((await run(2)).curves[1].perSample).not.toEqual(first.curves[1].perSample);
    x.dispose();
  });

  it('the area table of a tiny run: mean and sample std of the per-sample areas, best first', async () => {
    const { score, plain } = linearModel(new Float32Array([3, 1, 2, 0.5]), 0.25);
    const data = new Float32Array([1, 1, 1, 1, 0.5, 1, 0.2, 1, 1, 0, 1, 0.5]);
    const x = tf.tensor(data, [3, 2, 2]);
    const good = data.map((v, i) => v * [3, 1, 2, 0.5][i % 4]);
    const bad = good.map((v) => -v);
    const result = await pixelFlipping(
      score,
      x,
      [
        { method: 'bad', relevance: bad },
        { method: 'good', relevance: good },
      ],
      { patchSize: 1 },
    );
    x.dispose();
    const table = areaTable(result);
    expect(table.map((r) => r.method)[0]).toBe('good');
    expect(table.map((r) => r.method)).toContain(RANDOM_METHOD);
    for (const method of ['good', 'bad']) {
      const relevance = method === 'good' ? good : bad;
      const areas = [0, 1, 2].map((i) => {
        const curve = expectedCurve(
          data.subarray(i * 4, i * 4 + 4),
          relevance.subarray(i * 4, i * 4 + 4),
          2,
          2,
          1,
          1,
          null,
          plain,
        );
        let area = 0;
        for (let s = 1; s < curve.length; s++) area += (0.25 * (curve[s] + curve[s - 1])) / 2;
        return area / curve[0];
      });
      const mean = (areas[0] + areas[1] + areas[2]) / 3;
      const std = Math.sqrt(areas.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
      const row = table.find((r) => r.method === method)!;
      expect(row.meanArea).toBeCloseTo(mean, 5);
      expect(row.stdArea).toBeCloseTo(std, 5);
      expect(row.nSamples).toBe(3);
    }
  });

  it('rejects bad input with a UserError', async () => {
    const { score } = linearModel(new Float32Array([1, 1, 1, 1]), -10);
    const x = tf.ones([1, 2, 2]);
    const relevance = new Float32Array(4);
    await expect(pixelFlipping(score, x, [{ method: 'm', relevance }])).rejects.toThrow(/must be > 0/);
    await expect(pixelFlipping(score, x, [{ method: 'm', relevance: new Float32Array(3) }])).rejects.toThrow(UserError);
    await expect(pixelFlipping(score, x, [{ method: RANDOM_METHOD, relevance }])).rejects.toThrow(/reserved/);
    await expect(
      pixelFlipping(score, x, [{ method: 'm', relevance }], {
        reference: { kind: 'mean', image: new Float32Array(2) },
      }),
    ).rejects.toThrow(/mean reference/);
    x.dispose();
  });
});
