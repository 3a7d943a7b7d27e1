/**
 * The solver gives exactly (bit for bit) the α's and ρ that it gave before it was split into named
 * steps: test/fixtures/ocsvm-solver-snapshot.json was written by the earlier solver
 * (test/fixtures/make_solver_snapshot.ts) on the seeded problems of test/support/solver-cases.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { SOLVER_CASES, fitCase } from './support/solver-cases.ts';

interface Snapshot {
  name: string;
  rho: number;
  iterations: number;
  converged: boolean;
  supportIndices: number[];
  dualCoef: number[];
}

const snapshot = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ocsvm-solver-snapshot.json'), 'utf8')) as {
    cases: Snapshot[];
  }
).cases;

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('the solver reproduces its earlier solutions bit for bit', () => {
  it('the snapshot holds every case', () => {
    expect(snapshot.map((s) => s.name)).toEqual(SOLVER_CASES.map((c) => c.name));
  });
  for (const c of SOLVER_CASES) {
    it(c.name, () => {
      const want = snapshot.find((s) => s.name === c.name)!;
      const svm = fitCase(c);
      expect(svm.rho).toBe(want.rho);
      expect(svm.iterations).toBe(want.iterations);
      expect(svm.converged).toBe(want.converged);
      expect(Array.from(svm.supportIndices)).toEqual(want.supportIndices);
      // toEqual on numbers is Object.is per entry: exact bits (and −0 ≠ 0)
      expect(Array.from(svm.dualCoef)).toEqual(want.dualCoef);
    });
  }
});
