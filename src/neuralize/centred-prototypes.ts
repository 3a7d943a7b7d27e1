/**
 * Prototypes (support vectors, centroids) shifted by their mean, as the distance and NEON layers
 * keep them: distances and differences do not change, but ‖x‖² + ‖u‖² − 2x·u cancels far less in
 * float32 once both x and u are centred.
 */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from '../explain/network.ts';

export interface CentredPrototypes {
  /** mean of the prototypes [dim] */
  centre: tf.Tensor1D;
  /** prototypes minus centre [m, dim] */
  centred: tf.Tensor2D;
  /** ‖u_j − c‖² [1, m] */
  squaredNorms: tf.Tensor2D;
}

/** `values`: m rows of `dim` values, row-major. The caller owns the tensors. */
export function centrePrototypes(values: Float32Array, m: number, dim: number): CentredPrototypes {
  return tf.tidy(() => {
    const u = tf.tensor2d(values, [m, dim]);
    const centre = tf.mean(u, 0) as tf.Tensor1D;
    const centred = tf.sub(u, centre) as tf.Tensor2D;
    return { centre, centred, squaredNorms: tf.reshape(tf.sum(tf.square(centred), 1), [1, m]) as tf.Tensor2D };
  });
}

/** Samples [N, ...] of `dim` values as rows [N, dim], shifted by `centre` (the caller checks the size). */
export function centreRows(a: Tensor, centre: tf.Tensor1D, dim: number): tf.Tensor2D {
  return tf.sub(tf.reshape(a, [a.shape[0], dim]), centre) as tf.Tensor2D;
}
