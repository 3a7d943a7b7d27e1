/**
 * Distance to the convex hull of the k nearest prototypes (docs/methods.md, "OC-DTD variants"):
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
    this.nearest = Math.min(nearest, this.nPrototypes);
    this.distances = new DistanceLayer(`${name}/nearest`, prototypes, new Float32Array(this.nPrototypes), 2, {
      leaveSelfOut: options.leaveSelfOut,
    });
    this.prototypes = tf.tensor2d(prototypes, [this.nPrototypes, dim]);
  }

  /** x − x̃ per sample [N, dim]: x minus the nearest point of its k nearest prototypes' hull. */
  residual(input: Tensor): tf.Tensor2D {
    const n = input.shape[0];
    const k = this.nearest;
    const x = tf.reshape(input, [n, this.dim]) as tf.Tensor2D;
    const { indices, differences } = tf.tidy(() => {
      const nearest = tf.topk(tf.neg(this.distances.forward(input)), k).indices;
      // u_a − x for the k nearest [N, k, dim], and their Gram matrices [N, k, k]
      const diff = tf.sub(tf.gather(this.prototypes, nearest), tf.expandDims(x, 1)) as tf.Tensor3D;
      return { indices: nearest, differences: diff };
    });
    const gram = tf.matMul(differences, differences, false, true);
    const M = gram.dataSync();
    const weights = new Float32Array(n * k);
    for (let s = 0; s < n; s++) {
      weights.set(simplexLeastSquares(Float64Array.from(M.subarray(s * k * k, (s + 1) * k * k)), k), s * k);
    }
    // x − x̃ = −Σ_a w_a (u_a − x)
    const residual = tf.tidy(
      () => tf.neg(tf.squeeze(tf.matMul(tf.tensor3d(weights, [n, 1, k]), differences), [1])) as tf.Tensor2D,
    );
    tf.dispose([indices, differences, gram]);
    if (x !== input) x.dispose();
    return residual;
  }

  /** ‖x − x̃‖² [N]. */
  forward(input: Tensor): Tensor {
    return tf.tidy(() => tf.sum(tf.square(this.residual(input)), 1));
  }

  /** R_i = R · (x_i − x̃_i)² / ‖x − x̃‖²; equal shares when x̃ = x. */
  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => {
      const squared = tf.square(this.residual(input));
      const total = tf.sum(squared, 1, true);
      const inside = tf.lessEqual(total, 0);
      const shares = tf.where(
        inside,
        tf.fill(squared.shape, 1 / this.dim),
        tf.div(squared, tf.where(inside, tf.onesLike(total), total)),
      );
      return tf.reshape(tf.mul(shares, tf.expandDims(R, 1)), input.shape);
    });
  }

  dispose(): void {
    this.distances.dispose();
    this.prototypes.dispose();
  }
}
