/**
 * Average pooling, NHWC: a linear layer whose weights are 1/k inside each window. The rules see a
 * scalar weight 1 multiplying the pooling, so ρ(W) acts on it (w⁺ = 1, w⁻ = 0, γ: 1 + γ) and the
 * transposed operation is the pooling's own gradient.
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, RelevanceContext, Tensor } from '../network.ts';
import { propagateLinear, type LinearOperator } from '../propagate-linear.ts';
import type { Rule } from '../rules.ts';
import { tfPadding, type Padding } from './conv2d.ts';

/** The rules' view of a fixed averaging op: z = pool(a)·w, ∂/∂a (Σ z·s) = pool'ᵀ(s·w). */
export abstract class AveragingLayer implements ExplainableLayer, LinearOperator {
  abstract readonly name: string;
  abstract readonly kind: string;
  readonly weight: Tensor = tf.keep(tf.scalar(1));
  readonly bias = null;

  protected abstract pool(a: Tensor): Tensor;

  apply(a: Tensor, weight: Tensor): Tensor {
    return tf.tidy(() => tf.mul(this.pool(a), weight));
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    return tf.tidy(() => tf.grad((x: Tensor) => this.pool(x))(a, tf.mul(s, weight)));
  }

  forward(a: Tensor): Tensor {
    return this.pool(a);
  }

  relevance(input: Tensor, R: Tensor, rule: Rule | undefined, ctx: RelevanceContext): Tensor {
    return propagateLinear(this, input, R, rule, ctx.output);
  }

  dispose(): void {
    this.weight.dispose();
  }
}

export class AveragePooling2DLayer extends AveragingLayer {
  readonly kind = 'average-pooling2d';

  constructor(
    readonly name: string,
    readonly poolSize: [number, number],
    readonly strides: [number, number],
    readonly padding: Padding,
  ) {
    super();
  }

  protected pool(a: Tensor): Tensor {
    return tf.avgPool(a as tf.Tensor4D, this.poolSize, this.strides, tfPadding(this.padding));
  }
}
