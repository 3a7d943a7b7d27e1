/**
 * Detection of planted anomalies against explicit loops: the AUC as a pair count (ties ½), the
 * top-k share by counting, the per-type AUC over that type and the untouched samples only.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { plantedDetection } from '../src/metrics/planted-detection.ts';

function pairAuc(scores: number[], positive: boolean[], keep: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((a, i) => {
    if (!keep[i] || !positive[i]) return;
    scores.forEach((b, j) => {
      if (!keep[j] || positive[j]) return;
      pairs++;
      wins += a > b ? 1 : a === b ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('planted detection', () => {
  it('AUC, top-k share and per-type AUC equal loops over the samples, ties included', () => {
    const scores = [0.9, 0.1, 0.5, 0.5, 0.8, 0.2, 0.5, 0.95, 0.3, 0.6];
    const types = [null, null, 'blob', null, 'scratch', null, 'blob', null, 'scratch', null];
    const found = plantedDetection(scores, types);
    const planted = types.map((t) => t !== null);
    expect(found.planted).toBe(4);
    expect(found.auc).toBeCloseTo(
      pairAuc(
        scores,
        planted,
        planted.map(() => true),
      ),
      12,
    );
    // the 4 highest scores: samples 7 (.95), 0 (.9), 4 (.8), 9 (.6) → one planted
    expect(found.topShare).toBe(1 / 4);
    for (const type of ['blob', 'scratch']) {
      const keep = types.map((t) => t === null || t === type);
      expect(found.byType.get(type)).toBeCloseTo(
        pairAuc(
          scores,
          types.map((t) => t === type),
          keep,
        ),
        12,
      );
    }
    expect([...found.byType.keys()].sort()).toEqual(['blob', 'scratch']);
  });

  it('ties at the k-th score keep the sample order', () => {
    // k = 1: samples 0 and 1 tie; the first (untouched) is taken
    expect(plantedDetection([1, 1, 0], [null, 'blob', null]).topShare).toBe(0);
    expect(plantedDetection([1, 1, 0], ['blob', null, null]).topShare).toBe(1);
  });

  it('refuses scores and ground truth of different lengths', () => {
    expect(() => plantedDetection([1, 2], [null])).toThrow(UserError);
  });
});
