/**
 * The solver's solution checked against the mathematics, with kernels computed here in float64
 * by plain loops: KKT conditions, the constraints, the ν-property, and on tiny problems the exact
 * optimum found by enumerating every active set (each α at 0, at 1, or free).
 */
import { describe, expect, it } from 'vitest';
import { OneClassSVM, kernelValue, type KernelName } from '../src/ocsvm/index.ts';
import { gaussianData, type Data } from './support/solver-cases.ts';

function gram(kernel: KernelName, gamma: number, x: Data): number[][] {
  const K: number[][] = [];
  for (let i = 0; i < x.n; i++) {
    K.push([]);
    for (let j = 0; j < x.n; j++) K[i].push(kernelValue(kernel, gamma, x.data, i * x.d, x.data, j * x.d, x.d));
  }
  return K;
}

/** full α vector (0 off the support) */
function fullAlpha(svm: OneClassSVM): Float64Array {
  const a = new Float64Array(svm.nTrain);
  svm.supportIndices.forEach((i, k) => (a[i] = svm.dualCoef[k]));
  return a;
}

function objective(K: number[][], a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < K.length; i++) for (let j = 0; j < K.length; j++) s += a[i] * K[i][j] * a[j];
  return s / 2;
}

/** Solve A z = b by Gaussian elimination with partial pivoting; null when singular. */
function solveLinear(A: number[][], b: number[]): number[] | null {
  const m = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-12) return null;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[m] / row[i]);
}

/**
 * Exact minimiser of ½αᵀKα, 0 ≤ α ≤ 1, Σα = νl: for every split into (α=0, α=1, free) solve the
 * stationarity system K_FF α_F + K_FU 1 = ρ 1, Σ α_F = νl − |U|, keep feasible ones, take the least
 * objective (a convex QP's minimum is the stationary point of one face).
 */
function bruteForce(K: number[][], nu: number): { alpha: number[]; obj: number } {
  const l = K.length;
  const target = nu * l;
  let best: { alpha: number[]; obj: number } | null = null;
  const code = new Array<number>(l).fill(0);
  for (let c = 0; c < 3 ** l; c++) {
    let v = c;
    for (let i = 0; i < l; i++) {
      code[i] = v % 3;
      v = Math.floor(v / 3);
    }
    const F = code.flatMap((s, i) => (s === 2 ? [i] : []));
    const nU = code.filter((s) => s === 1).length;
    const alpha: number[] = code.map((s) => (s === 1 ? 1 : 0));
    if (F.length === 0) {
      if (Math.abs(nU - target) > 1e-12) continue;
    } else {
      const need = target - nU;
      if (need <= 0 || need >= F.length) continue;
      // unknowns: α_F and ρ
      const A: number[][] = [];
      const b: number[] = [];
      for (const i of F) {
        A.push([...F.map((j) => K[i][j]), -1]);
        b.push(-code.reduce((s, st, j) => s + (st === 1 ? K[i][j] : 0), 0));
      }
      A.push([...F.map(() => 1), 0]);
      b.push(need);
      const z = solveLinear(A, b);
      if (!z || F.some((_, k) => z[k] < 0 || z[k] > 1)) continue;
      F.forEach((i, k) => (alpha[i] = z[k]));
    }
    const obj = objective(K, alpha);
    if (!best || obj < best.obj) best = { alpha, obj };
  }
  if (!best) throw new Error('no feasible point');
  return best;
}

