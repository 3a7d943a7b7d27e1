/** ReLU activation: relevance passes through unchanged (the rule of the linear layer below decides). */
import { tf } from '../../features/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class ReluLayer implements ExplainableLayer {
  readonly kind = 'relu';

  constructor(readonly name: string) {}

  forward(a: Tensor): Tensor {
    return tf.relu(a);
  }

  relevance(_input: Tensor, R: Tensor): Tensor {
    return tf.clone(R);
  }

  dispose(): void {}
}
