/**
 * Several networks fed by the same input, their flat outputs side by side: features taken from
 * more than one layer of a network (each a branch from the input up to its layer). Relevance is
 * split by slices and each branch sends its slice down to the input with the propagation's own
 * composite; the input relevance is the sum (a tensor used twice gets the sum of what each use
 * sends back, and every rule is linear in the relevance it receives).
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, ExplainableNetwork, RelevanceContext, Tensor } from '../network.ts';
import type { Rule } from '../rules.ts';

export class ConcatBranchesLayer implements ExplainableLayer {
  readonly kind = 'concat-branches';
  /** output values of each branch per sample */
  readonly sizes: readonly number[];

  /** `branches` share the input; shared with their owner, not owned here. */
  constructor(
    readonly name: string,
    readonly branches: readonly ExplainableNetwork[],
  ) {
    if (branches.length === 0) throw new Error(`concat-branches layer '${name}': no branch`);
    const probe = tf.zeros([1, ...branches[0].inputShape]);
    this.sizes = branches.map((b) => {
      const out = b.forward(probe);
      const size = out.size;
      out.dispose();
      return size;
    });
    probe.dispose();
  }

  forward(a: Tensor): Tensor {
    return tf.tidy(() =>
      tf.concat(
        this.branches.map((b) => tf.reshape(b.forward(a), [a.shape[0], -1])),
        1,
      ),
    );
  }

  relevance(input: Tensor, R: Tensor, _rule: Rule | undefined, ctx: RelevanceContext): Tensor {
    return tf.tidy(() => {
      const n = input.shape[0];
      const parts = tf.split(tf.reshape(R, [n, -1]), this.sizes as number[], 1);
      return tf.addN(
        this.branches.map((branch, k) => {
          if (!ctx.propagateThrough) throw new Error(`layer '${this.name}' needs the propagation's context`);
          return ctx.propagateThrough(branch, input, parts[k]);
        }),
      );
    });
  }

  dispose(): void {}
}
