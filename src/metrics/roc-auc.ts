/**
 * ROC AUC of an outlier score by the Mann–Whitney statistic: the probability that a random anomaly
 * scores higher than a random normal sample, ties counting one half (via average ranks).
 */
import { UserError } from '../errors.ts';

/** `scores`: higher = more anomalous; `isAnomaly[i]` true for the positive class. */
export function rocAuc(scores: ArrayLike<number>, isAnomaly: ArrayLike<boolean>): number {
  const n = scores.length;
  if (isAnomaly.length !== n) {
    throw new UserError(`ROC AUC: ${n} scores but ${isAnomaly.length} labels`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new UserError(`ROC AUC: score ${i} is NaN`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks start..end-1 are 1-based start+1..end
    for (let k = start; k < end; k++) {
      if (isAnomaly[order[k]]) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new UserError(`ROC AUC needs both classes; got ${positives} anomalies and ${negatives} normal samples`);
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
