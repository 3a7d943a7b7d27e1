/**
 * What dense and convolution layers share: they own a weight and an optional bias, their forward
 * pass is their linear operator with those, and their relevance is the linear rule family
 * (propagate-linear.ts). A subclass gives only the operator and its transpose.
 */
import type { ExplainableLayer, LayerKind, RelevanceContext, Tensor } from '../network.ts';
import { propagateLinear, type LinearOperator } from '../propagate-linear.ts';
import type { Rule } from '../rules.ts';

export abstract class LinearLayer implements ExplainableLayer, LinearOperator {
  abstract readonly kind: LayerKind;

  /** Takes ownership of `weight` and `bias`. */
  constructor(
    readonly name: string,
    readonly weight: Tensor,
    readonly bias: Tensor | null,
  ) {}

  abstract apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor;
  abstract transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor;

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
