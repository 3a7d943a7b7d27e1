import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { localisationScores, pixelAuc, topMaskPrecision } from '../src/metrics/localization.ts';
import { mulberry32 } from '../src/data/random.ts';

/** Over every (mask pixel, other pixel) pair: 1 when the mask pixel is more relevant, ½ on a tie. */
function pairAuc(relevance: number[], mask: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < relevance.length; i++) {
    if (!mask[i]) continue;
    for (let j = 0; j < relevance.length; j++) {
      if (mask[j]) continue;
      pairs++;
      wins += relevance[i] > relevance[j] ? 1 : relevance[i] === relevance[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((first, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [first, ...rest]),
  );
}

/** The precision of the top |mask| pixels averaged over every order of the pixels (ties broken by it). */
function enumeratedPrecision(relevance: number[], mask: number[]): number {
  const k = mask.filter(Boolean).length;
  const all = permutations(relevance.map((_, p) => p));
  let total = 0;
  for (const order of all) {
    const sorted = [...order].sort((a, b) => relevance[b] - relevance[a]); // stable: ties keep `order`
    total += sorted.slice(0, k).filter((p) => mask[p]).length / k;
  }
  return total / all.length;
}

describe('pixel AUC and top-|mask| precision', () => {
  it('equal the pair count and the enumeration over tie orders, with many ties', () => {
    const random = mulberry32(4);
    for (let trial = 0; trial < 30; trial++) {
      const n = 3 + Math.floor(random() * 5);
      const levels = 1 + Math.floor(random() * 4);
      const relevance = Array.from({ length: n }, () => Math.floor(random() * levels) - 1);
      const mask = Array.from({ length: n }, (_, p) => (p === 0 ? 1 : p === 1 ? 0 : random() < 0.4 ? 1 : 0));
      expect(pixelAuc(relevance, mask)).toBeCloseTo(pairAuc(relevance, mask), 12);
      expect(topMaskPrecision(relevance, mask)).toBeCloseTo(enumeratedPrecision(relevance, mask), 12);
    }
  });

  it('scores a batch of maps per sample, on continuous maps as the pair count does', () => {
    const random = mulberry32(8);
    const pixels = 49;
    const n = 4;
    const relevance = Float32Array.from({ length: n * pixels }, () => random() - 0.3);
    const masks = Uint8Array.from({ length: n * pixels }, () => (random() < 0.2 ? 1 : 0));
    const { auc, precision } = localisationScores(relevance, masks, pixels);
    for (let s = 0; s < n; s++) {
      const r = Array.from(relevance.subarray(s * pixels, (s + 1) * pixels));
      const m = Array.from(masks.subarray(s * pixels, (s + 1) * pixels));
      expect(auc[s]).toBeCloseTo(pairAuc(r, m), 12);
      const k = m.filter(Boolean).length;
      const top = r
        .map((v, p) => [v, p])
        .sort((a, b) => b[0] - a[0])
        .slice(0, k);
      expect(precision[s]).toBeCloseTo(top.filter(([, p]) => m[p]).length / k, 12);
    }
  });

  it('gives 1 for a map that is the mask, ½ AUC for a constant map, NaN for an empty mask', () => {
    const mask = [0, 1, 1, 0, 0, 1];
    expect(pixelAuc(mask, mask)).toBe(1);
    expect(topMaskPrecision(mask, mask)).toBe(1);
    expect(pixelAuc([2, 2, 2, 2, 2, 2], mask)).toBe(0.5);
    expect(topMaskPrecision([2, 2, 2, 2, 2, 2], mask)).toBeCloseTo(0.5, 12);
    expect(pixelAuc([1, 2, 3], [0, 0, 0])).toBeNaN();
    expect(topMaskPrecision([1, 2, 3], [0, 0, 0])).toBeNaN();
    expect(() => pixelAuc([1, 2], [1])).toThrow(UserError);
  });
});
