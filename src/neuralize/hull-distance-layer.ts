/**
 * Distance to the convex hull of the k nearest prototypes (docs/methods.md#ocdtd-hull):
 * the hard minimum of ‖x − v‖² over every mixture v = Σ_a w_a u_a (w ≥ 0, Σ w = 1) of the k
 * prototypes nearest to x. Its deep Taylor root point is that nearest mixture x̃, so the relevance
 * of dimension i is R · (x_i − x̃_i)² / ‖x − x̃‖² (shared equally when x lies in the hull): what no
 * blend of similar inliers explains. With k = 1 it is the nearest prototype's difference.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import type { ExplainableLayer, Tensor } from '../explain/network.ts';
import { DistanceLayer } from './distance-layer.ts';
import { simplexLeastSquares } from './simplex-least-squares.ts';
import { oneHotMask } from '../explain/one-hot.ts';

export interface HullDistanceOptions {
  /** leave out a prototype equal to the input (a training inlier explained against the inliers) */
  leaveSelfOut?: boolean;
}

export class HullDistanceLayer implements ExplainableLayer {
  readonly kind = 'hull-distance';
  readonly dim: number;
  readonly nPrototypes: number;
  /** k, at most the number of prototypes */
  readonly nearest: number;
  /** finds the k nearest (with +∞ for the input itself when leaving it out) */
  private readonly distances: DistanceLayer;
  /** prototypes [m, dim] */
  private readonly prototypes: tf.Tensor2D;

  /** `prototypes`: m rows of `dim` values, row-major. */
  constructor(
    readonly name: string,
    prototypes: Float32Array,
    dim: number,
    nearest: number,
    options: HullDistanceOptions = {},
  ) {
    if (!(Number.isInteger(nearest) && nearest >= 1)) {
      throw new UserError(`hull distance: k must be a positive integer, got ${nearest}`);
    }
    if (!(dim >= 1) || prototypes.length === 0 || prototypes.length % dim !== 0) {
      throw new UserError(`hull distance: ${prototypes.length} prototype values are not whole rows of ${dim}`);
    }
    this.dim = dim;
    this.nPrototypes = prototypes.length / dim;
    // leaving the input itself out, one prototype may be +∞ away: never take it as a neighbour
    const available = options.leaveSelfOut && this.nPrototypes > 1 ? this.nPrototypes - 1 : this.nPrototypes;
    this.nearest = Math.min(nearest, available);
    this.distances = new DistanceLayer(`${name}/nearest`, prototypes, new Float32Array(this.nPrototypes), 2, {
      leaveSelfOut: options.leaveSelfOut,
    });
    this.prototypes = tf.tensor2d(prototypes, [this.nPrototypes, dim]);
  }

  /**
   * The last input's neighbours and simplex weights: a propagation hands the same activation to
   * forward and relevance, and the simplex problems are the costly part (tensor ids are never reused).
   */
  private last: { id: number; indices: Int32Array; weights: Float32Array } | null = null;

  /** The k nearest prototypes' indices [N, k] and their simplex weights [N, k] (row-major). */
  private mixture(input: Tensor): { indices: Int32Array; weights: Float32Array; differences: tf.Tensor3D } {
    const n = input.shape[0];
    const k = this.nearest;
    const known = this.last?.id === input.id ? this.last : null;
    const { indices, differences } = tf.tidy(() => {
      const x = tf.reshape(input, [n, this.dim]);
      const nearest = known
        ? tf.tensor2d(known.indices, [n, k], 'int32')
        : tf.topk(tf.neg(this.distances.forward(input)), k).indices;
      // u_a − x for the k nearest [N, k, dim]
      const diff = tf.sub(tf.gather(this.prototypes, nearest), tf.expandDims(x, 1)) as tf.Tensor3D;
      return { indices: nearest, differences: diff };
    });
    if (known) {
      indices.dispose();
      return { indices: known.indices, weights: known.weights, differences };
    }
    const M = tf.tidy(() => tf.matMul(differences, differences, false, true).dataSync());
    const weights = new Float32Array(n * k);
    for (let s = 0; s < n; s++) {
      weights.set(simplexLeastSquares(Float64Array.from(M.subarray(s * k * k, (s + 1) * k * k)), k), s * k);
    }
    const rows = indices.dataSync() as Int32Array;
    indices.dispose();
    this.last = { id: input.id, indices: rows, weights };
    return { indices: rows, weights, differences };
  }

  /** x − x̃ per sample [N, dim]: x minus the nearest point of its k nearest prototypes' hull. */
  residual(input: Tensor): tf.Tensor2D {
    const n = input.shape[0];
    const { weights, differences } = this.mixture(input);
    // x − x̃ = −Σ_a w_a (u_a − x)
    const residual = tf.tidy(
      () => tf.neg(tf.squeeze(tf.matMul(tf.tensor3d(weights, [n, 1, this.nearest]), differences), [1])) as tf.Tensor2D,
    );
    differences.dispose();
    return residual;
  }

  /** 1 for the k nearest prototypes of each sample, 0 for the others [N, m]. */
  nearestIndicator(input: Tensor): Tensor {
    return tf.tidy(() => {
      const nearest = tf.topk(tf.neg(this.distances.forward(input)), this.nearest).indices;
      return tf.sum(
        oneHotMask(tf.reshape(nearest, [-1]), this.nPrototypes).reshape([
          input.shape[0],
          this.nearest,
          this.nPrototypes,
        ]),
        1,
      );
    });
  }

  /** The weight of every prototype in x̃ = Σ_j w_j u_j [N, m] (zero beyond the k nearest). */
  prototypeWeights(input: Tensor): Tensor {
    const n = input.shape[0];
    const { indices, weights, differences } = this.mixture(input);
    differences.dispose();
    const dense = new Float32Array(n * this.nPrototypes);
    for (let s = 0; s < n; s++) {
      for (let a = 0; a < this.nearest; a++) {
        dense[s * this.nPrototypes + indices[s * this.nearest + a]] += weights[s * this.nearest + a];
      }
    }
    return tf.tensor2d(dense, [n, this.nPrototypes]);
  }

  /** ‖x − x̃‖² [N]. */
  forward(input: Tensor): Tensor {
    return tf.tidy(() => tf.sum(tf.square(this.residual(input)), 1));
  }

  /** R_i = R · (x_i − x̃_i)² / ‖x − x̃‖²; equal shares when x̃ = x. */
  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => rootPointRelevance(this.residual(input), R, input.shape));
  }

  dispose(): void {
    this.distances.dispose();
    this.prototypes.dispose();
  }
}

/**
 * Deep Taylor relevance at a root point x̃: R_i = R · (x_i − x̃_i)² / ‖x − x̃‖² for `difference`
 * x − x̃ [N, d], shared equally when x̃ = x; shaped as `shape`.
 */
export function rootPointRelevance(difference: Tensor, R: Tensor, shape: number[]): Tensor {
  return tf.tidy(() => {
    const squared = tf.square(difference);
    const total = tf.sum(squared, 1, true);
    const same = tf.lessEqual(total, 0);
    const shares = tf.where(
      same,
      tf.fill(squared.shape, 1 / squared.shape[1]!),
      tf.div(squared, tf.where(same, tf.onesLike(total), total)),
    );
    return tf.reshape(tf.mul(shares, tf.expandDims(R, 1)), shape);
  });
}
