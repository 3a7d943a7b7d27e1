/**
 * Samples read on demand: what a loader knows after one pass over the data (count, shape, labels,
 * classes) without holding the samples, and any range of them read from disk when asked. Scoring
 * and explaining in batches through a SampleSource keep memory bounded whatever the number of
 * samples.
 */
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset, type PlantedTruth } from './dataset.ts';
import { subsetTruth } from './split.ts';

export interface SampleSource {
  /** what was opened, as Dataset.source */
  readonly source: string;
  readonly n: number;
  readonly sampleShape: number[];
  /** class index per sample, or null without labels (n int32: small beside the samples) */
  readonly labels: Int32Array | null;
  readonly classNames: string[];
  /** where each sample is in the user's files (PNG path, CSV line), if known: as Dataset.names */
  readonly names?: string[];
  /** anomalies planted by the data spec (planted=RATE), as Dataset.anomalies */
  readonly anomalies?: PlantedTruth;
  /** bounds every value is known to lie in without reading the data (PNG bytes / 255, MNIST: [0, 1]), if any */
  readonly valueRange?: readonly [number, number];
  /** samples [from, to), row-major, a fresh array */
  read(from: number, to: number): Float32Array;
}

/** The same samples read as `sampleShape` (same size: e.g. CSV rows as the images a run was trained on). */
export function reshapedSource(source: SampleSource, sampleShape: readonly number[]): SampleSource {
  if (sampleShape.reduce((a, b) => a * b, 1) !== sampleSize(source))
    throw new RangeError(`samples of shape [${source.sampleShape}] cannot be read as [${sampleShape}]`);
  return {
    source: source.source,
    n: source.n,
    sampleShape: [...sampleShape],
    labels: source.labels,
    classNames: source.classNames,
    names: source.names,
    anomalies: source.anomalies,
    valueRange: source.valueRange,
    read: (from, to) => source.read(from, to),
  };
}

export function checkRange(from: number, to: number, n: number): void {
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n))
    throw new RangeError(`samples [${from}, ${to}) are outside 0…${n}`);
}

/** A data set already in memory, as a source. */
export function datasetSource(ds: Dataset, valueRange?: readonly [number, number]): SampleSource {
  const size = sampleSize(ds);
  return {
    source: ds.source,
    n: ds.n,
    sampleShape: ds.sampleShape,
    labels: ds.labels,
    classNames: ds.classNames,
    names: ds.names,
    anomalies: ds.anomalies,
    valueRange,
    read(from, to) {
      checkRange(from, to, ds.n);
      return ds.x.slice(from * size, to * size);
    },
  };
}

/** Consecutive batches of at most `batch` samples of [from, to), in order. */
export function* batchesOf(
  source: SampleSource,
  batch: number,
  from = 0,
  to = source.n,
): Generator<{ from: number; to: number; x: Float32Array }> {
  if (!(Number.isInteger(batch) && batch >= 1))
    throw new UserError(`batch size must be a positive whole number, got ${batch}`);
  for (let start = from; start < to; start += batch) {
    const end = Math.min(to, start + batch);
    yield { from: start, to: end, x: source.read(start, end) };
  }
}

/** The samples at `indices` (any order, repeats allowed) as a Dataset, reading each needed range once. */
export function pickSamples(source: SampleSource, indices: readonly number[]): Dataset {
  const size = sampleSize(source);
  const x = new Float32Array(indices.length * size);
  const order = indices.map((i, k) => ({ i, k })).sort((a, b) => a.i - b.i);
  // runs of nearby indices are read together (one pass over the file per run)
  for (let s = 0; s < order.length;) {
    let e = s + 1;
    while (e < order.length && order[e].i - order[e - 1].i <= 64) e++;
    const from = order[s].i;
    const part = source.read(from, order[e - 1].i + 1);
    for (let t = s; t < e; t++)
      x.set(part.subarray((order[t].i - from) * size, (order[t].i - from + 1) * size), order[t].k * size);
    s = e;
  }
  return {
    x,
    n: indices.length,
    sampleShape: [...source.sampleShape],
    labels: source.labels ? Int32Array.from(indices, (i) => source.labels![i]) : null,
    classNames: [...source.classNames],
    source: source.source,
    ...(source.names ? { names: indices.map((i) => source.names![i]) } : {}),
    ...(source.anomalies ? { anomalies: subsetTruth(source.anomalies, indices, source.sampleShape) } : {}),
  };
}
