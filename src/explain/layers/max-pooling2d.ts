/**
 * Max pooling, NHWC. Relevance goes to the winner of each window — the gradient route (on ReLU
 * outputs, all ≥ 0, this is the z⁺ view of max-pooling). Overlapping windows add up.
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, RelevanceContext, Tensor } from '../network.ts';
import { tfPadding, type Padding } from './conv2d.ts';

export class MaxPooling2DLayer implements ExplainableLayer {
  readonly kind = 'max-pooling2d';

  constructor(
    readonly name: string,
    readonly poolSize: [number, number],
    readonly strides: [number, number],
    readonly padding: Padding,
  ) {}

  forward(a: Tensor): Tensor {
    return tf.maxPool(a as tf.Tensor4D, this.poolSize, this.strides, tfPadding(this.padding));
  }

  /** The MaxPoolGrad kernel with the forward output we already have (tf.grad would pool again). */
  relevance(input: Tensor, R: Tensor, _rule: unknown, ctx: RelevanceContext): Tensor {
    return tf
      .engine()
      .runKernel(
        'MaxPoolGrad',
        { dy: R, input, output: ctx.output },
        { filterSize: this.poolSize, strides: this.strides, pad: tfPadding(this.padding) },
      ) as Tensor;
  }

  dispose(): void {}
}
