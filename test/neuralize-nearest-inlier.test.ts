/** The nearest-inlier reference never is the sample itself: an inlier gets its nearest other inlier. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { mulberry32 } from '../src/data/random.ts';
import { NearestInlier } from '../src/neuralize/nearest-inlier.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('NearestInlier', () => {
  it('finds the nearest other inlier by brute force, for inliers and new samples alike', () => {
    const random = mulberry32(7);
    const dim = 12;
    const count = 30;
    const inliers = Float32Array.from({ length: count * dim }, () => random());
    const queries = new Float32Array(8 * dim);
    queries.set(inliers.subarray(0, 5 * dim)); // five inliers themselves
    for (let i = 5 * dim; i < queries.length; i++) queries[i] = random(); // three new samples
    const expected = Array.from({ length: 8 }, (_, q) => {
      let best = -1;
      let bestDistance = Infinity;
      for (let j = 0; j < count; j++) {
        let d = 0;
        for (let t = 0; t < dim; t++) d += (queries[q * dim + t] - inliers[j * dim + t]) ** 2;
        if (d > 0 && d < bestDistance) [best, bestDistance] = [j, d];
      }
      return best;
    });
    const nearest = new NearestInlier(inliers, dim);
    const x = tf.tensor2d(queries, [8, dim]);
    const found = nearest.nearestIndex(x);
    expect(Array.from(found.dataSync())).toEqual(expected);
    expect(expected.slice(0, 5).every((j, q) => j !== q)).toBe(true);
    tf.dispose([x, found]);
    nearest.dispose();
  });
});
