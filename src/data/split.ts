/**
 * Seeded, deterministic sampling of data sets: shuffles, train/test splits, subsets.
 * The same seed gives the same result on every machine (integer PRNG, no Math.random).
 */
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset, type PlantedTruth } from './dataset.ts';
import { mulberry32, shuffleInPlace } from './random.ts';

/** A permutation of 0…n−1 determined by `seed`. */
export function shuffleIndices(n: number, seed: number): number[] {
  return shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    mulberry32(seed),
  );
}

export function subsetTruth(truth: PlantedTruth, indices: ArrayLike<number>, shape: readonly number[]): PlantedTruth {
  const pixels = shape[0] * shape[1];
  const masks = new Uint8Array(indices.length * pixels);
  for (let k = 0; k < indices.length; k++)
    masks.set(truth.masks.subarray(indices[k] * pixels, (indices[k] + 1) * pixels), k * pixels);
  return { masks, types: Array.from(indices, (i) => truth.types[i]) };
}

/** Rows `rows` of row-major data with `size` values per row, in that order (copied). */
export function pickRows(data: Float32Array, rows: readonly number[], size: number): Float32Array {
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, k) => out.set(data.subarray(r * size, (r + 1) * size), k * size));
  return out;
}

/** The samples at `indices`, in that order (copied). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const size = sampleSize(ds);
  const x = new Float32Array(indices.length * size);
  const labels = ds.labels ? new Int32Array(indices.length) : null;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
      throw new RangeError(`subset: index ${i} outside 0…${ds.n - 1}`);
    }
    x.set(ds.x.subarray(i * size, (i + 1) * size), k * size);
    if (labels && ds.labels) labels[k] = ds.labels[i];
  }
  return {
    x,
    n: indices.length,
    sampleShape: [...ds.sampleShape],
    labels,
    classNames: [...ds.classNames],
    source: ds.source,
    ...(ds.names ? { names: Array.from(indices, (i) => ds.names![i]) } : {}),
    ...(ds.anomalies ? { anomalies: subsetTruth(ds.anomalies, indices, ds.sampleShape) } : {}),
  };
}

/** Sample indices grouped by class (ascending within each class); one group when unlabelled. */
function indicesByClass(ds: Dataset): number[][] {
  if (!ds.labels) return [Array.from({ length: ds.n }, (_, i) => i)];
  const groups: number[][] = ds.classNames.map(() => []);
  for (let i = 0; i < ds.n; i++) groups[ds.labels[i]].push(i);
  return groups;
}

/**
 * Split into train and test parts. With labels the split is stratified: each class gives
 * round(count × testFraction) random samples to the test part. Both parts keep the original order.
 */
export function trainTestSplit(ds: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new UserError(`test fraction must be in [0, 1), got ${testFraction}`);
  }
  const random = mulberry32(seed);
  const isTest = new Uint8Array(ds.n);
  for (const group of indicesByClass(ds)) {
    const picked = shuffleInPlace([...group], random).slice(0, Math.round(group.length * testFraction));
    for (const i of picked) isTest[i] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < ds.n; i++) (isTest[i] ? test : train).push(i);
  return { train: subset(ds, train), test: subset(ds, test) };
}

/**
 * At most `perClass` samples of every class (all of a class that has fewer), in the original order:
 * the first ones of each class, or a random choice when `seed` is given.
 */
export function takePerClass(ds: Dataset, perClass: number, seed?: number): Dataset {
  if (!ds.labels) throw new UserError(`${ds.source} has no labels, so samples cannot be taken per class`);
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new UserError(`samples per class must be a positive whole number, got ${perClass}`);
  }
  const random = seed === undefined ? null : mulberry32(seed);
  const kept: number[] = [];
  for (const group of indicesByClass(ds)) {
    kept.push(...(random ? shuffleInPlace([...group], random) : group).slice(0, perClass));
  }
  return subset(
    ds,
    kept.sort((a, b) => a - b),
  );
}

/**
 * A seeded, class-stratified choice of `size` of the `labels.length` samples (positions, ascending):
 * class c with n_c samples gets ⌊size·n_c/n⌋, and the classes with the largest remainders
 * (size·n_c mod n; ties to the lower class index) one more each until the quotas sum to `size`;
 * within each class, in class order, the first quota of a Fisher–Yates shuffle of its positions by
 * one mulberry32(seed) stream. Unlabelled data (labels null) is one class of `n` samples. All
 * samples when size ≥ n.
 */
export function stratifiedSubsample(
  labels: ArrayLike<number> | null,
  n: number,
  size: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(size) || size < 1)
    throw new UserError(`subsample size must be a positive whole number, got ${size}`);
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) {
    const c = labels ? labels[i] : 0;
    while (groups.length <= c) groups.push([]);
    groups[c].push(i);
  }
  const quota = groups.map((g) => Math.floor((size * g.length) / n));
  const byRemainder = groups
    .map((g, c) => ({ c, remainder: (size * g.length) % n }))
    .sort((a, b) => b.remainder - a.remainder || a.c - b.c);
  let missing = size - quota.reduce((a, b) => a + b, 0);
  for (let k = 0; missing > 0; k++, missing--) quota[byRemainder[k].c]++;
  const random = mulberry32(seed);
  const chosen: number[] = [];
  groups.forEach((g, c) => chosen.push(...shuffleInPlace([...g], random).slice(0, quota[c])));
  return Int32Array.from(chosen.sort((a, b) => a - b));
}
