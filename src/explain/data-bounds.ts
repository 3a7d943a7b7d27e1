/**
 * What z^B may assume about a data set's inputs (the same choice as src/run/run-explainer.ts):
 * image pixels lie in [0, 1] (widened to the data's own minimum and maximum when they go beyond,
 * e.g. CSV images of bytes 0…255); other data (vectors) have no a-priori bounds, so deep-taylor
 * uses w² at the first layer and the box rules take the data's own per-feature range.
 */
import { tf } from '../runtime/runtime.ts';
import { isImageSet, sampleSize, type Dataset } from '../data/dataset.ts';
import type { CompositeOptions } from './composites.ts';

/**
 * Composite options for `ds`; for vectors low/high are tensors of `shape` (one sample as the
 * network takes it; default the data's sample shape) — free them with disposeBounds.
 */
export function compositeOptionsForData(
  ds: Pick<Dataset, 'x' | 'n' | 'sampleShape'>,
  shape: readonly number[] = ds.sampleShape,
): CompositeOptions {
  if (isImageSet(ds)) {
    let [low, high] = [0, 1];
    for (const v of ds.x.subarray(0, ds.n * sampleSize(ds))) {
      if (v < low) low = v;
      else if (v > high) high = v;
    }
    return { low, high };
  }
  if (ds.n === 0) return { unbounded: true };
  const size = sampleSize(ds);
  const low = ds.x.slice(0, size);
  const high = ds.x.slice(0, size);
  for (let i = 1; i < ds.n; i++) {
    for (let j = 0; j < size; j++) {
      const v = ds.x[i * size + j];
      if (v < low[j]) low[j] = v;
      if (v > high[j]) high[j] = v;
    }
  }
  return { unbounded: true, low: tf.tensor(low, [...shape]), high: tf.tensor(high, [...shape]) };
}

/** Frees the bound tensors of options made by compositeOptionsForData. */
export function disposeBounds(options: CompositeOptions): void {
  for (const bound of [options.low, options.high]) if (bound instanceof tf.Tensor) bound.dispose();
}
