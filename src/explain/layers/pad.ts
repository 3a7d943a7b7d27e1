/** Zero padding (ZeroPadding2D, ONNX Pad): the padded border carries no input, so its relevance is dropped. */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

export class PadLayer implements ExplainableLayer {
  readonly kind = 'pad';

  /** `paddings` [before, after] per axis of one sample (without the batch axis). */
  constructor(
    readonly name: string,
    readonly paddings: readonly (readonly [number, number])[],
  ) {
    if (paddings.some(([b, a]) => !(Number.isInteger(b) && Number.isInteger(a) && b >= 0 && a >= 0))) {
      throw new Error(`pad layer '${name}': paddings must be integers ≥ 0`);
    }
  }

  forward(a: Tensor): Tensor {
    return tf.pad(a, [[0, 0], ...this.paddings.map(([b, after]) => [b, after] as [number, number])]);
  }

  relevance(input: Tensor, R: Tensor): Tensor {
    return tf.slice(R, [0, ...this.paddings.map(([b]) => b)], input.shape);
  }

  dispose(): void {}
}
