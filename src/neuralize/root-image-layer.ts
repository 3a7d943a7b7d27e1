/**
 * The deep path of an OC-DTD variant whose prototypes are training images (support vectors,
 * inliers; docs/methods.md#ocdtd-deep-path): the feature network and the variant's layers as one
 * layer from pixels to the explained output, whose relevance takes the deep Taylor root point back
 * to the pixels as an image r(x), R_i = R · (x_i − r_i)² / ‖x − r‖² (conserving the output R).
 * The prototypes are images v_j with features u_j = φ(v_j); the root image is
 *   'features' mixing: r = Σ_j w_j v_j, w the weights of the feature-space root point (the
 *                      pooling's soft-min weights, or the hull's weights);
 *   'pixels' mixing:   the point nearest to x of the convex hull of the images of the prototypes
 *                      that carry the explanation (weight > 0; for the hull, its k nearest) —
 *                      the model chooses which inliers x is compared with, pixel space how.
 * Either replaces the composite's propagation through the feature network, which spreads relevance
 * over every stroke that drives the features.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import type { ExplainableLayer, ExplainableNetwork, Tensor } from '../explain/network.ts';
import { HullDistanceLayer, rootPointRelevance } from './hull-distance-layer.ts';
import { simplexLeastSquares } from './simplex-least-squares.ts';

export class RootImageLayer implements ExplainableLayer {
  readonly kind = 'root-image';
  private readonly images: tf.Tensor2D;
  private readonly size: number;

  /**
   * `layers`: the variant's layers on the features ([distance, pooling, …] or [hull]); `images`:
   * one image per prototype of the first of them, row-major, in the same order.
   */
  constructor(
    readonly name: string,
    private readonly features: ExplainableNetwork,
    private readonly layers: readonly ExplainableLayer[],
    images: Float32Array,
    private readonly mixing: 'features' | 'pixels' = 'features',
  ) {
    this.size = features.inputShape.reduce((a, b) => a * b, 1);
    const count = images.length / this.size;
    if (!Number.isInteger(count) || count < 1) {
      throw new UserError(`root image: ${images.length} image values are not whole images of ${this.size}`);
    }
    this.images = tf.tensor2d(images, [count, this.size]);
  }

  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.layers.reduce((a, layer) => layer.forward(a), this.features.forward(x)));
  }

  /**
   * The weight of every prototype in the feature-space root point [N, m]; for 'pixels' mixing,
   * which prototypes the pixel-space root may mix (weight > 0: the k nearest for the hull).
   */
  private weights(phi: Tensor): Tensor {
    const first = this.layers[0];
    if (first instanceof HullDistanceLayer) {
      return this.mixing === 'pixels' ? first.nearestIndicator(phi) : first.prototypeWeights(phi);
    }
    // the pooling's relevance for a unit output is its soft-min (or hard-min) weights
    const h = first.forward(phi);
    return this.layers[1].relevance(h, tf.onesLike(tf.min(h, 1)), undefined, { output: tf.min(h, 1) });
  }

  relevance(x: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => {
      const n = x.shape[0];
      const weights = this.weights(this.features.forward(x));
      if (weights.shape[1] !== this.images.shape[0]) {
        throw new Error(`root image '${this.name}': ${this.images.shape[0]} images for ${weights.shape[1]} prototypes`);
      }
      const root = this.mixing === 'features' ? tf.matMul(weights, this.images) : this.projection(x, weights);
      return rootPointRelevance(tf.sub(tf.reshape(x, [n, this.size]), root), R, x.shape);
    });
  }

  /**
   * The point nearest to x, in pixel space, of the convex hull of the images of the prototypes
   * that carry the explanation (weight > 0): the root image chosen where the relevance is taken.
   */
  private projection(x: Tensor, weights: Tensor): Tensor {
    const n = x.shape[0];
    const w = weights.arraySync() as number[][];
    const pixels = tf.reshape(x, [n, this.size]);
    const roots: Tensor[] = w.map((row, s) => {
      const used = row.flatMap((v, j) => (v > 0 ? [j] : []));
      const differences = tf.sub(tf.gather(this.images, used), tf.slice(pixels, [s, 0], [1, this.size]));
      const M = Float64Array.from(tf.matMul(differences, differences, false, true).dataSync());
      const mix = simplexLeastSquares(M, used.length);
      return tf.matMul(tf.tensor2d(Float32Array.from(mix), [1, used.length]), tf.gather(this.images, used));
    });
    return tf.concat(roots, 0);
  }

  /** Frees the images; the feature network and the variant's layers belong to the caller. */
  dispose(): void {
    this.images.dispose();
  }
}
