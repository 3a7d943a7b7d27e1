/**
 * NEON (docs/methods.md#neon): a k-means clustering rewritten as a network and explained by relevance
 * propagation. For the cluster c of x, the logit
 *   f_c(x) = min_{k≠c} (‖x−μ_k‖² − ‖x−μ_c‖²) = min_{k≠c} (w_kᵀx + b_k),
 *   w_k = 2(μ_c − μ_k), b_k = ‖μ_k‖² − ‖μ_c‖²,
 * is a linear layer (one neuron per competitor) followed by min-pooling. Relevance goes to the
 * competitors by their soft-min weights with stiffness β, R_k = p_k f_c, then to the inputs by the
 * midpoint rule R_i = Σ_k (x_i − m_ik) w_ik / (w_kᵀ(x − m_k)) · R_k, m_k = (μ_c + μ_k)/2. As
 * w_kᵀ(x − m_k) = z_k, both steps conserve exactly.
 */
import { kmeans, type InitializationMethod } from 'ml-kmeans';
import { tf } from '../runtime/runtime.ts';
import { ExplainableNetwork, type ExplainableLayer, type Tensor } from '../explain/network.ts';
import { UserError } from '../errors.ts';
import { oneHotMask } from '../explain/one-hot.ts';
import { centrePrototypes, centreRows } from './centred-prototypes.ts';
import { softMinWeights } from './min-pooling.ts';
import { explainOutput, type OutputExplanationOptions } from './explain-output.ts';

export interface KMeansOptions {
  /** number of clusters */
  k: number;
  /** seed of the initialisation (default 0) */
  seed?: number;
  maxIterations?: number;
  /** default 'kmeans++' */
  initialization?: InitializationMethod;
}

export interface KMeansFit {
  /** k rows of dim values, row-major */
  centroids: Float32Array;
  k: number;
  dim: number;
  /** cluster of every sample */
  clusters: Int32Array;
  iterations: number;
  converged: boolean;
}

const rowsOf = (data: ArrayLike<number>, n: number, dim: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, t) => data[i * dim + t]));

/** k-means (ml-kmeans) of n rows of `dim` values. */
export function fitKMeans(data: Float32Array, n: number, dim: number, options: KMeansOptions): KMeansFit {
  const { k } = options;
  if (!(Number.isInteger(k) && k >= 1))
    throw new UserError(`k-means: the number of clusters must be a positive integer, got ${k}`);
  if (n * dim !== data.length) throw new Error(`k-means: ${data.length} values are not ${n} rows of ${dim}`);
  if (k > n) throw new UserError(`k-means: ${k} clusters asked for ${n} samples; at most one cluster per sample`);
  // ml-kmeans takes an explicit undefined as "no iterations": pass only what is set
  const result = kmeans(rowsOf(data, n, dim), k, {
    seed: options.seed ?? 0,
    initialization: options.initialization ?? 'kmeans++',
    ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
  });
  return {
    centroids: Float32Array.from(result.centroids.flat()),
    k,
    dim,
    clusters: Int32Array.from(result.clusters),
    iterations: result.iterations,
    converged: result.converged,
  };
}

/**
 * The competitor layer: for each sample, z_k = w_kᵀx + b_k against its cluster c (the nearest
 * centroid, or a fixed target), z_c = +∞ so that c never wins the minimum. Centroids and inputs
 * are shifted by the centroids' mean (z and the midpoint rule do not change; float32 cancels less).
 */
export class NeonCompetitorLayer implements ExplainableLayer {
  readonly kind = 'neon-competitors';
  readonly k: number;
  readonly dim: number;
  private readonly centre: tf.Tensor1D;
  /** centred centroids [k, dim] */
  private readonly centroids: tf.Tensor2D;
  /** [μ, μ²] side by side [k, 2·dim] */
  private readonly withSquares: tf.Tensor2D;
  /** ‖μ_k‖² [1, k] */
  private readonly squaredNorms: tf.Tensor2D;

