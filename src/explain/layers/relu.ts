/** ReLU activation: relevance passes through unchanged (the rule of the linear layer below decides). */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class ReluLayer implements ExplainableLayer {
  readonly kind = 'relu';

  constructor(readonly name: string) {}

  forward(a: Tensor): Tensor {
    return tf.relu(a);
  }

  /** a new tensor sharing R's data (tf.clone copies on wasm) */
  relevance(_input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, R.shape);
  }

  dispose(): void {}
}
