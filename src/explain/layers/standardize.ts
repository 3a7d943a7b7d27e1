/**
 * Per-feature standardisation z_i = (a_i − μ_i) / σ_i. Each output depends on one input only, so
 * the relevance of z_i is the relevance of a_i: R passes through unchanged.
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class StandardizeLayer implements ExplainableLayer {
  readonly kind = 'standardize';
  readonly mean: Tensor;
  readonly scale: Tensor;

  /** `mean` and `scale` (σ > 0) per feature of a flat [N, d] input. */
  constructor(
    readonly name: string,
    mean: ArrayLike<number>,
    scale: ArrayLike<number>,
  ) {
    if (mean.length !== scale.length)
      throw new Error(`standardize layer '${name}': ${mean.length} means but ${scale.length} scales`);
    this.mean = tf.keep(tf.tensor1d(Float32Array.from(mean)));
    this.scale = tf.keep(tf.tensor1d(Float32Array.from(scale)));
  }

  forward(a: Tensor): Tensor {
    return tf.tidy(() => tf.div(tf.sub(tf.reshape(a, [a.shape[0], -1]), this.mean), this.scale));
  }

  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, input.shape);
  }

  dispose(): void {
    tf.dispose([this.mean, this.scale]);
  }
}
