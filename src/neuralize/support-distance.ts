/**
 * The distance layer of a one-class SVM's support vectors: one neuron per support vector u_j with
 * α_j > 0 (α = 0 adds nothing and would get an infinite bias), h_j = d_j(x) + b_j,
 * b_j = (1/γ) log(1/α̂_j), α̂ the α normalised over the chosen support vectors (by νl over all).
 * `free` keeps the free ones only (0 < α < 1: on the boundary, never a training outlier).
 */
import { UserError } from '../errors.ts';
import { DistanceLayer, type DistanceLayerOptions } from './distance-layer.ts';
import { checkOcsvm, type OcsvmLike } from './ocsvm-like.ts';

/** α below 1 by more than this counts as free (libsvm stores bounded α as exactly 1). */
const FREE_MARGIN = 1e-9;

/** Indices of the support vectors kept as prototypes: α > 0, and α < 1 for the free ones. */
export function chosenSupportVectors(model: OcsvmLike, which: 'support' | 'free' = 'support'): number[] {
  const chosen: number[] = [];
  for (let j = 0; j < model.dualCoef.length; j++) {
    const a = model.dualCoef[j];
    if (a > 0 && (which === 'support' || a < 1 - FREE_MARGIN)) chosen.push(j);
  }
  if (chosen.length === 0) {
    throw new UserError(
      `neuralize: the one-class SVM model has no ${which === 'free' ? 'free support vector (0 < α < 1)' : 'support vector with α > 0'}`,
    );
  }
  return chosen;
}

export function supportDistanceLayer(
  model: OcsvmLike,
  name: string,
  which: 'support' | 'free' = 'support',
  options: DistanceLayerOptions = {},
): DistanceLayer {
  const { power, scale, dim } = checkOcsvm(model);
  const chosen = chosenSupportVectors(model, which);
  const total = which === 'support' ? scale : chosen.reduce((s, j) => s + model.dualCoef[j], 0);
  const prototypes = new Float32Array(chosen.length * dim);
  chosen.forEach((j, k) => prototypes.set(model.supportVectors.subarray(j * dim, (j + 1) * dim), k * dim));
  const bias = chosen.map((j) => Math.log(total / model.dualCoef[j]) / model.gamma);
  return new DistanceLayer(name, prototypes, bias, power, options);
}
