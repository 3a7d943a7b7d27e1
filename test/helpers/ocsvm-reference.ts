/**
 * Independent float64 references for the neuralization tests: plain loops over the formulas of
 * docs/methods.md#ocsvm, #neuralization, #ocdtd (no tensors, no code shared with src/neuralize), a seeded random generator and a
 * hand-made one-class SVM model.
 */

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
import { mulberry32 as seededRandom } from '../../src/data/random.ts';

export { seededRandom };

export interface ReferenceModel {
  kernel: 'rbf' | 'laplacian';
  gamma: number;
  rho: number;
  nu: number;
  nTrain: number;
  dualCoef: Float64Array;
  supportVectors: Float32Array;
}

export const row = (data: ArrayLike<number>, i: number, d: number): number[] =>
  Array.from({ length: d }, (_, k) => data[i * d + k]);

/** ‖x − u‖_p^p with p = 2 (rbf) or 1 (laplacian). */
export function distance(x: number[], u: number[], kernel: string): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += kernel === 'laplacian' ? Math.abs(x[k] - u[k]) : (x[k] - u[k]) ** 2;
  return s;
}

/** Σ_j α_j exp(−γ d_j(x)) − ρ: the SVM's decision function, directly. */
export function decision(model: ReferenceModel, x: number[]): number {
  const d = x.length;
  let s = 0;
  for (let j = 0; j < model.dualCoef.length; j++) {
    s += model.dualCoef[j] * Math.exp(-model.gamma * distance(x, row(model.supportVectors, j, d), model.kernel));
  }
  return s - model.rho;
}

/** h_j = d_j + (1/γ) log(νl/α_j) for every support vector. */
export function neuronValues(model: ReferenceModel, x: number[]): number[] {
  const scale = model.nu * model.nTrain;
  return Array.from(
    model.dualCoef,
    (a, j) => distance(x, row(model.supportVectors, j, x.length), model.kernel) + Math.log(scale / a) / model.gamma,
  );
}

/** o(x) = −(1/γ) log Σ_j exp(−γ h_j), in float64 with the minimum taken out. */
export function outlierness(model: ReferenceModel, x: number[]): number {
  const h = neuronValues(model, x);
  const m = Math.min(...h);
  let s = 0;
  for (const v of h) s += Math.exp(-model.gamma * (v - m));
  return m - Math.log(s) / model.gamma;
}

/** OC-DTD on the inputs of the distance layer: R_j = p_j o, R_i = Σ_j R_j |x_i − u_ij|^p / d_j. */
export function ocdtdReference(model: ReferenceModel, x: number[]): number[] {
  const h = neuronValues(model, x);
  const m = Math.min(...h);
  const w = h.map((v) => Math.exp(-model.gamma * (v - m)));
  const total = w.reduce((a, b) => a + b, 0);
  const o = outlierness(model, x);
  const R = new Array<number>(x.length).fill(0);
  for (let j = 0; j < h.length; j++) {
    const Rj = (w[j] / total) * o;
    const u = row(model.supportVectors, j, x.length);
    const dj = distance(x, u, model.kernel);
    for (let i = 0; i < x.length; i++) {
      const part = model.kernel === 'laplacian' ? Math.abs(x[i] - u[i]) : (x[i] - u[i]) ** 2;
      R[i] += dj === 0 ? Rj / x.length : (Rj * part) / dj;
    }
  }
  return R;
}

/**
 * A hand-made model on training rows X (n × d): the first `nSupport` rows are the support vectors,
 * α drawn in [0.5, 1], ν = Σα / n, and ρ halfway between two kernel sums so that about
 * `outlierFraction` of the rows are outliers and none lies on the boundary.
 */
export function handMadeModel(
  X: Float32Array,
  n: number,
  d: number,
  options: { kernel: 'rbf' | 'laplacian'; gamma: number; nSupport: number; outlierFraction: number; seed: number },
): ReferenceModel {
  const rnd = seededRandom(options.seed);
  const dualCoef = Float64Array.from({ length: options.nSupport }, () => 0.5 + 0.5 * rnd());
  const sum = dualCoef.reduce((a, b) => a + b, 0);
  const model: ReferenceModel = {
    kernel: options.kernel,
    gamma: options.gamma,
    rho: 0,
    nu: sum / n,
    nTrain: n,
    dualCoef,
    supportVectors: X.slice(0, options.nSupport * d),
  };
  const scores = Array.from({ length: n }, (_, i) => decision(model, row(X, i, d))).sort((a, b) => a - b);
  const k = Math.max(1, Math.floor(options.outlierFraction * n));
  model.rho = (scores[k - 1] + scores[k]) / 2;
  return model;
}
