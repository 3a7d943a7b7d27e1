/** Layers that do nothing at inference (Dropout, a linear Activation): output = input, R passes through. */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class IdentityLayer implements ExplainableLayer {
  readonly kind = 'identity';

  constructor(readonly name: string) {}

  forward(a: Tensor): Tensor {
    return tf.reshape(a, a.shape);
  }

  /** a new tensor sharing R's data (tf.clone copies on wasm) */
  relevance(_input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, R.shape);
  }

  dispose(): void {}
}
