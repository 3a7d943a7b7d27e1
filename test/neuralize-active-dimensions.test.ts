/**
 * The Gaussian distance layer runs its products over the dimensions where some support vector is
 * off-centre only. Support vectors that share values in some dimensions (zero borders, a constant
 * pixel) while the explained samples do not: OC-DTD still equals the float64 formula of
 * docs/methods.md#ocdtd-distance and conserves o(x), also with a single support vector (no dimension differs at all).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { ActiveDimensions } from '../src/neuralize/active-dimensions.ts';
import { handMadeModel, ocdtdReference, outlierness, row, seededRandom } from './helpers/ocsvm-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const d = 24;
const shared = [0, 1, 2, 7, 23]; // the same value in every support vector
const sampleData = (n: number, seed: number) => {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n * d }, () => rnd());
};

/** The first nSupport rows become support vectors: give them equal values in the shared dimensions. */
function withSharedDimensions(X: Float32Array, nSupport: number): Float32Array {
  const out = X.slice();
  for (let j = 0; j < nSupport; j++) for (const i of shared) out[j * d + i] = i === 7 ? 0.5 : 0;
  return out;
}

describe('column gathers with runs of consecutive indices (the wasm GatherV2 copies runs as blocks)', () => {
  it.each([
    [[3, 10], 1],
    [[3, 10, 2], 1],
  ])('equals a plain loop, x of shape %j along axis %i', (shape, axis) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 3);
    const indices = [shape[axis] - 1, 2, 3, 4, 0, 1, 7, 8, 8, 9].filter((i) => i < shape[axis]);
    const x = tf.tensor(values, shape);
    const idx = tf.tensor1d(indices, 'int32');
    const got = tf.gather(x, idx, axis);
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const expected: number[] = [];
    for (let o = 0; o < outer; o++)
      for (const i of indices) for (let c = 0; c < inner; c++) expected.push(values[(o * shape[axis] + i) * inner + c]);
    expect(Array.from(got.dataSync())).toEqual(expected);
    tf.dispose([x, idx, got]);
  });
});

describe('ActiveDimensions', () => {
  it('finds the dimensions where some centred prototype is non-zero, and keeps one when none is', () => {
    const u = tf.tensor2d([0, 1, 0, 2, 0, -1, 0, -2], [2, 4]);
    const dims = new ActiveDimensions(u);
    expect(dims.count).toBe(2);
    const rows = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const selected = dims.select(rows);
    expect(selected.arraySync()).toEqual([
      [2, 4],
      [6, 8],
    ]);
    // active values back in place, the others computed from their own columns
    const merged = dims.merge(tf.mul(selected, 10) as tf.Tensor2D, rows, (rest) => tf.neg(rest) as tf.Tensor2D);
    expect(merged.arraySync()).toEqual([
      [-1, 20, -3, 40],
      [-5, 60, -7, 80],
    ]);
    const none = new ActiveDimensions(tf.zeros([3, 4]) as tf.Tensor2D);
    expect(none.count).toBe(1);
    tf.dispose([u, rows, selected, merged]);
    dims.dispose();
    none.dispose();
  });
});

describe.each([20, 1])('OC-DTD with shared support-vector dimensions, %i support vectors', (nSupport) => {
  it('equals the explicit formula and conserves o(x) on every sample, with a stable tensor count', () => {
    const n = 40;
    const X = withSharedDimensions(sampleData(n, 5), nSupport);
    const model = handMadeModel(X, n, d, { kernel: 'rbf', gamma: 0.4, nSupport, outlierFraction: 0.25, seed: 9 });
    const nz = neuralize(model);
    const network = nz.network(null, [d]);
    const x = tf.tensor2d(X, [n, d]);
    ocdtd(network, x).relevance.dispose();
    const before = tf.memory().numTensors;
    const { relevance, outlierness: o } = ocdtd(network, x);
    const R = relevance.dataSync();
    let sharedRelevance = 0;
    for (let s = 0; s < n; s++) {
      const xs = row(X, s, d);
      const expectedO = outlierness(model, xs);
      expect(Math.abs(o[s] - expectedO)).toBeLessThanOrEqual(1e-5 * expectedO);
      const expected = ocdtdReference(model, xs);
      let sum = 0;
      for (let i = 0; i < d; i++) {
        sum += R[s * d + i];
        expect(Math.abs(R[s * d + i] - expected[i])).toBeLessThanOrEqual(1e-4 * expectedO);
      }
      for (const i of shared) sharedRelevance += R[s * d + i];
      expect(Math.abs(sum - o[s])).toBeLessThanOrEqual(1e-4 * o[s]);
    }
    // the samples past the support vectors differ from them in the shared dimensions: relevance there
    expect(sharedRelevance).toBeGreaterThan(0);
    relevance.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    nz.dispose();
  });
});
