/**
 * A data set with planted anomalies as a data spec option (`mnist,planted=0.02`, `png:DIR,planted=0.05`):
 * every class gets round(rate × its size) corrupted samples, fragments pasted from the other
 * classes (from the other samples when there are no labels). Seeded, so reloading the spec gives
 * the same samples, artefacts and masks; the ground truth travels with the data set.
 */
import { UserError } from '../errors.ts';
import { isImageSet, sampleSize, type Dataset } from './dataset.ts';
import { ANOMALY_TYPES, plantAnomalies } from './planted-anomalies.ts';
import { subset, subsetTruth } from './split.ts';
import type { SampleMasks } from './mask-folder.ts';

/** Seed of the planting (a fixed one: the spec names the data, so it must name the same samples). */
const PLANT_SEED = 12;

export function withPlantedAnomalies(ds: Dataset, rate: number): Dataset {
  if (!isImageSet(ds)) throw new UserError(`planted= needs images; ${ds.source} holds vectors`);
  if (!(rate > 0 && rate <= 0.5))
    throw new UserError(`planted= must be a share of the samples in (0, 0.5], got ${rate}`);
  const groups: number[][] = ds.labels
    ? ds.classNames.map((_, k) => Array.from(ds.labels!).flatMap((label, i) => (label === k ? [i] : [])))
    : [Array.from({ length: ds.n }, (_, i) => i)];
  const size = sampleSize(ds);
  const pixels = ds.sampleShape[0] * ds.sampleShape[1];
  const x = ds.x.slice();
  const masks = new Uint8Array(ds.n * pixels);
  const types = new Array<string | null>(ds.n).fill(null);
  groups.forEach((members, k) => {
    if (members.length === 0) return;
    const others = ds.labels ? Array.from({ length: ds.n }, (_, i) => i).filter((i) => ds.labels![i] !== k) : members;
    const planted = plantAnomalies(subset(ds, members), {
      rate,
      seed: PLANT_SEED + k,
      types: others.length > 0 ? ANOMALY_TYPES : ANOMALY_TYPES.filter((t) => t !== 'fragment'),
      donors: others.length > 0 ? subset(ds, others).x : undefined,
    });
    members.forEach((i, m) => {
      x.set(planted.dataset.x.subarray(m * size, (m + 1) * size), i * size);
      masks.set(planted.masks.subarray(m * pixels, (m + 1) * pixels), i * pixels);
      types[i] = planted.types[m];
    });
  });
  return { ...ds, x, source: `${ds.source},planted=${rate}`, anomalies: { masks, types } };
}

/** The planted ground truth of the chosen samples as masks (in the order given), for scoring explanations against them. */
export function plantedMasks(
  ds: Pick<Dataset, 'anomalies' | 'source' | 'sampleShape'>,
  indices: readonly number[],
): SampleMasks {
  const truth = ds.anomalies;
  if (!truth) throw new UserError(`${ds.source} has no planted anomalies (add planted=RATE to the data spec)`);
  const [height, width] = ds.sampleShape;
  return { indices: [...indices], masks: subsetTruth(truth, indices, ds.sampleShape).masks, height, width };
}
