/**
 * Pixel flipping normalised to the span between the start and the end of the flip, the blurred
 * reference, and the Gaussian blur itself, each against plain loops.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { pixelFlipping, RANDOM_METHOD } from '../src/metrics/pixel-flipping.ts';
import { gaussianBlur } from '../src/metrics/blur.ts';
import { mulberry32 } from '../src/data/random.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

/** Direct 2-D convolution with the Gaussian, in float64, weights outside the image left out. */
function referenceBlur(image: Float32Array, h: number, w: number, c: number, sigma: number): number[] {
  const radius = Math.ceil(3 * sigma);
  const out: number[] = [];
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      for (let k = 0; k < c; k++) {
        let sum = 0;
        let weight = 0;
        for (let dr = -radius; dr <= radius; dr++) {
          for (let dc = -radius; dc <= radius; dc++) {
            const rr = r + dr;
            const cc = col + dc;
            if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
            const g = Math.exp(-(dr * dr + dc * dc) / (2 * sigma * sigma));
            sum += g * image[(rr * w + cc) * c + k];
            weight += g;
          }
        }
        out.push(sum / weight);
      }
    }
  }
  return out;
}

describe('Gaussian blur', () => {
  it('equals a direct 2-D convolution per channel, keeps flat images flat', () => {
    const random = mulberry32(3);
    const [h, w, c] = [7, 9, 2];
    const images = Float32Array.from({ length: 2 * h * w * c }, () => random());
    const blurred = gaussianBlur(images, [h, w, c], 1.3);
    for (let s = 0; s < 2; s++) {
      const expected = referenceBlur(images.subarray(s * h * w * c, (s + 1) * h * w * c), h, w, c, 1.3);
      expected.forEach((v, i) => expect(blurred[s * h * w * c + i]).toBeCloseTo(v, 5));
    }
    const flat = gaussianBlur(new Float32Array(h * w).fill(0.25), [h, w, 1], 2);
    for (const v of flat) expect(v).toBeCloseTo(0.25, 6);
    expect(() => gaussianBlur(images, [h * w * c], 1)).toThrow(UserError);
  });
});

describe('span-normalised pixel flipping', () => {
  // score = Σ w·x + 3 on 4×4 images: flipping to zero ends at 3, not at 0
  const weights = Float32Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) / 4);
  const score = (x: tf.Tensor) =>
    tf.tidy(() => tf.add(tf.sum(tf.mul(tf.reshape(x, [x.shape[0], 16]), tf.tensor1d(weights)), 1), 3));

  it('runs from 1 to 0 between the start and the end, with the loop-computed trapezoid area', async () => {
    const random = mulberry32(5);
    const n = 3;
    const data = Float32Array.from({ length: n * 16 }, () => random());
    const relevance = Float32Array.from({ length: n * 16 }, () => random());
    const x = tf.tensor(data, [n, 4, 4]);
    const result = await pixelFlipping(score, x, [{ method: 'm', relevance }], { patchSize: 1, normalize: 'span' });
    x.dispose();
    expect(result.normalize).toBe('span');
    expect(result.withoutSpan).toBe(0);
    const curve = result.curves[0];
    for (let s = 0; s < n; s++) {
      const row = curve.perSample[s];
      const end = row[row.length - 1];
      expect(end).toBeCloseTo(3, 4);
      let area = 0;
      for (let t = 1; t < row.length; t++) {
        const y0 = (row[t - 1] - end) / (row[0] - end);
        const y1 = (row[t] - end) / (row[0] - end);
        area += (y0 + y1) / 2 / 16;
      }
      expect(curve.areas[s]).toBeCloseTo(area, 10);
    }
    expect(curve.meanNormalized[0]).toBeCloseTo(1, 10);
    expect(curve.meanNormalized[curve.meanNormalized.length - 1]).toBeCloseTo(0, 10);
    expect(curve.meanArea).toBeCloseTo(curve.areas.reduce((a, b) => a + b, 0) / n, 10);
  });

  it('leaves out the samples whose flip lowers the score by less than a tenth, for every method alike', async () => {
    // score = 3 + 7.5·v on an image of constant v; the reference has v = 0.5 (score 6.75).
    // sample 0 (v = 0.9, 9.75 → 6.75) is kept; sample 1 is black, the flip raises its score;
    // sample 2 (v = 0.55, 7.125 → 6.75) falls by 0.375 < 0.7125, a tenth of its start
    const data = new Float32Array(3 * 16);
    data.fill(0.9, 0, 16);
    data.fill(0.55, 32, 48);
    const reference = new Float32Array(16).fill(0.5);
    const x = tf.tensor(data, [3, 4, 4]);
    const result = await pixelFlipping(score, x, [{ method: 'm', relevance: new Float32Array(48).fill(1) }], {
      reference: { kind: 'mean', image: reference },
      normalize: 'span',
      steps: 4,
    });
    x.dispose();
    expect(result.withoutSpan).toBe(2);
    for (const curve of result.curves) {
      expect(Number.isFinite(curve.areas[0])).toBe(true);
      expect(curve.areas[1]).toBeNaN();
      expect(curve.areas[2]).toBeNaN();
      expect(curve.meanArea).toBe(curve.areas[0]);
    }
    expect(result.curves.map((c) => c.method)).toEqual(['m', RANDOM_METHOD]);
  });

  it('flips to a blurred copy of each sample', async () => {
    const random = mulberry32(9);
    const data = Float32Array.from({ length: 2 * 16 }, () => random());
    const blurred = gaussianBlur(data, [4, 4, 1], 1);
    const relevance = Float32Array.from({ length: 32 }, () => random());
    const x = tf.tensor(data, [2, 4, 4, 1]);
    const result = await pixelFlipping(score, x, [{ method: 'm', relevance }], {
      patchSize: 1,
      reference: { kind: 'blurred', images: blurred },
    });
    x.dispose();
    expect(result.reference).toBe('blurred');
    for (let s = 0; s < 2; s++) {
      let expectedEnd = 3;
      for (let i = 0; i < 16; i++) expectedEnd += weights[i] * blurred[s * 16 + i];
      const row = result.curves[0].perSample[s];
      expect(row[row.length - 1]).toBeCloseTo(expectedEnd, 4);
    }
  });
});
