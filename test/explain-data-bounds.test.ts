/**
 * Input bounds for z^B by data kind: images are [0, 1]; vectors get their per-feature min/max
 * (checked against plain loops), deep-taylor switches to w², the box rules use those bounds
 * (relevance equals the explicit-matrix reference with per-feature bounds), and without bounds the
 * box composites are refused with a UserError.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { compositeOptionsForData, disposeBounds } from '../src/explain/data-bounds.ts';
import { parseClassifierMethods } from '../src/explain/classifier-methods.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { explicitDense, referenceRelevance, seededRandom, uniform } from './explain-lrp-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const rand = seededRandom(5);
const [n, d] = [9, 4];
const rows = Array.from({ length: n }, () => uniform(rand, d, -3, 5));
const vectors = { x: Float32Array.from(rows.flat()), n, sampleShape: [d] };

describe('composite options from the data', () => {
  it('images: z^B on [0, 1]', () => {
    expect(compositeOptionsForData({ x: new Float32Array(8), n: 2, sampleShape: [2, 2, 1] })).toEqual({
      low: 0,
      high: 1,
    });
  });

  it('vectors: unbounded, with the per-feature min and max as box', () => {
    const before = tf.memory().numTensors;
    const options = compositeOptionsForData(vectors);
    expect(options.unbounded).toBe(true);
    const low = (options.low as tf.Tensor).arraySync() as number[];
    const high = (options.high as tf.Tensor).arraySync() as number[];
    for (let j = 0; j < d; j++) {
      let [lo, hi] = [Infinity, -Infinity];
      for (const row of rows) [lo, hi] = [Math.min(lo, row[j]), Math.max(hi, row[j])];
      expect(low[j]).toBe(lo);
      expect(high[j]).toBe(hi);
    }
    disposeBounds(options);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('vectors: deep-taylor takes w², the box composites apply z^B with the data bounds', () => {
    const options = compositeOptionsForData(vectors);
    const [deepTaylor, zBox, gammaBox] = parseClassifierMethods(
      'lrp:deep-taylor,lrp:z-box,lrp:epsilon-gamma-box',
      '--method',
      options,
    );
    if (deepTaylor.kind !== 'lrp' || zBox.kind !== 'lrp' || gammaBox.kind !== 'lrp')
      throw new Error('expected LRP methods');
    expect(deepTaylor.composite.first?.name).toBe('w-square');
    expect(gammaBox.composite.first?.name).toBe('z-box(tensor, tensor)');
    const w = Array.from({ length: d }, () => uniform(rand, 3, -1, 1));
    const b = uniform(rand, 3, -0.5, 0.5);
    const layer = new DenseLayer('d', tf.tensor2d(w), tf.tensor1d(b));
    const R = uniform(rand, 3, 0.1, 1);
    const got = tf.tidy(() => {
      const a = tf.tensor2d([rows[0]]);
      return layer
        .relevance(a, tf.tensor2d([R]), zBox.composite.byKind!.dense, { output: layer.forward(a) })
        .dataSync();
    });
    const low = Array.from((options.low as tf.Tensor).dataSync());
    const high = Array.from((options.high as tf.Tensor).dataSync());
    const expected = referenceRelevance({ rule: 'z-box', low, high }, explicitDense(w, b), rows[0], R).relevance;
    expected.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    layer.dispose();
    disposeBounds(options);
  });

  it('refuses the box composites on unbounded inputs without bounds, naming the alternatives', () => {
    for (const name of ['lrp:z-box', 'lrp:epsilon-gamma-box']) {
      expect(() => parseComposite(name, { unbounded: true })).toThrow(UserError);
      expect(() => parseComposite(name, { unbounded: true })).toThrow(
        /needs lower and upper bounds .* use lrp:deep-taylor/,
      );
    }
    expect(parseComposite('lrp:deep-taylor', { unbounded: true }).first?.name).toBe('w-square');
  });
});
