/**
 * How well an outlier score finds planted anomalies (docs/methods.md#anomaly-benchmark): the ROC
 * AUC of planted against untouched samples, the share of planted samples among the k highest
 * scores (k = the number planted; ties in score keep the sample order), and the AUC of each
 * anomaly type against the untouched samples alone. One computation for the benchmark, the report
 * and bench/detection.ts.
 */
import { UserError } from '../errors.ts';
import { rocAuc } from './roc-auc.ts';

export interface PlantedDetection {
  /** planted samples among the scored ones */
  planted: number;
  auc: number;
  topShare: number;
  /** anomaly type → ROC AUC of that type against the untouched samples (types that occur) */
  byType: Map<string, number>;
}

/** `scores`: higher = more anomalous; `types[i]`: the artefact planted into sample i, or null. */
export function plantedDetection(scores: ArrayLike<number>, types: ReadonlyArray<string | null>): PlantedDetection {
  if (types.length !== scores.length)
    throw new UserError(`planted detection: ${scores.length} scores but ${types.length} samples with ground truth`);
  const isPlanted = types.map((t) => t !== null);
  const planted = isPlanted.filter(Boolean).length;
  const top = Array.from({ length: scores.length }, (_, i) => i)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, planted);
  const byType = new Map<string, number>();
  for (const type of new Set(types.filter((t): t is string => t !== null))) {
    const rows = types.flatMap((t, i) => (t === null || t === type ? [i] : []));
    byType.set(
      type,
      rocAuc(
        rows.map((i) => scores[i]),
        rows.map((i) => types[i] === type),
      ),
    );
  }
  return {
    planted,
    auc: rocAuc(scores, isPlanted),
    topShare: planted === 0 ? NaN : top.filter((i) => isPlanted[i]).length / planted,
    byType,
  };
}
