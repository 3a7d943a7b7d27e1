/**
 * Max pooling, NHWC. Relevance goes to the winner of each window — the gradient route (on ReLU
 * outputs, all ≥ 0, this is the z⁺ view of max-pooling). Overlapping windows add up.
 */
import { tf } from '../../features/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';
import type { Padding } from './conv2d.ts';

export class MaxPooling2DLayer implements ExplainableLayer {
  readonly kind = 'max-pooling2d';

  constructor(
    readonly name: string,
    readonly poolSize: [number, number],
    readonly strides: [number, number],
    readonly padding: Padding,
  ) {}

  forward(a: Tensor): Tensor {
    return tf.maxPool(a as tf.Tensor4D, this.poolSize, this.strides, this.padding);
  }

  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => tf.grad((x: Tensor) => this.forward(x))(input, R));
  }

  dispose(): void {}
}
