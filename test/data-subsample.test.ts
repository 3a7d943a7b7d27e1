/**
 * stratifiedSubsample (what `train --max-train N` fits on) against subsamples computed independently
 * in Python by test/fixtures/make_subsample_fixture.py (test/fixtures/subsample.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { stratifiedSubsample } from '../src/data/split.ts';

interface Case {
  n: number;
  labels: number[] | null;
  size: number;
  seed: number;
  indices: number[];
}
const { cases } = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'subsample.json'), 'utf8')) as {
  cases: Case[];
};

describe('stratifiedSubsample', () => {
  for (const c of cases) {
    it(`n=${c.n}, size=${c.size}, seed=${c.seed}${c.labels ? '' : ', unlabelled'}: the Python reference's samples`, () => {
      const got = stratifiedSubsample(c.labels, c.n, c.size, c.seed);
      expect(Array.from(got)).toEqual(c.indices);
      expect(got.length).toBe(Math.min(c.size, c.n));
    });
  }

  it('keeps the class proportions to within one sample', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 < 7 ? 0 : i % 10 < 9 ? 1 : 2));
    const got = stratifiedSubsample(labels, 1000, 101, 3);
    const counts = [0, 0, 0];
    for (const i of got) counts[labels[i]]++;
    expect(counts.reduce((a, b) => a + b)).toBe(101);
    [0.7, 0.2, 0.1].forEach((share, c) => expect(Math.abs(counts[c] - share * 101)).toBeLessThan(1));
  });

  it('rejects a size that is not a positive whole number', () => {
    expect(() => stratifiedSubsample(null, 10, 0, 0)).toThrow(UserError);
    expect(() => stratifiedSubsample(null, 10, 2.5, 0)).toThrow(UserError);
  });
});