  /** `target`: explain this cluster for every sample instead of each sample's own. */
  constructor(
    readonly name: string,
    centroids: Float32Array,
    k: number,
    readonly target?: number,
  ) {
    if (!(Number.isInteger(k) && k >= 2))
      throw new UserError(`NEON needs at least 2 clusters (a competitor for every cluster), got ${k}`);
    if (centroids.length % k !== 0) throw new Error(`NEON: ${centroids.length} centroid values for ${k} clusters`);
    if (target !== undefined && !(Number.isInteger(target) && target >= 0 && target < k)) {
      throw new UserError(`NEON: target cluster ${target} out of range; clusters are 0…${k - 1}`);
    }
    this.k = k;
    this.dim = centroids.length / k;
    const built = centrePrototypes(centroids, k, this.dim);
    this.centre = built.centre;
    this.centroids = built.centred;
    this.squaredNorms = built.squaredNorms;
    this.withSquares = tf.tidy(() => tf.concat([built.centred, tf.square(built.centred)], 1) as tf.Tensor2D);
  }

  private centredRows(a: Tensor): tf.Tensor2D {
    const n = a.shape[0];
    if (a.size / n !== this.dim)
      throw new UserError(
        `NEON layer '${this.name}': its inputs have ${a.size / n} values each, but the k-means centroids have ${this.dim}; were the clusters fitted on these features?`,
      );
    return centreRows(a, this.centre, this.dim);
  }

  /** ‖x − μ_k‖² − ‖x‖² = ‖μ_k‖² − 2 x·μ_k [N, k]: the nearest centroid minimises it. */
  private partialDistances(xc: tf.Tensor2D): tf.Tensor2D {
    return tf.sub(this.squaredNorms, tf.mul(tf.matMul(xc, this.centroids, false, true), 2));
  }

  private clusterOfRows(partial: tf.Tensor2D): tf.Tensor1D {
    const n = partial.shape[0];
    return (this.target === undefined ? tf.argMin(partial, 1) : tf.fill([n], this.target, 'int32')) as tf.Tensor1D;
  }

  /** The explained cluster of every sample (int32 [N]). */
  clusterOf(a: Tensor): Tensor {
    return tf.tidy(() => this.clusterOfRows(this.partialDistances(this.centredRows(a))));
  }

  forward(a: Tensor): Tensor {
    return tf.tidy(() => {
      const partial = this.partialDistances(this.centredRows(a));
      const c = this.clusterOfRows(partial);
      const ownWeight = oneHotMask(c, this.k);
      const z = tf.sub(partial, tf.sum(tf.mul(partial, ownWeight), 1, true));
      return tf.where(tf.greater(ownWeight, 0), tf.fill(z.shape, Infinity), z);
    });
  }

  /**
   * Midpoint rule, batched: with s_k = R_k / z_k (s_c = 0), S = Σ_k s_k and μ_c the own centroid,
   * R_i = 2 x_i (S μ_ci − (s·μ)_i) − S μ_ci² + (s·μ²)_i. A competitor with z_k = 0 shares R_k equally.
   */
  relevance(input: Tensor, R: Tensor, _rule?: unknown, ctx?: { output: Tensor }): Tensor {
    return tf.tidy(() => {
      const xc = this.centredRows(input);
      const z = ctx?.output ?? this.forward(input);
      const zero = tf.equal(z, 0);
      const s = tf.where(zero, tf.zerosLike(R), tf.div(R, tf.where(zero, tf.onesLike(z), z)));
      const shared = tf.div(tf.sum(tf.where(zero, R, tf.zerosLike(R)), 1, true), this.dim);
      const muC = tf.gather(this.centroids, this.clusterOfRows(this.partialDistances(xc)));
      const S = tf.sum(s, 1, true);
      const [sMu, sMu2] = tf.split(tf.matMul(s, this.withSquares), 2, 1);
      const linear = tf.mul(tf.mul(xc, tf.sub(tf.mul(muC, S), sMu)), 2);
      const rel = tf.add(tf.add(tf.sub(linear, tf.mul(tf.square(muC), S)), sMu2), shared);
      return tf.reshape(rel, input.shape);
    });
  }

