/** Concatenation along one axis: each input gets back the slice of the relevance it filled. */
import { tf } from '../../runtime/runtime.ts';
import type { JoinLayer, Tensor } from '../network.ts';

export class ConcatLayer implements JoinLayer {
  readonly kind = 'concat';
  readonly joins = true;

  /** `axis` counts the batch axis (1 … rank − 1; negative from the end). */
  constructor(
    readonly name: string,
    readonly axis: number,
  ) {}

  forward(inputs: readonly Tensor[]): Tensor {
    return tf.concat([...inputs], this.axis);
  }

  relevance(inputs: readonly Tensor[], R: Tensor): Tensor[] {
    const axis = this.axis < 0 ? R.rank + this.axis : this.axis;
    return tf.split(
      R,
      inputs.map((t) => t.shape[axis] as number),
      axis,
    );
  }

  dispose(): void {}
}
