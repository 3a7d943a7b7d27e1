/**
 * Distance kernels k(x, u) = exp(−γ · dist(x, u)) with dist = ‖x−u‖² (Gaussian, 'rbf') or ‖x−u‖₁
 * (Laplacian), and the choice of γ.
 */
import { UserError } from '../errors.ts';
import type { Matrix } from './matrix.ts';

export type KernelName = 'rbf' | 'laplacian';
export const KERNELS: readonly KernelName[] = ['rbf', 'laplacian'];

export type GammaOption = number | 'scale' | 'auto';

/** 'rbf', 'gaussian' (same kernel) or 'laplacian'. */
export function parseKernel(name: string): KernelName {
  if (name === 'rbf' || name === 'gaussian') return 'rbf';
  if (name === 'laplacian') return 'laplacian';
  throw new UserError(`unknown kernel '${name}'; allowed: rbf (alias gaussian), laplacian`);
}

/**
 * γ as a number: 'scale' = 1/(d·Var(X)) with the variance over all entries (1 when the data are
 * constant, as scikit-learn does), 'auto' = 1/d, or the given positive number.
 */
export function resolveGamma(gamma: GammaOption, x: Matrix): number {
  if (gamma === 'auto') return 1 / x.d;
  if (gamma === 'scale') {
    const { data } = x;
    let mean = 0;
    for (let t = 0; t < data.length; t++) mean += data[t];
    mean /= data.length;
    let ss = 0;
    for (let t = 0; t < data.length; t++) {
      const c = data[t] - mean;
      ss += c * c;
    }
    const variance = ss / data.length;
    return variance > 0 ? 1 / (x.d * variance) : 1;
  }
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma <= 0)
    throw new UserError(`gamma must be a positive number, 'scale' or 'auto' (got ${String(gamma)})`);
  return gamma;
}

/** Exact float64 kernel value between two rows, for references and single evaluations. */
export function kernelValue(
  kernel: KernelName,
  gamma: number,
  a: ArrayLike<number>,
  ai: number,
  b: ArrayLike<number>,
  bi: number,
  d: number,
): number {
  let s = 0;
  if (kernel === 'rbf') {
    for (let k = 0; k < d; k++) {
      const t = a[ai + k] - b[bi + k];
      s += t * t;
    }
  } else {
    for (let k = 0; k < d; k++) s += Math.abs(a[ai + k] - b[bi + k]);
  }
  return Math.exp(-gamma * s);
}