  dispose(): void {
    tf.dispose([this.centre, this.centroids, this.withSquares, this.squaredNorms]);
  }
}

/** Hard min over the competitors (the logit f_c); relevance by soft-min weights with stiffness β. */
export class NeonMinPoolingLayer implements ExplainableLayer {
  readonly kind = 'neon-min-pooling';

  constructor(
    readonly name: string,
    readonly beta: number,
  ) {
    if (!(beta > 0)) throw new UserError(`NEON: beta must be > 0, got ${beta}`);
  }

  forward(z: Tensor): Tensor {
    return tf.min(z, 1);
  }

  relevance(z: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => tf.mul(softMinWeights(z, this.beta), tf.expandDims(R, 1)));
  }

  dispose(): void {}
}

export interface NeonOptions {
  /** stiffness β of the soft-min that shares f_c among the competitors (default 1, as in the NEON demo) */
  beta?: number;
  /** explain this cluster for every sample (default: each sample's own, nearest, cluster) */
  target?: number;
  /** prefix of the layer names (default 'kmeans') */
  name?: string;
}

export class NeuralizedKMeans {
  readonly competitors: NeonCompetitorLayer;
  readonly pooling: NeonMinPoolingLayer;

  constructor(centroids: Float32Array, k: number, options: NeonOptions = {}) {
    const prefix = options.name ?? 'kmeans';
    this.competitors = new NeonCompetitorLayer(`${prefix}/competitors`, centroids, k, options.target);
    this.pooling = new NeonMinPoolingLayer(`${prefix}/min-pooling`, options.beta ?? 1);
  }

  get layers(): [NeonCompetitorLayer, NeonMinPoolingLayer] {
    return [this.competitors, this.pooling];
  }

  /** f_c(x) for a batch of feature vectors [N, ...] → [N]. */
  logit(features: Tensor): Tensor {
    return tf.tidy(() => this.pooling.forward(this.competitors.forward(features)));
  }

  /** One network from input to f_c(x): the feature network (or nothing, for pixels) and the two layers. */
  network(features: ExplainableNetwork | null, inputShape?: readonly number[]): ExplainableNetwork {
    if (features) return features.extend(...this.layers);
    if (!inputShape) throw new Error('NeuralizedKMeans.network: give the input shape when there is no feature network');
    const size = inputShape.reduce((a, b) => a * b, 1);
    if (size !== this.competitors.dim) {
      throw new UserError(
        `NEON: inputs of shape [${inputShape.join(', ')}] have ${size} values, the centroids have ${this.competitors.dim}`,
      );
    }
    return new ExplainableNetwork(this.layers as ExplainableLayer[], inputShape);
  }

  dispose(): void {
    this.competitors.dispose();
    this.pooling.dispose();
  }
}

/** Neuralize k-means centroids (k rows, row-major, or a KMeansFit). */
export function neuralizeKMeans(fit: Pick<KMeansFit, 'centroids' | 'k'>, options: NeonOptions = {}): NeuralizedKMeans {
  return new NeuralizedKMeans(fit.centroids, fit.k, options);
}

export interface NeonResult {
  /** relevance of every input value, shaped like x; Σ = f_c(x) (up to the feature network's rules) */
  relevance: Tensor;
  /** f_c(x) per sample */
  logit: Float32Array;
  layers?: Tensor[];
}

/** NEON explanation of the cluster logit, through `network` (see NeuralizedKMeans.network). */
export function neon(network: ExplainableNetwork, x: Tensor, options: OutputExplanationOptions = {}): NeonResult {
  const { relevance, output, layers } = explainOutput(network, x, options);
  return layers ? { relevance, logit: output, layers } : { relevance, logit: output };
}
