/**
 * Sum of several tensors of one shape (a residual connection). A linear layer of the rules'
 * family: the inputs stacked on a last axis, each with the weight 1, so that LRP-0 splits the
 * relevance in proportion to each input's contribution (Zennit's Norm rule for its Sum layer) and
 * other rules act on that weight and on the inputs as on any linear layer (docs/methods.md#graph-networks).
 */
import { tf } from '../../runtime/runtime.ts';
import type { JoinLayer, RelevanceContext, Tensor } from '../network.ts';
import { propagateLinear, stabilise, type LinearOperator } from '../propagate-linear.ts';
import { DIVISION_GUARD, type Rule } from '../rules.ts';

export class AddLayer implements JoinLayer, LinearOperator {
  readonly kind = 'add';
  readonly joins = true;
  readonly weight: Tensor = tf.keep(tf.scalar(1));
  readonly bias = null;

  constructor(readonly name: string) {}

  forward(inputs: readonly Tensor[]): Tensor {
    const [first, ...rest] = inputs;
    for (const t of rest) {
      if (!tf.util.arraysEqual(t.shape, first.shape)) {
        throw new Error(`add layer '${this.name}': inputs of shapes [${first.shape}] and [${t.shape}] differ`);
      }
    }
    return rest.length === 0 ? tf.reshape(first, first.shape) : tf.addN([...inputs]);
  }

  /** z = w · Σ_k a[..., k] over the stacked inputs a */
  apply(stacked: Tensor, weight: Tensor): Tensor {
    return tf.tidy(() => tf.mul(tf.sum(stacked, -1), weight));
  }

  transpose(s: Tensor, weight: Tensor, stacked: Tensor): Tensor {
    return tf.tidy(() => tf.broadcastTo(tf.expandDims(tf.mul(s, weight), -1), stacked.shape));
  }

  /**
   * Without a rule (every composite here), LRP-0 directly: R_k = x_k · R / stabilise(Σ x) — what the
   * routine computes with lrp0, without stacking the inputs (stack and unstack of a last axis are
   * slow on wasm). A rule given by a composite goes through the routine.
   */
  relevance(inputs: readonly Tensor[], R: Tensor, rule: Rule | undefined, ctx: RelevanceContext): Tensor[] {
    if (rule === undefined) {
      return tf.tidy(() => {
        const s = tf.div(R, stabilise(ctx.output, DIVISION_GUARD));
        return inputs.map((x) => tf.mul(x, s));
      });
    }
    return tf.tidy(() => tf.unstack(propagateLinear(this, tf.stack([...inputs], -1), R, rule, ctx.output), -1));
  }

  dispose(): void {
    this.weight.dispose();
  }
}
