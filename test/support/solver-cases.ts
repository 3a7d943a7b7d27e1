/**
 * Seeded solver problems whose exact solutions (every α and ρ, bit for bit) are kept in
 * test/fixtures/ocsvm-solver-snapshot.json, made by test/fixtures/make_solver_snapshot.ts with the
 * solver as it was before it was split into named steps. They cover the JS kernel paths (dense,
 * sparse, Laplacian), the float32 GEMM path, a cache small enough to evict rows, shrinking off and
 * the iteration limit.
 */
import { OneClassSVM, type OneClassSVMOptions } from '../../src/ocsvm/index.ts';
import { loadMnistPixels } from './mnist-pixels.ts';

export interface Data {
  data: Float32Array;
  n: number;
  d: number;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** n × d standard normal values (Box–Muller on lcg), the first feature scaled by 2. */
export function gaussianData(n: number, d: number, seed: number): Data {
  const rnd = lcg(seed);
  const data = new Float32Array(n * d);
  for (let t = 0; t < n * d; t++) {
    const u = Math.max(rnd(), 1e-12);
    data[t] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd()) * (t % d === 0 ? 2 : 1);
  }
  return { data, n, d };
}

export interface SolverCase {
  name: string;
  data: () => Data;
  options: OneClassSVMOptions;
}

export const SOLVER_CASES: SolverCase[] = [
  { name: 'gaussian 300×6, dense JS rows', data: () => gaussianData(300, 6, 17), options: { nu: 0.2, tol: 1e-7 } },
  {
    name: 'gaussian 300×6, 17-row cache',
    data: () => gaussianData(300, 6, 17),
    options: { nu: 0.2, tol: 1e-7, cacheMB: 0.02 },
  },
  {
    name: 'gaussian 400×5, no shrinking',
    data: () => gaussianData(400, 5, 13),
    options: { nu: 0.1, tol: 1e-5, shrinking: false },
  },
  {
    name: 'laplacian 240×5',
    data: () => gaussianData(240, 5, 11),
    options: { kernel: 'laplacian', nu: 0.05, tol: 1e-3 },
  },
  {
    name: 'gaussian 200×4, iteration limit 40',
    data: () => gaussianData(200, 4, 9),
    options: { nu: 0.2, tol: 1e-9, maxIter: 40 },
  },
  { name: 'MNIST 1,200 pixels, sparse JS rows', data: () => loadMnistPixels(1200), options: { nu: 0.1 } },
  {
    name: 'MNIST 1,500 pixels, float32 GEMM rows',
    data: () => loadMnistPixels(1500),
    options: { nu: 0.1, gemm: true },
  },
];

/** Which JS path and options make the case: `gemm` false unless the case asks for the GEMM. */
export function fitCase(c: SolverCase, extra: OneClassSVMOptions = {}): OneClassSVM {
  return new OneClassSVM({ gamma: 'scale', gemm: false, ...c.options, ...extra }).fit(c.data());
}
