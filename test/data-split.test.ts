import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { shuffleIndices, subset, takePerClass, trainTestSplit } from '../src/data/split.ts';
import { mulberry32 } from '../src/data/random.ts';

/** mulberry32 again, in exact BigInt arithmetic modulo 2^32 instead of Math.imul and int32 tricks. */
function referenceMulberry32(seed: number): () => number {
  const M = 0xffffffffn;
  let state = BigInt(seed >>> 0);
  const mul = (a: bigint, b: bigint) => (a * b) & M;
  return () => {
    state = (state + 0x6d2b79f5n) & M;
    let t = state;
    t = mul(t ^ (t >> 15n), t | 1n);
    t = t ^ ((t + mul(t ^ (t >> 7n), t | 61n)) & M);
    return Number(t ^ (t >> 14n)) / 2 ** 32;
  };
}

/** A labelled toy set: sample i has the single value i; labels follow `labels`. */
function toy(labels: number[] | null, n = labels?.length ?? 10, classes = 3): Dataset {
  return {
    x: Float32Array.from({ length: n * 2 }, (_, k) => Math.floor(k / 2) + (k % 2) / 10),
    n,
    sampleShape: [2],
    labels: labels ? Int32Array.from(labels) : null,
    classNames: labels ? Array.from({ length: classes }, (_, c) => `c${c}`) : [],
    source: 'toy',
  };
}

describe('mulberry32', () => {
  it('matches an exact BigInt evaluation of the same recurrence for several seeds', () => {
    for (const seed of [0, 1, 42, 123456789, 0xffffffff]) {
      const fast = mulberry32(seed);
      const slow = referenceMulberry32(seed);
      for (let i = 0; i < 200; i++) expect(fast()).toBe(slow());
    }
  });

  it('gives numbers in [0, 1) with a mean near 1/2', () => {
    const random = mulberry32(7);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 20000; i++) {
      const r = random();
      if (!(r >= 0 && r < 1)) outside++;
      sum += r;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('shuffleIndices', () => {
  it('is a permutation, the same for the same seed and different for another', () => {
    const a = shuffleIndices(50, 3);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffleIndices(50, 3)).toEqual(a);
    expect(shuffleIndices(50, 4)).not.toEqual(a);
  });

  it('gives all 6 orders of 3 items about equally often over 6000 seeds (chi-square, 5 dof)', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const key = shuffleIndices(3, seed).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
    expect(chi2).toBeLessThan(20.5); // p ≈ 0.001
  });
});

describe('subset', () => {
  it('copies the chosen rows and labels in the given order', () => {
    const ds = toy([0, 1, 2, 0, 1]);
    const s = subset(ds, [4, 0, 4]);
    expect(Array.from(s.x)).toEqual([4, 4.1, 0, 0.1, 4, 4.1].map(Math.fround));
    expect(Array.from(s.labels!)).toEqual([1, 0, 1]);
    expect(s).toMatchObject({ n: 3, sampleShape: [2], classNames: ['c0', 'c1', 'c2'], source: 'toy' });
    s.x[0] = 99;
    expect(ds.x[8]).toBe(4);
    expect(() => subset(ds, [5])).toThrow(RangeError);
  });
});

describe('trainTestSplit', () => {
  const labels = Array.from({ length: 103 }, (_, i) => (i % 7 === 0 ? 2 : i % 2));
  const ds = toy(labels, 103);

  it('is stratified: each class gives round(count × fraction) samples to the test part', () => {
    const { train, test } = trainTestSplit(ds, 0.3, 11);
    for (let c = 0; c < 3; c++) {
      const total = labels.filter((l) => l === c).length;
      expect(test.labels!.filter((l) => l === c).length).toBe(Math.round(total * 0.3));
      expect(train.labels!.filter((l) => l === c).length).toBe(total - Math.round(total * 0.3));
    }
  });

  it('partitions the samples (disjoint, complete, original order) and keeps rows with their labels', () => {
    const { train, test } = trainTestSplit(ds, 0.25, 5);
    const ids = (part: Dataset) => Array.from({ length: part.n }, (_, k) => part.x[2 * k]);
    const trainIds = ids(train);
    const testIds = ids(test);
    expect([...trainIds, ...testIds].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(trainIds).toEqual([...trainIds].sort((a, b) => a - b));
    for (let k = 0; k < test.n; k++) expect(test.labels![k]).toBe(labels[testIds[k]]);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = trainTestSplit(ds, 0.3, 1).test.x;
    expect(trainTestSplit(ds, 0.3, 1).test.x).toEqual(a);
    expect(trainTestSplit(ds, 0.3, 2).test.x).not.toEqual(a);
  });

  it('splits unlabelled data as one group', () => {
    const { train, test } = trainTestSplit(toy(null, 40), 0.2, 9);
    expect([train.n, test.n]).toEqual([32, 8]);
    expect(test.labels).toBeNull();
  });

  it('rejects a fraction outside [0, 1)', () => {
    expect(() => trainTestSplit(ds, 1, 0)).toThrow(UserError);
    expect(() => trainTestSplit(ds, -0.1, 0)).toThrow('test fraction');
    expect(() => trainTestSplit(ds, Number.NaN, 0)).toThrow(UserError);
  });
});

describe('takePerClass', () => {
  const labels = [0, 1, 0, 2, 0, 1, 0];
  const ds = toy(labels);

  it('without a seed takes the first samples of each class, in the original order', () => {
    const s = takePerClass(ds, 2);
    expect(Array.from({ length: s.n }, (_, k) => s.x[2 * k])).toEqual([0, 1, 2, 3, 5]);
    expect(Array.from(s.labels!)).toEqual([0, 1, 0, 2, 1]);
  });

  it('with a seed takes a reproducible random choice within each class', () => {
    const a = takePerClass(ds, 2, 8);
    expect(takePerClass(ds, 2, 8)).toEqual(a);
    expect(Array.from(a.labels!).sort()).toEqual([0, 0, 1, 1, 2]);
    for (let k = 0; k < a.n; k++) expect(labels[a.x[2 * k]]).toBe(a.labels![k]);
    const zeros = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const s = takePerClass(ds, 1, seed);
      zeros.add(s.x[2 * Array.from(s.labels!).indexOf(0)]);
    }
    expect([...zeros].sort()).toEqual([0, 2, 4, 6]);
  });

  it('refuses unlabelled data and a bad count', () => {
    expect(() => takePerClass(toy(null, 5), 1)).toThrow('toy has no labels');
    expect(() => takePerClass(ds, 0)).toThrow(UserError);
  });
});
