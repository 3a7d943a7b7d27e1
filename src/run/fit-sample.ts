/**
 * Which samples the SVM of a run is fitted on: the candidates (the normal classes, or every
 * sample), or with `--max-train N` a seeded, class-stratified subsample of N of them
 * (stratifiedSubsample, with the run's seed). Training and every later command that needs the
 * fitted samples (nearest inliers, support-set compression) take them from here.
 */
import { stratifiedSubsample } from '../data/split.ts';

/**
 * Indices (ascending) of the fitted samples among `n` samples with class `labels` (null:
 * unlabelled); `normal`: the class indices fitted on (null: all).
 */
export function fitSampleIndices(
  labels: ArrayLike<number> | null,
  n: number,
  normal: ReadonlySet<number> | null,
  maxTrain: number | null,
  seed: number,
): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (!normal || (labels && normal.has(labels[i]))) candidates.push(i);
  if (maxTrain === null || maxTrain >= candidates.length) return candidates;
  const candidateLabels = labels ? candidates.map((i) => labels[i]) : null;
  return Array.from(stratifiedSubsample(candidateLabels, candidates.length, maxTrain, seed), (p) => candidates[p]);
}

/**
 * The samples one SVM of a run is fitted on, by the run's own terms: `className` for a per-class
 * model (else the `normal` classes, or every sample), at most `maxTrain` of them; and how many
 * candidates they were drawn from. Training and every later command ask here.
 */
export function modelFitSamples(
  ds: { labels: ArrayLike<number> | null; n: number; classNames: readonly string[] },
  className: string | null,
  normal: readonly string[] | null,
  maxTrain: number | null,
  seed: number,
): { rows: number[]; candidates: number } {
  const classIndex = (name: string) => ds.classNames.indexOf(name);
  const classes =
    className !== null ? new Set([classIndex(className)]) : normal?.length ? new Set(normal.map(classIndex)) : null;
  const all = fitSampleIndices(ds.labels, ds.n, classes, null, seed);
  const rows =
    maxTrain === null || maxTrain >= all.length ? all : fitSampleIndices(ds.labels, ds.n, classes, maxTrain, seed);
  return { rows, candidates: all.length };
}
