import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { rocAuc } from '../src/metrics/roc-auc.ts';

/** Count over all (anomaly, normal) pairs: 1 when the anomaly scores higher, ½ on a tie. */
function bruteForceAuc(scores: number[], isAnomaly: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!isAnomaly[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (isAnomaly[j]) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function lcg(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('ROC AUC (Mann–Whitney)', () => {
  it('equals the brute-force pair count, with many ties', () => {
    const rand = lcg(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = 2 + Math.floor(rand() * 60);
      const levels = 1 + Math.floor(rand() * 8); // few distinct values → ties across classes
      const scores = Array.from({ length: n }, () => Math.floor(rand() * levels) / 3);
      const isAnomaly = Array.from({ length: n }, (_, i) => (i < 2 ? i === 0 : rand() < 0.3));
      expect(rocAuc(scores, isAnomaly)).toBeCloseTo(bruteForceAuc(scores, isAnomaly), 12);
    }
  });

  it('equals the brute force on continuous scores; 1 separated, 0 reversed, ½ all tied', () => {
    const rand = lcg(9);
    const scores = Array.from({ length: 200 }, () => rand());
    const isAnomaly = scores.map((s) => rand() < s);
    expect(rocAuc(Float64Array.from(scores), isAnomaly)).toBeCloseTo(bruteForceAuc(scores, isAnomaly), 12);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false])).toBe(0);
    expect(rocAuc([3, 3, 3], [true, false, false])).toBe(0.5);
  });

  it('rejects one-class labels, length mismatch and NaN', () => {
    expect(() => rocAuc([1, 2], [true, true])).toThrow(UserError);
    expect(() => rocAuc([1, 2], [true])).toThrow(/2 scores but 1 labels/);
    expect(() => rocAuc([1, NaN], [true, false])).toThrow(/NaN/);
  });
});
