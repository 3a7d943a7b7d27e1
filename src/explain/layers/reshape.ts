/** Flatten and Reshape: move values around; relevance goes back to where each value came from. */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class ReshapeLayer implements ExplainableLayer {
  readonly kind = 'reshape';

  /** `targetShape` per sample, without the batch axis (Flatten: [-1]). */
  constructor(
    readonly name: string,
    readonly targetShape: readonly number[],
  ) {}

  forward(a: Tensor): Tensor {
    return tf.reshape(a, [a.shape[0], ...this.targetShape]);
  }

  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, input.shape);
  }

  dispose(): void {}
}
