/**
 * Agreement with libsvm (scikit-learn's OneClassSVM, tol 1e-6): the committed fixture
 * test/fixtures/ocsvm-libsvm.json was made by test/fixtures/make_ocsvm_fixtures.py. Gaussian
 * kernel on 2-D and 10-D synthetic sets and 400 MNIST digits, ν ∈ {0.05, 0.1, 0.5}, γ 'scale' and a
 * number; Laplacian through sklearn's precomputed kernel. Same tolerance on our side. Gaussian
 * cases run twice: kernel rows from the float32 tfjs matrix product (the default with the wasm
 * backend) and from the float64 JS loops.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { fixtureData, readFixtures } from './support/ocsvm-fixtures.ts';

const fixtures = readFixtures();

/** support set as libsvm reports it, ignoring coefficients below 1e-6 */
function supportSet(indices: ArrayLike<number>, coef: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < indices.length; k++) if (coef[k] >= 1e-6) out.push(indices[k]);
  return out.sort((a, b) => a - b);
}

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('OneClassSVM agrees with libsvm (scikit-learn fixtures)', () => {
  it('reads the same data as the fixture generator', () => {
    for (const name of Object.keys(fixtures.datasets)) {
      const { train, sum } = fixtureData(fixtures, name);
      let s = 0;
      for (const v of train.data) s += v;
      expect(Math.abs(s - sum)).toBeLessThan(1e-9 * Math.abs(sum));
    }
  });

  const runs = fixtures.cases.flatMap((c) =>
    (c.kernel === 'rbf' ? [true, false] : [false]).map((gemm) => ({ c, gemm })),
  );
  for (const { c, gemm } of runs) {
    it(`${c.name}, ${c.kernel}, nu=${c.nu}, gamma=${c.gammaOption}${gemm ? ', float32 GEMM' : ''}`, () => {
      const { train, test } = fixtureData(fixtures, c.name);
      const svm = new OneClassSVM({ kernel: c.kernel, nu: c.nu, gamma: c.gammaOption, tol: fixtures.tol, gemm }).fit(
        train,
      );
      expect(svm.converged).toBe(true);
      expect(Math.abs(svm.gamma - c.gamma)).toBeLessThan(1e-10 * c.gamma);
      expect(Math.abs(svm.rho - c.rho)).toBeLessThan(1e-5 * c.rho);

      expect(supportSet(svm.supportIndices, svm.dualCoef)).toEqual(supportSet(c.supportIndices, c.dualCoef));
      const theirAlpha = new Map(c.supportIndices.map((i, k) => [i, c.dualCoef[k]]));
      svm.supportIndices.forEach((i, k) => {
        expect(Math.abs(svm.dualCoef[k] - (theirAlpha.get(i) ?? 0))).toBeLessThan(1e-4);
      });

      // decision values within 1e-4 of the function's scale (|f| or ρ, whichever is larger:
      // values near the boundary are near 0, where a bare relative error means nothing)
      const check = (ours: Float64Array, theirs: number[]): void => {
        expect(ours.length).toBe(theirs.length);
        for (let r = 0; r < theirs.length; r++) {
          expect(Math.abs(ours[r] - theirs[r])).toBeLessThan(1e-4 * Math.max(Math.abs(theirs[r]), c.rho));
        }
      };
      check(svm.decisionFunction(train), c.decisionTrain);
      check(svm.decisionFunction(test), c.decisionTest);
      const pred = svm.predict(test);
      c.decisionTest.forEach((f, r) => {
        if (Math.abs(f) > 1e-4 * c.rho) expect(pred[r]).toBe(f > 0 ? 1 : -1);
      });
    });
  }
});
