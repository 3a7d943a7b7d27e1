/** A permutation of the axes of each sample (NCHW ↔ NHWC): relevance goes back through the inverse. */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class TransposeLayer implements ExplainableLayer {
  readonly kind = 'transpose';
  private readonly inverse: number[];

  /** `perm` over every axis, the batch axis first and kept: perm[0] = 0. */
  constructor(
    readonly name: string,
    readonly perm: readonly number[],
  ) {
    if (perm[0] !== 0) throw new Error(`transpose layer '${name}': the batch axis must stay first, got [${perm}]`);
    this.inverse = [];
    perm.forEach((p, i) => (this.inverse[p] = i));
  }

  forward(a: Tensor): Tensor {
    return tf.transpose(a, [...this.perm]);
  }

  relevance(_input: Tensor, R: Tensor): Tensor {
    return tf.transpose(R, this.inverse);
  }

  dispose(): void {}
}
