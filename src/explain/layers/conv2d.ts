/** 2-D convolution, NHWC, kernel [kh, kw, in, out], any stride, 'same' or 'valid' padding. */
import { tf } from '../../features/runtime.ts';
import type { ExplainableLayer, RelevanceContext, Tensor } from '../network.ts';
import { propagateLinear, type LinearOperator } from '../propagate-linear.ts';
import type { Rule } from '../rules.ts';

export type Padding = 'same' | 'valid';

export class Conv2DLayer implements ExplainableLayer, LinearOperator {
  readonly kind = 'conv2d';

  /** Takes ownership of `weight` and `bias` [out]. */
  constructor(
    readonly name: string,
    readonly weight: Tensor,
    readonly bias: Tensor | null,
    readonly strides: [number, number],
    readonly padding: Padding,
  ) {
    if (weight.rank !== 4) throw new Error(`conv2d layer '${name}': kernel must be [kh, kw, in, out], got [${weight.shape}]`);
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.fused.conv2d({
      x: a as tf.Tensor4D,
      filter: weight as tf.Tensor4D,
      strides: this.strides,
      pad: this.padding,
      bias: bias ?? undefined,
    });
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    const [n, h, w, c] = a.shape as [number, number, number, number];
    return tf.conv2dTranspose(s as tf.Tensor4D, weight as tf.Tensor4D, [n, h, w, c], this.strides, this.padding);
  }

  forward(a: Tensor): Tensor {
    return this.apply(a, this.weight, this.bias);
  }

  relevance(input: Tensor, R: Tensor, rule: Rule | undefined, ctx: RelevanceContext): Tensor {
    return propagateLinear(this, input, R, rule, ctx.output);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}
