/**
 * The last layer of an OC-DTD variant that explains the excess of the outlierness over the SVM's
 * threshold, o(x) − θ (positive exactly for outliers), instead of o(x) itself: the pooling then
 * shares o − θ between the prototypes, R_j = p_j (o − θ), and the relevance sums to o − θ.
 * With one prototype this is the deep Taylor root point on the decision boundary along the segment
 * u_j → x, which leaves every R_i ∝ |x_i − u_ij|^p: the maps are o(x)'s maps times (o − θ)/o
 * (docs/methods.md#ocdtd-excess).
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../explain/network.ts';

export class OutlierExcessLayer implements ExplainableLayer {
  readonly kind = 'outlier-excess';

  constructor(
    readonly name: string,
    readonly threshold: number,
  ) {
    if (!Number.isFinite(threshold))
      throw new RangeError(`outlier excess: the threshold must be finite, got ${threshold}`);
  }

  forward(o: Tensor): Tensor {
    return tf.sub(o, this.threshold);
  }

  /** The input o(x) carries the excess as its relevance: o − θ is the quantity explained. */
  relevance(_o: Tensor, R: Tensor): Tensor {
    return tf.clone(R);
  }

  dispose(): void {}
}