describe('one-class SVM solver', () => {
  for (const kernel of ['rbf', 'laplacian'] as const) {
    for (const [n, nu, seed] of [
      [6, 0.3, 1],
      [8, 0.5, 2],
      [9, 0.25, 3],
      [10, 0.15, 4],
      [10, 0.62, 5],
    ] as const) {
      it(`${kernel}, n=${n}, nu=${nu}: the exact optimum of enumerated active sets`, () => {
        const x = gaussianData(n, 3, seed);
        const svm = new OneClassSVM({ kernel, nu, gamma: 0.3, tol: 1e-9 }).fit(x);
        const K = gram(kernel, svm.gamma, x);
        const ref = bruteForce(K, nu);
        const alpha = fullAlpha(svm);
        expect(Math.abs(objective(K, alpha) - ref.obj)).toBeLessThan(1e-6 * Math.max(1, ref.obj));
        for (let i = 0; i < n; i++) expect(Math.abs(alpha[i] - ref.alpha[i])).toBeLessThan(1e-4);
      });
    }
  }

  for (const kernel of ['rbf', 'laplacian'] as const) {
    for (const nu of [0.05, 0.2, 0.5]) {
      it(`${kernel}, nu=${nu}: constraints, KKT within tol, ν-property`, () => {
        const x = gaussianData(240, 5, 11);
        const tol = 1e-3;
        const svm = new OneClassSVM({ kernel, nu, tol }).fit(x);
        const K = gram(kernel, svm.gamma, x);
        const alpha = fullAlpha(svm);
        const l = x.n;
        let sum = 0;
        for (const a of alpha) {
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(1);
          sum += a;
        }
        expect(Math.abs(sum - nu * l)).toBeLessThan(1e-9 * l);

        // G = Kα in float64; optimality: max_{α>0} G − min_{α<1} G < tol (slack for float32 kernel rows)
        const G = K.map((row) => row.reduce((s, k, j) => s + k * alpha[j], 0));
        let maxLow = -Infinity;
        let minUp = Infinity;
        for (let i = 0; i < l; i++) {
          if (alpha[i] > 0) maxLow = Math.max(maxLow, G[i]);
          if (alpha[i] < 1) minUp = Math.min(minUp, G[i]);
        }
        const slack = 1e-5 * nu * l;
        expect(maxLow - minUp).toBeLessThan(tol + slack);
        // ρ is the threshold separating the bounds
        for (let i = 0; i < l; i++) {
          if (alpha[i] <= 0) expect(G[i]).toBeGreaterThan(svm.rho - tol - slack);
          if (alpha[i] >= 1) expect(G[i]).toBeLessThan(svm.rho + tol + slack);
          if (alpha[i] > 0 && alpha[i] < 1) expect(Math.abs(G[i] - svm.rho)).toBeLessThan(tol + slack);
        }
        // decision values are G − ρ on the training data
        const f = svm.decisionFunction(x);
        for (let i = 0; i < l; i++) expect(Math.abs(f[i] - (G[i] - svm.rho))).toBeLessThan(1e-5 * nu * l);

        // ν-property: fraction of outliers ≤ ν ≤ fraction of support vectors (up to one point);
        // at a finite tolerance, points within tol of the boundary may sit on either side
        const outliers = Array.from(f).filter((v) => v < -(tol + slack)).length;
        expect(outliers).toBeLessThanOrEqual(nu * l + 1);
        expect(svm.nSupport).toBeGreaterThanOrEqual(nu * l - 1);
      });
    }
  }

  it('follows libsvm at ν·l integral: ⌊νl⌋ α at 1 and no free α gives ρ between the bounds', () => {
    const x = gaussianData(40, 2, 7);
    const svm = new OneClassSVM({ nu: 1, gamma: 0.5 }).fit(x);
    // ν = 1: every α is 1; ρ is the largest gradient (the only finite bound)
    expect(svm.nSupport).toBe(40);
    const K = gram('rbf', 0.5, x);
    const G = K.map((row) => row.reduce((s, k) => s + k, 0));
    expect(Math.abs(svm.rho - Math.max(...G))).toBeLessThan(1e-4);
  });

  it('reports the iteration limit instead of looping on', () => {
    const x = gaussianData(200, 4, 9);
    const svm = new OneClassSVM({ nu: 0.2, tol: 1e-9, maxIter: 3 }).fit(x);
    expect(svm.iterations).toBe(3);
    expect(svm.converged).toBe(false);
    const full = new OneClassSVM({ nu: 0.2, tol: 1e-9 }).fit(x);
    expect(full.converged).toBe(true);
    expect(full.iterations).toBeGreaterThan(3);
  });

  it('a small kernel cache (rows evicted and recomputed) gives the same solution', () => {
    const x = gaussianData(300, 6, 17);
    const big = new OneClassSVM({ nu: 0.2, tol: 1e-7 }).fit(x);
    for (const cacheMB of [0.02, 1e-6]) {
      // 0.02 MB: 17 rows of 300 floats; 1e-6 MB: the 2-row minimum, no prefetching
      const small = new OneClassSVM({ nu: 0.2, tol: 1e-7, cacheMB }).fit(x);
      expect(Math.abs(small.rho - big.rho)).toBeLessThan(1e-6 * big.rho);
      const fa = fullAlpha(small);
      const fb = fullAlpha(big);
      for (let i = 0; i < x.n; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(1e-5);
    }
  });

  it('shrinking does not change the optimum', () => {
    const x = gaussianData(300, 6, 13);
    const a = new OneClassSVM({ nu: 0.1, tol: 1e-7, shrinking: true }).fit(x);
    const b = new OneClassSVM({ nu: 0.1, tol: 1e-7, shrinking: false }).fit(x);
    expect(Math.abs(a.rho - b.rho)).toBeLessThan(1e-5 * b.rho);
    const fa = fullAlpha(a);
    const fb = fullAlpha(b);
    for (let i = 0; i < x.n; i++) expect(Math.abs(fa[i] - fb[i])).toBeLessThan(1e-4);
  });
});
