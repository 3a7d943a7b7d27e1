/**
 * The nearest-neighbour baseline: R_i = (x_i − n_i)², n the training inlier nearest to x in input
 * (pixel) space, never x itself. Distances by ‖x‖² + ‖n‖² − 2x·n in blocks of samples.
 */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from '../explain/network.ts';
import { UserError } from '../errors.ts';

/** Relative squared distance below which an inlier counts as the sample itself (float32 rounding). */
const SAME_SAMPLE_TOLERANCE = 1e-6;

/** Largest [samples, inliers] distance block computed at once (values). */
const BLOCK_VALUES = 1 << 24;

export class NearestInlier {
  readonly count: number;
  readonly dim: number;
  private readonly inliers: tf.Tensor2D;
  private readonly squaredNorms: tf.Tensor2D;

  /** `inliers`: rows of `dim` values (the training samples the SVM calls inliers), row-major. */
  constructor(inliers: Float32Array, dim: number) {
    if (!(dim >= 1) || inliers.length === 0 || inliers.length % dim !== 0) {
      throw new UserError(
        `nearest-neighbour explanation: ${inliers.length} inlier values are not whole samples of ${dim} values`,
      );
    }
    this.dim = dim;
    this.count = inliers.length / dim;
    this.inliers = tf.tensor2d(inliers, [this.count, dim]);
    this.squaredNorms = tf.tidy(() => tf.reshape(tf.sum(tf.square(this.inliers), 1), [1, this.count]));
  }

  /** Index of the nearest inlier of every sample of x [N, ...] other than x itself (int32 [N]). */
  nearestIndex(x: Tensor): Tensor {
    const n = x.shape[0];
    if (x.size / n !== this.dim)
      throw new UserError(
        `nearest-neighbour explanation: samples of ${x.size / n} values, the inliers have ${this.dim}`,
      );
    const rows = Math.max(1, Math.floor(BLOCK_VALUES / this.count));
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      parts.push(
        tf.tidy(() => {
          const xb = tf.reshape(tf.slice(x, start, size), [size, this.dim]);
          const xNorms = tf.sum(tf.square(xb), 1, true);
          const distances = tf.add(
            tf.sub(this.squaredNorms, tf.mul(tf.matMul(xb, this.inliers, false, true), 2)),
            xNorms,
          );
          // an inlier equal to x (x itself, when x is an inlier) is no reference: skip it
          const scale = tf.add(this.squaredNorms, xNorms);
          const same = tf.lessEqual(distances, tf.mul(scale, SAME_SAMPLE_TOLERANCE));
          return tf.argMin(tf.where(same, tf.fill(distances.shape, Infinity), distances), 1);
        }),
      );
    }
    if (parts.length === 1) return parts[0];
    const all = tf.concat(parts);
    tf.dispose(parts);
    return all;
  }

  /** R = (x − n)², shaped like x. */
  relevance(x: Tensor): Tensor {
    return tf.tidy(() => {
      const nearest = tf.gather(this.inliers, this.nearestIndex(x));
      return tf.reshape(tf.square(tf.sub(tf.reshape(x, [x.shape[0], this.dim]), nearest)), x.shape);
    });
  }

  dispose(): void {
    tf.dispose([this.inliers, this.squaredNorms]);
  }
}
