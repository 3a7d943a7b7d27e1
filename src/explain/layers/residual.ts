/**
 * The reconstruction residual r = x − x̂(x) of an autoencoder, flattened: one feature per input
 * value. Its relevance is taken at the residual itself: r_i belongs to input value i, so the
 * relevance of r_i is given to x_i as it is (docs/methods.md#residual-relevance); x̂'s dependence on
 * the other inputs is not followed back through the decoder. Gradient methods still see the whole
 * function, decoder included.
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';
import type { ExplainableNetwork } from '../network.ts';

export class ResidualLayer implements ExplainableLayer {
  readonly kind = 'residual';

  /** `autoencoder` maps an input to one of the same shape; shared, not owned. */
  constructor(
    readonly name: string,
    readonly autoencoder: ExplainableNetwork,
  ) {}

  forward(a: Tensor): Tensor {
    return tf.tidy(() => tf.reshape(tf.sub(a, this.autoencoder.forward(a)), [a.shape[0], -1]));
  }

  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, input.shape);
  }

  dispose(): void {}
}
