/**
 * What z^B may assume about a data set's inputs (the same choice as src/run/run-explainer.ts):
 * image pixels lie in [0, 1] (widened to the data's own minimum and maximum when they go beyond,
 * e.g. CSV images of bytes 0…255); other data (vectors) have no a-priori bounds, so deep-taylor
 * uses w² at the first layer and the box rules take the data's own per-feature range.
 */
import { tf } from '../runtime/runtime.ts';
import { isImageSet, sampleSize, type Dataset } from '../data/dataset.ts';
import type { SampleSource } from '../data/sample-source.ts';
import type { CompositeOptions } from './composites.ts';

/** Samples in memory (a Dataset) or read on demand (a SampleSource). */
export type BoundedData = Pick<Dataset, 'n' | 'sampleShape'> &
  ({ x: Float32Array } | Pick<SampleSource, 'read' | 'valueRange'>);

/** The data's values a batch at a time, each a whole number of samples. */
function* valueBatches(ds: BoundedData): Generator<Float32Array> {
  const size = sampleSize(ds);
  if ('x' in ds) {
    yield ds.x.subarray(0, ds.n * size);
    return;
  }
  for (let start = 0; start < ds.n; start += BOUNDS_BATCH) yield ds.read(start, Math.min(ds.n, start + BOUNDS_BATCH));
}

/** Samples read at a time when the data is read from disk. */
const BOUNDS_BATCH = 4096;

/**
 * Composite options for `ds`; for vectors low/high are tensors of `shape` (one sample as the
 * network takes it; default the data's sample shape) — free them with disposeBounds. Data read on
 * demand is read once, a batch at a time (not at all for images known to lie in [0, 1]).
 */
export function compositeOptionsForData(ds: BoundedData, shape: readonly number[] = ds.sampleShape): CompositeOptions {
  if (isImageSet(ds)) {
    let [low, high] = [0, 1];
    if ('valueRange' in ds && ds.valueRange)
      return { low: Math.min(0, ds.valueRange[0]), high: Math.max(1, ds.valueRange[1]) };
    for (const values of valueBatches(ds))
      for (const v of values) {
        if (v < low) low = v;
        else if (v > high) high = v;
      }
    return { low, high };
  }
  if (ds.n === 0) return { unbounded: true };
  const size = sampleSize(ds);
  let low: Float32Array | null = null;
  let high: Float32Array | null = null;
  for (const values of valueBatches(ds)) {
    low ??= values.slice(0, size);
    high ??= values.slice(0, size);
    for (let at = 0; at < values.length; at += size) {
      for (let j = 0; j < size; j++) {
        const v = values[at + j];
        if (v < low[j]) low[j] = v;
        if (v > high[j]) high[j] = v;
      }
    }
  }
  return { unbounded: true, low: tf.tensor(low!, [...shape]), high: tf.tensor(high!, [...shape]) };
}

/** Frees the bound tensors of options made by compositeOptionsForData. */
export function disposeBounds(options: CompositeOptions): void {
  for (const bound of [options.low, options.high]) if (bound instanceof tf.Tensor) bound.dispose();
}
