/**
 * Fewer neurons for large data: k-means groups the support vectors, and each group becomes one
 * prototype — the α-weighted mean of its members — carrying the sum of their α. Σα, ν, l, γ and ρ
 * stay, so θ does not move; o(x) does, a little, and we report by how much on the training set.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { checkOcsvm, type OcsvmLike } from './ocsvm-like.ts';
import { fitKMeans } from './neon.ts';
import { neuralize, outliernessThreshold } from './neuralize.ts';

export interface CompressionOptions {
  /** number of prototypes (k of k-means) */
  prototypes: number;
  /** seed of the k-means initialisation (default 0) */
  seed?: number;
  maxIterations?: number;
  /** training samples (rows of the model's dimension) on which to measure the change of o(x) */
  training?: { data: Float32Array; n: number };
  /** samples per batch when measuring (default 1024) */
  batchSize?: number;
}

export interface CompressedModel extends OcsvmLike {
  readonly kernel: string;
  readonly gamma: number;
  readonly rho: number;
  readonly nu: number;
  readonly nTrain: number;
  readonly dualCoef: Float64Array;
  readonly supportVectors: Float32Array;
}

export interface CompressionResult {
  model: CompressedModel;
  /** prototype of every original support vector */
  assignment: Int32Array;
  /** with `training`: max over the training samples of |o_compressed(x) − o(x)| */
  maxOutliernessChange: number | null;
  /** with `training`: how many training samples change side of θ */
  changedDecisions: number | null;
}

function outliernessOf(model: OcsvmLike, data: Float32Array, n: number, batchSize: number): Float32Array {
  const nz = neuralize(model);
  const dim = data.length / n;
  const out = new Float32Array(n);
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const o = tf.tidy(() =>
        nz.outlierness(tf.tensor2d(data.subarray(start * dim, (start + size) * dim), [size, dim])),
      );
      out.set(o.dataSync(), start);
      o.dispose();
    }
  } finally {
    nz.dispose();
  }
  return out;
}

/**
 * The model with its support vectors replaced by at most `options.prototypes` k-means prototypes
 * (docs/methods.md#support-compression); with `options.training`, how much o(x) and the decisions
 * changed on those samples.
 */
export function compressSupportVectors(model: OcsvmLike, options: CompressionOptions): CompressionResult {
  const { nSupport, dim } = checkOcsvm(model);
  const k = options.prototypes;
  if (!(Number.isInteger(k) && k >= 1))
    throw new UserError(`support-vector compression: prototypes must be a positive integer, got ${k}`);
  const assignment = new Int32Array(nSupport);
  let prototypes: Float32Array;
  let weights: Float64Array;
  if (k >= nSupport) {
    assignment.forEach((_, j) => (assignment[j] = j));
    prototypes = model.supportVectors.slice();
    weights = Float64Array.from(model.dualCoef);
  } else {
    const fit = fitKMeans(model.supportVectors, nSupport, dim, {
      k,
      seed: options.seed,
      maxIterations: options.maxIterations,
    });
    assignment.set(fit.clusters);
    const sums = new Float64Array(k * dim);
    weights = new Float64Array(k);
    for (let j = 0; j < nSupport; j++) {
      const c = assignment[j];
      const a = model.dualCoef[j];
      weights[c] += a;
      for (let t = 0; t < dim; t++) sums[c * dim + t] += a * model.supportVectors[j * dim + t];
    }
    // an empty cluster, or one whose members all have α = 0, keeps the k-means centroid and weight 0
    prototypes = Float32Array.from(sums, (v, i) => {
      const c = Math.floor(i / dim);
      return weights[c] > 0 ? v / weights[c] : fit.centroids[i];
    });
    const kept = Array.from({ length: k }, (_, c) => c).filter((c) => weights[c] > 0);
    if (kept.length < k) {
      const remap = new Int32Array(k).fill(-1);
      kept.forEach((c, q) => (remap[c] = q));
      assignment.forEach((c, j) => (assignment[j] = remap[c]));
      prototypes = Float32Array.from(kept.flatMap((c) => Array.from(prototypes.subarray(c * dim, (c + 1) * dim))));
      weights = Float64Array.from(kept, (c) => weights[c]);
    }
  }
  const compressed: CompressedModel = {
    kernel: model.kernel,
    gamma: model.gamma,
    rho: model.rho,
    nu: model.nu,
    nTrain: model.nTrain,
    dualCoef: weights,
    supportVectors: prototypes,
  };
  if (!options.training) return { model: compressed, assignment, maxOutliernessChange: null, changedDecisions: null };
  const { data, n } = options.training;
  if (data.length !== n * dim)
    throw new UserError(
      `support-vector compression: training data has ${data.length} values, not ${n} samples of ${dim}`,
    );
  const batch = options.batchSize ?? 1024;
  const before = outliernessOf(model, data, n, batch);
  const after = outliernessOf(compressed, data, n, batch);
  const threshold = outliernessThreshold(model.gamma, model.rho, model.nu * model.nTrain);
  let maxChange = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    maxChange = Math.max(maxChange, Math.abs(after[i] - before[i]));
    if (before[i] > threshold !== after[i] > threshold) changed++;
  }
  return { model: compressed, assignment, maxOutliernessChange: maxChange, changedDecisions: changed };
}
